/**
 * The JIT's governor (src/engine/jit/governor.ts) on simulated programs, with clocks of the
 * test's own (no wall time): the time since code got hot, and the CPU the other threads of
 * the process spend (the compile worker's binaryen, V8's compile and tier-up of the modules).
 *
 * - A flat profile (cc1-like: a new block gets hot every few ms, each region costs ~5 ms of
 *   other threads' CPU and then runs a few thousand instructions a second) stops compiling
 *   early: what translation cost the process stays within its allowance, far below what
 *   compiling everything would, and the hotness a block needs rises past its hottest blocks.
 * - A hot loop (one region running 200 M instructions a second) funds every later compile,
 *   and the hotness needed stays at HOT_HITS.
 * - The off-thread clock is what stops the flat profile: binaryen's time alone (the worker's
 *   reports) would not.
 * - Without a host clock, V8's share is estimated per module.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Governor, HOT_HITS, HOT_MAX, SAVED_NS_PER_INSN, SHARE, BASE_MS, V8_MS_PER_REGION } from '../../src/engine/jit/governor.js';

interface Program {
  /** CPU (ms) one region costs the other threads: binaryen in the worker plus V8's compile and tier-up. */
  offThreadMs: number;
  /** Of which binaryen (what the worker reports). */
  binaryenMs: number;
  /** Instructions each attached region runs per second of the program. */
  insnsPerSec: (region: number) => number;
  /** A block asks every `everyMs`, having been entered `hits(i)` times. */
  everyMs: number;
  hits: (i: number) => number;
  durationMs: number;
  /** Give the governor the CPU clocks (Node on Linux) or not (a page). */
  clock: boolean;
}

function simulate(p: Program): { asked: number; granted: number; gov: Governor; costMs: number; wonMs: number; allowedMs: number; hottest: number } {
  let t = 0, off = 0, translated = 0;
  // The engine's thread is busy all along: its CPU clock is the wall clock.
  const gov = new Governor(() => t, p.clock ? { engine: () => t, others: () => off } : null);
  gov.hot(t);
  gov.compilerReady();
  let rate = 0, asked = 0, granted = 0, hottest = 0;
  for (let i = 0; t < p.durationMs; i++) {
    t += p.everyMs;
    translated += rate * p.everyMs / 1000;
    asked++;
    const yes = gov.allows(p.hits(i), translated, t);
    hottest = Math.max(hottest, gov.hotHits);
    if (!yes) continue;
    granted++;
    // Sent, compiled, answered and attached before the next request (the worker's time and V8's land on other threads).
    off += p.offThreadMs;
    gov.workerMs += p.binaryenMs;
    gov.answered++;
    gov.modules++;
    rate += p.insnsPerSec(granted - 1);
  }
  return { hottest, asked, granted, gov, costMs: gov.cost(t), wonMs: gov.won(translated), allowedMs: gov.allowance(t, translated) };
}

/** cc1-like: 200 blocks a second get hot, each region costs 5 ms and then runs 2,000 instructions a second. */
const flat: Program = {
  offThreadMs: 5, binaryenMs: 2, insnsPerSec: () => 2_000, everyMs: 5, hits: (i) => HOT_HITS * (1 + (i % 3)), durationMs: 40_000, clock: true,
};

test('a flat profile stops compiling: cost within the allowance, hotness raised', () => {
  const r = simulate(flat);
  // Compiling everything would have cost 8,000 x 5 ms = 40 s of CPU for a 40 s program.
  assert.equal(r.asked, 8000);
  assert.ok(r.granted < 500, `granted ${r.granted} of ${r.asked}`);
  // Never much past the allowance (one region's cost at most), and the net loss is the speculative share.
  assert.ok(r.costMs <= r.allowedMs + flat.offThreadMs + 1, `cost ${r.costMs.toFixed(0)} ms, allowed ${r.allowedMs.toFixed(0)} ms`);
  assert.ok(r.costMs - r.wonMs <= BASE_MS + SHARE * flat.durationMs + flat.offThreadMs + 1, `net loss ${(r.costMs - r.wonMs).toFixed(0)} ms`);
  // Raised past the hottest block's entries (3 x HOT_HITS) while spending beyond the speculative share.
  assert.ok(r.hottest > 3 * HOT_HITS && r.hottest <= HOT_MAX, `hotHits at most ${r.hottest}`);
});

