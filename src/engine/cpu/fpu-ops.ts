/**
 * x87 instructions (escape opcodes D8-DF, and 9B fwait), from the Intel SDM vol. 2
 * opcode map (tables A-7 .. A-22). Memory forms are a table per escape byte indexed by
 * ModRM.reg; register forms by ModRM.reg and rm. State helpers live in fpu.ts.
 *
 * Every "data" instruction (all but the fn* control ones) is wrapped: it first raises a
 * pending unmasked exception (#MF -> SIGFPE), clears C1, and records FIP/FOP (and FDP for
 * memory operands) as fnstenv reports them.
 */
import { CpuException, type Cpu, type Op } from './cpu.js';
import type { Decoder } from './decoder.js';
import { cond, setArith } from './flags.js';
import { CF, EAX, PF, ZF } from './state.js';
import { def, range } from './ops/table.js';
import { ud as udRaw, SIGFPE } from './ops/faults.js';
import {
  ABORT, BUSY, FPU_R, C0, C1, C2, C3, DE, ES, FPU_CW, FPU_FIP, FPU_FOO, FPU_FOP, FPU_SW, FPU_TAG, FPU_TOP,
  Fpu, IE, OE, P_MEM, PE, UE, ZE, bcdToBigInt, bigIntToBcd, envWords, frstor, fsave, loadEnvWords,
} from './fpu.js';
import * as F from './float80.js';
import { f2xm1, fpatan, fscale, fsincos, fyl2x, fyl2xp1, fprem } from './fpu-trans.js';

/** #UD that still consumes the memory operand's bytes and ends the block. */
function ud(d: Decoder): Op {
  if (!d.isReg) d.ea();
  d.ends = true;
  return udRaw(d);
}

type Body = (c: Cpu, f: Fpu) => void;
type MemBody = (c: Cpu, f: Fpu, a: number) => void;

// si_code values for SIGFPE (include/uapi/asm-generic/siginfo.h).
const FPE_FLTDIV = 3, FPE_FLTOVF = 4, FPE_FLTUND = 5, FPE_FLTRES = 6, FPE_FLTINV = 7;
const TRAP_MF = 16;

/** #MF at a waiting instruction: si_code picked as Linux's fpu__exception_code() does. */
function mathFault(c: Cpu, ip: number): never {
  const err = c.s[FPU_SW] & ~c.s[FPU_CW] & 0x3f;
  const code = err & IE ? FPE_FLTINV : err & ZE ? FPE_FLTDIV : err & OE ? FPE_FLTOVF
    : err & (UE | DE) ? FPE_FLTUND : err & PE ? FPE_FLTRES : 0;
  throw new CpuException(SIGFPE, code, ip, TRAP_MF);
}

const fopOf = (d: Decoder, esc: number) => ((esc & 7) << 8) | (d.mod << 6) | (d.reg << 3) | d.rm;

/** A register-form data instruction. */
function data(d: Decoder, esc: number, body: Body): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const sw = s[FPU_SW];
    if (sw & ES) mathFault(c, ip);
    s[FPU_SW] = sw & ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop;
    try { body(c, c.fpu); } catch (e) { if (e !== ABORT) throw e; }
  };
}
/**
 * A memory-form data instruction; the effective address is computed before anything changes.
 * A fault on the operand (a page fault, #GP) leaves the status word and the pointers as they
 * were: the CPU faults before the instruction changes anything, so C1 and the flags an
 * integer store raised while rounding (fist, fisttp) are undone (test/jit/x87.c 5d: fild m16,
 * fist/fistp/fisttp of every size against native). Bodies read their operand before pushing
 * and store before popping, so the stack needs no undoing.
 */
function dataM(d: Decoder, esc: number, body: MemBody, ea = d.ea()): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const sw = s[FPU_SW];
    if (sw & ES) mathFault(c, ip);
    const a = ea(c);
    const fip = s[FPU_FIP], fopWas = s[FPU_FOP], foo = s[FPU_FOO];
    s[FPU_SW] = sw & ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop; s[FPU_FOO] = a;
    try { body(c, c.fpu, a); } catch (e) {
      if (e === ABORT) return;
      s[FPU_SW] = sw; s[FPU_FIP] = fip; s[FPU_FOP] = fopWas; s[FPU_FOO] = foo;
      throw e;
    }
  };
}
/** A control instruction (fn*): no pending-exception check, pointers untouched. */
function ctrlM(d: Decoder, body: MemBody): Op {
  const ea = d.ea();
  return (c) => body(c, c.fpu, ea(c));
}

// ---- Memory operand formats ----

/**
 * Memory operands for arithmetic and compares, converted exactly to 80 bits in the
 * scratch slot P_MEM. SNaNs stay signalling (the op picks and quiets), and a denormal
 * source is returned as DE for the op to raise in its place: not when the other operand
 * is a NaN or the op divides by zero (measured).
 */
type Load = (c: Cpu, f: Fpu, a: number) => number;
function toMem(f: Fpu): void { const X = F.X; f.write(P_MEM, X[0], X[1], X[2]); }
const ldM32: Load = (c, f, a) => { const fl = F.fromF32(c.mem.read32(a), false); toMem(f); return fl & DE; };
const ldM64: Load = (c, f, a) => {
  const lo = c.mem.read32(a), hi = c.mem.read32((a + 4) >>> 0);
  const fl = F.fromF64(lo, hi, false); toMem(f); return fl & DE;
};
const ldMI16: Load = (c, f, a) => { F.fromInt32((c.mem.read16(a) << 16) >> 16); toMem(f); return 0; };
const ldMI32: Load = (c, f, a) => { F.fromInt32(c.mem.read32(a)); toMem(f); return 0; };

