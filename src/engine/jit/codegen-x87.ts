/**
 * x87 instructions as Wasm (decoding: region-x87.ts; the hooks: codegen.ts `insn` case
 * 'x87', `exitAt`, and the scope's close before interpreter calls, SSE and a block's end).
 * Results are bit-exact with the interpreter's (cpu/fpu-ops.ts hot forms, float80.ts),
 * flags, tag word and pointers included.
 *
 * - **Scopes.** The x87 instructions of a block, with the integer instructions between
 *   them, form a scope: from its first x87 instruction to the first interpreter call, SSE
 *   instruction, the block's terminator, or an x87 instruction that would fault on the
 *   stack as the scope's static stack knows it. At the scope's start TOP, the tags, SW and
 *   CW are read once and one guard checks what the whole scope needs: no unmasked exception
 *   pending (SW.ES clear), PE masked (the only flag a fast path raises), every register the
 *   scope reads before writing present and every one it pushes into empty (the scope's
 *   stack simulated at translation time: `simulate`). A failed guard leaves before the
 *   scope (the interpreter runs it). Within the scope TOP is a translation-time offset from
 *   the entry TOP, so ST(i) is a fixed local: the registers live in Wasm locals (i64
 *   significand, i32 sign|exponent) per position relative to the entry TOP, loaded at first
 *   use, and SW in a local.
 * - **Write-back** of the dirty registers, TOP, the tags, SW, CW and FIP/FOP (the last data
 *   instruction's: static) happens where the state can be observed: every exit of the
 *   region from inside the scope (codegen.ts exitAt: faults, the interpreter's split
 *   accesses), before a slow path, and when the scope closes. FOO (a memory operand's
 *   address) is stored by each memory form as it runs.
 * - **Slow paths.** An instruction whose operands or result the fast path does not handle
 *   (NaN, infinities, denormals, zero operands of arithmetic, underflow and overflow, a
 *   memory float that is not normal or zero) writes the state back, runs the interpreter's
 *   closure for itself inside the region (codegen.ts `interpOne`), leaves after it if that
 *   raised an unmasked exception (ES set: SIGFPE comes at the next x87 instruction, in the
 *   interpreter), and reloads the registers it has cached. The stack effect is the same on
 *   both paths (the guard excluded stack faults), so the scope's static stack still holds.
 * - **Arithmetic** is inline (x87-runtime.ts arith80, specialised by operation, rounding
 *   by the control word in a local): a call per instruction with the operands in memory
 *   was 23% of the x87 loop's profile and the slot traffic around it 29%. Each register
 *   position's sign|exponent local carries a flag in bit 16 (`ODD`), clear when its value
 *   is known normal (a fast path's result), and arith80 classifies its operands only when
 *   a flag is set (`odd`).
 * - **Memory operands** are checked inline (both pages of an access that may cross one);
 *   a failed check leaves before the instruction (state written back), where the
 *   interpreter raises the fault with nothing changed (test/jit/x87.c).
 */
import type binaryenT from 'binaryen';
import { EAX, FPU_OFFSET } from '../cpu/state.js';
import type { Decoded, Insn, MemRef } from './region.js';
import type { SseHost } from './codegen-sse.js';
import type { X87Insn } from './region-x87.js';
import { ARITH_I32, ARITH_I64, OP_ADD, OP_DIV, OP_MUL, OP_SUB, arith80, type ArithLocals } from './x87-runtime.js';

type B = typeof binaryenT;
type X = binaryenT.ExpressionRef;

/**
 * Memory operand formats: m32fp, m64fp, m32int, m16int, m80fp, m64int. Here, not in region-x87.ts: the
 * compile worker's bundle must not reach region.ts (which imports the interpreter).
 */
export const M_F32 = 0, M_F64 = 1, M_I32 = 2, M_I16 = 3, M_F80 = 4, M_I64 = 5;

// The slot's x87 area (cpu/fpu.ts: FPU_R, FPU_CW...), in bytes from the slot's start; not
// imported from fpu.ts, which pulls in the soft-float the compile worker does not need.
const R0 = FPU_OFFSET, CW = R0 + 120, SW = CW + 4, TOP = CW + 8, TAG = CW + 12, FIP = CW + 16, FOO = CW + 24, FOP = CW + 32;
const ES = 0x80, C1 = 0x200, PE = 0x20, C1F = 0x200;
const BIAS = 16383;
const PROT_READ = 1, PROT_WRITE = 2, CODE = 8;
const TOP64 = -0x8000000000000000n;
/**
 * Bit 16 of a register position's sign|exponent local (above the 80-bit format's 16 bits):
 * set when the value may not be normal (integer bit set, exponent 1..0x7ffe), clear when a
 * fast path made it (arith80's mul and div, add and sub unless exactly zero, fld1, loads of
 * nonzero normal memory values); copied with the value by fld/fxch/fst, set where the value
 * comes from the slot (a scope's first use, the reload after a slow path). arith80 skips its
 * operand classification when both operands' bits are clear: the bench's x87 loop spent ~9%
 * of its arithmetic there (bench/x87-arith.ts, classification removed: 74 -> 67 ns/iteration).
 * Session 10 kept the flags in 8 locals of their own; in this bit the loop carries 5 fewer
 * values across its back edge (TurboFan spilled them), and the flag moves with its value.
 * Masked off wherever the 16 bits leave the locals (the slot, memory, compares, stores).
 */
const ODD = 0x10000;

/** What codegen.ts lends the x87 translation: the SSE host (slot, checks, fallback) plus its own locals. */
export interface X87Host extends SseHost {
  /** i32 temporaries 0-8. */
  t(k: number): number;
  /** i64 temporaries 0-1. */
  l(k: number): number;
  /** Register position r's locals (relative to the scope's entry TOP): significand (i64), sign|exponent (i32). */
  sig(r: number): number;
  se(r: number): number;
  /** arith80's locals. */
  arith: ArithLocals;
  /** A label unique in the function. */
  label(): string;
  /** The block's instructions and the index of the one being translated. */
  insns(): readonly Decoded[];
  idx(): number;
  /** Whether instruction k of the block is its terminator. */
  isTerminator(k: number): boolean;
  /** Leave the region after the current instruction (the state is in the slot). */
  leaveAfter(): X;
  /** Leave the region before the current block, from code placed before it (a loop-carried scope's entry). */
  exitBlock(): X;
  /**
   * The check of an access at the address temporary that check-groups.ts planned into a group
   * (the group's shared check, else this access's own, which leaves before the instruction
   * on a page crossing too), or null when it is in no group. Called for every access
   * x87MemAccess names, in order.
   */
  checkShared(size: number, want: number, mr: MemRef): X | null;
}

