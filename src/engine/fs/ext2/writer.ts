/**
 * An mkfs-like ext2 writer: lays out a complete file system from an in-memory tree, in one pass,
 * the way `mke2fs -d` would. Layout from the ext2/ext4 disk layout documentation (kernel
 * Documentation/filesystems/ext4/, field names from include/linux/ext2_fs.h).
 *
 * Features: filetype, sparse_super, large_file (what mke2fs -t ext2 sets, less resize_inode,
 * ext_attr and dir_index, which a written-once image does not need). Revision 1, 256-byte
 * inodes with i_extra_isize 32 (as mke2fs), no checksums. The result passes `e2fsck -fn`.
 *
 * Placement: group g holds [superblock + descriptor table copy if sparse_super keeps one there]
 * [block bitmap][inode bitmap][inode table][data ...]. Inodes are numbered in tree order
 * (root 2, lost+found 11, then the rest), and data blocks are handed out in inode order,
 * each file contiguous except where an indirect block or a group's metadata comes between, and
 * indirect blocks placed just before the data they map (as ext2's own allocator does).
 *
 * The writer never reads back: it emits (offset, bytes) writes into a sink whose target starts
 * zeroed (a new file, or fresh memory), so unwritten blocks — free space, unused inode table
 * slots, file tails — stay zero, and a host file can stay sparse.
 */
import { EXT2_SUPER_MAGIC, SUPERBLOCK_OFFSET, direntTypeOf, groupHasSuper, N_DIRECT } from './layout.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../types.js';

/** One node of the tree to write. The same object reached by several names is one inode (hard links). */
export interface Ext2TreeNode {
  /** st_mode: file type bits and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch; used for atime, ctime and mtime. */
  mtime: number;
  /** Directory entries (directories only), in the order they are written. */
  children?: Map<string, Ext2TreeNode>;
  /** Contents (regular files). */
  data?: Uint8Array;
  /** Target (symbolic links). */
  target?: string;
  /** Device number (character and block devices). */
  rdev?: { major: number; minor: number };
}

export interface Ext2WriteOptions {
  /** 1024, 2048 or 4096 (default). */
  blockSize?: number;
  /** Image size in bytes (rounded down to a block). Required by writeExt2. */
  sizeBytes?: number;
  /** Inodes wanted in total (rounded up to fill inode table blocks); default one per 16 KiB, at least what the tree needs plus room. */
  inodes?: number;
  volumeName?: string;
  /** 16 bytes; random by default. */
  uuid?: Uint8Array;
  /** Time written as the creation and last-write time of the file system (seconds). */
  now?: number;
}

/** The image asked for cannot hold the tree. */
export class Ext2TooSmallError extends Error {
  constructor(readonly neededBytes: number, readonly sizeBytes: number) {
    super(`image too small: the files need at least ${mib(neededBytes)} MiB, the image is ${mib(sizeBytes)} MiB`);
  }
}
const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

export type Ext2Sink = (offset: number, data: Uint8Array) => void;

const INODE_SIZE = 256;
const EXTRA_ISIZE = 32;
const FIRST_INO = 11;
const LOST_FOUND_BYTES = 16384;
const BYTES_PER_INODE = 16384;

/** ext2 dirent file_type from st_mode; a mode without a file type is a bug in the tree. */
function direntType(mode: number): number {
  const t = direntTypeOf(mode);
  if (!t) throw new Error(`bad file type in mode 0${mode.toString(8)}`);
  return t;
}

/** Indirect blocks needed to map n data blocks with P pointers per block. */
export function indirectBlocks(n: number, P: number): number {
  let rest = n - N_DIRECT;
  if (rest <= 0) return 0;
  let m = 1;
  rest -= P;
  if (rest <= 0) return m;
  const d = Math.min(rest, P * P);
  m += 1 + Math.ceil(d / P);
  rest -= d;
  if (rest <= 0) return m;
  if (rest > P * P * P) throw new Error('file too large for ext2 block maps');
  return m + 1 + Math.ceil(rest / (P * P)) + Math.ceil(rest / P);
}

