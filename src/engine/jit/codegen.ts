/**
 * Code generation for the JIT tier: one region (region.ts) becomes one Wasm function
 * `(slot, budget) -> instructions executed`, built with binaryen.js's expression API and
 * emitted with no optimisation pass (binaryen's passes cost 4-30x the rest of the pipeline
 * and delayed V8's tier-up: jit-design.md §6). Control flow is structured here (below), not
 * by binaryen's Relooper. Building through binaryen costs ~2.7 ms of CPU per python3 region
 * (one JS-to-Wasm call per operator plus emitBinary; a hand-written byte writer measured
 * 1.3 ms) — paid in the compile worker, off the engine's thread (compile-service.ts).
 *
 * - Registers live in Wasm locals, loaded from the thread's state slot at entry and stored
 *   back at the single exit.
 * - Flags stay lazy, in the interpreter's own encoding (flags.ts: LOP/LA/LB/LRES plus
 *   FLAGS), as five locals. The translator knows the last producer statically within a
 *   block, so a Jcc/SETcc/CMOVcc becomes a compare of the producer's operands; where it
 *   does not know (at a block's start) it reads the `lop` local at run time.
 * - Guest memory is the Wasm memory (guest address = offset); the page table `perm` sits
 *   at a fixed low offset in the same memory (AddressSpace.permBase), so every access is
 *   checked inline. A failed check (missing permission, a page holding code for a store,
 *   an access crossing a page) leaves the region *before* the instruction, with registers
 *   and flags exactly as they were: the interpreter then runs that instruction and raises
 *   the precise fault, invalidates the code it overwrites, or does the split access.
 * - Every block start checks the instruction budget, so translated loops still return to
 *   the scheduler (signals, other threads).
 */
import type binaryenT from 'binaryen';
import { K_ADD, K_DEC, K_INC, K_LOGIC, K_SUB, LOP_CFOF } from '../cpu/flags.js';
import { DF, EIP, FLAGS, FLAGS_FIXED, LA, LB, LOP, LRES, SEGBASE, TF, USER_FLAGS_MASK } from '../cpu/state.js';
import type { Decoded, Insn, MemRef, Opnd, Region, RBlock } from './region.js';
import { F32_BASE, F64_BASE, SSE_LOCALS, V_BASE, sseInsn, type SseHost } from './codegen-sse.js';
import { X87_LOCALS, X87_SE, X87_SIG, X87Gen, arithLocals } from './codegen-x87.js';
import { RegTrack, planBlock, stackRef, type PlannedAcc } from './check-groups.js';

/** Name each region function after its entry (WEBX86_JIT_NAMES=1, for profiles; globalThis.process: the browser has none). */
const profileNames = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.WEBX86_JIT_NAMES === '1';
/** x86 instructions an Insn stands for (a PIC thunk call is three: call, mov, ret). */
const weight = (i: Insn): number => (i.op === 'pcthunk' ? 3 : 1);

/**
 * What the import `e.i` (interp-call.ts, the interpreter's closure for an instruction without
 * a translation) returns: go on; the closure faulted (leave before the instruction); leave after it.
 * Here rather than there: the compile worker must not load the interpreter.
 */
export const CALL_OK = 0, CALL_FAULT = 1, CALL_LEAVE = 2;

type B = typeof binaryenT;
type M = binaryenT.Module;
type X = binaryenT.ExpressionRef;

// Locals: parameters first.
const P_SLOT = 0, P_BUDGET = 1;
const L_REG = 2; // 2..9: EAX..EDI
const L_LOP = 10, L_LA = 11, L_LB = 12, L_LRES = 13, L_FLAGS = 14;
const L_N = 15, L_XEIP = 16, L_FS = 17, L_GS = 18, L_LABEL = 19;
const L_T0 = 20, L_T1 = 21, L_T2 = 22, L_T3 = 23, L_T4 = 24;
/** Operands of a deferred eager flag producer (Gen.pend): P1..P4 hold what T1..T4 held. */
const L_P1 = 25, P_OFF = L_P1 - L_T1;
/** Two more temporaries (string instructions). */
const L_T5 = 29, L_T6 = 30;
const N_VARS = 29; // locals beyond the 2 parameters

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, ARITH = 0x8d5;
const PROT_READ = 1, PROT_WRITE = 2, CODE = 8;
const ESP = 4, EBP = 5, ESI = 6, EDI = 7, EAX = 0, EDX = 2, ECX = 1;

/** The locals that mirror state-slot words: (local, word). */
const STATE: readonly [number, number][] = [[L_REG, 0], [L_REG + 1, 1], [L_REG + 2, 2], [L_REG + 3, 3], [L_REG + 4, 4], [L_REG + 5, 5],
  [L_REG + 6, 6], [L_REG + 7, 7], [L_LOP, LOP], [L_LA, LA], [L_LB, LB], [L_LRES, LRES], [L_FLAGS, FLAGS]];

/** The dispatcher's node number in structured() (block addresses are >= 0). */
const DISPATCH = -1;

/** What the translator knows about the lazy-flag record at a point: a LOP value, or -1 (read `lop` at run time). */
type Fl = number;
const UNKNOWN = -1;

export interface CodegenOut { bytes: Uint8Array; helpers: boolean }

/** A translated block: its code (without the final branch), its terminator, and where it may go next. */
interface TBlock {
  b: RBlock; code: X[]; last: Insn | null; succ: number[];
  /** Successors reached by an exit instead of a branch (edges that made the graph irreducible). */
  cut: Set<number>;
  /** A loop-carried x87 scope (codegen-x87.ts openCarried): its entry, placed before the block's loop, and its write-back for the edges leaving it. */
  pre: X[] | null;
  leave: (() => X[]) | null;
}

/** The instruction that ends block b, or null when it runs into the next block. */
const lastOf = (b: RBlock): Insn | null => (b.terminated ? b.insns[b.insns.length - 1].insn : null);

/**
 * Whether block b is a loop of its own: it ends in a jump back to its start, and no other
 * path of the region leads back into it (so every entry but its own back edge comes from
 * outside and passes the code placed before its `loop`: a loop-carried x87 scope's entry).
 */
function selfLoop(b: RBlock, conts: number[], r: Region): boolean {
  const last = lastOf(b);
  const at = b.start >>> 0;
  if (last === null || (last.op !== 'jcc' && last.op !== 'jmp') || last.target >>> 0 !== at) return false;
  const seen = new Set<number>();
  const work = successors(b, last, conts, r).filter((y) => y !== at);
  while (work.length > 0) {
    const y = work.pop()!;
    if (y === at) return false;
    const c = r.blocks.get(y);
    if (c === undefined || seen.has(y)) continue;
    seen.add(y);
    work.push(...successors(c, lastOf(c), conts, r));
  }
  return true;
}

/** Addresses block b may continue at (in the region or not); a ret's are the region's call continuations. */
function successors(b: RBlock, last: Insn | null, conts: number[], r: Region): number[] {
  // A block that stops where another block of the region starts (region.ts formRegion) runs into it.
  if (last === null) return r.blocks.has(b.end >>> 0) ? [b.end >>> 0] : [];
  switch (last.op) {
    case 'jcc': case 'jecxz': return [last.target >>> 0, b.end >>> 0];
    case 'jmp': return [last.target >>> 0];
    case 'call': return callsOut(b, last, r) ? [last.target >>> 0, b.end >>> 0] : [last.target >>> 0];
    case 'calli': return callsOut(b, last, r) ? [b.end >>> 0] : [];
    case 'ret': return conts.filter((c) => r.blocks.has(c));
    case 'jmpi': return (b.targets ?? []).filter((c) => r.blocks.has(c));
  }
  return [];
}

/**
 * Calls out of a region: a call whose target is not in the region (an indirect call, or a
 * direct one the region's limits left out) while its continuation is. It runs as a nested
 * hub loop (hub.ts `call`, the import e.h) that stops when the EIP comes back to the
 * continuation, so the callee's `ret` lands back in this function instead of taking a hub
 * hop into whatever region holds the continuation (bash's loop: 12 M of its 18 M hops were
 * such returns). A chain that ends anywhere else (syscall, untranslated instruction, fault,
 * budget, a longjmp or an overwritten return address, a region invalidated meanwhile)
 * leaves the function with the slot as the chain left it, exactly as without nesting.
 */
function callsOut(b: RBlock, last: Insn, r: Region): boolean {
  if (!r.blocks.has(b.end >>> 0)) return false;
  return last.op === 'calli' || (last.op === 'call' && !r.blocks.has(last.target >>> 0));
}

/**
 * Blocks that check the budget at their start: every cycle of the region passes through one.
 * The targets of retreating edges of a depth-first walk from the entry (every cycle of the
 * block graph has one), and blocks ending in an indirect transfer (jmp/call through a
 * register or memory, ret), which may continue at any block through the dispatcher, an edge
 * the graph does not hold. Other blocks only count their instructions: a block-start check
 * costs a compare and a branch per block (busybox gzip's hot loops are blocks of 3-8
 * instructions).
 */
function budgetBlocks(r: Region, conts: number[]): Set<number> {
  const heads = new Set<number>();
  const state = new Map<number, number>(); // 1: on the walk's stack, 2: done
  for (const b of r.blocks.values()) {
    const last = lastOf(b);
    // (A block without a terminator that runs into the next block of the region has that edge in the graph: the walk sees its cycles.)
    if (last === null ? !r.blocks.has(b.end >>> 0) : last.op === 'jmpi' || last.op === 'calli' || last.op === 'ret') heads.add(b.start >>> 0);
  }
  const entry = r.entry >>> 0;
  const stack: { at: number; succ: number[]; k: number }[] = [];
  const enter = (at: number): void => {
    const b = r.blocks.get(at);
    state.set(at, 1);
    stack.push({ at, succ: b === undefined ? [] : successors(b, lastOf(b), conts, r).filter((y) => r.blocks.has(y)), k: 0 });
  };
  if (r.blocks.has(entry)) enter(entry);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.k === top.succ.length) { state.set(top.at, 2); stack.pop(); continue; }
    const y = top.succ[top.k++];
    const st = state.get(y);
    if (st === 1) heads.add(y);
    else if (st === undefined) enter(y);
  }
  // Blocks the walk did not reach (none, as regions grow from the entry): checked, to be safe.
  for (const at of r.blocks.keys()) if (!state.has(at >>> 0)) heads.add(at >>> 0);
  return heads;
}

/**
 * The custom section listing the function's other entry points: the dispatcher's targets
 * besides the region's entry, as little-endian u32 addresses. The function starts at D,
 * which selects the block at the slot's EIP, so the hub may enter it at any of them
 * (hub.ts "Entry points"). In the module's bytes, so the module cache and the translation
 * cache carry it without a field of their own.
 */
export const ENTRY_SECTION = 'webx86.entries';

/** The addresses in a module's ENTRY_SECTION (none: an empty list). */
export function moduleEntries(mod: WebAssembly.Module): number[] {
  const out: number[] = [];
  // customSections is in the JS API (WebAssembly JS Interface §5.1) but not in this lib's typings.
  const api = WebAssembly.Module as unknown as { customSections(m: WebAssembly.Module, name: string): ArrayBuffer[] };
  for (const buf of api.customSections(mod, ENTRY_SECTION)) {
    const v = new DataView(buf);
    for (let k = 0; k + 4 <= v.byteLength; k += 4) out.push(v.getUint32(k, true));
  }
  return out;
}

/**
 * Build the module for `r` (exported function "f"). `permBase` is the offset of the page
 * table in the guest memory; the memory is imported as e.m, and the run-time condition helper as e.c.
 * A pure function of the region and permBase (plain data: it runs in the compile worker).
 */
export function generate(bn: B, r: Region, permBase: number): CodegenOut {
  const g = new Gen(bn, r, permBase);
  try {
    return g.build();
  } catch (e) {
    throw new Error(`codegen (${g.phase}): ${e instanceof Error ? e.message : JSON.stringify(e)}`);
  }
}

