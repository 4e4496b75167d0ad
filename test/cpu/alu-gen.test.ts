/**
 * The generated ALU specialisations (src/engine/cpu/ops/alu.gen.ts) are exactly what
 * scripts/gen-alu.ts makes from the definitions (ops/alu-defs.ts): an edit to either
 * side without regenerating fails here. Their behaviour is checked against the CPU by
 * test/cpu/integer.test.ts (alu.c, cond.c: every form and size).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generate } from '../../scripts/gen-alu.js';

test('ops/alu.gen.ts is up to date with ops/alu-defs.ts (run: node --import tsx scripts/gen-alu.ts)', () => {
  const path = new URL('../../src/engine/cpu/ops/alu.gen.ts', import.meta.url);
  assert.equal(readFileSync(path, 'utf8'), generate());
});
