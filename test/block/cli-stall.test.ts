/**
 * The CLI with a misbehaving disk server (issue 11, defects 1 and 3): a real ext2 image with
 * Debian's static busybox served by a local HTTP server (server.ts) that fails one byte
 * range. The stall shows on stderr as it happens, the read that needs the range fails with
 * EIO while the rest of the system keeps working, and a program that cannot start says why
 * (the server, the range, what went wrong, what to do) rather than "error 5".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxBinDir } from '../../src/host/node/debian-packages.js';
import { TestServer } from './server.js';

const BIN = new URL('../../bin/webx86.js', import.meta.url).pathname;
const srv = new TestServer();
let dir = '';
let img = '';

function webx86(args: string[]): Promise<{ status: number; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Byte range of the file system block holding logical block `lb` of `path` (debugfs bmap). */
function blockRange(path: string, lb: number): { from: number; to: number } {
  const out = execFileSync('debugfs', ['-R', `bmap ${path} ${lb}`, img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const blk = Number(out.trim());
  assert.ok(blk > 0, `bmap ${path} ${lb}: ${out}`);
  return { from: blk * 4096, to: blk * 4096 + 4095 };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webx86-stall-'));
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, 'data'), { recursive: true });
  cpSync(busyboxBinDir(), join(tree, 'bin'), { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(tree, 'data/big'), new Uint8Array(1 << 20).fill(7));
  img = join(dir, 'img.ext2');
  execFileSync('mke2fs', ['-q', '-t', 'ext2', '-b', '4096', '-d', tree, img, '64M']);
  srv.files.set('/img.ext2', new Uint8Array(readFileSync(img)));
  await srv.start();
});
after(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true });
});

const url = () => `${srv.url}/img.ext2`;

test('a server that stalls on one range: the stall is shown, that read gets EIO with the cause, the rest runs', async (t) => {
  srv.reset({ fault: { kind: 'stall-after-headers', ...blockRange('/data/big', 128) } });
  const r = await webx86(['run', '--disk', url(), '--', '/bin/busybox', 'sh', '-c',
    'dd if=/data/big of=/dev/null bs=4096 skip=128 count=1 2>/dev/null; echo st=$?; echo alive']);
  t.diagnostic(`${r.ms} ms; stderr:\n${r.stderr}`);
  assert.equal(r.stdout, 'st=1\nalive\n');
  assert.equal(r.status, 0);
  assert.match(r.stderr, /webx86: disk: http:\/\/127\.0\.0\.1:\d+\/img\.ext2: the server sent the response headers and then nothing for \d+\.\d s \(bytes \d+-\d+\); retrying in/);
  assert.match(r.stderr, /webx86: reading the disk failed: http:\/\/127\.0\.0\.1:\d+\/img\.ext2: the server sent the response headers and then nothing for \d+\.\d s \(bytes \d+-\d+; gave up after 4 attempts in \d+\.\d s\) \(check that the server is up/);
  assert.ok(srv.faulted >= 4);
  assert.ok(r.ms < 40_000, `${r.ms} ms`);
});

test('a program that cannot be read says why, not "error 5"', async (t) => {
  srv.reset({ fault: { kind: 'reset', ...blockRange('/bin/busybox', 0) } });
  const r = await webx86(['run', '--disk', url(), '--', '/bin/busybox', 'true']);
  t.diagnostic(`${r.ms} ms; stderr:\n${r.stderr}`);
  assert.equal(r.status, 126);
  assert.match(r.stderr, /webx86: cannot run \/bin\/busybox: Input\/output error: reading the disk failed: http:\/\/127\.0\.0\.1:\d+\/img\.ext2: network error: fetch failed \(ECONNRESET\) \(bytes \d+-\d+; gave up after 6 attempts in \d+\.\d s\) \(check that the server is up and reachable/);
  assert.doesNotMatch(r.stderr, /error 5/);
});
