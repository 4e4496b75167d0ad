/**
 * Region formation for the JIT tier: from a hot interpreter block, the x86 code reachable
 * through direct branches that the interpreter saw executed, decoded into a small IR the
 * code generator (codegen.ts) turns into one Wasm function.
 *
 * The translator decodes for itself (the interpreter's blocks hold closures, not operands)
 * and translates the instruction forms listed in `decodeOp`; any other instruction that does
 * not end an interpreter block becomes an `interp` Insn, run inside the region by the
 * interpreter's closure (interp-call.ts), and the rest (control transfers it does not take,
 * syscalls, segment loads, x87 with WEBX86_JIT_X87=off) end the block with an exit that lets the
 * interpreter run them. Per-opcode facts (which flags an instruction reads and
 * writes) live in codegen.ts for now; they move to the instruction table (src/engine/cpu/isa,
 * issue 9 item 1) once it lands.
 */
import { PROT_EXEC, type AddressSpace } from '../mem/address-space.js';
import { EBX } from '../cpu/state.js';
import { callableLength } from './interp-call.js';
import { decodeSimd, type SseInsn } from './region-sse.js';
import { decodeX87, type X87Insn } from './region-x87.js';

/** A memory operand: base/index register or -1, scale as a shift, int32 displacement, segment (4 = FS, 5 = GS, -1 none). */
export interface MemRef { base: number; index: number; scale: number; disp: number; seg: number }

/** Operand: a register (for 8-bit, 0-3 = AL..BL, 4-7 = AH..BH), memory, or an immediate (int32). */
export type Opnd =
  | { k: 'r'; r: number }
  | { k: 'm'; m: MemRef }
  | { k: 'i'; v: number };

export type Insn =
  /** Group-1 ALU (0 add, 1 or, 2 adc, 3 sbb, 4 and, 5 sub, 6 xor, 7 cmp) and 8 = test; size 1, 2 or 4. */
  | { op: 'alu'; k: number; size: number; dst: Opnd; src: Opnd }
  | { op: 'mov'; size: number; dst: Opnd; src: Opnd }
  /** movzx/movsx from an 8- or 16-bit source into a 32-bit register. */
  | { op: 'movx'; sign: boolean; from: number; dst: number; src: Opnd }
  | { op: 'lea'; dst: number; m: MemRef }
  | { op: 'incdec'; down: boolean; size: number; dst: Opnd }
  | { op: 'not' | 'neg'; size: number; dst: Opnd }
  /** Group-2 of size 1, 2 or 4: 0 rol, 1 ror, 4 shl, 5 shr, 7 sar; count an immediate 1..31 or -1 for CL. */
  | { op: 'shift'; k: number; size: number; dst: Opnd; count: number }
  /** 32-bit shld/shrd: dst shifted by count (1..31, or -1 for CL) filling from register src. */
  | { op: 'shd'; left: boolean; dst: Opnd; src: number; count: number }
  /** jecxz (a terminator): jump when ECX = 0. */
  | { op: 'jecxz'; target: number }
  | { op: 'push'; src: Opnd }
  | { op: 'pop'; dst: number }
  | { op: 'imul'; dst: number; a: Opnd; b: Opnd }
  /** One-operand mul/imul: EDX:EAX = EAX * src. */
  | { op: 'mul1'; signed: boolean; src: Opnd }
  | { op: 'setcc'; cc: number; dst: Opnd }
  | { op: 'cmov'; cc: number; dst: number; src: Opnd }
  | { op: 'xchg'; a: number; b: number }
  /** xchg of a 32-bit register with memory (87 /r; implicitly locked). */
  | { op: 'xchgm'; r: number; dst: Opnd }
  /** 32-bit cmpxchg r/m32, r32 (0f b1): compare EAX with dst; equal: dst = src, else EAX = dst (a memory dst is always written). */
  | { op: 'cmpxchg'; dst: Opnd; src: number }
  | { op: 'cdq' } | { op: 'cwde' } | { op: 'nop' } | { op: 'leave' }
  | { op: 'bswap'; r: number }
  /** bt/bts/btr/btc (kind 0-3) of a 32-bit operand; bit a register (signed offset into memory) or an immediate (mod 32). */
  | { op: 'bt'; kind: number; dst: Opnd; bit: Opnd }
  | { op: 'bsf' | 'bsr'; dst: number; src: Opnd }
  /** One-operand 32-bit div/idiv of EDX:EAX. */
  | { op: 'div'; signed: boolean; src: Opnd }
  | { op: 'pushf' } | { op: 'popf' } | { op: 'cld' } | { op: 'std' }
  /** movs/stos of 1, 2 or 4 bytes (ES:EDI from DS:ESI / EAX), repeated ECX times with rep. */
  | { op: 'movs' | 'stos'; size: number; rep: boolean }
  /** Run by the interpreter's closure for it, called from the region (interp-call.ts). */
  | { op: 'interp' }
  /** SSE/SSE2 translated to Wasm SIMD and f64/f32 (region-sse.ts, codegen-sse.ts). */
  | SseInsn
  /** x87 translated to Wasm with exact 80-bit arithmetic (region-x87.ts, codegen-x87.ts, x87-runtime.ts). */
  | X87Insn
  /**
   * `call T` where T is a PIC thunk `mov (%esp),%r; ret` (gcc's __x86.get_pc_thunk.r, at the
   * start of nearly every function of a PIE or shared library): the three instructions as
   * one, pushing the return address (the word stays below ESP, as there) and putting it in r.
   */
  | { op: 'pcthunk'; r: number; thunk: number }
  // Block terminators:
  | { op: 'jcc'; cc: number; target: number }
  | { op: 'jmp'; target: number }
  /**
   * `stub`: T is a PLT stub `jmp *GOT` (`ff 25 abs32` or `ff a3 disp32(%ebx)`, pltStub) and
   * the call leaves the region: the translation runs the stub's jmp too (codegen.ts
   * terminator), reading the GOT slot at run time, so the call goes to the slot's target in
   * one nested hub call instead of a transfer to the stub and another to its target.
   */
  | { op: 'call'; target: number; stub?: MemRef }
  | { op: 'ret'; pop: number }
  | { op: 'jmpi'; src: Opnd }
  | { op: 'calli'; src: Opnd };

