/**
 * The x87 transcendental and scaling instructions on 80-bit registers: f2xm1, fyl2x,
 * fyl2xp1, fpatan, fptan, fsin, fcos, fsincos (double-double arithmetic, ~2^-100
 * relative, then one rounding to the 64-bit significand under the rounding control),
 * fscale and fprem/fprem1 (exact).
 *
 * The CPU's microcode is not correctly rounded; computing the exact function and
 * rounding it once matches it on most inputs (rates in docs/ISA.md). Argument reduction
 * for fsin/fcos/fptan/fsincos uses the x87's own 66-bit pi (SDM vol.1 8.3.8), exactly,
 * so sin(M_PI) gives the x87's 1.2246063538223773e-16 and not the true-pi value.
 */
import { C0, C1, C2, C3, DE, FPU_SW, type Fpu, IE, PE, UE, ZE } from './fpu.js';
import * as F from './float80.js';

type DD = [number, number];
const SPLIT = 134217729; // 2^27 + 1 (Dekker)
function twoSum(a: number, b: number): DD {
  const s = a + b, bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}
function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}
function add(a: DD, b: DD): DD {
  const s = twoSum(a[0], b[0]), t = twoSum(a[1], b[1]);
  const u = twoSum(s[0], s[1] + t[0]);
  return twoSum(u[0], u[1] + t[1]);
}
const neg = (a: DD): DD => [-a[0], -a[1]];
function mul(a: DD, b: DD): DD {
  const [p, e] = twoProd(a[0], b[0]);
  return twoSum(p, e + (a[0] * b[1] + a[1] * b[0]));
}
function div(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  const r = add(a, neg(mul([q1, 0], b)));
  const q2 = r[0] / b[0];
  const r2 = add(r, neg(mul([q2, 0], b)));
  return add(twoSum(q1, q2), [r2[0] / b[0], 0]);
}
const mulN = (a: DD, n: number): DD => mul(a, [n, 0]);

const LN2: DD = [0.6931471805599453, 2.3190468138462996e-17];
const LOG2E: DD = [1.4426950408889634, 2.0355273740931033e-17];
/** pi * 2^64 rounded to 66 bits, the x87's reduction constant. */
const PI66 = (0xc90fdaa22168c234n << 2n) | 3n;
/**
 * The same 66-bit pi as a double-double: fpatan's pi - atan(|y/x|) for x < 0 uses it too
 * (measured: atan2(2^-64, -1) is 0x4000c90fdaa22168c234, a tie under this pi, where the true
 * pi gives ...c235).
 */
const PI: DD = (() => { const hi = Number(PI66); return [hi * 2 ** -64, Number(PI66 - BigInt(hi)) * 2 ** -64]; })();
const PI_2: DD = [PI[0] / 2, PI[1] / 2];

// ---- 80-bit <-> double-double ----

/** A finite nonzero register as m * 2^e with m in [1, 2) exact as a double-double. */
function split(p: number, f: Fpu): { e: number; m: DD; sg: number } {
  const [e, h, l] = F.unpacked(f.lo(p), f.hi(p), f.se(p));
  const sg = f.se(p) & 0x8000 ? -1 : 1;
  return { e: e - 16383, m: twoSum(sg * h * 2 ** -31, sg * l * 2 ** -63), sg };
}
const D = new Float64Array(1), DI = new Int32Array(D.buffer);
/** A finite double as an exact integer times a power of two: [m, e] with d = m * 2^e. */
function bigOf(d: number): [bigint, number] {
  D[0] = d;
  const hi = DI[1], ex = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(DI[0] >>> 0);
  if (ex) m |= 1n << 52n;
  return [hi < 0 ? -m : m, (ex || 1) - 1075];
}
/**
 * X := sign * mag * 2^e2 rounded once to 64 bits under cw's rounding control, mag a
 * positive integer; `inexact` marks a value known to have more nonzero bits below mag
 * (a sticky bit). These results are never exact to the CPU: PE is always set (measured:
 * f2xm1(-1) = -0.5 sets PE), and UE with it when the result is tiny (denormal), which a
 * rounding of the bits at hand alone would miss when they happen to fit.
 */
