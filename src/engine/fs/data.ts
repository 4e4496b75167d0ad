/**
 * DataFs: files put in by JavaScript (CheerpX's DataDevice), held in memory. The page
 * writes them with writeFile; the guest sees a read-only tree (EROFS for every change).
 * Files are mode 0644 with no exec bit, as CheerpX documents (copy a program elsewhere to
 * run it), directories 0755, everything owned by root.
 *
 * The tree itself is a TmpFs the guest never sees directly: its inodes keep the data, link
 * counts and times; the guest gets read-only views of them (DataInode) whose `fs` is this
 * file system, so the VFS's read-only checks apply too.
 */
import type { DirEntry, FileSystem, FsStats, Stat } from './types.js';
import { S_IFREG } from './types.js';
import { TMPFS_MAGIC, TmpFs, TmpInode, allocAnonDev, nowTimespec } from './tmpfs.js';
import { ReadOnlyInode } from './readonly.js';

const FILE_MODE = S_IFREG | 0o644;
const DIR_MODE = 0o755;

export class DataFs implements FileSystem {
  readonly type = 'data';
  readonly dev: number;
  readonly readOnly = true;
  readonly root: DataInode;
  private readonly tree: TmpFs;
  private readonly views = new WeakMap<TmpInode, DataInode>();

  constructor(opts: { dev?: number } = {}) {
    this.dev = opts.dev ?? allocAnonDev();
    this.tree = new TmpFs({ mode: DIR_MODE, dev: this.dev });
    this.root = this.view(this.tree.root);
  }

  /**
   * Create or replace the file at `path` (absolute or relative to the root) with `data`
   * (a string is stored as UTF-8). Missing parent directories are created. Throws an Error
   * when a component of the path is a file, or the path names a directory.
   */
  writeFile(path: string, data: Uint8Array | string): void {
    const names = splitPath(path);
    if (names.length === 0) throw new Error(`DataDevice.writeFile: "${path}" is not a file name`);
    let dir = this.tree.root;
    for (const [k, name] of names.slice(0, -1).entries()) {
      let next = dir.lookup(name);
      if (!next) {
        const made = dir.mkdir(name, DIR_MODE, 0, 0);
        if (typeof made === 'number') throw new Error(`DataDevice.writeFile: cannot create directory /${names.slice(0, k + 1).join('/')}`);
        next = made;
      }
      if (!next.children) throw new Error(`DataDevice.writeFile: /${names.slice(0, k + 1).join('/')} is a file, not a directory`);
      dir = next;
    }
    const name = names[names.length - 1];
    let file = dir.lookup(name);
    if (file?.children) throw new Error(`DataDevice.writeFile: /${names.join('/')} is a directory`);
    if (!file) {
      const made = dir.create(name, FILE_MODE, 0, 0);
      if (typeof made === 'number') throw new Error(`DataDevice.writeFile: cannot create /${names.join('/')}`);
      file = made;
    }
    // Our own copy: the caller may reuse its buffer. A new mtime tells a guest re-reading
    // (make, a cache keyed on mtime) that the content changed.
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data.slice();
    file.data = bytes;
    file.size = bytes.length;
    file.mtime = file.ctime = nowTimespec();
  }

  /** The contents of the file at `path`, or null when there is no such file. */
  readFile(path: string): Uint8Array | null {
    let node: TmpInode | null = this.tree.root;
    for (const name of splitPath(path)) {
      node = node.lookup(name);
      if (!node) return null;
    }
    if (node.children) return null;
    return node.data.slice(0, node.size);
  }

  /** The guest's read-only view of a tree inode (one per inode, so lookups agree). */
  view(inner: TmpInode): DataInode {
    let v = this.views.get(inner);
    if (!v) this.views.set(inner, v = new DataInode(this, inner));
    return v;
  }

  statfs(): FsStats {
    return { ...this.tree.statfs(), type: TMPFS_MAGIC, bavail: 0, bfree: 0 };
  }
}

/** What the guest sees of a DataFs inode: reads pass through, every change is EROFS. */
export class DataInode extends ReadOnlyInode {
  constructor(readonly fs: DataFs, private readonly inner: TmpInode) {
    super();
  }

  get ino(): number { return this.inner.ino; }

  stat(): Stat { return this.inner.stat(); }
  lookup(name: string): DataInode | null {
    const c = this.inner.lookup(name);
    return c ? this.fs.view(c) : null;
  }
  readdir(): DirEntry[] { return this.inner.readdir(); }
  read(buf: Uint8Array, off: number): number { return this.inner.read(buf, off); }
}

/** Path components; '' and '.' are skipped, '..' is refused (paths name a place in the tree). */
function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const name of path.split('/')) {
    if (name === '' || name === '.') continue;
    if (name === '..') throw new Error(`DataDevice: ".." in "${path}" is not allowed`);
    out.push(name);
  }
  return out;
}
