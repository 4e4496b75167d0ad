/**
 * A FileSystem over a host directory (Node's fs, synchronous calls), read-write: the
 * CLI's `--mount DIR:/guest`. Metadata (modes, ids, times) comes from the host as is;
 * operations the host refuses come back as the host's errno.
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { constants as osc } from 'node:os';
import type { DirEntry, FileSystem, FsStats, Inode, SetAttr, Stat, Timespec } from '../../engine/fs/types.js';
import { S_IFMT, S_IFREG, DT_UNKNOWN, dtOfMode } from '../../engine/fs/types.js';
import { EEXIST, EIO, EINVAL } from '../../engine/linux/errno.js';
import { allocAnonDev, nowTimespec } from '../../engine/fs/tmpfs.js';

/** Host error -> -errno. Node gives the host's errno names, which are Linux's on Linux hosts. */
function errno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException).code;
  const n = code ? (osc.errno as Record<string, number>)[code] : undefined;
  return -(n ?? EIO);
}

function attempt<T>(fn: () => T): T | number {
  try {
    return fn();
  } catch (e) {
    return errno(e);
  }
}

const ts = (ns: bigint): Timespec => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });

/** Keep a few host descriptors open so repeated reads of a file do not reopen it. */
class FdCache {
  private readonly fds = new Map<string, { fd: number; writable: boolean }>();
  constructor(private readonly max = 32) {}

  get(path: string, write: boolean): number {
    const hit = this.fds.get(path);
    if (hit && (hit.writable || !write)) {
      this.fds.delete(path);
      this.fds.set(path, hit); // most recently used last
      return hit.fd;
    }
    if (hit) this.drop(path);
    // Read-only unless a write needs it: a host file held open for writing cannot be
    // executed on the host meanwhile (ETXTBSY), e.g. the same busybox run natively.
    const fd = fs.openSync(path, write ? 'r+' : 'r');
    const writable = write;
    this.fds.set(path, { fd, writable });
    if (this.fds.size > this.max) this.drop(this.fds.keys().next().value!);
    return fd;
  }

  drop(path: string): void {
    const e = this.fds.get(path);
    if (!e) return;
    this.fds.delete(path);
    try { fs.closeSync(e.fd); } catch { /* already gone */ }
  }

  /** Forget everything at or below a path (after rename or unlink). */
  dropTree(path: string): void {
    for (const p of [...this.fds.keys()]) if (p === path || p.startsWith(path + '/')) this.drop(p);
  }
}

export class HostFs implements FileSystem {
  readonly type = 'hostfs';
  readonly dev = allocAnonDev();
  readonly root: HostInode;
  readonly readOnly: boolean;
  readonly fds = new FdCache();
  /** Inode objects by host path, so identity holds across lookups (hard-link checks, rename). */
  private readonly inodes = new Map<string, HostInode>();

  constructor(dir: string, opts: { readOnly?: boolean } = {}) {
    const base = nodePath.resolve(dir);
    if (!fs.statSync(base).isDirectory()) throw new Error(`hostfs: ${dir} is not a directory`);
    this.readOnly = opts.readOnly ?? false;
    this.root = this.inodeAt(base, fs.statSync(base).ino);
  }

  inodeAt(hostPath: string, ino: number): HostInode {
    let i = this.inodes.get(hostPath);
    if (!i || i.ino !== ino) {
      i = new HostInode(this, hostPath, ino);
      this.inodes.set(hostPath, i);
    }
    return i;
  }

  /** After a rename, move cached inodes of the subtree to their new paths. */
  moved(from: string, to: string): void {
    this.fds.dropTree(from);
    this.fds.dropTree(to);
    for (const [p, i] of [...this.inodes]) {
      if (p !== from && !p.startsWith(from + '/')) continue;
      this.inodes.delete(p);
      i.hostPath = to + p.slice(from.length);
      this.inodes.set(i.hostPath, i);
    }
  }

  forget(hostPath: string): void {
    this.fds.dropTree(hostPath);
    this.inodes.delete(hostPath);
  }

  /**
   * FIFOs, sockets and device nodes made by the guest. Node cannot create them on the
   * host, so they live in memory, visible in their directory until unlinked or unmount.
   */
  readonly specials = new Map<string, Map<string, SpecialInode>>();
  private nextSpecialIno = 0x7fff_0000;

