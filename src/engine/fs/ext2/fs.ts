/**
 * ext2: mounting (superblock and group descriptor checks), the block cache with write-back,
 * inode loading and identity, logical-to-physical block mapping, and sync. Inode objects
 * live in inode.ts and dir.ts; allocation in alloc.ts; block maps that grow and shrink in
 * bmap.ts. docs/EXT2.md describes the write policy and its crash-safety.
 */
import { type BlockDevice, readInto } from '../../block/types.js';
import { DiskError } from '../../block/remote.js';
import type { FileSystem, FsStats } from '../types.js';
import { nowTimespec } from '../tmpfs.js';
import { Lru } from './cache.js';
import {
  EXT2_ERROR_FS, EXT2_ROOT_INO, EXT2_SUPER_MAGIC, EXT2_VALID_FS, EXT4_EXTENTS_FL, EXT4_INLINE_DATA_FL, type GroupDesc,
  INCOMPAT_FEATURES, N_DIRECT, IND_BLOCK, DIND_BLOCK, TIND_BLOCK, RO_COMPAT_FEATURES, RO_COMPAT_LARGE_FILE,
  RO_COMPAT_SPARSE_SUPER, type RawInode, SB_FEATURE_RO_COMPAT, SB_FREE_BLOCKS, SB_FREE_BLOCKS_HI, SB_FREE_INODES,
  SB_ERROR_COUNT, SB_MNT_COUNT, SB_MTIME, SB_RESERVED_GDT_BLOCKS, SB_STATE, SB_WTIME, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE, SUPPORTED_INCOMPAT, type Superblock,
  UNSUPPORTED_RO_COMPAT_FOR_READ, WRITABLE_INCOMPAT, WRITABLE_RO_COMPAT, featureNames, groupHasSuper, parseGroupDesc,
  parseInode, parseSuperblock, serializeInode, storeGroupCounts,
} from './layout.js';
import { Ext2Dir } from './dir.js';
import type { Ext2Inode } from './inode.js';
import { makeInode } from './make.js';

import { Ext2CorruptError, Ext2NoSpaceError } from './errors.js';

export { Ext2CorruptError, Ext2NoSpaceError };

/** Clean metadata blocks kept (indirect blocks, directory blocks, inode table blocks, bitmaps). */
const BLOCK_CACHE_BLOCKS = 1024;
/** Recently used inode objects kept alive (others live as long as someone holds them). */
const INODE_CACHE = 4096;
/**
 * Dirty metadata blocks (and dirty inodes) that trigger a write-back without waiting for
 * sync(): bounds memory during a large untar, like the kernel's periodic writeback.
 */
const WRITEBACK_THRESHOLD = 4096;
/**
 * On a device with atomic flushes (a journaled overlay), file data written since the last
 * flush that makes the file system write back and flush, so the device's journal stays
 * bounded: every flush is a consistent point, so flushing more often costs fsyncs, not safety.
 */
const ATOMIC_COMMIT_BYTES = 64 << 20;

/** A failure that made an operation answer EIO, in words. */
export interface Ext2ErrorReport { message: string; advice: string; at: number }

export interface Ext2MountOptions {
  /**
   * Ask for a writable mount. It is granted only when the device accepts writes, every
   * feature is one this writer keeps consistent, and the file system is marked clean
   * without errors; otherwise the mount is read-only and `roReason` says why.
   */
  writable?: boolean;
  /**
   * Access-time policy on a writable mount: 'relatime' (the Linux default: update atime
   * when it is older than mtime or ctime, or a day old) or 'noatime'.
   */
  atime?: 'relatime' | 'noatime';
  /** Dirty blocks plus inodes that trigger a write-back between syncs (default 4096). */
  writebackThreshold?: number;
}

type WritableDevice = BlockDevice & {
  write?(offset: number, data: Uint8Array): void | Promise<void>;
  flush?(): void | Promise<void>;
  readOnly?: boolean;
};