/** fld m32/m64: DE for a denormal, IE and quieting for an SNaN. */
function fldF(c: Cpu, f: Fpu, a: number, dbl: boolean): void {
  const fl = dbl ? F.fromF64(c.mem.read32(a), c.mem.read32((a + 4) >>> 0), true) : F.fromF32(c.mem.read32(a), true);
  // A full stack outranks the operand's DE (measured: fldl of a denormal onto a full stack raises IE|SF only; test/jit/x87.c).
  f.pushResult(f.isEmpty(f.phys(7)) ? fl : 0);
}
/** fst/fstp m32/m64: round by rc to the format; unmasked OE/UE/IE leave memory alone. */
function stF(c: Cpu, f: Fpu, a: number, dbl: boolean, pop: boolean): void {
  const p = f.sti(0);
  const fl = F.toFloat(f.lo(p), f.hi(p), f.se(p), dbl ? 64 : 32, f.cw);
  if (fl) {
    f.raise(fl);
    if (fl & (OE | UE) & ~f.cw) throw ABORT;
  }
  if (dbl) {
    c.mem.writeSlow(a, 8);
    c.mem.write32(a, F.FOUT[0]);
    c.mem.write32((a + 4) >>> 0, F.FOUT[1]);
  } else c.mem.write32(a, F.FOUT[0]);
  if (pop) f.pop();
}
function stX80(c: Cpu, f: Fpu, a: number, p: number): void {
  c.mem.writeSlow(a, 10);
  c.mem.write32(a, f.lo(p));
  c.mem.write32((a + 4) >>> 0, f.hi(p));
  c.mem.write16((a + 8) >>> 0, f.se(p));
}
/** fld m80: the bits as they are (no exception for SNaNs or unsupported encodings, SDM FLD). */
function ldX80(c: Cpu, f: Fpu, a: number): void {
  const lo = c.mem.read32(a), hi = c.mem.read32((a + 4) >>> 0), se = c.mem.read16((a + 8) >>> 0);
  f.push(lo, hi, se);
}
function ldI64(c: Cpu, f: Fpu, a: number): void {
  let lo = c.mem.read32(a) >>> 0, hi = c.mem.read32((a + 4) >>> 0) >>> 0;
  const neg = hi >= 0x80000000;
  if (neg) { lo = (~lo >>> 0) + 1; hi = ~hi >>> 0; if (lo >= 4294967296) { lo = 0; hi = (hi + 1) >>> 0; } }
  F.fromIntMag(neg ? 1 : 0, hi, lo);
  f.pushResult(0);
}

/**
 * ST(0) rounded to an integer of `bits` bits by rc (the control word's; fisttp passes 3,
 * truncation, SDM FISTTP): sets intLo/intHi (two's complement) or raises IE (masked: the
 * integer indefinite). Returns false when nothing may be stored.
 */
let intLo = 0, intHi = 0;
function toInt(f: Fpu, bits: number, rc: number): boolean {
  const p = f.sti(0);
  const lo = f.lo(p), hi = f.hi(p), se = f.se(p);
  const k = F.classify(lo, hi, se);
  let bad = k >= F.INF;
  let fl = 0;
  if (!bad) {
    fl = F.toIntMag(lo, hi, se, rc);
    const neg = (se & 0x8000) !== 0;
    let mh = F.W[F.IH], ml = F.W[F.IL];
    // Range: magnitude below 2^(bits-1), or exactly 2^(bits-1) when negative.
    const lim = bits === 64 ? [0x80000000, 0] : [0, 2 ** (bits - 1)];
    const over = F.iOver || mh > lim[0] || (mh === lim[0] && ml > lim[1]) ||
      (!neg && mh === lim[0] && ml === lim[1]);
    if (over) bad = true;
    else {
      if (neg && (mh | ml) !== 0) { ml = (~ml >>> 0) + 1; mh = ~mh >>> 0; if (ml >= 4294967296) { ml = 0; mh = (mh + 1) >>> 0; } }
      intLo = ml | 0; intHi = mh | 0;
    }
  }
  if (bad) {
    f.raise(IE);
    intLo = bits === 64 ? 0 : bits === 32 ? 0x80000000 | 0 : 0x8000; intHi = 0x80000000 | 0;
    return true;
  }
  if (fl) f.raise(fl);
  return true;
}
function stInt(c: Cpu, f: Fpu, a: number, bits: number, rc = f.rc): void {
  toInt(f, bits, rc);
  if (bits === 16) c.mem.write16(a, intLo);
  else if (bits === 32) c.mem.write32(a, intLo);
  else { c.mem.writeSlow(a, 8); c.mem.write32(a, intLo); c.mem.write32((a + 4) >>> 0, intHi); }
}

function ldBCD(c: Cpu, f: Fpu, a: number): void {
  const b = new Uint8Array(10);
  for (let i = 0; i < 10; i++) b[i] = c.mem.read8((a + i) >>> 0);
  const v = bcdToBigInt(b);
  const m = v < 0n ? -v : v;
  F.fromIntMag(b[9] & 0x80 ? 1 : 0, Number(m >> 32n), Number(m & 0xffffffffn));
  f.pushResult(0);
}
function stBCD(c: Cpu, f: Fpu, a: number): void {
  const p = f.sti(0);
  const out = new Uint8Array(10);
  const lo = f.lo(p), hi = f.hi(p), se = f.se(p);
  const k = F.classify(lo, hi, se);
  let q: bigint | null = null, fl = 0;
  if (k < F.INF) {
    fl = F.toIntMag(lo, hi, se, f.rc);
    if (!F.iOver) q = (BigInt(F.W[F.IH]) << 32n) | BigInt(F.W[F.IL]);
  }
  if (q === null || q >= 10n ** 18n) {
    f.raise(IE);
    out[7] = 0xc0; out[8] = 0xff; out[9] = 0xff; // packed BCD indefinite
  } else {
    if (fl) f.raise(fl);
    bigIntToBcd(q, out);
    if (se & 0x8000) out[9] = 0x80;
  }
  c.mem.writeSlow(a, 10);
  for (let i = 0; i < 10; i++) c.mem.write8((a + i) >>> 0, out[i]);
  f.pop();
}

