/**
 * SSE/SSE2 (and the SSSE3/SSE4.1 integer forms glibc's string functions use) as Wasm SIMD
 * (v128) and scalar f64/f32, instead of a call of the interpreter's closure per instruction
 * (interp-call.ts). Decoding: region-sse.ts; the hook: codegen.ts `insn` case 'sse'.
 *
 * - **Registers.** XMM0-7 stay in the thread's state slot (`XMM_OFFSET`), read and written
 *   with v128/i64/f64 loads and stores per instruction: the interpreter's closures (the
 *   fallbacks below, and every SIMD instruction without a translation) see them there
 *   without any synchronisation.
 * - **Memory operands** are checked inline like the integer ones, but a 16- or 8-byte
 *   access may cross a page: both pages' permissions are checked (glibc's memcpy and
 *   strlen read unaligned vectors near page ends). A failed check, and a misaligned operand
 *   of an aligned form (#GP), leave the region before the instruction: the interpreter
 *   raises the fault precisely (test/jit/sse.c).
 * - **Integer SIMD** has the same result in Wasm as on x86 lane by lane (Wasm's saturating,
 *   averaging, narrowing and compare ops are the SDM's), so it is translated directly.
 *   Shift counts of 16/32/64 or more are handled at translation time (Wasm takes them
 *   modulo the lane width; x86 zeroes, or fills with the sign).
 * - **Floating point** must leave the result *and* MXCSR's sticky flags as the interpreter
 *   (sse-round.ts) would. Wasm's f32/f64 arithmetic, sqrt and conversions are IEEE 754 in
 *   round-to-nearest, as x86 is under RC = 0, except for NaN payloads. So each operation has
 *   a guarded fast path: MXCSR is exactly the default control (all exceptions masked, RC
 *   nearest, no DAZ/FTZ) with PE already set (the only flag a normal operation can raise,
 *   and sticky: in a float loop it is set by the first inexact result), the operands are
 *   normal or zero, and the result is of a class that raises nothing else (finite for
 *   add/sub, whose tiny results are exact; normal above the smallest binade for mul/div,
 *   so no underflow under tininess-after-rounding; zero only from a zero operand). Any other
 *   case runs the exact interpreter closure instead (`SseHost.fallback`), so NaNs,
 *   denormals, infinities, other rounding modes, DAZ/FTZ, unmasked exceptions (#XM) and the
 *   first inexact result are the interpreter's by construction. Compares (ucomis/comis) and
 *   exact conversions (cvtsi2sd, cvtss2sd) raise nothing for normal or zero operands and
 *   need no MXCSR guard.
 */
import type binaryenT from 'binaryen';
import { MXCSR_OFFSET, XMM_OFFSET } from '../cpu/state.js';
import type { Decoded, MemRef } from './region.js';
import type { SseInsn } from './region-sse.js';

type B = typeof binaryenT;
type M = binaryenT.Module;
type X = binaryenT.ExpressionRef;

const PROT_READ = 1, PROT_WRITE = 2, CODE = 8;

/** What codegen.ts's generator lends the SSE translation (its locals, checks and exits). */
export interface SseHost {
  m: M;
  bn: B;
  permBase: number;
  /** The state slot's address. */
  slot(): X;
  reg(r: number): X;
  setReg(r: number, v: X): X;
  ea(mr: MemRef): X;
  /** The address temporary (an i32 local). */
  setA(v: X): X;
  a(): X;
  /** Leave the region before the current instruction (the interpreter runs it). */
  exit(): X;
  /**
   * Run the current instruction by the interpreter's closure (state stored and reloaded
   * around it; a fault leaves before it), or, where calls are off, leave before it.
   */
  fallback(call: boolean): X;
  /** Write any deferred flag update now (before a fast path / fallback split). */
  flush(out: X[]): void;
  /** OF SF ZF AF PF CF := bits (the lazy record dropped), as setArith does. */
  eager(bits: X, out: X[]): void;
  /** Local indices of three i32 temporaries (0-2), free within one instruction after flush(). */
  i32(k: number): number;
  /** Local indices of the SSE temporaries: v128 0-2, f64 0-2, f32 0-2. */
  v(k: number): number;
  f64(k: number): number;
  f32(k: number): number;
}

/** The SSE temporaries' types, appended to the function's locals by codegen.ts when a region has an SSE instruction. */
export const SSE_LOCALS = (bn: B): number[] => [bn.v128, bn.v128, bn.v128, bn.f64, bn.f64, bn.f64, bn.f32, bn.f32, bn.f32];
export const V_BASE = 0, F64_BASE = 3, F32_BASE = 6;

type Emit = (g: Ctx) => void;
interface Entry { emit: Emit; immOnly?: boolean }

/** One instruction's translation context. */
class Ctx {
  readonly m: M;
  constructor(readonly h: SseHost, readonly i: SseInsn, readonly out: X[]) { this.m = h.m; }
  c(v: number): X { return this.m.i32.const(v | 0); }
  xoff(x: number): number { return XMM_OFFSET + 16 * x; }
  /** XMM register x as v128. */
  ldX(x: number): X { return this.m.v128.load(this.xoff(x), 1, this.h.slot()); }
  stX(x: number, v: X): X { return this.m.v128.store(this.xoff(x), 1, this.h.slot(), v); }
  /** The low 8 / 4 bytes of XMM x as i64 / i32 bits. */
  ld64(x: number, hi = false): X { return this.m.i64.load(this.xoff(x) + (hi ? 8 : 0), 1, this.h.slot()); }
  st64(x: number, v: X, hi = false): X { return this.m.i64.store(this.xoff(x) + (hi ? 8 : 0), 1, this.h.slot(), v); }
  ld32(x: number): X { return this.m.i32.load(this.xoff(x), 1, this.h.slot()); }
  st32(x: number, v: X): X { return this.m.i32.store(this.xoff(x), 1, this.h.slot(), v); }
  getV(k: number): X { return this.m.local.get(this.h.v(k), this.h.bn.v128); }
  setV(k: number, v: X): X { return this.m.local.set(this.h.v(k), v); }
  getF(k: number, dbl: boolean): X { return this.m.local.get(dbl ? this.h.f64(k) : this.h.f32(k), dbl ? this.h.bn.f64 : this.h.bn.f32); }
  setF(k: number, dbl: boolean, v: X): X { return this.m.local.set(dbl ? this.h.f64(k) : this.h.f32(k), v); }

