/**
 * x87 instructions (escape opcodes D8-DF, and 9B fwait), from the Intel SDM vol. 2
 * opcode map (tables A-7 .. A-22). Memory forms are a table per escape byte indexed by
 * ModRM.reg; register forms by ModRM.reg and rm. State helpers live in fpu.ts.
 *
 * Every "data" instruction (all but the fn* control ones) is wrapped: it first raises a
 * pending unmasked exception (#MF -> SIGFPE), clears C1, and records FIP/FOP (and FDP for
 * memory operands) as fnstenv reports them.
 */
import { ylog2, ylog2p1 } from './fpu-log.js';
import { CpuException, type Cpu, type Op } from './cpu.js';
import type { Decoder } from './decoder.js';
import { cond, setArith } from './flags.js';
import { CF, EAX, PF, ZF } from './state.js';
import { def, range } from './ops/table.js';
import { ud as udRaw, SIGFPE } from './ops/faults.js';
import {
  ABORT, BUSY, C0, C1, C2, C3, DE, ES, FPU_CW, FPU_FIP, FPU_FOO, FPU_FOP, FPU_SW, FPU_TAG, FPU_TOP, FPU_X80,
  FPU_XVALID, Fpu, IE, INDEF, OE, PE, UE, ZE, bcdToBigInt, bigIntToBcd, envWords, f32ToF64, f64ToF32, fromBits,
  frstor, fsave, f64ToX80, hiBits, intToX80, isSNaN, loBits, loadEnvWords, roundInt, scale2, toInt, x80ToBigInt, x80ToF64,
} from './fpu.js';

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
/** A memory-form data instruction; the effective address is computed before anything changes. */
function dataM(d: Decoder, esc: number, body: MemBody): Op {
  const ip = d.start >>> 0, fop = fopOf(d, esc);
  const ea = d.ea();
  return (c) => {
    const s = c.s;
    const sw = s[FPU_SW];
    if (sw & ES) mathFault(c, ip);
    const a = ea(c);
    s[FPU_SW] = sw & ~C1;
    s[FPU_FIP] = ip; s[FPU_FOP] = fop; s[FPU_FOO] = a;
    try { body(c, c.fpu, a); } catch (e) { if (e !== ABORT) throw e; }
  };
}
/** A control instruction (fn*): no pending-exception check, pointers untouched. */
function ctrlM(d: Decoder, body: MemBody): Op {
  const ea = d.ea();
  return (c) => body(c, c.fpu, ea(c));
}

// ---- Memory operand formats ----

/**
 * Raw m32/m64 float operands for arithmetic: SNaNs stay signalling (nanResult picks and
 * quiets), and a denormal source only sets `denormal`: DE is not raised when the other
 * operand is a NaN (measured).
 */
