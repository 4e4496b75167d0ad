/**
 * Packed integer operations (MMX and SSE2 forms alike): arithmetic with wrap-around and
 * saturation, compares, logic, multiplies, averages, min/max, sum of absolute differences,
 * packs and unpacks, shifts; and popcnt. Semantics: Intel SDM Vol. 2, each instruction's
 * "Operation" section. Each operation computes scratch A (destination) from A and B
 * (source) over n bytes (8: MMX, 16: XMM); see sse-dispatch.ts.
 */
import type { Cpu } from '../cpu.js';
import type { Decoder } from '../decoder.js';
import { ROWS, type Row } from '../isa/index.js';
import { FLAGS, LOP, ZF } from '../state.js';
import { LOP_NONE } from '../flags.js';
import {
  B16, B32, B8, I16, I32, I8, U16, U32, U8, binop, getM, getX, imm8, impl, isMmx, setM, setX, simdKey,
} from './sse-dispatch.js';
import { getRM, regGet, regSet, rmOperand } from './operand.js';

type F = (c: Cpu, n: number) => void;

const sat8 = (v: number) => (v > 127 ? 127 : v < -128 ? -128 : v);
const sat16 = (v: number) => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
const satU8 = (v: number) => (v > 255 ? 255 : v < 0 ? 0 : v);
const satU16 = (v: number) => (v > 65535 ? 65535 : v < 0 ? 0 : v);

/** Lane-wise over bytes, words or dwords: A[i] = g(A[i], B[i]) through the given views. */
const lanes8 = (g: (a: number, b: number) => number, signed: boolean): F => (_c, n) => {
  const v = signed ? I8 : U8;
  for (let i = 0; i < n; i++) v[i] = g(v[i], v[B8 + i]);
};
const lanes16 = (g: (a: number, b: number) => number, signed: boolean): F => (_c, n) => {
  const v = signed ? I16 : U16;
  for (let i = 0; i < n >> 1; i++) v[i] = g(v[i], v[B16 + i]);
};
const lanes32 = (g: (a: number, b: number) => number): F => (_c, n) => {
  for (let i = 0; i < n >> 2; i++) I32[i] = g(I32[i], I32[B32 + i]);
};
/** 64-bit lanes as dword pairs: add (sub = false) or subtract with the carry between halves. */
const addsub64 = (sub: boolean): F => (_c, n) => {
  for (let i = 0; i < n >> 2; i += 2) {
    const al = U32[i], bl = U32[B32 + i];
    const lo = sub ? al - bl : al + bl;
    const carry = sub ? (al < bl ? -1 : 0) : lo > 0xffffffff ? 1 : 0;
    I32[i] = lo;
    I32[i + 1] = sub ? (I32[i + 1] - I32[B32 + i + 1] + carry) | 0 : (I32[i + 1] + I32[B32 + i + 1] + carry) | 0;
  }
};

/** The low 64 bits of the unsigned product of two dwords, into out words [lo, hi]. */
function mulU32(a: number, b: number, out: Int32Array, at: number): void {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, mid = ah * bl + al * bh, hh = ah * bh;
  // mid < 2^33: split it so every sum stays exact in a double.
  const lo = ll + (mid % 65536) * 65536;
  out[at] = lo % 4294967296;
  out[at + 1] = hh + Math.floor(mid / 65536) + Math.floor(lo / 4294967296);
}

