/**
 * The JIT's governor (src/engine/jit/governor.ts) on simulated programs, with clocks of the
 * test's own (no wall time): the time since code got hot (wall, or the engine thread's CPU)
 * and the costs a machine reports to it (binaryen's time per region, modules V8 compiled).
 *
 * - A flat profile (cc1-like: a new block gets hot every few ms, each region costs binaryen
 *   and V8 ~5 ms and then runs a few thousand instructions a second) stops compiling early:
 *   what translation cost stays within its allowance, far below what compiling everything
 *   would, and the hotness a block needs rises past its hottest blocks.
 * - A hot loop (one region running 200 M instructions a second) funds every later compile,
 *   and the hotness needed stays at HOT_HITS.
 * - V8's share (V8_MS_PER_MODULE + V8_MS_PER_KB per KB of each module) is charged: binaryen's
 *   time alone let the flat profile compile far more, and large modules cost more than small.
 * - Regions in flight are charged in full: binaryen's mean so far and V8's for the mean module.
 * - Regions are credited with what they will win at their current rate, at most what they won.
 * - With a CPU clock, the speculative share is of the engine thread's CPU, not of wall time.
 * - What a translated instruction saves is measured (ti - tj over windows of the program's
 *   time), not assumed: a flat profile whose translated code saves 4 ns per instruction (cc1)
 *   gets far fewer regions than the assumed 15 ns gave it; translated code slower than the
 *   interpreter stops translation; a hot loop measured at 20 ns against 1 ns still funds
 *   every compile, credited at most the assumed 15 ns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATTACH_MS, Governor, HOT_HITS, HOT_MAX, SHARE, BASE_MS, MIN_INSNS, MIN_SAMPLES, PROBE_EVERY, PROBE_MS, PROBE_SKIP, SAVED_NS_PER_INSN, V8_MS_PER_KB, V8_MS_PER_MODULE, WINDOW_MS, v8Ms } from '../../src/engine/jit/governor.js';

interface Program {
  /** binaryen's time per region (what the worker reports). */
  binaryenMs: number;
  /** Each region's module size, bytes. */
  moduleBytes: number;
  /** Instructions each attached region runs per second of the program. */
  insnsPerSec: (region: number) => number;
  /** A block asks every `everyMs`, having been entered `hits(i)` times. */
  everyMs: number;
  hits: (i: number) => number;
  durationMs: number;
  /**
   * The engine thread's ns per interpreted and per translated instruction: the rest of each
   * step's time is interpreted, all of it during the governor's probes (undefined: no
   * instruction counts reach the governor, which keeps SAVED_NS_PER_INSN).
   */
  tiNs?: number;
  tjNs?: number;
}

function simulate(p: Program, v8PerModule = true): { asked: number; granted: number; gov: Governor; costMs: number; wonMs: number; allowedMs: number; hottest: number; translated: number } {
  let t = 0, translated = 0;
  // The engine's thread is busy all along: its CPU clock is the wall clock.
  const gov = new Governor(() => t, { engine: () => t });
  gov.hot(t);
  let rate = 0, asked = 0, granted = 0, hottest = 0, work = 0;
  for (let i = 0; t < p.durationMs; i++) {
    t += p.everyMs;
    const ran = gov.probing ? 0 : rate * p.everyMs / 1000;
    translated += ran;
    if (p.tiNs !== undefined && p.tjNs !== undefined) {
      // The step's time: the last grant's translation work, its translated instructions at tjNs
      // (4 timed entries of a 64th each), the rest interpreted at tiNs.
      if (ran > 0) for (let k = 0; k < 4; k++) gov.sampled(ran * p.tjNs / 1e6 / 64, ran / 64);
      gov.executed += ran + Math.max(0, p.everyMs - ran * p.tjNs / 1e6 - work) * 1e6 / p.tiNs;
    }
    work = 0;
    asked++;
    const yes = gov.allows(p.hits(i), translated, t);
    hottest = Math.max(hottest, gov.hotHits);
    if (!yes) continue;
    granted++;
    // Sent, compiled, answered and attached before the next request.
    gov.engineMs += 0.3; work = 0.3;
    gov.workerMs += p.binaryenMs;
    gov.answered++;
    if (v8PerModule) gov.compiled(p.moduleBytes);
    rate += p.insnsPerSec(granted - 1);
  }
  return { hottest, asked, granted, gov, translated, costMs: gov.cost(t), wonMs: gov.won(translated, t), allowedMs: gov.allowance(t, translated) };
}

