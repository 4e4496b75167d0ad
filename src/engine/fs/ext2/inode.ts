/**
 * ext2 inodes as the VFS sees them. One class per file type, so that only the methods the
 * type supports exist (the VFS answers ENOTDIR, EINVAL ... from a missing method).
 * Every method catches damage and device errors and returns -EIO: nothing throws out.
 */
import { EIO } from '../../linux/errno.js';
import {
  type DirEntry, type Inode, type Stat, DT_UNKNOWN, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, dtOfMode,
} from '../types.js';
import type { Ext2Fs } from './fs.js';
import { DIRENT_TYPE_TO_DT, EXT4_HUGE_FILE_FL, type RawInode, decodeTime } from './layout.js';

/** Longest run of contiguous blocks read from the device in one request. */
const MAX_RUN_BYTES = 1 << 20;

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

async function guard<T>(fn: () => Promise<T>): Promise<T | number> {
  try {
    return await fn();
  } catch {
    // Damage in the image or a failed device read: the caller gets an I/O error.
    return -EIO;
  }
}

export abstract class Ext2Inode implements Inode {
  readonly fs: Ext2Fs;
  readonly ino: number;
  readonly raw: RawInode;

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
      buf.set(await this.fs.readRaw(phys, count, skip, len), done);
      done += len;
    }
    return n;
  }
}

export class Ext2File extends Ext2Inode {
  read(buf: Uint8Array, off: number): Promise<number> {
    return guard(() => this.readData(buf, off)) as Promise<number>;
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
    return guard(async () => {
      if (this.target !== null) return this.target;
      const size = this.size;
      let bytes: Uint8Array;
      if (this.isFast) {
        if (size > this.raw.blockBytes.length) throw new Error('fast symlink too long');
        bytes = this.raw.blockBytes.subarray(0, size);
      } else {
        if (size > this.fs.blockSize) throw new Error('slow symlink longer than a block');
        bytes = new Uint8Array(size);
        if ((await this.readData(bytes, 0)) !== size) throw new Error('short symlink');
      }
      this.target = new TextDecoder().decode(bytes);
      return this.target;
    });
  }
}

export class Ext2Dir extends Ext2Inode {
  private entries: DirEntry[] | null = null;
  private byName: Map<string, number> | null = null;

  /**
   * Every entry, read linearly. Hashed (dir_index) directories stay readable this way: their
   * index blocks look like a block holding one empty entry, and the root's index hides
   * inside the rec_len of "..".
   */
  private async load(): Promise<DirEntry[]> {
    if (this.entries) return this.entries;
    const bs = this.fs.blockSize;
    const nBlocks = Math.ceil(this.size / bs);
    const out: DirEntry[] = [];
    const dec = new TextDecoder();
    const untyped: DirEntry[] = [];
    for (let lb = 0; lb < nBlocks; lb++) {
      const phys = await this.fs.mapBlock(this.raw.block, lb);
      if (phys === 0) continue;
      const b = await this.fs.block(phys);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let off = 0; off < bs;) {
        if (off + 8 > bs) throw new Error(`directory ${this.ino}: entry header past block end`);
        const ino = dv.getUint32(off, true);
        const recLen = dv.getUint16(off + 4, true);
        // Without the filetype feature the name length is 16 bits wide.
        const nameLen = this.fs.hasFiletype ? b[off + 6] : dv.getUint16(off + 6, true);
        if (recLen < 8 || recLen % 4 !== 0 || off + recLen > bs || nameLen + 8 > recLen) {
          throw new Error(`directory ${this.ino}: bad entry at block ${lb} offset ${off}`);
        }
        if (ino !== 0 && nameLen > 0) {
          const name = dec.decode(b.subarray(off + 8, off + 8 + nameLen));
          if (name !== '.' && name !== '..') {
            const ft = this.fs.hasFiletype ? b[off + 7] : 0;
            const e: DirEntry = { name, ino, type: DIRENT_TYPE_TO_DT[ft] ?? DT_UNKNOWN };
            out.push(e);
            if (e.type === DT_UNKNOWN) untyped.push(e);
          }
        }
        off += recLen;
      }
    }
    // No type in the entry: take it from the inode, so readers need not stat every name.
    for (const e of untyped) e.type = dtOfMode((await this.fs.inode(e.ino)).mode);
    this.entries = out;
    return out;
  }

  /** On damage: -EIO (the Inode type does not list numbers here yet; the VFS checks for them). */
  readdir(): Promise<DirEntry[]> {
    return guard(async () => (await this.load()).map((e) => ({ ...e }))) as Promise<DirEntry[]>;
  }

  lookup(name: string): Promise<Inode | null> {
    return guard(async () => {
      if (!this.byName) this.byName = new Map((await this.load()).map((e) => [e.name, e.ino]));
      const ino = this.byName.get(name);
      return ino === undefined ? null : this.fs.inode(ino);
    }) as Promise<Inode | null>;
  }
}

/** Devices, FIFOs and sockets: the VFS opens these by type and rdev. */
export class Ext2Special extends Ext2Inode {}

export function makeInode(fs: Ext2Fs, ino: number, raw: RawInode): Ext2Inode {
  switch (raw.mode & S_IFMT) {
    case S_IFREG: return new Ext2File(fs, ino, raw);
    case S_IFDIR: return new Ext2Dir(fs, ino, raw);
    case S_IFLNK: return new Ext2Symlink(fs, ino, raw);
    default: return new Ext2Special(fs, ino, raw);
  }
}
