/**
 * Translated code runs up to JIT_BUDGET (8) times the scheduler's budget per return to the
 * run loop (src/engine/cpu/interp.ts, session 13): each return costs the scheduler's round and
 * re-enters at the region starting where the budget ran out. spin.c's loop runs ~1.6 M
 * instructions between its writes; at the scheduler's 50,000 a run, the translated loop
 * returned ~32 times per write (red with WEBX86_JIT_BUDGET_SCALE=1: ~4x the bound below), at
 * 400,000 about 4 times. Signals still interrupt it within that many instructions
 * (test/jit/chain.c, nested.c: SIGALRM in endless translated loops).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';

const DIR = new URL('.', import.meta.url).pathname;

test('spin.c: a translated loop returns to the run loop once per ~400,000 instructions, not 50,000; output as native', { timeout: 180_000 }, async () => {
  const bin = buildC(join(DIR, 'spin.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
  const g = await runGuest(['/prog', '300'], { files: { '/prog': bin }, jit: 'on' });
  const n = runNative([bin, '300']);
  assert.equal(g.stdout, n.stdout);
  const j = g.jit!;
  assert.ok(j.instructions > 100_000_000, `translated ${j.instructions}`);
  // 200,000 instructions per budget exit would already be 4x fewer exits than at the scheduler's budget.
  assert.ok(j.budgetExits * 200_000 < j.instructions, `${j.budgetExits} budget exits for ${j.instructions} translated instructions`);
});