export class Ext2Fs implements FileSystem {
  readonly type = 'ext2';
  readonly readOnly: boolean;
  /** Why a writable mount was refused (null when writable or not asked for). */
  readonly roReason: string | null;
  readonly dev: number;
  readonly device: WritableDevice;
  readonly sb: Superblock;
  readonly blockSize: number;
  readonly groups: GroupDesc[];
  /** True when directory entries carry a file type byte (filetype feature). */
  readonly hasFiletype: boolean;
  readonly hugeFile: boolean;
  readonly noatime: boolean;
  private readonly writebackThreshold: number;
  /** Largest file size the block maps (and i_blocks) can describe. */
  readonly maxFileSize: number;
  root!: Ext2Dir;

  private readonly blocks = new Lru<number, Uint8Array>(BLOCK_CACHE_BLOCKS);
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  /** Modified metadata blocks not yet on the device (owned copies, never evicted). */
  private readonly dirty = new Map<number, Uint8Array>();
  /**
   * One object per inode number while anyone holds it: an open file and a later lookup
   * must share state, or their block maps would diverge. `recent` keeps hot ones alive.
   */
  private readonly inodeRefs = new Map<number, WeakRef<Ext2Inode>>();
  private readonly recent = new Lru<number, Ext2Inode>(INODE_CACHE);
  private readonly loading = new Map<number, Promise<Ext2Inode>>();
  private readonly dirtyInodes = new Map<number, Ext2Inode>();
  /** Inodes with no name left but still open: freed at their last close or at unmount. */
  readonly orphans = new Set<Ext2Inode>();
  private readonly gone = new FinalizationRegistry<number>((ino) => {
    if (this.inodeRefs.get(ino)?.deref() === undefined) this.inodeRefs.delete(ino);
  });
  /** Private copies of the superblock and descriptor table, patched and written back. */
  private readonly sbRaw: Uint8Array;
  private readonly gdtRaw: Uint8Array;
  private readonly gdtOffset: number;
  private metaDirty = false;
  private errors = false;
  /**
   * The device's flushes are atomic (BlockDevice.atomicFlush): every flush is made at a
   * consistent point and the superblock stays marked clean in each, so a crash leaves a
   * clean file system as of the last flush instead of one needing e2fsck.
   */
  private readonly atomic: boolean;
  /** File data written since the last flush (atomic mode bounds it). */
  private rawBytes = 0;
  /** Something was written (to the device or to a dirty copy) since the last write-back. */
  private changed = false;
  /**
   * Called after an operation that changed the file system (urgent: a written file was
   * closed). The host uses it to write back within a bounded delay (writeback.ts) rather than
   * on a fixed period, so a page closed soon after a write keeps it. Errors are its own.
   */
  onChange: ((urgent: boolean) => void) | null = null;
  /**
   * The last device failure or damage an operation met: what a guest's EIO stood for, for
   * the host to print where the guest's "Input/output error" alone would say nothing.
   */
  lastError: Ext2ErrorReport | null = null;
  /** Called with each such failure as it happens (the host prints or forwards it). */
  onError: ((r: Ext2ErrorReport) => void) | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  /** Operations in exclusive() not yet finished (running or waiting their turn). */
  private opsPending = 0;
  /** When the operation holding the chain started (performance.now(); 0 when none). */
  private opSince = 0;

  private constructor(device: BlockDevice, dev: number, sb: Superblock, groups: GroupDesc[], sbRaw: Uint8Array,
    gdtRaw: Uint8Array, gdtOffset: number, roReason: string | null, writable: boolean, opts: Ext2MountOptions) {
    this.device = device;
    this.dev = dev;
    this.sb = sb;
    this.blockSize = 1024 << sb.logBlockSize;
    this.groups = groups;
    this.hasFiletype = (sb.featureIncompat & 0x0002) !== 0;
    this.hugeFile = (sb.featureRoCompat & 0x0008) !== 0;
    this.sbRaw = sbRaw;
    this.gdtRaw = gdtRaw;
    this.gdtOffset = gdtOffset;
    this.roReason = roReason;
    this.readOnly = !writable;
    this.noatime = opts.atime === 'noatime';
    this.writebackThreshold = opts.writebackThreshold ?? WRITEBACK_THRESHOLD;
    this.atomic = writable && device.atomicFlush === true;
    const P = this.blockSize / 4;
    const maxBlocks = N_DIRECT + P + P * P + P * P * P;
    // i_blocks counts 512-byte sectors in 32 bits (without huge_file): 2 TiB less the
    // indirect blocks, which the kernel's ext2_max_size also subtracts (roughly, here).
    const sectorLimit = (2 ** 32 - 1) * 512 - (maxBlocks / P + P + 2) * this.blockSize;
    this.maxFileSize = Math.min(maxBlocks * this.blockSize, sectorLimit);
  }

