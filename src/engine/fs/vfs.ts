/**
 * The VFS: mount table, path resolution (path_resolution(7)) and the checks Linux makes
 * before a file system sees an operation (permissions, sticky directories, rename rules,
 * read-only mounts). File systems implement Inode and trust these checks.
 *
 * Paths are tracked physically: every resolved location carries the absolute path it
 * was reached by after symlinks and '..' are applied, which is what cwd, dirfds and
 * /proc/PID/fd show.
 */
import type { Caller, FdTable, FileSystem, Inode, SetAttr, Stat } from './types.js';
import {
  File, O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_TRUNC, O_WRONLY,
  S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
} from './types.js';
import {
  EACCES, EBADF, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY,
  ENXIO, EPERM, EROFS, EXDEV,
} from '../abi/errno.js';
import { InodeFile } from './inode-file.js';
import { openFifo } from './pipe.js';
import { magicTarget } from './magic-link.js';
import { openCharDevice } from './devfs.js';
import { nowTimespec } from './tmpfs.js';

import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_EACCESS } from '../abi/files.js';
export { AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_EACCESS };
export const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;
export const MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4;
/** MAXSYMLINKS in include/linux/namei.h. */
export const MAX_SYMLINKS = 40;
const NAME_MAX = 255;
const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;

/** Who is asking and from where: the parts of a task that path resolution reads. */
export interface PathCtx {
  root: string;
  cwd: string;
  uid: number;
  gid: number;
  groups: number[];
  umask: number;
  files: FdTable | null;
  /** Who walks (for /proc/self); absent for kernel-internal walks. */
  caller?: Caller;
}

/**
 * The superuser at / with no caller: kernel-internal walks (boot, mounts, tests). The
 * kernel makes a task's context (linux/path-ctx.ts ctxOf); public methods take null for this.
 */
export function rootCtx(): PathCtx {
  return { root: '/', cwd: '/', uid: 0, gid: 0, groups: [], umask: 0o022, files: null };
}
const orRoot = (pc: PathCtx | null): PathCtx => pc ?? rootCtx();

/** A resolved location: the inode and the physical absolute path it was reached by. */
export interface Node { inode: Inode; path: string }

export interface Resolved extends Node {
  stat: Stat;
  /** Inode number of the containing directory ('..' in a listing). */
  parentIno: number;
}

/** The directory a final component lives in, for creating, removing and renaming. */
export interface ParentResolved {
  dir: Node;
  /** '.' or '..' when the path ends that way (callers reject those per operation). */
  name: string;
  child: Node | null;
  trailingSlash: boolean;
}

const isDirMode = (m: number): boolean => (m & S_IFMT) === S_IFDIR;
const joinPath = (dir: string, name: string): string => (dir === '/' ? '/' + name : dir + '/' + name);
export const parentPath = (p: string): string => (p.lastIndexOf('/') <= 0 ? '/' : p.slice(0, p.lastIndexOf('/')));

/** Permission check of generic_permission(): owner, group, then other bits. */
export function permission(st: Stat, mask: number, ctx: PathCtx): number {
  if (ctx.uid === 0) {
    // Root bypasses everything except executing a file no one may execute.
    if (mask & MAY_EXEC && !isDirMode(st.mode) && !(st.mode & 0o111)) return -EACCES;
    return 0;
  }
  let bits = st.mode & 7;
  if (ctx.uid === st.uid) bits = (st.mode >> 6) & 7;
  else if (ctx.gid === st.gid || ctx.groups.includes(st.gid)) bits = (st.mode >> 3) & 7;
  return (bits & mask) === mask ? 0 : -EACCES;
}

interface WalkOpts {
  /** Follow a symlink in the final component. */
  follow: boolean;
  /** Stop before the final component and describe its directory instead. */
  parent?: boolean;
  /** An empty path names the starting directory (AT_EMPTY_PATH). */
  emptyOk?: boolean;
}

type WalkResult = { stack: Node[]; name?: string; child?: Node | null; trailingSlash: boolean };

export class Vfs {
  /** Mount points (absolute, normalised) to file systems; later mounts cover earlier ones. */
  readonly mounts = new Map<string, FileSystem>();