const OPS: Record<string, F> = {
  paddb: lanes8((a, b) => a + b, false), paddw: lanes16((a, b) => a + b, false), paddd: lanes32((a, b) => (a + b) | 0),
  paddq: addsub64(false),
  psubb: lanes8((a, b) => a - b, false), psubw: lanes16((a, b) => a - b, false), psubd: lanes32((a, b) => (a - b) | 0),
  psubq: addsub64(true),
  paddsb: lanes8((a, b) => sat8(a + b), true), paddsw: lanes16((a, b) => sat16(a + b), true),
  paddusb: lanes8((a, b) => satU8(a + b), false), paddusw: lanes16((a, b) => satU16(a + b), false),
  psubsb: lanes8((a, b) => sat8(a - b), true), psubsw: lanes16((a, b) => sat16(a - b), true),
  psubusb: lanes8((a, b) => satU8(a - b), false), psubusw: lanes16((a, b) => satU16(a - b), false),
  pcmpeqb: lanes8((a, b) => (a === b ? -1 : 0), true), pcmpeqw: lanes16((a, b) => (a === b ? -1 : 0), true),
  pcmpeqd: lanes32((a, b) => (a === b ? -1 : 0)),
  pcmpgtb: lanes8((a, b) => (a > b ? -1 : 0), true), pcmpgtw: lanes16((a, b) => (a > b ? -1 : 0), true),
  pcmpgtd: lanes32((a, b) => (a > b ? -1 : 0)),
  pand: lanes32((a, b) => a & b), pandn: lanes32((a, b) => ~a & b), por: lanes32((a, b) => a | b), pxor: lanes32((a, b) => a ^ b),
  pmullw: lanes16((a, b) => Math.imul(a, b), true),
  pmulhw: lanes16((a, b) => (a * b) >> 16, true),
  pmulhuw: lanes16((a, b) => (a * b) >>> 16, false),
  pavgb: lanes8((a, b) => (a + b + 1) >> 1, false), pavgw: lanes16((a, b) => (a + b + 1) >> 1, false),
  pminub: lanes8((a, b) => (a < b ? a : b), false), pmaxub: lanes8((a, b) => (a > b ? a : b), false),
  pminsw: lanes16((a, b) => (a < b ? a : b), true), pmaxsw: lanes16((a, b) => (a > b ? a : b), true),
  pmuludq: (_c, n) => { for (let i = 0; i < n >> 2; i += 2) mulU32(U32[i], U32[B32 + i], I32, i); },
  pmaddwd: (_c, n) => {
    for (let i = 0; i < n >> 2; i++) I32[i] = (I16[2 * i] * I16[B16 + 2 * i] + I16[2 * i + 1] * I16[B16 + 2 * i + 1]) | 0;
  },
  psadbw: (_c, n) => {
    for (let q = 0; q < n >> 3; q++) {
      let sum = 0;
      for (let i = q * 8; i < q * 8 + 8; i++) sum += Math.abs(U8[i] - U8[B8 + i]);
      I32[q * 2] = sum; I32[q * 2 + 1] = 0;
    }
  },
  // Packs: destination lanes first, then source lanes, each narrowed with saturation.
  packsswb: (_c, n) => { const w = n >> 1; const t = Array.from({ length: n }, (_, i) => (i < w ? I16[i] : I16[B16 + i - w])); for (let i = 0; i < n; i++) I8[i] = sat8(t[i]); },
  packuswb: (_c, n) => { const w = n >> 1; const t = Array.from({ length: n }, (_, i) => (i < w ? I16[i] : I16[B16 + i - w])); for (let i = 0; i < n; i++) U8[i] = satU8(t[i]); },
  packssdw: (_c, n) => { const w = n >> 2; const t = Array.from({ length: n >> 1 }, (_, i) => (i < w ? I32[i] : I32[B32 + i - w])); for (let i = 0; i < n >> 1; i++) I16[i] = sat16(t[i]); },
  // Unpacks: interleave the low (or high) halves, destination element first.
  punpcklbw: unpack(1, false), punpcklwd: unpack(2, false), punpckldq: unpack(4, false), punpcklqdq: unpack(8, false),
  punpckhbw: unpack(1, true), punpckhwd: unpack(2, true), punpckhdq: unpack(4, true), punpckhqdq: unpack(8, true),
  // Shifts by the count in the source's low quadword (a count above 2^32 shifts everything out).
  psrlw: shift(2, 'l'), psrld: shift(4, 'l'), psrlq: shift(8, 'l'),
  psraw: shift(2, 'a'), psrad: shift(4, 'a'),
  psllw: shift(2, 'h'), pslld: shift(4, 'h'), psllq: shift(8, 'h'),
};

