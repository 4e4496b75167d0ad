/**
 * SSE/SSE2/SSE3 floating point: add sub mul div sqrt min max (ps pd ss sd), logic,
 * compares (cmpXX with its 8 predicates, (u)comis to EFLAGS), shuffles and unpacks, movmsk,
 * rcp/rsqrt, and the SSE3 horizontal and add-subtract forms. Semantics: SDM Vol. 2 per
 * instruction; exceptions and NaN rules: sse-round.ts.
 */
import type { Cpu } from '../cpu.js';
import type { Decoder } from '../decoder.js';
import type { Row } from '../isa/index.js';
import { FLAGS, LOP } from '../state.js';
import { LOP_NONE } from '../flags.js';
import { B32, F32, F64, I32, MXCSR, U32, binop, getX, impl, imm8 } from './sse-dispatch.js';
import { regSet } from './operand.js';
import { withImm } from './sse-int.js';
import { TABLES } from './rcp-ideal.js';
import {
  DAZ, DE, DOUBLE, IE, PE, SINGLE, ZE, dec32, dec64, defaultNaN, encInf, encZero, isqrt, raise, roundExact,
  type Fmt, type Val,
} from './sse-round.js';

/** Exception flags gathered over the lanes of one instruction. */
let acc = 0;
/** A source was denormal: DE, unless a NaN operand takes precedence (SDM Vol. 1 11.5.2.2: invalid before denormal). */
let de = 0;

const ADD = 0, SUB = 1, MUL = 2, DIV = 3, SQRT = 4;

/** Decode lane at word w of format f, applying DAZ and noting DE. */
function load(f: Fmt, w: number, mx: number): Val {
  const v = f === SINGLE ? dec32(I32[w]) : dec64(I32[w], I32[w + 1]);
  if (v.kind === 'fin' && v.m < 1n << BigInt(f.p - 1)) {
    if (mx & DAZ) { v.kind = 'zero'; v.m = 0n; } else de = DE;
  }
  return v;
}
function put(f: Fmt, w: number, bits: number[]): void {
  I32[w] = bits[0];
  if (f === DOUBLE) I32[w + 1] = bits[1];
}
/** The NaN result of an operation with a NaN operand: the first NaN source quieted (SDM Table 4-7). */
function nanResult(f: Fmt, w: number, a: Val | null, wa: number, b: Val, wb: number): void {
  if ((a?.snan) || b.snan) acc |= IE;
  const from = a !== null && a.kind === 'nan' ? wa : wb;
  if (f === SINGLE) I32[w] = I32[from] | 0x400000;
  else { I32[w] = I32[from]; I32[w + 1] = I32[from + 1] | 0x80000; }
}

