import { AlignmentFault, PageFault } from './fault.js';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
/** Internal page bit: the page holds decoded code, so writes must take the slow path. */
const CODE = 8;

export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;
export const MAP_GROWSDOWN = 0x100, MAP_NORESERVE = 0x4000, MAP_FIXED_NOREPLACE = 0x100000;

/** Default top of user space, as a 32-bit kernel with the 3G/1G split. */
export const DEFAULT_TASK_SIZE = 0xc0000000;
/** Entries of the page table (AddressSpace.perm): one per 4 KiB page of the 32-bit space. */
const PERM_BYTES = 1 << 20;
/**
 * Bytes above the page table reserved for the JIT's hub (jit/hub.ts: the cache of region
 * entries that translated code chains through). Untouched pages of it cost nothing.
 */
export const HUB_AREA_BYTES = 0x50000;
/** Low 64 KiB: never mapped for the guest (mmap_min_addr); holds per-thread CPU state. */
export const STATE_AREA_END = 0x10000;

export interface Mapping {
  start: number;
  end: number;
  prot: number;
  flags: number;
  /** Name shown in /proc/PID/maps: a path, "[heap]", "[stack]", or "". */
  name: string;
  /** File offset of `start`, for file mappings. */
  offset: number;
  dev: number;
  ino: number;
  /** The open file behind a MAP_SHARED file mapping (written back by msync/munmap). */
  backing?: unknown;
  /**
   * Reads the file behind a private file mapping (mmap of a file), so pages dropped by
   * madvise(MADV_DONTNEED) read the file's content again, as Linux's page cache gives.
   */
  source?: (buf: Uint8Array, off: number) => number | Promise<number>;
}

export const pageUp = (n: number): number => ((n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)) >>> 0;

/**
 * One guest address space: a WebAssembly.Memory where guest address = offset, and a page
 * table of protections beside it.
 *
 * The memory is created at full task size: V8 reserves the range and the OS commits pages
 * only when touched, so an untouched 3 GiB space costs nothing, and views never go stale
 * because the memory never grows.
 */
export class AddressSpace {
  readonly memory: WebAssembly.Memory;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /**
   * Per page: PROT_* bits plus CODE. It lives in the Wasm memory itself, just above the task
   * size at `permBase` (2^20 entries: every 32-bit address has one, 0 above the task size),
   * so code translated by the JIT checks protections inline (jit/codegen.ts).
   *
   * The accessors read `perm`. While alignment checking is on (EFLAGS.AC set in the running
   * thread) it is a copy without the read and write bits, so every access takes a slow path,
   * which checks alignment against `realPerm`; the scheduler runs no translated code then.
   */
  perm: Uint8Array;
  /** Offset of the real `perm` in the memory (= size). */
  readonly permBase: number;
  /** The real page table while alignment checking is on, else null. */
  private realPerm: Uint8Array | null = null;
  private shadowPerm: Uint8Array | null = null;
  /** Per page: 1 if it may hold non-zero bytes (was mapped accessible since last zeroed). */
  readonly dirty: Uint8Array;
  /** `dirty` as words, to skip clean runs quickly. */
  private readonly dirty32: Uint32Array;
  readonly size: number;
  mappings: Mapping[] = [];
  brkStart = 0;
  brk = 0;
  /** Where top-down mmap placement starts searching (below the stack). */
  mmapTop: number;
  /** Called when a write hits a page holding decoded code. */
  onCodeWrite: (page: number) => void = () => {};
  /** Offset of the JIT hub's area in the memory (above the page table). */
  readonly hubBase: number;
  /** The JIT's hub for this memory (jit/hub.ts), created on first use; released with the space. */
  jitHub: { release(): void } | null = null;
  private freeSlots: number[] = [];

  constructor(size = DEFAULT_TASK_SIZE) {
    this.size = size;
    const pages = (size + PERM_BYTES + HUB_AREA_BYTES) / 65536;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.u8 = new Uint8Array(this.memory.buffer, 0, size);
    this.dv = new DataView(this.memory.buffer, 0, size);
    this.permBase = size;
    this.perm = new Uint8Array(this.memory.buffer, size, PERM_BYTES);
    this.hubBase = size + PERM_BYTES;
    this.dirty = new Uint8Array(size >>> PAGE_SHIFT);
    this.dirty32 = new Uint32Array(this.dirty.buffer, 0, this.dirty.length >>> 2);
    this.mmapTop = size - 0x10000000; // 256 MiB kept for the stack and its rlimit
    for (let off = STATE_AREA_END - 512; off >= 512; off -= 512) this.freeSlots.push(off);
  }