export interface Decoded { at: number; len: number; insn: Insn }

export const TERMINATORS = new Set(['jcc', 'jecxz', 'jmp', 'call', 'ret', 'jmpi', 'calli']);

export class Reader {
  pos = 0;
  start = 0;
  ok = true;
  constructor(readonly mem: AddressSpace) {}
  reset(at: number): void { this.start = this.pos = at; this.ok = true; }
  u8(): number {
    const p = this.pos >>> 0;
    // Not executable, or over-long: the interpreter reports the fault when it gets there.
    if (p - this.start >= 15 || !(this.mem.perm[p >>> 12] & PROT_EXEC)) { this.ok = false; return 0; }
    this.pos = p + 1;
    return this.mem.u8[p];
  }
  s8(): number { return (this.u8() << 24) >> 24; }
  u16(): number { return this.u8() | (this.u8() << 8); }
  s32(): number { return this.u8() | (this.u8() << 8) | (this.u8() << 16) | (this.u8() << 24); }
}

interface ModRM { mod: number; reg: number; rm: Opnd }

/** Bytes of a PIC thunk: 8b /r with ModRM 00 r 100 and SIB 0x24 (`mov (%esp),%r`), then c3. */
export const PC_THUNK_LEN = 4;

/** Bytes [at, at + len) lie in executable pages (len at most a page): code another instruction's translation may read as its own (a PIC thunk, a PLT stub). */
function executable(mem: AddressSpace, at: number, len: number): boolean {
  return (mem.perm[at >>> 12] & PROT_EXEC) !== 0 && (mem.perm[(at + len - 1) >>> 12] & PROT_EXEC) !== 0;
}

/** The register a PIC thunk at `at` loads (`mov (%esp),%r; ret`, r not ESP), or -1. */
function pcThunk(mem: AddressSpace, at: number): number {
  if (!executable(mem, at, PC_THUNK_LEN)) return -1;
  const u = mem.u8;
  if (u[at] !== 0x8b || (u[at + 1] & 0xc7) !== 0x04 || u[at + 2] !== 0x24 || u[at + 3] !== 0xc3) return -1;
  const r = (u[at + 1] >> 3) & 7;
  return r === 4 ? -1 : r;
}

/** Bytes of a PLT stub's jmp: ff 25 abs32 (`jmp *abs32`, non-PIC) or ff a3 disp32 (`jmp *disp32(%ebx)`, PIC). */
export const PLT_STUB_LEN = 6;

let pltCalls = true;
/** Fold PLT stubs into calls out of a region (the 'call' Insn's `stub`); off: the stub is a region of its own, as before. */
export function setPltCalls(on: boolean): boolean { const old = pltCalls; pltCalls = on; return old; }

/**
 * The GOT operand of a PLT stub at `at` (`jmp *abs32` or `jmp *disp32(%ebx)`, both pages
 * executable), or undefined. bash's warm loop made ~1.15 M calls each to malloc, free and
 * string functions through such stubs, each two transfers (session 13).
 */
function pltStub(mem: AddressSpace, at: number): MemRef | undefined {
  if (!pltCalls) return undefined;
  if (!executable(mem, at, PLT_STUB_LEN)) return undefined;
  const u = mem.u8;
  if (u[at] !== 0xff || (u[at + 1] !== 0x25 && u[at + 1] !== 0xa3)) return undefined;
  const disp = u[at + 2] | (u[at + 3] << 8) | (u[at + 4] << 16) | (u[at + 5] << 24);
  return { base: u[at + 1] === 0xa3 ? EBX : -1, index: -1, scale: 0, disp, seg: -1 };
}

/** The code outside its own bytes an instruction's translation depends on: a PIC thunk's or a PLT stub's range, else null. */
export function inlinedRange(i: Insn): [number, number] | null {
  if (i.op === 'pcthunk') return [i.thunk >>> 0, (i.thunk + PC_THUNK_LEN) >>> 0];
  if (i.op === 'call' && i.stub !== undefined) return [i.target >>> 0, (i.target + PLT_STUB_LEN) >>> 0];
  return null;
}

export function modrm(r: Reader, seg: number): ModRM {
  const m = r.u8();
  const mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
  if (mod === 3) return { mod, reg, rm: { k: 'r', r: rm } };
  let base = rm, index = -1, scale = 0, disp = 0;
  if (rm === 4) {
    const sib = r.u8();
    scale = sib >> 6; index = (sib >> 3) & 7; base = sib & 7;
    if (index === 4) index = -1;
    if (base === 5 && mod === 0) { base = -1; disp = r.s32(); }
  } else if (rm === 5 && mod === 0) { base = -1; disp = r.s32(); }
  if (mod === 1) disp = r.s8();
  else if (mod === 2) disp = r.s32();
  return { mod, reg, rm: { k: 'm', m: { base, index, scale, disp, seg } } };
}

