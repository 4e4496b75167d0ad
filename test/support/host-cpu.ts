/**
 * The CPU the native reference runs on, for the few results x86 leaves to the implementation,
 * where Intel and AMD hosts answer differently and the engine gives one answer.
 *
 * The engine's answers for these were measured on an AMD EPYC of family 25 (Zen 4), the host
 * of sessions 1-9 (`recordedHost`). On an Intel host (session 10's is a Xeon with AVX-512)
 * the same tests then differ in exactly these, each documented by the vendor:
 * - fnstenv/fnsave pointers: with CPUID.(EAX=07H,ECX=0):EBX bit 13 the CPU stores 0 for FCS
 *   and FDS, with bit 6 it updates FDP only on unmasked exceptions, and Intel CPUs since the
 *   Pentium 4 store FOP only when an unmasked exception is pending (SDM Vol. 1 8.1.8-8.1.9).
 *   The engine stores them all, as the Nehalem its CPUID names did.
 * - x87 transcendentals (f2xm1, fsin, fpatan...): microcode results within an ulp, and C1,
 *   differ between vendors (SDM Vol. 1 8.3.10: accuracy, not exact results, is specified).
 * - NaN payloads out of SSE4.1 dpps/dppd, whose sums of products the SDM gives as pseudo-code
 *   over unspecified intermediate NaN choices.
 * - EFLAGS when a rep scas/cmps faults on a new page between iterations.
 * Each test compares as before on the recorded host, and on another host tolerates only the
 * listed fields, and only the way the vendor's documentation says they differ.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildC } from './build.js';

export interface HostCpu {
  vendor: string;
  family: number;
  model: number;
  /** CPUID.(EAX=07H,ECX=0):EBX. */
  ebx7: number;
}

let cached: HostCpu | null = null;

export function hostCpu(): HostCpu {
  if (cached) return cached;
  const bin = buildC(join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'c/cpuid.c'));
  const r = spawnSync(bin, [], { encoding: 'utf8' });
  const m = /^(\S+) (\d+) (\d+) (\d+)$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) throw new Error(`host-cpu: the cpuid probe failed: ${r.stderr}`);
  cached = { vendor: m[1], family: Number(m[2]), model: Number(m[3]), ebx7: Number(m[4]) };
  return cached;
}

/** The host the engine's implementation-specific answers were measured on (AMD family 25). */
export function recordedHost(): boolean {
  const h = hostCpu();
  return h.vendor === 'AuthenticAMD' && h.family === 25;
}

/** An Intel host: the vendor whose documented x87/SSE choices the tolerances here follow. */
export function intelHost(): boolean {
  return hostCpu().vendor === 'GenuineIntel';
}

/** fnstenv/fnsave store 0 for FCS and FDS (CPUID.7.0:EBX[13]). */
export const fcsFdsDeprecated = (): boolean => (hostCpu().ebx7 & (1 << 13)) !== 0;
/** FDP is updated only by instructions that raise an unmasked exception (CPUID.7.0:EBX[6]). */
export const fdpExceptionOnly = (): boolean => (hostCpu().ebx7 & (1 << 6)) !== 0;
