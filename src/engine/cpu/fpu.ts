/**
 * x87 register file and the arithmetic, conversion and save/restore helpers the
 * instruction handlers (fpu-ops.ts) and the signal code (linux/fpstate.ts) share.
 *
 * ## Precision choice: float64 registers with exact 80-bit shadows for copies
 *
 * Registers hold IEEE double values (Float64Array over the state slot), so arithmetic is
 * one JS operation and JIT-generated Wasm can use f64 directly. An exact soft-float
 * 80-bit implementation needs BigInt or 16-bit limbs for 64-bit significands: on Node 20
 * a BigInt 64x64 multiply + normalise alone measured 89 ns against 6 ns for a float64
 * multiply-add loop iteration (>14x before rounding, exponent and special cases), which
 * would dominate libm-heavy guests.
 *
 * What float64 would lose and how it is kept:
 * - Copies of long doubles (fld m80 / fstp m80, as gcc emits for `long double a = b`),
 *   64-bit integers moved through the FPU (fild m64 / fistp m64: gcc's 64-bit atomic
 *   loads and stores on i686, and `(long long)` round trips), fbld/fbstp and the 80-bit
 *   constants (fldpi ...) must be bit-exact. Each physical register therefore has an
 *   exact 80-bit "shadow" (significand hi/lo + sign/exponent) that is valid only while
 *   the register holds exactly what was loaded; moves (fld st(i), fxch, fst st(i),
 *   fcmov, fchs, fabs) carry it, any computed result clears it. Stores to m80/m64 int and
 *   BCD use the shadow when valid; fnsave/frstor (and signal frames) carry it too.
 *   Cost: one extra store per register write (not measured separately).
 *
 * Documented deviations (a program that checks them will see a difference):
 * - Results are rounded to double, not to the 64-bit significand of precision control
 *   "extended" (the Linux default CW 0x37F). Precision control "double" is exact for
 *   + - * / sqrt; "single" rounds the double result again (double rounding possible).
 *   Rounding control is honoured for + - * / sqrt (error terms decide the direction),
 *   frndint, integer and float stores, constants.
 * - Exponent range is double's: intermediate values that 80-bit would keep overflow to
 *   inf or underflow to denormal/0 (OE/UE are then reported at that op, not at the store).
 * - PE (inexact) and C1 (rounded up) are reported for conversions, frndint, stores and
 *   transcendentals, not for + - * / sqrt (exact detection would need 80-bit rounding).
 * - fsin/fcos/fptan/fpatan/f2xm1 use JS Math (correctly rounded or close to it) where
 *   the x87 uses its own algorithms: results can differ in the last ulp of the double,
 *   and for large arguments fsin/fcos reduce with exact pi, not the x87's 66-bit pi.
 *   fyl2x/fyl2xp1 are computed in double-double and rounded once (fpu-log.ts), because
 *   libm's log/log10/log1p are one fyl2x each and must match to the last digit.
 * - Sequences that rely on 64-bit intermediates (libm's exp: x*log2e, then f2xm1, fscale)
 *   are rounded to double at each step and can be an ulp off (~13% of exp results).
 * - fprem/fprem1 always complete in one step (C2=0); the quotient bits are exact.
 */
import type { Cpu } from './cpu.js';
import { FPU_OFFSET } from './state.js';

/** Word offsets (relative to the Int32Array of the whole slot) of the FPU control fields. */
export const FPU_REGS_BYTE = FPU_OFFSET;          // 8 x f64
export const FPU_CW = (FPU_OFFSET + 64) / 4;
export const FPU_SW = FPU_CW + 1;                  // status word without TOP
export const FPU_TOP = FPU_CW + 2;
export const FPU_TAG = FPU_CW + 3;                 // 2 bits per physical register: 0 valid, 1 zero, 2 special, 3 empty
export const FPU_FIP = FPU_CW + 4;
export const FPU_FCS = FPU_CW + 5;
export const FPU_FOO = FPU_CW + 6;
export const FPU_FOS = FPU_CW + 7;
export const FPU_FOP = FPU_CW + 8;
/** Exact 80-bit shadows: 3 words per physical register (significand lo, hi, sign|exponent). */
export const FPU_X80 = 256 / 4;
/** Bit p set: the shadow of physical register p is valid. */
export const FPU_XVALID = FPU_X80 + 24;
/** Bytes used by the FPU area, counted from FPU_OFFSET (shadows end at byte 356). */
export const FPU_BYTES = 356 - FPU_OFFSET;

// Status word bits.
export const IE = 0x1, DE = 0x2, ZE = 0x4, OE = 0x8, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
export const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, BUSY = 0x8000;
export const CC_MASK = C0 | C1 | C2 | C3;