  /** Reserve a 512-byte CPU state slot in the low area (one per thread). */
  allocStateSlot(): number {
    const off = this.freeSlots.pop();
    if (off === undefined) throw new Error('too many threads in one address space');
    this.u8.fill(0, off, off + 512);
    return off;
  }
  freeStateSlot(off: number): void {
    this.freeSlots.push(off);
  }
  /** Mark a state slot as in use (after a fork copied it from the parent). */
  claimStateSlot(off: number): void {
    const i = this.freeSlots.indexOf(off);
    if (i >= 0) this.freeSlots.splice(i, 1);
  }

  // ---- Guest access, fast paths inline a single page-table load. ----

  read8(a: number): number {
    if (this.perm[a >>> 12] & PROT_READ) return this.u8[a];
    if (this.realPerm !== null && this.realPerm[a >>> 12] & PROT_READ) return this.u8[a];
    throw this.fault(a, false);
  }
  read16(a: number): number {
    if ((a & 0xfff) !== 0xfff && this.perm[a >>> 12] & PROT_READ) return this.dv.getUint16(a, true);
    if (this.realPerm !== null && a & 1) throw new AlignmentFault(a);
    return this.read8(a) | (this.read8((a + 1) >>> 0) << 8);
  }
  read32(a: number): number {
    if ((a & 0xfff) <= 0xffc && this.perm[a >>> 12] & PROT_READ) return this.dv.getInt32(a, true);
    if (this.realPerm !== null && a & 3) throw new AlignmentFault(a);
    return this.read16(a) | (this.read16((a + 2) >>> 0) << 16);
  }
  write8(a: number, v: number): void {
    if ((this.perm[a >>> 12] & (PROT_WRITE | CODE)) === PROT_WRITE) { this.u8[a] = v; return; }
    this.writeSlow(a, 1);
    this.u8[a] = v;
  }
  write16(a: number, v: number): void {
    if ((a & 0xfff) !== 0xfff && (this.perm[a >>> 12] & (PROT_WRITE | CODE)) === PROT_WRITE) {
      this.dv.setUint16(a, v, true);
      return;
    }
    this.writeSlow(a, 2);
    this.u8[a] = v; this.u8[a + 1] = v >> 8;
  }
  write32(a: number, v: number): void {
    if ((a & 0xfff) <= 0xffc && (this.perm[a >>> 12] & (PROT_WRITE | CODE)) === PROT_WRITE) {
      this.dv.setInt32(a, v, true);
      return;
    }
    this.writeSlow(a, 4);
    this.u8[a] = v; this.u8[a + 1] = v >> 8; this.u8[a + 2] = v >> 16; this.u8[a + 3] = v >> 24;
  }
  /**
   * Raise now the fault an n-byte store at a would raise (n = 1, 2 or 4). A read-modify-write
   * calls it between its load and its arithmetic: the CPU's flags are untouched when the store
   * faults (a SIGSEGV handler that fixes the page and returns re-runs the instruction with the
   * old flags: adc/sbb would otherwise store a different value). One page-table load when the
   * store will succeed; a code page takes writeSlow's invalidation, as the store itself would.
   */
  writable(a: number, n: number): void {
    if ((a & 0xfff) <= 0x1000 - n && (this.perm[a >>> 12] & (PROT_WRITE | CODE)) === PROT_WRITE) return;
    this.writeSlow(a, n);
  }
  /** Check that [a, a+n) is writable, invalidating decoded code on the way; throws on fault. */
  writeSlow(a: number, n: number): void {
    const last = (a + n - 1) >>> 0;
    if (last < a) throw this.fault(this.size, true);
    const real = this.realPerm;
    if (real !== null && a & (n - 1)) throw new AlignmentFault(a);
    for (let p = a >>> 12; p <= last >>> 12; p++) {
      const bits = this.perm[p];
      if (!((real === null ? bits : real[p]) & PROT_WRITE)) throw this.fault(p === a >>> 12 ? a : (p << 12) >>> 0, true);
      if (bits & CODE) {
        this.perm[p] = bits & ~CODE;
        this.onCodeWrite(p);
      }
    }
  }
  /**
   * EFLAGS.AC (alignment check) for the code about to run: accessors see a page table
   * without read/write bits, so each access goes through its slow path, which raises an
   * AlignmentFault for a misaligned 2- or 4-byte access and otherwise checks the real
   * bits. With AC clear nothing changes: the fast paths stay as they are (the cost of the
   * feature when unused is nil). Called around one run of the interpreter; `leave`
   * carries back the code marks (CODE, set and cleared while running).
   */
  enterAlignmentCheck(): void {
    if (this.realPerm !== null) return;
    const real = this.perm;
    const shadow = (this.shadowPerm ??= new Uint8Array(real.length));
    const strip = ~(PROT_READ | PROT_WRITE) & 0xff;
    for (let i = 0; i < real.length; i++) shadow[i] = real[i] & strip;
    this.realPerm = real;
    this.perm = shadow;
  }
  leaveAlignmentCheck(): void {
    const real = this.realPerm;
    if (real === null) return;
    const shadow = this.perm;
    const rw = PROT_READ | PROT_WRITE;
    for (let i = 0; i < real.length; i++) real[i] = (real[i] & rw) | (shadow[i] & ~rw);
    this.perm = real;
    this.realPerm = null;
  }