  /**
   * The inline check of an n-byte access at the address temporary: every page it touches
   * allows `want` (a store also needs the page not to hold translated code); `aligned`: the
   * address is a multiple of 16 (else #GP, which the interpreter raises).
   */
  check(n: number, want: number, aligned: boolean): X {
    const m = this.m, mask = want | (want & PROT_WRITE ? CODE : 0);
    const perm = (p: X): X => m.i32.ne(m.i32.and(m.i32.load8_u(this.h.permBase, 1, m.i32.shr_u(p, this.c(12))), this.c(mask)), this.c(want));
    let bad = perm(this.h.a());
    if (n > 1) bad = m.i32.or(bad, perm(m.i32.add(this.h.a(), this.c(n - 1))));
    if (aligned) bad = m.i32.or(bad, m.i32.and(this.h.a(), this.c(15)));
    return m.if(bad, this.h.exit());
  }
  /** Compute the r/m memory operand's address and check it. */
  mem(n: number, want: number, aligned: boolean): void {
    const rm = this.i.rm;
    if (rm.k !== 'm') throw new Error('jit: sse operand is not memory');
    this.out.push(this.h.setA(this.h.ea(rm.m)));
    this.out.push(this.check(n, want, aligned));
  }
  /** The r/m source as v128: an XMM register, or n bytes of memory zero-extended. */
  src(n: number, aligned: boolean): X {
    const rm = this.i.rm, m = this.m;
    if (rm.k === 'r') return this.ldX(rm.r);
    this.mem(n, PROT_READ, aligned);
    return n === 16 ? m.v128.load(0, 1, this.h.a()) : n === 8 ? m.v128.load64_zero(0, 1, this.h.a()) : m.v128.load32_zero(0, 1, this.h.a());
  }
  /** The r/m source's low lane as f64/f32 (register lane 0, or an 8/4-byte load). */
  srcF(dbl: boolean): X {
    const rm = this.i.rm, m = this.m;
    if (rm.k === 'r') return dbl ? m.f64.load(this.xoff(rm.r), 1, this.h.slot()) : m.f32.load(this.xoff(rm.r), 1, this.h.slot());
    this.mem(dbl ? 8 : 4, PROT_READ, false);
    return dbl ? m.f64.load(0, 1, this.h.a()) : m.f32.load(0, 1, this.h.a());
  }
  /** A general register or 32-bit memory source (Ey). */
  srcE(): X {
    const rm = this.i.rm;
    if (rm.k === 'r') return this.h.reg(rm.r);
    this.mem(4, PROT_READ, false);
    return this.m.i32.load(0, 1, this.h.a());
  }
  v128zero(): X { return this.m.v128.const(new Array(16).fill(0)); }
  shuffle(a: X, b: X, lanes: number[]): X { return this.m.i8x16.shuffle(a, b, lanes); }
}

// ---- Floating-point classification (the fast paths' guards) ----
/** MXCSR is the default control with PE already set: bits 5-15 = PE, masks, RC 0, no DAZ/FTZ. */
function mxcsrFast(g: Ctx): X {
  const m = g.m;
  return m.i32.eq(m.i32.and(m.i32.load(MXCSR_OFFSET, 1, g.h.slot()), g.c(0xffe0)), g.c(0x1fa0));
}
/** The biased exponent of a scalar (i32 expression). */
function expOf(g: Ctx, v: X, dbl: boolean): X {
  const m = g.m;
  return dbl ? m.i32.and(m.i32.wrap(m.i64.shr_u(m.i64.reinterpret(v), m.i64.const(52n))), g.c(0x7ff))
    : m.i32.and(m.i32.shr_u(m.i32.reinterpret(v), g.c(23)), g.c(0xff));
}
function isZero(g: Ctx, v: X, dbl: boolean): X {
  const m = g.m;
  return dbl ? m.i64.eqz(m.i64.shl(m.i64.reinterpret(v), m.i64.const(1n))) : m.i32.eqz(m.i32.shl(m.i32.reinterpret(v), g.c(1)));
}
/** Normal or zero: no DE, no IE from a NaN operand, no infinity. */
function normalOrZero(g: Ctx, v: () => X, dbl: boolean): X {
  const m = g.m;
  return m.i32.or(m.i32.lt_u(m.i32.sub(expOf(g, v(), dbl), g.c(1)), g.c(dbl ? 0x7fe : 0xfe)), isZero(g, v(), dbl));
}
/** Normal with an exponent above the smallest binade (no tininess, rounded or not). */
function safeNormal(g: Ctx, v: X, dbl: boolean): X {
  return g.m.i32.lt_u(g.m.i32.sub(expOf(g, v, dbl), g.c(2)), g.c(dbl ? 0x7fd : 0xfd));
}

const ADD = 0, SUB = 1, MUL = 2, DIV = 3, SQRT = 4;

/**
 * Whether operation k of a (F0) and b (F1) giving r (F2) raises nothing but PE: the fast
 * path's condition besides MXCSR (see the module comment).
 */
function scalarOk(g: Ctx, k: number, dbl: boolean): X {
  const m = g.m, a = () => g.getF(0, dbl), b = () => g.getF(1, dbl), r = () => g.getF(2, dbl);
  const and = (x: X, y: X) => m.i32.and(x, y), or = (x: X, y: X) => m.i32.or(x, y);
  if (k === SQRT) {
    // sqrt of a positive normal is normal; of +-0 is +-0; of a negative: IE.
    const sign = dbl ? m.i64.lt_s(m.i64.reinterpret(b()), m.i64.const(0n)) : m.i32.lt_s(m.i32.reinterpret(b()), g.c(0));
    return and(normalOrZero(g, b, dbl), or(m.i32.eqz(sign), isZero(g, b(), dbl)));
  }
  const ops = and(normalOrZero(g, a, dbl), normalOrZero(g, b, dbl));
  switch (k) {
    case ADD: case SUB: return and(ops, m.i32.ne(expOf(g, r(), dbl), g.c(dbl ? 0x7ff : 0xff)));
    case MUL: return and(ops, or(safeNormal(g, r(), dbl), or(isZero(g, a(), dbl), isZero(g, b(), dbl))));
    default: return and(and(ops, m.i32.eqz(isZero(g, b(), dbl))), or(safeNormal(g, r(), dbl), isZero(g, a(), dbl)));
  }
}

