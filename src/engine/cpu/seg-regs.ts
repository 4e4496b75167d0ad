/**
 * The segment registers at CPL 3: loading them with the checks the CPU makes (Intel SDM
 * Vol. 2, MOV/POP/LDS "Protected Mode Exceptions"; JMP/CALL/RET/IRET for CS), the
 * interpreter mode they imply (Cpu.mode), and the limit checks of a segmented access.
 *
 * Faults become what Linux makes of them (arch/x86/kernel/traps.c): #GP (13) SIGSEGV,
 * #NP (11) and #SS (12) SIGBUS, all SI_KERNEL with si_addr 0; the error code is the
 * selector with its RPL bits cleared, or 0.
 */
import { CpuException, EXIT_MODE, MODE_CODE16, MODE_SEG, type Cpu } from './cpu.js';
import { CS, DS, ES, FS, GS, SEGBASE, SS } from './state.js';
import {
  D_CE, D_CODE, D_DB, D_L, D_P, D_RW, D_S, USER32_CS, USER_DS, descBase, descDpl, descLimit,
} from './segments.js';
import { SIGBUS, SIGSEGV, SI_KERNEL } from '../abi/signals.js';

export const TRAP_NP = 11, TRAP_SS = 12, TRAP_GP = 13;

export const gpFault = (err: number, why = ''): CpuException => new CpuException(SIGSEGV, SI_KERNEL, 0, TRAP_GP, err & 0xfffc, why);
const npFault = (sel: number) => new CpuException(SIGBUS, SI_KERNEL, 0, TRAP_NP, sel & 0xfffc);
const ssFault = (err: number) => new CpuException(SIGBUS, SI_KERNEL, 0, TRAP_SS, err & 0xfffc);

/** The flat descriptors' high words (USER32_CS, USER_DS). */
const FLAT_CODE = 0x00cffb00, FLAT_DATA = 0x00cff300;

function setCache(c: Cpu, seg: number, sel: number, base: number, limit: number, attr: number): void {
  c.setSelector(seg, sel);
  c.s[SEGBASE + seg] = base;
  c.segLimit[seg] = limit;
  c.segAttr[seg] = attr;
}

/** CS, DS, ES and SS as execve and signal delivery set them (__USER32_CS, __USER_DS). */
export function loadFlatUser(c: Cpu): void {
  setCache(c, CS, USER32_CS, 0, 0xffffffff, FLAT_CODE);
  for (const seg of [DS, ES, SS]) setCache(c, seg, USER_DS, 0, 0xffffffff, FLAT_DATA);
  updateMode(c);
}

/** A 4 GiB expand-up writable data segment (or FS/GS unused). */
function flatData(c: Cpu, seg: number): boolean {
  const a = c.segAttr[seg];
  return (a & (D_CODE | D_RW | D_CE)) === D_RW && c.segLimit[seg] === 0xffffffff;
}

/**
 * Cpu.mode from the segment caches. FS and GS are flat when 4 GiB writable data at any
 * base (the fast path adds their bases) or null (the fast path does not fault on a null
 * FS/GS: see docs/ISA.md).
 */
export function computeMode(c: Cpu): number {
  let m = c.segAttr[CS] & D_DB ? 0 : MODE_CODE16;
  if (c.s[SEGBASE + CS] !== 0 || c.segLimit[CS] !== 0xffffffff) m |= MODE_SEG;
  for (const seg of [DS, ES, SS]) if (c.s[SEGBASE + seg] !== 0 || !flatData(c, seg)) m |= MODE_SEG;
  if (!(c.segAttr[SS] & D_DB)) m |= MODE_SEG;
  for (const seg of [FS, GS]) if (c.segAttr[seg] !== 0 && !flatData(c, seg)) m |= MODE_SEG;
  return m;
}
export function updateMode(c: Cpu): void {
  const m = computeMode(c);
  if (m !== c.mode) { c.mode = m; c.exit = EXIT_MODE; }
}

/**
 * mov/pop/lds... to DS, ES, FS, GS or SS. Returns normally with the register loaded, or
 * throws the fault; nothing changes on a fault.
 */