function roundBig(neg: boolean, mag: bigint, e2: number, inexact: boolean, cw: number): number {
  const n = mag.toString(2).length;
  let m96: bigint;
  if (n > 96) {
    const sh = BigInt(n - 96);
    m96 = mag >> sh;
    if (inexact || (m96 << sh) !== mag) m96 |= 1n;
  } else {
    m96 = mag << BigInt(96 - n);
    if (inexact) m96 |= 1n;
  }
  const m2 = Number(m96 >> 64n), m1 = Number((m96 >> 32n) & 0xffffffffn), m0 = Number(m96 & 0xffffffffn);
  let fl = F.round80(neg ? 1 : 0, e2 + n - 1 + 16383, m2, m1, m0, cw) | PE;
  if ((F.X[2] & 0x7fff) === 0 && (cw & UE)) fl |= UE; // tiny and (always) inexact
  return fl;
}
/**
 * X := r * 2^e rounded once to 64 bits under cw's rounding control (r a double-double).
 * The two parts are summed exactly as integers and rounded by round80, so the result,
 * C1 and UE come from one rounding even in the denormal range. Returns flags.
 */
function fromDD(r: DD, e: number, cw: number): number {
  if (r[0] === 0) { F.setX(0, 0, 0); return PE; }
  const [a, ea] = bigOf(r[0]);
  let sum = a, es = ea;
  if (r[1] !== 0) {
    const [b, eb] = bigOf(r[1]);
    es = Math.min(ea, eb);
    sum = (a << BigInt(ea - es)) + (b << BigInt(eb - es));
  }
  const neg = sum < 0n;
  return roundBig(neg, neg ? -sum : sum, es + e, false, cw);
}
/**
 * X := the register value v moved by less than half an ulp, toward zero (away = false)
 * or away from it, rounded under cw: a function whose value differs from v by far less
 * than its last bit (sin x or tan x of a tiny x, cos x = 1 - x^2/2), where a
 * double-double sum would lose the direction of the difference.
 */
function nudged(lo: number, hi: number, se: number, away: boolean, cw: number): number {
  const [ue, h, l] = F.unpacked(lo, hi, se);
  const mag = ((BigInt(h >>> 0) << 32n) | BigInt(l >>> 0)) << 8n;
  return roundBig((se & 0x8000) !== 0, away ? mag : mag - 1n, ue - 16383 - 71, true, cw);
}

// ---- Elementary functions in double-double ----

/** 2 atanh(s) = ln((1 + s) / (1 - s)) for |s| < 0.18. */
function atanh2(s: DD): DD {
  const s2 = mul(s, s);
  let t: DD = [1 / 41, 0];
  for (let k = 39; k >= 3; k -= 2) t = add(div([1, 0], [k, 0]), mul(s2, t));
  const r = add(s, mul(mul(s2, s), t));
  return [2 * r[0], 2 * r[1]];
}
/** ln(m * 2^e), m in [1, 2). */
function ln(m: DD, e: number): DD {
  if (m[0] > Math.SQRT2) { m = [m[0] / 2, m[1] / 2]; e++; }
  const s = div(add(m, [-1, 0]), add(m, [1, 0]));
  return add(mulN(LN2, e), atanh2(s));
}
/** e^t - 1 for |t| < 0.75, Taylor series (27 terms reach 2^-110). */
function expm1(t: DD): DD {
  let term: DD = t, sum: DD = t;
  for (let k = 2; k < 40; k++) {
    term = div(mul(term, t), [k, 0]);
    sum = add(sum, term);
    if (Math.abs(term[0]) < Math.abs(sum[0]) * 2 ** -112) break;
  }
  return sum;
}
/** sin and cos of |r| <= pi/4 + a little. */
function sinCos(r: DD): [DD, DD] {
  const r2 = mul(r, r);
  let s: DD = r, c: DD = [1, 0], ts: DD = r, tc: DD = [1, 0];
  for (let k = 1; k < 30; k++) {
    ts = div(mul(ts, r2), [-(2 * k) * (2 * k + 1), 0]);
    tc = div(mul(tc, r2), [-(2 * k - 1) * (2 * k), 0]);
    s = add(s, ts); c = add(c, tc);
    if (Math.abs(tc[0]) < 2 ** -115) break;
  }
  return [s, c];
}

// ---- Instruction bodies ----

const INDEF: [number, number, number] = [0, 0xc0000000 | 0, 0xffff];