// ---- 16-bit protected-mode images (operand-size 16: the 66 prefix in 32-bit code) ----
// SDM Vol. 1 Figure 8-10: seven words, FCW FSW FTW, FIP's low 16 bits, FCS, FDP's low 16
// bits, FDS; no opcode field. Measured natively: fnstenvs writes the 14 bytes and nothing
// past them, fldenvs loads FIP and FDP zero-extended and the opcode as 0; fnsaves is those 14
// bytes and the eight 10-byte registers (94 bytes).
function storeEnv16(c: Cpu, a: number): void {
  const w = envWords(c); // the 32-bit words' low halves are the 16-bit image's words
  c.mem.writeSlow(a, 14);
  for (let j = 0; j < 7; j++) c.mem.write16((a + j * 2) >>> 0, w[j] & 0xffff);
}
function loadEnv16(c: Cpu, a: number): void {
  const v: number[] = [];
  for (let j = 0; j < 7; j++) v.push(c.mem.read16((a + j * 2) >>> 0));
  loadEnvWords(c, v); // word 4 (FCS) has no opcode half: the opcode loads as 0
}
function fsave16(c: Cpu, a: number): void {
  c.mem.writeSlow(a, 94);
  storeEnv16(c, a);
  const f = c.fpu;
  for (let i = 0; i < 8; i++) {
    const p = f.phys(i), o = (a + 14 + i * 10) >>> 0;
    c.mem.write32(o, f.lo(p)); c.mem.write32((o + 4) >>> 0, f.hi(p)); c.mem.write16((o + 8) >>> 0, f.se(p));
  }
}
function frstor16(c: Cpu, a: number): void {
  const regs: number[][] = [];
  for (let i = 0; i < 8; i++) {
    const o = (a + 14 + i * 10) >>> 0;
    regs.push([c.mem.read32(o), c.mem.read32((o + 4) >>> 0), c.mem.read16((o + 8) >>> 0)]);
  }
  loadEnv16(c, a);
  const f = c.fpu;
  for (let i = 0; i < 8; i++) f.write(f.phys(i), regs[i][0], regs[i][1], regs[i][2]);
}

// ---- Arithmetic ----

/**
 * Row k of the arithmetic group (ModRM.reg) on physical registers x = ST(0)'s and y = the
 * other operand's: 0 add, 1 mul, 4 x-y, 5 y-x, 6 x/y, 7 y/x. Returns flags, result in F.X.
 */
function arithK(f: Fpu, k: number, x: number, y: number): number {
  const s = f.s, cw = s[FPU_CW];
  const xl = f.lo(x), xh = f.hi(x), xe = f.se(x), yl = f.lo(y), yh = f.hi(y), ye = f.se(y);
  switch (k) {
    case 0: return F.add(xl, xh, xe, yl, yh, ye, false, cw);
    case 1: return F.mul(xl, xh, xe, yl, yh, ye, cw);
    case 4: return F.add(xl, xh, xe, yl, yh, ye, true, cw);
    case 5: return F.add(yl, yh, ye, xl, xh, xe, true, cw);
    case 6: return F.div(xl, xh, xe, yl, yh, ye, cw);
    default: return F.div(yl, yh, ye, xl, xh, xe, cw);
  }
}

/** The memory operand's DE, raised before the op unless a NaN operand or a zero divide outranks it. */
function memDE(f: Fpu, den: number, x: number, k: number): void {
  if (!den) return;
  const kx = F.classify(f.lo(x), f.hi(x), f.se(x));
  if (kx >= F.QNAN || (k === 7 && kx === F.ZERO)) return;
  f.raise(DE);
}

/** D8/DC/DA/DE memory rows: arithmetic or compare with a loaded operand. */
function memArith(d: Decoder, esc: number, load: Load): Op {
  const k = d.reg;
  if (k === 2 || k === 3) {
    const pop = k === 3;
    return dataM(d, esc, (c, f, a) => {
      const x = f.sti(0);
      const den = load(c, f, a);
      memDE(f, den, x, k);
      f.setCC(compare(f, x, P_MEM, false));
      if (pop) f.pop();
    });
  }
  const ea = d.ea();
  const general = dataM(d, esc, (c, f, a) => {
    const x = f.sti(0);
    const den = load(c, f, a);
    memDE(f, den, x, k);
    f.result(0, arithK(f, k, x, P_MEM));
  }, ea);
  const kind = load === ldM32 ? M_F32 : load === ldM64 ? M_F64 : load === ldMI32 ? M_I32 : M_I16;
  return arithMemHot(d, esc, k, kind, ea, general);
}

// ---- The hot forms, inline ----
//
// Arithmetic, fst m32/m64, loads and register moves under the condition that holds for
// nearly all code (Linux starts a program with every exception masked): no exception
// pending, for arithmetic and stores none unmasked either, operands present (no stack
// fault), a memory float normal or zero. Then nothing can fault or abort after the
// operands are read, so the op is the general one's steps without the wrapper, the body
// closure, the scratch slot and raise(): the same state written in the same order.
// Anything else runs the general op (`general`), from the start. Measured: the bench's
// x87 loop 7.7 s -> 6.2-6.4 s of engine CPU (docs/ISA.md "Speed").

/** Memory operand formats of the hot arithmetic forms. */
const M_F32 = 0, M_F64 = 1, M_I32 = 2, M_I16 = 3;

