/** Resource limit numbers (asm-generic/resource.h) and RLIM_INFINITY as the i386 kernel stores it (unsigned long). */
export const RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4;
export const RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9;
export const RLIMIT_NLIMITS = 16;
export const RLIM_INFINITY = 0xffffffff;