const reg = (r: number): Opnd => ({ k: 'r', r });
const imm = (v: number): Opnd => ({ k: 'i', v });

/**
 * Decode the instruction at `at`, or null when the translator does not handle it (or
 * its bytes are not executable): the region then exits there to the interpreter.
 */
export function decodeInsn(mem: AddressSpace, at: number, r = new Reader(mem)): Decoded | null {
  r.reset(at);
  let seg = -1, opsize = 4, lock = false;
  let b = r.u8();
  for (;;) {
    if (b === 0x64 || b === 0x65) seg = b === 0x64 ? 4 : 5;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e) { /* flat: base 0 */ }
    else if (b === 0x66) opsize = 2;
    else if (b === 0xf0) lock = true;
    else break;
    b = r.u8();
  }
  const simd = !lock && sseCode && (b === 0x0f || b === 0xf2 || b === 0xf3) ? decodeSimd(r, b, seg, opsize, interpCalls) : undefined;
  const fp = !lock && x87Code && opsize === 4 && b >= 0xd8 && b <= 0xdf ? decodeX87(r, b, seg, interpCalls) : undefined;
  let insn = simd ?? fp ?? decodeOp(r, b, seg, opsize);
  // LOCK: the guest's threads take turns between regions (the scheduler), so a locked
  // read-modify-write is the plain one. Only the forms where LOCK is valid (a memory
  // destination, Intel SDM vol. 2 "LOCK") are translated; the others raise #UD in the
  // interpreter's closure (an interpreter call). busybox sh's loop ran 562 k `lock cmpxchg`
  // per run through interpreter calls (static glibc's malloc lock).
  if (lock && insn !== null && !lockable(insn)) insn = null;
  if (insn === null || !r.ok) {
    if (!interpCalls) return null;
    const len = callableLength(mem, at);
    return len > 0 ? { at, len, insn: { op: 'interp' } } : null;
  }
  return { at, len: (r.pos - at) >>> 0, insn };
}

/** An instruction LOCK may prefix: a read-modify-write of a memory destination. */
function lockable(i: Insn): boolean {
  switch (i.op) {
    case 'alu': return i.k !== 7 && i.k !== 8 && i.dst.k === 'm';
    case 'incdec': case 'not': case 'neg': return i.dst.k === 'm';
    case 'xchgm': return true;
    case 'cmpxchg': return i.dst.k === 'm';
  }
  return false;
}

/**
 * Whether instructions without a translation are run by the interpreter's closure inside
 * the region (interp-call.ts) rather than ending it. WEBX86_JIT_INTERP_CALLS=off (read by
 * the hosts) turns it off, to compare.
 */
let interpCalls = true;
export function setInterpCalls(on: boolean): void { interpCalls = on; }
/** Whether SSE forms are translated (codegen-sse.ts); WEBX86_JIT_SSE=off runs them by interpreter calls, to compare. */
let sseCode = true;
export function setSseCode(on: boolean): void { sseCode = on; }

/**
 * Whether x87 forms are translated (codegen-x87.ts); the others then run by interpreter
 * calls (interp-call.ts). WEBX86_JIT_X87=off leaves all of x87 to the interpreter (regions
 * end at it), as before the translation, to compare.
 */
let x87Code = true;
export function setX87Code(on: boolean): void { x87Code = on; }
export function x87Translated(): boolean { return x87Code; }

