/**
 * The interpreter tier: x86 code is decoded once into basic blocks of closures, kept in a
 * per-address-space cache, and executed block by block.
 */
import type { AddressSpace } from '../mem/address-space.js';
import { PageFault } from '../mem/fault.js';
import { CpuException, EXIT_BUDGET, EXIT_FAULT, MODE_CODE16, MODE_SEG, type Cpu, type Op } from './cpu.js';
import { Decoder, type Handler, FUSE_CMP_RI, FUSE_CMP_RR, FUSE_TEST_RI, FUSE_TEST_RR, JMP_ALWAYS, LengthError } from './decoder.js';
import { K_LOGIC, K_SUB, LOP_NONE, cond } from './flags.js';
import { EIP, ES, CS, SS, DS, FS, GS, FLAGS, LA, LB, LOP, LRES, SEGBASE, ZF } from './state.js';
import { gpFault } from './seg-regs.js';
import { OPS1, OPS2, OPS38, OPS3A, fillDispatch } from './ops/table.js';
import { ud, SIGSEGV, SI_KERNEL } from './ops/faults.js';
import { BY_MODRM, ENDS, HAS_MODRM, LOCKABLE, MAP0F, MAP0F38, MAP0F3A, MAP1, VALID, formBit, rowFor, type OpMap } from './isa/index.js';
import './ops/arith.js';
import './ops/move.js';
import './ops/control.js';
import './ops/string.js';
import './ops/segment.js';
import './fpu-ops.js';
import './ops/sse-move.js';
import './ops/sse-int.js';
import './ops/sse-fp.js';
import './ops/sse-cvt.js';
import './ops/sse-state.js';
import './ops/sse4.js';
import { fillSimd } from './ops/sse-dispatch.js';
import { REFUSED, invalidate, type CodeHost, type Tier, type Translation } from './tier.js';

fillSimd();
fillDispatch();

/** Longest block, in instructions: bounds decode work wasted by invalidation. */
const MAX_BLOCK = 64;
/** Direct jmp/call targets followed into one block. */
const MAX_FOLLOW = 4;

export interface Block {
  start: number;
  /** Address after the last instruction: the fall-through EIP. */
  end: number;
  /** One closure per instruction, except a final direct branch (see cc). */
  ops: Op[];
  /** Start address of the instruction of each op, for precise faults. */
  addrs: number[];
  /** Guest instructions in the block (ops, plus folded cmp, followed jmps and final branch). */
  count: number;
  /**
   * A final direct Jcc's condition (JMP_ALWAYS for jmp), evaluated by the run loop,
   * which then follows nT (taken, EIP = target) or nF (fall-through) without a cache
   * lookup; -1 when the block ends otherwise.
   */
  cc: number;
  target: number;
  /** A cmp/test folded into the final Jcc (Decoder.fuse kind and operands), or 0. */
  fk: number;
  fa: number;
  fb: number;
  nT: Block | null;
  nF: Block | null;
  /** Times entered; the JIT tier picks hot blocks from this. */
  hits: number;
  /** The tier's translation of the code starting here (cpu/tier.ts; the JIT's jit/jit.ts), REFUSED, or null. */
  jit: Translation | null;
  /** False once the code under it was written or unmapped. */
  valid: boolean;
  /** Successors seen so far, for blocks without cc, to skip the cache lookup. */
  n1: Block | null;
  n2: Block | null;
  /**
   * The second successor seen (n1 is the first), kept once set while valid, unlike n2 (the
   * latest): the JIT takes an indirect jump's first two targets into its region
   * (jit/region.ts formRegion `seen`), and the latest one would make the region's key, so
   * its translation cache hits, depend on when it was formed.
   */
  s2: Block | null;
  /** Entries after this block that neither n1 nor n2 led to (a cache lookup): the JIT takes an indirect jump's targets in only if these are few. */
  misses: number;
  /** Cpu.mode the block was decoded for (0: flat; the JIT translates no other). */
  mode: number;
}

const SEG_PREFIX: Record<number, number> = { 0x26: ES, 0x2e: CS, 0x36: SS, 0x3e: DS, 0x64: FS, 0x65: GS };

/**
 * A page's blocks: 64 chunks of 64 offsets, allocated as blocks appear. A flat 4096-slot
 * array per page (32 KiB) made every short-lived process allocate megabytes that the
 * young-generation GC then copied (measured: see docs/ARCHITECTURE.md).
 */
