/**
 * x87 register file, status/control words, and the save/restore images the instruction
 * handlers (fpu-ops.ts) and the signal code (linux/fpstate.ts) share.
 *
 * ## Representation: exact 80-bit registers
 *
 * Each physical register is three words of the state slot: significand lo, significand hi
 * (bit 31 = the explicit integer bit), sign<<15 | exponent: the bit pattern fnsave stores.
 * Arithmetic is soft-float on those words (float80.ts), so results equal the CPU's under
 * every precision and rounding control, with the CPU's flags. Two scratch slots follow
 * the eight registers: 8 holds the indefinite that a stack underflow reads, 9 a memory
 * operand converted to 80 bits.
 */
import type { Cpu } from './cpu.js';
import { FPU_OFFSET } from './state.js';
import * as F from './float80.js';

/** Word index of physical register p's first word is FPU_R + 3 * p. */
export const FPU_R = FPU_OFFSET / 4;
/** Scratch slots: the underflow indefinite and the converted memory operand. */
export const P_INDEF = 8, P_MEM = 9;
export const FPU_CW = FPU_R + 30;
export const FPU_SW = FPU_CW + 1;                  // status word without TOP
export const FPU_TOP = FPU_CW + 2;
export const FPU_TAG = FPU_CW + 3;                 // 2 bits per physical register: 0 valid (others recomputed), 3 empty
export const FPU_FIP = FPU_CW + 4;
export const FPU_FCS = FPU_CW + 5;
export const FPU_FOO = FPU_CW + 6;
export const FPU_FOS = FPU_CW + 7;
export const FPU_FOP = FPU_CW + 8;
/** Bytes used by the FPU area, counted from FPU_OFFSET. */
export const FPU_BYTES = (FPU_FOP + 1) * 4 - FPU_OFFSET;

// Status word bits.
export const IE = 0x1, DE = 0x2, ZE = 0x4, OE = 0x8, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80;
export const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, BUSY = 0x8000;
export const CC_MASK = C0 | C1 | C2 | C3;

/** Thrown by an op whose unmasked IE/ZE/DE leaves its destination unchanged; caught by the op wrapper. */
export const ABORT = { abort: true };

export class Fpu {
  /** The CPU's state (rebuilt with it when the memory grows: Cpu.bind). */
  s: Int32Array;

  constructor(c: Cpu) {
    this.s = c.s;
  }

  /** FNINIT state: all registers empty, CW 0x37F (all exceptions masked, 64-bit precision, nearest). */
  reset(): void {
    const s = this.s;
    s[FPU_CW] = 0x37f;
    s[FPU_SW] = 0;
    s[FPU_TOP] = 0;
    s[FPU_TAG] = 0xffff;
    s[FPU_FIP] = s[FPU_FCS] = s[FPU_FOO] = s[FPU_FOS] = s[FPU_FOP] = 0;
    // Register contents survive fninit (fnsave shows them); only the tags say empty.
  }

  // ---- Status and exceptions ----

  /** The architectural status word, TOP included. */
  get sw(): number { const s = this.s; return ((s[FPU_SW] & ~0x3800) | (s[FPU_TOP] << 11)) & 0xffff; }
  set sw(v: number) {
    const s = this.s;
    s[FPU_TOP] = (v >> 11) & 7;
    s[FPU_SW] = v & ~0x3800 & 0xffff;
  }
  get rc(): number { return (this.s[FPU_CW] >> 10) & 3; }
  get cw(): number { return this.s[FPU_CW]; }

  /** Recompute ES/B after the control word or status word changed wholesale (fldcw, fldenv). */
  syncPending(): void {
    const s = this.s;
    const un = s[FPU_SW] & ~s[FPU_CW] & 0x3f;
    s[FPU_SW] = un ? s[FPU_SW] | ES | BUSY : s[FPU_SW] & ~(ES | BUSY);
  }

  /**
   * Record exception flags (and C1 "rounded up"). An unmasked one makes the next waiting
   * FPU instruction fault (#MF, SIGFPE); unmasked IE/DE/ZE also cancel the current op's
   * result (throw ABORT).
   */
  raise(flags: number): void {
    const s = this.s;
    s[FPU_SW] |= flags;
    const un = flags & ~s[FPU_CW] & 0x3f;
    if (un) {
      s[FPU_SW] |= ES | BUSY;
      if (un & (IE | DE | ZE)) throw ABORT;
    }
  }
  setCC(cc: number): void { const s = this.s; s[FPU_SW] = (s[FPU_SW] & ~CC_MASK) | cc; }

  // ---- Stack ----