  mount(path: string, fs: FileSystem): void {
    this.mounts.set(normalize(path), fs);
  }

  private get rootNode(): Node {
    const fs = this.mounts.get('/');
    if (!fs) throw new Error('vfs: nothing mounted on /');
    return { inode: fs.root, path: '/' };
  }

  /** Mount points directly below dir, for listing them in readdir. */
  mountsIn(dir: string): { name: string; ino: number }[] {
    const out: { name: string; ino: number }[] = [];
    for (const [p, fs] of this.mounts) {
      if (p !== '/' && parentPath(p) === dir) out.push({ name: p.slice(p.lastIndexOf('/') + 1), ino: fs.root.ino });
    }
    return out;
  }

  isMountPoint(path: string): boolean {
    return this.mounts.has(path);
  }

  /** One step down: a mount point covers whatever the parent holds under that name. */
  private async child(dir: Node, name: string): Promise<Node | null | number> {
    const path = joinPath(dir.path, name);
    const m = this.mounts.get(path);
    if (m) return { inode: m.root, path };
    if (!dir.inode.lookup) return null;
    const inode = await dir.inode.lookup(name);
    if (typeof inode === 'number') return inode; // e.g. -EIO from a damaged ext2 directory
    return inode ? { inode, path } : null;
  }

  /** The chain of directories from / to an already-physical absolute path. */
  private async chainOf(abs: string): Promise<Node[] | number> {
    const stack = [this.rootNode];
    for (const c of abs.split('/')) {
      if (!c) continue;
      const n = await this.child(stack[stack.length - 1], c);
      if (typeof n === 'number') return n;
      if (!n) return -ENOENT;
      stack.push(n);
    }
    return stack;
  }

  /** The chain from the task's root to `abs`; '..' never climbs above the first entry. */
  private async rootedChain(ctx: PathCtx, abs: string): Promise<Node[] | number> {
    const chain = await this.chainOf(abs);
    if (typeof chain === 'number') return chain;
    const depth = ctx.root === '/' ? 0 : ctx.root.split('/').length - 1;
    const inside = ctx.root === '/' || abs === ctx.root || abs.startsWith(ctx.root + '/');
    return inside ? chain.slice(depth) : chain;
  }

  private async startChain(ctx: PathCtx, dirfd: number, path: string): Promise<Node[] | number> {
    if (path.startsWith('/')) return this.rootedChain(ctx, ctx.root);
    if (dirfd === AT_FDCWD) return this.rootedChain(ctx, ctx.cwd);
    const f = ctx.files?.get(dirfd);
    if (!f) return -EBADF;
    if (path !== '' && !(f instanceof InodeFile && f.isDir)) return -ENOTDIR;
    return this.rootedChain(ctx, f.path);
  }