/** Bytes of a memory operand of format `kind`. */
const size = (kind: number): number => (kind === M_F80 ? 10 : kind === M_F64 || kind === M_I64 ? 8 : kind === M_I16 ? 2 : 4);

/** The memory access of a translated x87 form (its operand, size, and PROT_READ or PROT_WRITE), for check-groups.ts; null: none. */
export function x87MemAccess(i: X87Insn): { mr: MemRef; size: number; want: number } | null {
  switch (i.f) {
    case 'arithm': case 'fldm': return { mr: i.m, size: size(i.kind), want: PROT_READ };
    case 'fstm': return { mr: i.m, size: size(i.kind), want: PROT_WRITE };
    case 'fnstcw': return { mr: i.m, size: 2, want: PROT_WRITE };
    case 'fldcw': return { mr: i.m, size: 2, want: PROT_READ };
  }
  return null;
}

/**
 * The x87 temporaries' types, appended after the SSE ones by codegen.ts: 9 i32, 2 i64, the 8
 * register positions (8 i64, 8 i32), arith80's, the pending flags (i64 PX, i32 C1L: `pend`).
 */
export const X87_LOCALS = (bn: B): number[] => [...new Array(9).fill(bn.i32), bn.i64, bn.i64,
  ...new Array(8).fill(bn.i64), ...new Array(8).fill(bn.i32), ...ARITH_I64.map(() => bn.i64), ...ARITH_I32.map(() => bn.i32), bn.i64, bn.i32];
/** Offsets in X87_LOCALS of the register positions, arith80's locals and the pending flags (from the first temporary, X87Host.t(0)). */
export const X87_SIG = 11, X87_SE = 19, X87_ARITH = 27, X87_PX = X87_ARITH + ARITH_I64.length + ARITH_I32.length, X87_C1 = X87_PX + 1;
export function arithLocals(base: number): ArithLocals {
  const L = {} as ArithLocals;
  let k = base + X87_ARITH;
  for (const n of ARITH_I64) L[n] = k++;
  for (const n of ARITH_I32) L[n] = k++;
  return L;
}

/** Runtime operation and operand order (a, b: 0 = ST(0), 1 = the other) for arithmetic row k. */
const ARITH: Record<number, [number, number]> = { 0: [OP_ADD, 0], 1: [OP_MUL, 0], 4: [OP_SUB, 0], 5: [OP_SUB, 1], 6: [OP_DIV, 0], 7: [OP_DIV, 1] };

/** A register position's tag as the scope knows it. */
const UNKNOWN = 0, FULL = 1, EMPTY = 2;

/** One step of an instruction's stack effect: read ST(i), write ST(i) (no need to be present), push, pop. */
type Step = ['r', number] | ['w', number] | ['push'] | ['pop'];

/** The stack effect of a translated form, in order (fpu-ops.ts: the operands read, then the push or the pops). */
function steps(i: X87Insn): Step[] {
  switch (i.f) {
    case 'arith': return [['r', 0], ['r', i.i], ['w', i.intoSti ? i.i : 0], ...(i.pop ? [['pop'] as Step] : [])];
    case 'arithm': case 'fchs': case 'fabs': return [['r', 0], ['w', 0]];
    case 'ftst': return [['r', 0]];
    case 'fld': return [['r', i.i], ['push']];
    case 'fxch': return [['r', 0], ['r', i.i]];
    case 'fst': return [['r', 0], ['w', i.i], ...(i.pop ? [['pop'] as Step] : [])];
    case 'fldm': case 'fld1': case 'fldz': return [['push']];
    case 'fstm': return [['r', 0], ...(i.pop ? [['pop'] as Step] : [])];
    case 'fcom': case 'fcomi': return [['r', 0], ['r', i.i], ...new Array<Step>(i.pop).fill(['pop'])];
    case 'fnstsw': case 'fnstcw': case 'fldcw': return [];
  }
}

/** The scope's translation-time state. */
interface Scope {
  /** TOP now minus TOP at entry. */
  d: number;
  /** Tags by position relative to the entry TOP; what the entry guard requires (bit r). */
  tag: number[];
  needFull: number;
  needEmpty: number;
  /** Positions whose locals hold the register (loaded), and those the slot may not hold yet (dirty). */
  loaded: number;
  dirty: number;
  /**
   * A push or pop happened: TOP and the tag word are written back from then on, even when
   * they are back at their entry values (an earlier write-back before a slow path changed
   * the slot's).
   */
  moved: boolean;
  /** SW or CW changed since entry; the last data instruction (FIP, FOP). */
  sw: boolean;
  cw: boolean;
  last: { at: number; fop: number } | null;
  /** The block index the scope ends before. */
  end: number;
  /** Loop-carried (openCarried): opened before the block's loop, written back on the edges leaving it. */
  carried: boolean;
  /**
   * SW's PE and C1 are pending: the SW local lacks the flags of the arithmetic since the
   * last materialisation (`mat`), held as PX (the OR of arith80's inexact witnesses: PE
   * when nonzero) and C1L (C1 of the last instruction, 0 or 1). Translation-time: the
   * arithmetic sets it, instructions that read or merge into SW otherwise (stores, compares,
   * fnstsw, fldcw) materialise first, those that only clear C1 clear C1L.
   */
  pend: boolean;
}

/** Apply steps to a tag array; false on a stack fault the static stack foresees (reading an empty position, pushing into a full one). */
function simulate(sc: { d: number; tag: number[]; needFull: number; needEmpty: number }, st: Step[]): boolean {
  for (const s of st) {
    if (s[0] === 'r') {
      const r = (sc.d + s[1]) & 7;
      if (sc.tag[r] === EMPTY) return false;
      if (sc.tag[r] === UNKNOWN) { sc.needFull |= 1 << r; sc.tag[r] = FULL; }
    } else if (s[0] === 'w') {
      sc.tag[(sc.d + s[1]) & 7] = FULL;
    } else if (s[0] === 'push') {
      const r = (sc.d - 1) & 7;
      if (sc.tag[r] === FULL) return false;
      if (sc.tag[r] === UNKNOWN) sc.needEmpty |= 1 << r;
      sc.tag[r] = FULL;
      sc.d--;
    } else {
      sc.tag[sc.d & 7] = EMPTY;
      sc.d++;
    }
  }
  return true;
}

/** The per-function x87 translator: one open scope at a time. */
export class X87Gen {
  private sc: Scope | null = null;
  constructor(private readonly h: X87Host) {}

  /** Whether a scope is open (its write-back is due at exits). */
  get open(): boolean { return this.sc !== null; }

