/**
 * Memory shared between processes: MAP_SHARED mappings of a file (or of /dev/zero and
 * anonymous memory) seen by several address spaces, as after fork(2) or when two
 * processes map the same file (sem_open's /dev/shm/sem.* files, Python's multiprocessing
 * locks and queues).
 *
 * Each address space is one flat WebAssembly.Memory, so pages cannot be aliased between
 * spaces. Instead every shared object keeps a canonical copy of its pages, and the
 * scheduler keeps spaces coherent at the only points where another space can observe
 * them: when it switches from running one space to running another, the space that ran
 * copies its shared pages out and the space about to run copies them in (shmSwitch).
 * Tasks run one at a time on one JS thread, so between two switches only the running
 * space can change shared memory. The cost is a copy of the shared mappings of the two
 * spaces per switch between them, so this suits small shared areas (locks, queues);
 * spaces without shared mappings pay nothing.
 *
 * Futexes in shared mappings are keyed by (object, offset) (futex.ts asks shmKey), so a
 * wake in one process reaches a waiter in another.
 *
 * Known limits: a blocked system call that completes later (read(2) into a shared buffer)
 * writes to its space's copy, which the next switch into that space overwrites; and
 * two mappings of the same object inside one space are not kept coherent with each other.
 */
import { MAP_SHARED, PAGE_SHIFT, PAGE_SIZE, type AddressSpace, type Mapping } from '../mem/address-space.js';

/** Device number reported for anonymous shared memory (the kernel's shmem: 00:01). */
export const SHM_ANON_DEV = 1;
let nextAnonIno = 1;
/** A fresh inode number for an anonymous shared mapping (MAP_SHARED|MAP_ANONYMOUS, /dev/zero). */
export const newAnonIno = (): number => nextAnonIno++;

interface SharedObject {
  key: string;
  /** Canonical contents by page index within the object (pages nobody copied out yet are absent). */
  pages: Map<number, Uint8Array>;
  /** Spaces that map (or mapped) it. */
  spaces: Set<AddressSpace>;
}

const objects = new Map<string, SharedObject>();
/** Spaces holding at least one shared mapping. */
const sharers = new Set<AddressSpace>();
/** The space whose memory may be newer than the canonical copies. */
let current: AddressSpace | null = null;

const isShared = (m: Mapping): boolean => (m.flags & MAP_SHARED) !== 0 && m.ino !== 0;
const keyOf = (m: Mapping): string => `${m.dev}:${m.ino}`;

function object(m: Mapping, create: boolean): SharedObject | undefined {
  const key = keyOf(m);
  let o = objects.get(key);
  if (!o && create) { o = { key, pages: new Map(), spaces: new Set() }; objects.set(key, o); }
  return o;
}

function copyOut(mem: AddressSpace): void {
  for (const m of mem.mappings) {
    if (!isShared(m)) continue;
    const o = object(m, true)!;
    const first = m.offset >>> PAGE_SHIFT;
    for (let a = m.start, i = first; a < m.end; a += PAGE_SIZE, i++) {
      let page = o.pages.get(i);
      if (!page) { page = new Uint8Array(PAGE_SIZE); o.pages.set(i, page); }
      page.set(mem.u8.subarray(a, a + PAGE_SIZE));
    }
  }
}

function copyIn(mem: AddressSpace): void {
  for (const m of mem.mappings) {
    if (!isShared(m)) continue;
    const o = object(m, false);
    if (!o) continue;
    const first = m.offset >>> PAGE_SHIFT;
    for (let a = m.start, i = first; a < m.end; a += PAGE_SIZE, i++) {
      const page = o.pages.get(i);
      if (page) copyPage(mem, a, page);
    }
  }
}

/**
 * Another space's version of a shared page replaces this space's copy: code decoded or
 * translated from the old bytes must go, as for any write into guest memory (another
 * process may have written code there: test/jit/smc.c).
 */
function copyPage(mem: AddressSpace, a: number, page: Uint8Array): void {
  mem.invalidateCode(a, page.length);
  mem.u8.set(page, a);
}

/** The scheduler is about to run a task of `mem`. */
export function shmSwitch(mem: AddressSpace): void {
  if (mem === current) return;
  if (current && sharers.has(current)) copyOut(current);
  current = mem;
  if (sharers.has(mem)) copyIn(mem);
}

/**
 * A shared mapping was just created in `mem` (the running space) and filled from its file
 * or zeroed. If another space maps the same object, its canonical pages replace that.
 */
