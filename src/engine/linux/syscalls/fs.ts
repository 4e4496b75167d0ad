/**
 * File system calls: descriptors, I/O, metadata, names, locks. Argument decoding and
 * struct layouts live here; the semantics live in the VFS (fs/vfs.ts) and the File
 * implementations. 64-bit offsets arrive split across two registers (low first) and
 * are never truncated.
 */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import type { File, SetAttr, Stat, Timespec } from '../../fs/types.js';
import { S_IFREG } from '../../fs/types.js';
import { fsizeAllowsSize } from '../rlimits.js';
import {
  O_ACCMODE, O_APPEND, O_ASYNC, O_CLOEXEC, O_CREAT, O_DIRECT, O_EXCL, O_NOATIME, O_NOCTTY, O_NONBLOCK,
  O_PATH, O_TMPFILE, O_TRUNC, O_WRONLY, S_IFDIR, S_IFMT, SEEK_CUR, SEEK_SET, SEEK_END,
} from '../../fs/types.js';
import {
  AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW,
  permission, MAY_EXEC,
} from '../../fs/vfs.js';
import { InodeFile } from '../../fs/inode-file.js';
import { createPipe, PipeEnd } from '../../fs/pipe.js';
import { nowTimespec } from '../../fs/tmpfs.js';
import {
  EBADF, EFAULT, EINVAL, EISDIR, EMFILE, ENOENT, ENOTDIR, EOPNOTSUPP, EOVERFLOW, EPERM, ERANGE, ESPIPE, EXDEV,
} from '../errno.js';
import { copyIn, copyOut, getString, getStruct, getU32, putStruct, putU32, canWrite } from '../uaccess.js';
import {
  FLOCK64_SIZE, FLOCK_SIZE, STAT64_SIZE, STATFS64_SIZE, STATFS_SIZE, STAT_SIZE, STATX_SIZE,
  fillStat, fillStat64, fillStatfs, fillStatfs64, fillStatx, getI64, packDirents, setU64,
} from './fs-structs.js';
import { F_RDLCK, F_UNLCK, F_WRLCK, findConflict, flock, releaseProcessLocks, setRecordLock, type RecordLock } from './fs-locks.js';

type R = number | Promise<number>;

// ---- helpers ----

/** A 64-bit value from two 32-bit registers (low, high); the high half is signed. */
const off64 = (lo: number, hi: number): number => (hi | 0) * 0x1_0000_0000 + (lo >>> 0);

function fileOf(t: Task, fd: number): File | number {
  return t.proc.files.get(fd) ?? -EBADF;
}

/** Install a new description at the lowest free descriptor; frees it on EMFILE. */
function install(t: Task, f: File, cloexec: boolean, min = 0): number {
  const fd = t.proc.files.alloc(f, min, cloexec);
  if (fd < 0) {
    if (f.refs === 0) void f.release();
    return -EMFILE;
  }
  return fd;
}

/** Path argument: the string, or -EFAULT/-ENAMETOOLONG. */
const pathArg = (t: Task, a: number): string | number => getString(t, a, 4096);

/** Call fn with a decoded path, propagating decode errors. */
function withPath(t: Task, a: number, fn: (p: string) => R): R {
  const p = pathArg(t, a);
  return typeof p === 'number' ? p : fn(p);
}

const vfs = (t: Task) => t.kernel.vfs;

/** Largest single transfer we stage through a temporary buffer (Linux's MAX_RW_COUNT is ~2 GiB). */
const CHUNK = 1 << 20;

// ---- open / close ----

const OPEN_KEEP = ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);

async function openat(t: Task, dirfd: number, pathp: number, flags: number, mode: number): Promise<number> {
  const path = pathArg(t, pathp);
  if (typeof path === 'number') return path;
  if ((flags & O_TMPFILE) === O_TMPFILE) return -EOPNOTSUPP;
  const f = await vfs(t).open(ctxOf(t), dirfd, path, flags, mode);
  if (typeof f === 'number') return f;
  f.flags = flags & OPEN_KEEP;
  return install(t, f, (flags & O_CLOEXEC) !== 0);
}

function close(t: Task, fd: number): number {
  const f = t.proc.files.get(fd);
  if (!f) return -EBADF;
  const r = t.proc.files.close(fd);
  releaseProcessLocks(t, f);
  return r;
}

// ---- read / write ----

/** Read into guest memory in chunks; a short read ends the loop (pipes, ttys, EOF). */
async function readInto(t: Task, f: File, buf: number, count: number, pos?: number): Promise<number> {
  if (!f.readable) return -EBADF;
  let done = 0;
  while (done < count) {
    const n = Math.min(count - done, CHUNK);
    if (!canWrite(t, buf + done, n)) return done || -EFAULT;
    const tmp = new Uint8Array(n);
    const r = pos === undefined ? await f.read(t, tmp) : await f.pread(t, tmp, pos + done);
    if (r < 0) return done || r;
    copyOut(t, buf + done, r === n ? tmp : tmp.subarray(0, r));
    done += r;
    // Only regular files are worth another round: others return what is available.
    if (r < n || !(f instanceof InodeFile)) break;
  }
  return done;
}

function readFast(t: Task, f: File, buf: number, count: number): R {
  // Small reads of files that answer synchronously skip the async machinery.
  if (count > CHUNK || !f.readable) return readInto(t, f, buf, count);
  if (!canWrite(t, buf, count)) return -EFAULT;
  const tmp = new Uint8Array(count);
  const r = f.read(t, tmp);
  const done = (n: number) => {
    if (n > 0) copyOut(t, buf, n === count ? tmp : tmp.subarray(0, n));
    return n;
  };
  return typeof r === 'number' ? done(r) : r.then(done);
}

