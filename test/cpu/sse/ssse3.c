/* SSSE3 (0F 38 / 0F 3A) against the real CPU: pshufb, phadd/phsub (plain and saturating),
 * pmaddubsw, psign, pmulhrsw, pabs and palignr at every shift, MMX and XMM forms, on edge
 * vectors (sign bits, saturation bounds, -128/-32768/INT_MIN). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <tmmintrin.h>

static const uint8_t V[][16] = {
  {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x7e, 0x00, 0x80, 0xff, 0x7f, 0x40, 0xc0, 0x01, 0xaa},
  {0xff, 0xff, 0x7f, 0x80, 0x01, 0x00, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff},
  {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21},
  {0x8f, 0x03, 0x0e, 0x80, 0x41, 0x8c, 0x07, 0x0f, 0xff, 0x00, 0x0b, 0x7f, 0x00, 0x00, 0x00, 0x80},
  {0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f},
};
#define NV (sizeof V / sizeof V[0])

static void px(const char *op, __m128i r) { uint8_t b[16]; memcpy(b, &r, 16); printf("%s", op); for (int i = 15; i >= 0; i--) printf("%s%02x", i % 4 == 3 ? " " : "", b[i]); printf("\n"); }
static void pm(const char *op, __m64 r) { uint64_t v; memcpy(&v, &r, 8); printf("%s %016llx\n", op, (unsigned long long)v); }
static __m128i ld(int i) { __m128i r; memcpy(&r, V[i], 16); return r; }
static __m64 ldm(int i, int h) { __m64 r; memcpy(&r, V[i] + 8 * h, 8); return r; }

#define ALIGNR(k) px("palignr " #k, _mm_alignr_epi8(a, b, k)); pm("mmx palignr " #k, _mm_alignr_pi8(c, d, k))

int main(void) {
  for (unsigned i = 0; i < NV; i++) for (unsigned j = 0; j < NV; j++) {
    __m128i a = ld(i), b = ld(j);
    __m64 c = ldm(i, 0), d = ldm(j, 1);
    printf("pair %u %u\n", i, j);
    px("pshufb", _mm_shuffle_epi8(a, b)); pm("mmx pshufb", _mm_shuffle_pi8(c, d));
    px("phaddw", _mm_hadd_epi16(a, b)); px("phaddd", _mm_hadd_epi32(a, b)); px("phaddsw", _mm_hadds_epi16(a, b));
    px("phsubw", _mm_hsub_epi16(a, b)); px("phsubd", _mm_hsub_epi32(a, b)); px("phsubsw", _mm_hsubs_epi16(a, b));
    pm("mmx phaddw", _mm_hadd_pi16(c, d)); pm("mmx phsubsw", _mm_hsubs_pi16(c, d)); pm("mmx phaddd", _mm_hadd_pi32(c, d));
    px("pmaddubsw", _mm_maddubs_epi16(a, b)); pm("mmx pmaddubsw", _mm_maddubs_pi16(c, d));
    px("psignb", _mm_sign_epi8(a, b)); px("psignw", _mm_sign_epi16(a, b)); px("psignd", _mm_sign_epi32(a, b));
    pm("mmx psignb", _mm_sign_pi8(c, d));
    px("pmulhrsw", _mm_mulhrs_epi16(a, b)); pm("mmx pmulhrsw", _mm_mulhrs_pi16(c, d));
    px("pabsb", _mm_abs_epi8(b)); px("pabsw", _mm_abs_epi16(b)); px("pabsd", _mm_abs_epi32(b)); pm("mmx pabsw", _mm_abs_pi16(d));
    ALIGNR(0); ALIGNR(1); ALIGNR(5); ALIGNR(8); ALIGNR(15); ALIGNR(16); ALIGNR(17); ALIGNR(31); ALIGNR(32); ALIGNR(255);
    _mm_empty();
  }
  return 0;
}