export function shmMapped(mem: AddressSpace, m: Mapping): void {
  if (!isShared(m)) return;
  const o = object(m, true)!;
  for (const s of o.spaces) {
    if (s !== mem && (s.users <= 0 || !s.mappings.some((x) => isShared(x) && keyOf(x) === o.key))) o.spaces.delete(s);
  }
  if (o.spaces.size === 0 || (o.spaces.size === 1 && o.spaces.has(mem))) o.pages.clear();
  else {
    if (current && current !== mem && sharers.has(current)) copyOut(current);
    const first = m.offset >>> PAGE_SHIFT;
    for (let a = m.start, i = first; a < m.end; a += PAGE_SIZE, i++) {
      const page = o.pages.get(i);
      if (page) copyPage(mem, a, page);
    }
  }
  o.spaces.add(mem);
  sharers.add(mem);
}

/**
 * [start, end) of `mem` is about to be unmapped (munmap, shmdt): the running space's
 * writes there become the canonical pages first, or the next switch into another space
 * mapping the same object would bring back older ones.
 */
export function shmUnmap(mem: AddressSpace, start: number, end: number): void {
  if (mem !== current || !sharers.has(mem)) return;
  for (const m of mem.mappings) {
    if (!isShared(m) || m.end <= start || m.start >= end) continue;
    const o = object(m, true)!;
    const s = Math.max(m.start, start), e = Math.min(m.end, end);
    for (let a = s, i = (m.offset + (s - m.start)) >>> PAGE_SHIFT; a < e; a += PAGE_SIZE, i++) {
      let page = o.pages.get(i);
      if (!page) { page = new Uint8Array(PAGE_SIZE); o.pages.set(i, page); }
      page.set(mem.u8.subarray(a, a + PAGE_SIZE));
    }
  }
}

/** fork(2): `child` is a copy of `parent`, sharing its shared mappings. */
export function shmFork(parent: AddressSpace, child: AddressSpace): void {
  if (!sharers.has(parent)) return;
  let any = false;
  for (const m of child.mappings) {
    if (!isShared(m)) continue;
    object(m, true)!.spaces.add(child);
    any = true;
  }
  if (!any) return;
  sharers.add(child);
  // The child starts from the parent's memory; make the copies agree with it.
  if (current === parent) copyOut(parent);
}

/**
 * Objects whose content outlives every mapping of them (SysV segments: linux/sysv-shm.ts),
 * by key: told the newest bytes of each page when a space mapping them goes away.
 */
const keepers = new Map<string, (page: number, data: Uint8Array) => void>();
export function shmKeep(dev: number, ino: number, keep: ((page: number, data: Uint8Array) => void) | null): void {
  if (keep) keepers.set(`${dev}:${ino}`, keep); else keepers.delete(`${dev}:${ino}`);
}

/** `mem` is about to be released (exit, exec): publish its writes and forget it. */
export function shmRelease(mem: AddressSpace): void {
  if (!sharers.has(mem)) { if (current === mem) current = null; return; }
  if (current === mem) { if (mem.users <= 1) copyOut(mem); }
  if (mem.users > 1) return;
  // The canonical pages are now the newest (copied out at this space's last switch, or just now).
  for (const m of mem.mappings) {
    const keep = isShared(m) ? keepers.get(keyOf(m)) : undefined;
    const o = keep && objects.get(keyOf(m));
    if (!keep || !o) continue;
    for (let i = m.offset >>> PAGE_SHIFT, a = m.start; a < m.end; a += PAGE_SIZE, i++) {
      const page = o.pages.get(i);
      if (page) keep(i, page);
    }
  }
  if (current === mem) current = null;
  sharers.delete(mem);
  for (const m of mem.mappings) {
    if (!isShared(m)) continue;
    const o = objects.get(keyOf(m));
    if (!o) continue;
    o.spaces.delete(mem);
    if (o.spaces.size === 0) objects.delete(o.key);
  }
}

/** The futex key of `addr` in `mem`: (object, byte offset) inside a shared mapping, else undefined. */
export function shmKey(mem: AddressSpace, addr: number): { obj: object; off: number } | undefined {
  if (!sharers.has(mem)) return undefined;
  const m = mem.findMapping(addr);
  if (!m || !isShared(m)) return undefined;
  return { obj: object(m, true)!, off: m.offset + (addr - m.start) };
}