/** cc1-like: 200 blocks a second get hot, each region costs 2 ms of binaryen (+ V8's for 8 KB) and then runs 2,000 instructions a second. */
const flat: Program = { binaryenMs: 2, moduleBytes: 8192, insnsPerSec: () => 2_000, everyMs: 5, hits: (i) => HOT_HITS * (1 + (i % 3)), durationMs: 40_000 };
const perRegion = flat.binaryenMs + v8Ms(flat.moduleBytes);

test('a flat profile stops compiling: cost within the allowance, hotness raised', () => {
  const r = simulate(flat);
  // Compiling everything would have cost 8,000 x 5 ms = 40 s of CPU for a 40 s program.
  assert.equal(r.asked, 8000);
  assert.ok(r.granted < 500, `granted ${r.granted} of ${r.asked}`);
  // Never much past the allowance (one region's cost at most), and the net loss is the speculative share.
  assert.ok(r.costMs <= r.allowedMs + perRegion + 1, `cost ${r.costMs.toFixed(0)} ms, allowed ${r.allowedMs.toFixed(0)} ms`);
  assert.ok(r.costMs - r.wonMs <= BASE_MS + SHARE * flat.durationMs + r.wonMs + perRegion + 1, `net loss ${(r.costMs - r.wonMs).toFixed(0)} ms`);
  // Raised past the hottest block's entries (3 x HOT_HITS) while spending beyond the speculative share.
  assert.ok(r.hottest > 3 * HOT_HITS && r.hottest <= HOT_MAX, `hotHits at most ${r.hottest}`);
});

test('a hot loop funds every compile; the hotness needed stays at HOT_HITS', () => {
  const r = simulate({ ...flat, insnsPerSec: (k) => (k === 0 ? 200_000_000 : 2_000) });
  // The first few asks wait for the loop's region to win its first ms; after that every one is granted.
  assert.ok(r.granted >= r.asked - 5, `granted ${r.granted} of ${r.asked}`);
  assert.equal(r.gov.hotHits, HOT_HITS);
});

test('V8\'s share is charged: binaryen\'s time alone let a flat profile compile far more', () => {
  const charged = simulate(flat);
  const blind = simulate(flat, false);
  assert.ok(blind.granted > 1.5 * charged.granted, `charged ${charged.granted}, binaryen only ${blind.granted}`);
});

test('the cost: the engine thread\'s work, binaryen, V8 by module size, regions in flight at the mean binaryen time + V8\'s for the mean module', () => {
  const gov = new Governor(() => 1000, null);
  gov.hot(0);
  gov.workerMs = 10;
  gov.answered = 5;
  for (let k = 0; k < 5; k++) gov.compiled(4096 * (k + 1)); // 60 KB in 5 modules: 12 KB each on average
  gov.unanswered = 2;
  gov.engineMs = 7;
  const v8 = 5 * V8_MS_PER_MODULE + 60 * V8_MS_PER_KB;
  assert.equal(gov.cost(), 7 + 10 + v8 + 2 * (10 / 5 + V8_MS_PER_MODULE + 12 * V8_MS_PER_KB));
});

