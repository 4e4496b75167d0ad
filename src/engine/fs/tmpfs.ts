/**
 * tmpfs: every inode lives in memory. Used for / in tests, for /tmp, and (with device
 * nodes) as the base of devfs. The VFS does the POSIX checks (permissions, rename
 * loops, empty directories); this file keeps the data and link counts right.
 */
import type { DirEntry, FileSystem, FsStats, Inode, SetAttr, Stat, Timespec } from './types.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, dtOfMode } from './types.js';
import { realtimeTimespec } from '../time/realtime.js';
import { EEXIST, EFBIG, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EPERM } from '../abi/errno.js';

/** statfs f_type (linux/magic.h). */
export const TMPFS_MAGIC = 0x01021994;

/** Now, for file times: the kernel's one wall clock (time/realtime.ts), as gettimeofday reads it. */
export function nowTimespec(): Timespec {
  return realtimeTimespec();
}

let nextDev = 0x10;
/** Anonymous device numbers (major 0), as Linux gives to tmpfs, proc and friends. */
export function allocAnonDev(): number {
  return nextDev++;
}

/** Largest file we accept: typed arrays top out near 2 GiB; beyond that EFBIG. */
const MAX_FILE = 0x7fff_0000;

export class TmpFs implements FileSystem {
  readonly type: string = 'tmpfs';
  readonly dev: number;
  readonly root: TmpInode;
  readonly readOnly = false;
  private nextIno = 1;

  constructor(opts: { mode?: number; uid?: number; gid?: number; dev?: number } = {}) {
    this.dev = opts.dev ?? allocAnonDev();
    this.root = this.newInode(S_IFDIR | ((opts.mode ?? 0o1777) & 0o7777), opts.uid ?? 0, opts.gid ?? 0);
    this.root.nlink = 2;
  }

  newInode(mode: number, uid: number, gid: number, rdev = 0): TmpInode {
    return new TmpInode(this, this.nextIno++, mode, uid, gid, rdev);
  }

  statfs(): FsStats {
    return { type: TMPFS_MAGIC, bsize: 4096, blocks: 262144, bfree: 262144, bavail: 262144, files: 65536, ffree: 65536 - this.nextIno, namelen: 255 };
  }
}

export class TmpInode implements Inode {
  readonly fs: TmpFs;
  readonly ino: number;
  mode: number;
  uid: number;
  gid: number;
  rdev: number;
  nlink = 1;
  size = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Regular files: bytes [0, data.length) stored; [data.length, size) reads as zeros (sparse tail). */
  data = new Uint8Array(0);
  /** Directories. Insertion order gives a stable readdir order. */
  children: Map<string, TmpInode> | null = null;
  target = '';

  constructor(fs: TmpFs, ino: number, mode: number, uid: number, gid: number, rdev: number) {
    this.fs = fs;
    this.ino = ino;
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    this.rdev = rdev;
    this.atime = this.mtime = this.ctime = nowTimespec();
    if ((mode & S_IFMT) === S_IFDIR) this.children = new Map();
  }