/** addsd ... sqrtss: the low lane of dst = dst op src (sqrt: of src); the other lanes kept. */
function scalarArith(k: number, dbl: boolean): Emit {
  return (g) => {
    const m = g.m, h = g.h, i = g.i;
    h.flush(g.out);
    g.out.push(g.setF(1, dbl, g.srcF(dbl)));
    if (k !== SQRT) g.out.push(g.setF(0, dbl, dbl ? m.f64.load(g.xoff(i.reg), 1, h.slot()) : m.f32.load(g.xoff(i.reg), 1, h.slot())));
    const a = g.getF(0, dbl), b = g.getF(1, dbl);
    const t = dbl ? m.f64 : m.f32;
    const r = k === ADD ? t.add(a, b) : k === SUB ? t.sub(a, b) : k === MUL ? t.mul(a, b) : k === DIV ? t.div(a, b) : t.sqrt(b);
    g.out.push(g.setF(2, dbl, r));
    const store = dbl ? m.f64.store(g.xoff(i.reg), 1, h.slot(), g.getF(2, dbl)) : m.f32.store(g.xoff(i.reg), 1, h.slot(), g.getF(2, dbl));
    g.out.push(m.if(m.i32.and(mxcsrFast(g), scalarOk(g, k, dbl)), store, h.fallback(i.call)));
  };
}

/** Lane classification of packed operands (v128 of f32x4 / f64x2 bits). */
function lanes(g: Ctx, dbl: boolean) {
  const m = g.m;
  const T = dbl ? m.i64x2 : m.i32x4;
  const splat = (v: number): X => dbl ? m.i64x2.splat(m.i64.const(BigInt(v))) : m.i32x4.splat(g.c(v));
  const exp = (v: X): X => m.v128.and(T.shr_u(v, g.c(dbl ? 52 : 23)), splat(dbl ? 0x7ff : 0xff));
  const zero = (v: X): X => T.eq(T.shl(v, g.c(1)), splat(0));
  // Exponent ranges by signed compares (i64x2 has no unsigned ones; the values are small).
  const within = (e: X, lo: number, hi: number): X => m.v128.and(T.gt_s(e, splat(lo - 1)), (dbl ? m.i64x2.lt_s : m.i32x4.lt_s)(e, splat(hi + 1)));
  const max = dbl ? 0x7fe : 0xfe;
  return {
    all: (v: X): X => (dbl ? m.i64x2.all_true : m.i32x4.all_true)(v),
    normalOrZero: (v: () => X): X => m.v128.or(within(exp(v()), 1, max), zero(v())),
    safeNormal: (v: X): X => within(exp(v), 2, max),
    finite: (v: X): X => m.v128.not(T.eq(exp(v), splat(max + 1))),
    zero,
    neg: (v: X): X => dbl ? m.i64x2.lt_s(v, splat(0)) : m.i32x4.lt_s(v, splat(0)),
  };
}

/** addps ... sqrtpd: every lane, with the scalar forms' guard on every lane. */
function packedArith(k: number, dbl: boolean): Emit {
  return (g) => {
    const m = g.m, h = g.h, i = g.i, L = lanes(g, dbl);
    h.flush(g.out);
    g.out.push(g.setV(1, g.src(16, true)));
    if (k !== SQRT) g.out.push(g.setV(0, g.ldX(i.reg)));
    const a = () => g.getV(0), b = () => g.getV(1), r = () => g.getV(2);
    const T = dbl ? m.f64x2 : m.f32x4;
    g.out.push(g.setV(2, k === ADD ? T.add(a(), b()) : k === SUB ? T.sub(a(), b()) : k === MUL ? T.mul(a(), b()) : k === DIV ? T.div(a(), b()) : T.sqrt(b())));
    const or = (x: X, y: X) => m.v128.or(x, y), and = (x: X, y: X) => m.v128.and(x, y);
    let ok: X;
    if (k === SQRT) ok = and(L.normalOrZero(b), or(m.v128.not(L.neg(b())), L.zero(b())));
    else {
      const ops = and(L.normalOrZero(a), L.normalOrZero(b));
      ok = k === ADD || k === SUB ? and(ops, L.finite(r()))
        : k === MUL ? and(ops, or(L.safeNormal(r()), or(L.zero(a()), L.zero(b()))))
          : and(and(ops, m.v128.not(L.zero(b()))), or(L.safeNormal(r()), L.zero(a())));
    }
    g.out.push(m.if(m.i32.and(mxcsrFast(g), L.all(ok)), g.stX(i.reg, r()), h.fallback(i.call)));
  };
}

// ---- Moves ----
/** A 16-byte move: load into the register, or store the register to r/m. */
function move16(aligned: boolean): Emit {
  return (g) => {
    const i = g.i;
    if (!i.rmDst) { g.out.push(g.stX(i.reg, g.src(16, aligned))); return; }
    if (i.rm.k === 'r') { g.out.push(g.stX(i.rm.r, g.ldX(i.reg))); return; }
    g.mem(16, PROT_WRITE, aligned);
    g.out.push(g.m.v128.store(0, 1, g.h.a(), g.ldX(i.reg)));
  };
}
const LOW64 = [255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0];
/** movsd/movss (n = 8/4): a memory source clears the rest of the register, a register source only replaces the low lane. */
function moveScalar(n: number): Emit {
  return (g) => {
    const i = g.i, m = g.m, h = g.h;
    const ld = (x: number) => n === 8 ? g.ld64(x) : g.ld32(x), st = (x: number, v: X) => n === 8 ? g.st64(x, v) : g.st32(x, v);
    if (!i.rmDst) {
      if (i.rm.k === 'r') g.out.push(st(i.reg, ld(i.rm.r)));
      else g.out.push(g.stX(i.reg, g.src(n, false)));
      return;
    }
    if (i.rm.k === 'r') { g.out.push(st(i.rm.r, ld(i.reg))); return; }
    g.mem(n, PROT_WRITE, false);
    g.out.push(n === 8 ? m.i64.store(0, 1, h.a(), ld(i.reg)) : m.i32.store(0, 1, h.a(), ld(i.reg)));
  };
}
/** movlps/movlpd/movhps/movhpd with memory: one half of the register from or to 8 bytes. */
function moveHalf(hi: boolean): Emit {
  return (g) => {
    const i = g.i, m = g.m, h = g.h;
    if (!i.rmDst) { g.mem(8, PROT_READ, false); g.out.push(g.st64(i.reg, m.i64.load(0, 1, h.a()), hi)); return; }
    g.mem(8, PROT_WRITE, false);
    g.out.push(m.i64.store(0, 1, h.a(), g.ld64(i.reg, hi)));
  };
}
/** movd (66 0F 6E/7E): a dword between an XMM register (zero-extended) and a general register or memory. */
const movd: Emit = (g) => {
  const i = g.i, m = g.m, h = g.h;
  if (!i.rmDst) {
    if (i.rm.k === 'r') g.out.push(g.stX(i.reg, m.i32x4.replace_lane(g.v128zero(), 0, h.reg(i.rm.r))));
    else g.out.push(g.stX(i.reg, g.src(4, false)));
    return;
  }
  if (i.rm.k === 'r') { g.out.push(h.setReg(i.rm.r, g.ld32(i.reg))); return; }
  g.mem(4, PROT_WRITE, false);
  g.out.push(m.i32.store(0, 1, h.a(), g.ld32(i.reg)));
};
/** movq (F3 0F 7E load, 66 0F D6 store): the low quadword, the destination register's high one cleared. */
const movq: Emit = (g) => {
  const i = g.i, m = g.m, h = g.h;
  const low = (v: X) => m.v128.and(v, m.v128.const(LOW64));
  if (!i.rmDst) { g.out.push(g.stX(i.reg, i.rm.k === 'r' ? low(g.ldX(i.rm.r)) : g.src(8, false))); return; }
  if (i.rm.k === 'r') { g.out.push(g.stX(i.rm.r, low(g.ldX(i.reg)))); return; }
  g.mem(8, PROT_WRITE, false);
  g.out.push(m.i64.store(0, 1, h.a(), g.ld64(i.reg)));
};