function writeFrom(t: Task, f: File, buf: number, count: number, pos?: number): R {
  if (!f.writable) return -EBADF;
  if (count === 0) return 0;
  const data = copyIn(t, buf, count);
  if (!data) return -EFAULT;
  return pos === undefined ? f.write(t, data) : f.pwrite(t, data, pos);
}

const MAX_IOV = 1024;

/** iovec array as [base, len] pairs; EINVAL for too many or a total over 2 GiB. */
function readIov(t: Task, iov: number, cnt: number): [number, number][] | number {
  if (cnt < 0 || cnt > MAX_IOV) return -EINVAL;
  const dv = getStruct(t, iov, cnt * 8);
  if (!dv) return -EFAULT;
  const out: [number, number][] = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const len = dv.getUint32(i * 8 + 4, true);
    total += len;
    if (len > 0x7fffffff || total > 0x7fffffff) return -EINVAL;
    out.push([dv.getUint32(i * 8, true), len]);
  }
  return out;
}

/** readv: one read of the total size, scattered, so a pipe or tty sees a single request. */
async function readv(t: Task, fd: number, iovp: number, cnt: number, pos?: number): Promise<number> {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.readable) return -EBADF;
  const iov = readIov(t, iovp, cnt);
  if (typeof iov === 'number') return iov;
  const total = iov.reduce((s, [, l]) => s + l, 0);
  const tmp = new Uint8Array(total);
  const n = pos === undefined ? await f.read(t, tmp) : await f.pread(t, tmp, pos);
  if (n <= 0) return n;
  let off = 0;
  for (const [base, len] of iov) {
    if (off >= n) break;
    const k = Math.min(len, n - off);
    if (!copyOut(t, base, tmp.subarray(off, off + k))) return off || -EFAULT;
    off += k;
  }
  return n;
}

/** writev: gathered into one write (atomic for pipes up to PIPE_BUF, like Linux). */
function writev(t: Task, fd: number, iovp: number, cnt: number, pos?: number): R {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!f.writable) return -EBADF;
  const iov = readIov(t, iovp, cnt);
  if (typeof iov === 'number') return iov;
  const total = iov.reduce((s, [, l]) => s + l, 0);
  const data = new Uint8Array(total);
  let off = 0;
  for (const [base, len] of iov) {
    const part = copyIn(t, base, len);
    if (!part) return -EFAULT;
    data.set(part, off);
    off += len;
  }
  if (total === 0) return 0;
  return pos === undefined ? f.write(t, data) : f.pwrite(t, data, pos);
}

// ---- seeking ----

async function lseek(t: Task, fd: number, off: number, whence: number): Promise<number> {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (whence < SEEK_SET || whence > 4) return -EINVAL;
  return f.seek(off, whence);
}

// ---- stat ----

/** Stat a path or (AT_EMPTY_PATH with "") the file a descriptor refers to. */
async function statAt(t: Task, dirfd: number, path: string, flags: number): Promise<Stat | number> {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000 /* AT_STATX_SYNC_TYPE */)) return -EINVAL;
  if (path === '' && flags & AT_EMPTY_PATH && dirfd !== AT_FDCWD) {
    const f = fileOf(t, dirfd);
    return typeof f === 'number' ? f : f.stat();
  }
  return vfs(t).stat(ctxOf(t), dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
}

async function fstatOf(t: Task, fd: number): Promise<Stat | number> {
  const f = fileOf(t, fd);
  return typeof f === 'number' ? f : f.stat();
}

/** Write a stat result in one of the layouts. */
function putStat(t: Task, buf: number, st: Stat | number, kind: 'stat' | 'stat64'): number {
  if (typeof st === 'number') return st;
  if (kind === 'stat64') return putStruct(t, buf, STAT64_SIZE, (dv) => fillStat64(dv, st)) ? 0 : -EFAULT;
  let err = 0;
  const ok = putStruct(t, buf, STAT_SIZE, (dv) => { err = fillStat(dv, st); });
  return err || (ok ? 0 : -EFAULT);
}

function statPath(t: Task, pathp: number, buf: number, follow: boolean, kind: 'stat' | 'stat64'): R {
  return withPath(t, pathp, async (p) => putStat(t, buf, await vfs(t).stat(ctxOf(t), AT_FDCWD, p, follow), kind));
}

async function statx(t: Task, dirfd: number, pathp: number, flags: number, _mask: number, buf: number): Promise<number> {
  const p = pathArg(t, pathp);
  if (typeof p === 'number') return p;
  const st = await statAt(t, dirfd, p, flags);
  if (typeof st === 'number') return st;
  return putStruct(t, buf, STATX_SIZE, (dv) => fillStatx(dv, st)) ? 0 : -EFAULT;
}

// ---- directories ----

async function getdents(t: Task, fd: number, buf: number, count: number, wide: boolean): Promise<number> {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH) return -EBADF;
  const ents = await f.readdir();
  if (typeof ents === 'number') return ents;
  if (ents.length === 0) return 0;
  const start = f.pos;
  const packed = packDirents(ents, Math.min(count >>> 0, 1 << 20), wide, (i) => start + i + 1);
  if (typeof packed === 'number') return packed;
  if (packed.count === 0) return -EINVAL; // buffer too small for one entry
  if (!copyOut(t, buf, packed.buf.subarray(0, packed.used))) return -EFAULT;
  f.pos = start + packed.count;
  return packed.used;
}

async function getcwd(t: Task, buf: number, size: number): Promise<number> {
  const { cwd, root } = t.proc.fs;
  let p = cwd;
  if (root !== '/') p = cwd === root ? '/' : cwd.startsWith(root + '/') ? cwd.slice(root.length) : '(unreachable)' + cwd;
  const bytes = new TextEncoder().encode(p + '\0');
  if ((size >>> 0) < bytes.length) return -ERANGE;
  return copyOut(t, buf, bytes) ? bytes.length : -EFAULT;
}