/** Thrown by an op whose unmasked IE/ZE/DE leaves its destination unchanged; caught by the op wrapper. */
export const ABORT = { abort: true };

// Scratch for bit-level conversions. NaN payloads survive JS numbers on V8 (checked
// on Node 20), but NaNs produced by JS arithmetic do not have x87 bits, so every NaN
// the FPU produces is built from bits here.
const F = new Float64Array(1);
const I = new Int32Array(F.buffer);
const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

export function fromBits(hi: number, lo: number): number { I[0] = lo; I[1] = hi; return F[0]; }
export function hiBits(v: number): number { F[0] = v; return I[1]; }
export function loBits(v: number): number { F[0] = v; return I[0]; }
/** The x87 "real indefinite" (negative quiet NaN). */
export const INDEF = fromBits(0xfff80000 | 0, 0);

const TWO32 = 4294967296;
const MIN_NORMAL = 2.2250738585072014e-308;

/** value * 2^n exactly (while representable), without overflowing intermediate powers. */
export function scale2(v: number, n: number): number {
  while (n > 1000) { v *= 2 ** 1000; n -= 1000; if (!isFinite(v)) return v; }
  while (n < -1000) { v *= 2 ** -1000; n += 1000; if (v === 0) return v; }
  return v * 2 ** n;
}

/** Round to an integer by rounding control rc (0 nearest-even, 1 down, 2 up, 3 toward zero). */
export function roundInt(x: number, rc: number): number {
  switch (rc) {
    case 0: {
      const r = Math.round(x);
      // Math.round breaks ties toward +inf; the x87 breaks them to even.
      return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
    }
    case 1: return Math.floor(x);
    case 2: return Math.ceil(x);
    default: return Math.trunc(x);
  }
}

/** Next representable double toward +inf (dir 1) or -inf (dir -1). */
function nextToward(v: number, dir: number): number {
  if (v === 0) return dir > 0 ? 5e-324 : -5e-324;
  F[0] = v;
  let lo = I[0] >>> 0, hi = I[1];
  // Moving away from zero increments the magnitude bits, toward zero decrements them.
  if ((v > 0) === (dir > 0)) { lo = (lo + 1) >>> 0; if (lo === 0) hi++; }
  else { if (lo === 0) hi--; lo = (lo - 1) >>> 0; }
  I[0] = lo; I[1] = hi;
  return F[0];
}