function decodeOp(r: Reader, b: number, seg: number, opsize: number): Insn | null {
  const next = (): number => (r.pos >>> 0);
  if (opsize === 2) return decode16(r, b, seg);
  if (b < 0x40 && (b & 7) < 6) {
    const k = b >> 3;
    const form = b & 7;
    const size = form & 1 ? 4 : 1;
    if (form < 4) {
      const m = modrm(r, seg);
      const g = reg(m.reg);
      return form < 2 ? { op: 'alu', k, size, dst: m.rm, src: g } : { op: 'alu', k, size, dst: g, src: m.rm };
    }
    return { op: 'alu', k, size, dst: reg(0), src: imm(size === 4 ? r.s32() : r.u8()) };
  }
  if (b >= 0x40 && b < 0x50) return { op: 'incdec', down: b >= 0x48, size: 4, dst: reg(b & 7) };
  if (b >= 0x50 && b < 0x58) return { op: 'push', src: reg(b & 7) };
  if (b >= 0x58 && b < 0x60) return { op: 'pop', dst: b & 7 };
  if (b >= 0x70 && b < 0x80) { const d = r.s8(); return { op: 'jcc', cc: b & 15, target: (next() + d) | 0 }; }
  if (b >= 0x91 && b < 0x98) return { op: 'xchg', a: 0, b: b & 7 };
  if (b >= 0xb0 && b < 0xb8) return { op: 'mov', size: 1, dst: reg(b & 7), src: imm(r.u8()) };
  if (b >= 0xb8 && b < 0xc0) return { op: 'mov', size: 4, dst: reg(b & 7), src: imm(r.s32()) };
  switch (b) {
    case 0x68: return { op: 'push', src: imm(r.s32()) };
    case 0x6a: return { op: 'push', src: imm(r.s8()) };
    case 0x69: case 0x6b: {
      const m = modrm(r, seg);
      return { op: 'imul', dst: m.reg, a: m.rm, b: imm(b === 0x69 ? r.s32() : r.s8()) };
    }
    case 0x80: case 0x81: case 0x83: {
      const m = modrm(r, seg);
      const size = b === 0x80 ? 1 : 4;
      const v = b === 0x81 ? r.s32() : b === 0x83 ? r.s8() : r.u8();
      return { op: 'alu', k: m.reg, size, dst: m.rm, src: imm(v) };
    }
    case 0x84: case 0x85: {
      const m = modrm(r, seg);
      return { op: 'alu', k: 8, size: b === 0x85 ? 4 : 1, dst: m.rm, src: reg(m.reg) };
    }
    case 0x87: {
      const m = modrm(r, seg);
      return m.rm.k === 'r' ? { op: 'xchg', a: m.reg, b: m.rm.r } : { op: 'xchgm', r: m.reg, dst: m.rm };
    }
    case 0x88: case 0x89: case 0x8a: case 0x8b: {
      const m = modrm(r, seg);
      const size = b & 1 ? 4 : 1;
      return b < 0x8a ? { op: 'mov', size, dst: m.rm, src: reg(m.reg) } : { op: 'mov', size, dst: reg(m.reg), src: m.rm };
    }
    case 0x8d: {
      const m = modrm(r, seg);
      // lea ignores segment overrides.
      return m.rm.k === 'm' ? { op: 'lea', dst: m.reg, m: { ...m.rm.m, seg: -1 } } : null;
    }
    case 0x90: return { op: 'nop' };
    case 0x98: return { op: 'cwde' };
    case 0x9c: return { op: 'pushf' };
    case 0x9d: return { op: 'popf' };
    case 0xfc: return { op: 'cld' };
    case 0xfd: return { op: 'std' };
    case 0x99: return { op: 'cdq' };
    case 0xa1: case 0xa3: {
      const m: Opnd = { k: 'm', m: { base: -1, index: -1, scale: 0, disp: r.s32(), seg } };
      return b === 0xa1 ? { op: 'mov', size: 4, dst: reg(0), src: m } : { op: 'mov', size: 4, dst: m, src: reg(0) };
    }
    case 0xa8: return { op: 'alu', k: 8, size: 1, dst: reg(0), src: imm(r.u8()) };
    case 0xa9: return { op: 'alu', k: 8, size: 4, dst: reg(0), src: imm(r.s32()) };
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: return decodeShift(r, b, seg, b & 1 ? 4 : 1);
    case 0xc2: return { op: 'ret', pop: r.u16() };
    case 0xc3: return { op: 'ret', pop: 0 };
    case 0xc6: case 0xc7: {
      const m = modrm(r, seg);
      if (m.reg !== 0) return null;
      return b === 0xc6 ? { op: 'mov', size: 1, dst: m.rm, src: imm(r.u8()) } : { op: 'mov', size: 4, dst: m.rm, src: imm(r.s32()) };
    }
    case 0xc9: return { op: 'leave' };
    case 0xfe: {
      const m = modrm(r, seg);
      return m.reg < 2 ? { op: 'incdec', down: m.reg === 1, size: 1, dst: m.rm } : null;
    }
    case 0xe8: {
      const d = r.s32();
      const target = (next() + d) >>> 0;
      const t = pcThunk(r.mem, target);
      if (t >= 0) return { op: 'pcthunk', r: t, thunk: target };
      const stub = pltStub(r.mem, target);
      return stub !== undefined ? { op: 'call', target: target | 0, stub } : { op: 'call', target: target | 0 };
    }
    case 0xe9: { const d = r.s32(); return { op: 'jmp', target: (next() + d) | 0 }; }
    case 0xeb: { const d = r.s8(); return { op: 'jmp', target: (next() + d) | 0 }; }
    case 0xe3: { const d = r.s8(); return { op: 'jecxz', target: (next() + d) | 0 }; }
    case 0xf3: {
      let b2 = r.u8(), size = 4;
      if (b2 === 0x66) { size = 2; b2 = r.u8(); }
      // rep ret (AMD's branch-predictor idiom in gcc output) is a plain ret.
      if (b2 === 0xc3 && size === 4) return { op: 'ret', pop: 0 };
      return stringOp(b2, seg, size, true);
    }
    case 0xa4: case 0xa5: case 0xaa: case 0xab: return stringOp(b, seg, 4, false);
    case 0xf6: case 0xf7: {
      const m = modrm(r, seg);
      const size = b === 0xf7 ? 4 : 1;
      if (m.reg === 0) return { op: 'alu', k: 8, size, dst: m.rm, src: imm(size === 4 ? r.s32() : r.u8()) };
      if (m.reg === 2) return { op: 'not', size, dst: m.rm };
      if (m.reg === 3) return { op: 'neg', size, dst: m.rm };
      if (size !== 4) return null;
      if (m.reg === 4 || m.reg === 5) return { op: 'mul1', signed: m.reg === 5, src: m.rm };
      if (m.reg === 6 || m.reg === 7) return { op: 'div', signed: m.reg === 7, src: m.rm };
      return null; // /1: an alias of test the interpreter handles
    }
    case 0xff: {
      const m = modrm(r, seg);
      switch (m.reg) {
        case 0: case 1: return { op: 'incdec', down: m.reg === 1, size: 4, dst: m.rm };
        case 2: return { op: 'calli', src: m.rm };
        case 4: return { op: 'jmpi', src: m.rm };
        case 6: return { op: 'push', src: m.rm };
      }
      return null;
    }
    case 0x0f: {
      const b2 = r.u8();
      if (b2 >= 0x80 && b2 < 0x90) { const d = r.s32(); return { op: 'jcc', cc: b2 & 15, target: (next() + d) | 0 }; }
      if (b2 >= 0x90 && b2 < 0xa0) { const m = modrm(r, seg); return { op: 'setcc', cc: b2 & 15, dst: m.rm }; }
      if (b2 >= 0x40 && b2 < 0x50) { const m = modrm(r, seg); return { op: 'cmov', cc: b2 & 15, dst: m.reg, src: m.rm }; }
      if (b2 >= 0xc8 && b2 < 0xd0) return { op: 'bswap', r: b2 & 7 };
      switch (b2) {
        case 0x1f: modrm(r, seg); return { op: 'nop' };
        case 0xb1: { const m = modrm(r, seg); return { op: 'cmpxchg', dst: m.rm, src: m.reg }; }
        case 0xaf: { const m = modrm(r, seg); return { op: 'imul', dst: m.reg, a: reg(m.reg), b: m.rm }; }
        case 0xa3: case 0xab: case 0xb3: case 0xbb: {
          const m = modrm(r, seg);
          return { op: 'bt', kind: (b2 >> 3) & 3, dst: m.rm, bit: reg(m.reg) };
        }
        case 0xba: {
          const m = modrm(r, seg);
          if (m.reg < 4) return null; // #UD: the interpreter raises it
          return { op: 'bt', kind: m.reg - 4, dst: m.rm, bit: imm(r.u8() & 31) };
        }
        case 0xa4: case 0xa5: case 0xac: case 0xad: {
          const m = modrm(r, seg);
          const count = b2 & 1 ? -1 : r.u8() & 31;
          if (count === 0) return { op: 'nop' };
          return { op: 'shd', left: b2 < 0xa8, dst: m.rm, src: m.reg, count };
        }
        case 0xbc: case 0xbd: { const m = modrm(r, seg); return { op: b2 === 0xbc ? 'bsf' : 'bsr', dst: m.reg, src: m.rm }; }
        case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
          const m = modrm(r, seg);
          return { op: 'movx', sign: b2 >= 0xbe, from: b2 & 1 ? 2 : 1, dst: m.reg, src: m.rm };
        }
      }
      return null;
    }
  }
  return null;
}

