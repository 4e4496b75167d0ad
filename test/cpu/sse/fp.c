/* SSE/SSE2 floating point against the real CPU: scalar ops over all pairs of edge operands
 * (zeros, infinities, QNaN/SNaN payloads, denormals, extremes, inexact values) in every
 * rounding mode and with DAZ|FTZ, the 8 compare predicates, (u)comis flags, min/max,
 * sqrt, packed forms and conversions. Each line: op, mode, operands, result, MXCSR. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <emmintrin.h>
#include <pmmintrin.h>

static const uint32_t F[] = {
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
  0x7f812345, 0xff800001, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x3f800001, 0x4b800001,
  0x3eaaaaab, 0xcf000000, 0x4f000000, 0x0c000000, 0x33800000, 0x40490fdb, 0x00400000, 0xff7fffff,
  0x3f7fffff, 0x00800001, 0x3f000000, 0xcf000001,
};
static const uint64_t D[] = {
  0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
  0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000012345678ull,
  0x7ff0000000000001ull, 0xfff4000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
  0x0010000000000000ull, 0x7fefffffffffffffull, 0x3ff0000000000001ull, 0x4330000000000001ull,
  0x3fd5555555555555ull, 0xc1e0000000000000ull, 0x41e0000000000000ull, 0x41dfffffffc00000ull,
  0x3ca0000000000000ull, 0x400921fb54442d18ull, 0x0008000000000000ull, 0x2000000000000000ull,
  0x41e0000000100000ull, 0xc1e0000000200000ull, 0x3fe0000000000000ull, 0x4004000000000000ull,
  0x3fefffffffffffffull, 0x0010000000000001ull, 0xc1dfffffffe00000ull,
};
#define NF (sizeof F / sizeof F[0])
#define ND (sizeof D / sizeof D[0])
static const unsigned MODES[] = {0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9fc0};

static __m128 fs(uint32_t a) { __m128 r; uint32_t v[4] = {a, 0x11111111, 0x22222222, 0x33333333}; memcpy(&r, v, 16); return r; }
static __m128d fd(uint64_t a) { __m128d r; uint64_t v[2] = {a, 0x4444444455555555ull}; memcpy(&r, v, 16); return r; }
static void ps(const char *op, unsigned m, uint32_t a, uint32_t b, __m128 r) { uint32_t v[4]; memcpy(v, &r, 16); printf("%s %04x %08x %08x %08x %08x %08x\n", op, m, a, b, v[0], v[1], _mm_getcsr()); }
static void pd(const char *op, unsigned m, uint64_t a, uint64_t b, __m128d r) { uint64_t v[2]; memcpy(v, &r, 16); printf("%s %04x %016llx %016llx %016llx %016llx %08x\n", op, m, (unsigned long long)a, (unsigned long long)b, (unsigned long long)v[0], (unsigned long long)v[1], _mm_getcsr()); }

#define SS(name, expr) do { _mm_setcsr(m); __m128 x = fs(F[i]), y = fs(F[j]); __m128 r = expr; (void)y; ps(name, m, F[i], F[j], r); } while (0)
#define SD(name, expr) do { _mm_setcsr(m); __m128d x = fd(D[i]), y = fd(D[j]); __m128d r = expr; (void)y; pd(name, m, D[i], D[j], r); } while (0)

int main(void) {
  for (unsigned k = 0; k < sizeof MODES / sizeof MODES[0]; k++) {
    unsigned m = MODES[k];
    for (unsigned i = 0; i < NF; i++) for (unsigned j = 0; j < NF; j++) {
      SS("addss", _mm_add_ss(x, y)); SS("subss", _mm_sub_ss(x, y)); SS("mulss", _mm_mul_ss(x, y)); SS("divss", _mm_div_ss(x, y));
      if (k == 0 || k == 4) { SS("minss", _mm_min_ss(x, y)); SS("maxss", _mm_max_ss(x, y)); }
      if (k == 0) {
        SS("cmpeqss", _mm_cmpeq_ss(x, y)); SS("cmpltss", _mm_cmplt_ss(x, y)); SS("cmpless", _mm_cmple_ss(x, y)); SS("cmpunordss", _mm_cmpunord_ss(x, y));
        SS("cmpneqss", _mm_cmpneq_ss(x, y)); SS("cmpnltss", _mm_cmpnlt_ss(x, y)); SS("cmpnless", _mm_cmpnle_ss(x, y)); SS("cmpordss", _mm_cmpord_ss(x, y));
        { _mm_setcsr(m); __m128 x = fs(F[i]), y = fs(F[j]); unsigned fl;
          __asm__ volatile("comiss %2, %1; pushf; pop %0" : "=r"(fl) : "x"(x), "x"(y) : "cc"); printf("comiss %08x %08x %03x %08x\n", F[i], F[j], fl & 0x8d5, _mm_getcsr());
          _mm_setcsr(m); __asm__ volatile("ucomiss %2, %1; pushf; pop %0" : "=r"(fl) : "x"(x), "x"(y) : "cc"); printf("ucomiss %08x %08x %03x %08x\n", F[i], F[j], fl & 0x8d5, _mm_getcsr()); }
      }
    }
    for (unsigned i = 0; i < ND; i++) for (unsigned j = 0; j < ND; j++) {
      SD("addsd", _mm_add_sd(x, y)); SD("subsd", _mm_sub_sd(x, y)); SD("mulsd", _mm_mul_sd(x, y)); SD("divsd", _mm_div_sd(x, y));
      if (k == 0 || k == 4) { SD("minsd", _mm_min_sd(x, y)); SD("maxsd", _mm_max_sd(x, y)); }
      if (k == 0) {
        SD("cmpltsd", _mm_cmplt_sd(x, y)); SD("cmpunordsd", _mm_cmpunord_sd(x, y)); SD("cmpnlesd", _mm_cmpnle_sd(x, y)); SD("cmpeqsd", _mm_cmpeq_sd(x, y));
        { _mm_setcsr(m); __m128d x = fd(D[i]), y = fd(D[j]); unsigned fl;
          __asm__ volatile("comisd %2, %1; pushf; pop %0" : "=r"(fl) : "x"(x), "x"(y) : "cc"); printf("comisd %03x %08x\n", fl & 0x8d5, _mm_getcsr());
          _mm_setcsr(m); __asm__ volatile("ucomisd %2, %1; pushf; pop %0" : "=r"(fl) : "x"(x), "x"(y) : "cc"); printf("ucomisd %03x %08x\n", fl & 0x8d5, _mm_getcsr()); }
      }
    }
    for (unsigned i = 0; i < NF; i++) {
      unsigned j = 0;
      SS("sqrtss", _mm_sqrt_ss(x));
      _mm_setcsr(m); { __m128 x = fs(F[i]); int r = _mm_cvtss_si32(x); printf("cvtss2si %04x %08x %08x %08x\n", m, F[i], r, _mm_getcsr()); }
      _mm_setcsr(m); { __m128 x = fs(F[i]); int r = _mm_cvttss_si32(x); printf("cvttss2si %04x %08x %08x %08x\n", m, F[i], r, _mm_getcsr()); }
      _mm_setcsr(m); { __m128 x = fs(F[i]); __m128d r = _mm_cvtss_sd(fd(0), x); pd("cvtss2sd", m, F[i], 0, r); }
      _mm_setcsr(m); { __m128 x = fs(F[i]); __m128i r = _mm_cvtps_epi32(x); uint32_t v[4]; memcpy(v, &r, 16); printf("cvtps2dq %08x %08x %08x\n", v[0], v[1], _mm_getcsr()); }
      (void)j;
    }
    for (unsigned i = 0; i < ND; i++) {
      unsigned j = 0;
      SD("sqrtsd", _mm_sqrt_sd(y, x));
      _mm_setcsr(m); { __m128d x = fd(D[i]); int r = _mm_cvtsd_si32(x); printf("cvtsd2si %04x %016llx %08x %08x\n", m, (unsigned long long)D[i], r, _mm_getcsr()); }
      _mm_setcsr(m); { __m128d x = fd(D[i]); int r = _mm_cvttsd_si32(x); printf("cvttsd2si %08x %08x\n", r, _mm_getcsr()); }
      _mm_setcsr(m); { __m128d x = fd(D[i]); __m128 r = _mm_cvtsd_ss(fs(0), x); ps("cvtsd2ss", m, (uint32_t)D[i], 0, r); }
      _mm_setcsr(m); { __m128d x = fd(D[i]); __m128 r = _mm_cvtpd_ps(x); ps("cvtpd2ps", m, 0, 0, r); }
      _mm_setcsr(m); { __m128d x = fd(D[i]); __m128i r = _mm_cvttpd_epi32(x); uint32_t v[4]; memcpy(v, &r, 16); printf("cvttpd2dq %08x %08x %08x %08x %08x\n", v[0], v[1], v[2], v[3], _mm_getcsr()); }
    }
    static const int I[] = {0, 1, -1, 16777217, -16777217, 2147483647, (int)0x80000000, 123456789, 0x7ffffff1};
    for (unsigned i = 0; i < sizeof I / sizeof I[0]; i++) {
      _mm_setcsr(m); __m128 r = _mm_cvtsi32_ss(fs(0), I[i]); ps("cvtsi2ss", m, I[i], 0, r);
      _mm_setcsr(m); __m128d q = _mm_cvtsi32_sd(fd(0), I[i]); pd("cvtsi2sd", m, I[i], 0, q);
      _mm_setcsr(m); __m128i v = _mm_set_epi32(I[i], -I[i], I[i] + 1, I[i] ^ 0x55); r = _mm_cvtepi32_ps(v); ps("cvtdq2ps", m, I[i], 0, r);
    }
    /* packed forms and SSE3 horizontal ops */
    _mm_setcsr(m);
    __m128 a = _mm_set_ps(1.5f, -0.0f, 3e38f, 1e-40f), b = _mm_set_ps(1e-30f, 7.0f, 3e38f, 2.0f);
    ps("addps", m, 0, 0, _mm_add_ps(a, b)); ps("mulps", m, 0, 0, _mm_mul_ps(a, b)); ps("divps", m, 0, 0, _mm_div_ps(a, b));
    ps("sqrtps", m, 0, 0, _mm_sqrt_ps(b)); ps("maxps", m, 0, 0, _mm_max_ps(a, b)); ps("hadd", m, 0, 0, _mm_hadd_ps(a, b));
    ps("addsub", m, 0, 0, _mm_addsub_ps(a, b)); ps("shufps", m, 0, 0, _mm_shuffle_ps(a, b, 0x9c));
    ps("unpcklps", m, 0, 0, _mm_unpacklo_ps(a, b)); ps("unpckhps", m, 0, 0, _mm_unpackhi_ps(a, b));
    printf("movmskps %x\n", _mm_movemask_ps(a));
    __m128d c = _mm_set_pd(-3.25, 1e308), e = _mm_set_pd(0.1, 1e308);
    pd("addpd", m, 0, 0, _mm_add_pd(c, e)); pd("mulpd", m, 0, 0, _mm_mul_pd(c, e)); pd("haddpd", m, 0, 0, _mm_hadd_pd(c, e));
    pd("cvtps2pd", m, 0, 0, _mm_cvtps_pd(a)); pd("shufpd", m, 0, 0, _mm_shuffle_pd(c, e, 1)); pd("andnpd", m, 0, 0, _mm_andnot_pd(c, e));
    printf("movmskpd %x\n", _mm_movemask_pd(c));
  }
  return 0;
}
