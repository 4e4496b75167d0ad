/**
 * The JIT's memory budget (src/engine/jit/jit.ts MODULE_BUDGET): with the budget shrunk to
 * 16 KiB, a program with 48 hot functions (budget.c, every block translated: 'force')
 * compiles past it; the oldest modules are evicted, the realm keeps at most the budget (or
 * the one newest module), blocks whose module went are translated again, and the output
 * equals the native run's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';
import { jitMemory, setModuleBudget } from '../../src/engine/jit/jit.js';

const DIR = new URL('.', import.meta.url).pathname;

test('budget.c: modules past the budget are evicted and translated again; output equals native', async () => {
  const bin = buildC(join(DIR, 'budget.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
  const native = runNative([bin]);
  assert.equal(native.status, 0, native.stderr);
  const budget = 16 << 10;
  const old = setModuleBudget(budget);
  try {
    const before = jitMemory();
    const g = await runGuest(['/prog'], { files: { '/prog': bin }, jit: 'force' });
    const after = jitMemory();
    assert.equal(g.stdout, native.stdout, g.stderr);
    assert.equal(g.status, 0);
    assert.ok(after.evicted - before.evicted > 10, `evictions: ${after.evicted - before.evicted}`);
    assert.ok(after.moduleBytes <= budget || after.modules === 1, `kept ${after.moduleBytes} bytes in ${after.modules} modules`);
  } finally { setModuleBudget(old); }
});
