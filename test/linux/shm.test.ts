/**
 * Memory shared between processes (src/engine/linux/shm.ts): a C program (c/shm.c) built
 * with gcc -m32, run natively (in a scratch directory) and under the engine; stdout and
 * exit status must match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';

const SRC = new URL('./c/', import.meta.url).pathname;

test('MAP_SHARED memory, process-shared semaphores and sem_open work across fork as natively', async () => {
  const bin = buildC(`${SRC}shm.c`, ['-pthread']);
  const dir = mkdtempSync(join(tmpdir(), 'webx86-shm-'));
  try {
    const native = runNative([bin], { cwd: dir });
    assert.equal(native.status, 0, native.stdout);
    const guest = await runGuest(['/prog'], { files: { '/prog': bin }, cwd: '/tmp' });
    assert.equal(guest.stdout, native.stdout, `stderr: ${guest.stderr}\n${guest.warnings.join('\n')}`);
    assert.equal(guest.status, native.status);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
