/* SSE4.1 dpps/dppd (66 0F 3A 40/41) against the real CPU: every imm8 on ordinary vectors,
 * then edge operands (zeros of both signs, infinities, QNaN/SNaN payloads, denormals,
 * products that overflow or underflow, sums that cancel or round) under every rounding
 * mode and DAZ|FTZ, with MXCSR's flags after each; the memory form; and an unmasked
 * exception (SIGFPE, destination unchanged). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <setjmp.h>
#include <ucontext.h>
#include <smmintrin.h>

static __m128 a_g, b_g, r_g;
static __m128d ad_g, bd_g, rd_g;
static __attribute__((aligned(16))) uint32_t mem_g[4];

#define DPPS(imm) case imm: __asm__ volatile("movaps %1, %%xmm0; dpps %2, %3, %%xmm0; movaps %%xmm0, %0" : "=m"(r_g) : "m"(a_g), "i"(imm), "x"(b_g) : "xmm0"); break;
#define DPPD(imm) case imm: __asm__ volatile("movapd %1, %%xmm0; dppd %2, %3, %%xmm0; movapd %%xmm0, %0" : "=m"(rd_g) : "m"(ad_g), "i"(imm), "x"(bd_g) : "xmm0"); break;
#define R4(F, b) F(b) F(b + 1) F(b + 2) F(b + 3)
#define R16(F, b) R4(F, b) R4(F, b + 4) R4(F, b + 8) R4(F, b + 12)
#define R64(F, b) R16(F, b) R16(F, b + 16) R16(F, b + 32) R16(F, b + 48)
#define R256(F) R64(F, 0) R64(F, 64) R64(F, 128) R64(F, 192)
static void dpps(unsigned imm) { switch (imm) { R256(DPPS) } }
static void dppd(unsigned imm) { switch (imm) { R256(DPPD) } }

static void ps(const char *op, unsigned imm, __m128 v) { uint32_t w[4]; memcpy(w, &v, 16); printf("%s %02x %08x %08x %08x %08x mxcsr %04x\n", op, imm, w[3], w[2], w[1], w[0], _mm_getcsr()); }
static void pd(const char *op, unsigned imm, __m128d v) { uint64_t w[2]; memcpy(w, &v, 16); printf("%s %02x %016llx %016llx mxcsr %04x\n", op, imm, (unsigned long long)w[1], (unsigned long long)w[0], _mm_getcsr()); }
static __m128 vs(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { uint32_t w[4] = {a, b, c, d}; __m128 v; memcpy(&v, w, 16); return v; }
static __m128d vd(uint64_t a, uint64_t b) { uint64_t w[2] = {a, b}; __m128d v; memcpy(&v, w, 16); return v; }

static const uint32_t F[] = {
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000, 0x3eaaaaab, 0x7f7fffff,
  0x5f000000, 0x1e000000, 0x00000001, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00001, 0xffc12345,
  0x7f800123, 0xff812345, 0x33800001, 0xcb800001, 0x4b800001, 0x20000000, 0x00800000, 0x3f7fffff,
};
#define NF (sizeof F / sizeof F[0])
static const uint64_t D[] = {
  0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull, 0x3ff8000000000000ull, 0x3fd5555555555555ull,
  0x7fefffffffffffffull, 0x5ff0000000000000ull, 0x1ff0000000000000ull, 0x0000000000000001ull, 0x800fffffffffffffull,
  0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000001ull, 0xfff8000000012345ull, 0x7ff0000000000123ull,
  0xfff0000000012345ull, 0x3ca0000000000001ull, 0xc340000000000001ull, 0x4340000000000001ull, 0x0010000000000000ull,
};
#define ND (sizeof D / sizeof D[0])
static const unsigned CSR[] = {0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9fc0, 0x1fc0, 0x9f80};
static const unsigned IMMS[] = {0xff, 0xf1, 0x1f, 0x33, 0x3c, 0xc3, 0x5a, 0xa5, 0x0f, 0xf0, 0x71, 0xe8};

static sigjmp_buf jb;
/* The handler prints XMM1 (the destination) from the signal frame's FXSAVE image: unchanged. */
static void onfpe(int sig, siginfo_t *si, void *ctx) {
  uint32_t w[4], mx; const uint8_t *fp = (const uint8_t *)((ucontext_t *)ctx)->uc_mcontext.fpregs;
  memcpy(w, fp + 112 + 160 + 16, 16); memcpy(&mx, fp + 112 + 24, 4);
  printf("signal %d code %d xmm1 %08x %08x %08x %08x mxcsr %04x\n", sig, si->si_code, w[3], w[2], w[1], w[0], mx);
  siglongjmp(jb, 1);
}