  private get isDir(): boolean { return this.children !== null; }

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, mode: this.mode, nlink: this.nlink, uid: this.uid, gid: this.gid,
      rdev: this.rdev, size: this.isDir ? 4096 : this.size, blksize: 4096,
      blocks: this.isDir ? 8 : Math.ceil(this.stored / 4096) * 8,
      atime: this.atime, mtime: this.mtime, ctime: this.ctime,
    };
  }

  setattr(a: SetAttr): number {
    if (a.size !== undefined) {
      const r = this.resize(a.size);
      if (r < 0) return r;
      this.mtime = nowTimespec();
    }
    if (a.mode !== undefined) this.mode = (this.mode & S_IFMT) | (a.mode & 0o7777);
    if (a.uid !== undefined) this.uid = a.uid;
    if (a.gid !== undefined) this.gid = a.gid;
    if (a.atime) this.atime = a.atime;
    if (a.mtime) this.mtime = a.mtime;
    this.ctime = nowTimespec();
    return 0;
  }

  private resize(size: number): number {
    if (this.isDir) return -EISDIR;
    if ((this.mode & S_IFMT) !== S_IFREG) return -EINVAL;
    if (size < 0) return -EINVAL;
    if (size > MAX_FILE) return -EFBIG;
    // Shrinking drops bytes (zeroed, so a later regrow reads zeros); growing leaves a
    // sparse tail that reads as zeros without storing it.
    if (size < this.stored) {
      if (size < this.data.length >> 2) this.data = this.data.slice(0, size);
      else this.data.fill(0, size, this.stored);
    }
    this.size = size;
    return 0;
  }

  // ---- Directories ----

  lookup(name: string): TmpInode | null {
    return this.children?.get(name) ?? null;
  }

  readdir(): DirEntry[] {
    if (!this.children) return [];
    return [...this.children].map(([name, i]) => ({ name, ino: i.ino, type: dtOfMode(i.mode) }));
  }

  private addChild(name: string, child: TmpInode): number {
    if (!this.children) return -ENOTDIR;
    if (this.children.has(name)) return -EEXIST;
    this.children.set(name, child);
    this.touchDir();
    return 0;
  }

  private touchDir(): void {
    this.mtime = this.ctime = nowTimespec();
  }

  create(name: string, mode: number, uid: number, gid: number, rdev = 0): TmpInode | number {
    if ((mode & S_IFMT) === 0) mode |= S_IFREG;
    const child = this.fs.newInode(mode, uid, gid, rdev);
    const r = this.addChild(name, child);
    return r < 0 ? r : child;
  }

  mkdir(name: string, mode: number, uid: number, gid: number): TmpInode | number {
    const child = this.fs.newInode(S_IFDIR | (mode & 0o7777), uid, gid);
    const r = this.addChild(name, child);
    if (r < 0) return r;
    child.nlink = 2; // its own '.' and our entry
    this.nlink++; // its '..'
    return child;
  }

  symlink(name: string, target: string, uid: number, gid: number): TmpInode | number {
    const child = this.fs.newInode(S_IFLNK | 0o777, uid, gid);
    child.target = target;
    child.size = new TextEncoder().encode(target).length;
    const r = this.addChild(name, child);
    return r < 0 ? r : child;
  }

  link(name: string, target: Inode): number {
    if (!(target instanceof TmpInode) || target.fs !== this.fs) return -EINVAL;
    if (target.isDir) return -EPERM;
    const r = this.addChild(name, target);
    if (r < 0) return r;
    target.nlink++;
    target.ctime = nowTimespec();
    return 0;
  }

  unlink(name: string): number {
    const child = this.children?.get(name);
    if (!child) return this.children ? -ENOENT : -ENOTDIR;
    if (child.isDir) return -EISDIR;
    this.children!.delete(name);
    this.dropLink(child);
    this.touchDir();
    return 0;
  }

  rmdir(name: string): number {
    const child = this.children?.get(name);
    if (!child) return this.children ? -ENOENT : -ENOTDIR;
    if (!child.isDir) return -ENOTDIR;
    if (child.children!.size) return -ENOTEMPTY;
    this.children!.delete(name);
    child.nlink = 0;
    this.nlink--;
    this.touchDir();
    return 0;
  }

  private dropLink(child: TmpInode): void {
    child.nlink--;
    child.ctime = nowTimespec();
  }

  /**
   * rename(2) replacing any existing target (the VFS has checked the type rules and
   * that an existing directory target is empty).
   */
  rename(oldName: string, newDir: Inode, newName: string): number {
    const child = this.children?.get(oldName);
    if (!child) return -ENOENT;
    if (!(newDir instanceof TmpInode) || newDir.fs !== this.fs || !newDir.children) return -EINVAL;
    const victim = newDir.children.get(newName);
    if (victim === child) return 0;
    if (victim) {
      if (victim.isDir) {
        if (!child.isDir) return -EISDIR;
        if (victim.children!.size) return -ENOTEMPTY;
        victim.nlink = 0;
        newDir.nlink--;
      } else {
        if (child.isDir) return -ENOTDIR;
        this.dropLink(victim);
      }
    }
    this.children!.delete(oldName);
    newDir.children.set(newName, child);
    if (child.isDir && newDir !== this) {
      this.nlink--;
      newDir.nlink++;
    }
    child.ctime = nowTimespec();
    this.touchDir();
    newDir.touchDir();
    return 0;
  }

  // ---- Symlinks ----

  readlink(): string | number {
    return (this.mode & S_IFMT) === S_IFLNK ? this.target : -EINVAL;
  }

  // ---- Regular files ----

  /** Bytes actually held in `data` (the rest of `size` is a sparse, zero tail). */
  private get stored(): number { return Math.min(this.data.length, this.size); }

  read(buf: Uint8Array, off: number): number {
    if (this.isDir) return -EISDIR;
    if (off >= this.size) return 0;
    const n = Math.min(buf.length, this.size - off);
    const have = Math.max(0, Math.min(n, this.stored - off));
    if (have > 0) buf.set(this.data.subarray(off, off + have));
    if (have < n) buf.fill(0, have, n);
    this.atime = nowTimespec();
    return n;
  }

  write(data: Uint8Array, off: number): number {
    if (this.isDir) return -EISDIR;
    const end = off + data.length;
    if (end > MAX_FILE) return -EFBIG;
    if (end > this.data.length) {
      // Doubling keeps a run of appends linear in total copying.
      const d = new Uint8Array(Math.min(MAX_FILE, Math.max(end, this.data.length * 2, 64)));
      d.set(this.data.subarray(0, this.stored));
      this.data = d;
    }
    this.data.set(data, off);
    if (end > this.size) this.size = end;
    this.mtime = this.ctime = nowTimespec();
    return data.length;
  }
}
