/**
 * Generated (synthetic) file-system nodes shared by /proc and /sys: directories whose
 * children are computed, files whose text is generated when opened, and symlinks whose
 * target is computed when read.
 */
import { EINVAL, EIO } from '../abi/errno.js';
import {
  type Caller, type DirEntry, type FileSystem, type FsStats, type Inode, type Stat, File, O_ACCMODE, O_RDONLY,
  S_IFDIR, S_IFLNK, S_IFREG, SEEK_CUR, SEEK_SET, dtOfMode,
} from './types.js';

/** Text of a generated file, or -errno (the process went away ...). */
export type Gen = () => string | Uint8Array | number | Promise<string | Uint8Array | number>;
/** A write handler for the few writable entries (hostname ...): bytes written or -errno. */
export type Writer = (text: string) => number;

const enc = new TextEncoder();

/** A file system of generated nodes with inode numbers interned by path, so they stay stable. */
export abstract class SynthFs implements FileSystem {
  abstract readonly type: string;
  abstract readonly root: Inode;
  readonly dev: number;
  readonly readOnly = false;
  private readonly inos = new Map<string, number>();
  private nextIno = 2;
  /** Seconds since the epoch shown as the times of nodes with no better time. */
  readonly mountSec = Math.floor(Date.now() / 1000);

  constructor(dev: number, protected readonly magic: number) {
    this.dev = dev;
    this.inos.set('', 1);
  }

  /** The inode number of the node at `key` (a path below the root). */
  ino(key: string): number {
    let n = this.inos.get(key);
    if (n === undefined) {
      n = this.nextIno++;
      this.inos.set(key, n);
    }
    return n;
  }

  statfs(): FsStats {
    return { type: this.magic, bsize: 4096, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, namelen: 255 };
  }
}

export interface NodeOpts {
  /** [uid, gid]; root when absent. */
  owner?: () => [number, number];
  /** Times in seconds since the epoch. */
  time?: () => number;
}

export abstract class SynthNode implements Inode {
  constructor(
    readonly fs: SynthFs,
    readonly ino: number,
    readonly mode: number,
    protected readonly opts: NodeOpts = {},
  ) {}

  stat(): Stat {
    const [uid, gid] = this.opts.owner ? this.opts.owner() : [0, 0];
    const sec = this.opts.time ? this.opts.time() : this.fs.mountSec;
    const t = { sec, nsec: 0 };
    // Like Linux, generated files report size 0: the length is only known once generated.
    return {
      dev: this.fs.dev, ino: this.ino, mode: this.mode, nlink: (this.mode & S_IFDIR) === S_IFDIR ? 2 : 1,
      uid, gid, rdev: 0, size: 0, blksize: 1024, blocks: 0, atime: t, mtime: t, ctime: t,
    };
  }
}

export class SynthFile extends SynthNode {
  constructor(fs: SynthFs, ino: number, perm: number, readonly gen: Gen, opts: NodeOpts & { write?: Writer } = {}) {
    super(fs, ino, S_IFREG | perm, opts);
    this.writer = opts.write;
  }
  private readonly writer: Writer | undefined;

  async bytes(): Promise<Uint8Array | number> {
    try {
      const v = await this.gen();
      return typeof v === 'string' ? enc.encode(v) : v;
    } catch {
      return -EIO;
    }
  }

  /** Generic read path (used if a VFS reads without open()): generated afresh each call. */
  async read(buf: Uint8Array, off: number): Promise<number> {
    const b = await this.bytes();
    if (typeof b === 'number') return b;
    if (off >= b.length) return 0;
    const n = Math.min(buf.length, b.length - off);
    buf.set(b.subarray(off, off + n));
    return n;
  }

  /** The text is generated once, at open, so that reads in pieces see one consistent snapshot. */
  async open(flags: number, path: string): Promise<File | number> {
    if ((flags & O_ACCMODE) !== O_RDONLY && !this.writer) return -EINVAL;
    const b = (flags & O_ACCMODE) === O_RDONLY || !this.writer ? await this.bytes() : new Uint8Array(0);
    if (typeof b === 'number') return b;
    return new SnapshotFile(this, b, flags, path, this.writer);
  }
}