// ---- Integer SIMD ----
/** dst = f(dst, src) over 16 bytes (an aligned memory operand). */
function binop(f: (m: M, a: X, b: X) => X): Emit {
  return (g) => {
    const b = g.src(16, true);
    g.out.push(g.stX(g.i.reg, f(g.m, g.ldX(g.i.reg), b)));
  };
}
/** Interleave the low (high) halves of dst and src in elements of `size` bytes (punpck*). */
function unpack(size: number, high: boolean): Emit {
  const lanes: number[] = [];
  for (let e = 0; e < 8 / size; e++) {
    const from = (high ? 8 : 0) + e * size;
    for (let k = 0; k < size; k++) lanes.push(from + k);
    for (let k = 0; k < size; k++) lanes.push(16 + from + k);
  }
  return binop((m, a, b) => m.i8x16.shuffle(a, b, lanes));
}
/** Shift each lane of the register by the immediate (groups 12-14); counts past the lane width as x86 does them. */
function shiftImm(bits: number, kind: 'l' | 'a' | 'h'): Emit {
  return (g) => {
    const m = g.m, x = g.i.rm.k === 'r' ? g.i.rm.r : 0;
    const T = bits === 16 ? m.i16x8 : bits === 32 ? m.i32x4 : m.i64x2;
    let n = g.i.imm;
    if (n >= bits) {
      if (kind !== 'a') { g.out.push(g.stX(x, g.v128zero())); return; }
      n = bits - 1;
    }
    const f = kind === 'l' ? T.shr_u : kind === 'a' ? T.shr_s : T.shl;
    g.out.push(g.stX(x, f(g.ldX(x), g.c(n))));
  };
}
/** psrldq / pslldq: the whole register shifted by imm bytes (16 or more: zero). */
function byteShift(left: boolean): Emit {
  return (g) => {
    const x = g.i.rm.k === 'r' ? g.i.rm.r : 0, n = Math.min(g.i.imm, 16);
    const lanes = Array.from({ length: 16 }, (_, k) => { const j = left ? k - n : k + n; return j >= 0 && j < 16 ? j : 16; });
    g.out.push(g.stX(x, g.shuffle(g.ldX(x), g.v128zero(), lanes)));
  };
}
/** pshufd / pshuflw / pshufhw: elements of the source selected by the immediate's 2-bit fields. */
function pshuf(kind: 'd' | 'lw' | 'hw'): Emit {
  return (g) => {
    const imm = g.i.imm, sel = (k: number) => (imm >> (2 * k)) & 3;
    const lanes: number[] = [];
    if (kind === 'd') for (let k = 0; k < 4; k++) for (let b = 0; b < 4; b++) lanes.push(sel(k) * 4 + b);
    else {
      const words: number[] = [];
      for (let k = 0; k < 8; k++) words.push(kind === 'lw' ? (k < 4 ? sel(k) : k) : (k < 4 ? k : 4 + sel(k - 4)));
      for (const w of words) lanes.push(w * 2, w * 2 + 1);
    }
    const s = g.src(16, true);
    g.out.push(g.setV(0, s));
    g.out.push(g.stX(g.i.reg, g.shuffle(g.getV(0), g.getV(0), lanes)));
  };
}
/** palignr: bytes imm.. of the 32-byte dst:src (src low), zeros past its end. */
const palignr: Emit = (g) => {
  const imm = g.i.imm, s = g.src(16, true);
  if (imm >= 32) { g.out.push(g.stX(g.i.reg, g.v128zero())); return; }
  g.out.push(g.setV(0, s));
  const lanes = Array.from({ length: 16 }, (_, k) => k + imm);
  if (imm <= 16) g.out.push(g.stX(g.i.reg, g.shuffle(g.getV(0), g.ldX(g.i.reg), lanes)));
  else g.out.push(g.stX(g.i.reg, g.shuffle(g.ldX(g.i.reg), g.v128zero(), lanes.map((j) => Math.min(j - 16, 16)))));
};
/** shufps / shufpd: the low result lanes from dst, the high ones from src, selected by the immediate. */
function shufp(dbl: boolean): Emit {
  return (g) => {
    const imm = g.i.imm, lanes: number[] = [];
    const pick = (from: number, lane: number, size: number) => { for (let b = 0; b < size; b++) lanes.push(from + lane * size + b); };
    if (dbl) { pick(0, imm & 1, 8); pick(16, (imm >> 1) & 1, 8); } else for (let k = 0; k < 4; k++) pick(k < 2 ? 0 : 16, (imm >> (2 * k)) & 3, 4);
    const s = g.src(16, true);
    g.out.push(g.setV(0, s));
    g.out.push(g.stX(g.i.reg, g.shuffle(g.ldX(g.i.reg), g.getV(0), lanes)));
  };
}
/** movhlps / movlhps (register forms of 0F 12 / 0F 16): one quadword of src into the other half of dst. */
function movhl(toLow: boolean): Emit {
  return (g) => { const q = g.i.rm.k === 'r' ? g.i.rm.r : 0; g.out.push(g.st64(g.i.reg, g.ld64(q, toLow), !toLow)); };
}
/**
 * minsd ... maxps: for ordered operands the SDM's `a < b ? a : b` (max: `a > b`), which gives
 * the source for equal operands (+0 and -0 included); they raise nothing else, so no MXCSR
 * guard: NaN and denormal operands (IE, DE) go to the closure.
 */