  /** SEGV_ACCERR when a mapping covers the address (PROT_NONE included), else SEGV_MAPERR. */
  fault(a: number, write: boolean, fetch = false): PageFault {
    return new PageFault(a >>> 0, this.findMapping(a >>> 0) !== undefined, write, fetch);
  }

  /** Fetch check for the decoder: throws a PageFault if [a, a+n) is not executable. */
  checkExec(a: number, n: number): void {
    for (let p = a >>> 12; p <= (a + n - 1) >>> 12; p++) {
      if (!(this.perm[p] & PROT_EXEC)) throw this.fault(p === a >>> 12 ? a : (p << 12) >>> 0, false, true);
    }
  }
  markCode(page: number): void {
    this.perm[page] |= CODE;
  }

  /** True if every page of [a, a+n) has all of `prot`. */
  isAccessible(a: number, n: number, prot: number): boolean {
    if (n === 0) return true;
    const last = a + n - 1;
    if (last >= this.size) return false;
    for (let p = a >>> 12; p <= last >>> 12; p++) if ((this.perm[p] & prot) !== prot) return false;
    return true;
  }

  // ---- Bulk copies for system calls (they return false instead of faulting). ----

  readBytes(a: number, n: number): Uint8Array | null {
    if (!this.isAccessible(a, n, PROT_READ)) return null;
    return this.u8.slice(a, a + n);
  }
  /** A view (no copy) of guest memory; valid until the guest runs again. */
  view(a: number, n: number, prot = PROT_READ): Uint8Array | null {
    if (!this.isAccessible(a, n, prot)) return null;
    return this.u8.subarray(a, a + n);
  }
  writeBytes(a: number, data: Uint8Array): boolean {
    if (!this.isAccessible(a, data.length, PROT_WRITE)) return false;
    if (data.length) this.invalidateCode(a, data.length);
    this.u8.set(data, a);
    return true;
  }
  /** A NUL-terminated string, or null if it runs into unreadable memory or past `max`. */
  readCString(a: number, max = 4096): string | null {
    let end = a;
    const lim = Math.min(a + max, this.size);
    for (;;) {
      if (end >= lim) return null;
      if (!(this.perm[end >>> 12] & PROT_READ)) return null;
      if (this.u8[end] === 0) break;
      end++;
    }
    return utf8.decode(this.u8.subarray(a, end));
  }
  invalidateCode(a: number, n: number): void {
    for (let p = a >>> 12; p <= (a + n - 1) >>> 12; p++) {
      if (this.perm[p] & CODE) {
        this.perm[p] &= ~CODE;
        this.onCodeWrite(p);
      }
    }
  }

  // ---- Mappings ----

  /** Bytes mapped in all (total_vm, what RLIMIT_AS limits). */
  mappedBytes(): number {
    let n = 0;
    for (const m of this.mappings) n += m.end - m.start;
    return n;
  }

  /** Bytes of [start, start+len) already mapped (a MAP_FIXED mapping replaces them). */
  mappedIn(start: number, len: number): number {
    let n = 0;
    const end = start + len;
    for (const m of this.mappings) if (m.end > start && m.start < end) n += Math.min(m.end, end) - Math.max(m.start, start);
    return n;
  }

  findMapping(a: number): Mapping | undefined {
    for (const m of this.mappings) if (a >= m.start && a < m.end) return m;
    return undefined;
  }