/** Shared operand handling: NaN/unsupported operands pick a NaN (and IE); returns true when handled. */
function nanOp(f: Fpu, p: number, q: number, dst: number): boolean {
  const ka = F.classify(f.lo(p), f.hi(p), f.se(p)), kb = F.classify(f.lo(q), f.hi(q), f.se(q));
  if (ka < F.QNAN && kb < F.QNAN) return false;
  f.result(dst, F.nanResult(f.lo(p), f.hi(p), f.se(p), ka, f.lo(q), f.hi(q), f.se(q), kb));
  return true;
}
const cls = (f: Fpu, p: number) => F.classify(f.lo(p), f.hi(p), f.se(p));

export function f2xm1(f: Fpu): void {
  const p = f.sti(0);
  if (nanOp(f, p, p, 0)) return;
  const k = cls(f, p);
  if (k === F.ZERO) return;
  if (k === F.INF) { if (f.se(p) & 0x8000) f.set(0, 0, 0x80000000 | 0, 0xbfff); return; } // 2^-inf - 1 = -1
  if (k === F.DENORMAL) f.raise(DE);
  const { e, m } = split(p, f);
  if (e >= 0) {
    // Outside [-1, 1] the SDM leaves the result undefined; the CPU returns x unchanged with
    // PE. At the ends, 2^-1 - 1 = -0.5 exactly with PE and C1 = 0 in every rounding mode,
    // and 2^1 - 1 comes out as 1 rounded from below: 1 with C1 when rounding to nearest or
    // up, 1 - 2^-64 when rounding down or toward zero (measured, AMD family 25).
    const one = e === 0 && m[1] === 0 && (m[0] === 1 || m[0] === -1);
    if (!one) { f.raise(PE); return; }
    if (m[0] < 0) { f.set(0, 0, 0x80000000 | 0, 0xbffe); f.raise(PE); return; }
    f.result(0, nudged(0, 0x80000000 | 0, 0x3fff, false, f.cw));
    return;
  }
  if (e < -1000) {
    // 2^x - 1 = x ln2 (1 + ...): below double range, the first term decides.
    f.result(0, fromDD(mul(m, LN2), e, f.cw));
    return;
  }
  const x: DD = [m[0] * 2 ** e, m[1] * 2 ** e];
  f.result(0, fromDD(expm1(mul(x, LN2)), 0, f.cw));
}

/** Two-operand: ST(1) <- result, pop. */
function binDone(f: Fpu, flags: number): void {
  f.result(1, flags);
  f.pop();
}

export function fyl2x(f: Fpu): void {
  const p = f.sti(0), q = f.sti(1);
  if (nanOp(f, p, q, 1)) { f.pop(); return; }
  const kx = cls(f, p), ky = cls(f, q);
  const xs = f.se(p) & 0x8000, ys = f.se(q) & 0x8000;
  const den = kx === F.DENORMAL || ky === F.DENORMAL ? DE : 0;
  if (xs && kx !== F.ZERO) { f.raise(IE); f.setIndef(1); f.pop(); return; }
  if (kx === F.ZERO) {
    if (ky === F.ZERO) { f.raise(IE); f.setIndef(1); f.pop(); return; }
    if (ky !== F.INF) f.raise(ZE);
    f.set(1, 0, 0x80000000 | 0, (ys ? 0 : 0x8000) | 0x7fff); f.pop(); return;
  }
  if (den) f.raise(den);
  const { e: ex, m: mx } = split(p, f);
  const isOne = ex === 0 && mx[0] === 1 && mx[1] === 0;
  if (kx === F.INF) {
    if (ky === F.ZERO) { f.raise(IE); f.setIndef(1); f.pop(); return; }
    f.set(1, 0, 0x80000000 | 0, ys | 0x7fff); f.pop(); return;
  }
  if (ky === F.INF) {
    if (isOne) { f.raise(IE); f.setIndef(1); f.pop(); return; }
    f.set(1, 0, 0x80000000 | 0, (ex < 0 ? ys ^ 0x8000 : ys) | 0x7fff); f.pop(); return;
  }
  if (ky === F.ZERO || isOne) {
    // 0 * log2(x) and y * log2(1): exact zeros with the product's sign.
    const s = (ky === F.ZERO ? ys : 0) ^ (ex < 0 ? 0x8000 : 0) ^ (isOne ? ys : 0);
    f.set(1, 0, 0, isOne ? ys ^ (ky === F.ZERO && ex < 0 ? 0x8000 : 0) : s); f.pop(); return;
  }
  if (mx[1] === 0 && (mx[0] === 1 || mx[0] === -1)) {
    // x = 2^ex: y * ex exactly, rounded once (a double-double log would be off by a bit).
    const [uy, yh, yl] = F.unpacked(f.lo(q), f.hi(q), f.se(q));
    const mag = ((BigInt(yh >>> 0) << 32n) | BigInt(yl >>> 0)) * BigInt(Math.abs(ex));
    binDone(f, roundBig(!!ys !== ex < 0, mag, uy - 16383 - 63, false, f.cw));
    return;
  }
  const l = mul(ln(mx, ex), LOG2E);
  const { e: ey, m: my } = split(q, f);
  binDone(f, fromDD(mul(my, l), ey, f.cw));
}

