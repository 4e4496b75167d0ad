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
/** Offset of the page table (AddressSpace.perm) in the memory: fixed and low, below every guest mapping. */
export const PERM_BASE = STATE_AREA_END;
/** Offset of the JIT hub's area, right above the page table. */
export const HUB_BASE = PERM_BASE + PERM_BYTES;
/**
 * Lowest address the guest can map (our mmap_min_addr). Below it live the CPU states, the
 * page table and the hub (0x160000 bytes), so a MAP_FIXED mapping below it gets EPERM, as
 * Linux answers below vm.mmap_min_addr (64 KiB on Debian). docs/ARCHITECTURE.md, "Memory".
 */
export const MMAP_MIN_ADDR = 0x200000;
if (HUB_BASE + HUB_AREA_BYTES > MMAP_MIN_ADDR) throw new Error('address space: the low area does not fit below MMAP_MIN_ADDR');
/**
 * Top of the main thread's stack: low, so that a process's memory (which grows to cover its
 * highest mapping) stays small. The stack grows down to MMAP_MIN_ADDR (30 MiB of room, more
 * than the default 8 MiB RLIMIT_STACK); PIE programs and mmap go above it (linux/exec.ts).
 */
export const STACK_TOP = 0x2000000;
/** Room kept free above the program break for brk before mmap placement uses it. */
export const BRK_ROOM = 0x2000000;
/**
 * The memory grows in steps of this many bytes: each grow replaces memory.buffer, so the
 * views are rebuilt (AddressSpace.rebind); 16 MiB steps keep grows few (`bash -c` ends at
 * 80 MiB after 5) while the byte length Chromium's V8 counts stays near use.
 */
const GROW_STEP = 16 << 20;

/** Released spaces whose memory grew past this are not pooled for reuse. */
const POOL_MAX_BYTES = 256 << 20;

/**
 * Whether new memories start small and grow (true) or are made at the full task size and
 * never grow (false). Browsers need growth: Chromium's V8 counts each memory's byte length
 * toward its heap limit (the class comment). Node does not need it and pays for it: a grow
 * detaches the old ArrayBuffer, and after the first detach in a process V8 checks for
 * detachment on every typed-array access in optimised code, which cost the interpreter 3-11%
 * of its CPU (`node bench/typed-array-detach.mjs [grow]`: 61-62 ms against 71-73 ms for 40 M
 * accesses; docs/BENCHMARKS.md, session 10). A full-size memory there costs 6-9 mark-compacts
 * in 3 s against 2 (bench/wasm-memory-gc.ts) and is only reserved, not committed.
 * So the default is decided by the host: grow everywhere but Node.
 */
let growMemories = typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node !== 'string';
/** Choose how new memories are made (tests of the growing path run it in Node). */
export function setGrowMemories(on: boolean): void { growMemories = on; }

/** A mapping needs more memory than the host gives (the syscall answers ENOMEM). */
export class AddressSpaceFull extends Error {
  constructor(end: number) { super(`address space: cannot grow the memory to 0x${end.toString(16)} bytes`); }
}

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
 * table of protections in its low part.
 *
 * The memory starts small with the task size as its maximum and grows (in GROW_STEP steps)
 * to cover the highest mapped page. It used to be created at full task size (3 GiB), which
 * costs nothing in Node, but Chromium's V8 counts each memory's byte length toward its heap
 * limit: with 3+ processes alive the desktop's worker spent 55% of its time in full GCs
 * (bench/wasm-memory-gc.ts, docs/BENCHMARKS.md 2026-12-07). A grow detaches the old
 * memory.buffer, so every view is rebuilt (rebind): `u8`, `dv`, `perm` here, the CPU state
 * views of each thread (Cpu.bind, registered by state slot) and other watchers (watchGrow).
 * Views are taken fresh after any await; the only grows happen in map().
 */
