/* SSE2 and MMX integer operations and data movement against the real CPU: every packed
 * integer op on edge vectors (saturation bounds, sign bits, zero), shifts by immediates and
 * register counts (0, in range, lane width, huge), shuffles, inserts/extracts, masks, packs,
 * unpacks, movd/movq/movdqa/movdqu/movss/movsd/movlps/movhps..., the MMX forms with the x87
 * tag word and TOP after MMX instructions and EMMS, and popcnt. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <emmintrin.h>
#include <pmmintrin.h>
#include <mmintrin.h>
#include <xmmintrin.h>

static const uint8_t V[][16] = {
  {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x81, 0x7e, 0x00, 0x80, 0xff, 0x7f, 0x40, 0xc0, 0x01, 0xaa},
  {0xff, 0xff, 0x7f, 0x80, 0x01, 0x00, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff},
  {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21},
  {0xff, 0x7f, 0x00, 0x80, 0x01, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x80},
  {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
};
#define NV (sizeof V / sizeof V[0])

static void px(const char *op, __m128i r) { uint8_t b[16]; memcpy(b, &r, 16); printf("%s", op); for (int i = 15; i >= 0; i--) printf("%s%02x", i % 4 == 3 ? " " : "", b[i]); printf("\n"); }
static void pm(const char *op, __m64 r) { uint64_t v; memcpy(&v, &r, 8); printf("%s %016llx\n", op, (unsigned long long)v); }
static __m128i ld(int i) { __m128i r; memcpy(&r, V[i], 16); return r; }
static __m64 ldm(int i, int h) { __m64 r; memcpy(&r, V[i] + 8 * h, 8); return r; }

#define B2(name, f) px(name, f(a, b))
#define M2(name, f) pm(name, f(c, d))

int main(void) {
  for (unsigned i = 0; i < NV; i++) for (unsigned j = 0; j < NV; j++) {
    __m128i a = ld(i), b = ld(j);
    printf("pair %u %u\n", i, j);
    B2("paddb", _mm_add_epi8); B2("paddw", _mm_add_epi16); B2("paddd", _mm_add_epi32); B2("paddq", _mm_add_epi64);
    B2("psubb", _mm_sub_epi8); B2("psubw", _mm_sub_epi16); B2("psubd", _mm_sub_epi32); B2("psubq", _mm_sub_epi64);
    B2("paddsb", _mm_adds_epi8); B2("paddsw", _mm_adds_epi16); B2("paddusb", _mm_adds_epu8); B2("paddusw", _mm_adds_epu16);
    B2("psubsb", _mm_subs_epi8); B2("psubsw", _mm_subs_epi16); B2("psubusb", _mm_subs_epu8); B2("psubusw", _mm_subs_epu16);
    B2("pcmpeqb", _mm_cmpeq_epi8); B2("pcmpeqw", _mm_cmpeq_epi16); B2("pcmpeqd", _mm_cmpeq_epi32);
    B2("pcmpgtb", _mm_cmpgt_epi8); B2("pcmpgtw", _mm_cmpgt_epi16); B2("pcmpgtd", _mm_cmpgt_epi32);
    B2("pand", _mm_and_si128); B2("pandn", _mm_andnot_si128); B2("por", _mm_or_si128); B2("pxor", _mm_xor_si128);
    B2("pmullw", _mm_mullo_epi16); B2("pmulhw", _mm_mulhi_epi16); B2("pmulhuw", _mm_mulhi_epu16); B2("pmuludq", _mm_mul_epu32);
    B2("pmaddwd", _mm_madd_epi16); B2("pavgb", _mm_avg_epu8); B2("pavgw", _mm_avg_epu16);
    B2("pminub", _mm_min_epu8); B2("pmaxub", _mm_max_epu8); B2("pminsw", _mm_min_epi16); B2("pmaxsw", _mm_max_epi16);
    B2("psadbw", _mm_sad_epu8); B2("packsswb", _mm_packs_epi16); B2("packssdw", _mm_packs_epi32); B2("packuswb", _mm_packus_epi16);
    B2("punpcklbw", _mm_unpacklo_epi8); B2("punpcklwd", _mm_unpacklo_epi16); B2("punpckldq", _mm_unpacklo_epi32); B2("punpcklqdq", _mm_unpacklo_epi64);
    B2("punpckhbw", _mm_unpackhi_epi8); B2("punpckhwd", _mm_unpackhi_epi16); B2("punpckhdq", _mm_unpackhi_epi32); B2("punpckhqdq", _mm_unpackhi_epi64);
    __m64 c = ldm(i, 0), d = ldm(j, 1);
    M2("mmx paddb", _mm_add_pi8); M2("mmx paddsw", _mm_adds_pi16); M2("mmx psubusb", _mm_subs_pu8); M2("mmx pcmpgtd", _mm_cmpgt_pi32);
    M2("mmx pmaddwd", _mm_madd_pi16); M2("mmx packsswb", _mm_packs_pi16); M2("mmx punpcklbw", _mm_unpacklo_pi8); M2("mmx punpckhdq", _mm_unpackhi_pi32);
    M2("mmx pavgb", _mm_avg_pu8); M2("mmx psadbw", _mm_sad_pu8); M2("mmx pmulhuw", _mm_mulhi_pu16); M2("mmx pxor", _mm_xor_si64);
    M2("mmx pmullw", _mm_mullo_pi16); M2("mmx paddq", _mm_add_si64); M2("mmx pmuludq", _mm_mul_su32);
    _mm_empty();
  }
  for (unsigned i = 0; i < NV; i++) {
    __m128i a = ld(i);
    static const unsigned char counts[] = {0, 1, 7, 15, 16, 31, 32, 63, 64, 200};
    for (unsigned k = 0; k < sizeof counts; k++) {
      __m128i n = _mm_set_epi32(0, 0, 0, counts[k]);
      printf("count %u\n", counts[k]);
      px("psllw", _mm_sll_epi16(a, n)); px("pslld", _mm_sll_epi32(a, n)); px("psllq", _mm_sll_epi64(a, n));
      px("psrlw", _mm_srl_epi16(a, n)); px("psrld", _mm_srl_epi32(a, n)); px("psrlq", _mm_srl_epi64(a, n));
      px("psraw", _mm_sra_epi16(a, n)); px("psrad", _mm_sra_epi32(a, n));
    }
    __m128i huge = _mm_set_epi32(0, 1, 0, 3);
    px("psrlw huge", _mm_srl_epi16(a, huge)); px("psrad huge", _mm_sra_epi32(a, huge));
    px("psllw 3", _mm_slli_epi16(a, 3)); px("pslld 17", _mm_slli_epi32(a, 17)); px("psllq 40", _mm_slli_epi64(a, 40));
    px("psrlw 15", _mm_srli_epi16(a, 15)); px("psrld 31", _mm_srli_epi32(a, 31)); px("psrlq 1", _mm_srli_epi64(a, 1));
    px("psraw 20", _mm_srai_epi16(a, 20)); px("psrad 5", _mm_srai_epi32(a, 5));
    px("pslldq 3", _mm_slli_si128(a, 3)); px("psrldq 13", _mm_srli_si128(a, 13)); px("pslldq 16", _mm_slli_si128(a, 16));
    px("pshufd", _mm_shuffle_epi32(a, 0x1b)); px("pshufhw", _mm_shufflehi_epi16(a, 0xc6)); px("pshuflw", _mm_shufflelo_epi16(a, 0x39));
    px("pinsrw", _mm_insert_epi16(a, 0xbeef, 5)); printf("pextrw %x\n", _mm_extract_epi16(a, 7));
    printf("pmovmskb %x\n", _mm_movemask_epi8(a));
    __m64 c = ldm(i, 0);
    pm("mmx psllw 5", _mm_slli_pi16(c, 5)); pm("mmx psrad 9", _mm_srai_pi32(c, 9)); pm("mmx psrlq 63", _mm_srli_si64(c, 63));
    pm("mmx pshufw", _mm_shuffle_pi16(c, 0x4e)); pm("mmx pinsrw", _mm_insert_pi16(c, 0x1234, 2)); printf("mmx pextrw %x\n", _mm_extract_pi16(c, 3));
    printf("mmx pmovmskb %x\n", _mm_movemask_pi8(c));
    pm("mmx psll reg", _mm_sll_pi16(c, _mm_cvtsi32_si64(4)));
    _mm_empty();
  }
  /* moves: memory at odd offsets for the unaligned forms, scalar loads clear the rest */
  static uint8_t mem[64] __attribute__((aligned(16)));
  for (int i = 0; i < 64; i++) mem[i] = i * 7 + 1;
  __m128i x;
  __asm__ volatile("movdqu 3(%1), %0" : "=x"(x) : "r"(mem)); px("movdqu", x);
  __asm__ volatile("movdqa 16(%1), %0" : "=x"(x) : "r"(mem)); px("movdqa", x);
  __asm__ volatile("pcmpeqb %0, %0; movss 5(%1), %0" : "=x"(x) : "r"(mem)); px("movss load", x);
  __asm__ volatile("pcmpeqb %0, %0; movsd 5(%1), %0" : "=x"(x) : "r"(mem)); px("movsd load", x);
  __asm__ volatile("pcmpeqb %0, %0; movq 9(%1), %0" : "=x"(x) : "r"(mem)); px("movq load", x);
  __asm__ volatile("pcmpeqb %0, %0; movd 9(%1), %0" : "=x"(x) : "r"(mem)); px("movd load", x);
  __asm__ volatile("pcmpeqb %0, %0; movlps 9(%1), %0" : "=x"(x) : "r"(mem)); px("movlps load", x);
  __asm__ volatile("pcmpeqb %0, %0; movhps 9(%1), %0" : "=x"(x) : "r"(mem)); px("movhps load", x);
  __asm__ volatile("pcmpeqb %0, %0; movhpd 9(%1), %0" : "=x"(x) : "r"(mem)); px("movhpd load", x);
  __asm__ volatile("movdqa 16(%1), %0; movddup 1(%1), %0" : "=x"(x) : "r"(mem)); px("movddup", x);
  __asm__ volatile("movsldup 32(%1), %0" : "=x"(x) : "r"(mem)); px("movsldup", x);
  __asm__ volatile("movshdup 32(%1), %0" : "=x"(x) : "r"(mem)); px("movshdup", x);
  __asm__ volatile("lddqu 7(%1), %0" : "=x"(x) : "r"(mem)); px("lddqu", x);
  { __m128i y; __asm__ volatile("movdqa 16(%2), %0; pcmpeqb %1, %1; movss %0, %1" : "=x"(x), "=x"(y) : "r"(mem)); px("movss reg", y);
    __asm__ volatile("movdqa 16(%2), %0; pcmpeqb %1, %1; movsd %0, %1" : "=x"(x), "=x"(y) : "r"(mem)); px("movsd reg", y);
    __asm__ volatile("movdqa 16(%2), %0; pcmpeqb %1, %1; movhlps %0, %1" : "=x"(x), "=x"(y) : "r"(mem)); px("movhlps", y);
    __asm__ volatile("movdqa 16(%2), %0; pcmpeqb %1, %1; movlhps %0, %1" : "=x"(x), "=x"(y) : "r"(mem)); px("movlhps", y);
    __asm__ volatile("movdqa 16(%2), %0; pcmpeqb %1, %1; movq %0, %1" : "=x"(x), "=x"(y) : "r"(mem)); px("movq reg", y); }
  uint8_t out[48]; memset(out, 0xee, sizeof out);
  x = ld(2);
  __asm__ volatile("movups %1, 1(%0); movss %1, 20(%0); movsd %1, 26(%0); movhps %1, 36(%0); movd %1, 44(%0)" :: "r"(out), "x"(x) : "memory");
  for (int i = 0; i < 48; i++) printf("%02x", out[i]);
  printf("\n");
  { int r; __asm__ volatile("movd %1, %0" : "=r"(r) : "x"(x)); printf("movd r32 %x\n", r); }
  /* popcnt */
  static const unsigned P[] = {0, 1, 0xffffffff, 0x80000000, 0x12345678};
  for (unsigned i = 0; i < 5; i++) { unsigned r, fl; __asm__ volatile("popcnt %2, %0; pushf; pop %1" : "=r"(r), "=r"(fl) : "r"(P[i]) : "cc"); printf("popcnt %u %03x\n", r, fl & 0x8d5); }
  /* MMX aliasing: x87 tag word and TOP after an MMX write, after EMMS, and the value seen as an x87 register */
  { uint32_t env[7]; uint8_t st[10]; __m64 v = ldm(2, 0);
    __asm__ volatile("fld1; fld1; movq %2, %%mm1; fnstenv %0; fstpt %1" : "=m"(env), "=m"(st) : "m"(v) : "memory", "st", "st(1)", "mm1");
    printf("after mmx: sw %04x tag %04x st0", env[1] & 0xffff, env[2] & 0xffff); for (int i = 9; i >= 0; i--) printf("%02x", st[i]); printf("\n");
    __asm__ volatile("emms; fnstenv %0" : "=m"(env) :: "memory");
    printf("after emms: sw %04x tag %04x\n", env[1] & 0xffff, env[2] & 0xffff);
  }
  return 0;
}