export function fyl2xp1(f: Fpu): void {
  const p = f.sti(0), q = f.sti(1);
  if (nanOp(f, p, q, 1)) { f.pop(); return; }
  const kx = cls(f, p), ky = cls(f, q);
  const xs = f.se(p) & 0x8000, ys = f.se(q) & 0x8000;
  if (kx === F.INF || ky === F.INF) {
    // Invalid (0 * inf, log of -inf) before DE; otherwise a denormal operand raises DE
    // even when the other is infinite (measured).
    if (kx === F.ZERO || ky === F.ZERO || (kx === F.INF && xs)) { f.raise(IE); f.setIndef(1); f.pop(); return; }
    if (kx === F.DENORMAL || ky === F.DENORMAL) f.raise(DE);
    f.set(1, 0, 0x80000000 | 0, ((kx === F.INF ? ys : ys ^ xs)) | 0x7fff); f.pop(); return;
  }
  if (kx === F.DENORMAL || ky === F.DENORMAL) f.raise(DE);
  if (kx === F.ZERO || ky === F.ZERO) { f.set(1, 0, 0, xs ^ ys); f.pop(); return; }
  const { e: ex, m: mx } = split(p, f);
  const { e: ey, m: my } = split(q, f);
  // x <= -1 (outside the domain, undefined in the SDM): the CPU stores x with PE (measured).
  if (xs && ex >= 0) { f.raise(PE); f.set(1, f.lo(p), f.hi(p), f.se(p)); f.pop(); return; }
  let l: DD, le = 0;
  if (ex < -900) { l = mul(mx, LOG2E); le = ex; } // log2(1 + x) = x log2(e) (1 - x/2 ...)
  else if (ex >= 900) l = mul(ln(mx, ex), LOG2E); // 1 + x = x to far below the last bit
  else {
    const x: DD = [mx[0] * 2 ** ex, mx[1] * 2 ** ex];
    if (ex < -2) l = mul(atanh2(div(x, add([2, 0], x))), LOG2E);
    else {
      // |x| >= 1/4 (beyond 1 - sqrt(2)/2 the SDM leaves the result undefined): log2 of
      // 1 + x as a double-double, exact when 1 + x is a power of two (x = 1 gives y).
      const t = add([1, 0], x);
      let e = Math.floor(Math.log2(t[0]));
      if (t[0] * 2 ** -e >= 2) e++; else if (t[0] * 2 ** -e < 1) e--;
      const m: DD = [t[0] * 2 ** -e, t[1] * 2 ** -e];
      if (m[0] === 1 && m[1] === 0) {
        const [uy, yh, yl] = F.unpacked(f.lo(q), f.hi(q), f.se(q));
        const mag = ((BigInt(yh >>> 0) << 32n) | BigInt(yl >>> 0)) * BigInt(Math.abs(e));
        if (e === 0) { f.set(1, 0, 0, ys ^ xs); f.pop(); return; }
        binDone(f, roundBig(!!ys !== e < 0, mag, uy - 16383 - 63, false, f.cw));
        return;
      }
      l = mul(ln(m, e), LOG2E);
    }
  }
  binDone(f, fromDD(mul(my, l), ey + le, f.cw));
}

