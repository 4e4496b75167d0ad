import type { Cpu } from '../cpu.js';
import { ESP } from '../state.js';

export function push32(c: Cpu, v: number): void {
  const sp = (c.s[ESP] - 4) >>> 0;
  c.mem.write32(sp, v);
  c.s[ESP] = sp;
}
export function pop32(c: Cpu): number {
  const sp = c.s[ESP] >>> 0;
  const v = c.mem.read32(sp);
  c.s[ESP] = sp + 4;
  return v;
}
export function push16(c: Cpu, v: number): void {
  const sp = (c.s[ESP] - 2) >>> 0;
  c.mem.write16(sp, v);
  c.s[ESP] = sp;
}
export function pop16(c: Cpu): number {
  const sp = c.s[ESP] >>> 0;
  const v = c.mem.read16(sp);
  c.s[ESP] = sp + 2;
  return v;
}
export const pushv = (c: Cpu, v: number, size: number): void => (size === 4 ? push32(c, v) : push16(c, v));
export const popv = (c: Cpu, size: number): number => (size === 4 ? pop32(c) : pop16(c));