type Page = (Block[] | undefined)[];

function forEachBlock(pg: Page, f: (b: Block) => void): void {
  for (const ch of pg) if (ch) for (const b of ch) if (b) f(b);
}

/**
 * The block index is two-level: directories of DIR_PAGES pages (4 MiB of address space each)
 * under a top array of DIRS. A fork shares the index until either side adds or drops a page,
 * and the writer then copies the top array and the one directory it writes (2 x 1,024 slots),
 * not the whole index: a flat array indexed by page number was ~720 k slots long once the
 * libraries were mapped near 0xb7000000 (the top-down layout before the growable memory) (5.7 MB to copy, ~4-10 ms), and bash's 200 x
 * fork+exec loop copied it 4 times interpreted and ~136 times with the JIT (whose region exits
 * decode blocks on pages the index has no entry for), 1.3 s of the run (measured 2026-12-07,
 * docs/BENCHMARKS.md "Cold JIT runs of short code-heavy programs").
 */
const DIR_SHIFT = 22;
const DIR_PAGES = 1 << (DIR_SHIFT - 12);
const DIRS = 1 << (32 - DIR_SHIFT);
type Dir = (Page | undefined)[];

/**
 * Decoded blocks kept across address spaces. Every exec of bash, ld.so or libc maps the same
 * code at the same addresses, and decoding it again cost ~4 µs a block (most of a fork+exec
 * loop's decode time and much of its GC). Per page, a few variants (different programs
 * load at the same address): a snapshot of the page's bytes and the blocks decoded from
 * exactly those bytes (a block that read other pages too names their variants). A cache uses
 * a variant after comparing its own page with the snapshot, and takes copies of the blocks: links and
 * validity stay per address space, because a link may lead to a page that differs here.
 */
interface Variant { bytes: Uint8Array; blocks: Map<number, Template> }
/** A shared block and the other pages it read (a crossing instruction, a followed jmp or call), with their variants. */
interface Template { block: Block; pages: number[]; deps: Variant[] }
const SHARED = new Map<number, Variant[]>();
/** Variants per page: the programs of one workload rarely put more than a few at an address. */
const MAX_VARIANTS = 4;
/** Blocks copied from SHARED rather than decoded (all caches), for measurements. */
export const sharedStats = { copied: 0, decoded: 0 };

/**
 * Two 4 KiB pages equal? Compared as 32-bit words (4x fewer steps than bytes); the engine
 * has no Node Buffer in a browser worker. Both views start 4-aligned in their buffers.
 */
function samePage(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if ((a.byteOffset | b.byteOffset | a.length) & 3) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const x = new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The variant of page p matching `mem` now, adding one if none does (dropping the least recently matched beyond MAX_VARIANTS). */
function variantFor(mem: AddressSpace, p: number): Variant | null {
  const at = (p << 12) >>> 0;
  const now = mem.u8.subarray(at, at + 4096);
  let list = SHARED.get(p);
  if (list === undefined) SHARED.set(p, (list = []));
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (samePage(v.bytes, now)) {
      // Most recently matched first: it is the next exec's likely match.
      if (i > 0) { list.splice(i, 1); list.unshift(v); }
      return v;
    }
  }
  const v: Variant = { bytes: now.slice(), blocks: new Map() };
  list.unshift(v);
  if (list.length > MAX_VARIANTS) list.pop();
  return v;
}

/** A fresh block with t's decoded contents and no links. */
function copyBlock(t: Block): Block {
  return {
    start: t.start, end: t.end, ops: t.ops, addrs: t.addrs, count: t.count, cc: t.cc, target: t.target,
    fk: t.fk, fa: t.fa, fb: t.fb, nT: null, nF: null, hits: 0, jit: null, valid: true, n1: null, n2: null, s2: null, misses: 0, mode: t.mode,
  };
}

