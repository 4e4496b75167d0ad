/* SSE4.2 string compares (66 0F 3A 60-63: pcmpestrm, pcmpestri, pcmpistrm, pcmpistri)
 * against the real CPU: every imm8 (bits 0-6: byte/word, signed/unsigned, equal any,
 * ranges, equal each, equal ordered, the four polarities, least/most significant index,
 * bit/element mask; and bit 7, ignored) on vector pairs with zero elements at several
 * places, sign-sensitive values and needles that match partially at the end; the explicit
 * lengths at their edges (0, 15-17, negative, INT_MIN, INT_MAX); register and memory
 * forms. Each prints ECX or XMM0 and the flags OF SF ZF AF PF CF. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <smmintrin.h>

static __m128i a_g, b_g, x0_g;
static uint32_t ecx_g, fl_g, eax_g, edx_g;
static const __m128i junk = {0x5555555555555555ll, 0x6666666666666666ll};

/* One function per instruction and operand form: a switch over the 256 imm8 values. */
#define IDX_M(ins, imm) case imm: __asm__ volatile("movdqu %[a], %%xmm1; movl %[ea], %%eax; movl %[ed], %%edx; movl $0x77777777, %%ecx; " \
    ins " %[i], %[b], %%xmm1; pushfl; popl %[f]; movl %%ecx, %[c]" \
    : [f] "=r"(fl_g), [c] "=m"(ecx_g) : [a] "m"(a_g), [b] "m"(b_g), [i] "i"(imm), [ea] "m"(eax_g), [ed] "m"(edx_g) : "eax", "ecx", "edx", "xmm1", "cc"); break;
#define IDX_R(ins, imm) case imm: __asm__ volatile("movdqu %[a], %%xmm1; movl %[ea], %%eax; movl %[ed], %%edx; movl $0x77777777, %%ecx; " \
    ins " %[i], %[b], %%xmm1; pushfl; popl %[f]; movl %%ecx, %[c]" \
    : [f] "=r"(fl_g), [c] "=m"(ecx_g) : [a] "m"(a_g), [b] "x"(b_g), [i] "i"(imm), [ea] "m"(eax_g), [ed] "m"(edx_g) : "eax", "ecx", "edx", "xmm1", "cc"); break;
#define MSK_M(ins, imm) case imm: __asm__ volatile("movdqu %[a], %%xmm1; movdqu %[j], %%xmm0; movl %[ea], %%eax; movl %[ed], %%edx; " \
    ins " %[i], %[b], %%xmm1; pushfl; popl %[f]; movdqu %%xmm0, %[x]" \
    : [f] "=r"(fl_g), [x] "=m"(x0_g) : [a] "m"(a_g), [b] "m"(b_g), [i] "i"(imm), [ea] "m"(eax_g), [ed] "m"(edx_g), [j] "m"(junk) : "eax", "edx", "xmm0", "xmm1", "cc"); break;
#define MSK_R(ins, imm) case imm: __asm__ volatile("movdqu %[a], %%xmm1; movdqu %[j], %%xmm0; movl %[ea], %%eax; movl %[ed], %%edx; " \
    ins " %[i], %[b], %%xmm1; pushfl; popl %[f]; movdqu %%xmm0, %[x]" \
    : [f] "=r"(fl_g), [x] "=m"(x0_g) : [a] "m"(a_g), [b] "x"(b_g), [i] "i"(imm), [ea] "m"(eax_g), [ed] "m"(edx_g), [j] "m"(junk) : "eax", "edx", "xmm0", "xmm1", "cc"); break;