/** Whether the hot path applies: every exception masked and none pending. */
const allMasked = (s: Int32Array) => (s[FPU_CW] & 0x3f) === 0x3f && (s[FPU_SW] & ES) === 0;

/** The memory operand of a hot form as 80-bit words. */
const MW = new Int32Array(3);
/**
 * Read the operand at a into MW, exactly; false (nothing decided) for a float that is
 * not normal or zero: its DE/IE and NaN rules are the general op's. One small function
 * per format, so that V8 inlines the one an op uses (--trace-turbo-inlining): one
 * function for all four was not inlined and had 6% of the bench's profile samples; the
 * total gain was within the loaded machine's noise.
 */
function memOperand(c: Cpu, kind: number, a: number): boolean {
  return kind === M_F64 ? memF64(c, a) : kind === M_F32 ? memF32(c, a) : memInt(c, kind, a);
}
/** fromF32 without the special cases: move the fields. */
function memF32(c: Cpu, a: number): boolean {
  const b = c.mem.read32(a), e = (b >>> 23) & 0xff;
  if (e === 0 || e === 0xff) {
    if ((b & 0x7fffffff) !== 0) return false;
    MW[0] = 0; MW[1] = 0; MW[2] = (b >>> 16) & 0x8000;
  } else { MW[0] = 0; MW[1] = 0x80000000 | (b << 8); MW[2] = ((b >>> 16) & 0x8000) | (e + (16383 - 127)); }
  return true;
}
/** fromF64 without the special cases. */
function memF64(c: Cpu, a: number): boolean {
  const lo = c.mem.read32(a), hi = c.mem.read32((a + 4) >>> 0), e = (hi >>> 20) & 0x7ff;
  if (e === 0 || e === 0x7ff) {
    if (((hi & 0x7fffffff) | lo) !== 0) return false;
    MW[0] = 0; MW[1] = 0; MW[2] = (hi >>> 16) & 0x8000;
  } else { MW[0] = lo << 11; MW[1] = 0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21); MW[2] = ((hi >>> 16) & 0x8000) | (e + (16383 - 1023)); }
  return true;
}
function memInt(c: Cpu, kind: number, a: number): boolean {
  F.fromInt32(kind === M_I32 ? c.mem.read32(a) : (c.mem.read16(a) << 16) >> 16);
  const X = F.X;
  MW[0] = X[0]; MW[1] = X[1]; MW[2] = X[2];
  return true;
}

/** Push the memory operand (fld m32fp/m64fp, fild m32int/m16int). */
function loadHot(d: Decoder, esc: number, kind: number, ea: (c: Cpu) => number, general: Op): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const tag = s[FPU_TAG], p = (s[FPU_TOP] - 1) & 7;
    if ((s[FPU_SW] & ES) !== 0 || ((tag >> (p * 2)) & 3) !== 3) { general(c); return; }
    const a = ea(c);
    // The operand first: a faulting read leaves C1 and the pointers as they were.
    if (!memOperand(c, kind, a)) { general(c); return; }
    s[FPU_SW] &= ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop; s[FPU_FOO] = a;
    const b = FPU_R + p * 3;
    s[b] = MW[0]; s[b + 1] = MW[1]; s[b + 2] = MW[2];
    s[FPU_TOP] = p; s[FPU_TAG] = tag & ~(3 << (p * 2));
  };
}

/**
 * fst/fstp m32fp/m64fp. With every exception masked no flag stops the store, so this is
 * stF without the wrapper (the general op when a flag is unmasked or ST(0) is empty).
 */
function storeHot(d: Decoder, esc: number, dbl: boolean, pop: boolean, ea: (c: Cpu) => number, general: Op): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const top = s[FPU_TOP], tag = s[FPU_TAG];
    if (!allMasked(s) || ((tag >> (top * 2)) & 3) === 3) { general(c); return; }
    const a = ea(c);
    const b = FPU_R + top * 3;
    const fl = F.toFloat(s[b], s[b + 1], s[b + 2], dbl ? 64 : 32, s[FPU_CW]);
    // The store first: a faulting one leaves C1 and the pointers as they were (the CPU's
    // fault comes before the instruction changes anything; test/jit/x87.c).
    if (dbl) {
      c.mem.writeSlow(a, 8);
      c.mem.write32(a, F.FOUT[0]);
      c.mem.write32((a + 4) >>> 0, F.FOUT[1]);
    } else c.mem.write32(a, F.FOUT[0]);
    s[FPU_SW] = (s[FPU_SW] & ~C1) | fl;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop; s[FPU_FOO] = a;
    if (pop) { s[FPU_TAG] = tag | (3 << (top * 2)); s[FPU_TOP] = (top + 1) & 7; }
  };
}

/** fld st(i). */
function fldRegHot(d: Decoder, esc: number, i: number, general: Op): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const top = s[FPU_TOP], tag = s[FPU_TAG], q = (top + i) & 7, p = (top - 1) & 7;
    if ((s[FPU_SW] & ES) !== 0 || ((tag >> (q * 2)) & 3) === 3 || ((tag >> (p * 2)) & 3) !== 3) { general(c); return; }
    s[FPU_SW] &= ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop;
    const bq = FPU_R + q * 3, bp = FPU_R + p * 3;
    s[bp] = s[bq]; s[bp + 1] = s[bq + 1]; s[bp + 2] = s[bq + 2];
    s[FPU_TOP] = p; s[FPU_TAG] = tag & ~(3 << (p * 2));
  };
}