/** Decoded blocks of one address space, indexed by page then page offset. */
export class CodeCache implements CodeHost {
  /** Per page: the SHARED variant its bytes matched when first decoded from (reset by writes). */
  private variants = new Map<number, Variant | null>();
  /** Blocks by address: dirs[eip >>> DIR_SHIFT][(eip >>> 12) & (DIR_PAGES - 1)][(eip >>> 6) & 63][eip & 63]. */
  private dirs: (Dir | undefined)[] = new Array(DIRS);
  /** The directories this cache may write in place (1), or null while `dirs` itself may be a fork relative's too. */
  private owned: Uint8Array | null = new Uint8Array(DIRS);
  /** Blocks that start on an earlier page and run into page p. */
  private crossers = new Map<number, Block[]>();
  /**
   * JIT regions by code page they were translated from. Shared with fork relatives (a
   * region may be attached to a block both share): a write by either side drops it for both.
   */
  private regions = new Map<number, Translation[]>();
  private readonly d = new Decoder();
  blocksDecoded = 0;
  /**
   * Caches of the same address space for code segments other than the flat one (16-bit,
   * or based: Cpu.mode), by mode and code-segment base; only the flat cache has them.
   * Their blocks hold offsets in the segment and are indexed by linear address.
   */
  private siblings = new Map<string, CodeCache>();
  /** This cache's code-segment base (0 for the flat cache); see siblings. */
  private readonly csBase: number;
  private readonly flat: boolean;
  private readonly mode: number;

  constructor(private readonly mem: AddressSpace, mode = 0, csBase = 0) {
    this.csBase = csBase;
    this.mode = mode;
    this.flat = mode === 0;
    this.d.defSize = mode & MODE_CODE16 ? 2 : 4;
    this.d.segmented = (mode & MODE_SEG) !== 0;
    this.d.csBase = csBase;
    if (!this.flat) return;
    mem.onCodeWrite = (p) => this.invalidatePage(p);
    // A released space is reused for another process: forget its blocks without
    // invalidating them (a forked sibling may still share them).
    mem.onRelease = () => { this.dirs = new Array(DIRS); this.owned = new Uint8Array(DIRS); this.crossers.clear(); this.variants.clear(); this.regions = new Map(); this.siblings.clear(); caches.delete(mem); };
  }

  /** The cache for code segment mode `mode` (not 0) at base `csBase`, made on first use. */
  sibling(mode: number, csBase: number): CodeCache {
    const key = `${mode}:${csBase}`;
    let c = this.siblings.get(key);
    if (c === undefined) this.siblings.set(key, (c = new CodeCache(this.mem, mode, csBase)));
    return c;
  }

  /**
   * Start a forked child's cache with the parent's blocks. Page arrays are shared until
   * either side writes to a code page, which gives the writer a fresh array (and marks the
   * old blocks invalid, so the other side re-decodes them: correct, only slower).
   */
  forkFrom(parent: CodeCache): void {
    // The page index itself is copied on first change by either side, a directory at a time
    // (DIR_SHIFT): a fork followed by exec never copies it (the slice took 6.5% of a fork+exec loop, measured).
    this.dirs = parent.dirs;
    this.owned = parent.owned = null;
    for (const [p, list] of parent.crossers) this.crossers.set(p, list.slice());
    this.variants = new Map(parent.variants);
    this.regions = parent.regions;
  }

  addRegion(r: Translation): void {
    for (const p of r.pages) {
      this.mem.markCode(p);
      let list = this.regions.get(p);
      if (!list) this.regions.set(p, (list = []));
      list.push(r);
    }
  }

  /** Page p's SHARED variant, matched once per page (the page is CODE from then on, so writes reset it). */
  private variantOf(p: number): Variant | null {
    let v = this.variants.get(p);
    if (v === undefined) {
      v = variantFor(this.mem, p);
      this.variants.set(p, v);
      this.mem.markCode(p);
    }
    return v;
  }
  /** The directory holding page p, this cache's own (copied from a fork relative's, or made, first). */
  private ownDir(p: number): Dir {
    let owned = this.owned;
    if (owned === null) { this.dirs = this.dirs.slice(); this.owned = owned = new Uint8Array(DIRS); }
    const d = p >>> (DIR_SHIFT - 12);
    let dir = this.dirs[d];
    if (owned[d] === 0) { this.dirs[d] = dir = dir === undefined ? new Array(DIR_PAGES) : dir.slice(); owned[d] = 1; }
    return dir!;
  }

  /** Page p's blocks, or undefined. */
  private page(p: number): Page | undefined {
    return this.dirs[p >>> (DIR_SHIFT - 12)]?.[p & (DIR_PAGES - 1)];
  }