async function chdir(t: Task, dirfd: number, path: string, emptyOk = false): Promise<number> {
  const r = await vfs(t).resolveDir(ctxOf(t), dirfd, path, emptyOk);
  if (typeof r === 'number') return r;
  t.proc.fs.cwd = r.path;
  return 0;
}

async function fchdir(t: Task, fd: number): Promise<number> {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (!(f instanceof InodeFile) || !f.isDir) return -ENOTDIR;
  const e = permission(await f.stat(), MAY_EXEC, ctxOf(t));
  if (e < 0) return e;
  t.proc.fs.cwd = f.path;
  return 0;
}

async function chroot(t: Task, path: string): Promise<number> {
  if (t.proc.creds.euid !== 0) return -EPERM;
  const r = await vfs(t).resolveDir(ctxOf(t), AT_FDCWD, path);
  if (typeof r === 'number') return r;
  t.proc.fs.root = r.path;
  return 0;
}

// ---- names ----

async function readlinkat(t: Task, dirfd: number, pathp: number, buf: number, size: number): Promise<number> {
  if ((size | 0) <= 0) return -EINVAL;
  const p = pathArg(t, pathp);
  if (typeof p === 'number') return p;
  const target = await vfs(t).readlink(ctxOf(t), dirfd, p);
  if (typeof target === 'number') return target;
  const bytes = new TextEncoder().encode(target).subarray(0, size);
  return copyOut(t, buf, bytes) ? bytes.length : -EFAULT;
}

function unlinkat(t: Task, dirfd: number, pathp: number, flags: number): R {
  if (flags & ~AT_REMOVEDIR) return -EINVAL;
  return withPath(t, pathp, (p) => (flags & AT_REMOVEDIR ? vfs(t).rmdir(ctxOf(t), dirfd, p) : vfs(t).unlink(ctxOf(t), dirfd, p)));
}

function renameat2(t: Task, od: number, op: number, nd: number, np: number, flags: number): R {
  return withPath(t, op, (a) => withPath(t, np, (b) => vfs(t).rename(ctxOf(t), od, a, nd, b, flags)));
}

function linkat(t: Task, od: number, op: number, nd: number, np: number, flags: number): R {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  return withPath(t, op, (a) => withPath(t, np, (b) =>
    vfs(t).link(ctxOf(t), od, a, nd, b, (flags & AT_SYMLINK_FOLLOW) !== 0, (flags & AT_EMPTY_PATH) !== 0)));
}

function symlinkat(t: Task, tp: number, dirfd: number, np: number): R {
  return withPath(t, tp, (target) => withPath(t, np, (p) => vfs(t).symlink(ctxOf(t), target, dirfd, p)));
}

// ---- attributes ----

/** The inode a path or descriptor names, for chmod/chown/utimes/truncate. */
async function inodeAt(t: Task, dirfd: number, path: string | null, follow: boolean, emptyOk = false) {
  if (path === null || (path === '' && emptyOk && dirfd !== AT_FDCWD)) {
    const f = fileOf(t, dirfd);
    if (typeof f === 'number') return f;
    if (!(f instanceof InodeFile) && !(f instanceof PipeEnd && f.inode)) return -EPERM;
    return f instanceof InodeFile ? f.inode : (f as PipeEnd).inode!;
  }
  const r = await vfs(t).resolve(ctxOf(t), dirfd, path, follow, emptyOk);
  return typeof r === 'number' ? r : r.inode;
}

async function setattrAt(t: Task, dirfd: number, path: string | null, follow: boolean, a: SetAttr, now = false, emptyOk = false): Promise<number> {
  const ino = await inodeAt(t, dirfd, path, follow, emptyOk);
  if (typeof ino === 'number') return ino;
  return vfs(t).setattr(ctxOf(t), ino, a, now);
}

function chmodAt(t: Task, dirfd: number, pathp: number, mode: number): R {
  return withPath(t, pathp, (p) => setattrAt(t, dirfd, p, true, { mode: mode & 0o7777 }));
}

/** uid/gid arguments: -1 (or 0xffff in the 16-bit calls) leaves the id unchanged. */
function ids(uid: number, gid: number, wide: boolean): SetAttr {
  const keep = (v: number) => (wide ? v === -1 : (v & 0xffff) === 0xffff);
  const a: SetAttr = {};
  if (!keep(uid)) a.uid = wide ? uid >>> 0 : uid & 0xffff;
  if (!keep(gid)) a.gid = wide ? gid >>> 0 : gid & 0xffff;
  return a;
}

function chownPath(t: Task, pathp: number, uid: number, gid: number, follow: boolean, wide: boolean): R {
  return withPath(t, pathp, (p) => setattrAt(t, AT_FDCWD, p, follow, ids(uid, gid, wide)));
}

function fchownat(t: Task, dirfd: number, pathp: number, uid: number, gid: number, flags: number): R {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  return withPath(t, pathp, (p) =>
    setattrAt(t, dirfd, p, !(flags & AT_SYMLINK_NOFOLLOW), ids(uid, gid, true), false, (flags & AT_EMPTY_PATH) !== 0));
}

const UTIME_NOW = (1 << 30) - 1, UTIME_OMIT = (1 << 30) - 2;

/** Build the SetAttr of utimensat; null times mean "both now". */
function timesAttr(times: [Timespec, Timespec] | null): { a: SetAttr; now: boolean } | number {
  const now = nowTimespec();
  if (!times) return { a: { atime: now, mtime: now }, now: true };
  const a: SetAttr = {};
  let allNow = true;
  for (const [i, ts] of times.entries()) {
    if (ts.nsec === UTIME_OMIT) continue;
    if (ts.nsec !== UTIME_NOW && (ts.nsec < 0 || ts.nsec > 999_999_999)) return -EINVAL;
    if (ts.nsec !== UTIME_NOW) allNow = false;
    const v = ts.nsec === UTIME_NOW ? now : ts;
    if (i === 0) a.atime = v;
    else a.mtime = v;
  }
  return { a, now: allNow };
}

