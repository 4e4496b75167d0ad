/**
 * The FPU state in signal frames: a 108-byte fnsave image followed by status and magic
 * (0xffff: no FXSR state), as struct _fpstate_32 begins. The fnsave image is produced
 * by the x87 module's fsave/frstor.
 */
import type { Cpu } from '../cpu/cpu.js';
import * as fpu from '../cpu/fpu.js';

export const FP_AREA_SIZE = 112;

type Saver = (c: Cpu, out: Uint8Array, off: number) => void;
const mod = fpu as unknown as { fsaveTo?: Saver; frstorFrom?: Saver };

export function fpuSaveArea(c: Cpu, out: Uint8Array, off: number): void {
  if (mod.fsaveTo) mod.fsaveTo(c, out, off);
  new DataView(out.buffer, out.byteOffset).setUint16(off + 110, 0xffff, true);
}
export function fpuRestoreArea(c: Cpu, area: Uint8Array, off: number): void {
  if (mod.frstorFrom) mod.frstorFrom(c, area, off);
}