  get(eip: number): Block | undefined {
    const dir = this.dirs[eip >>> DIR_SHIFT];
    if (dir === undefined) return undefined;
    const pg = dir[(eip >>> 12) & (DIR_PAGES - 1)];
    if (pg === undefined) return undefined;
    const ch = pg[(eip >>> 6) & 63];
    if (ch === undefined) return undefined;
    const b = ch[eip & 63];
    return b !== undefined && b.valid ? b : undefined;
  }

  decode(eip: number): Block {
    if (!this.flat) { const b = this.decodeNew(eip); return this.insert(b.block, b.pages); }
    const p0 = eip >>> 12;
    const v = this.variantOf(p0);
    // The fetch check the decoder would make: the same bytes may not be executable here.
    const t = v !== null && this.mem.perm[p0] & 4 ? v.blocks.get(eip) : undefined;
    if (t !== undefined && this.depsMatch(t)) { sharedStats.copied++; return this.insert(copyBlock(t.block), t.pages); }
    const b = this.decodeNew(eip);
    if (v !== null) {
      const deps: Variant[] = [];
      for (let k = 1; k < b.pages.length; k++) {
        const dv = this.variantOf(b.pages[k]);
        if (dv === null) break;
        deps.push(dv);
      }
      if (deps.length === b.pages.length - 1) v.blocks.set(eip, { block: b.block, pages: b.pages, deps });
    }
    sharedStats.decoded++;
    return this.insert(b.block, b.pages);
  }

  /** Whether the other pages t read hold here the bytes they held when it was decoded, and are executable. */
  private depsMatch(t: Template): boolean {
    for (let k = 0; k < t.deps.length; k++) {
      const p = t.pages[k + 1];
      if (!(this.mem.perm[p] & 4) || this.variantOf(p) !== t.deps[k]) return false;
    }
    return true;
  }

  private decodeNew(eip: number): { block: Block; pages: number[] } {
    const mem = this.mem, d = this.d;
    const ops: Op[] = [], addrs: number[] = [];
    let pos = eip, cc = -1, target = 0;
    // The previous instruction's fusable cmp/test, and the one fused into the branch.
    let pk = 0, pa = 0, pb = 0, fk = 0, fa = 0, fb = 0;
    // Direct jmp/call targets are followed: the block goes on decoding there (a jmp
    // leaves no closure, a call only its push). `seen` holds every instruction address
    // decoded, so a jump back into the block ends it instead.
    let count = 0, follows = 0;
    const seen: number[] = [];
    const cb = this.csBase;
    const pages: number[] = [((eip + cb) >>> 0) >>> 12];
    while (count < MAX_BLOCK) {
      d.reset(mem, pos);
      let op: Op;
      try {
        op = decodeOne(d);
      } catch (e) {
        // A fetch fault or over-long instruction: fault when (and if) it is reached.
        if (count === 0 && e instanceof PageFault) throw e;
        if (count > 0 && (e instanceof PageFault || e instanceof LengthError)) break;
        if (e instanceof LengthError) { op = () => { throw new CpuException(SIGSEGV, SI_KERNEL, 0, 13); }; d.ends = true; d.pos = pos + 15; }
        else throw e;
      }
      const at = pos;
      count++;
      seen.push(at);
      pos = d.next;
      for (let p = ((at + cb) >>> 0) >>> 12; p <= ((pos - 1 + cb) >>> 0) >>> 12; p++) if (!pages.includes(p)) pages.push(p);
      if (d.jcc >= 0) {
        if (d.jcc === JMP_ALWAYS && follows < MAX_FOLLOW && !seen.includes(d.target)) {
          follows++; pk = 0;
          pos = d.target;
          continue;
        }
        cc = d.jcc; target = d.target | 0;
        if (pk !== 0 && cc !== JMP_ALWAYS) { ops.pop(); addrs.pop(); fk = pk; fa = pa; fb = pb; }
        break;
      }
      if (d.followOp !== null && follows < MAX_FOLLOW && !d.lock && !seen.includes(d.target)) {
        follows++; pk = 0;
        ops.push(d.followOp);
        addrs.push(at);
        pos = d.target;
        continue;
      }
      ops.push(op);
      addrs.push(at);
      if (d.ends) break;
      if (d.fuse !== 0 && !d.lock && !d.invalid) { pk = d.fuse; pa = d.fa; pb = d.fb; } else pk = 0;
    }
    const block: Block = {
      start: eip | 0, end: pos, ops, addrs, count, cc, target, fk, fa, fb, nT: null, nF: null,
      hits: 0, jit: null, valid: true, n1: null, n2: null, s2: null, misses: 0, mode: this.mode,
    };
    return { block, pages };
  }