function unpack(size: number, high: boolean): F {
  return (_c, n) => {
    const half = n >> 1, from = high ? half : 0;
    const t = new Uint8Array(n);
    for (let i = 0; i < half / size; i++) {
      for (let k = 0; k < size; k++) {
        t[2 * i * size + k] = U8[from + i * size + k];
        t[(2 * i + 1) * size + k] = U8[B8 + from + i * size + k];
      }
    }
    U8.set(t, 0);
  };
}

/** Shift each lane of `size` bytes of A by count: l logical right, a arithmetic right, h left. */
export function shiftBy(size: number, kind: 'l' | 'a' | 'h', n: number, count: number): void {
  const bits = size * 8;
  if (count > bits - 1) {
    if (kind !== 'a') { for (let i = 0; i < n >> 2; i++) I32[i] = 0; return; }
    count = bits - 1;
  }
  if (size === 2) {
    for (let i = 0; i < n >> 1; i++) I16[i] = kind === 'h' ? I16[i] << count : kind === 'l' ? U16[i] >>> count : I16[i] >> count;
  } else if (size === 4) {
    for (let i = 0; i < n >> 2; i++) I32[i] = kind === 'h' ? I32[i] << count : kind === 'l' ? I32[i] >>> count : I32[i] >> count;
  } else {
    for (let i = 0; i < n >> 2; i += 2) {
      const lo = U32[i], hi = U32[i + 1];
      if (count === 0) continue;
      if (kind === 'h') {
        if (count >= 32) { I32[i + 1] = lo << (count - 32); I32[i] = 0; } else { I32[i + 1] = (hi << count) | (lo >>> (32 - count)); I32[i] = lo << count; }
      } else if (count >= 32) { I32[i] = hi >>> (count - 32); I32[i + 1] = 0; } else { I32[i] = (lo >>> count) | (hi << (32 - count)); I32[i + 1] = hi >>> count; }
    }
  }
}
function shift(size: number, kind: 'l' | 'a' | 'h'): F {
  return (_c, n) => shiftBy(size, kind, n, I32[B32 + 1] !== 0 ? 1 << 30 : U32[B32] > 64 ? 64 : U32[B32]);
}

// The register-operand arithmetic rows: MMX (no prefix) and SSE2 (66) forms.
for (const row of ROWS) {
  const f = OPS[row.mnem];
  if (!row.handler.startsWith('sse ') || f === undefined || row.reg >= 0) continue;
  // MMX punpckl* read a dword from memory (SDM: "mm, mm/m32"); the rest a full operand.
  impl(simdKey(row), (d, r) => binop(d, r, f, isMmx(r) && /^punpckl/.test(r.mnem) ? 4 : 0));
}

// ---- Shifts by immediate (groups 12-14) ----
for (const [op, k, size, kind] of [[0x71, 2, 2, 'l'], [0x71, 4, 2, 'a'], [0x71, 6, 2, 'h'], [0x72, 2, 4, 'l'], [0x72, 4, 4, 'a'],
  [0x72, 6, 4, 'h'], [0x73, 2, 8, 'l'], [0x73, 6, 8, 'h']] as const) {
  const key = `0f ${op.toString(16)}/${k} r`;
  impl([key, `66 ${key}`], (d, row) => {
    const r = d.rm, count = imm8(d), mmx = isMmx(row), n = mmx ? 8 : 16;
    return mmx
      ? (c) => { getM(c, r, 0); shiftBy(size, kind, n, count); setM(c, r, 0); }
      : (c) => { getX(c, r, 0); shiftBy(size, kind, n, count); setX(c, r, 0); };
  });
}
// psrldq / pslldq: whole-register byte shifts.
impl(['66 0f 73/3 r', '66 0f 73/7 r'], (d) => {
  const r = d.rm, count = Math.min(imm8(d), 16), left = d.reg === 7;
  return (c) => {
    getX(c, r, 0);
    const t = new Uint8Array(16);
    for (let i = 0; i < 16; i++) { const j = left ? i - count : i + count; t[i] = j >= 0 && j < 16 ? U8[j] : 0; }
    U8.set(t, 0);
    setX(c, r, 0);
  };
});