/** fxch st(i). */
function fxchHot(d: Decoder, esc: number, i: number, general: Op): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const top = s[FPU_TOP], tag = s[FPU_TAG], q = (top + i) & 7;
    if ((s[FPU_SW] & ES) !== 0 || ((tag >> (top * 2)) & 3) === 3 || ((tag >> (q * 2)) & 3) === 3) { general(c); return; }
    s[FPU_SW] &= ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop;
    const bp = FPU_R + top * 3, bq = FPU_R + q * 3;
    const lo = s[bp], hi = s[bp + 1], se = s[bp + 2];
    s[bp] = s[bq]; s[bp + 1] = s[bq + 1]; s[bp + 2] = s[bq + 2];
    s[bq] = lo; s[bq + 1] = hi; s[bq + 2] = se;
  };
}

/** fst st(i) / fstp st(i). */
function fstRegHot(d: Decoder, esc: number, i: number, pop: boolean, general: Op): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const top = s[FPU_TOP], q = (top + i) & 7;
    let tag = s[FPU_TAG];
    if ((s[FPU_SW] & ES) !== 0 || ((tag >> (top * 2)) & 3) === 3) { general(c); return; }
    s[FPU_SW] &= ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop;
    const bp = FPU_R + top * 3, bq = FPU_R + q * 3;
    s[bq] = s[bp]; s[bq + 1] = s[bp + 1]; s[bq + 2] = s[bp + 2];
    tag &= ~(3 << (q * 2));
    if (pop) { tag |= 3 << (top * 2); s[FPU_TOP] = (top + 1) & 7; }
    s[FPU_TAG] = tag;
  };
}

/** arithK on operand words (a = ST(0), b = the other operand). */
function arithWords(k: number, al: number, ah: number, ae: number, bl: number, bh: number, be: number, cw: number): number {
  switch (k) {
    case 0: return F.add(al, ah, ae, bl, bh, be, false, cw);
    case 1: return F.mul(al, ah, ae, bl, bh, be, cw);
    case 4: return F.add(al, ah, ae, bl, bh, be, true, cw);
    case 5: return F.add(bl, bh, be, al, ah, ae, true, cw);
    case 6: return F.div(al, ah, ae, bl, bh, be, cw);
    default: return F.div(bl, bh, be, al, ah, ae, cw);
  }
}

/** ST(0) or ST(i) <- ST(0) op ST(i), then pop when asked. */
function arithRegHot(d: Decoder, esc: number, k: number, i: number, intoSti: boolean, pop: boolean, general: Op): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const top = s[FPU_TOP], tag = s[FPU_TAG], py = (top + i) & 7;
    if (!allMasked(s) || ((tag >> (top * 2)) & 3) === 3 || ((tag >> (py * 2)) & 3) === 3) { general(c); return; }
    s[FPU_SW] &= ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop;
    const bx = FPU_R + top * 3, by = FPU_R + py * 3;
    const fl = arithWords(k, s[bx], s[bx + 1], s[bx + 2], s[by], s[by + 1], s[by + 2], s[FPU_CW]);
    s[FPU_SW] |= fl;
    const X = F.X, bd = intoSti ? by : bx;
    s[bd] = X[0]; s[bd + 1] = X[1]; s[bd + 2] = X[2] & 0xffff;
    if (pop) { s[FPU_TAG] = tag | (3 << (top * 2)); s[FPU_TOP] = (top + 1) & 7; }
  };
}

/** ST(0) <- ST(0) op m32fp/m64fp/m32int/m16int. */
function arithMemHot(d: Decoder, esc: number, k: number, kind: number, ea: (c: Cpu) => number, general: Op): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  return (c) => {
    const s = c.s;
    const top = s[FPU_TOP];
    if (!allMasked(s) || ((s[FPU_TAG] >> (top * 2)) & 3) === 3) { general(c); return; }
    const a = ea(c);
    if (!memOperand(c, kind, a)) { general(c); return; }
    s[FPU_SW] &= ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop; s[FPU_FOO] = a;
    const bx = FPU_R + top * 3;
    const fl = arithWords(k, s[bx], s[bx + 1], s[bx + 2], MW[0], MW[1], MW[2], s[FPU_CW]);
    s[FPU_SW] |= fl;
    const X = F.X;
    s[bx] = X[0]; s[bx + 1] = X[1]; s[bx + 2] = X[2] & 0xffff;
  };
}

/** C3/C2/C0 for comparing physical registers x and y; unordered raises IE (always for fcom, SNaN only for fucom). */
function compare(f: Fpu, x: number, y: number, quiet: boolean): number {
  const r = F.compare(f.lo(x), f.hi(x), f.se(x), f.lo(y), f.hi(y), f.se(y), quiet);
  if (F.cmpFlags) f.raise(F.cmpFlags);
  return r === 0 ? C3 : r < 0 ? C0 : r === 1 ? 0 : C3 | C2 | C0;
}
function compareRegs(f: Fpu, i: number, quiet: boolean): number {
  const x = f.sti(0), y = f.sti(i);
  return compare(f, x, y, quiet);
}
/** fcomi family: C0/C2/C3 become CF/PF/ZF; OF, SF and AF are cleared. */
function ccToEflags(c: Cpu, cc: number): void {
  setArith(c, (cc & C0 ? CF : 0) | (cc & C2 ? PF : 0) | (cc & C3 ? ZF : 0));
}

function fxch(f: Fpu, i: number): void {
  const p = f.phys(0), q = f.phys(i);
  if (f.isEmpty(p) || f.isEmpty(q)) {
    f.underflow();
    if (f.isEmpty(p)) f.setIndef(0);
    if (f.isEmpty(q)) f.setIndef(i);
  }
  const lo = f.lo(p), hi = f.hi(p), se = f.se(p);
  f.write(p, f.lo(q), f.hi(q), f.se(q));
  f.write(q, lo, hi, se);
}
/** ST(i) <- ST(0) (fst st(i)). */
function copyTo(f: Fpu, i: number): void {
  const p = f.sti(0);
  f.set(i, f.lo(p), f.hi(p), f.se(p));
}