  /**
   * Check the superblock and group descriptors and load the root directory. Throws an
   * Error naming the problem when the device does not hold an ext2 file system we can read.
   */
  static async mount(device: BlockDevice, dev: number, opts: Ext2MountOptions = {}): Promise<Ext2Fs> {
    if (device.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
      throw new Error(`not an ext2 image: device is only ${device.size} bytes`);
    }
    const sbRaw = (await device.read(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)).slice();
    const sb = parseSuperblock(sbRaw);
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
    const raw = (await device.read(gdtOffset, gdtBytes)).slice();
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
    const roReason = opts.writable ? whyReadOnly(device as WritableDevice, sb, sbRaw) : null;
    const writable = !!opts.writable && roReason === null;
    const fs = new Ext2Fs(device, dev, sb, groups, sbRaw, raw, gdtOffset, roReason, writable, opts);
    try {
      const root = await fs.inode(EXT2_ROOT_INO);
      if (!(root instanceof Ext2Dir)) throw new Ext2CorruptError('root inode is not a directory');
      fs.root = root;
    } catch (e) {
      throw new Error(`corrupt ext2 image: ${(e as Error).message}`);
    }
    if (writable) await fs.markMounted();
    return fs;
  }

  // ---- Serialisation of operations ----

  /**
   * Run fn alone. On a writable mount every inode operation goes through here, so an
   * operation that waits for the device never interleaves with another one's half-made
   * changes (allocations, directory blocks, block maps). Read-only mounts run fn at once.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.readOnly) return fn();
    this.opsPending++;
    const run = this.tail.then(async () => {
      this.opSince = performance.now();
      try {
        const r = await fn();
        if (this.dirty.size + this.dirtyInodes.size > this.writebackThreshold || (this.atomic && this.rawBytes > ATOMIC_COMMIT_BYTES)) {
          await this.writeBack();
          if (this.atomic) await this.flushDevice();
        }
        if (this.changed) this.notify(false);
        return r;
      } catch (e) {
        if (this.changed) this.notify(false);
        // Anything but a full disk is damage or a device failure: the on-disk state may be
        // half-updated, so record it as the kernel's ext2_error does (e2fsck will check).
        if (!(e instanceof Ext2NoSpaceError)) this.errors = true;
        throw e;
      } finally {
        this.opsPending--;
        this.opSince = 0;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * The operation chain as a host's stall report shows it: operations not finished (the one
   * running and those waiting for it) and how long the running one has held the chain (ms;
   * 0 when idle). A file system wait that never ends shows here as a count that stays up and
   * a time that grows; the desktop test (test/display/i3-desktop.test.ts) logs it with each
   * task's system call when a command takes long.
   */
  get chain(): { pending: number; runningMs: number } {
    return { pending: this.opsPending, runningMs: this.opSince === 0 ? 0 : performance.now() - this.opSince };
  }

  /** An operation failed with `e` (the guest gets EIO): record it and tell the host. */
  reportError(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    const r: Ext2ErrorReport = e instanceof DiskError
      ? { message: `reading the disk failed: ${msg}`, advice: e.advice, at: Date.now() }
      : e instanceof Ext2CorruptError
        ? { message: `the ext2 file system is damaged: ${msg}`, advice: 'check the image with e2fsck -f (webx86 fsck for an --overlay)', at: Date.now() }
        : { message: `the disk failed: ${msg}`, advice: 'see the message; the operation can be tried again', at: Date.now() };
    this.lastError = r;
    try { this.onError?.(r); } catch { /* the host's problem */ }
  }