  /** Enter b (which read `pages`, its own first) in the index and mark its pages as code. */
  private insert(b: Block, pages: number[]): Block {
    const mem = this.mem, eip = (b.start + this.csBase) >>> 0;
    const p0 = eip >>> 12;
    let pg = this.page(p0);
    if (pg === undefined) pg = this.ownDir(p0)[p0 & (DIR_PAGES - 1)] = new Array(64);
    let ch = pg[(eip >>> 6) & 63];
    if (ch === undefined) ch = pg[(eip >>> 6) & 63] = new Array(64);
    ch[eip & 63] = b;
    mem.markCode(p0);
    for (let k = 1; k < pages.length; k++) {
      const p = pages[k];
      mem.markCode(p);
      let list = this.crossers.get(p);
      if (!list) this.crossers.set(p, (list = []));
      list.push(b);
    }
    this.blocksDecoded++;
    return b;
  }

  invalidatePage(p: number): void {
    for (const sib of this.siblings.values()) sib.invalidatePage(p);
    this.variants.delete(p);
    const rs = this.regions.get(p);
    if (rs) { for (const r of rs) invalidate(r); this.regions.delete(p); }
    const pg = this.page(p);
    if (pg) { forEachBlock(pg, (b) => { b.valid = false; }); this.ownDir(p)[p & (DIR_PAGES - 1)] = undefined; }
    const list = this.crossers.get(p);
    if (list) {
      for (const b of list) {
        const at = (b.start + this.csBase) >>> 0;
        const ch = this.page(at >>> 12)?.[(at >>> 6) & 63];
        b.valid = false;
        if (ch && ch[at & 63] === b) ch[at & 63] = undefined as unknown as Block;
      }
      this.crossers.delete(p);
    }
  }

  /** Drop everything (execve replaced the address space contents). */
  clear(): void {
    this.siblings.clear();
    this.variants.clear();
    for (const dir of this.dirs) if (dir) for (const pg of dir) if (pg) forEachBlock(pg, (b) => { b.valid = false; });
    this.dirs = new Array(DIRS);
    this.owned = new Uint8Array(DIRS);
    this.crossers.clear();
    // Regions die with the blocks they hang on; the map may be a fork relative's too.
    this.regions = new Map();
  }
}

/** Decode the instruction at d's position (after d.reset); d.invalid tells #UD encodings. */
export function decodeOne(d: Decoder): Op {
  for (;;) {
    const b = d.u8();
    switch (b) {
      case 0x66: d.opsize = 6 - d.defSize; continue;
      case 0x67: d.adsize = 6 - d.defSize; continue;
      case 0xf0: d.lock = true; continue;
      case 0xf2: case 0xf3: d.rep = b; continue;
      case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: d.seg = SEG_PREFIX[b]; continue;
      case 0x0f: {
        const b2 = d.u8();
        // 0F 38 and 0F 3A introduce the three-byte maps (SDM Tables ).
        if (b2 === 0x38) return dispatch38(d, d.u8());
        if (b2 === 0x3a) return dispatch3a(d, d.u8());
        return dispatch2(d, b2);
      }
      default: return dispatch1(d, b);
    }
  }
}

/**
 * The dispatch of one opcode map: run opcode op's handler with the facts of its row
 * (cpu/isa) applied around it. Forms without a row are #UD (checked on the ModRM byte
 * before the handler, for opcodes whose rows differ by ModRM); LOCK is #UD unless the
 * row allows it and the operand is memory (SDM Vol. 2 "LOCK"); a row with control flow
 * ends the block. The masks are this map's, captured once (decode time only: decoding
 * busybox's 468k instructions costs the same as with the hand-written checks, measured
 * in docs/BENCHMARKS.md).
 */