/**
 * movs/stos (a4 a5 aa ab) with the operand size of a 66 prefix; a segment override (of
 * movs's source) is left to the interpreter.
 */
function stringOp(b: number, seg: number, opsize: number, rep: boolean): Insn | null {
  if (seg !== -1) return null;
  switch (b) {
    case 0xa4: return { op: 'movs', size: 1, rep };
    case 0xa5: return { op: 'movs', size: opsize, rep };
    case 0xaa: return { op: 'stos', size: 1, rep };
    case 0xab: return { op: 'stos', size: opsize, rep };
  }
  return null;
}

/** Group 2 (c0/c1 by imm8, d0/d1 by 1, d2/d3 by CL) of `size`; rcl/rcr and the /6 alias are the interpreter's. */
function decodeShift(r: Reader, b: number, seg: number, size: number): Insn | null {
  const m = modrm(r, seg);
  if (m.reg === 2 || m.reg === 3 || m.reg === 6) return null;
  const count = b <= 0xc1 ? r.u8() & 31 : b <= 0xd1 ? 1 : -1;
  // A zero count changes nothing, flags included (alu.ts makeShifts).
  if (count === 0) return { op: 'nop' };
  return { op: 'shift', k: m.reg, size, dst: m.rm, count };
}

/**
 * The operand-size-prefixed forms taken: multi-byte nops, and the 16-bit ALU and mov forms
 * that compression code uses on `unsigned short` arrays (gzip's prev/head tables).
 */
function decode16(r: Reader, b: number, seg: number): Insn | null {
  if (b === 0x90) return { op: 'nop' };
  if (b === 0x0f) {
    const b2 = r.u8();
    if (b2 === 0x1f) { modrm(r, seg); return { op: 'nop' }; }
    return null;
  }
  if (b < 0x40 && (b & 7) < 6 && (b & 1)) {
    const k = b >> 3;
    const form = b & 7;
    if (form === 5) return { op: 'alu', k, size: 2, dst: reg(0), src: imm(r.u16()) };
    const m = modrm(r, seg);
    const g = reg(m.reg);
    return form === 1 ? { op: 'alu', k, size: 2, dst: m.rm, src: g } : { op: 'alu', k, size: 2, dst: g, src: m.rm };
  }
  if (b >= 0x40 && b < 0x50) return { op: 'incdec', down: b >= 0x48, size: 2, dst: reg(b & 7) };
  switch (b) {
    case 0xa5: case 0xab: return stringOp(b, seg, 2, false);
    case 0xf3: return stringOp(r.u8(), seg, 2, true);
    case 0xc1: case 0xd1: case 0xd3: return decodeShift(r, b, seg, 2);
    case 0xf7: {
      const m = modrm(r, seg);
      if (m.reg === 0) return { op: 'alu', k: 8, size: 2, dst: m.rm, src: imm(r.u16()) };
      return m.reg === 2 || m.reg === 3 ? { op: m.reg === 2 ? 'not' : 'neg', size: 2, dst: m.rm } : null;
    }
    case 0xff: {
      const m = modrm(r, seg);
      return m.reg < 2 ? { op: 'incdec', down: m.reg === 1, size: 2, dst: m.rm } : null;
    }
    case 0x81: case 0x83: {
      const m = modrm(r, seg);
      return { op: 'alu', k: m.reg, size: 2, dst: m.rm, src: imm(b === 0x81 ? r.u16() : r.s8() & 0xffff) };
    }
    case 0x85: { const m = modrm(r, seg); return { op: 'alu', k: 8, size: 2, dst: m.rm, src: reg(m.reg) }; }
    case 0x89: case 0x8b: {
      const m = modrm(r, seg);
      return b === 0x89 ? { op: 'mov', size: 2, dst: m.rm, src: reg(m.reg) } : { op: 'mov', size: 2, dst: reg(m.reg), src: m.rm };
    }
    case 0xc7: {
      const m = modrm(r, seg);
      return m.reg === 0 ? { op: 'mov', size: 2, dst: m.rm, src: imm(r.u16()) } : null;
    }
  }
  return null;
}