  /**
   * Resolve `path` from the root (absolute), the cwd or a dirfd, following symlinks
   * (at most MAX_SYMLINKS in all), applying '..' physically and across mounts, and
   * checking search permission on each directory passed through.
   */
  private async walk(ctx: PathCtx, dirfd: number, path: string, opts: WalkOpts): Promise<WalkResult | number> {
    if (path === '' && !opts.emptyOk) return -ENOENT;
    const chain = await this.startChain(ctx, dirfd, path);
    if (typeof chain === 'number') return chain;
    if (path === '') return { stack: chain, trailingSlash: false };
    let stack = chain;
    const trailingSlash = path.endsWith('/');
    let comps = path.split('/').filter((c) => c !== '');
    let links = 0;
    if (opts.parent && comps.length === 0) return { stack, name: '.', child: stack[stack.length - 1], trailingSlash };
    for (let i = 0; i < comps.length; i++) {
      const cur = stack[stack.length - 1];
      const st = await cur.inode.stat();
      if (!isDirMode(st.mode)) return -ENOTDIR;
      const perm = permission(st, MAY_EXEC, ctx);
      if (perm < 0) return perm;
      const name = comps[i];
      if (name.length > NAME_MAX) return -ENAMETOOLONG;
      const last = i === comps.length - 1;
      if (name === '.' || name === '..') {
        if (last && opts.parent) return { stack, name, child: cur, trailingSlash };
        if (name === '..' && stack.length > 1) stack = stack.slice(0, -1);
        continue;
      }
      const next = await this.child(cur, name);
      if (typeof next === 'number') return next;
      if (!next) {
        if (last && opts.parent) return { stack, name, child: null, trailingSlash };
        return -ENOENT;
      }
      const nst = await next.inode.stat();
      const isLink = (nst.mode & S_IFMT) === S_IFLNK;
      // A trailing slash makes the last component a directory reference, so a lookup
      // follows it; removal and rename act on the link itself and fail (ENOTDIR).
      if (isLink && (!last || opts.follow || (trailingSlash && !opts.parent))) {
        if (++links > MAX_SYMLINKS) return -ELOOP;
        if (next.inode.jump) {
          // A magic link: carry on from the open file itself (fs/magic-link.ts).
          const f = next.inode.jump();
          if (typeof f === 'number') return f;
          stack = [...stack, { inode: await magicTarget(f), path: f.path }];
          comps = comps.slice(i + 1);
          i = -1;
          if (comps.length === 0) {
            if (!opts.parent) return { stack, trailingSlash };
            return { stack: stack.slice(0, -1), name: f.path, child: stack[stack.length - 1], trailingSlash };
          }
          continue;
        }
        const target = next.inode.readlink ? await next.inode.readlink(ctx.caller) : -EINVAL;
        if (typeof target === 'number') return target;
        if (target === '') return -ENOENT;
        if (target.startsWith('/')) {
          const r = await this.rootedChain(ctx, ctx.root);
          if (typeof r === 'number') return r;
          stack = r;
        }
        // Splice the link's components in place of its name and carry on from its directory.
        const rest = comps.slice(i + 1);
        comps = [...target.split('/').filter((c) => c !== ''), ...rest];
        i = -1;
        if (comps.length === 0) return opts.parent ? { stack, name: '.', child: stack[stack.length - 1], trailingSlash } : { stack, trailingSlash };
        continue;
      }
      if (last && opts.parent) return { stack, name, child: next, trailingSlash };
      stack = [...stack, next];
    }
    return { stack, trailingSlash };
  }

  /** Resolve to an existing inode (stat, chdir, open without O_CREAT). */
  async resolve(pc: PathCtx | null, dirfd: number, path: string, follow = true, emptyOk = false): Promise<Resolved | number> {
    const ctx = orRoot(pc);
    const w = await this.walk(ctx, dirfd, path, { follow, emptyOk });
    if (typeof w === 'number') return w;
    const top = w.stack[w.stack.length - 1];
    const stat = await top.inode.stat();
    if (w.trailingSlash && !isDirMode(stat.mode)) return -ENOTDIR;
    const parent = w.stack.length > 1 ? w.stack[w.stack.length - 2] : top;
    return { ...top, stat, parentIno: parent.inode.ino };
  }

  /** Resolve all but the final component (mkdir, unlink, rename, symlink, link, mknod). */
  async resolveParent(pc: PathCtx | null, dirfd: number, path: string, follow = false): Promise<ParentResolved | number> {
    const w = await this.walk(orRoot(pc), dirfd, path, { follow, parent: true });
    if (typeof w === 'number') return w;
    if (w.name === undefined) {
      // The path collapsed to a directory (a symlink to '/' and the like): treat as '.'.
      const top = w.stack[w.stack.length - 1];
      return { dir: top, name: '.', child: top, trailingSlash: w.trailingSlash };
    }
    return { dir: w.stack[w.stack.length - 1], name: w.name, child: w.child ?? null, trailingSlash: w.trailingSlash };
  }

  // ---- open ----

  /** open(2)/openat(2): an open file description, or -errno. */
  async open(pc: PathCtx | null, dirfd: number, path: string, flags: number, mode = 0o666): Promise<File | number> {
    const ctx = orRoot(pc);
    if (flags & O_CREAT && !(flags & O_PATH)) return this.openCreate(pc, ctx, dirfd, path, flags, mode);
    const r = await this.resolve(pc, dirfd, path, !(flags & O_NOFOLLOW));
    if (typeof r === 'number') return r;
    return this.openResolved(pc, ctx, r, flags, false);
  }

