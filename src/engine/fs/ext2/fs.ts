/**
 * Read-only ext2: mounting (superblock and group descriptor checks), the block cache, inode
 * loading and logical-to-physical block mapping. The Inode objects live in inode.ts.
 */
import type { BlockDevice } from '../../block/types.js';
import type { FileSystem, FsStats } from '../types.js';
import { Lru } from './cache.js';
import {
  EXT2_ROOT_INO, EXT2_SUPER_MAGIC, EXT4_EXTENTS_FL, EXT4_INLINE_DATA_FL, type GroupDesc,
  INCOMPAT_FEATURES, N_DIRECT, IND_BLOCK, DIND_BLOCK, TIND_BLOCK, RO_COMPAT_FEATURES, RO_COMPAT_SPARSE_SUPER,
  type RawInode, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, SUPPORTED_INCOMPAT, type Superblock,
  UNSUPPORTED_RO_COMPAT_FOR_READ, featureNames, groupHasSuper, parseGroupDesc, parseInode, parseSuperblock,
} from './layout.js';
import { Ext2Dir, type Ext2Inode, makeInode } from './inode.js';

/** Damage found while reading: inode methods turn it into -EIO. */
export class Ext2CorruptError extends Error {}

/** Metadata blocks kept (indirect blocks, directory blocks, inode table blocks). */
const BLOCK_CACHE_BLOCKS = 1024;
const INODE_CACHE = 4096;

export class Ext2Fs implements FileSystem {
  readonly type = 'ext2';
  readonly readOnly = true;
  readonly dev: number;
  readonly device: BlockDevice;
  readonly sb: Superblock;
  readonly blockSize: number;
  readonly groups: GroupDesc[];
  /** True when directory entries carry a file type byte (filetype feature). */
  readonly hasFiletype: boolean;
  readonly hugeFile: boolean;
  root!: Ext2Dir;
  private readonly blocks = new Lru<number, Uint8Array>(BLOCK_CACHE_BLOCKS);
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  private readonly inodes = new Lru<number, Ext2Inode>(INODE_CACHE);

  private constructor(device: BlockDevice, dev: number, sb: Superblock, groups: GroupDesc[]) {
    this.device = device;
    this.dev = dev;
    this.sb = sb;
    this.blockSize = 1024 << sb.logBlockSize;
    this.groups = groups;
    this.hasFiletype = (sb.featureIncompat & 0x0002) !== 0;
    this.hugeFile = (sb.featureRoCompat & 0x0008) !== 0;
  }