/** Split for Dekker's exact product (a = hi + lo with 26-bit halves). */
function twoProdErr(a: number, b: number, p: number): number {
  const SPLIT = 134217729; // 2^27 + 1
  let t = SPLIT * a; const ah = t - (t - a), al = a - ah;
  t = SPLIT * b; const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/**
 * a*b - p exactly up to a positive power-of-two factor (only its sign is used): the
 * operands are scaled near 1 first so Dekker's split neither overflows nor underflows.
 */
function prodErr(a: number, b: number, p: number): number {
  const ea = Math.floor(Math.log2(Math.abs(a))), eb = Math.floor(Math.log2(Math.abs(b)));
  return twoProdErr(scale2(a, -ea), scale2(b, -eb), scale2(p, -(ea + eb)));
}

/**
 * Adjust a round-to-nearest result r for rounding control rc, given the sign of the
 * exact error (exact - r): positive means r is below the exact value.
 */
function directed(r: number, err: number, rc: number): number {
  if (err === 0 || rc === 0) return r;
  if (rc === 1) return err < 0 ? nextToward(r, -1) : r;
  if (rc === 2) return err > 0 ? nextToward(r, 1) : r;
  // Toward zero: step back when r's magnitude is beyond the exact value.
  return (r > 0 && err < 0) || (r < 0 && err > 0) ? nextToward(r, r > 0 ? -1 : 1) : r;
}

export class Fpu {
  /** Physical registers R0..R7; ST(i) is R[(top + i) & 7]. */
  readonly regs: Float64Array;
  readonly s: Int32Array;

  constructor(c: Cpu) {
    this.regs = new Float64Array(c.s.buffer, c.s.byteOffset + FPU_REGS_BYTE, 8);
    this.s = c.s;
  }

  /** FNINIT state: all registers empty, CW 0x37F (all exceptions masked, 64-bit precision, nearest). */
  reset(): void {
    const s = this.s;
    s[FPU_CW] = 0x37f;
    s[FPU_SW] = 0;
    s[FPU_TOP] = 0;
    s[FPU_TAG] = 0xffff;
    s[FPU_FIP] = s[FPU_FCS] = s[FPU_FOO] = s[FPU_FOS] = s[FPU_FOP] = 0;
    // Register contents survive fninit (fnsave shows them); only the tags say empty.
  }

  // ---- Status and exceptions ----

  /** The architectural status word, TOP included. */
  get sw(): number { const s = this.s; return ((s[FPU_SW] & ~0x3800) | (s[FPU_TOP] << 11)) & 0xffff; }
  set sw(v: number) {
    const s = this.s;
    s[FPU_TOP] = (v >> 11) & 7;
    s[FPU_SW] = v & ~0x3800 & 0xffff;
  }
  get rc(): number { return (this.s[FPU_CW] >> 10) & 3; }

  /** Recompute ES/B after the control word or status word changed wholesale (fldcw, fldenv). */
  syncPending(): void {
    const s = this.s;
    const un = s[FPU_SW] & ~s[FPU_CW] & 0x3f;
    s[FPU_SW] = un ? s[FPU_SW] | ES | BUSY : s[FPU_SW] & ~(ES | BUSY);
  }

  /**
   * Record exception flags. An unmasked one makes the next waiting FPU instruction fault
   * (#MF, SIGFPE); unmasked IE/DE/ZE also cancel the current op's result (throw ABORT).
   */
  raise(flags: number): void {
    const s = this.s;
    s[FPU_SW] |= flags;
    const un = flags & ~s[FPU_CW] & 0x3f;
    if (un) {
      s[FPU_SW] |= ES | BUSY;
      if (un & (IE | DE | ZE)) throw ABORT;
    }
  }
  setCC(cc: number): void { const s = this.s; s[FPU_SW] = (s[FPU_SW] & ~CC_MASK) | cc; }

  // ---- Stack ----

  phys(i: number): number { return (this.s[FPU_TOP] + i) & 7; }
  isEmpty(p: number): boolean { return ((this.s[FPU_TAG] >> (p * 2)) & 3) === 3; }

  /** ST(i), or the indefinite after a (masked) stack underflow. */
  st(i: number): number {
    const p = (this.s[FPU_TOP] + i) & 7;
    if (((this.s[FPU_TAG] >> (p * 2)) & 3) === 3) return this.underflow();
    return this.regs[p];
  }
  underflow(): number {
    this.s[FPU_SW] &= ~C1;
    this.raise(IE | SF);
    return INDEF;
  }
  /** Write a computed value to ST(i) (marks it valid, drops its shadow). */
  set(i: number, v: number): void {
    const s = this.s;
    const p = (s[FPU_TOP] + i) & 7;
    this.regs[p] = v;
    s[FPU_TAG] &= ~(3 << (p * 2));
    s[FPU_XVALID] &= ~(1 << p);
  }
  /** Check that a push has room; on overflow the masked response pushes the indefinite. */
  private pushSlot(): number {
    const s = this.s;
    const p = (s[FPU_TOP] - 1) & 7;
    if (((s[FPU_TAG] >> (p * 2)) & 3) !== 3) {
      s[FPU_SW] |= C1;
      this.raise(IE | SF);
      s[FPU_TOP] = p;
      this.set(0, INDEF);
      return -1;
    }
    return p;
  }
  push(v: number): void {
    const p = this.pushSlot();
    if (p < 0) return;
    const s = this.s;
    s[FPU_TOP] = p;
    this.regs[p] = v;
    s[FPU_TAG] &= ~(3 << (p * 2));
    s[FPU_XVALID] &= ~(1 << p);
  }
  /** Push a value with its exact 80-bit form. */
  pushX(v: number, lo: number, hi: number, se: number): void {
    const p = this.pushSlot();
    if (p < 0) return;
    this.s[FPU_TOP] = p;
    this.regs[p] = v;
    this.s[FPU_TAG] &= ~(3 << (p * 2));
    this.setShadow(p, lo, hi, se);
  }
  /** Push a copy of physical register q (value and shadow). */
  pushCopy(q: number): void {
    if (this.isEmpty(q)) { this.push(this.underflow()); return; }
    const p = this.pushSlot();
    if (p < 0) return;
    this.s[FPU_TOP] = p;
    this.copyPhys(p, q);
  }
  pop(): void {
    const s = this.s;
    const p = s[FPU_TOP];
    s[FPU_TAG] |= 3 << (p * 2);
    s[FPU_TOP] = (p + 1) & 7;
  }
  /** Copy physical register q to p, shadow included; p becomes valid. */
  copyPhys(p: number, q: number): void {
    const s = this.s;
    this.regs[p] = this.regs[q];
    s[FPU_TAG] &= ~(3 << (p * 2));
    if (s[FPU_XVALID] & (1 << q)) this.setShadow(p, s[FPU_X80 + q * 3], s[FPU_X80 + q * 3 + 1], s[FPU_X80 + q * 3 + 2]);
    else s[FPU_XVALID] &= ~(1 << p);
  }
  setShadow(p: number, lo: number, hi: number, se: number): void {
    const s = this.s;
    s[FPU_X80 + p * 3] = lo; s[FPU_X80 + p * 3 + 1] = hi; s[FPU_X80 + p * 3 + 2] = se & 0xffff;
    s[FPU_XVALID] |= 1 << p;
  }
  hasShadow(p: number): boolean { return (this.s[FPU_XVALID] & (1 << p)) !== 0; }

  /** The exact 80-bit form of physical register p: [lo, hi, sign|exponent]. */
  ext(p: number): [number, number, number] {
    const s = this.s;
    if (s[FPU_XVALID] & (1 << p)) return [s[FPU_X80 + p * 3], s[FPU_X80 + p * 3 + 1], s[FPU_X80 + p * 3 + 2]];
    return f64ToX80(this.regs[p]);
  }

  /**
   * ST(0) as a double for fst m64. From an exact 80-bit shadow this is a real rounding:
   * honour rounding control and report PE, C1 (rounded up), OE and UE as the x87 does.
   */
  toDouble(p: number): number {
    let v = this.regs[p];
    const s = this.s;
    if (!(s[FPU_XVALID] & (1 << p)) || v !== v) return v;
    const lo = s[FPU_X80 + p * 3], hi = s[FPU_X80 + p * 3 + 1], se = s[FPU_X80 + p * 3 + 2];
    if ((se & 0x7fff) === 0x7fff) return v;
    const [vl, vh, ve] = f64ToX80(v);
    const exact = (se & 0x7fff) === (ve & 0x7fff) && hi === vh && lo === vl && v - v === 0;
    if (exact) return v;
    // Magnitude of v above the exact value?
    const ea = se & 0x7fff, eb = ve & 0x7fff;
    let up = v - v !== 0 || (eb !== ea ? eb > ea : (vh >>> 0) !== (hi >>> 0) ? (vh >>> 0) > (hi >>> 0) : (vl >>> 0) > (lo >>> 0));
    const rc = this.rc, neg = (se & 0x8000) !== 0;
    if (rc !== 0) {
      // Directed rounding: toward zero never rounds up in magnitude; down/up do on the matching sign.
      const wantUp = rc === 1 ? neg : rc === 2 ? !neg : false;
      if (v - v !== 0) { if (!wantUp) v = neg ? -Number.MAX_VALUE : Number.MAX_VALUE; }
      else if (up !== wantUp) v = nextToward(v, (up ? -1 : 1) * (neg ? -1 : 1));
      up = wantUp;
    }
    if (v - v !== 0 || (v === Number.MAX_VALUE || v === -Number.MAX_VALUE) && ea > 1023 + 16383) this.raise(OE);
    else if (Math.abs(v) < MIN_NORMAL) this.raise(UE);
    if (up) s[FPU_SW] |= C1;
    this.raise(PE);
    return v;
  }

  /** The tag word as fnstenv reports it: classify each non-empty register. */
  tagWord(): number {
    const s = this.s;
    let t = 0;
    for (let p = 0; p < 8; p++) {
      let tag = 3;
      if (!this.isEmpty(p)) {
        const [lo, hi, se] = this.ext(p);
        const e = se & 0x7fff;
        if (e === 0x7fff || (e !== 0 && !(hi & 0x80000000)) || (e === 0 && (hi | lo) !== 0)) tag = 2;
        else tag = e === 0 ? 1 : 0;
      }
      t |= tag << (p * 2);
    }
    return t;
  }

  // ---- Arithmetic core ----

  /**
   * a op b for op 0 add, 1 mul, 4 sub, 6 div (subr/divr swap operands before calling).
   * Handles NaN propagation, invalid operations, division by zero, rounding and
   * precision control.
   */
  arith(op: number, a: number, b: number): number {
    let r: number;
    switch (op) {
      case 0: r = a + b; break;
      case 1: r = a * b; break;
      case 4: r = a - b; break;
      default: r = a / b; break;
    }
    if (r !== r) return this.nanResult(a, b);
    const cw = this.s[FPU_CW];
    // Fast path: round to nearest, precision double or extended, finite normal result.
    const ar = r < 0 ? -r : r;
    if ((cw & 0xe00) === 0x200 && ar >= MIN_NORMAL && ar < Infinity) return r;
    return this.arithSlow(op, a, b, r, cw);
  }

  private arithSlow(op: number, a: number, b: number, r: number, cw: number): number {
    if (r - r !== 0) {
      // Infinite result: from an infinite operand (exact), x/0 (ZE) or overflow (OE).
      if (a - a !== 0 || b - b !== 0) return r;
      if (op === 6 && b === 0) { this.raise(ZE); return r; }
      this.raise(OE | PE);
      if ((cw & 0xc00) === 0) return r;
    }
    const rc = (cw >> 10) & 3;
    if (r === 0 && (op === 1 || op === 6) && a !== 0 && b !== 0 && a - a === 0 && b - b === 0) return this.tiny(op, a, b, cw);
    if (r === 0) {
      // Exact zero of a sum: -0 when rounding down, unless both addends are +0 (IEEE 754 6.3).
      if (rc === 1 && (op === 0 || op === 4)) {
        const bb = op === 0 ? b : -b;
        r = a === 0 && bb === 0 ? (1 / a < 0 || 1 / bb < 0 ? -0 : 0) : -0;
      }
      return r;
    }
    if (r > -MIN_NORMAL && r < MIN_NORMAL && a - a === 0 && b - b === 0) return this.tiny(op, a, b, cw);
    if (rc !== 0) {
      let err: number;
      if (r - r !== 0) {
        // Overflowed to inf under directed rounding: the largest finite value when rounding toward zero.
        const pos = r > 0;
        if (rc === 3 || (rc === 1 && pos) || (rc === 2 && !pos)) r = pos ? Number.MAX_VALUE : -Number.MAX_VALUE;
        return r;
      }
      switch (op) {
        case 0: case 4: {
          const bb = op === 0 ? b : -b;
          const bv = r - a, av = r - bv;
          err = (a - av) + (bb - bv);
          break;
        }
        case 1: err = prodErr(a, b, r); break;
        default: err = b === 0 || a - a !== 0 || b - b !== 0 ? 0 : -prodErr(r, b, a); break;
      }
      // Division: the sign of a - r*b (times sign of b) says which side the quotient lies on.
      if (op === 6 && err !== 0 && b < 0) err = -err;
      r = directed(r, err, rc);
      if (r - r !== 0) this.raise(OE | PE); // stepped past the largest finite value
    }
    if (((cw >> 8) & 3) === 0) r = Math.fround(r);
    return r;
  }

  /**
   * A result in the denormal range. The x87 rounds to the precision first (exponent
   * unbounded) and denormalises when storing, so round twice the same way: compute
   * with an operand scaled into the normal range, then scale back (one more rounding).
   */
  private tiny(op: number, a: number, b: number, cw: number): number {
    const ea = Math.floor(Math.log2(Math.abs(a))), eb = Math.floor(Math.log2(Math.abs(b)));
    let r: number, n: number;
    switch (op) {
      case 1: case 6: {
        const x = scale2(a, -ea), y = scale2(b, -eb);
        n = op === 1 ? ea + eb : ea - eb;
        r = this.arithSlow(op, x, y, op === 1 ? x * y : x / y, cw);
        break;
      }
      default: {
        // Both addends are tiny here (a larger one would give a larger sum).
        n = -1000;
        const x = a * 2 ** 1000, y = b * 2 ** 1000;
        r = this.arithSlow(op, x, y, op === 0 ? x + y : x - y, cw);
        break;
      }
    }
    const t = scale2(r, n);
    const rc = (cw >> 10) & 3;
    const u = rc === 0 ? t : directed(t, r - scale2(t, -n), rc);
    if (scale2(u, -n) !== r || u === 0) this.raise(UE | PE);
    return u;
  }

  sqrt(a: number): number {
    if (a !== a) return this.nanResult(a, a);
    if (a < 0) { this.raise(IE); return INDEF; }
    let r = Math.sqrt(a);
    const cw = this.s[FPU_CW];
    if ((cw & 0xc00) !== 0 && r - r === 0 && r !== 0) r = directed(r, -prodErr(r, r, a), (cw >> 10) & 3);
    return r;
  }

  /** Result for an op with a NaN result: propagate an operand NaN (quieted) or raise IE. */
  nanResult(a: number, b: number): number {
    const an = a !== a, bn = b !== b;
    if (!an && !bn) { this.raise(IE); return INDEF; }
    const ah = hiBits(a), al = loBits(a), bh = hiBits(b), bl = loBits(b);
    const aS = an && !(ah & 0x80000), bS = bn && !(bh & 0x80000);
    if (aS || bS) this.raise(IE);
    let h: number, l: number;
    if (an && bn && aS !== bS) {
      // SNaN and QNaN: the QNaN (SDM vol.1 table 4-7).
      if (aS) { h = bh; l = bl; } else { h = ah; l = al; }
    } else if (an && bn) {
      // Two NaNs of one kind: the larger significand; on a tie the positive one (measured).
      const am = ah & 0x7ffff, bm = bh & 0x7ffff;
      if (bm > am || (bm === am && ((bl >>> 0) > (al >>> 0) || (bl === al && bh >= 0)))) { h = bh; l = bl; } else { h = ah; l = al; }
    } else if (an) { h = ah; l = al; } else { h = bh; l = bl; }
    return fromBits(h | 0x80000, l);
  }

  /** C3/C2/C0 for comparing a with b; unordered raises IE (always for fcom, SNaN only for fucom). */
  compare(a: number, b: number, quiet: boolean): number {
    if (a > b) return 0;
    if (a < b) return C0;
    if (a === b) return C3;
    if (!quiet || isSNaN(a) || isSNaN(b)) this.raise(IE);
    return C3 | C2 | C0;
  }
}

export function isSNaN(v: number): boolean { return v !== v && !(hiBits(v) & 0x80000); }

// ---- Format conversions ----

/** m32 float bits -> double (exact); NaNs keep their payload (quieting is the caller's job). */
export function f32ToF64(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) {
    const m = bits & 0x7fffff;
    return fromBits((bits & 0x80000000) | 0x7ff00000 | (m >>> 3), (m & 7) << 29);
  }
  I32[0] = bits;
  return F32[0];
}

