/*
 * add adc sub sbb and or xor cmp test, inc dec neg not: 8/16/32-bit, register, memory
 * (destination and source) and immediate forms (including the short accumulator forms and
 * sign-extended imm8).
 *
 * Each case compares the flags its instruction's row defines (DEFINED(op): the SDM leaves
 * AF undefined after and/or/xor/test).
 */
#include "common.h"

/* reg, reg */
#define RR(fn, insn, T, C, M) \
  static u32 fn(u32 a, u32 b, u32 fin, u32 *fo) { \
    T x = (T)a, y = (T)b; u32 f; \
    __asm__ volatile(FLAGS_IN insn " %" M "[y], %" M "[x]" FLAGS_OUT \
      : [x] "+" C (x), [fo] "=&r" (f) : [y] C (y), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
/* mem, reg (memory destination) */
#define MR(fn, insn, T, C, M) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 b, u32 fin, u32 *fo) { \
    T y = (T)b; u32 f; fn##_m = (T)a; \
    __asm__ volatile(FLAGS_IN insn " %" M "[y], %[m]" FLAGS_OUT \
      : [m] "+m" (fn##_m), [fo] "=&r" (f) : [y] C (y), [fin] "r" (fin) : "cc"); \
    *fo = f; return fn##_m; }
/* reg, mem (memory source) */
#define RM(fn, insn, T, C, M) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 b, u32 fin, u32 *fo) { \
    T x = (T)a; u32 f; fn##_m = (T)b; \
    __asm__ volatile(FLAGS_IN insn " %[m], %" M "[x]" FLAGS_OUT \
      : [x] "+" C (x), [fo] "=&r" (f) : [m] "m" (fn##_m), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
/* reg, imm (imm is a compile-time constant: b is ignored) */
#define RI(fn, insn, T, C, M, IMM) \
  static u32 fn(u32 a, u32 b, u32 fin, u32 *fo) { \
    T x = (T)a; u32 f; (void)b; \
    __asm__ volatile(FLAGS_IN insn " %[i], %" M "[x]" FLAGS_OUT \
      : [x] "+" C (x), [fo] "=&r" (f) : [i] "i" (IMM), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
/* mem, imm */
#define MI(fn, insn, T, M, IMM) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 b, u32 fin, u32 *fo) { \
    u32 f; (void)b; fn##_m = (T)a; \
    __asm__ volatile(FLAGS_IN insn " %[i], %[m]" FLAGS_OUT \
      : [m] "+m" (fn##_m), [fo] "=&r" (f) : [i] "i" (IMM), [fin] "r" (fin) : "cc"); \
    *fo = f; return fn##_m; }
/* unary on reg and mem */
#define UR(fn, insn, T, C, M) \
  static u32 fn(u32 a, u32 b, u32 fin, u32 *fo) { \
    T x = (T)a; u32 f; (void)b; \
    __asm__ volatile(FLAGS_IN insn " %" M "[x]" FLAGS_OUT \
      : [x] "+" C (x), [fo] "=&r" (f) : [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define UM(fn, insn, T) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 b, u32 fin, u32 *fo) { \
    u32 f; (void)b; fn##_m = (T)a; \
    __asm__ volatile(FLAGS_IN insn " %[m]" FLAGS_OUT \
      : [m] "+m" (fn##_m), [fo] "=&r" (f) : [fin] "r" (fin) : "cc"); \
    *fo = f; return fn##_m; }

#define BIN_ALL(op) \
  RR(op##_rr8, #op "b", u8, "q", "b") RR(op##_rr16, #op "w", u16, "r", "w") RR(op##_rr32, #op "l", u32, "r", "") \
  MR(op##_mr8, #op "b", u8, "q", "b") MR(op##_mr16, #op "w", u16, "r", "w") MR(op##_mr32, #op "l", u32, "r", "") \
  RM(op##_rm8, #op "b", u8, "q", "b") RM(op##_rm16, #op "w", u16, "r", "w") RM(op##_rm32, #op "l", u32, "r", "") \
  RI(op##_ri8, #op "b", u8, "q", "b", 0x81) RI(op##_ri16, #op "w", u16, "r", "w", 0x8001) \
  RI(op##_ri32, #op "l", u32, "r", "", 0x7ffffff0) \
  RI(op##_rs16, #op "w", u16, "r", "w", -3) RI(op##_rs32, #op "l", u32, "r", "", -128) \
  RI(op##_rp32, #op "l", u32, "r", "", 0x7f) \
  RI(op##_ai8, #op "b", u8, "a", "b", 0xf0) RI(op##_ai16, #op "w", u16, "a", "w", 0x1234) \
  RI(op##_ai32, #op "l", u32, "a", "", 0x80000001) \
  MI(op##_mi8, #op "b", u8, "b", 0x7f) MI(op##_mi16, #op "w", u16, "w", 0xff80) \
  MI(op##_mi32, #op "l", u32, "", 0x12345678) MI(op##_ms32, #op "l", u32, "", -1)

BIN_ALL(add) BIN_ALL(adc) BIN_ALL(sub) BIN_ALL(sbb) BIN_ALL(and) BIN_ALL(or) BIN_ALL(xor) BIN_ALL(cmp)
/* test has no reg,mem direction distinct from mem,reg and only full-size immediates. */
RR(test_rr8, "testb", u8, "q", "b") RR(test_rr16, "testw", u16, "r", "w") RR(test_rr32, "testl", u32, "r", "")
MR(test_mr8, "testb", u8, "q", "b") MR(test_mr16, "testw", u16, "r", "w") MR(test_mr32, "testl", u32, "r", "")
RI(test_ri8, "testb", u8, "q", "b", 0x81) RI(test_ri16, "testw", u16, "r", "w", 0x8001)
RI(test_ri32, "testl", u32, "r", "", 0x7ffffff0)
RI(test_ai8, "testb", u8, "a", "b", 0xf0) RI(test_ai32, "testl", u32, "a", "", 0x80000001)
MI(test_mi8, "testb", u8, "b", 0x7f) MI(test_mi32, "testl", u32, "", 0x12345678)

#define UN_ALL(op) \
  UR(op##_r8, #op "b", u8, "q", "b") UR(op##_r16, #op "w", u16, "r", "w") UR(op##_r32, #op "l", u32, "r", "") \
  UM(op##_m8, #op "b", u8) UM(op##_m16, #op "w", u16) UM(op##_m32, #op "l", u32)
UN_ALL(inc) UN_ALL(dec) UN_ALL(neg) UN_ALL(not)

/* inc/dec r16/r32 also have the one-byte 40+r/48+r encodings: force them with .byte. */
static u32 inc_short32(u32 a, u32 b, u32 fin, u32 *fo) {
  u32 x = a, f; (void)b;
  __asm__ volatile(FLAGS_IN ".byte 0x40" FLAGS_OUT : "+a" (x), [fo] "=&r" (f) : [fin] "r" (fin) : "cc");
  *fo = f; return x;
}
static u32 dec_short16(u32 a, u32 b, u32 fin, u32 *fo) {
  u32 x = a, f; (void)b;
  __asm__ volatile(FLAGS_IN ".byte 0x66, 0x4b" FLAGS_OUT : "+b" (x), [fo] "=&r" (f) : [fin] "r" (fin) : "cc");
  *fo = f; return x & 0xffff;
}

typedef u32 (*Fn)(u32, u32, u32, u32 *);
struct Case { const char *name; Fn fn; int bytes; u32 fmask; int binary; };

#define C_BIN(op) C_BINM(op, DEFINED(op))
#define C_BINM(op, M) \
  { #op "_rr8", op##_rr8, 1, M, 1 }, { #op "_rr16", op##_rr16, 2, M, 1 }, { #op "_rr32", op##_rr32, 4, M, 1 }, \
  { #op "_mr8", op##_mr8, 1, M, 2 }, { #op "_mr16", op##_mr16, 2, M, 2 }, { #op "_mr32", op##_mr32, 4, M, 2 }, \
  { #op "_rm8", op##_rm8, 1, M, 2 }, { #op "_rm16", op##_rm16, 2, M, 2 }, { #op "_rm32", op##_rm32, 4, M, 2 }, \
  { #op "_ri8", op##_ri8, 1, M, 0 }, { #op "_ri16", op##_ri16, 2, M, 0 }, { #op "_ri32", op##_ri32, 4, M, 0 }, \
  { #op "_rs16", op##_rs16, 2, M, 0 }, { #op "_rs32", op##_rs32, 4, M, 0 }, { #op "_rp32", op##_rp32, 4, M, 0 }, \
  { #op "_ai8", op##_ai8, 1, M, 0 }, { #op "_ai16", op##_ai16, 2, M, 0 }, { #op "_ai32", op##_ai32, 4, M, 0 }, \
  { #op "_mi8", op##_mi8, 1, M, 0 }, { #op "_mi16", op##_mi16, 2, M, 0 }, { #op "_mi32", op##_mi32, 4, M, 0 }, \
  { #op "_ms32", op##_ms32, 4, M, 0 }
#define C_UN(op) \
  { #op "_r8", op##_r8, 1, DEFINED(op), 0 }, { #op "_r16", op##_r16, 2, DEFINED(op), 0 }, { #op "_r32", op##_r32, 4, DEFINED(op), 0 }, \
  { #op "_m8", op##_m8, 1, DEFINED(op), 0 }, { #op "_m16", op##_m16, 2, DEFINED(op), 0 }, { #op "_m32", op##_m32, 4, DEFINED(op), 0 }

static const struct Case cases[] = {
  C_BIN(add), C_BIN(adc), C_BIN(sub), C_BIN(sbb), C_BIN(and), C_BIN(or), C_BIN(xor), C_BIN(cmp),
  { "test_rr8", test_rr8, 1, DEFINED(test), 1 }, { "test_rr16", test_rr16, 2, DEFINED(test), 1 },
  { "test_rr32", test_rr32, 4, DEFINED(test), 1 }, { "test_mr8", test_mr8, 1, DEFINED(test), 2 },
  { "test_mr16", test_mr16, 2, DEFINED(test), 2 }, { "test_mr32", test_mr32, 4, DEFINED(test), 2 },
  { "test_ri8", test_ri8, 1, DEFINED(test), 0 }, { "test_ri16", test_ri16, 2, DEFINED(test), 0 },
  { "test_ri32", test_ri32, 4, DEFINED(test), 0 }, { "test_ai8", test_ai8, 1, DEFINED(test), 0 },
  { "test_ai32", test_ai32, 4, DEFINED(test), 0 }, { "test_mi8", test_mi8, 1, DEFINED(test), 0 },
  { "test_mi32", test_mi32, 4, DEFINED(test), 0 },
  C_UN(inc), C_UN(dec), C_UN(neg), C_UN(not),
  { "inc_short32", inc_short32, 4, DEFINED(inc), 0 }, { "dec_short16", dec_short16, 2, DEFINED(dec), 0 },
};

int main(void) {
  init_vals();
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const struct Case *c = &cases[k];
    u32 m = c->bytes == 4 ? 0xffffffffu : (1u << (c->bytes * 8)) - 1;
    /* Register pairs over every value; memory forms over the edge values; unary and
     * immediate forms over every first operand. */
    int na = c->binary == 2 ? NEDGE : NVAL, nb = c->binary == 1 ? NVAL : c->binary == 2 ? NEDGE : 1;
    for (int i = 0; i < na; i++)
      for (int j = 0; j < nb; j++)
        for (int fi = 0; fi < 2; fi++) {
          u32 a = vals[i] & m, b = vals[j] & m, f;
          u32 r = c->fn(a, b, fins[fi], &f);
          tag(c->name); hs(a, c->bytes);
          if (c->binary) hs(b, c->bytes);
          h16(fins[fi]); hs(r & m, c->bytes); h16(f & c->fmask); nl();
        }
  }
  return finish();
}