function makeDispatch(map: OpMap, table: (Handler | undefined)[]): (d: Decoder, op: number) => Op {
  const valid = VALID[map], lockable = LOCKABLE[map], ends = ENDS[map], byModrm = BY_MODRM[map], hasModrm = HAS_MODRM[map];
  return (d, op) => {
    const h = table[op];
    if (h === undefined) { d.ends = true; return ud(d); }
    if (byModrm[op] !== 0) {
      // Peek at ModRM (at its linear address); an unreadable byte is left to the handler's fetch, which faults.
      const p = (d.pos + d.csBase) >>> 0, mem = d.mem;
      if (mem.perm[p >>> 12] & 4 && (valid[op] & formBit(mem.u8[p])) === 0) { d.ends = true; return ud(d); }
    }
    if (d.segmented) memAccess(d, map, op);
    const fn = h(d, op);
    const e = ends[op];
    if (e === 0 && !d.lock) return fn;
    // Handlers of ModRM opcodes have read it: mod and reg are this instruction's.
    const form = hasModrm[op] !== 0 ? formBit((d.mod << 6) | (d.reg << 3)) : 0xffff;
    if (d.lock && (lockable[op] & form) === 0) {
      // #UD instead of what the handler built: drop the branch facts it recorded too (the
      // block builder reads d.jcc/d.followOp before the op; lock jcc ran as a jump, found by
      // test/cpu/lock.test.ts).
      d.jcc = -1; d.followOp = null; d.ends = true;
      return ud(d);
    }
    if ((e & form) !== 0) d.ends = true;
    return fn;
  };
}
const dispatch1 = makeDispatch(MAP1, OPS1), dispatch2 = makeDispatch(MAP0F, OPS2);
const dispatch38 = makeDispatch(MAP0F38, OPS38), dispatch3a = makeDispatch(MAP0F3A, OPS3A);

/**
 * Segmented mode: the size and direction of the instruction's ModRM memory operand, from
 * its row (the first E/M operand; a write when it is the destination of an instruction that
 * stores to it), so that the segment check covers the access's last byte and refuses writes
 * to read-only segments (seg-regs.ts segAddr). Decode time only, and only off the flat path.
 */
function memAccess(d: Decoder, map: OpMap, op: number): void {
  d.memSize = 1; d.memWrite = false;
  const p = (d.pos + d.csBase) >>> 0;
  if (!(d.mem.perm[p >>> 12] & 4)) return;
  const row = rowFor(map, op, HAS_MODRM[map][op] ? d.mem.u8[p] : -1, d.rep || (d.opsize !== d.defSize ? 0x66 : 0));
  if (row === undefined) return;
  const i = row.operands.findIndex((o) => o.method === 'E' || o.method === 'M');
  if (i < 0) return;
  const v = d.opsize;
  const size = { b: 1, w: 2, d: 4, v, z: v, p: v + 2, q: 8, t: 10, a: 2 * v, '': 1, dq: 16, ps: 16, pd: 16, ss: 4, sd: 8, pi: 8, y: 4 }[row.operands[i].size];
  d.memSize = size;
  d.memWrite = i === 0 && (row.cpuid === 'fpu' ? /^f(n?st|ist|bstp|nsave)/.test(row.mnem) : !READ_ONLY_DEST.has(row.mnem));
}
/** Instructions whose first (r/m) operand is only read. */
const READ_ONLY_DEST = new Set(['cmp', 'test', 'bt', 'push', 'call', 'jmp', 'verr', 'verw', 'lldt', 'ltr', 'lmsw', 'lgdt', 'lidt',
  'invlpg', 'prefetch', 'nop', 'mul', 'imul', 'div', 'idiv']);

const caches = new WeakMap<AddressSpace, CodeCache>();
export function codeCache(mem: AddressSpace): CodeCache {
  let c = caches.get(mem);
  if (!c) caches.set(mem, (c = new CodeCache(mem)));
  return c;
}

/** Traps report the address after the instruction; faults the instruction itself. */
const isTrap = (e: unknown) => e instanceof CpuException && (e.trapno === 3 || e.trapno === 4 || e.trapno === 1);

/**
 * Run until `budget` instructions have executed (roughly: whole blocks), a system call,
 * or an exception. Returns EXIT_*; on EXIT_FAULT the exception is in c.fault and EIP
 * points where the kernel would report it.
 */
