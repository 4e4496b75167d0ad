/**
 * /dev: a tmpfs whose character-device nodes open into drivers registered by device
 * number. Other modules (tty, kms, input) add their devices with addDevice(); a node
 * made with mknod anywhere (tmpfs, ext2) opens the same driver through openCharDevice().
 */
import type { Caller, Inode, Stat } from './types.js';
import { File, S_IFCHR, S_IFDIR, S_IFMT, POLLIN, POLLOUT } from './types.js';
import { ENODEV, ENOSPC, ENXIO, EINVAL } from '../abi/errno.js';
import { TmpFs, TmpInode } from './tmpfs.js';

/**
 * A driver's open. `t` is the opening task (the controlling tty needs it; absent for
 * kernel-internal opens); `inode` is the node it was opened through, for fstat.
 */
export type DeviceOpen = (flags: number, path: string, t?: Caller, inode?: Inode) => File | number | Promise<File | number>;

/** new_encode_dev as glibc's makedev: 12-bit major, 20-bit minor. */
export const makedev = (major: number, minor: number): number =>
  ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
export const major = (dev: number): number => (dev >>> 8) & 0xfff;
export const minor = (dev: number): number => (dev & 0xff) | ((dev >>> 12) & 0xfff00);

/**
 * Drivers not tied to one machine's /dev, by device number. Drivers added through a
 * DevFs stay with that DevFs, so two machines in one process keep their own ttys.
 */
const globalDrivers = new Map<number, DeviceOpen>();

export function registerCharDevice(rdev: number, open: DeviceOpen): void {
  globalDrivers.set(rdev, open);
}

/**
 * Open a character special file by its st_rdev: the driver of the DevFs the node lives
 * in, else of any mounted DevFs (a node made with mknod elsewhere), else a global one.
 */
export function openCharDevice(
  mounted: Iterable<unknown>, rdev: number, flags: number, path: string, t: Caller | undefined, inode: Inode,
): File | number | Promise<File | number> {
  let open = inode.fs instanceof DevFs ? inode.fs.driver(rdev) : undefined;
  for (const fs of mounted) if (!open && fs instanceof DevFs) open = fs.driver(rdev);
  open ??= globalDrivers.get(rdev);
  return open ? open(flags, path, t, inode) : -ENXIO;
}

/** A device file whose fstat comes from the node it was opened through. */
abstract class DeviceFile extends File {
  constructor(flags: number, path: string, private readonly node: () => Stat | Promise<Stat>) {
    super(flags, path);
  }
  stat(): Stat | Promise<Stat> { return this.node(); }
  poll(): number { return POLLIN | POLLOUT; }
  /** Devices ignore the position but accept seeks (lseek on /dev/null returns 0). */
  seek(): number { return 0; }
  pread(t: Caller, buf: Uint8Array): number | Promise<number> { return this.read(t, buf); }
  pwrite(t: Caller, data: Uint8Array): number | Promise<number> { return this.write(t, data); }
}

/** The memory devices, major 1 (Documentation/admin-guide/devices.txt). */
class MemDevice extends DeviceFile {
  constructor(flags: number, path: string, node: () => Stat | Promise<Stat>, private readonly kind: 'null' | 'zero' | 'full' | 'random') {
    super(flags, path, node);
  }
  read(_t: Caller, buf: Uint8Array): number {
    if (this.kind === 'null') return 0;
    if (this.kind === 'random') return fillRandom(buf);
    buf.fill(0);
    return buf.length;
  }
  write(_t: Caller, data: Uint8Array): number {
    return this.kind === 'full' ? -ENOSPC : data.length;
  }
}

function fillRandom(buf: Uint8Array): number {
  // getRandomValues takes at most 65536 bytes per call.
  for (let i = 0; i < buf.length; i += 65536) crypto.getRandomValues(buf.subarray(i, Math.min(buf.length, i + 65536)));
  return buf.length;
}

