/**
 * Operand access builders. Handlers describe an operand once at decode time and get back
 * closures specialised to its kind (register, memory, immediate) and size class
 * (0: 8-bit, 1: 16-bit, 2: 32-bit). 32-bit forms get dedicated closures: they dominate.
 */
import type { Cpu, Op } from '../cpu.js';
import type { Decoder, EA, EAParts } from '../decoder.js';
import { ALU, type Alu2 } from './alu.js';
import { fastReg32 } from './fast32.js';
import * as M from './mem32.js';

const ALU2 = ALU[2];

export type Get = (c: Cpu) => number;
export type Set = (c: Cpu, v: number) => void;

/** Byte offset of 8-bit register i (AL CL DL BL AH CH DH BH) within the state. */
export const R8 = [0, 4, 8, 12, 1, 5, 9, 13];

export function regGet(sz: number, i: number): Get {
  if (sz === 2) return (c) => c.s[i];
  if (sz === 1) { const j = i * 2; return (c) => c.w16[j]; }
  const j = R8[i];
  return (c) => c.b8[j];
}
export function regSet(sz: number, i: number): Set {
  if (sz === 2) return (c, v) => { c.s[i] = v; };
  if (sz === 1) { const j = i * 2; return (c, v) => { c.w16[j] = v; }; }
  const j = R8[i];
  return (c, v) => { c.b8[j] = v; };
}
export function memGet(sz: number): (c: Cpu, a: number) => number {
  return sz === 2 ? (c, a) => c.mem.read32(a) : sz === 1 ? (c, a) => c.mem.read16(a) : (c, a) => c.mem.read8(a);
}
export function memSet(sz: number): (c: Cpu, a: number, v: number) => void {
  return sz === 2 ? (c, a, v) => c.mem.write32(a, v) : sz === 1 ? (c, a, v) => c.mem.write16(a, v) : (c, a, v) => c.mem.write8(a, v);
}

/**
 * A decoded r/m operand: a register index, or a memory address closure and (for 32-bit
 * addressing) its parts, which ops/mem32.ts fuses into the instruction's closure.
 */
export interface RM {
  reg: number;
  ea: EA | null;
  p: EAParts | null;
}
/** Read ModRM (if not yet read) and describe its r/m operand. Call before reading immediates. */
export function rmOperand(d: Decoder): RM {
  if (d.isReg) return { reg: d.rm, ea: null, p: null };
  const p = d.eaParts();
  if (p === null) return { reg: -1, ea: d.ea(), p: null };
  return { reg: -1, ea: eaOf(p), p };
}
/** The generic address closure of fused parts (for handlers that need the address itself). */
function eaOf(p: EAParts): EA {
  const b = p.base, x = p.disp, i = p.index, k = p.scale, g = p.seg;
  if (M.simple(p)) return (c) => (c.s[b] + x) >>> 0;
  return (c) => { const s = c.s; return (s[b] + (s[i] << k) + s[g] + x) >>> 0; };
}

export function getRM(rm: RM, sz: number): Get {
  if (rm.ea === null) return regGet(sz, rm.reg);
  if (rm.p !== null) return M.memGet(rm.p, sz);
  const ea = rm.ea, rd = memGet(sz);
  if (sz === 2) return (c) => c.mem.read32(ea(c));
  return (c) => rd(c, ea(c));
}
export function setRM(rm: RM, sz: number): Set {
  if (rm.ea === null) return regSet(sz, rm.reg);
  if (rm.p !== null) return M.memSet(rm.p, sz);
  const ea = rm.ea, wr = memSet(sz);
  if (sz === 2) return (c, v) => c.mem.write32(ea(c), v);
  return (c, v) => wr(c, ea(c), v);
}

/** Source of a binary operation: a register or an immediate (normalised to the size). */
export interface Src {
  imm: boolean;
  v: number;
}
export const srcReg = (i: number): Src => ({ imm: false, v: i });
export const srcImm = (v: number): Src => ({ imm: true, v });

/**
 * `dst = f(dst, src)` on an r/m destination; with write=false only flags change (cmp, test).
 */
