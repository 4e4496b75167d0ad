/**
 * Writable ext2: guest workloads (Debian's static busybox, run from the image itself)
 * through the real VFS and system calls, then the real e2fsprogs judge the image:
 * `e2fsck -fn` must find nothing to fix, and debugfs must see exactly what the guest wrote
 * (expected contents are computed here or come from the host's own tar and file system).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ext2Fs } from '../../src/engine/fs/ext2/index.js';
import { FileDevice } from '../../src/host/node/file-device.js';
import { busyboxBinDir, busyboxStatic } from '../../src/host/node/debian-packages.js';
import { runGuest, runNative, type GuestResult } from '../support/guest.js';
import { pattern, tmpRoot } from './fixture.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** A source directory for mke2fs -d holding /bin (busybox and its applet links) and `extra` files. */
function imageSource(name: string, extra: (dir: string) => void = () => {}): string {
  const dir = path.join(tmpRoot, `wsrc-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('cp', ['-a', busyboxBinDir(), path.join(dir, 'bin')]);
  fs.rmSync(path.join(dir, 'bin/.done'), { force: true });
  extra(dir);
  return dir;
}

/** A host directory of applet links to the package's busybox, for native reference runs. */
function nativeApplets(): string {
  const dir = path.join(tmpRoot, 'native-bin');
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(dir);
  const bb = busyboxStatic();
  for (const a of execFileSync(bb, ['--list']).toString().split('\n').filter(Boolean)) fs.symlinkSync(bb, path.join(dir, a));
  return dir;
}

function mkfs(name: string, src: string, o: { blockSize: number; size: string; features?: string; inodes?: number; htree?: boolean }): string {
  const img = path.join(tmpRoot, `w-${name}.img`);
  fs.rmSync(img, { force: true });
  const args = ['-q', '-F', '-t', 'ext2', '-b', String(o.blockSize)];
  if (o.features) args.push('-O', o.features);
  if (o.inodes) args.push('-N', String(o.inodes));
  execFileSync('mke2fs', [...args, '-d', src, img, o.size], { stdio: 'pipe' });
  if (o.htree) {
    // mke2fs -d writes linear directories; e2fsck -D rebuilds large ones as hashed trees.
    try { execFileSync('e2fsck', ['-fyD', img], { stdio: 'pipe' }); } catch { /* exit 1 = fixed */ }
  }
  return img;
}

/** Mount writable, run `script` with /bin/sh from the image, unmount (sync + clean). */
async function guest(img: string, script: string): Promise<GuestResult> {
  const dev = new FileDevice(img, { writable: true });
  const e2 = await Ext2Fs.mount(dev, 0x801, { writable: true });
  assert.equal(e2.readOnly, false, `${e2.roReason}`);
  try {
    return await runGuest(['/bin/sh', '-c', script], { root: e2, env: ['PATH=/bin', 'HOME=/', 'LC_ALL=C', 'TZ=UTC'] });
  } finally {
    await e2.unmount();
    dev.close();
  }
}

function fsck(img: string): void {
  const r = spawnSync('e2fsck', ['-fn', img], { encoding: 'utf8' });
  assert.equal(r.status, 0, `e2fsck -fn ${img}:\n${r.stdout}\n${r.stderr}`);
}

const debugfs = (img: string, cmd: string): string =>
  execFileSync('debugfs', ['-R', cmd, img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });

/** Dump a guest directory out of the image with debugfs (not our reader). */
function rdump(img: string, guestDir: string, name: string): string {
  const out = path.join(tmpRoot, `dump-${name}`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out);
  debugfs(img, `rdump ${guestDir} ${out}`);
  return path.join(out, path.basename(guestDir));
}

interface Entry { type: 'file' | 'dir' | 'link'; mode: number; uid: number; gid: number; data?: string; target?: string }

/** A host tree as a sorted map: relative path -> kind, permission bits, contents or target. */
function snapshot(dir: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(dir, r);
      const st = fs.lstatSync(p);
      const mode = st.mode & 0o7777;
      const { uid, gid } = st;
      if (st.isSymbolicLink()) out.set(r, { type: 'link', mode: 0, uid: 0, gid: 0, target: fs.readlinkSync(p) });
      else if (st.isDirectory()) { out.set(r, { type: 'dir', mode, uid, gid }); walk(r); }
      else if (st.isFile()) out.set(r, { type: 'file', mode, uid, gid, data: fs.readFileSync(p).toString('base64') });
    }
  };
  walk('');
  return out;
}

function assertSameTree(actual: Map<string, Entry>, expected: Map<string, Entry>): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], 'the same names');
  for (const [k, v] of expected) assert.deepEqual(actual.get(k), v, k);
}

/** Inode number, link count and size of `p` from debugfs stat. */
function dstat(img: string, p: string): { ino: number; links: number; size: number; blocks: number } {
  const s = debugfs(img, `stat "${p}"`);
  const ino = Number(/Inode: (\d+)/.exec(s)?.[1]);
  return { ino, links: Number(/Links: (\d+)/.exec(s)?.[1]), size: Number(/Size: (\d+)/.exec(s)?.[1]), blocks: Number(/Blockcount: (\d+)/.exec(s)?.[1]) };
}

/** A generated source tree: nested directories, files of many sizes, symlinks and hard links. */
function makeTree(dir: string): void {
  let seed = 1;
  for (let d = 0; d < 12; d++) {
    const sub = path.join(dir, `dir${d}`, d % 3 ? `inner${d}` : '', d % 4 === 0 ? 'deeper/still' : '');
    fs.mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 25; f++) {
      const size = [0, 1, 59, 1000, 1024, 4095, 4096, 4097, 13000, 70000, 300000][(d * 25 + f) % 11];
      fs.writeFileSync(path.join(sub, `file${f}.c`), pattern(size, seed++));
    }
    fs.symlinkSync(`file${d}.c`, path.join(sub, 'short-link'));
    fs.symlinkSync('../'.repeat(3) + 'a-long-target/' + 'z'.repeat(80), path.join(sub, 'long-link'));
    fs.linkSync(path.join(sub, 'file1.c'), path.join(sub, 'hard-link'));
  }
  fs.chmodSync(path.join(dir, 'dir0/deeper/still/file0.c'), 0o755);
  fs.chmodSync(path.join(dir, 'dir1/inner1/file0.c'), 0o600);
}

describe('writable ext2 under guest workloads', { timeout: 600_000 }, () => {
  it('untars a source tree (1 KiB blocks): e2fsck is clean and debugfs sees the host tree', async () => {
    const tree = path.join(tmpRoot, 'tree');
    fs.rmSync(tree, { recursive: true, force: true });
    makeTree(tree);
    const src = imageSource('untar', (d) => {
      execFileSync('tar', ['--format=gnu', '-cf', path.join(d, 'src.tar'), '-C', tree, '.']);
    });
    const img = mkfs('untar', src, { blockSize: 1024, size: '64M' });
    const r = await guest(img, 'mkdir /x && cd /x && tar xf /src.tar && echo done');
    assert.equal(r.stdout, 'done\n', r.stderr);
    fsck(img);
    assertSameTree(snapshot(rdump(img, '/x', 'untar')), snapshot(tree));
    // Hard links are one inode with two names.
    const a = dstat(img, '/x/dir2/inner2/file1.c'), b = dstat(img, '/x/dir2/inner2/hard-link');
    assert.equal(a.ino, b.ino);
    assert.equal(a.links, 2);
    assert.match(debugfs(img, 'ls -l /x/dir5/inner5'), /long-link/);
    // Still readable by the project's own reader after the writer's sync.
    const ro = await Ext2Fs.mount(new FileDevice(img), 1);
    const x = await ro.root.lookup('x');
    assert.ok(x && typeof x === 'object');
  });

  it('survives file churn (1 KiB blocks) exactly as the same script does natively', async () => {
    const src = imageSource('churn', (d) => fs.writeFileSync(path.join(d, 'pat'), pattern(6 * 1024 * 1024 + 777, 42)));
    const img = mkfs('churn', src, { blockSize: 1024, size: '64M' });
    const r = await guest(img, `W=/w; ${CHURN}`);
    assert.equal(r.status, 0, r.stderr);
    fsck(img);
    // The reference: the same busybox script run natively on the host's file system.
    const native = path.join(tmpRoot, 'churn-native');
    fs.rmSync(native, { recursive: true, force: true });
    fs.mkdirSync(native);
    fs.copyFileSync(path.join(src, 'pat'), path.join(native, 'pat'));
    // Busybox from the package (the applet directory's copy may be busy: ETXTBSY), applets via a shell function.
    const bb = busyboxStatic();
    const n = runNative([bb, 'sh', '-c', `PAT=${native}/pat; W=${native}/w; ${CHURN.replaceAll('/pat', '$PAT')}`], { env: { PATH: nativeApplets(), LC_ALL: 'C' } });
    assert.equal(n.status, 0, n.stderr);
    assert.equal(r.stdout, n.stdout);
    assertSameTree(snapshot(rdump(img, '/w', 'churn')), snapshot(path.join(native, 'w')));
    const big = dstat(img, '/w/big');
    assert.equal(big.links, 2);
    assert.equal(big.size, 6 * 1024 * 1024 + 777 + 6);
    // Devices and FIFOs as debugfs sees them.
    assert.match(debugfs(img, 'stat /w/cdev'), /Type: character special[\s\S]*Device major\/minor number: 04:300/);
    assert.match(debugfs(img, 'stat /w/fifo'), /Type: FIFO/);
    assert.match(debugfs(img, 'ls -l /w'), /\bsl\b/);
  });
});

/** The churn workload; $W is the work directory (guest or native). */
const CHURN = String.raw`
set -e
mkdir -p $W/a $W/b
i=0; while [ $i -lt 300 ]; do echo "line $i" > $W/a/f$i; i=$((i+1)); done
i=0; while [ $i -lt 300 ]; do echo "more $i" >> $W/a/f$i; i=$((i+3)); done
truncate -s 3 $W/a/f5
truncate -s 10000 $W/a/f7
truncate -s 0 $W/a/f9
i=0; while [ $i -lt 300 ]; do rm $W/a/f$i; i=$((i+2)); done
mv $W/a $W/b/moved
mkdir $W/c; echo in-c > $W/c/inside
mv $W/c $W/b/moved/c
mv $W/b/moved/c $W/c2
echo replaced > $W/r1; echo victim > $W/r2; ln $W/r2 $W/r2-link
mv $W/r1 $W/r2
dd if=/pat of=$W/big bs=65536 2>/dev/null
dd if=/dev/zero of=$W/big bs=1 count=100 seek=1000 conv=notrunc 2>/dev/null
echo tail! >> $W/big
ln $W/big $W/big2
ln -s b/moved/f1 $W/sl
chmod 0640 $W/b/moved/f1
chown 1000:1000 $W/b/moved/f3
mkdir $W/gone; rmdir $W/gone
mkdir -p $W/deep/er/est; echo x > $W/deep/er/est/x; rm -r $W/deep
dd if=/pat of=$W/sparse bs=1024 seek=70000 count=3 2>/dev/null
dd if=/pat of=$W/shrunk bs=65536 count=20 2>/dev/null
truncate -s 20000 $W/shrunk
dd if=/pat of=$W/shrunk bs=1000 count=1 seek=30 conv=notrunc 2>/dev/null
mknod $W/cdev c 4 300
mkfifo $W/fifo
rm $W/cdev2 2>/dev/null || true
ls $W/b/moved | wc -l
cat $W/r2 $W/r2-link
`;
