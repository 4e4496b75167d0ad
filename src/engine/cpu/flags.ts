/**
 * Lazy arithmetic flags. The hot flag-setting operations (add, sub/cmp, logic, inc, dec)
 * record their kind, size, operands and result; flags are computed only when read.
 * Rarer operations (adc, sbb, shifts, mul, ...) compute flags eagerly with setArith().
 */
import type { Cpu } from './cpu.js';
import { AF, ARITH_FLAGS, CF, FLAGS, LA, LB, LOP, LRES, OF, PF, SF, ZF } from './state.js';

// LOP encodes kind << 2 | size class (0: 8-bit, 1: 16-bit, 2: 32-bit).
export const LOP_NONE = 0;
export const K_ADD = 1, K_SUB = 2, K_LOGIC = 3, K_INC = 4, K_DEC = 5;
/**
 * Extra LOP bit: CF and OF were set eagerly in FLAGS by a later rotate, the other flags
 * still come from the record. Rotates change only CF and OF, so they need not
 * materialise the record first. With the bit set `lop >> 2` matches no kind, so the
 * kind-specific fast paths below fall back to FLAGS for CF.
 */
export const LOP_CFOF = 0x20;

const SIGN = [0x80, 0x8000, 0x80000000 | 0];
const MASK = [0xff, 0xffff, -1];

/** PF for each byte value: set when the number of 1 bits is even. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, n = 0;
  while (b) { n += b & 1; b >>= 1; }
  PARITY[i] = n & 1 ? 0 : PF;
}

/** Compute all six arithmetic flags from the lazy record. */
function computeLazy(s: Int32Array): number {
  const lop = s[LOP];
  const kind = (lop >> 2) & 7, sz = lop & 3;
  const res = s[LRES], a = s[LA], b = s[LB];
  const sign = SIGN[sz];
  let f = PARITY[res & 0xff] | (res === 0 ? ZF : 0) | (res & sign ? SF : 0);
  switch (kind) {
    case K_ADD:
      if ((res >>> 0) < (a >>> 0)) f |= CF;
      if ((a ^ res) & (b ^ res) & sign) f |= OF;
      f |= (a ^ b ^ res) & AF;
      break;
    case K_SUB:
      if ((a >>> 0) < (b >>> 0)) f |= CF;
      if ((a ^ b) & (a ^ res) & sign) f |= OF;
      f |= (a ^ b ^ res) & AF;
      break;
    case K_LOGIC:
      break;
    case K_INC:
      f |= s[FLAGS] & CF;
      if (res === (sign & MASK[sz]) || (sz === 2 && res === sign)) f |= OF;
      f |= (a ^ 1 ^ res) & AF;
      break;
    case K_DEC:
      f |= s[FLAGS] & CF;
      if (res === ((sign - 1) & MASK[sz])) f |= OF;
      f |= (a ^ 1 ^ res) & AF;
      break;
  }
  if (lop & LOP_CFOF) f = (f & ~(CF | OF)) | (s[FLAGS] & (CF | OF));
  return f;
}

/** The full EFLAGS value, with lazy flags materialised (and the record dropped). */
export function getFlags(c: Cpu): number {
  const s = c.s;
  if (s[LOP] !== LOP_NONE) {
    s[FLAGS] = (s[FLAGS] & ~ARITH_FLAGS) | computeLazy(s);
    s[LOP] = LOP_NONE;
  }
  return s[FLAGS];
}

/** Set the arithmetic flags eagerly (drops any lazy record). */
export function setArith(c: Cpu, f: number): void {
  const s = c.s;
  s[FLAGS] = (s[FLAGS] & ~ARITH_FLAGS) | (f & ARITH_FLAGS);
  s[LOP] = LOP_NONE;
}

export function getCF(c: Cpu): number {
  const s = c.s;
  const lop = s[LOP];
  switch (lop >> 2) {
    case 0: return s[FLAGS] & CF;
    case K_ADD: return (s[LRES] >>> 0) < (s[LA] >>> 0) ? 1 : 0;
    case K_SUB: return (s[LA] >>> 0) < (s[LB] >>> 0) ? 1 : 0;
    case K_LOGIC: return 0;
    default: return s[FLAGS] & CF;
  }
}
export function getZF(c: Cpu): boolean {
  const s = c.s;
  return s[LOP] !== LOP_NONE ? s[LRES] === 0 : (s[FLAGS] & ZF) !== 0;
}
export function getSF(c: Cpu): boolean {
  const s = c.s;
  const lop = s[LOP];
  return lop !== LOP_NONE ? (s[LRES] & SIGN[lop & 3]) !== 0 : (s[FLAGS] & SF) !== 0;
}
export function getOF(c: Cpu): boolean {
  return (getFlags(c) & OF) !== 0;
}

/**
 * Evaluate condition code cc (the low nibble of Jcc/SETcc/CMOVcc). The common
 * compare-and-branch cases read the lazy record directly.
 */
export function cond(c: Cpu, cc: number): boolean {
  const s = c.s;
  const lop = s[LOP];
  if ((lop >> 2) === K_SUB) {
    const sz = lop & 3;
    const a = s[LA], b = s[LB];
    // Sign-extend operands of narrow compares so signed comparisons work directly.
    const sa = sz === 2 ? a : sz === 1 ? (a << 16) >> 16 : (a << 24) >> 24;
    const sb = sz === 2 ? b : sz === 1 ? (b << 16) >> 16 : (b << 24) >> 24;
    switch (cc) {
      case 0x2: return (a >>> 0) < (b >>> 0);
      case 0x3: return (a >>> 0) >= (b >>> 0);
      case 0x4: return a === b;
      case 0x5: return a !== b;
      case 0x6: return (a >>> 0) <= (b >>> 0);
      case 0x7: return (a >>> 0) > (b >>> 0);
      case 0xc: return sa < sb;
      case 0xd: return sa >= sb;
      case 0xe: return sa <= sb;
      case 0xf: return sa > sb;
    }
  }
  if ((lop >> 2) === K_LOGIC) {
    // and/or/xor/test: CF = OF = 0, so the ordered conditions reduce to ZF and SF.
    const sz = lop & 3, res = s[LRES];
    const z = res === 0, sf = (res & SIGN[sz]) !== 0;
    switch (cc) {
      case 0x0: case 0x2: return false;
      case 0x1: case 0x3: return true;
      case 0x4: case 0x6: return z;
      case 0x5: case 0x7: return !z;
      case 0x8: case 0xc: return sf;
      case 0x9: case 0xd: return !sf;
      case 0xe: return z || sf;
      case 0xf: return !z && !sf;
    }
  }
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(c); break;
    case 1: r = getCF(c) !== 0; break;
    case 2: r = getZF(c); break;
    case 3: r = getCF(c) !== 0 || getZF(c); break;
    case 4: r = getSF(c); break;
    case 5: r = (getFlags(c) & PF) !== 0; break;
    case 6: r = getSF(c) !== getOF(c); break;
    default: r = getZF(c) || getSF(c) !== getOF(c); break;
  }
  return (cc & 1) ? !r : r;
}