async function utimesCommon(t: Task, dirfd: number, path: string | null, times: [Timespec, Timespec] | null, follow: boolean, emptyOk = false): Promise<number> {
  const ta = timesAttr(times);
  if (typeof ta === 'number') return ta;
  if (!ta.a.atime && !ta.a.mtime) return 0; // both UTIME_OMIT
  return setattrAt(t, dirfd, path, follow, ta.a, ta.now, emptyOk);
}

/** timespec[2] (32- or 64-bit fields) or null. */
function readTimespecs(t: Task, p: number, wide: boolean): [Timespec, Timespec] | null | number {
  if (p === 0) return null;
  const sz = wide ? 16 : 8;
  const dv = getStruct(t, p, sz * 2);
  if (!dv) return -EFAULT;
  const one = (o: number): Timespec => wide
    ? { sec: getI64(dv, o), nsec: getI64(dv, o + 8) }
    : { sec: dv.getInt32(o, true), nsec: dv.getInt32(o + 4, true) };
  return [one(0), one(sz)];
}

/** timeval[2] (utimes, futimesat) converted to timespecs. */
function readTimevals(t: Task, p: number): [Timespec, Timespec] | null | number {
  if (p === 0) return null;
  const dv = getStruct(t, p, 16);
  if (!dv) return -EFAULT;
  const one = (o: number): Timespec | number => {
    const usec = dv.getInt32(o + 4, true);
    return usec < 0 || usec >= 1_000_000 ? -EINVAL : { sec: dv.getInt32(o, true), nsec: usec * 1000 };
  };
  const a = one(0), b = one(8);
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return [a, b];
}

async function utimensat(t: Task, dirfd: number, pathp: number, tsp: number, flags: number, wide: boolean): Promise<number> {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const times = readTimespecs(t, tsp, wide);
  if (typeof times === 'number') return times;
  // A NULL path operates on dirfd itself (the glibc futimens path).
  let path: string | null = null;
  if (pathp !== 0) {
    const p = pathArg(t, pathp);
    if (typeof p === 'number') return p;
    path = p;
  } else if (dirfd === AT_FDCWD) return -EFAULT;
  return utimesCommon(t, dirfd, path, times, !(flags & AT_SYMLINK_NOFOLLOW), (flags & AT_EMPTY_PATH) !== 0);
}

async function truncatePath(t: Task, pathp: number, len: number): Promise<number> {
  if (len < 0) return -EINVAL;
  const p = pathArg(t, pathp);
  if (typeof p === 'number') return p;
  const r = await vfs(t).resolve(ctxOf(t), AT_FDCWD, p, true);
  if (typeof r === 'number') return r;
  if ((r.stat.mode & S_IFMT) === S_IFDIR) return -EISDIR;
  if ((r.stat.mode & S_IFMT) === S_IFREG) {
    const e = fsizeAllowsSize(t, len); // RLIMIT_FSIZE (inode_newsize_ok)
    if (e < 0) return e;
  }
  return vfs(t).setattr(ctxOf(t), r.inode, { size: len });
}

async function ftruncate(t: Task, fd: number, len: number): Promise<number> {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (len < 0) return -EINVAL;
  if (f.writable && ((await f.stat()).mode & S_IFMT) === S_IFREG) {
    const e = fsizeAllowsSize(t, len); // RLIMIT_FSIZE (inode_newsize_ok)
    if (e < 0) return e;
  }
  return f.truncate(len);
}

async function accessAt(t: Task, dirfd: number, pathp: number, mode: number, flags: number): Promise<number> {
  if (mode & ~7) return -EINVAL;
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  const p = pathArg(t, pathp);
  if (typeof p === 'number') return p;
  return vfs(t).access(ctxOf(t), dirfd, p, mode, !(flags & AT_SYMLINK_NOFOLLOW), !(flags & AT_EACCESS));
}

// ---- statfs ----

async function statfsOf(t: Task, target: { fd: number } | { path: number }, buf: number, size: number | null): Promise<number> {
  let ino;
  if ('fd' in target) {
    const f = fileOf(t, target.fd);
    if (typeof f === 'number') return f;
    ino = f instanceof InodeFile ? f.inode : null;
  } else {
    const p = pathArg(t, target.path);
    if (typeof p === 'number') return p;
    const r = await vfs(t).resolve(ctxOf(t), AT_FDCWD, p, true);
    if (typeof r === 'number') return r;
    ino = r.inode;
  }
  const fsys = ino?.fs;
  // Pipes and sockets live on pseudo file systems with nothing to count.
  const s = (await fsys?.statfs?.()) ?? { type: 0x50495045 /* PIPEFS_MAGIC */, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255 };
  const dev = fsys?.dev ?? 0;
  if (size === null) {
    let err = 0;
    const ok = putStruct(t, buf, STATFS_SIZE, (dv) => { err = fillStatfs(dv, s, dev); });
    return err || (ok ? 0 : -EFAULT);
  }
  // glibc passes sizeof(struct statfs64): 84 on i386 (88 if built unpacked).
  if (size !== STATFS64_SIZE && size !== 88) return -EINVAL;
  return putStruct(t, buf, size, (dv) => fillStatfs64(dv, s, dev)) ? 0 : -EFAULT;
}

// ---- fcntl ----

const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7;
const F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11, F_GETLK64 = 12, F_SETLK64 = 13, F_SETLKW64 = 14;
const F_SETOWN_EX = 15, F_GETOWN_EX = 16, F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
const F_SETLEASE = 1024, F_GETLEASE = 1025, F_NOTIFY = 1026, F_DUPFD_CLOEXEC = 1030;
const F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
const FD_CLOEXEC = 1;
/** F_SETFL may change only these (fcntl(2)); the access mode and creation flags stay. */
const SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