/** Opcodes whose ModRM reg field selects the operation (group opcodes), one byte or 0F xx. */
const GROUPS = new Set([0x80, 0x81, 0x83, 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff,
  0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x0fba, 0x0fc7, 0x0fae]);

/** The legacy prefixes (segment overrides, operand and address size, LOCK, REPNE, REP). */
export const LEGACY_PREFIXES: ReadonlySet<number> = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/**
 * A name for the opcode at `at` (prefixes, opcode bytes, "/reg" for group opcodes), for the
 * statistics of exits to the interpreter: e.g. "f3 a5", "0f a3", "f7/6".
 */
export function opcodeName(mem: AddressSpace, at: number): string {
  const r = new Reader(mem);
  r.reset(at);
  const parts: string[] = [];
  let b = r.u8();
  while (r.ok && LEGACY_PREFIXES.has(b)) {
    parts.push(b.toString(16));
    b = r.u8();
  }
  let op = b;
  if (b === 0x0f) { op = 0x0f00 | r.u8(); }
  let name = op > 0xff ? `0f ${(op & 0xff).toString(16).padStart(2, '0')}` : op.toString(16).padStart(2, '0');
  if (GROUPS.has(op)) name += `/${(r.u8() >> 3) & 7}`;
  if (!r.ok) return 'unreadable';
  parts.push(name);
  return parts.join(' ');
}

/** A straight-line run of translated instructions; `exit` is where it leaves the translated code when it does not end in a terminator. */
export interface RBlock {
  start: number;
  insns: Decoded[];
  /** Address after the last instruction (the fall-through, or the untranslatable instruction's address). */
  end: number;
  /** True when the last instruction is a terminator (jcc/jmp/call/ret/indirect). */
  terminated: boolean;
  /**
   * An indirect jmp's targets taken into the region (formRegion `seen`): the translation
   * compares the computed target with each and branches there inside the function, like a
   * ret's continuations; any other target leaves as before.
   */
  targets?: number[];
}

export interface Region {
  entry: number;
  blocks: Map<number, RBlock>;
  /** Code pages the region was decoded from (invalidated on writes to any of them). */
  pages: number[];
  /** Instructions in all blocks. */
  count: number;
}

/** Limits: Wasm functions stay small (V8's compile and register allocation), regions chain through the hub. */
export const MAX_BLOCKS = 48, MAX_INSNS = 1000, MAX_BLOCK_INSNS = 200;
/** Fewest instructions of an entry block that ends at an untranslatable one (below: not worth entering). */
const MIN_ENTRY_INSNS = 3;

/**
 * Direct calls whose continuation is hot stay calls out of the region (formRegion): on by
 * default; off, the callee is followed into the region as before (to compare: bench/jit-profile.ts
 * WEBX86_JIT_CALLS=off). Regions formed afterwards follow it.
 */
let callsOut = true;
export function setCallsOut(on: boolean): boolean { const old = callsOut; callsOut = on; return old; }

/**
 * Indirect jumps' seen targets taken into the region (formRegion `seen`). Off by default at the
 * end of session 11: on the quiet machine (`npm run bench -- 'bash arith'`, main against the
 * same tree with this off, alternating) bash's cold JIT column took 8,761 / 9,124 ms of CPU with
 * it against 8,259 / 7,085 without (compiles 1,009 / 1,026 against 772 / 667 ms: its dispatch
 * jumps passed the gate and their targets made larger regions) and python3's 5,891 against
 * 5,044 ms, while xz -1 gained ~5% warm (docs/BENCHMARKS.md "Session 11: region transfers").
 * On again in session 12 with jit.ts's loop gate (LOOP_SHARE: the jump runs several times per
 * entry of the region), which none of python3's jumps and 2 of bash's 677 pass
 * (test/jit/switchgate.c). A jump compares its target with the seen ones inside the region.
 * Regions formed afterwards follow this switch.
 */
let indirectTargets = true;
export function setIndirectTargets(on: boolean): boolean { const old = indirectTargets; indirectTargets = on; return old; }

/** A callee taken into its caller's region has at most this many blocks reachable by the edges formRegion follows. */
const INLINE_BLOCKS = 8;

/**
 * Whether the callee at `target` is small enough to take into the caller's region: the
 * blocks formRegion would follow from it (direct jumps and calls, wanted Jcc successors and
 * call continuations) number at most INLINE_BLOCKS. Decoding only; the blocks are decoded
 * again if taken.
 */
