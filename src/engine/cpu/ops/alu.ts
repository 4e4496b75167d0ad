/**
 * Integer arithmetic primitives with exact EFLAGS, for 8/16/32-bit operands (size class
 * 0/1/2). Operands and results are "normalised": 8- and 16-bit values unsigned, 32-bit
 * values as int32. Hot operations record lazy flags; the rest set flags eagerly.
 */
import type { Cpu } from '../cpu.js';
import { CpuException } from '../cpu.js';
import { K_DEC, K_INC, PARITY, getCF, getFlags, setArith } from '../flags.js';
import { lazyAlu } from './alu.gen.js';
import { AF, CF, FLAGS, LA, LB, LOP, LRES, OF, SF, ZF, EAX, EDX } from '../state.js';

export type Alu2 = (c: Cpu, a: number, b: number) => number;

export const MASKS = [0xff, 0xffff, -1];
export const SIGNS = [0x80, 0x8000, 0x80000000 | 0];
export const BITS = [8, 16, 32];

/** Size class from a size in bytes. */
export const sc = (size: number): number => (size === 4 ? 2 : size === 2 ? 1 : 0);

/** ZF, SF and PF of a normalised result. */
export function szp(r: number, sz: number): number {
  return PARITY[r & 0xff] | ((r & MASKS[sz]) === 0 ? ZF : 0) | (r & SIGNS[sz] ? SF : 0);
}

function record(c: Cpu, lop: number, a: number, b: number, r: number): number {
  const s = c.s;
  s[LOP] = lop; s[LA] = a; s[LB] = b; s[LRES] = r;
  return r;
}

export interface AluSet {
  add: Alu2; or: Alu2; adc: Alu2; sbb: Alu2; and: Alu2; sub: Alu2; xor: Alu2; cmp: Alu2;
  /** In group-1 /reg order: add or adc sbb and sub xor cmp. */
  group: Alu2[];
  inc: (c: Cpu, a: number) => number;
  dec: (c: Cpu, a: number) => number;
  neg: (c: Cpu, a: number) => number;
  test: Alu2;
}

function makeAlu(sz: number): AluSet {
  const mask = MASKS[sz], sign = SIGNS[sz];
  const LINC = (K_INC << 2) | sz, LDEC = (K_DEC << 2) | sz;
  // add or and sub xor cmp test: generated from ops/alu-defs.ts, like their 32-bit and memory specialisations.
  const { add, or, and, sub, xor, cmp, test } = lazyAlu(sz, mask);
  const adc: Alu2 = (c, a, b) => {
    const cin = getCF(c);
    const r = (a + b + cin) & mask;
    const carry = sz === 2 ? (a >>> 0) + (b >>> 0) + cin > 0xffffffff : a + b + cin > mask;
    setArith(c, szp(r, sz) | (carry ? CF : 0) | ((a ^ r) & (b ^ r) & sign ? OF : 0) | ((a ^ b ^ r) & AF));
    return r;
  };
  const sbb: Alu2 = (c, a, b) => {
    const cin = getCF(c);
    const r = (a - b - cin) & mask;
    const borrow = sz === 2 ? (a >>> 0) < (b >>> 0) + cin : a < b + cin;
    setArith(c, szp(r, sz) | (borrow ? CF : 0) | ((a ^ b) & (a ^ r) & sign ? OF : 0) | ((a ^ b ^ r) & AF));
    return r;
  };
  const inc = (c: Cpu, a: number): number => {
    const s = c.s;
    s[FLAGS] = (s[FLAGS] & ~CF) | getCF(c);
    return record(c, LINC, a, 1, (a + 1) & mask);
  };
  const dec = (c: Cpu, a: number): number => {
    const s = c.s;
    s[FLAGS] = (s[FLAGS] & ~CF) | getCF(c);
    return record(c, LDEC, a, 1, (a - 1) & mask);
  };
  const neg = (c: Cpu, a: number): number => sub(c, 0, a);
  return { add, or, adc, sbb, and, sub, xor, cmp, test, inc, dec, neg, group: [add, or, adc, sbb, and, sub, xor, cmp] };
}

export const ALU: AluSet[] = [makeAlu(0), makeAlu(1), makeAlu(2)];

// ---- Shifts and rotates (group 2). Count already masked to 5 bits by the caller. ----

/** Sign-extend a normalised value of size class sz to int32. */
export const sext = (v: number, sz: number): number => (sz === 2 ? v | 0 : sz === 1 ? (v << 16) >> 16 : (v << 24) >> 24);

export type Shift = (c: Cpu, a: number, n: number) => number;

