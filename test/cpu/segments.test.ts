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
import { runGuest } from '../support/guest.js';
import { assertLikeCpu, buildC, runNativeBig } from './cbuild.js';

test('segments.c: modify_ldt, LDT data and code segments, far transfers, 16-bit code and trap frames match the CPU', async () => {
  await assertLikeCpu('segments.c');
});

test('vm86 and vm86old answer ENOSYS, as a 64-bit kernel does to a 32-bit program', async () => {
  const bin = buildC('longmode.c');
  const native = runNativeBig([bin]);
  assert.equal(native.stdout, 'vm86old 26\nvm86 26\n');
  const guest = await runGuest(['/prog'], { files: { '/prog': bin } });
  assert.equal(guest.stdout, native.stdout);
  assert.ok(!guest.warnings.some((w) => /vm86/.test(w)), guest.warnings.join('\n'));
});

test('a far jump to the 64-bit code segment (0x33) is a SIGSEGV that names the missing 64-bit mode', async () => {
  const bin = buildC('longmode.c');
  const guest = await runGuest(['/prog', 'jump'], { files: { '/prog': bin } });
  assert.equal(guest.status, 128 + 11);
  assert.ok(guest.warnings.some((w) => /64-bit code segment 0x33/.test(w)), guest.warnings.join('\n'));
});

test('stackseg.c: LDT stack segments in SS (a based 32-bit stack, a 16-bit stack whose SP wraps at 64 KiB) move ESP/SP as the CPU does', async () => {
  await assertLikeCpu('stackseg.c');
});
