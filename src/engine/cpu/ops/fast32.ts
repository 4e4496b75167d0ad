/**
 * Specialised closures for the commonest instructions: 32-bit add/sub/cmp/and/or/xor/test
 * between registers or with an immediate. They record lazy flags inline instead of
 * calling through the generic ALU table, which removes a megamorphic call per
 * instruction (measured: the LCG loop in bench went from 41 to ~55 MIPS). Those closures
 * are generated from the one definition of each operation (ops/alu-defs.ts -> alu.gen.ts).
 */
import type { Op } from '../cpu.js';
import { K_DEC, K_INC, LOP_CFOF, LOP_NONE, PARITY, cond, getCF } from '../flags.js';
import { ARITH_FLAGS, CF, EIP, FLAGS, LA, LB, LOP, LRES, OF, SF, ZF } from '../state.js';
import { ALU, type Alu2 } from './alu.js';
import { K_TEST, LLOG32 as LLOG, LSUB32 as LSUB, lazyReg32, lazyRow } from './alu.gen.js';

const A = ALU[2];
const adc = A.adc, sbb = A.sbb;

/** The group-1 row of a 32-bit ALU primitive (K_TEST for test), or -1. */
export const rowOf = (f: Alu2): number => (f === A.test ? K_TEST : A.group.indexOf(f));

/** A specialised op for `dst(reg) op= src` (src a register index or immediate), or null. */
export function fastReg32(f: Alu2, d: number, srcImm: boolean, v: number): Op | null {
  const k = rowOf(f);
  if (lazyRow(k)) return lazyReg32(k, d, srcImm, v);
  // adc/sbb compute flags eagerly; calling the one known primitive keeps the call monomorphic.
  if (f === adc) return srcImm ? (c) => { const s = c.s; s[d] = adc(c, s[d], v); } : (c) => { const s = c.s; s[d] = adc(c, s[d], s[v]); };
  if (f === sbb) return srcImm ? (c) => { const s = c.s; s[d] = sbb(c, s[d], v); } : (c) => { const s = c.s; s[d] = sbb(c, s[d], s[v]); };
  return null;
}

/** neg and not of 32-bit register d. */
export function fastNeg32(d: number): Op {
  return (c) => { const s = c.s; const a = s[d]; const r = -a | 0; s[LOP] = LSUB; s[LA] = 0; s[LB] = a; s[LRES] = r; s[d] = r; };
}
export function fastNot32(d: number): Op {
  return (c) => { const s = c.s; s[d] = ~s[d]; };
}

// ---- Group 2 on a 32-bit register ----
// The generic SHIFTS rows go through getFlags()/setArith() for every shift; sha256 is
// mostly ror/rol/shr. These compute the same flags inline. Rotates change only CF and
// OF, so they leave the lazy record in place and mark it with LOP_CFOF instead of
// materialising it.

/** Set CF and OF from a rotate (cfof holds only those bits); keep the other flags as they are. */
function rotFlags(s: Int32Array, cfof: number): void {
  s[FLAGS] = (s[FLAGS] & ~(CF | OF)) | cfof;
  if (s[LOP] !== LOP_NONE) s[LOP] |= LOP_CFOF;
}
/** Eager flags of shl/shr/sar: SF ZF PF from r, CF, OF; AF cleared (as the generic rows do). */
function shiftFlags(s: Int32Array, r: number, cf: number, of: number): void {
  s[FLAGS] = (s[FLAGS] & ~ARITH_FLAGS) | PARITY[r & 0xff] | (r === 0 ? ZF : 0) | ((r >>> 24) & SF) | cf | (of << 11);
  s[LOP] = LOP_NONE;
}
// n is 1..31 in all of these.
function rol32(s: Int32Array, a: number, n: number): number {
  const r = (a << n) | (a >>> (32 - n));
  const cf = r & 1;
  rotFlags(s, cf | (((r >>> 31) ^ cf) << 11));
  return r;
}
function ror32(s: Int32Array, a: number, n: number): number {
  const r = (a >>> n) | (a << (32 - n));
  const cf = r >>> 31;
  rotFlags(s, cf | ((cf ^ ((r >>> 30) & 1)) << 11));
  return r;
}
function shl32(s: Int32Array, a: number, n: number): number {
  const r = a << n;
  const cf = (a >>> (32 - n)) & 1;
  shiftFlags(s, r, cf, (r >>> 31) ^ cf);
  return r;
}
function shr32(s: Int32Array, a: number, n: number): number {
  const r = (a >>> n) | 0;
  shiftFlags(s, r, (a >>> (n - 1)) & 1, n === 1 ? a >>> 31 : 0);
  return r;
}
function sar32(s: Int32Array, a: number, n: number): number {
  const r = a >> n;
  shiftFlags(s, r, (a >> (n - 1)) & 1, 0);
  return r;
}

/**
 * rol/ror/shl/shr/sal/sar (group 2 /k) of 32-bit register d by a fixed count n (1..31),
 * or by CL when n < 0. rcl/rcr and count 0 stay on the generic path (null).
 */