class Gen {
  private readonly m: M;
  private readonly i32: number;
  private usesHelper = false;
  private usesFlags = false;
  private usesInterp = false;
  /** The region has SSE instructions (codegen-sse.ts): its function gets the SSE temporaries. */
  private usesSse = false;
  private sseHost?: SseHost;
  /**
   * The region has x87 instructions (codegen-x87.ts): its function declares the x87
   * temporaries after the SSE ones (57 locals: register positions and arith80's), and only
   * then, so the group locals' indices after them are known before generation.
   */
  private readonly hasX87: boolean;
  private x87?: X87Gen;
  /** Interpreter calls numbered so far (the helper keeps their closures by number). */
  private calls = 0;
  /** What build() was doing, for error messages. */
  phase = 'start';
  private usesFs = false;
  private usesGs = false;
  /** Static flag knowledge while translating a block. */
  private fl: Fl = UNKNOWN;
  /**
   * An eager flag update not yet written to the `flags` local: bits `mask` of EFLAGS are
   * f() (built from the P locals). Written when something reads the flags, at every exit
   * (in the exit's cold path) and at the block's end; dropped when a later producer
   * replaces all of those bits first. Most eager producers (imul, shifts, adc, bsf) are
   * followed by a cmp/add/test before any flag reader, so their flag arithmetic (parity,
   * overflow products) is never computed on the hot path.
   */
  private pend: { mask: number; f: () => X } | null = null;
  /** The block being translated and the index of its instruction, for mid-block exits. */
  private blk!: RBlock;
  private idx = 0;
  /** x86 instructions before each Insn of the block (region.ts weight), and in all of it at the end. */
  private pre: number[] = [0];
  /** Shared checks (check-groups.ts): the block's plan, the registers' versions now, the next planned access of this instruction, group locals used. */
  private plan: PlannedAcc[][] = [];
  private track = new RegTrack();
  private accN = 0;

  constructor(private readonly bn: B, private readonly r: Region, private readonly permBase: number) {
    this.m = new bn.Module();
    this.i32 = bn.i32;
    // The memory must exist before the first load/store is built (they bind to it by name).
    this.m.setMemory(1, 65536, null, [], false, false, '0');
    this.m.addMemoryImport('0', 'e', 'm');
    // memory.fill/copy for rep stos/movs (V8 since 7.5, Firefox 79, Safari 15).
    this.m.setFeatures(this.m.getFeatures() | bn.Features.BulkMemory | bn.Features.SIMD128);
    this.hasX87 = [...r.blocks.values()].some((b) => b.insns.some((d) => d.insn.op === 'x87'));
  }

  // ---- small expression helpers ----
  private c(v: number): X { return this.m.i32.const(v | 0); }
  private get(l: number): X { this.reads |= 1 << l; return this.m.local.get(l, this.i32); }
  private set(l: number, v: X): X { this.writes |= 1 << l; return this.m.local.set(l, v); }
  private tee(l: number, v: X): X { this.writes |= 1 << l; return this.m.local.tee(l, v, this.i32); }
  /** Locals (bit l) read and written anywhere in the function (a superset of what the emitted code uses). */
  private reads = 0;
  private writes = 0;
  private reg(r: number): X { return this.get(L_REG + r); }
  private setReg(r: number, v: X): X { return this.set(L_REG + r, v); }
  private add(a: X, b: X): X { return this.m.i32.add(a, b); }
  private and(a: X, b: X): X { return this.m.i32.and(a, b); }
  private or(a: X, b: X): X { return this.m.i32.or(a, b); }
  private xor(a: X, b: X): X { return this.m.i32.xor(a, b); }
  private shl(a: X, b: X): X { return this.m.i32.shl(a, b); }
  private shru(a: X, b: X): X { return this.m.i32.shr_u(a, b); }
  private shrs(a: X, b: X): X { return this.m.i32.shr_s(a, b); }
  private not1(a: X): X { return this.m.i32.eqz(a); }
  private bit(a: X, n: number): X { return this.and(this.shru(a, this.c(n)), this.c(1)); }
  /** cond ? a : b (binaryen.js takes the condition first, unlike the Wasm text order). */
  private sel(a: X, b: X, cond: X): X { return this.m.select(cond, a, b); }
  private block(list: X[]): X { return list.length === 1 ? list[0] : this.m.block(null, list, this.bn.none); }

  /** Leave the region with EIP = eip before instruction `this.idx` of the current block (or after the block with `after`). */
  private exitAt(eip: number, after = false): X {
    const m = this.m;
    // An open x87 scope's registers and status are written back first (codegen-x87.ts).
    const list: X[] = [...(this.x87?.spill() ?? []), this.set(L_XEIP, this.c(eip))];
    if (this.pend !== null) list.push(this.set(L_FLAGS, this.flagsNow()));
    const adj = after ? 0 : this.pre[this.idx] - this.pre[this.blk.insns.length];
    if (adj !== 0) list.push(this.set(L_N, this.add(this.get(L_N), this.c(adj))));
    list.push(m.br('exit'));
    return m.block(null, list, this.bn.none);
  }

  // ---- operands ----
  private ea(mr: MemRef): X {
    let a: X | null = mr.base >= 0 ? this.reg(mr.base) : null;
    if (mr.index >= 0) {
      const ix = mr.scale ? this.shl(this.reg(mr.index), this.c(mr.scale)) : this.reg(mr.index);
      a = a === null ? ix : this.add(a, ix);
    }
    if (mr.disp !== 0 || a === null) a = a === null ? this.c(mr.disp) : this.add(a, this.c(mr.disp));
    if (mr.seg === 4) { this.usesFs = true; a = this.add(a, this.get(L_FS)); }
    if (mr.seg === 5) { this.usesGs = true; a = this.add(a, this.get(L_GS)); }
    return a;
  }

  /**
   * The inline protection check of an access of `size` bytes at the address in local `al`:
   * `want` is PROT_READ, PROT_WRITE (which also requires the page not to hold code) or both.
   */
  private check(al: number, size: number, want: number, mr?: MemRef, exitEip?: number): X {
    const m = this.m;
    if (mr !== undefined) {
      // A shared check (check-groups.ts): an access of a group, when it is the one planned,
      // was checked by its group's check at the start of the group's first instruction.
      const p = this.plan[this.idx]?.[this.accN++];
      const a = this.track.addr(mr);
      if (p !== undefined && p.g >= 0 && p.key === a.key && p.off === a.off && p.size === size && p.want === want) return m.nop();
    }
    const perm = m.i32.load8_u(this.permBase, 1, this.shru(this.get(al), this.c(12)));
    const mask = want | (want & PROT_WRITE ? CODE : 0);
    // Two branches to one exit, not one branch on the OR of both tests: TurboFan made the OR
    // of two i32 compares two setcc, two movzx and an or before its branch; each br_if is a
    // compare and a fused jump (warm engine CPU: gzip -15%, sha256sum -9%, xz -3%, session 12).
    const bad = `ck${this.labels++}`, ok = `${bad}o`;
    const tests: X[] = [m.br(bad, m.i32.ne(this.and(perm, this.c(mask)), this.c(want)))];
    if (size > 1) tests.push(m.br(bad, m.i32.gt_u(this.and(this.get(al), this.c(0xfff)), this.c(0x1000 - size))));
    tests.push(m.br(ok));
    // exitEip: an instruction after the block's last (a PLT stub's jmp, terminator()): leave there, the block counted.
    const fail = exitEip === undefined ? this.exitAt(this.blk.insns[this.idx].at) : this.exitAt(exitEip, true);
    return m.block(ok, [m.block(bad, tests, this.bn.none), fail], this.bn.none);
  }

  /**
   * The check of a whole group (check-groups.ts), at the start of the instruction holding its
   * first access, from the registers as they are there (the plan's addresses are): the pages
   * of its range's first and last byte (one or two, the range being at most GROUP_SPAN bytes)
   * each grant every permission any access of the group needs (PROT_WRITE: and hold no code).
   * Otherwise it leaves before this instruction, and the interpreter runs the accesses with
   * their own checks: exact, only slower when that keeps failing (a group reading a read-only
   * page next to one it writes), never in the common case.
   */
  private groupCheck(p: PlannedAcc): X {
    const m = this.m;
    const lo = () => this.add(this.ea(p.mr), this.c(p.lo));
    const mask = p.wantAll | (p.wantAll & PROT_WRITE ? CODE : 0);
    const page = (a: X) => this.and(m.i32.load8_u(this.permBase, 1, this.shru(a, this.c(12))), this.c(mask));
    const both = this.or(page(lo()), this.shl(page(this.add(lo(), this.c(p.span - 1))), this.c(8)));
    return m.if(m.i32.ne(both, this.c(p.wantAll | (p.wantAll << 8))), this.exitAt(this.blk.insns[this.idx].at));
  }

  private load(al: number, size: number, signed = false): X {
    const m = this.m, a = this.get(al);
    if (size === 4) return m.i32.load(0, 1, a);
    if (size === 2) return signed ? m.i32.load16_s(0, 1, a) : m.i32.load16_u(0, 1, a);
    return signed ? m.i32.load8_s(0, 1, a) : m.i32.load8_u(0, 1, a);
  }
  private store(al: number, size: number, v: X): X {
    const m = this.m, a = this.get(al);
    if (size === 4) return m.i32.store(0, 1, a, v);
    if (size === 2) return m.i32.store16(0, 1, a, v);
    return m.i32.store8(0, 1, a, v);
  }

  /** Value of register operand r at `size` (8-bit: AL..BL, AH..BH; 16: low half). */
  private regVal(r: number, size: number): X {
    if (size === 4) return this.reg(r);
    if (size === 2) return this.and(this.reg(r), this.c(0xffff));
    if (r < 4) return this.and(this.reg(r), this.c(0xff));
    return this.and(this.shru(this.reg(r - 4), this.c(8)), this.c(0xff));
  }
  private setRegVal(r: number, size: number, v: X): X {
    if (size === 4) return this.setReg(r, v);
    if (size === 2) return this.setReg(r, this.or(this.and(this.reg(r), this.c(~0xffff)), this.and(v, this.c(0xffff))));
    if (r < 4) return this.setReg(r, this.or(this.and(this.reg(r), this.c(~0xff)), this.and(v, this.c(0xff))));
    return this.setReg(r - 4, this.or(this.and(this.reg(r - 4), this.c(~0xff00)), this.shl(this.and(v, this.c(0xff)), this.c(8))));
  }

  /**
   * Prepare a memory operand: its address into local T0 and the check into `out`.
   * Returns the operand's value reader (for registers and immediates, no code).
   */
  private prep(o: Opnd, size: number, want: number, out: X[]): void {
    if (o.k !== 'm') return;
    out.push(this.set(L_T0, this.ea(o.m)));
    out.push(this.check(L_T0, size, want, o.m));
  }
  private val(o: Opnd, size: number): X {
    if (o.k === 'r') return this.regVal(o.r, size);
    if (o.k === 'i') return this.c(size === 1 ? o.v & 0xff : size === 2 ? o.v & 0xffff : o.v);
    return this.load(L_T0, size);
  }
  private write(o: Opnd, size: number, v: X): X {
    if (o.k === 'r') return this.setRegVal(o.r, size, v);
    return this.store(L_T0, size, v);
  }

  // ---- flags ----
  /** Record a lazy-flag producer. */
  private record(lop: number, a: X | null, b: X | null, res: X, out: X[]): void {
    // add/sub/logic records define every arithmetic flag (flags.ts computeLazy); inc/dec read CF first (written then).
    const k = lop >> 2;
    if (k === K_ADD || k === K_SUB || k === K_LOGIC) this.pend = null;
    else this.flush(out);
    out.push(this.set(L_LOP, this.c(lop)));
    if (a !== null) out.push(this.set(L_LA, a));
    if (b !== null) out.push(this.set(L_LB, b));
    out.push(this.set(L_LRES, res));
    this.fl = lop;
  }
  /** Set the arithmetic flags eagerly (drops the record), as setArith does. */
  private eager(f: X, out: X[]): void {
    this.writeFlags(this.or(this.and(this.flagsNow(), this.c(~ARITH)), f), out);
    out.push(this.set(L_LOP, this.c(0)));
    this.fl = 0;
  }
  /**
   * As eager(), deferred (see `pend`): `build` gets a reader of the T locals it names in
   * `used`, which are copied to the P locals now. Only where the update happens
   * unconditionally (not inside a CL-count `if`).
   */
  private eagerLater(used: number[], build: (t: (l: number) => X) => X, out: X[]): void {
    this.defer(ARITH, used, build, out);
    out.push(this.set(L_LOP, this.c(0)));
    this.fl = 0;
  }
  private defer(mask: number, used: number[], build: (t: (l: number) => X) => X, out: X[]): void {
    if (this.pend !== null && (this.pend.mask & ~mask) !== 0) this.flush(out);
    this.pend = null;
    for (const l of used) out.push(this.set(l + P_OFF, this.get(l)));
    this.pend = { mask, f: () => build((l) => this.get(l + P_OFF)) };
  }
  /** EFLAGS as they are now (the `flags` local with any deferred update applied). */
  private flagsNow(): X {
    const p = this.pend;
    return p === null ? this.get(L_FLAGS) : this.or(this.and(this.get(L_FLAGS), this.c(~p.mask)), p.f());
  }
  /** Write the deferred update, if any. */
  private flush(out: X[]): void {
    if (this.pend !== null) { out.push(this.set(L_FLAGS, this.flagsNow())); this.pend = null; }
  }
  /** flags := v (v built from flagsNow() before this call). */
  private writeFlags(v: X, out: X[]): void {
    out.push(this.set(L_FLAGS, v));
    this.pend = null;
  }
  /** PF of the low byte of v, as a flag bit. */
  private parity(v: X): X {
    return this.shl(this.xor(this.and(this.m.i32.popcnt(this.and(v, this.c(0xff))), this.c(1)), this.c(1)), this.c(2));
  }

