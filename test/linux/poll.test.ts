import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, state, delay, SCRATCH, putTs32, getTs32 } from './time-fixture.js';
import { File, O_RDWR, POLLIN, POLLOUT, POLLHUP, POLLNVAL, POLLRDHUP, S_IFIFO, S_IFREG, type Stat } from '../../src/engine/fs/types.js';

const EBADF = 9, EINVAL = 22, EAGAIN = 11, EEXIST = 17, ENOENT = 2, EPERM = 1, EINTR = 4, ERESTARTNOHAND = 514;

/** A file whose readiness the test sets; every change wakes its queue as drivers do. */
class Knob extends File {
  mask = 0;
  constructor(private readonly type = S_IFIFO) { super(O_RDWR, 'knob'); }
  set(m: number): void { this.mask = m; this.waitq.wake(); }
  poll(): number { return this.mask; }
  stat(): Stat {
    const z = { sec: 0, nsec: 0 };
    return { dev: 1, ino: 1, mode: this.type | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: z, mtime: z, ctime: z };
  }
}

const PFD = SCRATCH, TS = SCRATCH + 0x800, EV = SCRATCH + 0x1000, SET = SCRATCH + 0x2000;
function pollfd(mem: DataView, i: number, fd: number, events: number): void {
  mem.setInt32(PFD + i * 8, fd, true); mem.setInt16(PFD + i * 8 + 4, events, true); mem.setInt16(PFD + i * 8 + 6, 0x7777, true);
}
const revents = (mem: DataView, i: number): number => mem.getUint16(PFD + i * 8 + 6, true);

test('poll reports ready files, POLLNVAL for closed fds, and ignores negative fds', async () => {
  const f = fixture();
  const a = new Knob(); a.mask = POLLOUT;
  const fd = f.p.files.alloc(a);
  pollfd(f.mem.dv, 0, fd, POLLIN | POLLOUT);
  pollfd(f.mem.dv, 1, 40, POLLIN);
  pollfd(f.mem.dv, 2, -1, POLLIN);
  assert.equal(await f.sys('poll', PFD, 3, 0), 2);
  assert.equal(revents(f.mem.dv, 0), POLLOUT);
  assert.equal(revents(f.mem.dv, 1), POLLNVAL);
  assert.equal(revents(f.mem.dv, 2), 0);
});

test('poll sleeps until readiness changes, and POLLHUP is reported even if not asked', async () => {
  const f = fixture();
  const a = new Knob();
  const fd = f.p.files.alloc(a);
  pollfd(f.mem.dv, 0, fd, POLLIN);
  const r = f.sys('poll', PFD, 1, -1);
  assert.equal(await state(r), 'pending');
  a.set(POLLOUT); // not asked for: still sleeping
  assert.equal(await state(r), 'pending');
  a.set(POLLHUP);
  assert.equal(await r, 1);
  assert.equal(revents(f.mem.dv, 0), POLLHUP);
});

test('poll times out with 0 and is interrupted with ERESTARTNOHAND', async () => {
  const f = fixture();
  const fd = f.p.files.alloc(new Knob());
  pollfd(f.mem.dv, 0, fd, POLLIN);
  const t0 = performance.now();
  assert.equal(await f.sys('poll', PFD, 1, 25), 0);
  assert.ok(performance.now() - t0 >= 25);
  const r = f.sys('poll', PFD, 1, -1);
  await delay(5);
  f.t.pending.push({ signo: 2, code: 0 }); f.t.interrupt.wake();
  assert.equal(await r, -ERESTARTNOHAND);
});

test('ppoll writes back the time left and installs the temporary mask', async () => {
  const f = fixture();
  const a = new Knob();
  const fd = f.p.files.alloc(a);
  pollfd(f.mem.dv, 0, fd, POLLIN);
  putTs32(f.mem, TS, 5, 0);
  f.mem.dv.setBigUint64(TS + 16, 1n << 9n, true); // block SIGUSR1 (10) during the call
  f.t.sigmask = 1n << 1n;
  const r = f.sys('ppoll', PFD, 1, TS, TS + 16, 8);
  assert.equal(f.t.sigmask, 1n << 9n);
  await delay(10);
  a.set(POLLIN);
  assert.equal(await r, 1);
  assert.equal(f.t.sigmask, 1n << 1n, 'old mask restored after a normal return');
  assert.equal(f.t.savedMask, null);
  const [s, n] = getTs32(f.mem, TS);
  assert.ok(s * 1e9 + n < 5e9 && s * 1e9 + n > 4.5e9);
  assert.equal(f.sys('ppoll', PFD, 1, TS, TS + 16, 4), -EINVAL);
});