  /**
   * Check the superblock and group descriptors and load the root directory. Throws an
   * Error naming the problem when the device does not hold an ext2 file system we can read.
   */
  static async mount(device: BlockDevice, dev: number): Promise<Ext2Fs> {
    if (device.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
      throw new Error(`not an ext2 image: device is only ${device.size} bytes`);
    }
    const sb = parseSuperblock(await device.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE));
    if (sb.magic !== EXT2_SUPER_MAGIC) {
      throw new Error(`not an ext2 image: bad magic 0x${sb.magic.toString(16).padStart(4, '0')} (expected 0xef53)`);
    }
    checkGeometry(sb, device.size);
    checkFeatures(sb);
    const bs = 1024 << sb.logBlockSize;
    const nGroups = Math.ceil((sb.blocksCount - sb.firstDataBlock) / sb.blocksPerGroup);
    // The descriptor table follows the superblock's block (block 1 or 2 by block size).
    const gdtOffset = (sb.firstDataBlock + 1) * bs;
    const gdtBytes = nGroups * sb.descSize;
    if (gdtOffset + gdtBytes > device.size) throw new Error('corrupt ext2 image: group descriptors past the end');
    const raw = await device.read(gdtOffset, gdtBytes);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const itb = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / bs);
    const groups: GroupDesc[] = [];
    for (let g = 0; g < nGroups; g++) {
      const gd = parseGroupDesc(dv, g * sb.descSize, sb.descSize);
      if (gd.inodeTable < sb.firstDataBlock || gd.inodeTable + itb > sb.blocksCount) {
        throw new Error(`corrupt ext2 image: group ${g} inode table at block ${gd.inodeTable} is outside the file system`);
      }
      groups.push(gd);
    }
    const fs = new Ext2Fs(device, dev, sb, groups);
    try {
      const root = await fs.inode(EXT2_ROOT_INO);
      if (!(root instanceof Ext2Dir)) throw new Ext2CorruptError('root inode is not a directory');
      fs.root = root;
    } catch (e) {
      throw new Error(`corrupt ext2 image: ${(e as Error).message}`);
    }
    return fs;
  }

  /** One block, through the cache. Concurrent misses on the same block share one read. */
  async block(n: number): Promise<Uint8Array> {
    if (n >= this.sb.blocksCount || n < this.sb.firstDataBlock) {
      throw new Ext2CorruptError(`block ${n} outside the file system`);
    }
    const hit = this.blocks.get(n);
    if (hit) return hit;
    const pending = this.inflight.get(n);
    if (pending) return pending;
    const p = (async () => {
      try {
        const b = await this.device.read(n * this.blockSize, this.blockSize);
        this.blocks.set(n, b);
        return b;
      } finally {
        this.inflight.delete(n);
      }
    })();
    this.inflight.set(n, p);
    return p;
  }

  /** Raw bytes straight from the device (file data, which would only churn the cache). */
  async readRaw(block: number, count: number, skip: number, length: number): Promise<Uint8Array> {
    if (block < this.sb.firstDataBlock || block + count > this.sb.blocksCount) {
      throw new Ext2CorruptError(`blocks ${block}+${count} outside the file system`);
    }
    return this.device.read(block * this.blockSize + skip, length);
  }

  /** The inode object for `ino`, loaded and checked; throws Ext2CorruptError. */
  async inode(ino: number): Promise<Ext2Inode> {
    const hit = this.inodes.get(ino);
    if (hit) return hit;
    const raw = await this.rawInode(ino);
    const node = makeInode(this, ino, raw);
    this.inodes.set(ino, node);
    return node;
  }

  private async rawInode(ino: number): Promise<RawInode> {
    const sb = this.sb;
    if (ino < 1 || ino > sb.inodesCount) throw new Ext2CorruptError(`inode number ${ino} out of range`);
    const g = Math.floor((ino - 1) / sb.inodesPerGroup);
    const index = (ino - 1) % sb.inodesPerGroup;
    const byteInTable = index * sb.inodeSize;
    const blk = this.groups[g].inodeTable + Math.floor(byteInTable / this.blockSize);
    const off = byteInTable % this.blockSize;
    const b = await this.block(blk);
    const raw = parseInode(b.subarray(off, off + sb.inodeSize));
    if (raw.linksCount === 0 || raw.mode === 0) throw new Ext2CorruptError(`inode ${ino} is not in use`);
    if (raw.flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)) {
      throw new Ext2CorruptError(`inode ${ino} uses extents or inline data, which ext2 cannot read`);
    }
    return raw;
  }

  /**
   * Physical block holding logical block `lb` of a file with pointers `iblock`, or 0 for a
   * hole. Each indirect level holds blockSize/4 pointers.
   */
  async mapBlock(iblock: Uint32Array, lb: number): Promise<number> {
    const per = this.blockSize / 4;
    if (lb < N_DIRECT) return iblock[lb];
    lb -= N_DIRECT;
    if (lb < per) return this.walk(iblock[IND_BLOCK], lb, 1);
    lb -= per;
    if (lb < per * per) return this.walk(iblock[DIND_BLOCK], lb, 2);
    lb -= per * per;
    if (lb < per * per * per) return this.walk(iblock[TIND_BLOCK], lb, 3);
    throw new Ext2CorruptError(`logical block ${lb} beyond triple indirection`);
  }

  private async walk(ptr: number, lb: number, depth: number): Promise<number> {
    const per = this.blockSize / 4;
    for (let level = depth - 1; level >= 0; level--) {
      if (ptr === 0) return 0;
      const b = await this.block(ptr);
      const span = per ** level;
      const idx = Math.floor(lb / span);
      lb %= span;
      ptr = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(idx * 4, true);
    }
    return ptr;
  }

  /**
   * statfs numbers. Like Linux's ext2_statfs, "blocks" leaves out the metadata overhead
   * (superblock copies, descriptor tables, bitmaps, inode tables), and free counts are
   * summed from the group descriptors.
   */
  statfs(): FsStats {
    const sb = this.sb;
    const n = this.groups.length;
    const gdbCount = Math.ceil((n * sb.descSize) / this.blockSize);
    const itb = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / this.blockSize);
    const sparse = (sb.featureRoCompat & RO_COMPAT_SPARSE_SUPER) !== 0;
    let overhead = sb.firstDataBlock + n * (2 + itb);
    for (let g = 0; g < n; g++) if (groupHasSuper(g, sparse)) overhead += 1 + gdbCount;
    let bfree = 0, ffree = 0;
    for (const gd of this.groups) { bfree += gd.freeBlocks; ffree += gd.freeInodes; }
    return {
      type: EXT2_SUPER_MAGIC,
      bsize: this.blockSize,
      blocks: sb.blocksCount - overhead,
      bfree,
      bavail: Math.max(0, bfree - sb.rBlocksCount),
      files: sb.inodesCount,
      ffree,
      namelen: 255,
    };
  }
}

