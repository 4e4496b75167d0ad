/**
 * Region formation's half of the x87 translation: decodes the x87 forms codegen-x87.ts
 * emits Wasm for into an `x87` Insn (escape bytes D8-DF, SDM vol.2 tables A-7 .. A-22:
 * ModRM.reg selects the row of a memory form, reg and rm the register form, as in
 * cpu/fpu-ops.ts). Every other x87 instruction is left to region.ts, which runs it by the
 * interpreter's closure inside the region (interp-call.ts) when x87 translation is on.
 */
import { M_F32, M_F64, M_F80, M_I16, M_I32, M_I64 } from './codegen-x87.js';
import { modrm, type MemRef, type Reader } from './region.js';

/**
 * One translated x87 instruction. `fop` is the 11-bit opcode fnstenv reports (FOP);
 * `call`: the interpreter's closure may run inside the region as the slow path (else the
 * slow path leaves the region before the instruction).
 * - arith: ST(0) or ST(i) := ST(0) op ST(i) (k = ModRM.reg: 0 add, 1 mul, 4 x-y, 5 y-x,
 *   6 x/y, 7 y/x with x = ST(0)), then pop when asked.
 * - arithm: ST(0) := ST(0) op memory operand of format `kind`.
 * - fld / fxch / fst: register moves with ST(i); fldm: push a memory operand (fld m32/m64/m80,
 *   fild m16/m32/m64); fstm: store ST(0) as m32fp/m64fp/m80fp or, rounded by RC, as
 *   m16int/m32int/m64int (fist, fistp), then pop when asked.
 * - fchs / fabs / fld1 / fldz / ftst; fnstsw (AX); fnstcw / fldcw (m16).
 * - fcom / fcomi families: fcom, fcomp, fucom, fucomp, fcompp, fucompp, fcomi(p), fucomi(p)
 *   (quiet or not only differs for NaN operands, which the translation leaves to the closure).
 */
export type X87Insn = { op: 'x87'; fop: number; call: boolean } & (
  | { f: 'arith'; k: number; i: number; intoSti: boolean; pop: boolean }
  | { f: 'arithm'; k: number; kind: number; m: MemRef }
  | { f: 'fld' | 'fxch'; i: number }
  | { f: 'fst'; i: number; pop: boolean }
  | { f: 'fldm'; kind: number; m: MemRef }
  | { f: 'fstm'; kind: number; pop: boolean; m: MemRef }
  | { f: 'fchs' | 'fabs' | 'fld1' | 'fldz' | 'fnstsw' | 'ftst' }
  /** fcom/fucom (C0 C2 C3) or fcomi/fucomi (ZF PF CF) of ST(0) with ST(i), then `pop` pops (0-2). */
  | { f: 'fcom' | 'fcomi'; i: number; pop: number }
  | { f: 'fnstcw' | 'fldcw'; m: MemRef }
);

/**
 * Decode the x87 instruction with escape byte `b` (D8-DF, the prefixes already read), or
 * undefined when codegen-x87.ts does not translate that form (the reader is then back).
 */