export class AddressSpace {
  readonly memory: WebAssembly.Memory;
  /** The memory's bytes (rebuilt when it grows: read it, do not keep it across a map()). */
  u8: Uint8Array;
  dv: DataView;
  /**
   * Per page: PROT_* bits plus CODE. It lives in the Wasm memory itself at PERM_BASE, below
   * every guest mapping (2^20 entries: every 32-bit address has one, 0 above the task size),
   * so code translated by the JIT checks protections inline (jit/codegen.ts).
   *
   * The accessors read `perm`. While alignment checking is on (EFLAGS.AC set in the running
   * thread) it is a copy without the read and write bits, so every access takes a slow path,
   * which checks alignment against `realPerm`; the scheduler runs no translated code then.
   */
  perm: Uint8Array;
  /** Offset of the real `perm` in the memory (PERM_BASE). */
  readonly permBase = PERM_BASE;
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
  /** Where bottom-up mmap placement starts searching (above the stack; fixed by the size). */
  readonly mmapBase: number;
  /** Top of the main thread's stack (exec puts it there). */
  readonly stackTop: number;
  /** Bytes the memory may grow to (the task size, and at least the reserved low area). */
  private readonly maxBytes: number;
  /** Made small to grow with its mappings (setGrowMemories), or at full size. */
  private readonly grows: boolean;
  /** memory.buffer.byteLength, kept here (reading the buffer is a call into the engine). */
  private bytes: number;
  /** View rebuilders of the threads' CPU states, by state slot (Cpu.bind). */
  private readonly slotViews = new Map<number, () => void>();
  /** Other holders of views into the memory (the JIT hub's cache). */
  private readonly growWatchers = new Set<() => void>();
  /** Called when a write hits a page holding decoded code. */
  onCodeWrite: (page: number) => void = () => {};
  /** Offset of the JIT hub's area in the memory (above the page table). */
  readonly hubBase = HUB_BASE;
  /** The JIT's hub for this memory (jit/hub.ts), created on first use; released with the space. */
  jitHub: { release(): void } | null = null;
  private freeSlots: number[] = [];

  constructor(size = DEFAULT_TASK_SIZE) {
    this.size = size;
    // A large maximum with a small initial size: Chromium counts only the byte length
    // (bench/wasm-memory-gc.ts: 2-3 full GCs in 3 s with 8 such memories alive, 48 at full
    // size), and V8 reserves the maximum up front, so a grow never copies.
    this.maxBytes = Math.max(pageUp64k(size), MMAP_MIN_ADDR);
    this.grows = growMemories;
    this.bytes = this.grows ? MMAP_MIN_ADDR : this.maxBytes;
    this.memory = new WebAssembly.Memory({ initial: this.bytes / 65536, maximum: this.maxBytes / 65536 });
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.perm = new Uint8Array(this.memory.buffer, PERM_BASE, PERM_BYTES);
    this.dirty = new Uint8Array(size >>> PAGE_SHIFT);
    this.dirty32 = new Uint32Array(this.dirty.buffer, 0, this.dirty.length >>> 2);
    // Small test spaces (a few MiB) keep the stack at their top and map from the bottom.
    this.stackTop = Math.min(STACK_TOP, size);
    this.mmapBase = this.stackTop < size ? this.stackTop : MMAP_MIN_ADDR;
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
    this.slotViews.delete(off);
  }
  /** `bind` rebuilds the views of the thread whose state is at slot `off` after a grow. */
  bindStateSlot(off: number, bind: () => void): void {
    this.slotViews.set(off, bind);
  }
  /** Call `fn` after each grow (it rebuilds views into the memory); unwatchGrow stops it. */
  watchGrow(fn: () => void): void { this.growWatchers.add(fn); }
  unwatchGrow(fn: () => void): void { this.growWatchers.delete(fn); }

  /** Bytes the memory has now (it covers every mapping). */
  get byteLength(): number { return this.bytes; }

  /**
   * Grow the memory to cover [0, end), in GROW_STEP steps; false if it cannot (past the
   * task size, or the host refuses the memory), which the caller answers with ENOMEM.
   */
  reserve(end: number): boolean {
    if (end <= this.bytes) return true;
    if (end > this.maxBytes) return false;
    const want = Math.min(this.maxBytes, Math.ceil(end / GROW_STEP) * GROW_STEP);
    try {
      this.memory.grow((want - this.bytes) / 65536);
    } catch {
      // The host refused the step (RangeError): try exactly what is needed.
      try { this.memory.grow((pageUp64k(end) - this.bytes) / 65536); } catch { return false; }
    }
    this.rebind();
    return true;
  }