int main(void) {
  uint32_t lcg = 12345;
  /* every imm8 on ordinary values (exact and inexact sums) */
  for (unsigned k = 0; k < 3; k++) {
    uint32_t w[8];
    for (int i = 0; i < 8; i++) { lcg = lcg * 1103515245 + 12345; w[i] = 0x3c000000 + (lcg >> 7) % 0x06000000; if (lcg & 0x100) w[i] |= 0x80000000; }
    for (unsigned imm = 0; imm < 256; imm++) {
      a_g = vs(w[0], w[1], w[2], w[3]); b_g = vs(w[4], w[5], w[6], w[7]);
      _mm_setcsr(0x1f80); dpps(imm); ps("dpps", imm, r_g);
      ad_g = vd((uint64_t)w[0] << 32 | w[1], (uint64_t)w[2] << 29 | w[3]); bd_g = vd((uint64_t)w[4] << 32 | w[5], (uint64_t)w[6] << 29 | w[7]);
      _mm_setcsr(0x1f80); dppd(imm); pd("dppd", imm, rd_g);
    }
  }
  /* edge operands in every mode */
  for (unsigned m = 0; m < sizeof CSR / sizeof CSR[0]; m++)
    for (unsigned i = 0; i < NF; i++) for (unsigned j = 0; j < NF; j += 3) for (unsigned t = 0; t < sizeof IMMS / sizeof IMMS[0]; t++) {
      unsigned imm = IMMS[t];
      a_g = vs(F[i], F[(i + j) % NF], F[(i + 5) % NF], F[(j + 7) % NF]);
      b_g = vs(F[j], F[(i * 3 + 1) % NF], F[(i + j + 2) % NF], F[(i + 11) % NF]);
      _mm_setcsr(CSR[m]); dpps(imm); printf("m %x i %u j %u ", CSR[m], i, j); ps("dpps", imm, r_g);
      if (i < ND && j < ND) {
        ad_g = vd(D[i], D[(i + j) % ND]); bd_g = vd(D[j], D[(i * 3 + 1) % ND]);
        _mm_setcsr(CSR[m]); dppd(imm); printf("m %x i %u j %u ", CSR[m], i, j); pd("dppd", imm, rd_g);
      }
    }
  /* sums that cancel exactly (-0 or +0 by rounding mode) and large + small */
  for (unsigned m = 0; m < 4; m++) {
    a_g = vs(0x3f800000, 0xbf800000, 0x3f800000, 0xbf800000); b_g = vs(0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000);
    _mm_setcsr(CSR[m]); dpps(0xf3); ps("cancel", 0xf3, r_g);
    a_g = vs(0x4b800000, 0x3f800000, 0xcb800000, 0x3f800000); _mm_setcsr(CSR[m]); dpps(0xff); ps("order", 0xff, r_g);
    a_g = vs(0x4b800000, 0xcb800000, 0x3f800000, 0x3f000000); _mm_setcsr(CSR[m]); dpps(0xff); ps("order2", 0xff, r_g);
    ad_g = vd(0x3ff0000000000000ull, 0xbff0000000000000ull); bd_g = vd(0x3ff0000000000000ull, 0x3ff0000000000000ull);
    _mm_setcsr(CSR[m]); dppd(0x33); pd("cancel", 0x33, rd_g);
  }
  /* the memory form */
  memcpy(mem_g, (uint32_t[]){0x3f800000, 0x40000000, 0x40400000, 0x40800000}, 16);
  _mm_setcsr(0x1f80);
  __asm__ volatile("movaps %1, %%xmm0; dpps $0xf1, %2, %%xmm0; movaps %%xmm0, %0" : "=m"(r_g) : "m"(a_g), "m"(mem_g) : "xmm0");
  ps("dpps mem", 0xf1, r_g);
  __asm__ volatile("movapd %1, %%xmm0; dppd $0x31, %2, %%xmm0; movapd %%xmm0, %0" : "=m"(rd_g) : "m"(ad_g), "m"(mem_g) : "xmm0");
  pd("dppd mem", 0x31, rd_g);
  /* unmasked exceptions: SIGFPE before the destination is written */
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = onfpe; sa.sa_flags = SA_SIGINFO | SA_NODEFER; sigaction(SIGFPE, &sa, 0);
  static const unsigned UNMASK[] = {0x1f00, 0x1e80, 0x1780, 0x1b80, 0x0f80, 0x1d80};
  for (unsigned u = 0; u < 6; u++) for (unsigned i = 0; i < NF; i += 2) {
    a_g = vs(F[i], F[(i + 7) % NF], F[(i + 1) % NF], F[(i + 9) % NF]); b_g = vs(F[(i + 3) % NF], F[(i + 8) % NF], F[i], F[(i + 5) % NF]);
    __m128 keep = vs(0x11111111, 0x22222222, 0x33333333, 0x44444444);
    r_g = keep;
    if (sigsetjmp(jb, 1) == 0) {
      _mm_setcsr(UNMASK[u]);
      __asm__ volatile("movaps %1, %%xmm0; movaps %2, %%xmm1; dpps $0xff, %3, %%xmm1; movaps %%xmm1, %0" : "+m"(r_g) : "m"(a_g), "m"(keep), "x"(b_g) : "xmm0", "xmm1");
      printf("no signal ");
    }
    ps("unmasked", UNMASK[u] >> 7 & 0x3f, r_g);
    _mm_setcsr(0x1f80);
  }
  return 0;
}