export function fpatan(f: Fpu): void {
  const p = f.sti(0), q = f.sti(1);
  if (nanOp(f, p, q, 1)) { f.pop(); return; }
  const kx = cls(f, p), ky = cls(f, q);
  const xs = f.se(p) & 0x8000, ys = f.se(q) & 0x8000;
  if (kx === F.DENORMAL || ky === F.DENORMAL) f.raise(DE);
  const signed = (r: DD): DD => (ys ? neg(r) : r);
  let r: DD;
  if (ky === F.ZERO || kx === F.INF && ky !== F.INF) {
    // atan2(+-0, x) and atan2(finite, +-inf): +-0 for x > 0, +-pi for x < 0.
    if (!xs) { f.set(1, 0, 0, ys); f.pop(); return; }
    r = signed(PI);
  } else if (kx === F.ZERO || ky === F.INF && kx !== F.INF) r = signed(PI_2);
  else if (kx === F.INF) r = signed(xs ? [2.356194490192345, 9.184850993605148e-17] : [0.7853981633974483, 3.061616997868383e-17]);
  else {
    const X = split(p, f), Y = split(q, f);
    const d = Y.e - X.e;
    if (d < -40 && !xs) {
      // atan(t) = t - t^3/3 + ... for t = y/x below 2^-40: t at 192 bits, less t^3/3,
      // rounded once (a double-double quotient loses the t^3 term's direction).
      const [, yh, yl] = F.unpacked(f.lo(q), f.hi(q), f.se(q));
      const [, xh, xl] = F.unpacked(f.lo(p), f.hi(p), f.se(p));
      const Q = (((BigInt(yh >>> 0) << 32n) | BigInt(yl >>> 0)) << 192n) / ((BigInt(xh >>> 0) << 32n) | BigInt(xl >>> 0));
      const corr = (Q * Q * Q / 3n) >> BigInt(384 - 2 * d);
      binDone(f, roundBig(!!ys, Q - corr - 1n, d - 192, true, f.cw));
      return;
    }
    if (d < -1000) r = signed(PI);
    else if (d > 1000) r = signed(PI_2);
    else {
      // atan2(|y|, |x|) in [0, pi/2], then pi minus it for x < 0 (with the CPU's pi).
      const x = X.sg < 0 ? neg(X.m) : X.m, y: DD = [Y.sg * Y.m[0] * 2 ** d, Y.sg * Y.m[1] * 2 ** d];
      const a0 = Math.atan2(y[0], x[0]);
      // One Newton step on the residual: a = a0 + atan((y cos a0 - x sin a0) / (x cos a0 + y sin a0)).
      const [s, c] = sinCosAny([a0, 0]);
      const num = add(mul(y, c), neg(mul(x, s))), den = add(mul(x, c), mul(y, s));
      const t = div(num, den);
      const a = add([a0, 0], add(t, neg(mulN(mul(mul(t, t), t), 1 / 3))));
      r = signed(xs ? add(PI, neg(a)) : a);
    }
  }
  binDone(f, fromDD(r, 0, f.cw));
}
const TRUE_PI_2: DD = [1.5707963267948966, 6.123233995736766e-17];
/** sin/cos of |a| <= pi (true pi), via quadrant reduction. */
function sinCosAny(a: DD): [DD, DD] {
  const k = Math.round(a[0] / TRUE_PI_2[0]);
  const r = add(a, neg(mulN(TRUE_PI_2, k)));
  const [s, c] = sinCos(r);
  switch (k & 3) {
    case 0: return [s, c];
    case 1: return [c, neg(s)];
    case 2: return [neg(s), neg(c)];
    default: return [neg(c), s];
  }
}

