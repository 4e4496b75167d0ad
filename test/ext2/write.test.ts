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
import { Vfs } from '../../src/engine/fs/vfs.js';
import { File, O_CREAT, O_RDONLY, O_RDWR, type Stat, unref } from '../../src/engine/fs/types.js';
import type { Task } from '../../src/engine/linux/task.js';
import { ENOTEMPTY, EROFS } from '../../src/engine/linux/errno.js';

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

/** Data blocks of a debugfs `stat` BLOCKS list: logical -> physical ("(0-11):596-607, (IND):608, ..."). */
function blockMap(stat: string): Map<number, number> {
  const out = new Map<number, number>();
  const list = stat.slice(stat.indexOf('BLOCKS:'));
  for (const m of list.matchAll(/\((\d+)(?:-(\d+))?\):(\d+)/g)) {
    const lo = Number(m[1]), hi = Number(m[2] ?? m[1]), p = Number(m[3]);
    for (let i = lo; i <= hi; i++) out.set(i, p + i - lo);
  }
  return out;
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

describe('writable ext2: big files, hashed directories, a full disk', { timeout: 600_000 }, () => {
  it('writes a file > 5 MiB (double indirect at 1 KiB) and a sparse file past 4 GiB (triple indirect, i_size_high)', async () => {
    const src = imageSource('big', (d) => fs.writeFileSync(path.join(d, 'pat'), pattern(5 * 1024 * 1024 + 4321, 7)));
    const img = mkfs('big', src, { blockSize: 1024, size: '48M' });
    const r = await guest(img, [
      'cat /pat /pat > /big',
      'dd if=/pat of=/huge bs=1 count=10 seek=5368709120 2>/dev/null',
      'dd if=/pat of=/huge bs=1024 count=2 seek=300 conv=notrunc 2>/dev/null',
      'cp /big /big-copy && rm /big-copy',
      'ls -l /huge',
    ].join(' && '));
    assert.equal(r.status, 0, r.stderr);
    fsck(img);
    const pat = fs.readFileSync(path.join(src, 'pat'));
    const out = path.join(tmpRoot, 'big-out');
    debugfs(img, `dump /big ${out}`);
    assert.ok(fs.readFileSync(out).equals(Buffer.concat([pat, pat])), 'big file contents');
    const huge = dstat(img, '/huge');
    assert.equal(huge.size, 5368709130);
    assert.match(debugfs(img, 'stat /huge'), /\(TIND\)/);
    // Sparse: a few data blocks and their pointer blocks, not gigabytes.
    assert.ok(huge.blocks < 64, `i_blocks ${huge.blocks}`);
    // Read the islands through debugfs's block map (dumping 5 GiB of holes would be slow).
    const map = blockMap(debugfs(img, 'stat /huge'));
    const at = (lb: number): number => { const p = map.get(lb); assert.ok(p, `logical block ${lb} mapped`); return p * 1024; };
    const image = fs.openSync(img, 'r');
    const tailBytes = Buffer.alloc(10), mid = Buffer.alloc(2048);
    fs.readSync(image, tailBytes, 0, 10, at(5368709120 / 1024));
    fs.readSync(image, mid, 0, 1024, at(300));
    fs.readSync(image, mid, 1024, 1024, at(301));
    fs.closeSync(image);
    assert.ok(tailBytes.equals(pat.subarray(0, 10)));
    assert.ok(mid.equals(pat.subarray(0, 2048)));
    assert.deepEqual([...map.keys()].sort((a, b) => a - b), [300, 301, 5368709120 / 1024]);
    assert.match(debugfs(img, 'features'), /large_file/);
  });

  it('changes a dir_index directory of 1000 files (4 KiB blocks): htree dropped, e2fsck clean, listing exact', async () => {
    const src = imageSource('htree', (d) => {
      fs.mkdirSync(path.join(d, 'many'));
      for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(d, 'many', `entry-${i}`), `${i}\n`);
    });
    const img = mkfs('htree', src, { blockSize: 4096, size: '32M', features: 'dir_index', htree: true });
    assert.match(debugfs(img, 'stat /many'), /Flags: 0x1000/, 'the fixture directory is hashed');
    const r = await guest(img, [
      'cd /many',
      'i=0; while [ $i -lt 1000 ]; do rm entry-$i; i=$((i+3)); done',
      'i=0; while [ $i -lt 300 ]; do echo new $i > new-file-with-a-longer-name-$i; i=$((i+1)); done',
      'mv entry-1 renamed-1',
      'ls | wc -l',
    ].join(' && '));
    assert.equal(r.status, 0, r.stderr);
    fsck(img);
    const names = new Set<string>();
    for (let i = 0; i < 1000; i++) if (i % 3) names.add(i === 1 ? 'renamed-1' : `entry-${i}`);
    for (let i = 0; i < 300; i++) names.add(`new-file-with-a-longer-name-${i}`);
    assert.equal(r.stdout.trim(), String(names.size));
    // ls -p: /inode/mode/uid/gid/name/size/ per line; inode 0 marks a free slot (a removed first entry of a block).
    const listed = debugfs(img, 'ls -p /many').split('\n').map((l) => l.split('/')).filter((f) => f.length > 5 && f[1] !== '0')
      .map((f) => f[5]).filter((n) => n !== '.' && n !== '..');
    assert.deepEqual(new Set(listed), names);
    assert.equal(debugfs(img, 'cat /many/new-file-with-a-longer-name-299'), 'new 299\n');
    assert.doesNotMatch(debugfs(img, 'stat /many'), /Flags: 0x1000/);
  });

  it('answers ENOSPC on a full disk and leaves the image consistent', async () => {
    const src = imageSource('full', () => {});
    const img = mkfs('full', src, { blockSize: 1024, size: '8M', inodes: 1024 });
    const r = await guest(img, [
      'dd if=/dev/zero of=/fill bs=4096 2>/tmp/dd.err; grep -c "No space left" /tmp/dd.err',
      'echo more >> /fill || echo append-failed',
      'i=0; while mkdir /d$i 2>/dev/null; do i=$((i+1)); done; echo mkdir-stopped',
      'i=0; while touch /e$i 2>/dev/null; do i=$((i+1)); done; echo create-stopped',
      'rm /fill',
      'echo after > /after && cat /after',
    ].join('; '));
    assert.equal(r.stdout, '1\nappend-failed\nmkdir-stopped\ncreate-stopped\nafter\n', r.stderr);
    fsck(img);
    assert.equal(debugfs(img, 'cat /after'), 'after\n');
    // Mountable again, read-only, by the project's reader.
    const ro = await Ext2Fs.mount(new FileDevice(img), 1);
    const after = await ro.root.lookup('after');
    assert.ok(after && typeof after === 'object');
    const buf = new Uint8Array(6);
    assert.equal(await after.read!(buf, 0), 6);
    assert.equal(Buffer.from(buf).toString(), 'after\n');
  });
});

