/**
 * LDT segments, far transfers, 16-bit code, lar/lsl/verr/verw/arpl, the UMIP-emulated
 * descriptor-table instructions and the sigcontext of every exception kind, against the
 * real CPU and kernel (test/cpu/int/segments.c): the engine's output must equal the
 * native run's, in both JIT modes. The engine-only cases are what cannot run the same
 * natively: a far jump to the 64-bit code segment (natively the CPU switches to 64-bit
 * code, which the engine does not run: it must say so with a SIGSEGV, not pretend).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JIT_MODES, runGuest } from '../support/guest.js';
import { buildC, firstDiff, runNativeBig } from './cbuild.js';

test('segments.c: modify_ldt, LDT data and code segments, far transfers, 16-bit code and trap frames match the CPU', async () => {
  const bin = buildC('segments.c');
  const native = runNativeBig([bin]);
  assert.equal(native.status, 0, `native run failed: ${native.stderr}`);
  for (const jit of JIT_MODES) {
    const guest = await runGuest(['/prog'], { files: { '/prog': bin }, jit });
    const diff = firstDiff(native.stdout, guest.stdout);
    assert.equal(diff, null, `segments.c (jit ${jit}): engine output differs from the CPU at ${diff}\nstderr: ${guest.stderr}\n${guest.warnings.join('\n')}`);
    assert.equal(guest.status, native.status);
  }
});