  /** After a grow: every view of the old (now detached) buffer is rebuilt. */
  private rebind(): void {
    const buf = this.memory.buffer;
    this.bytes = buf.byteLength;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    const perm = new Uint8Array(buf, PERM_BASE, PERM_BYTES);
    if (this.realPerm !== null) this.realPerm = perm; else this.perm = perm;
    for (const bind of this.slotViews.values()) bind();
    for (const fn of this.growWatchers) fn();
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
  /**
   * Fill [a, a+n) from `read`, which writes into the view it is given and may wait (a file's
   * pread). If the memory grew meanwhile (another thread mapped), the view it wrote to is
   * detached: read again into the new buffer.
   */
  async fill(a: number, n: number, read: (buf: Uint8Array) => number | Promise<number>): Promise<number> {
    for (;;) {
      const before = this.bytes;
      let r: number;
      try {
        r = await read(this.u8.subarray(a, a + n));
      } catch (e) {
        if (this.bytes === before) throw e;
        continue;
      }
      if (this.bytes === before) return r;
    }
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

  /**
   * The lowest free range of `len` bytes at or above mmapBase (bottom-up, as Linux's legacy
   * layout; top-down from below a stack at 3 GiB would make every memory 3 GiB), leaving
   * BRK_ROOM bytes above the program break for brk. -1 if none.
   */
  findFree(len: number): number {
    const brkLo = this.brkStart, brkHi = this.brkStart ? pageUp(this.brk) + BRK_ROOM : 0;
    let at = this.mmapBase;
    const pastBrk = (): void => { if (brkHi > 0 && at < brkHi && at + len > brkLo) at = brkHi; };
    pastBrk();
    // One pass: `mappings` is sorted by start, so the first one reaching past `at` that
    // starts at or beyond at + len leaves the gap free.
    for (const m of this.mappings) {
      if (m.end <= at) continue;
      if (m.start >= at + len) break;
      at = m.end;
      pastBrk();
    }
    return at + len > this.size ? -1 : at;
  }

  /**
   * Map [start, start+len) with `prot`, replacing anything there. Fresh anonymous pages
   * are zeroed. Returns the mapping record.
   */
  map(start: number, len: number, prot: number, flags: number, name = '', offset = 0, dev = 0, ino = 0): Mapping {
    len = pageUp(len);
    // The low area holds the page table: a mapping there would let the guest rewrite it.
    if (start < MMAP_MIN_ADDR) throw new Error(`address space: mapping at 0x${start.toString(16)} below MMAP_MIN_ADDR`);
    if (!this.reserve(start + len)) throw new AddressSpaceFull(start + len);
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
    if (page < MMAP_MIN_ADDR) return false;
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
    if (!c.reserve(this.bytes)) { c.release(); throw new AddressSpaceFull(this.bytes); }
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
    c.freeSlots = [...this.freeSlots];
    return c;
  }

  // ---- Reuse: creating and garbage-collecting multi-GiB memories dominated fork+exec
  // (55% of the time in GC, measured, when each was 3 GiB), so released spaces are cleaned
  // and pooled. ----

  private static pool: AddressSpace[] = [];
  /** Processes (and vfork children) using this space; released at zero. */
  users = 1;

  static create(size = DEFAULT_TASK_SIZE): AddressSpace {
    const i = AddressSpace.pool.findIndex((a) => a.size === size && a.grows === growMemories);
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
    this.slotViews.clear();
    this.growWatchers.clear();
    this.freeSlots = [];
    for (let off = STATE_AREA_END - 512; off >= 512; off -= 512) this.freeSlots.push(off);
    this.onRelease();
    // Its translated code belongs to the old process: the hub's cache and table go (jit/hub.ts).
    if (this.jitHub !== null) { this.jitHub.release(); this.jitHub = null; }
    this.onCodeWrite = () => {};
    // A memory stays as long as it grew: a pooled one counts in Chromium's heap limit while
    // it waits, so only the usual sizes wait (a fresh one costs little now that it starts small).
    if (AddressSpace.pool.length < 4 && (!this.grows || this.bytes <= POOL_MAX_BYTES)) AddressSpace.pool.push(this);
  }
  /** Called when the space is released (the code cache drops itself). */
  onRelease: () => void = () => {};
}

const utf8 = new TextDecoder();
const pageUp64k = (n: number): number => Math.ceil(n / 65536) * 65536;