const owners = new WeakMap<File, number>();

async function fcntl(t: Task, fd: number, cmd: number, arg: number, is64: boolean): Promise<number> {
  const files = t.proc.files;
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      if (arg < 0 || arg >= files.limit) return -EINVAL;
      return install(t, f, cmd === F_DUPFD_CLOEXEC, arg);
    case F_GETFD: return files.cloexec[fd] ? FD_CLOEXEC : 0;
    case F_SETFD: files.cloexec[fd] = (arg & FD_CLOEXEC) !== 0; return 0;
    case F_GETFL: return f.flags;
    case F_SETFL:
      f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
      f.waitq.wake();
      return 0;
    case F_GETLK: case F_SETLK: case F_SETLKW:
      return recordLock(t, f, cmd, arg, false, false);
    case F_GETLK64: case F_SETLK64: case F_SETLKW64:
      return is64 ? recordLock(t, f, cmd - 7, arg, true, false) : -EINVAL;
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
      return recordLock(t, f, cmd - 31, arg, true, true);
    case F_SETOWN: owners.set(f, arg); return 0;
    case F_GETOWN: return owners.get(f) ?? 0;
    case F_SETSIG: case F_NOTIFY: case F_SETOWN_EX: return 0;
    case F_GETSIG: return 0;
    case F_GETOWN_EX: return putStruct(t, arg, 8, (dv) => dv.setInt32(4, owners.get(f) ?? 0, true)) ? 0 : -EFAULT;
    case F_GETLEASE: return F_UNLCK;
    case F_SETLEASE: return arg === F_UNLCK ? 0 : -EINVAL;
    case F_GETPIPE_SZ: return f instanceof PipeEnd ? f.pipe.capacity : -EBADF;
    case F_SETPIPE_SZ: return f instanceof PipeEnd ? f.setPipeSize(arg >>> 0, t.proc.creds.euid === 0) : -EBADF;
    case F_ADD_SEALS: case F_GET_SEALS: return -EINVAL;
    default:
      t.kernel.warnOnce('fcntl:' + cmd, `fcntl: unsupported command ${cmd}`);
      return -EINVAL;
  }
}

/**
 * F_GETLK/F_SETLK/F_SETLKW (cmd 5..7 after mapping) with struct flock or flock64.
 * OFD locks belong to the open file description instead of the process.
 */
async function recordLock(t: Task, f: File, cmd: number, arg: number, wide: boolean, ofd: boolean): Promise<number> {
  const size = wide ? FLOCK64_SIZE : FLOCK_SIZE;
  const dv = getStruct(t, arg, size);
  if (!dv) return -EFAULT;
  const type = dv.getInt16(0, true), whence = dv.getInt16(2, true);
  const start = wide ? getI64(dv, 4) : dv.getInt32(4, true);
  const len = wide ? getI64(dv, 12) : dv.getInt32(8, true);
  if (ofd && (wide ? dv.getInt32(20, true) : dv.getInt32(12, true)) !== 0) return -EINVAL;
  let base = 0;
  if (whence === SEEK_CUR) base = f.pos;
  else if (whence === SEEK_END) base = (await f.stat()).size;
  else if (whence !== SEEK_SET) return -EINVAL;
  let s = base + start, e = len === 0 ? Infinity : s + len - 1;
  if (len < 0) { e = s - 1; s = s + len; }
  if (s < 0) return -EINVAL;
  const req: RecordLock = { owner: ofd ? f : t.proc.pid, type, start: s, end: e, pid: ofd ? -1 : t.proc.pid };
  if (cmd === F_GETLK) {
    if (type !== F_RDLCK && type !== F_WRLCK) return -EINVAL;
    const c = findConflict(t, f, req);
    return putStruct(t, arg, size, (out) => writeFlock(out, c, wide)) ? 0 : -EFAULT;
  }
  return setRecordLock(t, f, req, cmd === F_SETLKW);
}

function writeFlock(dv: DataView, l: RecordLock | undefined, wide: boolean): void {
  dv.setInt16(0, l ? l.type : F_UNLCK, true);
  dv.setInt16(2, SEEK_SET, true);
  if (!l) return;
  const len = l.end === Infinity ? 0 : l.end - l.start + 1;
  if (wide) {
    setU64(dv, 4, l.start);
    setU64(dv, 12, len);
    dv.setInt32(20, l.pid, true);
  } else {
    dv.setInt32(4, l.start, true);
    dv.setInt32(8, len, true);
    dv.setInt32(12, l.pid, true);
  }
}

// ---- dup ----

function dup3(t: Task, oldfd: number, newfd: number, flags: number): number {
  if (flags & ~O_CLOEXEC) return -EINVAL;
  if (oldfd === newfd) return -EINVAL;
  return dupTo(t, oldfd, newfd, (flags & O_CLOEXEC) !== 0);
}

function dupTo(t: Task, oldfd: number, newfd: number, cloexec: boolean): number {
  const files = t.proc.files;
  const f = files.get(oldfd);
  if (!f) return -EBADF;
  if (newfd < 0 || newfd >= files.limit) return -EBADF;
  const old = files.get(newfd);
  files.install(newfd, f, cloexec);
  if (old) releaseProcessLocks(t, old);
  return newfd;
}

// ---- pipes ----

function pipe2(t: Task, fdsp: number, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -EINVAL;
  if (!canWrite(t, fdsp, 8)) return -EFAULT;
  const [r, w] = createPipe(flags);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = install(t, r, cloexec);
  if (rfd < 0) { void w.release(); return rfd; }
  const wfd = install(t, w, cloexec);
  if (wfd < 0) { t.proc.files.close(rfd); return wfd; }
  putU32(t, fdsp, rfd);
  putU32(t, fdsp + 4, wfd);
  return 0;
}

// ---- ioctl ----

