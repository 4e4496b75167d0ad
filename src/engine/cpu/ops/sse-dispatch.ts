/**
 * The SIMD handlers' common part: one dispatch handler per SIMD opcode (`sse <op>`, the
 * handler column of cpu/isa/rows-simd.ts) that picks the row by mandatory prefix and ModRM
 * (isa rowFor) and runs the implementation registered for that row (`impl(key, build)`),
 * and the operand plumbing the implementations share.
 *
 * Operands go through a scratch area: A (bytes 0-15) holds the destination, B (16-31) the
 * source; an operation computes on A and B, then A is written back. MMX registers (64-bit)
 * use the low 8 bytes of each. Moves of lanes go through Int32 views only: a float view
 * would turn a signalling NaN quiet on the way (V8 loads float32 with cvtss2sd).
 */
import { CpuException, type Cpu, type Op } from '../cpu.js';
import type { Decoder } from '../decoder.js';
import { MAP0F, MAP0F38, MAP0F3A, MAP_BYTES, rowFor, rowsOf, simdPrefix, type Row } from '../isa/index.js';
import { MXCSR_OFFSET, XMM_OFFSET } from '../state.js';
import { mmxGet, mmxSet } from '../fpu.js';
import { def } from './table.js';
import { ud, SIGSEGV, SI_KERNEL } from './faults.js';
import { hex } from '../isa/rows.js';

// ---- Scratch ----
const BUF = new ArrayBuffer(64);
export const U8 = new Uint8Array(BUF), I8 = new Int8Array(BUF);
export const U16 = new Uint16Array(BUF), I16 = new Int16Array(BUF);
export const I32 = new Int32Array(BUF), U32 = new Uint32Array(BUF);
export const F32 = new Float32Array(BUF), F64 = new Float64Array(BUF);
/** Index of B's first element in each view. */
export const B8 = 16, B16 = 8, B32 = 4, B64 = 2;

/** Word index (in Cpu.s) of XMM register i's lane 0. */
export const xw = (i: number): number => XMM_OFFSET / 4 + i * 4;
export const MXCSR = MXCSR_OFFSET / 4;
/** MXCSR after reset and at exec (SDM Vol. 1, 10.2.3.x: all exceptions masked, round to nearest). */
export const MXCSR_DEFAULT = 0x1f80;

/** SSE state as after FNINIT/reset and at exec: MXCSR 0x1F80, XMM registers zero. */
export function resetSimd(c: Cpu): void {
  const s = c.s;
  s.fill(0, xw(0), xw(8));
  s[MXCSR] = MXCSR_DEFAULT;
}

// ---- Implementations by row ----
export type Build = (d: Decoder, row: Row) => Op;
const IMPL = new Map<string, Build>();
/** A row's key as rows-simd.ts writes it: "66 0f 73/3 r". */
export const simdKey = (row: Row): string =>
  `${row.prefix ? hex(row.prefix) + ' ' : ''}${MAP_BYTES[row.map].map((b) => hex(b) + ' ').join('')}${hex(row.op)}${row.reg >= 0 ? '/' + row.reg : ''}${row.mod === 'mem' ? ' m' : row.mod === 'reg' ? ' r' : ''}`;
/** Register the implementation of the row(s) with these keys. */
export function impl(keys: string | string[], b: Build): void {
  for (const k of typeof keys === 'string' ? [keys] : keys) {
    if (IMPL.has(k)) throw new Error(`simd: ${k} implemented twice`);
    IMPL.set(k, b);
  }
}

/** Define the `sse <op>` handlers and check that every SIMD row has an implementation (called once, after the ops modules load). */
export function fillSimd(): void {
  for (const map of [MAP0F, MAP0F38, MAP0F3A] as const) for (let op = 0; op < 256; op++) {
    const rows = rowsOf(map, op);
    if (rows.length === 0 || !rows[0].handler.startsWith('sse ')) continue;
    for (const row of rows) if (!IMPL.has(simdKey(row))) throw new Error(`simd: row ${simdKey(row)} ${row.mnem} has no implementation`);
    const hasModrm = rows[0].modrm;
    def(rows[0].handler, (d, o) => {
      const prefix = simdPrefix(d.rep, d.opsize);
      let modrm = -1;
      if (hasModrm) { d.modrm(); modrm = (d.mod << 6) | (d.reg << 3) | d.rm; }
      const row = rowFor(map, o, modrm, prefix);
      if (row === undefined) return ud(d);
      return IMPL.get(simdKey(row))!(d, row);
    });
  }
}

