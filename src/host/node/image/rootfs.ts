/**
 * The root file system as an in-memory tree (the ext2 writer's Ext2TreeNode), filled from
 * .deb data archives the way dpkg unpacks them — without maintainer scripts: a directory
 * already present (or a symlink to one, as with the merged-/usr links) is kept, other entries
 * replace what was there, and intermediate symlinks are followed.
 */
import type { Ext2TreeNode } from '../../../engine/fs/ext2/writer.js';
import type { TarEntry } from './tar.js';

const S_IFLNK = 0o120000, S_IFREG = 0o100000, S_IFDIR = 0o040000;
const S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFIFO = 0o010000;
const enc = new TextEncoder();

export const isDir = (n: Ext2TreeNode | undefined): boolean => !!n && (n.mode & 0o170000) === S_IFDIR;
export const isLink = (n: Ext2TreeNode | undefined): boolean => !!n && (n.mode & 0o170000) === S_IFLNK;

export class RootTree {
  readonly root: Ext2TreeNode;
  /** Archive paths each package installed (for /var/lib/dpkg/info/PKG.list). */
  readonly lists = new Map<string, string[]>();

  constructor(readonly now: number) {
    this.root = this.dirNode(0o755);
  }

  dirNode(perm: number, mtime = this.now): Ext2TreeNode {
    return { mode: S_IFDIR | perm, uid: 0, gid: 0, mtime, children: new Map() };
  }

  /** Components of a path, "." and empty parts dropped. */
  static parts(path: string): string[] {
    return path.split('/').filter((p) => p && p !== '.');
  }

  /**
   * The directory that holds `parts`' last component, following symlinks (and creating
   * missing directories when `create`). Returns undefined if a component is not a directory.
   */
  private parent(parts: string[], create: boolean, depth = 0): { dir: Ext2TreeNode; name: string } | undefined {
    if (depth > 40) return undefined;
    let dir = this.root;
    // `parts` is normalized (no '.' or '..'), so a link's own directory is the prefix before it.
    for (let i = 0; i < parts.length - 1; i++) {
      const c = parts[i];
      let n = dir.children!.get(c);
      if (!n) {
        if (!create) return undefined;
        n = this.dirNode(0o755);
        dir.children!.set(c, n);
      }
      if (isLink(n)) {
        // Resolve the link relative to where it sits, then go on with the rest.
        const base = n.target!.startsWith('/') ? [] : parts.slice(0, i);
        const resolved = [...base, ...RootTree.parts(n.target!), ...parts.slice(i + 1)];
        return this.parent(normalize(resolved), create, depth + 1);
      }
      if (!isDir(n)) return undefined;
      dir = n;
    }
    return { dir, name: parts[parts.length - 1] };
  }

  /** The node at `path`, following symlinks in every component but the last (and the last too when `follow`). */
  lookup(path: string, follow = false, depth = 0): Ext2TreeNode | undefined {
    const parts = normalize(RootTree.parts(path));
    if (parts.length === 0) return this.root;
    const p = this.parent(parts, false);
    const n = p?.dir.children!.get(p.name);
    if (follow && n && isLink(n) && depth < 40) {
      const t = n.target!;
      const abs = t.startsWith('/') ? t : [...parts.slice(0, -1), t].join('/');
      return this.lookup(abs, true, depth + 1);
    }
    return n;
  }

  /** Put `node` at `path` (replacing a non-directory, or an empty directory, already there). */
  put(path: string, node: Ext2TreeNode): void {
    const parts = normalize(RootTree.parts(path));
    if (parts.length === 0) return;
    const p = this.parent(parts, true);
    if (!p) throw new Error(`cannot create ${path}: a parent is not a directory`);
    p.dir.children!.set(p.name, node);
  }

  mkdir(path: string, perm = 0o755, uid = 0, gid = 0, mtime = this.now): Ext2TreeNode {
    const existing = this.lookup(path, true);
    if (existing && isDir(existing)) return existing;
    const n = this.dirNode(perm, mtime);
    n.uid = uid; n.gid = gid;
    this.put(path, n);
    return n;
  }

  writeFile(path: string, text: string | Uint8Array, perm = 0o644, uid = 0, gid = 0): void {
    this.put(path, { mode: S_IFREG | perm, uid, gid, mtime: this.now, data: typeof text === 'string' ? enc.encode(text) : text });
  }

  symlink(path: string, target: string): void {
    this.put(path, { mode: S_IFLNK | 0o777, uid: 0, gid: 0, mtime: this.now, target });
  }

  /** Unpack one data.tar entry of package `pkg`. */
  add(e: TarEntry, pkg: string): void {
    const parts = normalize(RootTree.parts(e.path));
    if (parts.length === 0) return; // "./" itself
    const path = parts.join('/');
    const list = this.lists.get(pkg) ?? [];
    list.push('/' + path);
    this.lists.set(pkg, list);
    const base = { uid: e.uid, gid: e.gid, mtime: e.mtime };
    switch (e.type) {
      case 'dir': {
        const existing = this.lookup(path, true);
        // dpkg keeps a directory (or a symlink to one) that another package or the base made.
        if (existing && isDir(existing)) return;
        this.put(path, { ...base, mode: S_IFDIR | e.mode, children: new Map() });
        return;
      }
      case 'file':
        this.put(path, { ...base, mode: S_IFREG | e.mode, data: e.data });
        return;
      case 'symlink':
        this.put(path, { ...base, mode: S_IFLNK | 0o777, target: e.linkname });
        return;
      case 'hardlink': {
        const target = this.lookup(e.linkname);
        if (!target || isDir(target)) throw new Error(`${pkg}: hard link ${e.path} to missing ${e.linkname}`);
        this.put(path, target);
        return;
      }
      case 'char': case 'block':
        this.put(path, { ...base, mode: (e.type === 'char' ? S_IFCHR : S_IFBLK) | e.mode, rdev: { major: e.devmajor, minor: e.devminor } });
        return;
      case 'fifo':
        this.put(path, { ...base, mode: S_IFIFO | e.mode });
        return;
    }
  }
}

function normalize(parts: string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out;
}
