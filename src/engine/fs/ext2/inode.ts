/**
 * ext2 inodes as the VFS sees them. One class per file type, so that only the methods the
 * type supports exist (the VFS answers ENOTDIR, EINVAL ... from a missing method).
 * Every method catches damage and device errors and returns -EIO: nothing throws out.
 * Directories are in dir.ts.
 *
 * Timestamps follow Linux: writes and truncation set mtime and ctime, attribute changes
 * and link-count changes set ctime, reads set atime under the mount's atime policy.
 */
import { EFBIG, EINVAL, EIO, ENOSPC, EPERM, EROFS } from '../../abi/errno.js';
import { type Inode, type SetAttr, type Stat, type Timespec, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../types.js';
import { nowTimespec } from '../tmpfs.js';
import { Ext2NoSpaceError } from './errors.js';
import type { Ext2Fs } from './fs.js';
import { EXT2_APPEND_FL, EXT2_IMMUTABLE_FL, EXT4_HUGE_FILE_FL, type RawInode, decodeTime, encodeTime, setTimes } from './layout.js';
import { mapOrAlloc, truncateBlocks } from './bmap.js';
import { allocBlock, freeBlock, freeInode } from './alloc.js';

/** Longest run of contiguous blocks read from the device in one request. */
const MAX_RUN_BYTES = 1 << 20;
/** relatime: atime is refreshed at least this often even when it is newer than mtime/ctime. */
const RELATIME_SECONDS = 24 * 60 * 60;
const BIG_FILE = 2 ** 31 - 1;

/**
 * st_rdev as Linux reports it for stat64 (glibc's makedev): minor's low byte, 12 bits of
 * major, then the rest of minor. Multiplications keep it unsigned past bit 31.
 */
export function encodeDev(major: number, minor: number): number {
  return (minor & 0xff) + (major & 0xfff) * 0x100 + (minor >>> 8) * 0x100000;
}

/**
 * Device number stored in i_block: the old 16-bit form (major:minor bytes) in i_block[0],
 * or, when that is zero, the new 32-bit form in i_block[1] (12-bit major, 20-bit minor).
 */
export function decodeInodeDev(block: Uint32Array): number {
  const old = block[0];
  if (old !== 0) return encodeDev((old >>> 8) & 0xff, old & 0xff);
  const d = block[1];
  return encodeDev((d & 0xfff00) >>> 8, (d & 0xff) | ((d >>> 12) & 0xfff00));
}

/** Store rdev (in the encodeDev form) the way ext2_mknod does: old form when it fits. */
export function storeInodeDev(block: Uint32Array, rdev: number): void {
  const major = Math.floor(rdev / 0x100) & 0xfff;
  const minor = (rdev & 0xff) | (Math.floor(rdev / 0x100000) << 8);
  block.fill(0);
  if (major < 256 && minor < 256) block[0] = (major << 8) | minor;
  else block[1] = ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

/** Run fn, turning damage and device errors into -EIO and a full disk into -ENOSPC. */
export async function guard<T>(fs: Ext2Fs, fn: () => Promise<T>): Promise<T | number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Ext2NoSpaceError) return -ENOSPC;
    // Damage in the image or a failed device read: the caller gets an I/O error, and the
    // host hears why (the guest's "Input/output error" says nothing of the cause).
    fs.reportError(e);
    return -EIO;
  }
}

export abstract class Ext2Inode implements Inode {
  readonly fs: Ext2Fs;
  readonly ino: number;
  readonly raw: RawInode;
  /** Open file descriptions on this inode: an unlinked inode is freed at the last close. */
  private openCount = 0;
  /** Freed (bitmap bit cleared): the object must not touch the disk again. */
  private freed = false;
  /** Last block allocated (logical, physical): sequential writes continue after it. */
  allocHint: { lb: number; phys: number } | null = null;
  /** Changed since the file system's last write-back (closing it then asks for one at once). */
  unsynced = false;

  constructor(fs: Ext2Fs, ino: number, raw: RawInode) {
    this.fs = fs;
    this.ino = ino;
    this.raw = raw;
  }

  get mode(): number { return this.raw.mode; }
  get isDir(): boolean { return (this.raw.mode & S_IFMT) === S_IFDIR; }
  /** i_size_high extends regular files past 4 GiB (large_file); for directories it was i_dir_acl. */
  get size(): number {
    return (this.raw.mode & S_IFMT) === S_IFREG ? this.raw.sizeLo + this.raw.sizeHigh * 2 ** 32 : this.raw.sizeLo;
  }