test('ppoll interrupted leaves the saved mask for signal delivery to restore', async () => {
  const f = fixture();
  const fd = f.p.files.alloc(new Knob());
  pollfd(f.mem.dv, 0, fd, POLLIN);
  f.mem.dv.setBigUint64(TS + 16, 0n, true);
  f.t.sigmask = 1n << 9n; // SIGUSR1 blocked outside, unblocked inside
  f.t.pending.push({ signo: 10, code: 0 });
  const r = await f.sys('ppoll', PFD, 1, 0, TS + 16, 8);
  assert.equal(r, -ERESTARTNOHAND);
  assert.equal(f.t.sigmask, 0n);
  assert.equal(f.t.savedMask, 1n << 9n);
});

test('select: fd_set bits, EBADF for a closed fd, sets rewritten, timeval updated', async () => {
  const f = fixture();
  const a = new Knob(), b = new Knob();
  f.p.files.install(3, a); f.p.files.install(5, b);
  a.mask = POLLIN; b.mask = POLLOUT;
  const dv = f.mem.dv;
  const R = SET, W = SET + 128, X = SET + 256, TV = SET + 512;
  dv.setUint32(R, (1 << 3) | (1 << 5), true);
  dv.setUint32(W, (1 << 3) | (1 << 5), true);
  dv.setUint32(X, 1 << 5, true);
  putTs32(f.mem, TV, 1, 0);
  assert.equal(await f.sys('_newselect', 6, R, W, X, TV), 2);
  assert.equal(dv.getUint32(R, true), 1 << 3);
  assert.equal(dv.getUint32(W, true), 1 << 5);
  assert.equal(dv.getUint32(X, true), 0);
  const [s, us] = getTs32(f.mem, TV);
  assert.ok(s === 0 || (s === 1 && us === 0) ? s * 1e6 + us <= 1e6 : false);
  dv.setUint32(R, 1 << 4, true);
  assert.equal(await f.sys('_newselect', 6, R, 0, 0, 0), -EBADF);
  // The old i386 select takes a pointer to its five arguments.
  dv.setUint32(R, 1 << 3, true);
  const ARGS = SET + 600;
  [4, R, 0, 0, 0].forEach((v, i) => dv.setUint32(ARGS + i * 4, v, true));
  assert.equal(await f.sys('select', ARGS), 1);
  putTs32(f.mem, TV, -1, 0);
  assert.equal(await f.sys('_newselect', 6, R, 0, 0, TV), -EINVAL);
});

test('select with a timeout and nothing ready returns 0 with zeroed sets and zero time left', async () => {
  const f = fixture();
  f.p.files.install(3, new Knob());
  const dv = f.mem.dv;
  dv.setUint32(SET, 1 << 3, true);
  putTs32(f.mem, SET + 512, 0, 20_000);
  assert.equal(await f.sys('_newselect', 4, SET, 0, 0, SET + 512), 0);
  assert.equal(dv.getUint32(SET, true), 0);
  assert.deepEqual(getTs32(f.mem, SET + 512), [0, 0]);
});

// ---- epoll ----

function ctl(f: ReturnType<typeof fixture>, ep: number, op: number, fd: number, events: number, data: bigint): number | Promise<number> {
  f.mem.dv.setUint32(EV, events, true);
  f.mem.dv.setBigUint64(EV + 4, data, true);
  return f.sys('epoll_ctl', ep, op, fd, EV);
}
function events(f: ReturnType<typeof fixture>, n: number): [number, bigint][] {
  const out: [number, bigint][] = [];
  for (let i = 0; i < n; i++) out.push([f.mem.dv.getUint32(EV + 64 + i * 12, true), f.mem.dv.getBigUint64(EV + 68 + i * 12, true)]);
  return out;
}
const EPOLLET = 0x80000000 | 0, EPOLLONESHOT = 1 << 30;

