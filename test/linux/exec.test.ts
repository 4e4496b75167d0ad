/**
 * execve of scripts and large programs, compared with native runs:
 * - c/shebang.c: #! chains (5 nested scripts run, 6 give ELOOP), CRLF lines (ENOENT),
 *   spacing, lines without a newline, empty lines;
 * - a 3 GiB executable (a small static program followed by a hole, as a self-extracting
 *   archive is) starts and runs: the loader reads the headers and segments only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSameAsNative } from '../support/same-as-native.js';
import { buildC } from '../support/build.js';
import { runGuest, runNative } from '../support/guest.js';
import { HostFs } from '../../src/host/node/hostfs.js';

const SRC = new URL('./c/', import.meta.url).pathname;

test('shebang.c: #! chains, CRLF lines and #! parsing behave as natively', () =>
  assertSameAsNative(`${SRC}shebang.c`, { nativeStatus: 0 }));

test('a 3 GiB executable with a small text runs as natively (only its segments are read)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-big-exec-'));
  try {
    const big = join(dir, 'big');
    copyFileSync(buildC(`${SRC}shebang.c`), big);
    truncateSync(big, 3 * 2 ** 30); // sparse: costs no disk
    const native = runNative([big, 'arg'], { cwd: dir });
    assert.equal(native.status, 0, native.stderr);
    const g = await runGuest(['/host/big', 'arg'], { mounts: [{ path: '/host', fs: new HostFs(dir, { readOnly: true }) }] });
    assert.equal(g.stdout, native.stdout, `stderr: ${g.stderr}\n${g.warnings.join('\n')}`);
    assert.equal(g.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