function checkGeometry(sb: Superblock, deviceSize: number): void {
  const bad = (why: string): never => { throw new Error(`corrupt ext2 image: ${why}`); };
  // 1 KiB to 64 KiB blocks are valid ext2; dirent rec_len needs special coding at 64 KiB.
  if (sb.logBlockSize > 5) bad(`block size 2^${10 + sb.logBlockSize} is not supported`);
  const bs = 1024 << sb.logBlockSize;
  if (sb.firstDataBlock !== (bs === 1024 ? 1 : 0)) bad(`first data block ${sb.firstDataBlock} with ${bs}-byte blocks`);
  if (sb.blocksPerGroup === 0 || sb.blocksPerGroup > bs * 8) bad(`blocks per group ${sb.blocksPerGroup}`);
  if (sb.inodesPerGroup === 0 || sb.inodesPerGroup > bs * 8) bad(`inodes per group ${sb.inodesPerGroup}`);
  if (sb.inodeSize < 128 || sb.inodeSize > bs || (sb.inodeSize & (sb.inodeSize - 1)) !== 0) bad(`inode size ${sb.inodeSize}`);
  if (sb.descSize < 32 || (sb.descSize & (sb.descSize - 1)) !== 0) bad(`group descriptor size ${sb.descSize}`);
  if (sb.blocksCount <= sb.firstDataBlock) bad(`block count ${sb.blocksCount}`);
  const nGroups = Math.ceil((sb.blocksCount - sb.firstDataBlock) / sb.blocksPerGroup);
  if (Math.ceil(sb.inodesCount / sb.inodesPerGroup) !== nGroups) {
    bad(`${sb.inodesCount} inodes in ${nGroups} groups of ${sb.inodesPerGroup}`);
  }
  if (sb.blocksCount * bs > deviceSize) {
    bad(`the file system needs ${sb.blocksCount * bs} bytes but the device has ${deviceSize} (truncated image?)`);
  }
}

function checkFeatures(sb: Superblock): void {
  const incompat = sb.featureIncompat & ~SUPPORTED_INCOMPAT;
  if (incompat) {
    throw new Error(`ext2: cannot mount, unsupported incompatible features: ${featureNames(incompat, INCOMPAT_FEATURES).join(', ')}`);
  }
  const ro = sb.featureRoCompat & UNSUPPORTED_RO_COMPAT_FOR_READ;
  if (ro) throw new Error(`ext2: cannot mount, unsupported features: ${featureNames(ro, RO_COMPAT_FEATURES).join(', ')}`);
  // Compatible features (journal, ext_attr, resize_inode, dir_index ...) never prevent reading.
}
