/**
 * The terminal nodes of /dev, registered with the devfs: console, tty0, tty1 (the
 * console), tty (the caller's controlling terminal), ptmx (new pty pairs).
 */
import { type Inode, S_IFCHR, type Stat } from '../fs/types.js';
import type { DeviceOpen } from '../fs/devfs.js';
import type { Caller } from '../fs/types.js';
import type { Task } from '../linux/task.js';
import { ENXIO } from '../linux/errno.js';
import type { Console } from './console.js';
import { CONSOLE_NODES } from './console.js';
import type { Devpts } from './devpts.js';
import { cttyOf, maybeAcquireCtty } from './jobctl.js';
import { Tty, charDevStat, mkdev } from './tty.js';

export type { DeviceOpen };

/**
 * The devfs and the VFS hand drivers a Caller (fs/ cannot know tasks); the terminals need the
 * task itself (its session and controlling tty). The kernel's callers are its Tasks.
 */
export const isTask = (c?: Caller | null): c is Task => c !== undefined && c !== null && 'proc' in c;

/** The part of the devfs this module needs. */
export interface DevfsLike {
  addDevice(name: string, mode: number, rdev: number, open: DeviceOpen): unknown;
}

export interface TtyDeviceOptions {
  console?: Console;
  devpts: Devpts;
  /**
   * The task making the current system call, for opens the devfs makes without one.
   * Without a task /dev/tty cannot be resolved and no controlling terminal is acquired.
   */
  currentTask?: () => Task | undefined;
  /** st_dev of devfs nodes, for fstat on opened descriptions. */
  devfsDev?: number;
}

/** Rows of the table: name, device number, permissions. */
const TTY = { name: 'tty', rdev: mkdev(5, 0), perm: 0o666 };
const PTMX = { name: 'ptmx', rdev: mkdev(5, 2), perm: 0o666 };

export function registerTtyDevices(devfs: DevfsLike, o: TtyDeviceOptions): void {
  const dev = o.devfsDev ?? 5;
  const when = Date.now();
  const task = (t?: Caller) => (isTask(t) ? t : undefined) ?? o.currentTask?.();
  // fstat must match stat of the node opened (glibc's ttyname compares st_ino/st_dev/st_rdev).
  const statOf = (n: { rdev: number; perm: number }, inode?: Inode): (() => Stat | Promise<Stat>) =>
    inode ? () => inode.stat() : () => charDevStat(n.rdev, n.perm, 0x100 + (n.rdev & 0xffff), dev, 0, 0, when);

  const con = o.console;
  if (con) {
    for (const n of CONSOLE_NODES) {
      devfs.addDevice(n.name, S_IFCHR | n.perm, n.rdev, (flags, path, t, inode) => {
        const f = con.tty.open(flags, path, inode ? () => inode.stat() : () => con.nodeStat(n.name));
        const tk = task(t);
        if (n.ctty && tk) maybeAcquireCtty(tk, con.tty, flags);
        return f;
      });
    }
  }

  // /dev/tty: the caller's controlling terminal (tty(4)), ENXIO without one.
  devfs.addDevice(TTY.name, S_IFCHR | TTY.perm, TTY.rdev, (flags, path, t, inode) => {
    const tk = task(t);
    const ctty = tk ? cttyOf(tk.proc) : null;
    if (!(ctty instanceof Tty) || ctty.hungUp) return -ENXIO;
    return ctty.open(flags, path, statOf(TTY, inode));
  });

  devfs.addDevice(PTMX.name, S_IFCHR | PTMX.perm, PTMX.rdev, (flags, path, t, inode) =>
    o.devpts.openMaster(flags, path, statOf(PTMX, inode), task(t)));
}
