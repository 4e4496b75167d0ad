/**
 * Block and inode allocation in the group bitmaps, keeping the group descriptor counters
 * (free blocks, free inodes, used directories) in step. The superblock's totals are summed
 * from the groups when it is written.
 *
 * Placement, simplified from the kernel's ext2 allocator (fs/ext2/ialloc.c, balloc.c):
 * - a new directory under the root goes to a group with at least the average share of free
 *   inodes and blocks and the fewest directories (Orlov's spreading of top-level trees);
 *   a deeper directory stays in its parent's group while that group has an average share
 *   of free blocks, else the next such group;
 * - other inodes go to their directory's group, else the next group with a free inode;
 * - blocks go at the first free block at or after a goal: the block after the file's
 *   previous one when writing sequentially, else the start of the inode's group.
 *
 * Trust, but check: a bitmap is the only record of which blocks are free, and a damaged
 * one hands a block that a file still uses to a new file, which then overwrites it (a
 * fuzzed image lost part of /usr/bin/busybox that way). Before a group's bitmap is first
 * used for allocating or freeing, its free bits are counted against the descriptor's free
 * count, and its metadata areas (superblock and descriptor copies, bitmaps, inode tables)
 * must be marked in use, as e2fsck's pass 5 checks; the kernel's ext2_new_blocks likewise
 * refuses a block in the "system zone". A mismatch is damage: the operation fails with EIO
 * and the file system is marked as having errors, so the next writable mount is refused
 * until e2fsck has repaired it. One bitmap block read and counted per group, once a mount.
 */
import { Ext2CorruptError, Ext2NoSpaceError } from './errors.js';
import type { Ext2Fs } from './fs.js';

/** First clear bit in [start, limit), or -1. Skips full bytes eight bits at a time. */
function findZero(map: Uint8Array, start: number, limit: number): number {
  let bit = start;
  while (bit < limit) {
    if ((bit & 7) === 0 && bit + 8 <= limit) {
      if (map[bit >> 3] === 0xff) { bit += 8; continue; }
    }
    if (!(map[bit >> 3] & (1 << (bit & 7)))) return bit;
    bit++;
  }
  return -1;
}

const testBit = (map: Uint8Array, bit: number): boolean => (map[bit >> 3] & (1 << (bit & 7))) !== 0;

/** Blocks in group g (the last group may be short). */
function blocksInGroup(fs: Ext2Fs, g: number): number {
  const sb = fs.sb;
  return Math.min(sb.blocksPerGroup, sb.blocksCount - fs.groupFirstBlock(g));
}

/** Count the clear bits in [0, limit). */
function countZeros(map: Uint8Array, limit: number): number {
  let n = 0;
  for (let bit = 0; bit < limit; bit++) if (!(map[bit >> 3] & (1 << (bit & 7)))) n++;
  return n;
}

/** Check group g's block bitmap against its descriptor and metadata (once per mount). */
async function checkBlockGroup(fs: Ext2Fs, g: number): Promise<Uint8Array> {
  const gd = fs.groups[g];
  const map = await fs.block(gd.blockBitmap);
  if (fs.checkedBlockGroups.has(g)) return map;
  const limit = blocksInGroup(fs, g);
  const free = countZeros(map, limit);
  if (free !== gd.freeBlocks) {
    throw new Ext2CorruptError(`group ${g}'s block bitmap (block ${gd.blockBitmap}) marks ${free} blocks free but its descriptor counts ${gd.freeBlocks}: the bitmap cannot be trusted for allocating (run e2fsck)`);
  }
  for (const [first, count] of fs.metadataIn(g)) {
    for (let b = first; b < first + count; b++) {
      if (!testBit(map, b - fs.groupFirstBlock(g))) {
        throw new Ext2CorruptError(`group ${g}'s block bitmap marks metadata block ${b} free (run e2fsck)`);
      }
    }
  }
  fs.checkedBlockGroups.add(g);
  return map;
}

/** Check group g's inode bitmap against its descriptor (once per mount). */
async function checkInodeGroup(fs: Ext2Fs, g: number): Promise<Uint8Array> {
  const gd = fs.groups[g];
  const map = await fs.block(gd.inodeBitmap);
  if (fs.checkedInodeGroups.has(g)) return map;
  const free = countZeros(map, fs.sb.inodesPerGroup);
  if (free !== gd.freeInodes) {
    throw new Ext2CorruptError(`group ${g}'s inode bitmap (block ${gd.inodeBitmap}) marks ${free} inodes free but its descriptor counts ${gd.freeInodes}: the bitmap cannot be trusted for allocating (run e2fsck)`);
  }
  if (g === 0) {
    for (let bit = 0; bit < fs.sb.firstIno - 1; bit++) {
      if (!testBit(map, bit)) throw new Ext2CorruptError(`the inode bitmap marks reserved inode ${bit + 1} free (run e2fsck)`);
    }
  }
  fs.checkedInodeGroups.add(g);
  return map;
}