  private c(v: number): X { return this.h.m.i32.const(v | 0); }
  private T(): X { return this.h.m.local.get(this.h.t(0), this.h.bn.i32); }
  private G(): X { return this.h.m.local.get(this.h.t(1), this.h.bn.i32); }
  private S(): X { return this.h.m.local.get(this.h.t(2), this.h.bn.i32); }
  private C(): X { return this.h.m.local.get(this.h.t(8), this.h.bn.i32); }
  private ld(off: number): X { return this.h.m.i32.load(off, 4, this.h.slot()); }
  /** Address of the physical register of position r (relative to the entry TOP). */
  private regAt(r: number): X {
    const m = this.h.m;
    return m.i32.add(this.h.slot(), m.i32.mul(m.i32.and(m.i32.add(this.T(), this.c(r)), this.c(7)), this.c(12)));
  }
  private sig(r: number): X { return this.h.m.local.get(this.h.sig(r), this.h.bn.i64); }
  /** Position r's "may not be normal" bit (ODD): nonzero when set. */
  private odd(r: number): X { return this.h.m.i32.and(this.se(r), this.c(ODD)); }
  /** Position r's sign|exponent, the 16 bits of the format (ODD dropped). */
  private se16(r: number): X { return this.h.m.i32.and(this.se(r), this.c(0xffff)); }
  /** Whether the significand/sign|exponent pair is not normal (1) or normal (0). */
  private notNormal(sig: X, se: X): X {
    const m = this.h.m;
    return m.i32.eqz(m.i32.and(m.i64.lt_s(sig, m.i64.const(0n)), m.i32.lt_u(m.i32.sub(m.i32.and(se, this.c(0x7fff)), this.c(1)), this.c(0x7ffe))));
  }
  private se(r: number): X { return this.h.m.local.get(this.h.se(r), this.h.bn.i32); }
  private px(): X { return this.h.m.local.get(this.h.t(0) + X87_PX, this.h.bn.i64); }
  private c1(): X { return this.h.m.local.get(this.h.t(0) + X87_C1, this.h.bn.i32); }
  /** SW with the pending flags merged (Scope.pend): C1 replaced by C1L, PE set when PX is nonzero. */
  private mat(): X {
    const m = this.h.m;
    return m.i32.or(m.i32.or(m.i32.and(this.S(), this.c(~C1)), m.i32.shl(m.i64.ne(this.px(), m.i64.const(0n)), this.c(5))), m.i32.shl(this.c1(), this.c(9)));
  }
  /** Merge pending flags into the SW local (nothing when none are pending). */
  private settle(out: X[]): void {
    const sc = this.sc;
    if (sc === null || !sc.pend) return;
    out.push(this.h.m.local.set(this.h.t(2), this.mat()));
    sc.pend = false;
  }
  /** A 16-bit mask of relative positions (2 bits each) rotated to physical ones: left by 2 * TOP. */
  private rot(mask: number): X {
    const m = this.h.m, sh = m.i32.shl(this.T(), this.c(1));
    return m.i32.and(m.i32.or(m.i32.shl(this.c(mask), sh), m.i32.shr_u(this.c(mask), m.i32.sub(this.c(16), m.i32.shl(this.T(), this.c(1))))), this.c(0xffff));
  }

  /** The write-back of the scope's state as it is now (nothing changes in the scope: a copy). */
  spill(): X[] { return this.spillOf(this.sc); }

  private spillOf(sc: Scope | null): X[] {
    if (sc === null) return [];
    const m = this.h.m, out: X[] = [];
    for (let r = 0; r < 8; r++) {
      if (!(sc.dirty & (1 << r))) continue;
      out.push(m.i64.store(R0, 4, this.regAt(r), this.sig(r)), m.i32.store(R0 + 8, 4, this.regAt(r), this.se16(r)));
    }
    if (sc.moved) out.push(m.i32.store(TOP, 4, this.h.slot(), m.i32.and(m.i32.add(this.T(), this.c(sc.d)), this.c(7))));
    let clear = 0, set = 0;
    for (let r = 0; r < 8; r++) {
      // Only what changed since the entry (the guard's requirements are what the slot holds).
      if (sc.tag[r] === FULL && !(sc.needFull & (1 << r))) clear |= 3 << (2 * r);
      if (sc.tag[r] === EMPTY && !(sc.needEmpty & (1 << r))) set |= 3 << (2 * r);
    }
    if (sc.moved) {
      let v = this.G();
      if (clear) v = m.i32.and(v, m.i32.xor(this.rot(clear), this.c(-1)));
      if (set) v = m.i32.or(v, this.rot(set));
      out.push(m.i32.store(TAG, 4, this.h.slot(), v));
    }
    if (sc.sw) out.push(m.i32.store(SW, 4, this.h.slot(), sc.pend ? this.mat() : this.S()));
    if (sc.cw) out.push(m.i32.store(CW, 4, this.h.slot(), this.C()));
    if (sc.last !== null) out.push(this.fipFop(sc.last));
    return out;
  }

  /**
   * Close the scope: write the state back. A loop-carried scope closes at its block's
   * terminator without a write-back: the pointers of the iteration's last data instruction
   * are stored (so the loop's head finds them in the slot, as after the first iteration
   * the interpreter would), and the rest is written on each edge that leaves the loop
   * (`leaveCarried`), the back edge keeping everything in the locals.
   */
  close(out: X[]): void {
    const sc = this.sc;
    if (sc === null) return;
    if (sc.carried) {
      // The loop's head expects nothing pending (the state openCarried starts the block with).
      this.settle(out);
      if (sc.last !== null) out.push(this.fipFop(sc.last));
      this.leaving = { ...sc, tag: [...sc.tag], last: null };
    } else out.push(...this.spill());
    this.sc = null;
  }

  /** The state a closed loop-carried scope left at its block's end (none after other blocks). */
  private leaving: Scope | null = null;

  /** The write-back for an edge leaving the loop of the block just translated, or null when its scope was not loop-carried. */
  leaveCarried(): (() => X[]) | null {
    const sc = this.leaving;
    this.leaving = null;
    return sc === null ? null : () => this.spillOf(sc);
  }

  private fipFop(last: { at: number; fop: number }): X {
    const m = this.h.m;
    return m.block(null, [m.i32.store(FIP, 4, this.h.slot(), this.c(last.at)), m.i32.store(FOP, 4, this.h.slot(), this.c(last.fop))], this.h.bn.none);
  }