test('V8\'s share grows with the module: a flat profile of 16 KB modules gets fewer regions than one of 2 KB modules', () => {
  const big = simulate({ ...flat, moduleBytes: 16384 });
  const small = simulate({ ...flat, moduleBytes: 2048 });
  assert.ok(small.granted > 1.5 * big.granted, `2 KB: ${small.granted}, 16 KB: ${big.granted}`);
  assert.ok(big.costMs <= big.allowedMs + 2 + v8Ms(16384) + 1, `cost ${big.costMs.toFixed(0)} ms, allowed ${big.allowedMs.toFixed(0)} ms`);
});

test('regions in flight are charged in full before any answer: 1 ms of binaryen and V8\'s for an 8 KB module each', () => {
  const gov = new Governor(() => 0, null);
  gov.hot(0);
  gov.unanswered = 10;
  assert.equal(gov.cost(0), 10 * (1 + v8Ms(8192)));
  // 10 x 5.0 ms is past the 20 ms allowed before anything is won.
  assert.equal(gov.allows(HOT_HITS, 0, 0), false);
});

test('regions are credited with what they will win at their current rate, at most what they won', () => {
  let t = 0;
  const gov = new Governor(() => t, null);
  gov.hot(0);
  gov.workerMs = 100; gov.answered = 40;
  for (let k = 0; k < 40; k++) gov.compiled((3 - V8_MS_PER_MODULE) / V8_MS_PER_KB * 1024); // V8: 3 ms each, so 100 + 40 x 3 ms = 220 ms
  t = 1000;
  assert.equal(gov.allows(HOT_HITS, 0, t), false, 'nothing run translated yet');
  // 100 ms later its regions have run 8 M instructions: 120 ms won, 1.2 ms per ms of the
  // program, ~1,320 ms more if it runs as long again, credited 120: 20 + 55 + 120 + 120 >= 220.
  t = 1100;
  assert.ok(gov.allows(HOT_HITS, 8_000_000, t));
  assert.equal(gov.allowance(t, 8_000_000), BASE_MS + SHARE * 1100 + 2 * 120);
});

test('with a CPU clock the speculative share is of the engine thread\'s CPU, not of wall time (a loaded machine), read at most every 5 ms', () => {
  let t = 0, engine = 0, reads = 0;
  const gov = new Governor(() => t, { engine: () => { reads++; return engine; } });
  gov.hot(0);
  t = 10_000; engine = 1_000; // a tenth of the wall time on a CPU
  assert.equal(gov.allowance(t, 0), BASE_MS + SHARE * 1_000);
  engine = 2_000; t += 1;
  assert.equal(gov.allowance(t, 0), BASE_MS + SHARE * 1_000, 'read again within 5 ms');
  assert.equal(reads, 2);
  const wall = new Governor(() => t, null);
  wall.hot(0);
  assert.equal(wall.allowance(t, 0), BASE_MS + SHARE * 10_001);
});

test('the engine thread\'s translation work (wall time) is charged at the share of the time its thread was on a CPU', () => {
  let t = 0, engine = 0;
  const gov = new Governor(() => t, { engine: () => engine });
  gov.hot(0);
  gov.engineMs = 100;
  t = 10_000; engine = 2_500; // on a CPU a quarter of the time
  assert.equal(gov.cost(t), 25);
  assert.equal(new Governor(() => t, null).cost(t), 0);
  const wall = new Governor(() => t, null);
  wall.hot(0);
  wall.engineMs = 100;
  assert.equal(wall.cost(t), 100);
});


