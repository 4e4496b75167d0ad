/**
 * The devpts file system mounted at /dev/pts: a directory with "ptmx" and one char
 * device per open pty (inode numbers N+3 as Linux gives them: 1 is the root, 2 ptmx).
 * It also allocates the pairs, so /dev/ptmx opens go through it.
 */
import {
  type Caller, type DirEntry, type File, type FileSystem, type Inode, type SetAttr, type Stat, DT_CHR, O_NOCTTY, S_IFDIR,
} from '../fs/types.js';
import type { Kernel } from '../linux/kernel.js';
import type { Task } from '../linux/task.js';
import { ENOSPC, EPERM } from '../linux/errno.js';
import { PtyMasterFile, PtyPair } from './pty.js';
import { charDevStat, mkdev } from './tty.js';

/** devpts' statfs f_type (DEVPTS_SUPER_MAGIC). */
export const DEVPTS_MAGIC = 0x1cd1;
/** Linux's default pty limit (/proc/sys/kernel/pty/max). */
export const PTY_MAX = 4096;

export class Devpts implements FileSystem {
  readonly type = 'devpts';
  readonly readOnly = false;
  readonly root: Inode;
  readonly ptys = new Map<number, PtyPair>();
  private readonly mounted = Date.now();

  constructor(readonly kernel: Kernel, readonly dev = 0x1a, private readonly currentTask?: () => Task | undefined) {
    this.root = new DevptsRoot(this);
  }

  statfs() {
    return { type: DEVPTS_MAGIC, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255 };
  }

  rootStat(): Stat {
    const s = charDevStat(0, 0o755, 1, this.dev, 0, 0, this.mounted);
    return { ...s, mode: S_IFDIR | 0o755, nlink: 2 };
  }

  /**
   * A new pair for an open of /dev/ptmx (or /dev/pts/ptmx): the lowest free index,
   * slave locked until TIOCSPTLCK 0. `stat` is what fstat on the master reports.
   */
  openMaster(flags: number, path: string, stat: () => Stat | Promise<Stat>, t?: Task): File | number {
    let index = 0;
    while (this.ptys.has(index)) index++;
    if (index >= PTY_MAX) return -ENOSPC;
    const task = t ?? this.currentTask?.();
    const uid = task ? task.proc.creds.euid : 0;
    const pair = new PtyPair(this.kernel, index, this.dev, uid, (p) => this.ptys.delete(p.index));
    this.ptys.set(index, pair);
    // /dev/ptmx never becomes the opener's controlling terminal.
    return new PtyMasterFile(pair, flags | O_NOCTTY, path, stat);
  }
}

class DevptsRoot implements Inode {
  readonly ino = 1;
  constructor(readonly fs: Devpts) {}
  stat(): Stat { return this.fs.rootStat(); }
  lookup(name: string): Inode | null {
    if (name === 'ptmx') return new PtmxInode(this.fs);
    if (!/^(0|[1-9][0-9]*)$/.test(name)) return null;
    const pair = this.fs.ptys.get(Number(name));
    return pair ? new PtsInode(this.fs, pair) : null;
  }
  readdir(): DirEntry[] {
    const out: DirEntry[] = [{ name: 'ptmx', ino: 2, type: DT_CHR }];
    for (const i of [...this.fs.ptys.keys()].sort((a, b) => a - b)) out.push({ name: String(i), ino: i + 3, type: DT_CHR });
    return out;
  }
}

/** /dev/pts/ptmx: Linux creates it with mode 000 (the ptmxmode mount option). */
class PtmxInode implements Inode {
  readonly ino = 2;
  constructor(readonly fs: Devpts) {}
  stat(): Stat { return charDevStat(mkdev(5, 2), 0, 2, this.fs.dev); }
  open(flags: number, path: string, caller?: Caller): File | number {
    return this.fs.openMaster(flags, path, () => this.stat(), asTask(caller));
  }
}

class PtsInode implements Inode {
  constructor(readonly fs: Devpts, private readonly pair: PtyPair) {}
  get ino(): number { return this.pair.index + 3; }
  stat(): Stat { return this.pair.slaveStat(); }
  /** chmod/chown (old grantpt implementations, mesg(1)). */
  setattr(a: SetAttr): number {
    if (a.size !== undefined) return -EPERM;
    if (a.mode !== undefined) this.pair.mode = a.mode & 0o7777;
    if (a.uid !== undefined) this.pair.uid = a.uid;
    if (a.gid !== undefined) this.pair.gid = a.gid;
    return 0;
  }
  /**
   * Only the opener may acquire the slave as its controlling terminal: `caller` from the
   * VFS, never the kernel's current task, which is whichever task made the last system call
   * (after the path walk's awaits, often another session leader; it then took the pty and
   * the opener found no /dev/tty: xterm's child, 2026-12-07). No caller: the host opens it.
   */
  open(flags: number, path: string, caller?: Caller): File | number {
    return this.pair.openSlave(flags, path, asTask(caller));
  }
}

/** The calling task, if the caller is one (the host's opens have none). */
function asTask(c?: Caller): Task | undefined {
  return c !== undefined && 'proc' in c ? c as Task : undefined;
}