  /** CF (0/1) now, as getCF() computes it. */
  private cf(): X {
    const fl = this.fl;
    const m = this.m;
    const fromFlags = this.and(this.flagsNow(), this.c(CF));
    if (fl === UNKNOWN) {
      const k = this.shrs(this.get(L_LOP), this.c(2));
      return this.sel(m.i32.lt_u(this.get(L_LRES), this.get(L_LA)),
        this.sel(m.i32.lt_u(this.get(L_LA), this.get(L_LB)),
          this.sel(this.c(0), fromFlags, m.i32.eq(k, this.c(K_LOGIC))),
          m.i32.eq(k, this.c(K_SUB))),
        m.i32.eq(k, this.c(K_ADD)));
    }
    switch (fl >> 2) {
      case K_ADD: return m.i32.lt_u(this.get(L_LRES), this.get(L_LA));
      case K_SUB: return m.i32.lt_u(this.get(L_LA), this.get(L_LB));
      case K_LOGIC: return this.c(0);
    }
    return fromFlags;
  }

  /** Condition cc (Jcc low nibble) as a 0/1 expression, as flags.ts cond() evaluates it. */
  private cond(cc: number): X {
    const fl = this.fl, m = this.m;
    if (fl === UNKNOWN) {
      this.usesHelper = true;
      return m.call('cond', [this.get(L_LOP), this.get(L_LA), this.get(L_LB), this.get(L_LRES), this.flagsNow(), this.c(cc)], this.i32);
    }
    const kind = fl === 0 ? 0 : (fl >> 2) & 7, sz = fl & 3, cfof = (fl & LOP_CFOF) !== 0;
    const bits = sz === 2 ? 32 : sz === 1 ? 16 : 8;
    const la = this.get(L_LA), lb = this.get(L_LB), lres = this.get(L_LRES);
    const flags = (): X => this.flagsNow();
    const sx = (v: X): X => bits === 32 ? v : this.shrs(this.shl(v, this.c(32 - bits)), this.c(32 - bits));
    if (kind === K_SUB && !cfof) {
      switch (cc) {
        case 0x2: return m.i32.lt_u(la, lb);
        case 0x3: return m.i32.ge_u(la, lb);
        case 0x4: return m.i32.eq(la, lb);
        case 0x5: return m.i32.ne(la, lb);
        case 0x6: return m.i32.le_u(la, lb);
        case 0x7: return m.i32.gt_u(la, lb);
        case 0xc: return m.i32.lt_s(sx(la), sx(lb));
        case 0xd: return m.i32.ge_s(sx(la), sx(lb));
        case 0xe: return m.i32.le_s(sx(la), sx(lb));
        case 0xf: return m.i32.gt_s(sx(la), sx(lb));
      }
    }
    let zf: X, sf: X, cf: X, of: X, pf: X;
    if (kind === 0) {
      zf = this.bit(flags(), 6); sf = this.bit(flags(), 7); cf = this.bit(flags(), 0); of = this.bit(flags(), 11); pf = this.bit(flags(), 2);
    } else {
      zf = m.i32.eqz(lres);
      sf = this.bit(lres, bits - 1);
      pf = this.xor(this.and(m.i32.popcnt(this.and(lres, this.c(0xff))), this.c(1)), this.c(1));
      const sign = bits === 32 ? 0x80000000 | 0 : 1 << (bits - 1);
      switch (kind) {
        case K_ADD: cf = m.i32.lt_u(lres, la); of = this.bit(this.and(this.xor(la, lres), this.xor(lb, lres)), bits - 1); break;
        case K_SUB: cf = m.i32.lt_u(la, lb); of = this.bit(this.and(this.xor(la, lb), this.xor(la, lres)), bits - 1); break;
        case K_LOGIC: cf = this.c(0); of = this.c(0); break;
        case K_INC: cf = this.bit(flags(), 0); of = m.i32.eq(lres, this.c(sign)); break;
        default: cf = this.bit(flags(), 0); of = m.i32.eq(lres, this.c(bits === 32 ? 0x7fffffff : sign - 1)); break;
      }
      if (cfof) { cf = this.bit(flags(), 0); of = this.bit(flags(), 11); }
    }
    let r: X;
    switch (cc >> 1) {
      case 0: r = of; break;
      case 1: r = cf; break;
      case 2: r = zf; break;
      case 3: r = this.or(cf, zf); break;
      case 4: r = sf; break;
      case 5: r = pf; break;
      case 6: r = this.xor(sf, of); break;
      default: r = this.or(zf, this.xor(sf, of)); break;
    }
    return cc & 1 ? this.not1(r) : r;
  }