function minmax(max: boolean, dbl: boolean, packed: boolean): Emit {
  return (g) => {
    const m = g.m, h = g.h, i = g.i;
    h.flush(g.out);
    if (packed) {
      const L = lanes(g, dbl), T = dbl ? m.f64x2 : m.f32x4;
      g.out.push(g.setV(1, g.src(16, true)));
      g.out.push(g.setV(0, g.ldX(i.reg)));
      const a = () => g.getV(0), b = () => g.getV(1);
      const r = m.v128.bitselect(a(), b(), max ? T.gt(a(), b()) : T.lt(a(), b()));
      g.out.push(m.if(L.all(m.v128.and(L.normalOrZero(a), L.normalOrZero(b))), g.stX(i.reg, r), h.fallback(i.call)));
      return;
    }
    g.out.push(g.setF(1, dbl, g.srcF(dbl)));
    g.out.push(g.setF(0, dbl, dbl ? m.f64.load(g.xoff(i.reg), 1, h.slot()) : m.f32.load(g.xoff(i.reg), 1, h.slot())));
    const a = () => g.getF(0, dbl), b = () => g.getF(1, dbl), t = dbl ? m.f64 : m.f32;
    const r = m.select(max ? t.gt(a(), b()) : t.lt(a(), b()), a(), b());
    const store = dbl ? m.f64.store(g.xoff(i.reg), 1, h.slot(), r) : m.f32.store(g.xoff(i.reg), 1, h.slot(), r);
    g.out.push(m.if(m.i32.and(normalOrZero(g, a, dbl), normalOrZero(g, b, dbl)), store, h.fallback(i.call)));
  };
}
/** pmovmskb / movmskps / movmskpd: the lanes' sign bits into a general register. */
function mask(f: (m: M, v: X) => X): Emit {
  return (g) => { const x = g.i.rm.k === 'r' ? g.i.rm.r : 0; g.out.push(g.h.setReg(g.i.reg, f(g.m, g.ldX(x)))); };
}
/** ptest: ZF = (dst & src) == 0, CF = (~dst & src) == 0, OF SF AF PF cleared. */
const ptest: Emit = (g) => {
  const m = g.m, s = g.src(16, true);
  g.out.push(g.setV(0, s));
  const zf = m.i32.eqz(m.v128.any_true(m.v128.and(g.ldX(g.i.reg), g.getV(0))));
  const cf = m.i32.eqz(m.v128.any_true(m.v128.andnot(g.getV(0), g.ldX(g.i.reg))));
  g.h.eager(m.i32.or(m.i32.shl(zf, g.c(6)), cf), g.out);
};

/**
 * pcmpistri (SSE4.2, implicit lengths, the index to ECX) on bytes: busybox's static glibc
 * compares strings with it (strcmp, strspn, strcspn: imm8 0x1a, 0x12, 0x02, 0x3a), 1.87 M
 * times in a warm run of the bench's sh loop, each an interpreter call (~15% of that run's
 * engine profile with the call's state stores and reloads; session 13). The interpreter's
 * strCompare (cpu/ops/sse4.ts) as lane masks: bit k of a mask is byte k. Word elements
 * (imm8 bit 0) run the interpreter's closure.
 */
const pcmpistri: Emit = (g) => {
  const m = g.m, h = g.h, imm = g.i.imm;
  h.flush(g.out);
  if (imm & 1) { g.out.push(h.fallback(g.i.call)); return; }
  const LA = h.i32(0), LB = h.i32(1), R = h.i32(2);
  const get = (l: number): X => m.local.get(l, h.bn.i32), set = (l: number, v: X): X => m.local.set(l, v);
  const and = (a: X, b: X): X => m.i32.and(a, b), or = (a: X, b: X): X => m.i32.or(a, b);
  // V1 = xmm2/m128 (read first: a failed check leaves before anything changed), V0 = xmm1.
  g.out.push(g.setV(1, g.src(16, false)));
  g.out.push(g.setV(0, g.ldX(g.i.reg)));
  const a = (): X => g.getV(0), b = (): X => g.getV(1);
  // Lengths: the first zero byte's index, 16 without one.
  const len = (v: X): X => m.i32.ctz(or(m.i8x16.bitmask(m.i8x16.eq(v, g.v128zero())), g.c(0x10000)));
  g.out.push(set(LA, len(a())), set(LB, len(b())));
  const valid = (l: number): X => m.i32.sub(m.i32.shl(g.c(1), get(l)), g.c(1));
  /** The bytes of b equal to a[i] (a mask). */
  const eqAt = (i: number): X => m.i8x16.bitmask(m.i8x16.eq(b(), g.shuffle(a(), a(), new Array(16).fill(i))));
  /** All ones when i < la, else 0. */
  const below = (i: number): X => m.i32.sub(g.c(0), m.i32.lt_u(g.c(i), get(LA)));
  const signed = (imm & 2) !== 0;
  switch ((imm >> 2) & 3) {
    case 0: { // equal any: b[j] (j < lb) is one of a's valid bytes
      let r: X = g.c(0);
      for (let i = 0; i < 16; i++) r = or(r, and(eqAt(i), below(i)));
      g.out.push(set(R, and(r, valid(LB))));
      break;
    }
    case 1: { // ranges: a[i] <= b[j] <= a[i + 1] for a valid pair (i even, i + 1 < la)
      let r: X = g.c(0);
      for (let i = 0; i < 16; i += 2) {
        const lo = g.shuffle(a(), a(), new Array(16).fill(i)), hi = g.shuffle(a(), a(), new Array(16).fill(i + 1));
        const inside = m.v128.and(signed ? m.i8x16.ge_s(b(), lo) : m.i8x16.ge_u(b(), lo), signed ? m.i8x16.le_s(b(), hi) : m.i8x16.le_u(b(), hi));
        r = or(r, and(m.i8x16.bitmask(inside), below(i + 1)));
      }
      g.out.push(set(R, and(r, valid(LB))));
      break;
    }
    case 2: { // equal each: a[i] == b[i] where both are valid; both invalid counts as equal
      const eq = m.i8x16.bitmask(m.i8x16.eq(a(), b()));
      g.out.push(set(R, or(and(eq, and(valid(LA), valid(LB))), and(m.i32.xor(or(valid(LA), valid(LB)), g.c(-1)), g.c(0xffff)))));
      break;
    }
    default: { // equal ordered: a's valid bytes occur in b from j on (what runs past byte 15 matches)
      let r: X = g.c(0xffff);
      for (let i = 0; i < 16; i++) {
        // Bit j: b[j + i] == a[i] with j + i < lb, or j + i >= 16; all ones when i >= la.
        const s = or(m.i32.shr_u(and(eqAt(i), valid(LB)), g.c(i)), and(m.i32.xor(g.c(0xffff >>> i), g.c(-1)), g.c(0xffff)));
        r = and(r, or(s, m.i32.xor(below(i), g.c(-1))));
      }
      g.out.push(set(R, and(r, g.c(0xffff))));
    }
  }
  const pol = (imm >> 4) & 3;
  if (pol === 1) g.out.push(set(R, m.i32.xor(get(R), g.c(0xffff))));
  else if (pol === 3) g.out.push(set(R, m.i32.xor(get(R), valid(LB))));
  // ECX: the least (imm8 bit 6: most) significant set bit's index, 16 when none.
  const index = imm & 0x40 ? m.i32.sub(g.c(31), m.i32.clz(get(R))) : m.i32.ctz(get(R));
  g.out.push(h.setReg(1, m.select(get(R), index, g.c(16))));
  // CF: a bit set; ZF/SF: b's/a's length below 16; OF: bit 0; AF, PF clear.
  const bits = or(or(m.i32.ne(get(R), g.c(0)), m.i32.shl(m.i32.lt_u(get(LB), g.c(16)), g.c(6))),
    or(m.i32.shl(m.i32.lt_u(get(LA), g.c(16)), g.c(7)), m.i32.shl(and(get(R), g.c(1)), g.c(11))));
  h.eager(bits, g.out);
};

