/**
 * The implicit stack accesses (push, pop, call, ret, enter, leave, far transfers). In flat
 * mode SS is the 4 GiB segment at base 0 and ESP is the address. In segmented mode (an
 * LDT stack segment loaded into SS) the address is SS's base plus the stack pointer, checked
 * against SS's limit (#SS(0), SIGBUS) like any stack-segment access, and with SS.B = 0 the
 * stack pointer is SP: it wraps at 64 KiB and ESP's upper half is left alone (SDM Vol. 1
 * 6.2.3 "Address-Size Attributes for Stack Accesses"; Vol. 2 PUSH/POP/LEAVE operation).
 */
import { MODE_SEG, type Cpu } from '../cpu.js';
import { ESP, SS } from '../state.js';
import { D_DB } from '../segments.js';
import { segAddr } from '../seg-regs.js';

export function push32(c: Cpu, v: number): void {
  if (c.mode & MODE_SEG) { segPush(c, v, 4); return; }
  const sp = (c.s[ESP] - 4) >>> 0;
  c.mem.write32(sp, v);
  c.s[ESP] = sp;
}
export function pop32(c: Cpu): number {
  if (c.mode & MODE_SEG) return segPop(c, 4);
  const sp = c.s[ESP] >>> 0;
  const v = c.mem.read32(sp);
  c.s[ESP] = sp + 4;
  return v;
}
export function push16(c: Cpu, v: number): void {
  if (c.mode & MODE_SEG) { segPush(c, v, 2); return; }
  const sp = (c.s[ESP] - 2) >>> 0;
  c.mem.write16(sp, v);
  c.s[ESP] = sp;
}
export function pop16(c: Cpu): number {
  if (c.mode & MODE_SEG) return segPop(c, 2);
  const sp = c.s[ESP] >>> 0;
  const v = c.mem.read16(sp);
  c.s[ESP] = sp + 2;
  return v;
}
export const pushv = (c: Cpu, v: number, size: number): void => (size === 4 ? push32(c, v) : push16(c, v));
export const popv = (c: Cpu, size: number): number => (size === 4 ? pop32(c) : pop16(c));

/** Whether the stack pointer is ESP (SS.B = 1) or SP. */
export const stack32 = (c: Cpu): boolean => !(c.mode & MODE_SEG) || (c.segAttr[SS] & D_DB) !== 0;
/** The stack pointer as an offset in SS: ESP, or SP for a 16-bit stack. */
export const stackOffset = (c: Cpu): number => (stack32(c) ? c.s[ESP] >>> 0 : c.s[ESP] & 0xffff);
/** Set the stack pointer to `off`: all of ESP, or SP alone for a 16-bit stack. */
export function setStack(c: Cpu, off: number): void {
  c.s[ESP] = stack32(c) ? off | 0 : (c.s[ESP] & ~0xffff) | (off & 0xffff);
}
/** The linear address of `size` bytes at offset `off` in SS (flat: the offset itself). */
export const stackAddr = (c: Cpu, off: number, size: number, write: boolean): number =>
  (c.mode & MODE_SEG ? segAddr(c, SS, off, size, write) : off >>> 0);

function segPush(c: Cpu, v: number, size: number): void {
  const off = stack32(c) ? (c.s[ESP] - size) >>> 0 : (c.s[ESP] - size) & 0xffff;
  const a = segAddr(c, SS, off, size, true);
  if (size === 4) c.mem.write32(a, v); else c.mem.write16(a, v);
  setStack(c, off);
}
function segPop(c: Cpu, size: number): number {
  const off = stackOffset(c);
  const a = segAddr(c, SS, off, size, false);
  const v = size === 4 ? c.mem.read32(a) : c.mem.read16(a);
  setStack(c, off + size);
  return v;
}