  // ---- instructions ----
  /** Translate one non-terminator instruction into `out`; false if it cannot (the block then exits before it). */
  private insn(d: Decoded, out: X[]): void {
    const i = d.insn, m = this.m;
    switch (i.op) {
      case 'nop': return;
      case 'alu': {
        const sz = i.size === 4 ? 2 : i.size === 2 ? 1 : 0, mask = i.size === 4 ? -1 : i.size === 2 ? 0xffff : 0xff;
        const writes = i.k !== 7 && i.k !== 8;
        this.prep(i.dst, i.size, writes ? PROT_READ | PROT_WRITE : PROT_READ, out);
        this.prep(i.src, i.size, PROT_READ, out);
        out.push(this.set(L_T1, this.val(i.dst, i.size)));
        out.push(this.set(L_T2, this.val(i.src, i.size)));
        if (i.k === 2 || i.k === 3) { this.adcSbb(i.k === 2, i.size, mask, out); out.push(this.write(i.dst, i.size, this.get(L_T3))); return; }
        const a = this.get(L_T1), b = this.get(L_T2);
        let res: X, kind: number;
        switch (i.k) {
          case 0: res = this.add(a, b); kind = K_ADD; break;
          case 1: res = this.or(a, b); kind = K_LOGIC; break;
          case 4: case 8: res = this.and(a, b); kind = K_LOGIC; break;
          case 5: case 7: res = m.i32.sub(a, b); kind = K_SUB; break;
          default: res = this.xor(a, b); kind = K_LOGIC; break;
        }
        if (mask !== -1 && (kind === K_ADD || kind === K_SUB)) res = this.and(res, this.c(mask));
        out.push(this.set(L_T3, res));
        if (kind === K_LOGIC) this.record((kind << 2) | sz, null, null, this.get(L_T3), out);
        else this.record((kind << 2) | sz, this.get(L_T1), this.get(L_T2), this.get(L_T3), out);
        if (writes) out.push(this.write(i.dst, i.size, this.get(L_T3)));
        return;
      }
      case 'mov': {
        if (i.dst.k === 'm') {
          this.prep(i.dst, i.size, PROT_WRITE, out);
          out.push(this.store(L_T0, i.size, this.val(i.src, i.size)));
        } else {
          this.prep(i.src, i.size, PROT_READ, out);
          out.push(this.write(i.dst, i.size, this.val(i.src, i.size)));
        }
        return;
      }
      case 'movx': {
        let v: X;
        if (i.src.k === 'm') {
          this.prep(i.src, i.from, PROT_READ, out);
          v = this.load(L_T0, i.from, i.sign);
        } else {
          v = this.regVal((i.src as { r: number }).r, i.from);
          if (i.sign) v = this.shrs(this.shl(v, this.c(32 - i.from * 8)), this.c(32 - i.from * 8));
        }
        out.push(this.setReg(i.dst, v));
        return;
      }
      case 'lea': out.push(this.setReg(i.dst, this.ea(i.m))); return;
      case 'incdec': {
        // As alu.ts inc/dec: CF kept (materialised from the record), the result normalised to the size.
        const sz = i.size === 4 ? 2 : i.size === 2 ? 1 : 0, mask = i.size === 4 ? -1 : i.size === 2 ? 0xffff : 0xff;
        this.prep(i.dst, i.size, PROT_READ | PROT_WRITE, out);
        out.push(this.set(L_T1, this.val(i.dst, i.size)));
        this.writeFlags(this.or(this.and(this.flagsNow(), this.c(~CF)), this.cf()), out);
        out.push(this.set(L_T3, this.and(this.add(this.get(L_T1), this.c(i.down ? -1 : 1)), this.c(mask))));
        this.record(((i.down ? K_DEC : K_INC) << 2) | sz, this.get(L_T1), this.c(1), this.get(L_T3), out);
        out.push(this.write(i.dst, i.size, this.get(L_T3)));
        return;
      }
      case 'not': case 'neg': {
        const sz = i.size === 4 ? 2 : i.size === 2 ? 1 : 0, mask = i.size === 4 ? -1 : i.size === 2 ? 0xffff : 0xff;
        this.prep(i.dst, i.size, PROT_READ | PROT_WRITE, out);
        out.push(this.set(L_T1, this.val(i.dst, i.size)));
        if (i.op === 'not') { out.push(this.write(i.dst, i.size, this.xor(this.get(L_T1), this.c(-1)))); return; }
        out.push(this.set(L_T3, this.and(m.i32.sub(this.c(0), this.get(L_T1)), this.c(mask))));
        this.record((K_SUB << 2) | sz, this.c(0), this.get(L_T1), this.get(L_T3), out);
        out.push(this.write(i.dst, i.size, this.get(L_T3)));
        return;
      }
      case 'shift': { this.shift(i, out); return; }
      case 'shd': { this.shiftDouble(i, out); return; }
      case 'push': {
        this.prep(i.src, 4, PROT_READ, out);
        out.push(this.set(L_T1, this.val(i.src, 4)));
        this.push(this.get(L_T1), out);
        return;
      }
      case 'pop': {
        out.push(this.set(L_T0, this.reg(ESP)));
        out.push(this.check(L_T0, 4, PROT_READ, stackRef(ESP, 0)));
        out.push(this.set(L_T1, this.load(L_T0, 4)));
        out.push(this.setReg(ESP, this.add(this.reg(ESP), this.c(4))));
        out.push(this.setReg(i.dst, this.get(L_T1)));
        return;
      }
      case 'leave': {
        out.push(this.set(L_T0, this.reg(EBP)));
        out.push(this.check(L_T0, 4, PROT_READ, stackRef(EBP, 0)));
        out.push(this.set(L_T1, this.load(L_T0, 4)));
        out.push(this.setReg(ESP, this.add(this.get(L_T0), this.c(4))));
        out.push(this.setReg(EBP, this.get(L_T1)));
        return;
      }
      case 'imul': {
        this.prep(i.a, 4, PROT_READ, out);
        this.prep(i.b, 4, PROT_READ, out);
        out.push(this.set(L_T1, this.val(i.a, 4)));
        out.push(this.set(L_T2, this.val(i.b, 4)));
        out.push(this.set(L_T3, m.i32.mul(this.get(L_T1), this.get(L_T2))));
        this.mulFlags([L_T1, L_T2, L_T3], L_T3,
          (t) => m.i64.ne(m.i64.mul(m.i64.extend_s(t(L_T1)), m.i64.extend_s(t(L_T2))), m.i64.extend_s(t(L_T3))), out);
        out.push(this.setReg(i.dst, this.get(L_T3)));
        return;
      }
      case 'mul1': {
        this.prep(i.src, 4, PROT_READ, out);
        out.push(this.set(L_T2, this.val(i.src, 4)));
        const ext = (v: X) => i.signed ? m.i64.extend_s(v) : m.i64.extend_u(v);
        const p = m.i64.mul(ext(this.reg(EAX)), ext(this.get(L_T2)));
        // Low half into T3, high half into T1 (the product is recomputed: no i64 local needed).
        out.push(this.set(L_T3, m.i32.wrap(p)));
        out.push(this.set(L_T1, m.i32.wrap(m.i64.shr_u(m.i64.mul(ext(this.reg(EAX)), ext(this.get(L_T2))), m.i64.const(32n)))));
        out.push(this.setReg(EAX, this.get(L_T3)));
        out.push(this.setReg(EDX, this.get(L_T1)));
        this.mulFlags([L_T1, L_T3], L_T3,
          (t) => i.signed ? m.i32.ne(t(L_T1), this.shrs(t(L_T3), this.c(31))) : m.i32.ne(t(L_T1), this.c(0)), out);
        return;
      }
      case 'bt': { this.bitTest(i, out); return; }
      case 'movs': case 'stos': { this.stringOp(i, out); return; }
      case 'interp': { this.x87?.close(out); this.interpCall(d, out); return; }
      case 'sse': { this.x87?.close(out); this.usesSse = true; sseInsn(this.sseHost ??= this.makeSseHost(), d, out); return; }
      case 'x87': { (this.x87 ??= new X87Gen(this.makeX87Host())).insn(d, out); return; }
      case 'pcthunk': {
        // call T; T: mov (%esp),%r; ret: the return address is written below ESP, which ends
        // where it was. A failed check leaves before the call (the interpreter then runs all three).
        const ret = (d.at + d.len) | 0;
        out.push(this.set(L_T0, m.i32.sub(this.reg(ESP), this.c(4))));
        out.push(this.check(L_T0, 4, PROT_WRITE, stackRef(ESP, -4)));
        out.push(this.store(L_T0, 4, this.c(ret)));
        out.push(this.setReg(i.r, this.c(ret)));
        return;
      }
      case 'bsf': case 'bsr': {
        // A zero source leaves the destination and sets ZF PF (szp(0)); otherwise all arithmetic flags clear (arith.ts).
        this.prep(i.src, 4, PROT_READ, out);
        out.push(this.set(L_T1, this.val(i.src, 4)));
        const n = i.op === 'bsf' ? m.i32.ctz(this.get(L_T1)) : m.i32.sub(this.c(31), m.i32.clz(this.get(L_T1)));
        out.push(this.setReg(i.dst, this.sel(this.reg(i.dst), n, m.i32.eqz(this.get(L_T1)))));
        this.eagerLater([L_T1], (t) => this.sel(this.c(ZF | PF), this.c(0), m.i32.eqz(t(L_T1))), out);
        return;
      }
      case 'div': {
        // #DE (a zero divisor, a quotient that does not fit) leaves before the instruction: the
        // interpreter raises SIGFPE at it (alu.ts div/idiv). Flags are left as they were, as there.
        this.prep(i.src, 4, PROT_READ, out);
        out.push(this.set(L_T2, this.val(i.src, 4)));
        const here = this.blk.insns[this.idx].at;
        const d = () => this.get(L_T2);
        const n = () => m.i64.or(m.i64.shl(m.i64.extend_u(this.reg(EDX)), m.i64.const(32n)), m.i64.extend_u(this.reg(EAX)));
        if (!i.signed) {
          out.push(m.if(this.or(m.i32.eqz(d()), m.i32.ge_u(this.reg(EDX), d())), this.exitAt(here)));
          out.push(this.set(L_T1, m.i32.wrap(m.i64.div_u(n(), m.i64.extend_u(d())))));
          out.push(this.set(L_T3, m.i32.wrap(m.i64.rem_u(n(), m.i64.extend_u(d())))));
        } else {
          // The dividend INT64_MIN by -1 would trap in Wasm; its quotient does not fit 32 bits anyway.
          const min = m.i64.eq(n(), m.i64.const(-0x8000000000000000n));
          out.push(m.if(this.or(m.i32.eqz(d()), this.and(min, m.i32.eq(d(), this.c(-1)))), this.exitAt(here)));
          const q = m.i64.div_s(n(), m.i64.extend_s(d()));
          // The quotient fits when it equals its own low half sign-extended.
          out.push(this.set(L_T1, m.i32.wrap(q)));
          out.push(m.if(m.i64.ne(m.i64.div_s(n(), m.i64.extend_s(d())), m.i64.extend_s(this.get(L_T1))), this.exitAt(here)));
          out.push(this.set(L_T3, m.i32.wrap(m.i64.rem_s(n(), m.i64.extend_s(d())))));
        }
        out.push(this.setReg(EAX, this.get(L_T1)));
        out.push(this.setReg(EDX, this.get(L_T3)));
        return;
      }
      case 'setcc': {
        this.prep(i.dst, 1, PROT_WRITE, out);
        out.push(this.write(i.dst, 1, this.cond(i.cc)));
        return;
      }
      case 'cmov': {
        this.prep(i.src, 4, PROT_READ, out);
        out.push(this.set(L_T1, this.val(i.src, 4)));
        out.push(this.setReg(i.dst, m.select(this.cond(i.cc), this.get(L_T1), this.reg(i.dst))));
        return;
      }
      case 'xchg': {
        out.push(this.set(L_T1, this.reg(i.a)));
        out.push(this.setReg(i.a, this.reg(i.b)));
        out.push(this.setReg(i.b, this.get(L_T1)));
        return;
      }
      case 'xchgm': {
        // As move.ts xchg E,G: read, write the register's value, then the register (a fault on either leaves both as they were).
        this.prep(i.dst, 4, PROT_READ | PROT_WRITE, out);
        out.push(this.set(L_T1, this.val(i.dst, 4)));
        out.push(this.write(i.dst, 4, this.reg(i.r)));
        out.push(this.setReg(i.r, this.get(L_T1)));
        return;
      }
      case 'cmpxchg': {
        // As move.ts cmpxchg: the flags of cmp EAX, dst; equal: dst = src; else EAX = dst. A
        // memory dst is written either way (its old value on failure), before the flags.
        this.prep(i.dst, 4, PROT_READ | PROT_WRITE, out);
        out.push(this.set(L_T1, this.reg(EAX)));
        out.push(this.set(L_T2, this.val(i.dst, 4)));
        const eq = (): X => m.i32.eq(this.get(L_T1), this.get(L_T2));
        if (i.dst.k === 'm') out.push(this.write(i.dst, 4, m.select(eq(), this.reg(i.src), this.get(L_T2))));
        else out.push(m.if(eq(), this.write(i.dst, 4, this.reg(i.src))));
        out.push(this.set(L_T3, m.i32.sub(this.get(L_T1), this.get(L_T2))));
        this.record((K_SUB << 2) | 2, this.get(L_T1), this.get(L_T2), this.get(L_T3), out);
        out.push(m.if(m.i32.eqz(eq()), this.setReg(EAX, this.get(L_T2))));
        return;
      }
      case 'pushf': {
        // The whole EFLAGS (RF and VM read as 0), materialised by flags.ts through a helper: pushf is rare in hot code.
        this.usesFlags = true;
        out.push(this.set(L_T1, m.call('flags', [this.get(L_LOP), this.get(L_LA), this.get(L_LB), this.get(L_LRES), this.flagsNow()], this.i32)));
        this.push(this.and(this.get(L_T1), this.c(0x00fcffff)), out);
        // As getFlags(): the record is dropped once materialised.
        this.writeFlags(this.get(L_T1), out);
        out.push(this.set(L_LOP, this.c(0)));
        this.fl = 0;
        return;
      }
      case 'popf': {
        out.push(this.set(L_T0, this.reg(ESP)));
        out.push(this.check(L_T0, 4, PROT_READ, stackRef(ESP, 0)));
        out.push(this.set(L_T1, this.load(L_T0, 4)));
        // Setting TF makes the next instruction trap: left to the interpreter.
        out.push(m.if(this.and(this.get(L_T1), this.c(TF)), this.exitAt(this.blk.insns[this.idx].at)));
        out.push(this.setReg(ESP, this.add(this.get(L_T0), this.c(4))));
        // move.ts setFlagsUser: only the user-changeable bits move.
        this.writeFlags(this.or(this.or(this.and(this.flagsNow(), this.c(~USER_FLAGS_MASK)),
          this.and(this.get(L_T1), this.c(USER_FLAGS_MASK))), this.c(FLAGS_FIXED)), out);
        out.push(this.set(L_LOP, this.c(0)));
        this.fl = 0;
        return;
      }
      // DF is outside any deferred update's bits, so the update stays deferred.
      case 'cld': out.push(this.set(L_FLAGS, this.and(this.get(L_FLAGS), this.c(~DF)))); return;
      case 'std': out.push(this.set(L_FLAGS, this.or(this.get(L_FLAGS), this.c(DF)))); return;
      case 'cdq': out.push(this.setReg(EDX, this.shrs(this.reg(EAX), this.c(31)))); return;
      case 'cwde': out.push(this.setReg(EAX, this.shrs(this.shl(this.reg(EAX), this.c(16)), this.c(16)))); return;
      case 'bswap': {
        const v = () => this.reg(i.r);
        out.push(this.setReg(i.r, this.or(this.or(this.shl(v(), this.c(24)), this.shl(this.and(v(), this.c(0xff00)), this.c(8))),
          this.or(this.and(this.shru(v(), this.c(8)), this.c(0xff00)), this.shru(v(), this.c(24))))));
        return;
      }
    }
    throw new Error(`jit: no code for ${i.op}`);
  }

  /**
   * adc/sbb of T1 and T2 (normalised: 8/16-bit unsigned) with the carry in: result into T3,
   * flags eagerly as alu.ts adc/sbb set them. Carry out, for every size: adc r <u a, or
   * r == a with a carry in (b + cin wrapped to a whole turn); sbb a <u b, or a == b with a borrow in.
   */
  private adcSbb(adc: boolean, size: number, mask: number, out: X[]): void {
    const m = this.m, a = () => this.get(L_T1), b = () => this.get(L_T2), cin = () => this.get(L_T4);
    out.push(this.set(L_T4, this.cf()));
    let res = adc ? this.add(this.add(a(), b()), cin()) : m.i32.sub(m.i32.sub(a(), b()), cin());
    if (mask !== -1) res = this.and(res, this.c(mask));
    out.push(this.set(L_T3, res));
    const top = size * 8 - 1;
    // The carry out is also computed eagerly: the next adc/sbb of a chain reads it.
    this.eagerLater([L_T1, L_T2, L_T3, L_T4], (t) => {
      const a = () => t(L_T1), b = () => t(L_T2), r = () => t(L_T3), cin = () => t(L_T4);
      const carry = adc ? this.or(m.i32.lt_u(r(), a()), this.and(cin(), m.i32.eq(r(), a())))
        : this.or(m.i32.lt_u(a(), b()), this.and(cin(), m.i32.eq(a(), b())));
      const ov = adc ? this.and(this.xor(a(), r()), this.xor(b(), r())) : this.and(this.xor(a(), b()), this.xor(a(), r()));
      return this.or(this.or(this.or(this.parity(r()), this.sel(this.c(ZF), this.c(0), m.i32.eqz(r()))),
        this.or(this.shl(this.bit(r(), top), this.c(7)), carry)),
        this.or(this.shl(this.bit(ov, top), this.c(11)), this.and(this.xor(this.xor(a(), b()), r()), this.c(AF))));
    }, out);
  }

  /** What codegen-sse.ts uses of this generator: the SSE temporaries follow the i32 locals. */
  private makeSseHost(): SseHost {
    const base = 2 + N_VARS, here = () => this.blk.insns[this.idx];
    return {
      m: this.m, bn: this.bn, permBase: this.permBase,
      slot: () => this.get(P_SLOT), reg: (r) => this.reg(r), setReg: (r, v) => this.setReg(r, v), ea: (mr) => this.ea(mr),
      setA: (v) => this.set(L_T0, v), a: () => this.get(L_T0),
      i32: (k) => [L_T1, L_T2, L_T3][k],
      exit: () => this.exitAt(here().at),
      fallback: (call) => (call ? this.interpOne(here()) : this.exitAt(here().at)),
      flush: (out) => this.flush(out), eager: (bits, out) => this.eager(bits, out),
      v: (k) => base + V_BASE + k, f64: (k) => base + F64_BASE + k, f32: (k) => base + F32_BASE + k,
    };
  }

