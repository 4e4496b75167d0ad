/**
 * Processes, signals and threads: C programs built with gcc -m32, run natively and under
 * the engine; stdout and exit status must match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';

const SRC = new URL('./c/', import.meta.url).pathname;

for (const name of ['signals', 'procs', 'threads', 'storm', 'mm']) {
  test(`${name}.c behaves as natively`, async () => {
    const bin = buildC(`${SRC}${name}.c`, name === 'threads' ? ['-pthread'] : []);
    const native = runNative([bin]);
    const guest = await runGuest(['/prog'], { files: { '/prog': bin } });
    assert.equal(guest.stdout, native.stdout.replaceAll(bin, '/prog'), `stderr: ${guest.stderr}\n${guest.warnings.join('\n')}`);
    assert.equal(guest.status, native.status);
  });
}
