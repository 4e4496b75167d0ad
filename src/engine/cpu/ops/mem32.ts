/**
 * Memory operands with the address computation fused into the instruction's closure.
 *
 * A generic memory op calls an EA closure and then an access closure; both calls are
 * megamorphic (every instance of a closure literal shares one call-site feedback), and
 * the EA result, an unsigned address above 2^31 for every stack access, is returned
 * boxed as a heap number. Here the address is computed inline as
 * s[base] + (s[index] << scale) + s[seg] + disp (absent terms read the ZERO word), in two
 * shapes: base + disp, and the full form. AddressSpace accessors inline into these
 * closures, so an address never leaves the optimised code.
 * Measured on bench workloads (see docs/ARCHITECTURE.md "Interpreter performance").
 *
 * Faults stay precise: every access happens before any register is written, and a
 * read-modify-write records its flags only after the store succeeded.
 */
import type { Cpu, Op } from '../cpu.js';
import type { EAParts } from '../decoder.js';
import { K_DEC, K_INC, K_LOGIC, K_SUB, getCF } from '../flags.js';
import { K_TEST, lazyRow, rec32, res32 } from './alu.gen.js';
import { CF, FLAGS, LA, LB, LOP, LRES, ZERO } from '../state.js';

export type Get = (c: Cpu) => number;
export type Set = (c: Cpu, v: number) => void;

/** True when the address is s[base] + disp. */
export const simple = (p: EAParts): boolean => p.index === ZERO && p.seg === ZERO;

// ---- Generic-shaped getters and setters (still one call each, but no EA call) ----

export function memGet(p: EAParts, sz: number): Get {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) {
    if (sz === 2) return (c) => { const s = c.s; return c.mem.read32((s[b] + x) >>> 0); };
    if (sz === 1) return (c) => { const s = c.s; return c.mem.read16((s[b] + x) >>> 0); };
    return (c) => { const s = c.s; return c.mem.read8((s[b] + x) >>> 0); };
  }
  if (sz === 2) return (c) => { const s = c.s; return c.mem.read32((s[b] + (s[i] << k) + s[g] + x) >>> 0); };
  if (sz === 1) return (c) => { const s = c.s; return c.mem.read16((s[b] + (s[i] << k) + s[g] + x) >>> 0); };
  return (c) => { const s = c.s; return c.mem.read8((s[b] + (s[i] << k) + s[g] + x) >>> 0); };
}

export function memSet(p: EAParts, sz: number): Set {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) {
    if (sz === 2) return (c, v) => { const s = c.s; c.mem.write32((s[b] + x) >>> 0, v); };
    if (sz === 1) return (c, v) => { const s = c.s; c.mem.write16((s[b] + x) >>> 0, v); };
    return (c, v) => { const s = c.s; c.mem.write8((s[b] + x) >>> 0, v); };
  }
  if (sz === 2) return (c, v) => { const s = c.s; c.mem.write32((s[b] + (s[i] << k) + s[g] + x) >>> 0, v); };
  if (sz === 1) return (c, v) => { const s = c.s; c.mem.write16((s[b] + (s[i] << k) + s[g] + x) >>> 0, v); };
  return (c, v) => { const s = c.s; c.mem.write8((s[b] + (s[i] << k) + s[g] + x) >>> 0, v); };
}

// ---- mov ----

