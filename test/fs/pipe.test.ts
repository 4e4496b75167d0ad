/** Pipe and FIFO behaviour from pipe(7) and fifo(7). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPipe, PIPE_BUF } from '../../src/engine/fs/pipe.js';
import { WaitQueue } from '../../src/engine/wait/queue.js';
import { AddressSpace, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../src/engine/mem/address-space.js';
import { Vfs, AT_FDCWD } from '../../src/engine/fs/vfs.js';
import { TmpFs } from '../../src/engine/fs/tmpfs.js';
import { O_NONBLOCK, O_RDONLY, O_WRONLY, POLLHUP, POLLIN, POLLOUT, POLLERR, type Caller, type File } from '../../src/engine/fs/types.js';
import { EAGAIN, EPIPE, ENXIO, ERESTARTSYS } from '../../src/engine/abi/errno.js';

/** Guest scratch memory (guest mappings start at MMAP_MIN_ADDR, 0x200000). */
const ARG = 0x200000;

/** A caller of file operations (fs/types.ts Caller) without a kernel: pipes need no more. */
function fakeCaller(): Caller & { signals: number[] } {
  const signals: number[] = [];
  const mem = new AddressSpace(1 << 22);
  mem.map(ARG, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  return {
    signals, pid: 42, tid: 42, mem,
    creds: { uid: 0, euid: 0, fsuid: 0, gid: 0, egid: 0, fsgid: 0, groups: [] },
    interrupt: new WaitQueue(),
    raise: (signo) => { signals.push(signo); },
    limitFileWrite: (_pos, len) => len,
  };
}
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const close = (f: File) => f.release();

test('data written to a pipe is read in order', async () => {
  const t = fakeCaller();
  const [r, w] = createPipe();
  assert.equal(await w.write(t, enc('hello ')), 6);
  assert.equal(await w.write(t, enc('world')), 5);
  const buf = new Uint8Array(8);
  assert.equal(await r.read(t, buf), 8);
  assert.equal(dec(buf), 'hello wo');
  assert.equal(await r.read(t, buf), 3);
  assert.equal(dec(buf.subarray(0, 3)), 'rld');
});

test('a read with no writers left returns 0 (EOF) after the data', async () => {
  const t = fakeCaller();
  const [r, w] = createPipe();
  await w.write(t, enc('x'));
  close(w);
  const buf = new Uint8Array(4);
  assert.equal(await r.read(t, buf), 1);
  assert.equal(await r.read(t, buf), 0);
  assert.ok(r.poll() & POLLHUP);
});

test('a write with no readers raises SIGPIPE and fails with EPIPE', async () => {
  const t = fakeCaller();
  const [r, w] = createPipe();
  close(r);
  assert.equal(await w.write(t, enc('x')), -EPIPE);
  assert.equal(t.signals.length, 1);
  assert.equal(t.signals[0], 13);
  assert.ok(w.poll() & POLLERR);
});

test('an empty non-blocking pipe gives EAGAIN; a blocking read waits for a writer', async () => {
  const t = fakeCaller();
  const [r, w] = createPipe(O_NONBLOCK);
  assert.equal(await r.read(t, new Uint8Array(4)), -EAGAIN);
  r.flags &= ~O_NONBLOCK;
  const pending = r.read(t, new Uint8Array(4));
  assert.ok(pending instanceof Promise);
  await w.write(t, enc('hi'));
  assert.equal(await pending, 2);
});

test('a blocked read is interrupted by a signal with ERESTARTSYS', async () => {
  const t = fakeCaller();
  const [r] = createPipe();
  const pending = r.read(t, new Uint8Array(4));
  t.interrupt.wake();
  assert.equal(await pending, -ERESTARTSYS);
});

test('the pipe holds 64 KiB; small writes are atomic, a full pipe blocks a writer', async () => {
  const t = fakeCaller();
  const [r, w] = createPipe(O_NONBLOCK);
  assert.equal(await w.write(t, new Uint8Array(65536 - 100)), 65536 - 100);
  assert.ok(!(w.poll() & POLLOUT));
  // 200 bytes <= PIPE_BUF do not fit in the 100 left: nothing is written.
  assert.equal(await w.write(t, new Uint8Array(200)), -EAGAIN);
  // A large write takes what fits.
  assert.equal(await w.write(t, new Uint8Array(PIPE_BUF + 1)), 100);
  w.flags &= ~O_NONBLOCK;
  const pending = w.write(t, new Uint8Array(10));
  assert.ok(pending instanceof Promise);
  await r.read(t, new Uint8Array(4096));
  assert.equal(await pending, 10);
  assert.ok(r.poll() & POLLIN);
});

test('FIONREAD reports the bytes queued', async () => {
  const t = fakeCaller();
  const [r, w] = createPipe();
  await w.write(t, enc('12345'));
  assert.equal(r.ioctl(t, 0x541b, ARG), 0);
  assert.equal(t.mem.dv.getUint32(ARG, true), 5);
  assert.equal(r.ioctl(t, 0x541b, 0x3000), -14 /* EFAULT: unmapped */);
});

test('a FIFO opened write-only non-blocking with no reader fails with ENXIO; open pairs connect', async () => {
  const v = new Vfs();
  v.mount('/', new TmpFs());
  const t = fakeCaller();
  assert.equal(await v.mknod(null, AT_FDCWD, '/fifo', 0o10644, 0), 0);
  assert.equal(await v.open(null, AT_FDCWD, '/fifo', O_WRONLY | O_NONBLOCK), -ENXIO);
  const rp = v.open(null, AT_FDCWD, '/fifo', O_RDONLY); // blocks until a writer opens
  const w = await v.open(null, AT_FDCWD, '/fifo', O_WRONLY);
  const r = await rp;
  assert.ok(typeof r !== 'number' && typeof w !== 'number');
  await w.write(t, enc('through fifo'));
  const buf = new Uint8Array(32);
  const n = await r.read(t, buf);
  assert.equal(dec(buf.subarray(0, n as number)), 'through fifo');
  const st = await r.stat();
  assert.equal(st.mode & 0o170000, 0o010000);
});
