/**
 * The shape of this folder's program tests: a binary run natively and as /prog in each JIT
 * mode (interpreter only, then everything translatable translated), stdout and exit status
 * identical. A translation error falls back to the interpreter with the same output, so in
 * force mode it counts as a failure here.
 */
import assert from 'node:assert/strict';
import { JIT_MODES, runGuest, runNative, type GuestResult } from '../support/guest.js';

/** Returns the native run and the force-mode run (null when WEBX86_JIT picks another single mode) for the caller's own checks. */
export async function sameInEveryMode(bin: string, normalize: (out: string) => string = (s) => s): Promise<{ native: GuestResult; force: GuestResult | null }> {
  const native = runNative([bin]);
  native.stdout = normalize(native.stdout);
  assert.equal(native.status, 0, `native run failed: ${native.stdout}${native.stderr}`);
  let force: GuestResult | null = null;
  for (const jit of JIT_MODES) {
    const g = await runGuest(['/prog'], { files: { '/prog': bin }, jit });
    g.stdout = normalize(g.stdout);
    assert.equal(g.stdout, native.stdout, `jit ${jit}: stdout differs; stderr: ${g.stderr}`);
    assert.equal(g.status, native.status, `jit ${jit}: status differs`);
    if (jit !== 'force') continue;
    assert.equal(g.jit?.errors, 0, 'jit force: regions the translator failed on');
    force = g;
  }
  return { native, force };
}