  /** What codegen-x87.ts uses: the SSE host's services, and i32/i64 temporaries after the SSE ones. */
  private makeX87Host(): ConstructorParameters<typeof X87Gen>[0] {
    const base = 2 + N_VARS + SSE_LOCALS(this.bn).length;
    return {
      ...(this.sseHost ??= this.makeSseHost()),
      t: (k) => base + k, l: (k) => base + 9 + k, sig: (r) => base + X87_SIG + r, se: (r) => base + X87_SE + r,
      arith: arithLocals(base),
      label: () => `x${this.labels++}`,
      insns: () => this.blk.insns, idx: () => this.idx,
      isTerminator: (k) => this.blk.terminated && k === this.blk.insns.length - 1,
      leaveAfter: () => {
        const k = this.idx, d = this.blk.insns[k], adj = this.pre[k + 1] - this.pre[this.blk.insns.length];
        return this.m.block(null, [this.set(L_XEIP, this.c(d.at + d.len)), ...(adj !== 0 ? [this.set(L_N, this.add(this.get(L_N), this.c(adj)))] : []), this.m.br('exit')], this.bn.none);
      },
      exitBlock: () => this.exitAt(this.blk.start, true),
      checkShared: (size, want, mr) => {
        const p = this.plan[this.idx]?.[this.accN];
        return p !== undefined && p.g >= 0 ? this.check(L_T0, size, want, mr) : (this.accN++, null);
      },
    };
  }

  /**
   * One instruction run by the interpreter's closure as the slow path of a translated one
   * (codegen-sse.ts), inside an `if`: the same store, call and reload as interpCall, for
   * this instruction alone. The deferred flag update must have been written (flush) first.
   */
  private interpOne(d: Decoded): X {
    const m = this.m, k = this.idx, n = this.blk.insns.length, slot = () => this.get(P_SLOT);
    this.usesInterp = true;
    const leave = m.block(null, [
      this.set(L_XEIP, this.c(d.at + d.len)),
      ...(k + 1 - n !== 0 ? [this.set(L_N, this.add(this.get(L_N), this.c(k + 1 - n)))] : []),
      m.br('exit'),
    ], this.bn.none);
    return m.block(null, [
      ...STATE.map(([l, w]) => m.i32.store(w * 4, 4, slot(), this.get(l))),
      this.set(L_T0, m.call('interp', [this.c(this.calls++), this.c(d.at)], this.i32)),
      ...STATE.map(([l, w]) => this.set(l, m.i32.load(w * 4, 4, slot()))),
      m.if(this.get(L_T0), m.if(m.i32.eq(this.get(L_T0), this.c(CALL_FAULT)), this.exitAt(d.at), leave)),
    ], this.bn.none);
  }

  /** EFLAGS with the lazy record materialised (getFlags), into local `l`: inline when already eager, else the helper. */
  private materialise(l: number, out: X[]): void {
    if (this.fl === 0) { out.push(this.set(l, this.flagsNow())); return; }
    this.usesFlags = true;
    out.push(this.set(l, this.m.call('flags', [this.get(L_LOP), this.get(L_LA), this.get(L_LB), this.get(L_LRES), this.flagsNow()], this.i32)));
  }

  /** bt/bts/btr/btc: CF = the bit, other flags as materialised (arith.ts setBitCF), the record dropped. */
  private bitTest(i: Extract<Insn, { op: 'bt' }>, out: X[]): void {
    const m = this.m;
    const f = [null, (v: X, b: X) => this.or(v, b), (v: X, b: X) => this.and(v, this.xor(b, this.c(-1))), (v: X, b: X) => this.xor(v, b)][i.kind];
    const want = f ? PROT_READ | PROT_WRITE : PROT_READ;
    let size = 4;
    if (i.dst.k === 'm' && i.bit.k === 'r') {
      // A register offset into memory is signed and reaches any byte: address ea + (off >> 3), bit off & 7.
      size = 1;
      out.push(this.set(L_T2, this.reg(i.bit.r)));
      out.push(this.set(L_T0, this.add(this.ea(i.dst.m), this.shrs(this.get(L_T2), this.c(3)))));
      out.push(this.check(L_T0, 1, want));
      out.push(this.set(L_T2, this.shl(this.c(1), this.and(this.get(L_T2), this.c(7)))));
    } else {
      this.prep(i.dst, 4, want, out);
      out.push(this.set(L_T2, this.shl(this.c(1), i.bit.k === 'i' ? this.c(i.bit.v & 31) : this.and(this.reg((i.bit as { r: number }).r), this.c(31)))));
    }
    out.push(this.set(L_T1, size === 1 ? this.load(L_T0, 1) : this.val(i.dst, 4)));
    this.materialise(L_T3, out);
    this.writeFlags(this.or(this.and(this.get(L_T3), this.c(~CF)), m.i32.ne(this.and(this.get(L_T1), this.get(L_T2)), this.c(0))), out);
    out.push(this.set(L_LOP, this.c(0)));
    this.fl = 0;
    if (f) out.push(size === 1 ? this.store(L_T0, 1, f(this.get(L_T1), this.get(L_T2))) : this.write(i.dst, 4, f(this.get(L_T1), this.get(L_T2))));
  }

  /**
   * An instruction run by the interpreter's closure (interp-call.ts). A run of consecutive
   * ones shares one store of the registers and flag record to the slot (before the first)
   * and one load back (after the last). A fault leaves before the instruction with the
   * state the closure left (the interpreter runs it again and raises the fault); CALL_LEAVE
   * leaves after it.
   */
  private interpCall(d: Decoded, out: X[]): void {
    const m = this.m, insns = this.blk.insns, k = this.idx;
    this.usesInterp = true;
    const slot = () => this.get(P_SLOT);
    const reload = (): X[] => STATE.map(([l, w]) => this.set(l, m.i32.load(w * 4, 4, slot())));
    if (k === 0 || insns[k - 1].insn.op !== 'interp') {
      this.flush(out);
      for (const [l, w] of STATE) out.push(m.i32.store(w * 4, 4, slot(), this.get(l)));
    }
    out.push(this.set(L_T0, m.call('interp', [this.c(this.calls++), this.c(d.at)], this.i32)));
    const leave = m.block(null, [
      this.set(L_XEIP, this.c(d.at + d.len)),
      ...(this.pre[k + 1] !== this.pre[insns.length] ? [this.set(L_N, this.add(this.get(L_N), this.c(this.pre[k + 1] - this.pre[insns.length])))] : []),
      m.br('exit'),
    ], this.bn.none);
    out.push(m.if(this.get(L_T0), this.block([...reload(), m.if(m.i32.eq(this.get(L_T0), this.c(CALL_FAULT)), this.exitAt(d.at), leave)])));
    if (k + 1 >= insns.length || insns[k + 1].insn.op !== 'interp') out.push(...reload());
    this.fl = UNKNOWN;
    this.pend = null;
  }

  /** Labels made unique within the function. */
  private labels = 0;

  /**
   * movs/stos, and with rep a loop over page-sized chunks: each chunk checks its page(s) once
   * and moves with memory.fill/copy (or an element loop where a forward movs overlaps its own
   * source, which copies element by element on x86, unlike memory.copy). A failed check, an
   * element crossing a page, or DF set leaves *before* the instruction with ECX, ESI and EDI
   * as far as they got, which is where x86 itself reports a fault in the middle of a rep:
   * the interpreter goes on from there.
   */
  private stringOp(i: Extract<Insn, { op: 'movs' | 'stos' }>, out: X[]): void {
    const m = this.m, sz = i.size, sh = sz === 4 ? 2 : sz === 2 ? 1 : 0, here = this.blk.insns[this.idx].at;
    const movs = i.op === 'movs';
    const df = () => this.and(this.get(L_FLAGS), this.c(DF));
    if (!i.rep) {
      // Both accesses are checked before any register moves (precise: nothing done on a fault).
      if (movs) {
        out.push(this.set(L_T0, this.reg(ESI)), this.check(L_T0, sz, PROT_READ), this.set(L_T1, this.load(L_T0, sz)));
      } else out.push(this.set(L_T1, this.regVal(EAX, sz)));
      out.push(this.set(L_T0, this.reg(EDI)), this.check(L_T0, sz, PROT_WRITE), this.store(L_T0, sz, this.get(L_T1)));
      out.push(this.set(L_T2, this.sel(this.c(-sz), this.c(sz), df())));
      if (movs) out.push(this.setReg(ESI, this.add(this.reg(ESI), this.get(L_T2))));
      out.push(this.setReg(EDI, this.add(this.reg(EDI), this.get(L_T2))));
      return;
    }
    out.push(m.if(df(), this.exitAt(here)));
    const k = this.labels++, done = `sd${k}`, next = `sn${k}`;
    const left = (r: number) => this.shru(m.i32.sub(this.c(0x1000), this.and(this.reg(r), this.c(0xfff))), this.c(sh));
    const body: X[] = [m.br(done, m.i32.eqz(this.reg(ECX)))];
    // T3 = elements in this chunk: up to the end of EDI's (and ESI's) page, at most ECX.
    body.push(this.set(L_T3, left(EDI)));
    if (movs) body.push(this.set(L_T4, left(ESI)), this.set(L_T3, this.sel(this.get(L_T4), this.get(L_T3), m.i32.lt_u(this.get(L_T4), this.get(L_T3)))));
    body.push(this.set(L_T3, this.sel(this.reg(ECX), this.get(L_T3), m.i32.lt_u(this.reg(ECX), this.get(L_T3)))));
    // An element crossing a page: the interpreter splits it.
    body.push(m.if(m.i32.eqz(this.get(L_T3)), this.exitAt(here)));
    body.push(this.set(L_T0, this.reg(EDI)), this.check(L_T0, 1, PROT_WRITE));
    if (movs) body.push(this.set(L_T1, this.reg(ESI)), this.check(L_T1, 1, PROT_READ));
    body.push(this.set(L_T2, this.shl(this.get(L_T3), this.c(sh))));
    // An element loop over the chunk's bytes (T4 = offset): `each` moves one element at offset T4.
    const elementLoop = (each: X[]): X => {
      const lp = `se${k}`;
      return m.block(null, [this.set(L_T4, this.c(0)), m.loop(lp, m.block(null, [
        ...each,
        this.set(L_T4, this.add(this.get(L_T4), this.c(sz))),
        m.br(lp, m.i32.lt_u(this.get(L_T4), this.get(L_T2))),
      ], this.bn.none))], this.bn.none);
    };
    const at = (r: number) => this.set(L_T5, this.add(this.reg(r), this.get(L_T4)));
    if (!movs) {
      if (sz === 1) body.push(m.memory.fill(this.reg(EDI), this.regVal(EAX, 1), this.get(L_T2), '0'));
      else body.push(this.set(L_T6, this.regVal(EAX, sz)), elementLoop([at(EDI), this.store(L_T5, sz, this.get(L_T6))]));
    } else {
      // x86 copies forward one element at a time: a destination starting inside the source repeats it.
      const overlaps = this.and(m.i32.ne(this.reg(EDI), this.reg(ESI)), m.i32.lt_u(m.i32.sub(this.reg(EDI), this.reg(ESI)), this.get(L_T2)));
      body.push(m.if(overlaps,
        elementLoop([at(ESI), this.set(L_T6, this.load(L_T5, sz)), at(EDI), this.store(L_T5, sz, this.get(L_T6))]),
        m.memory.copy(this.reg(EDI), this.reg(ESI), this.get(L_T2), '0', '0')));
      body.push(this.setReg(ESI, this.add(this.reg(ESI), this.get(L_T2))));
    }
    body.push(this.setReg(EDI, this.add(this.reg(EDI), this.get(L_T2))));
    body.push(this.setReg(ECX, m.i32.sub(this.reg(ECX), this.get(L_T3))));
    body.push(m.br(next));
    out.push(m.block(done, [m.loop(next, m.block(null, body, this.bn.none))], this.bn.none));
  }

  /** SF PF from the low result (local `lo`), ZF AF clear, CF=OF=overflow (alu.ts mulFlags); deferred. */
  private mulFlags(used: number[], lo: number, over: (t: (l: number) => X) => X, out: X[]): void {
    this.eagerLater(used, (t) => this.or(this.or(this.parity(t(lo)), this.and(this.shru(t(lo), this.c(24)), this.c(SF))),
      this.sel(this.c(CF | OF), this.c(0), over(t))), out);
  }

  private push(v: X, out: X[]): void {
    out.push(this.set(L_T0, this.m.i32.sub(this.reg(ESP), this.c(4))));
    out.push(this.check(L_T0, 4, PROT_WRITE, stackRef(ESP, -4)));
    out.push(this.store(L_T0, 4, v));
    out.push(this.setReg(ESP, this.get(L_T0)));
  }