import { FIONREAD, FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC } from '../../abi/ioctls.js';
import { ctxOf } from '../path-ctx.js';

async function ioctl(t: Task, fd: number, req: number, arg: number): Promise<number> {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (f.flags & O_PATH) return -EBADF;
  req >>>= 0;
  switch (req) {
    case FIONBIO:
    case FIOASYNC: {
      const v = getU32(t, arg);
      if (v === null) return -EFAULT;
      const bit = req === FIONBIO ? O_NONBLOCK : O_ASYNC;
      f.flags = v ? f.flags | bit : f.flags & ~bit;
      return 0;
    }
    case FIOCLEX: t.proc.files.cloexec[fd] = true; return 0;
    case FIONCLEX: t.proc.files.cloexec[fd] = false; return 0;
  }
  if (req === FIONREAD && f instanceof InodeFile && !f.isDir) {
    const st = await f.stat();
    return putU32(t, arg, Math.max(0, Math.min(0x7fffffff, st.size - f.pos))) ? 0 : -EFAULT;
  }
  return f.ioctl(t, req, arg);
}

// ---- copying between files ----

/** sendfile/copy_file_range: copy through a buffer; `inPos` null means use the file offset. */
async function copyBetween(t: Task, out: File, inp: File, inPos: number | null, count: number): Promise<{ n: number; pos: number | null }> {
  let done = 0, pos = inPos;
  while (done < count) {
    const tmp = new Uint8Array(Math.min(count - done, 65536));
    const r = pos === null ? await inp.read(t, tmp) : await inp.pread(t, tmp, pos);
    if (r < 0) return { n: done || r, pos };
    if (r === 0) break;
    const w = await out.write(t, tmp.subarray(0, r));
    if (w < 0) return { n: done || w, pos };
    done += w;
    if (pos !== null) pos += w;
    if (w < r) {
      // Give back what the output did not take so the input offset stays exact.
      if (pos === null) await inp.seek(w - r, SEEK_CUR);
      break;
    }
    // From a stream (tty, pipe, socket) return what arrived rather than wait for more:
    // a later read may be the end-of-file the caller must see on its own (cat + ^D).
    if (!(inp instanceof InodeFile)) break;
  }
  return { n: done, pos };
}

async function sendfile(t: Task, outfd: number, infd: number, offp: number, count: number, wide: boolean): Promise<number> {
  const out = fileOf(t, outfd), inp = fileOf(t, infd);
  if (typeof out === 'number') return out;
  if (typeof inp === 'number') return inp;
  if (!inp.readable || !out.writable) return -EBADF;
  if (out.flags & O_APPEND) return -EINVAL;
  let pos: number | null = null;
  if (offp) {
    const dv = getStruct(t, offp, wide ? 8 : 4);
    if (!dv) return -EFAULT;
    pos = wide ? getI64(dv, 0) : dv.getInt32(0, true);
    if (pos < 0) return -EINVAL;
  }
  const r = await copyBetween(t, out, inp, pos, count >>> 0);
  if (offp && r.pos !== null) {
    const ok = putStruct(t, offp, wide ? 8 : 4, (dv) => (wide ? setU64(dv, 0, r.pos!) : dv.setInt32(0, r.pos!, true)));
    if (!ok) return -EFAULT;
  }
  return r.n;
}

async function copyFileRange(t: Task, infd: number, inOffp: number, outfd: number, outOffp: number, len: number, flags: number): Promise<number> {
  if (flags !== 0) return -EINVAL;
  const inp = fileOf(t, infd), out = fileOf(t, outfd);
  if (typeof inp === 'number') return inp;
  if (typeof out === 'number') return out;
  if (!(inp instanceof InodeFile) || !(out instanceof InodeFile)) return -EINVAL;
  if (inp.isDir || out.isDir) return -EISDIR;
  if (!inp.readable || !out.writable || out.flags & O_APPEND) return -EBADF;
  const getOff = (p: number) => { const dv = getStruct(t, p, 8); return dv ? getI64(dv, 0) : -EFAULT; };
  let inPos = inOffp ? getOff(inOffp) : inp.pos;
  let outPos = outOffp ? getOff(outOffp) : out.pos;
  if (inPos === -EFAULT || outPos === -EFAULT) return -EFAULT;
  if (inPos < 0 || outPos < 0) return -EINVAL;
  let done = 0;
  while (done < len) {
    const tmp = new Uint8Array(Math.min(len - done, 65536));
    const r = await inp.pread(t, tmp, inPos);
    if (r <= 0) { if (r < 0 && !done) return r; break; }
    const w = await out.pwrite(t, tmp.subarray(0, r), outPos);
    if (w <= 0) { if (w < 0 && !done) return w; break; }
    done += w; inPos += w; outPos += w;
    if (w < r) break;
  }
  if (inOffp) { if (!putStruct(t, inOffp, 8, (dv) => setU64(dv, 0, inPos))) return -EFAULT; } else inp.pos = inPos;
  if (outOffp) { if (!putStruct(t, outOffp, 8, (dv) => setU64(dv, 0, outPos))) return -EFAULT; } else out.pos = outPos;
  return done;
}

async function syncAll(t: Task): Promise<number> {
  for (const m of t.kernel.vfs.mounts.values()) await m.sync?.();
  return 0;
}

/** Calls that only need a valid descriptor (advice, readahead, sync ranges). */
function acceptFd(t: Task, fd: number, noPipes = false): number {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  return noPipes && f instanceof PipeEnd ? -ESPIPE : 0;
}

// ---- registration ----

