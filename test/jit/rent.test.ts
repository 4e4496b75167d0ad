/**
 * The governor's rent (src/engine/jit/governor.ts RENT, jit.ts `rent`): a hot loop is
 * translated even when translation as a whole is over its budget, once its own interpreted
 * instructions have paid for its region — cold (compiled) and warm (attached from the
 * translation cache).
 *
 * openssl dgst -sha256 (bench/run.ts's row) spends its first second in start-up code whose
 * regions (and binaryen's first, slow compile) used up the governor's speculative share; then
 * its sha256 loop (~2,600 straight-line instructions, ~40 interpreter blocks of 64) got hot and
 * every block of it was refused for 1-3 s, cold or warm: the warm run, whose start-up compiles
 * differ from the cold run's, interpreted up to 80% of its instructions and was slower than
 * the cold one (docs/BENCHMARKS.md "Session 12: openssl's warm run").
 *
 * Here the budget is spent from the start (the governor's cost is charged an hour more than
 * it measured, as a program whose start-up compiles never repay), and test/jit/straight.c
 * runs a loop of that shape: before the rent, nothing was ever translated (red: 0% of the
 * instructions, cold and warm). A short run of the same loop, whose blocks have not paid
 * yet, stays interpreted: the rent does not open the budget to lukewarm code.
 *
 * The regions of such a loop end where one of its interpreter blocks starts (region.ts
 * decodeBlock), so a region leaves to a block that has been paying for its own region all
 * along; cut elsewhere, each exit started a block from nothing, and the loop went through ~70
 * overlapping regions, each paying its rent afresh (cold 16-47% translated, warm as low).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';
import { compiler } from '../../src/engine/jit/compile-client.js';
import { Jit, forgetModules, type HotBlock, type JitHost } from '../../src/engine/jit/jit.js';
import { Governor, RENT_WINDOW_MS } from '../../src/engine/jit/governor.js';
import { useNodeTranslationCache } from '../../src/host/node/translation-store.js';
import { AddressSpace, PROT_EXEC, PROT_READ } from '../../src/engine/mem/address-space.js';
import { MAX_BLOCK_INSNS, formRegion } from '../../src/engine/jit/region.js';

const DIR = new URL('.', import.meta.url).pathname;
const bin = buildC(join(DIR, 'straight.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
const tmp = mkdtempSync(join(tmpdir(), 'webx86-jitrent-'));

/** The budget spent: every cost the governor computes is an hour more than it measured. */
const SPENT_MS = 3_600_000;
const cost = Object.getOwnPropertyDescriptor(Governor.prototype, 'cost')!.value as Governor['cost'];
before(() => { Governor.prototype.cost = function (this: Governor, t?: number): number { return cost.call(this, t) + SPENT_MS; }; });
after(() => {
  Governor.prototype.cost = cost;
  compiler.reset();
  useNodeTranslationCache(null);
  rmSync(tmp, { recursive: true, force: true });
});

/** One run of `rounds` block calls as a new process would make it (no module in memory, a new store over `dir`). */
async function run(rounds: number, dir: string) {
  compiler.reset();
  forgetModules();
  const store = useNodeTranslationCache(dir);
  const argv = ['/prog', String(rounds)];
  const g = await runGuest(argv, { files: { '/prog': bin }, jit: 'on' });
  await store?.flush();
  const native = runNative([bin, String(rounds)]);
  assert.equal(g.stdout, native.stdout, g.stderr);
  assert.equal(g.status, native.status);
  const s = g.jit!;
  return { s, share: s.instructions / g.icount! };
}