interface InodeInfo {
  node: Ext2TreeNode;
  ino: number;
  links: number;
  /** Directory contents, packed in blocks (directories only). */
  dirBlocks?: Uint8Array[];
  /** Bytes stored in data blocks (files, slow symlinks, directories). */
  bytes: Uint8Array | null;
  dataBlocks: number;
  size: number;
}

const enc = new TextEncoder();

/** The tree numbered and measured: everything the layout needs that does not depend on geometry. */
class Prepared {
  readonly inodes: InodeInfo[] = [];
  readonly byNode = new Map<Ext2TreeNode, InodeInfo>();
  /** Data and indirect blocks of all inodes. */
  blocks = 0;
  maxIno = FIRST_INO;

  constructor(root: Ext2TreeNode, readonly bs: number, now: number) {
    if ((root.mode & S_IFMT) !== S_IFDIR || !root.children) throw new Error('the root must be a directory');
    const P = bs / 4;
    // lost+found is where e2fsck reconnects orphans; it must exist (inode 11 by convention).
    let lf = root.children.get('lost+found');
    if (!lf) {
      lf = { mode: S_IFDIR | 0o700, uid: 0, gid: 0, mtime: now, children: new Map() };
      root.children = new Map([['lost+found', lf], ...root.children]);
    }
    this.add(root, 2);
    if ((lf.mode & S_IFMT) === S_IFDIR) this.add(lf, FIRST_INO);
    // Number breadth-first so a directory's entries sit together in the inode table.
    const queue: Ext2TreeNode[] = [root];
    const parents = new Map<Ext2TreeNode, Ext2TreeNode>([[root, root]]);
    let next = FIRST_INO + 1;
    for (let qi = 0; qi < queue.length; qi++) {
      const dir = queue[qi];
      for (const [name, child] of dir.children!) {
        if (name === '.' || name === '..' || name === '' || name.includes('/')) throw new Error(`bad file name '${name}'`);
        let info = this.byNode.get(child);
        if (!info) info = this.add(child, next++);
        info.links++;
        if ((child.mode & S_IFMT) === S_IFDIR) {
          if (parents.has(child)) throw new Error(`directory '${name}' linked twice`);
          if (!child.children) throw new Error(`directory '${name}' has no entry map`);
          parents.set(child, dir);
          queue.push(child);
        }
      }
    }
    this.maxIno = Math.max(FIRST_INO, next - 1);
    for (const info of this.inodes) {
      const n = info.node;
      if (info.links > 65000) throw new Error(`inode ${info.ino} has ${info.links} links; ext2 allows 65000`);
      const type = n.mode & S_IFMT;
      if (type === S_IFDIR) {
        // '.' and the parent's entry, plus each subdirectory's '..'.
        info.links = 2;
        for (const c of n.children!.values()) if ((c.mode & S_IFMT) === S_IFDIR) info.links++;
        // EXT2_LINK_MAX: without dir_nlink a directory cannot hold more subdirectories.
        if (info.links > 32000) throw new Error(`a directory has ${info.links - 2} subdirectories; ext2 allows 31998`);
        info.dirBlocks = this.packDir(n, parents.get(n)!, info.ino === FIRST_INO && n === lf);
        info.size = info.dirBlocks.length * bs;
        info.dataBlocks = info.dirBlocks.length;
      } else if (type === S_IFREG) {
        info.bytes = n.data ?? new Uint8Array(0);
        info.size = info.bytes.length;
        info.dataBlocks = Math.ceil(info.size / bs);
      } else if (type === S_IFLNK) {
        const t = enc.encode(n.target ?? '');
        if (t.length === 0 || t.length >= bs) throw new Error(`symlink target of length ${t.length} cannot be stored`);
        info.size = t.length;
        // Up to 59 bytes live in i_block itself (a fast symlink, no data block).
        if (t.length >= 60) { info.bytes = t; info.dataBlocks = 1; }
        else info.bytes = t;
      }
      this.blocks += info.dataBlocks + indirectBlocks(info.dataBlocks, P);
    }
  }

