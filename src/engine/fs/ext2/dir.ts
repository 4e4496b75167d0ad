/**
 * ext2 directories: linear lists of entries (inode u32, rec_len u16, name_len u8,
 * file_type u8 with the filetype feature, else name_len u16; the name; padding to 4 bytes)
 * that tile each block exactly.
 *
 * Changes follow the kernel's ext2 (fs/ext2/dir.c): a new entry takes a free entry that
 * is big enough or the slack after a live entry (splitting its rec_len), else a new block
 * appended to the directory; a removed entry is merged into the entry before it in its
 * block, or, first in its block, marked free (inode 0).
 *
 * Hashed (dir_index) directories are read linearly (their index blocks look like empty
 * entries) and, on the first change, the INDEX flag is cleared so they become plain linear
 * directories again: e2fsck accepts that, where a stale index would be damage. Maintaining
 * the htree is left for later (docs/EXT2.md).
 */
import { EEXIST, EISDIR, EMLINK, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, EROFS, EXDEV } from '../../abi/errno.js';
import {
  type DirEntry, type Inode, DT_UNKNOWN, S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, dtOfMode,
} from '../types.js';
import { nowTimespec } from '../tmpfs.js';
import { Ext2CorruptError } from './errors.js';
import { DIRENT_TYPE_TO_DT, EXT2_INDEX_FL, direntTypeOf, newRawInode } from './layout.js';
import { Ext2Inode, Ext2Symlink, guard, storeInodeDev } from './inode.js';
import { allocInode } from './alloc.js';
import { mapOrAlloc } from './bmap.js';

/** EXT2_LINK_MAX: most links an inode may have (and subdirectories a directory). */
const LINK_MAX = 32000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Bytes an entry with a name of `len` bytes needs. */
const recSize = (len: number): number => (8 + len + 3) & ~3;


/** Where an entry lives: its block, its offset, and the offset of the entry before it (-1 if first). */
interface Slot { phys: number; off: number; prev: number; ino: number; recLen: number }

interface RawEntry { ino: number; recLen: number; nameLen: number; type: number }

export class Ext2Dir extends Ext2Inode {
  private entries: DirEntry[] | null = null;
  private byName: Map<string, number> | null = null;

  private entryAt(b: Uint8Array, off: number, lb: number): RawEntry {
    const bs = this.fs.blockSize;
    if (off + 8 > bs) throw new Ext2CorruptError(`directory ${this.ino}: entry header past block end`);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const ino = dv.getUint32(off, true);
    const recLen = dv.getUint16(off + 4, true);
    // Without the filetype feature the name length is 16 bits wide.
    const nameLen = this.fs.hasFiletype ? b[off + 6] : dv.getUint16(off + 6, true);
    if (recLen < 8 || recLen % 4 !== 0 || off + recLen > bs || nameLen + 8 > recLen) {
      throw new Ext2CorruptError(`directory ${this.ino}: bad entry at block ${lb} offset ${off}`);
    }
    return { ino, recLen, nameLen, type: this.fs.hasFiletype ? b[off + 7] : 0 };
  }

  private writeEntry(w: Uint8Array, off: number, ino: number, recLen: number, name: Uint8Array, type: number): void {
    const dv = new DataView(w.buffer, w.byteOffset, w.byteLength);
    dv.setUint32(off, ino, true);
    dv.setUint16(off + 4, recLen, true);
    if (this.fs.hasFiletype) {
      w[off + 6] = name.length;
      w[off + 7] = type;
    } else {
      dv.setUint16(off + 6, name.length, true);
    }
    w.set(name, off + 8);
    w.fill(0, off + 8 + name.length, off + recSize(name.length));
  }

  /** Visit every entry; stop when fn returns true. Holes in the directory are skipped. */
  private async scan(fn: (b: Uint8Array, phys: number, off: number, prev: number, e: RawEntry) => boolean | void): Promise<void> {
    const bs = this.fs.blockSize;
    const nBlocks = Math.ceil(this.size / bs);
    for (let lb = 0; lb < nBlocks; lb++) {
      const phys = await this.fs.mapBlock(this.raw.block, lb);
      if (phys === 0) continue;
      const b = await this.fs.block(phys);
      let prev = -1;
      for (let off = 0; off < bs;) {
        const e = this.entryAt(b, off, lb);
        if (fn(b, phys, off, prev, e)) return;
        prev = off;
        off += e.recLen;
      }
    }
  }