/** The lane at word w of format f as a JS number (never NaN here; DAZ applied). */
function num(f: Fmt, v: Val, w: number): number {
  if (v.kind === 'zero') return v.neg ? -0 : 0;
  return f === SINGLE ? F32[w] : F64[w >> 1];
}
const TWO_M900 = 2 ** -900, TWO_900 = 2 ** 900, SPLIT = 134217729;
/** Dekker's two-product error (exact for operands and product within 2^±900). */
function prodErr(a: number, b: number, p: number): number {
  let t = SPLIT * a; const ah = t - (t - a), al = a - ah;
  t = SPLIT * b; const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
const inRange = (x: number) => { const a = Math.abs(x); return a >= TWO_M900 && a <= TWO_900; };

/**
 * One lane: I32 at word wa = wa op wb (sqrt: of wb), format f, with MXCSR mx. Flags go to acc.
 */
function arith(op: number, f: Fmt, wa: number, wb: number, mx: number): void {
  const outer = acc;
  acc = 0;
  arith1(op, f, wa, wb, mx);
  // Invalid and divide-by-zero take precedence over the denormal operand (SDM Vol. 1 11.5.2).
  acc = outer | acc | (acc & (IE | ZE) ? 0 : de);
}
function arith1(op: number, f: Fmt, wa: number, wb: number, mx: number): void {
  de = 0;
  const a = op === SQRT ? null : load(f, wa, mx), b = load(f, wb, mx);
  if ((a !== null && a.kind === 'nan') || b.kind === 'nan') { de = 0; nanResult(f, wa, a, wa, b, wb); return; }
  const rc = (mx >> 13) & 3;
  // Fast path: round to nearest, results far from the subnormal and overflow ranges.
  if (rc === 0 && (a === null || a.kind === 'fin') && b.kind === 'fin') {
    const x = a === null ? 0 : num(f, a, wa), y = num(f, b, wb);
    if (f === SINGLE) {
      // pre: the double-precision result before rounding to single (its magnitude decides tininess).
      let r: number, exact: boolean, pre: number;
      if (op === ADD || op === SUB) { const yy = op === SUB ? -y : y; const s = x + yy, bb = s - x; const err = (x - (s - bb)) + (yy - bb); r = Math.fround(s); exact = r === s && err === 0; pre = s; }
      else if (op === MUL) { pre = x * y; r = Math.fround(pre); exact = r === pre; }
      else if (op === DIV) { pre = x / y; r = Math.fround(pre); exact = r * y === x; }
      else { pre = Math.sqrt(y); r = Math.fround(pre); exact = r * r === y; }
      const ap = Math.abs(pre), ar = Math.abs(r);
      if (ap > 2 ** -126 && ar < 2 ** 127) { F32[wa] = r; if (!exact) acc |= PE; return; }
    } else if (op === ADD || op === SUB || (inRange(x) || op === SQRT) && inRange(y)) {
      let r: number, err: number;
      if (op === ADD || op === SUB) { const yy = op === SUB ? -y : y; r = x + yy; const bb = r - x; err = (x - (r - bb)) + (yy - bb); }
      else if (op === MUL) { r = x * y; err = prodErr(x, y, r); }
      else if (op === DIV) { r = x / y; err = inRange(r) ? (x - r * y) - prodErr(r, y, r * y) : NaN; }
      else { r = Math.sqrt(y); err = (y - r * r) - prodErr(r, r, r * r); }
      const ar = Math.abs(r);
      if (err === err && ar >= TWO_M900 && ar <= TWO_900) { F64[wa >> 1] = r; if (err !== 0) acc |= PE; return; }
    }
  }
  slow(op, f, wa, a, b, mx);
}

/** The exact path: special operands, then BigInt value rounded by roundExact. */
function slow(op: number, f: Fmt, w: number, a: Val | null, b: Val, mx: number): void {
  const rc = (mx >> 13) & 3;
  const res = (r: { bits: number[]; flags: number }) => { acc |= r.flags; put(f, w, r.bits); };
  if (op === SQRT) {
    if (b.kind === 'zero') { put(f, w, encZero(f, b.neg)); return; }
    if (b.neg) { acc |= IE; put(f, w, defaultNaN(f)); return; }
    if (b.kind === 'inf') { put(f, w, encInf(f, false)); return; }
    let m = b.m, e = b.e;
    if (e & 1) { m <<= 1n; e -= 1; }
    const K = f.p + 3, n = m << BigInt(2 * K), s = isqrt(n);
    res(roundExact(false, s, (e - 2 * K) / 2, s * s !== n, f, mx));
    return;
  }
  const A = a!;
  const bneg = op === SUB ? !b.neg : b.neg;
  if (op === ADD || op === SUB) {
    if (A.kind === 'inf' || b.kind === 'inf') {
      if (A.kind === 'inf' && b.kind === 'inf' && A.neg !== bneg) { acc |= IE; put(f, w, defaultNaN(f)); return; }
      put(f, w, encInf(f, A.kind === 'inf' ? A.neg : bneg)); return;
    }
    if (A.kind === 'zero' && b.kind === 'zero') { put(f, w, encZero(f, A.neg === bneg ? A.neg : rc === 1)); return; }
    const e = Math.min(A.kind === 'zero' ? Infinity : A.e, b.kind === 'zero' ? Infinity : b.e);
    const ma = A.kind === 'zero' ? 0n : (A.m << BigInt(A.e - e)) * (A.neg ? -1n : 1n);
    const mb = b.kind === 'zero' ? 0n : (b.m << BigInt(b.e - e)) * (bneg ? -1n : 1n);
    const m = ma + mb;
    if (m === 0n) { put(f, w, encZero(f, rc === 1)); return; }
    res(roundExact(m < 0n, m < 0n ? -m : m, e, false, f, mx));
    return;
  }
  const neg = A.neg !== b.neg;
  if (op === MUL) {
    if ((A.kind === 'inf' && b.kind === 'zero') || (A.kind === 'zero' && b.kind === 'inf')) { acc |= IE; put(f, w, defaultNaN(f)); return; }
    if (A.kind === 'inf' || b.kind === 'inf') { put(f, w, encInf(f, neg)); return; }
    if (A.kind === 'zero' || b.kind === 'zero') { put(f, w, encZero(f, neg)); return; }
    res(roundExact(neg, A.m * b.m, A.e + b.e, false, f, mx));
    return;
  }
  // DIV
  if ((A.kind === 'inf' && b.kind === 'inf') || (A.kind === 'zero' && b.kind === 'zero')) { acc |= IE; put(f, w, defaultNaN(f)); return; }
  if (A.kind === 'inf') { put(f, w, encInf(f, neg)); return; }
  if (b.kind === 'zero') { acc |= ZE; put(f, w, encInf(f, neg)); return; }
  if (A.kind === 'zero' || b.kind === 'inf') { put(f, w, encZero(f, neg)); return; }
  const K = f.p + 3 + b.m.toString(2).length;
  const num_ = A.m << BigInt(K), q = num_ / b.m;
  res(roundExact(neg, q, A.e - b.e - K, num_ % b.m !== 0n, f, mx));
}

// ---- min / max: the second operand when either is NaN (IE for any NaN) or both are zero ----
function minmax(max: boolean, f: Fmt, wa: number, wb: number, mx: number): void {
  de = 0;
  const a = load(f, wa, mx), b = load(f, wb, mx);
  const words = f === SINGLE ? 1 : 2;
  const takeB = () => { for (let k = 0; k < words; k++) I32[wa + k] = I32[wb + k]; if (b.kind === 'zero') put(f, wa, encZero(f, b.neg)); };
  if (a.kind === 'nan' || b.kind === 'nan') { acc |= IE; takeB(); return; }
  acc |= de;
  const x = num(f, a, wa), y = num(f, b, wb);
  if (max ? x > y : x < y) { if (a.kind === 'zero') put(f, wa, encZero(f, a.neg)); return; }
  takeB();
}

// ---- compares ----
/** The ordered relation of two lanes: -1 unordered, else 0 less, 1 equal, 2 greater; IE per `signalQ` (QNaN signals too). */
function relation(f: Fmt, wa: number, wb: number, mx: number, signalQ: boolean): number {
  de = 0;
  const a = load(f, wa, mx), b = load(f, wb, mx);
  if (a.kind === 'nan' || b.kind === 'nan') { if (signalQ || a.snan || b.snan) acc |= IE; return -1; }
  acc |= de;
  const x = num(f, a, wa), y = num(f, b, wb);
  return x < y ? 0 : x === y ? 1 : 2;
}
/** cmpXX predicates 0-7 (EQ LT LE UNORD NEQ NLT NLE ORD): result for a relation; LT LE NLT NLE signal on QNaN. */
const PRED = [
  (r: number) => r === 1, (r: number) => r === 0, (r: number) => r === 0 || r === 1, (r: number) => r < 0,
  (r: number) => r !== 1, (r: number) => r !== 0, (r: number) => !(r === 0 || r === 1), (r: number) => r >= 0,
];
const SIGNALLING = [false, true, true, false, false, true, true, false];

// ---- Registration ----
type LaneFn = (f: Fmt, wa: number, wb: number, mx: number) => void;
/** Packed (all lanes) or scalar (lane 0) form of a lane function over scratch A, B. */
function fpOp(d: Decoder, row: Row, lane: LaneFn): ReturnType<typeof binop> {
  const f = /(pd|sd)$/.test(row.mnem) ? DOUBLE : SINGLE;
  const scalar = /s[sd]$/.test(row.mnem);
  const step = f === SINGLE ? 1 : 2, count = scalar ? 1 : 4 / step, ip = d.start >>> 0;
  return binop(d, row, (c) => {
    acc = 0;
    const mx = c.s[MXCSR];
    for (let i = 0; i < count; i++) lane(f, i * step, B32 + i * step, mx);
    raise(c, acc, ip);
  }, scalar ? step * 4 : 0);
}
const ARITH: [string, number][] = [['58', ADD], ['59', MUL], ['5c', SUB], ['5e', DIV], ['51', SQRT]];
for (const [op, k] of ARITH) {
  impl([`0f ${op}`, `66 0f ${op}`, `f3 0f ${op}`, `f2 0f ${op}`], (d, row) => fpOp(d, row, (f, wa, wb, mx) => arith(k, f, wa, wb, mx)));
}
impl(['0f 5d', '66 0f 5d', 'f3 0f 5d', 'f2 0f 5d'], (d, row) => fpOp(d, row, (f, wa, wb, mx) => minmax(false, f, wa, wb, mx)));
impl(['0f 5f', '66 0f 5f', 'f3 0f 5f', 'f2 0f 5f'], (d, row) => fpOp(d, row, (f, wa, wb, mx) => minmax(true, f, wa, wb, mx)));
// Logic: bitwise on all 128 bits.
const LOGIC: [string, (a: number, b: number) => number][] = [['54', (a, b) => a & b], ['55', (a, b) => ~a & b], ['56', (a, b) => a | b], ['57', (a, b) => a ^ b]];
for (const [op, g] of LOGIC) impl([`0f ${op}`, `66 0f ${op}`], (d, row) => binop(d, row, () => { for (let i = 0; i < 4; i++) I32[i] = g(I32[i], I32[B32 + i]); }));

impl(['0f c2', '66 0f c2', 'f3 0f c2', 'f2 0f c2'], (d, row) => {
  let pred = 0;
  const op = fpOp(d, row, (f, wa, wb, mx) => {
    const t = PRED[pred](relation(f, wa, wb, mx, SIGNALLING[pred])) ? -1 : 0;
    I32[wa] = t;
    if (f === DOUBLE) I32[wa + 1] = t;
  });
  pred = imm8(d) & 7;
  return op;
});
// comis/ucomis: ZF PF CF = 111 unordered, 000 greater, 001 less, 100 equal; OF SF AF cleared.
impl(['0f 2e', '66 0f 2e', '0f 2f', '66 0f 2f'], (d, row) => {
  const f = row.prefix === 0x66 ? DOUBLE : SINGLE, signalQ = row.op === 0x2f;
  const bytes = f === DOUBLE ? 8 : 4;
  const r = d.reg, ip = d.start >>> 0;
  let load_: (c: Cpu) => void;
  if (d.isReg) { const q = d.rm; load_ = (c) => getX(c, q, B32); } else { const ea = d.ea(); load_ = (c) => { const a = ea(c); for (let k = 0; k < bytes >> 2; k++) I32[B32 + k] = c.mem.read32((a + 4 * k) >>> 0); }; }
  return (c) => {
    load_(c); getX(c, r, 0);
    acc = 0;
    const rel = relation(f, 0, B32, c.s[MXCSR], signalQ);
    raise(c, acc, ip);
    const s = c.s;
    s[LOP] = LOP_NONE;
    s[FLAGS] = (s[FLAGS] & ~0x8d5) | (rel < 0 ? 0x45 : rel === 0 ? 0x1 : rel === 1 ? 0x40 : 0);
  };
});

// Shuffles and unpacks (no exceptions).
impl('0f c6', (d, row) => { // shufps
  let imm = 0;
  const op = binop(d, row, () => { const t = [I32[imm & 3], I32[(imm >> 2) & 3], I32[B32 + ((imm >> 4) & 3)], I32[B32 + ((imm >> 6) & 3)]]; for (let i = 0; i < 4; i++) I32[i] = t[i]; });
  imm = imm8(d);
  return op;
});
impl('66 0f c6', (d, row) => { // shufpd
  let imm = 0;
  const op = binop(d, row, () => {
    const t = imm & 1 ? [I32[2], I32[3]] : [I32[0], I32[1]];
    const u = imm & 2 ? [I32[B32 + 2], I32[B32 + 3]] : [I32[B32], I32[B32 + 1]];
    I32[0] = t[0]; I32[1] = t[1]; I32[2] = u[0]; I32[3] = u[1];
  });
  imm = imm8(d);
  return op;
});
impl('0f 14', (d, row) => binop(d, row, () => { const a1 = I32[1]; I32[2] = a1; I32[1] = I32[B32]; I32[3] = I32[B32 + 1]; })); // unpcklps
impl('0f 15', (d, row) => binop(d, row, () => { I32[0] = I32[2]; I32[1] = I32[B32 + 2]; I32[2] = I32[3]; I32[3] = I32[B32 + 3]; })); // unpckhps
impl('66 0f 14', (d, row) => binop(d, row, () => { I32[2] = I32[B32]; I32[3] = I32[B32 + 1]; })); // unpcklpd
impl('66 0f 15', (d, row) => binop(d, row, () => { I32[0] = I32[2]; I32[1] = I32[3]; I32[2] = I32[B32 + 2]; I32[3] = I32[B32 + 3]; })); // unpckhpd
impl(['0f 50 r', '66 0f 50 r'], (d, row) => { // movmskps / movmskpd
  const q = d.rm, set = regSet(2, d.reg), pd = row.prefix === 0x66;
  return (c) => {
    getX(c, q, 0);
    set(c, pd ? ((I32[1] >>> 31) | ((I32[3] >>> 31) << 1)) : (I32[0] >>> 31) | ((I32[1] >>> 31) << 1) | ((I32[2] >>> 31) << 2) | ((I32[3] >>> 31) << 3));
  };
});

// rcp/rsqrt: the CPU's own approximations (SDM RCPPS: relative error <= 1.5 * 2^-12, the
// values implementation-specific), from tables measured on the host, an AMD EPYC (Zen 4):
// the result's 12-bit fraction depends only on the operand's top 12 significand bits (and,
// for rsqrt, the exponent's parity); the exponent follows from the operand's (rcp-ideal.ts).
// Special cases as measured (and as the SDM gives them): +-0 and denormals (whatever DAZ
// says) -> +-inf, +-inf -> +-0, NaN -> quieted NaN, negative (rsqrt) -> default NaN, rcp
// results below the normal range -> +-0; MXCSR is never changed.
function approx(rsqrt: boolean, w: number, wb: number): void {
  const x = I32[wb], e = (x >>> 23) & 0xff, sign = x & 0x80000000, j = (x >>> 11) & 0xfff;
  if (e === 0xff) { I32[w] = x & 0x7fffff ? x | 0x400000 : rsqrt && sign ? 0xffc00000 | 0 : sign; return; }
  if (e === 0) { I32[w] = sign | 0x7f800000; return; }
  if (!rsqrt) { const re = 253 - e; I32[w] = re <= 0 ? sign : sign | (re << 23) | (TABLES[0][j] << 11); return; }
  if (sign) { I32[w] = 0xffc00000 | 0; return; }
  // x = 2^(2k) * [1,2) for an odd biased exponent, 2^(2k) * [2,4) for an even one: result 2^-k * table.
  const k = e & 1 ? (e - 127) / 2 : (e - 128) / 2;
  I32[w] = ((126 - k) << 23) | (TABLES[e & 1 ? 1 : 2][j] << 11);
}
impl(['0f 52', 'f3 0f 52', '0f 53', 'f3 0f 53'], (d, row) => {
  const scalar = row.prefix === 0xf3, rs = row.op === 0x52;
  return binop(d, row, () => { for (let i = 0; i < (scalar ? 1 : 4); i++) approx(rs, i, B32 + i); }, scalar ? 4 : 0);
});

// SSE3: horizontal add/subtract and add-subtract.
impl(['66 0f 7c', 'f2 0f 7c', '66 0f 7d', 'f2 0f 7d'], (d, row) => {
  const f = row.prefix === 0x66 ? DOUBLE : SINGLE, k = row.op === 0x7c ? ADD : SUB, ip = d.start >>> 0;
  return binop(d, row, (c) => {
    acc = 0;
    const mx = c.s[MXCSR];
    if (f === DOUBLE) {
      // lane 0 = A0 op A1, lane 1 = B0 op B1: computed in place from copies.
      const a = [I32[0], I32[1], I32[2], I32[3]], b = [I32[4], I32[5], I32[6], I32[7]];
      I32[8] = a[0]; I32[9] = a[1]; I32[10] = a[2]; I32[11] = a[3]; arith(k, f, 8, 10, mx);
      I32[12] = b[0]; I32[13] = b[1]; I32[14] = b[2]; I32[15] = b[3]; arith(k, f, 12, 14, mx);
      I32[0] = I32[8]; I32[1] = I32[9]; I32[2] = I32[12]; I32[3] = I32[13];
    } else {
      const v = [I32[0], I32[1], I32[2], I32[3], I32[4], I32[5], I32[6], I32[7]];
      for (let i = 0; i < 4; i++) { I32[8 + 2 * i] = v[2 * i]; I32[9 + 2 * i] = v[2 * i + 1]; arith(k, f, 8 + 2 * i, 9 + 2 * i, mx); }
      for (let i = 0; i < 4; i++) I32[i] = I32[8 + 2 * i];
    }
    raise(c, acc, ip);
  });
});
impl(['66 0f d0', 'f2 0f d0'], (d, row) => {
  const f = row.prefix === 0x66 ? DOUBLE : SINGLE, step = f === DOUBLE ? 2 : 1, ip = d.start >>> 0;
  return binop(d, row, (c) => {
    acc = 0;
    const mx = c.s[MXCSR];
    for (let i = 0; i < 4 / step; i++) arith(i & 1 ? ADD : SUB, f, i * step, B32 + i * step, mx);
    raise(c, acc, ip);
  });
});

// SSE4.1 dpps/dppd (rows-sse4.ts): the products of the lanes imm[7:4] selects (+0.0 for the
// others, which raise nothing), summed in the SDM's order, ((t0 + t1) + (t2 + t3)) for dpps and
// t0 + t1 for dppd, each multiply and add rounded under MXCSR with its own exceptions and NaN
// rule; the sum goes to the lanes imm[3:0] selects, +0.0 to the others. Scratch words 8-15
// hold the products (B stays the source).
impl(['66 0f 3a 40', '66 0f 3a 41'], (d, row) => {
  const f = row.op === 0x40 ? SINGLE : DOUBLE, step = f === SINGLE ? 1 : 2, n = 4 / step, ip = d.start >>> 0;
  return withImm(d, row, (imm) => (c) => {
    acc = 0;
    const mx = c.s[MXCSR];
    for (let i = 0; i < n; i++) {
      const t = 8 + i * step;
      I32[t] = 0; if (step === 2) I32[t + 1] = 0;
      if (imm & (16 << i)) { I32[t] = I32[i * step]; if (step === 2) I32[t + 1] = I32[i * step + 1]; arith(MUL, f, t, B32 + i * step, mx); }
    }
    // An unmasked exception faults at the end of the stage that raised it, with that
    // stage's flags only (measured: a multiply's IE leaves no PE of the sums in MXCSR).
    raise(c, acc, ip); acc = 0;
    if (f === SINGLE) { arith(ADD, f, 8, 9, mx); arith(ADD, f, 10, 11, mx); raise(c, acc, ip); acc = 0; }
    arith(ADD, f, 8, 10, mx);
    raise(c, acc, ip);
    for (let i = 0; i < n; i++) {
      const on = imm & (1 << i);
      I32[i * step] = on ? I32[8] : 0; if (step === 2) I32[i * step + 1] = on ? I32[9] : 0;
    }
  });
});

void U32;
