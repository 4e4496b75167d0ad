/**
 * ext2 on-disk structures (little-endian), from the ext2/ext4 disk layout documentation
 * (kernel Documentation/filesystems/ext4/ and include/linux/ext2_fs.h field names).
 * Parsing only: these functions turn bytes into plain objects and never touch the device.
 */

export const EXT2_SUPER_MAGIC = 0xef53;
/** The superblock always starts 1024 bytes into the device, whatever the block size. */
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
export const EXT2_ROOT_INO = 2;
/** i_block[] holds 12 direct pointers, then single, double and triple indirect ones. */
export const N_DIRECT = 12, IND_BLOCK = 12, DIND_BLOCK = 13, TIND_BLOCK = 14, N_BLOCKS = 15;

// Feature bits: [bit, name]. Names as mke2fs/tune2fs spell them, for error messages.
export const COMPAT_FEATURES: ReadonlyArray<[number, string]> = [
  [0x0001, 'dir_prealloc'], [0x0002, 'imagic_inodes'], [0x0004, 'has_journal'], [0x0008, 'ext_attr'],
  [0x0010, 'resize_inode'], [0x0020, 'dir_index'], [0x0040, 'lazy_bg'], [0x0100, 'exclude_bitmap'],
  [0x0200, 'sparse_super2'], [0x0400, 'fast_commit'], [0x0800, 'stable_inodes'], [0x1000, 'orphan_file'],
];
export const INCOMPAT_FEATURES: ReadonlyArray<[number, string]> = [
  [0x0001, 'compression'], [0x0002, 'filetype'], [0x0004, 'needs_recovery'], [0x0008, 'journal_dev'],
  [0x0010, 'meta_bg'], [0x0040, 'extent'], [0x0080, '64bit'], [0x0100, 'mmp'], [0x0200, 'flex_bg'],
  [0x0400, 'ea_inode'], [0x1000, 'dirdata'], [0x2000, 'metadata_csum_seed'], [0x4000, 'large_dir'],
  [0x8000, 'inline_data'], [0x10000, 'encrypt'], [0x20000, 'casefold'],
];
export const RO_COMPAT_FEATURES: ReadonlyArray<[number, string]> = [
  [0x0001, 'sparse_super'], [0x0002, 'large_file'], [0x0004, 'btree_dir'], [0x0008, 'huge_file'],
  [0x0010, 'uninit_bg'], [0x0020, 'dir_nlink'], [0x0040, 'extra_isize'], [0x0080, 'snapshot'],
  [0x0100, 'quota'], [0x0200, 'bigalloc'], [0x0400, 'metadata_csum'], [0x0800, 'replica'],
  [0x1000, 'read-only'], [0x2000, 'project'], [0x4000, 'shared_blocks'], [0x8000, 'verity'],
  [0x10000, 'orphan_present'],
];
export const INCOMPAT_FILETYPE = 0x0002, INCOMPAT_64BIT = 0x0080, INCOMPAT_FLEX_BG = 0x0200, INCOMPAT_META_BG = 0x0010;
export const RO_COMPAT_SPARSE_SUPER = 0x0001, RO_COMPAT_LARGE_FILE = 0x0002, RO_COMPAT_HUGE_FILE = 0x0008;
export const RO_COMPAT_DIR_NLINK = 0x0020, RO_COMPAT_EXTRA_ISIZE = 0x0040;
/**
 * Read-only-compatible features a writer may keep without knowing more: sparse_super and
 * large_file are what mke2fs -t ext2 sets; dir_nlink and extra_isize only relax limits.
 * Anything else (uninit_bg and metadata_csum checksums, quota, huge_file's i_blocks units,
 * bigalloc ...) would be damaged by writes that ignore it, so such file systems mount read-only.
 */
export const WRITABLE_RO_COMPAT = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_DIR_NLINK | RO_COMPAT_EXTRA_ISIZE | 0x0004;
/** Incompatible features a writer handles: filetype dirents, and 64bit/flex_bg descriptor placement. */
export const WRITABLE_INCOMPAT = INCOMPAT_FILETYPE | INCOMPAT_64BIT | INCOMPAT_FLEX_BG;