// ---- Shuffles, inserts, extracts, masks ----
impl('0f 70', (d, row) => { // pshufw mm, mm/m64, imm8
  const f = (imm: number): F => () => { const t = [0, 1, 2, 3].map((i) => U16[B16 + ((imm >> (2 * i)) & 3)]); for (let i = 0; i < 4; i++) U16[i] = t[i]; };
  return withImm(d, row, f);
});
impl('66 0f 70', (d, row) => withImm(d, row, (imm) => () => { // pshufd
  const t = [0, 1, 2, 3].map((i) => I32[B32 + ((imm >> (2 * i)) & 3)]); for (let i = 0; i < 4; i++) I32[i] = t[i];
}));
impl('f3 0f 70', (d, row) => withImm(d, row, (imm) => () => { // pshufhw
  const t = [0, 1, 2, 3].map((i) => U16[B16 + 4 + ((imm >> (2 * i)) & 3)]);
  I32[0] = I32[B32]; I32[1] = I32[B32 + 1];
  for (let i = 0; i < 4; i++) U16[4 + i] = t[i];
}));
impl('f2 0f 70', (d, row) => withImm(d, row, (imm) => () => { // pshuflw
  const t = [0, 1, 2, 3].map((i) => U16[B16 + ((imm >> (2 * i)) & 3)]);
  I32[2] = I32[B32 + 2]; I32[3] = I32[B32 + 3];
  for (let i = 0; i < 4; i++) U16[i] = t[i];
}));
/** binop whose operation depends on an immediate that follows the ModRM operand. */
export function withImm(d: Decoder, row: Row, f: (imm: number) => F, bytes = 0): ReturnType<typeof binop> {
  let g: F = () => {};
  const op = binop(d, row, (c, n) => g(c, n), bytes);
  g = f(imm8(d));
  return op;
}

impl(['0f c4', '66 0f c4'], (d, row) => { // pinsrw mm/xmm, r32/m16, imm8
  const mmx = isMmx(row), r = d.reg;
  const src = d.isReg ? regGet(2, d.rm) : ((ea) => (c: Cpu) => c.mem.read16(ea(c)))(d.ea());
  const sel = imm8(d) & (mmx ? 3 : 7);
  return mmx
    ? (c) => { const v = src(c); getM(c, r, 0); U16[sel] = v; setM(c, r, 0); }
    : (c) => { const v = src(c); getX(c, r, 0); U16[sel] = v; setX(c, r, 0); };
});
impl(['0f c5 r', '66 0f c5 r'], (d, row) => { // pextrw r32, mm/xmm, imm8
  const mmx = isMmx(row), q = d.rm, set = regSet(2, d.reg);
  const sel = imm8(d) & (mmx ? 3 : 7);
  return mmx ? (c) => { getM(c, q, 0); set(c, U16[sel]); } : (c) => { getX(c, q, 0); set(c, U16[sel]); };
});
impl(['0f d7 r', '66 0f d7 r'], (d, row) => { // pmovmskb r32, mm/xmm
  const mmx = isMmx(row), q = d.rm, set = regSet(2, d.reg), n = mmx ? 8 : 16;
  return (c) => {
    if (mmx) getM(c, q, 0); else getX(c, q, 0);
    let m = 0;
    for (let i = 0; i < n; i++) m |= (U8[i] >> 7) << i;
    set(c, m);
  };
});
impl(['0f f7 r', '66 0f f7 r'], (d, row) => { // maskmovq / maskmovdqu: byte stores to DS:EDI selected by the mask's sign bits
  const mmx = isMmx(row), r = d.reg, q = d.rm, n = mmx ? 8 : 16;
  const base = d.segBaseOf(3);
  const a16 = d.adsize === 2;
  return (c) => {
    if (mmx) { getM(c, r, 0); getM(c, q, 4); } else { getX(c, r, 0); getX(c, q, 4); }
    let a = a16 ? c.s[7] & 0xffff : c.s[7] >>> 0;
    if (base) a = (a + base(c)) >>> 0;
    for (let i = 0; i < n; i++) if (U8[B8 + i] & 0x80) c.mem.write8((a + i) >>> 0, U8[i]);
  };
});