  /**
   * A scope across the back edge of a block that loops to itself (codegen.ts checks that
   * no other path leads back into it): when every instruction of the block can stay in the
   * scope (no interpreter call, no SSE, no stack fault the static stack foresees) and an
   * iteration leaves the stack as it found it (TOP and every tag the scope knows), the
   * scope opens in `pre`, code placed before the block's loop: TOP, the tags, SW and CW
   * read once, the guard for one iteration (which then holds for every one), and every
   * register position the block touches loaded. The block then starts with the scope open
   * in its steady state: every touched position counted loaded and dirty (writing a clean
   * one back writes the value it had), TOP and the tags moved when the block pushes or
   * pops, SW dirty, the pointers in the slot (close() stores them at each iteration's end).
   * The bench's loop reloaded three registers, SW, CW, TOP and the tags, checked the guard
   * and wrote everything back once per iteration before this. False: not eligible (the
   * block's scopes are then the ordinary ones).
   */
  openCarried(pre: X[]): boolean {
    const h = this.h, insns = h.insns(), n = insns.length;
    const sim = { d: 0, tag: new Array<number>(8).fill(UNKNOWN), needFull: 0, needEmpty: 0 };
    let touched = 0, moved = false, cw = false, any = false;
    for (let k = 0; k < n; k++) {
      if (h.isTerminator(k)) break;
      const i: Insn = insns[k].insn;
      if (i.op === 'interp' || i.op === 'sse') return false;
      if (i.op !== 'x87') continue;
      any = true;
      if (i.f === 'fldcw') cw = true;
      const st = steps(i);
      let d = sim.d;
      for (const x of st) {
        if (x[0] === 'r' || x[0] === 'w') touched |= 1 << ((d + x[1]) & 7);
        else if (x[0] === 'push') { moved = true; d--; touched |= 1 << (d & 7); }
        else { moved = true; touched |= 1 << (d & 7); d++; }
      }
      if (!simulate(sim, st)) return false;
    }
    if (!any || sim.d !== 0) return false;
    const tag = new Array<number>(8).fill(UNKNOWN);
    for (let r = 0; r < 8; r++) {
      if (sim.needFull & (1 << r)) tag[r] = FULL;
      else if (sim.needEmpty & (1 << r)) tag[r] = EMPTY;
      if (sim.tag[r] !== tag[r]) return false;
    }
    this.entry(pre, sim.needFull, sim.needEmpty, h.exitBlock());
    const m = h.m;
    for (let r = 0; r < 8; r++) {
      if (!(touched & (1 << r))) continue;
      // Classified here, once per entry: the loop's registers that only are read (the bench's h) skip arith80's check.
      pre.push(m.local.set(h.sig(r), m.i64.load(R0, 4, this.regAt(r))), m.local.set(h.se(r), m.i32.load(R0 + 8, 4, this.regAt(r))),
        m.local.set(h.se(r), m.i32.or(this.se(r), m.i32.shl(this.notNormal(this.sig(r), this.se(r)), this.c(16)))));
    }
    this.sc = { d: 0, tag, needFull: sim.needFull, needEmpty: sim.needEmpty, loaded: touched, dirty: touched, moved, sw: true, cw, last: null, end: n, carried: true, pend: false };
    return true;
  }

  /** Open a scope at the current instruction: find its end, simulate its stack, emit the entry loads and guard. */
  private openScope(out: X[]): void {
    const h = this.h, m = h.m, insns = h.insns(), k0 = h.idx();
    const sim = { d: 0, tag: new Array<number>(8).fill(UNKNOWN), needFull: 0, needEmpty: 0 };
    let k = k0;
    for (; k < insns.length; k++) {
      if (h.isTerminator(k)) break;
      const i: Insn = insns[k].insn;
      if (i.op === 'interp' || i.op === 'sse') break;
      if (i.op === 'x87' && !simulate(sim, steps(i))) break;
    }
    // The first instruction never fails the simulation (everything is unknown), so the scope holds at least it.
    this.entry(out, sim.needFull, sim.needEmpty, h.exit());
    this.sc = { d: 0, tag: new Array<number>(8).fill(UNKNOWN), needFull: sim.needFull, needEmpty: sim.needEmpty, loaded: 0, dirty: 0, moved: false, sw: false, cw: false, last: null, end: k, carried: false, pend: false };
    for (let r = 0; r < 8; r++) {
      if (sim.needFull & (1 << r)) this.sc.tag[r] = FULL;
      else if (sim.needEmpty & (1 << r)) this.sc.tag[r] = EMPTY;
    }
  }

  /** A scope's entry: TOP, the tags, SW and CW into their locals, and the guard (`exit` where it fails; the scope is not open yet). */
  private entry(out: X[], needFull: number, needEmpty: number, exit: X): void {
    const h = this.h, m = h.m;
    const s = (l: number, v: X): X => m.local.set(l, v);
    out.push(s(h.t(0), this.ld(TOP)), s(h.t(1), this.ld(TAG)), s(h.t(2), this.ld(SW)), s(h.t(8), this.ld(CW)));
    // Empty positions as bits 2r: the tag word rotated right by 2 * TOP, a position empty when both its bits are set.
    const bits2 = (mask: number): number => { let v = 0; for (let r = 0; r < 8; r++) if (mask & (1 << r)) v |= 1 << (2 * r); return v; };
    const E = h.t(3), e = (): X => m.local.get(E, h.bn.i32);
    out.push(s(E, m.i32.shr_u(m.i32.or(this.G(), m.i32.shl(this.G(), this.c(16))), m.i32.shl(this.T(), this.c(1)))));
    out.push(s(E, m.i32.and(m.i32.and(e(), m.i32.shr_u(e(), this.c(1))), this.c(0x5555))));
    const full = bits2(needFull), empty = bits2(needEmpty);
    let bad = m.i32.or(m.i32.and(this.S(), this.c(ES)), m.i32.eqz(m.i32.and(this.C(), this.c(PE))));
    if (full) bad = m.i32.or(bad, m.i32.and(e(), this.c(full)));
    if (empty) bad = m.i32.or(bad, m.i32.ne(m.i32.and(e(), this.c(empty)), this.c(empty)));
    out.push(m.if(bad, exit));
  }

  /** Position r's locals loaded (once per scope, at the top level of the block's code). */
  private ensure(r: number, out: X[]): void {
    const sc = this.sc!, m = this.h.m;
    if (sc.loaded & (1 << r)) return;
    out.push(m.local.set(this.h.sig(r), m.i64.load(R0, 4, this.regAt(r))), m.local.set(this.h.se(r), m.i32.or(m.i32.load(R0 + 8, 4, this.regAt(r)), this.c(ODD))));
    sc.loaded |= 1 << r;
  }

  /** The scope's state after `st` (the translation-time half of the instruction). */
  private apply(st: Step[]): void {
    const sc = this.sc!;
    for (const s of st) {
      if (s[0] === 'w') { const r = (sc.d + s[1]) & 7; if (sc.tag[r] !== FULL) sc.moved = true; sc.tag[r] = FULL; sc.loaded |= 1 << r; sc.dirty |= 1 << r; }
      else if (s[0] === 'push') { sc.moved = true; sc.d--; const r = sc.d & 7; sc.tag[r] = FULL; sc.loaded |= 1 << r; sc.dirty |= 1 << r; }
      else if (s[0] === 'pop') { sc.moved = true; sc.tag[sc.d & 7] = EMPTY; sc.d++; }
    }
  }