  /** Lowest address range of `len` bytes, searching down from mmapTop, that is free. */
  findFree(len: number, below = this.mmapTop): number {
    let top = below;
    const sorted = this.mappings;
    for (let i = sorted.length - 1; i >= -1; i--) {
      const m = sorted[i];
      if (m && m.start >= top) continue;
      const floor = m ? m.end : STATE_AREA_END;
      if (top - floor >= len) return top - len;
      if (!m) break;
      top = m.start;
    }
    return -1;
  }

  /**
   * Map [start, start+len) with `prot`, replacing anything there. Fresh anonymous pages
   * are zeroed. Returns the mapping record.
   */
  map(start: number, len: number, prot: number, flags: number, name = '', offset = 0, dev = 0, ino = 0): Mapping {
    len = pageUp(len);
    this.unmap(start, len);
    this.zeroDirty(start, start + len);
    this.invalidateCodeRange(start, len);
    const m: Mapping = { start, end: start + len, prot, flags, name, offset, dev, ino };
    const i = this.mappings.findIndex((x) => x.start > start);
    if (i < 0) this.mappings.push(m); else this.mappings.splice(i, 0, m);
    this.setPerm(start, len, prot);
    // Pages that can be written (or get file contents) may hold data from now on.
    if (prot !== 0) this.dirty.fill(1, start >>> 12, (start + len) >>> 12);
    return this.coalesce(m);
  }

  /** Merge m with identical neighbours (as the kernel merges VMAs; keeps /proc/PID/maps tidy). */
  private coalesce(m: Mapping): Mapping {
    const ms = this.mappings;
    const same = (a: Mapping, b: Mapping) => a.end === b.start && a.prot === b.prot && a.flags === b.flags &&
      a.name === b.name && a.dev === b.dev && a.ino === b.ino && a.backing === b.backing && a.source === b.source &&
      (a.ino === 0 || a.offset + (a.end - a.start) === b.offset);
    let i = ms.indexOf(m);
    if (i > 0 && same(ms[i - 1], m)) { ms[i - 1].end = m.end; ms.splice(i, 1); i--; m = ms[i]; }
    if (i + 1 < ms.length && same(m, ms[i + 1])) { m.end = ms[i + 1].end; ms.splice(i + 1, 1); }
    return m;
  }

  /** Zero the pages of [start, end) that may have been written since they were last clean. */
  private zeroDirty(start: number, end: number): void {
    const d = this.dirty, d32 = this.dirty32;
    for (let p = start >>> 12, last = end >>> 12; p < last; p++) {
      // Skip clean runs four pages per test: releasing a 3 GiB space scans 768K entries
      // (12% of a fork+exec loop before, measured).
      while ((p & 3) === 0 && p + 4 <= last && d32[p >>> 2] === 0) p += 4;
      if (p >= last) break;
      if (!d[p]) continue;
      let q = p;
      while (q < last && d[q]) q++;
      this.u8.fill(0, p << 12 >>> 0, q << 12 >>> 0);
      d.fill(0, p, q);
      p = q;
    }
  }

  unmap(start: number, len: number): void {
    len = pageUp(len);
    const end = start + len;
    const out: Mapping[] = [];
    for (const m of this.mappings) {
      if (m.end <= start || m.start >= end) { out.push(m); continue; }
      if (m.start < start) out.push({ ...m, end: start });
      if (m.end > end) out.push({ ...m, start: end, offset: m.offset + (end - m.start) });
    }
    this.mappings = out;
    this.invalidateCodeRange(start, len);
    this.setPerm(start, len, 0);
  }

  /**
   * Grow a MAP_GROWSDOWN mapping (the stack) down to cover `addr`, as the page-fault
   * handler does, if the gap below it is free and the result stays within `limit` bytes.
   */
  growStack(addr: number, limit: number, room = Infinity): boolean {
    const page = (addr & ~(PAGE_SIZE - 1)) >>> 0;
    const above = this.mappings.find((m) => m.start > addr);
    if (!above || !(above.flags & MAP_GROWSDOWN)) return false;
    const below = this.mappings.filter((m) => m.end <= addr).pop();
    if (below && below.end > page) return false;
    let top = above.end;
    for (const m of this.mappings) if (m.start >= above.start && m.flags & MAP_GROWSDOWN && m.name === above.name) top = Math.max(top, m.end);
    if (top - page > limit || above.start - page > room) return false;
    this.map(page, above.start - page, above.prot, above.flags, above.name);
    return true;
  }