describe('webx86 run --disk IMAGE --rw', { timeout: 300_000 }, () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/webx86.js'), 'run', ...args], { encoding: 'utf8' });

  it('writes through to the image and leaves it clean; without --rw the disk stays read-only', () => {
    const img = mkfs('cli', imageSource('cli'), { blockSize: 4096, size: '16M' });
    const ro = cli(['--disk', img, '--', '/bin/sh', '-c', 'echo x > /f']);
    assert.notEqual(ro.status, 0);
    assert.match(ro.stderr, /Read-only file system/);
    const rw = cli(['--disk', img, '--rw', '--', '/bin/sh', '-c', 'mkdir -p /home/u && echo written by the guest > /home/u/note && ln -s note /home/u/ln && sync && cat /home/u/ln']);
    assert.equal(rw.status, 0, rw.stderr);
    assert.equal(rw.stdout, 'written by the guest\n');
    fsck(img);
    assert.equal(debugfs(img, 'cat /home/u/note'), 'written by the guest\n');
    assert.match(debugfs(img, 'stats'), /Filesystem state:\s+clean/);
    // A second run sees the first one's files.
    const again = cli(['--disk', img, '--rw', '--', '/bin/sh', '-c', 'cat /home/u/note; rm -r /home/u']);
    assert.equal(again.stdout, 'written by the guest\n', again.stderr);
    fsck(img);
    assert.doesNotMatch(debugfs(img, 'ls /home'), /\bu\b/);
  });
});

