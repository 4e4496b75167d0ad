/**
 * i386 layouts of the structures the file system calls exchange with user space:
 * struct stat and stat64 (asm/stat.h), statx (linux/stat.h), statfs and statfs64
 * (asm-generic/statfs.h, packed to 4 on i386), linux_dirent(64), flock(64).
 * Each writer fills a DataView at the offsets of the C structure.
 */
import type { DirEntry, FsStats, Stat } from '../../fs/types.js';
import { EOVERFLOW } from '../errno.js';

export const STAT_SIZE = 64, STAT64_SIZE = 96, STATX_SIZE = 256, STATFS_SIZE = 64, STATFS64_SIZE = 84;
export const FLOCK_SIZE = 16, FLOCK64_SIZE = 24;

export function setU64(dv: DataView, off: number, v: number): void {
  dv.setBigUint64(off, BigInt.asUintN(64, BigInt(Math.trunc(v))), true);
}
export function getI64(dv: DataView, off: number): number {
  return Number(dv.getBigInt64(off, true));
}

/** 16-bit ids: values that do not fit become the overflow id 65534 (high2lowuid). */
const low16 = (id: number): number => (id > 0xffff ? 65534 : id);

/** struct stat (the "new" stat of calls 106-108): EOVERFLOW when ino or size exceed 32 bits. */
export function fillStat(dv: DataView, st: Stat): number {
  if (st.ino > 0xffffffff || st.size > 0x7fffffff) return -EOVERFLOW;
  dv.setUint32(0, st.dev, true);
  dv.setUint32(4, st.ino, true);
  dv.setUint16(8, st.mode, true);
  dv.setUint16(10, Math.min(st.nlink, 0xffff), true);
  dv.setUint16(12, low16(st.uid), true);
  dv.setUint16(14, low16(st.gid), true);
  dv.setUint32(16, st.rdev, true);
  dv.setUint32(20, st.size, true);
  dv.setUint32(24, st.blksize, true);
  dv.setUint32(28, st.blocks, true);
  putTimes(dv, 32, st);
  return 0;
}

/** atime, mtime, ctime as (sec, nsec) pairs of 32-bit words from `off`. */
function putTimes(dv: DataView, off: number, st: Stat): void {
  for (const [i, ts] of [st.atime, st.mtime, st.ctime].entries()) {
    dv.setUint32(off + i * 8, ts.sec, true);
    dv.setUint32(off + i * 8 + 4, ts.nsec, true);
  }
}

/** struct stat64: 96 bytes; the low 32 bits of st_ino also go in __st_ino (offset 12). */
export function fillStat64(dv: DataView, st: Stat): void {
  setU64(dv, 0, st.dev);
  dv.setUint32(12, st.ino >>> 0, true);
  dv.setUint32(16, st.mode, true);
  dv.setUint32(20, st.nlink, true);
  dv.setUint32(24, st.uid, true);
  dv.setUint32(28, st.gid, true);
  setU64(dv, 32, st.rdev);
  setU64(dv, 44, st.size);
  dv.setUint32(52, st.blksize, true);
  setU64(dv, 56, st.blocks);
  putTimes(dv, 64, st);
  setU64(dv, 88, st.ino);
}

export const STATX_BASIC_STATS = 0x7ff;

/** struct statx: everything in STATX_BASIC_STATS is filled; no birth time. */
export function fillStatx(dv: DataView, st: Stat): void {
  dv.setUint32(0, STATX_BASIC_STATS, true);
  dv.setUint32(4, st.blksize, true);
  dv.setUint32(16, st.nlink, true);
  dv.setUint32(20, st.uid, true);
  dv.setUint32(24, st.gid, true);
  dv.setUint16(28, st.mode, true);
  setU64(dv, 32, st.ino);
  setU64(dv, 40, st.size);
  setU64(dv, 48, st.blocks);
  const ts = (off: number, t: { sec: number; nsec: number }) => {
    setU64(dv, off, t.sec);
    dv.setUint32(off + 8, t.nsec, true);
  };
  ts(64, st.atime);
  ts(96, st.ctime);
  ts(112, st.mtime);
  dv.setUint32(128, devMajor(st.rdev), true);
  dv.setUint32(132, devMinor(st.rdev), true);
  dv.setUint32(136, devMajor(st.dev), true);
  dv.setUint32(140, devMinor(st.dev), true);
}

const devMajor = (d: number): number => (d >>> 8) & 0xfff;
const devMinor = (d: number): number => (d & 0xff) | ((d >>> 12) & 0xfff00);

/** struct statfs (32-bit fields): EOVERFLOW when a count does not fit. */
export function fillStatfs(dv: DataView, s: FsStats, dev: number): number {
  const counts = [s.blocks, s.bfree, s.bavail, s.files, s.ffree];
  if (counts.some((c) => c > 0xffffffff)) return -EOVERFLOW;
  dv.setUint32(0, s.type, true);
  dv.setUint32(4, s.bsize, true);
  counts.forEach((c, i) => dv.setUint32(8 + i * 4, c, true));
  dv.setUint32(28, dev, true);
  dv.setUint32(36, s.namelen, true);
  dv.setUint32(40, s.bsize, true);
  return 0;
}

/** struct statfs64: 64-bit counts at 8..47, packed to 4-byte alignment on i386. */
export function fillStatfs64(dv: DataView, s: FsStats, dev: number): void {
  dv.setUint32(0, s.type, true);
  dv.setUint32(4, s.bsize, true);
  [s.blocks, s.bfree, s.bavail, s.files, s.ffree].forEach((c, i) => setU64(dv, 8 + i * 8, c));
  dv.setUint32(48, dev, true);
  dv.setUint32(56, s.namelen, true);
  dv.setUint32(60, s.bsize, true);
}

const utf8 = new TextEncoder();

/**
 * Pack directory entries into a getdents buffer. `next(i)` is the d_off cookie after
 * entry i. Returns the bytes used and how many entries fit.
 */
export function packDirents(entries: DirEntry[], size: number, wide: boolean, next: (i: number) => number): { buf: Uint8Array; used: number; count: number } | number {
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  let used = 0, count = 0;
  for (const e of entries) {
    const name = utf8.encode(e.name);
    // linux_dirent64: ino u64, off s64, reclen u16, type u8, name; aligned to 8.
    // linux_dirent: ino u32, off u32, reclen u16, name, NUL, pad, type in the last byte; aligned to 4.
    const reclen = wide ? (19 + name.length + 1 + 7) & ~7 : (10 + name.length + 2 + 3) & ~3;
    if (used + reclen > size) break;
    if (!wide && e.ino > 0xffffffff) return -EOVERFLOW;
    const off = next(count);
    if (wide) {
      setU64(dv, used, e.ino);
      setU64(dv, used + 8, off);
      dv.setUint16(used + 16, reclen, true);
      dv.setUint8(used + 18, e.type);
      buf.set(name, used + 19);
    } else {
      dv.setUint32(used, e.ino, true);
      dv.setUint32(used + 4, off, true);
      dv.setUint16(used + 8, reclen, true);
      buf.set(name, used + 10);
      dv.setUint8(used + reclen - 1, e.type);
    }
    used += reclen;
    count++;
  }
  return { buf, used, count };
}