  /** Change protection of [start, start+len); false (ENOMEM) if part of it is unmapped. */
  protect(start: number, len: number, prot: number): boolean {
    len = pageUp(len);
    const end = start + len;
    for (let p = start >>> 12; p < end >>> 12; p++) if (this.perm[p] === 0 && !this.findMapping((p << 12) >>> 0)) return false;
    const out: Mapping[] = [];
    for (const m of this.mappings) {
      if (m.end <= start || m.start >= end) { out.push(m); continue; }
      if (m.start < start) out.push({ ...m, end: start });
      const s = Math.max(m.start, start), e = Math.min(m.end, end);
      out.push({ ...m, start: s, end: e, prot, offset: m.offset + (s - m.start) });
      if (m.end > end) out.push({ ...m, start: end, offset: m.offset + (end - m.start) });
    }
    this.mappings = out;
    if (!(prot & PROT_EXEC)) this.invalidateCodeRange(start, len);
    for (let p = start >>> 12; p < end >>> 12; p++) this.perm[p] = prot | (this.perm[p] & CODE);
    if (prot !== 0) this.dirty.fill(1, start >>> 12, end >>> 12);
    return true;
  }

  private setPerm(start: number, len: number, prot: number): void {
    this.perm.fill(prot & 7, start >>> 12, (start + len) >>> 12);
  }
  private invalidateCodeRange(start: number, len: number): void {
    for (let p = start >>> 12; p < (start + len) >>> 12; p++) {
      if (this.perm[p] & CODE) this.onCodeWrite(p);
    }
  }

  /**
   * A copy of this space for fork(): the state area and every page that may hold data,
   * the page table (keeping CODE marks: the child starts with the parent's decoded
   * blocks, see CodeCache.forkFrom), brk and mappings.
   */
  clone(): AddressSpace {
    const c = AddressSpace.create(this.size);
    c.u8.set(this.u8.subarray(0, STATE_AREA_END), 0);
    const d = this.dirty;
    for (const m of this.mappings) {
      for (let p = m.start >>> 12, last = m.end >>> 12; p < last; p++) {
        if (!d[p]) continue;
        let q = p;
        while (q < last && d[q]) q++;
        c.u8.set(this.u8.subarray(p << 12 >>> 0, q << 12 >>> 0), p << 12 >>> 0);
        p = q;
      }
    }
    c.dirty.set(this.dirty);
    c.perm.set(this.perm);
    c.mappings = this.mappings.map((m) => ({ ...m }));
    c.brkStart = this.brkStart;
    c.brk = this.brk;
    c.mmapTop = this.mmapTop;
    c.freeSlots = [...this.freeSlots];
    return c;
  }

  // ---- Reuse: creating and garbage-collecting multi-GiB memories dominated fork+exec
  // (55% of the time in GC, measured), so released spaces are cleaned and pooled. ----

  private static pool: AddressSpace[] = [];
  /** Processes (and vfork children) using this space; released at zero. */
  users = 1;

  static create(size = DEFAULT_TASK_SIZE): AddressSpace {
    const i = AddressSpace.pool.findIndex((a) => a.size === size);
    if (i >= 0) {
      const a = AddressSpace.pool.splice(i, 1)[0];
      a.users = 1;
      return a;
    }
    return new AddressSpace(size);
  }

  /** Drop one user; the last one cleans the space and returns it to the pool. */
  release(): void {
    if (--this.users > 0) return;
    this.zeroDirty(0, this.size);
    this.u8.fill(0, 0, STATE_AREA_END);
    this.perm.fill(0);
    this.mappings = [];
    this.brk = this.brkStart = 0;
    this.mmapTop = this.size - 0x10000000;
    this.freeSlots = [];
    for (let off = STATE_AREA_END - 512; off >= 512; off -= 512) this.freeSlots.push(off);
    this.onRelease();
    // Its translated code belongs to the old process: the hub's cache and table go (jit/hub.ts).
    if (this.jitHub !== null) { this.jitHub.release(); this.jitHub = null; }
    this.onCodeWrite = () => {};
    if (AddressSpace.pool.length < 4) AddressSpace.pool.push(this);
  }
  /** Called when the space is released (the code cache drops itself). */
  onRelease: () => void = () => {};
}

const utf8 = new TextDecoder();