/** Mount an image writable in a bare VFS (no guest): for checking link counts, '..' and times exactly. */
async function vfsOn(img: string, writebackThreshold?: number): Promise<{ vfs: Vfs; e2: Ext2Fs; done: () => Promise<void> }> {
  const dev = new FileDevice(img, { writable: true });
  const e2 = await Ext2Fs.mount(dev, 0x801, { writable: true, writebackThreshold });
  const vfs = new Vfs();
  vfs.mount('/', e2);
  return { vfs, e2, done: async () => { await e2.unmount(); dev.close(); } };
}

const T = null as unknown as Task;
/** Drop the only reference to an open description, as close(2) of its last descriptor does. */
async function close(f: File): Promise<void> {
  f.refs = 1;
  unref(f);
  await new Promise((r) => setImmediate(r)); // release() runs queued behind the file system's lock
}
const st = async (vfs: Vfs, p: string): Promise<Stat> => (await vfs.stat(null, -100, p, false)) as Stat;

describe('writable ext2 semantics through the VFS', () => {
  for (const variant of [
    { name: '1k-256', blockSize: 1024, extra: [] as string[] },
    { name: '4k-128-nofiletype', blockSize: 4096, extra: ['-I', '128', '-O', '^filetype'] },
  ]) {
    it(`renames directories, replaces files and empty directories, keeps link counts (${variant.name})`, async () => {
      const img = path.join(tmpRoot, `sem-${variant.name}.img`);
      fs.rmSync(img, { force: true });
      execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', String(variant.blockSize), ...variant.extra, img, '8M'], { stdio: 'pipe' });
      const { vfs, done } = await vfsOn(img);
      for (const d of ['/a', '/b', '/a/sub', '/a/sub/inner', '/empty', '/full']) assert.equal(await vfs.mkdir(null, -100, d, 0o755), 0);
      assert.equal(await vfs.writeFile('/full/x', 'x'), 1);
      assert.equal(await vfs.writeFile('/f1', 'one'), 3);
      assert.equal(await vfs.writeFile('/f2', 'two'), 3);
      assert.equal((await st(vfs, '/a')).nlink, 3);
      assert.equal(await vfs.rename(null, -100, '/a/sub', -100, '/b/moved'), 0);
      assert.equal((await st(vfs, '/a')).nlink, 2);
      assert.equal((await st(vfs, '/b')).nlink, 3);
      assert.equal(await vfs.rename(null, -100, '/b/moved', -100, '/empty'), 0); // over an empty directory
      assert.equal(await vfs.rename(null, -100, '/empty', -100, '/full'), -ENOTEMPTY);
      assert.equal(await vfs.rename(null, -100, '/f1', -100, '/f2'), 0); // over a file
      assert.equal(await vfs.readFileText('/f2'), 'one');
      const rootLinks = (await st(vfs, '/')).nlink;
      // An unlinked file stays readable while open; its blocks come back at the last close.
      const wr = (await vfs.open(null, -100, '/open', O_RDWR | O_CREAT, 0o644)) as File;
      assert.equal(await wr.pwrite(T, new Uint8Array(50_000).fill(7), 0), 50_000);
      await close(wr); // (vfs.writeFile would keep its description open)
      const free0 = (await vfs.mounts.get('/')!.statfs!()).bfree;
      const f = (await vfs.open(null, -100, '/open', O_RDONLY)) as File;
      assert.equal(await vfs.unlink(null, -100, '/open'), 0);
      const buf = new Uint8Array(10);
      assert.equal(await f.pread(T, buf, 40_000), 10);
      assert.deepEqual([...buf], new Array(10).fill(7));
      await close(f);
      assert.ok((await vfs.mounts.get('/')!.statfs!()).bfree > free0, 'blocks freed at the last close');
      await done();
      fsck(img);
      const empty = dstat(img, '/empty');
      assert.equal(empty.links, 3); // '.', its entry, and inner's '..'
      assert.match(debugfs(img, 'ls -l /empty/inner'), new RegExp(`^\\s*${empty.ino}\\s+40755.*\\.\\.$`, 'm'));
      assert.equal(dstat(img, '/').links, rootLinks);
      assert.equal(debugfs(img, 'cat /f2'), 'one');
    });
  }

  it('sets modes, owners and times as asked, and mtime/ctime on writes', async () => {
    const img = path.join(tmpRoot, 'attr.img');
    fs.rmSync(img, { force: true });
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', img, '8M'], { stdio: 'pipe' });
    const { vfs, done } = await vfsOn(img);
    await vfs.writeFile('/f', 'data');
    const node = (await vfs.resolve(null, -100, '/f')) as { inode: { setattr: (a: object) => Promise<number> } };
    assert.equal(await node.inode.setattr({ mode: 0o4711, uid: 70000, gid: 1234, atime: { sec: 1_000_000_000, nsec: 5 }, mtime: { sec: 1_500_000_000, nsec: 123_456_789 } }), 0);
    const s = await st(vfs, '/f');
    assert.equal(s.mode & 0o7777, 0o4711);
    assert.equal(s.uid, 70000);
    assert.deepEqual(s.mtime, { sec: 1_500_000_000, nsec: 123_456_789 });
    const before = (await st(vfs, '/')).mtime;
    await new Promise((r) => setTimeout(r, 5));
    await vfs.mknod(null, -100, '/fifo', 0o10644, 0);
    await vfs.mknod(null, -100, '/blk', 0o60600, 8 * 256 + 1);
    const after = (await st(vfs, '/')).mtime;
    assert.ok(after.sec > before.sec || after.nsec > before.nsec, 'directory mtime moves on create');
    const w = (await vfs.open(null, -100, '/f', O_RDWR)) as File;
    assert.equal(await w.pwrite(T, new TextEncoder().encode('X'), 10), 1);
    const s2 = await st(vfs, '/f');
    assert.ok(s2.mtime.sec > 1_500_000_000);
    assert.equal(s2.size, 11);
    await done();
    fsck(img);
    const out = debugfs(img, 'stat /f');
    assert.match(out, /Mode:\s+04711/);
    assert.match(out, /User:\s+70000\s+Group:\s+1234/);
    assert.match(out, /atime: 0x3b9aca00:00000014/); // 1e9 s, 5 ns << 2
    assert.match(debugfs(img, 'stat /blk'), /Type: block special[\s\S]*Device major\/minor number: 08:01/);
    assert.equal(debugfs(img, 'cat /f'), 'data\0\0\0\0\0\0X');
  });

  it('mounts read-only when asked not to write, when the device cannot, or when the file system is not clean', async () => {
    const img = path.join(tmpRoot, 'states.img');
    fs.rmSync(img, { force: true });
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', img, '4M'], { stdio: 'pipe' });
    const plain = await Ext2Fs.mount(new FileDevice(img, { writable: true }), 1);
    assert.equal(plain.readOnly, true);
    const roDev = await Ext2Fs.mount(new FileDevice(img), 1, { writable: true });
    assert.equal(roDev.readOnly, true);
    assert.match(roDev.roReason ?? '', /device is read-only/);
    const vfs = new Vfs();
    vfs.mount('/', roDev);
    assert.equal(await vfs.mkdir(null, -100, '/x', 0o755), -EROFS);
    // Mounted writable and never unmounted: the state stays "not clean".
    const dev = new FileDevice(img, { writable: true });
    await Ext2Fs.mount(dev, 1, { writable: true });
    dev.close();
    assert.match(debugfs(img, 'stats'), /Filesystem state:\s+not clean/);
    const again = await Ext2Fs.mount(new FileDevice(img, { writable: true }), 1, { writable: true });
    assert.equal(again.readOnly, true);
    assert.match(again.roReason ?? '', /not cleanly unmounted/);
  });
});

