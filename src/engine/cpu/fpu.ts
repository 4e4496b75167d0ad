/**
 * x87 register file. Lives in the thread's state slot after the integer registers:
 * 8 physical registers as float64 (see docs/ARCHITECTURE.md for the precision choice),
 * then control word, status word, TOP, tag word and the last-instruction pointers.
 */
import type { Cpu } from './cpu.js';
import { FPU_OFFSET } from './state.js';

/** Word offsets (relative to the Int32Array of the whole slot) of the FPU control fields. */
export const FPU_REGS_BYTE = FPU_OFFSET;          // 8 x f64
export const FPU_CW = (FPU_OFFSET + 64) / 4;
export const FPU_SW = FPU_CW + 1;                  // status word without TOP
export const FPU_TOP = FPU_CW + 2;
export const FPU_TAG = FPU_CW + 3;                 // 2 bits per physical register: 0 valid, 1 zero, 2 special, 3 empty
export const FPU_FIP = FPU_CW + 4;
export const FPU_FCS = FPU_CW + 5;
export const FPU_FOO = FPU_CW + 6;
export const FPU_FOS = FPU_CW + 7;
export const FPU_FOP = FPU_CW + 8;
/** Bytes used by the FPU area (the slot has room for extended state later). */
export const FPU_BYTES = 64 + 9 * 4;

export class Fpu {
  /** Physical registers R0..R7; ST(i) is R[(top + i) & 7]. */
  readonly regs: Float64Array;
  readonly s: Int32Array;

  constructor(c: Cpu) {
    this.regs = new Float64Array(c.s.buffer, c.s.byteOffset + FPU_REGS_BYTE, 8);
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
    this.regs.fill(0);
  }
}