#define R4(F, ins, b) F(ins, b) F(ins, b + 1) F(ins, b + 2) F(ins, b + 3)
#define R16(F, ins, b) R4(F, ins, b) R4(F, ins, b + 4) R4(F, ins, b + 8) R4(F, ins, b + 12)
#define R64(F, ins, b) R16(F, ins, b) R16(F, ins, b + 16) R16(F, ins, b + 32) R16(F, ins, b + 48)
#define R256(F, ins) R64(F, ins, 0) R64(F, ins, 64) R64(F, ins, 128) R64(F, ins, 192)
static void istri_m(unsigned imm) { switch (imm) { R256(IDX_M, "pcmpistri") } }
static void istri_r(unsigned imm) { switch (imm) { R256(IDX_R, "pcmpistri") } }
static void estri_m(unsigned imm) { switch (imm) { R256(IDX_M, "pcmpestri") } }
static void estri_r(unsigned imm) { switch (imm) { R256(IDX_R, "pcmpestri") } }
static void istrm_m(unsigned imm) { switch (imm) { R256(MSK_M, "pcmpistrm") } }
static void istrm_r(unsigned imm) { switch (imm) { R256(MSK_R, "pcmpistrm") } }
static void estrm_m(unsigned imm) { switch (imm) { R256(MSK_M, "pcmpestrm") } }
static void estrm_r(unsigned imm) { switch (imm) { R256(MSK_R, "pcmpestrm") } }

static const uint8_t V[][16] = {
  "hello, world!!!", "world", "lo", "o, w", "az09AZ", "\x80\xff\x7f\x01\x81\xfe\x00", "abcabcabcabcabca",
  "cab", "bca", "abcabcabcabcabcd", {0x41, 0, 0x42, 0, 0x43, 0, 0, 0, 0x41, 0x80, 0xff, 0x7f, 0, 0x80, 1, 2},
  {0x30, 0x39, 0x61, 0x7a, 0x80, 0xfe, 0x05, 0x80, 0xff, 0x7f, 1, 0x80, 0x41, 0x5a, 0x7f, 0x81},
  {0x00, 0x80, 0xff, 0x7f, 0x01, 0x81, 0xfe, 0x80, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07},
  "", "ab\0abcd\0\0abc", "ddddddddddddddd", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
  {15, 16}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
};
#define NV (sizeof V / sizeof V[0])
static const int32_t LEN[] = {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, -1, -2, -8, -9, -16, -17, 0x7fffffff, (int32_t)0x80000000, 100, -100};
#define NL (sizeof LEN / sizeof LEN[0])

static void fl(void) { printf(" fl %03x", fl_g & 0x8d5); }
static void x0(void) { uint32_t w[4]; memcpy(w, &x0_g, 16); printf(" xmm0 %08x %08x %08x %08x", w[3], w[2], w[1], w[0]); }

static void all(unsigned imm, int form) {
  if (form) istri_r(imm); else istri_m(imm);
  printf("istri %02x %d ecx %08x", imm, form, ecx_g); fl();
  if (form) istrm_r(imm); else istrm_m(imm);
  printf(" | istrm"); x0(); fl(); printf("\n");
  if (form) estri_r(imm); else estri_m(imm);
  printf("estri %02x %d %d %d ecx %08x", imm, form, (int)eax_g, (int)edx_g, ecx_g); fl();
  if (form) estrm_r(imm); else estrm_m(imm);
  printf(" | estrm"); x0(); fl(); printf("\n");
}

int main(void) {
  /* every imm8 on pairs of vectors, explicit lengths cycling through the edges */
  unsigned k = 0;
  for (unsigned i = 0; i < NV; i++) for (unsigned j = 0; j < NV; j += (i % 3) + 1) {
    memcpy(&a_g, V[j], 16); memcpy(&b_g, V[i], 16);
    printf("pair %u %u\n", i, j);
    for (unsigned imm = 0; imm < 128; imm++) {
      eax_g = LEN[k % NL]; edx_g = LEN[(k / NL + 3 * k) % NL]; k++;
      all(imm, (i + j + imm) & 1);
    }
    all(0x80 | (i * 7 + j), 0); all(0xff, 1);
  }
  /* every pair of explicit lengths for one mode of each aggregation */
  static const unsigned MODES[] = {0x00, 0x04, 0x08, 0x0c, 0x39, 0x7d, 0x32, 0x5e};
  memcpy(&a_g, V[6], 16); memcpy(&b_g, V[9], 16);
  for (unsigned m = 0; m < sizeof MODES / sizeof MODES[0]; m++) for (unsigned x = 0; x < NL; x++) for (unsigned y = 0; y < NL; y++) {
    eax_g = LEN[x]; edx_g = LEN[y];
    all(MODES[m], (x + y) & 1);
  }
  return 0;
}