let denormal = false;
function rawF32(c: Cpu, _f: Fpu, a: number): number {
  const b = c.mem.read32(a);
  denormal = (b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0;
  return f32ToF64(b);
}
function rawF64(c: Cpu, _f: Fpu, a: number): number {
  const lo = c.mem.read32(a);
  const hi = c.mem.read32((a + 4) >>> 0);
  denormal = (hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0;
  return fromBits(hi, lo);
}
/** fld m32/m64: DE for a denormal, IE and quieting for an SNaN. */
function fldF(c: Cpu, f: Fpu, a: number, raw: (c: Cpu, f: Fpu, a: number) => number): void {
  let v = raw(c, f, a);
  if (denormal) f.raise(DE);
  else if (isSNaN(v)) { f.raise(IE); v = fromBits(hiBits(v) | 0x80000, loBits(v)); }
  f.push(v);
}
const ldI16 = (c: Cpu, a: number) => (c.mem.read16(a) << 16) >> 16;
const ldI32 = (c: Cpu, a: number) => c.mem.read32(a);

function stF64(c: Cpu, f: Fpu, a: number, v: number): void {
  let hi = hiBits(v);
  const lo = loBits(v);
  if (v !== v && !(hi & 0x80000)) { f.raise(IE); hi |= 0x80000; }
  c.mem.writeSlow(a, 8);
  c.mem.write32(a, lo);
  c.mem.write32((a + 4) >>> 0, hi);
}
function stX80(c: Cpu, f: Fpu, a: number, p: number): void {
  const [lo, hi, se] = f.ext(p);
  c.mem.writeSlow(a, 10);
  c.mem.write32(a, lo);
  c.mem.write32((a + 4) >>> 0, hi);
  c.mem.write16((a + 8) >>> 0, se);
}
function ldX80(c: Cpu, f: Fpu, a: number): void {
  const lo = c.mem.read32(a), hi = c.mem.read32((a + 4) >>> 0), se = c.mem.read16((a + 8) >>> 0);
  f.pushX(x80ToF64(lo, hi, se), lo, hi, se);
}
function ldI64(c: Cpu, f: Fpu, a: number): void {
  const lo = c.mem.read32(a), hi = c.mem.read32((a + 4) >>> 0);
  const v = hi * 4294967296 + (lo >>> 0);
  // Beyond 2^53 the double is rounded: keep the exact integer for fistp m64 / fstp m80.
  if (Math.abs(v) >= 9007199254740992) {
    const [xl, xh, xe] = intToX80((BigInt(hi) << 32n) | BigInt(lo >>> 0));
    f.pushX(v, xl, xh, xe);
  } else f.push(v);
}
function stI64(c: Cpu, f: Fpu, a: number): void {
  const p = f.phys(0);
  let lo = 0, hi = 0x80000000 | 0;
  if (f.isEmpty(p)) f.underflow();
  else if (f.hasShadow(p)) {
    const [xl, xh, xe] = f.ext(p);
    const q = x80ToBigInt(xl, xh, xe, f.rc);
    if (q === null || q < -(1n << 63n) || q >= 1n << 63n) f.raise(IE);
    else {
      if (f.regs[p] !== Math.trunc(f.regs[p])) f.raise(PE);
      lo = Number(q & 0xffffffffn) | 0; hi = Number((q >> 32n) & 0xffffffffn) | 0;
    }
  } else {
    const r = toInt(f, f.regs[p], 64);
    if (r !== null) { hi = Math.floor(r / 4294967296); lo = r - hi * 4294967296; }
  }
  c.mem.writeSlow(a, 8);
  c.mem.write32(a, lo);
  c.mem.write32((a + 4) >>> 0, hi);
}
function ldBCD(c: Cpu, f: Fpu, a: number): void {
  const b = new Uint8Array(10);
  for (let i = 0; i < 10; i++) b[i] = c.mem.read8((a + i) >>> 0);
  const v = bcdToBigInt(b);
  const n = Number(v);
  if (v === 0n && b[9] & 0x80) { f.push(-0); return; }
  if (Math.abs(n) >= 9007199254740992) { const [xl, xh, xe] = intToX80(v); f.pushX(n, xl, xh, xe); } else f.push(n);
}
function stBCD(c: Cpu, f: Fpu, a: number): void {
  const p = f.phys(0);
  const out = new Uint8Array(10);
  let q: bigint | null = null;
  const v = f.st(0);
  if (v === v && v - v === 0) {
    if (f.hasShadow(p)) { const [xl, xh, xe] = f.ext(p); q = x80ToBigInt(xl, xh, xe, f.rc); }
    else q = BigInt(roundInt(v, f.rc));
    if (q !== null && Number(q) !== v) f.raise(PE);
  }
  if (q === null || q >= 10n ** 18n || q <= -(10n ** 18n)) {
    f.raise(IE);
    out[7] = 0xc0; out[8] = 0xff; out[9] = 0xff; // packed BCD indefinite
  } else {
    bigIntToBcd(q, out);
    if (hiBits(v) < 0) out[9] = 0x80;
  }
  c.mem.writeSlow(a, 10);
  for (let i = 0; i < 10; i++) c.mem.write8((a + i) >>> 0, out[i]);
  f.pop();
}
function stInt(c: Cpu, f: Fpu, a: number, bits: number): void {
  const r = toInt(f, f.st(0), bits);
  if (bits === 16) c.mem.write16(a, r === null ? 0x8000 : r);
  else c.mem.write32(a, r === null ? 0x80000000 | 0 : r);
}

// ---- Arithmetic ----

/**
 * Row k of the arithmetic group (ModRM.reg) on x = ST(0) and y = the other operand:
 * 0 add, 1 mul, 4 x-y, 5 y-x, 6 x/y, 7 y/x. (2 and 3 are compares, handled apart.)
 */
function arithK(f: Fpu, k: number, x: number, y: number): number {
  switch (k) {
    case 0: return f.arith(0, x, y);
    case 1: return f.arith(1, x, y);
    case 4: return f.arith(4, x, y);
    case 5: return f.arith(4, y, x);
    case 6: return f.arith(6, x, y);
    default: return f.arith(6, y, x);
  }
}

/** D8/DC/DA/DE memory rows: arithmetic or compare with a loaded operand. */
function memArith(d: Decoder, esc: number, load: (c: Cpu, f: Fpu, a: number) => number): Op {
  const k = d.reg;
  if (k === 2 || k === 3) {
    const pop = k === 3;
    return dataM(d, esc, (c, f, a) => {
      denormal = false;
      const x = f.st(0), y = load(c, f, a);
      if (denormal && x === x) f.raise(DE);
      f.setCC(f.compare(x, y, false));
      if (pop) f.pop();
    });
  }
  return dataM(d, esc, (c, f, a) => {
    denormal = false;
    const x = f.st(0), y = load(c, f, a);
    // A NaN operand or a zero divisor takes priority over DE (measured).
    if (denormal && x === x && !(k === 7 && x === 0)) f.raise(DE);
    f.set(0, arithK(f, k, x, y));
  });
}

function compareRegs(f: Fpu, i: number, quiet: boolean): number {
  const x = f.st(0), y = f.st(i);
  return f.compare(x, y, quiet);
}
/** fcomi family: C0/C2/C3 become CF/PF/ZF; OF, SF and AF are cleared. */
function ccToEflags(c: Cpu, cc: number): void {
  setArith(c, (cc & C0 ? CF : 0) | (cc & C2 ? PF : 0) | (cc & C3 ? ZF : 0));
}

function fxch(f: Fpu, i: number): void {
  const s = f.s;
  const p = f.phys(0), q = f.phys(i);
  if (f.isEmpty(p) || f.isEmpty(q)) {
    f.underflow();
    if (f.isEmpty(p)) f.set(0, INDEF);
    if (f.isEmpty(q)) f.set(i, INDEF);
  }
  const v = f.regs[p]; f.regs[p] = f.regs[q]; f.regs[q] = v;
  const vp = (s[FPU_XVALID] >> p) & 1, vq = (s[FPU_XVALID] >> q) & 1;
  for (let j = 0; j < 3; j++) {
    const t = s[FPU_X80 + p * 3 + j]; s[FPU_X80 + p * 3 + j] = s[FPU_X80 + q * 3 + j]; s[FPU_X80 + q * 3 + j] = t;
  }
  s[FPU_XVALID] = (s[FPU_XVALID] & ~((1 << p) | (1 << q))) | (vq << p) | (vp << q);
}
/** ST(i) <- ST(0) (fst st(i)). */
function copyTo(f: Fpu, i: number): void {
  if (f.isEmpty(f.phys(0))) { f.set(i, f.underflow()); return; }
  f.copyPhys(f.phys(i), f.phys(0));
}

/** Change ST(0)'s sign bit (fchs: flip, fabs: clear), shadow included. */
function signOp(f: Fpu, flip: boolean): void {
  const p = f.phys(0);
  const v = f.st(0);
  const had = f.hasShadow(p), [xl, xh, xe] = had ? f.ext(p) : [0, 0, 0];
  const hi = flip ? hiBits(v) ^ 0x80000000 : hiBits(v) & 0x7fffffff;
  f.set(0, fromBits(hi, loBits(v)));
  if (had) f.setShadow(p, xl, xh, flip ? xe ^ 0x8000 : xe & 0x7fff);
}

/** fxam classes (C3 C2 C0), SDM vol.2 FXAM; C1 is the sign. */
function fxam(f: Fpu): void {
  const p = f.phys(0);
  const v = f.regs[p];
  const sign = hiBits(v) < 0 ? C1 : 0;
  let cls: number;
  if (f.isEmpty(p)) cls = C3 | C0;
  else if (v !== v) cls = C0;
  else if (v - v !== 0) cls = C2 | C0;
  else if (v === 0 && !f.hasShadow(p)) cls = C3;
  else {
    // Double denormals are normal in 80-bit; only a shadow can hold an 80-bit denormal.
    const [, xh, xe] = f.ext(p);
    const e = xe & 0x7fff;
    cls = e === 0 ? (xh === 0 && f.ext(p)[0] === 0 ? C3 : C3 | C2) : xh & 0x80000000 ? C2 : 0;
  }
  f.setCC(cls | sign);
}

function fxtract(f: Fpu): void {
  const x = f.st(0);
  if (x !== x) { const n = f.nanResult(x, x); f.set(0, n); f.push(n); return; }
  if (x === 0) { f.raise(ZE); f.set(0, -Infinity); f.push(x); return; }
  if (x - x !== 0) { f.set(0, Infinity); f.push(x); return; }
  const [xl, xh, xe] = f.ext(f.phys(0));
  const e = (xe & 0x7fff) - 16383;
  f.set(0, e);
  f.push(x80ToF64(xl, xh, (xe & 0x8000) | 16383));
}

function fscale(f: Fpu): void {
  const x = f.st(0), y = f.st(1);
  if (x !== x || y !== y) { f.set(0, f.nanResult(x, y)); return; }
  if (y - y !== 0) {
    // x * 2^+inf: inf unless x is 0 (invalid); x * 2^-inf: 0 unless x is inf (invalid).
    if ((y > 0 && x === 0) || (y < 0 && x - x !== 0)) { f.raise(IE); f.set(0, INDEF); return; }
    f.set(0, y > 0 ? (x === 0 ? x : x * Infinity) : x * 0);
    return;
  }
  const n = Math.max(-70000, Math.min(70000, Math.trunc(y)));
  const r = scale2(x, n);
  if (r - r !== 0 && x - x === 0) f.raise(OE | PE);
  else if (x !== 0 && Math.abs(r) < 2.2250738585072014e-308 && scale2(r, -n) !== x) f.raise(UE | PE);
  f.set(0, r);
}

function frndint(f: Fpu): void {
  const x = f.st(0);
  if (x !== x) { f.set(0, f.nanResult(x, x)); return; }
  const r = roundInt(x, f.rc);
  if (r !== x) {
    if (Math.abs(r) > Math.abs(x)) f.s[FPU_SW] |= C1;
    f.raise(PE);
    f.set(0, r);
  }
}

/** fprem (truncating quotient) and fprem1 (nearest): complete in one step; C0 C3 C1 = Q2 Q1 Q0. */
function fprem(f: Fpu, nearest: boolean): void {
  const x = f.st(0), y = f.st(1);
  // Invalid and NaN cases clear C2 and leave C0 C1 C3 alone (measured).
  if (x !== x || y !== y) { f.set(0, f.nanResult(x, y)); f.s[FPU_SW] &= ~C2; return; }
  if (x - x !== 0 || y === 0) { f.raise(IE); f.set(0, INDEF); f.s[FPU_SW] &= ~C2; return; }
  if (y - y !== 0 || x === 0) { f.setCC(0); return; }
  const ax = Math.abs(x), ay = Math.abs(y);
  let r = ax % ay;
  let q: number;
  const y8 = ay * 8;
  if (y8 - y8 === 0) q = Math.round(((ax % y8) - r) / ay) & 7;
  else { q = 0; for (let t = ax; t >= ay; t -= ay) q++; }
  if (nearest && (r > ay - r || (r === ay - r && q & 1))) { r -= ay; q++; }
  f.set(0, x < 0 ? -r : r);
  f.setCC((q & 4 ? C0 : 0) | (q & 2 ? C3 : 0) | (q & 1 ? C1 : 0));
}

/** fsin, fcos, fptan, fsincos: |x| >= 2^63 sets C2 and leaves ST(0) alone. */
function trig(f: Fpu, kind: number): void {
  const x = f.st(0);
  if (x !== x) {
    const n = f.nanResult(x, x);
    f.set(0, n);
    if (kind >= 2) f.push(n);
    f.setCC(0);
    return;
  }
  if (x - x !== 0) { f.raise(IE); f.set(0, INDEF); if (kind >= 2) f.push(INDEF); f.setCC(0); return; }
  if (Math.abs(x) >= 9223372036854775808) { f.setCC(C2); return; }
  f.setCC(0);
  if (x !== 0 || kind === 1) f.raise(PE);
  const [r, q] = reduce(x);
  const sn = q & 1 ? Math.cos(r) : Math.sin(r), cs = q & 1 ? -Math.sin(r) : Math.cos(r);
  const sin = q & 2 ? -sn : sn, cos = q & 2 ? -cs : cs;
  switch (kind) {
    case 0: f.set(0, sin); break;
    case 1: f.set(0, cos); break;
    case 2: f.set(0, sn / cs); f.push(1); break;
    default: f.set(0, sin); f.push(cos); break;
  }
}

/**
 * x = r + q * pi/2 with the x87's own 66-bit pi (0xC90FDAA22168C234C), reduced exactly,
 * so sin(M_PI) gives the x87's 1.2246063538223773e-16 and not the true-pi value.
 * BigInt costs ~1 us, paid only outside [-pi/4, pi/4].
 */
const PI66 = (0xc90fdaa22168c234n << 2n) | 3n; // pi * 2^64, 66 significant bits
function reduce(x: number): [number, number] {
  if (Math.abs(x) <= 0.7853981633974483) return [x, 0];
  // x = m * 2^e exactly; work at scale 2^-70: X = x * 2^70, H = pi/2 * 2^70 = PI66 * 2^5.
  const [lo, hi, se] = f64ToX80(Math.abs(x));
  const m = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); // 64-bit significand
  const sh = (se & 0x7fff) - 16383 - 63 + 70;
  const X = sh >= 0 ? m << BigInt(sh) : m >> BigInt(-sh);
  const H = PI66 << 5n;
  let k = X / H, rem = X - k * H;
  if (rem * 2n > H) { k += 1n; rem -= H; }
  let r = Number(rem) * 2 ** -70;
  if (x < 0) r = -r;
  const q = Number(k & 3n);
  return [r, x < 0 ? (4 - q) & 3 : q];
}

/** Two-operand transcendental: ST(1) <- g(ST(0), ST(1)), pop. */
function binTrans(f: Fpu, g: (f: Fpu, x: number, y: number) => number): void {
  const x = f.st(0), y = f.st(1);
  const r = x !== x || y !== y ? f.nanResult(x, y) : g(f, x, y);
  f.set(1, r);
  f.pop();
}
/**
 * ST(i) as an exact double-double: from its 80-bit shadow when it has one (fldln2 and
 * fldlg2 load 64-bit constants that libm's log and log10 multiply by), else `v`.
 */
function exactDD(f: Fpu, i: number, v: number): [number, number] {
  const p = f.phys(i);
  if (!f.hasShadow(p)) return [v, 0];
  const [lo, hi, se] = f.ext(p);
  const exp = se & 0x7fff;
  if (exp === 0 || exp === 0x7fff) return [v, 0];
  const sign = se & 0x8000 ? -1 : 1;
  const a = sign * (hi >>> 0) * 2 ** (exp - 16383 - 31), b = sign * (lo >>> 0) * 2 ** (exp - 16383 - 63);
  const s = a + b, bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}
function fyl2x(f: Fpu, x: number, y: number): number {
  if (x < 0) { f.raise(IE); return INDEF; }
  if (x === 0) {
    if (y === 0) { f.raise(IE); return INDEF; }
    if (y - y === 0) f.raise(ZE);
    return y > 0 ? -Infinity : Infinity;
  }
  if (x === 1 && y - y !== 0) { f.raise(IE); return INDEF; }
  // Once-rounded, as the x87's 64-bit result stored as a double (fpu-log.ts).
  const r = x - x === 0 && y - y === 0 ? ylog2(exactDD(f, 1, y), x) : y * Math.log2(x);
  if (r !== r) return f.nanResult(x, y);
  if (r - r !== 0 && y - y === 0 && x - x === 0) f.raise(OE | PE);
  else if (r !== 0 && r - r === 0) f.raise(PE);
  return r;
}
function fyl2xp1(f: Fpu, x: number, y: number): number {
  if (x === 0 && y - y !== 0) { f.raise(IE); return INDEF; }
  const r = Math.abs(x) < 0.3 && y - y === 0 ? ylog2p1(exactDD(f, 1, y), x) : y * (Math.log1p(x) * Math.LOG2E);
  if (r !== r) return f.nanResult(x, y);
  if (r - r !== 0 && y - y === 0 && x - x === 0) f.raise(OE | PE);
  else if (r !== 0) f.raise(PE);
  return r;
}
function fpatan(f: Fpu, x: number, y: number): number {
  const r = Math.atan2(y, x);
  if (r !== 0) f.raise(PE);
  return r;
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
  const lo = los[f.rc] | 0;
  f.pushX(x80ToF64(lo, hi | 0, se), lo, hi | 0, se);
}

// ---- Register-form rows of D9 E0-FF, as a table (null: #UD) ----

const D9_E0: (Body | null)[] = [
  (_c, f) => signOp(f, true),                                     // E0 fchs
  (_c, f) => signOp(f, false),                                    // E1 fabs
  null, null,
  (_c, f) => f.setCC(f.compare(f.st(0), 0, false)),               // E4 ftst
  (_c, f) => fxam(f),                                             // E5 fxam
  null, null,
  ...range(0, 6).map((k): Body => (_c, f) => fldConst(f, k)),     // E8-EE fld1 .. fldz
  null,
  (_c, f) => {                                                    // F0 f2xm1
    const x = f.st(0);
    if (x !== x) { f.set(0, f.nanResult(x, x)); return; }
    // Outside [-1, 1] the result is undefined; the CPU returns x unchanged (measured).
    if (x - x === 0 && (x > 1 || x < -1)) return;
    if (x !== 0 && x - x === 0) f.raise(PE);
    f.set(0, x === 0 ? x : Math.expm1(x * Math.LN2));
  },
  (_c, f) => binTrans(f, fyl2x),                                  // F1 fyl2x
  (_c, f) => trig(f, 2),                                          // F2 fptan
  (_c, f) => binTrans(f, fpatan),                                 // F3 fpatan
  (_c, f) => fxtract(f),                                          // F4 fxtract
  (_c, f) => fprem(f, true),                                      // F5 fprem1
  (_c, f) => { f.s[FPU_TOP] = (f.s[FPU_TOP] - 1) & 7; },          // F6 fdecstp
  (_c, f) => { f.s[FPU_TOP] = (f.s[FPU_TOP] + 1) & 7; },          // F7 fincstp
  (_c, f) => fprem(f, false),                                     // F8 fprem
  (_c, f) => binTrans(f, fyl2xp1),                                // F9 fyl2xp1
  (_c, f) => f.set(0, f.sqrt(f.st(0))),                           // FA fsqrt
  (_c, f) => trig(f, 3),                                          // FB fsincos
  (_c, f) => frndint(f),                                          // FC frndint
  (_c, f) => fscale(f),                                           // FD fscale
  (_c, f) => trig(f, 0),                                          // FE fsin
  (_c, f) => trig(f, 1),                                          // FF fcos
];

// ---- Escape bytes ----

/** D8 / DC: arithmetic with m32fp / m64fp, or between ST(0) and ST(i). */
function escArith(d: Decoder, esc: number, load: (c: Cpu, f: Fpu, a: number) => number, intoSti: boolean, pop: boolean): Op {
  const k = d.reg, i = d.rm;
  if (!d.isReg) return memArith(d, esc, load);
  if (k === 2 || k === 3) {
    const popN = k === 3 ? 1 : 0;
    return data(d, esc, (_c, f) => { f.setCC(compareRegs(f, i, false)); if (popN || pop) f.pop(); });
  }
  if (!intoSti) return data(d, esc, (_c, f) => { const x = f.st(0), y = f.st(i); f.set(0, arithK(f, k, x, y)); });
  return data(d, esc, (_c, f) => {
    const x = f.st(0), y = f.st(i);
    f.set(i, arithK(f, k, x, y));
    if (pop) f.pop();
  });
}

def('x87 d8', (d) => { d.modrm(); return escArith(d, 0xd8, rawF32, false, false); });
def('x87 dc', (d) => { d.modrm(); return escArith(d, 0xdc, rawF64, true, false); });
def('x87 da', (d) => {
  d.modrm();
  if (!d.isReg) return memArith(d, 0xda, (c, _f, a) => ldI32(c, a));
  const i = d.rm;
  if (d.reg < 4) return fcmov(d, 0xda, [0x2, 0x4, 0x6, 0xa][d.reg], i);
  if (d.reg === 5 && i === 1) return data(d, 0xda, (_c, f) => { f.setCC(compareRegs(f, 1, true)); f.pop(); f.pop(); }); // fucompp
  return ud(d);
});
def('x87 de', (d) => {
  d.modrm();
  if (!d.isReg) return memArith(d, 0xde, (c, _f, a) => ldI16(c, a));
  if (d.reg === 3) {
    if (d.rm !== 1) return ud(d);
    return data(d, 0xde, (_c, f) => { f.setCC(compareRegs(f, 1, false)); f.pop(); f.pop(); }); // fcompp
  }
  return escArith(d, 0xde, rawF64, true, true);
});

function fcmov(d: Decoder, esc: number, cc: number, i: number): Op {
  return data(d, esc, (c, f) => {
    if (!cond(c, cc)) return;
    const q = f.phys(i);
    if (f.isEmpty(q)) { f.set(0, f.underflow()); return; }
    f.copyPhys(f.phys(0), q);
  });
}

def('x87 d9', (d) => {
  d.modrm();
  const i = d.rm;
  if (d.isReg) {
    switch (d.reg) {
      case 0: return data(d, 0xd9, (_c, f) => f.pushCopy(f.phys(i)));   // fld st(i)
      case 1: return data(d, 0xd9, (_c, f) => fxch(f, i));              // fxch
      case 2: return i === 0 ? data(d, 0xd9, () => {}) : ud(d);         // fnop
      case 3: return data(d, 0xd9, (_c, f) => { copyTo(f, i); f.pop(); }); // fstp1 (undocumented alias)
      default: {
        const body = D9_E0[(d.reg - 4) * 8 + i];
        return body ? data(d, 0xd9, body) : ud(d);
      }
    }
  }
  switch (d.reg) {
    case 0: return dataM(d, 0xd9, (c, f, a) => fldF(c, f, a, rawF32));
    case 2: case 3: {
      const pop = d.reg === 3;
      return dataM(d, 0xd9, (c, f, a) => {
        const bits = f64ToF32(f, f.st(0));
        c.mem.write32(a, bits);
        if (pop) f.pop();
      });
    }
    case 4: return ctrlM(d, (c, _f, a) => {                            // fldenv
      const w: number[] = [];
      for (let j = 0; j < 7; j++) w.push(c.mem.read32((a + j * 4) >>> 0));
      loadEnvWords(c, w);
    });
    case 5: return ctrlM(d, (c, f, a) => { c.s[FPU_CW] = (c.mem.read16(a) & 0x1f3f) | 0x40; f.syncPending(); }); // fldcw
    case 6: return ctrlM(d, (c, f, a) => {                             // fnstenv
      const w = envWords(c);
      c.mem.writeSlow(a, 28);
      for (let j = 0; j < 7; j++) c.mem.write32((a + j * 4) >>> 0, w[j]);
      // fnstenv masks all exceptions afterwards (SDM FSTENV).
      c.s[FPU_CW] |= 0x3f;
      f.syncPending();
    });
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
    case 0: return dataM(d, 0xdb, (c, f, a) => f.push(ldI32(c, a)));
    case 2: return dataM(d, 0xdb, (c, f, a) => stInt(c, f, a, 32));
    case 3: return dataM(d, 0xdb, (c, f, a) => { stInt(c, f, a, 32); f.pop(); });
    case 5: return dataM(d, 0xdb, ldX80);
    case 7: return dataM(d, 0xdb, (c, f, a) => {
      const p = f.phys(0);
      if (f.isEmpty(p)) { f.underflow(); f.set(0, INDEF); }
      stX80(c, f, a, p);
      f.pop();
    });
    default: return ud(d); // 1: fisttp needs SSE3, which CPUID does not advertise
  }
});

def('x87 dd', (d) => {
  d.modrm();
  const i = d.rm;
  if (d.isReg) {
    switch (d.reg) {
      case 0: return data(d, 0xdd, (c) => { c.s[FPU_TAG] |= 3 << (c.fpu.phys(i) * 2); }); // ffree
      case 1: return data(d, 0xdd, (_c, f) => fxch(f, i));                              // fxch4 alias
      case 2: return data(d, 0xdd, (_c, f) => copyTo(f, i));                            // fst st(i)
      case 3: return data(d, 0xdd, (_c, f) => { copyTo(f, i); f.pop(); });             // fstp st(i)
      case 4: return data(d, 0xdd, (_c, f) => f.setCC(compareRegs(f, i, true)));       // fucom
      case 5: return data(d, 0xdd, (_c, f) => { f.setCC(compareRegs(f, i, true)); f.pop(); }); // fucomp
      default: return ud(d);
    }
  }
  switch (d.reg) {
    case 0: return dataM(d, 0xdd, (c, f, a) => fldF(c, f, a, rawF64));
    case 2: case 3: {
      const pop = d.reg === 3;
      return dataM(d, 0xdd, (c, f, a) => {
        const p = f.phys(0);
        stF64(c, f, a, f.isEmpty(p) ? f.underflow() : f.toDouble(p));
        if (pop) f.pop();
      });
    }
    case 4: return ctrlM(d, (c, _f, a) => frstor(c, a));
    case 6: return ctrlM(d, (c, f, a) => { fsave(c, a); f.reset(); });
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
      case 1: return data(d, 0xdf, (_c, f) => fxch(f, i));                                       // fxch7 alias
      case 2: case 3: return data(d, 0xdf, (_c, f) => { copyTo(f, i); f.pop(); });               // fstp8/9 aliases
      case 4: return i === 0 ? (c) => { c.w16[EAX * 2] = c.fpu.sw; } : ud(d);                    // fnstsw ax
      case 5: return data(d, 0xdf, (c, f) => { ccToEflags(c, compareRegs(f, i, true)); f.pop(); });  // fucomip
      case 6: return data(d, 0xdf, (c, f) => { ccToEflags(c, compareRegs(f, i, false)); f.pop(); }); // fcomip
      default: return ud(d);
    }
  }
  switch (d.reg) {
    case 0: return dataM(d, 0xdf, (c, f, a) => f.push(ldI16(c, a)));
    case 2: return dataM(d, 0xdf, (c, f, a) => stInt(c, f, a, 16));
    case 3: return dataM(d, 0xdf, (c, f, a) => { stInt(c, f, a, 16); f.pop(); });
    case 4: return dataM(d, 0xdf, ldBCD);
    case 5: return dataM(d, 0xdf, ldI64);
    case 6: return dataM(d, 0xdf, stBCD);
    case 7: return dataM(d, 0xdf, (c, f, a) => { stI64(c, f, a); f.pop(); });
    default: return ud(d); // 1: fisttp (SSE3)
  }
});

// 9B fwait: delivers a pending unmasked exception.
def('fwait', (d) => {
  const ip = d.start >>> 0;
  return (c) => { if (c.s[FPU_SW] & ES) mathFault(c, ip); };
});
