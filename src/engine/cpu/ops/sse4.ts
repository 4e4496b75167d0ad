/**
 * SSE4.1 and SSE4.2 (rows-sse4.ts): blends, ptest, sign/zero extension, 64-bit compares,
 * packusdw, min/max, pmulld/pmuldq, phminposuw, mpsadbw, inserts/extracts, round*, crc32, and
 * the SSE4.2 string compares pcmpestri/pcmpestrm/pcmpistri/pcmpistrm. (dpps/dppd: sse-fp.ts.)
 * Semantics: SDM Vol. 2, each instruction's "Operation". Operands as in sse-dispatch.ts.
 */
import type { Cpu } from '../cpu.js';
import type { Decoder } from '../decoder.js';
import { CF, EAX, ECX, EDX, FLAGS, LOP, OF, SF, ZF } from '../state.js';
import { LOP_NONE } from '../flags.js';
import {
  B16, B32, B8, F32, F64, I16, I32, I8, MXCSR, U16, U32, U8, binop, getX, impl, imm8, readMem, setX, srcLoader, xw,
} from './sse-dispatch.js';
import { withImm } from './sse-int.js';
import { getRM, regGet, regSet, rmOperand } from './operand.js';
import { DAZ, IE, PE, raise } from './sse-round.js';

type F = (c: Cpu, n: number) => void;
const lanes = (size: 1 | 2 | 4, signed: boolean, g: (a: number, b: number) => number): F => () => {
  const v = size === 1 ? (signed ? I8 : U8) : size === 2 ? (signed ? I16 : U16) : signed ? I32 : U32;
  const b = size === 1 ? B8 : size === 2 ? B16 : B32;
  for (let i = 0; i < 16 / size; i++) v[i] = g(v[i], v[b + i]);
};
const q = (w: number, signed: boolean): bigint => {
  const v = (BigInt(U32[w + 1]) << 32n) | BigInt(U32[w]);
  return signed ? BigInt.asIntN(64, v) : v;
};
const setQ = (w: number, v: bigint) => { I32[w] = Number(BigInt.asIntN(32, v)); I32[w + 1] = Number(BigInt.asIntN(32, v >> 32n)); };