test('the saving is measured: ti in the cheapest window without translation, tj from timed entries; probes every PROBE_EVERY windows', () => {
  let t = 0;
  const gov = new Governor(() => t, null);
  gov.hot(0);
  assert.equal(gov.nsSaved(), SAVED_NS_PER_INSN, 'before any window');
  gov.won(0, 0); // opens the first window
  // Nothing translated yet: 10 ms of translation work, then 240 ms interpreting 8 M instructions, 30 ns each (decoding new code).
  gov.engineMs = 10;
  // And 100 ms of binaryen: translation stays below PROBE_SKIP times its cost, so the probes due are run (the test below skips them).
  gov.workerMs = 100;
  gov.executed = 8_000_000;
  t = WINDOW_MS;
  gov.won(0, t);
  assert.equal(gov.nsOff(), 30);
  assert.equal(gov.nsSaved(), SAVED_NS_PER_INSN, 'tj not measured yet');
  // Translated: MIN_SAMPLES timed entries at 16 ns per instruction.
  for (let k = 0; k < MIN_SAMPLES; k++) gov.sampled(0.016, 1000);
  gov.executed += 20_000_000;
  t += WINDOW_MS;
  const won = gov.won(5_000_000, t);
  assert.ok(Math.abs(gov.nsOn() - 16) < 1e-9, `tj ${gov.nsOn()}`);
  assert.ok(Math.abs(gov.nsSaved() - 14) < 1e-9, `saved ${gov.nsSaved()}`);
  assert.ok(Math.abs(won - 5_000_000 * 14 / 1e6) < 1e-9, `won ${won}`);
  assert.equal(gov.probing, false);
  // A window that ran fewer than MIN_INSNS measures nothing; three more with translation, and a probe starts.
  gov.executed += MIN_INSNS - 1;
  t += WINDOW_MS;
  gov.won(5_000_000, t);
  assert.equal(gov.windowsOn, 1);
  for (let k = 1; k < PROBE_EVERY; k++) { gov.executed += 16_000_000; t += WINDOW_MS; gov.won(5_000_000 * (k + 1), t); }
  assert.equal(gov.windowsOn, PROBE_EVERY);
  assert.equal(gov.probing, true, `after ${PROBE_EVERY} windows with translation`);
  // The probe lasts PROBE_MS: all interpreted, at 20 ns (the code decoded by now): the cheapest, so ti.
  gov.executed += PROBE_MS * 1e6 / 20;
  t += PROBE_MS - 1;
  gov.won(5_000_000 * PROBE_EVERY, t);
  assert.equal(gov.probing, true);
  t += 1;
  gov.won(5_000_000 * PROBE_EVERY, t);
  assert.equal(gov.probing, false);
  assert.equal(gov.windowsOff, 2);
  assert.equal(gov.nsOff(), 20);
  // A later probe slowed by V8's work or GC (40 ns) is not the interpreter's cost: ti stays 20.
  for (let k = 0; k < PROBE_EVERY; k++) { gov.executed += 16_000_000; t += WINDOW_MS; gov.won(5_000_000 * (PROBE_EVERY + 1 + k), t); }
  assert.equal(gov.probing, true);
  gov.executed += PROBE_MS * 1e6 / 40;
  t += PROBE_MS;
  gov.won(5_000_000 * (2 * PROBE_EVERY + 1), t);
  assert.equal(gov.windowsOff, 3);
  assert.equal(gov.nsOff(), 20);
});

test('a probe due is skipped while translation has won PROBE_SKIP times what it cost, and run once it has not', () => {
  let t = 0;
  const gov = new Governor(() => t, null);
  gov.hot(0);
  gov.engineMs = 20; // attaching a warm run's regions from the translation cache
  gov.won(0, 0);
  // A warm run: translated from its first window, 20 M instructions a window (300 ms won at 15 ns each) of 25 M run.
  let translated = 0;
  const windows = (n: number): void => {
    for (let k = 0; k < n; k++) { gov.executed += 25_000_000; translated += 20_000_000; t += WINDOW_MS; gov.won(translated, t); }
  };
  windows(PROBE_EVERY * 3);
  assert.ok(gov.won(translated, t) >= PROBE_SKIP * gov.cost(t));
  assert.equal(gov.probing, false);
  assert.equal(gov.probes, 0);
  assert.equal(gov.probesSkipped, PROBE_EVERY * 2 + 1, 'due after PROBE_EVERY windows, then at every window after');
  // Its cost grows past a tenth of what it won (compiles): the next window closed starts the probe.
  gov.workerMs = gov.won(translated, t) / PROBE_SKIP + 100;
  windows(1);
  assert.equal(gov.probing, true);
});

