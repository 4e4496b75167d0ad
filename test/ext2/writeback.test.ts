/**
 * Write-back within a bounded delay (issue 11, defect 7): a writable ext2 mount tells its
 * host when something changed, and the host's WritebackTimer (the worker's policy: 100 ms
 * after the writes stop, 300 ms at most after the first, at once when a written file is
 * closed) writes it back. Judged on the device's bytes: a copy taken at the deadline is
 * mounted afresh and must show what was written, and e2fsck must find it consistent.
 * The image comes from the real mke2fs; the device is memory, recording when it was written.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import { WritebackTimer } from '../../src/engine/fs/writeback.js';
import { MemoryDevice } from '../../src/engine/block/memory.js';
import { checkRange } from '../../src/engine/block/types.js';
import { BLOCK_WRITTEN, MemoryBlockStore, OverlayDevice, type BlockState } from '../../src/engine/block/overlay.js';
import { Vfs } from '../../src/engine/fs/vfs.js';
import { File, O_CREAT, O_RDWR, unref } from '../../src/engine/fs/types.js';
import type { Task } from '../../src/engine/linux/task.js';
import { tmpRoot } from './fixture.js';
import { ctxOf } from '../../src/engine/linux/path-ctx.js';

const T = null as unknown as Task;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An empty 8 MiB ext2 image from mke2fs, as bytes. */
function emptyImage(): Uint8Array {
  const img = path.join(tmpRoot, `wb-${process.pid}-${Math.random().toString(36).slice(2)}.img`);
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', '1024', img, '8M'], { stdio: 'pipe' });
  const bytes = new Uint8Array(fs.readFileSync(img));
  fs.rmSync(img);
  return bytes;
}

/** Writable memory that counts its writes. */
class RecordingDevice extends MemoryDevice {
  writes = 0;
  constructor(private readonly mem: Uint8Array) { super(mem); }
  write(offset: number, data: Uint8Array): void {
    checkRange(this.size, offset, data.length);
    this.mem.set(data, offset);
    this.writes++;
  }
}

async function setup() {
  const bytes = emptyImage();
  const dev = new RecordingDevice(bytes);
  const e2 = await Ext2Fs.mount(dev, 0x801, { writable: true });
  assert.equal(e2.readOnly, false);
  let writeBacks = 0;
  const timer = new WritebackTimer(async () => { writeBacks++; await e2.writeBackChanges(); }, { quietMs: 100, maxMs: 300 });
  e2.onChange = (urgent) => timer.changed(urgent);
  const vfs = new Vfs();
  vfs.mount('/', e2);
  return { bytes, dev, e2, vfs, timer, get writeBacks() { return writeBacks; } };
}

/** What a fresh mount of the device's bytes right now says `p` holds (null: absent). */
async function onDisk(bytes: Uint8Array, p: string): Promise<string | null> {
  const copy = bytes.slice();
  const e2 = await Ext2Fs.mount(new MemoryDevice(copy), 0x802);
  const vfs = new Vfs();
  vfs.mount('/', e2);
  try { return new TextDecoder().decode(await vfs.readFile(p)); } catch { return null; }
}