  private async openCreate(pc: PathCtx | null, ctx: PathCtx, dirfd: number, path: string, flags: number, mode: number): Promise<File | number> {
    // O_EXCL never follows a final symlink: it must fail with EEXIST (open(2)).
    const p = await this.resolveParent(pc, dirfd, path, !(flags & (O_EXCL | O_NOFOLLOW)));
    if (typeof p === 'number') return p;
    if (p.name === '.' || p.name === '..') return -EISDIR;
    if (p.child) {
      if (flags & O_EXCL) return -EEXIST;
      const stat = await p.child.inode.stat();
      if ((stat.mode & S_IFMT) === S_IFLNK) return -ELOOP;
      if (isDirMode(stat.mode)) return -EISDIR;
      if (p.trailingSlash) return -ENOTDIR;
      return this.openResolved(pc, ctx, { ...p.child, stat, parentIno: p.dir.inode.ino }, flags, false);
    }
    if (p.trailingSlash) return -EISDIR;
    const created = await this.createIn(ctx, p.dir, p.name, S_IFREG | (mode & 0o7777), 0);
    if (typeof created === 'number') return created;
    const stat = await created.stat();
    return this.openResolved(pc, ctx, { inode: created, path: joinPath(p.dir.path, p.name), stat, parentIno: p.dir.inode.ino }, flags, true);
  }

  private async openResolved(pc: PathCtx | null, ctx: PathCtx, r: Resolved, flags: number, created: boolean): Promise<File | number> {
    const type = r.stat.mode & S_IFMT;
    // O_DIRECTORY holds for O_PATH too (build_open_flags sets LOOKUP_DIRECTORY either way): GNU
    // cp 9 asks open(DEST, O_PATH|O_DIRECTORY) whether DEST is a directory, and copied into
    // DEST/NAME when it succeeded on a file.
    if (flags & O_DIRECTORY && type !== S_IFDIR) return -ENOTDIR;
    if (flags & O_PATH) return new InodeFile(r.inode, r.stat.mode, flags, r.path, this.dirCtx(r));
    if (type === S_IFLNK) return -ELOOP;
    const acc = flags & O_ACCMODE;
    if (!created) {
      let mask = acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
      if (flags & O_TRUNC) mask |= MAY_WRITE;
      const perm = permission(r.stat, mask, ctx);
      if (perm < 0) return perm;
    }
    const wantsWrite = acc !== O_RDONLY || (flags & O_TRUNC) !== 0;
    if (type === S_IFDIR && (wantsWrite || flags & O_CREAT)) return -EISDIR;
    if (wantsWrite && r.inode.fs.readOnly && (type === S_IFREG || type === S_IFDIR)) return -EROFS;
    const fl = flags & ~(O_CREAT | O_EXCL | O_TRUNC);
    // The caller goes along: a device open that needs the task (a pty slave becoming the
    // opener's controlling terminal) cannot take the kernel's current task, which after the
    // walk's awaits is often another one (test/tty/pty.test.ts).
    if (r.inode.open) return r.inode.open(fl, r.path, ctx.caller);
    switch (type) {
      case S_IFIFO: return openFifo(ctx.caller ?? null, r.inode, fl, r.path);
      case S_IFCHR: return openCharDevice(this.mounts.values(), r.stat.rdev, fl, r.path, ctx.caller, r.inode);
      case S_IFBLK: case S_IFSOCK: return -ENXIO;
    }
    if (type === S_IFREG && flags & O_TRUNC && r.stat.size !== 0) {
      const e = r.inode.setattr ? await r.inode.setattr({ size: 0 }) : -EINVAL;
      if (e < 0) return e;
    }
    return new InodeFile(r.inode, r.stat.mode, fl, r.path, this.dirCtx(r));
  }

  private dirCtx(r: Resolved) {
    return { parentIno: r.parentIno, mountNames: () => this.mountsIn(r.path) };
  }

  // ---- Creating and removing names ----