export function decodeX87(r: Reader, b: number, seg: number, call: boolean): X87Insn | undefined {
  const save = r.pos;
  const at = r.pos;
  const byte = r.u8();
  r.pos = at;
  const mm = modrm(r, seg);
  if (!r.ok) { r.pos = save; return undefined; }
  const fop = ((b & 7) << 8) | byte;
  const reg = mm.reg, isReg = mm.rm.k === 'r';
  const i = mm.rm.k === 'r' ? mm.rm.r : 0;
  const m = mm.rm.k === 'm' ? mm.rm.m : undefined;
  const base = { op: 'x87' as const, fop, call };
  const arithK = reg !== 2 && reg !== 3;
  let x: X87Insn | undefined;
  switch (b) {
    case 0xd8:
      if (isReg && !arithK) x = { ...base, f: 'fcom', i, pop: reg - 2 };
      else if (arithK) x = isReg ? { ...base, f: 'arith', k: reg, i, intoSti: false, pop: false } : { ...base, f: 'arithm', k: reg, kind: M_F32, m: m! };
      break;
    case 0xdc:
      if (arithK) x = isReg ? { ...base, f: 'arith', k: reg, i, intoSti: true, pop: false } : { ...base, f: 'arithm', k: reg, kind: M_F64, m: m! };
      break;
    case 0xda:
      if (isReg && reg === 5 && i === 1) x = { ...base, f: 'fcom', i: 1, pop: 2 }; // fucompp
      else if (!isReg && arithK) x = { ...base, f: 'arithm', k: reg, kind: M_I32, m: m! };
      break;
    case 0xde:
      if (isReg && reg === 3 && i === 1) x = { ...base, f: 'fcom', i: 1, pop: 2 }; // fcompp
      else if (arithK) x = isReg ? { ...base, f: 'arith', k: reg, i, intoSti: true, pop: true } : { ...base, f: 'arithm', k: reg, kind: M_I16, m: m! };
      break;
    case 0xd9:
      if (isReg) {
        if (reg === 0) x = { ...base, f: 'fld', i };
        else if (reg === 1) x = { ...base, f: 'fxch', i };
        else if (reg === 4 && i < 2) x = { ...base, f: i === 0 ? 'fchs' : 'fabs' };
        else if (reg === 4 && i === 4) x = { ...base, f: 'ftst' };
        else if (reg === 5 && (i === 0 || i === 6)) x = { ...base, f: i === 0 ? 'fld1' : 'fldz' };
      } else if (reg === 0) x = { ...base, f: 'fldm', kind: M_F32, m: m! };
      else if (reg === 2 || reg === 3) x = { ...base, f: 'fstm', kind: M_F32, pop: reg === 3, m: m! };
      else if (reg === 5) x = { ...base, f: 'fldcw', m: m! };
      else if (reg === 7) x = { ...base, f: 'fnstcw', m: m! };
      break;
    case 0xdd:
      if (isReg) {
        if (reg === 2 || reg === 3) x = { ...base, f: 'fst', i, pop: reg === 3 };
        else if (reg === 4 || reg === 5) x = { ...base, f: 'fcom', i, pop: reg - 4 }; // fucom, fucomp
      } else if (reg === 0) x = { ...base, f: 'fldm', kind: M_F64, m: m! };
      else if (reg === 2 || reg === 3) x = { ...base, f: 'fstm', kind: M_F64, pop: reg === 3, m: m! };
      break;
    case 0xdb:
      if (isReg && (reg === 5 || reg === 6)) x = { ...base, f: 'fcomi', i, pop: 0 }; // fucomi, fcomi
      else if (!isReg && reg === 0) x = { ...base, f: 'fldm', kind: M_I32, m: m! };
      else if (!isReg && (reg === 2 || reg === 3)) x = { ...base, f: 'fstm', kind: M_I32, pop: reg === 3, m: m! }; // fist/fistp m32
      else if (!isReg && reg === 5) x = { ...base, f: 'fldm', kind: M_F80, m: m! }; // fld m80
      else if (!isReg && reg === 7) x = { ...base, f: 'fstm', kind: M_F80, pop: true, m: m! }; // fstp m80
      break;
    case 0xdf:
      if (isReg) {
        if (reg === 4 && i === 0) x = { ...base, f: 'fnstsw' };
        else if (reg === 5 || reg === 6) x = { ...base, f: 'fcomi', i, pop: 1 }; // fucomip, fcomip
      }
      else if (reg === 0) x = { ...base, f: 'fldm', kind: M_I16, m: m! };
      else if (reg === 5) x = { ...base, f: 'fldm', kind: M_I64, m: m! }; // fild m64
      else if (reg === 2 || reg === 3) x = { ...base, f: 'fstm', kind: M_I16, pop: reg === 3, m: m! }; // fist/fistp m16
      else if (reg === 7) x = { ...base, f: 'fstm', kind: M_I64, pop: true, m: m! }; // fistp m64
      break;
  }
  if (x === undefined) r.pos = save;
  return x;
}