  /**
   * Flags of an eager producer: deferred (`pend`) when the instruction runs unconditionally
   * (an immediate count), written at once inside a CL-count `if` (a zero count changes
   * nothing, so nothing may be pending across it: flushed before the `if`).
   */
  private flagsOf(deferred: boolean, mask: number, used: number[], build: (t: (l: number) => X) => X, out: X[]): void {
    if (deferred) { this.defer(mask, used, build, out); return; }
    this.writeFlags(this.or(this.and(this.flagsNow(), this.c(~mask)), build((l) => this.get(l))), out);
  }

  /** rol/ror/shl/shr/sar of 32 bits, with the flags of ops/fast32.ts. */
  private shift(i: Extract<Insn, { op: 'shift' }>, out: X[]): void {
    const m = this.m;
    if (i.size !== 4) { this.shiftNarrow(i, out); return; }
    this.prep(i.dst, 4, PROT_READ | PROT_WRITE, out);
    const byCl = i.count < 0;
    if (byCl) { out.push(this.set(L_T2, this.and(this.reg(ECX), this.c(31)))); this.flush(out); }
    const body: X[] = [];
    const n = (): X => i.count > 0 ? this.c(i.count) : this.get(L_T2);
    body.push(this.set(L_T1, this.val(i.dst, 4)));
    const flBefore = this.fl;
    switch (i.k) {
      case 0: case 1: {
        body.push(this.set(L_T3, i.k === 0 ? m.i32.rotl(this.get(L_T1), n()) : m.i32.rotr(this.get(L_T1), n())));
        this.flagsOf(!byCl, CF | OF, [L_T3], (t) => {
          const r = () => t(L_T3);
          const cf = i.k === 0 ? this.and(r(), this.c(1)) : this.shru(r(), this.c(31));
          const of = i.k === 0 ? this.xor(this.shru(r(), this.c(31)), this.and(r(), this.c(1)))
            : this.xor(this.shru(r(), this.c(31)), this.bit(r(), 30));
          return this.or(cf, this.shl(of, this.c(11)));
        }, body);
        // Rotates keep the record and mark it (LOP_CFOF), as fast32.ts rotFlags.
        if (flBefore === UNKNOWN) {
          body.push(this.set(L_LOP, this.sel(this.or(this.get(L_LOP), this.c(LOP_CFOF)), this.c(0), this.get(L_LOP))));
        } else if (flBefore !== 0) {
          body.push(this.set(L_LOP, this.c(flBefore | LOP_CFOF)));
          this.fl = flBefore | LOP_CFOF;
        }
        break;
      }
      default: {
        const a = () => this.get(L_T1);
        body.push(this.set(L_T3, i.k === 4 || i.k === 6 ? this.shl(a(), n()) : i.k === 5 ? this.shru(a(), n()) : this.shrs(a(), n())));
        const used = byCl ? [L_T1, L_T2, L_T3] : [L_T1, L_T3];
        this.flagsOf(!byCl, ARITH, used, (t) => {
          const a = () => t(L_T1), r = () => t(L_T3);
          const n = (): X => i.count > 0 ? this.c(i.count) : t(L_T2);
          let cf: X, of: X;
          if (i.k === 4 || i.k === 6) {
            cf = this.and(this.shru(a(), m.i32.sub(this.c(32), n())), this.c(1));
            of = this.xor(this.shru(r(), this.c(31)), this.and(this.shru(a(), m.i32.sub(this.c(32), n())), this.c(1)));
          } else if (i.k === 5) {
            cf = this.and(this.shru(a(), m.i32.sub(n(), this.c(1))), this.c(1));
            of = i.count === 1 ? this.shru(a(), this.c(31)) : i.count > 1 ? this.c(0)
              : this.sel(this.shru(a(), this.c(31)), this.c(0), m.i32.eq(n(), this.c(1)));
          } else {
            cf = this.and(this.shrs(a(), m.i32.sub(n(), this.c(1))), this.c(1));
            of = this.c(0);
          }
          return this.or(this.or(this.parity(r()), this.sel(this.c(ZF), this.c(0), m.i32.eqz(r()))),
            this.or(this.and(this.shru(r(), this.c(24)), this.c(SF)), this.or(cf, this.shl(of, this.c(11)))));
        }, body);
        body.push(this.set(L_LOP, this.c(0)));
        this.fl = 0;
        break;
      }
    }
    body.push(this.write(i.dst, 4, this.get(L_T3)));
    if (!byCl) { out.push(...body); return; }
    // By CL: a zero count changes nothing, flags included.
    out.push(m.if(m.i32.ne(this.get(L_T2), this.c(0)), this.block(body)));
    this.fl = UNKNOWN;
  }

  /** rol/ror/shl/shr/sar of 8 or 16 bits, with the flags of alu.ts makeShifts (rotates materialise the record, as there). */
  private shiftNarrow(i: Extract<Insn, { op: 'shift' }>, out: X[]): void {
    const m = this.m, size = i.size, bits = size * 8, mask = size === 2 ? 0xffff : 0xff;
    this.prep(i.dst, size, PROT_READ | PROT_WRITE, out);
    const byCl = i.count < 0;
    if (byCl) { out.push(this.set(L_T2, this.and(this.reg(ECX), this.c(31)))); this.flush(out); }
    const n = (): X => i.count > 0 ? this.c(i.count) : this.get(L_T2);
    const a = () => this.get(L_T1), r = () => this.get(L_T3);
    const msb = (v: X) => this.bit(v, bits - 1);
    const body: X[] = [this.set(L_T1, this.val(i.dst, size))];
    if (i.k === 0 || i.k === 1) {
      // k = n mod bits; k = 0 leaves the value but still sets CF and OF from it.
      const k = () => this.and(n(), this.c(bits - 1));
      const rot = i.k === 0 ? this.or(this.shl(a(), k()), this.shru(a(), m.i32.sub(this.c(bits), k())))
        : this.or(this.shru(a(), k()), this.shl(a(), m.i32.sub(this.c(bits), k())));
      body.push(this.set(L_T3, this.and(this.sel(a(), rot, m.i32.eqz(k())), this.c(mask))));
      const cf = i.k === 0 ? this.and(r(), this.c(1)) : msb(r());
      const of = i.k === 0 ? this.xor(msb(r()), this.and(r(), this.c(1))) : this.xor(msb(r()), this.bit(r(), bits - 2));
      this.materialise(L_T4, body);
      this.eager(this.or(this.and(this.get(L_T4), this.c(ARITH & ~(CF | OF))), this.or(cf, this.shl(of, this.c(11)))), body);
    } else {
      if (i.k === 4) {
        body.push(this.set(L_T3, this.and(this.shl(a(), n()), this.c(mask))));
        body.push(this.set(L_T4, this.sel(this.c(0), this.and(this.shru(a(), m.i32.sub(this.c(bits), n())), this.c(1)), m.i32.gt_u(n(), this.c(bits)))));
      } else if (i.k === 5) {
        body.push(this.set(L_T3, this.shru(a(), n())));
      } else {
        const v = () => this.shrs(this.shl(a(), this.c(32 - bits)), this.c(32 - bits));
        body.push(this.set(L_T3, this.and(this.shrs(v(), n()), this.c(mask))));
      }
      const used = [L_T1, L_T3, ...(i.k === 4 ? [L_T4] : []), ...(byCl ? [L_T2] : [])];
      this.flagsOf(!byCl, ARITH, used, (t) => {
        const a = () => t(L_T1), r = () => t(L_T3), msb = (v: X) => this.bit(v, bits - 1);
        const n = (): X => i.count > 0 ? this.c(i.count) : t(L_T2);
        let cf: X, of: X;
        if (i.k === 4) {
          cf = t(L_T4);
          of = this.xor(msb(r()), t(L_T4));
        } else if (i.k === 5) {
          cf = this.sel(this.c(0), this.and(this.shru(a(), m.i32.sub(n(), this.c(1))), this.c(1)), m.i32.gt_u(n(), this.c(bits)));
          of = this.sel(msb(a()), this.c(0), m.i32.eq(n(), this.c(1)));
        } else {
          const v = () => this.shrs(this.shl(a(), this.c(32 - bits)), this.c(32 - bits));
          cf = this.and(this.shrs(v(), m.i32.sub(n(), this.c(1))), this.c(1));
          of = this.c(0);
        }
        return this.or(this.or(this.parity(r()), this.sel(this.c(ZF), this.c(0), m.i32.eqz(r()))),
          this.or(this.shl(msb(r()), this.c(7)), this.or(cf, this.shl(of, this.c(11)))));
      }, body);
      body.push(this.set(L_LOP, this.c(0)));
      this.fl = 0;
    }
    body.push(this.write(i.dst, size, r()));
    if (!byCl) { out.push(...body); return; }
    out.push(m.if(m.i32.ne(this.get(L_T2), this.c(0)), this.block(body)));
    this.fl = UNKNOWN;
  }

  /** 32-bit shld/shrd with the flags of alu.ts shld/shrd (OF: the sign changed); a zero CL count changes nothing. */
  private shiftDouble(i: Extract<Insn, { op: 'shd' }>, out: X[]): void {
    const m = this.m;
    this.prep(i.dst, 4, PROT_READ | PROT_WRITE, out);
    const byCl = i.count < 0;
    if (byCl) { out.push(this.set(L_T2, this.and(this.reg(ECX), this.c(31)))); this.flush(out); }
    const n = (): X => i.count > 0 ? this.c(i.count) : this.get(L_T2);
    const a = () => this.get(L_T1), inv = () => m.i32.sub(this.c(32), n());
    const body: X[] = [this.set(L_T1, this.val(i.dst, 4))];
    body.push(this.set(L_T3, i.left ? this.or(this.shl(a(), n()), this.shru(this.reg(i.src), inv()))
      : this.or(this.shru(a(), n()), this.shl(this.reg(i.src), inv()))));
    this.flagsOf(!byCl, ARITH, byCl ? [L_T1, L_T2, L_T3] : [L_T1, L_T3], (t) => {
      const a = () => t(L_T1), r = () => t(L_T3);
      const n = (): X => i.count > 0 ? this.c(i.count) : t(L_T2);
      const cf = i.left ? this.and(this.shru(a(), m.i32.sub(this.c(32), n())), this.c(1)) : this.and(this.shru(a(), m.i32.sub(n(), this.c(1))), this.c(1));
      const of = this.shru(this.xor(r(), a()), this.c(31));
      return this.or(this.or(this.parity(r()), this.sel(this.c(ZF), this.c(0), m.i32.eqz(r()))),
        this.or(this.and(this.shru(r(), this.c(24)), this.c(SF)), this.or(cf, this.shl(of, this.c(11)))));
    }, body);
    body.push(this.set(L_LOP, this.c(0)));
    this.fl = 0;
    body.push(this.write(i.dst, 4, this.get(L_T3)));
    if (!byCl) { out.push(...body); return; }
    out.push(m.if(m.i32.ne(this.get(L_T2), this.c(0)), this.block(body)));
    this.fl = UNKNOWN;
  }

