/**
 * The FPU state in signal frames: a 108-byte fnsave image followed by status and magic
 * (0xffff: no FXSR state), as struct _fpstate_32 begins.
 */
import type { Cpu } from '../cpu/cpu.js';
import { fsaveTo, frstorFrom } from '../cpu/fpu.js';

export const FP_AREA_SIZE = 112;

export function fpuSaveArea(c: Cpu, out: Uint8Array, off: number): void {
  fsaveTo(c, out, off);
  new DataView(out.buffer, out.byteOffset).setUint16(off + 110, 0xffff, true);
}
export function fpuRestoreArea(c: Cpu, area: Uint8Array, off: number): void {
  frstorFrom(c, area, off);
}