  setSize(n: number): void {
    this.raw.sizeLo = n % 2 ** 32;
    if ((this.raw.mode & S_IFMT) === S_IFREG) this.raw.sizeHigh = Math.floor(n / 2 ** 32);
    this.markDirty();
  }

  /** Count `n` file-system blocks more (or fewer) in i_blocks (512-byte units). */
  addBlocks(n: number): void {
    this.raw.blocks += n * (this.fs.blockSize / 512);
    this.markDirty();
  }

  markDirty(): void {
    this.fs.markDirty(this);
  }

  /** Set times to now: a = access, m = modification, c = change. */
  touch(which: string): void {
    setTimes(this.raw, nowTimespec(), which);
    this.markDirty();
  }

  get links(): number { return this.raw.linksCount; }
  set links(n: number) {
    this.raw.linksCount = n;
    this.markDirty();
  }

  stat(): Stat {
    const r = this.raw;
    const type = r.mode & S_IFMT;
    // huge_file inodes flagged HUGE_FILE count i_blocks in file-system blocks, not sectors.
    const blocks = this.fs.hugeFile && r.flags & EXT4_HUGE_FILE_FL ? r.blocks * (this.fs.blockSize / 512) : r.blocks;
    return {
      dev: this.fs.dev,
      ino: this.ino,
      mode: r.mode,
      nlink: r.linksCount,
      uid: r.uid,
      gid: r.gid,
      rdev: type === S_IFCHR || type === S_IFBLK ? decodeInodeDev(r.block) : 0,
      size: this.size,
      blksize: this.fs.blockSize,
      blocks,
      atime: decodeTime(r.atime, r.atimeExtra),
      mtime: decodeTime(r.mtime, r.mtimeExtra),
      ctime: decodeTime(r.ctime, r.ctimeExtra),
    };
  }

  /** An open file description refers to this inode. */
  opened(): void {
    this.openCount++;
  }

  /** An open file description is gone: an unlinked inode is freed at the last one. */
  released(): Promise<void> | void {
    // Closing a file written since the last write-back: write it back now, not after the
    // quiet delay (the tab may close next); the close itself does not wait for it.
    if (this.unsynced && !this.fs.readOnly) this.fs.notify(true);
    if (--this.openCount > 0 || this.raw.linksCount > 0 || this.fs.readOnly) return;
    return this.fs.exclusive(() => this.evictIfUnused()).then(() => undefined, () => undefined);
  }

  /** Free the inode and its blocks once no name and no open file refers to it. */
  async evictIfUnused(force = false): Promise<void> {
    if (this.raw.linksCount > 0 || this.freed) return;
    if (this.openCount > 0 && !force) {
      // Unlinked but open: freed at the last close, or at unmount (fs.orphans).
      this.fs.orphans.add(this);
      return;
    }
    this.freed = true;
    this.fs.orphans.delete(this);
    if (this.hasBlockMap()) await truncateBlocks(this, 0);
    if (this.raw.fileAcl) await this.releaseXattrBlock();
    const now = nowTimespec();
    this.raw.dtime = encodeTime(now).sec;
    if (this.raw.dtime === 0) this.raw.dtime = 1;
    this.setSize(0);
    this.markDirty();
    await freeInode(this.fs, this.ino, this.isDir);
    this.fs.disown(this);
  }

  /** Whether i_block holds block pointers (not a fast symlink's text or a device number). */
  hasBlockMap(): boolean {
    const type = this.raw.mode & S_IFMT;
    if (type === S_IFREG || type === S_IFDIR) return true;
    if (this instanceof Ext2Symlink) return !this.isFast;
    return false;
  }

  /** An extended-attribute block is shared by reference count (h_refcount at byte 4). */
  private async releaseXattrBlock(): Promise<void> {
    const blk = this.raw.fileAcl;
    this.raw.fileAcl = 0;
    const b = await this.fs.blockW(blk);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const refs = dv.getUint32(4, true);
    if (dv.getUint32(0, true) === 0xea020000 && refs > 1) dv.setUint32(4, refs - 1, true);
    else await freeBlock(this.fs, blk);
    this.addBlocks(-1);
  }