export function binRM(rm: RM, sz: number, src: Src, f: Alu2, write: boolean): Op {
  const sv = src.v;
  if (sz === 2) {
    if (rm.ea === null) {
      const i = rm.reg;
      const fast = fastReg32(f, i, src.imm, sv);
      if (fast) return fast;
      if (src.imm) return write ? (c) => { c.s[i] = f(c, c.s[i], sv); } : (c) => { f(c, c.s[i], sv); };
      return write ? (c) => { const s = c.s; s[i] = f(c, s[i], s[sv]); } : (c) => { const s = c.s; f(c, s[i], s[sv]); };
    }
    const k = f === ALU2.test ? M.TEST : ALU2.group.indexOf(f);
    if (rm.p !== null && k >= 0 && M.fusable(k) && write === (k !== 7 && k !== M.TEST)) return M.aluMem32(rm.p, k, src.imm, sv);
    const ea = rm.ea;
    if (src.imm) {
      return write
        ? (c) => { const a = ea(c), m = c.mem; const v = m.read32(a); m.writable(a, 4); m.write32(a, f(c, v, sv)); }
        : (c) => { f(c, c.mem.read32(ea(c)), sv); };
    }
    return write
      ? (c) => { const a = ea(c), m = c.mem; const v = m.read32(a); m.writable(a, 4); m.write32(a, f(c, v, c.s[sv])); }
      : (c) => { f(c, c.mem.read32(ea(c)), c.s[sv]); };
  }
  if (sz === 0 && rm.p !== null && !write && (f === ALU[0].cmp || f === ALU[0].test)) {
    return M.cmpMem8(rm.p, f === ALU[0].test, src.imm, src.imm ? sv : R8[sv]);
  }
  if (sz === 0 && rm.ea === null) {
    // 8-bit registers: the operands inline, one call (f) instead of four.
    const j = R8[rm.reg], k = R8[sv];
    if (src.imm) return write ? (c) => { const b = c.b8; b[j] = f(c, b[j], sv); } : (c) => { f(c, c.b8[j], sv); };
    return write ? (c) => { const b = c.b8; b[j] = f(c, b[j], b[k]); } : (c) => { const b = c.b8; f(c, b[j], b[k]); };
  }
  const s = src.imm ? () => sv : regGet(sz, sv);
  if (rm.ea === null) {
    const g = regGet(sz, rm.reg), p = regSet(sz, rm.reg);
    return write ? (c) => p(c, f(c, g(c), s(c))) : (c) => { f(c, g(c), s(c)); };
  }
  const ea = rm.ea, rd = memGet(sz), wr = memSet(sz), n = 1 << sz;
  // The store's fault comes before the flags change (AddressSpace.writable).
  return write
    ? (c) => { const a = ea(c); const v = rd(c, a); c.mem.writable(a, n); wr(c, a, f(c, v, s(c))); }
    : (c) => { f(c, rd(c, ea(c)), s(c)); };
}

/** `reg = f(reg, r/m)` (the Gv,Ev direction). */
export function binReg(reg: number, rm: RM, sz: number, f: Alu2, write: boolean): Op {
  if (sz === 2) {
    if (rm.ea === null) {
      const j = rm.reg;
      const fast = write || f === ALU2.cmp || f === ALU2.test ? fastReg32(f, reg, false, j) : null;
      if (fast) return fast;
      return write ? (c) => { const s = c.s; s[reg] = f(c, s[reg], s[j]); } : (c) => { const s = c.s; f(c, s[reg], s[j]); };
    }
    const k = f === ALU2.test ? M.TEST : ALU2.group.indexOf(f);
    if (rm.p !== null && k >= 0 && M.fusable(k) && write === (k !== 7 && k !== M.TEST)) return M.aluRegMem32(rm.p, reg, k);
    const ea = rm.ea;
    return write
      ? (c) => { c.s[reg] = f(c, c.s[reg], c.mem.read32(ea(c))); }
      : (c) => { f(c, c.s[reg], c.mem.read32(ea(c))); };
  }
  if (sz === 0) {
    const j = R8[reg];
    if (rm.ea === null) {
      const k = R8[rm.reg];
      return write ? (c) => { const b = c.b8; b[j] = f(c, b[j], b[k]); } : (c) => { const b = c.b8; f(c, b[j], b[k]); };
    }
    const m = getRM(rm, sz);
    return write ? (c) => { const v = m(c); const b = c.b8; b[j] = f(c, b[j], v); } : (c) => { const v = m(c); f(c, c.b8[j], v); };
  }
  const g = regGet(sz, reg), p = regSet(sz, reg), s = getRM(rm, sz);
  return write ? (c) => p(c, f(c, g(c), s(c))) : (c) => { f(c, g(c), s(c)); };
}

/** Apply a unary `f` to an r/m operand in place (inc, dec, not, neg). */
export function unRM(rm: RM, sz: number, f: (c: Cpu, a: number) => number): Op {
  if (rm.ea === null) {
    const i = rm.reg;
    if (sz === 2) return (c) => { c.s[i] = f(c, c.s[i]); };
    const g = regGet(sz, i), p = regSet(sz, i);
    return (c) => p(c, f(c, g(c)));
  }
  const ea = rm.ea, rd = memGet(sz), wr = memSet(sz), n = 1 << sz;
  return (c) => { const a = ea(c); const v = rd(c, a); c.mem.writable(a, n); wr(c, a, f(c, v)); };
}

/** Normalise an immediate to a size class. */
export const norm = (v: number, sz: number): number => (sz === 2 ? v | 0 : sz === 1 ? v & 0xffff : v & 0xff);