// ---- Compares and conversions ----
/** ucomis/comis: ZF PF CF from the order (never unordered here), OF SF AF cleared; NaN and denormal operands by the closure. */
function comis(dbl: boolean): Emit {
  return (g) => {
    const m = g.m, h = g.h, i = g.i;
    h.flush(g.out);
    g.out.push(g.setF(1, dbl, g.srcF(dbl)));
    g.out.push(g.setF(0, dbl, dbl ? m.f64.load(g.xoff(i.reg), 1, h.slot()) : m.f32.load(g.xoff(i.reg), 1, h.slot())));
    const a = () => g.getF(0, dbl), b = () => g.getF(1, dbl);
    const t = dbl ? m.f64 : m.f32;
    const fast: X[] = [];
    h.eager(m.i32.or(m.i32.shl(t.eq(a(), b()), g.c(6)), t.lt(a(), b())), fast);
    g.out.push(m.if(m.i32.and(normalOrZero(g, a, dbl), normalOrZero(g, b, dbl)), m.block(null, fast, h.bn.none), h.fallback(i.call)));
  };
}
/** cvtsi2sd (exact: no MXCSR guard) and cvtsi2ss (may be inexact). */
function cvtsi2(dbl: boolean): Emit {
  return (g) => {
    const m = g.m, h = g.h, i = g.i;
    const v = g.srcE();
    if (dbl) { g.out.push(m.f64.store(g.xoff(i.reg), 1, h.slot(), m.f64.convert_s.i32(v))); return; }
    h.flush(g.out);
    g.out.push(g.setF(0, false, m.f32.convert_s.i32(v)));
    g.out.push(m.if(mxcsrFast(g), m.f32.store(g.xoff(i.reg), 1, h.slot(), g.getF(0, false)), h.fallback(i.call)));
  };
}
/** cvttsd2si / cvtsd2si (and ss): in range -> the truncated / nearest-even integer; else (IE, indefinite) the closure. */
function cvt2si(dbl: boolean, trunc: boolean): Emit {
  return (g) => {
    const m = g.m, h = g.h, i = g.i;
    h.flush(g.out);
    const t = dbl ? m.f64 : m.f32;
    g.out.push(g.setF(0, dbl, g.srcF(dbl)));
    g.out.push(g.setF(1, dbl, trunc ? t.trunc(g.getF(0, dbl)) : t.nearest(g.getF(0, dbl))));
    const k = (v: number): X => dbl ? m.f64.const(v) : m.f32.const(v);
    // -2^31 and 2^31 are exact in both formats; NaN fails both compares.
    const inRange = m.i32.and(t.ge(g.getF(1, dbl), k(-2147483648)), t.lt(g.getF(1, dbl), k(2147483648)));
    const conv = dbl ? m.i32.trunc_s.f64(g.getF(1, dbl)) : m.i32.trunc_s.f32(g.getF(1, dbl));
    g.out.push(m.if(m.i32.and(m.i32.and(mxcsrFast(g), normalOrZero(g, () => g.getF(0, dbl), dbl)), inRange), h.setReg(i.reg, conv), h.fallback(i.call)));
  };
}
/** cvtss2sd: exact for normal and zero singles. */
const cvtss2sd: Emit = (g) => {
  const m = g.m, h = g.h, i = g.i;
  h.flush(g.out);
  g.out.push(g.setF(0, false, g.srcF(false)));
  g.out.push(m.if(normalOrZero(g, () => g.getF(0, false), false),
    m.f64.store(g.xoff(i.reg), 1, h.slot(), m.f64.promote(g.getF(0, false))), h.fallback(i.call)));
};
/** cvtsd2ss: rounding to single; normal results above the smallest binade only raise PE. */
const cvtsd2ss: Emit = (g) => {
  const m = g.m, h = g.h, i = g.i;
  h.flush(g.out);
  g.out.push(g.setF(0, true, g.srcF(true)));
  g.out.push(g.setF(0, false, m.f32.demote(g.getF(0, true))));
  const ok = m.i32.and(normalOrZero(g, () => g.getF(0, true), true), m.i32.or(safeNormal(g, g.getF(0, false), false), isZero(g, g.getF(0, true), true)));
  g.out.push(m.if(m.i32.and(mxcsrFast(g), ok), m.f32.store(g.xoff(i.reg), 1, h.slot(), g.getF(0, false)), h.fallback(i.call)));
};