  // ---- blocks ----
  build(): CodegenOut {
    const m = this.m, bn = this.bn;
    // Return addresses of calls inside the region: a ret that pops one of them branches there.
    const conts: number[] = [];
    for (const b of this.r.blocks.values()) {
      const last = b.insns[b.insns.length - 1].insn;
      if (b.terminated && last.op === 'call' && this.r.blocks.has(b.end) && !conts.includes(b.end)) conts.push(b.end);
    }
    const tbs = new Map<number, TBlock>();
    const budgeted = budgetBlocks(this.r, conts);
    for (const b of this.r.blocks.values()) {
      this.phase = `block ${b.start.toString(16)}`;
      this.blk = b;
      this.fl = UNKNOWN;
      this.pend = null;
      const code: X[] = [];
      this.idx = 0;
      this.pre = [0];
      for (const d of b.insns) this.pre.push(this.pre[this.pre.length - 1] + weight(d.insn));
      const planned = planBlock(b.insns.map((d) => d.insn));
      this.plan = planned.plan;
      this.track = new RegTrack();
      // An x87 scope across the block's back edge opens before its loop (codegen-x87.ts openCarried), so exits from here on write it back.
      let pre: X[] | null = null;
      if (this.hasX87 && selfLoop(b, conts, this.r)) {
        const p: X[] = [];
        if ((this.x87 ??= new X87Gen(this.makeX87Host())).openCarried(p)) pre = p;
      }
      // Budget: leave before the block once it is spent (an endless translated loop still yields).
      if (budgeted.has(b.start >>> 0)) code.push(m.if(m.i32.ge_s(this.get(L_N), this.get(P_BUDGET)), this.exitAt(b.start, true)));
      code.push(this.set(L_N, this.add(this.get(L_N), this.c(this.pre[b.insns.length]))));
      const n = b.insns.length;
      let last: Insn | null = null;
      for (let k = 0; k < n; k++) {
        this.idx = k;
        this.accN = 0;
        const d = b.insns[k];
        for (const p of this.plan[k]) if (p.anchor) code.push(this.groupCheck(p));
        if (k === n - 1 && b.terminated) { this.x87?.close(code); last = d.insn; this.terminator(d, b, code); break; }
        this.insn(d, code);
        this.track.effects(d.insn);
      }
      this.idx = n;
      this.x87?.close(code);
      // Successor blocks start knowing nothing about the flags: write any deferred update.
      this.flush(code);
      if (!b.terminated) code.push(this.set(L_XEIP, this.c(b.end)));
      tbs.set(b.start, { b, code, last, succ: successors(b, last, conts, this.r), cut: new Set(), pre, leave: this.x87?.leaveCarried() ?? null });
    }
    this.phase = 'structure';
    // Irreducible edges found are cut (they leave through the hub) and the analysis redone:
    // every round cuts at least one edge, so this ends.
    let body: X | null = null;
    while (body === null) body = this.structured(tbs);
    const slot = () => this.get(P_SLOT);
    const ld = (w: number) => m.i32.load(w * 4, 4, slot());
    const st = (w: number, v: X) => m.i32.store(w * 4, 4, slot(), v);
    // The state slot's registers and flag record: stored at the exit only if the region writes
    // them, loaded at entry only if it reads or stores them. A hop through the hub costs these
    // loads and stores; python's regions touch about half of the 13 (design §3).
    const written = this.writes, used = this.reads | this.writes;
    const state = STATE;
    const pro: X[] = [];
    for (const [l, w] of state) if (used & (1 << l)) pro.push(this.set(l, ld(w)));
    if (this.usesFs) pro.push(this.set(L_FS, ld(SEGBASE + 4)));
    if (this.usesGs) pro.push(this.set(L_GS, ld(SEGBASE + 5)));
    // With the dispatcher, the function starts by selecting its entry block: the one at the
    // slot's EIP, which is the region's entry or another of D's targets (the hub enters the
    // function under each of them: hub.ts "Entry points").
    if (this.hasD) pro.push(this.set(L_XEIP, ld(EIP)));
    const epi: X[] = [];
    for (const [l, w] of state) if (written & (1 << l)) epi.push(st(w, this.get(l)));
    epi.push(st(EIP, this.get(L_XEIP)));
    const fn = m.block(null, [
      m.block('exit', [...pro, body, m.unreachable()], bn.none),
      ...epi,
      this.get(L_N),
    ], bn.i32);
    if (this.usesHelper) this.addCondFunction();
    if (this.usesInterp) m.addFunctionImport('interp', 'e', 'i', bn.createType([bn.i32, bn.i32]), bn.i32);
    if (this.usesCall) m.addFunctionImport('hcall', 'e', 'h', bn.createType([bn.i32, bn.i32, bn.i32]), bn.i32);
    if (this.usesFlags) m.addFunctionImport('flags', 'e', 'f', bn.createType([bn.i32, bn.i32, bn.i32, bn.i32, bn.i32]), bn.i32);
    const vars: number[] = new Array(N_VARS).fill(bn.i32);
    // One layout whichever of them a function uses, since each index is fixed while the code
    // is generated: the SSE temporaries, the x87 ones after them (declared only by functions
    // that use them: V8 zeroes every local at each call, and v128/f64/i64 ones cost more).
    if (this.usesSse || this.hasX87) vars.push(...SSE_LOCALS(bn), ...(this.hasX87 ? X87_LOCALS(bn) : []));
    this.phase = 'emit';
    // WEBX86_JIT_NAMES=1 (profiling: bench/jit-profile.ts): the function is named after its
    // entry in the module's name section, so V8's profiles attribute Wasm time by region.
    const fname = profileNames ? `r${(this.r.entry >>> 0).toString(16)}` : 'f';
    m.addFunction(fname, bn.createType([bn.i32, bn.i32]), bn.i32, vars, fn);
    m.addFunctionExport(fname, 'f');
    if (profileNames) bn.setDebugInfo(true);
    // D's other targets, where the hub may enter the function too (hub.ts ENTRY_SECTION).
    const more = this.dTargets.filter((t) => t !== this.r.entry >>> 0);
    if (more.length > 0) {
      const sec = new DataView(new ArrayBuffer(more.length * 4));
      more.forEach((t, k) => sec.setUint32(k * 4, t, true));
      m.addCustomSection(ENTRY_SECTION, new Uint8Array(sec.buffer));
    }
    const bytes = m.emitBinary();
    m.dispose();
    return { bytes, helpers: this.usesHelper };
  }

  /**
   * `cond(lop, la, lb, lres, flags, cc)`: flags.ts cond() for a Jcc/setcc/cmov whose flag
   * producer is not known at translation time (the block's first flag reader, after an
   * interpreter call), as a function of the module: EFLAGS as getFlags() materialises them
   * (computeLazy's formulas), then the condition's bits. It was an import of the JS helper
   * (jit.ts condHelper: a Wasm-to-JS call writing a scratch record), 3.1% of busybox sh's
   * warm loop's engine profile on its own (bench/jit-profile.ts sh, 2026-12-07).
   */
  private addCondFunction(): void {
    const m = this.m, bn = this.bn, i32 = bn.i32;
    const P_LOP = 0, P_LA = 1, P_LB = 2, P_RES = 3, P_FL = 4, P_CC = 5, V_F = 6, V_SIGN = 7, V_MASK = 8, V_K = 9, V_E = 10;
    const g = (l: number): X => m.local.get(l, i32), set = (l: number, v: X): X => m.local.set(l, v);
    const c = (v: number): X => m.i32.const(v | 0);
    const or = (a: X, b: X): X => m.i32.or(a, b), and = (a: X, b: X): X => m.i32.and(a, b), xor = (a: X, b: X): X => m.i32.xor(a, b);
    const flag = (cond: X, bit: number): X => m.select(cond, c(bit), c(0));
    const sz = (): X => and(g(P_LOP), c(3));
    const af = (b: X): X => and(xor(xor(g(P_LA), b), g(P_RES)), c(AF));
    const body: X[] = [
      set(V_SIGN, m.select(m.i32.eq(sz(), c(2)), c(0x80000000), m.select(m.i32.eq(sz(), c(1)), c(0x8000), c(0x80)))),
      set(V_MASK, m.select(m.i32.eq(sz(), c(2)), c(-1), m.select(m.i32.eq(sz(), c(1)), c(0xffff), c(0xff)))),
      set(V_K, and(m.i32.shr_u(g(P_LOP), c(2)), c(7))),
      // PF ZF SF of the result.
      set(V_F, or(or(m.i32.shl(xor(and(m.i32.popcnt(and(g(P_RES), c(0xff))), c(1)), c(1)), c(2)),
        flag(m.i32.eqz(g(P_RES)), ZF)), flag(m.i32.ne(and(g(P_RES), g(V_SIGN)), c(0)), SF))),
      m.if(m.i32.eq(g(V_K), c(K_ADD)),
        set(V_F, or(g(V_F), or(or(flag(m.i32.lt_u(g(P_RES), g(P_LA)), CF),
          flag(m.i32.ne(and(and(xor(g(P_LA), g(P_RES)), xor(g(P_LB), g(P_RES))), g(V_SIGN)), c(0)), OF)), af(g(P_LB))))),
        m.if(m.i32.eq(g(V_K), c(K_SUB)),
          set(V_F, or(g(V_F), or(or(flag(m.i32.lt_u(g(P_LA), g(P_LB)), CF),
            flag(m.i32.ne(and(and(xor(g(P_LA), g(P_LB)), xor(g(P_LA), g(P_RES))), g(V_SIGN)), c(0)), OF)), af(g(P_LB))))),
          m.if(m.i32.eq(g(V_K), c(K_INC)),
            set(V_F, or(g(V_F), or(or(and(g(P_FL), c(CF)), flag(m.i32.eq(g(P_RES), and(g(V_SIGN), g(V_MASK))), OF)), af(c(1))))),
            m.if(m.i32.eq(g(V_K), c(K_DEC)),
              set(V_F, or(g(V_F), or(or(and(g(P_FL), c(CF)), flag(m.i32.eq(g(P_RES), and(m.i32.sub(g(V_SIGN), c(1)), g(V_MASK))), OF)), af(c(1))))))))),
      m.if(m.i32.ne(and(g(P_LOP), c(LOP_CFOF)), c(0)), set(V_F, or(and(g(V_F), c(~(CF | OF))), and(g(P_FL), c(CF | OF))))),
      // getFlags(): the record's flags over FLAGS, or FLAGS alone without a record.
      set(V_E, m.select(m.i32.eqz(g(P_LOP)), g(P_FL), or(and(g(P_FL), c(~ARITH)), g(V_F)))),
    ];
    const bit = (n: number): X => and(m.i32.shr_u(g(V_E), c(n)), c(1));
    const hi = (): X => m.i32.shr_u(g(P_CC), c(1));
    const pick = (k: number, v: X, rest: X): X => m.select(m.i32.eq(hi(), c(k)), v, rest);
    const sfof = (): X => xor(bit(7), bit(11));
    const r = pick(0, bit(11), pick(1, bit(0), pick(2, bit(6), pick(3, or(bit(0), bit(6)),
      pick(4, bit(7), pick(5, bit(2), pick(6, sfof(), or(bit(6), sfof()))))))));
    body.push(xor(r, and(g(P_CC), c(1))));
    m.addFunction('cond', bn.createType([i32, i32, i32, i32, i32, i32]), i32, [i32, i32, i32, i32, i32], m.block(null, body, i32));
  }

