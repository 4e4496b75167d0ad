/**
 * The FPU/SSE state in i386 signal frames, as a 64-bit Linux kernel writes it for a CPU
 * with FXSR and without XSAVE (arch/x86/kernel/fpu/signal.c, struct _fpstate_32 in
 * uapi/asm/sigcontext.h): a 112-byte fnsave-format header (the x87 environment and
 * registers, `status` = the status word, `magic` = X86_FXSR_MAGIC 0x0000: FXSR data
 * follows) and the 512-byte FXSAVE image (MXCSR and XMM0-7 included) at the next
 * offset, which Linux aligns to 64 bytes. Without XSAVE the kernel leaves the
 * software-reserved bytes 464-511 zero (fx_sw_reserved is only set up with XSAVE).
 *
 * On sigreturn Linux loads the FXSAVE image (MXCSR's reserved bits cleared, not
 * faulted) and then the x87 state from the fnsave header (convert_to_fxsr), so a
 * handler that edits either `_st` in the header or `_xmm` in the image is obeyed.
 */
import type { Cpu } from '../cpu/cpu.js';
import { fsaveTo, frstorFrom } from '../cpu/fpu.js';
import { fxrstorFrom, fxsaveTo } from '../cpu/ops/sse-state.js';

/** fnsave header (108) + status + magic, then the FXSAVE image. */
export const FP_HEADER_SIZE = 112;
export const FP_AREA_SIZE = FP_HEADER_SIZE + 512;
/** _fpstate_32.magic: X86_FXSR_MAGIC (FXSR data present); 0xffff would mean fnsave only. */
export const X86_FXSR_MAGIC = 0x0000;

/** Where the fpstate goes below stack pointer sp: its FXSAVE part 64-byte aligned (fpu__alloc_mathframe). */
export function fpStateAddr(sp: number): number {
  return ((((sp - 512) & ~63) >>> 0) - FP_HEADER_SIZE) >>> 0;
}

export function fpuSaveArea(c: Cpu, out: Uint8Array, off: number): void {
  fsaveTo(c, out, off);
  const dv = new DataView(out.buffer, out.byteOffset);
  dv.setUint16(off + 108, c.fpu.sw, true);
  dv.setUint16(off + 110, X86_FXSR_MAGIC, true);
  fxsaveTo(c, out, off + FP_HEADER_SIZE);
  out.fill(0, off + FP_HEADER_SIZE + 464, off + FP_AREA_SIZE);
}
export function fpuRestoreArea(c: Cpu, area: Uint8Array, off: number): void {
  fxrstorFrom(c, area, off + FP_HEADER_SIZE, false);
  frstorFrom(c, area, off);
}