  special(dir: string, name: string): SpecialInode | undefined {
    return this.specials.get(dir)?.get(name);
  }

  addSpecial(dir: string, name: string, mode: number, uid: number, gid: number, rdev: number): SpecialInode {
    const node = new SpecialInode(this, this.nextSpecialIno++, mode, uid, gid, rdev);
    let m = this.specials.get(dir);
    if (!m) this.specials.set(dir, (m = new Map()));
    m.set(name, node);
    return node;
  }

  removeSpecial(dir: string, name: string): SpecialInode | undefined {
    const node = this.special(dir, name);
    if (node) this.specials.get(dir)!.delete(name);
    return node;
  }

  statfs(): FsStats | Promise<FsStats> {
    const s = fs.statfsSync(this.root.hostPath);
    return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namelen: 255 };
  }

  async sync(): Promise<void> {}
}

export class HostInode implements Inode {
  constructor(readonly fs: HostFs, public hostPath: string, readonly ino: number) {}

  private child(name: string): string {
    return nodePath.join(this.hostPath, name);
  }

  stat(): Stat {
    const s = fs.lstatSync(this.hostPath, { bigint: true });
    return {
      dev: this.fs.dev, ino: Number(s.ino), mode: Number(s.mode), nlink: Number(s.nlink), uid: Number(s.uid), gid: Number(s.gid),
      rdev: Number(s.rdev), size: Number(s.size), blksize: Number(s.blksize), blocks: Number(s.blocks),
      atime: ts(s.atimeNs), mtime: ts(s.mtimeNs), ctime: ts(s.ctimeNs),
    };
  }

  setattr(a: SetAttr): number {
    return attempt(() => {
      if (a.size !== undefined) fs.truncateSync(this.hostPath, a.size);
      if (a.mode !== undefined) fs.chmodSync(this.hostPath, a.mode & 0o7777);
      if (a.uid !== undefined || a.gid !== undefined) {
        const st = fs.lstatSync(this.hostPath);
        fs.lchownSync(this.hostPath, a.uid ?? st.uid, a.gid ?? st.gid);
      }
      if (a.atime || a.mtime) {
        const st = fs.lstatSync(this.hostPath);
        const sec = (t: Timespec | undefined, old: number) => (t ? t.sec + t.nsec / 1e9 : old / 1000);
        fs.lutimesSync(this.hostPath, sec(a.atime, st.atimeMs), sec(a.mtime, st.mtimeMs));
      }
      return 0;
    });
  }

  lookup(name: string): Inode | null {
    const sp = this.fs.special(this.hostPath, name);
    if (sp) return sp;
    const p = this.child(name);
    try {
      return this.fs.inodeAt(p, fs.lstatSync(p).ino);
    } catch {
      return null;
    }
  }

  readdir(): DirEntry[] | Promise<DirEntry[]> {
    const out: DirEntry[] = [];
    for (const d of fs.readdirSync(this.hostPath, { withFileTypes: true })) {
      let ino = 0, type = DT_UNKNOWN;
      try {
        const s = fs.lstatSync(nodePath.join(this.hostPath, d.name));
        ino = s.ino;
        type = dtOfMode(s.mode);
      } catch { /* raced with a removal: list it anyway */ }
      out.push({ name: d.name, ino, type });
    }
    for (const [name, sp] of this.fs.specials.get(this.hostPath) ?? []) out.push({ name, ino: sp.ino, type: dtOfMode(sp.mode) });
    return out;
  }

  private made(p: string): HostInode | number {
    return attempt(() => this.fs.inodeAt(p, fs.lstatSync(p).ino));
  }

  /** Ownership as the guest asked, where the host lets us (it does when running as root). */
  private own(p: string, uid: number, gid: number): void {
    try { fs.lchownSync(p, uid, gid); } catch { /* unprivileged host: keep the host's ids */ }
  }