function calleeFits(mem: AddressSpace, target: number, wanted: (addr: number) => boolean, rd: Reader): boolean {
  const seen = new Set<number>();
  const queue = [target >>> 0];
  while (queue.length > 0) {
    const at = queue.pop()!;
    if (seen.has(at)) continue;
    if (seen.size >= INLINE_BLOCKS) return false;
    seen.add(at);
    const b = decodeBlock(mem, at, rd);
    if (b.insns.length === 0 || !b.terminated) continue;
    const last = b.insns[b.insns.length - 1].insn;
    switch (last.op) {
      case 'jmp': queue.push(last.target >>> 0); break;
      case 'call': queue.push(last.target >>> 0); if (wanted(b.end)) queue.push(b.end); break;
      case 'jcc': case 'jecxz':
        if (wanted(b.end)) queue.push(b.end);
        if (wanted(last.target >>> 0)) queue.push(last.target >>> 0);
        break;
      case 'calli': if (wanted(b.end)) queue.push(b.end); break;
    }
  }
  return true;
}

/**
 * Decode one region block at `at`. Straight-line code longer than MAX_BLOCK_INSNS is cut where
 * `hot` says an interpreter block that ran often starts, if one does in the last half: the
 * region then leaves to a block with a history (its entries, paying for its own region:
 * jit.ts `rent`; or a region already there, which the hub chains to). Cut anywhere else, the
 * exit starts a new interpreter block that must get hot from nothing before it is translated,
 * whose region is cut elsewhere again: openssl's sha256 loop (~2,600 instructions in a row,
 * interpreter blocks of 64) went through ~70 overlapping regions, and with the governor's
 * budget spent each new block had to pay its rent afresh (test/jit/rent.test.ts: 16-47% of
 * the loop translated, against ~90% when the cuts fall on its blocks).
 */
function decodeBlock(mem: AddressSpace, at: number, rd: Reader, hot: (addr: number) => boolean = () => false): RBlock {
  const insns: Decoded[] = [];
  let pos = at >>> 0;
  for (;;) {
    if (insns.length >= MAX_BLOCK_INSNS) {
      for (let k = insns.length - 1; k >= MAX_BLOCK_INSNS >> 1; k--) {
        if (hot(insns[k].at >>> 0)) return { start: at, insns: insns.slice(0, k), end: insns[k].at >>> 0, terminated: false };
      }
      return { start: at, insns, end: pos, terminated: false };
    }
    const d = decodeInsn(mem, pos, rd);
    if (d === null) return { start: at, insns, end: pos, terminated: false };
    insns.push(d);
    pos = (pos + d.len) >>> 0;
    if (TERMINATORS.has(d.insn.op)) return { start: at, insns, end: pos, terminated: true };
  }
}

/** Blocks split where they run into a loop (splitIntoLoops); WEBX86_JIT_SPLIT=off keeps them whole, to compare. */
const splitFalls = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.WEBX86_JIT_SPLIT !== 'off';

/** Where block b may go next inside the region, by its terminator (a call: its target and its continuation). */
function nextBlocks(b: RBlock, blocks: Map<number, RBlock>): number[] {
  if (!b.terminated) return blocks.has(b.end >>> 0) ? [b.end >>> 0] : [];
  const i = b.insns[b.insns.length - 1].insn;
  const out: number[] = [];
  if (i.op === 'jcc' || i.op === 'jecxz' || i.op === 'jmp' || i.op === 'call') out.push(i.target >>> 0);
  if (i.op === 'jcc' || i.op === 'jecxz' || i.op === 'call') out.push(b.end >>> 0);
  return out.filter((y) => blocks.has(y));
}

/**
 * A block is decoded from its start to a terminator, so code that falls through into a loop's
 * header also holds the header's instructions, and its copy of the header's branch leads into
 * the loop's body: the loop then has two entries, codegen.ts finds the region irreducible and
 * cuts the loop's back edge through its dispatcher, which the loop takes every iteration
 * (busybox gzip's longest_match: its candidate loop; ~15% of the samples of gzip's two hottest
 * region functions were the dispatcher's, perf, session 13). Such a block ends at the header
 * instead and runs into it (codegen.ts successors), so the header dominates its loop. Only
 * there: a block split anywhere else loses what spans the cut (one shared check group,
 * deferred flags; busybox sha256sum's round loop holds another block's start mid-way and ran
 * ~5% slower split). The instructions and their order are the same.
 */
function splitIntoLoops(blocks: Map<number, RBlock>): void {
  const reach = new Map<number, Set<number>>();
  const reachOf = (x: number): Set<number> => {
    let r = reach.get(x);
    if (r !== undefined) return r;
    r = new Set<number>();
    const work = [x];
    while (work.length > 0) for (const y of nextBlocks(blocks.get(work.pop()!)!, blocks)) if (!r.has(y)) { r.add(y); work.push(y); }
    reach.set(x, r);
    return r;
  };
  const cuts: [number, RBlock][] = [];
  for (const [at, b] of blocks) {
    const out = nextBlocks(b, blocks);
    for (let k = 1; k < b.insns.length; k++) {
      const t = b.insns[k].at >>> 0;
      if (!blocks.has(t)) continue;
      // Its copy of t's code leads into a cycle through t, not through t itself: a second way into t's loop.
      if (!out.some((y) => y !== t && reachOf(t).has(y) && reachOf(y).has(t))) continue;
      cuts.push([at, { start: b.start, insns: b.insns.slice(0, k), end: t, terminated: false }]);
      break;
    }
  }
  for (const [at, b] of cuts) blocks.set(at, b);
}

/**
 * Grow a region from `entry`: follow direct jumps and calls, and conditional branch
 * successors that `wanted` accepts (the interpreter executed them often enough), up to
 * the limits. Returns null when the entry's first instruction is not translatable.
 */