/** Change ST(0)'s sign bit (fchs: flip, fabs: clear). */
function signOp(f: Fpu, flip: boolean): void {
  const p = f.sti(0);
  const se = f.se(p);
  f.set(0, f.lo(p), f.hi(p), flip ? se ^ 0x8000 : se & 0x7fff);
}

/** fxam classes (C3 C2 C0), SDM vol.2 FXAM; C1 is the sign. */
const FXAM_CC = [C3, C2, C3 | C2, C2 | C0, C0, C0, 0]; // by float80 class
function fxam(f: Fpu): void {
  const p = f.phys(0);
  const sign = f.se(p) & 0x8000 ? C1 : 0;
  const cls = f.isEmpty(p) ? C3 | C0 : FXAM_CC[F.classify(f.lo(p), f.hi(p), f.se(p))];
  f.setCC(cls | sign);
}

function ftst(f: Fpu): void {
  const x = f.sti(0);
  f.write(P_MEM, 0, 0, 0);
  f.setCC(compare(f, x, P_MEM, false));
}

function fxtract(f: Fpu): void {
  const p = f.sti(0);
  const lo = f.lo(p), hi = f.hi(p), se = f.se(p);
  const k = F.classify(lo, hi, se);
  if (k >= F.QNAN) {
    const fl = F.nanResult(lo, hi, se, k, lo, hi, se, k);
    f.result(0, fl);
    f.pushResult(0);
    return;
  }
  if (k === F.ZERO) {
    f.raise(ZE);
    f.set(0, 0, 0x80000000 | 0, 0xffff); // -inf
    f.push(lo, hi, se);
    return;
  }
  if (k === F.INF) { f.set(0, 0, 0x80000000 | 0, 0x7fff); f.push(lo, hi, se); return; }
  if (k === F.DENORMAL) f.raise(DE);
  const [e, mh, ml] = F.unpacked(lo, hi, se);
  const ex = e - 16383;
  F.fromInt32(ex);
  f.set(0, F.X[0], F.X[1], F.X[2]);
  f.push(ml | 0, mh | 0, (se & 0x8000) | 16383);
}

function frndint(f: Fpu): void {
  const p = f.sti(0);
  f.result(0, F.roundInt(f.lo(p), f.hi(p), f.se(p), f.cw));
}

// ---- Constants (D9 E8-EE) ----

/**
 * 80-bit constants as the CPU loads them under each rounding control (nearest, down,
 * up, toward zero): significand hi, significand lo per rc, sign|exponent. Read from
 * a native run (fldXX; fstpt) on an Intel CPU.
 */
const CONSTS: [number, number[], number][] = [
  [0x80000000, [0, 0, 0, 0], 0x3fff],                                              // fld1
  [0xd49a784b, [0xcd1b8afe, 0xcd1b8afe, 0xcd1b8aff, 0xcd1b8afe], 0x4000],         // fldl2t
  [0xb8aa3b29, [0x5c17f0bc, 0x5c17f0bb, 0x5c17f0bc, 0x5c17f0bb], 0x3fff],         // fldl2e
  [0xc90fdaa2, [0x2168c235, 0x2168c234, 0x2168c235, 0x2168c234], 0x4000],         // fldpi
  [0x9a209a84, [0xfbcff799, 0xfbcff798, 0xfbcff799, 0xfbcff798], 0x3ffd],         // fldlg2
  [0xb17217f7, [0xd1cf79ac, 0xd1cf79ab, 0xd1cf79ac, 0xd1cf79ab], 0x3ffe],         // fldln2
  [0, [0, 0, 0, 0], 0],                                                            // fldz
];
function fldConst(f: Fpu, k: number): void {
  const [hi, los, se] = CONSTS[k];
  f.push(los[f.rc] | 0, hi | 0, se);
}

// ---- Register-form rows of D9 E0-FF, as a table (null: #UD) ----

const D9_E0: (Body | null)[] = [
  (_c, f) => signOp(f, true),                                     // E0 fchs
  (_c, f) => signOp(f, false),                                    // E1 fabs
  null, null,
  (_c, f) => ftst(f),                                             // E4 ftst
  (_c, f) => fxam(f),                                             // E5 fxam
  null, null,
  ...range(0, 6).map((k): Body => (_c, f) => fldConst(f, k)),     // E8-EE fld1 .. fldz
  null,
  (_c, f) => f2xm1(f),                                            // F0 f2xm1
  (_c, f) => fyl2x(f),                                            // F1 fyl2x
  (_c, f) => fsincos(f, 2),                                         // F2 fptan
  (_c, f) => fpatan(f),                                           // F3 fpatan
  (_c, f) => fxtract(f),                                          // F4 fxtract
  (_c, f) => fprem(f, true),                                      // F5 fprem1
  (_c, f) => { f.s[FPU_TOP] = (f.s[FPU_TOP] - 1) & 7; },          // F6 fdecstp
  (_c, f) => { f.s[FPU_TOP] = (f.s[FPU_TOP] + 1) & 7; },          // F7 fincstp
  (_c, f) => fprem(f, false),                                     // F8 fprem
  (_c, f) => fyl2xp1(f),                                          // F9 fyl2xp1
  (_c, f) => { const p = f.sti(0); f.result(0, F.sqrt(f.lo(p), f.hi(p), f.se(p), f.cw)); }, // FA fsqrt
  (_c, f) => fsincos(f, 3),                                       // FB fsincos
  (_c, f) => frndint(f),                                          // FC frndint
  (_c, f) => fscale(f),                                           // FD fscale
  (_c, f) => fsincos(f, 0),                                       // FE fsin
  (_c, f) => fsincos(f, 1),                                       // FF fcos
];