/** cvtdq2pd (exact) and cvtps2pd (exact for normal or zero lanes): two lanes from the source's low quadword. */
function widen(fromFloat: boolean): Emit {
  return (g) => {
    const m = g.m, h = g.h, i = g.i;
    g.out.push(g.setV(0, g.src(8, false)));
    if (!fromFloat) { g.out.push(g.stX(i.reg, m.f64x2.convert_low_i32x4_s(g.getV(0)))); return; }
    h.flush(g.out);
    // Only the two low lanes matter: the high ones of a memory source are zero, of a register anything.
    const low = m.i8x16.shuffle(g.getV(0), g.getV(0), [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7]);
    g.out.push(m.if(lanes(g, false).all(lanes(g, false).normalOrZero(() => low)),
      g.stX(i.reg, m.f64x2.promote_low_f32x4(g.getV(0))), h.fallback(i.call)));
  };
}
/** cvtdq2ps: rounded to nearest, so only PE: the MXCSR guard. */
const cvtdq2ps: Emit = (g) => {
  const m = g.m, h = g.h, i = g.i;
  h.flush(g.out);
  g.out.push(g.setV(0, g.src(16, true)));
  g.out.push(m.if(mxcsrFast(g), g.stX(i.reg, m.f32x4.convert_i32x4_s(g.getV(0))), h.fallback(i.call)));
};
/** pmuludq: the unsigned 64-bit products of dwords 0 and 2. */
const EVEN = [0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11];

const bin = (f: (m: M, a: X, b: X) => X): Entry => ({ emit: binop(f) });
const e = (emit: Emit, immOnly = false): Entry => ({ emit, immOnly });

