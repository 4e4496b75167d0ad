/**
 * Block maps that grow and shrink: i_block[0..11] point at data, [12] at a block of
 * pointers, [13] at a block of pointer blocks, [14] one level deeper (ext2 disk layout,
 * "Direct/Indirect Block Addressing"). Growing allocates the missing pointer blocks on the
 * way down, each placed just before the data it maps; shrinking frees data and every
 * pointer block left with nothing below it. i_blocks counts all of them in 512-byte units.
 */
import { N_DIRECT } from './layout.js';
import { allocBlock, freeBlock } from './alloc.js';
import type { Ext2Fs } from './fs.js';
import type { Ext2Inode } from './inode.js';

const u32 = (b: Uint8Array, i: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(i * 4, true);
const setU32 = (b: Uint8Array, i: number, v: number): void => new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(i * 4, v, true);

/** The path to logical block lb: the i_block slot, then one index per indirect level. */
function pathOf(fs: Ext2Fs, lb: number): number[] {
  const P = fs.blockSize / 4;
  if (lb < N_DIRECT) return [lb];
  lb -= N_DIRECT;
  if (lb < P) return [12, lb];
  lb -= P;
  if (lb < P * P) return [13, Math.floor(lb / P), lb % P];
  lb -= P * P;
  return [14, Math.floor(lb / (P * P)), Math.floor(lb / P) % P, lb % P];
}

/** Logical blocks a file may have. */
export function maxLogicalBlocks(fs: Ext2Fs): number {
  const P = fs.blockSize / 4;
  return N_DIRECT + P + P * P + P * P * P;
}

/**
 * The physical block for logical block lb, allocating it (and pointer blocks) if it is a
 * hole. `fresh` says the data block was just allocated: its old contents are garbage and
 * the caller must write all of it. New pointer blocks start zeroed in the cache.
 */
export async function mapOrAlloc(node: Ext2Inode, lb: number): Promise<{ phys: number; fresh: boolean }> {
  const fs = node.fs;
  const path = pathOf(fs, lb);
  const hint = node.allocHint;
  let goal = hint && hint.lb === lb - 1 ? hint.phys + 1 : fs.groupFirstBlock(fs.groupOfInode(node.ino));
  const alloc = async (): Promise<number> => {
    const b = await allocBlock(fs, goal);
    goal = b + 1;
    node.addBlocks(1);
    return b;
  };
  const iblock = node.raw.block;
  let ptr = iblock[path[0]];
  let fresh = false;
  if (ptr === 0) {
    ptr = await alloc();
    fresh = true;
    iblock[path[0]] = ptr;
    node.markDirty();
    if (path.length > 1) fs.newBlockW(ptr);
  }
  for (let level = 1; level < path.length; level++) {
    const parentNew = fresh;
    let child = parentNew ? 0 : u32(await fs.block(ptr), path[level]);
    fresh = false;
    if (child === 0) {
      child = await alloc();
      fresh = true;
      setU32(await fs.blockW(ptr), path[level], child);
      if (level < path.length - 1) fs.newBlockW(child);
    }
    ptr = child;
  }
  node.allocHint = { lb, phys: ptr };
  return { phys: ptr, fresh };
}

/** Free every logical block >= first (and the pointer blocks that then map nothing). */
export async function truncateBlocks(node: Ext2Inode, first: number): Promise<void> {
  const fs = node.fs;
  const P = fs.blockSize / 4;
  const iblock = node.raw.block;
  for (let i = Math.max(0, first); i < N_DIRECT; i++) {
    if (iblock[i]) { await release(node, iblock[i]); iblock[i] = 0; }
  }
  let base = N_DIRECT;
  for (let level = 1; level <= 3; level++) {
    const span = P ** level;
    const slot = N_DIRECT + level - 1;
    if (iblock[slot] && first < base + span) {
      const start = Math.max(0, first - base);
      if (start === 0) {
        await freeTree(node, iblock[slot], level);
        iblock[slot] = 0;
      } else {
        await freePart(node, iblock[slot], level, start);
      }
    }
    base += span;
  }
  node.allocHint = null;
  node.markDirty();
}

async function release(node: Ext2Inode, blk: number): Promise<void> {
  await freeBlock(node.fs, blk);
  node.addBlocks(-1);
}

/** Free a pointer block of `level` and everything below it. */
async function freeTree(node: Ext2Inode, ptr: number, level: number): Promise<void> {
  if (level > 0) {
    const b = await node.fs.block(ptr);
    const P = node.fs.blockSize / 4;
    for (let i = 0; i < P; i++) {
      const c = u32(b, i);
      if (c) await freeTree(node, c, level - 1);
    }
  }
  await release(node, ptr);
}

/** In the pointer block `ptr` of `level`, free what maps logical blocks >= start (relative). */
async function freePart(node: Ext2Inode, ptr: number, level: number, start: number): Promise<void> {
  const fs = node.fs;
  const P = fs.blockSize / 4;
  const childSpan = P ** (level - 1);
  const firstChild = Math.floor(start / childSpan);
  const b = await fs.block(ptr);
  for (let c = firstChild; c < P; c++) {
    const cp = u32(b, c);
    if (!cp) continue;
    const cstart = c === firstChild ? start - c * childSpan : 0;
    if (cstart === 0) {
      await freeTree(node, cp, level - 1);
      setU32(await fs.blockW(ptr), c, 0);
    } else {
      await freePart(node, cp, level - 1, cstart);
    }
  }
}