// Variable blends select by the sign bits of XMM0 (read from the register file: A and B are copies).
impl('66 0f 38 10', (d, row) => binop(d, row, (c) => { const x0 = xw(0) * 4; for (let i = 0; i < 16; i++) if (c.b8[x0 + i] & 0x80) U8[i] = U8[B8 + i]; }));
impl('66 0f 38 14', (d, row) => binop(d, row, (c) => { for (let i = 0; i < 4; i++) if (c.s[xw(0) + i] < 0) I32[i] = I32[B32 + i]; }));
impl('66 0f 38 15', (d, row) => binop(d, row, (c) => { for (let i = 0; i < 4; i += 2) if (c.s[xw(0) + i + 1] < 0) { I32[i] = I32[B32 + i]; I32[i + 1] = I32[B32 + i + 1]; } }));
impl('66 0f 38 17', (d) => { // ptest
  const r = d.reg, load = d.isReg ? ((x) => (c: Cpu) => getX(c, x, B32))(d.rm) : ((ea) => (c: Cpu) => readMem(c, ea(c), 16, B32, true))(d.ea());
  return (c) => {
    load(c); getX(c, r, 0);
    let and = 0, andn = 0;
    for (let i = 0; i < 4; i++) { and |= I32[i] & I32[B32 + i]; andn |= ~I32[i] & I32[B32 + i]; }
    const s = c.s;
    s[LOP] = LOP_NONE;
    s[FLAGS] = (s[FLAGS] & ~0x8d5) | (and === 0 ? ZF : 0) | (andn === 0 ? CF : 0);
  };
});
/** pmovsx/pmovzx: `from`-byte elements of the source's low bytes widened to `to` bytes. */
function pmovx(from: 1 | 2 | 4, to: 2 | 4 | 8, signed: boolean): F {
  return () => {
    const n = 16 / to, out: number[] = [];
    for (let i = 0; i < n; i++) out.push(from === 1 ? (signed ? I8[B8 + i] : U8[B8 + i]) : from === 2 ? (signed ? I16[B16 + i] : U16[B16 + i]) : signed ? I32[B32 + i] : U32[B32 + i]);
    for (let i = 0; i < n; i++) {
      const v = out[i];
      if (to === 2) I16[i] = v; else if (to === 4) I32[i] = v; else { I32[2 * i] = v; I32[2 * i + 1] = v < 0 ? -1 : 0; }
    }
  };
}
const PMOVX: [number, 1 | 2 | 4, 2 | 4 | 8][] = [[0, 1, 2], [1, 1, 4], [2, 1, 8], [3, 2, 4], [4, 2, 8], [5, 4, 8]];
for (const [k, from, to] of PMOVX) {
  const bytes = (16 / to) * from;
  impl(`66 0f 38 ${(0x20 + k).toString(16)}`, (d, row) => binop(d, row, pmovx(from, to, true), bytes, false));
  impl(`66 0f 38 ${(0x30 + k).toString(16)}`, (d, row) => binop(d, row, pmovx(from, to, false), bytes, false));
}
impl('66 0f 38 28', (d, row) => binop(d, row, () => { for (let i = 0; i < 4; i += 2) setQ(i, BigInt(I32[i]) * BigInt(I32[B32 + i])); })); // pmuldq
impl('66 0f 38 29', (d, row) => binop(d, row, () => { for (let i = 0; i < 4; i += 2) { const t = I32[i] === I32[B32 + i] && I32[i + 1] === I32[B32 + i + 1] ? -1 : 0; I32[i] = I32[i + 1] = t; } })); // pcmpeqq
impl('66 0f 38 37', (d, row) => binop(d, row, () => { for (let i = 0; i < 4; i += 2) { const t = q(i, true) > q(B32 + i, true) ? -1 : 0; I32[i] = I32[i + 1] = t; } })); // pcmpgtq
impl('66 0f 38 2a m', (d, row) => binop(d, row, () => { for (let i = 0; i < 4; i++) I32[i] = I32[B32 + i]; })); // movntdqa (aligned load)
impl('66 0f 38 2b', (d, row) => binop(d, row, () => { // packusdw
  const t = [0, 1, 2, 3].map((i) => I32[i]).concat([0, 1, 2, 3].map((i) => I32[B32 + i]));
  for (let i = 0; i < 8; i++) U16[i] = t[i] < 0 ? 0 : t[i] > 65535 ? 65535 : t[i];
}));
const MINMAX: Record<string, F> = {
  '38': lanes(1, true, (a, b) => Math.min(a, b)), '39': lanes(4, true, (a, b) => Math.min(a, b)),
  '3a': lanes(2, false, (a, b) => Math.min(a, b)), '3b': lanes(4, false, (a, b) => Math.min(a, b)),
  '3c': lanes(1, true, (a, b) => Math.max(a, b)), '3d': lanes(4, true, (a, b) => Math.max(a, b)),
  '3e': lanes(2, false, (a, b) => Math.max(a, b)), '3f': lanes(4, false, (a, b) => Math.max(a, b)),
  '40': lanes(4, true, (a, b) => Math.imul(a, b)),
};
for (const [op, f] of Object.entries(MINMAX)) impl(`66 0f 38 ${op}`, (d, row) => binop(d, row, f));
impl('66 0f 38 41', (d, row) => binop(d, row, () => { // phminposuw
  let m = U16[B16], k = 0;
  for (let i = 1; i < 8; i++) if (U16[B16 + i] < m) { m = U16[B16 + i]; k = i; }
  I32[0] = m | (k << 16); I32[1] = I32[2] = I32[3] = 0;
}));
// crc32: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), no inversions (SDM CRC32).
function crcBytes(crc: number, v: number, bytes: number): number {
  for (let k = 0; k < bytes; k++) {
    crc ^= (v >>> (8 * k)) & 0xff;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return crc | 0;
}
impl(['f2 0f 38 f0', 'f2 0f 38 f1'], (d, row) => {
  const sz = row.op === 0xf0 ? 0 : d.opsize === 2 ? 1 : 2, bytes = 1 << sz, r = d.reg;
  const get = getRM(rmOperand(d), sz);
  return (c) => { c.s[r] = crcBytes(c.s[r], get(c), bytes); };
});

// ---- 0F 3A ----
/** round*: imm bits 1:0 the mode unless bit 2 (then MXCSR.RC); bit 3 suppresses PE. */
function roundLane(single: boolean, w: number, imm: number, mx: number): number {
  const rc = imm & 4 ? (mx >> 13) & 3 : imm & 3;
  const hi = single ? I32[w] : I32[w + 1];
  const expMax = single ? (hi & 0x7f800000) === 0x7f800000 : (hi & 0x7ff00000) === 0x7ff00000;
  const fracNz = single ? (hi & 0x7fffff) !== 0 : (hi & 0xfffff) !== 0 || I32[w] !== 0;
  if (expMax) {
    if (!fracNz) return 0;
    const quiet = single ? hi & 0x400000 : hi & 0x80000;
    if (single) I32[w] |= 0x400000; else I32[w + 1] |= 0x80000;
    return quiet ? 0 : IE;
  }
  const denorm = single ? (hi & 0x7f800000) === 0 && fracNz : (hi & 0x7ff00000) === 0 && fracNz;
  if (denorm && mx & DAZ) { if (single) I32[w] &= 0x80000000; else { I32[w] = 0; I32[w + 1] &= 0x80000000; } return 0; }
  const x = single ? F32[w] : F64[w >> 1];
  let r: number;
  if (rc === 1) r = Math.floor(x); else if (rc === 2) r = Math.ceil(x); else if (rc === 3) r = Math.trunc(x);
  else { const fl = Math.floor(x), diff = x - fl; r = diff > 0.5 ? fl + 1 : diff < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1; }
  if (r === 0) r = x < 0 || Object.is(x, -0) ? -0 : 0;
  const flags = r !== x && !(imm & 8) ? PE : 0;
  if (single) F32[w] = r; else F64[w >> 1] = r;
  return flags;
}
for (const [op, single, count] of [['08', true, 4], ['09', false, 2], ['0a', true, 1], ['0b', false, 1]] as const) {
  impl(`66 0f 3a ${op}`, (d, row) => {
    const ip = d.start >>> 0, step = single ? 1 : 2;
    return withImm(d, row, (imm) => (c) => {
      let acc = 0;
      const mx = c.s[MXCSR];
      for (let i = 0; i < count; i++) { const w = B32 + i * step; acc |= roundLane(single, w, imm, mx); I32[i * step] = I32[w]; if (!single) I32[i * step + 1] = I32[w + 1]; }
      raise(c, acc, ip);
    }, count === 1 ? step * 4 : 0);
  });
}
impl('66 0f 3a 0c', (d, row) => withImm(d, row, (imm) => () => { for (let i = 0; i < 4; i++) if (imm & (1 << i)) I32[i] = I32[B32 + i]; }));
impl('66 0f 3a 0d', (d, row) => withImm(d, row, (imm) => () => { for (let i = 0; i < 2; i++) if (imm & (1 << i)) { I32[2 * i] = I32[B32 + 2 * i]; I32[2 * i + 1] = I32[B32 + 2 * i + 1]; } }));
impl('66 0f 3a 0e', (d, row) => withImm(d, row, (imm) => () => { for (let i = 0; i < 8; i++) if (imm & (1 << i)) U16[i] = U16[B16 + i]; }));
impl('66 0f 3a 42', (d, row) => withImm(d, row, (imm) => () => { // mpsadbw
  const a = imm & 4 ? 4 : 0, b = (imm & 3) * 4, t: number[] = [];
  for (let i = 0; i < 8; i++) { let s = 0; for (let k = 0; k < 4; k++) s += Math.abs(U8[a + i + k] - U8[B8 + b + k]); t.push(s); }
  for (let i = 0; i < 8; i++) U16[i] = t[i];
}));
/** pextrb/pextrw/pextrd/extractps: an element of XMM reg to a general register (zero-extended) or memory. */
function extract(d: Decoder, size: 1 | 2 | 4) {
  const r = d.reg;
  const reg = d.isReg ? d.rm : -1, ea = d.isReg ? null : d.ea();
  const sel = imm8(d) & (16 / size - 1);
  const set = reg >= 0 ? regSet(2, reg) : null;
  return (c: Cpu) => {
    getX(c, r, 0);
    const v = size === 1 ? U8[sel] : size === 2 ? U16[sel] : I32[sel];
    if (set) set(c, v);
    else { const a = ea!(c); if (size === 1) c.mem.write8(a, v); else if (size === 2) c.mem.write16(a, v); else c.mem.write32(a, v); }
  };
}
impl('66 0f 3a 14', (d) => extract(d, 1)); impl('66 0f 3a 15', (d) => extract(d, 2));
impl('66 0f 3a 16', (d) => extract(d, 4)); impl('66 0f 3a 17', (d) => extract(d, 4));
impl(['66 0f 3a 20', '66 0f 3a 22'], (d, row) => { // pinsrb / pinsrd
  const size = row.op === 0x20 ? 1 : 4, r = d.reg;
  const src = d.isReg ? regGet(2, d.rm) : ((ea) => (c: Cpu) => (size === 1 ? c.mem.read8(ea(c)) : c.mem.read32(ea(c))))(d.ea());
  const sel = imm8(d) & (16 / size - 1);
  return (c) => { const v = src(c); getX(c, r, 0); if (size === 1) U8[sel] = v; else I32[sel] = v; setX(c, r, 0); };
});
impl('66 0f 3a 21', (d) => { // insertps
  const r = d.reg, isReg = d.isReg, q2 = d.rm, ea = isReg ? null : d.ea();
  const imm = imm8(d), from = isReg ? (imm >> 6) & 3 : 0, to = (imm >> 4) & 3;
  return (c) => {
    if (ea) I32[B32] = c.mem.read32(ea(c)); else getX(c, q2, B32);
    getX(c, r, 0);
    I32[to] = I32[B32 + from];
    for (let i = 0; i < 4; i++) if (imm & (1 << i)) I32[i] = 0;
    setX(c, r, 0);
  };
});

// ---- SSE4.2 string compares (SDM Vol. 2 4.1, "Imm8 Control Byte Operation for PCMPESTRI /
// PCMPESTRM / PCMPISTRI / PCMPISTRM") ----
/**
 * IntRes2 of a string compare on scratch A (xmm1, `la` valid elements) and B (xmm2/m128,
 * `lb` valid): imm[1:0] element format (unsigned bytes, unsigned words, signed bytes,
 * signed words), imm[3:2] aggregation, imm[5:4] polarity. Invalid elements take the
 * forced results of the SDM's Table 4-7 (equal any and ranges: false; equal each: true
 * when both are invalid; equal ordered: true when xmm1's is invalid, false when only
 * xmm2's is), which the loops below apply by their bounds.
 */
function strCompare(imm: number, la: number, lb: number): number {
  const n = imm & 1 ? 8 : 16;
  const el = imm & 1 ? (imm & 2 ? I16 : U16) : imm & 2 ? I8 : U8, b = imm & 1 ? B16 : B8;
  let r = 0;
  switch ((imm >> 2) & 3) {
    case 0: // equal any: xmm2[j] is one of xmm1's valid elements
      for (let j = 0; j < lb; j++) for (let i = 0; i < la; i++) if (el[b + j] === el[i]) { r |= 1 << j; break; }
      break;
    case 1: // ranges: xmm1[i] <= xmm2[j] <= xmm1[i+1] for a valid pair (i even)
      for (let j = 0; j < lb; j++) for (let i = 0; i + 1 < la; i += 2) if (el[i] <= el[b + j] && el[b + j] <= el[i + 1]) { r |= 1 << j; break; }
      break;
    case 2: // equal each: xmm1[i] == xmm2[i]; both invalid counts as equal
      for (let i = 0; i < n; i++) if (i < la ? i < lb && el[i] === el[b + i] : i >= lb) r |= 1 << i;
      break;
    default: // equal ordered: xmm1 (the needle) occurs in xmm2 from j on; xmm1's invalid tail and what runs past element n match
      for (let j = 0; j < n; j++) {
        let ok = true;
        for (let i = 0; i < la && j + i < n; i++) if (j + i >= lb || el[i] !== el[b + j + i]) { ok = false; break; }
        if (ok) r |= 1 << j;
      }
  }
  const pol = (imm >> 4) & 3;
  return pol === 1 ? r ^ ((1 << n) - 1) : pol === 3 ? r ^ ((1 << lb) - 1) : r;
}
/** Explicit length: |reg| saturated to n (SDM: the absolute value of EAX/EDX). */
const explicitLen = (v: number, n: number): number => { const a = Math.abs(v); return a > n ? n : a; };
/** Implicit length: the index of the first zero element, n if none. */
function implicitLen(words: boolean, base: number): number {
  const n = words ? 8 : 16, el = words ? U16 : U8;
  for (let i = 0; i < n; i++) if (el[base + i] === 0) return i;
  return n;
}
for (const op of [0x60, 0x61, 0x62, 0x63]) {
  const explicit = op < 0x62, index = (op & 1) !== 0;
  impl(`66 0f 3a ${op.toString(16)}`, (d) => {
    const r = d.reg, load = srcLoader(d, false, 16, false), imm = imm8(d);
    const words = (imm & 1) !== 0, n = words ? 8 : 16;
    return (c) => {
      load(c); getX(c, r, 0);
      const s = c.s;
      const la = explicit ? explicitLen(s[EAX], n) : implicitLen(words, 0);
      const lb = explicit ? explicitLen(s[EDX], n) : implicitLen(words, words ? B16 : B8);
      const res = strCompare(imm, la, lb);
      if (index) s[ECX] = res === 0 ? n : imm & 0x40 ? 31 - Math.clz32(res) : 31 - Math.clz32(res & -res);
      else {
        // XMM0: IntRes2 as a bit mask (imm[6] = 0) or expanded to element masks.
        const x0 = xw(0);
        if (imm & 0x40) {
          for (let i = 0; i < n; i++) { if (words) U16[i] = res & (1 << i) ? 0xffff : 0; else U8[i] = res & (1 << i) ? 0xff : 0; }
          for (let k = 0; k < 4; k++) s[x0 + k] = I32[k];
        } else { s[x0] = res; s[x0 + 1] = s[x0 + 2] = s[x0 + 3] = 0; }
      }
      // CF: IntRes2 != 0; ZF/SF: xmm2's/xmm1's length below n; OF: IntRes2[0]; AF, PF clear.
      s[LOP] = LOP_NONE;
      s[FLAGS] = (s[FLAGS] & ~0x8d5) | (res !== 0 ? CF : 0) | (lb < n ? ZF : 0) | (la < n ? SF : 0) | (res & 1 ? OF : 0);
    };
  });
}