  phys(i: number): number { return (this.s[FPU_TOP] + i) & 7; }
  isEmpty(p: number): boolean { return ((this.s[FPU_TAG] >> (p * 2)) & 3) === 3; }
  lo(p: number): number { return this.s[FPU_R + p * 3]; }
  hi(p: number): number { return this.s[FPU_R + p * 3 + 1]; }
  se(p: number): number { return this.s[FPU_R + p * 3 + 2]; }

  /** Physical register of ST(i) for reading; an empty one is a stack underflow (then the indefinite, slot 8). */
  sti(i: number): number {
    const p = (this.s[FPU_TOP] + i) & 7;
    if (((this.s[FPU_TAG] >> (p * 2)) & 3) === 3) return this.underflow();
    return p;
  }
  /** Stack underflow: IE|SF with C1 = 0; returns the slot holding the indefinite. */
  underflow(): number {
    this.s[FPU_SW] &= ~C1;
    this.raise(IE | SF);
    this.write(P_INDEF, 0, 0xc0000000 | 0, 0xffff);
    return P_INDEF;
  }
  write(p: number, lo: number, hi: number, se: number): void {
    const s = this.s, b = FPU_R + p * 3;
    s[b] = lo; s[b + 1] = hi; s[b + 2] = se & 0xffff;
  }
  /** Write ST(i) and mark it valid. */
  set(i: number, lo: number, hi: number, se: number): void {
    const s = this.s;
    const p = (s[FPU_TOP] + i) & 7;
    this.write(p, lo, hi, se);
    s[FPU_TAG] &= ~(3 << (p * 2));
  }
  setIndef(i: number): void { this.set(i, 0, 0xc0000000 | 0, 0xffff); }
  /** Record an op's flags (may abort) and write its result (float80's X) to ST(i). */
  result(i: number, flags: number): void {
    if (flags) this.raise(flags);
    const X = F.X;
    this.set(i, X[0], X[1], X[2]);
  }
  /** Check that a push has room; on overflow the masked response pushes the indefinite. */
  private pushSlot(): number {
    const s = this.s;
    const p = (s[FPU_TOP] - 1) & 7;
    if (((s[FPU_TAG] >> (p * 2)) & 3) !== 3) {
      s[FPU_SW] |= C1;
      this.raise(IE | SF);
      s[FPU_TOP] = p;
      this.setIndef(0);
      return -1;
    }
    return p;
  }
  push(lo: number, hi: number, se: number): void {
    const p = this.pushSlot();
    if (p < 0) return;
    this.s[FPU_TOP] = p;
    this.set(0, lo, hi, se);
  }
  /** Push float80's X after recording flags. */
  pushResult(flags: number): void {
    if (flags) this.raise(flags);
    const X = F.X;
    this.push(X[0], X[1], X[2]);
  }
  /** Push a copy of physical register q. */
  pushCopy(q: number): void {
    if (this.isEmpty(q)) q = this.underflow();
    this.push(this.lo(q), this.hi(q), this.se(q));
  }
  pop(): void {
    const s = this.s;
    const p = s[FPU_TOP];
    s[FPU_TAG] |= 3 << (p * 2);
    s[FPU_TOP] = (p + 1) & 7;
  }
  /** Copy physical register q to p; p becomes valid. */
  copyPhys(p: number, q: number): void {
    this.write(p, this.lo(q), this.hi(q), this.se(q));
    this.s[FPU_TAG] &= ~(3 << (p * 2));
  }

  /** The tag word as fnstenv reports it: classify each non-empty register. */
  tagWord(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) {
      let tag = 3;
      if (!this.isEmpty(p)) {
        const k = F.classify(this.lo(p), this.hi(p), this.se(p));
        tag = k === F.NORMAL ? 0 : k === F.ZERO ? 1 : 2;
      }
      t |= tag << (p * 2);
    }
    return t;
  }
}

/** Packed BCD (10 bytes) -> BigInt. Invalid digits give undefined results on hardware; decode anyway. */
export function bcdToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 8; i >= 0; i--) v = v * 100n + BigInt((b[i] >> 4) * 10 + (b[i] & 15));
  return b[9] & 0x80 ? -v : v;
}
export function bigIntToBcd(v: bigint, out: Uint8Array): void {
  out[9] = v < 0n ? 0x80 : 0;
  let m = v < 0n ? -v : v;
  for (let i = 0; i < 9; i++) {
    const d = Number(m % 100n);
    m /= 100n;
    out[i] = ((Math.floor(d / 10)) << 4) | (d % 10);
  }
}
// ---- Environment and full-state images (32-bit protected-mode format) ----