/** double -> float by rounding control; returns the bits and reports PE/OE/UE/C1 to the FPU. */
export function f64ToF32(f: Fpu, v: number): number {
  if (v !== v) {
    if (isSNaN(v)) f.raise(IE);
    const h = hiBits(v), l = loBits(v);
    return (h & 0x80000000) | 0x7fc00000 | ((h & 0xfffff) << 3) | (l >>> 29);
  }
  let r = Math.fround(v);
  if (r !== v && v - v === 0) {
    const rc = f.rc;
    const pos = v > 0;
    if (r - r !== 0) {
      f.raise(OE | PE);
      if (rc === 3 || (rc === 1 && pos) || (rc === 2 && !pos)) r = pos ? 3.4028234663852886e38 : -3.4028234663852886e38;
    } else {
      if (rc !== 0) {
        const err = v - r;
        if (rc === 1 && err < 0) r = nextF32(r, -1);
        else if (rc === 2 && err > 0) r = nextF32(r, 1);
        else if (rc === 3 && Math.abs(r) > Math.abs(v)) r = nextF32(r, pos ? -1 : 1);
      }
      if (Math.abs(r) < 1.1754943508222875e-38) f.raise(UE | PE); else f.raise(PE);
    }
    if (Math.abs(r) > Math.abs(v)) f.s[FPU_SW] |= C1;
  }
  F32[0] = r;
  return I32[0];
}
function nextF32(v: number, dir: number): number {
  F32[0] = v;
  if (v === 0) { I32[0] = dir > 0 ? 1 : 0x80000001 | 0; return F32[0]; }
  I32[0] += (v > 0) === (dir > 0) ? 1 : -1;
  return F32[0];
}

