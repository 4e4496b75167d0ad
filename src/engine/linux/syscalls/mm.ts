/** Memory management: brk, mmap/mmap2, munmap, mprotect, mremap, madvise, msync, TLS and LDT. */
import { syscallTable } from './registry.js';
import type { Task } from '../task.js';
import type { File } from '../../fs/types.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, MMAP_MIN_ADDR, PAGE_SIZE, PROT_WRITE, pageUp, type Mapping } from '../../mem/address-space.js';
import { getStruct, putStruct } from '../uaccess.js';
import { setTls } from './process.js';
import { addressSpaceRoom } from '../rlimits.js';
import { SHM_ANON_DEV, newAnonIno, shmMapped, shmUnmap } from '../shm.js';
import { readUserDesc, writeUserDesc, isEmptyDesc, fillDesc, D_AVL, GDT_ENTRY_TLS_MIN, LDT_ENTRIES, type UserDesc } from '../../cpu/segments.js';
import { refreshSeg } from '../../cpu/seg-regs.js';
import { DS, ES } from '../../cpu/state.js';
import { EACCES, EBADF, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, ENOSYS, EPERM } from '../errno.js';
import { S_IFMT, S_IFREG, S_IFBLK, S_IFCHR } from '../../fs/types.js';

const MAP_TYPE = 0x0f, MAP_SHARED_VALIDATE = 0x03;
const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
const MADV_DONTNEED = 4, MADV_FREE = 8, MADV_REMOVE = 9;

/** Optional capability of a File: map device memory itself (DRM dumb buffers: display/drm/file.ts). */
interface Mappable { mmap?(t: Task, addr: number, len: number, prot: number, off: number, flags: number): number | Promise<number> }
/** Optional capability of a mapping's backing: told before [s, e) of mapping m is unmapped (a dumb buffer keeps its bytes). */
interface UnmapAware { munmapped?(mem: Task['mem'], m: Mapping, s: number, e: number): void }

const aligned = (a: number) => (a & (PAGE_SIZE - 1)) === 0;

async function mmap(t: Task, addr: number, len: number, prot: number, flags: number, fd: number, off: number): Promise<number> {
  const mem = t.mem;
  if (len === 0 || !aligned(off)) return -EINVAL;
  const size = pageUp(len);
  if (size === 0 || size > mem.size) return -ENOMEM;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -EINVAL;
  const shared = type !== MAP_PRIVATE;
  let file: File | undefined;
  if (!(flags & MAP_ANONYMOUS)) {
    file = t.proc.files.get(fd);
    if (!file) return -EBADF;
    if (!file.readable) return -EACCES;
    if (shared && prot & PROT_WRITE && !file.writable) return -EACCES;
  }
  let at: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (!aligned(addr) || addr + size > mem.size) return flags & MAP_FIXED ? -EINVAL : -ENOMEM;
    // Below mmap_min_addr Linux's security_mmap_addr() answers EPERM; ours is MMAP_MIN_ADDR
    // (the page table lives below it: mem/address-space.ts).
    if (addr < MMAP_MIN_ADDR) return -EPERM;
    if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED) && mem.mappings.some((m) => m.start < addr + size && m.end > addr)) return -EEXIST;
    at = addr;
  } else {
    const hint = (addr & ~(PAGE_SIZE - 1)) >>> 0;
    const free = hint >= MMAP_MIN_ADDR && hint + size <= mem.size && !mem.mappings.some((m) => m.start < hint + size && m.end > hint);
    at = free ? hint : mem.findFree(size);
    if (at < 0) return -ENOMEM;
  }
  // RLIMIT_AS counts what stays mapped: a MAP_FIXED mapping replaces what it covers.
  if (size - mem.mappedIn(at, size) > addressSpaceRoom(t)) return -ENOMEM;
  // The memory grows to cover the mapping now: a host that cannot give it is ENOMEM, as a kernel out of memory.
  if (!mem.reserve(at + size)) return -ENOMEM;
  if (file) {
    const st = await file.stat();
    const kind = st.mode & S_IFMT;
    const dev = file as unknown as Mappable;
    if (dev.mmap) return dev.mmap(t, at, size, prot, off, flags);
    if (kind !== S_IFREG && kind !== S_IFBLK && kind !== S_IFCHR) return -ENODEV;
    if (kind === S_IFCHR) {
      // /dev/zero: an anonymous mapping.
      if (shared) shmMapped(mem, mem.map(at, size, prot, flags, '/dev/zero (deleted)', 0, SHM_ANON_DEV, newAnonIno()));
      else mem.map(at, size, prot, flags, '/dev/zero (deleted)');
      return at;
    }
    const m = mem.map(at, size, prot, flags, file.path, off, st.dev, st.ino);
    if (shared) m.backing = file;
    else m.source = (buf, o) => file.pread(t, buf, o);
    const n = await mem.fill(at, size, (buf) => file.pread(t, buf, off));
    if (typeof n === 'number' && n < 0) { mem.unmap(at, size); return n; }
    if (shared) shmMapped(mem, m);
    return at;
  }
  if (shared) shmMapped(mem, mem.map(at, size, prot, flags, '/dev/zero (deleted)', 0, SHM_ANON_DEV, newAnonIno()));
  else mem.map(at, size, prot, flags, '');
  return at;
}