  /**
   * Every entry, read linearly. Hashed (dir_index) directories stay readable this way: their
   * index blocks look like a block holding one empty entry, and the root's index hides
   * inside the rec_len of "..".
   */
  private async load(): Promise<DirEntry[]> {
    if (this.entries) return this.entries;
    const out: DirEntry[] = [];
    const untyped: DirEntry[] = [];
    await this.scan((b, _phys, off, _prev, e) => {
      if (e.ino === 0 || e.nameLen === 0) return;
      const name = dec.decode(b.subarray(off + 8, off + 8 + e.nameLen));
      if (name === '.' || name === '..') return;
      const de: DirEntry = { name, ino: e.ino, type: DIRENT_TYPE_TO_DT[e.type] ?? DT_UNKNOWN };
      out.push(de);
      if (de.type === DT_UNKNOWN) untyped.push(de);
    });
    // No type in the entry: take it from the inode, so readers need not stat every name.
    for (const e of untyped) e.type = dtOfMode((await this.fs.inode(e.ino)).mode);
    this.entries = out;
    this.byName = new Map(out.map((e) => [e.name, e.ino]));
    return out;
  }

  /** The entry named `name` (as bytes), or null. */
  private async find(name: Uint8Array): Promise<Slot | null> {
    let found: Slot | null = null;
    await this.scan((b, phys, off, prev, e) => {
      if (e.ino === 0 || e.nameLen !== name.length) return;
      for (let i = 0; i < name.length; i++) if (b[off + 8 + i] !== name[i]) return;
      found = { phys, off, prev, ino: e.ino, recLen: e.recLen };
      return true;
    });
    return found;
  }

  /** True when only '.' and '..' remain. */
  async isEmpty(): Promise<boolean> {
    let empty = true;
    await this.scan((b, _phys, off, _prev, e) => {
      if (e.ino === 0) return;
      const dot = e.nameLen === 1 && b[off + 8] === 0x2e;
      const dotdot = e.nameLen === 2 && b[off + 8] === 0x2e && b[off + 9] === 0x2e;
      if (!dot && !dotdot) { empty = false; return true; }
    });
    return empty;
  }

  /** Add an entry, splitting slack or appending a block. Throws Ext2NoSpaceError. */
  private async addEntry(name: Uint8Array, ino: number, type: number): Promise<void> {
    const need = recSize(name.length);
    let spot: { phys: number; off: number; used: number; recLen: number } | null = null;
    await this.scan((_b, phys, off, _prev, e) => {
      const used = e.ino ? recSize(e.nameLen) : 0;
      if (e.recLen - used >= need) { spot = { phys, off, used, recLen: e.recLen }; return true; }
    });
    const s = spot as { phys: number; off: number; used: number; recLen: number } | null;
    if (s) {
      const w = await this.fs.blockW(s.phys);
      if (s.used) new DataView(w.buffer, w.byteOffset, w.byteLength).setUint16(s.off + 4, s.used, true);
      this.writeEntry(w, s.off + s.used, ino, s.recLen - s.used, name, type);
      return;
    }
    const bs = this.fs.blockSize;
    const lb = Math.ceil(this.size / bs);
    const { phys } = await mapOrAlloc(this, lb);
    this.writeEntry(this.fs.newBlockW(phys), 0, ino, bs, name, type);
    this.setSize((lb + 1) * bs);
  }

  private async removeSlot(s: Slot): Promise<void> {
    const w = await this.fs.blockW(s.phys);
    const dv = new DataView(w.buffer, w.byteOffset, w.byteLength);
    if (s.prev >= 0) dv.setUint16(s.prev + 4, dv.getUint16(s.prev + 4, true) + dv.getUint16(s.off + 4, true), true);
    else dv.setUint32(s.off, 0, true);
  }

  /** Point an existing entry at another inode (rename over an existing name). */
  private async retarget(s: Slot, ino: number, type: number): Promise<void> {
    const w = await this.fs.blockW(s.phys);
    new DataView(w.buffer, w.byteOffset, w.byteLength).setUint32(s.off, ino, true);
    if (this.fs.hasFiletype) w[s.off + 7] = type;
  }

  /** Rewrite '..' (the second entry of the first block) after a move to another parent. */
  private async setParent(ino: number): Promise<void> {
    const phys = await this.fs.mapBlock(this.raw.block, 0);
    if (!phys) throw new Ext2CorruptError(`directory ${this.ino} has no first block`);
    const b = await this.fs.block(phys);
    const first = this.entryAt(b, 0, 0);
    const second = this.entryAt(b, first.recLen, 0);
    if (second.nameLen !== 2 || b[first.recLen + 8] !== 0x2e || b[first.recLen + 9] !== 0x2e) {
      throw new Ext2CorruptError(`directory ${this.ino}: second entry is not '..'`);
    }
    const w = await this.fs.blockW(phys);
    new DataView(w.buffer, w.byteOffset, w.byteLength).setUint32(first.recLen, ino, true);
  }