test('epoll level-triggered: reported while ready, data returned as given', async () => {
  const f = fixture();
  const ep = f.sys('epoll_create1', 0) as number;
  const a = new Knob();
  const fd = f.p.files.alloc(a);
  assert.equal(await ctl(f, ep, 1, fd, POLLIN, 0x1122334455667788n), 0);
  assert.equal(await ctl(f, ep, 1, fd, POLLIN, 0n), -EEXIST);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 0);
  a.set(POLLIN | POLLOUT);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 1);
  assert.deepEqual(events(f, 1), [[POLLIN, 0x1122334455667788n]]);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 1, 'still ready: reported again');
});

test('epoll edge-triggered: one report per readiness change', async () => {
  const f = fixture();
  const ep = f.sys('epoll_create1', 0) as number;
  const a = new Knob();
  const fd = f.p.files.alloc(a);
  await ctl(f, ep, 1, fd, POLLIN | EPOLLET, 7n);
  const w = f.sys('epoll_wait', ep, EV + 64, 8, -1);
  assert.equal(await state(w), 'pending');
  a.set(POLLIN);
  assert.equal(await w, 1);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 0, 'no new edge');
  a.set(POLLIN); // more data arrived
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 1);
  assert.deepEqual(events(f, 1), [[POLLIN, 7n]]);
});

test('EPOLLONESHOT disables the entry until EPOLL_CTL_MOD', async () => {
  const f = fixture();
  const ep = f.sys('epoll_create1', 0) as number;
  const a = new Knob(); a.mask = POLLIN;
  const fd = f.p.files.alloc(a);
  await ctl(f, ep, 1, fd, POLLIN | EPOLLONESHOT, 1n);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 1);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 0);
  assert.equal(await ctl(f, ep, 3, fd, POLLIN | EPOLLONESHOT, 2n), 0);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 1);
  assert.deepEqual(events(f, 1), [[POLLIN, 2n]]);
});

test('EPOLLRDHUP is passed through; DEL, ENOENT, EPERM for regular files, EINVAL for maxevents', async () => {
  const f = fixture();
  const ep = f.sys('epoll_create', 1) as number;
  const a = new Knob(); a.mask = POLLIN | POLLRDHUP;
  const fd = f.p.files.alloc(a);
  await ctl(f, ep, 1, fd, POLLIN | POLLRDHUP, 0n);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 1);
  assert.equal(events(f, 1)[0][0], POLLIN | POLLRDHUP);
  assert.equal(await ctl(f, ep, 2, fd, 0, 0n), 0);
  assert.equal(await ctl(f, ep, 2, fd, 0, 0n), -ENOENT);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 8, 0), 0);
  const reg = f.p.files.alloc(new Knob(S_IFREG));
  assert.equal(await ctl(f, ep, 1, reg, POLLIN, 0n), -EPERM);
  assert.equal(await ctl(f, ep, 1, ep, POLLIN, 0n), -EINVAL);
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 0, 0), -EINVAL);
  assert.equal(await f.sys('epoll_wait', 77, EV + 64, 1, 0), -EBADF);
  assert.equal(f.sys('epoll_create', 0), -EINVAL);
});

test('epoll_wait is interrupted with EINTR and times out', async () => {
  const f = fixture();
  const ep = f.sys('epoll_create1', 0) as number;
  const t0 = performance.now();
  assert.equal(await f.sys('epoll_wait', ep, EV + 64, 4, 20), 0);
  assert.ok(performance.now() - t0 >= 20);
  const w = f.sys('epoll_wait', ep, EV + 64, 4, -1);
  await delay(5);
  f.t.pending.push({ signo: 10, code: 0 }); f.t.interrupt.wake();
  assert.equal(await w, -EINTR);
});