  private add(node: Ext2TreeNode, ino: number): InodeInfo {
    const info: InodeInfo = { node, ino, links: 0, bytes: null, dataBlocks: 0, size: 0 };
    this.inodes.push(info);
    this.byNode.set(node, info);
    return info;
  }

  /** Directory entries packed into blocks; an entry never crosses a block, the last one of a block runs to its end. */
  private packDir(dir: Ext2TreeNode, parent: Ext2TreeNode, isLostFound: boolean): Uint8Array[] {
    const bs = this.bs;
    const blocks: Uint8Array[] = [];
    let cur = new Uint8Array(bs), used = 0, lastAt = -1;
    const close = () => {
      const dv = new DataView(cur.buffer);
      dv.setUint16(lastAt + 4, bs - lastAt, true);
      blocks.push(cur);
      cur = new Uint8Array(bs); used = 0; lastAt = -1;
    };
    const put = (name: Uint8Array, ino: number, type: number) => {
      if (name.length > 255) throw new Error(`file name longer than 255 bytes: ${new TextDecoder().decode(name)}`);
      const rec = (8 + name.length + 3) & ~3;
      if (used + rec > bs) close();
      const dv = new DataView(cur.buffer);
      dv.setUint32(used, ino, true);
      dv.setUint16(used + 4, rec, true);
      cur[used + 6] = name.length;
      cur[used + 7] = type;
      cur.set(name, used + 8);
      lastAt = used;
      used += rec;
    };
    put(enc.encode('.'), this.byNode.get(dir)!.ino, 2);
    put(enc.encode('..'), this.byNode.get(parent)!.ino, 2);
    for (const [name, child] of dir.children!) put(enc.encode(name), this.byNode.get(child)!.ino, direntType(child.mode));
    close();
    // lost+found gets room up front so e2fsck can reconnect files without allocating (as mke2fs does).
    if (isLostFound) {
      while (blocks.length * bs < LOST_FOUND_BYTES) {
        const b = new Uint8Array(bs);
        new DataView(b.buffer).setUint16(4, bs, true);
        blocks.push(b);
      }
    }
    return blocks;
  }
}

interface Geometry {
  bs: number;
  blocksCount: number;
  firstDataBlock: number;
  bpg: number;
  groups: number;
  ipg: number;
  gdtBlocks: number;
  itBlocks: number;
}

function groupStart(g: Geometry, i: number): number { return g.firstDataBlock + i * g.bpg; }
function groupBlocks(g: Geometry, i: number): number { return Math.min(g.bpg, g.blocksCount - groupStart(g, i)); }
function groupMeta(g: Geometry, i: number): number { return (groupHasSuper(i, true) ? 1 + g.gdtBlocks : 0) + 2 + g.itBlocks; }

function geometry(bs: number, blocksCount: number, inodesWanted: number): Geometry {
  const firstDataBlock = bs === 1024 ? 1 : 0;
  const bpg = bs * 8;
  let groups = Math.ceil((blocksCount - firstDataBlock) / bpg);
  const perBlock = bs / INODE_SIZE;
  const unit = Math.max(8, perBlock);
  for (;;) {
    let ipg = Math.ceil(inodesWanted / groups / unit) * unit;
    ipg = Math.min(ipg, Math.floor(bs * 8 / unit) * unit);
    const g: Geometry = {
      bs, blocksCount, firstDataBlock, bpg, groups, ipg,
      gdtBlocks: Math.ceil(groups * 32 / bs), itBlocks: ipg / perBlock,
    };
    // A last group too short for its own metadata is dropped, as mke2fs does.
    if (groups > 1 && groupBlocks(g, groups - 1) < groupMeta(g, groups - 1) + 16) {
      groups--;
      blocksCount = firstDataBlock + groups * bpg;
      continue;
    }
    return g;
  }
}

function inodesFor(p: Prepared, blocksCount: number, bs: number, wanted?: number): number {
  const need = p.maxIno;
  const dflt = Math.max(Math.ceil(need * 1.1) + 256, Math.floor(blocksCount * bs / BYTES_PER_INODE));
  return Math.max(need, wanted ?? dflt);
}

