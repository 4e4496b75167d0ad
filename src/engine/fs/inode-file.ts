/**
 * The generic open file description for regular files and directories: positional I/O
 * through the inode, a file offset, O_APPEND, and directory listing with '.' and '..'.
 * Special files (devices, FIFOs, proc entries) bring their own File instead.
 */
import type { Caller, DirEntry, Inode, Stat } from './types.js';
import { DT_DIR, File, O_APPEND, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFDIR, S_IFMT, S_IFREG, SEEK_CUR, SEEK_END, SEEK_SET } from './types.js';
import { EBADF, EINVAL, EISDIR, ENOTDIR, ENXIO, EOVERFLOW } from '../abi/errno.js';

export const SEEK_DATA = 3, SEEK_HOLE = 4;
/** Offsets are JS numbers: exact up to 2^53, far past any file we hold. */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

type MaybeAsync<T> = T | Promise<T>;
const isPromise = <T>(v: MaybeAsync<T>): v is Promise<T> => typeof (v as Promise<T>)?.then === 'function';
/** Apply fn now if v is ready, else when it settles (keeps tmpfs calls synchronous). */
export function then<T, U>(v: MaybeAsync<T>, fn: (x: T) => MaybeAsync<U>): MaybeAsync<U> {
  return isPromise(v) ? v.then(fn) : fn(v);
}

/** What a directory listing needs from the VFS beyond the inode. */
export interface DirContext {
  /** Inode number of '..' (the parent, or itself at a root). */
  parentIno: number;
  /** Names of mount points directly inside this directory, listed even if the covered fs lacks them. */
  mountNames: () => { name: string; ino: number }[];
}

export class InodeFile extends File {
  readonly inode: Inode;
  readonly isDir: boolean;
  private readonly dirCtx: DirContext | null;
  /** Directory snapshot taken at offset 0, so a listing is stable across getdents calls. */
  private entries: DirEntry[] | null = null;

  constructor(inode: Inode, mode: number, flags: number, path: string, dirCtx: DirContext | null = null) {
    super(flags, path);
    this.inode = inode;
    this.isDir = (mode & S_IFMT) === S_IFDIR;
    this.dirCtx = dirCtx;
    this.isReg = (mode & S_IFMT) === S_IFREG;
    inode.opened?.();
  }
  private readonly isReg: boolean;

  stat(): MaybeAsync<Stat> { return this.inode.stat(); }

  poll(): number { return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM; }

  read(_t: Caller, buf: Uint8Array): MaybeAsync<number> {
    if (!this.readable) return -EBADF;
    return then(this.pread(_t, buf, this.pos), (n) => {
      if (n > 0) this.pos += n;
      return n;
    });
  }

  pread(_t: Caller, buf: Uint8Array, off: number): MaybeAsync<number> {
    if (!this.readable) return -EBADF;
    if (this.isDir) return -EISDIR;
    if (!this.inode.read) return -EINVAL;
    if (off < 0) return -EINVAL;
    return this.inode.read(buf, off);
  }

  write(t: Caller, data: Uint8Array): MaybeAsync<number> {
    if (!this.writable) return -EBADF;
    const go = (off: number) => then(this.pwriteAt(t, data, off), (n) => {
      if (n > 0) this.pos = off + n;
      return n;
    });
    // O_APPEND: every write first moves the offset to the end (open(2)).
    return this.flags & O_APPEND ? then(this.inode.stat(), (st) => go(st.size)) : go(this.pos);
  }

  pwrite(t: Caller, data: Uint8Array, off: number): MaybeAsync<number> {
    if (!this.writable) return -EBADF;
    if (off < 0) return -EINVAL;
    // Linux appends on pwrite to an O_APPEND file whatever the offset (pwrite(2) BUGS).
    if (this.flags & O_APPEND) return then(this.inode.stat(), (st) => this.pwriteAt(t, data, st.size));
    return this.pwriteAt(t, data, off);
  }

  private pwriteAt(t: Caller | null, data: Uint8Array, off: number): MaybeAsync<number> {
    if (this.isDir) return -EISDIR;
    if (!this.inode.write) return -EINVAL;
    if (off + data.length > MAX_OFFSET) return -EOVERFLOW;
    if (this.isReg && data.length && t?.limitFileWrite) {
      // RLIMIT_FSIZE: a write crossing the limit is cut short, one at it fails (EFBIG, SIGXFSZ).
      const n = t.limitFileWrite(off, data.length);
      if (n < 0) return n;
      if (n < data.length) data = data.subarray(0, n);
    }
    return this.inode.write(data, off);
  }

  seek(off: number, whence: number): MaybeAsync<number> {
    if (this.isDir) return this.seekDir(off, whence);
    const set = (base: number) => {
      const p = base + off;
      if (p < 0 || !Number.isSafeInteger(p)) return -EINVAL;
      return (this.pos = p);
    };
    switch (whence) {
      case SEEK_SET: return set(0);
      case SEEK_CUR: return set(this.pos);
      case SEEK_END: return then(this.inode.stat(), (st) => set(st.size));
      // No holes are tracked: all of [0, size) is data and the only hole is at EOF.
      case SEEK_DATA:
      case SEEK_HOLE:
        return then(this.inode.stat(), (st) => {
          if (off < 0 || off >= st.size) return -ENXIO;
          return (this.pos = whence === SEEK_DATA ? off : st.size);
        });
      default: return -EINVAL;
    }
  }

  /** Directory offsets are entry indexes; rewinding takes a fresh snapshot. */
  private seekDir(off: number, whence: number): number {
    const p = whence === SEEK_SET ? off : whence === SEEK_CUR ? this.pos + off : -1;
    if (p < 0) return -EINVAL;
    if (p === 0) this.entries = null;
    return (this.pos = p);
  }

  readdir(): MaybeAsync<DirEntry[] | number> {
    if (!this.isDir || !this.dirCtx) return -ENOTDIR;
    if (this.entries && this.pos > 0) return this.entries.slice(this.pos);
    const list = this.inode.readdir ? this.inode.readdir() : [];
    return then(list, (l) => {
      if (typeof l === 'number') return l;
      this.entries = this.withDots(l);
      return this.entries.slice(this.pos);
    });
  }

  private withDots(list: DirEntry[]): DirEntry[] {
    const ctx = this.dirCtx!;
    const out: DirEntry[] = [
      { name: '.', ino: this.inode.ino, type: DT_DIR },
      { name: '..', ino: ctx.parentIno, type: DT_DIR },
    ];
    const seen = new Set<string>();
    for (const e of list) {
      seen.add(e.name);
      out.push(e);
    }
    for (const m of ctx.mountNames()) if (!seen.has(m.name)) out.push({ name: m.name, ino: m.ino, type: DT_DIR });
    return out;
  }

  truncate(len: number): MaybeAsync<number> {
    // ftruncate(2): EINVAL unless a regular file open for writing.
    if (!this.writable || !this.isReg) return -EINVAL;
    if (len < 0) return -EINVAL;
    if (!this.inode.setattr) return -EINVAL;
    return this.inode.setattr({ size: len });
  }

  release(): void | Promise<void> {
    return this.inode.released?.();
  }

  fsync(): MaybeAsync<number> {
    const s = this.inode.fs.sync?.();
    return s ? s.then(() => 0) : 0;
  }
}
