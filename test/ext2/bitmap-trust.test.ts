/**
 * `webx86 run --rw` over a damaged image (issue 11, defect 5): a block bitmap that marks a
 * block of /bin/busybox free (one bit cleared, counts untouched, as a fuzzer or a bad disk
 * leaves it) must not give that block to a new file. The writer checks each group's bitmap
 * against its descriptor before allocating from it; the write fails with EIO, the cause is
 * printed, busybox is intact (compared with debugfs's copy, and e2fsck finds no block
 * claimed twice), and the file system is marked with errors, so the next read-write mount
 * is refused until e2fsck has repaired it; read-only still works. Real e2fsprogs throughout.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { busyboxBinDir } from '../../src/host/node/debian-packages.js';

const BIN = new URL('../../bin/webx86.js', import.meta.url).pathname;
let dir = '';
let clean = '';

function webx86(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const debugfs = (img: string, cmd: string, write = false) =>
  execFileSync('debugfs', [...(write ? ['-w'] : []), '-R', cmd, img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

function md5OfFile(img: string, p: string): string {
  const out = join(dir, `dump-${Math.random().toString(36).slice(2)}`);
  debugfs(img, `dump ${p} ${out}`);
  const h = createHash('md5').update(readFileSync(out)).digest('hex');
  rmSync(out);
  return h;
}

function fsck(img: string, fix = false): { status: number; out: string } {
  const r = spawnSync('e2fsck', [fix ? '-fy' : '-fn', img], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'webx86-bitmap-'));
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  cpSync(busyboxBinDir(), join(tree, 'bin'), { recursive: true, verbatimSymlinks: true });
  clean = join(dir, 'clean.ext2');
  execFileSync('mke2fs', ['-q', '-t', 'ext2', '-b', '4096', '-d', tree, clean, '32M']);
});
after(() => rmSync(dir, { recursive: true }));

/** A copy of the clean image with the bitmap bit of busybox's logical block `lb` cleared. */
function damaged(name: string, lb: number): { img: string; block: number } {
  const img = join(dir, `${name}.ext2`);
  cpSync(clean, img);
  const block = Number(debugfs(img, `bmap /bin/busybox ${lb}`).trim());
  const bitmap = Number(/Group  0: block bitmap at (\d+)/.exec(debugfs(img, 'stats'))?.[1]);
  assert.ok(block > 0 && bitmap > 0 && block < 32768, 'busybox and the bitmap of group 0');
  const bytes = readFileSync(img);
  const at = bitmap * 4096 + (block >> 3);
  assert.ok(bytes[at] & (1 << (block & 7)), 'the block is marked in use');
  bytes[at] &= ~(1 << (block & 7));
  writeFileSync(img, bytes);
  assert.match(debugfs(img, `testb ${block}`), /not in use/);
  return { img, block };
}

test('a used block marked free is not handed to a new file: EIO with the cause, busybox intact, the image marked with errors', async (t) => {
  const { img, block } = damaged('freed', 10);
  const before = md5OfFile(img, '/bin/busybox');
  const r = await webx86(['run', '--disk', img, '--rw', '--', '/bin/busybox', 'sh', '-c',
    'dd if=/dev/zero of=/new bs=4096 count=8 2>/dev/null; echo st=$?']);
  t.diagnostic(`block ${block}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, 'st=1\n');
  assert.match(r.stderr, /webx86: the ext2 file system is damaged: group 0's block bitmap \(block \d+\) marks \d+ blocks free but its descriptor counts \d+: the bitmap cannot be trusted for allocating \(run e2fsck\)/);
  assert.equal(md5OfFile(img, '/bin/busybox'), before, 'busybox is untouched');
  const check = fsck(img);
  assert.doesNotMatch(check.out, /[Mm]ultiply-claimed/, check.out);
  assert.match(debugfs(img, 'stats'), /Filesystem state:\s+not clean with errors/);
  // Read-write refused until e2fsck has run; read-only still runs.
  const rw = await webx86(['run', '--disk', img, '--rw', '--', '/bin/busybox', 'true']);
  assert.equal(rw.status, 2);
  assert.match(rw.stderr, /cannot mount read-write: the file system has errors \(run e2fsck\)/);
  const ro = await webx86(['run', '--disk', img, '--', '/bin/busybox', 'echo', 'ro']);
  assert.equal(ro.stdout, 'ro\n');
  // e2fsck repairs the bitmap; then writing works, and busybox is still intact.
  fsck(img, true);
  assert.equal(fsck(img).status, 0);
  const ok = await webx86(['run', '--disk', img, '--rw', '--', '/bin/busybox', 'sh', '-c', 'dd if=/dev/zero of=/new bs=4096 count=8 2>/dev/null; echo st=$?']);
  assert.equal(ok.stdout, 'st=0\n', ok.stderr);
  assert.equal(md5OfFile(img, '/bin/busybox'), before);
  assert.equal(fsck(img).status, 0, fsck(img).out);
});

test('a superblock with a recorded error count refuses read-write (read-only works)', async () => {
  const img = join(dir, 'counted.ext2');
  cpSync(clean, img);
  debugfs(img, 'ssv error_count 2', true);
  const rw = await webx86(['run', '--disk', img, '--rw', '--', '/bin/busybox', 'true']);
  assert.equal(rw.status, 2);
  assert.match(rw.stderr, /cannot mount read-write: the file system has recorded 2 errors \(run e2fsck\)/);
  const ro = await webx86(['run', '--disk', img, '--', '/bin/busybox', 'echo', 'ro']);
  assert.equal(ro.stdout, 'ro\n');
});