const MEM_DEVICES: [name: string, minor: number, kind: 'null' | 'zero' | 'full' | 'random'][] = [
  ['null', 3, 'null'],
  ['zero', 5, 'zero'],
  ['full', 7, 'full'],
  ['random', 8, 'random'],
  ['urandom', 9, 'random'],
];

/** Symlinks every /dev has (udev's static nodes). */
const STANDARD_LINKS: [name: string, target: string][] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

export class DevFs extends TmpFs {
  readonly type: string = 'devtmpfs';
  private readonly drivers = new Map<number, DeviceOpen>();

  driver(rdev: number): DeviceOpen | undefined {
    return this.drivers.get(rdev);
  }

  constructor() {
    super({ mode: 0o755 });
    for (const [name, min, kind] of MEM_DEVICES) {
      const rdev = makedev(1, min);
      this.addDevice(name, 0o666, rdev, (flags, path, _t, inode) => {
        const node = inode ?? this.nodeAt(name);
        return new MemDevice(flags, path, () => (node ? node.stat() : fakeStat(rdev)), kind);
      });
    }
    for (const [name, target] of STANDARD_LINKS) this.root.symlink(name, target, 0, 0);
    this.addDir('pts');
    this.addDir('shm', 0o1777);
  }

  /**
   * Add (or replace) a character device. `name` may contain '/' to place it in a
   * subdirectory, created as needed ('input/event0', 'dri/card0').
   */
  addDevice(name: string, mode: number, rdev: number, open: DeviceOpen): number {
    const at = this.placeFor(name);
    if (typeof at === 'number') return at;
    const { dir, leaf } = at;
    const node = dir.create(leaf, S_IFCHR | (mode & 0o7777), 0, 0, rdev);
    if (typeof node === 'number') return node;
    this.drivers.set(rdev, open);
    return 0;
  }

  /** A symbolic link under /dev ('dri/by-path/platform-webx86-kms-card' -> '../card0'), directories made as needed. */
  addLink(name: string, target: string): number {
    const at = this.placeFor(name);
    if (typeof at === 'number') return at;
    const n = at.dir.symlink(at.leaf, target, 0, 0);
    return typeof n === 'number' ? n : 0;
  }

  /** mkdir -p under /dev. */
  addDir(name: string, mode = 0o755): number {
    const d = this.dirFor(name.split('/').filter(Boolean), mode);
    return typeof d === 'number' ? d : 0;
  }

  /** Where a new node `name` goes: its directory (made as needed) and leaf name, any old node there removed. */
  private placeFor(name: string): { dir: TmpInode; leaf: string } | number {
    const parts = name.split('/').filter(Boolean);
    const leaf = parts.pop();
    if (!leaf) return -EINVAL;
    const dir = this.dirFor(parts);
    if (typeof dir === 'number') return dir;
    if (dir.lookup(leaf)) dir.unlink(leaf);
    return { dir, leaf };
  }

  private dirFor(parts: string[], mode = 0o755): TmpInode | number {
    let dir: TmpInode = this.root;
    for (const p of parts) {
      let next = dir.lookup(p) ?? dir.mkdir(p, mode, 0, 0);
      if (typeof next === 'number') return next;
      if ((next.mode & S_IFMT) !== S_IFDIR) return -ENODEV;
      dir = next;
    }
    return dir;
  }

  private nodeAt(path: string): Inode | null {
    let n: TmpInode | null = this.root;
    for (const p of path.split('/').filter(Boolean)) n = n?.lookup(p) ?? null;
    return n;
  }
}

function fakeStat(rdev: number): Stat {
  const ts = { sec: 0, nsec: 0 };
  return { dev: 5, ino: 0, mode: S_IFCHR | 0o666, nlink: 1, uid: 0, gid: 0, rdev, size: 0, blksize: 4096, blocks: 0, atime: ts, mtime: ts, ctime: ts };
}