/** mov r32, [m] */
export function load32(p: EAParts, r: number): Op {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) return (c) => { const s = c.s; s[r] = c.mem.read32((s[b] + x) >>> 0); };
  return (c) => { const s = c.s; s[r] = c.mem.read32((s[b] + (s[i] << k) + s[g] + x) >>> 0); };
}
/** mov [m], r32 */
export function store32(p: EAParts, r: number): Op {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) return (c) => { const s = c.s; c.mem.write32((s[b] + x) >>> 0, s[r]); };
  return (c) => { const s = c.s; c.mem.write32((s[b] + (s[i] << k) + s[g] + x) >>> 0, s[r]); };
}
/** mov [m], imm32 */
export function storeImm32(p: EAParts, v: number): Op {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) return (c) => { const s = c.s; c.mem.write32((s[b] + x) >>> 0, v); };
  return (c) => { const s = c.s; c.mem.write32((s[b] + (s[i] << k) + s[g] + x) >>> 0, v); };
}
/** lea r32, [m] (the caller drops any segment) */
export function lea32(p: EAParts, r: number): Op {
  const b = p.base, x = p.disp, i = p.index, k = p.scale;
  if (p.index === ZERO) return (c) => { const s = c.s; s[r] = s[b] + x; };
  return (c) => { const s = c.s; s[r] = s[b] + (s[i] << k) + x; };
}
/** movzx r32, byte/word [m] (sz 0/1); movsx when signed. */
export function loadExt(p: EAParts, r: number, sz: number, signed: boolean): Op {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) {
    if (sz === 0) return signed
      ? (c) => { const s = c.s; s[r] = (c.mem.read8((s[b] + x) >>> 0) << 24) >> 24; }
      : (c) => { const s = c.s; s[r] = c.mem.read8((s[b] + x) >>> 0); };
    return signed
      ? (c) => { const s = c.s; s[r] = (c.mem.read16((s[b] + x) >>> 0) << 16) >> 16; }
      : (c) => { const s = c.s; s[r] = c.mem.read16((s[b] + x) >>> 0); };
  }
  if (sz === 0) return signed
    ? (c) => { const s = c.s; s[r] = (c.mem.read8((s[b] + (s[i] << k) + s[g] + x) >>> 0) << 24) >> 24; }
    : (c) => { const s = c.s; s[r] = c.mem.read8((s[b] + (s[i] << k) + s[g] + x) >>> 0); };
  return signed
    ? (c) => { const s = c.s; s[r] = (c.mem.read16((s[b] + (s[i] << k) + s[g] + x) >>> 0) << 16) >> 16; }
    : (c) => { const s = c.s; s[r] = c.mem.read16((s[b] + (s[i] << k) + s[g] + x) >>> 0); };
}
/** mov r8, [m] (j: byte offset of the register in the state, R8[r]) */
export function load8(p: EAParts, j: number): Op {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) return (c) => { const s = c.s; c.b8[j] = c.mem.read8((s[b] + x) >>> 0); };
  return (c) => { const s = c.s; c.b8[j] = c.mem.read8((s[b] + (s[i] << k) + s[g] + x) >>> 0); };
}
/** mov [m], r8 */
export function store8(p: EAParts, j: number): Op {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (simple(p)) return (c) => { const s = c.s; c.mem.write8((s[b] + x) >>> 0, c.b8[j]); };
  return (c) => { const s = c.s; c.mem.write8((s[b] + (s[i] << k) + s[g] + x) >>> 0, c.b8[j]); };
}

// ---- 32-bit ALU with a memory operand ----
// k is the group-1 row (add or adc sbb and sub xor cmp), or TEST. adc/sbb stay generic.
// res32/rec32 are generated from the one definition of each operation (ops/alu-defs.ts).

export const TEST = K_TEST;
/** Rows these builders handle. */
export const fusable = lazyRow;

/** r32 = r32 (k) [m]; cmp/test only set flags. */
export function aluRegMem32(p: EAParts, r: number, k: number): Op {
  const b = p.base, x = p.disp, i = p.index, n = p.scale, g = p.seg;
  if (simple(p)) return (c) => { const s = c.s; const v = c.mem.read32((s[b] + x) >>> 0); const a = s[r]; rec32(s, k, a, v); s[r] = res32(k, a, v); };
  return (c) => { const s = c.s; const v = c.mem.read32((s[b] + (s[i] << n) + s[g] + x) >>> 0); const a = s[r]; rec32(s, k, a, v); s[r] = res32(k, a, v); };
}