  /** After any change to the entries: drop the listing, leave htree behind, set mtime and ctime. */
  private changed(): void {
    this.entries = null;
    if (this.raw.flags & EXT2_INDEX_FL) this.raw.flags &= ~EXT2_INDEX_FL;
    this.touch('mc');
  }

  /** Mutating operations: -EROFS on a read-only mount, else run alone with errors as -errno. */
  private mutate<T>(fn: () => Promise<T | number>): Promise<T | number> {
    if (this.fs.readOnly) return Promise.resolve(-EROFS);
    return guard(this.fs, () => this.fs.exclusive(fn)) as Promise<T | number>;
  }

  /** A just-allocated inode whose entry could not be made: free it again. */
  private async abandon(node: Ext2Inode): Promise<void> {
    node.links = 0;
    await node.evictIfUnused();
  }

  private nameBytes(name: string): Uint8Array | number {
    const b = enc.encode(name);
    return b.length > 255 ? -ENAMETOOLONG : b;
  }

  // ---- The VFS interface ----

  /** On damage: -EIO (the Inode type does not list numbers here yet; the VFS checks for them). */
  readdir(): Promise<DirEntry[]> {
    return guard(this.fs, () => this.fs.exclusive(async () => {
      const list = (await this.load()).map((e) => ({ ...e }));
      this.accessed();
      return list;
    })) as Promise<DirEntry[]>;
  }

  lookup(name: string): Promise<Inode | null> {
    return guard(this.fs, () => this.fs.exclusive(async () => {
      if (!this.byName) await this.load();
      const ino = this.byName!.get(name);
      return ino === undefined ? null : this.fs.inode(ino);
    })) as Promise<Inode | null>;
  }

  create(name: string, mode: number, uid: number, gid: number, rdev = 0): Promise<Inode | number> {
    return this.mutate(async () => {
      const nb = this.nameBytes(name);
      if (typeof nb === 'number') return nb;
      if (await this.find(nb)) return -EEXIST;
      const type = mode & S_IFMT || S_IFREG;
      const ino = await allocInode(this.fs, this.ino, false);
      const raw = newRawInode(this.fs.sb.inodeSize, type | (mode & 0o7777), uid >>> 0, gid >>> 0, nowTimespec());
      if (type === S_IFCHR || type === S_IFBLK) storeInodeDev(raw.block, rdev);
      const node = this.fs.newInode(ino, raw);
      try {
        await this.addEntry(nb, ino, direntTypeOf(type));
      } catch (e) {
        await this.abandon(node);
        throw e;
      }
      this.byName?.set(name, ino);
      this.changed();
      return node;
    });
  }

  mkdir(name: string, mode: number, uid: number, gid: number): Promise<Inode | number> {
    return this.mutate(async () => {
      const nb = this.nameBytes(name);
      if (typeof nb === 'number') return nb;
      if (this.links >= LINK_MAX) return -EMLINK;
      if (await this.find(nb)) return -EEXIST;
      const ino = await allocInode(this.fs, this.ino, true);
      const raw = newRawInode(this.fs.sb.inodeSize, S_IFDIR | (mode & 0o7777), uid >>> 0, gid >>> 0, nowTimespec());
      raw.linksCount = 2; // its entry here and its own '.'
      const node = this.fs.newInode(ino, raw) as Ext2Dir;
      try {
        const { phys } = await mapOrAlloc(node, 0);
        const w = this.fs.newBlockW(phys);
        const bs = this.fs.blockSize;
        node.writeEntry(w, 0, ino, 12, enc.encode('.'), 2);
        node.writeEntry(w, 12, this.ino, bs - 12, enc.encode('..'), 2);
        node.setSize(bs);
        await this.addEntry(nb, ino, 2);
      } catch (e) {
        await this.abandon(node);
        throw e;
      }
      this.links++; // the new directory's '..'
      this.byName?.set(name, ino);
      this.changed();
      return node;
    });
  }

  symlink(name: string, target: string, uid: number, gid: number): Promise<Inode | number> {
    return this.mutate(async () => {
      const nb = this.nameBytes(name);
      if (typeof nb === 'number') return nb;
      const tb = enc.encode(target);
      // The target and its terminating NUL must fit in one block (ext2_symlink).
      if (tb.length >= this.fs.blockSize) return -ENAMETOOLONG;
      if (await this.find(nb)) return -EEXIST;
      const ino = await allocInode(this.fs, this.ino, false);
      const raw = newRawInode(this.fs.sb.inodeSize, S_IFLNK | 0o777, uid >>> 0, gid >>> 0, nowTimespec());
      const node = this.fs.newInode(ino, raw) as Ext2Symlink;
      try {
        await node.storeTarget(tb);
        await this.addEntry(nb, ino, 7);
      } catch (e) {
        await this.abandon(node);
        throw e;
      }
      this.byName?.set(name, ino);
      this.changed();
      return node;
    });
  }