// Superblock fields a writer updates (byte offsets in the 1024-byte structure).
export const SB_FREE_BLOCKS = 0x0c, SB_FREE_INODES = 0x10, SB_MTIME = 0x2c, SB_WTIME = 0x30;
export const SB_MNT_COUNT = 0x34, SB_STATE = 0x3a, SB_FEATURE_RO_COMPAT = 0x64, SB_FREE_BLOCKS_HI = 0x158;
/** s_reserved_gdt_blocks (__le16, resize_inode), s_error_count (__le32, errors recorded since the last e2fsck). */
export const SB_RESERVED_GDT_BLOCKS = 0xce, SB_ERROR_COUNT = 0x194;
/** s_state bits. */
export const EXT2_VALID_FS = 1, EXT2_ERROR_FS = 2;
/**
 * Incompatible features this reader understands. filetype only adds a byte to dirents;
 * flex_bg and 64bit only move metadata that the group descriptors locate anyway. Anything
 * else (extents, inline data, meta_bg, a journal needing recovery ...) changes how bytes
 * are found, so the mount is refused.
 */
export const SUPPORTED_INCOMPAT = INCOMPAT_FILETYPE | INCOMPAT_FLEX_BG | INCOMPAT_64BIT;
/**
 * Read-only-compatible features that still change what a reader sees: bigalloc maps
 * clusters, not blocks, and is only used with extents.
 */
export const UNSUPPORTED_RO_COMPAT_FOR_READ = 0x0200;

// i_flags bits that matter to a reader (and EXT2_INDEX_FL, which a writer clears).
export const EXT2_INDEX_FL = 0x1000, EXT2_IMMUTABLE_FL = 0x10, EXT2_APPEND_FL = 0x20;
export const EXT4_HUGE_FILE_FL = 0x40000, EXT4_EXTENTS_FL = 0x80000, EXT4_INLINE_DATA_FL = 0x10000000;

export function featureNames(bits: number, table: ReadonlyArray<[number, string]>): string[] {
  const out: string[] = [];
  let rest = bits >>> 0;
  for (const [bit, name] of table) {
    if (rest & bit) out.push(name);
    rest = (rest & ~bit) >>> 0;
  }
  for (let b = 0; b < 32; b++) if (rest & (1 << b)) out.push(`0x${((1 << b) >>> 0).toString(16)}`);
  return out;
}

export interface Superblock {
  inodesCount: number;
  blocksCount: number;
  rBlocksCount: number;
  freeBlocksCount: number;
  freeInodesCount: number;
  firstDataBlock: number;
  logBlockSize: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  magic: number;
  revLevel: number;
  inodeSize: number;
  firstIno: number;
  featureCompat: number;
  featureIncompat: number;
  featureRoCompat: number;
  volumeName: string;
  /** Group descriptor size: 32, or s_desc_size with the 64bit feature. */
  descSize: number;
}