/** Write dirty shared file pages of [start, end) back to their files. */
async function writeBack(t: Task, start: number, end: number): Promise<void> {
  for (const m of t.mem.mappings) {
    if (!m.backing || !(m.prot & PROT_WRITE) || m.end <= start || m.start >= end) continue;
    const s = Math.max(m.start, start), e = Math.min(m.end, end);
    const f = m.backing as File;
    const st = await f.stat();
    const fileOff = m.offset + (s - m.start);
    const n = Math.max(0, Math.min(e - s, st.size - fileOff));
    if (n > 0) await f.pwrite(t, t.mem.u8.slice(s, s + n), fileOff);
  }
}

async function munmap(t: Task, addr: number, len: number): Promise<number> {
  if (!aligned(addr) || len === 0 || addr + len > t.mem.size) return -EINVAL;
  const end = addr + pageUp(len);
  if (t.mem.mappings.some((m) => m.backing && m.start < end && m.end > addr)) await writeBack(t, addr, end);
  for (const m of t.mem.mappings) {
    if (m.start < end && m.end > addr) (m.backing as UnmapAware | undefined)?.munmapped?.(t.mem, m, Math.max(m.start, addr), Math.min(m.end, end));
  }
  shmUnmap(t.mem, addr, end);
  t.mem.unmap(addr, len);
  return 0;
}

function brk(t: Task, want: number): number {
  const mem = t.mem;
  if (want < mem.brkStart) return mem.brk;
  const cur = pageUp(mem.brk), next = pageUp(want);
  if (next > cur) {
    if (mem.mappings.some((m) => m.start < next && m.end > cur) || next > mem.size) return mem.brk;
    if (next - cur > addressSpaceRoom(t)) return mem.brk; // RLIMIT_AS
    if (!mem.reserve(next)) return mem.brk;
    mem.map(cur, next - cur, 3, MAP_PRIVATE | MAP_ANONYMOUS, '[heap]');
  } else if (next < cur) {
    mem.unmap(next, cur - next);
  }
  mem.brk = want;
  return want;
}

