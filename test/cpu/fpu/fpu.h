/*
 * Shared helpers for the x87 tests. Each program runs x87 instructions with inline asm
 * over tables of operands and prints results, status words and EFLAGS as hex lines.
 * The same binary runs natively and under the engine (test/cpu/fpu.test.ts compares).
 *
 * Operands live in globals so that the data pointer fnstenv reports is the same address
 * natively and under the engine. Output is buffered and written with write(2): printf
 * would dominate the guest instruction count.
 */
#ifndef FPU_TEST_H
#define FPU_TEST_H
#include "../out.h"

static __attribute__((unused)) void h64(u64 v) { putch(' '); hex((u32)(v >> 32), 8); hex((u32)v, 8); }
static __attribute__((unused)) void hbytes(const u8 *b, int n) { putch(' '); for (int i = n - 1; i >= 0; i--) hex(b[i], 2); }

/* Operand values as bit patterns: edges of every class, then ordinary numbers. */
static const u64 DVALS[] = {
  0x0000000000000000ull, 0x8000000000000000ull, /* +0 -0 */
  0x3ff0000000000000ull, 0xbff0000000000000ull, /* 1 -1 */
  0x3ff8000000000000ull, 0x4000000000000000ull, /* 1.5 2 */
  0x3fb999999999999aull, 0x3fd5555555555555ull, /* 0.1 1/3 */
  0x400921fb54442d18ull, 0xc00921fb54442d18ull, /* pi -pi */
  0x4059000000000000ull, 0xc1e0000000000000ull, /* 100 -2^31 */
  0x41e0000000000000ull, 0x43e0000000000000ull, /* 2^31 2^63 */
  0x4330000000000001ull, 0x3fe0000000000000ull, /* 2^52+1 0.5 */
  0x4004000000000000ull, 0xc004000000000000ull, /* 2.5 -2.5 */
  0x7fefffffffffffffull, 0xffefffffffffffffull, /* max -max */
  0x0010000000000000ull, 0x0000000000000001ull, /* min normal, min denormal */
  0x800fffffffffffffull, 0x3ff0000000000001ull, /* -max denormal, 1+ulp */
  0x7ff0000000000000ull, 0xfff0000000000000ull, /* inf -inf */
  0x7ff8000000000000ull, 0xfff8000000000000ull, /* qnan, indefinite */
  0x7ff8000000000123ull, 0x7ff0000000000456ull, /* qnan payload, snan payload */
  0x4197d78400000000ull, 0xc2b8000000000000ull, /* 1e8 -2^44*1.5 */
  0x43c0000000000000ull, 0x3e45798ee2308c3aull, /* 2^61 1e-8 */
};
#define NDV ((int)(sizeof DVALS / sizeof DVALS[0]))

static u16 cw_g, sw_g;
static __attribute__((unused)) void setcw(u16 cw) { cw_g = cw; __asm__ volatile("fldcw %0" : : "m"(cw_g)); }
/* Status word, then clear exceptions so each line shows one operation's flags. */
static __attribute__((unused)) u16 getsw(void) {
  __asm__ volatile("fnstsw %0; fnclex" : "=m"(sw_g));
  return sw_g;
}
#define CW_NEAR 0x037f
#define RC(n) ((u16)((n) << 10))
#endif