export function formRegion(mem: AddressSpace, entry: number, wanted: (addr: number) => boolean, maxBlocks = MAX_BLOCKS,
  seen: (at: number, end: number) => number[] = () => []): Region | null {
  const rd = new Reader(mem);
  const blocks = new Map<number, RBlock>();
  const queue: number[] = [entry >>> 0];
  let count = 0;
  while (queue.length && blocks.size < maxBlocks && count < MAX_INSNS) {
    const at = queue.shift()!;
    if (blocks.has(at)) continue;
    const b = decodeBlock(mem, at, rd, wanted);
    if (b.insns.length === 0) { if (at === entry >>> 0) return null; continue; }
    // An entry block that stops at an untranslatable instruction after one or two: entering
    // would run those and leave, every time (the x87 loop's `mov; fild ...` bounced 8.9 M
    // times and ran slower than interpreted). The interpreter keeps such a block.
    if (at === entry >>> 0 && !b.terminated && b.insns.length < MIN_ENTRY_INSNS) return null;
    blocks.set(at, b);
    count += b.insns.length;
    const last = b.insns[b.insns.length - 1].insn;
    if (!b.terminated) continue;
    switch (last.op) {
      case 'jmp': queue.push(last.target >>> 0); break;
      case 'call':
        // A call whose continuation is hot and whose callee is too big to take in whole
        // stays a call out of the region (codegen.ts callsOut): the callee runs as its own
        // region in a nested hub loop and its ret lands back here, instead of the callee's
        // body filling the region's limits and leaving mid-way. A small callee is taken in:
        // its ret branches to the continuation inside the function.
        // A call through a PLT stub always stays a call out (its jmp is translated with the call).
        if (callsOut && wanted(b.end) && (last.stub !== undefined || !calleeFits(mem, last.target >>> 0, wanted, rd))) { queue.push(b.end); break; }
        queue.push(last.target >>> 0);
        if (wanted(b.end)) queue.push(b.end);
        break;
      case 'jcc': case 'jecxz':
        if (wanted(b.end)) queue.push(b.end);
        if (wanted(last.target >>> 0)) queue.push(last.target >>> 0);
        break;
      case 'calli':
        if (wanted(b.end)) queue.push(b.end);
        break;
      case 'jmpi': {
        // A switch's jump table (xz's range coder: one jmp per encoded bit, two targets
        // most of them): the targets the interpreter saw, if hot, are taken in, so the
        // jump stays in the function instead of a hub hop into a region of each target.
        if (!indirectTargets) break;
        const ts = seen(at, b.end).filter((t) => wanted(t));
        if (ts.length > 0) { b.targets = ts; queue.push(...ts); }
        break;
      }
    }
  }
  if (splitFalls) splitIntoLoops(blocks);
  const pages = new Set<number>();
  for (const b of blocks.values()) {
    for (const d of b.insns) {
      pages.add(d.at >>> 12); pages.add((d.at + d.len - 1) >>> 12);
      const x = inlinedRange(d.insn);
      if (x !== null) { pages.add(x[0] >>> 12); pages.add((x[1] - 1) >>> 12); }
    }
  }
  return { entry: entry >>> 0, blocks, pages: [...pages], count };
}

const HEX_DIGITS = [...'0123456789abcdef'].map((ch) => ch.charCodeAt(0));
const hexText = new TextDecoder();
/**
 * Bytes [from, to) of `u8` in lower-case hex, two digits a byte: the module keys (regionKey,
 * translation-cache.ts rangesKey). Digits written to a byte array and decoded at once: a
 * string built from `toString(16).padStart(2, '0')` per byte took ~100 ns a byte, 15-21 ms of
 * a warm bash run's engine thread for its 671 records' 164 KB (session 13); this, ~4 ns.
 */
export function hexBytes(u8: Uint8Array, from: number, to: number): string {
  const out = new Uint8Array(2 * Math.max(0, to - from));
  for (let i = from, k = 0; i < to; i++, k += 2) { const x = u8[i]; out[k] = HEX_DIGITS[x >> 4]; out[k + 1] = HEX_DIGITS[x & 15]; }
  return hexText.decode(out);
}

/**
 * A key naming the region's translation: block starts and every instruction's bytes. Equal
 * keys give identical Wasm, so modules are shared across fork, exec and processes.
 */
export function regionKey(mem: AddressSpace, r: Region): string {
  // The same bytes translate differently without the SSE translation (interpreter calls).
  const parts: string[] = [...(sseCode ? [] : ['nosse;']), ...(x87Code ? [] : ['nox87;'])];
  for (const b of r.blocks.values()) {
    parts.push(`${b.start.toString(16)}:${b.end.toString(16)}:`);
    // Not an indirect jump's targets (RBlock.targets): the translation cache names a record by
    // its blocks and bytes (translation-cache.ts), and the key must equal the record's, or a
    // warm run compiles every such region again (python3: 53-67 modules, before this). Which
    // of the region's blocks a jump compares with changes only which targets stay inside, so
    // any module under the key is a correct translation.
    // The instructions' bytes in runs up to each PIC thunk call, whose thunk's bytes follow a '>'
    // (they are part of the translation too).
    let from = -1, to = -1;
    for (const d of b.insns) {
      if (from < 0) from = d.at >>> 0;
      to = (d.at + d.len) >>> 0;
      const x = inlinedRange(d.insn);
      if (x !== null) {
        parts.push(hexBytes(mem.u8, from, to), '>', hexBytes(mem.u8, x[0], x[1]));
        from = -1;
      }
    }
    if (from >= 0) parts.push(hexBytes(mem.u8, from, to));
    parts.push(';');
  }
  return parts.join('');
}
