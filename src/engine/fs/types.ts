/**
 * What the system-call layer sees of files: open file descriptions (File) and the
 * metadata they report. File systems (fs/*) and devices (tty, pipes, sockets) implement
 * File; the descriptor table maps numbers to them.
 */
import type { AddressSpace } from '../mem/address-space.js';
import { WaitQueue } from '../wait/queue.js';
import { EBADF, EINVAL, ENOTTY, ESPIPE, ENOTDIR } from '../abi/errno.js';

export interface Timespec { sec: number; nsec: number }

/** struct stat64 fields (the layout is written by the syscall layer). */
export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

export interface DirEntry { name: string; ino: number; /** DT_* */ type: number }

// The numbers (file types, d_type, open flags, poll events) live in the ABI leaf; re-exported
// here for the many modules that take them with the File contracts.
export * from '../abi/files.js';
import { O_ACCMODE, O_NONBLOCK, O_PATH, O_RDONLY, O_WRONLY, POLLIN, POLLOUT, S_IFMT } from '../abi/files.js';
export const dtOfMode = (mode: number): number => (mode & S_IFMT) >> 12;


export const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

/**
 * An open file description (the kernel's struct file): shared by dup'ed descriptors and
 * across fork. Methods return a byte count or -errno, synchronously when they can and
 * as a promise when they must wait (a blocking read awaits task-interruptible waits and
 * returns -ERESTARTSYS/-EINTR when a signal arrives).
 */
export abstract class File {
  /** O_* status flags and access mode (fcntl F_GETFL/F_SETFL). */
  flags: number;
  pos = 0;
  /** Path it was opened by, for /proc/PID/fd and fchdir. */
  path: string;
  /** Woken whenever poll() may have changed. */
  readonly waitq = new WaitQueue();

  constructor(flags: number, path: string) {
    this.flags = flags;
    this.path = path;
  }

  get readable(): boolean { return (this.flags & O_ACCMODE) !== O_WRONLY && !(this.flags & O_PATH); }
  get writable(): boolean { return (this.flags & O_ACCMODE) !== O_RDONLY && !(this.flags & O_PATH); }
  get nonblock(): boolean { return (this.flags & O_NONBLOCK) !== 0; }

  read(_t: Caller, _buf: Uint8Array): number | Promise<number> { return -EINVAL; }
  write(_t: Caller, _data: Uint8Array): number | Promise<number> { return -EINVAL; }
  /** Positional I/O; -ESPIPE for streams. */
  pread(_t: Caller, _buf: Uint8Array, _off: number): number | Promise<number> { return -ESPIPE; }
  pwrite(_t: Caller, _data: Uint8Array, _off: number): number | Promise<number> { return -ESPIPE; }
  /** New position or -errno. */
  seek(_off: number, _whence: number): number | Promise<number> { return -ESPIPE; }
  abstract stat(): Stat | Promise<Stat>;
  /** Current readiness as POLL* bits. */
  poll(): number { return POLLIN | POLLOUT; }
  ioctl(_t: Caller, _req: number, _arg: number): number | Promise<number> { return -ENOTTY; }
  /** Directory entries from the current position (a cookie in `pos`). */
  readdir(): DirEntry[] | number | Promise<DirEntry[] | number> { return -ENOTDIR; }
  truncate(_len: number): number | Promise<number> { return -EINVAL; }
  fsync(): number | Promise<number> { return 0; }
  /** Called when the last descriptor referring to this description is closed. */
  release(): void | Promise<void> {}
  /** Internal reference count (descriptors and other holders). */
  refs = 0;
}

/** The descriptor table of a process (shared by CLONE_FILES threads). */
export class FdTable {
  fds: (File | undefined)[] = [];
  cloexec: boolean[] = [];
  limit = 1024;

  get(fd: number): File | undefined {
    return fd >= 0 ? this.fds[fd] : undefined;
  }
  /** Lowest free descriptor >= min, or -EMFILE semantics left to the caller (-1). */
  alloc(f: File, min = 0, cloexec = false): number {
    for (let i = min; i < this.limit; i++) {
      if (this.fds[i] === undefined) {
        this.install(i, f, cloexec);
        return i;
      }
    }
    return -1;
  }
  install(fd: number, f: File, cloexec = false): void {
    const old = this.fds[fd];
    f.refs++;
    this.fds[fd] = f;
    this.cloexec[fd] = cloexec;
    if (old) unref(old);
  }
  close(fd: number): number {
    const f = this.get(fd);
    if (!f) return -EBADF;
    this.fds[fd] = undefined;
    this.cloexec[fd] = false;
    unref(f);
    return 0;
  }
  clone(): FdTable {
    const t = new FdTable();
    t.limit = this.limit;
    this.fds.forEach((f, i) => { if (f) t.install(i, f, this.cloexec[i]); });
    return t;
  }
  closeOnExec(): void {
    this.fds.forEach((f, i) => { if (f && this.cloexec[i]) this.close(i); });
  }
  closeAll(): void {
    this.fds.forEach((f, i) => { if (f) this.close(i); });
  }
}

