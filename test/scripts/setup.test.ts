/**
 * `npm test` on a machine that lacks the packages (scripts/setup.js): with apt-get unable
 * to install them, the run stops before any test with one line naming the packages and
 * the command to install them. Simulated with a PATH holding only sh, a dpkg-query that
 * knows no package and an apt-get that fails (the real install is tried in a clean
 * debootstrap root by hand; see the report of this change).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

function bareMachine(): string {
  const dir = mkdtempSync(join(tmpdir(), 'webx86-bare-'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  for (const [name, body] of [['dpkg-query', 'exit 1'], ['apt-get', 'echo "E: simulated failure" >&2; exit 100']]) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

test('npm test on a machine missing packages stops before any test with one line saying what to install', () => {
  const dir = bareMachine();
  try {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/test.js'), 'test/linux/limits'], {
      cwd: ROOT, encoding: 'utf8', env: { PATH: dir, HOME: process.env.HOME ?? '/root' },
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /✔|✖|total:/, 'no test may run');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('npm test:'));
    const last = lines[lines.length - 1] ?? '';
    assert.match(last, /^npm test: missing gcc-multilib g\+\+-multilib e2fsprogs qemu-user .*; install them with: sudo apt-get install -y --no-install-recommends gcc-multilib /);
    assert.ok(lines.length <= 2, `one line to act on (and one saying what was tried), got:\n${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm test with everything installed goes on to the tests', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/setup.js')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