/** fnstenv image: 7 dwords. Reserved halves read as 0xffff, as measured natively. */
export function envWords(c: Cpu): number[] {
  const s = c.s, f = c.fpu;
  const fip = s[FPU_FIP], foo = s[FPU_FOO];
  // Selectors are not tracked per instruction: user code has CS 0x23 and DS 0x2b.
  const fcs = fip !== 0 || s[FPU_FOP] !== 0 ? 0x23 : 0;
  const fos = foo !== 0 ? 0x2b : 0;
  return [
    0xffff0000 | s[FPU_CW], 0xffff0000 | f.sw, 0xffff0000 | f.tagWord(),
    fip, fcs | ((s[FPU_FOP] & 0x7ff) << 16), foo, 0xffff0000 | fos,
  ].map((x) => x | 0);
}
export function loadEnvWords(c: Cpu, w: ArrayLike<number>): void {
  const s = c.s, f = c.fpu;
  s[FPU_CW] = (w[0] & 0x1f3f) | 0x40;
  f.sw = w[1] & 0xffff;
  // Only "empty" matters for the register file; other tags are recomputed on save.
  let tag = 0;
  for (let p = 0; p < 8; p++) if (((w[2] >> (p * 2)) & 3) === 3) tag |= 3 << (p * 2);
  s[FPU_TAG] = tag;
  s[FPU_FIP] = w[3];
  s[FPU_FOP] = (w[4] >>> 16) & 0x7ff;
  s[FPU_FOO] = w[5];
  f.syncPending();
}

/** The 108-byte fnsave image into out[off..]. Registers in ST order, as 80-bit values. */
export function fsaveTo(c: Cpu, out: Uint8Array, off: number): void {
  const dv = new DataView(out.buffer, out.byteOffset);
  const env = envWords(c);
  for (let i = 0; i < 7; i++) dv.setInt32(off + i * 4, env[i], true);
  const f = c.fpu;
  for (let i = 0; i < 8; i++) {
    const p = f.phys(i);
    const lo = f.lo(p), hi = f.hi(p), se = f.se(p);
    const o = off + 28 + i * 10;
    dv.setInt32(o, lo, true); dv.setInt32(o + 4, hi, true); dv.setUint16(o + 8, se, true);
  }
}
export function frstorFrom(c: Cpu, area: Uint8Array, off: number): void {
  const dv = new DataView(area.buffer, area.byteOffset);
  const w: number[] = [];
  for (let i = 0; i < 7; i++) w.push(dv.getInt32(off + i * 4, true));
  loadEnvWords(c, w);
  const f = c.fpu;
  for (let i = 0; i < 8; i++) {
    const o = off + 28 + i * 10;
    const lo = dv.getInt32(o, true), hi = dv.getInt32(o + 4, true), se = dv.getUint16(o + 8, true);
    f.write(f.phys(i), lo, hi, se);
  }
}

/** fnsave to guest memory at addr (no re-initialisation; the caller does fninit). Throws PageFault. */
export function fsave(c: Cpu, addr: number): void {
  const buf = new Uint8Array(108);
  fsaveTo(c, buf, 0);
  c.mem.writeSlow(addr >>> 0, 108);
  for (let i = 0; i < 108; i++) c.mem.write8((addr + i) >>> 0, buf[i]);
}
/** frstor from guest memory at addr. Throws PageFault. */
export function frstor(c: Cpu, addr: number): void {
  const buf = new Uint8Array(108);
  for (let i = 0; i < 108; i++) buf[i] = c.mem.read8((addr + i) >>> 0);
  frstorFrom(c, buf, 0);
}

// ---- MMX aliasing (shared with the x87 work) ----
// MMi is the 64-bit significand of physical register Ri (SDM Vol. 1, 9.5 "Compatibility
// with x87 FPU architecture"). Every MMX instruction but EMMS sets TOP to 0 and all tags
// to valid (00); a write stores the value as the significand with sign/exponent 0xFFFF.

/** MMX entry: TOP = 0, all registers valid. */
function mmxEnter(c: Cpu): void {
  c.s[FPU_TOP] = 0;
  c.s[FPU_TAG] = 0;
}
/** Read MMi into out[0] (low dword) and out[1] (high dword). */
export function mmxGet(c: Cpu, i: number, out: Int32Array): void {
  mmxEnter(c);
  const b = FPU_R + i * 3;
  out[0] = c.s[b]; out[1] = c.s[b + 1];
}
/** Write MMi (exponent field 0xFFFF, sign set, as the CPU stores it). */
export function mmxSet(c: Cpu, i: number, lo: number, hi: number): void {
  mmxEnter(c);
  const s = c.s, b = FPU_R + i * 3;
  s[b] = lo; s[b + 1] = hi; s[b + 2] = 0xffff;
}
/** EMMS: all tags empty and TOP 0 (SDM Vol. 1 Table 9-2; TOP measured on the host CPU by test/cpu/sse/int.c). */
export function emms(c: Cpu): void {
  c.s[FPU_TAG] = 0xffff;
  c.s[FPU_TOP] = 0;
}