/** cc1 as measured: interpreted 20 ns, translated 16 ns per instruction (~4 ns saved), a flat profile whose regions run 50 k instructions a second each (repaying in 8 s at 15 ns, 30 s at 4 ns). */
const cc1: Program = { ...flat, insnsPerSec: () => 50_000, tiNs: 20, tjNs: 16 };

test('a flat profile whose translated code saves 4 ns per instruction gets far fewer regions than the assumed 15 ns gave it', () => {
  const measured = simulate(cc1);
  const assumed = simulate({ ...cc1, tiNs: undefined, tjNs: undefined });
  assert.ok(Math.abs(measured.gov.nsSaved() - 4) < 0.5, `measured ${measured.gov.nsSaved()} ns`);
  assert.equal(assumed.gov.nsSaved(), SAVED_NS_PER_INSN);
  assert.ok(assumed.granted > 1.5 * measured.granted, `measured: ${measured.granted}, assumed 15 ns: ${assumed.granted}`);
  // And it loses less: what it spent past what its regions saved (assumed: what they saved at 4 ns).
  const lost = measured.costMs - measured.wonMs, lostAssumed = assumed.costMs - assumed.translated * 4 / 1e6;
  assert.ok(lost < 0.7 * lostAssumed, `net loss ${lost.toFixed(0)} ms, assumed 15 ns: ${lostAssumed.toFixed(0)} ms`);
});

test('translated code slower than the interpreter stops translation once measured', () => {
  const r = simulate({ ...cc1, insnsPerSec: () => 200_000, tiNs: 10, tjNs: 12 });
  assert.ok(r.gov.nsSaved() < 0, `saved ${r.gov.nsSaved()} ns`);
  assert.ok(r.wonMs < 0);
  assert.ok(r.granted < 100, `granted ${r.granted}`);
});

test('a hot loop measured at 20 ns interpreted against 1 ns translated funds every compile', () => {
  const r = simulate({ ...flat, insnsPerSec: (k) => (k === 0 ? 100_000_000 : 2_000), tiNs: 20, tjNs: 1 });
  // Measured 19 ns, credited at most the assumed 15 (the measure only lowers the credit).
  assert.ok(Math.abs(r.gov.measured() - 19) < 0.5, `measured ${r.gov.measured()} ns`);
  assert.equal(r.gov.nsSaved(), SAVED_NS_PER_INSN);
  assert.ok(r.granted >= r.asked - 5, `granted ${r.granted} of ${r.asked}`);
  assert.equal(r.gov.hotHits, HOT_HITS);
});

/**
 * The start of a warm run (translation cache filled), before anything has run translated:
 * one block a ms asks for its region from disk, each attach costing the engine thread ~0.4 ms
 * (lookup, record checks, V8's synchronous compile: jit.ts diskMs, docs/BENCHMARKS.md
 * "Session 11: warm attach"; bash's warm run attaches ~650 of ~4 KB). How many of 200 attach.
 */
function warmStart(attach: (gov: Governor) => void): { granted: number; refused: number } {
  let t = 0;
  const gov = new Governor(() => t, null);
  gov.hot(0);
  let granted = 0;
  for (let k = 0; k < 200; k++) {
    t += 1;
    if (!gov.attaches(0, t)) continue;
    granted++;
    gov.engineMs += 0.4;
    attach(gov);
  }
  return { granted, refused: gov.refusedDisk };
}

