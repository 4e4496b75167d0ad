/**
 * AF_UNIX sockets: a C program (c/unixsock.c) built with gcc -m32, run natively (in a
 * scratch directory) and under the engine; stdout and exit status must match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';

const SRC = new URL('./c/', import.meta.url).pathname;

test('unix sockets (stream over fork, SCM_RIGHTS, credentials, datagrams, seqpacket, errors) behave as natively', async () => {
  const bin = buildC(`${SRC}unixsock.c`);
  const dir = mkdtempSync(join(tmpdir(), 'webx86-unix-'));
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