function makeShifts(sz: number): Shift[] {
  const bits = BITS[sz], mask = MASKS[sz], sign = SIGNS[sz];
  const msb = (v: number) => (v & sign ? 1 : 0);
  const flagsKeep = (c: Cpu) => getFlags(c) & ~(CF | OF);
  const rol: Shift = (c, a, n) => {
    if (n === 0) return a;
    const k = n & (bits - 1);
    const r = k === 0 ? a : ((a << k) | ((a & mask) >>> (bits - k))) & mask;
    const cf = r & 1;
    setArith(c, flagsKeep(c) | cf | ((msb(r) ^ cf) ? OF : 0));
    return r;
  };
  const ror: Shift = (c, a, n) => {
    if (n === 0) return a;
    const k = n & (bits - 1);
    const r = k === 0 ? a : (((a & mask) >>> k) | (a << (bits - k))) & mask;
    const cf = msb(r);
    const of = cf ^ ((r >> (bits - 2)) & 1);
    setArith(c, flagsKeep(c) | cf | (of ? OF : 0));
    return r;
  };
  const rcl: Shift = (c, a, n) => {
    n = sz === 0 ? n % 9 : sz === 1 ? n % 17 : n;
    if (n === 0) return a;
    let cf = getCF(c), r = a & mask;
    for (let i = 0; i < n; i++) {
      const out = r & sign ? 1 : 0;
      r = ((r << 1) | cf) & mask;
      cf = out;
    }
    setArith(c, flagsKeep(c) | cf | ((msb(r) ^ cf) ? OF : 0));
    return r;
  };
  const rcr: Shift = (c, a, n) => {
    n = sz === 0 ? n % 9 : sz === 1 ? n % 17 : n;
    if (n === 0) return a;
    let cf = getCF(c), r = a & mask;
    // OF is defined for a count of 1: MSB(dest) xor CF, both before the rotate.
    const of = msb(r) ^ cf;
    for (let i = 0; i < n; i++) {
      const out = r & 1;
      r = ((r & mask) >>> 1 | (cf ? sign : 0)) & mask;
      cf = out;
    }
    setArith(c, flagsKeep(c) | cf | (of ? OF : 0));
    return r;
  };
  const shl: Shift = (c, a, n) => {
    if (n === 0) return a;
    const r = n >= 32 ? 0 : (a << n) & mask;
    const cf = n > bits ? 0 : ((a & mask) >>> (bits - n)) & 1;
    setArith(c, szp(r, sz) | cf | ((msb(r) ^ cf) ? OF : 0));
    return r;
  };
  const shr: Shift = (c, a, n) => {
    if (n === 0) return a;
    const u = a & mask;
    const r = (u >>> n) & mask;
    const cf = n > bits ? 0 : (u >>> (n - 1)) & 1;
    setArith(c, szp(r, sz) | cf | (msb(a) ? OF : 0) * (n === 1 ? 1 : 0));
    return r;
  };
  const sar: Shift = (c, a, n) => {
    if (n === 0) return a;
    const v = sext(a, sz);
    const r = (v >> Math.min(n, 31)) & mask;
    const cf = (v >> Math.min(n - 1, 31)) & 1;
    setArith(c, szp(r, sz) | cf);
    return r;
  };
  return [rol, ror, rcl, rcr, shl, shr, shl, sar];
}

/** SHIFTS[sz][reg]: rol ror rcl rcr shl shr sal sar. */
export const SHIFTS: Shift[][] = [makeShifts(0), makeShifts(1), makeShifts(2)];

/** SHLD/SHRD: shift `a` by n (1..31) filling from `b`. */
export function shld(c: Cpu, a: number, b: number, n: number, sz: number): number {
  n &= 31;
  if (n === 0) return a;
  const bits = BITS[sz], mask = MASKS[sz];
  let r: number, cf: number;
  if (sz === 2) {
    r = (a << n) | (b >>> (32 - n));
    cf = (a >>> (32 - n)) & 1;
  } else {
    // 16-bit with counts above 16 is undefined; this follows what Intel CPUs produce.
    const wide = ((a & 0xffff) * 0x10000 + (b & 0xffff)) * 0x10000 + (a & 0xffff);
    r = Math.floor(wide / 2 ** (32 - n)) & mask;
    cf = Math.floor(wide / 2 ** (48 - n)) & 1;
  }
  r &= mask;
  const of = ((r ^ a) & SIGNS[sz]) !== 0;
  setArith(c, szp(r, sz) | cf | (of ? OF : 0));
  void bits;
  return r;
}
export function shrd(c: Cpu, a: number, b: number, n: number, sz: number): number {
  n &= 31;
  if (n === 0) return a;
  const mask = MASKS[sz];
  let r: number, cf: number;
  if (sz === 2) {
    r = (a >>> n) | (b << (32 - n));
    cf = (a >>> (n - 1)) & 1;
  } else {
    const wide = ((a & 0xffff) * 0x10000 + (b & 0xffff)) * 0x10000 + (a & 0xffff);
    r = Math.floor(wide / 2 ** n) & mask;
    cf = Math.floor(wide / 2 ** (n - 1)) & 1;
  }
  r &= mask;
  const of = ((r ^ a) & SIGNS[sz]) !== 0;
  setArith(c, szp(r, sz) | cf | (of ? OF : 0));
  return r;
}

// ---- Multiply and divide ----