/** [m] = [m] (k) src, src a register index or (imm) a value; cmp/test only read. */
export function aluMem32(p: EAParts, k: number, imm: boolean, src: number): Op {
  const b = p.base, x = p.disp, i = p.index, n = p.scale, g = p.seg;
  const write = k !== 7 && k !== TEST;
  if (simple(p)) {
    if (!write) return imm
      ? (c) => { const s = c.s; rec32(s, k, c.mem.read32((s[b] + x) >>> 0), src); }
      : (c) => { const s = c.s; rec32(s, k, c.mem.read32((s[b] + x) >>> 0), s[src]); };
    return imm
      ? (c) => { const s = c.s, m = c.mem; const a = (s[b] + x) >>> 0; const v = m.read32(a); m.write32(a, res32(k, v, src)); rec32(s, k, v, src); }
      : (c) => { const s = c.s, m = c.mem; const a = (s[b] + x) >>> 0; const v = m.read32(a), w = s[src]; m.write32(a, res32(k, v, w)); rec32(s, k, v, w); };
  }
  if (!write) return imm
    ? (c) => { const s = c.s; rec32(s, k, c.mem.read32((s[b] + (s[i] << n) + s[g] + x) >>> 0), src); }
    : (c) => { const s = c.s; rec32(s, k, c.mem.read32((s[b] + (s[i] << n) + s[g] + x) >>> 0), s[src]); };
  return imm
    ? (c) => { const s = c.s, m = c.mem; const a = (s[b] + (s[i] << n) + s[g] + x) >>> 0; const v = m.read32(a); m.write32(a, res32(k, v, src)); rec32(s, k, v, src); }
    : (c) => { const s = c.s, m = c.mem; const a = (s[b] + (s[i] << n) + s[g] + x) >>> 0; const v = m.read32(a), w = s[src]; m.write32(a, res32(k, v, w)); rec32(s, k, v, w); };
}

/** cmp/test byte [m], imm8 or r8 (the two commonest 8-bit memory forms in string code). */
export function cmpMem8(p: EAParts, test: boolean, imm: boolean, src: number): Op {
  const b = p.base, x = p.disp, i = p.index, n = p.scale, g = p.seg;
  const L = test ? K_LOGIC << 2 : K_SUB << 2;
  if (simple(p)) {
    if (test) return imm
      ? (c) => { const s = c.s; s[LOP] = L; s[LRES] = c.mem.read8((s[b] + x) >>> 0) & src; }
      : (c) => { const s = c.s; s[LOP] = L; s[LRES] = c.mem.read8((s[b] + x) >>> 0) & c.b8[src]; };
    return imm
      ? (c) => { const s = c.s; const a = c.mem.read8((s[b] + x) >>> 0); s[LOP] = L; s[LA] = a; s[LB] = src; s[LRES] = (a - src) & 0xff; }
      : (c) => { const s = c.s; const a = c.mem.read8((s[b] + x) >>> 0), v = c.b8[src]; s[LOP] = L; s[LA] = a; s[LB] = v; s[LRES] = (a - v) & 0xff; };
  }
  if (test) return imm
    ? (c) => { const s = c.s; s[LOP] = L; s[LRES] = c.mem.read8((s[b] + (s[i] << n) + s[g] + x) >>> 0) & src; }
    : (c) => { const s = c.s; s[LOP] = L; s[LRES] = c.mem.read8((s[b] + (s[i] << n) + s[g] + x) >>> 0) & c.b8[src]; };
  return imm
    ? (c) => { const s = c.s; const a = c.mem.read8((s[b] + (s[i] << n) + s[g] + x) >>> 0); s[LOP] = L; s[LA] = a; s[LB] = src; s[LRES] = (a - src) & 0xff; }
    : (c) => { const s = c.s; const a = c.mem.read8((s[b] + (s[i] << n) + s[g] + x) >>> 0), v = c.b8[src]; s[LOP] = L; s[LA] = a; s[LB] = v; s[LRES] = (a - v) & 0xff; };
}

/** inc/dec dword [m] (delta +1/-1): CF carried into FLAGS, the rest lazy, after the store. */
export function incDecMem32(p: EAParts, delta: number): Op {
  const b = p.base, x = p.disp, i = p.index, n = p.scale, g = p.seg;
  const L = ((delta > 0 ? K_INC : K_DEC) << 2) | 2;
  if (simple(p)) return (c) => {
    const s = c.s, m = c.mem; const a = (s[b] + x) >>> 0; const v = m.read32(a); const r = (v + delta) | 0;
    m.write32(a, r);
    s[FLAGS] = (s[FLAGS] & ~CF) | getCF(c); s[LOP] = L; s[LA] = v; s[LB] = 1; s[LRES] = r;
  };
  return (c) => {
    const s = c.s, m = c.mem; const a = (s[b] + (s[i] << n) + s[g] + x) >>> 0; const v = m.read32(a); const r = (v + delta) | 0;
    m.write32(a, r);
    s[FLAGS] = (s[FLAGS] & ~CF) | getCF(c); s[LOP] = L; s[LA] = v; s[LB] = 1; s[LRES] = r;
  };
}
