/**
 * x87 status flags and the "may not be normal" bit in loops whose x87 scope lives across
 * the back edge (src/engine/jit/codegen-x87.ts: Scope.pend, ODD): test/jit/x87flags.c
 * natively, interpreted and in force mode, stdout and status identical (PE raised by one
 * early iteration only, C1 of the last instruction, denormal operands taking the slow path
 * with flags pending, PC and RC changed by fldcw inside the loop, fnstsw inside it, and
 * fldcw unmasking PE inside it: SIGFPE at the next x87 instruction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { sameInEveryMode } from './as-native.js';

const DIR = new URL('.', import.meta.url).pathname;

test('x87flags.c: PE/C1 pending across a loop\'s back edge, slow paths, fldcw and fnstsw in the loop, PE unmasked in it: as native, translated', { timeout: 300_000 }, async () => {
  const bin = buildC(join(DIR, 'x87flags.c'), [], ['-m32', '-static', '-O1', '-fno-pie', '-no-pie', '-Wall']);
  const { force } = await sameInEveryMode(bin);
  if (force) {
    // The loops ran as translated code (regions entered), the x87 arithmetic not as interpreter calls but for its slow paths.
    assert.ok((force.jit?.entries ?? 0) > 0, 'jit force: no region entered');
    const calls = force.jit?.interpCalls ?? {};
    assert.ok((calls['dc/1'] ?? 0) < 2000, `jit force: fmul m64 run by interpreter calls ${calls['dc/1']} times`);
  }
});