/** double -> exact 80-bit [significand lo, hi, sign|exponent]. */
export function f64ToX80(v: number): [number, number, number] {
  F[0] = v;
  const hi = I[1], lo = I[0];
  const sign = (hi >>> 16) & 0x8000;
  const e = (hi >>> 20) & 0x7ff;
  const m = hi & 0xfffff;
  if (e === 0x7ff) return [lo << 11, (0x80000000 | (m << 11) | (lo >>> 21)) | 0, sign | 0x7fff];
  if (e === 0) {
    if ((m | lo) === 0) return [0, 0, sign];
    // Denormal double: normal in 80-bit. Normalise the 52-bit fraction.
    let mh = m, ml = lo >>> 0, exp = 1 - 1023 + 16383;
    const sh = mh ? Math.clz32(mh) - 11 : 21 + Math.clz32(ml);
    // Shift left by sh so bit 52 is set: then place like a normal double.
    if (sh >= 32) { mh = (ml << (sh - 32)) & 0x1fffff; ml = 0; }
    else if (sh > 0) { mh = ((mh << sh) | (ml >>> (32 - sh))) & 0x1fffff; ml = (ml << sh) >>> 0; }
    exp -= sh;
    return [ml << 11, (0x80000000 | ((mh & 0xfffff) << 11) | (ml >>> 21)) | 0, sign | exp];
  }
  return [lo << 11, (0x80000000 | (m << 11) | (lo >>> 21)) | 0, sign | (e - 1023 + 16383)];
}