test('a module from the translation cache is priced at what it costs the engine thread, not as a compile: a warm run attaches them early', () => {
  const disk = warmStart((gov) => gov.loaded(4096));
  // Charged V8's estimate for a fresh module as before (bash: 10.9-14.4 M instructions interpreted waiting, against 0.9-1.0 M).
  const asCompiled = warmStart((gov) => gov.compiled(4096));
  // 20 ms + 5% of 200 ms at 0.4 ms each: ~75; charged 0.4 + 0.2 + 2.4 ms each: ~10.
  assert.ok(disk.granted >= 70 && disk.granted <= 80, `attached ${disk.granted} of 200, refused ${disk.refused}`);
  assert.equal(disk.refused, 200 - disk.granted);
  assert.ok(asCompiled.granted <= 12, `charged as compiles: attached ${asCompiled.granted}`);
  // What the cache saved is not charged: no binaryen, and only the measured engine time.
  const gov = new Governor(() => 0, null);
  gov.hot(0);
  gov.engineMs = 0.4;
  gov.loaded(8192);
  assert.equal(gov.cost(0), 0.4);
  assert.equal(gov.diskModules, 1);
});

test('an attach from the translation cache is still refused when translation does not pay', () => {
  // A flat program 1 s after code got hot: 100 regions compiled (1 ms of binaryen and 8 KB
  // each) for 2 M instructions run translated. Cost 100 + 100 x v8Ms(8 KB) against
  // 20 + 50 + 2 x 30 ms: the next region is refused, whether compiled or from disk.
  let t = 1000;
  const gov = new Governor(() => t, null);
  gov.hot(0);
  gov.workerMs = 100; gov.answered = 100;
  for (let k = 0; k < 100; k++) gov.compiled(8192);
  assert.equal(gov.allows(HOT_HITS, 2_000_000, t), false);
  assert.equal(gov.attaches(2_000_000, t), false);
  assert.equal(gov.refusedDisk, 1);
  // Once its regions have won the difference back (60 M instructions at 15 ns: 900 ms, and as much expected), attaches are granted again.
  t = 1100;
  assert.equal(gov.attaches(60_000_000, t), true);
  assert.equal(gov.refusedDisk, 1);
});

test('over the budget, a block whose own interpretation has cost an attach\'s price still gets its region from the translation cache (ski rental per block)', () => {
  // The budget spent, as in the test above: 1 s in, 100 regions compiled, 2 M instructions run translated.
  const gov = new Governor(() => 1000, null);
  gov.hot(0);
  gov.workerMs = 100; gov.answered = 100;
  for (let k = 0; k < 100; k++) gov.compiled(8192);
  // At the assumed saving (15 ns a translated instruction), ATTACH_MS is 33,334 instructions' worth.
  const price = Math.ceil(ATTACH_MS * 1e6 / SAVED_NS_PER_INSN);
  assert.equal(gov.attaches(2_000_000, 1000, 0), false, 'a block that has cost nothing yet (a probe at 32 entries)');
  assert.equal(gov.attaches(2_000_000, 1000, price - 1), false);
  assert.equal(gov.refusedDisk, 2);
  assert.equal(gov.attaches(2_000_000, 1000, price), true, 'a block whose interpretation has cost the price');
  assert.equal(gov.rented, 1);
  assert.equal(gov.refusedDisk, 2);
  // The compile of a block without a record stays refused: a compile is not an attach.
  assert.equal(gov.allows(HOT_MAX, 2_000_000, 1000), false);
});

test('a block\'s ski rental is at what a translated instruction saves as measured: none when translated code is slower', () => {
  const r = simulate({ ...cc1, insnsPerSec: () => 200_000, tiNs: 10, tjNs: 12 });
  assert.ok(r.gov.nsSaved() < 0);
  assert.equal(r.gov.attaches(r.translated, flat.durationMs, 1e9), false);
  assert.equal(r.gov.rented, 0);
});