  create(name: string, mode: number, uid: number, gid: number, rdev = 0): Inode | number {
    const p = this.child(name);
    const type = mode & S_IFMT;
    if (type !== S_IFREG && type !== 0) {
      if (this.fs.special(this.hostPath, name) || fs.existsSync(p)) return -EEXIST;
      return this.fs.addSpecial(this.hostPath, name, mode, uid, gid, rdev);
    }
    const r = attempt(() => fs.closeSync(fs.openSync(p, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, mode & 0o7777)));
    if (typeof r === 'number') return r;
    this.own(p, uid, gid);
    return this.made(p);
  }

  mkdir(name: string, mode: number, uid: number, gid: number): HostInode | number {
    const p = this.child(name);
    const r = attempt(() => fs.mkdirSync(p, { mode: mode & 0o7777 }));
    if (typeof r === 'number') return r;
    this.own(p, uid, gid);
    return this.made(p);
  }

  symlink(name: string, target: string, uid: number, gid: number): HostInode | number {
    const p = this.child(name);
    const r = attempt(() => fs.symlinkSync(target, p));
    if (typeof r === 'number') return r;
    this.own(p, uid, gid);
    return this.made(p);
  }

  link(name: string, target: Inode): number {
    if (!(target instanceof HostInode)) return -EINVAL;
    const r = attempt(() => fs.linkSync(target.hostPath, this.child(name)));
    return typeof r === 'number' ? r : 0;
  }

  unlink(name: string): number {
    if (this.fs.removeSpecial(this.hostPath, name)) return 0;
    const p = this.child(name);
    const r = attempt(() => fs.unlinkSync(p));
    if (typeof r === 'number') return r;
    this.fs.forget(p);
    return 0;
  }

  rmdir(name: string): number {
    const p = this.child(name);
    const r = attempt(() => fs.rmdirSync(p));
    if (typeof r === 'number') return r;
    this.fs.forget(p);
    return 0;
  }

  rename(oldName: string, newDir: Inode, newName: string): number {
    if (!(newDir instanceof HostInode)) return -EINVAL;
    const sp = this.fs.removeSpecial(this.hostPath, oldName);
    if (sp) {
      // Moving an in-memory node: replace whatever the target name held.
      attempt(() => fs.unlinkSync(newDir.child(newName)));
      this.fs.removeSpecial(newDir.hostPath, newName);
      this.fs.specials.get(newDir.hostPath)?.set(newName, sp) ?? this.fs.specials.set(newDir.hostPath, new Map([[newName, sp]]));
      return 0;
    }
    this.fs.removeSpecial(newDir.hostPath, newName);
    const from = this.child(oldName), to = newDir.child(newName);
    const r = attempt(() => fs.renameSync(from, to));
    if (typeof r === 'number') return r;
    this.fs.forget(to);
    this.fs.moved(from, to);
    return 0;
  }

  readlink(): string | number {
    return attempt(() => fs.readlinkSync(this.hostPath, 'utf8'));
  }

  read(buf: Uint8Array, off: number): number {
    return attempt(() => fs.readSync(this.fs.fds.get(this.hostPath, false), buf, 0, buf.length, off));
  }

  write(data: Uint8Array, off: number): number {
    return attempt(() => fs.writeSync(this.fs.fds.get(this.hostPath, true), data, 0, data.length, off));
  }
}

/** An in-memory FIFO, socket or device node inside a host directory. */
export class SpecialInode implements Inode {
  nlink = 1;
  atime = nowTimespec();
  mtime = this.atime;
  ctime = this.atime;

  constructor(readonly fs: HostFs, readonly ino: number, public mode: number, public uid: number, public gid: number, readonly rdev: number) {}

  stat(): Stat {
    return {
      dev: this.fs.dev, ino: this.ino, mode: this.mode, nlink: this.nlink, uid: this.uid, gid: this.gid, rdev: this.rdev,
      size: 0, blksize: 4096, blocks: 0, atime: this.atime, mtime: this.mtime, ctime: this.ctime,
    };
  }

  setattr(a: SetAttr): number {
    if (a.mode !== undefined) this.mode = (this.mode & S_IFMT) | (a.mode & 0o7777);
    if (a.uid !== undefined) this.uid = a.uid;
    if (a.gid !== undefined) this.gid = a.gid;
    if (a.atime) this.atime = a.atime;
    if (a.mtime) this.mtime = a.mtime;
    this.ctime = nowTimespec();
    return a.size !== undefined ? -EINVAL : 0;
  }
}