// ---- popcnt (F3 0F B8): ZF = source is zero; OF SF AF CF PF cleared ----
impl('f3 0f b8', (d) => {
  const sz = d.opsize === 2 ? 1 : 2, rm = rmOperand(d), get = getRM(rm, sz), set = regSet(sz, d.reg);
  return (c) => {
    let v = get(c) >>> 0, k = 0;
    while (v) { v &= v - 1; k++; }
    set(c, k);
    const s = c.s;
    s[LOP] = LOP_NONE;
    s[FLAGS] = (s[FLAGS] & ~0x8d5) | (k === 0 ? ZF : 0);
  };
});

// ---- SSSE3 (0F 38 xx, 0F 3A 0F): MMX and 66 forms ----
/** Horizontal pairs: result lanes are f(A[2i], A[2i+1]) for the first half, then the same over B. */
const horiz = (size: 2 | 4, f: (a: number, b: number) => number): F => (_c, n) => {
  const v = size === 2 ? I16 : I32, lanes = n / size, b = size === 2 ? B16 : B32;
  const t: number[] = [];
  for (let i = 0; i < lanes; i += 2) t.push(f(v[i], v[i + 1]));
  for (let i = 0; i < lanes; i += 2) t.push(f(v[b + i], v[b + i + 1]));
  for (let i = 0; i < lanes; i++) v[i] = t[i];
};
const SSSE3: Record<string, F> = {
  pshufb: (_c, n) => {
    const t = new Uint8Array(n);
    for (let i = 0; i < n; i++) { const k = U8[B8 + i]; t[i] = k & 0x80 ? 0 : U8[k & (n - 1)]; }
    U8.set(t, 0);
  },
  phaddw: horiz(2, (a, b) => a + b), phaddd: horiz(4, (a, b) => (a + b) | 0), phaddsw: horiz(2, (a, b) => sat16(a + b)),
  phsubw: horiz(2, (a, b) => a - b), phsubd: horiz(4, (a, b) => (a - b) | 0), phsubsw: horiz(2, (a, b) => sat16(a - b)),
  pmaddubsw: (_c, n) => { for (let i = 0; i < n >> 1; i++) I16[i] = sat16(U8[2 * i] * I8[B8 + 2 * i] + U8[2 * i + 1] * I8[B8 + 2 * i + 1]); },
  psignb: lanes8((a, b) => (b < 0 ? -a : b === 0 ? 0 : a), true),
  psignw: lanes16((a, b) => (b < 0 ? -a : b === 0 ? 0 : a), true),
  psignd: lanes32((a, b) => (b < 0 ? -a | 0 : b === 0 ? 0 : a)),
  pmulhrsw: lanes16((a, b) => (((a * b) >> 14) + 1) >> 1, true),
  pabsb: lanes8((_a, b) => Math.abs(b), true), pabsw: lanes16((_a, b) => Math.abs(b), true), pabsd: lanes32((_a, b) => Math.abs(b) | 0),
};
for (const row of ROWS) {
  const f = SSSE3[row.mnem];
  if (f !== undefined && row.handler.startsWith('sse ')) impl(simdKey(row), (d, r) => binop(d, r, f));
}
impl(['0f 3a 0f', '66 0f 3a 0f'], (d, row) => withImm(d, row, (imm) => (_c, n) => { // palignr: (dst:src) >> imm bytes
  const t = new Uint8Array(n);
  for (let i = 0; i < n; i++) { const j = i + imm; t[i] = j < n ? U8[B8 + j] : j < 2 * n ? U8[j - n] : 0; }
  U8.set(t, 0);
}));