/** The translated forms, by the instruction table's mnemonic (region-sse.ts decodes only these). */
export const EMIT: ReadonlyMap<string, Entry> = new Map<string, Entry>([
  // Moves.
  ['movdqa', e(move16(true))], ['movaps', e(move16(true))], ['movapd', e(move16(true))],
  ['movntdq', e(move16(true))], ['movntps', e(move16(true))], ['movntpd', e(move16(true))],
  ['movdqu', e(move16(false))], ['movups', e(move16(false))], ['movupd', e(move16(false))], ['lddqu', e(move16(false))],
  ['movsd', e(moveScalar(8))], ['movss', e(moveScalar(4))],
  ['movlps', e(moveHalf(false))], ['movlpd', e(moveHalf(false))], ['movhps', e(moveHalf(true))], ['movhpd', e(moveHalf(true))],
  ['movd', e(movd)], ['movq', e(movq)],
  // Integer arithmetic, compares, logic (SSE2; Wasm's lane ops are the SDM's).
  ['paddb', bin((m, a, b) => m.i8x16.add(a, b))], ['paddw', bin((m, a, b) => m.i16x8.add(a, b))],
  ['paddd', bin((m, a, b) => m.i32x4.add(a, b))], ['paddq', bin((m, a, b) => m.i64x2.add(a, b))],
  ['psubb', bin((m, a, b) => m.i8x16.sub(a, b))], ['psubw', bin((m, a, b) => m.i16x8.sub(a, b))],
  ['psubd', bin((m, a, b) => m.i32x4.sub(a, b))], ['psubq', bin((m, a, b) => m.i64x2.sub(a, b))],
  ['paddsb', bin((m, a, b) => m.i8x16.add_saturate_s(a, b))], ['paddsw', bin((m, a, b) => m.i16x8.add_saturate_s(a, b))],
  ['paddusb', bin((m, a, b) => m.i8x16.add_saturate_u(a, b))], ['paddusw', bin((m, a, b) => m.i16x8.add_saturate_u(a, b))],
  ['psubsb', bin((m, a, b) => m.i8x16.sub_saturate_s(a, b))], ['psubsw', bin((m, a, b) => m.i16x8.sub_saturate_s(a, b))],
  ['psubusb', bin((m, a, b) => m.i8x16.sub_saturate_u(a, b))], ['psubusw', bin((m, a, b) => m.i16x8.sub_saturate_u(a, b))],
  ['pcmpeqb', bin((m, a, b) => m.i8x16.eq(a, b))], ['pcmpeqw', bin((m, a, b) => m.i16x8.eq(a, b))],
  ['pcmpeqd', bin((m, a, b) => m.i32x4.eq(a, b))], ['pcmpeqq', bin((m, a, b) => m.i64x2.eq(a, b))],
  ['pcmpgtb', bin((m, a, b) => m.i8x16.gt_s(a, b))], ['pcmpgtw', bin((m, a, b) => m.i16x8.gt_s(a, b))],
  ['pcmpgtd', bin((m, a, b) => m.i32x4.gt_s(a, b))],
  ['pand', bin((m, a, b) => m.v128.and(a, b))], ['por', bin((m, a, b) => m.v128.or(a, b))], ['pxor', bin((m, a, b) => m.v128.xor(a, b))],
  ['pandn', bin((m, a, b) => m.v128.andnot(b, a))],
  ['andps', bin((m, a, b) => m.v128.and(a, b))], ['andpd', bin((m, a, b) => m.v128.and(a, b))],
  ['andnps', bin((m, a, b) => m.v128.andnot(b, a))], ['andnpd', bin((m, a, b) => m.v128.andnot(b, a))],
  ['orps', bin((m, a, b) => m.v128.or(a, b))], ['orpd', bin((m, a, b) => m.v128.or(a, b))],
  ['xorps', bin((m, a, b) => m.v128.xor(a, b))], ['xorpd', bin((m, a, b) => m.v128.xor(a, b))],
  ['pminub', bin((m, a, b) => m.i8x16.min_u(a, b))], ['pmaxub', bin((m, a, b) => m.i8x16.max_u(a, b))],
  ['pminsw', bin((m, a, b) => m.i16x8.min_s(a, b))], ['pmaxsw', bin((m, a, b) => m.i16x8.max_s(a, b))],
  ['pminsb', bin((m, a, b) => m.i8x16.min_s(a, b))], ['pmaxsb', bin((m, a, b) => m.i8x16.max_s(a, b))],
  ['pminuw', bin((m, a, b) => m.i16x8.min_u(a, b))], ['pmaxuw', bin((m, a, b) => m.i16x8.max_u(a, b))],
  ['pminsd', bin((m, a, b) => m.i32x4.min_s(a, b))], ['pmaxsd', bin((m, a, b) => m.i32x4.max_s(a, b))],
  ['pminud', bin((m, a, b) => m.i32x4.min_u(a, b))], ['pmaxud', bin((m, a, b) => m.i32x4.max_u(a, b))],
  ['pavgb', bin((m, a, b) => m.i8x16.avgr_u(a, b))], ['pavgw', bin((m, a, b) => m.i16x8.avgr_u(a, b))],
  ['pmuludq', bin((m, a, b) => m.i64x2.extmul_low_i32x4_u(m.i8x16.shuffle(a, a, EVEN), m.i8x16.shuffle(b, b, EVEN)))],
  // pmaddwd: the SDM's wrap of 0x8000*0x8000*2 to 0x80000000 is Wasm's too.
  ['pmaddwd', bin((m, a, b) => m.i32x4.dot_i16x8_s(a, b))],
  ['pmullw', bin((m, a, b) => m.i16x8.mul(a, b))], ['pmulld', bin((m, a, b) => m.i32x4.mul(a, b))],
  ['packsswb', bin((m, a, b) => m.i8x16.narrow_i16x8_s(a, b))], ['packuswb', bin((m, a, b) => m.i8x16.narrow_i16x8_u(a, b))],
  ['packssdw', bin((m, a, b) => m.i16x8.narrow_i32x4_s(a, b))], ['packusdw', bin((m, a, b) => m.i16x8.narrow_i32x4_u(a, b))],
  // pshufb: a set bit 7 selects zero (swizzle gives 0 for an index of 16 or more), else byte (index & 15).
  ['pshufb', bin((m, a, b) => m.i8x16.swizzle(a, m.v128.and(b, m.i8x16.splat(m.i32.const(0x8f)))))],
  ['punpcklbw', e(unpack(1, false))], ['punpcklwd', e(unpack(2, false))], ['punpckldq', e(unpack(4, false))], ['punpcklqdq', e(unpack(8, false))],
  ['punpckhbw', e(unpack(1, true))], ['punpckhwd', e(unpack(2, true))], ['punpckhdq', e(unpack(4, true))], ['punpckhqdq', e(unpack(8, true))],
  ['psrlw', e(shiftImm(16, 'l'), true)], ['psrld', e(shiftImm(32, 'l'), true)], ['psrlq', e(shiftImm(64, 'l'), true)],
  ['psraw', e(shiftImm(16, 'a'), true)], ['psrad', e(shiftImm(32, 'a'), true)],
  ['psllw', e(shiftImm(16, 'h'), true)], ['pslld', e(shiftImm(32, 'h'), true)], ['psllq', e(shiftImm(64, 'h'), true)],
  ['psrldq', e(byteShift(false))], ['pslldq', e(byteShift(true))],
  ['pshufd', e(pshuf('d'))], ['pshuflw', e(pshuf('lw'))], ['pshufhw', e(pshuf('hw'))], ['palignr', e(palignr)],
  ['shufps', e(shufp(false))], ['shufpd', e(shufp(true))],
  ['unpcklps', e(unpack(4, false))], ['unpckhps', e(unpack(4, true))], ['unpcklpd', e(unpack(8, false))], ['unpckhpd', e(unpack(8, true))],
  ['movhlps', e(movhl(true))], ['movlhps', e(movhl(false))],
  ['pmovmskb', e(mask((m, v) => m.i8x16.bitmask(v)))], ['movmskps', e(mask((m, v) => m.i32x4.bitmask(v)))],
  ['movmskpd', e(mask((m, v) => m.i64x2.bitmask(v)))], ['ptest', e(ptest)], ['pcmpistri', e(pcmpistri)],
  // Floating point (guarded fast paths, the closure otherwise).
  ['addsd', e(scalarArith(ADD, true))], ['subsd', e(scalarArith(SUB, true))], ['mulsd', e(scalarArith(MUL, true))],
  ['divsd', e(scalarArith(DIV, true))], ['sqrtsd', e(scalarArith(SQRT, true))],
  ['addss', e(scalarArith(ADD, false))], ['subss', e(scalarArith(SUB, false))], ['mulss', e(scalarArith(MUL, false))],
  ['divss', e(scalarArith(DIV, false))], ['sqrtss', e(scalarArith(SQRT, false))],
  ['addpd', e(packedArith(ADD, true))], ['subpd', e(packedArith(SUB, true))], ['mulpd', e(packedArith(MUL, true))],
  ['divpd', e(packedArith(DIV, true))], ['sqrtpd', e(packedArith(SQRT, true))],
  ['addps', e(packedArith(ADD, false))], ['subps', e(packedArith(SUB, false))], ['mulps', e(packedArith(MUL, false))],
  ['divps', e(packedArith(DIV, false))], ['sqrtps', e(packedArith(SQRT, false))],
  ['minsd', e(minmax(false, true, false))], ['maxsd', e(minmax(true, true, false))],
  ['minss', e(minmax(false, false, false))], ['maxss', e(minmax(true, false, false))],
  ['minpd', e(minmax(false, true, true))], ['maxpd', e(minmax(true, true, true))],
  ['minps', e(minmax(false, false, true))], ['maxps', e(minmax(true, false, true))],
  ['ucomisd', e(comis(true))], ['comisd', e(comis(true))], ['ucomiss', e(comis(false))], ['comiss', e(comis(false))],
  ['cvtsi2sd', e(cvtsi2(true))], ['cvtsi2ss', e(cvtsi2(false))],
  ['cvttsd2si', e(cvt2si(true, true))], ['cvtsd2si', e(cvt2si(true, false))],
  ['cvttss2si', e(cvt2si(false, true))], ['cvtss2si', e(cvt2si(false, false))],
  ['cvtss2sd', e(cvtss2sd)], ['cvtsd2ss', e(cvtsd2ss)],
  ['cvtdq2pd', e(widen(false))], ['cvtps2pd', e(widen(true))], ['cvtdq2ps', e(cvtdq2ps)],
]);

/** Translate one SSE instruction into `out`. */
export function sseInsn(h: SseHost, d: Decoded, out: X[]): void {
  const i = d.insn as SseInsn;
  const entry = EMIT.get(i.mn);
  if (entry === undefined) throw new Error(`jit: no sse code for ${i.mn}`);
  entry.emit(new Ctx(h, i, out));
}

