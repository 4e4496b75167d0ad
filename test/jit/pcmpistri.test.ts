/**
 * pcmpistri on bytes translated to Wasm SIMD (src/engine/jit/codegen-sse.ts `pcmpistri`; busybox's
 * static glibc compares strings with it) against the real CPU: test/jit/pcmpistri.c, every
 * byte-mode imm8 over operand pairs of every implicit length, from registers and from memory
 * at a page's end, natively, interpreted and in force mode; in force mode the byte forms must
 * not be interpreter calls (only the word forms are).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { sameInEveryMode } from './as-native.js';

const DIR = new URL('.', import.meta.url).pathname;

test('pcmpistri.c: every byte-mode imm8 over strings of every implicit length, register and memory operands: as native, translated', { timeout: 300_000 }, async () => {
  const bin = buildC(join(DIR, 'pcmpistri.c'), [], ['-m32', '-static', '-O1', '-msse4.2', '-fno-pie', '-no-pie', '-Wall']);
  const { force: g } = await sameInEveryMode(bin);
  if (g) {
    // The word forms (3 imm8s x 144 pairs x 2 operand forms x 40 rounds) are calls; the byte forms (64 imm8s) are not.
    const calls = g.jit?.interpCalls?.['66 0f 3a'] ?? 0;
    assert.ok(calls <= 3 * 144 * 2 * 40, `jit force: pcmpistri run by ${calls} interpreter calls`);
  }
});