/** e2fsck -fn on a copy of the bytes: status and output. */
function fsck(bytes: Uint8Array): { status: number; out: string } {
  const img = path.join(tmpRoot, `wb-check-${process.pid}-${Math.random().toString(36).slice(2)}.img`);
  fs.writeFileSync(img, bytes);
  const r = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8' });
  fs.rmSync(img);
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

describe('ext2 write-back within a bounded delay', () => {
  it('a file written and left open is on the device about 100 ms after the writes stop', async (t) => {
    const s = await setup();
    const f = (await s.vfs.open(ctxOf(T), -100, '/held', O_RDWR | O_CREAT, 0o644)) as File;
    assert.equal(await f.pwrite(T, new TextEncoder().encode('hello\n'), 0), 6);
    const wrote = Date.now();
    assert.equal(await onDisk(s.bytes, '/held'), null, 'not written back at once (it waits for the writes to stop)');
    while (s.e2.hasChanges && Date.now() - wrote < 2000) await sleep(5);
    const delay = Date.now() - wrote;
    t.diagnostic(`written back ${delay} ms after the last write`);
    assert.ok(delay <= 600, `written back after ${delay} ms (bound: 100 ms quiet, 300 ms at most)`);
    assert.equal(await onDisk(s.bytes, '/held'), 'hello\n');
    assert.equal(fsck(s.bytes).status, 0, fsck(s.bytes).out);
    f.refs = 1; unref(f);
    await s.timer.idle();
    s.timer.stop();
    await s.e2.unmount();
  });

  it('a steady writer is written back at least every 300 ms while it runs', async (t) => {
    const s = await setup();
    const f = (await s.vfs.open(ctxOf(T), -100, '/log', O_RDWR | O_CREAT, 0o644)) as File;
    const seen: number[] = [];
    const start = Date.now();
    let off = 0;
    let sizeOnDisk = 0;
    // A line every 20 ms for 1.5 s: never quiet for 100 ms, so only the 300 ms bound writes back.
    while (Date.now() - start < 1500) {
      off += (await f.pwrite(T, new TextEncoder().encode(`line ${off}\n`), off)) as number;
      await sleep(20);
      const n = (await onDisk(s.bytes, '/log'))?.length ?? 0;
      if (n > sizeOnDisk) { sizeOnDisk = n; seen.push(Date.now() - start); }
    }
    const gaps = seen.map((x, i) => x - (i ? seen[i - 1] : 0));
    t.diagnostic(`the file grew on the device at ${seen.join(', ')} ms (${s.writeBacks} write-backs)`);
    assert.ok(seen.length >= 3, `grew on the device ${seen.length} times in 1.5 s`);
    assert.ok(Math.max(...gaps) <= 700, `longest gap ${Math.max(...gaps)} ms`);
    f.refs = 1; unref(f);
    await s.timer.idle();
    s.timer.stop();
    await s.e2.unmount();
  });

  it('closing a written file writes it back at once', async (t) => {
    const s = await setup();
    const f = (await s.vfs.open(ctxOf(T), -100, '/closed', O_RDWR | O_CREAT, 0o644)) as File;
    assert.equal(await f.pwrite(T, new TextEncoder().encode('bye\n'), 0), 4);
    const closed = Date.now();
    f.refs = 1; unref(f);
    while (s.e2.hasChanges && Date.now() - closed < 2000) await sleep(1);
    const delay = Date.now() - closed;
    t.diagnostic(`written back ${delay} ms after the close`);
    assert.ok(delay < 60, `written back ${delay} ms after the close (quiet time is 100 ms)`);
    assert.equal(await onDisk(s.bytes, '/closed'), 'bye\n');
    await s.timer.idle();
    s.timer.stop();
    await s.e2.unmount();
    assert.equal(fsck(s.bytes).status, 0);
  });
});

/**
 * An atomic store whose flushes take the blocks written so far when called (as IdbBlockStore
 * and FileBlockStore do) and become durable only when the test says so.
 */
class GatedStore extends MemoryBlockStore {
  readonly atomicFlush = true;
  private held = new Set<number>();
  /** Per flush: the blocks it took. */
  readonly flushes: number[][] = [];
  gate: Promise<void> | null = null;
  writeBlock(i: number, data: Uint8Array, state: BlockState): void {
    super.writeBlock(i, data, state);
    if (state === BLOCK_WRITTEN) this.held.add(i);
  }
  flush(): Promise<void> {
    this.flushes.push([...this.held]);
    this.held.clear();
    return this.gate ?? Promise.resolve();
  }
}

describe('ext2 write-back on a device with atomic flushes', () => {
  it("waits for the flush to be durable without holding the file system: other programs' reads and writes go on", async () => {
    const bytes = emptyImage();
    const store = new GatedStore(bytes.length, 4096);
    const dev = await OverlayDevice.create(new MemoryDevice(bytes), store);
    const e2 = await Ext2Fs.mount(dev, 0x803, { writable: true });
    assert.equal(e2.readOnly, false);
    const vfs = new Vfs();
    vfs.mount('/', e2);
    const put = async (p: string, text: string) => {
      const f = (await vfs.open(ctxOf(T), -100, p, O_RDWR | O_CREAT, 0o644)) as File;
      await f.pwrite(T, new TextEncoder().encode(text), 0);
      f.refs = 1; unref(f);
    };
    await put('/a', 'first\n');
    let open!: () => void;
    store.gate = new Promise((r) => { open = r; });
    const before = store.flushes.length;
    let durable = false;
    const wb = e2.writeBackChanges().then(() => { durable = true; });
    // The write-back's flush is called (it took /a's blocks) and waits on the gate.
    while (store.flushes.length === before) await sleep(1);
    const took = store.flushes[store.flushes.length - 1].length;
    assert.ok(took > 0, 'the flush took the written blocks');
    const within = <T>(p: Promise<T>) => Promise.race([p, sleep(3000).then(() => { throw new Error('blocked behind the pending flush'); })]);
    assert.equal(new TextDecoder().decode(await within(vfs.readFile('/a'))), 'first\n');
    await within(put('/b', 'second\n'));
    assert.equal(durable, false, 'the flush is still pending');
    assert.equal(store.flushes[store.flushes.length - 1].length, took, 'writes made after the flush was called are not part of it');
    open();
    await wb;
    store.gate = null;
    await e2.unmount();
  });
});