  /** relatime (or noatime): refresh atime after a read when the policy says so. */
  protected accessed(): void {
    if (this.fs.readOnly || this.fs.noatime) return;
    const r = this.raw;
    const now = nowTimespec();
    const a = decodeTime(r.atime, r.atimeExtra);
    const notAfter = (t: Timespec): boolean => a.sec < t.sec || (a.sec === t.sec && a.nsec <= t.nsec);
    if (notAfter(decodeTime(r.mtime, r.mtimeExtra)) || notAfter(decodeTime(r.ctime, r.ctimeExtra)) || now.sec - a.sec >= RELATIME_SECONDS) {
      setTimes(r, now, 'a');
      this.markDirty();
    }
  }

  /** chmod, chown, utimes, truncate (the VFS has checked permissions). */
  setattr(a: SetAttr): Promise<number> {
    if (this.fs.readOnly) return Promise.resolve(-EROFS);
    return guard(this.fs, () => this.fs.exclusive(async () => {
      if (this.raw.flags & (EXT2_IMMUTABLE_FL | EXT2_APPEND_FL) && (a.size !== undefined || a.mode !== undefined ||
        a.uid !== undefined || a.gid !== undefined)) return -EPERM;
      if (a.size !== undefined) {
        if ((this.raw.mode & S_IFMT) !== S_IFREG) return -EINVAL;
        const e = await this.resize(a.size);
        if (e < 0) return e;
      }
      if (a.mode !== undefined) this.raw.mode = (this.raw.mode & S_IFMT) | (a.mode & 0o7777);
      if (a.uid !== undefined) this.raw.uid = a.uid >>> 0;
      if (a.gid !== undefined) this.raw.gid = a.gid >>> 0;
      if (a.atime) setTimes(this.raw, a.atime, 'a');
      if (a.mtime) setTimes(this.raw, a.mtime, 'm');
      this.touch('c');
      return 0;
    })) as Promise<number>;
  }

  /** truncate(2): shrinking frees blocks, growing leaves a hole. Sets mtime and ctime. */
  protected async resize(size: number): Promise<number> {
    if (size < 0) return -EINVAL;
    if (size > this.fs.maxFileSize) return -EFBIG;
    if (size > BIG_FILE && !this.fs.needLargeFile()) return -EFBIG;
    const bs = this.fs.blockSize;
    if (size < this.size) {
      // The kept part of the last block must read as zeros if the file grows again.
      const skip = size % bs;
      if (skip) {
        const phys = await this.fs.mapBlock(this.raw.block, Math.floor(size / bs));
        if (phys) await this.fs.writeRaw(phys * bs + skip, new Uint8Array(bs - skip));
      }
      await truncateBlocks(this, Math.ceil(size / bs));
    }
    this.setSize(size);
    this.touch('mc');
    return 0;
  }

  /** Read file bytes [off, off+buf.length) clamped to the size; holes read as zeros. */
  protected async readData(buf: Uint8Array, off: number): Promise<number> {
    const size = this.size;
    if (off >= size || buf.length === 0) return 0;
    const n = Math.min(buf.length, size - off);
    const bs = this.fs.blockSize;
    let done = 0;
    while (done < n) {
      const pos = off + done;
      const lb = Math.floor(pos / bs);
      const skip = pos % bs;
      const phys = await this.fs.mapBlock(this.raw.block, lb);
      if (phys === 0) {
        const len = Math.min(bs - skip, n - done);
        buf.fill(0, done, done + len);
        done += len;
        continue;
      }
      // Extend over physically contiguous blocks, to read them in one device request.
      const needed = Math.ceil((skip + n - done) / bs);
      let count = 1;
      while (count < needed && count * bs < MAX_RUN_BYTES) {
        if ((await this.fs.mapBlock(this.raw.block, lb + count)) !== phys + count) break;
        count++;
      }
      const len = Math.min(count * bs - skip, n - done);
      await this.fs.readRawInto(phys, count, skip, buf.subarray(done, done + len));
      done += len;
    }
    return n;
  }

