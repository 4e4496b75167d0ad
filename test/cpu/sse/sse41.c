/* SSE4.1/SSE4.2 (0F 38 / 0F 3A, 66 and F2 prefixes) against the real CPU: blends (immediate
 * and XMM0-selected), ptest flags, sign/zero extension from registers and memory, 64-bit
 * compares, packusdw, min/max, pmulld/pmuldq, phminposuw, mpsadbw, inserts/extracts,
 * round* in every mode (with NaN payloads, denormals, DAZ, -0 results, PE suppression)
 * and crc32 of bytes, words and dwords. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <nmmintrin.h>

static const uint8_t V[][16] = {
  {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x7e, 0x00, 0x80, 0xff, 0x7f, 0x40, 0xc0, 0x01, 0xaa},
  {0xff, 0xff, 0x7f, 0x80, 0x01, 0x00, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff},
  {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21},
  {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};
#define NV (sizeof V / sizeof V[0])
static void px(const char *op, __m128i r) { uint8_t b[16]; memcpy(b, &r, 16); printf("%s", op); for (int i = 15; i >= 0; i--) printf("%s%02x", i % 4 == 3 ? " " : "", b[i]); printf("\n"); }
static __m128i ld(int i) { __m128i r; memcpy(&r, V[i], 16); return r; }
#define P(name, e) px(name, e)
#define PS(name, e) px(name, _mm_castps_si128(e))
#define PD(name, e) px(name, _mm_castpd_si128(e))

int main(void) {
  for (unsigned i = 0; i < NV; i++) for (unsigned j = 0; j < NV; j++) {
    __m128i a = ld(i), b = ld(j), m = ld((i + j) % NV);
    printf("pair %u %u\n", i, j);
    P("pblendvb", _mm_blendv_epi8(a, b, m)); PS("blendvps", _mm_blendv_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), _mm_castsi128_ps(m)));
    PD("blendvpd", _mm_blendv_pd(_mm_castsi128_pd(a), _mm_castsi128_pd(b), _mm_castsi128_pd(m)));
    P("pblendw", _mm_blend_epi16(a, b, 0xa5)); PS("blendps", _mm_blend_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), 6));
    PD("blendpd", _mm_blend_pd(_mm_castsi128_pd(a), _mm_castsi128_pd(b), 2));
    printf("ptest z %d c %d nzc %d\n", _mm_testz_si128(a, b), _mm_testc_si128(a, b), _mm_testnzc_si128(a, b));
    P("pmuldq", _mm_mul_epi32(a, b)); P("pmulld", _mm_mullo_epi32(a, b)); P("pcmpeqq", _mm_cmpeq_epi64(a, b)); P("pcmpgtq", _mm_cmpgt_epi64(a, b));
    P("packusdw", _mm_packus_epi32(a, b));
    P("pminsb", _mm_min_epi8(a, b)); P("pminsd", _mm_min_epi32(a, b)); P("pminuw", _mm_min_epu16(a, b)); P("pminud", _mm_min_epu32(a, b));
    P("pmaxsb", _mm_max_epi8(a, b)); P("pmaxsd", _mm_max_epi32(a, b)); P("pmaxuw", _mm_max_epu16(a, b)); P("pmaxud", _mm_max_epu32(a, b));
    P("mpsadbw 0", _mm_mpsadbw_epu8(a, b, 0)); P("mpsadbw 7", _mm_mpsadbw_epu8(a, b, 7)); P("mpsadbw 2", _mm_mpsadbw_epu8(a, b, 2));
    PS("insertps", _mm_insert_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), 0x9a)); PS("insertps2", _mm_insert_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(b), 0x30));
  }
  for (unsigned i = 0; i < NV; i++) {
    __m128i a = ld(i);
    P("pmovsxbw", _mm_cvtepi8_epi16(a)); P("pmovsxbd", _mm_cvtepi8_epi32(a)); P("pmovsxbq", _mm_cvtepi8_epi64(a));
    P("pmovsxwd", _mm_cvtepi16_epi32(a)); P("pmovsxwq", _mm_cvtepi16_epi64(a)); P("pmovsxdq", _mm_cvtepi32_epi64(a));
    P("pmovzxbw", _mm_cvtepu8_epi16(a)); P("pmovzxbd", _mm_cvtepu8_epi32(a)); P("pmovzxbq", _mm_cvtepu8_epi64(a));
    P("pmovzxwd", _mm_cvtepu16_epi32(a)); P("pmovzxwq", _mm_cvtepu16_epi64(a)); P("pmovzxdq", _mm_cvtepu32_epi64(a));
    __m128i x;
    __asm__ volatile("pmovsxbq 3(%1), %0" : "=x"(x) : "r"(V[i])); P("pmovsxbq mem", x);
    __asm__ volatile("pmovzxwd 5(%1), %0" : "=x"(x) : "r"(V[i])); P("pmovzxwd mem", x);
    P("phminposuw", _mm_minpos_epu16(a));
    printf("pextrb %x pextrw %x pextrd %x extractps %x\n", _mm_extract_epi8(a, 13), _mm_extract_epi16(a, 6), _mm_extract_epi32(a, 3), _mm_extract_ps(_mm_castsi128_ps(a), 1));
    P("pinsrb", _mm_insert_epi8(a, 0xab, 9)); P("pinsrd", _mm_insert_epi32(a, 0xdeadbeef, 2));
    unsigned c = 0xffffffff;
    c = _mm_crc32_u8(c, V[i][0]); c = _mm_crc32_u16(c, V[i][1] | V[i][2] << 8); c = _mm_crc32_u32(c, *(const uint32_t *)&V[i][4]);
    printf("crc32 %08x\n", c);
  }
  static const uint32_t F[] = {0x3fc00000, 0xbfc00000, 0x40200000, 0x40600000, 0xbf000000, 0x3f000001, 0x00000001, 0x80000001,
    0x7fc00001, 0x7f800001, 0xff800000, 0x4b000001, 0xcb7fffff, 0x80000000, 0x3eaaaaab, 0xbeaaaaab};
  static const uint64_t D[] = {0x3ff8000000000000ull, 0xc004000000000000ull, 0xbfe0000000000000ull, 0x3fe0000000000001ull,
    0x0000000000000001ull, 0x7ff0000000000001ull, 0xfff8000000000123ull, 0x4330000000000001ull, 0xc32fffffffffffffull, 0x8000000000000000ull};
  static const unsigned CSR[] = {0x1f80, 0x7f80, 0x1fc0};
  for (unsigned k = 0; k < 3; k++) for (unsigned f = 0; f < sizeof F / 4; f++) {
    __m128 v; uint32_t w[4] = {F[f], F[(f + 1) % 16], F[(f + 5) % 16], F[(f + 9) % 16]}; memcpy(&v, w, 16);
    __m128d dv; uint64_t dw[2] = {D[f % 10], D[(f + 3) % 10]}; memcpy(&dv, dw, 16);
#define R(imm) _mm_setcsr(CSR[k]); PS("roundps " #imm, _mm_round_ps(v, imm)); printf("mxcsr %08x\n", _mm_getcsr()); \
      _mm_setcsr(CSR[k]); PD("roundpd " #imm, _mm_round_pd(dv, imm)); printf("mxcsr %08x\n", _mm_getcsr()); \
      _mm_setcsr(CSR[k]); PS("roundss " #imm, _mm_round_ss(v, v, imm)); PD("roundsd " #imm, _mm_round_sd(dv, dv, imm)); printf("mxcsr %08x\n", _mm_getcsr());
    R(0) R(1) R(2) R(3) R(4) R(8) R(9) R(12)
  }
  return 0;
}