test('the start of a warm run whose first attaches spent the budget: refused at their probes, the hot blocks attach once their entries have cost the price', () => {
  // 200 lukewarm blocks attach or are refused at 32 entries (as warmStart); then 20 hot blocks
  // of 30 instructions ask at each 1,024 entries (jit.ts request) with nothing won meanwhile.
  let t = 0;
  const gov = new Governor(() => t, null);
  gov.hot(0);
  for (let k = 0; k < 200; k++) { t += 1; if (gov.attaches(0, t, 32 * 30)) { gov.engineMs += 0.4; gov.loaded(4096); } }
  const hot: number[] = [];
  for (let k = 0; k < 20; k++) {
    for (let hits = HOT_HITS; ; hits += HOT_HITS) { t += 1; if (gov.attaches(0, t, hits * 30)) { gov.engineMs += 0.4; hot.push(hits); break; } }
  }
  // 1,024 x 30 instructions at 15 ns is 0.46 ms, under the price; 2,048 entries are over it.
  assert.deepEqual(hot, new Array(20).fill(2 * HOT_HITS));
  assert.equal(gov.rented, 20);
});

/**
 * A program whose first `hot` regions run a loop (`hotRate` instructions a second each) and
 * whose later regions are a flat profile's (`rate` a second each); each region is given to the
 * per-region account (Governor.account) with its instructions as the hub counts them.
 */
function accounted(hot: number, hotRate: number, rate: number, account = true): { granted: number; asked: number; gov: Governor } {
  let t = 0, translated = 0, asked = 0, granted = 0, perMs = 0;
  const gov = new Governor(() => t, { engine: () => t });
  gov.hot(t);
  for (let i = 0; t < flat.durationMs; i++) {
    t += flat.everyMs;
    translated += perMs * flat.everyMs;
    asked++;
    if (!gov.allows(flat.hits(i), translated, t)) continue;
    const k = granted++, born = t, r = k < hot ? hotRate : rate;
    gov.engineMs += 0.3;
    gov.workerMs += flat.binaryenMs;
    gov.answered++;
    gov.compiled(flat.moduleBytes);
    if (account) gov.account(flat.binaryenMs + v8Ms(flat.moduleBytes), () => Math.round((t - born) * r / 1000), t);
    perMs += r / 1000;
  }
  return { granted, asked, gov };
}

test('the per-region account: a few hot regions do not fund a flat profile\'s marginal ones; a loop\'s regions keep the bar at HOT_HITS', () => {
  // 4 loop regions win ~3 ms per ms of the program (50 M instructions a second each at 15 ns):
  // the budget, which weighs all regions' win against all regions' cost, grants every request
  // (each region ~6.9 ms; ~8,000 asks in 40 s). The regions after them run 2,000 instructions
  // a second (0.03 ms won in their first second against their ~6.9 ms): judged one second
  // after their attach, fewer than half repaid, so the marginal bar rises past the hottest
  // block's entries (3 x HOT_HITS) and compiles stop (cc1: 3,376-3,683 regions compiled cold
  // on the budget alone, 577 with the account; docs/BENCHMARKS.md "Session 13: cc1").
  const blind = accounted(4, 50_000_000, 2_000, false);
  assert.ok(blind.granted > 7_000, `without the account: granted ${blind.granted} of ${blind.asked}`);
  const seen = accounted(4, 50_000_000, 2_000);
  assert.ok(seen.granted < 600, `with the account: granted ${seen.granted} of ${seen.asked}`);
  assert.ok(seen.gov.marginalHits > 3 * HOT_HITS, `marginal bar ${seen.gov.marginalHits}`);
  assert.ok(seen.gov.judged > 0 && seen.gov.repaid <= 4, `judged ${seen.gov.judged}, repaid ${seen.gov.repaid}`);
  // Every region of a loop program repays within its first second (2 M instructions at 15 ns: 30 ms): the bar stays, nothing is refused for it.
  const loop = accounted(0, 0, 2_000_000);
  assert.equal(loop.gov.marginalHits, HOT_HITS);
  assert.ok(loop.gov.judged > 7_000 && loop.gov.repaid === loop.gov.judged, `judged ${loop.gov.judged}, repaid ${loop.gov.repaid}`);
  assert.ok(loop.granted >= loop.asked - 50, `loop: granted ${loop.granted} of ${loop.asked}`);
});
