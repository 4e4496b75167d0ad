/**
 * Persistent directory trees (IDBDevice as "dir") on the store-agnostic path: ext2 over an
 * overlay of a zero device, with a MemoryBlockStore standing in for IndexedDB (the browser
 * test covers IdbBlockStore itself). The bytes are judged by e2fsck (e2fsprogs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBlockStore, BLOCK_ABSENT, BLOCK_WRITTEN, type BlockState } from '../../src/engine/block/overlay.js';
import { ZeroDevice } from '../../src/engine/block/zero.js';
import { openStoreDirFs, formatExt2 } from '../../src/engine/fs/persistent.js';
import { Vfs, AT_FDCWD } from '../../src/engine/fs/vfs.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import type { FileSystem } from '../../src/engine/fs/types.js';

const MiB = 1 << 20;

function vfsWith(fs: FileSystem): Vfs {
  const v = new Vfs();
  v.mount('/', new TmpFs({ mode: 0o755 }));
  v.mount('/p', fs);
  return v;
}

function stored(store: MemoryBlockStore): number {
  let n = 0;
  for (let i = 0; i < Math.ceil(store.size / store.blockSize); i++) if (store.state(i) !== BLOCK_ABSENT) n++;
  return n;
}

/** The store's bytes as a sparse image file, checked by `e2fsck -fn`. Returns false when e2fsck is missing. */
function fsck(store: MemoryBlockStore, t: { skip(m: string): void }): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'wx86-pdir-'));
  const img = join(dir, 'p.img');
  try {
    const fd = openSync(img, 'w');
    ftruncateSync(fd, store.size);
    for (let i = 0; i < Math.ceil(store.size / store.blockSize); i++) {
      if (store.state(i) !== BLOCK_ABSENT) writeSync(fd, store.readBlock(i), 0, undefined, i * store.blockSize);
    }
    closeSync(fd);
    const r = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8' });
    if (r.error) { t.skip('e2fsck (e2fsprogs) not installed'); return false; }
    assert.equal(r.status, 0, `e2fsck -fn found problems:\n${r.stdout}${r.stderr}`);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 12)) & 255);

test('a fresh 1 GiB tree is formatted sparsely; files written survive a remount; e2fsck is clean', async (t) => {
  const store = new MemoryBlockStore(1 << 30, 64 * 1024);
  const a = await openStoreDirFs(store);
  assert.equal(a.warning, null);
  assert.equal(a.fs.readOnly, false);
  const formatted = stored(store);
  assert.ok(formatted * store.blockSize < 4 * MiB, `formatting stored ${formatted} blocks`);
  const v = vfsWith(a.fs);
  assert.equal(await v.mkdir(null, AT_FDCWD, '/p/docs', 0o755), 0);
  assert.equal(await v.writeFile('/p/docs/note.txt', 'kept across reloads\n'), 20);
  assert.equal(await v.writeFile('/p/big.bin', pattern(3 * MiB + 123)), 3 * MiB + 123);
  assert.equal(await v.symlink(null, 'docs/note.txt', AT_FDCWD, '/p/link'), 0);
  await a.close();
  assert.ok(stored(store) * store.blockSize < 12 * MiB, 'only written blocks are stored');
  if (!fsck(store, t)) return;

  const b = await openStoreDirFs(store);
  assert.equal(b.warning, null, 'closed cleanly last time');
  const w = vfsWith(b.fs);
  assert.equal(await w.readFileText('/p/docs/note.txt'), 'kept across reloads\n');
  assert.deepEqual(await w.readFile('/p/big.bin'), pattern(3 * MiB + 123));
  assert.equal(await w.readFileText('/p/link'), 'kept across reloads\n');
  const st = await w.stat(null, AT_FDCWD, '/p');
  assert.ok(typeof st !== 'number');
  assert.equal(st.mode & 0o7777, 0o1777, 'the root lets any user add files');
  assert.equal(await w.unlink(null, AT_FDCWD, '/p/big.bin'), 0);
  await b.close();
  fsck(store, t);
});

test('a tree not closed (tab closed after a sync) mounts with a warning, or read-only when asked', async () => {
  const store = new MemoryBlockStore(64 * MiB, 64 * 1024);
  const a = await openStoreDirFs(store);
  const v = vfsWith(a.fs);
  await v.writeFile('/p/f', 'synced');
  await a.fs.sync();
  // No close(): the session ends here.
  const ro = await openStoreDirFs(store, { unclean: 'readonly' });
  assert.equal(ro.fs.readOnly, true);
  assert.match(ro.warning ?? '', /did not close/);
  const b = await openStoreDirFs(store);
  assert.equal(b.fs.readOnly, false);
  assert.match(b.warning ?? '', /did not close/);
  assert.equal(await vfsWith(b.fs).readFileText('/p/f'), 'synced');
  await b.close();
  const c = await openStoreDirFs(store);
  assert.equal(c.warning, null);
  await c.close();
});

test('an interrupted format leaves no superblock, and the next open formats again', async (t) => {
  const store = new MemoryBlockStore(64 * MiB, 64 * 1024);
  // A store that stops accepting writes part-way, like a tab closed during the format.
  let budget = 3;
  const failing = Object.create(store) as MemoryBlockStore;
  failing.writeBlock = (i: number, data: Uint8Array, state: BlockState) => {
    if (budget-- <= 0) throw new Error('tab closed');
    store.writeBlock(i, data, state);
  };
  await assert.rejects(openStoreDirFs(failing), /tab closed/);
  assert.ok(stored(store) > 0, 'part of the format was written');
  const sb = store.state(0) === BLOCK_WRITTEN ? store.readBlock(0).subarray(1024 + 56, 1024 + 58) : new Uint8Array(2);
  assert.notDeepEqual([...sb], [0x53, 0xef], 'no ext2 magic yet');
  const d = await openStoreDirFs(store);
  assert.equal(d.fs.readOnly, false);
  await vfsWith(d.fs).writeFile('/p/x', 'x');
  await d.close();
  fsck(store, t);
});

test('formatExt2 writes the primary superblock last', async () => {
  const dev = new ZeroDevice(8 * MiB);
  const order: number[] = [];
  const sink = { size: dev.size, read: dev.read.bind(dev), write(o: number) { order.push(o); }, flush() { order.push(-1); } };
  await formatExt2(sink);
  const sbAt = order.indexOf(1024);
  assert.ok(sbAt > 0, 'the superblock is written');
  assert.equal(order[sbAt - 1], -1, 'after a flush of everything else');
  assert.equal(order.slice(sbAt + 1).filter((o) => o !== -1).length, 0, 'and nothing after it');
});