test('with the budget spent, a hot straight-line loop pays its rent and runs translated, cold and warm', { timeout: 600_000 }, async () => {
  const dir = join(tmp, 'loop');
  // 40,000 rounds: ~52 M instructions. A region of 200 instructions is priced ~6 ms before any
  // compile (1 ms of binaryen, V8's 5 ms for 8 KB), paid at 15 ns per instruction after
  // ~2,000 entries of a block: the first ~5% of the run.
  const cold = await run(40_000, dir);
  assert.ok(cold.s.governor.rented > 0, JSON.stringify(cold.s.governor));
  assert.ok(cold.s.regionsCompiled > 0);
  // 63-78% measured (the first compiles of a new worker are slow, so the price is high at first).
  assert.ok(cold.share > 0.4, `cold: ${(100 * cold.share).toFixed(0)}% of the instructions translated; ${JSON.stringify(cold.s.governor)}`);
  // The warm run attaches the loop's records, paid the same way (priced at V8's compile alone).
  const warm = await run(40_000, dir);
  assert.ok(warm.s.regionsFromDisk > 0, JSON.stringify(warm.s));
  // 94% measured.
  assert.ok(warm.share > 0.8, `warm: ${(100 * warm.share).toFixed(0)}% of the instructions translated; ${JSON.stringify(warm.s.governor)}`);
});

test('with the budget spent, the same loop run briefly (its blocks\' rent not paid) stays interpreted', { timeout: 600_000 }, async () => {
  // 1,500 rounds: each block asks once, at 1,024 entries, with ~0.2 M instructions behind
  // it (~3 ms at 15 ns) against ~6 ms for its region.
  const short = await run(1_500, join(tmp, 'short'));
  assert.equal(short.s.governor.rented, 0, JSON.stringify(short.s.governor));
  assert.equal(short.s.regionsCompiled + short.s.regionsFromDisk, 0, JSON.stringify(short.s));
  assert.ok(short.s.deferred > 0, 'its blocks asked');
});

test('straight-line code past MAX_BLOCK_INSNS is cut where a hot interpreter block starts, in its last half, else at the limit', () => {
  const AT = 0x401000;
  const mem = new AddressSpace(1 << 24);
  mem.map(AT, 0x2000, PROT_READ | PROT_EXEC, 0x22);
  // 300 x inc eax (one byte each), ret: the interpreter cuts it into blocks of 64.
  mem.u8.fill(0x40, AT, AT + 300);
  mem.u8[AT + 300] = 0xc3;
  const hot = new Set([AT + 64, AT + 128, AT + 192, AT + 256]);
  const first = (wanted: (a: number) => boolean) => formRegion(mem, AT, wanted)!.blocks.get(AT)!;
  const cut = first((a) => hot.has(a));
  assert.equal(cut.end, AT + 192);
  assert.equal(cut.insns.length, 192);
  assert.equal(cut.terminated, false);
  // No hot block in the last half (only at 64): the limit, as before.
  const none = first((a) => a === AT + 64);
  assert.equal(none.end, AT + MAX_BLOCK_INSNS);
  assert.equal(none.insns.length, MAX_BLOCK_INSNS);
});

test('a block\'s rent counts what it and the straight-line blocks after it ran since it first asked, within RENT_WINDOW_MS, then afresh', () => {
  const block = (start: number, count: number): HotBlock => ({ start, hits: 0, valid: true, jit: null, count, mode: 0, end: start + count, n1: null, s2: null, misses: 0 });
  // Four blocks of 64 instructions in a row: b and the three after it (the last counts 8 of its 64: 200 in all).
  const b = block(0x1000, 64), c = block(0x1040, 64), d = block(0x1080, 64), e = block(0x10c0, 64);
  const host: JitHost = { get: (a) => [b, c, d, e].find((x) => x.start === a), addRegion: () => {} };
  const jit = new Jit('on');
  const rent = (now: number): number => (jit as unknown as { rent(h: JitHost, blk: HotBlock, t: number): number }).rent(host, b, now);
  const enter = (n: number): void => { for (const x of [b, c, d, e]) x.hits += n; };
  enter(1000);
  assert.equal(rent(0), 0, 'what ran before the first ask does not count');
  enter(1000);
  assert.equal(rent(RENT_WINDOW_MS / 2), 1000 * 200);
  c.hits -= 500; // c entered less often than b: counted at its own entries
  assert.equal(rent(RENT_WINDOW_MS), 1000 * 200 - 500 * 64);
  enter(1000);
  assert.equal(rent(RENT_WINDOW_MS + 1), 0, 'the window ran out: counted afresh');
  enter(1000);
  assert.equal(rent(RENT_WINDOW_MS + 2), 1000 * 200);
});