export class SynthLink extends SynthNode {
  /** Set for magic links: the open file that following the link lands on (see Inode.jump). */
  readonly jump?: () => File | number;
  constructor(fs: SynthFs, ino: number, readonly target: (caller?: Caller) => string | number, opts: NodeOpts & { perm?: number; jump?: () => File | number } = {}) {
    super(fs, ino, S_IFLNK | (opts.perm ?? 0o777), opts);
    if (opts.jump) this.jump = opts.jump;
  }
  readlink(caller?: Caller): string | number { return this.target(caller); }
}

export class SynthDir extends SynthNode {
  constructor(
    fs: SynthFs,
    ino: number,
    perm: number,
    /** The children: names, and nodes made on demand. */
    private readonly children: { names: () => string[]; get: (name: string) => SynthNode | null },
    opts: NodeOpts = {},
  ) {
    super(fs, ino, S_IFDIR | perm, opts);
  }

  lookup(name: string): SynthNode | null { return this.children.get(name); }

  readdir(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const name of this.children.names()) {
      const n = this.children.get(name);
      if (n) out.push({ name, ino: n.ino, type: dtOfMode(n.mode) });
    }
    return out;
  }
}

/**
 * A tree described as data: a function is a read-only file, a SynthNode is itself, a plain
 * object is a subdirectory. `key` is the path used for inode numbers.
 */
export type Tree = { [name: string]: Gen | SynthNode | Lazy | Tree };

/** A node made on first lookup from its inode key (links and files needing their own options). */
export class Lazy {
  constructor(readonly make: (key: string) => SynthNode) {}
}

export function treeDir(fs: SynthFs, key: string, tree: Tree, perm = 0o555, opts: NodeOpts = {}): SynthDir {
  const cache = new Map<string, SynthNode>();
  const make = (name: string): SynthNode | null => {
    const hit = cache.get(name);
    if (hit) return hit;
    if (!Object.prototype.hasOwnProperty.call(tree, name)) return null;
    const spec = tree[name];
    const k = key ? `${key}/${name}` : name;
    let node: SynthNode;
    if (spec instanceof SynthNode) node = spec;
    else if (spec instanceof Lazy) node = spec.make(k);
    else if (typeof spec === 'function') node = new SynthFile(fs, fs.ino(k), 0o444, spec, opts);
    else node = treeDir(fs, k, spec, perm, opts);
    cache.set(name, node);
    return node;
  };
  return new SynthDir(fs, fs.ino(key), perm, { names: () => Object.keys(tree), get: make }, opts);
}

/** An open generated file: the snapshot taken at open, read like a seq_file. */
export class SnapshotFile extends File {
  constructor(
    readonly inode: SynthNode,
    private readonly data: Uint8Array,
    flags: number,
    path: string,
    private readonly writer?: Writer,
  ) {
    super(flags, path);
  }

  stat(): Stat { return this.inode.stat(); }

  read(_t: Caller, buf: Uint8Array): number {
    const n = this.pread(_t, buf, this.pos);
    this.pos += n;
    return n;
  }

  pread(_t: Caller, buf: Uint8Array, off: number): number {
    if (off >= this.data.length) return 0;
    const n = Math.min(buf.length, this.data.length - off);
    buf.set(this.data.subarray(off, off + n));
    return n;
  }

  write(_t: Caller, data: Uint8Array): number {
    if (!this.writer) return -EINVAL;
    return this.writer(new TextDecoder().decode(data));
  }

  /** seq_file semantics: SEEK_SET and SEEK_CUR only; SEEK_END is EINVAL. */
  seek(off: number, whence: number): number {
    const pos = whence === SEEK_SET ? off : whence === SEEK_CUR ? this.pos + off : -1;
    if (whence !== SEEK_SET && whence !== SEEK_CUR) return -EINVAL;
    if (pos < 0) return -EINVAL;
    this.pos = pos;
    return pos;
  }
}
