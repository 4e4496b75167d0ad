/**
 * IEEE 754 single/double arithmetic with MXCSR semantics (SDM Vol. 1, 11.5 "SSE, SSE2 and
 * SSE3 exceptions", 4.8.3 NaN handling, Table 4-7; 10.2.3 MXCSR): rounding control,
 * DAZ/FTZ, sticky exception flags and unmasked exceptions, and the NaN rules of SSE (a
 * NaN result is the first source's NaN if it is one, else the second's, quieted; an
 * invalid operation without a NaN operand gives the default NaN, sign set).
 *
 * A result is first computed with JS float64 arithmetic; where that provably gives the
 * CPU's bits (round to nearest, result far from the subnormal and overflow ranges) it is
 * used with an error-free transform deciding the inexact flag. Otherwise the exact value
 * is built with BigInt (sum, product, or quotient/square root with a sticky bit) and
 * rounded by `roundExact` to the format, which implements every rounding mode, gradual
 * underflow, FTZ and overflow.
 *
 * Tininess is detected after rounding, as on x86 (Berkeley SoftFloat's 8086 profile:
 * softfloat_tininess_afterRounding; checked against the host CPU by
 * test/cpu/sse/fp.c's underflow cases).
 */
import { CpuException, type Cpu } from '../cpu.js';
import { SIGFPE } from '../../abi/signals.js';
import { MXCSR } from './sse-dispatch.js';

export const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32, DAZ = 0x40, FTZ = 0x8000;
/** FPE_* si_codes (asm-generic/siginfo.h). */
const FPE_FLTDIV = 3, FPE_FLTOVF = 4, FPE_FLTUND = 5, FPE_FLTRES = 6, FPE_FLTINV = 7;

/** A binary format: precision p (bits, hidden bit included), minimum normal exponent, maximum exponent. */
export interface Fmt { p: number; emin: number; emax: number; bias: number }
export const SINGLE: Fmt = { p: 24, emin: -126, emax: 127, bias: 127 };
export const DOUBLE: Fmt = { p: 53, emin: -1022, emax: 1023, bias: 1023 };

const BUF = new ArrayBuffer(8);
const F64v = new Float64Array(BUF), I32v = new Int32Array(BUF), F32v = new Float32Array(BUF);

export function f64Bits(v: number): [number, number] { F64v[0] = v; return [I32v[0], I32v[1]]; }
export function bitsF64(lo: number, hi: number): number { I32v[0] = lo; I32v[1] = hi; return F64v[0]; }
export function f32Bits(v: number): number { F32v[0] = v; return I32v[0]; }
export function bitsF32(b: number): number { I32v[0] = b; return F32v[0]; }

/**
 * Record exceptions `flags` of one operation in MXCSR. If any of them is unmasked, the
 * instruction faults (#XM, SIGFPE) before writing its destination; the si_code comes from
 * all unmasked flags set in MXCSR, in Linux's order (fpu__exception_code); si_addr is the
 * instruction's address `ip`.
 */
export function raise(c: Cpu, flags: number, ip: number): void {
  if (flags === 0) return;
  const s = c.s;
  // An unmasked pre-computation exception (IE, DE, ZE) in any lane stops the instruction
  // before the post-computation ones (OE, UE, PE) of any lane are reported (SDM Vol. 1
  // 11.5.1; measured with dpps: an unmasked IE leaves MXCSR with IE|DE, not the PE|UE of
  // the other lanes' products).
  if (flags & ~(s[MXCSR] >> 7) & (IE | DE | ZE)) flags &= IE | DE | ZE;
  const m = (s[MXCSR] |= flags);
  if (flags & ~(m >> 7) & 0x3f) {
    const err = ~(m >> 7) & m & 0x3f;
    const code = err & IE ? FPE_FLTINV : err & ZE ? FPE_FLTDIV : err & OE ? FPE_FLTOVF : err & (UE | DE) ? FPE_FLTUND : FPE_FLTRES;
    throw new CpuException(SIGFPE, code, ip, 19); // si_addr: the instruction (math_error)
  }
}

/**
 * A decoded operand: class and, for finite non-zero values, the exact value m * 2^e
 * (m a positive integer below 2^p).
 */
export interface Val { neg: boolean; kind: 'zero' | 'fin' | 'inf' | 'nan'; m: bigint; e: number; snan: boolean }

/** Decode single-precision bits (DAZ applied by the caller via `daz`). */
export function dec32(b: number): Val {
  const neg = b < 0, ex = (b >>> 23) & 0xff, fr = b & 0x7fffff;
  if (ex === 0xff) return { neg, kind: fr ? 'nan' : 'inf', m: 0n, e: 0, snan: fr !== 0 && !(fr & 0x400000) };
  if (ex === 0) return fr === 0 ? { neg, kind: 'zero', m: 0n, e: 0, snan: false } : { neg, kind: 'fin', m: BigInt(fr), e: -149, snan: false };
  return { neg, kind: 'fin', m: BigInt(fr | 0x800000), e: ex - 150, snan: false };
}
export function dec64(lo: number, hi: number): Val {
  const neg = hi < 0, ex = (hi >>> 20) & 0x7ff, fh = hi & 0xfffff;
  const nz = fh !== 0 || lo !== 0;
  if (ex === 0x7ff) return { neg, kind: nz ? 'nan' : 'inf', m: 0n, e: 0, snan: nz && !(fh & 0x80000) };
  const frac = (BigInt(fh) << 32n) | BigInt(lo >>> 0);
  if (ex === 0) return nz ? { neg, kind: 'fin', m: frac, e: -1074, snan: false } : { neg, kind: 'zero', m: 0n, e: 0, snan: false };
  return { neg, kind: 'fin', m: frac | (1n << 52n), e: ex - 1075, snan: false };
}

