/**
 * An `--overlay` used with `--rw` after a crash (issue 11, defect 2): the CLI is killed
 * with SIGKILL in the middle of a loop of writes and syncs; the next read-write mount must
 * work without any check (the overlay's journal leaves the disk as of the last flush, and
 * each flush is a clean file system), what was synced must be there, e2fsck of the merged
 * view (`webx86 fsck`) must find it clean, and the base image must be untouched. And
 * `webx86 fsck -n/-y` finds and repairs damage in an overlay. Real processes, real e2fsprogs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { busyboxBinDir } from '../../src/host/node/debian-packages.js';
import { FileBlockStore, FileDevice } from '../../src/host/node/file-device.js';
import { OverlayDevice, BLOCK_WRITTEN } from '../../src/engine/block/overlay.js';

const BIN = new URL('../../bin/webx86.js', import.meta.url).pathname;
let dir = '';
let base = '';
let baseMd5 = '';

function webx86(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const md5 = (f: string) => createHash('md5').update(readFileSync(f)).digest('hex');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'webx86-ovl-crash-'));
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  cpSync(busyboxBinDir(), join(tree, 'bin'), { recursive: true, verbatimSymlinks: true });
  base = join(dir, 'base.ext2');
  execFileSync('mke2fs', ['-q', '-t', 'ext2', '-b', '4096', '-d', tree, base, '32M']);
  baseMd5 = md5(base);
});
after(() => rmSync(dir, { recursive: true }));

/** Run the CLI with a write loop and SIGKILL it after `lines` synced rounds; returns the last round it reported synced. */
async function killMidWrite(ov: string, lines: number): Promise<number> {
  const script = 'i=0; while :; do i=$((i+1)); echo $i > /f$((i % 20)); dd if=/dev/zero of=/big$((i % 3)) bs=4096 count=$((i % 7)) 2>/dev/null; '
    + 'if [ $((i % 5)) = 0 ]; then echo $i > /synced; sync; echo $i; fi; done';
  const p = spawn(process.execPath, [BIN, 'run', '--disk', base, '--overlay', ov, '--rw', '--', '/bin/busybox', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d) => {
      out += d;
      if (out.split('\n').filter(Boolean).length >= lines) { p.kill('SIGKILL'); resolve(); }
    });
    p.on('exit', () => reject(new Error(`the writer ended by itself: ${err}`)));
  });
  await new Promise((r) => p.once('close', r));
  return Math.max(...out.split('\n').filter(Boolean).map(Number));
}

test('kill -9 in the middle of writes: the next --rw mount works, synced data is there, e2fsck finds the merged view clean', async (t) => {
  const ov = join(dir, 'crash.overlay');
  for (let round = 0; round < 3; round++) {
    const synced = await killMidWrite(ov, 4 + round * 3);
    const r = await webx86(['run', '--disk', base, '--overlay', ov, '--rw', '--', '/bin/busybox', 'sh', '-c', 'cat /synced; echo ok > /after']);
    t.diagnostic(`round ${round}: killed after round ${synced} synced; remount: status ${r.status}, /synced = ${r.stdout.trim()} ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Number(r.stdout.trim()) >= synced, `/synced holds ${r.stdout.trim()}, round ${synced} was synced`);
    const f = await webx86(['fsck', '--disk', base, '--overlay', ov, '-n']);
    assert.equal(f.status, 0, f.stdout + f.stderr);
    assert.equal(md5(base), baseMd5, 'the base image is untouched');
  }
});

test('webx86 fsck: -n reports damage in an overlay and changes nothing, -y repairs it into the overlay', async () => {
  const ov = join(dir, 'damaged.overlay');
  assert.equal((await webx86(['run', '--disk', base, '--overlay', ov, '--rw', '--', '/bin/busybox', 'sh', '-c', 'echo hi > /hello'])).status, 0);
  // Damage through the overlay: the superblock says "not clean" and group 0's block bitmap loses a byte.
  const dev = new FileDevice(base);
  const store = FileBlockStore.open(ov, dev.size);
  const o = await OverlayDevice.create(dev, store);
  const sb = (await o.read(1024, 1024)).slice();
  sb[0x3a] &= ~1;
  await o.write(1024, sb);
  const bitmap = Number(/Group  0: block bitmap at (\d+)/.exec(execFileSync('debugfs', ['-R', 'stats', base], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1]);
  await o.write(bitmap * 4096 + 40, new Uint8Array([0]));
  assert.equal(store.state(0), BLOCK_WRITTEN);
  store.close();
  const before = md5(ov);
  const rw = await webx86(['run', '--disk', base, '--overlay', ov, '--rw', '--', '/bin/busybox', 'true']);
  assert.match(rw.stderr, /damaged\.overlay over \S+base\.ext2: cannot mount read-write: the file system was not cleanly unmounted \(run webx86 fsck --disk \S+base\.ext2 --overlay \S+damaged\.overlay -y\)/);
  const n = await webx86(['fsck', '--disk', base, '--overlay', ov, '-n']);
  assert.equal(n.status, 4, n.stdout + n.stderr);
  assert.match(n.stdout, /Block bitmap differences/);
  assert.match(n.stdout, new RegExp(`${ov.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} over `));
  assert.equal(md5(ov), before, '-n changes nothing');
  const y = await webx86(['fsck', '--disk', base, '--overlay', ov, '-y']);
  assert.equal(y.status, 1, y.stdout + y.stderr);
  assert.match(y.stdout, /webx86 fsck: \d+ blocks? of \d+ bytes written to /);
  assert.equal((await webx86(['fsck', '--disk', base, '--overlay', ov, '-n'])).status, 0);
  const after = await webx86(['run', '--disk', base, '--overlay', ov, '--rw', '--', '/bin/busybox', 'cat', '/hello']);
  assert.equal(after.stdout, 'hi\n', after.stderr);
  assert.equal(md5(base), baseMd5);
});

test('the overlay journal: writes without a flush are dropped at the next open, flushed ones kept', () => {
  const f = join(dir, 'journal.overlay');
  const a = FileBlockStore.open(f, 1 << 20, 4096);
  a.writeBlock(3, new Uint8Array(4096).fill(3), BLOCK_WRITTEN);
  a.flush();
  a.writeBlock(3, new Uint8Array(4096).fill(4), BLOCK_WRITTEN);
  a.writeBlock(5, new Uint8Array(4096).fill(5), BLOCK_WRITTEN);
  assert.equal(a.readBlock(3)[0], 4, 'the open transaction reads back its own writes');
  // A crash: the process goes without flushing (this object is simply abandoned).
  const b = FileBlockStore.open(f, 1 << 20, 4096);
  assert.equal(b.recovered, 'discarded');
  assert.equal(b.readBlock(3)[0], 3);
  assert.equal(b.state(5), 0);
  b.close();
  const c = FileBlockStore.open(f, 1 << 20, 4096);
  assert.equal(c.recovered, 'clean');
  assert.equal(c.readBlock(3)[0], 3);
  c.close();
});
