/**
 * IdbBlockStore in real Chromium: persistence across a document reload (a same-origin
 * iframe written to, removed, and a fresh one reading back), atomic batches (no block in the
 * map without its data, whether the transaction is aborted or the document goes away while
 * it runs), the quota error, deletion and reset, and a clear error for a size mismatch.
 *
 * Quota: Chromium gives a test profile a quota of a large share of the disk, and offers a
 * page no way to lower it, so a real QuotaExceededError cannot be provoked here. The test
 * throws a QuotaExceededError DOMException inside a commit through the store's
 * `beforeCommit` seam; from there on the path is the real one (the transaction is aborted,
 * the error mapped, the store keeps serving reads).
 */
import { expect } from '@esm-bundle/chai';
import { openDB } from 'idb';
import { IdbBlockStore, MAP_CHUNK } from '../../src/engine/block/idb.js';
import { OverlayDevice, BLOCK_ABSENT, BLOCK_CACHED, BLOCK_WRITTEN } from '../../src/engine/block/overlay.js';
import { MemoryDevice } from '../../src/engine/block/memory.js';
import type { openIdbDirFs } from '../../src/engine/fs/persistent.js';
import type { Vfs } from '../../src/engine/fs/vfs.js';
import type { TmpFs } from '../../src/engine/fs/tmpfs.js';

const KiB = 1024, MiB = 1024 * KiB;
const BS = 64 * KiB;
const PREFIX = 'webx86-disk:';
let serial = 0;
const uniq = (what: string) => `${what}-${Date.now()}-${serial++}`;

/** Block contents that say which block and which version they are. */
function blockData(i: number, version: number, len = BS): Uint8Array {
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  for (let o = 0; o + 8 <= len; o += 4096) { dv.setUint32(o, i, true); dv.setUint32(o + 4, version, true); }
  b[len - 1] = (i * 31 + version) & 255;
  return b;
}

function expectBlock(b: Uint8Array, i: number, version: number): void {
  expect(b.length).to.equal(BS);
  const want = blockData(i, version);
  expect(b.every((x, k) => x === want[k]), `block ${i} version ${version}`).to.equal(true);
}

interface FrameWin extends Window {
  IdbBlockStore?: typeof IdbBlockStore;
  openIdbDirFs?: typeof openIdbDirFs;
  Vfs?: typeof Vfs;
  TmpFs?: typeof TmpFs;
  loaded?: boolean;
  loadError?: string;
}

/** A fresh document with its own copy of the modules. */
async function openFrame(): Promise<{ frame: HTMLIFrameElement; Store: typeof IdbBlockStore; win: FrameWin }> {
  const frame = document.createElement('iframe');
  frame.src = '/test/browser/fixtures/idb-frame.html';
  document.body.append(frame);
  await new Promise((r) => frame.addEventListener('load', r, { once: true }));
  const win = frame.contentWindow as FrameWin;
  while (!win.loaded && !win.loadError) await new Promise((r) => setTimeout(r, 20));
  if (win.loadError) throw new Error(win.loadError);
  return { frame, Store: win.IdbBlockStore!, win };
}

/**
 * The database as stored, read without the store: map states, and which blocks have a
 * data record. The invariant every test checks: no block is in the map without its data.
 */
async function rawContents(name: string): Promise<{ map: Map<number, number>; data: Map<number, Uint8Array>; info: unknown }> {
  const db = await openDB(PREFIX + name, 1);
  try {
    const map = new Map<number, number>();
    for (const [k, chunk] of zip(await db.getAllKeys('map'), await db.getAll('map'))) {
      (chunk as Uint8Array).forEach((s, j) => { if (s) map.set((k as number) * MAP_CHUNK + j, s); });
    }
    const data = new Map<number, Uint8Array>();
    for (const [k, v] of zip(await db.getAllKeys('blocks'), await db.getAll('blocks'))) data.set(k as number, v as Uint8Array);
    return { map, data, info: await db.get('meta', 'info') };
  } finally {
    db.close();
  }
}

function zip<A, B>(a: A[], b: B[]): [A, B][] { return a.map((x, i) => [x, b[i]]); }

function expectConsistent(raw: { map: Map<number, number>; data: Map<number, Uint8Array> }): void {
  for (const i of raw.map.keys()) expect(raw.data.has(i), `block ${i} is in the map without its data`).to.equal(true);
}

