/** Ops that raise the exceptions Linux turns into signals. */
import { CpuException, type Op } from '../cpu.js';
import type { Decoder } from '../decoder.js';

export { SIGILL, SIGTRAP, SIGFPE, SIGSEGV, SIGBUS, ILL_ILLOPN, SI_KERNEL } from '../../abi/signals.js';
import { SIGILL, SIGTRAP, SIGFPE, SIGSEGV, SIGBUS, ILL_ILLOPN, SI_KERNEL } from '../../abi/signals.js';

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