export function run(c: Cpu, budget: number, jit: Tier | null = null): number {
  if (c.mode !== 0) return runSegmented(c, budget);
  const cache = codeCache(c.mem);
  const s = c.s;
  let executed = 0;
  // The previous block, and which of its links leads here: the direct branch's taken or
  // fall-through successor (LINK_T, LINK_F), or the seen-successor pair (LINK_ANY).
  let prev: Block | null = null, link = LINK_ANY;
  // The block running and the index of its op running; b is null while decoding. One
  // try around the whole loop rather than one per block (measured: see
  // docs/ARCHITECTURE.md "Interpreter performance").
  let b: Block | null = null;
  let i = 0;
  c.exit = EXIT_BUDGET;
  try {
    while (executed < budget) {
      // Follow the chain; fall back to the cache (and record the link).
      b = null;
      if (prev !== null) {
        if (link === LINK_T) b = prev.nT;
        else if (link === LINK_F) b = prev.nF;
        else {
          const eip = s[EIP];
          const n1: Block | null = prev.n1;
          if (n1 !== null && n1.start === eip) b = n1;
          else {
            const n2: Block | null = prev.n2;
            if (n2 !== null && n2.start === eip) b = n2;
          }
        }
        if (b !== null && !b.valid) b = null;
      }
      if (b === null) {
        const eip = s[EIP] >>> 0;
        let nb = cache.get(eip);
        if (nb === undefined) nb = cache.decode(eip);
        if (prev !== null) {
          if (link === LINK_T) prev.nT = nb;
          else if (link === LINK_F) prev.nF = nb;
          else if (prev.n1 === null || !prev.n1.valid) prev.n1 = nb;
          else { prev.n2 = nb; prev.misses++; if (prev.s2 === null || !prev.s2.valid) prev.s2 = nb; }
        }
        b = nb;
      }
      const h = ++b.hits;
      if (jit !== null) {
        // The JIT tier: enter the block's translation, or ask for one once it is hot.
        const r = b.jit;
        if (r === null) { if ((h & jit.mask) === 0 || ((h & (h - 1)) === 0 && h >= jit.probe)) jit.request(cache, c.mem, b, c); }
        else if (r !== REFUSED) {
          const n = jit.enter(b, c, JIT_BUDGET * budget - executed);
          if (n > 0) { executed += n; prev = null; link = LINK_ANY; continue; }
        }
      }
      const ops = b.ops, n = ops.length;
      s[EIP] = b.end;
      for (i = 0; i < n; i++) ops[i](c);
      executed += b.count;
      prev = b;
      const cc = b.cc;
      if (cc >= 0) {
        if (b.fk !== 0) fusedFlags(s, b.fk, b.fa, b.fb);
        if (cc === JMP_ALWAYS || taken(s, c, cc)) { s[EIP] = b.target; link = LINK_T; } else link = LINK_F;
      } else {
        link = LINK_ANY;
        if (c.exit !== EXIT_BUDGET) break;
      }
    }
  } catch (e) {
    return faulted(c, e, b, i, executed);
  }
  c.icount += executed;
  return c.exit;
}

const LINK_ANY = 0, LINK_T = 1, LINK_F = 2;

/**
 * Translated code runs up to this many times `run`'s budget before it returns to the run loop
 * (the scheduler's 50,000 instructions are ~1 ms interpreted, ~50 us translated): each return
 * costs the scheduler's round (a clock read, signal and slice checks, run's set-up) and
 * re-enters at whichever region starts at the EIP the budget ran out at, often one formed in
 * the middle of the loop that holds it, irreducible from there (docs/JIT.md "Not done yet").
 * 8: ~0.4 ms of translated code, well inside the scheduler's 4 ms slice, so signals and
 * other threads wait no longer than an interpreted run's 50,000 instructions take.
 * WEBX86_JIT_BUDGET_SCALE sets it (1: as before), to compare.
 */