  insn(d: Decoded, out: X[]): void {
    const h = this.h, m = h.m, bn = h.bn, i = d.insn as X87Insn;
    if (this.sc !== null && h.idx() >= this.sc.end) this.close(out);
    if (this.sc === null) this.openScope(out);
    const sc = this.sc!;
    const c = (v: number): X => m.i32.const(v | 0);
    const k64 = (v: bigint): X => m.i64.const(v);
    const [P, Q, OK, FL, E] = [h.t(3), h.t(4), h.t(5), h.t(6), h.t(7)];
    const S = h.t(2), SIG = h.l(0), V = h.l(1);
    const g = (l: number): X => m.local.get(l, l === SIG || l === V ? bn.i64 : bn.i32);
    const s = (l: number, v: X): X => m.local.set(l, v);
    const st = steps(i);
    /** Position of ST(k) before the instruction. */
    const pos = (k: number): number => (sc.d + k) & 7;
    /** seOf: with the ODD bit (for copies and arith80, which masks it); se16: without. */
    const sigOf = (r: number): X => this.sig(r), seOf = (r: number): X => this.se(r), se16 = (r: number): X => this.se16(r);
    /** Position r := sg:se; `odd` (0 or 1: the value may not be normal) into the ODD bit, or null: se has it already. */
    const setReg = (r: number, sg: X, se: X, odd: X | null): X[] => [s(h.sig(r), sg), s(h.se(r), odd === null ? se : m.i32.or(se, m.i32.shl(odd, c(16))))];
    /**
     * SW after a data instruction: C1 cleared, `fl` ORed in; FIP/FOP are this instruction's
     * (written back later). With flags pending only the C1-clearing form occurs (the others
     * settle first), and it clears C1L.
     */
    const record = (fl: X | null): X => fl === null && sc.pend ? s(h.t(0) + X87_C1, c(0))
      : s(S, fl === null ? m.i32.and(this.S(), c(~C1)) : m.i32.or(m.i32.and(this.S(), c(~C1)), fl));
    const data = (): void => { sc.sw = true; sc.last = { at: d.at, fop: i.fop }; };
    const fooStore = (): X => m.i32.store(FOO, 4, h.slot(), h.a());
    for (const x of st) if (x[0] === 'r') this.ensure(pos(x[1]), out);
    // Flags stay pending through the arithmetic and the instructions that only clear C1.
    const keeps = i.f === 'arith' || i.f === 'arithm' || i.f === 'fld' || i.f === 'fxch' || i.f === 'fst' || i.f === 'fchs' || i.f === 'fabs'
      || i.f === 'fld1' || i.f === 'fldz' || i.f === 'fnstcw' || (i.f === 'fldm' && (i.kind === M_F80 || i.kind === M_I64)) || (i.f === 'fstm' && i.kind === M_F80);
    if (!keeps) this.settle(out);
    /**
     * block $done { block $slow { fast (may br $slow); commit; br $done } write-back;
     * the closure; leave after it if an exception is pending; reload } — with the scope's
     * state after the instruction on both paths.
     */
    const guarded = (fast: (slow: string) => X[], commit: () => X[], after: () => void): void => {
      h.flush(out);
      const done = h.label(), slow = h.label();
      const fastCode = fast(slow);
      const commitCode = commit();
      const pre = this.spill();
      const call = h.fallback(i.call);
      after();
      const reload: X[] = [s(S, this.ld(SW))];
      // Flags pending after the instruction (arithmetic): the slot's SW has them all.
      if (sc.pend) reload.push(s(h.t(0) + X87_PX, k64(0n)), s(h.t(0) + X87_C1, m.i32.and(m.i32.shr_u(this.S(), c(9)), c(1))));
      for (let r = 0; r < 8; r++) {
        if (sc.loaded & (1 << r)) reload.push(s(h.sig(r), m.i64.load(R0, 4, this.regAt(r))), s(h.se(r), m.i32.or(m.i32.load(R0 + 8, 4, this.regAt(r)), c(ODD))));
      }
      out.push(m.block(done, [
        m.block(slow, [...fastCode, ...commitCode, m.br(done)], bn.none),
        ...pre, call,
        m.if(m.i32.and(this.ld(SW), c(ES)), h.leaveAfter()),
        ...reload,
      ], bn.none));
    };
    const memAddr = (mr: Extract<X87Insn, { m: unknown }>['m'], n: number, want: number): void => {
      // The block's shared check when check-groups.ts planned this access into a group (x87MemAccess), else both pages.
      out.push(h.setA(h.ea(mr)), h.checkShared(n, want, mr) ?? this.check(n, want));
    };

    switch (i.f) {
      case 'arith': case 'arithm': {
        const [op, rev] = ARITH[i.k];
        if (i.f === 'arithm') memAddr(i.m, size(i.kind), PROT_READ);
        const x = pos(0), y = i.f === 'arith' ? pos(i.i) : -1;
        const dst = i.f === 'arith' && i.intoSti ? y : x;
        const A = h.arith;
        guarded((slow) => {
          const f: X[] = [];
          let bS: () => X, bE: () => X;
          if (i.f === 'arithm') {
            f.push(...this.convert(i.kind), m.br(slow, m.i32.eqz(g(OK))));
            bS = () => g(SIG); bE = () => g(E);
          } else { bS = () => sigOf(y); bE = () => seOf(y); }
          const [a, b] = rev ? [[bS, bE], [() => sigOf(x), () => seOf(x)]] : [[() => sigOf(x), () => seOf(x)], [bS, bE]];
          f.push(s(A.aS, a[0]()), s(A.aE, a[1]()), s(A.bS, b[0]()), s(A.bE, b[1]()));
          // A memory operand that passed convert() is normal unless zero (its significand 0).
          const maybeOdd = i.f === 'arith' ? m.i32.and(m.i32.or(this.se(x), this.se(y)), c(ODD)) : m.i32.or(this.odd(x), m.i64.eqz(g(SIG)));
          f.push(arith80(bn, m, op, A, () => this.C(), slow, maybeOdd));
          return f;
        }, () => [
          // mul/div results are normal; add/sub ones too unless exactly zero (significand 0).
          ...setReg(dst, m.local.get(A.sig, bn.i64), m.local.get(A.rE, bn.i32), op === OP_ADD || op === OP_SUB ? m.i64.eqz(m.local.get(A.sig, bn.i64)) : null),
          // PE and C1 pending (Scope.pend): PX collects the inexact witnesses, C1L this one's C1.
          s(h.t(0) + X87_PX, sc.pend ? m.i64.or(this.px(), m.local.get(A.rnd, bn.i64)) : m.local.get(A.rnd, bn.i64)),
          s(h.t(0) + X87_C1, m.local.get(A.inc, bn.i32)),
          ...(i.f === 'arithm' ? [fooStore()] : []),
        ], () => { data(); this.apply(st); sc.pend = true; });
        return;
      }
      case 'fldm': {
        memAddr(i.m, size(i.kind), PROT_READ);
        const p = (sc.d - 1) & 7;
        if (i.kind === M_F80) {
          // fld m80: the bits as they are, no exception for any encoding (fpu-ops.ts ldX80): no slow path.
          out.push(...setReg(p, m.i64.load(0, 1, h.a()), m.i32.or(m.i32.load16_u(8, 1, h.a()), c(ODD)), null), record(null), fooStore());
          data(); this.apply(st);
          return;
        }
        if (i.kind === M_I64) {
          // fild m64: exact (float80.ts fromIntMag; fpu-ops.ts ldI64): the magnitude normalized,
          // 0 is +0, -2^63 is its own magnitude as unsigned; no flag, C1 cleared: no slow path.
          out.push(s(V, m.i64.load(0, 1, h.a())),
            s(SIG, m.select(m.i64.lt_s(g(V), k64(0n)), m.i64.sub(k64(0n), g(V)), g(V))),
            s(P, m.i32.wrap(m.i64.clz(g(SIG)))),
            // A zero magnitude: clz 64, a shift by 64 is by 0 in Wasm, the significand stays 0.
            s(SIG, m.i64.shl(g(SIG), m.i64.extend_u(g(P)))),
            s(E, m.select(m.i64.eqz(g(V)), c(0), m.i32.or(m.i32.shl(m.i64.lt_s(g(V), k64(0n)), c(15)), m.i32.sub(c(BIAS + 63), g(P))))),
            ...setReg(p, g(SIG), g(E), m.i64.eqz(g(SIG))), record(null), fooStore());
          data(); this.apply(st);
          return;
        }
        guarded((slow) => [...this.convert(i.kind), m.br(slow, m.i32.eqz(g(OK)))],
          () => [...setReg(p, g(SIG), g(E), m.i64.eqz(g(SIG))), record(null), fooStore()],
          () => { data(); this.apply(st); });
        return;
      }
      case 'fstm': {
        if (i.kind === M_F80) {
          // fstp m80: the register's bits as they are, no flag, C1 cleared (fpu-ops.ts stX80): no slow path.
          memAddr(i.m, 10, PROT_WRITE);
          const x = pos(0);
          out.push(m.i64.store(0, 1, h.a(), sigOf(x)), m.i32.store16(8, 1, h.a(), se16(x)), record(null), fooStore());
          data(); this.apply(st);
          return;
        }
        if (i.kind === M_I16 || i.kind === M_I32 || i.kind === M_I64) {
          // fist/fistp m16/m32, fistp m64 (fpu-ops.ts toInt, float80.ts toIntMag): a normal value
          // whose rounded magnitude fits, or zero. sh = the right shift leaving the integer part;
          // frac = the dropped bits aligned to the top (for sh >= 65 any value below one half:
          // 1). Out of range (IE), NaN, infinity, denormal: the closure.
          const bits = i.kind === M_I16 ? 16 : i.kind === M_I32 ? 32 : 64;
          memAddr(i.m, size(i.kind), PROT_WRITE);
          const x = pos(0);
          const half = TOP64, lim = 1n << BigInt(bits - 1);
          const sh = () => m.i64.extend_u(g(P)), neg = () => m.i32.shr_u(g(E), c(15));
          const rcv = () => m.i32.and(this.C(), c(0xc00));
          // SIG: the significand, then the magnitude; V: frac, then the value; Q: inc.
          guarded((slow) => [
            s(SIG, sigOf(x)), s(E, se16(x)), s(FL, c(0)), s(V, k64(0n)),
            m.if(m.i32.eqz(m.i32.and(m.i32.eqz(m.i32.and(g(E), c(0x7fff))), m.i64.eqz(g(SIG)))), m.block(null, [
              m.br(slow, m.i32.eqz(m.i32.and(m.i64.lt_s(g(SIG), k64(0n)), m.i32.le_u(m.i32.sub(m.i32.and(g(E), c(0x7fff)), c(1)), c(0x7ffd))))),
              s(P, m.i32.sub(c(BIAS + 63), m.i32.and(g(E), c(0x7fff)))),
              m.br(slow, m.i32.le_s(g(P), c(0))),
              s(V, m.select(m.i32.lt_u(g(P), c(64)), m.i64.shl(g(SIG), m.i64.sub(k64(64n), sh())), m.select(m.i32.eq(g(P), c(64)), g(SIG), k64(1n)))),
              s(SIG, m.select(m.i32.lt_u(g(P), c(64)), m.i64.shr_u(g(SIG), sh()), k64(0n))),
              s(Q, m.i32.and(m.i64.ne(g(V), k64(0n)), m.if(m.i32.eqz(rcv()),
                m.i32.or(m.i64.gt_u(g(V), k64(half)), m.i32.and(m.i64.eq(g(V), k64(half)), m.i32.wrap(m.i64.and(g(SIG), k64(1n))))),
                m.if(m.i32.eq(rcv(), c(0x400)), neg(), m.if(m.i32.eq(rcv(), c(0x800)), m.i32.eqz(neg()), c(0)))))),
              s(FL, m.i32.or(m.i32.shl(m.i64.ne(g(V), k64(0n)), c(5)), m.i32.shl(g(Q), c(9)))),
              s(SIG, m.i64.add(g(SIG), m.i64.extend_u(g(Q)))),
              m.br(slow, m.i32.eqz(m.i32.or(m.i64.lt_u(g(SIG), k64(lim)), m.i32.and(neg(), m.i64.eq(g(SIG), k64(lim)))))),
              s(V, m.select(neg(), m.i64.sub(k64(0n), g(SIG)), g(SIG))),
            ], bn.none)),
          ], () => [
            bits === 64 ? m.i64.store(0, 1, h.a(), g(V)) : bits === 32 ? m.i32.store(0, 1, h.a(), m.i32.wrap(g(V))) : m.i32.store16(0, 1, h.a(), m.i32.wrap(g(V))),
            record(g(FL)), fooStore(),
          ], () => { data(); this.apply(st); });
          return;
        }
        const dbl = i.kind === M_F64;
        memAddr(i.m, dbl ? 8 : 4, PROT_WRITE);
        const x = pos(0);
        // float80.ts toFloat for a normal value whose m64/m32 is normal, and for zero: drop 11 (40) bits by RC.
        const drop = dbl ? 11n : 40n, lowMask = (1n << drop) - 1n, half = 1n << (drop - 1n);
        const emin = dbl ? BIAS - 1022 : BIAS - 126, emax = dbl ? BIAS + 1023 : BIAS + 127, fbias = dbl ? 1023 : 127;
        const sg = () => m.i32.shr_u(g(E), c(15));
        const rc = () => m.i32.and(this.C(), c(0xc00));
        guarded((slow) => [
          s(SIG, sigOf(x)), s(E, se16(x)), s(FL, c(0)),
          s(P, m.i32.and(g(E), c(0x7fff))),
          m.if(m.i32.and(m.i32.eqz(g(P)), m.i64.eqz(g(SIG))),
            // Zero: the signed zero, no flag.
            s(V, k64(0n)),
            m.block(null, [
              m.br(slow, m.i32.eqz(m.i32.and(m.i64.lt_s(g(SIG), k64(0n)), m.i32.le_u(m.i32.sub(g(P), c(emin)), c(emax - emin))))),
              s(V, m.i64.and(g(SIG), k64(lowMask))),
              s(SIG, m.i64.and(g(SIG), k64(~lowMask))),
              m.if(m.i64.ne(g(V), k64(0n)), m.block(null, [
                s(FL, c(PE)),
                s(Q, m.if(m.i32.eqz(rc()),
                  m.i32.or(m.i64.gt_u(g(V), k64(half)), m.i32.and(m.i64.eq(g(V), k64(half)), m.i64.ne(m.i64.and(g(SIG), k64(1n << drop)), k64(0n)))),
                  m.if(m.i32.eq(rc(), c(0x400)), sg(), m.if(m.i32.eq(rc(), c(0x800)), m.i32.eqz(sg()), c(0))))),
                m.if(g(Q), m.block(null, [
                  s(FL, c(PE | C1F)),
                  s(SIG, m.i64.add(g(SIG), k64(1n << drop))),
                  m.if(m.i64.eqz(g(SIG)), m.block(null, [s(SIG, k64(TOP64)), s(P, m.i32.add(g(P), c(1)))], bn.none)),
                ], bn.none)),
              ], bn.none)),
              m.br(slow, m.i32.gt_u(g(P), c(emax))),
              // The stored bits (sign added below): biased exponent and fraction.
              s(V, m.i64.or(m.i64.shl(m.i64.extend_u(m.i32.sub(g(P), c(BIAS - fbias))), k64(dbl ? 52n : 23n)),
                m.i64.and(m.i64.shr_u(g(SIG), k64(drop)), k64(dbl ? (1n << 52n) - 1n : (1n << 23n) - 1n)))),
            ], bn.none)),
          s(V, m.i64.or(g(V), m.i64.shl(m.i64.extend_u(sg()), k64(dbl ? 63n : 31n)))),
        ], () => [
          dbl ? m.i64.store(0, 1, h.a(), g(V)) : m.i32.store(0, 1, h.a(), m.i32.wrap(g(V))),
          record(g(FL)), fooStore(),
        ], () => { data(); this.apply(st); });
        return;
      }
      case 'fld': {
        const from = pos(i.i), p = (sc.d - 1) & 7;
        out.push(...setReg(p, sigOf(from), seOf(from), null), record(null));
        data(); this.apply(st);
        return;
      }
      case 'fxch': {
        const a = pos(0), b = pos(i.i);
        if (a !== b) {
          out.push(s(SIG, sigOf(a)), s(E, seOf(a)), ...setReg(a, sigOf(b), seOf(b), null), ...setReg(b, g(SIG), g(E), null));
          sc.dirty |= (1 << a) | (1 << b);
        }
        out.push(record(null));
        data(); this.apply(st);
        return;
      }
      case 'fst': {
        const a = pos(0), b = pos(i.i);
        if (a !== b) out.push(...setReg(b, sigOf(a), seOf(a), null));
        out.push(record(null));
        data(); this.apply(st);
        return;
      }
      case 'fchs': case 'fabs': {
        const a = pos(0);
        // The sign bit alone (ODD stays).
        out.push(s(h.se(a), i.f === 'fchs' ? m.i32.xor(seOf(a), c(0x8000)) : m.i32.and(seOf(a), c(~0x8000))), record(null));
        sc.dirty |= 1 << a;
        data(); this.apply(st);
        return;
      }
      case 'fld1': case 'fldz': {
        const p = (sc.d - 1) & 7, one = i.f === 'fld1';
        out.push(...setReg(p, k64(one ? TOP64 : 0n), c(one ? 0x3fff : ODD), null), record(null));
        data(); this.apply(st);
        return;
      }
      case 'fcom': case 'fcomi': case 'ftst': {
        // Both operands normal or zero: no flag raised (NaN, infinity, denormal: the closure),
        // ordered by sign, then exponent and significand (float80.ts compare); zeros are equal.
        const tst = i.f === 'ftst';
        const a = pos(0), b = 'i' in i ? pos(i.i) : -1;
        const nz = (sg: () => X, se: () => X): X => {
          const e = m.i32.and(se(), c(0x7fff));
          return m.i32.or(m.i32.and(m.i64.lt_s(sg(), k64(0n)), m.i32.lt_u(m.i32.sub(e, c(1)), c(0x7ffe))),
            m.i32.and(m.i32.eqz(m.i32.and(se(), c(0x7fff))), m.i64.eqz(sg())));
        };
        const ea = () => m.i32.and(g(E), c(0x7fff)), eb = () => m.i32.and(g(P), c(0x7fff));
        const sa = () => m.i32.shr_u(g(E), c(15)), sb = () => m.i32.shr_u(g(P), c(15));
        const zero = (sig: number, se: () => X) => m.i32.and(m.i64.eqz(g(sig)), m.i32.eqz(se()));
        const ltMag = () => m.i32.or(m.i32.lt_u(ea(), eb()), m.i32.and(m.i32.eq(ea(), eb()), m.i64.lt_u(g(SIG), g(V))));
        const gtMag = () => m.i32.or(m.i32.gt_u(ea(), eb()), m.i32.and(m.i32.eq(ea(), eb()), m.i64.gt_u(g(SIG), g(V))));
        guarded((slow) => {
          // SIG/E: a's significand and sign|exponent; V/P: b's. OK = a < b, FL = a == b.
          const f: X[] = [s(SIG, sigOf(a)), s(E, se16(a))];
          if (tst) f.push(s(V, k64(0n)), s(P, c(0)));
          else f.push(s(V, sigOf(b)), s(P, se16(b)));
          f.push(m.br(slow, m.i32.eqz(m.i32.and(nz(() => g(SIG), () => g(E)), nz(() => g(V), () => g(P))))));
          f.push(
            s(FL, m.i32.or(m.i32.and(zero(SIG, ea), zero(V, eb)), m.i32.and(m.i32.eq(sa(), sb()), m.i32.and(m.i32.eq(ea(), eb()), m.i64.eq(g(SIG), g(V)))))),
            s(OK, m.i32.and(m.i32.eqz(g(FL)), m.if(m.i32.ne(sa(), sb()), sa(), m.if(sa(), gtMag(), ltMag())))),
          );
          return f;
        }, () => {
          const commit: X[] = [];
          if (i.f === 'fcomi') {
            // fcomi: ZF/PF/CF from the compare, OF SF AF cleared (fpu-ops.ts ccToEflags); C1 cleared.
            h.eager(m.i32.or(m.i32.shl(g(FL), c(6)), g(OK)), commit);
            commit.push(record(null));
          } else {
            commit.push(s(S, m.i32.or(m.i32.and(this.S(), c(~0x4700)), m.i32.or(m.i32.shl(g(FL), c(14)), m.i32.shl(g(OK), c(8))))));
          }
          return commit;
        }, () => { data(); this.apply(st); });
        return;
      }
      case 'fnstsw':
        // AX = SW with TOP (fpu.ts `sw`); a control instruction: pointers untouched.
        out.push(h.setReg(EAX, m.i32.or(m.i32.and(h.reg(EAX), c(0xffff0000)),
          m.i32.and(m.i32.or(m.i32.and(this.S(), c(~0x3800)), m.i32.shl(m.i32.and(m.i32.add(this.T(), c(sc.d)), c(7)), c(11))), c(0xffff)))));
        return;
      case 'fnstcw':
        memAddr(i.m, 2, PROT_WRITE);
        out.push(m.i32.store16(0, 1, h.a(), this.C()));
        return;
      case 'fldcw': {
        // CW := m16 (reserved bits as fpu-ops.ts sets them), then ES/B follow the unmasked
        // pending flags (syncPending). An exception now pending, or PE unmasked (the fast
        // paths' premise): written back, leave after it.
        memAddr(i.m, 2, PROT_READ);
        const C = h.t(8);
        out.push(s(C, m.i32.or(m.i32.and(m.i32.load16_u(0, 1, h.a()), c(0x1f3f)), c(0x40))));
        out.push(s(S, m.select(m.i32.and(m.i32.and(this.S(), m.i32.xor(this.C(), c(-1))), c(0x3f)),
          m.i32.or(this.S(), c(ES | 0x8000)), m.i32.and(this.S(), c(~(ES | 0x8000))))));
        sc.sw = true; sc.cw = true;
        out.push(m.if(m.i32.or(m.i32.and(this.S(), c(ES)), m.i32.eqz(m.i32.and(this.C(), c(PE)))), m.block(null, [...this.spill(), h.leaveAfter()], bn.none)));
        return;
      }
    }
  }