export function fastShift32(k: number, d: number, n: number): Op | null {
  if (n === 0) return null;
  if (n > 0) {
    switch (k) {
      case 0: return (c) => { const s = c.s; s[d] = rol32(s, s[d], n); };
      case 1: return (c) => { const s = c.s; s[d] = ror32(s, s[d], n); };
      case 4: case 6: return (c) => { const s = c.s; s[d] = shl32(s, s[d], n); };
      case 5: return (c) => { const s = c.s; s[d] = shr32(s, s[d], n); };
      case 7: return (c) => { const s = c.s; s[d] = sar32(s, s[d], n); };
    }
    return null;
  }
  switch (k) {
    case 0: return (c) => { const s = c.s; const m = s[1] & 31; if (m !== 0) s[d] = rol32(s, s[d], m); };
    case 1: return (c) => { const s = c.s; const m = s[1] & 31; if (m !== 0) s[d] = ror32(s, s[d], m); };
    case 4: case 6: return (c) => { const s = c.s; const m = s[1] & 31; if (m !== 0) s[d] = shl32(s, s[d], m); };
    case 5: return (c) => { const s = c.s; const m = s[1] & 31; if (m !== 0) s[d] = shr32(s, s[d], m); };
    case 7: return (c) => { const s = c.s; const m = s[1] & 31; if (m !== 0) s[d] = sar32(s, s[d], m); };
  }
  return null;
}

// ---- Jcc ----
// One closure per condition, reading the lazy record inline for the common producers
// (a 32-bit cmp/sub for the ordered conditions, any record for ZF/SF); the rest go to
// cond(). EIP is already the fall-through address, so only a taken branch stores.

/** Jcc with condition cc to target t. */
export function fastJcc(cc: number, t: number): Op {
  switch (cc) {
    case 0x2: return (c) => { const s = c.s; if (s[LOP] === LSUB ? (s[LA] >>> 0) < (s[LB] >>> 0) : cond(c, 0x2)) s[EIP] = t; };
    case 0x3: return (c) => { const s = c.s; if (s[LOP] === LSUB ? (s[LA] >>> 0) >= (s[LB] >>> 0) : cond(c, 0x3)) s[EIP] = t; };
    case 0x4: return (c) => { const s = c.s; if (s[LOP] !== LOP_NONE ? s[LRES] === 0 : (s[FLAGS] & ZF) !== 0) s[EIP] = t; };
    case 0x5: return (c) => { const s = c.s; if (s[LOP] !== LOP_NONE ? s[LRES] !== 0 : (s[FLAGS] & ZF) === 0) s[EIP] = t; };
    case 0x6: return (c) => { const s = c.s; if (s[LOP] === LSUB ? (s[LA] >>> 0) <= (s[LB] >>> 0) : cond(c, 0x6)) s[EIP] = t; };
    case 0x7: return (c) => { const s = c.s; if (s[LOP] === LSUB ? (s[LA] >>> 0) > (s[LB] >>> 0) : cond(c, 0x7)) s[EIP] = t; };
    case 0x8: return (c) => { const s = c.s; if (s[LOP] === LSUB || s[LOP] === LLOG ? s[LRES] < 0 : cond(c, 0x8)) s[EIP] = t; };
    case 0x9: return (c) => { const s = c.s; if (s[LOP] === LSUB || s[LOP] === LLOG ? s[LRES] >= 0 : cond(c, 0x9)) s[EIP] = t; };
    case 0xc: return (c) => { const s = c.s; if (s[LOP] === LSUB ? s[LA] < s[LB] : cond(c, 0xc)) s[EIP] = t; };
    case 0xd: return (c) => { const s = c.s; if (s[LOP] === LSUB ? s[LA] >= s[LB] : cond(c, 0xd)) s[EIP] = t; };
    case 0xe: return (c) => { const s = c.s; if (s[LOP] === LSUB ? s[LA] <= s[LB] : cond(c, 0xe)) s[EIP] = t; };
    case 0xf: return (c) => { const s = c.s; if (s[LOP] === LSUB ? s[LA] > s[LB] : cond(c, 0xf)) s[EIP] = t; };
  }
  return (c) => { if (cond(c, cc)) c.s[EIP] = t; };
}

// ---- imul r32, r/m32, imm and imul r32, r/m32 ----
/** Truncated signed product with the flags imul2() sets (SF PF from the low half, ZF and AF clear). */
export function imul32(s: Int32Array, a: number, b: number): number {
  const lo = Math.imul(a, b);
  // The double product is exact below 2^53; above it, it cannot equal a 32-bit value anyway.
  s[FLAGS] = (s[FLAGS] & ~ARITH_FLAGS) | PARITY[lo & 0xff] | ((lo >>> 24) & SF) | (a * b !== lo ? CF | OF : 0);
  s[LOP] = LOP_NONE;
  return lo;
}

// ---- inc/dec r32 ----
const LINC = (K_INC << 2) | 2, LDEC = (K_DEC << 2) | 2;
/** inc (dec when down) of 32-bit register d: CF carried into FLAGS, the rest lazy. */
export function fastIncDec32(d: number, down: boolean): Op {
  return down
    ? (c) => { const s = c.s; const a = s[d]; s[FLAGS] = (s[FLAGS] & ~CF) | getCF(c); const r = (a - 1) | 0; s[LOP] = LDEC; s[LA] = a; s[LB] = 1; s[LRES] = r; s[d] = r; }
    : (c) => { const s = c.s; const a = s[d]; s[FLAGS] = (s[FLAGS] & ~CF) | getCF(c); const r = (a + 1) | 0; s[LOP] = LINC; s[LA] = a; s[LB] = 1; s[LRES] = r; s[d] = r; };
}