// ---- Escape bytes ----

/** D8 / DC: arithmetic with m32fp / m64fp, or between ST(0) and ST(i). */
function escArith(d: Decoder, esc: number, load: Load, intoSti: boolean, pop: boolean): Op {
  const k = d.reg, i = d.rm;
  if (!d.isReg) return memArith(d, esc, load);
  if (k === 2 || k === 3) {
    const popN = k === 3 ? 1 : 0;
    return data(d, esc, (_c, f) => { f.setCC(compareRegs(f, i, false)); if (popN || pop) f.pop(); });
  }
  if (!intoSti) return arithRegHot(d, esc, k, i, false, false, data(d, esc, (_c, f) => { const x = f.sti(0), y = f.sti(i); f.result(0, arithK(f, k, x, y)); }));
  return arithRegHot(d, esc, k, i, true, pop, data(d, esc, (_c, f) => {
    const x = f.sti(0), y = f.sti(i);
    f.result(i, arithK(f, k, x, y));
    if (pop) f.pop();
  }));
}

def('x87 d8', (d) => { d.modrm(); return escArith(d, 0xd8, ldM32, false, false); });
def('x87 dc', (d) => { d.modrm(); return escArith(d, 0xdc, ldM64, true, false); });
def('x87 da', (d) => {
  d.modrm();
  if (!d.isReg) return memArith(d, 0xda, ldMI32);
  const i = d.rm;
  if (d.reg < 4) return fcmov(d, 0xda, [0x2, 0x4, 0x6, 0xa][d.reg], i);
  if (d.reg === 5 && i === 1) return data(d, 0xda, (_c, f) => { f.setCC(compareRegs(f, 1, true)); f.pop(); f.pop(); }); // fucompp
  return ud(d);
});
def('x87 de', (d) => {
  d.modrm();
  if (!d.isReg) return memArith(d, 0xde, ldMI16);
  if (d.reg === 3) {
    if (d.rm !== 1) return ud(d);
    return data(d, 0xde, (_c, f) => { f.setCC(compareRegs(f, 1, false)); f.pop(); f.pop(); }); // fcompp
  }
  return escArith(d, 0xde, ldM64, true, true);
});

function fcmov(d: Decoder, esc: number, cc: number, i: number): Op {
  return data(d, esc, (c, f) => {
    if (!cond(c, cc)) return;
    const q = f.phys(i);
    f.copyPhys(f.phys(0), f.isEmpty(q) ? f.underflow() : q);
  });
}

def('x87 d9', (d) => {
  d.modrm();
  const i = d.rm;
  if (d.isReg) {
    switch (d.reg) {
      case 0: return fldRegHot(d, 0xd9, i, data(d, 0xd9, (_c, f) => f.pushCopy(f.phys(i)))); // fld st(i)
      case 1: return fxchHot(d, 0xd9, i, data(d, 0xd9, (_c, f) => fxch(f, i)));               // fxch
      case 2: return i === 0 ? data(d, 0xd9, () => {}) : ud(d);         // fnop
      case 3: return fstRegHot(d, 0xd9, i, true, data(d, 0xd9, (_c, f) => { copyTo(f, i); f.pop(); })); // fstp1 (undocumented alias)
      default: {
        const body = D9_E0[(d.reg - 4) * 8 + i];
        return body ? data(d, 0xd9, body) : ud(d);
      }
    }
  }
  switch (d.reg) {
    case 0: { const ea = d.ea(); return loadHot(d, 0xd9, M_F32, ea, dataM(d, 0xd9, (c, f, a) => fldF(c, f, a, false), ea)); }
    case 2: case 3: {
      const pop = d.reg === 3;
      const ea = d.ea();
      return storeHot(d, 0xd9, false, pop, ea, dataM(d, 0xd9, (c, f, a) => stF(c, f, a, false, pop), ea));
    }
    case 4: {                                                          // fldenv
      const o16 = d.opsize === 2;
      return ctrlM(d, (c, _f, a) => { if (o16) loadEnv16(c, a); else { const w: number[] = []; for (let j = 0; j < 7; j++) w.push(c.mem.read32((a + j * 4) >>> 0)); loadEnvWords(c, w); } });
    }
    case 5: return ctrlM(d, (c, f, a) => { c.s[FPU_CW] = (c.mem.read16(a) & 0x1f3f) | 0x40; f.syncPending(); }); // fldcw
    case 6: {                                                          // fnstenv
      const o16 = d.opsize === 2;
      return ctrlM(d, (c, f, a) => {
        if (o16) storeEnv16(c, a);
        else {
          const w = envWords(c);
          c.mem.writeSlow(a, 28);
          for (let j = 0; j < 7; j++) c.mem.write32((a + j * 4) >>> 0, w[j]);
        }
        // fnstenv masks all exceptions afterwards (SDM FSTENV).
        c.s[FPU_CW] |= 0x3f;
        f.syncPending();
      });
    }
    case 7: return ctrlM(d, (c, _f, a) => c.mem.write16(a, c.s[FPU_CW])); // fnstcw
    default: return ud(d);
  }
});