const bitLen = (m: bigint): number => m.toString(2).length;

/**
 * Round the exact value (-1)^neg * (m + sticky) * 2^e (m > 0; `sticky` says a non-zero
 * fraction below m's last bit was dropped) to `f` under rounding control rc (0 nearest,
 * 1 down, 2 up, 3 toward zero) and FTZ. Returns the encoding: single bits, or [lo, hi].
 */
export function roundExact(neg: boolean, m: bigint, e: number, sticky: boolean, f: Fmt, mx: number): { bits: number[]; flags: number } {
  const rc = (mx >> 13) & 3, ueMasked = (mx & 0x800) !== 0, ftz = (mx & FTZ) !== 0 && ueMasked;
  const len = bitLen(m);
  const top = e + len - 1; // exponent of the leading bit
  const minQ = f.emin - (f.p - 1);
  let q = Math.max(top - (f.p - 1), minQ);
  let mm: bigint, inexact = sticky, up = false;
  const shift = q - e;
  if (shift > 0) {
    const sh = BigInt(shift);
    mm = m >> sh;
    const rem = m & ((1n << sh) - 1n), half = 1n << (sh - 1n);
    if (rem !== 0n) inexact = true;
    if (inexact) {
      if (rc === 0) up = rem > half || (rem === half && (sticky || (mm & 1n) === 1n));
      else up = rc === 1 ? neg : rc === 2 ? !neg : false;
    }
  } else {
    mm = m << BigInt(-shift);
    if (sticky) up = rc === 0 ? false : rc === 1 ? neg : rc === 2 ? !neg : false;
  }
  if (up) mm += 1n;
  if (mm === 1n << BigInt(f.p)) { mm >>= 1n; q += 1; }
  let flags = inexact ? PE : 0;
  if (mm !== 0n && bitLen(mm) - 1 + q > f.emax) {
    flags |= OE | PE;
    const toInf = rc === 0 || (rc === 1 && neg) || (rc === 2 && !neg);
    return { bits: toInf ? enc(f, neg, 0n, 0, 'inf') : enc(f, neg, (1n << BigInt(f.p)) - 1n, f.emax - (f.p - 1), 'fin'), flags };
  }
  // Tininess after rounding: the value rounded to p bits with an unbounded exponent is below 2^emin.
  const tiny = top < f.emin && !(top === f.emin - 1 && roundsToMinNormal(m, e, sticky, f, rc, neg));
  if (tiny) {
    if (ftz) return { bits: enc(f, neg, 0n, 0, 'zero'), flags: UE | PE };
    if (inexact || !ueMasked) flags |= UE;
  }
  if (mm === 0n) return { bits: enc(f, neg, 0n, 0, 'zero'), flags };
  return { bits: enc(f, neg, mm, q, 'fin'), flags };
}
/** Whether a value just below 2^emin rounds up to 2^emin at full precision p (for tininess after rounding). */
function roundsToMinNormal(m: bigint, e: number, sticky: boolean, f: Fmt, rc: number, neg: boolean): boolean {
  const len = bitLen(m), top = e + len - 1;
  const q = top - (f.p - 1), shift = q - e;
  let mm = shift > 0 ? m >> BigInt(shift) : m << BigInt(-shift);
  let inexact = sticky, up = false;
  if (shift > 0) {
    const sh = BigInt(shift), rem = m & ((1n << sh) - 1n), half = 1n << (sh - 1n);
    if (rem !== 0n) inexact = true;
    if (inexact) up = rc === 0 ? rem > half || (rem === half && (sticky || (mm & 1n) === 1n)) : rc === 1 ? neg : rc === 2 ? !neg : false;
  } else if (sticky) up = rc === 1 ? neg : rc === 2 ? !neg : false;
  if (up) mm += 1n;
  return mm === 1n << BigInt(f.p);
}

/** Encode: single -> [bits], double -> [lo, hi]. For 'fin', value mm * 2^q with mm < 2^p. */
function enc(f: Fmt, neg: boolean, mm: bigint, q: number, kind: 'zero' | 'inf' | 'fin'): number[] {
  const fracBits = f.p - 1, expBits = f === SINGLE ? 8 : 11;
  let ex = 0n, frac = 0n;
  if (kind === 'inf') ex = (1n << BigInt(expBits)) - 1n;
  else if (kind === 'fin') {
    if (mm >= 1n << BigInt(fracBits)) { ex = BigInt(q + fracBits + f.bias); frac = mm - (1n << BigInt(fracBits)); } else { ex = 0n; frac = mm; }
  }
  const v = ((neg ? 1n : 0n) << BigInt(fracBits + expBits)) | (ex << BigInt(fracBits)) | frac;
  if (f === SINGLE) return [Number(BigInt.asIntN(32, v))];
  return [Number(BigInt.asIntN(32, v & 0xffffffffn)), Number(BigInt.asIntN(32, v >> 32n))];
}
export const defaultNaN = (f: Fmt): number[] => (f === SINGLE ? [0xffc00000 | 0] : [0, 0xfff80000 | 0]);
export const encZero = (f: Fmt, neg: boolean): number[] => enc(f, neg, 0n, 0, 'zero');
export const encInf = (f: Fmt, neg: boolean): number[] => enc(f, neg, 0n, 0, 'inf');

/** The integer square root of n (floor). */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLen(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
