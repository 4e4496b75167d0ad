/**
 * System V shared memory (shmget(2), shmat(2), shmdt(2), shmctl(2); ipc/shm.c): the
 * segments of one machine (one IPC namespace), what MIT-SHM clients (cairo-xcb in i3,
 * GTK, xwd -shm...) attach together with the X server.
 *
 * An attached segment is a MAP_SHARED mapping of an anonymous shared object (shm.ts), so
 * attachments in different processes are kept coherent the way shm.ts keeps every shared
 * mapping coherent: copied out of the space that ran and into the space about to run at
 * each switch between them. That suits small segments; a large one (a full-screen image)
 * costs a copy of it per switch between the processes attaching it, which is the limit of
 * that design. A segment's content lives on after every process has detached (shmdt, or
 * exit: shm.ts hands the newest pages over), until it is removed, as on Linux.
 *
 * Limits: no SHM_HUGETLB/SHM_NORESERVE effect (accepted), no swap, SHM_LOCK is recorded
 * only; shmctl without IPC_64 (the pre-2.4 struct layouts) answers EINVAL; shmat with
 * SHM_EXEC maps executable memory as asked.
 */
import type { Kernel } from './kernel.js';
import type { Task } from './task.js';
import { MAP_FIXED, MAP_SHARED, MMAP_MIN_ADDR, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, pageUp } from '../mem/address-space.js';
import { SHM_ANON_DEV, newAnonIno, shmKeep, shmMapped, shmUnmap } from './shm.js';
import { realtimeNs } from './clock.js';
import { EACCES, EEXIST, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC, EPERM } from './errno.js';
import { copyIn, putStruct } from './uaccess.js';

export const IPC_PRIVATE = 0;
const IPC_CREAT = 0o1000, IPC_EXCL = 0o2000;
const SHM_RDONLY = 0o10000, SHM_RND = 0o20000, SHM_REMAP = 0o40000, SHM_EXEC = 0o100000;
export const IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
const SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
export const IPC_64 = 0x100;
/** Mode bits the kernel adds: marked for destruction, locked. */
const SHM_DEST = 0o1000, SHM_LOCKED = 0o2000;
/** include/uapi/linux/shm.h defaults (SHMMAX, SHMALL in pages, SHMMNI), and IPCMNI, the id's sequence multiplier. */
const SHMMIN = 1, SHMMAX = 0xfeffffff, SHMALL = 0xfeffffff >>> 12, SHMMNI = 4096, IPCMNI = 32768;

/** struct shmid64_ds on i386 (asm-generic/shmbuf.h, ipc64_perm of 36 bytes): 84 bytes. */
const SHMID64 = {
  size: 84, key: 0, uid: 4, gid: 8, cuid: 12, cgid: 16, mode: 20, seq: 24, segsz: 36, atime: 40, dtime: 48, ctime: 56,
  cpid: 64, lpid: 68, nattch: 72,
} as const;
/** struct shminfo64 (IPC_INFO) and struct shm_info (SHM_INFO) field offsets. */
const SHMINFO64 = { size: 36, shmmax: 0, shmmin: 4, shmmni: 8, shmseg: 12, shmall: 16 } as const;
const SHM_INFO_S = { size: 24, usedIds: 0, shmTot: 4, shmRss: 8, shmSwp: 12, swapAttempts: 16, swapSuccesses: 20 } as const;

interface Segment {
  id: number;
  idx: number;
  seq: number;
  key: number;
  size: number;
  uid: number; gid: number; cuid: number; cgid: number;
  mode: number;
  cpid: number; lpid: number;
  atime: number; dtime: number; ctime: number;
  ino: number;
  /** The content while no space holds newer pages (zero-filled pages are absent). */
  store: Map<number, Uint8Array>;
}

class Namespace {
  readonly byIdx = new Map<number, Segment>();
  private seq = 0;
  totPages = 0;

  add(seg: Omit<Segment, 'id' | 'idx' | 'seq'>): Segment | number {
    let idx = 0;
    while (this.byIdx.has(idx)) idx++;
    if (idx >= SHMMNI) return -ENOSPC;
    const s: Segment = { ...seg, idx, seq: this.seq, id: this.seq * IPCMNI + idx };
    this.seq = (this.seq + 1) % 65536;
    this.byIdx.set(idx, s);
    this.totPages += pageUp(s.size) / PAGE_SIZE;
    shmKeep(SHM_ANON_DEV, s.ino, (page, data) => { s.store.set(page, data.slice()); });
    return s;
  }

  /** ipc_obtain_object_check: the segment with this id (index and sequence both match). */
  get(id: number): Segment | undefined {
    if (id < 0) return undefined;
    const s = this.byIdx.get(id % IPCMNI);
    return s && s.id === id ? s : undefined;
  }

  remove(s: Segment): void {
    this.byIdx.delete(s.idx);
    this.totPages -= pageUp(s.size) / PAGE_SIZE;
    shmKeep(SHM_ANON_DEV, s.ino, null);
  }
}