test('a hot loop funds every compile; the hotness needed stays at HOT_HITS', () => {
  const r = simulate({ ...flat, insnsPerSec: (k) => (k === 0 ? 200_000_000 : 2_000) });
  // The first few asks wait for the loop's region to win its first ms; after that every one is granted.
  assert.ok(r.granted >= r.asked - 5, `granted ${r.granted} of ${r.asked}`);
  assert.equal(r.gov.hotHits, HOT_HITS);
});

test('what the other threads really spend is charged where it exceeds the estimate (past the grace for binaryen\'s tier-up)', () => {
  // V8 spending 8 ms per region instead of the estimated V8_MS_PER_REGION: charged, fewer regions.
  const estimated = simulate({ ...flat, offThreadMs: flat.binaryenMs + V8_MS_PER_REGION });
  const measured = simulate({ ...flat, offThreadMs: flat.binaryenMs + 8 });
  assert.ok(measured.granted < 0.8 * estimated.granted, `estimate ${estimated.granted}, measured ${measured.granted}`);
  // Without the clock only the estimate is seen.
  const blind = simulate({ ...flat, offThreadMs: flat.binaryenMs + 8, clock: false });
  assert.equal(blind.granted, estimated.granted);
});

test('without a host clock, V8 is charged V8_MS_PER_REGION per module', () => {
  const gov = new Governor(() => 1000, null);
  gov.hot(0);
  gov.compilerReady();
  gov.workerMs = 10;
  gov.answered = 5;
  gov.modules = 5;
  gov.unanswered = 2;
  assert.equal(gov.cost(), 10 + 5 * V8_MS_PER_REGION + 2 * (10 / 5));
});

test('the other threads are charged from when the compiler was ready (binaryen load excluded), past a 1 s grace, read at most every 5 ms', () => {
  let t = 0, off = 700; // binaryen's load and the worker's boot, before ready
  let reads = 0;
  const gov = new Governor(() => t, { engine: () => t, others: () => { reads++; return off; } });
  gov.hot(0);
  assert.equal(gov.cost(), 0, 'charged before the compiler was ready');
  gov.compilerReady();
  off += 1040; t += 1;
  assert.equal(gov.cost(t), 0, 'the clock was read again within 5 ms');
  t += 5;
  assert.equal(gov.cost(t), 40);
  assert.equal(reads, 2);
});

test('with CPU clocks the speculative share is of the engine thread\'s CPU, not of wall time (a loaded machine)', () => {
  let t = 0, engine = 0;
  const gov = new Governor(() => t, { engine: () => engine, others: () => 0 });
  gov.hot(0);
  t = 10_000; engine = 1_000; // a tenth of the wall time on a CPU
  assert.equal(gov.allowance(t, 0), BASE_MS + SHARE * 1_000);
  const wall = new Governor(() => t, null);
  wall.hot(0);
  assert.equal(wall.allowance(t, 0), BASE_MS + SHARE * 10_000);
});

test('regions are credited with what they will win at their current rate: a cost paid now, a win over the rest of the run', () => {
  let t = 0;
  const gov = new Governor(() => t, null);
  gov.hot(0);
  gov.compilerReady();
  gov.workerMs = 200; gov.answered = 40; gov.modules = 40; // 200 + 40 x 3 ms = 320 ms
  t = 1000;
  assert.equal(gov.allows(HOT_HITS, 0, t), false, 'nothing run translated yet');
  // 100 ms later its regions have run 2 M instructions: 30 ms won, 0.3 ms per ms of the program,
  // so ~330 ms more if the program runs as long again: 20 + 55 + 30 + 330 >= 320.
  t = 1100;
  assert.ok(gov.allows(HOT_HITS, 2_000_000, t));
});
