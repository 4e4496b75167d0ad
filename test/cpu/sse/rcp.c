/* rcpps/rcpss/rsqrtps/rsqrtss against the real CPU, whose approximation tables are
 * implementation-specific: every one of the 4096 table entries (top 12 significand bits),
 * each with other low bits, at exponents across the range (odd and even for rsqrt, both
 * signs, results at the edge of the normal range), packed, scalar and memory forms; then
 * zeros, denormals (with and without DAZ), infinities, NaN payloads and negatives, with
 * MXCSR after each. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <xmmintrin.h>

static __m128 v(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { uint32_t w[4] = {a, b, c, d}; __m128 r; memcpy(&r, w, 16); return r; }
static void p(__m128 r) { uint32_t w[4]; memcpy(w, &r, 16); printf(" %08x %08x %08x %08x", w[3], w[2], w[1], w[0]); }
static const uint32_t EXP[] = {1, 2, 64, 126, 127, 128, 129, 200, 251, 252, 253, 254};

int main(void) {
  uint32_t lcg = 7;
  for (uint32_t j = 0; j < 4096; j++) {
    printf("%03x", j);
    for (unsigned k = 0; k < sizeof EXP / sizeof EXP[0]; k += 4) {
      uint32_t x[4];
      for (unsigned i = 0; i < 4; i++) { lcg = lcg * 1103515245 + 12345; x[i] = EXP[k + i] << 23 | j << 11 | (lcg >> 8 & 0x7ff) | (i == 3 && j & 1 ? 0x80000000 : 0); }
      __m128 a = v(x[0], x[1], x[2], x[3]);
      p(_mm_rcp_ps(a)); p(_mm_rsqrt_ps(a));
    }
    __m128 s = v(0x3f800000 | j << 11, 0x11111111, 0x22222222, 0x33333333), r = v(0x44444444, 0x55555555, 0x66666666, 0x77777777);
    __m128 t = r;
    __asm__("rcpss %1, %0" : "+x"(t) : "m"(s)); p(t);
    t = r; __asm__("rsqrtss %1, %0" : "+x"(t) : "x"(s)); p(t);
    printf("\n");
  }
  static const uint32_t E[] = {0, 0x80000000, 0x00000001, 0x807fffff, 0x00400000, 0x7f800000, 0xff800000, 0x7f800001, 0xff812345,
    0x7fc00000, 0xffc12345, 0xbf800000, 0x80800000, 0xff7fffff, 0x7e7fffff, 0x7e800000, 0x00800000, 0x00800001};
  for (unsigned m = 0; m < 2; m++) for (unsigned i = 0; i < sizeof E / 4; i += 2) {
    _mm_setcsr(m ? 0x9fc0 : 0x1f80);
    __m128 a = v(E[i], E[i + 1], E[(i + 5) % 18], E[(i + 9) % 18]);
    printf("edge %u %u", m, i); p(_mm_rcp_ps(a)); p(_mm_rsqrt_ps(a)); printf(" mxcsr %04x\n", _mm_getcsr());
  }
  return 0;
}