const namespaces = new WeakMap<Kernel, Namespace>();
const nsOf = (k: Kernel): Namespace => {
  let n = namespaces.get(k);
  if (!n) namespaces.set(k, n = new Namespace());
  return n;
};

const nowSec = (): number => Number(realtimeNs() / 1_000_000_000n);
const nameOf = (s: Segment): string => `/SYSV${(s.key >>> 0).toString(16).padStart(8, '0')} (deleted)`;

/** Attachments of `s` now: mappings of it in every live process's space (threads share one). */
function nattch(k: Kernel, s: Segment): number {
  const spaces = new Set([...k.processes.values()].filter((p) => !p.zombie).map((p) => p.mem));
  let n = 0;
  for (const mem of spaces) for (const m of mem.mappings) if (m.dev === SHM_ANON_DEV && m.ino === s.ino && m.offset === 0) n++;
  return n;
}

/** ipcperms: owner, group or other bits for the requested access; root passes. */
function permitted(t: Task, s: Segment, want: number): boolean {
  const c = t.proc.creds;
  if (c.euid === 0) return true;
  const bits = c.euid === s.uid || c.euid === s.cuid ? s.mode >> 6 : c.egid === s.gid || c.egid === s.cgid || c.groups.includes(s.gid) ? s.mode >> 3 : s.mode;
  return (bits & want) === want;
}

/** A removed segment nobody maps any more is gone. */
function reap(k: Kernel, ns: Namespace): void {
  for (const s of [...ns.byIdx.values()]) if (s.mode & SHM_DEST && nattch(k, s) === 0) ns.remove(s);
}

export function shmget(t: Task, key: number, size: number, flags: number): number {
  const ns = nsOf(t.kernel);
  reap(t.kernel, ns);
  size >>>= 0;
  if (key !== IPC_PRIVATE) {
    const s = [...ns.byIdx.values()].find((x) => x.key === key && !(x.mode & SHM_DEST));
    if (s) {
      if (flags & IPC_CREAT && flags & IPC_EXCL) return -EEXIST;
      if (!permitted(t, s, ((flags >> 6) | (flags >> 3) | flags) & 7)) return -EACCES;
      if (s.size < size) return -EINVAL;
      return s.id;
    }
    if (!(flags & IPC_CREAT)) return -ENOENT;
  }
  if (size < SHMMIN || size > SHMMAX) return -EINVAL;
  const pages = pageUp(size) / PAGE_SIZE;
  if (ns.totPages + pages > SHMALL) return -ENOSPC;
  const c = t.proc.creds, now = nowSec();
  const r = ns.add({
    key, size, uid: c.euid, gid: c.egid, cuid: c.euid, cgid: c.egid, mode: flags & 0o777, cpid: t.proc.pid, lpid: 0,
    atime: 0, dtime: 0, ctime: now, ino: newAnonIno(), store: new Map(),
  });
  return typeof r === 'number' ? r : r.id;
}

/** do_shmat: the attach address, or -errno. */
export function shmat(t: Task, id: number, addr: number, flags: number): number {
  const k = t.kernel, ns = nsOf(k), mem = t.mem;
  addr >>>= 0;
  if (id < 0) return -EINVAL;
  let fixed = false;
  if (addr) {
    if (addr & (PAGE_SIZE - 1)) {
      if (!(flags & SHM_RND)) return -EINVAL;
      addr &= ~(PAGE_SIZE - 1);
      if (!addr && flags & SHM_REMAP) return -EINVAL;
    }
    fixed = addr !== 0;
  } else if (flags & SHM_REMAP) return -EINVAL;
  const s = ns.get(id);
  if (!s) return -EINVAL;
  const ro = (flags & SHM_RDONLY) !== 0;
  if (!permitted(t, s, ro ? 4 : 6)) return -EACCES;
  const size = pageUp(s.size);
  if (fixed) {
    if (addr + size > mem.size || addr < MMAP_MIN_ADDR) return -EINVAL;
    if (!(flags & SHM_REMAP) && mem.mappings.some((m) => m.start < addr + size && m.end > addr)) return -EINVAL;
  } else {
    addr = mem.findFree(size);
    if (addr < 0) return -ENOMEM;
  }
  if (!mem.reserve(addr + size)) return -ENOMEM;
  const prot = PROT_READ | (ro ? 0 : PROT_WRITE) | (flags & SHM_EXEC ? PROT_EXEC : 0);
  const m = mem.map(addr, size, prot, MAP_SHARED | (fixed ? MAP_FIXED : 0), nameOf(s), 0, SHM_ANON_DEV, s.ino);
  for (const [i, page] of s.store) if (i * PAGE_SIZE < size) mem.u8.set(page, addr + i * PAGE_SIZE);
  shmMapped(mem, m);
  s.atime = nowSec();
  s.lpid = t.proc.pid;
  return addr;
}