// ---- Memory ----
/** #GP for a misaligned 16-byte operand of an aligned-access instruction: SIGSEGV, SI_KERNEL (Linux's do_general_protection). */
export function gpFault(): never {
  throw new CpuException(SIGSEGV, SI_KERNEL, 0, 13);
}
/**
 * Read n bytes (2, 4, 8 or 16) at a into the scratch at word index w. A misaligned
 * `aligned` access is #GP. A read that crosses into an unreadable page faults there
 * before anything is read.
 */
export function readMem(c: Cpu, a: number, n: number, w: number, aligned: boolean): void {
  if (aligned && a & 15) gpFault();
  const mem = c.mem;
  if (n === 2) { I32[w] = mem.read16(a); return; } // pmovsxbq/pmovzxbq m16
  if (((a & 0xfff) + n) > 0x1000) mem.read8(((a + n - 1) & ~0xfff) >>> 0);
  for (let k = 0; k < n >> 2; k++) I32[w + k] = mem.read32((a + k * 4) >>> 0);
}
/** Write n bytes from the scratch at word index w to a (all or nothing, as one store). */
export function writeMem(c: Cpu, a: number, n: number, w: number, aligned: boolean): void {
  if (aligned && a & 15) gpFault();
  const mem = c.mem;
  mem.writeSlow(a, n);
  for (let k = 0; k < n >> 2; k++) mem.write32((a + k * 4) >>> 0, I32[w + k]);
}

// ---- Register copies ----
export function getX(c: Cpu, i: number, w: number): void {
  const s = c.s, j = xw(i);
  I32[w] = s[j]; I32[w + 1] = s[j + 1]; I32[w + 2] = s[j + 2]; I32[w + 3] = s[j + 3];
}
export function setX(c: Cpu, i: number, w: number): void {
  const s = c.s, j = xw(i);
  s[j] = I32[w]; s[j + 1] = I32[w + 1]; s[j + 2] = I32[w + 2]; s[j + 3] = I32[w + 3];
}
const MM = new Int32Array(2);
export function getM(c: Cpu, i: number, w: number): void {
  mmxGet(c, i, MM);
  I32[w] = MM[0]; I32[w + 1] = MM[1];
}
export function setM(c: Cpu, i: number, w: number): void {
  mmxSet(c, i, I32[w], I32[w + 1]);
}

/** Whether a row works on MMX registers (its first P/N/Q operand decides). */
export const isMmx = (row: Row): boolean => row.operands.some((o) => o.method === 'P' || o.method === 'Q' || o.method === 'N') &&
  !row.operands.some((o) => o.method === 'V' || o.method === 'W' || o.method === 'U');

/**
 * A loader of the r/m operand (ModRM already read) into scratch word w: the register
 * (XMM or MMX), or `bytes` from memory (aligned: #GP unless 16-aligned). The address
 * closure is made now (it consumes SIB and displacement).
 */
export function srcLoader(d: Decoder, mmx: boolean, bytes: number, aligned: boolean, w = B32): (c: Cpu) => void {
  if (d.isReg) {
    const r = d.rm;
    return mmx ? (c) => getM(c, r, w) : (c) => getX(c, r, w);
  }
  const ea = d.ea();
  return (c) => readMem(c, ea(c), bytes, w, aligned);
}

/**
 * The common shape `dst(reg) = f(dst, src(r/m))`: A = register dst, B = source, f computes
 * A (f may throw: the destination is then unchanged), A is written back. For MMX rows the
 * width is 8 bytes, else 16. `bytes` is the memory operand's size (default: the width,
 * aligned when 16).
 */
export function binop(d: Decoder, row: Row, f: (c: Cpu, n: number) => void, bytes = 0, aligned = true): Op {
  const mmx = isMmx(row), n = mmx ? 8 : 16, r = d.reg;
  const size = bytes || n;
  const load = srcLoader(d, mmx, size, aligned && size === 16);
  if (mmx) return (c) => { load(c); getM(c, r, 0); f(c, 8); setM(c, r, 0); };
  if (d.isReg) {
    const q = d.rm, s0 = xw(r), s1 = xw(q);
    return (c) => {
      const s = c.s;
      I32[0] = s[s0]; I32[1] = s[s0 + 1]; I32[2] = s[s0 + 2]; I32[3] = s[s0 + 3];
      I32[4] = s[s1]; I32[5] = s[s1 + 1]; I32[6] = s[s1 + 2]; I32[7] = s[s1 + 3];
      f(c, n);
      s[s0] = I32[0]; s[s0 + 1] = I32[1]; s[s0 + 2] = I32[2]; s[s0 + 3] = I32[3];
    };
  }
  return (c) => { load(c); getX(c, r, 0); f(c, n); setX(c, r, 0); };
}

/** An 8-bit immediate (read after the ModRM operand). */
export const imm8 = (d: Decoder): number => d.u8();
