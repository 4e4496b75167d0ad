/**
 * The CPU's identity. Family 6 model 1 is a Pentium Pro: i686 with CMOV and no MMX, as the
 * feature bits (FEATURES_EDX in ops/control.ts) say. Libraries that choose code by model
 * rather than by feature bits must see a model without MMX/SSE: GMP's fat x86 build
 * (mpn/x86/fat/fat.c) takes family 6 model 15 for a Core 2 and runs SSE2 code whatever
 * the feature bits say (coreutils' expr died with SIGILL on `pxor %mm6,%mm6`).
 * /proc/cpuinfo reports the same identity.
 */
export const CPU_ID = { vendor: 'GenuineIntel', family: 6, model: 1, stepping: 9, brand: 'webx86 virtual i686 CPU', maxLeaf: 1 };