  /** Tell the host that something is waiting to be written back. */
  notify(urgent: boolean): void {
    try { this.onChange?.(urgent); } catch { /* the host's problem, never the operation's */ }
  }

  /** True when written data or metadata has not been written back since the last sync. */
  get hasChanges(): boolean {
    return this.changed || this.dirty.size > 0 || this.dirtyInodes.size > 0;
  }

  // ---- Blocks ----

  /** One block, through the cache. Concurrent misses on the same block share one read. */
  async block(n: number): Promise<Uint8Array> {
    this.checkBlock(n);
    const d = this.dirty.get(n);
    if (d) return d;
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

  /** A metadata block to modify: an owned copy, kept dirty until written back. */
  async blockW(n: number): Promise<Uint8Array> {
    const d = this.dirty.get(n);
    if (d) return d;
    const copy = (await this.block(n)).slice();
    this.changed = true;
    this.dirty.set(n, copy);
    this.blocks.set(n, copy);
    return copy;
  }

  /** A freshly allocated metadata block: zeros, dirty, with no read of the old contents. */
  newBlockW(n: number): Uint8Array {
    this.checkBlock(n);
    const b = new Uint8Array(this.blockSize);
    this.changed = true;
    this.dirty.set(n, b);
    this.blocks.set(n, b);
    return b;
  }

  /**
   * Drop a freed block from the caches: a dirty copy written back later would overwrite
   * whatever the block holds by then (file data written straight to the device).
   */
  forget(n: number): void {
    this.dirty.delete(n);
    this.blocks.delete(n);
  }

  private checkBlock(n: number): void {
    if (n >= this.sb.blocksCount || n < this.sb.firstDataBlock) {
      throw new Ext2CorruptError(`block ${n} outside the file system`);
    }
  }

  /**
   * Raw bytes straight from the device into `dest` (file data, which would only churn the
   * cache): `dest.length` bytes from `skip` into the `count` blocks at `block`.
   */
  async readRawInto(block: number, count: number, skip: number, dest: Uint8Array): Promise<void> {
    if (block < this.sb.firstDataBlock || block + count > this.sb.blocksCount) {
      throw new Ext2CorruptError(`blocks ${block}+${count} outside the file system`);
    }
    await readInto(this.device, block * this.blockSize + skip, dest);
  }

  /**
   * File data goes straight to the device (write-through): data then always reaches the
   * disk before the metadata that points at it, which is written back later.
   */
  async writeRaw(offset: number, data: Uint8Array): Promise<void> {
    if (offset < this.sb.firstDataBlock * this.blockSize || offset + data.length > this.sb.blocksCount * this.blockSize) {
      throw new Ext2CorruptError(`write at ${offset}+${data.length} outside the file system`);
    }
    this.changed = true;
    // Counted in the device's blocks: an overlay keeps whole blocks until the flush, so
    // scattered small writes cost a device block each (128 KiB for the worker's overlays).
    this.rawBytes += Math.max(data.length, this.device.blockSize ?? 0);
    await this.device.write!(offset, data);
  }

  // ---- Inodes ----

  /** The inode object for `ino`, loaded and checked; throws Ext2CorruptError. */
  async inode(ino: number): Promise<Ext2Inode> {
    const live = this.inodeRefs.get(ino)?.deref();
    if (live) {
      this.recent.set(ino, live);
      return live;
    }
    const pending = this.loading.get(ino);
    if (pending) return pending;
    const p = (async () => {
      try {
        return this.adopt(makeInode(this, ino, await this.rawInode(ino)));
      } finally {
        this.loading.delete(ino);
      }
    })();
    this.loading.set(ino, p);
    return p;
  }

  /** Register a new inode object as the one for its number. */
  adopt(node: Ext2Inode): Ext2Inode {
    this.inodeRefs.set(node.ino, new WeakRef(node));
    this.gone.register(node, node.ino);
    this.recent.set(node.ino, node);
    return node;
  }

  /** A freed inode's object is no longer the one for its number. */
  disown(node: Ext2Inode): void {
    if (this.inodeRefs.get(node.ino)?.deref() === node) this.inodeRefs.delete(node.ino);
    this.recent.delete(node.ino);
  }

  /** Install a just-allocated inode (new on disk) and mark it for write-back. */
  newInode(ino: number, raw: RawInode): Ext2Inode {
    const node = this.adopt(makeInode(this, ino, raw));
    this.markDirty(node);
    return node;
  }

  markDirty(node: Ext2Inode): void {
    this.changed = true;
    node.unsynced = true;
    this.dirtyInodes.set(node.ino, node);
  }

  /** Where inode `ino` sits: its inode table block and the byte offset inside it. */
  private inodeLocation(ino: number): { blk: number; off: number } {
    const sb = this.sb;
    if (ino < 1 || ino > sb.inodesCount) throw new Ext2CorruptError(`inode number ${ino} out of range`);
    const g = Math.floor((ino - 1) / sb.inodesPerGroup);
    const byteInTable = ((ino - 1) % sb.inodesPerGroup) * sb.inodeSize;
    return { blk: this.groups[g].inodeTable + Math.floor(byteInTable / this.blockSize), off: byteInTable % this.blockSize };
  }

  private async rawInode(ino: number): Promise<RawInode> {
    const { blk, off } = this.inodeLocation(ino);
    const b = await this.block(blk);
    const raw = parseInode(b.subarray(off, off + this.sb.inodeSize));
    if (raw.linksCount === 0 || raw.mode === 0) throw new Ext2CorruptError(`inode ${ino} is not in use`);
    if (raw.flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL)) {
      throw new Ext2CorruptError(`inode ${ino} uses extents or inline data, which ext2 cannot read`);
    }
    return raw;
  }