/** Allocate one block at or after `goal` (wrapping round the groups). Throws Ext2NoSpaceError. */
export async function allocBlock(fs: Ext2Fs, goal: number): Promise<number> {
  const sb = fs.sb;
  const n = fs.groups.length;
  if (goal < sb.firstDataBlock || goal >= sb.blocksCount) goal = sb.firstDataBlock;
  const g0 = Math.floor((goal - sb.firstDataBlock) / sb.blocksPerGroup);
  // i === n revisits the goal's group from its start.
  for (let i = 0; i <= n; i++) {
    const g = (g0 + i) % n;
    const gd = fs.groups[g];
    if (gd.freeBlocks === 0) continue;
    const limit = blocksInGroup(fs, g);
    const start = i === 0 ? goal - fs.groupFirstBlock(g) : 0;
    const map = await checkBlockGroup(fs, g);
    const bit = findZero(map, start, limit);
    if (bit < 0) continue;
    const w = await fs.blockW(gd.blockBitmap);
    w[bit >> 3] |= 1 << (bit & 7);
    gd.freeBlocks--;
    fs.touchGroups();
    return fs.groupFirstBlock(g) + bit;
  }
  throw new Ext2NoSpaceError('no free blocks');
}

/** Return a block to its group's bitmap and drop it from the caches. */
export async function freeBlock(fs: Ext2Fs, blk: number): Promise<void> {
  const sb = fs.sb;
  if (blk < sb.firstDataBlock || blk >= sb.blocksCount) throw new Ext2CorruptError(`freeing block ${blk} outside the file system`);
  const g = Math.floor((blk - sb.firstDataBlock) / sb.blocksPerGroup);
  const gd = fs.groups[g];
  const bit = blk - fs.groupFirstBlock(g);
  await checkBlockGroup(fs, g);
  for (const [first, count] of fs.metadataIn(g)) {
    if (blk >= first && blk < first + count) throw new Ext2CorruptError(`freeing block ${blk}, which holds metadata (a block map points into it; run e2fsck)`);
  }
  const w = await fs.blockW(gd.blockBitmap);
  if (!testBit(w, bit)) throw new Ext2CorruptError(`freeing block ${blk}, which is already free`);
  w[bit >> 3] &= ~(1 << (bit & 7));
  gd.freeBlocks++;
  fs.touchGroups();
  fs.forget(blk);
}

/** Pick the group for a new inode (see the placement notes at the top). */
function chooseGroup(fs: Ext2Fs, parentIno: number, isDir: boolean): number[] {
  const n = fs.groups.length;
  const pg = fs.groupOfInode(parentIno);
  let freeI = 0, freeB = 0;
  for (const gd of fs.groups) { freeI += gd.freeInodes; freeB += gd.freeBlocks; }
  const avgI = freeI / n, avgB = freeB / n;
  const order: number[] = [];
  if (isDir && parentIno === 2) {
    let best = -1;
    for (let g = 0; g < n; g++) {
      const gd = fs.groups[g];
      if (gd.freeInodes === 0 || gd.freeInodes < avgI || gd.freeBlocks < avgB) continue;
      if (best < 0 || gd.usedDirs < fs.groups[best].usedDirs ||
        (gd.usedDirs === fs.groups[best].usedDirs && gd.freeBlocks > fs.groups[best].freeBlocks)) best = g;
    }
    if (best >= 0) order.push(best);
  } else if (isDir) {
    for (let i = 0; i < n; i++) {
      const g = (pg + i) % n;
      const gd = fs.groups[g];
      if (gd.freeInodes > 0 && gd.freeBlocks >= avgB) { order.push(g); break; }
    }
  }
  for (let i = 0; i < n; i++) order.push((pg + i) % n);
  return order;
}

/** Allocate an inode number for a new file or directory. Throws Ext2NoSpaceError. */
export async function allocInode(fs: Ext2Fs, parentIno: number, isDir: boolean): Promise<number> {
  const sb = fs.sb;
  for (const g of chooseGroup(fs, parentIno, isDir)) {
    const gd = fs.groups[g];
    if (gd.freeInodes === 0) continue;
    const map = await checkInodeGroup(fs, g);
    // Inodes below s_first_ino are reserved (bad blocks, root, resize, journal ...).
    const start = g === 0 ? sb.firstIno - 1 : 0;
    const bit = findZero(map, start, sb.inodesPerGroup);
    if (bit < 0) continue;
    const w = await fs.blockW(gd.inodeBitmap);
    w[bit >> 3] |= 1 << (bit & 7);
    gd.freeInodes--;
    if (isDir) gd.usedDirs++;
    fs.touchGroups();
    return g * sb.inodesPerGroup + bit + 1;
  }
  throw new Ext2NoSpaceError('no free inodes');
}

/** Clear an inode's bit and update its group's counters. */
export async function freeInode(fs: Ext2Fs, ino: number, isDir: boolean): Promise<void> {
  const sb = fs.sb;
  const g = fs.groupOfInode(ino);
  const gd = fs.groups[g];
  const bit = (ino - 1) % sb.inodesPerGroup;
  await checkInodeGroup(fs, g);
  const w = await fs.blockW(gd.inodeBitmap);
  if (!testBit(w, bit)) throw new Ext2CorruptError(`freeing inode ${ino}, which is already free`);
  w[bit >> 3] &= ~(1 << (bit & 7));
  gd.freeInodes++;
  if (isDir && gd.usedDirs > 0) gd.usedDirs--;
  fs.touchGroups();
}