export function loadSeg(c: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (seg === CS) throw new Error('loadSeg: CS is loaded by far transfers');
  if ((sel & ~3) === 0) {
    // The null selector: allowed except in SS; using the register then faults.
    if (seg === SS) throw gpFault(0);
    setCache(c, seg, sel, 0, 0, 0);
    updateMode(c);
    return;
  }
  const d = c.desc.lookup(sel);
  if (d === null) throw gpFault(sel);
  const [lo, hi] = d;
  const rpl = sel & 3, dpl = descDpl(hi);
  if (!(hi & D_S)) throw gpFault(sel);
  if (seg === SS) {
    if (rpl !== 3 || dpl !== 3 || hi & D_CODE || !(hi & D_RW)) throw gpFault(sel);
    if (!(hi & D_P)) throw ssFault(sel);
    // A stack segment with a base, a limit, expand-down or B = 0 (a 16-bit SP) makes the mode
    // segmented, where the stack instructions go through SS (cpu/ops/stack.ts).
  } else {
    if (hi & D_CODE && !(hi & D_RW)) throw gpFault(sel); // execute-only code
    const conforming = (hi & (D_CODE | D_CE)) === (D_CODE | D_CE);
    if (!conforming && (rpl > dpl || dpl < 3)) throw gpFault(sel);
    if (!(hi & D_P)) throw npFault(sel);
  }
  setCache(c, seg, sel, descBase(lo, hi), descLimit(lo, hi), hi);
  updateMode(c);
}

/** Reload a data segment register from the tables after they changed; null if it no longer loads (loadsegment's fixup). */
export function refreshSeg(c: Cpu, seg: number): void {
  try { loadSeg(c, seg, c.selector(seg)); } catch { loadSeg(c, seg, 0); }
}

/**
 * Load CS for a far jmp/call/ret/iret to `sel`:`off` at CPL 3 (same privilege only: user
 * code has no gates to go through, and a return to an outer level cannot exist at CPL 3).
 * `ret` applies the return checks (RPL must be 3). Checks only; call commit() after the
 * stack has been updated. A 64-bit code segment (0x33) runs 64-bit code natively; the
 * engine does not, and says so with a SIGSEGV.
 */
export function checkCode(c: Cpu, sel: number, off: number, ret: boolean): [number, number] {
  sel &= 0xffff;
  if ((sel & ~3) === 0) throw gpFault(0);
  const d = c.desc.lookup(sel);
  if (d === null) throw gpFault(sel);
  const hi = d[1];
  if ((hi & (D_S | D_CODE)) !== (D_S | D_CODE)) throw gpFault(sel);
  const rpl = sel & 3, dpl = descDpl(hi);
  if (hi & D_CE) { if (dpl > 3 || (ret && rpl < 3)) throw gpFault(sel); } // conforming
  else if (ret ? rpl !== 3 || dpl !== rpl : dpl !== 3) throw gpFault(sel);
  if (!(hi & D_P)) throw npFault(sel);
  if (hi & D_L) throw gpFault(sel, `far transfer to 64-bit code segment 0x${sel.toString(16)}: the engine runs 32-bit and 16-bit code only`);
  if ((off >>> 0) > descLimit(d[0], hi)) throw gpFault(0);
  return d;
}
export function commitCode(c: Cpu, sel: number, d: [number, number], off: number): void {
  setCache(c, CS, (sel & 0xfffc) | 3, descBase(d[0], d[1]), descLimit(d[0], d[1]), d[1]);
  c.s[8] = off; // EIP
  updateMode(c);
  // The block ends with the transfer; leave the run loop so the new mode's loop takes over.
  c.exit = EXIT_MODE;
}

/**
 * A segmented access's linear address: `size` bytes at offset `off` in segment `seg`,
 * checked against the limit (expand-up: off + size - 1 <= limit; expand-down: limit < off
 * and off + size - 1 <= 0xffff or 0xffffffff by B), usability, and for a write the
 * segment's write permission (code segments are never writable; execute-only code is not
 * readable either). #SS(0) for the stack segment, #GP(0) otherwise.
 */
export function segAddr(c: Cpu, seg: number, off: number, size: number, write: boolean): number {
  const a = c.segAttr[seg];
  off >>>= 0;
  let bad = a === 0 || (write ? (a & (D_CODE | D_RW)) !== D_RW : (a & (D_CODE | D_RW)) === D_CODE);
  if (!bad) {
    const lim = c.segLimit[seg], last = off + size - 1;
    if ((a & (D_CODE | D_CE)) === D_CE) bad = off <= lim || last > (a & D_DB ? 0xffffffff : 0xffff);
    else bad = last > lim;
  }
  if (bad) throw seg === SS ? ssFault(0) : gpFault(0);
  return (c.s[SEGBASE + seg] + off) >>> 0;
}