  /** Check that ctx may add or remove names in dir. */
  private async mayModifyDir(ctx: PathCtx, dir: Node): Promise<number> {
    if (dir.inode.fs.readOnly) return -EROFS;
    const st = await dir.inode.stat();
    if (!isDirMode(st.mode)) return -ENOTDIR;
    return permission(st, MAY_WRITE | MAY_EXEC, ctx);
  }

  /** Sticky directories (/tmp): only the owner of the file or directory, or root, may remove. */
  private async stickyOk(ctx: PathCtx, dir: Node, victim: Node): Promise<number> {
    if (ctx.uid === 0) return 0;
    const dst = await dir.inode.stat();
    if (!(dst.mode & S_ISVTX)) return 0;
    const vst = await victim.inode.stat();
    return ctx.uid === dst.uid || ctx.uid === vst.uid ? 0 : -EPERM;
  }

  /** New inode in dir (regular file, device, FIFO or socket), mode filtered by the umask. */
  private async createIn(ctx: PathCtx, dir: Node, name: string, mode: number, rdev: number): Promise<Inode | number> {
    const e = await this.mayModifyDir(ctx, dir);
    if (e < 0) return e;
    if (!dir.inode.create) return -EPERM;
    const gid = await this.newGid(ctx, dir);
    return dir.inode.create(name, (mode & S_IFMT) | (mode & 0o7777 & ~ctx.umask), ctx.uid, gid, rdev);
  }

  /** BSD group semantics when the directory is set-gid, else the creator's group. */
  private async newGid(ctx: PathCtx, dir: Node): Promise<number> {
    const st = await dir.inode.stat();
    return st.mode & S_ISGID ? st.gid : ctx.gid;
  }

  async mknod(pc: PathCtx | null, dirfd: number, path: string, mode: number, rdev: number): Promise<number> {
    const ctx = orRoot(pc);
    const type = mode & S_IFMT || S_IFREG;
    if (![S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK].includes(type)) return -EINVAL;
    if ((type === S_IFCHR || type === S_IFBLK) && ctx.uid !== 0) return -EPERM;
    const p = await this.resolveParent(pc, dirfd, path);
    if (typeof p === 'number') return p;
    if (p.child || p.name === '.' || p.name === '..') return -EEXIST;
    if (p.trailingSlash) return -ENOENT;
    const r = await this.createIn(ctx, p.dir, p.name, type | (mode & 0o7777), rdev);
    return typeof r === 'number' ? r : 0;
  }

  async mkdir(pc: PathCtx | null, dirfd: number, path: string, mode: number): Promise<number> {
    const ctx = orRoot(pc);
    const p = await this.resolveParent(pc, dirfd, path);
    if (typeof p === 'number') return p;
    if (p.child || p.name === '.' || p.name === '..') return -EEXIST;
    const e = await this.mayModifyDir(ctx, p.dir);
    if (e < 0) return e;
    if (!p.dir.inode.mkdir) return -EPERM;
    const dst = await p.dir.inode.stat();
    const gid = dst.mode & S_ISGID ? dst.gid : ctx.gid;
    // A set-gid directory passes the bit on to new subdirectories.
    const m = (mode & 0o1777 & ~ctx.umask) | (dst.mode & S_ISGID);
    const r = await p.dir.inode.mkdir(p.name, m, ctx.uid, gid);
    return typeof r === 'number' ? r : 0;
  }

  async symlink(pc: PathCtx | null, target: string, dirfd: number, path: string): Promise<number> {
    const ctx = orRoot(pc);
    if (target === '') return -ENOENT;
    const p = await this.resolveParent(pc, dirfd, path);
    if (typeof p === 'number') return p;
    if (p.child || p.name === '.' || p.name === '..') return -EEXIST;
    if (p.trailingSlash) return -ENOENT;
    const e = await this.mayModifyDir(ctx, p.dir);
    if (e < 0) return e;
    if (!p.dir.inode.symlink) return -EPERM;
    const r = await p.dir.inode.symlink(p.name, target, ctx.uid, await this.newGid(ctx, p.dir));
    return typeof r === 'number' ? r : 0;
  }