const JIT_BUDGET = ((): number => {
  const v = Number((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.WEBX86_JIT_BUDGET_SCALE ?? 8);
  // A scale below 1 or not a number would starve or stall the run loop: the default instead.
  return Number.isFinite(v) && v >= 1 ? v : 8;
})();

/**
 * Both run loops' fault exit: instruction i of block b raised e. A fault decoding a block's
 * first instruction (b null) reports EIP as it is; trapping instructions (int3, int n, into,
 * icebp) all end their block, so EIP is past them.
 */
function faulted(c: Cpu, e: unknown, b: Block | null, i: number, executed: number): number {
  if (b !== null) c.s[EIP] = isTrap(e) ? b.end : b.addrs[i];
  else i = 0;
  c.fault = e;
  c.icount += executed + i;
  return EXIT_FAULT;
}

/**
 * run() for code outside the flat model (Cpu.mode !== 0: a 16-bit or based code segment,
 * or data segments with bases and limits): blocks from the mode's own cache, decoded with
 * the mode's default sizes and segment checks, and no JIT (it knows only flat 32-bit
 * code). Kept apart so that the flat loop pays nothing for segments; without links
 * between blocks, since such code is rare (Wine-style 16-bit code, test programs).
 */
function runSegmented(c: Cpu, budget: number): number {
  const s = c.s;
  const csBase = s[SEGBASE + CS] >>> 0;
  const cache = codeCache(c.mem).sibling(c.mode, csBase);
  let executed = 0, b: Block | null = null, i = 0;
  c.exit = EXIT_BUDGET;
  try {
    while (executed < budget) {
      b = null;
      const eip = s[EIP] >>> 0;
      // Fetching past the code segment's limit is #GP(0) (checked per block).
      if (eip > c.segLimit[CS]) throw gpFault(0);
      b = cache.get((eip + csBase) >>> 0) ?? null;
      if (b === null) b = cache.decode(eip);
      const ops = b.ops, n = ops.length;
      s[EIP] = b.end;
      for (i = 0; i < n; i++) ops[i](c);
      executed += b.count;
      if (b.cc >= 0) {
        if (b.fk !== 0) fusedFlags(s, b.fk, b.fa, b.fb);
        if (b.cc === JMP_ALWAYS || taken(s, c, b.cc)) s[EIP] = b.target;
      } else if (c.exit !== EXIT_BUDGET) break;
    }
  } catch (e) {
    return faulted(c, e, b, i, executed);
  }
  c.icount += executed;
  return c.exit;
}

/** Whether Jcc cc is taken: the 32-bit cmp/sub record and ZF/SF read inline, the rest through cond(). */
function taken(s: Int32Array, c: Cpu, cc: number): boolean {
  const lop = s[LOP];
  switch (cc) {
    case 0x4: return lop !== LOP_NONE ? s[LRES] === 0 : (s[FLAGS] & ZF) !== 0;
    case 0x5: return lop !== LOP_NONE ? s[LRES] !== 0 : (s[FLAGS] & ZF) === 0;
    case 0x2: return lop === LSUB32 ? (s[LA] >>> 0) < (s[LB] >>> 0) : cond(c, cc);
    case 0x3: return lop === LSUB32 ? (s[LA] >>> 0) >= (s[LB] >>> 0) : cond(c, cc);
    case 0x6: return lop === LSUB32 ? (s[LA] >>> 0) <= (s[LB] >>> 0) : cond(c, cc);
    case 0x7: return lop === LSUB32 ? (s[LA] >>> 0) > (s[LB] >>> 0) : cond(c, cc);
    case 0x8: return lop === LSUB32 || lop === LLOG32 ? s[LRES] < 0 : cond(c, cc);
    case 0x9: return lop === LSUB32 || lop === LLOG32 ? s[LRES] >= 0 : cond(c, cc);
    case 0xc: return lop === LSUB32 ? s[LA] < s[LB] : cond(c, cc);
    case 0xd: return lop === LSUB32 ? s[LA] >= s[LB] : cond(c, cc);
    case 0xe: return lop === LSUB32 ? s[LA] <= s[LB] : cond(c, cc);
    case 0xf: return lop === LSUB32 ? s[LA] > s[LB] : cond(c, cc);
  }
  return cond(c, cc);
}
const LSUB32 = (K_SUB << 2) | 2, LLOG32 = (K_LOGIC << 2) | 2;

/** The lazy record of a cmp/test folded into a block's final Jcc. */
function fusedFlags(s: Int32Array, k: number, a: number, b: number): void {
  switch (k) {
    case FUSE_CMP_RR: { const x = s[a], y = s[b]; s[LOP] = LSUB32; s[LA] = x; s[LB] = y; s[LRES] = (x - y) | 0; return; }
    case FUSE_CMP_RI: { const x = s[a]; s[LOP] = LSUB32; s[LA] = x; s[LB] = b; s[LRES] = (x - b) | 0; return; }
    case FUSE_TEST_RR: s[LOP] = LLOG32; s[LRES] = s[a] & s[b]; return;
    case FUSE_TEST_RI: s[LOP] = LLOG32; s[LRES] = s[a] & b; return;
  }
}