/** ksys_shmdt: unmap the segment attached at `addr` (its first page must be there). */
export function shmdt(t: Task, addr: number): number {
  addr >>>= 0;
  if (addr & (PAGE_SIZE - 1)) return -EINVAL;
  const mem = t.mem;
  const m = mem.mappings.find((x) => x.start === addr && x.dev === SHM_ANON_DEV && x.offset === 0);
  const ns = nsOf(t.kernel);
  const s = m && [...ns.byIdx.values()].find((x) => x.ino === m.ino);
  if (!m || !s) return -EINVAL;
  // This space is running, so its pages are the newest: they become the segment's content.
  const size = pageUp(s.size);
  for (let i = 0; i * PAGE_SIZE < size; i++) {
    const a = addr + i * PAGE_SIZE;
    const page = mem.findMapping(a)?.ino === s.ino ? mem.u8.slice(a, a + PAGE_SIZE) : null;
    if (page) s.store.set(i, page);
  }
  shmUnmap(mem, addr, addr + size);
  mem.unmap(addr, size);
  s.dtime = nowSec();
  s.lpid = t.proc.pid;
  reap(t.kernel, ns);
  return 0;
}

export function shmctl(t: Task, id: number, cmd: number, buf: number, ipc64 = true): number {
  const k = t.kernel, ns = nsOf(k);
  reap(k, ns);
  if (cmd < 0 || id < 0) return -EINVAL;
  if (!ipc64 && cmd !== IPC_RMID) return -EINVAL;
  switch (cmd) {
    case IPC_INFO: {
      const ok = putStruct(t, buf, SHMINFO64.size, (dv) => {
        dv.setUint32(SHMINFO64.shmmax, SHMMAX, true); dv.setUint32(SHMINFO64.shmmin, SHMMIN, true);
        dv.setUint32(SHMINFO64.shmmni, SHMMNI, true); dv.setUint32(SHMINFO64.shmseg, SHMMNI, true);
        dv.setUint32(SHMINFO64.shmall, SHMALL, true);
      });
      return ok ? Math.max(0, ...[...ns.byIdx.keys()]) : -EFAULT;
    }
    case SHM_INFO: {
      const ok = putStruct(t, buf, SHM_INFO_S.size, (dv) => {
        dv.setInt32(SHM_INFO_S.usedIds, ns.byIdx.size, true);
        dv.setUint32(SHM_INFO_S.shmTot, ns.totPages, true);
        dv.setUint32(SHM_INFO_S.shmRss, ns.totPages, true);
      });
      return ok ? Math.max(0, ...[...ns.byIdx.keys()]) : -EFAULT;
    }
    case IPC_STAT: case SHM_STAT: case SHM_STAT_ANY: {
      const s = cmd === IPC_STAT ? ns.get(id) : ns.byIdx.get(id);
      if (!s) return -EINVAL;
      if (cmd !== SHM_STAT_ANY && !permitted(t, s, 4)) return -EACCES;
      const ok = putStruct(t, buf, SHMID64.size, (dv) => {
        dv.setInt32(SHMID64.key, s.key, true);
        dv.setUint32(SHMID64.uid, s.uid, true); dv.setUint32(SHMID64.gid, s.gid, true);
        dv.setUint32(SHMID64.cuid, s.cuid, true); dv.setUint32(SHMID64.cgid, s.cgid, true);
        dv.setUint16(SHMID64.mode, s.mode, true); dv.setUint16(SHMID64.seq, s.seq, true);
        dv.setUint32(SHMID64.segsz, s.size, true);
        dv.setUint32(SHMID64.atime, s.atime, true); dv.setUint32(SHMID64.dtime, s.dtime, true); dv.setUint32(SHMID64.ctime, s.ctime, true);
        dv.setInt32(SHMID64.cpid, s.cpid, true); dv.setInt32(SHMID64.lpid, s.lpid, true);
        dv.setUint32(SHMID64.nattch, nattch(k, s), true);
      });
      if (!ok) return -EFAULT;
      return cmd === IPC_STAT ? 0 : s.id;
    }
  }
  const s = ns.get(id);
  if (!s) return -EINVAL;
  const c = t.proc.creds;
  const owner = c.euid === 0 || c.euid === s.uid || c.euid === s.cuid;
  switch (cmd) {
    case IPC_RMID:
      if (!owner) return -EPERM;
      if (nattch(k, s) === 0) ns.remove(s);
      else { s.mode |= SHM_DEST; s.key = IPC_PRIVATE; }
      s.ctime = nowSec();
      return 0;
    case IPC_SET: {
      const b = copyIn(t, buf, SHMID64.size);
      if (!b) return -EFAULT;
      if (!owner) return -EPERM;
      const dv = new DataView(b.buffer);
      s.uid = dv.getUint32(SHMID64.uid, true);
      s.gid = dv.getUint32(SHMID64.gid, true);
      s.mode = (s.mode & ~0o777) | (dv.getUint16(SHMID64.mode, true) & 0o777);
      s.ctime = nowSec();
      return 0;
    }
    case SHM_LOCK: case SHM_UNLOCK:
      if (c.euid !== 0 && !owner) return -EPERM;
      s.mode = cmd === SHM_LOCK ? s.mode | SHM_LOCKED : s.mode & ~SHM_LOCKED;
      return 0;
  }
  return -EINVAL;
}