  async link(pc: PathCtx | null, olddirfd: number, oldpath: string, newdirfd: number, newpath: string, follow: boolean, emptyOk = false): Promise<number> {
    const ctx = orRoot(pc);
    const src = await this.resolve(pc, olddirfd, oldpath, follow, emptyOk);
    if (typeof src === 'number') return src;
    if (isDirMode(src.stat.mode)) return -EPERM;
    const p = await this.resolveParent(pc, newdirfd, newpath);
    if (typeof p === 'number') return p;
    if (p.child || p.name === '.' || p.name === '..') return -EEXIST;
    if (p.trailingSlash) return -ENOENT;
    if (p.dir.inode.fs !== src.inode.fs) return -EXDEV;
    const e = await this.mayModifyDir(ctx, p.dir);
    if (e < 0) return e;
    if (!p.dir.inode.link) return -EPERM;
    return p.dir.inode.link(p.name, src.inode);
  }

  async unlink(pc: PathCtx | null, dirfd: number, path: string): Promise<number> {
    const ctx = orRoot(pc);
    const p = await this.resolveParent(pc, dirfd, path);
    if (typeof p === 'number') return p;
    if (p.name === '.' || p.name === '..') return -EISDIR;
    if (!p.child) return -ENOENT;
    const st = await p.child.inode.stat();
    if (isDirMode(st.mode)) return -EISDIR;
    if (p.trailingSlash) return -ENOTDIR;
    const e = (await this.mayModifyDir(ctx, p.dir)) || (await this.stickyOk(ctx, p.dir, p.child));
    if (e < 0) return e;
    if (this.mounts.has(p.child.path)) return -EBUSY;
    if (!p.dir.inode.unlink) return -EPERM;
    return p.dir.inode.unlink(p.name);
  }

  async rmdir(pc: PathCtx | null, dirfd: number, path: string): Promise<number> {
    const ctx = orRoot(pc);
    const p = await this.resolveParent(pc, dirfd, path);
    if (typeof p === 'number') return p;
    if (p.name === '.') return -EINVAL;
    if (p.name === '..') return -ENOTEMPTY;
    if (!p.child) return -ENOENT;
    const st = await p.child.inode.stat();
    if (!isDirMode(st.mode)) return -ENOTDIR;
    const e = (await this.mayModifyDir(ctx, p.dir)) || (await this.stickyOk(ctx, p.dir, p.child));
    if (e < 0) return e;
    if (this.mounts.has(p.child.path) || p.child.path === ctx.root) return -EBUSY;
    if (!p.dir.inode.rmdir) return -EPERM;
    return p.dir.inode.rmdir(p.name);
  }