def('x87 db', (d) => {
  d.modrm();
  if (d.isReg) {
    const i = d.rm;
    switch (d.reg) {
      case 0: case 1: case 2: case 3: return fcmov(d, 0xdb, [0x3, 0x5, 0x7, 0xb][d.reg], i);
      case 4:
        switch (i) {
          case 0: case 1: case 4: return () => {};                     // feni, fdisi, fsetpm: no-ops since the 387
          case 2: return (c) => { c.s[FPU_SW] &= ~(0xff | BUSY); };     // fnclex
          case 3: return (c) => c.fpu.reset();                          // fninit
          default: return ud(d);
        }
      case 5: return data(d, 0xdb, (c, f) => ccToEflags(c, compareRegs(f, i, true)));  // fucomi
      case 6: return data(d, 0xdb, (c, f) => ccToEflags(c, compareRegs(f, i, false))); // fcomi
      default: return ud(d);
    }
  }
  switch (d.reg) {
    case 0: { const ea = d.ea(); return loadHot(d, 0xdb, M_I32, ea, dataM(d, 0xdb, (c, f, a) => { F.fromInt32(c.mem.read32(a)); f.pushResult(0); }, ea)); }
    case 2: return dataM(d, 0xdb, (c, f, a) => stInt(c, f, a, 32));
    case 1: return dataM(d, 0xdb, (c, f, a) => { stInt(c, f, a, 32, 3); f.pop(); }); // fisttp m32 (SSE3)
    case 3: return dataM(d, 0xdb, (c, f, a) => { stInt(c, f, a, 32); f.pop(); });
    case 5: return dataM(d, 0xdb, ldX80);
    case 7: return dataM(d, 0xdb, (c, f, a) => {
      stX80(c, f, a, f.sti(0));
      f.pop();
    });
    default: return ud(d);
  }
});

def('x87 dd', (d) => {
  d.modrm();
  const i = d.rm;
  if (d.isReg) {
    switch (d.reg) {
      case 0: return data(d, 0xdd, (c) => { c.s[FPU_TAG] |= 3 << (c.fpu.phys(i) * 2); }); // ffree
      case 1: return fxchHot(d, 0xdd, i, data(d, 0xdd, (_c, f) => fxch(f, i)));         // fxch4 alias
      case 2: return fstRegHot(d, 0xdd, i, false, data(d, 0xdd, (_c, f) => copyTo(f, i))); // fst st(i)
      case 3: return fstRegHot(d, 0xdd, i, true, data(d, 0xdd, (_c, f) => { copyTo(f, i); f.pop(); })); // fstp st(i)
      case 4: return data(d, 0xdd, (_c, f) => f.setCC(compareRegs(f, i, true)));       // fucom
      case 5: return data(d, 0xdd, (_c, f) => { f.setCC(compareRegs(f, i, true)); f.pop(); }); // fucomp
      default: return ud(d);
    }
  }
  switch (d.reg) {
    case 0: { const ea = d.ea(); return loadHot(d, 0xdd, M_F64, ea, dataM(d, 0xdd, (c, f, a) => fldF(c, f, a, true), ea)); }
    case 1: return dataM(d, 0xdd, (c, f, a) => { stInt(c, f, a, 64, 3); f.pop(); }); // fisttp m64 (SSE3)
    case 2: case 3: {
      const pop = d.reg === 3;
      const ea = d.ea();
      return storeHot(d, 0xdd, true, pop, ea, dataM(d, 0xdd, (c, f, a) => stF(c, f, a, true, pop), ea));
    }
    case 4: return d.opsize === 2 ? ctrlM(d, (c, _f, a) => frstor16(c, a)) : ctrlM(d, (c, _f, a) => frstor(c, a));
    case 6: return d.opsize === 2 ? ctrlM(d, (c, f, a) => { fsave16(c, a); f.reset(); }) : ctrlM(d, (c, f, a) => { fsave(c, a); f.reset(); });
    case 7: return ctrlM(d, (c, f, a) => c.mem.write16(a, f.sw));      // fnstsw m16
    default: return ud(d);
  }
});

def('x87 df', (d) => {
  d.modrm();
  const i = d.rm;
  if (d.isReg) {
    switch (d.reg) {
      case 0: return data(d, 0xdf, (c, f) => { c.s[FPU_TAG] |= 3 << (f.phys(i) * 2); f.pop(); }); // ffreep
      case 1: return fxchHot(d, 0xdf, i, data(d, 0xdf, (_c, f) => fxch(f, i)));                  // fxch7 alias
      case 2: case 3: return fstRegHot(d, 0xdf, i, true, data(d, 0xdf, (_c, f) => { copyTo(f, i); f.pop(); })); // fstp8/9 aliases
      case 4: return i === 0 ? (c) => { c.w16[EAX * 2] = c.fpu.sw; } : ud(d);                    // fnstsw ax
      case 5: return data(d, 0xdf, (c, f) => { ccToEflags(c, compareRegs(f, i, true)); f.pop(); });  // fucomip
      case 6: return data(d, 0xdf, (c, f) => { ccToEflags(c, compareRegs(f, i, false)); f.pop(); }); // fcomip
      default: return ud(d);
    }
  }
  switch (d.reg) {
    case 0: { const ea = d.ea(); return loadHot(d, 0xdf, M_I16, ea, dataM(d, 0xdf, (c, f, a) => { F.fromInt32((c.mem.read16(a) << 16) >> 16); f.pushResult(0); }, ea)); }
    case 1: return dataM(d, 0xdf, (c, f, a) => { stInt(c, f, a, 16, 3); f.pop(); }); // fisttp m16 (SSE3)
    case 2: return dataM(d, 0xdf, (c, f, a) => stInt(c, f, a, 16));
    case 3: return dataM(d, 0xdf, (c, f, a) => { stInt(c, f, a, 16); f.pop(); });
    case 4: return dataM(d, 0xdf, ldBCD);
    case 5: return dataM(d, 0xdf, ldI64);
    case 6: return dataM(d, 0xdf, stBCD);
    case 7: return dataM(d, 0xdf, (c, f, a) => { stInt(c, f, a, 64); f.pop(); });
    default: return ud(d);
  }
});

// 9B fwait: delivers a pending unmasked exception.
def('fwait', (d) => {
  const ip = d.start >>> 0;
  return (c) => { if (c.s[FPU_SW] & ES) mathFault(c, ip); };
});