  /** Inline check of an n-byte access at the address temporary: the pages of its first and last byte allow `want`. */
  private check(n: number, want: number): X {
    const h = this.h, m = h.m;
    const mask = want | (want & PROT_WRITE ? CODE : 0);
    const bad = (p: X): X => m.i32.ne(m.i32.and(m.i32.load8_u(h.permBase, 1, m.i32.shr_u(p, this.c(12))), this.c(mask)), this.c(want));
    return m.if(m.i32.or(bad(h.a()), bad(m.i32.add(h.a(), this.c(n - 1)))), h.exit());
  }

  /** The memory operand at the address temporary as 80 bits into SIG/E, OK = 0 where float80's general path is needed (not normal or zero). */
  private convert(kind: number): X[] {
    const h = this.h, m = h.m, bn = h.bn;
    const c = (v: number): X => m.i32.const(v | 0);
    const k64 = (v: bigint): X => m.i64.const(v);
    const [P, Q, OK, E] = [h.t(3), h.t(4), h.t(5), h.t(7)];
    const SIG = h.l(0), V = h.l(1);
    const g = (l: number): X => m.local.get(l, l === SIG || l === V ? bn.i64 : bn.i32);
    const s = (l: number, v: X): X => m.local.set(l, v);
    if (kind === M_F32) {
      return [s(Q, m.i32.load(0, 1, h.a())), s(P, m.i32.and(m.i32.shr_u(g(Q), c(23)), c(0xff))), s(E, m.i32.and(m.i32.shr_u(g(Q), c(16)), c(0x8000))),
        m.if(m.i32.or(m.i32.eqz(g(P)), m.i32.eq(g(P), c(0xff))),
          m.block(null, [s(OK, m.i32.eqz(m.i32.shl(g(Q), c(1)))), s(SIG, k64(0n))], bn.none),
          m.block(null, [s(OK, c(1)), s(E, m.i32.or(g(E), m.i32.add(g(P), c(BIAS - 127)))),
            s(SIG, m.i64.shl(m.i64.extend_u(m.i32.or(m.i32.shl(g(Q), c(8)), c(0x80000000))), k64(32n)))], bn.none))];
    }
    if (kind === M_F64) {
      return [s(V, m.i64.load(0, 1, h.a())), s(P, m.i32.and(m.i32.wrap(m.i64.shr_u(g(V), k64(52n))), c(0x7ff))),
        s(E, m.i32.and(m.i32.wrap(m.i64.shr_u(g(V), k64(48n))), c(0x8000))),
        m.if(m.i32.or(m.i32.eqz(g(P)), m.i32.eq(g(P), c(0x7ff))),
          m.block(null, [s(OK, m.i64.eqz(m.i64.shl(g(V), k64(1n)))), s(SIG, k64(0n))], bn.none),
          m.block(null, [s(OK, c(1)), s(E, m.i32.or(g(E), m.i32.add(g(P), c(BIAS - 1023)))),
            s(SIG, m.i64.or(m.i64.shl(g(V), k64(11n)), k64(TOP64)))], bn.none))];
    }
    // Integers: exact (float80.ts fromInt32): the magnitude normalized, 0 is +0.
    return [s(Q, kind === M_I32 ? m.i32.load(0, 1, h.a()) : m.i32.load16_s(0, 1, h.a())), s(OK, c(1)),
      s(V, m.i64.extend_s(g(Q))), s(V, m.select(m.i32.lt_s(g(Q), c(0)), m.i64.sub(k64(0n), g(V)), g(V))),
      m.if(m.i32.eqz(g(Q)), m.block(null, [s(SIG, k64(0n)), s(E, c(0))], bn.none), m.block(null, [
        s(P, m.i32.wrap(m.i64.clz(g(V)))),
        s(SIG, m.i64.shl(g(V), m.i64.extend_u(g(P)))),
        s(E, m.i32.or(m.i32.and(m.i32.shr_u(g(Q), c(16)), c(0x8000)), m.i32.sub(c(BIAS + 63), g(P)))),
      ], bn.none))];
  }
}
