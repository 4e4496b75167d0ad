import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, state, delay, until, SCRATCH, putTs32, getTs32 } from './time-fixture.js';
import { cancelProcessTimers, timersOnExec, cloneTimersOnFork, procTimers } from '../../src/engine/linux/timers.js';
import { assertSameAsNative } from '../support/same-as-native.js';

const EINVAL = 22, EAGAIN = 11;
const IT = SCRATCH, OLD = SCRATCH + 32, SEV = SCRATCH + 64, ID = SCRATCH + 128, SPEC = SCRATCH + 160;

function itimerval(dv: DataView, a: number, isec: number, iusec: number, vsec: number, vusec: number): void {
  dv.setInt32(a, isec, true); dv.setInt32(a + 4, iusec, true); dv.setInt32(a + 8, vsec, true); dv.setInt32(a + 12, vusec, true);
}

test('ITIMER_REAL sends SIGALRM with si_code SI_KERNEL, periodically', async (t) => {
  const f = fixture();
  t.after(() => cancelProcessTimers(f.p));
  itimerval(f.mem.dv, IT, 0, 20_000, 0, 20_000);
  const t0 = performance.now(); // before setitimer: the bound holds however long the call takes
  assert.equal(f.sys('setitimer', 0, IT, 0), 0);
  await until(() => f.sent.length >= 2);
  assert.ok(performance.now() - t0 >= 40, 'two 20 ms periods');
  assert.deepEqual(f.sent[0], { to: 'process', info: { signo: 14, code: 0x80 } });
  assert.equal(f.sys('getitimer', 0, OLD), 0);
  const [isec, iusec] = getTs32(f.mem, OLD);
  assert.deepEqual([isec, iusec], [0, 20_000]);
  const vusec = f.mem.dv.getInt32(OLD + 12, true);
  assert.ok(vusec > 0 && vusec <= 20_000);
  itimerval(f.mem.dv, IT, 0, 0, 0, 0);
  assert.equal(f.sys('setitimer', 0, IT, OLD), 0);
  const n = f.sent.length;
  await delay(40);
  assert.equal(f.sent.length, n, 'disarmed');
});

test('setitimer validates which and tv_usec', () => {
  const f = fixture();
  itimerval(f.mem.dv, IT, 0, 1_000_000, 0, 0);
  assert.equal(f.sys('setitimer', 0, IT, 0), -EINVAL);
  assert.equal(f.sys('setitimer', 3, IT, 0), -EINVAL);
  assert.equal(f.sys('getitimer', 5, IT), -EINVAL);
});

test('alarm returns the seconds left of the previous alarm, rounded', async () => {
  const f = fixture();
  assert.equal(f.sys('alarm', 10), 0);
  assert.equal(f.sys('alarm', 3), 10);
  assert.equal(f.sys('alarm', 0), 3);
  assert.equal(f.sys('alarm', 0), 0);
  // Shares ITIMER_REAL with setitimer.
  itimerval(f.mem.dv, IT, 0, 0, 0, 300_000);
  f.sys('setitimer', 0, IT, 0);
  assert.equal(f.sys('alarm', 0), 1, 'less than a second left still reads as 1');
  assert.equal(f.sent.length, 0);
});

test('alarm fires SIGALRM once', async () => {
  const f = fixture();
  itimerval(f.mem.dv, IT, 0, 0, 0, 10_000);
  f.sys('setitimer', 0, IT, 0);
  await until(() => f.sent.length >= 1);
  await delay(30);
  assert.equal(f.sent.length, 1, 'fires once');
  assert.equal(f.sys('alarm', 0), 0);
});

test('timers are cancelled at exit and not inherited by a fork child', async () => {
  const f = fixture();
  itimerval(f.mem.dv, IT, 0, 10_000, 0, 10_000);
  f.sys('setitimer', 0, IT, 0);
  // A child whose timers record was copied from the parent must still start clean.
  const child = fixture();
  child.p.timers = { ...f.p.timers };
  cloneTimersOnFork(f.p, child.p);
  assert.equal(child.sys('getitimer', 0, OLD), 0);
  assert.deepEqual(getTs32(child.mem, OLD + 8), [0, 0]);
  assert.ok(f.k.sched.exitHooks.length >= 1, 'exit hook installed');
  for (const h of f.k.sched.exitHooks) h(f.p);
  const n = f.sent.length;
  await delay(40);
  assert.equal(f.sent.length, n);
});

test('timer_create with SIGEV_SIGNAL delivers SI_TIMER with sigev_value; delete stops it', async (t) => {
  const f = fixture();
  t.after(() => cancelProcessTimers(f.p));
  const dv = f.mem.dv;
  dv.setInt32(SEV, 0x5555, true); dv.setInt32(SEV + 4, 34, true); dv.setInt32(SEV + 8, 0, true);
  assert.equal(f.sys('timer_create', 1, SEV, ID), 0);
  const id = dv.getInt32(ID, true);
  assert.equal(id, 0);
  putTs32(f.mem, SPEC, 0, 0); putTs32(f.mem, SPEC + 8, 0, 15_000_000);
  assert.equal(f.sys('timer_settime', id, 0, SPEC, 0), 0);
  await until(() => f.sent.length >= 1);
  await delay(20);
  assert.deepEqual(f.sent, [{ to: 'process', info: { signo: 34, code: -2, value: 0x5555 } }]);
  assert.equal(f.sys('timer_gettime', id, SPEC), 0);
  assert.deepEqual(getTs32(f.mem, SPEC + 8), [0, 0]);
  assert.equal(f.sys('timer_delete', id), 0);
  assert.equal(f.sys('timer_delete', id), -EINVAL);
  assert.equal(f.sys('timer_settime', 9, 0, SPEC, 0), -EINVAL);
});