function cstr(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

/** Superblock fields at their offsets in the 1024-byte structure. */
export function parseSuperblock(b: Uint8Array): Superblock {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const u16 = (o: number): number => dv.getUint16(o, true);
  const revLevel = u32(0x4c);
  const incompat = revLevel >= 1 ? u32(0x60) : 0;
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  // Rev 0 file systems have fixed 128-byte inodes and first usable inode 11.
  return {
    inodesCount: u32(0x00),
    blocksCount: u32(0x04) + (is64 ? u32(0x150) * 2 ** 32 : 0),
    rBlocksCount: u32(0x08) + (is64 ? u32(0x154) * 2 ** 32 : 0),
    freeBlocksCount: u32(0x0c) + (is64 ? u32(0x158) * 2 ** 32 : 0),
    freeInodesCount: u32(0x10),
    firstDataBlock: u32(0x14),
    logBlockSize: u32(0x18),
    blocksPerGroup: u32(0x20),
    inodesPerGroup: u32(0x28),
    magic: u16(0x38),
    revLevel,
    inodeSize: revLevel >= 1 ? u16(0x58) : 128,
    firstIno: revLevel >= 1 ? u32(0x54) : 11,
    featureCompat: revLevel >= 1 ? u32(0x5c) : 0,
    featureIncompat: incompat,
    featureRoCompat: revLevel >= 1 ? u32(0x64) : 0,
    volumeName: cstr(b.subarray(0x78, 0x88)),
    descSize: is64 ? u16(0xfe) : 32,
  };
}

export interface GroupDesc {
  blockBitmap: number;
  inodeBitmap: number;
  inodeTable: number;
  freeBlocks: number;
  freeInodes: number;
  usedDirs: number;
}

/** One group descriptor; the high halves exist only in 64-byte descriptors (64bit feature). */
export function parseGroupDesc(dv: DataView, o: number, descSize: number): GroupDesc {
  const wide = descSize >= 64;
  const hi32 = (off: number): number => (wide ? dv.getUint32(o + off, true) * 2 ** 32 : 0);
  const hi16 = (off: number): number => (wide ? dv.getUint16(o + off, true) * 65536 : 0);
  return {
    blockBitmap: dv.getUint32(o + 0x00, true) + hi32(0x20),
    inodeBitmap: dv.getUint32(o + 0x04, true) + hi32(0x24),
    inodeTable: dv.getUint32(o + 0x08, true) + hi32(0x28),
    freeBlocks: dv.getUint16(o + 0x0c, true) + hi16(0x2c),
    freeInodes: dv.getUint16(o + 0x0e, true) + hi16(0x2e),
    usedDirs: dv.getUint16(o + 0x10, true) + hi16(0x30),
  };
}

/** Store the counters of one group descriptor (the locations never change once made). */
export function storeGroupCounts(dv: DataView, o: number, descSize: number, gd: GroupDesc): void {
  dv.setUint16(o + 0x0c, gd.freeBlocks & 0xffff, true);
  dv.setUint16(o + 0x0e, gd.freeInodes & 0xffff, true);
  dv.setUint16(o + 0x10, gd.usedDirs & 0xffff, true);
  if (descSize >= 64) {
    dv.setUint16(o + 0x2c, Math.floor(gd.freeBlocks / 65536), true);
    dv.setUint16(o + 0x2e, Math.floor(gd.freeInodes / 65536), true);
    dv.setUint16(o + 0x30, Math.floor(gd.usedDirs / 65536), true);
  }
}

export interface RawInode {
  mode: number;
  uid: number;
  gid: number;
  sizeLo: number;
  sizeHigh: number;
  atime: number;
  ctime: number;
  mtime: number;
  linksCount: number;
  /** i_blocks, 48 bits with the huge_file high half. */
  blocks: number;
  flags: number;
  /** i_block[0..14]: block pointers, or inline symlink text, or a device number. */
  block: Uint32Array;
  /** The 60 raw bytes of i_block, for fast symlinks. */
  blockBytes: Uint8Array;
  fileAcl: number;
  /** Nanosecond/epoch extra words, or 0 when the inode is too small to hold them. */
  ctimeExtra: number;
  mtimeExtra: number;
  atimeExtra: number;
  /** Deletion time (non-zero only in freed inodes). */
  dtime: number;
  /** A private copy of the on-disk bytes: fields this code does not model are written back as found. */
  bytes: Uint8Array;
}

/** One on-disk inode of `inodeSize` bytes (128 in rev 0; 256 by default today). */
export function parseInode(b: Uint8Array): RawInode {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const u16 = (o: number): number => dv.getUint16(o, true);
  // Fields past 128 bytes exist only if i_extra_isize says they were written.
  const extra = b.length > 128 ? u16(0x80) : 0;
  const has = (off: number): boolean => off + 4 <= 128 + extra && off + 4 <= b.length;
  const blockBytes = b.slice(0x28, 0x28 + 60);
  const block = new Uint32Array(N_BLOCKS);
  for (let i = 0; i < N_BLOCKS; i++) block[i] = u32(0x28 + i * 4);
  return {
    mode: u16(0x00),
    // Linux osd2 keeps the high 16 bits of uid and gid.
    uid: u16(0x02) | (u16(0x78) << 16),
    gid: u16(0x18) | (u16(0x7a) << 16),
    sizeLo: u32(0x04),
    sizeHigh: u32(0x6c),
    atime: dv.getInt32(0x08, true),
    ctime: dv.getInt32(0x0c, true),
    mtime: dv.getInt32(0x10, true),
    linksCount: u16(0x1a),
    blocks: u32(0x1c) + u16(0x74) * 2 ** 32,
    flags: u32(0x20),
    block,
    blockBytes,
    fileAcl: u32(0x68) + u16(0x76) * 2 ** 32,
    ctimeExtra: has(0x84) ? u32(0x84) : 0,
    mtimeExtra: has(0x88) ? u32(0x88) : 0,
    atimeExtra: has(0x8c) ? u32(0x8c) : 0,
    dtime: u32(0x14),
    bytes: b.slice(),
  };
}

/**
 * Write the modelled fields of `raw` back into `raw.bytes` (the full on-disk inode) and
 * return those bytes. The extra timestamp words are stored only where i_extra_isize says
 * the inode has room for them.
 */
export function serializeInode(raw: RawInode): Uint8Array {
  const b = raw.bytes;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const w32 = (o: number, v: number): void => dv.setUint32(o, v >>> 0, true);
  const w16 = (o: number, v: number): void => dv.setUint16(o, v & 0xffff, true);
  w16(0x00, raw.mode);
  w16(0x02, raw.uid);
  w32(0x04, raw.sizeLo);
  w32(0x08, raw.atime);
  w32(0x0c, raw.ctime);
  w32(0x10, raw.mtime);
  w32(0x14, raw.dtime);
  w16(0x18, raw.gid);
  w16(0x1a, raw.linksCount);
  w32(0x1c, raw.blocks % 2 ** 32);
  w32(0x20, raw.flags);
  for (let i = 0; i < N_BLOCKS; i++) w32(0x28 + i * 4, raw.block[i]);
  w32(0x68, raw.fileAcl % 2 ** 32);
  w32(0x6c, raw.sizeHigh);
  w16(0x74, Math.floor(raw.blocks / 2 ** 32));
  w16(0x76, Math.floor(raw.fileAcl / 2 ** 32));
  w16(0x78, raw.uid >>> 16);
  w16(0x7a, raw.gid >>> 16);
  const extra = b.length > 128 ? dv.getUint16(0x80, true) : 0;
  const has = (off: number): boolean => off + 4 <= 128 + extra && off + 4 <= b.length;
  if (has(0x84)) w32(0x84, raw.ctimeExtra);
  if (has(0x88)) w32(0x88, raw.mtimeExtra);
  if (has(0x8c)) w32(0x8c, raw.atimeExtra);
  return b;
}

/** A fresh in-use inode image: zeros, i_extra_isize for large inodes, creation time set. */
export function newRawInode(inodeSize: number, mode: number, uid: number, gid: number, now: { sec: number; nsec: number }): RawInode {
  const b = new Uint8Array(inodeSize);
  const dv = new DataView(b.buffer);
  if (inodeSize >= 160) {
    // 32 bytes of extra fields, as mke2fs and the kernel use: checksum high, three time
    // extras, crtime and its extra, version high.
    dv.setUint16(0x80, 32, true);
    const t = encodeTime(now);
    dv.setUint32(0x90, t.sec, true);
    dv.setUint32(0x94, t.extra, true);
  }
  const raw = parseInode(b);
  raw.mode = mode;
  raw.uid = uid;
  raw.gid = gid;
  raw.linksCount = 1;
  setTimes(raw, now, 'amc');
  return raw;
}

/** The (seconds, extra) words for a timestamp: low 32 bits of seconds, epoch bits and nanoseconds. */
export function encodeTime(t: { sec: number; nsec: number }): { sec: number; extra: number } {
  const lo = t.sec | 0;
  const epoch = ((t.sec - lo) / 2 ** 32) & 3;
  return { sec: lo, extra: (epoch | (t.nsec << 2)) >>> 0 };
}

/** Set any of atime (a), mtime (m) and ctime (c) of `raw` to `t`. */
export function setTimes(raw: RawInode, t: { sec: number; nsec: number }, which: string): void {
  const e = encodeTime(t);
  if (which.includes('a')) { raw.atime = e.sec; raw.atimeExtra = e.extra; }
  if (which.includes('m')) { raw.mtime = e.sec; raw.mtimeExtra = e.extra; }
  if (which.includes('c')) { raw.ctime = e.sec; raw.ctimeExtra = e.extra; }
}

/**
 * Seconds and nanoseconds of a timestamp: the extra word holds 2 epoch bits (extending the
 * signed 32-bit seconds past 2038) and 30 bits of nanoseconds.
 */
export function decodeTime(sec: number, extra: number): { sec: number; nsec: number } {
  return { sec: sec + (extra & 3) * 2 ** 32, nsec: extra >>> 2 };
}

/** Directory entry file_type byte (filetype feature) -> DT_* value. */
export const DIRENT_TYPE_TO_DT: readonly number[] = [
  /* 0 unknown */ 0, /* 1 regular */ 8, /* 2 directory */ 4, /* 3 char dev */ 2,
  /* 4 block dev */ 6, /* 5 fifo */ 1, /* 6 socket */ 12, /* 7 symlink */ 10,
];

/** st_mode -> directory entry file_type byte (0 for a mode with no file type): the inverse of the table above. */
export function direntTypeOf(mode: number): number {
  const i = DIRENT_TYPE_TO_DT.indexOf((mode >>> 12) & 15);
  return i > 0 ? i : 0;
}

/** True if block group `g` holds a superblock backup (sparse_super: 0, 1, powers of 3, 5, 7). */
export function groupHasSuper(g: number, sparse: boolean): boolean {
  if (!sparse || g <= 1) return true;
  for (const base of [3, 5, 7]) {
    let p = base;
    while (p < g) p *= base;
    if (p === g) return true;
  }
  return false;
}
