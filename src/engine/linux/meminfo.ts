/**
 * The machine's memory size as the guest sees it, shared by sysinfo(2) and
 * /proc/meminfo so that free(1), top and programs sizing caches agree.
 */
import type { Kernel } from './kernel.js';
import type { AddressSpace } from '../mem/address-space.js';

/** Total RAM: 2 GiB, within what one 32-bit guest can address and what a browser tab may hold. */
export const MEM_TOTAL_BYTES = 2 * 1024 * 1024 * 1024;
export const MEM_TOTAL_KB = MEM_TOTAL_BYTES / 1024;

/** Bytes mapped by one address space (an upper bound of its resident set). */
export function mappedBytes(mem: AddressSpace): number {
  let n = 0;
  for (const m of mem.mappings) n += m.end - m.start;
  return n;
}

/** Memory in use: everything every live address space has mapped, counted once each. */
export function memUsedBytes(k: Kernel): number {
  const seen = new Set<AddressSpace>();
  let used = 0;
  for (const p of k.processes.values()) {
    if (p.zombie || seen.has(p.mem)) continue;
    seen.add(p.mem);
    used += mappedBytes(p.mem);
  }
  return Math.min(used, MEM_TOTAL_BYTES - (64 << 20));
}

export function memFreeBytes(k: Kernel): number {
  return MEM_TOTAL_BYTES - memUsedBytes(k);
}