export function unref(f: File): void {
  if (--f.refs === 0) void f.release();
}

/** The credentials a file operation may check (the caller's struct cred). */
export interface CallerCreds {
  readonly uid: number; readonly euid: number; readonly fsuid: number;
  readonly gid: number; readonly egid: number; readonly fsgid: number;
  readonly groups: readonly number[];
}

/**
 * What file operations need of the thread calling them, and nothing more (gVisor's vfs
 * gets a context.Context, never a Task): linux/task.ts's Task implements it, so the file
 * systems below the kernel never see the kernel. File subclasses above the kernel (tty,
 * sockets) may still declare Task in their overrides: the VFS passes the task itself.
 */
export interface Caller {
  /** The caller's process (for /proc/self) and thread (/proc/thread-self). */
  readonly pid: number;
  readonly tid: number;
  readonly creds: CallerCreds;
  /** Fires when a signal becomes deliverable to the caller: blocking waits watch it. */
  readonly interrupt: WaitQueue;
  /** The caller's address space, for ioctls that copy to or from user memory. */
  readonly mem: AddressSpace;
  /** A signal the kernel raises on the caller itself (SIGPIPE on a broken pipe: send_sig(sig, current, 0)). */
  raise(signo: number): void;
  /** RLIMIT_FSIZE: bytes of `len` the caller may write at `pos` of a regular file, or -EFBIG after SIGXFSZ. */
  limitFileWrite(pos: number, len: number): number;
}

/** Attributes settable through chmod/chown/utimensat/truncate. */
export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec;
  mtime?: Timespec;
}

/** statfs(2) numbers of a file system. */
export interface FsStats {
  type: number;
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namelen: number;
}

/**
 * A file-system object. Every method may complete synchronously or return a promise
 * (ext2 over HTTP must wait for blocks). Errors are returned as -errno numbers.
 * Optional methods that a type does not support make the VFS answer with the errno
 * Linux gives (EPERM, ENOTDIR, EINVAL ...).
 */
export interface Inode {
  readonly fs: FileSystem;
  readonly ino: number;
  stat(): Stat | Promise<Stat>;
  setattr?(a: SetAttr): number | Promise<number>;

  // Directories. Names never contain '/', and are never '.' or '..' (the VFS handles those).
  /** The named entry, null if absent, or -errno (-EIO for a damaged directory). */
  lookup?(name: string): Inode | null | number | Promise<Inode | null | number>;
  /** Entries other than '.' and '..', or -errno. */
  readdir?(): DirEntry[] | number | Promise<DirEntry[] | number>;
  create?(name: string, mode: number, uid: number, gid: number, rdev?: number): Inode | number | Promise<Inode | number>;
  mkdir?(name: string, mode: number, uid: number, gid: number): Inode | number | Promise<Inode | number>;
  symlink?(name: string, target: string, uid: number, gid: number): Inode | number | Promise<Inode | number>;
  link?(name: string, target: Inode): number | Promise<number>;
  unlink?(name: string): number | Promise<number>;
  rmdir?(name: string): number | Promise<number>;
  rename?(oldName: string, newDir: Inode, newName: string): number | Promise<number>;

  // Symbolic links. `caller` is who follows the link (/proc/self names the caller's
  // process, not whichever task the scheduler ran last while the walk awaited).
  readlink?(caller?: Caller): string | number | Promise<string | number>;
  /**
   * A magic link (/proc/PID/fd/N): following it lands on this open file, not on the path
   * readlink shows (fs/magic-link.ts).
   */
  jump?(): File | number;

  // Regular files: positional I/O returning byte counts or -errno.
  read?(buf: Uint8Array, off: number): number | Promise<number>;
  write?(data: Uint8Array, off: number): number | Promise<number>;

  /**
   * Special files (devices, /proc entries with their own semantics, FIFOs): return the
   * open file description instead of the VFS's generic one. `caller` is who opens (absent
   * for the host's own opens): a pty slave becomes its controlling terminal.
   */
  open?(flags: number, path: string, caller?: Caller): File | number | Promise<File | number>;

  /**
   * An open file description now refers to this inode / has let it go (the generic
   * InodeFile calls these). A disk file system frees an unlinked inode at the last release.
   */
  opened?(): void;
  released?(): void | Promise<void>;
}

export interface FileSystem {
  readonly type: string;
  /** st_dev of its inodes. */
  readonly dev: number;
  readonly root: Inode;
  readonly readOnly: boolean;
  statfs?(): FsStats | Promise<FsStats>;
  /** Flush cached writes (sync(2), unmount). */
  sync?(): Promise<void>;
}