function capacity(g: Geometry): number {
  let n = 0;
  for (let i = 0; i < g.groups; i++) n += groupBlocks(g, i) - groupMeta(g, i);
  return n;
}

/** Smallest image (bytes) that holds the tree, with the given options (inodes included). */
export function measureExt2(root: Ext2TreeNode, o: Ext2WriteOptions = {}): { minBytes: number; dataBlocks: number; inodesUsed: number } {
  const bs = o.blockSize ?? 4096;
  const p = new Prepared(root, bs, o.now ?? 0);
  let blocks = p.blocks + 64;
  for (;;) {
    const g = geometry(bs, blocks, inodesFor(p, blocks, bs, o.inodes));
    if (g.ipg * g.groups >= p.maxIno && capacity(g) >= p.blocks) return { minBytes: g.blocksCount * bs, dataBlocks: p.blocks, inodesUsed: p.maxIno };
    blocks = Math.ceil(blocks * 1.02) + 64;
  }
}

/**
 * Write the tree as an ext2 image of `o.sizeBytes` bytes through `sink`. Throws
 * Ext2TooSmallError (with the size needed) when it does not fit.
 */
export function writeExt2(root: Ext2TreeNode, o: Ext2WriteOptions, sink: Ext2Sink): { blocksCount: number; freeBlocks: number; inodesCount: number; freeInodes: number } {
  const bs = o.blockSize ?? 4096;
  if (bs !== 1024 && bs !== 2048 && bs !== 4096) throw new Error(`unsupported block size ${bs}`);
  if (!o.sizeBytes) throw new Error('writeExt2 needs sizeBytes');
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const p = new Prepared(root, bs, now);
  const blocksCount = Math.floor(o.sizeBytes / bs);
  const tooSmall = () => new Ext2TooSmallError(measureExt2(root, o).minBytes, o.sizeBytes!);
  if (blocksCount < 64) throw tooSmall();
  const g = geometry(bs, blocksCount, inodesFor(p, blocksCount, bs, o.inodes));
  if (g.ipg * g.groups < p.maxIno || capacity(g) < p.blocks) throw tooSmall();
  const P = bs / 4;
  const inodesCount = g.ipg * g.groups;

  // Per-group metadata positions and bitmaps.
  const blockBitmaps: Uint8Array[] = [], inodeBitmaps: Uint8Array[] = [];
  const bbAt: number[] = [], ibAt: number[] = [], itAt: number[] = [], dataAt: number[] = [];
  for (let i = 0; i < g.groups; i++) {
    const start = groupStart(g, i);
    let b = start + (groupHasSuper(i, true) ? 1 + g.gdtBlocks : 0);
    bbAt.push(b++); ibAt.push(b++); itAt.push(b); b += g.itBlocks; dataAt.push(b);
    const bb = new Uint8Array(bs);
    for (let k = 0; k < b - start; k++) bb[k >> 3] |= 1 << (k & 7);
    // Bits past the end of a short last group are set (e2fsck checks this padding).
    for (let k = groupBlocks(g, i); k < bs * 8; k++) bb[k >> 3] |= 1 << (k & 7);
    blockBitmaps.push(bb);
    const ib = new Uint8Array(bs);
    for (let k = g.ipg; k < bs * 8; k++) ib[k >> 3] |= 1 << (k & 7);
    inodeBitmaps.push(ib);
  }

  // Block allocator: next free block in order, skipping each group's metadata.
  let cur = dataAt[0];
  const alloc = (): number => {
    for (;;) {
      if (cur >= g.blocksCount) throw tooSmall();
      const grp = Math.floor((cur - g.firstDataBlock) / g.bpg);
      if (cur < dataAt[grp]) { cur = dataAt[grp]; continue; }
      const k = cur - groupStart(g, grp);
      blockBitmaps[grp][k >> 3] |= 1 << (k & 7);
      return cur++;
    }
  };

  const inodeTables = new Map<number, Uint8Array>();
  const usedDirs = new Array<number>(g.groups).fill(0);
  const markInode = (ino: number) => {
    const grp = Math.floor((ino - 1) / g.ipg), k = (ino - 1) % g.ipg;
    inodeBitmaps[grp][k >> 3] |= 1 << (k & 7);
  };
  for (let ino = 1; ino < FIRST_INO; ino++) markInode(ino);

  for (const info of p.inodes) {
    const n = info.node;
    const type = n.mode & S_IFMT;
    markInode(info.ino);
    if (type === S_IFDIR) usedDirs[Math.floor((info.ino - 1) / g.ipg)]++;
    // Map the data blocks (with indirect blocks before the data they point to).
    const iblock = new Uint32Array(15);
    const data = new Uint32Array(info.dataBlocks);
    let k = 0, meta = 0;
    const take = (): number => (data[k++] = alloc());
    const indirect = (level: number): number => {
      const blk = alloc();
      meta++;
      const ptrs = new Uint32Array(P);
      for (let i = 0; i < P && k < info.dataBlocks; i++) ptrs[i] = level === 1 ? take() : indirect(level - 1);
      sink(blk * bs, new Uint8Array(ptrs.buffer));
      return blk;
    };
    for (let i = 0; i < N_DIRECT && k < info.dataBlocks; i++) iblock[i] = take();
    for (let level = 1; level <= 3 && k < info.dataBlocks; level++) iblock[N_DIRECT + level - 1] = indirect(level);
    // Contents, in runs of consecutive blocks.
    if (info.dirBlocks) {
      info.dirBlocks.forEach((b, i) => sink(data[i] * bs, b));
    } else if (info.dataBlocks > 0 && info.bytes) {
      const bytes = info.bytes;
      for (let i = 0; i < info.dataBlocks;) {
        let j = i + 1;
        while (j < info.dataBlocks && data[j] === data[j - 1] + 1) j++;
        sink(data[i] * bs, bytes.subarray(i * bs, Math.min(bytes.length, j * bs)));
        i = j;
      }
    }
    // The inode itself.
    const grp = Math.floor((info.ino - 1) / g.ipg);
    let table = inodeTables.get(grp);
    if (!table) { table = new Uint8Array(g.ipg * INODE_SIZE); inodeTables.set(grp, table); }
    const at = ((info.ino - 1) % g.ipg) * INODE_SIZE;
    const dv = new DataView(table.buffer, at, INODE_SIZE);
    const size = info.size;
    dv.setUint16(0x00, n.mode & 0xffff, true);
    dv.setUint16(0x02, n.uid & 0xffff, true);
    dv.setUint32(0x04, size % 2 ** 32, true);
    const t = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.floor(n.mtime)));
    dv.setInt32(0x08, t, true); dv.setInt32(0x0c, t, true); dv.setInt32(0x10, t, true);
    dv.setUint16(0x18, n.gid & 0xffff, true);
    dv.setUint16(0x1a, info.links, true);
    const sectors = (info.dataBlocks + meta) * (bs / 512);
    dv.setUint32(0x1c, sectors % 2 ** 32, true);
    if (type === S_IFLNK && info.dataBlocks === 0) {
      table.set(info.bytes!, at + 0x28);
    } else if (type === S_IFCHR || type === S_IFBLK) {
      const { major, minor } = n.rdev ?? { major: 0, minor: 0 };
      // Old 16-bit form when both halves fit a byte, else the new form in i_block[1] (kernel's ext2 does the same).
      if (major < 256 && minor < 256) dv.setUint32(0x28, (major << 8) | minor, true);
      else dv.setUint32(0x2c, ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0, true);
    } else {
      for (let i = 0; i < 15; i++) dv.setUint32(0x28 + i * 4, iblock[i], true);
    }
    if (type === S_IFREG) dv.setUint32(0x6c, Math.floor(size / 2 ** 32), true);
    dv.setUint16(0x78, (n.uid >>> 16) & 0xffff, true);
    dv.setUint16(0x7a, (n.gid >>> 16) & 0xffff, true);
    dv.setUint16(0x80, EXTRA_ISIZE, true);
    dv.setInt32(0x90, t, true); // i_crtime
  }

  // Counts, descriptors, superblocks.
  const popcount = (b: Uint8Array, bits: number): number => {
    let c = 0;
    for (let k = 0; k < bits; k++) if (b[k >> 3] & (1 << (k & 7))) c++;
    return c;
  };
  const gdt = new Uint8Array(g.gdtBlocks * bs);
  const gdv = new DataView(gdt.buffer);
  let freeBlocks = 0, freeInodes = 0;
  for (let i = 0; i < g.groups; i++) {
    const fb = groupBlocks(g, i) - popcount(blockBitmaps[i], groupBlocks(g, i));
    const fi = g.ipg - popcount(inodeBitmaps[i], g.ipg);
    freeBlocks += fb; freeInodes += fi;
    const o2 = i * 32;
    gdv.setUint32(o2 + 0x00, bbAt[i], true);
    gdv.setUint32(o2 + 0x04, ibAt[i], true);
    gdv.setUint32(o2 + 0x08, itAt[i], true);
    gdv.setUint16(o2 + 0x0c, fb, true);
    gdv.setUint16(o2 + 0x0e, fi, true);
    gdv.setUint16(o2 + 0x10, usedDirs[i], true);
    sink(bbAt[i] * bs, blockBitmaps[i]);
    sink(ibAt[i] * bs, inodeBitmaps[i]);
    const table = inodeTables.get(i);
    if (table) sink(itAt[i] * bs, table);
  }
  const uuid = o.uuid ?? randomBytes(16);
  const sb = new Uint8Array(1024);
  const s = new DataView(sb.buffer);
  s.setUint32(0x00, inodesCount, true);
  s.setUint32(0x04, g.blocksCount, true);
  s.setUint32(0x08, 0, true); // no blocks reserved for root: an image, not a system disk
  s.setUint32(0x0c, freeBlocks, true);
  s.setUint32(0x10, freeInodes, true);
  s.setUint32(0x14, g.firstDataBlock, true);
  s.setUint32(0x18, Math.log2(bs) - 10, true);
  s.setUint32(0x1c, Math.log2(bs) - 10, true);
  s.setUint32(0x20, g.bpg, true);
  s.setUint32(0x24, g.bpg, true);
  s.setUint32(0x28, g.ipg, true);
  s.setUint32(0x30, now, true); // s_wtime
  s.setInt16(0x36, -1, true); // s_max_mnt_count: no forced checks
  s.setUint16(0x38, EXT2_SUPER_MAGIC, true);
  s.setUint16(0x3a, 1, true); // EXT2_VALID_FS
  s.setUint16(0x3c, 1, true); // EXT2_ERRORS_CONTINUE
  s.setUint32(0x40, now, true); // s_lastcheck
  s.setUint32(0x4c, 1, true); // EXT2_DYNAMIC_REV
  s.setUint32(0x54, FIRST_INO, true);
  s.setUint16(0x58, INODE_SIZE, true);
  s.setUint32(0x60, 0x0002, true); // filetype
  s.setUint32(0x64, 0x0001 | 0x0002, true); // sparse_super, large_file
  sb.set(uuid.subarray(0, 16), 0x68);
  sb.set(enc.encode(o.volumeName ?? '').subarray(0, 16), 0x78);
  sb.set(randomBytes(16), 0xec); // s_hash_seed
  s.setUint32(0x108, now, true); // s_mkfs_time
  s.setUint16(0x15c, EXTRA_ISIZE, true); // s_min_extra_isize
  s.setUint16(0x15e, EXTRA_ISIZE, true); // s_want_extra_isize
  for (let i = 0; i < g.groups; i++) {
    if (!groupHasSuper(i, true)) continue;
    s.setUint16(0x5a, i, true); // s_block_group_nr
    const start = groupStart(g, i);
    sink(i === 0 ? SUPERBLOCK_OFFSET : start * bs, sb.slice());
    sink((start + 1) * bs, gdt);
  }
  return { blocksCount: g.blocksCount, freeBlocks, inodesCount, freeInodes };
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (c) c.getRandomValues(b);
  else for (let i = 0; i < n; i++) b[i] = Math.floor(Math.random() * 256);
  return b;
}