/** Exact 80-bit -> double, rounded to nearest (values beyond double range become inf / 0). */
export function x80ToF64(lo: number, hi: number, se: number): number {
  const sign = se & 0x8000 ? -1 : 1;
  const e = se & 0x7fff;
  if (e === 0x7fff) {
    if ((hi & 0x7fffffff) === 0 && lo === 0) return sign * Infinity;
    // NaN: keep the top payload bits; pseudo-NaNs/infinities load as NaN too.
    let h = ((hi >>> 11) & 0xfffff), l = ((hi << 21) | (lo >>> 11));
    if ((h | l) === 0 || !(hi & 0x80000000)) h |= 0x80000;
    return fromBits((se & 0x8000 ? 0x80000000 : 0) | 0x7ff00000 | h, l);
  }
  if (!(hi & 0x80000000) && e !== 0) return INDEF; // unnormal: unsupported format
  // One rounding in the addition (2^32*hi exact + lo exact) gives nearest-even to 53 bits.
  const m = (hi >>> 0) * TWO32 + (lo >>> 0);
  if (m === 0) return sign * 0;
  return sign * scale2(m, (e === 0 ? 1 : e) - 16383 - 63);
}

/** Exact 80-bit of a signed integer below 2^64 in magnitude (BigInt: rare path). */
export function intToX80(v: bigint): [number, number, number] {
  if (v === 0n) return [0, 0, 0];
  const sign = v < 0n ? 0x8000 : 0;
  let m = v < 0n ? -v : v;
  let exp = 16383 + 63;
  while (!(m & (1n << 63n))) { m <<= 1n; exp--; }
  return [Number(m & 0xffffffffn) | 0, Number(m >> 32n) | 0, sign | exp];
}

