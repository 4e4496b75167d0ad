/*
 * shl shr sar rol ror rcl rcr (8/16/32-bit; count in CL, imm8 and the implicit-1 form;
 * register and memory) and shld shrd (16/32-bit; CL and imm8).
 *
 * Flags compared: a zero count leaves all of them; otherwise those the instruction's rows
 * define, for a count of 1 (DEFINED1) or another count (DEFINED): shifts leave AF
 * undefined, and OF unless the masked count is 1; rotates OF unless it is 1. For 16-bit
 * shld/shrd a count above 16 leaves result and flags undefined (not compared).
 */
#include "common.h"

#define SH_CL(fn, insn, T, C, M) \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    T x = (T)a; u32 f; \
    __asm__ volatile(FLAGS_IN insn " %%cl, %" M "[x]" FLAGS_OUT \
      : [x] "+" C (x), [fo] "=&r" (f) : "c" (n), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define SH_MCL(fn, insn, T) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    u32 f; fn##_m = (T)a; \
    __asm__ volatile(FLAGS_IN insn " %%cl, %[m]" FLAGS_OUT \
      : [m] "+m" (fn##_m), [fo] "=&r" (f) : "c" (n), [fin] "r" (fin) : "cc"); \
    *fo = f; return fn##_m; }
#define SH_I(fn, insn, T, C, M, N) \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    T x = (T)a; u32 f; (void)n; \
    __asm__ volatile(FLAGS_IN insn " %[i], %" M "[x]" FLAGS_OUT \
      : [x] "+" C (x), [fo] "=&r" (f) : [i] "i" (N), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define SH_1(fn, insn, T, C, M) \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    T x = (T)a; u32 f; (void)n; \
    __asm__ volatile(FLAGS_IN insn " %" M "[x]" FLAGS_OUT \
      : [x] "+" C (x), [fo] "=&r" (f) : [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define SH_M1(fn, insn, T) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    u32 f; (void)n; fn##_m = (T)a; \
    __asm__ volatile(FLAGS_IN insn " %[m]" FLAGS_OUT \
      : [m] "+m" (fn##_m), [fo] "=&r" (f) : [fin] "r" (fin) : "cc"); \
    *fo = f; return fn##_m; }

#define SH_ALL(op) \
  SH_CL(op##_c8, #op "b", u8, "q", "b") SH_CL(op##_c16, #op "w", u16, "r", "w") SH_CL(op##_c32, #op "l", u32, "r", "") \
  SH_MCL(op##_mc8, #op "b", u8) SH_MCL(op##_mc16, #op "w", u16) SH_MCL(op##_mc32, #op "l", u32) \
  SH_I(op##_i8, #op "b", u8, "q", "b", 7) SH_I(op##_i16, #op "w", u16, "r", "w", 15) SH_I(op##_i32, #op "l", u32, "r", "", 31) \
  SH_I(op##_j32, #op "l", u32, "r", "", 33) \
  SH_1(op##_18, #op "b", u8, "q", "b") SH_1(op##_116, #op "w", u16, "r", "w") SH_1(op##_132, #op "l", u32, "r", "") \
  SH_M1(op##_m132, #op "l", u32)
SH_ALL(shl) SH_ALL(shr) SH_ALL(sar) SH_ALL(rol) SH_ALL(ror) SH_ALL(rcl) SH_ALL(rcr)

#define DB_CL(fn, insn, T, M) \
  static u32 fn(u32 a, u32 b, u32 n, u32 fin, u32 *fo) { \
    T x = (T)a, y = (T)b; u32 f; \
    __asm__ volatile(FLAGS_IN insn " %%cl, %" M "[y], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [y] "r" (y), "c" (n), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define DB_MCL(fn, insn, T, M) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 b, u32 n, u32 fin, u32 *fo) { \
    T y = (T)b; u32 f; fn##_m = (T)a; \
    __asm__ volatile(FLAGS_IN insn " %%cl, %" M "[y], %[m]" FLAGS_OUT \
      : [m] "+m" (fn##_m), [fo] "=&r" (f) : [y] "r" (y), "c" (n), [fin] "r" (fin) : "cc"); \
    *fo = f; return fn##_m; }
#define DB_I(fn, insn, T, M, N) \
  static u32 fn(u32 a, u32 b, u32 n, u32 fin, u32 *fo) { \
    T x = (T)a, y = (T)b; u32 f; (void)n; \
    __asm__ volatile(FLAGS_IN insn " %[i], %" M "[y], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [y] "r" (y), [i] "i" (N), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
DB_CL(shld_c16, "shldw", u16, "w") DB_CL(shld_c32, "shldl", u32, "") DB_MCL(shld_mc32, "shldl", u32, "")
DB_CL(shrd_c16, "shrdw", u16, "w") DB_CL(shrd_c32, "shrdl", u32, "") DB_MCL(shrd_mc16, "shrdw", u16, "w")
DB_I(shld_i16, "shldw", u16, "w", 5) DB_I(shld_i32, "shldl", u32, "", 1) DB_I(shrd_i32, "shrdl", u32, "", 31)

typedef u32 (*Fn)(u32, u32, u32, u32 *);
/* n < 0: count comes from CL (the counts table); else fixed. k: the flags compared (DEFINED, DEFINED1). */
struct Case { const char *name; Fn fn; int bytes; int n; u32 fm, fm1; };
#define C_SH(op) C_SHK(op, DEFINED(op), DEFINED1(op))
#define C_SHK(op, M, M1) \
  { #op "_c8", op##_c8, 1, -1, M, M1 }, { #op "_c16", op##_c16, 2, -1, M, M1 }, { #op "_c32", op##_c32, 4, -1, M, M1 }, \
  { #op "_mc8", op##_mc8, 1, -1, M, M1 }, { #op "_mc16", op##_mc16, 2, -1, M, M1 }, { #op "_mc32", op##_mc32, 4, -1, M, M1 }, \
  { #op "_i8", op##_i8, 1, 7, M, M1 }, { #op "_i16", op##_i16, 2, 15, M, M1 }, { #op "_i32", op##_i32, 4, 31, M, M1 }, \
  { #op "_j32", op##_j32, 4, 33, M, M1 }, \
  { #op "_18", op##_18, 1, 1, M, M1 }, { #op "_116", op##_116, 2, 1, M, M1 }, { #op "_132", op##_132, 4, 1, M, M1 }, \
  { #op "_m132", op##_m132, 4, 1, M, M1 }
static const struct Case cases[] = {
  C_SH(shl), C_SH(shr), C_SH(sar), C_SH(rol), C_SH(ror), C_SH(rcl), C_SH(rcr),
};
static const u32 counts[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 0x41 };
#define NCOUNT (sizeof counts / sizeof counts[0])

/* The flags compared after a shift by n: all when the masked count is 0, else the row's. */
static u32 shift_mask(u32 fm, u32 fm1, u32 n) {
  n &= 31;
  return n == 0 ? F_ALL : n == 1 ? fm1 : fm;
}

typedef u32 (*Fn3)(u32, u32, u32, u32, u32 *);
struct DCase { const char *name; Fn3 fn; int bytes; int n; u32 fm, fm1; };
#define SHLD DEFINED(shld), DEFINED1(shld)
#define SHRD DEFINED(shrd), DEFINED1(shrd)
static const struct DCase dcases[] = {
  { "shld_c16", shld_c16, 2, -1, SHLD }, { "shld_c32", shld_c32, 4, -1, SHLD }, { "shld_mc32", shld_mc32, 4, -1, SHLD },
  { "shrd_c16", shrd_c16, 2, -1, SHRD }, { "shrd_c32", shrd_c32, 4, -1, SHRD }, { "shrd_mc16", shrd_mc16, 2, -1, SHRD },
  { "shld_i16", shld_i16, 2, 5, SHLD }, { "shld_i32", shld_i32, 4, 1, SHLD }, { "shrd_i32", shrd_i32, 4, 31, SHRD },
};

int main(void) {
  init_vals();
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const struct Case *c = &cases[k];
    u32 m = c->bytes == 4 ? 0xffffffffu : (1u << (c->bytes * 8)) - 1;
    unsigned nc = c->n < 0 ? NCOUNT : 1;
    for (int i = 0; i < NVAL; i++)
      for (unsigned j = 0; j < nc; j++)
        for (int fi = 0; fi < 2; fi++) {
          u32 a = vals[i] & m, n = c->n < 0 ? counts[j] : (u32)c->n, f;
          u32 r = c->fn(a, n, fins[fi], &f);
          tag(c->name); hs(a, c->bytes); h8(n); h16(fins[fi]);
          hs(r & m, c->bytes); h16(f & shift_mask(c->fm, c->fm1, n)); nl();
        }
  }
  for (unsigned k = 0; k < sizeof dcases / sizeof dcases[0]; k++) {
    const struct DCase *c = &dcases[k];
    u32 m = c->bytes == 4 ? 0xffffffffu : 0xffff;
    unsigned nc = c->n < 0 ? NCOUNT : 1;
    for (int i = 0; i < NVAL; i += 2)
      for (int i2 = 1; i2 < NVAL; i2 += 3)
        for (unsigned j = 0; j < nc; j++)
          for (int fi = 0; fi < 2; fi++) {
            u32 a = vals[i] & m, b = vals[i2] & m, n = c->n < 0 ? counts[j] : (u32)c->n, f;
            u32 r = c->fn(a, b, n, fins[fi], &f);
            u32 fm = shift_mask(c->fm, c->fm1, n);
            if (c->bytes == 2 && (n & 31) > 16) { r = 0; fm = 0; }
            tag(c->name); hs(a, c->bytes); hs(b, c->bytes); h8(n); h16(fins[fi]);
            hs(r & m, c->bytes); h16(f & fm); nl();
          }
  }
  return finish();
}
