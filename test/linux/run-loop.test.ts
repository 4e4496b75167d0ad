/**
 * The run loop gives the host its turns while a guest spins on system calls that complete
 * through promises (every ioctl, most reads and writes): such a task parks and wakes in a
 * microtask, which is no turn for the host's timers, messages or I/O. The guest
 * (c/async-spin.c) spins until a 5 ms interval timer (a host timer) has rung 40 times, or a
 * budget of calls runs out. Nothing is timed: the budget is far more calls than 40 rings
 * take when the loop yields every 12 ms of running; without those turns the timer rang only
 * when a slice happened to run long (a collection, a first compile): now and then.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildC } from '../support/build.js';
import { runGuest } from '../support/guest.js';

const SRC = new URL('./c/async-spin.c', import.meta.url).pathname;
/**
 * Calls the guest may make. Quiet machine, interpreter: 40 rings took ~100,000 calls with
 * the loop yielding every 12 ms; before, 100,000 calls saw 1-3 rings. A loaded machine
 * slows the calls, not the timer, so it needs fewer calls, not more.
 */
const BUDGET = 450_000;

test('a guest spinning on promise-completed system calls still gets its host timer (SIGALRM)', async () => {
  const r = await runGuest(['/prog', String(BUDGET)], { files: { '/prog': buildC(SRC) }, jit: 'off' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^40 alarms after \d+ calls\n$/);
});