  /**
   * Write bytes at `off`, allocating blocks for holes and growing the size. Data goes to
   * the device in runs of physically contiguous blocks. A full disk part-way returns the
   * bytes written so far (or throws Ext2NoSpaceError when none were).
   */
  protected async writeData(data: Uint8Array, off: number): Promise<number> {
    const bs = this.fs.blockSize;
    let n = data.length;
    if (n === 0) return 0;
    if (off >= this.fs.maxFileSize) return -EFBIG;
    n = Math.min(n, this.fs.maxFileSize - off);
    if (off + n > BIG_FILE && !this.fs.needLargeFile()) {
      if (off >= BIG_FILE) return -EFBIG;
      n = BIG_FILE - off;
    }
    let done = 0;
    let runStart = -1, runLen = 0;
    const parts: Uint8Array[] = [];
    const flush = async (): Promise<void> => {
      if (parts.length === 0) return;
      const buf = parts.length === 1 ? parts[0] : concat(parts, runLen);
      await this.fs.writeRaw(runStart, buf);
      parts.length = 0;
      runLen = 0;
    };
    try {
      while (done < n) {
        const pos = off + done;
        const lb = Math.floor(pos / bs);
        const skip = pos % bs;
        const len = Math.min(bs - skip, n - done);
        const { phys, fresh } = await mapOrAlloc(this, lb);
        let piece = data.subarray(done, done + len);
        let at = phys * bs + skip;
        if (fresh && len < bs) {
          // A new block: write all of it, so the bytes around ours read as zeros.
          const whole = new Uint8Array(bs);
          whole.set(piece, skip);
          piece = whole;
          at = phys * bs;
        }
        if (runLen > 0 && runStart + runLen !== at) await flush();
        if (runLen === 0) runStart = at;
        parts.push(piece);
        runLen += piece.length;
        if (runLen >= MAX_RUN_BYTES) await flush();
        done += len;
        if (pos + len > this.size) this.setSize(pos + len);
      }
    } catch (e) {
      await flush();
      if (!(e instanceof Ext2NoSpaceError) || done === 0) throw e;
    }
    await flush();
    this.touch('mc');
    return done;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export class Ext2File extends Ext2Inode {
  read(buf: Uint8Array, off: number): Promise<number> {
    return guard(this.fs, () => this.fs.exclusive(async () => {
      const n = await this.readData(buf, off);
      this.accessed();
      return n;
    })) as Promise<number>;
  }

  write(data: Uint8Array, off: number): Promise<number> {
    if (this.fs.readOnly) return Promise.resolve(-EROFS);
    return guard(this.fs, () => this.fs.exclusive(async () => {
      if (this.raw.flags & EXT2_IMMUTABLE_FL) return -EPERM;
      if (this.raw.flags & EXT2_APPEND_FL && off !== this.size) return -EPERM;
      return this.writeData(data, off);
    })) as Promise<number>;
  }
}

export class Ext2Symlink extends Ext2Inode {
  private target: string | null = null;

  /**
   * Fast symlinks keep the target in i_block itself; the kernel's test is "no data blocks
   * besides an extended-attribute block", not the length.
   */
  get isFast(): boolean {
    const eaSectors = this.raw.fileAcl ? this.fs.blockSize / 512 : 0;
    return this.raw.blocks - eaSectors === 0;
  }

  readlink(): Promise<string | number> {
    return guard(this.fs, async () => {
      if (this.target !== null) return this.target;
      const size = this.size;
      let bytes: Uint8Array;
      if (this.isFast) {
        if (size > this.raw.blockBytes.length) throw new Error('fast symlink too long');
        bytes = this.raw.blockBytes.subarray(0, size);
      } else {
        if (size > this.fs.blockSize) throw new Error('slow symlink longer than a block');
        bytes = new Uint8Array(size);
        if ((await this.fs.exclusive(() => this.readData(bytes, 0))) !== size) throw new Error('short symlink');
      }
      this.target = new TextDecoder().decode(bytes);
      return this.target;
    });
  }

  /**
   * Store a new link's target: in i_block when shorter than its 60 bytes (a fast
   * symlink, as the kernel decides), else in a data block of its own.
   */
  async storeTarget(bytes: Uint8Array): Promise<void> {
    if (bytes.length < 60) {
      const pad = new Uint8Array(60);
      pad.set(bytes);
      this.raw.blockBytes = pad;
      const dv = new DataView(pad.buffer);
      for (let i = 0; i < 15; i++) this.raw.block[i] = dv.getUint32(i * 4, true);
    } else {
      const bs = this.fs.blockSize;
      const blk = await allocBlock(this.fs, this.fs.groupFirstBlock(this.fs.groupOfInode(this.ino)));
      this.raw.block[0] = blk;
      this.addBlocks(1);
      const whole = new Uint8Array(bs);
      whole.set(bytes);
      await this.fs.writeRaw(blk * bs, whole);
    }
    this.setSize(bytes.length);
  }
}

/** Devices, FIFOs and sockets: the VFS opens these by type and rdev. */
export class Ext2Special extends Ext2Inode {}