describe('writable ext2 under random operations', () => {
  it('matches a model after 3000 random creates, writes, truncates, renames and removals (e2fsck clean)', async () => {
    const img = path.join(tmpRoot, 'random.img');
    fs.rmSync(img, { force: true });
    execFileSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', '1024', '-N', '2048', img, '24M'], { stdio: 'pipe' });
    // A tiny write-back threshold: metadata goes out between operations, not only at unmount.
    const { vfs, e2, done } = await vfsOn(img, 16);
    let x = 12345;
    const rnd = (n: number): number => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) % n; };
    const files = new Map<string, Buffer>();
    const dirs = ['/r'];
    assert.equal(await vfs.mkdir(null, -100, '/r', 0o755), 0);
    const pick = <T>(a: T[]): T => a[rnd(a.length)];
    for (let step = 0; step < 3000; step++) {
      // sync(2) while mounted: the image on disk is consistent then, though marked in use.
      if (step === 1500) { await e2.sync(); fsck(img); }
      const op = rnd(10);
      const names = [...files.keys()];
      if (op <= 2 || names.length === 0) {
        const p = `${pick(dirs)}/f${step}`;
        const f = (await vfs.open(null, -100, p, O_RDWR | O_CREAT, 0o644)) as File;
        const data = pattern(pick([0, 10, 1000, 1024, 5000, 70_000, 300_000]), step);
        assert.equal(await f.pwrite(T, data, 0), data.length);
        await close(f);
        files.set(p, data);
      } else if (op === 3) {
        const p = pick(names);
        const f = (await vfs.open(null, -100, p, O_RDWR)) as File;
        const old = files.get(p)!;
        const off = rnd(old.length + 20_000);
        const data = pattern(rnd(30_000) + 1, step);
        assert.equal(await f.pwrite(T, data, off), data.length);
        await close(f);
        const next = Buffer.alloc(Math.max(old.length, off + data.length));
        old.copy(next);
        data.copy(next, off);
        files.set(p, next);
      } else if (op === 4) {
        const p = pick(names);
        const f = (await vfs.open(null, -100, p, O_RDWR)) as File;
        const len = rnd(files.get(p)!.length + 50_000);
        assert.equal(await f.truncate(len), 0);
        await close(f);
        const next = Buffer.alloc(len);
        files.get(p)!.copy(next, 0, 0, Math.min(len, files.get(p)!.length));
        files.set(p, next);
      } else if (op === 5 || op === 6) {
        const p = pick(names);
        assert.equal(await vfs.unlink(null, -100, p), 0);
        files.delete(p);
      } else if (op === 7) {
        const p = pick(names);
        const to = `${pick(dirs)}/m${step}`;
        assert.equal(await vfs.rename(null, -100, p, -100, to), 0);
        files.set(to, files.get(p)!);
        files.delete(p);
      } else if (op === 8) {
        const d = `${pick(dirs)}/d${step}`;
        assert.equal(await vfs.mkdir(null, -100, d, 0o755), 0);
        dirs.push(d);
      } else {
        // Remove a directory with everything below it, or move it somewhere not inside itself.
        const d = pick(dirs);
        if (d === '/r') continue;
        if (rnd(2)) {
          for (const f of [...files.keys()].filter((f) => f.startsWith(d + '/'))) { assert.equal(await vfs.unlink(null, -100, f), 0); files.delete(f); }
          for (const sub of dirs.filter((e) => e.startsWith(d + '/')).sort((a, b) => b.length - a.length)) assert.equal(await vfs.rmdir(null, -100, sub), 0);
          assert.equal(await vfs.rmdir(null, -100, d), 0);
          dirs.splice(0, dirs.length, ...dirs.filter((e) => e !== d && !e.startsWith(d + '/')));
        } else {
          const parent = pick(dirs.filter((e) => e !== d && !e.startsWith(d + '/')));
          const to = `${parent}/moved${step}`;
          assert.equal(await vfs.rename(null, -100, d, -100, to), 0);
          const re = (e: string) => (e === d ? to : e.startsWith(d + '/') ? to + e.slice(d.length) : e);
          dirs.splice(0, dirs.length, ...dirs.map(re));
          for (const [k, v] of [...files]) if (k.startsWith(d + '/')) { files.delete(k); files.set(re(k), v); }
        }
      }
    }
    await done();
    fsck(img);
    const got = snapshot(rdump(img, '/r', 'random'));
    const want = new Map<string, Entry>();
    for (const d of dirs) if (d !== '/r') want.set(d.slice(3), { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
    for (const [k, v] of files) want.set(k.slice(3), { type: 'file', mode: 0o644, uid: 0, gid: 0, data: v.toString('base64') });
    assertSameTree(got, new Map([...want].sort(([a], [b]) => (a < b ? -1 : 1))));
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