function mremap(t: Task, old: number, oldSize: number, newSize: number, flags: number, newAddr: number): number {
  const mem = t.mem;
  if (!aligned(old) || flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return -EINVAL;
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
  oldSize = pageUp(oldSize);
  newSize = pageUp(newSize);
  if (newSize === 0) return -EINVAL;
  if (newSize - oldSize > addressSpaceRoom(t)) return -ENOMEM; // RLIMIT_AS
  const m = mem.findMapping(old);
  if (!m || old + oldSize > m.end) return -EFAULT;
  if (!(flags & MREMAP_FIXED)) {
    if (newSize <= oldSize) {
      if (newSize < oldSize) mem.unmap(old + newSize, oldSize - newSize);
      return old;
    }
    const end = old + newSize;
    const free = end <= mem.size && !mem.mappings.some((x) => x !== m && x.start < end && x.end > old + oldSize);
    if (free && old + oldSize === m.end && mem.reserve(end)) {
      const keep = mem.u8.slice(old, old + oldSize);
      const { prot, flags: mf, name, offset, dev, ino } = m;
      mem.map(old, newSize, prot, mf, name, offset, dev, ino);
      mem.u8.set(keep, old);
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
  }
  const dest = flags & MREMAP_FIXED ? newAddr : mem.findFree(newSize);
  if (dest < 0 || !aligned(dest)) return dest < 0 ? -ENOMEM : -EINVAL;
  if (dest + newSize > mem.size) return -EINVAL;
  if (dest < MMAP_MIN_ADDR) return -EPERM;
  if (!mem.reserve(dest + newSize)) return -ENOMEM;
  const data = mem.u8.slice(old, old + Math.min(oldSize, newSize));
  const { prot, flags: mf, name, offset, dev, ino } = m;
  mem.map(dest, newSize, prot, mf, name, offset, dev, ino);
  mem.u8.set(data, dest);
  if (!(flags & MREMAP_DONTUNMAP)) mem.unmap(old, oldSize);
  return dest;
}

/**
 * madvise(2). DONTNEED (and REMOVE) drop private pages: anonymous ones read back as zeros,
 * private file pages as the file's content again (a write made to the private copy is
 * lost); shared pages keep their content (it lives in the file or the shared object).
 * FREE applies to private anonymous memory only, which may then read as zeros.
 */
async function madvise(t: Task, addr: number, len: number, advice: number): Promise<number> {
  if (!aligned(addr)) return -EINVAL;
  if (advice !== MADV_DONTNEED && advice !== MADV_FREE && advice !== MADV_REMOVE) return 0;
  const mem = t.mem;
  const end = addr + pageUp(len);
  for (const m of [...mem.mappings]) {
    if (m.end <= addr || m.start >= end || m.backing) continue;
    const s = Math.max(m.start, addr), e = Math.min(m.end, end);
    if (m.flags & MAP_SHARED) continue;
    if (m.flags & MAP_ANONYMOUS || m.ino === 0) {
      // Anonymous memory: heap, stack, MAP_ANONYMOUS, private /dev/zero.
      mem.invalidateCode(s, e - s);
      mem.u8.fill(0, s, e);
      continue;
    }
    // FREE is for anonymous memory only; ELF segments mapped by execve carry no source and keep their pages.
    if (advice === MADV_FREE || !m.source) continue;
    mem.invalidateCode(s, e - s);
    mem.u8.fill(0, s, e);
    const src = m.source;
    const n = await mem.fill(s, e - s, (buf) => src(buf, m.offset + (s - m.start)));
    if (n < 0) return n;
  }
  return 0;
}

function getThreadArea(t: Task, descAddr: number): number {
  const dv = getStruct(t, descAddr, 16);
  if (!dv) return -EFAULT;
  const idx = dv.getInt32(0, true);
  const slot = idx - GDT_ENTRY_TLS_MIN;
  if (slot < 0 || slot > 2) return -EINVAL;
  const d: UserDesc = t.cpu.desc.tls[slot] ?? { entry: idx, base: 0, limit: 0, seg32bit: 0, contents: 0, readExecOnly: 1, limitInPages: 0, segNotPresent: 1, useable: 0 };
  return putStruct(t, descAddr, 16, (o) => writeUserDesc(o, 0, { ...d, entry: idx })) ? 0 : -EFAULT;
}

/**
 * modify_ldt(2) as arch/x86/kernel/ldt.c: 0 reads the LDT (as many bytes as asked, up to
 * 64 KiB, zero-filled past its entries; 0 without an LDT), 2 reads the default LDT (a
 * 64-bit kernel clears up to 128 bytes), 1 (old mode: a zero base and limit clear the
 * entry, AVL is dropped) and 0x11 write one entry from a struct user_desc. Other
 * functions are ENOSYS. The result is an int (the kernel casts it so).
 */
function modifyLdt(t: Task, func: number, ptr: number, count: number): number {
  const desc = t.cpu.desc;
  if (func === 0) {
    if (desc.ldt.n === 0) return 0;
    const n = Math.min(count, LDT_ENTRIES * 8);
    const have = Math.min(n, desc.ldt.n * 8);
    const bytes = new Uint8Array(n);
    bytes.set(new Uint8Array(desc.ldt.words.buffer, desc.ldt.words.byteOffset, have));
    return t.mem.writeBytes(ptr, bytes) ? n : -EFAULT;
  }
  if (func === 2) {
    const n = Math.min(count, 128);
    return t.mem.writeBytes(ptr, new Uint8Array(n)) ? n : -EFAULT;
  }
  if (func !== 1 && func !== 0x11) return -ENOSYS;
  const oldmode = func === 1;
  if (count !== 16) return -EINVAL;
  const dv = getStruct(t, ptr, 16);
  if (!dv) return -EFAULT;
  const u = readUserDesc(dv, 0);
  if ((u.entry >>> 0) >= LDT_ENTRIES) return -EINVAL;
  // contents 3 (non-conforming code... in user_desc terms, "conforming code") needs seg_not_present.
  if (u.contents === 3 && (oldmode || u.segNotPresent === 0)) return -EINVAL;
  let lo = 0, hi = 0;
  if (!((oldmode && u.base === 0 && u.limit === 0) || isEmptyDesc(u))) {
    [lo, hi] = fillDesc(u);
    if (oldmode) hi &= ~D_AVL;
  }
  desc.setLdt(u.entry, lo, hi >>> 0);
  // refresh_ldt_segments(): DS and ES holding LDT selectors are reloaded (FS/GS keep
  // their cached descriptors until the program reloads them).
  for (const seg of [DS, ES]) if (t.cpu.selector(seg) & 4) refreshSeg(t.cpu, seg);
  return 0;
}

/** This module's rows of the system call table (syscalls/index.ts). */
export const mmSyscalls = syscallTable({
  brk: (t, a) => brk(t, a >>> 0),
  mmap2: (t, addr, len, prot, flags, fd, pgoff) => mmap(t, addr >>> 0, len >>> 0, prot, flags, fd, (pgoff >>> 0) * PAGE_SIZE),
  mmap: (t, args) => {
    // old_mmap: arguments in a struct mmap_arg_struct.
    const dv = getStruct(t, args >>> 0, 24);
    if (!dv) return -EFAULT;
    const off = dv.getUint32(20, true);
    if (!aligned(off)) return -EINVAL;
    return mmap(t, dv.getUint32(0, true), dv.getUint32(4, true), dv.getInt32(8, true), dv.getInt32(12, true), dv.getInt32(16, true), off);
  },
  munmap: (t, a, l) => munmap(t, a >>> 0, l >>> 0),
  mprotect: (t, a, l, prot) => {
    a >>>= 0;
    if (!aligned(a)) return -EINVAL;
    if (prot & ~7 & ~0x03000000) return -EINVAL;
    return t.mem.protect(a, l >>> 0, prot & 7) ? 0 : -ENOMEM;
  },
  mremap: (t, a, os, ns, fl, na) => mremap(t, a >>> 0, os >>> 0, ns >>> 0, fl, na >>> 0),
  madvise: (t, a, l, adv) => madvise(t, a >>> 0, l >>> 0, adv),
  msync: async (t, a, l) => { a >>>= 0; if (!aligned(a)) return -EINVAL; await writeBack(t, a, a + pageUp(l >>> 0)); return 0; },
  mincore: (t, a, l, vec) => {
    const n = pageUp(l >>> 0) / PAGE_SIZE;
    if (!t.mem.isAccessible(a >>> 0, l >>> 0, 0)) return -ENOMEM;
    return putStruct(t, vec >>> 0, n, (dv) => { for (let i = 0; i < n; i++) dv.setUint8(i, 1); }) ? 0 : -EFAULT;
  },
  mlock: () => 0, munlock: () => 0, mlockall: () => 0, munlockall: () => 0, mlock2: () => 0,
  set_thread_area: (t, u) => setTls(t, u >>> 0),
  get_thread_area: (t, u) => getThreadArea(t, u >>> 0),
  modify_ldt: (t, func, ptr, count) => modifyLdt(t, func, ptr >>> 0, count >>> 0),
  // A 64-bit kernel's compat table has no vm86: sys_ni_syscall.
  vm86: () => -ENOSYS,
  vm86old: () => -ENOSYS,
});
export type { Mapping };