/** High 32 bits of the unsigned 64-bit product of two 32-bit values. */
export function mulhu(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}
/** High 32 bits of the signed 64-bit product. */
export function mulhs(a: number, b: number): number {
  return (mulhu(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}

/** Undefined flags after MUL/IMUL: SF, ZF, PF follow the low result on the CPUs we test on. */
function mulFlags(c: Cpu, lo: number, sz: number, overflow: boolean): void {
  setArith(c, (szp(lo, sz) & ~ZF) | (overflow ? CF | OF : 0));
}

export function mul(c: Cpu, src: number, sz: number): void {
  const s = c.s;
  if (sz === 0) {
    const r = (s[EAX] & 0xff) * src;
    c.w16[0] = r;
    mulFlags(c, r & 0xff, 0, r > 0xff);
  } else if (sz === 1) {
    const r = (s[EAX] & 0xffff) * src;
    c.w16[0] = r; c.w16[EDX * 2] = r >>> 16;
    mulFlags(c, r & 0xffff, 1, r > 0xffff);
  } else {
    const a = s[EAX];
    const hi = mulhu(a, src);
    s[EAX] = Math.imul(a, src);
    s[EDX] = hi;
    mulFlags(c, s[EAX], 2, hi !== 0);
  }
}

export function imul1(c: Cpu, src: number, sz: number): void {
  const s = c.s;
  if (sz === 0) {
    const r = sext(s[EAX] & 0xff, 0) * sext(src, 0);
    c.w16[0] = r;
    mulFlags(c, r & 0xff, 0, r !== ((r << 24) >> 24));
  } else if (sz === 1) {
    const r = sext(s[EAX] & 0xffff, 1) * sext(src, 1);
    c.w16[0] = r; c.w16[EDX * 2] = r >> 16;
    mulFlags(c, r & 0xffff, 1, r !== ((r << 16) >> 16));
  } else {
    const a = s[EAX];
    const hi = mulhs(a, src);
    const lo = Math.imul(a, src);
    s[EAX] = lo; s[EDX] = hi;
    mulFlags(c, lo, 2, hi !== (lo >> 31));
  }
}

/** Two- and three-operand IMUL: truncated signed product, CF=OF on overflow. */
export function imul2(c: Cpu, a: number, b: number, sz: number): number {
  if (sz === 2) {
    const lo = Math.imul(a, b);
    // The double product is exact below 2^53; above it, it cannot equal a 32-bit value anyway.
    mulFlags(c, lo, 2, a * b !== lo);
    return lo;
  }
  const r = sext(a, 1) * sext(b, 1);
  const lo = r & 0xffff;
  mulFlags(c, lo, 1, r !== ((r << 16) >> 16));
  return lo;
}

/** #DE: SIGFPE/FPE_INTDIV with si_addr at the divide instruction (`at`), as Linux reports it. */
const divideError = (at: number) => new CpuException(8 /* SIGFPE */, 1 /* FPE_INTDIV */, at >>> 0, 0);

export function div(c: Cpu, src: number, sz: number, at: number): void {
  const s = c.s;
  if (sz === 0) {
    const n = s[EAX] & 0xffff;
    if (src === 0) throw divideError(at);
    const q = Math.floor(n / src);
    if (q > 0xff) throw divideError(at);
    c.w16[0] = ((n % src) << 8) | q;
  } else if (sz === 1) {
    const n = (s[EDX] & 0xffff) * 0x10000 + (s[EAX] & 0xffff);
    if (src === 0) throw divideError(at);
    const q = Math.floor(n / src);
    if (q > 0xffff) throw divideError(at);
    c.w16[0] = q; c.w16[EDX * 2] = n % src;
  } else {
    const d = src >>> 0;
    if (d === 0) throw divideError(at);
    const hi = s[EDX] >>> 0, lo = s[EAX] >>> 0;
    if (hi === 0) {
      s[EAX] = Math.floor(lo / d); s[EDX] = lo % d;
      return;
    }
    if (hi >= d) throw divideError(at);
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    const D = BigInt(d);
    s[EAX] = Number(n / D); s[EDX] = Number(n % D);
  }
}

export function idiv(c: Cpu, src: number, sz: number, at: number): void {
  const s = c.s;
  if (sz === 0) {
    const n = (s[EAX] << 16) >> 16, d = sext(src, 0);
    if (d === 0) throw divideError(at);
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) throw divideError(at);
    c.w16[0] = ((n % d & 0xff) << 8) | (q & 0xff);
  } else if (sz === 1) {
    const n = (s[EDX] << 16) | (s[EAX] & 0xffff), d = sext(src, 1);
    if (d === 0) throw divideError(at);
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) throw divideError(at);
    c.w16[0] = q; c.w16[EDX * 2] = n % d;
  } else {
    const d = src | 0;
    if (d === 0) throw divideError(at);
    const hi = s[EDX], lo = s[EAX];
    if ((hi === 0 && lo >= 0) || (hi === -1 && lo < 0)) {
      if (lo === -0x80000000 && d === -1) throw divideError(at);
      s[EAX] = Math.trunc(lo / d); s[EDX] = lo % d;
      return;
    }
    const n = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
    const D = BigInt(d);
    const q = n / D;
    if (q > 0x7fffffffn || q < -0x80000000n) throw divideError(at);
    s[EAX] = Number(q); s[EDX] = Number(n % D);
  }
}
