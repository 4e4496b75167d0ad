import { test } from 'node:test';
import assert from 'node:assert/strict';
import { takeRestart } from '../../src/engine/linux/sleep.js';
import { fixture, SCRATCH, putTs32, getTs32, delay, state } from './time-fixture.js';

const EINVAL = 22, EFAULT = 14, EPERM = 1, EINTR = 4, ERESTART_RESTARTBLOCK = 516;

test('clock_gettime CLOCK_REALTIME agrees with the host clock to a few ms', () => {
  const { sys, mem } = fixture();
  assert.equal(sys('clock_gettime', 0, SCRATCH), 0);
  const [sec, nsec] = getTs32(mem, SCRATCH);
  const ms = sec * 1000 + nsec / 1e6;
  assert.ok(Math.abs(ms - Date.now()) < 50, `${ms} vs ${Date.now()}`);
  assert.ok(nsec >= 0 && nsec < 1e9);
});

test('clock_gettime64 writes a 64-bit tv_sec and zero high half of tv_nsec', () => {
  const { sys, mem } = fixture();
  mem.u8.fill(0xff, SCRATCH, SCRATCH + 16);
  assert.equal(sys('clock_gettime64', 0, SCRATCH), 0);
  const sec = mem.dv.getBigInt64(SCRATCH, true);
  assert.ok(Math.abs(Number(sec) - Date.now() / 1000) < 2);
  assert.equal(mem.dv.getInt32(SCRATCH + 12, true), 0);
});

test('CLOCK_MONOTONIC never goes backwards and has sub-millisecond steps', () => {
  const { sys, mem } = fixture();
  let last = -1n;
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    sys('clock_gettime', 1, SCRATCH);
    const [s, n] = getTs32(mem, SCRATCH);
    const v = BigInt(s) * 1_000_000_000n + BigInt(n);
    assert.ok(v >= last);
    last = v;
    seen.add(n % 1_000_000);
  }
  assert.ok(seen.size > 1, 'nanoseconds below 1 ms should vary');
});

test('clock ids: invalid id is EINVAL, bad pointer EFAULT, coarse resolution is a jiffy', () => {
  const { sys, mem } = fixture();
  assert.equal(sys('clock_gettime', 99, SCRATCH), -EINVAL);
  assert.equal(sys('clock_gettime', 1, 0x10), -EFAULT);
  assert.equal(sys('clock_getres', 6, SCRATCH), 0);
  assert.deepEqual(getTs32(mem, SCRATCH), [0, 4_000_000]);
  assert.equal(sys('clock_getres', 1, SCRATCH), 0);
  assert.deepEqual(getTs32(mem, SCRATCH), [0, 1]);
  assert.equal(sys('clock_getres', 1, 0), 0);
  for (const id of [2, 3, 4, 5, 7]) assert.equal(sys('clock_gettime', id, SCRATCH), 0, `clock ${id}`);
});

test('clock_settime and settimeofday are refused with EPERM, bad values with EINVAL', () => {
  const { sys, mem } = fixture();
  putTs32(mem, SCRATCH, 1, 0);
  assert.equal(sys('clock_settime', 0, SCRATCH), -EPERM);
  putTs32(mem, SCRATCH, 1, 2_000_000_000);
  assert.equal(sys('clock_settime', 0, SCRATCH), -EINVAL);
  putTs32(mem, SCRATCH, 1, 0);
  assert.equal(sys('settimeofday', SCRATCH, 0), -EPERM);
});

test('gettimeofday and time agree with the host', () => {
  const { sys, mem } = fixture();
  // Bracketed by host readings rather than compared with one taken afterwards: on a loaded
  // two-CPU CI machine the test was held up more than 50 ms between the two. The engine
  // follows Date.now() to within 20 ms (time/realtime.ts).
  const before = Date.now();
  assert.equal(sys('gettimeofday', SCRATCH, SCRATCH + 8), 0);
  const after = Date.now();
  const [sec, usec] = getTs32(mem, SCRATCH);
  assert.ok(usec >= 0 && usec < 1e6);
  const ms = sec * 1000 + usec / 1000;
  assert.ok(ms >= before - 20 && ms <= after + 20, `gettimeofday ${ms} outside [${before}, ${after}]`);
  assert.deepEqual(getTs32(mem, SCRATCH + 8), [0, 0]);
  const b2 = Math.floor(Date.now() / 1000);
  const r = sys('time', SCRATCH + 16) as number;
  const a2 = Math.floor(Date.now() / 1000);
  assert.equal(mem.dv.getInt32(SCRATCH + 16, true), r);
  assert.ok(r >= b2 - 1 && r <= a2 + 1, `time ${r} outside [${b2}, ${a2}]`);
});

