/**
 * Builds ext2 images for the tests with the real mke2fs (e2fsprogs), from a source tree made
 * with node:fs, so every expected value comes from the host file system, not from our reader.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'webx86-ext2-'));

/** Deterministic pseudo-random bytes (xorshift), so contents are not all alike. */
export function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export const LONG_TARGET = 'a-long-symlink-target/' + 'x'.repeat(100) + '/beyond-sixty-bytes/' + 'y'.repeat(80);
export const HUGE_SIZE = 5 * 2 ** 30 + 123; // past 4 GiB: needs i_size_high (large_file)
/** Offsets of data islands in the sparse file: direct, single, double and triple indirect with 1 KiB blocks. */
export const SPARSE_ISLANDS = [0, 100_000, 5_000_000, 80_000_000, HUGE_SIZE - 10];
export let devicesMade = false;

/** The source tree; made once per test process. */
export function makeSourceTree(): string {
  const src = path.join(tmpRoot, 'src');
  if (fs.existsSync(src)) return src;
  fs.mkdirSync(path.join(src, 'a/b/c/d'), { recursive: true });
  fs.writeFileSync(path.join(src, 'a/b/c/d/deep.txt'), 'deep inside\n');
  fs.writeFileSync(path.join(src, 'a/one.txt'), 'one\n');
  fs.writeFileSync(path.join(src, 'empty'), '');
  fs.writeFileSync(path.join(src, 'block1k'), pattern(1024, 7));
  fs.writeFileSync(path.join(src, 'odd'), pattern(4097, 9));
  fs.writeFileSync(path.join(src, 'big'), pattern(5 * 1024 * 1024 + 321, 11)); // > 4 MiB: double indirect at 1 KiB
  fs.writeFileSync(path.join(src, 'naïve-ünïcode.txt'), 'utf-8 name\n');
  const fd = fs.openSync(path.join(src, 'sparse'), 'w');
  SPARSE_ISLANDS.forEach((off, i) => fs.writeSync(fd, pattern(10, 100 + i), 0, 10, off));
  fs.ftruncateSync(fd, HUGE_SIZE);
  fs.closeSync(fd);
  fs.symlinkSync('one.txt', path.join(src, 'a/short-link'));
  fs.symlinkSync(LONG_TARGET, path.join(src, 'long-link'));
  fs.symlinkSync('x'.repeat(59), path.join(src, 'link59'));
  fs.symlinkSync('x'.repeat(60), path.join(src, 'link60'));
  fs.writeFileSync(path.join(src, 'linked'), 'three names\n');
  fs.linkSync(path.join(src, 'linked'), path.join(src, 'a/linked2'));
  fs.linkSync(path.join(src, 'linked'), path.join(src, 'a/b/linked3'));
  fs.mkdirSync(path.join(src, 'many'));
  for (let i = 0; i < 2000; i++) fs.writeFileSync(path.join(src, 'many', `entry-${i.toString().padStart(4, '0')}`), i % 7 ? '' : `${i}\n`);
  fs.writeFileSync(path.join(src, 'modes'), 'x');
  fs.chmodSync(path.join(src, 'modes'), 0o4751);
  fs.writeFileSync(path.join(src, 'owned'), 'y');
  fs.chownSync(path.join(src, 'owned'), 1000, 70000); // gid past 16 bits: i_gid_high
  fs.mkdirSync(path.join(src, 'dev'));
  try {
    execFileSync('mknod', [path.join(src, 'dev/null'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(src, 'dev/sda1'), 'b', '8', '1']);
    execFileSync('mknod', [path.join(src, 'dev/bigminor'), 'c', '4', '300']); // minor > 255: new encoding
    execFileSync('mkfifo', [path.join(src, 'dev/fifo')]);
    devicesMade = true;
  } catch {
    // Not root: the device checks are skipped.
  }
  return src;
}

export interface ImageOptions { blockSize: 1024 | 2048 | 4096; inodeSize: 128 | 256; features?: string; dirIndex?: boolean }

/** mke2fs -d the source tree into a fresh image; returns its path. */
export function makeImage(o: ImageOptions): string {
  const src = makeSourceTree();
  const img = path.join(tmpRoot, `img-${o.blockSize}-${o.inodeSize}-${o.features ?? ''}-${o.dirIndex ? 'htree' : ''}.ext2`);
  const args = ['-q', '-F', '-t', 'ext2', '-b', String(o.blockSize), '-I', String(o.inodeSize), '-N', '4096'];
  if (o.features) args.push('-O', o.features);
  execFileSync('mke2fs', [...args, '-d', src, img, '48M'], { stdio: 'pipe' });
  if (o.dirIndex) {
    // mke2fs -d writes linear directories; e2fsck -D rebuilds large ones as hashed trees.
    try { execFileSync('e2fsck', ['-fyD', img], { stdio: 'pipe' }); } catch { /* exit 1 = fixed */ }
  }
  return img;
}

export function debugfs(img: string, cmd: string, write = false): string {
  return execFileSync('debugfs', [...(write ? ['-w'] : []), '-R', cmd, img], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
