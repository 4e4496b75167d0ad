/**
 * The CPU's identity: what CPUID answers (cpu/ops/control.ts), AT_HWCAP carries
 * (linux/exec.ts) and /proc/cpuinfo prints (kernfs/procfs.ts).
 *
 * The model is an Intel Core i7 of the Nehalem generation (family 6 model 0x1A stepping 5,
 * CPUID signature 0x106A5: Core i7-920, Xeon W3550): the real CPU whose instruction set is
 * exactly what the engine implements, SSE through SSE4.2 and POPCNT, with no PCLMULQDQ,
 * AES, MOVBE, XSAVE or AVX (Westmere added PCLMULQDQ/AES, Sandy Bridge AVX). Code that
 * chooses by model rather than by feature bits therefore gets paths that run here:
 * - glibc (sysdeps/x86/cpu-features.c) marks models 0x1A/0x1E/0x1F/0x25/0x2C/0x2E/0x2F
 *   Fast_Rep_String, Fast_Unaligned_Load, Fast_Unaligned_Copy and Prefer_PMINUB_for_stringop,
 *   so its IFUNCs pick the SSE2-unaligned, SSSE3 and SSE4.2 string functions
 *   (test/cpu/sse/libc.c checks the picks and their results);
 * - GMP's fat binary (mpn/x86/fat/fat.c) takes 0x1A for a Nehalem and runs its SSE2/SSSE3
 *   code. (With model 15, a Core 2, it ran MMX code before MMX existed here: coreutils'
 *   expr died with SIGILL on `pxor %mm6,%mm6`; MMX is implemented now.)
 * One core, one thread: the cache leaves say no sharing and leaf 1 no HTT. The brand string
 * names the engine, not an Intel part.
 */
export const CPU_ID = {
  vendor: 'GenuineIntel', family: 6, model: 0x1a, stepping: 5,
  brand: 'webx86 virtual CPU (Core i7 Nehalem model)',
  /** Highest basic leaf (leaf 0 EAX), as Nehalem answers; leaves above it return this leaf's data. */
  maxLeaf: 0xb,
  /** Highest extended leaf (0x80000000 EAX). */
  maxExtLeaf: 0x80000008,
};

/**
 * The CPUID.1 feature bits the engine implements: [register, bit, /proc/cpuinfo name]
 * (SDM Vol. 2 CPUID Tables 3-10 and 3-11; names as arch/x86/include/asm/cpufeatures.h,
 * which calls SSE3 `pni`). Nothing is advertised that is not implemented: no VME/PSE/PAE/
 * APIC/MSR (kernel-only), no SEP (sysenter is #UD here), no HTT, no CX16 (cmpxchg16b needs
 * 64-bit mode), no MONITOR, PCLMULQDQ, MOVBE, XSAVE or AVX.
 */
export const FEATURES: ReadonlyArray<readonly ['edx' | 'ecx', number, string]> = [
  ['edx', 0, 'fpu'], ['edx', 4, 'tsc'], ['edx', 8, 'cx8'], ['edx', 15, 'cmov'], ['edx', 19, 'clflush'],
  ['edx', 23, 'mmx'], ['edx', 24, 'fxsr'], ['edx', 25, 'sse'], ['edx', 26, 'sse2'],
  ['ecx', 0, 'pni'], ['ecx', 9, 'ssse3'], ['ecx', 19, 'sse4_1'], ['ecx', 20, 'sse4_2'], ['ecx', 23, 'popcnt'],
];
const word = (reg: 'edx' | 'ecx'): number => FEATURES.reduce((w, [r, bit]) => (r === reg ? w | (1 << bit) : w), 0);
/** CPUID.1 EDX and ECX (EDX is also AT_HWCAP, as Linux's i386 ELF_HWCAP). */
export const FEATURES_EDX = word('edx'), FEATURES_ECX = word('ecx');

/**
 * Fixed leaves: [eax, ebx, ecx, edx] by leaf, and by subleaf (ECX) for leaves 4 and 0xB.
 * Leaves 0, 1 and the brand string (0x80000002-4) are computed from CPU_ID and FEATURES.
 * Values are Nehalem's (Core i7-920 / Xeon W3550 dumps) reduced to one core and one thread:
 * - 2: the descriptor bytes 5A 03 55 (TLBs), E4 (L3 8 MiB 16-way), B2 F0 (ITLB, 64-byte
 *   prefetch), 2C (L1d 32 KiB 8-way), 21 (L2 256 KiB 8-way), CA (STLB), 09 (L1i 32 KiB 4-way);
 * - 4: the same caches as deterministic parameters (type, level, self-initialising; ways-1,
 *   line-1, sets-1; L3 inclusive), EAX[31:14] zero: no sharing, one core;
 * - 3, 5, 6, 7, 8, 9, 0xA zero: no serial number, MONITOR, thermal/power interface,
 *   structured extended features (no BMI, ERMS, ...), or performance counters (rdpmc is #UD);
 * - 0xB: x2APIC topology, one thread (SMT level) in one core (core level);
 * - 0x80000001 zero: no LAHF-in-64-bit, SYSCALL, NX or LM, which would mislead a 32-bit
 *   program about what it can run; 0x80000006 the L2 (256 KiB, 8-way, 64-byte lines);
 *   0x80000007 invariant TSC (the engine's rdtsc counts nanoseconds at a constant rate);
 *   0x80000008 36 physical and 48 linear address bits.
 */
export const CPUID_LEAVES: ReadonlyMap<number, readonly (readonly number[])[]> = new Map([
  [2, [[0x55035a01, 0x00f0b2e4, 0, 0x09ca212c]]],
  [3, [[0, 0, 0, 0]]],
  [4, [[0x00000121, 0x01c0003f, 0x0000003f, 0], [0x00000122, 0x00c0003f, 0x0000007f, 0],
    [0x00000143, 0x01c0003f, 0x000001ff, 0], [0x00000163, 0x03c0003f, 0x00001fff, 2], [0, 0, 0, 0]]],
  [5, [[0, 0, 0, 0]]], [6, [[0, 0, 0, 0]]], [7, [[0, 0, 0, 0]]], [8, [[0, 0, 0, 0]]], [9, [[0, 0, 0, 0]]], [0xa, [[0, 0, 0, 0]]],
  [0xb, [[0, 1, 0x100, 0], [0, 1, 0x201, 0]]],
  [0x80000001, [[0, 0, 0, 0]]],
  [0x80000005, [[0, 0, 0, 0]]],
  [0x80000006, [[0, 0, 0x01006040, 0]]],
  [0x80000007, [[0, 0, 0, 0x100]]],
  [0x80000008, [[0x00003024, 0, 0, 0]]],
]);