  /** Group of an inode number. */
  groupOfInode(ino: number): number {
    return Math.floor((ino - 1) / this.sb.inodesPerGroup);
  }

  /** First block of group g. */
  groupFirstBlock(g: number): number {
    return this.sb.firstDataBlock + g * this.sb.blocksPerGroup;
  }

  /** Groups whose block / inode bitmaps were checked against their descriptors (alloc.ts). */
  readonly checkedBlockGroups = new Set<number>();
  readonly checkedInodeGroups = new Set<number>();
  private metaRanges: Map<number, [number, number][]> | null = null;

  /**
   * The metadata areas inside group g, as [first block, count] runs: superblock and
   * descriptor table copies (with the blocks reserved for their growth), and every group's
   * bitmaps and inode table that fall in g (with flex_bg they gather in a few groups).
   */
  metadataIn(g: number): [number, number][] {
    if (!this.metaRanges) {
      const m = new Map<number, [number, number][]>();
      const sb = this.sb;
      const add = (first: number, count: number) => {
        while (count > 0) {
          const grp = Math.floor((first - sb.firstDataBlock) / sb.blocksPerGroup);
          const n = Math.min(count, this.groupFirstBlock(grp) + sb.blocksPerGroup - first);
          let list = m.get(grp);
          if (!list) m.set(grp, list = []);
          list.push([first, n]);
          first += n; count -= n;
        }
      };
      const sparse = (sb.featureRoCompat & RO_COMPAT_SPARSE_SUPER) !== 0;
      const gdb = Math.ceil((this.groups.length * sb.descSize) / this.blockSize);
      const reserved = new DataView(this.sbRaw.buffer, this.sbRaw.byteOffset, this.sbRaw.byteLength).getUint16(SB_RESERVED_GDT_BLOCKS, true);
      const itb = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / this.blockSize);
      this.groups.forEach((gd, i) => {
        if (groupHasSuper(i, sparse)) add(this.groupFirstBlock(i), 1 + gdb + reserved);
        add(gd.blockBitmap, 1);
        add(gd.inodeBitmap, 1);
        add(gd.inodeTable, itb);
      });
      this.metaRanges = m;
    }
    return this.metaRanges.get(g) ?? [];
  }

  /** Descriptor counters changed (alloc.ts). */
  touchGroups(): void {
    this.changed = true;
    this.metaDirty = true;
  }

  /**
   * Files of 2 GiB and more need the large_file feature; the kernel turns it on when the
   * first such file appears. Rev 0 file systems cannot carry features: false.
   */
  needLargeFile(): boolean {
    if (this.sb.featureRoCompat & RO_COMPAT_LARGE_FILE) return true;
    if (this.sb.revLevel < 1) return false;
    this.sb.featureRoCompat |= RO_COMPAT_LARGE_FILE;
    this.metaDirty = true;
    return true;
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

  // ---- Write-back ----

  /**
   * Write every dirty inode and metadata block. Order: (file data is already on the
   * device) bitmaps and group descriptors, then inode tables, directory and indirect
   * blocks, then the superblock. An interrupted write-back then leaves at worst blocks and
   * inodes marked in use that nothing points to (e2fsck frees them), never a pointer to a
   * block still marked free. Frees can still leave the reverse, which is why a mounted
   * file system is marked not clean (see docs/EXT2.md).
   */
  private async writeBack(): Promise<void> {
    for (const node of this.dirtyInodes.values()) {
      node.unsynced = false;
      const { blk, off } = this.inodeLocation(node.ino);
      (await this.blockW(blk)).set(serializeInode(node.raw), off);
    }
    this.dirtyInodes.clear();
    const bitmaps = new Set<number>();
    for (const gd of this.groups) { bitmaps.add(gd.blockBitmap); bitmaps.add(gd.inodeBitmap); }
    const bs = this.blockSize;
    const later: number[] = [];
    for (const n of this.dirty.keys()) {
      if (bitmaps.has(n)) await this.device.write!(n * bs, this.dirty.get(n)!);
      else later.push(n);
    }
    if (this.metaDirty) {
      const dv = new DataView(this.gdtRaw.buffer, this.gdtRaw.byteOffset, this.gdtRaw.byteLength);
      this.groups.forEach((gd, g) => storeGroupCounts(dv, g * this.sb.descSize, this.sb.descSize, gd));
      await this.device.write!(this.gdtOffset, this.gdtRaw);
    }
    later.sort((a, b) => a - b);
    for (const n of later) await this.device.write!(n * bs, this.dirty.get(n)!);
    this.dirty.clear();
    if (this.metaDirty) await this.writeSuper(this.cleanPoint);
    this.metaDirty = false;
    // Last: the blockW calls above (inode tables) set it again.
    this.changed = false;
  }

  /** Patch the superblock's counters and state into our copy and write it. */
  private async writeSuper(clean: boolean): Promise<void> {
    const dv = new DataView(this.sbRaw.buffer, this.sbRaw.byteOffset, this.sbRaw.byteLength);
    let bfree = 0, ifree = 0;
    for (const gd of this.groups) { bfree += gd.freeBlocks; ifree += gd.freeInodes; }
    dv.setUint32(SB_FREE_BLOCKS, bfree % 2 ** 32, true);
    if (this.sb.descSize >= 64) dv.setUint32(SB_FREE_BLOCKS_HI, Math.floor(bfree / 2 ** 32), true);
    dv.setUint32(SB_FREE_INODES, ifree, true);
    dv.setUint32(SB_FEATURE_RO_COMPAT, this.sb.featureRoCompat >>> 0, true);
    dv.setUint32(SB_WTIME, nowTimespec().sec >>> 0, true);
    let state = dv.getUint16(SB_STATE, true) & ~EXT2_VALID_FS;
    if (this.errors) state |= EXT2_ERROR_FS;
    if (clean && !this.errors) state |= EXT2_VALID_FS;
    dv.setUint16(SB_STATE, state, true);
    await this.device.write!(SUPERBLOCK_OFFSET, this.sbRaw);
  }

  /**
   * A writable mount marks the file system not clean and counts the mount, as the kernel
   * does; on a device with atomic flushes it stays clean (what a crash leaves is the last
   * flush, which was consistent).
   */
  private async markMounted(): Promise<void> {
    const dv = new DataView(this.sbRaw.buffer, this.sbRaw.byteOffset, this.sbRaw.byteLength);
    dv.setUint16(SB_MNT_COUNT, (dv.getUint16(SB_MNT_COUNT, true) + 1) & 0xffff, true);
    dv.setUint32(SB_MTIME, nowTimespec().sec >>> 0, true);
    await this.writeSuper(this.atomic);
    await this.flushDevice();
  }

  /**
   * Whether a write-back may mark the superblock clean: with atomic flushes, when no
   * unlinked file is still open (its inode, not yet freed, would be e2fsck's to clean up).
   */
  private get cleanPoint(): boolean {
    return this.atomic && this.orphans.size === 0;
  }

  private flushDevice(): Promise<void> | void {
    this.rawBytes = 0;
    return this.device.flush?.();
  }

  /**
   * Write back what changed (the background write-back after a burst of writes). Without
   * atomic flushes the device commits on its own (an IndexedDB store within a turn); with
   * them this is a consistent point, so it flushes. Nothing to do: returns at once.
   */
  writeBackChanges(): Promise<void> {
    if (this.readOnly || !this.hasChanges) return Promise.resolve();
    let durable: Promise<void> | void;
    return this.exclusive(async () => {
      if (!this.hasChanges) return;
      await this.writeBack();
      // An atomic device commits at flushes only: this write-back is a consistent point. The
      // flush takes its blocks when called (BlockDevice.flush), so only that needs the lock;
      // waiting for it to be durable does not. Awaited under the lock, every program's file
      // operations waited for the browser's IndexedDB commits and its strict (fsync'd)
      // transaction after each write-back, several a second while the desktop starts
      // (closing a written file writes back at once: xauth, Xorg's log, startx's sed).
      if (this.atomic) durable = this.flushDevice();
    }).then(() => durable);
  }

  /** Flush cached writes (sync(2), fsync, unmount). The file system stays marked in use. */
  sync(): Promise<void> {
    return this.exclusive(async () => {
      if (this.readOnly) return;
      this.metaDirty = true;
      await this.writeBack();
      await this.flushDevice();
    });
  }

  /** Flush everything and mark the file system clean (unless errors were seen). Idempotent. */
  unmount(): Promise<void> {
    return this.exclusive(async () => {
      if (this.readOnly) return;
      // Files still open at unmount lose their last reference now (the kernel cannot
      // unmount a busy file system; here the machine is gone, so nobody will close them).
      for (const node of [...this.orphans]) await node.evictIfUnused(true);
      await this.writeBack();
      await this.writeSuper(true);
      await this.device.flush?.();
    });
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

/** Why a writable mount cannot be granted, or null when it can. */
function whyReadOnly(device: WritableDevice, sb: Superblock, sbRaw: Uint8Array): string | null {
  if (typeof device.write !== 'function' || device.readOnly === true) return 'the device is read-only';
  const ro = sb.featureRoCompat & ~WRITABLE_RO_COMPAT;
  if (ro) return `features this writer would not keep consistent: ${featureNames(ro, RO_COMPAT_FEATURES).join(', ')}`;
  const inc = sb.featureIncompat & ~WRITABLE_INCOMPAT;
  if (inc) return `features this writer would not keep consistent: ${featureNames(inc, INCOMPAT_FEATURES).join(', ')}`;
  const state = new DataView(sbRaw.buffer, sbRaw.byteOffset, sbRaw.byteLength).getUint16(SB_STATE, true);
  // Writing over damage spreads it; the kernel warns here, we refuse (run e2fsck first).
  if (state & EXT2_ERROR_FS) return 'the file system has errors (run e2fsck)';
  // ext4's error counter (e2fsprogs and the kernel keep it; e2fsck clears it).
  const errorCount = sbRaw.length >= SB_ERROR_COUNT + 4 ? new DataView(sbRaw.buffer, sbRaw.byteOffset, sbRaw.byteLength).getUint32(SB_ERROR_COUNT, true) : 0;
  if (errorCount > 0) return `the file system has recorded ${errorCount} error${errorCount === 1 ? '' : 's'} (run e2fsck)`;
  if (!(state & EXT2_VALID_FS)) return 'the file system was not cleanly unmounted (run e2fsck)';
  return null;
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
