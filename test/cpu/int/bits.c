/*
 * bt bts btr btc (register and memory destinations; register and imm8 bit offsets,
 * including register offsets that reach far outside the addressed operand, negative
 * ones too), bsf bsr (16/32-bit, register and memory), bswap.
 *
 * Flags compared: those each row defines (DEFINED(op): OF SF AF PF are undefined after bt*,
 * CF OF SF AF PF after bsf/bsr; ZF says whether the source was zero). A zero source
 * leaves the bsf/bsr destination unchanged (AMD documents it; Intel CPUs do it).
 */
#include "common.h"


#define BTRR(fn, insn, T, M) \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    T x = (T)a, y = (T)n; u32 f; \
    __asm__ volatile(FLAGS_IN insn " %" M "[y], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [y] "r" (y), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define BTRI(fn, insn, T, M, N) \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    T x = (T)a; u32 f; (void)n; \
    __asm__ volatile(FLAGS_IN insn " %[i], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [i] "i" (N), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define BT_ALL(op) \
  BTRR(op##_r16, #op "w", u16, "w") BTRR(op##_r32, #op "l", u32, "") \
  BTRI(op##_i16, #op "w", u16, "w", 13) BTRI(op##_i32, #op "l", u32, "", 7) BTRI(op##_j32, #op "l", u32, "", 63)
BT_ALL(bt) BT_ALL(bts) BT_ALL(btr) BT_ALL(btc)

/* Memory bit strings: a 64-byte buffer, operand at its middle. */
static u8 buf[64];
#define MID (buf + 32)
#define BTMR(fn, insn, T, M) \
  static void fn(u32 n, u32 fin, u32 *fo) { \
    T y = (T)n; u32 f; \
    __asm__ volatile(FLAGS_IN insn " %" M "[y], (%[p])" FLAGS_OUT \
      : [fo] "=&r" (f) : [y] "r" (y), [p] "r" (MID), [fin] "r" (fin) : "cc", "memory"); \
    *fo = f; }
#define BTMI(fn, insn, N) \
  static void fn(u32 n, u32 fin, u32 *fo) { \
    u32 f; (void)n; \
    __asm__ volatile(FLAGS_IN insn " %[i], 4(%[p])" FLAGS_OUT \
      : [fo] "=&r" (f) : [i] "i" (N), [p] "r" (MID), [fin] "r" (fin) : "cc", "memory"); \
    *fo = f; }
#define BTM_ALL(op) \
  BTMR(op##_m16, #op "w", u16, "w") BTMR(op##_m32, #op "l", u32, "") \
  BTMI(op##_mi16, #op "w", 21) BTMI(op##_mi32, #op "l", 45) BTMI(op##_mk32, #op "l", 31)
BTM_ALL(bt) BTM_ALL(bts) BTM_ALL(btr) BTM_ALL(btc)

#define BSF(fn, insn, T, M) \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    T x = (T)0xbeef, y = (T)a; u32 f; (void)n; x = (T)0xdeadbeef; \
    __asm__ volatile(FLAGS_IN insn " %" M "[y], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [y] "r" (y), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
#define BSFM(fn, insn, T, M) \
  static T fn##_m; \
  static u32 fn(u32 a, u32 n, u32 fin, u32 *fo) { \
    T x = (T)0x12345678; u32 f; (void)n; fn##_m = (T)a; \
    __asm__ volatile(FLAGS_IN insn " %[m], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [m] "m" (fn##_m), [fin] "r" (fin) : "cc"); \
    *fo = f; return x; }
BSF(bsf16, "bsfw", u16, "w") BSF(bsf32, "bsfl", u32, "") BSFM(bsfm32, "bsfl", u32, "")
BSF(bsr16, "bsrw", u16, "w") BSF(bsr32, "bsrl", u32, "") BSFM(bsrm16, "bsrw", u16, "w")

typedef u32 (*Fn)(u32, u32, u32, u32 *);
struct Case { const char *name; Fn fn; int bytes; u32 fmask; int counted; };
#define C_BT(op) \
  { #op "_r16", op##_r16, 2, DEFINED(op), 1 }, { #op "_r32", op##_r32, 4, DEFINED(op), 1 }, \
  { #op "_i16", op##_i16, 2, DEFINED(op), 0 }, { #op "_i32", op##_i32, 4, DEFINED(op), 0 }, \
  { #op "_j32", op##_j32, 4, DEFINED(op), 0 }
static const struct Case cases[] = {
  C_BT(bt), C_BT(bts), C_BT(btr), C_BT(btc),
  { "bsf16", bsf16, 2, DEFINED(bsf), 0 }, { "bsf32", bsf32, 4, DEFINED(bsf), 0 }, { "bsfm32", bsfm32, 4, DEFINED(bsf), 0 },
  { "bsr16", bsr16, 2, DEFINED(bsr), 0 }, { "bsr32", bsr32, 4, DEFINED(bsr), 0 }, { "bsrm16", bsrm16, 2, DEFINED(bsr), 0 },
};
typedef void (*MFn)(u32, u32, u32 *);
struct MCase { const char *name; MFn fn; u32 fmask; };
#define C_BTM(op) \
  { #op "_m16", op##_m16, DEFINED(op) }, { #op "_m32", op##_m32, DEFINED(op) }, { #op "_mi16", op##_mi16, DEFINED(op) }, \
  { #op "_mi32", op##_mi32, DEFINED(op) }, { #op "_mk32", op##_mk32, DEFINED(op) }
static const struct MCase mcases[] = { C_BTM(bt), C_BTM(bts), C_BTM(btr), C_BTM(btc) };

static const u32 bitoffs[] = {
  0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 100, 255, 0xffffffffu, 0xfffffff0u, 0xffffff01u,
  0x7fff, 0x8000, 0xffff, 0xff00, 0x18001,
};
#define NOFF (sizeof bitoffs / sizeof bitoffs[0])

static u32 fnv(const u8 *p, unsigned n) {
  u32 h = 2166136261u;
  for (unsigned i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

int main(void) {
  init_vals();
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const struct Case *c = &cases[k];
    u32 m = c->bytes == 4 ? 0xffffffffu : 0xffff;
    for (int i = 0; i < NVAL; i++)
      for (unsigned j = 0; j < (c->counted ? NOFF : 1); j++)
        for (int fi = 0; fi < 2; fi++) {
          u32 a = vals[i] & m, n = bitoffs[j], f;
          u32 r = c->fn(a, n, fins[fi], &f);
          tag(c->name); hs(a, c->bytes);
          if (c->counted) h32(n);
          h16(fins[fi]); hs(r & m, c->bytes); h16(f & c->fmask); nl();
        }
  }
  /* Memory forms: bit strings with register offsets within +-128 bits of the operand. */
  for (unsigned k = 0; k < sizeof mcases / sizeof mcases[0]; k++) {
    for (unsigned j = 0; j < NOFF; j++) {
      u32 n = bitoffs[j];
      /* Register offsets are signed (16-bit ones sign-extended); keep them inside buf. */
      s32 sn = k % 5 == 0 ? (s32)(int16_t)n : (s32)n;
      if (k % 5 < 2 && (sn < -200 || sn > 200)) continue;
      for (int fi = 0; fi < 2; fi++) {
        for (unsigned b = 0; b < sizeof buf; b++) buf[b] = (u8)(lcg() >> 13);
        u32 f;
        mcases[k].fn(n, fins[fi], &f);
        tag(mcases[k].name); h32(n); h16(fins[fi]); h32(fnv(buf, sizeof buf)); h16(f & mcases[k].fmask); nl();
      }
    }
  }
  /* bswap on every register but esp (the ebp operand is static: ebp is repurposed). */
  for (int i = 0; i < NVAL; i++) {
    u32 a = vals[i], b = a ^ 0x5a, c2 = a + 7, d = ~a, s = a * 3, di = a >> 3;
    static u32 bp;
    bp = a << 2;
    __asm__ volatile("push %%ebp\n\tmov %[bp], %%ebp\n\tbswap %%eax\n\tbswap %%ebx\n\tbswap %%ecx\n\t"
      "bswap %%edx\n\tbswap %%esi\n\tbswap %%edi\n\tbswap %%ebp\n\tmov %%ebp, %[bp]\n\tpop %%ebp"
      : "+a" (a), "+b" (b), "+c" (c2), "+d" (d), "+S" (s), "+D" (di), [bp] "+m" (bp));
    tag("bswap"); h32(a); h32(b); h32(c2); h32(d); h32(s); h32(di); h32(bp); nl();
  }
  return finish();
}
