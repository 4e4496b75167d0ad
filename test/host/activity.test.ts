/**
 * The page's cpuActivity (host/worker/activity.ts): the scheduler's busy/idle changes, which
 * come at every blocking system call, reach the page at most once per ACTIVITY_MIN_MS, the
 * first at once, and the state that holds at the end of a period always arrives. Driven by a
 * hand-stepped clock, so nothing depends on the host's speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVITY_MIN_MS, ActivityReporter, type ActivityClock } from '../../src/host/worker/activity.js';

/** A clock the test moves: `later` callbacks run when `advance` passes their time. */
class StepClock implements ActivityClock {
  t = 1000;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number { return this.t; }
  later(fn: () => void, ms: number): { cancel(): void } {
    const e = { at: this.t + ms, fn, live: true };
    this.timers.push(e);
    return { cancel: () => { e.live = false; } };
  }
  get pending(): number { return this.timers.filter((e) => e.live).length; }
  advance(ms: number): void {
    this.t += ms;
    for (const e of [...this.timers]) if (e.live && e.at <= this.t) { e.live = false; e.fn(); }
    this.timers = this.timers.filter((e) => e.live);
  }
}

test('a storm of busy/idle changes becomes one report per period, ending on the state that holds', () => {
  const clock = new StepClock();
  const seen: [number, boolean][] = [];
  const r = new ActivityReporter((busy) => seen.push([clock.t, busy]), clock);
  r.set(true);
  assert.deepEqual(seen, [[1000, true]], 'the first change is reported at once');
  // 10,000 changes within 20 ms (a guest at its system calls), ending idle.
  for (let i = 0; i < 10_000; i++) { r.set(i % 2 === 1); if (i % 500 === 0) clock.advance(1); }
  r.set(false);
  assert.equal(seen.length, 1, 'nothing more within the period');
  clock.advance(ACTIVITY_MIN_MS);
  assert.deepEqual(seen.map(([, busy]) => busy), [true, false], 'the state at the end of the period');
  assert.equal(clock.pending, 0);
  // A blip (busy and idle again) within the next period is not reported: the page stays right.
  r.set(true);
  r.set(false);
  clock.advance(ACTIVITY_MIN_MS);
  assert.equal(seen.length, 2);
  // After a quiet period a change goes out at once again.
  clock.advance(ACTIVITY_MIN_MS);
  r.set(true);
  assert.deepEqual(seen.at(-1), [clock.t, true]);
  r.stop();
});

test('reports alternate and never repeat a state; stop() cancels what is pending', () => {
  const clock = new StepClock();
  const seen: boolean[] = [];
  const r = new ActivityReporter((busy) => seen.push(busy), clock);
  let rnd = 7;
  for (let i = 0; i < 5000; i++) {
    rnd = (rnd * 1103515245 + 12345) >>> 0;
    r.set((rnd >>> 16) % 3 !== 0);
    clock.advance((rnd >>> 8) % 7);
  }
  // 5000 changes over ~15 s of clock: at most one report per period, alternating.
  assert.ok(seen.length <= Math.ceil(clock.t / ACTIVITY_MIN_MS), `${seen.length} reports`);
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `report ${i} repeats ${seen[i]}`);
  r.set(!seen.at(-1));
  r.set(seen.at(-1)!);
  r.set(!seen.at(-1));
  const n = seen.length;
  r.stop();
  clock.advance(10 * ACTIVITY_MIN_MS);
  assert.ok(seen.length <= n + 1);
  assert.equal(clock.pending, 0);
});
