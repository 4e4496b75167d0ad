/**
 * One clock: file times (tmpfs.ts nowTimespec, used by tmpfs, ext2, pipes, sockets,
 * hostfs) and gettimeofday/clock_gettime (linux/clock.ts realtimeNs) read the same wall
 * clock, also after the host's clock steps (NTP, suspend): `touch f; stat f` agrees with
 * `date`. The step is faked by moving Date.now(), which is what a host clock step moves;
 * performance.now() (monotonic) does not move.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nowTimespec, TmpFs } from '../../src/engine/fs/tmpfs.js';
import { realtimeNs } from '../../src/engine/linux/clock.js';

const nsOf = (ts: { sec: number; nsec: number }): bigint => BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nsec);
const ms = (ns: bigint): number => Number(ns / 1_000_000n);

test('after a host clock step, a new file\'s mtime and clock_gettime(CLOCK_REALTIME) agree', async (t) => {
  const realNow = Date.now;
  const step = 3600_000; // the host's clock jumps one hour ahead
  t.after(() => { Date.now = realNow; });
  Date.now = () => realNow() + step;

  const clock = realtimeNs();
  const file = nowTimespec();
  assert.ok(Math.abs(ms(nsOf(file) - clock)) < 50, `file time ${ms(nsOf(file))} vs clock ${ms(clock)}`);
  assert.ok(Math.abs(ms(clock) - Date.now()) < 50, 'the clock follows the host step');

  // Through a file system: a created file's times are the stepped wall time.
  const fs = new TmpFs({ mode: 0o755 });
  const f = await fs.root.create!('f', 0o100644, 0, 0);
  assert.ok(typeof f !== 'number');
  const st = await f.stat();
  assert.ok(Math.abs(ms(nsOf(st.mtime)) - ms(realtimeNs())) < 50, `mtime ${st.mtime.sec} vs date ${Number(realtimeNs() / 1_000_000_000n)}`);
});