/** fsin (0), fcos (1), fptan (2), fsincos (3). |x| >= 2^63 sets C2 and leaves ST(0) alone. */
export function fsincos(f: Fpu, kind: number): void {
  const p = f.sti(0);
  const k = cls(f, p);
  if (k >= F.QNAN) {
    f.result(0, F.nanResult(f.lo(p), f.hi(p), f.se(p), k, f.lo(p), f.hi(p), f.se(p), k));
    if (kind >= 2) f.push(f.lo(f.phys(0)), f.hi(f.phys(0)), f.se(f.phys(0)));
    f.setCC(0);
    return;
  }
  // C2 says whether the argument was reduced; C0 and C3 (undefined in the SDM) keep their
  // values, as measured.
  const sw = f.s;
  if (k === F.INF) { f.raise(IE); f.setIndef(0); if (kind >= 2) f.push(...INDEF); sw[FPU_SW] &= ~C2; return; }
  if ((f.se(p) & 0x7fff) >= 16383 + 63) { sw[FPU_SW] |= C2; return; }
  sw[FPU_SW] &= ~C2;
  if (k === F.DENORMAL) f.raise(DE);
  if (k === F.ZERO) {
    const lo = f.lo(p), hi = f.hi(p), se = f.se(p);
    if (kind === 1) f.set(0, 0, 0x80000000 | 0, 0x3fff);
    else if (kind === 3) { f.set(0, lo, hi, se); f.push(0, 0x80000000 | 0, 0x3fff); }
    else if (kind === 2) f.push(0, 0x80000000 | 0, 0x3fff);
    return;
  }
  const { e, m, sg } = split(p, f);
  if (e < -40) {
    // sin x = x - x^3/6, tan x = x + x^3/3, cos x = 1 - x^2/2: within far less than an
    // ulp of x (of 1), on the side the next term says.
    const lo = f.lo(p), hi = f.hi(p), se = f.se(p), cw = f.cw;
    let fs = 0;
    if (kind === 1) { f.result(0, nudged(0, 0x80000000 | 0, 0x3fff, false, cw)); return; }
    if (kind === 2) {
      // tan x: the CPU returns x itself in every rounding mode (PE, C1 = 0; measured).
      const [ue, h, l] = F.unpacked(lo, hi, se);
      f.result(0, roundBig((se & 0x8000) !== 0, (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0), ue - 16383 - 63, false, cw));
    } else f.result(0, fs = nudged(lo, hi, se, false, cw));
    if (kind === 2) f.push(0, 0x80000000 | 0, 0x3fff);
    if (kind === 3) {
      const fc = nudged(0, 0x80000000 | 0, 0x3fff, false, cw);
      f.pushResult(fc);
      f.s[FPU_SW] = (f.s[FPU_SW] & ~C1) | (fs & F.C1F); // C1 of the sine (above)
    }
    return;
  }
  let r: DD, q = 0;
  if (e < -1) r = [m[0] * 2 ** e, m[1] * 2 ** e];
  else {
    // |x| = k * pi/2 + rem exactly at scale 2^-65, pi/2 * 2^65 = PI66.
    const [ue, h, l] = F.unpacked(f.lo(p), f.hi(p), f.se(p));
    const M = (BigInt(h) << 32n) | BigInt(l);
    const X = M << BigInt(ue - 16383 - 63 + 65);
    let kq = X / PI66, rem = X - kq * PI66;
    if (rem * 2n > PI66) { kq += 1n; rem -= PI66; }
    const hiR = Number(rem);
    const loR = Number(rem - BigInt(hiR));
    r = [sg * hiR * 2 ** -65, sg * loR * 2 ** -65];
    q = Number(kq & 3n);
    if (sg < 0) q = (4 - q) & 3;
  }
  const [s0, c0] = sinCos(r);
  const sin = q === 0 ? s0 : q === 1 ? c0 : q === 2 ? neg(s0) : neg(c0);
  const cos = q === 0 ? c0 : q === 1 ? neg(s0) : q === 2 ? neg(c0) : s0;
  const cw = f.cw;
  switch (kind) {
    case 0: f.result(0, fromDD(sin, 0, cw)); break;
    case 1: f.result(0, fromDD(cos, 0, cw)); break;
    case 2: f.result(0, fromDD(div(sin, cos), 0, cw)); f.push(0, 0x80000000 | 0, 0x3fff); break;
    default: {
      const fs = fromDD(sin, 0, cw);
      const sx = [F.X[0], F.X[1], F.X[2]];
      const fc = fromDD(cos, 0, cw);
      f.raise(fs | fc);
      f.set(0, sx[0], sx[1], sx[2]);
      f.push(F.X[0], F.X[1], F.X[2]);
      // C1 is the sine's rounding (measured: sincos(1 + 2^-63) has C1 as fsin has it).
      f.s[FPU_SW] = (f.s[FPU_SW] & ~C1) | (fs & F.C1F);
    }
  }
}

export function fscale(f: Fpu): void {
  const p = f.sti(0), q = f.sti(1);
  if (nanOp(f, p, q, 0)) return;
  const kx = cls(f, p), ky = cls(f, q);
  const ys = f.se(q) & 0x8000;
  if (ky === F.INF) {
    // x * 2^+inf: inf unless x is 0 (invalid); x * 2^-inf: 0 unless x is inf (invalid).
    if ((!ys && kx === F.ZERO) || (ys && kx === F.INF)) { f.raise(IE); f.setIndef(0); return; }
    if (kx === F.DENORMAL) f.raise(DE);
    const xs = f.se(p) & 0x8000;
    if (kx === F.ZERO || kx === F.INF) return;
    f.set(0, ys ? 0 : 0, ys ? 0 : 0x80000000 | 0, xs | (ys ? 0 : 0x7fff));
    return;
  }
  if (kx === F.DENORMAL || ky === F.DENORMAL) f.raise(DE);
  if (kx === F.ZERO || kx === F.INF) return;
  let n = 0;
  if (ky !== F.ZERO) {
    F.toIntMag(f.lo(q), f.hi(q), f.se(q), 3);
    n = F.iOver || F.W[F.IH] > 0 || F.W[F.IL] > 100000 ? 100000 : F.W[F.IL];
    if (ys) n = -n;
  }
  f.result(0, F.scale(f.lo(p), f.hi(p), f.se(p), n, f.cw));
}

