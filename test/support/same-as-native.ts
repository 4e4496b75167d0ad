/** The common shape of C-program tests: build with gcc -m32, run natively and in the engine, compare. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC } from './build.js';
import { runGuest, runNative } from './guest.js';
import type { NetStack } from '../../src/engine/net/stack.js';

/**
 * Run the program built from `src` natively (in a scratch directory) and under the engine
 * (as /prog, cwd /tmp); stdout and exit status must match. `nativeStatus`, when given, is
 * checked first so a broken test program fails loudly rather than matching a broken engine.
 */
export async function assertSameAsNative(src: string, o: { gcc?: string[]; nativeStatus?: number; network?: NetStack } = {}): Promise<void> {
  const bin = buildC(src, o.gcc ?? []);
  const dir = mkdtempSync(join(tmpdir(), 'webx86-native-'));
  try {
    const native = runNative([bin], { cwd: dir });
    if (o.nativeStatus !== undefined) assert.equal(native.status, o.nativeStatus, `native run: ${native.stdout}${native.stderr}`);
    const guest = await runGuest(['/prog'], { files: { '/prog': bin }, cwd: '/tmp', network: o.network });
    assert.equal(guest.stdout, native.stdout.replaceAll(bin, '/prog'), `stderr: ${guest.stderr}\n${guest.warnings.join('\n')}`);
    assert.equal(guest.status, native.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