test('times fills struct tms and returns ticks since boot', async () => {
  const { sys, t, mem } = fixture();
  t.utimeMs = 250; t.stimeMs = 120;
  await delay(30);
  const r = sys('times', SCRATCH) as number;
  assert.ok(r >= 3 && r < 1000, `ticks ${r}`);
  assert.equal(mem.dv.getInt32(SCRATCH, true), 25);
  assert.equal(mem.dv.getInt32(SCRATCH + 4, true), 12);
});

test('nanosleep sleeps at least the requested time', async () => {
  const f = fixture();
  putTs32(f.mem, SCRATCH, 0, 30_000_000);
  const t0 = performance.now();
  assert.equal(await f.sys('nanosleep', SCRATCH, 0), 0);
  assert.ok(performance.now() - t0 >= 30);
});

test('nanosleep rejects tv_nsec out of range and negative seconds', () => {
  const { sys, mem } = fixture();
  putTs32(mem, SCRATCH, 0, 1_000_000_000);
  assert.equal(sys('nanosleep', SCRATCH, 0), -EINVAL);
  putTs32(mem, SCRATCH, -1, 0);
  assert.equal(sys('nanosleep', SCRATCH, 0), -EINVAL);
});

test('nanosleep interrupted by a signal writes the remaining time and leaves a restart block', async () => {
  const { sys, mem, t } = fixture();
  putTs32(mem, SCRATCH, 2, 0);
  const r = sys('nanosleep', SCRATCH, SCRATCH + 8);
  await delay(20);
  t.pending.push({ signo: 10, code: 0 });
  t.proc.sigactions.a[10].handler = 0x1234;
  t.interrupt.wake();
  assert.equal(await r, -ERESTART_RESTARTBLOCK);
  const [s, n] = getTs32(mem, SCRATCH + 8);
  const left = s + n / 1e9;
  assert.ok(left > 1.8 && left < 2, `remaining ${left}`);
  // Without a handler the signal code re-enters through restart_syscall, which sleeps
  // on to the original deadline, not for the full time again.
  t.pending.length = 0;
  putTs32(mem, SCRATCH, 0, 30_000_000);
  const t0 = performance.now();
  const again = sys('restart_syscall');
  assert.equal(await state(again), 'pending');
  t.pending.push({ signo: 10, code: 0 }); t.interrupt.wake();
  assert.equal(await again, -ERESTART_RESTARTBLOCK);
  assert.ok(performance.now() - t0 < 500);
  // A handler ran (the caller saw EINTR): the block is dropped, and restart_syscall alone is EINTR.
  takeRestart(t);
  assert.equal(await sys('restart_syscall'), -EINTR, 'no block left');
});

test('restart_syscall resumes a short nanosleep to its deadline', async () => {
  const { sys, mem, t } = fixture();
  putTs32(mem, SCRATCH, 0, 60_000_000);
  const t0 = performance.now();
  const r = sys('nanosleep', SCRATCH, 0);
  await delay(10);
  t.pending.push({ signo: 19, code: 0 }); t.interrupt.wake();
  assert.equal(await r, -ERESTART_RESTARTBLOCK);
  t.pending.length = 0;
  assert.equal(await sys('restart_syscall'), 0);
  const el = performance.now() - t0;
  assert.ok(el >= 60 && el < 400, `slept ${el} ms in all`);
});

test('a wake of the interrupt queue without a deliverable signal does not end nanosleep', async () => {
  const { sys, mem, t } = fixture();
  putTs32(mem, SCRATCH, 0, 40_000_000);
  const t0 = performance.now();
  const r = sys('nanosleep', SCRATCH, 0);
  await delay(5);
  t.interrupt.wake();
  assert.equal(await r, 0);
  assert.ok(performance.now() - t0 >= 40);
});

test('clock_nanosleep TIMER_ABSTIME waits until the absolute time and ignores rem', async () => {
  const { sys, mem } = fixture();
  const t0 = performance.now(); // before the clock is read, so a held-up test cannot shorten the bound
  sys('clock_gettime', 1, SCRATCH);
  const [s, n] = getTs32(mem, SCRATCH);
  let ns = n + 25_000_000, sec = s;
  if (ns >= 1e9) { ns -= 1e9; sec++; }
  putTs32(mem, SCRATCH, sec, ns);
  assert.equal(await sys('clock_nanosleep', 1, 1, SCRATCH, 0), 0);
  assert.ok(performance.now() - t0 >= 25);
  // A deadline in the past returns at once.
  putTs32(mem, SCRATCH, 0, 0);
  assert.equal(await sys('clock_nanosleep', 1, 1, SCRATCH, 0), 0);
  assert.equal(sys('clock_nanosleep', 3, 0, SCRATCH, 0), -EINVAL);
});
