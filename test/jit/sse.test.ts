/**
 * SSE/SSE2 translated to Wasm SIMD and f64/f32 (src/engine/jit/codegen-sse.ts) against the
 * real CPU: test/jit/sse.c (faults on 16-byte loads and stores mid-region, integer SIMD
 * forms, float arithmetic with MXCSR read back per instruction) natively, interpreted, and
 * in force mode with and without the SSE translation; stdout and status identical. In force
 * mode the translation must have happened: the integer forms are no longer run by
 * interpreter calls, and the float forms only as the slow path of their guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest } from '../support/guest.js';
import { sameInEveryMode } from './as-native.js';
import { setSseCode } from '../../src/engine/jit/region.js';

const DIR = new URL('.', import.meta.url).pathname;
const FLAGS = ['-m32', '-static', '-O1', '-msse4.1', '-mfpmath=sse', '-fno-pie', '-no-pie', '-Wall'];

/** Opcodes (interp-call.ts names) of forms sse.c runs hot that must be translated, not called. */
const TRANSLATED = ['f3 0f 6f', 'f3 0f 7f', '66 0f 6f', '66 0f ef', '66 0f 74', '66 0f d7', '66 0f fc', '66 0f f8', '66 0f 70', '66 0f 73/3', '0f c6', '0f 15', '66 0f f4', '66 0f f5', 'f3 0f e6'];
/** Float forms: called only where their guard fails (edge operands, other MXCSR modes). */
const GUARDED = ['f2 0f 58', 'f2 0f 59', 'f2 0f 5e', 'f3 0f 58', '66 0f 2e'];

test('sse.c: 16-byte loads/stores faulting mid-region (page crossing, misaligned movdqa), integer SIMD forms, float arithmetic and conversions with per-instruction MXCSR flags in every mode, unmasked exceptions: as native, translated', { timeout: 300_000 }, async () => {
  const bin = buildC(join(DIR, 'sse.c'), ['-lm'], FLAGS);
  const { native, force: g } = await sameInEveryMode(bin);
  if (g) {
    const calls = g.jit?.interpCalls ?? {};
    for (const op of TRANSLATED) assert.equal(calls[op], undefined, `jit force: ${op} was run by interpreter calls ${calls[op]} times`);
    // The same run with the SSE translation off: every float form there is a call.
    setSseCode(false);
    let off;
    try { off = await runGuest(['/prog'], { files: { '/prog': bin }, jit: 'force' }); } finally { setSseCode(true); }
    assert.equal(off.stdout, native.stdout, 'jit force, SSE translation off: stdout differs');
    const offCalls = off.jit?.interpCalls ?? {};
    // interp-call.ts counts per realm, so the second run's counts include the first's.
    for (const op of GUARDED) {
      const on = calls[op] ?? 0, untranslated = (offCalls[op] ?? 0) - on;
      assert.ok(untranslated > 0, `${op} not run at all`);
      assert.ok(on < untranslated / 2, `jit force: ${op} called ${on} times, about as often as untranslated (${untranslated})`);
    }
  }
});
