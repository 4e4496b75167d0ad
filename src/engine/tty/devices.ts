/**
 * The terminal nodes of /dev, registered with the devfs: console, tty0, tty1 (the
 * console), tty (the caller's controlling terminal), ptmx (new pty pairs).
 */
import { type File, S_IFCHR, type Stat } from '../fs/types.js';
import type { Task } from '../linux/task.js';
import { ENXIO } from '../linux/errno.js';
import type { Console } from './console.js';
import { CONSOLE_NODES } from './console.js';
import type { Devpts } from './devpts.js';
import { cttyOf, maybeAcquireCtty } from './jobctl.js';
import { Tty, charDevStat, mkdev } from './tty.js';

/**
 * How a device open is called. The task is optional because the devfs contract may not
 * pass it; `currentTask` is the fallback. Without either, /dev/tty cannot be resolved
 * and no controlling terminal is acquired on open.
 */
export type DeviceOpen = (flags: number, path: string, t?: Task) => File | number | Promise<File | number>;

/** The part of the devfs this module needs. */
export interface DevfsLike {
  addDevice(name: string, mode: number, rdev: number, open: DeviceOpen): unknown;
}

export interface TtyDeviceOptions {
  console?: Console;
  devpts: Devpts;
  /** The task making the current system call, when the devfs does not pass it. */
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
  const task = (t?: Task) => t ?? o.currentTask?.();
  const statOf = (n: { rdev: number; perm: number }): (() => Stat) =>
    () => charDevStat(n.rdev, n.perm, 0x100 + (n.rdev & 0xffff), dev, 0, 0, when);

  const con = o.console;
  if (con) {
    for (const n of CONSOLE_NODES) {
      devfs.addDevice(n.name, S_IFCHR | n.perm, n.rdev, (flags, _path, t) => {
        const f = con.open(flags, n.name);
        const tk = task(t);
        if (n.ctty && tk) maybeAcquireCtty(tk, con.tty, flags);
        return f;
      });
    }
  }

  // /dev/tty: the caller's controlling terminal (tty(4)), ENXIO without one.
  devfs.addDevice(TTY.name, S_IFCHR | TTY.perm, TTY.rdev, (flags, path, t) => {
    const tk = task(t);
    const ctty = tk ? cttyOf(tk.proc) : null;
    if (!(ctty instanceof Tty) || ctty.hungUp) return -ENXIO;
    return ctty.open(flags, path, statOf(TTY));
  });

  devfs.addDevice(PTMX.name, S_IFCHR | PTMX.perm, PTMX.rdev, (flags, path, t) =>
    o.devpts.openMaster(flags, path, statOf(PTMX), task(t)));
}
