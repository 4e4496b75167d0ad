/** Ops that raise the exceptions Linux turns into signals. */
import { CpuException, type Op } from '../cpu.js';
import type { Decoder } from '../decoder.js';

export const SIGILL = 4, SIGTRAP = 5, SIGFPE = 8, SIGSEGV = 11, SIGBUS = 7;
export const ILL_ILLOPN = 2, SI_KERNEL = 0x80;

/** Invalid opcode (#UD): SIGILL with si_addr at the instruction. */
export function ud(d: Decoder): Op {
  const at = d.start >>> 0;
  d.invalid = true;
  return () => { throw new CpuException(SIGILL, ILL_ILLOPN, at, 6); };
}
/** General protection (#GP) from a privileged instruction: SIGSEGV, SI_KERNEL, as Linux does. */
export function gp(_d: Decoder): Op {
  return () => { throw new CpuException(SIGSEGV, SI_KERNEL, 0, 13); };
}