/** This module's rows of the system call table (syscalls/index.ts). */
export const fsSyscalls = syscallTable({
  open: (t, p, flags, mode) => openat(t, AT_FDCWD, p, flags, mode),
  openat: (t, dirfd, p, flags, mode) => openat(t, dirfd, p, flags, mode),
  creat: (t, p, mode) => openat(t, AT_FDCWD, p, O_CREAT | O_WRONLY | O_TRUNC, mode),
  close: (t, fd) => close(t, fd),

  read: (t, fd, buf, count) => { const f = fileOf(t, fd); return typeof f === 'number' ? f : readFast(t, f, buf, count >>> 0); },
  write: (t, fd, buf, count) => { const f = fileOf(t, fd); return typeof f === 'number' ? f : writeFrom(t, f, buf, count >>> 0); },
  readv: (t, fd, iov, cnt) => readv(t, fd, iov, cnt),
  writev: (t, fd, iov, cnt) => writev(t, fd, iov, cnt),
  pread64: (t, fd, buf, count, lo, hi) => positional(t, fd, off64(lo, hi), (f, pos) => readInto(t, f, buf, count >>> 0, pos)),
  pwrite64: (t, fd, buf, count, lo, hi) => positional(t, fd, off64(lo, hi), (f, pos) => writeFrom(t, f, buf, count >>> 0, pos)),
  preadv: (t, fd, iov, cnt, lo, hi) => positional(t, fd, off64(lo, hi), (_f, pos) => readv(t, fd, iov, cnt, pos)),
  pwritev: (t, fd, iov, cnt, lo, hi) => positional(t, fd, off64(lo, hi), (_f, pos) => writev(t, fd, iov, cnt, pos)),
  // The *v2 calls take offset -1 to mean the file position; flags (RWF_*) are hints we accept.
  preadv2: (t, fd, iov, cnt, lo, hi) => (off64(lo, hi) === -1 ? readv(t, fd, iov, cnt) : positional(t, fd, off64(lo, hi), (_f, pos) => readv(t, fd, iov, cnt, pos))),
  pwritev2: (t, fd, iov, cnt, lo, hi) => (off64(lo, hi) === -1 ? writev(t, fd, iov, cnt) : positional(t, fd, off64(lo, hi), (_f, pos) => writev(t, fd, iov, cnt, pos))),

  lseek: async (t, fd, off, whence) => {
    const r = await lseek(t, fd, off, whence);
    // off_t is 32 bits here: a result that does not fit is EOVERFLOW, as on i386 Linux.
    return r > 0x7fffffff ? -EOVERFLOW : r;
  },
  _llseek: async (t, fd, hi, lo, resultp, whence) => {
    const r = await lseek(t, fd, off64(lo, hi), whence);
    if (r < 0) return r;
    return putStruct(t, resultp, 8, (dv) => setU64(dv, 0, r)) ? 0 : -EFAULT;
  },

  stat: (t, p, buf) => statPath(t, p, buf, true, 'stat'),
  lstat: (t, p, buf) => statPath(t, p, buf, false, 'stat'),
  fstat: async (t, fd, buf) => putStat(t, buf, await fstatOf(t, fd), 'stat'),
  stat64: (t, p, buf) => statPath(t, p, buf, true, 'stat64'),
  lstat64: (t, p, buf) => statPath(t, p, buf, false, 'stat64'),
  fstat64: async (t, fd, buf) => putStat(t, buf, await fstatOf(t, fd), 'stat64'),
  fstatat64: (t, dirfd, p, buf, flags) => withPath(t, p, async (path) => putStat(t, buf, await statAt(t, dirfd, path, flags), 'stat64')),
  statx: (t, dirfd, p, flags, mask, buf) => statx(t, dirfd, p, flags, mask, buf),

  getdents: (t, fd, buf, count) => getdents(t, fd, buf, count, false),
  getdents64: (t, fd, buf, count) => getdents(t, fd, buf, count, true),

  mkdir: (t, p, mode) => withPath(t, p, (path) => vfs(t).mkdir(ctxOf(t), AT_FDCWD, path, mode)),
  mkdirat: (t, dirfd, p, mode) => withPath(t, p, (path) => vfs(t).mkdir(ctxOf(t), dirfd, path, mode)),
  rmdir: (t, p) => withPath(t, p, (path) => vfs(t).rmdir(ctxOf(t), AT_FDCWD, path)),
  unlink: (t, p) => unlinkat(t, AT_FDCWD, p, 0),
  unlinkat: (t, dirfd, p, flags) => unlinkat(t, dirfd, p, flags),
  rename: (t, a, b) => renameat2(t, AT_FDCWD, a, AT_FDCWD, b, 0),
  renameat: (t, od, a, nd, b) => renameat2(t, od, a, nd, b, 0),
  renameat2: (t, od, a, nd, b, flags) => renameat2(t, od, a, nd, b, flags),
  link: (t, a, b) => linkat(t, AT_FDCWD, a, AT_FDCWD, b, 0),
  linkat: (t, od, a, nd, b, flags) => linkat(t, od, a, nd, b, flags),
  symlink: (t, target, p) => symlinkat(t, target, AT_FDCWD, p),
  symlinkat: (t, target, dirfd, p) => symlinkat(t, target, dirfd, p),
  readlink: (t, p, buf, size) => readlinkat(t, AT_FDCWD, p, buf, size),
  readlinkat: (t, dirfd, p, buf, size) => readlinkat(t, dirfd, p, buf, size),
  mknod: (t, p, mode, dev) => withPath(t, p, (path) => vfs(t).mknod(ctxOf(t), AT_FDCWD, path, mode, dev >>> 0)),
  mknodat: (t, dirfd, p, mode, dev) => withPath(t, p, (path) => vfs(t).mknod(ctxOf(t), dirfd, path, mode, dev >>> 0)),

  chmod: (t, p, mode) => chmodAt(t, AT_FDCWD, p, mode),
  fchmodat: (t, dirfd, p, mode) => chmodAt(t, dirfd, p, mode),
  fchmod: (t, fd, mode) => setattrAt(t, fd, null, true, { mode: mode & 0o7777 }),
  chown: (t, p, u, g) => chownPath(t, p, u, g, true, false),
  lchown: (t, p, u, g) => chownPath(t, p, u, g, false, false),
  fchown: (t, fd, u, g) => setattrAt(t, fd, null, true, ids(u, g, false)),
  chown32: (t, p, u, g) => chownPath(t, p, u, g, true, true),
  lchown32: (t, p, u, g) => chownPath(t, p, u, g, false, true),
  fchown32: (t, fd, u, g) => setattrAt(t, fd, null, true, ids(u, g, true)),
  fchownat: (t, dirfd, p, u, g, flags) => fchownat(t, dirfd, p, u, g, flags),

  utime: (t, p, bufp) => withPath(t, p, (path) => {
    if (!bufp) return utimesCommon(t, AT_FDCWD, path, null, true);
    const dv = getStruct(t, bufp, 8);
    if (!dv) return -EFAULT;
    return utimesCommon(t, AT_FDCWD, path, [{ sec: dv.getInt32(0, true), nsec: 0 }, { sec: dv.getInt32(4, true), nsec: 0 }], true);
  }),
  utimes: (t, p, tvp) => withPath(t, p, (path) => {
    const tv = readTimevals(t, tvp);
    return typeof tv === 'number' ? tv : utimesCommon(t, AT_FDCWD, path, tv, true);
  }),
  futimesat: (t, dirfd, p, tvp) => {
    const tv = readTimevals(t, tvp);
    if (typeof tv === 'number') return tv;
    if (!p) return utimesCommon(t, dirfd, null, tv, true);
    return withPath(t, p, (path) => utimesCommon(t, dirfd, path, tv, true));
  },
  utimensat: (t, dirfd, p, tsp, flags) => utimensat(t, dirfd, p, tsp, flags, false),
  utimensat_time64: (t, dirfd, p, tsp, flags) => utimensat(t, dirfd, p, tsp, flags, true),

  access: (t, p, mode) => accessAt(t, AT_FDCWD, p, mode, 0),
  faccessat: (t, dirfd, p, mode) => accessAt(t, dirfd, p, mode, 0),
  faccessat2: (t, dirfd, p, mode, flags) => accessAt(t, dirfd, p, mode, flags),

  fcntl: (t, fd, cmd, arg) => fcntl(t, fd, cmd, arg, false),
  fcntl64: (t, fd, cmd, arg) => fcntl(t, fd, cmd, arg, true),
  flock: (t, fd, op) => { const f = fileOf(t, fd); return typeof f === 'number' ? f : flock(t, f, op); },

  dup: (t, fd) => { const f = fileOf(t, fd); return typeof f === 'number' ? f : install(t, f, false); },
  dup2: (t, oldfd, newfd) => {
    if (oldfd === newfd) return t.proc.files.get(oldfd) ? newfd : -EBADF;
    return dupTo(t, oldfd, newfd, false);
  },
  dup3: (t, oldfd, newfd, flags) => dup3(t, oldfd, newfd, flags),
  pipe: (t, fdsp) => pipe2(t, fdsp, 0),
  pipe2: (t, fdsp, flags) => pipe2(t, fdsp, flags),

  umask: (t, mask) => { const old = t.proc.fs.umask; t.proc.fs.umask = mask & 0o777; return old; },
  getcwd: (t, buf, size) => getcwd(t, buf, size),
  chdir: (t, p) => withPath(t, p, (path) => chdir(t, AT_FDCWD, path)),
  fchdir: (t, fd) => fchdir(t, fd),
  chroot: (t, p) => withPath(t, p, (path) => chroot(t, path)),

  truncate: (t, p, len) => truncatePath(t, p, len),
  truncate64: (t, p, lo, hi) => truncatePath(t, p, off64(lo, hi)),
  ftruncate: (t, fd, len) => ftruncate(t, fd, len),
  ftruncate64: (t, fd, lo, hi) => ftruncate(t, fd, off64(lo, hi)),

  sync: (t) => syncAll(t),
  syncfs: (t, fd) => { const f = fileOf(t, fd); return typeof f === 'number' ? f : syncAll(t); },
  fsync: (t, fd) => { const f = fileOf(t, fd); return typeof f === 'number' ? f : f.fsync(); },
  fdatasync: (t, fd) => { const f = fileOf(t, fd); return typeof f === 'number' ? f : f.fsync(); },
  sync_file_range: (t, fd) => acceptFd(t, fd, true),

  statfs: (t, p, buf) => statfsOf(t, { path: p }, buf, null),
  fstatfs: (t, fd, buf) => statfsOf(t, { fd }, buf, null),
  statfs64: (t, p, size, buf) => statfsOf(t, { path: p }, buf, size),
  fstatfs64: (t, fd, size, buf) => statfsOf(t, { fd }, buf, size),

  ioctl: (t, fd, req, arg) => ioctl(t, fd, req, arg),
  sendfile: (t, out, inp, offp, count) => sendfile(t, out, inp, offp, count, false),
  sendfile64: (t, out, inp, offp, count) => sendfile(t, out, inp, offp, count, true),
  copy_file_range: (t, inp, inOff, out, outOff, len, flags) => copyFileRange(t, inp, inOff, out, outOff, len >>> 0, flags),
  fadvise64: (t, fd) => acceptFd(t, fd, true),
  fadvise64_64: (t, fd) => acceptFd(t, fd, true),
  readahead: (t, fd) => acceptFd(t, fd, true),
});

/** Positional calls: EINVAL for a negative offset, ESPIPE on pipes and other streams. */
function positional(t: Task, fd: number, pos: number, fn: (f: File, pos: number) => R): R {
  const f = fileOf(t, fd);
  if (typeof f === 'number') return f;
  if (pos < 0) return -EINVAL;
  if (f instanceof PipeEnd) return -ESPIPE;
  return fn(f, pos);
}