test('a periodic POSIX timer counts overruns while its signal is pending', async (t) => {
  const f = fixture();
  t.after(() => cancelProcessTimers(f.p));
  assert.equal(f.sys('timer_create', 1, 0, ID), 0);
  const id = f.mem.dv.getInt32(ID, true);
  putTs32(f.mem, SPEC, 0, 10_000_000); putTs32(f.mem, SPEC + 8, 0, 10_000_000);
  f.sys('timer_settime', id, 0, SPEC, 0);
  await until(() => f.sent.length >= 1);
  await delay(40);
  // Default sigevent: SIGALRM with the id as value; only one signal while it stays pending.
  assert.equal(f.sent.length, 1);
  assert.deepEqual(f.sent[0].info, { signo: 14, code: -2, value: id });
  f.p.pending.length = 0; // "delivered"
  await until(() => f.sent.length >= 2);
  assert.ok((f.sys('timer_getoverrun', id) as number) >= 1);
});

test('SIGEV_THREAD_ID targets one thread; bad sigevents are EINVAL; exec deletes POSIX timers', async (t) => {
  const f = fixture();
  t.after(() => cancelProcessTimers(f.p));
  const th = f.thread();
  const dv = f.mem.dv;
  dv.setInt32(SEV, 1, true); dv.setInt32(SEV + 4, 10, true); dv.setInt32(SEV + 8, 4, true); dv.setInt32(SEV + 12, th.tid, true);
  assert.equal(f.sys('timer_create', 0, SEV, ID), 0);
  const id = dv.getInt32(ID, true);
  putTs32(f.mem, SPEC, 0, 0); putTs32(f.mem, SPEC + 8, 0, 5_000_000);
  f.sys('timer_settime', id, 0, SPEC, 0);
  await until(() => f.sent.length >= 1);
  assert.equal(f.sent.length, 1);
  assert.equal(f.sent[0].to, 'task');
  assert.ok(th.pending.length === 1);
  dv.setInt32(SEV + 12, 99999, true);
  assert.equal(f.sys('timer_create', 0, SEV, ID), -EINVAL);
  dv.setInt32(SEV + 8, 0, true); dv.setInt32(SEV + 4, 65, true);
  assert.equal(f.sys('timer_create', 0, SEV, ID), -EINVAL);
  assert.equal(f.sys('timer_create', 42, 0, ID), -EINVAL);
  timersOnExec(f.p);
  assert.equal(procTimers(f.p).posix.size, 0);
});

test('timerfd: read returns the expiration count and blocks until the first one', async () => {
  const f = fixture();
  const fd = f.sys('timerfd_create', 1, 0) as number;
  assert.ok(fd >= 0);
  const file = f.p.files.get(fd)!;
  putTs32(f.mem, SPEC, 0, 10_000_000); putTs32(f.mem, SPEC + 8, 0, 20_000_000);
  const t0 = performance.now(); // before settime, so a held-up test cannot shorten the bound
  assert.equal(f.sys('timerfd_settime', fd, 0, SPEC, 0), 0);
  assert.equal(file.poll(), 0);
  const buf = new Uint8Array(8), bv = new DataView(buf.buffer);
  assert.equal(await file.read(f.t, buf), 8);
  assert.ok(performance.now() - t0 >= 20);
  assert.ok(bv.getBigUint64(0, true) >= 1n); // more if the read ran late (loaded machine)
  await delay(45);
  await until(() => (file.poll() & 1) === 1);
  assert.equal(await file.read(f.t, buf), 8);
  assert.ok(bv.getBigUint64(0, true) >= 2n, `${bv.getBigUint64(0, true)} ticks`);
  assert.equal(f.sys('timerfd_gettime', fd, SPEC), 0);
  assert.deepEqual(getTs32(f.mem, SPEC), [0, 10_000_000]);
  f.p.files.close(fd);
});

test('timerfd: nonblocking read is EAGAIN, absolute time in the past fires at once, bad args EINVAL', async () => {
  const f = fixture();
  const fd = f.sys('timerfd_create', 0, 0o4000) as number;
  const file = f.p.files.get(fd)!;
  assert.equal(await file.read(f.t, new Uint8Array(8)), -EAGAIN);
  putTs32(f.mem, SPEC, 0, 0); putTs32(f.mem, SPEC + 8, 1, 0);
  assert.equal(f.sys('timerfd_settime', fd, 1, SPEC, 0), 0);
  await until(() => (file.poll() & 1) === 1);
  assert.equal(await file.read(f.t, new Uint8Array(8)), 8);
  assert.equal(f.sys('timerfd_create', 4, 0), -EINVAL);
  assert.equal(f.sys('timerfd_settime', fd, 4, SPEC, 0), -EINVAL);
  assert.equal(f.sys('timerfd_settime', 50, 0, SPEC, 0), -9);
  f.p.files.close(fd);
});

test('timerfd read is interrupted by a signal', async () => {
  const f = fixture();
  const fd = f.sys('timerfd_create', 1, 0) as number;
  const r = f.p.files.get(fd)!.read(f.t, new Uint8Array(8));
  assert.equal(await state(r), 'pending');
  f.t.pending.push({ signo: 10, code: 0 }); f.t.interrupt.wake();
  assert.equal(await r, -512);
});

test('thread-timers.c: SIGEV_THREAD_ID timers, alarm and ITIMER_REAL reach the thread Linux picks', () =>
  assertSameAsNative(new URL('./c/thread-timers.c', import.meta.url).pathname, { gcc: ['-pthread'], nativeStatus: 0 }));
