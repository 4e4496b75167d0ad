import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, SCRATCH } from './time-fixture.js';
import { MEM_TOTAL_BYTES } from '../../src/engine/linux/meminfo.js';

const EINVAL = 22, ESRCH = 3, EPERM = 1, EACCES = 13;

test('sched_yield lets a timer callback run before it returns', async () => {
  const { sys } = fixture();
  let ran = false;
  setImmediate(() => { ran = true; });
  const r = sys('sched_yield');
  assert.ok(r instanceof Promise);
  assert.equal(await r, 0);
  assert.ok(ran);
});

test('sched_getaffinity reports one CPU and the size written', () => {
  const { sys, mem } = fixture();
  mem.u8.fill(0xff, SCRATCH, SCRATCH + 128);
  assert.equal(sys('sched_getaffinity', 0, 128, SCRATCH), 4);
  assert.equal(mem.dv.getUint32(SCRATCH, true), 1);
  assert.equal(sys('sched_getaffinity', 0, 3, SCRATCH), -EINVAL);
  assert.equal(sys('sched_getaffinity', 424242, 128, SCRATCH), -ESRCH);
  mem.dv.setUint32(SCRATCH, 2, true);
  assert.equal(sys('sched_setaffinity', 0, 4, SCRATCH), -EINVAL);
  mem.dv.setUint32(SCRATCH, 3, true);
  assert.equal(sys('sched_setaffinity', 0, 4, SCRATCH), 0);
});

test('scheduler policy and priority ranges follow Linux', () => {
  const { sys, mem, p } = fixture();
  assert.equal(sys('sched_getscheduler', 0), 0);
  assert.equal(sys('sched_get_priority_max', 1), 99);
  assert.equal(sys('sched_get_priority_min', 2), 1);
  assert.equal(sys('sched_get_priority_max', 0), 0);
  assert.equal(sys('sched_get_priority_max', 9), -EINVAL);
  mem.dv.setInt32(SCRATCH, 50, true);
  assert.equal(sys('sched_setscheduler', 0, 0, SCRATCH), -EINVAL, 'SCHED_OTHER needs priority 0');
  assert.equal(sys('sched_setscheduler', 0, 1, SCRATCH), 0);
  assert.equal(sys('sched_getscheduler', 0), 1);
  assert.equal(sys('sched_getparam', 0, SCRATCH + 8), 0);
  assert.equal(mem.dv.getInt32(SCRATCH + 8, true), 50);
  p.creds.euid = 1000;
  assert.equal(sys('sched_setscheduler', 0, 2, SCRATCH), -EPERM);
});

test('getpriority returns 20 - nice; raising priority needs root', () => {
  const { sys, p } = fixture();
  assert.equal(sys('getpriority', 0, 0), 20);
  assert.equal(sys('setpriority', 0, 0, 5), 0);
  assert.equal(sys('getpriority', 0, 0), 15);
  assert.equal(sys('nice', 3), 0);
  assert.equal(sys('getpriority', 0, 0), 12);
  assert.equal(sys('nice', 100), 0);
  assert.equal(sys('getpriority', 0, 0), 1, 'nice clamps at 19');
  p.creds.euid = 1000; p.creds.uid = 1000;
  assert.equal(sys('setpriority', 0, 0, 0), -EACCES);
  assert.equal(sys('nice', -1), -EPERM);
  assert.equal(sys('getpriority', 9, 0), -EINVAL);
  assert.equal(sys('getpriority', 0, 424242), -ESRCH);
});

test('getrusage reports task CPU time in timevals', () => {
  const { sys, mem, t } = fixture();
  t.utimeMs = 1500; t.stimeMs = 20;
  assert.equal(sys('getrusage', 0, SCRATCH), 0);
  assert.deepEqual([mem.dv.getInt32(SCRATCH, true), mem.dv.getInt32(SCRATCH + 4, true)], [1, 500_000]);
  assert.deepEqual([mem.dv.getInt32(SCRATCH + 8, true), mem.dv.getInt32(SCRATCH + 12, true)], [0, 20_000]);
  assert.ok(mem.dv.getInt32(SCRATCH + 16, true) > 0, 'ru_maxrss');
  assert.equal(sys('getrusage', 5, SCRATCH), -EINVAL);
});

test('sysinfo: uptime, 2 GiB of RAM in bytes, free below total, procs', () => {
  const { sys, mem } = fixture();
  assert.equal(sys('sysinfo', SCRATCH), 0);
  assert.equal(mem.dv.getUint32(SCRATCH + 16, true), MEM_TOTAL_BYTES);
  const free = mem.dv.getUint32(SCRATCH + 20, true);
  assert.ok(free > 0 && free < MEM_TOTAL_BYTES);
  assert.equal(mem.dv.getUint16(SCRATCH + 40, true), 1);
  assert.equal(mem.dv.getUint32(SCRATCH + 52, true), 1);
  assert.equal(sys('getcpu', SCRATCH, SCRATCH + 4, 0), 0);
  assert.equal(mem.dv.getUint32(SCRATCH, true), 0);
});