/** Exact 80-bit rounded to an integer by rc, as a BigInt (null for NaN/inf). */
export function x80ToBigInt(lo: number, hi: number, se: number, rc: number): bigint | null {
  const e = se & 0x7fff;
  if (e === 0x7fff) return null;
  const neg = (se & 0x8000) !== 0;
  const m = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  const sh = (e === 0 ? 1 : e) - 16383 - 63;
  let q: bigint;
  if (sh >= 0) {
    if (sh > 70) return null;
    q = m << BigInt(sh);
  } else {
    const n = BigInt(Math.min(-sh, 70));
    q = m >> n;
    const rem = m - (q << n), half = 1n << (n - 1n);
    let up = false;
    if (rem !== 0n) {
      if (rc === 0) up = rem > half || (rem === half && (q & 1n) === 1n);
      else if (rc === 1) up = neg;
      else if (rc === 2) up = !neg;
    }
    if (up) q += 1n;
  }
  return neg ? -q : q;
}

// ---- Integer and BCD formats ----

/** Integer store: round by rc, range-check, report PE/C1; returns the value or null (invalid). */
export function toInt(f: Fpu, v: number, bits: number): number | null {
  const r = roundInt(v, f.rc);
  const lim = 2 ** (bits - 1);
  if (!(r >= -lim && r < lim)) { f.raise(IE); return null; }
  if (r !== v) {
    if (Math.abs(r) > Math.abs(v)) f.s[FPU_SW] |= C1;
    f.raise(PE);
  }
  return r;
}

/** Packed BCD (10 bytes) -> BigInt. Invalid digits give undefined results on hardware; decode anyway. */
export function bcdToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 8; i >= 0; i--) v = v * 100n + BigInt((b[i] >> 4) * 10 + (b[i] & 15));
  return b[9] & 0x80 ? -v : v;
}
export function bigIntToBcd(v: bigint, out: Uint8Array): void {
  out[9] = v < 0n ? 0x80 : 0;
  let m = v < 0n ? -v : v;
  for (let i = 0; i < 9; i++) {
    const d = Number(m % 100n);
    m /= 100n;
    out[i] = ((Math.floor(d / 10)) << 4) | (d % 10);
  }
}

// ---- Environment and full-state images (32-bit protected-mode format) ----

/** fnstenv image: 7 dwords. Reserved halves read as 0xffff, as measured natively. */
export function envWords(c: Cpu): number[] {
  const s = c.s, f = c.fpu;
  const fip = s[FPU_FIP], foo = s[FPU_FOO];
  // Selectors are not tracked per instruction: user code has CS 0x23 and DS 0x2b.
  const fcs = fip !== 0 || s[FPU_FOP] !== 0 ? 0x23 : 0;
  const fos = foo !== 0 ? 0x2b : 0;
  return [
    0xffff0000 | s[FPU_CW], 0xffff0000 | f.sw, 0xffff0000 | f.tagWord(),
    fip, fcs | ((s[FPU_FOP] & 0x7ff) << 16), foo, 0xffff0000 | fos,
  ].map((x) => x | 0);
}
export function loadEnvWords(c: Cpu, w: ArrayLike<number>): void {
  const s = c.s, f = c.fpu;
  s[FPU_CW] = (w[0] & 0x1f3f) | 0x40;
  f.sw = w[1] & 0xffff;
  // Only "empty" matters for the register file; other tags are recomputed on save.
  let tag = 0;
  for (let p = 0; p < 8; p++) if (((w[2] >> (p * 2)) & 3) === 3) tag |= 3 << (p * 2);
  s[FPU_TAG] = tag;
  s[FPU_FIP] = w[3];
  s[FPU_FOP] = (w[4] >>> 16) & 0x7ff;
  s[FPU_FOO] = w[5];
  f.syncPending();
}