  link(name: string, target: Inode): Promise<number> {
    return this.mutate(async () => {
      if (!(target instanceof Ext2Inode) || target.fs !== this.fs) return -EXDEV;
      if (target.isDir) return -EPERM;
      if (target.links === 0) return -ENOENT;
      if (target.links >= LINK_MAX) return -EMLINK;
      const nb = this.nameBytes(name);
      if (typeof nb === 'number') return nb;
      if (await this.find(nb)) return -EEXIST;
      await this.addEntry(nb, target.ino, direntTypeOf(target.mode));
      target.links++;
      target.touch('c');
      this.byName?.set(name, target.ino);
      this.changed();
      return 0;
    }) as Promise<number>;
  }

  /** The entry `name` and its inode, or -errno. */
  private async entry(name: string): Promise<{ slot: Slot; child: Ext2Inode } | number> {
    const nb = this.nameBytes(name);
    if (typeof nb === 'number') return nb;
    const slot = await this.find(nb);
    if (!slot) return -ENOENT;
    return { slot, child: await this.fs.inode(slot.ino) };
  }

  /** Remove the entry `name` (found as `slot`); its inode is left with `links` links, freed if unused. */
  private async dropEntry(name: string, slot: Slot, child: Ext2Inode, links: number): Promise<void> {
    await this.removeSlot(slot);
    this.byName?.delete(name);
    this.changed();
    child.links = links;
    child.touch('c');
    await child.evictIfUnused();
  }

  unlink(name: string): Promise<number> {
    return this.mutate(async () => {
      const e = await this.entry(name);
      if (typeof e === 'number') return e;
      if (e.child.isDir) return -EISDIR;
      await this.dropEntry(name, e.slot, e.child, Math.max(0, e.child.links - 1));
      return 0;
    }) as Promise<number>;
  }

  rmdir(name: string): Promise<number> {
    return this.mutate(async () => {
      const e = await this.entry(name);
      if (typeof e === 'number') return e;
      if (!(e.child instanceof Ext2Dir)) return -ENOTDIR;
      if (!(await e.child.isEmpty())) return -ENOTEMPTY;
      this.links--; // its '..' is gone
      await this.dropEntry(name, e.slot, e.child, 0);
      return 0;
    }) as Promise<number>;
  }

  /**
   * rename(2): the new name is made (or an existing one repointed) before the old one is
   * removed, as the kernel's ext2_rename does, so an interrupted write-back never loses the
   * file. Moving a directory rewrites its '..' and moves a link from the old parent to the
   * new one; a replaced victim loses a link (an empty directory all of them).
   */
  rename(oldName: string, newDir: Inode, newName: string): Promise<number> {
    return this.mutate(async () => {
      if (!(newDir instanceof Ext2Dir) || newDir.fs !== this.fs) return -EXDEV;
      const ob = this.nameBytes(oldName), nb = this.nameBytes(newName);
      if (typeof ob === 'number') return ob;
      if (typeof nb === 'number') return nb;
      const src = await this.find(ob);
      if (!src) return -ENOENT;
      const child = await this.fs.inode(src.ino);
      const dst = await newDir.find(nb);
      if (dst && dst.ino === src.ino) return 0;
      const victim = dst ? await this.fs.inode(dst.ino) : null;
      if (victim) {
        if (victim.isDir) {
          if (!child.isDir) return -EISDIR;
          if (!(await (victim as Ext2Dir).isEmpty())) return -ENOTEMPTY;
        } else if (child.isDir) {
          return -ENOTDIR;
        }
      }
      const moving = child.isDir && newDir !== this;
      if (moving && !victim && newDir.links >= LINK_MAX) return -EMLINK;
      const type = direntTypeOf(child.mode);
      if (dst) await newDir.retarget(dst, child.ino, type);
      else await newDir.addEntry(nb, child.ino, type);
      // Adding may have split the old entry's slack: look it up again before removing it.
      const again = await this.find(ob);
      if (!again) throw new Ext2CorruptError(`rename: entry '${oldName}' vanished`);
      await this.removeSlot(again);
      if (moving) {
        await (child as Ext2Dir).setParent(newDir.ino);
        this.links--;
        newDir.links++;
      }
      if (victim) {
        if (victim.isDir) {
          victim.links = 0;
          newDir.links--;
        } else {
          victim.links = Math.max(0, victim.links - 1);
        }
        victim.touch('c');
        await victim.evictIfUnused();
      }
      this.byName?.delete(oldName);
      newDir.byName?.set(newName, child.ino);
      child.touch('c');
      this.changed();
      if (newDir !== this) newDir.changed();
      return 0;
    }) as Promise<number>;
  }
}