  /** rename(2) with the checks of do_renameat2(); RENAME_EXCHANGE is not supported. */
  async rename(pc: PathCtx | null, olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags = 0): Promise<number> {
    const ctx = orRoot(pc);
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) return -EINVAL;
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT)) return -EINVAL;
    const a = await this.resolveParent(pc, olddirfd, oldpath);
    if (typeof a === 'number') return a;
    const b = await this.resolveParent(pc, newdirfd, newpath);
    if (typeof b === 'number') return b;
    if (a.name === '.' || a.name === '..' || b.name === '.' || b.name === '..') return -EBUSY;
    if (!a.child) return -ENOENT;
    const ast = await a.child.inode.stat();
    const aDir = isDirMode(ast.mode);
    if ((a.trailingSlash || b.trailingSlash) && !aDir) return -ENOTDIR;
    if (a.dir.inode.fs !== b.dir.inode.fs) return -EXDEV;
    if (b.child) {
      if (flags & RENAME_NOREPLACE) return -EEXIST;
      if (b.child.inode === a.child.inode) return 0; // same file: nothing to do (rename(2))
      const bst = await b.child.inode.stat();
      if (aDir && !isDirMode(bst.mode)) return -ENOTDIR;
      if (!aDir && isDirMode(bst.mode)) return -EISDIR;
      if (isDirMode(bst.mode) && (await this.hasEntries(b.child))) return -ENOTEMPTY;
    }
    // A directory cannot move inside itself.
    if (aDir && (b.dir.path === a.child.path || b.dir.path.startsWith(a.child.path + '/'))) return -EINVAL;
    const e = (await this.mayModifyDir(ctx, a.dir)) || (await this.mayModifyDir(ctx, b.dir)) ||
      (await this.stickyOk(ctx, a.dir, a.child)) || (b.child ? await this.stickyOk(ctx, b.dir, b.child) : 0);
    if (e < 0) return e;
    // Moving a directory to a new parent rewrites its '..', which needs write permission on it.
    if (aDir && a.dir.inode !== b.dir.inode) {
      const pe = permission(ast, MAY_WRITE, ctx);
      if (pe < 0) return pe;
    }
    if (this.mounts.has(a.child.path) || (b.child && this.mounts.has(b.child.path))) return -EBUSY;
    if (!a.dir.inode.rename) return -EPERM;
    return a.dir.inode.rename(a.name, b.dir.inode, b.name);
  }

  private async hasEntries(n: Node): Promise<boolean> {
    if (!n.inode.readdir) return false;
    const list = await n.inode.readdir();
    return typeof list === 'number' || list.length > 0; // unreadable: never treat as empty
  }

  async readlink(pc: PathCtx | null, dirfd: number, path: string): Promise<string | number> {
    const r = await this.resolve(pc, dirfd, path, false, true);
    if (typeof r === 'number') return r;
    if ((r.stat.mode & S_IFMT) !== S_IFLNK || !r.inode.readlink) return -EINVAL;
    return r.inode.readlink(orRoot(pc).caller);
  }

  // ---- Attributes ----

  async stat(pc: PathCtx | null, dirfd: number, path: string, follow = true, emptyOk = false): Promise<Stat | number> {
    const r = await this.resolve(pc, dirfd, path, follow, emptyOk);
    return typeof r === 'number' ? r : r.stat;
  }

  /** access(2)/faccessat(2): mask of R_OK=4, W_OK=2, X_OK=1 (0 = existence). */
  async access(pc: PathCtx | null, dirfd: number, path: string, mask: number, follow = true, realIds = true): Promise<number> {
    // access(2) checks with the real ids (AT_EACCESS: the effective ones the walk uses).
    const ctx = { ...orRoot(pc) };
    if (ctx.caller && realIds) {
      ctx.uid = ctx.caller.creds.uid;
      ctx.gid = ctx.caller.creds.gid;
    }
    const r = await this.resolve(pc, dirfd, path, follow);
    if (typeof r === 'number') return r;
    if (mask & MAY_WRITE && r.inode.fs.readOnly && (r.stat.mode & S_IFMT) !== S_IFCHR) return -EROFS;
    return mask ? permission(r.stat, mask & 7, ctx) : 0;
  }

  /**
   * chmod/chown/utimes/truncate on an inode with notify_change()'s ownership rules.
   * `timesNow` marks a request to set times to the current time (allowed with write
   * permission, not only to the owner).
   */
  async setattr(pc: PathCtx | null, inode: Inode, a: SetAttr, timesNow = false): Promise<number> {
    const ctx = orRoot(pc);
    const st = await inode.stat();
    const owner = ctx.uid === 0 || ctx.uid === st.uid;
    if (inode.fs.readOnly) return -EROFS;
    const attr: SetAttr = { ...a };
    if (a.mode !== undefined) {
      if (!owner) return -EPERM;
      // A non-root owner outside the file's group cannot keep set-gid (chmod(2)).
      if (ctx.uid !== 0 && ctx.gid !== st.gid && !ctx.groups.includes(st.gid)) attr.mode = a.mode & ~S_ISGID;
    }
    if (a.uid !== undefined || a.gid !== undefined) {
      const e = this.chownAllowed(ctx, st, a);
      if (e < 0) return e;
      // chown clears set-user-ID and (for group-executable files) set-group-ID.
      if (!isDirMode(st.mode) && st.mode & (S_ISUID | S_ISGID)) {
        const kill = S_ISUID | (st.mode & 0o010 ? S_ISGID : 0);
        attr.mode = (attr.mode ?? st.mode) & 0o7777 & ~kill;
      }
    }
    if (a.atime || a.mtime) {
      if (!owner && (!timesNow || permission(st, MAY_WRITE, ctx) < 0)) return timesNow ? -EACCES : -EPERM;
    }
    if (a.size !== undefined) {
      if (isDirMode(st.mode)) return -EISDIR;
      if ((st.mode & S_IFMT) !== S_IFREG) return -EINVAL;
      const e = permission(st, MAY_WRITE, ctx);
      if (e < 0) return e;
    }
    if (!inode.setattr) return -EPERM;
    return inode.setattr(attr);
  }

  private chownAllowed(ctx: PathCtx, st: Stat, a: SetAttr): number {
    if (ctx.uid === 0) return 0;
    if (a.uid !== undefined && a.uid !== st.uid) return -EPERM;
    if (ctx.uid !== st.uid) return -EPERM;
    if (a.gid !== undefined && a.gid !== st.gid && a.gid !== ctx.gid && !ctx.groups.includes(a.gid)) return -EPERM;
    return 0;
  }

  // ---- Whole files, for exec and tests ----

  /** The whole of an executable file, for execve: EACCES unless a regular file with an x bit. */
  /**
   * Open a program for execve: its first `head` bytes and positional reads of the rest
   * (the loader reads only headers and segments). -EACCES unless a regular file the task
   * may execute.
   */
  async readExecutable(pc: PathCtx | null, path: string, head = 4096): Promise<{
    path: string; stat: Stat; size: number; head: Uint8Array; read: (buf: Uint8Array, off: number) => Promise<number>;
  } | number> {
    const r = await this.resolve(pc, AT_FDCWD, path, true);
    if (typeof r === 'number') return r;
    const inode = r.inode;
    if ((r.stat.mode & S_IFMT) !== S_IFREG || !inode.read) return -EACCES;
    const perm = permission(r.stat, MAY_EXEC, orRoot(pc));
    if (perm < 0) return perm;
    const read = async (buf: Uint8Array, off: number): Promise<number> => inode.read!(buf, off);
    const first = await readAll(inode, Math.min(head, r.stat.size));
    if (typeof first === 'number') return first;
    return { path: r.path, stat: r.stat, size: r.stat.size, head: first, read };
  }

  /** Read a whole file (as root from /); throws an Error naming the path on failure. For hosts and tests. */
  async readFile(path: string): Promise<Uint8Array> {
    const r = await this.resolve(null, AT_FDCWD, path, true);
    if (typeof r === 'number') throw new Error(r === -2 ? `${path}: no such file` : `${path}: error ${-r}`);
    if (!r.inode.read) throw new Error(`${path}: not a regular file`);
    const data = await readAll(r.inode, r.stat.size);
    if (typeof data === 'number') throw new Error(`${path}: read error ${-data}`);
    return data;
  }

  /** Read a file as UTF-8 text (as root from /); throws on error. For tests and boot code. */
  async readFileText(path: string): Promise<string> {
    return new TextDecoder().decode(await this.readFile(path));
  }

  /** Create or replace a file with the given bytes (as root). For tests and boot code. */
  async writeFile(path: string, data: Uint8Array | string, mode = 0o644): Promise<number> {
    const f = await this.open(null, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (typeof f === 'number') return f;
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    return f.pwrite(null as unknown as Caller, bytes, 0);
  }

  /** Physical absolute path of a directory reached from the task (chdir, getcwd). */
  async resolveDir(pc: PathCtx | null, dirfd: number, path: string, emptyOk = false): Promise<Resolved | number> {
    const r = await this.resolve(pc, dirfd, path, true, emptyOk);
    if (typeof r === 'number') return r;
    if (!isDirMode(r.stat.mode)) return -ENOTDIR;
    const e = permission(r.stat, MAY_EXEC, orRoot(pc));
    return e < 0 ? e : r;
  }
}

async function readAll(inode: Inode, size: number): Promise<Uint8Array | number> {
  const data = new Uint8Array(size);
  let off = 0;
  while (off < size) {
    const n = await inode.read!(data.subarray(off), off);
    if (n < 0) return n;
    if (n === 0) break;
    off += n;
  }
  return off === size ? data : data.slice(0, off);
}

/** Normalise a mount path lexically ('/a//b/' -> '/a/b'). */
function normalize(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (!c || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}

export { nowTimespec };