/** The 108-byte fnsave image into out[off..]. Registers in ST order, as 80-bit values. */
export function fsaveTo(c: Cpu, out: Uint8Array, off: number): void {
  const dv = new DataView(out.buffer, out.byteOffset);
  const env = envWords(c);
  for (let i = 0; i < 7; i++) dv.setInt32(off + i * 4, env[i], true);
  const f = c.fpu;
  for (let i = 0; i < 8; i++) {
    const [lo, hi, se] = f.ext(f.phys(i));
    const o = off + 28 + i * 10;
    dv.setInt32(o, lo, true); dv.setInt32(o + 4, hi, true); dv.setUint16(o + 8, se, true);
  }
}
export function frstorFrom(c: Cpu, area: Uint8Array, off: number): void {
  const dv = new DataView(area.buffer, area.byteOffset);
  const w: number[] = [];
  for (let i = 0; i < 7; i++) w.push(dv.getInt32(off + i * 4, true));
  loadEnvWords(c, w);
  const f = c.fpu;
  for (let i = 0; i < 8; i++) {
    const o = off + 28 + i * 10;
    const lo = dv.getInt32(o, true), hi = dv.getInt32(o + 4, true), se = dv.getUint16(o + 8, true);
    const p = f.phys(i);
    f.regs[p] = x80ToF64(lo, hi, se);
    f.setShadow(p, lo, hi, se);
  }
}

/** fnsave to guest memory at addr (no re-initialisation; the caller does fninit). Throws PageFault. */
export function fsave(c: Cpu, addr: number): void {
  const buf = new Uint8Array(108);
  fsaveTo(c, buf, 0);
  c.mem.writeSlow(addr >>> 0, 108);
  for (let i = 0; i < 108; i++) c.mem.write8((addr + i) >>> 0, buf[i]);
}
/** frstor from guest memory at addr. Throws PageFault. */
export function frstor(c: Cpu, addr: number): void {
  const buf = new Uint8Array(108);
  for (let i = 0; i < 108; i++) buf[i] = c.mem.read8((addr + i) >>> 0);
  frstorFrom(c, buf, 0);
}

// ---- MMX aliasing (shared with the x87 work) ----
// MMi is the 64-bit significand of physical register Ri (SDM Vol. 1, 9.5 "Compatibility
// with x87 FPU architecture"). Every MMX instruction but EMMS sets TOP to 0 and all tags
// to valid (00); a write stores the value as the significand with sign/exponent 0xFFFF.
// Here registers are float64 with an exact 80-bit shadow: the shadow carries the bits.

/** MMX entry: TOP = 0, all registers valid. */
function mmxEnter(c: Cpu): void {
  const s = c.s;
  s[FPU_TOP] = 0;
  s[FPU_TAG] = 0;
}
/** Read MMi into out[0] (low dword) and out[1] (high dword). */
export function mmxGet(c: Cpu, i: number, out: Int32Array): void {
  mmxEnter(c);
  const s = c.s;
  if (s[FPU_XVALID] & (1 << i)) { out[0] = s[FPU_X80 + i * 3]; out[1] = s[FPU_X80 + i * 3 + 1]; return; }
  const [lo, hi] = f64ToX80(c.fpu.regs[i]);
  out[0] = lo; out[1] = hi;
}
/** Write MMi (exponent field 0xFFFF, sign set, as the CPU stores it). */
export function mmxSet(c: Cpu, i: number, lo: number, hi: number): void {
  mmxEnter(c);
  c.fpu.regs[i] = x80ToF64(lo, hi, 0xffff);
  c.fpu.setShadow(i, lo, hi, 0xffff);
}
/** EMMS: all tags empty and TOP 0 (SDM Vol. 1 Table 9-2; measured on the host CPU by test/cpu/sse/int.c). */
export function emms(c: Cpu): void {
  c.s[FPU_TAG] = 0xffff;
  c.s[FPU_TOP] = 0;
}