/**
 * fprem (truncating quotient) and fprem1 (nearest). When the exponents differ by 64 or
 * more the CPU computes a partial remainder (C2 = 1), reducing the exponent difference
 * by N between 32 and 63 (SDM FPREM); C0 C3 C1 = Q2 Q1 Q0 of a complete one.
 */
export function fprem(f: Fpu, nearest: boolean): void {
  const p = f.sti(0), q = f.sti(1);
  const kx = cls(f, p), ky = cls(f, q);
  // Invalid and NaN cases clear C2 and leave C0 C1 C3 alone (measured).
  if (kx >= F.QNAN || ky >= F.QNAN) { nanOp(f, p, q, 0); f.s[FPU_SW] &= ~C2; return; }
  if (kx === F.INF || ky === F.ZERO) { f.raise(IE); f.setIndef(0); f.s[FPU_SW] &= ~C2; return; }
  if (kx === F.DENORMAL || ky === F.DENORMAL) f.raise(DE);
  if (ky === F.INF || kx === F.ZERO) {
    f.setCC(0);
    if (kx === F.DENORMAL) f.result(0, F.scale(f.lo(p), f.hi(p), f.se(p), 0, f.cw));
    return;
  }
  const [ex, xh, xl] = F.unpacked(f.lo(p), f.hi(p), f.se(p));
  const [ey, yh, yl] = F.unpacked(f.lo(q), f.hi(q), f.se(q));
  const X = (BigInt(xh) << 32n) | BigInt(xl), Y = (BigInt(yh) << 32n) | BigInt(yl);
  const d = ex - ey;
  const sg = f.se(p) & 0x8000;
  if (d < 0) {
    // |x| < |y|: a complete remainder with quotient 0 (fprem1 may still round to 1).
    if (!nearest || d < -1) { f.setCC(0); f.result(0, F.scale(f.lo(p), f.hi(p), f.se(p), 0, f.cw)); return; }
  }
  if (d >= 64) {
    const n = 32 + ((d - 64) % 32); // N (see above)
    const sh = d - n;
    const qq = (X << BigInt(n)) / Y; // truncated quotient of x / (y * 2^sh)
    const r = (X << BigInt(n)) - qq * Y; // remainder at exponent ey + sh
    setBig(f, r, ey + sh, sg);
    f.setCC(C2);
    return;
  }
  const Xs = d >= 0 ? X << BigInt(d) : X;
  const Ys = d >= 0 ? Y : Y << 1n;
  let qq = Xs / Ys, r = Xs - qq * Ys;
  if (nearest && (r * 2n > Ys || (r * 2n === Ys && (qq & 1n) === 1n))) { qq += 1n; r -= Ys; }
  let rs = sg;
  if (r < 0n) { r = -r; rs ^= 0x8000; }
  setBig(f, r, d >= 0 ? ey : ey - 1, rs, r === 0n ? sg : rs);
  const qb = Number(qq & 7n);
  f.setCC((qb & 4 ? C0 : 0) | (qb & 2 ? C3 : 0) | (qb & 1 ? C1 : 0));
}
/** ST(0) := r * 2^(e - 16383 - 63) with sign sg (exact; the remainder may be denormal). */
function setBig(f: Fpu, r: bigint, e: number, sg: number, zeroSign = sg): void {
  if (r === 0n) { f.set(0, 0, 0, zeroSign); return; }
  const n = r.toString(2).length; // <= 64
  const m = r << BigInt(64 - n);
  const ne = e - (64 - n);
  const hi = Number(m >> 32n), lo = Number(m & 0xffffffffn);
  // Through the rounding code for the denormal case (exact, so no PE), 64-bit precision.
  f.result(0, F.scale(lo | 0, hi | 0, sg | 16383, ne - 16383, f.cw | 0x300));
}