async function databaseExists(name: string): Promise<boolean> {
  return (await indexedDB.databases()).some((d) => d.name === PREFIX + name);
}

describe('IdbBlockStore', () => {
  it('keeps blocks and the base identity across a document reload', async () => {
    const name = uniq('reload');
    let { frame, Store } = await openFrame();
    const a = await Store.open(name, 4 * MiB, BS);
    for (let i = 0; i < 10; i++) await a.writeBlock(i * 5, blockData(i * 5, 1), i % 2 ? BLOCK_CACHED : BLOCK_WRITTEN);
    await a.setBaseIdentity('base v1');
    await a.flush();
    // No close(): the page just goes away, as a tab does.
    frame.remove();

    ({ frame, Store } = await openFrame());
    const b = await Store.open(name, 4 * MiB);
    expect(b.blockSize).to.equal(BS);
    expect(b.baseIdentity).to.equal('base v1');
    for (let i = 0; i < 64; i++) {
      const want = i % 5 === 0 && i < 50 ? ((i / 5) % 2 ? BLOCK_CACHED : BLOCK_WRITTEN) : BLOCK_ABSENT;
      expect(b.state(i), `state of block ${i}`).to.equal(want);
    }
    for (let i = 0; i < 50; i += 5) expectBlock(await b.readBlock(i), i, 1);
    await b.close();
    frame.remove();
    expectConsistent(await rawContents(name));
    await IdbBlockStore.deleteDatabase(name);
  });

  it('an OverlayDevice over it keeps writes and downloaded blocks for the next visit', async () => {
    const name = uniq('overlay');
    const baseBytes = new Uint8Array(2 * MiB).map((_, k) => k % 251);
    let reads = 0;
    const base = new MemoryDevice(baseBytes);
    const counting = { size: base.size, identity: 'img v1', read: (o: number, n: number) => { reads++; return base.read(o, n); } };
    const s1 = await IdbBlockStore.open(name, base.size, BS);
    const o1 = await OverlayDevice.create(counting, s1);
    await o1.read(0, 3 * BS);
    await o1.write(BS + 10, new Uint8Array([1, 2, 3]));
    await o1.flush();
    await s1.close();
    reads = 0;
    const s2 = await IdbBlockStore.open(name, base.size, BS);
    const o2 = await OverlayDevice.create(counting, s2);
    const got = await o2.read(0, 3 * BS);
    expect(reads, 'nothing fetched again').to.equal(0);
    expect([...got.subarray(BS + 9, BS + 14)]).to.deep.equal([baseBytes[BS + 9], 1, 2, 3, baseBytes[BS + 13]]);
    expect(s2.state(1)).to.equal(BLOCK_WRITTEN);
    expect(s2.state(0)).to.equal(BLOCK_CACHED);
    await s2.close();
    await IdbBlockStore.deleteDatabase(name);
  });

  it('an aborted commit records nothing of its batch; earlier batches stay', async () => {
    const name = uniq('abort');
    let abortNext = false;
    const s = await IdbBlockStore.open(name, 4 * MiB, BS, {
      beforeCommit: (c) => { if (abortNext) c.abort(); },
    });
    for (let i = 0; i < 4; i++) await s.writeBlock(i, blockData(i, 1), BLOCK_WRITTEN);
    await s.flush();
    abortNext = true;
    for (let i = 2; i < 8; i++) await s.writeBlock(i, blockData(i, 2), BLOCK_WRITTEN);
    let err: Error | null = null;
    try { await s.flush(); } catch (e) { err = e as Error; }
    expect(err?.message ?? '').to.match(/writing 6 blocks, 0\.4 MiB failed/);
    // This session still sees what it wrote.
    expectBlock(await s.readBlock(5), 5, 2);
    await s.close().catch(() => {});
    const raw = await rawContents(name);
    expectConsistent(raw);
    expect([...raw.map.keys()].sort((x, y) => x - y)).to.deep.equal([0, 1, 2, 3]);
    expectBlock(raw.data.get(2)!, 2, 1);
    const again = await IdbBlockStore.open(name, 4 * MiB);
    expect(again.state(5)).to.equal(BLOCK_ABSENT);
    expectBlock(await again.readBlock(3), 3, 1);
    await again.close();
    await IdbBlockStore.deleteDatabase(name);
  });

  it('a document going away mid-commit leaves whole batches only, never a block without data', async () => {
    for (let round = 0; round < 3; round++) {
      const name = uniq('kill');
      const { frame, Store } = await openFrame();
      const s = await Store.open(name, 16 * MiB, BS, { commitBytes: 2 * MiB });
      await s.writeBlock(0, blockData(0, 1), BLOCK_WRITTEN);
      await s.flush();
      // 64 blocks = 4 MiB: two batches of 32 start committing while we write; then the
      // document is removed at once, with a transaction under way (or done, on a fast day).
      for (let i = 1; i <= 64; i++) void s.writeBlock(i, blockData(i, 1), BLOCK_WRITTEN);
      await new Promise((r) => setTimeout(r, round * 5));
      frame.remove();
      const raw = await rawContents(name);
      expectConsistent(raw);
      const present = [...raw.map.keys()].sort((x, y) => x - y);
      // A prefix of the writes, in whole batches: block 0, then blocks 1.. up to a batch end.
      expect(present[0]).to.equal(0);
      present.forEach((b, k) => expect(b).to.equal(k));
      expect([1, 33, 65], `blocks present: ${present.length}`).to.include(present.length);
      for (const i of present) expectBlock(raw.data.get(i)!, i, 1);
      await IdbBlockStore.deleteDatabase(name);
    }
  });

  it('a full quota is reported clearly, and the store keeps serving reads', async () => {
    const name = uniq('quota');
    let quota = false;
    const s = await IdbBlockStore.open(name, 8 * MiB, BS, {
      beforeCommit: () => { if (quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); },
    });
    await s.writeBlock(0, blockData(0, 1), BLOCK_WRITTEN);
    await s.flush();
    quota = true;
    for (let i = 1; i <= 16; i++) await s.writeBlock(i, blockData(i, 1), BLOCK_WRITTEN);
    let err: Error | null = null;
    try { await s.flush(); } catch (e) { err = e as Error; }
    expect(err?.message ?? '').to.match(/storage quota is exhausted/);
    expect(err?.message ?? '').to.match(/16 blocks, 1\.0 MiB/);
    // Writes keep failing with the same message; reads keep working.
    expect(() => s.writeBlock(20, blockData(20, 1), BLOCK_WRITTEN)).to.throw(/storage quota is exhausted/);
    expectBlock(await s.readBlock(0), 0, 1);
    expectBlock(await s.readBlock(7), 7, 1);
    // A reset clears the failure; the blocks it kept in memory are queued again.
    quota = false;
    await s.clear([BLOCK_CACHED]);
    await s.flush();
    await s.close();
    const raw = await rawContents(name);
    expectConsistent(raw);
    expect(raw.map.size).to.equal(17);
    await IdbBlockStore.deleteDatabase(name);
  });

  it('clear() and deleteDatabase() forget everything; another tab holding it open is reported', async () => {
    const name = uniq('reset');
    const s = await IdbBlockStore.open(name, 4 * MiB, BS);
    await s.writeBlock(1, blockData(1, 1), BLOCK_CACHED);
    await s.writeBlock(2, blockData(2, 1), BLOCK_WRITTEN);
    await s.setBaseIdentity('x');
    await s.flush();
    await s.clear([BLOCK_CACHED]);
    expect(s.state(1)).to.equal(BLOCK_ABSENT);
    expect(s.state(2)).to.equal(BLOCK_WRITTEN);
    expect([...(await rawContents(name)).data.keys()]).to.deep.equal([2]);
    await s.clear();
    const raw = await rawContents(name);
    expect(raw.map.size + raw.data.size).to.equal(0);

    await s.writeBlock(3, blockData(3, 1), BLOCK_WRITTEN);
    await s.flush();
    // Deleting while our own store is open closes it first.
    await IdbBlockStore.deleteDatabase(name);
    expect(await databaseExists(name)).to.equal(false);
    expect(() => s.writeBlock(3, blockData(3, 2), BLOCK_WRITTEN)).to.throw(/no longer usable/);
    const fresh = await IdbBlockStore.open(name, 4 * MiB, BS);
    expect(fresh.state(3)).to.equal(BLOCK_ABSENT);
    expect(fresh.baseIdentity).to.equal(null);
    await fresh.close();

    // Another tab (a connection that ignores versionchange) blocks the deletion.
    const other = await openDB(PREFIX + name, 1);
    let err: Error | null = null;
    try { await IdbBlockStore.deleteDatabase(name); } catch (e) { err = e as Error; }
    expect(err?.message ?? '').to.match(/another tab or window has it open/);
    other.close();
    while (await databaseExists(name)) await new Promise((r) => setTimeout(r, 20));
  });

  it('a persistent directory tree (ext2 on IndexedDB) keeps files across a reload', async () => {
    const name = uniq('dir');
    const mounted = async (win: FrameWin) => {
      const d = await win.openIdbDirFs!(name, { size: 64 * MiB });
      const v = new win.Vfs!();
      v.mount('/', new win.TmpFs!({ mode: 0o755 }));
      v.mount('/p', d.fs);
      return { d, v };
    };
    let { frame, win } = await openFrame();
    let { d, v } = await mounted(win);
    expect(d.warning).to.equal(null);
    const big = new Uint8Array(700 * KiB).map((_, k) => (k * 13) & 255);
    expect(await v.mkdir(null, -100, '/p/docs', 0o755)).to.equal(0);
    expect(await v.writeFile('/p/docs/a.txt', 'persisted')).to.equal(9);
    expect(await v.writeFile('/p/big', big)).to.equal(big.length);
    await d.close();
    frame.remove();

    ({ frame, win } = await openFrame());
    ({ d, v } = await mounted(win));
    expect(d.warning).to.equal(null);
    expect(await v.readFileText('/p/docs/a.txt')).to.equal('persisted');
    const back = await v.readFile('/p/big');
    expect(back.length).to.equal(big.length);
    expect(back.every((x, k) => x === big[k])).to.equal(true);
    // Only what was written is stored: a few MiB of a 64 MiB tree.
    const raw = await rawContents(name);
    expectConsistent(raw);
    expect(raw.data.size * BS).to.be.below(8 * MiB);
    // The tab closes without close(): the next visit still mounts, with a warning.
    await v.writeFile('/p/after', 'x');
    await d.fs.sync();
    frame.remove();
    ({ frame, win } = await openFrame());
    ({ d, v } = await mounted(win));
    expect(d.warning ?? '').to.match(/did not close/);
    expect(await v.readFileText('/p/after')).to.equal('x');
    await d.close();
    frame.remove();
    await IdbBlockStore.deleteDatabase(name);
  });

  it('atomic flushes: written blocks reach the database only together, at flush(); copies of the base at once', async () => {
    const name = uniq('atomic');
    const s = await IdbBlockStore.open(name, 4 * MiB, BS, { atomicFlush: true });
    s.writeBlock(1, blockData(1, 1), BLOCK_WRITTEN);
    s.writeBlock(2, blockData(2, 1), BLOCK_WRITTEN);
    s.writeBlock(7, blockData(7, 1), BLOCK_CACHED);
    expectBlock(await s.readBlock(1), 1, 1);
    await new Promise((r) => setTimeout(r, 100));
    let raw = await rawContents(name);
    expect([...raw.map.keys()]).to.deep.equal([7], 'only the cached copy is committed before flush()');
    await s.flush();
    raw = await rawContents(name);
    expect([...raw.map.entries()].sort()).to.deep.equal([[1, BLOCK_WRITTEN], [2, BLOCK_WRITTEN], [7, BLOCK_CACHED]]);
    expectBlock(raw.data.get(2)!, 2, 1);
    // Written, never flushed, store gone (a closed tab): the database keeps the last flush.
    s.writeBlock(2, blockData(2, 2), BLOCK_WRITTEN);
    s.writeBlock(3, blockData(3, 2), BLOCK_WRITTEN);
    await new Promise((r) => setTimeout(r, 100));
    raw = await rawContents(name);
    expectBlock(raw.data.get(2)!, 2, 1);
    expect(raw.map.has(3)).to.equal(false);
    await IdbBlockStore.deleteDatabase(name);
  });

  it('reopening with another size is a clear error', async () => {
    const name = uniq('size');
    const s = await IdbBlockStore.open(name, 4 * MiB, BS);
    await s.close();
    let err: Error | null = null;
    try { await IdbBlockStore.open(name, 8 * MiB, BS); } catch (e) { err = e as Error; }
    expect(err?.message ?? '').to.match(/was made for a 4194304-byte device, not 8388608 bytes/);
    // The failed open did not keep a connection: deletion is not blocked.
    await IdbBlockStore.deleteDatabase(name);
  });
});