  /**
   * The region's control flow as structured Wasm, by the "Beyond Relooper" method (N. Ramsey,
   * ICFP 2022; the design's "own stackifier"): blocks in reverse postorder, each translated
   * where its immediate dominator places it; a loop header becomes a `loop`, a block with
   * several forward predecessors (a merge) follows a `block` its predecessors leave. Linear
   * in the region's size, where binaryen's Relooper took 3.1 of bash's 5.1 s of compile time
   * (CPU profile of the bash row) and threw on some 34-48-block graphs.
   *
   * An irreducible edge (one back to a block that does not dominate its source: python's
   * eval loop has many, from gcc's tail merging, and so does a function called twice in a
   * region, through its ret) is cut, and the analysis repeats until the graph is reducible.
   * A cut edge goes through the dispatcher D, which selects the block by the address in
   * `xeip` (`dispatch`): D is made the root of the graph (it runs first and selects the
   * entry), so every edge into it is a back edge to a dominator. Indirect jumps, calls and
   * returns leaving the region try D too before they leave. Before D, a cut edge left
   * the function through the hub (hub.ts): a store of every register written, the hub's
   * lookup and call_indirect, the next region's loads (python3 binary-trees: 22.0 M hub hops
   * before, 19.3 M with D; bash's loop 2.8 M cut edges). Null: edges were cut, redo.
   */
  private structured(tbs: Map<number, TBlock>): X | null {
    const m = this.m, bn = this.bn, entry = this.r.entry >>> 0;
    const targets: number[] = [];
    const addTarget = (y: number): void => { if (tbs.has(y) && !targets.includes(y)) targets.push(y); };
    for (const t of tbs.values()) for (const y of t.cut) addTarget(y);
    const hasD = targets.length > 0;
    if (hasD) { const k = targets.indexOf(entry); if (k >= 0) targets.splice(k, 1); targets.unshift(entry); }
    this.hasD = hasD;
    this.dTargets = targets;
    const root = hasD ? DISPATCH : entry;
    const inRegion = (a: number): boolean => tbs.has(a);
    /** The successors of x reached by a branch inside the function (edges into D, always back edges to the root, left out). */
    const succOf = (x: number): number[] => {
      if (x === DISPATCH) return targets;
      const t = tbs.get(x)!;
      return t.cut.size === 0 ? t.succ : t.succ.filter((y) => !t.cut.has(y));
    };
    // Reverse postorder by an iterative depth-first walk.
    const post: number[] = [];
    const seen = new Set<number>([root]);
    const stack: [number, number][] = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const succ = succOf(top[0]);
      if (top[1] < succ.length) {
        const y = succ[top[1]++];
        if (inRegion(y) && !seen.has(y)) { seen.add(y); stack.push([y, 0]); }
      } else { post.push(top[0]); stack.pop(); }
    }
    const order = post.reverse();
    const rpo = new Map<number, number>();
    order.forEach((x, k) => rpo.set(x, k));
    const preds = new Map<number, number[]>(order.map((x) => [x, []]));
    for (const x of order) for (const y of new Set(succOf(x))) if (rpo.has(y)) preds.get(y)!.push(x);
    // Immediate dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm").
    const idom = new Map<number, number>([[root, root]]);
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        while (rpo.get(a)! > rpo.get(b)!) a = idom.get(a)!;
        while (rpo.get(b)! > rpo.get(a)!) b = idom.get(b)!;
      }
      return a;
    };
    for (let changed = true; changed;) {
      changed = false;
      for (const x of order) {
        if (x === root) continue;
        let d: number | undefined;
        for (const p of preds.get(x)!) if (idom.has(p)) d = d === undefined ? p : intersect(p, d);
        if (d !== undefined && idom.get(x) !== d) { idom.set(x, d); changed = true; }
      }
    }
    const dominates = (a: number, b: number): boolean => {
      for (let x = b; ; x = idom.get(x)!) { if (x === a) return true; if (x === root) return false; }
    };
    const headers = new Set<number>();
    if (hasD) headers.add(DISPATCH);
    const forwardIn = new Map<number, number>();
    let irreducible = false;
    for (const x of order) {
      for (const y of new Set(succOf(x))) {
        if (!rpo.has(y)) continue;
        if (rpo.get(y)! <= rpo.get(x)!) {
          if (!dominates(y, x)) { tbs.get(x)!.cut.add(y); irreducible = true; }
          headers.add(y);
        } else forwardIn.set(y, (forwardIn.get(y) ?? 0) + 1);
      }
    }
    if (irreducible) return null;
    // D's targets are its children (D is the root and a predecessor of each): labelled, so D can branch to them.
    const isMerge = (y: number): boolean => (forwardIn.get(y) ?? 0) >= 2 || (hasD && targets.includes(y));
    const children = new Map<number, number[]>(order.map((x) => [x, []]));
    for (const x of order) if (x !== root) children.get(idom.get(x)!)!.push(x);

    const exitTo = (eip: number): X => m.block(null, [this.set(L_XEIP, this.c(eip)), m.br('exit')], bn.none);
    /** Leave for the run-time target in xeip: through D when there is one. */
    const dynamic = (): X => m.br(hasD ? `L${DISPATCH}` : 'exit');
    const branch = (x: number, y: number): X => {
      // Leaving a loop-carried x87 scope's block by any edge but its own back edge: its write-back first.
      const leave = tbs.get(x)!.leave;
      if (leave !== null && !(y === x && rpo.has(y) && !tbs.get(x)!.cut.has(y))) return m.block(null, [...leave(), edge(x, y)], bn.none);
      return edge(x, y);
    };
    const edge = (x: number, y: number): X => {
      if (!rpo.has(y)) return exitTo(y);
      if (tbs.get(x)!.cut.has(y)) return m.block(null, [this.set(L_XEIP, this.c(y)), dynamic()], bn.none);
      if (rpo.get(y)! <= rpo.get(x)!) return m.br(`L${y}`);
      if (isMerge(y)) return m.br(`B${y}`);
      return doTree(y);
    };
    const emitNode = (x: number): X => {
      if (x === DISPATCH) return this.dispatch(targets);
      const t = tbs.get(x)!, last = t.last, list = t.code;
      // No terminator: into the next block when it is in the region (successors), else leave with xeip = the block's end.
      if (last === null) list.push(t.succ.length > 0 ? branch(x, t.b.end >>> 0) : m.br('exit'));
      else {
        switch (last.op) {
          case 'jcc': case 'jecxz': {
            const tt = last.target >>> 0, f = t.b.end >>> 0;
            // The condition was computed into T3 by terminator().
            list.push(tt === f ? branch(x, tt) : m.if(this.get(L_T3), branch(x, tt), branch(x, f)));
            break;
          }
          case 'jmp': list.push(branch(x, last.target >>> 0)); break;
          case 'call': case 'calli': {
            if (!callsOut(t.b, last, this.r)) { list.push(last.op === 'call' ? branch(x, last.target >>> 0) : dynamic()); break; }
            // (A call through a PLT stub has its target, the GOT slot's, in xeip already: terminator().)
            if (last.op === 'call' && last.stub === undefined) list.push(this.set(L_XEIP, this.c(last.target)));
            list.push(...this.callOut(t.b.end >>> 0));
            // Back at the continuation (the callee returned): go on there; else leave with the slot's EIP.
            list.push(m.if(m.i32.lt_s(this.get(L_T0), this.c(0)), branch(x, t.b.end >>> 0),
              m.block(null, [this.set(L_XEIP, m.i32.load(EIP * 4, 4, this.get(P_SLOT))), m.br('exit')], bn.none)));
            break;
          }
          case 'ret': {
            // The popped address (in xeip) selects a continuation inside the region, else D or the exit.
            let e: X = dynamic();
            for (const c of [...t.succ].reverse()) e = m.if(m.i32.eq(this.get(L_XEIP), this.c(c)), branch(x, c), e);
            list.push(e);
            break;
          }
          case 'jmpi': {
            // The seen targets taken into the region (region.ts formRegion): compared with the computed target (xeip), else D or the exit.
            let e: X = dynamic();
            for (const c of [...t.succ].reverse()) e = m.if(m.i32.eq(this.get(L_XEIP), this.c(c)), branch(x, c), e);
            list.push(e);
            break;
          }
          default: list.push(dynamic());
        }
      }
      return m.block(null, list, bn.none);
    };
    const nodeWithin = (x: number, ys: number[]): X => {
      if (ys.length === 0) return emitNode(x);
      const [yn, ...rest] = ys;
      // The content is wrapped in `if (1)`: binaryen types a named block whose child is
      // unreachable (every node ends in a branch) by walking its whole subtree for a branch to
      // its name (Block::finalize, handleUnreachable), and these blocks nest, so building them
      // took a fifth of codegen's CPU on gcc's regions (bench/jit-compile-cost.ts); an if
      // without else is of type none. 5 bytes per merge, and a branch V8 folds.
      return m.block(null, [m.block(`B${yn}`, [m.if(this.c(1), nodeWithin(x, rest))], bn.none), doTree(yn)], bn.none);
    };
    const doTree = (x: number): X => {
      // Merge children, the highest reverse-postorder number outermost (its code comes last).
      const ys = children.get(x)!.filter(isMerge).sort((a, b) => rpo.get(b)! - rpo.get(a)!);
      const code = nodeWithin(x, ys);
      const node = headers.has(x) ? m.loop(`L${x}`, code) : code;
      // A loop-carried x87 scope's entry runs on every way in but the back edge (x is a header: it loops to itself).
      const pre = x === DISPATCH ? null : tbs.get(x)!.pre;
      return pre === null ? node : m.block(null, [...pre, node], bn.none);
    };
    return doTree(root);
  }

  /** The function calls the hub's nested loop (import e.h: callsOut). */
  private usesCall = false;

  /**
   * A call out of the region (callsOut) up to the callee's return: the registers and flag
   * record written so far go to the slot with EIP = the target (in xeip), the hub's `call`
   * runs the chain until it comes back to the continuation (the return address pushed),
   * and every state local the function uses is reloaded, since the callee changed the slot.
   * Leaves the result (CALL_RETURNED bit | instructions run) in T0 and adds the count to n.
   * The locals are set without marking them written: each now equals its slot word.
   */
  private callOut(cont: number): X[] {
    const m = this.m, slot = (): X => m.local.get(P_SLOT, this.i32);
    this.usesCall = true;
    const out: X[] = [];
    const used = this.reads | this.writes;
    for (const [l, w] of STATE) if (this.writes & (1 << l)) out.push(m.i32.store(w * 4, 4, slot(), m.local.get(l, this.i32)));
    out.push(m.i32.store(EIP * 4, 4, slot(), this.get(L_XEIP)));
    out.push(this.set(L_T0, m.call('hcall', [slot(), m.i32.sub(this.get(P_BUDGET), this.get(L_N)), this.c(cont)], this.i32)));
    out.push(this.set(L_N, this.add(this.get(L_N), this.and(this.get(L_T0), this.c(0x7fffffff)))));
    for (const [l, w] of STATE) if (used & (1 << l)) out.push(m.local.set(l, m.i32.load(w * 4, 4, slot())));
    return out;
  }

  /** Whether the function has the dispatcher D (structured()); its entry then goes through it. */
  private hasD = false;
  /** D's targets (structured()), the entry first. */
  private dTargets: number[] = [];

  /**
   * D's code: branch to the block whose address is in xeip (label B<addr>), or leave with it.
   * Up to 4 targets (the entry first: every call of the function starts here) by compares;
   * more (python's eval loop) by a br_table over a few bits of the address picked so that
   * no two targets share a slot, and one compare in the slot.
   */
  private dispatch(targets: number[]): X {
    const m = this.m, bn = this.bn, xe = (): X => this.get(L_XEIP);
    const chain = (): X => m.block(null, [...targets.map((t) => m.br(`B${t}`, m.i32.eq(xe(), this.c(t)))), m.br('exit')], bn.none);
    if (targets.length <= 4) return chain();
    const minBits = Math.ceil(Math.log2(targets.length));
    for (let bits = minBits; bits <= Math.min(minBits + 3, 10); bits++) {
      const mask = (1 << bits) - 1;
      for (let sh = 0; sh <= 16; sh++) {
        const slots: number[] = new Array(1 << bits).fill(-1);
        let ok = true;
        for (const t of targets) {
          const k = (t >>> sh) & mask;
          if (slots[k] >= 0) { ok = false; break; }
          slots[k] = t;
        }
        if (!ok) continue;
        // block Dmiss { block D<k> ... { br_table } ; slot k: br_if B<t> (xeip == t); br Dmiss ... } br exit
        let inner: X = m.switch(slots.map((t, k) => (t < 0 ? 'Dmiss' : `D${k}`)), 'Dmiss', this.and(this.shru(xe(), this.c(sh)), this.c(mask)));
        slots.forEach((t, k) => {
          if (t < 0) return;
          inner = m.block(null, [m.block(`D${k}`, [inner], bn.none), m.br(`B${t}`, m.i32.eq(xe(), this.c(t))), m.br('Dmiss')], bn.none);
        });
        return m.block(null, [m.block('Dmiss', [inner], bn.none), m.br('exit')], bn.none);
      }
    }
    return chain();
  }

  /** A block's final control transfer: everything except the branch itself (structured() adds it). */
  private terminator(d: Decoded, b: RBlock, out: X[]): void {
    const i = d.insn, m = this.m;
    switch (i.op) {
      case 'jcc': out.push(this.set(L_T3, this.cond(i.cc))); return;
      case 'jecxz': out.push(this.set(L_T3, m.i32.eqz(this.reg(ECX)))); return;
      case 'jmp': return;
      case 'call': {
        this.push(this.c(b.end), out);
        if (i.stub === undefined || !callsOut(b, i, this.r)) return;
        // A call out through a PLT stub (region.ts pltStub): the stub's `jmp *GOT` runs here
        // too, the GOT slot read now (lazy binding and dlopen rewrite it; never baked in), so
        // the nested hub call goes straight to its target. An unreadable slot leaves at the
        // stub with the call done, where the interpreter faults exactly as without this.
        out.push(this.set(L_T0, this.ea(i.stub)));
        out.push(this.check(L_T0, 4, PROT_READ, undefined, i.target >>> 0));
        out.push(this.set(L_XEIP, this.load(L_T0, 4)));
        out.push(this.set(L_N, this.add(this.get(L_N), this.c(1))));
        return;
      }
      case 'ret': {
        out.push(this.set(L_T0, this.reg(ESP)));
        out.push(this.check(L_T0, 4, PROT_READ, stackRef(ESP, 0)));
        out.push(this.set(L_XEIP, this.load(L_T0, 4)));
        out.push(this.setReg(ESP, this.add(this.reg(ESP), this.c(4 + i.pop))));
        return;
      }
      case 'jmpi': case 'calli': {
        this.prep(i.src, 4, PROT_READ, out);
        out.push(this.set(L_T1, this.val(i.src, 4)));
        if (i.op === 'calli') this.push(this.c(b.end), out);
        out.push(this.set(L_XEIP, this.get(L_T1)));
        return;
      }
    }
    void m;
  }
}