test('poll on an epoll fd sees its readiness (nesting)', async () => {
  const f = fixture();
  const ep = f.sys('epoll_create1', 0) as number;
  const a = new Knob();
  await ctl(f, ep, 1, f.p.files.alloc(a), POLLIN, 0n);
  pollfd(f.mem.dv, 0, ep, POLLIN);
  const r = f.sys('poll', PFD, 1, -1);
  assert.equal(await state(r), 'pending');
  a.set(POLLIN);
  assert.equal(await r, 1);
});

// ---- eventfd ----

test('eventfd counts, blocks at zero, and wakes a blocked reader', async () => {
  const f = fixture();
  const fd = f.sys('eventfd2', 3, 0) as number;
  const file = f.p.files.get(fd)!;
  const buf = new Uint8Array(8);
  assert.equal(await file.read(f.t, buf), 8);
  assert.equal(new DataView(buf.buffer).getBigUint64(0, true), 3n);
  const r = file.read(f.t, buf);
  assert.equal(await state(r), 'pending');
  const w = new Uint8Array(8); new DataView(w.buffer).setBigUint64(0, 5n, true);
  assert.equal(await file.write(f.t, w), 8);
  assert.equal(await r, 8);
  assert.equal(new DataView(buf.buffer).getBigUint64(0, true), 5n);
  assert.equal(await file.read(f.t, new Uint8Array(4)), -EINVAL);
});

test('eventfd semaphore mode hands out one at a time; nonblock gives EAGAIN', async () => {
  const f = fixture();
  const fd = f.sys('eventfd2', 2, 1 | 0o4000) as number;
  const file = f.p.files.get(fd)!;
  const buf = new Uint8Array(8), dv = new DataView(buf.buffer);
  assert.equal(await file.read(f.t, buf), 8); assert.equal(dv.getBigUint64(0, true), 1n);
  assert.equal(await file.read(f.t, buf), 8); assert.equal(dv.getBigUint64(0, true), 1n);
  assert.equal(await file.read(f.t, buf), -EAGAIN);
  assert.equal(file.poll() & POLLIN, 0);
});

test('eventfd write overflow rules: ULLONG_MAX is EINVAL, passing the max blocks or EAGAIN', async () => {
  const f = fixture();
  const fd = f.sys('eventfd2', 0, 0o4000) as number;
  const file = f.p.files.get(fd)!;
  const w = new Uint8Array(8), dv = new DataView(w.buffer);
  dv.setBigUint64(0, 0xffffffffffffffffn, true);
  assert.equal(await file.write(f.t, w), -EINVAL);
  dv.setBigUint64(0, 0xfffffffffffffffen, true);
  assert.equal(await file.write(f.t, w), 8);
  assert.equal(file.poll() & POLLOUT, 0);
  dv.setBigUint64(0, 1n, true);
  assert.equal(await file.write(f.t, w), -EAGAIN);
  assert.equal(f.sys('eventfd2', 0, 0x10), -EINVAL);
  assert.equal((await f.p.files.get(fd)!.stat()).mode, 0o600);
});

test('pselect6 takes {sigset*, size} and a timespec, and writes the time left', async () => {
  const f = fixture();
  const a = new Knob();
  f.p.files.install(3, a);
  const dv = f.mem.dv;
  const R = SET, TSP = SET + 512, SIG = SET + 544, MASK = SET + 560;
  dv.setUint32(R, 1 << 3, true);
  putTs32(f.mem, TSP, 2, 0);
  dv.setBigUint64(MASK, 1n << 13n, true);
  dv.setUint32(SIG, MASK, true); dv.setUint32(SIG + 4, 8, true);
  const r = f.sys('pselect6', 4, R, 0, 0, TSP, SIG);
  assert.equal(f.t.sigmask, 1n << 13n);
  await delay(10);
  a.set(POLLIN);
  assert.equal(await r, 1);
  assert.equal(f.t.sigmask, 0n);
  const [s, n] = getTs32(f.mem, TSP);
  assert.ok(s * 1e9 + n < 2e9 && s * 1e9 + n > 1.5e9);
  dv.setUint32(SIG + 4, 16, true);
  assert.equal(await f.sys('pselect6', 4, R, 0, 0, TSP, SIG), -EINVAL);
});
