/*
 * SSE/SSE2 translated by the JIT (codegen-sse.ts) against the real CPU:
 * - 16-byte loads and stores in hot loops that step across a page taken away (unaligned
 *   movdqu crossing into it: the fault comes before any byte moves), a misaligned movdqa
 *   (#GP: SIGSEGV, SI_KERNEL) whose handler realigns ESI, each handler printing the
 *   registers and XMM state of its ucontext and fixing things so the loop resumes;
 * - the integer SIMD forms the translator emits (logic, compares, pmovmskb, saturating and
 *   wrapping arithmetic, min/max/avg, packs, unpacks, shuffles, byte and lane shifts at
 *   every count class, palignr, pshufb, ptest, movd/movq/movsd/movss/movhpd/movlpd) over
 *   varied data in a hot loop;
 * - scalar and packed float arithmetic, compares and conversions in hot loops over edge
 *   operands (NaN, infinities, denormals, zeros of both signs, overflowing and underflowing
 *   results, out-of-range conversions), with MXCSR's flags read back after each pass, from
 *   PE clear and set, under every rounding mode and DAZ|FTZ, and an unmasked exception in
 *   the middle of a translated loop (SIGFPE; the handler masks it in the frame's MXCSR).
 */
#define _GNU_SOURCE
#include <math.h>
#include <unistd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <smmintrin.h>

static unsigned char *buf;
extern char vload_loop[], vload_end[], vstore_loop[], vstore_end[], valign_loop[], valign_end[];

/* edx = sum of pmovmskb(pcmpeqb(load, 0)) over the 16-byte loads at p, p+1, ...; out = paddb of them all. */
unsigned vload(const unsigned char *p, unsigned n, unsigned char *out);
__asm__(".globl vload\nvload:\n"
        "push %esi\npush %ebx\n"
        "mov 12(%esp), %esi\nmov 16(%esp), %ecx\nxor %edx, %edx\n"
        "pxor %xmm1, %xmm1\npxor %xmm3, %xmm3\n"
        "vload_loop:\n"
        "movdqu (%esi), %xmm0\n"
        "paddb %xmm0, %xmm1\n"
        "movdqa %xmm0, %xmm2\n"
        "pcmpeqb %xmm3, %xmm2\n"
        "pmovmskb %xmm2, %eax\n"
        "add %eax, %edx\n"
        "add $1, %esi\n"
        "sub $1, %ecx\n"
        "jnz vload_loop\n"
        "vload_end:\n"
        "mov 20(%esp), %eax\nmovdqu %xmm1, (%eax)\nmov %edx, %eax\n"
        "pop %ebx\npop %esi\nret\n");

/* 16-byte stores of a changing pattern at p, p+3, p+6, ... (n of them). */
void vstore(unsigned char *p, unsigned n);
__asm__(".globl vstore\nvstore:\n"
        "push %edi\n"
        "mov 8(%esp), %edi\nmov 12(%esp), %ecx\n"
        "pcmpeqb %xmm4, %xmm4\n"
        "movd %ecx, %xmm0\npshufd $0, %xmm0, %xmm0\n"
        "vstore_loop:\n"
        "psubb %xmm4, %xmm0\n"
        "movdqu %xmm0, (%edi)\n"
        "add $3, %edi\n"
        "sub $1, %ecx\n"
        "jnz vstore_loop\n"
        "vstore_end:\n"
        "pop %edi\nret\n");

/* movdqa loads at p, p+16, ... xored into xmm5; the result to out. */
void valign(const unsigned char *p, unsigned n, unsigned char *out);
__asm__(".globl valign\nvalign:\n"
        "push %esi\n"
        "mov 8(%esp), %esi\nmov 12(%esp), %ecx\n"
        "pxor %xmm5, %xmm5\n"
        "valign_loop:\n"
        "movdqa (%esi), %xmm0\n"
        "pxor %xmm0, %xmm5\n"
        "add $16, %esi\n"
        "sub $1, %ecx\n"
        "jnz valign_loop\n"
        "valign_end:\n"
        "mov 16(%esp), %eax\nmovdqu %xmm5, (%eax)\n"
        "pop %esi\nret\n");

static uint8_t *frame_fx(void *ctx) { return (uint8_t *)((ucontext_t *)ctx)->uc_mcontext.fpregs + 112; }
static void print_xmm(const char *name, const uint8_t *p) {
  printf(" %s=", name);
  for (int i = 15; i >= 0; i--) printf("%02x", p[i]);
}

static void segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  unsigned eip = g[REG_EIP], b = (unsigned)buf;
  uint8_t *fx = frame_fx(ctx);
  if (eip >= (unsigned)vload_loop && eip < (unsigned)vload_end) {
    printf("vload fault +%u code %d addr buf+%#x esi=buf+%#x ecx=%#x edx=%#x flags=%#x", eip - (unsigned)vload_loop, si->si_code,
           (unsigned)((unsigned char *)si->si_addr - buf), (unsigned)g[REG_ESI] - b, (unsigned)g[REG_ECX], (unsigned)g[REG_EDX],
           (unsigned)g[REG_EFL] & 0x8d5);
    print_xmm("xmm0", fx + 160); print_xmm("xmm1", fx + 176);
    printf("\n");
  } else if (eip >= (unsigned)vstore_loop && eip < (unsigned)vstore_end) {
    printf("vstore fault +%u code %d addr buf+%#x edi=buf+%#x ecx=%#x flags=%#x", eip - (unsigned)vstore_loop, si->si_code,
           (unsigned)((unsigned char *)si->si_addr - buf), (unsigned)g[REG_EDI] - b, (unsigned)g[REG_ECX], (unsigned)g[REG_EFL] & 0x8d5);
    print_xmm("xmm0", fx + 160);
    printf("\n");
  } else if (eip >= (unsigned)valign_loop && eip < (unsigned)valign_end) {
    /* #GP: no address; realign ESI in the frame and retry. */
    printf("valign fault +%u sig %d code %d esi&15=%u ecx=%#x", eip - (unsigned)valign_loop, sig, si->si_code, (unsigned)g[REG_ESI] & 15,
           (unsigned)g[REG_ECX]);
    print_xmm("xmm5", fx + 160 + 5 * 16);
    printf("\n");
    g[REG_ESI] &= ~15;
    return;
  } else {
    printf("segv elsewhere\n");
    _exit(3);
  }
  mprotect((void *)((unsigned)si->si_addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
}

static void fpe(int sig, siginfo_t *si, void *ctx) {
  uint8_t *fx = frame_fx(ctx);
  uint32_t *mxcsr = (uint32_t *)(fx + 24);
  printf("  SIGFPE code %d mxcsr=%#x\n", si->si_code, *mxcsr);
  /* Mask everything in the frame: sigreturn loads it and the instruction runs again masked. */
  *mxcsr |= 0x1f80;
  (void)sig;
}

static unsigned hash(const void *p, unsigned n) {
  const unsigned char *c = p;
  unsigned h = 2166136261u;
  for (unsigned i = 0; i < n; i++) h = (h ^ c[i]) * 16777619u;
  return h;
}

/* ---- Integer SIMD: many forms over varied data, hot ---- */
static __m128i data[64];
static unsigned simd_round(unsigned seed) {
  unsigned x = seed;
  for (int i = 0; i < 64; i++) {
    uint32_t w[4];
    for (int k = 0; k < 4; k++) { x = x * 1103515245u + 12345u; w[k] = x ^ (x >> 7); }
    if (i % 7 == 3) w[1] = 0; /* zero bytes for the compares */
    if (i % 5 == 1) w[2] = 0x7fff8000u;
    memcpy(&data[i], w, 16);
  }
  __m128i acc = _mm_setzero_si128(), z = _mm_setzero_si128();
  unsigned m = 0;
  for (int i = 0; i + 1 < 64; i++) {
    __m128i a = data[i], b = _mm_loadu_si128((const __m128i *)((const char *)&data[i + 1] - 3));
    __m128i t = _mm_xor_si128(_mm_and_si128(a, b), _mm_or_si128(_mm_andnot_si128(a, b), acc));
    m += _mm_movemask_epi8(_mm_cmpeq_epi8(a, z)) + _mm_movemask_epi8(_mm_cmpgt_epi16(a, b)) * 3;
    t = _mm_add_epi8(t, _mm_subs_epu8(a, b));
    t = _mm_add_epi16(t, _mm_adds_epi16(a, b));
    t = _mm_sub_epi32(t, _mm_cmpeq_epi32(a, b));
    t = _mm_add_epi64(t, _mm_sub_epi64(a, b));
    t = _mm_xor_si128(t, _mm_min_epu8(a, b));
    t = _mm_xor_si128(t, _mm_max_epi16(a, b));
    t = _mm_add_epi8(t, _mm_avg_epu8(a, b));
    t = _mm_xor_si128(t, _mm_mullo_epi16(a, b));
    t = _mm_add_epi16(t, _mm_packs_epi32(a, b));
    t = _mm_xor_si128(t, _mm_packus_epi16(a, b));
    t = _mm_add_epi8(t, _mm_unpacklo_epi8(a, b));
    t = _mm_xor_si128(t, _mm_unpackhi_epi16(a, b));
    t = _mm_add_epi32(t, _mm_unpacklo_epi64(a, b));
    t = _mm_xor_si128(t, _mm_shuffle_epi32(a, 0x1b));
    t = _mm_add_epi16(t, _mm_shufflelo_epi16(b, 0x72));
    t = _mm_xor_si128(t, _mm_shufflehi_epi16(b, 0xc6));
    t = _mm_add_epi8(t, _mm_srli_si128(a, 5));
    t = _mm_xor_si128(t, _mm_slli_si128(b, 11));
    t = _mm_add_epi16(t, _mm_srai_epi16(a, 3));
    t = _mm_xor_si128(t, _mm_srli_epi32(b, 31));
    t = _mm_add_epi64(t, _mm_slli_epi64(a, 33));
    t = _mm_xor_si128(t, _mm_alignr_epi8(a, b, 7));
    t = _mm_add_epi8(t, _mm_shuffle_epi8(a, b));
    t = _mm_xor_si128(t, _mm_min_epi32(a, b));
    t = _mm_add_epi64(t, _mm_mul_epu32(a, b));
    t = _mm_xor_si128(t, _mm_madd_epi16(a, b));
    m += _mm_testz_si128(a, b) * 5 + _mm_testc_si128(a, b) * 7;
    m += (unsigned)_mm_cvtsi128_si32(t);
    acc = _mm_add_epi32(acc, t);
  }
  /* Shift counts at and past the lane width, by immediate (asm: gcc folds intrinsics with constants). */
  __m128i s = data[5], r1 = s, r2 = s, r3 = s, r4 = s;
  __asm__("psrlw $16, %0\npsraw $16, %1\npsllq $64, %2\npsrad $40, %3" : "+x"(r1), "+x"(r2), "+x"(r3), "+x"(r4));
  acc = _mm_add_epi8(acc, _mm_xor_si128(_mm_xor_si128(r1, r2), _mm_xor_si128(r3, r4)));
  uint32_t out[4];
  _mm_storeu_si128((__m128i *)out, acc);
  return m ^ hash(out, 16);
}

/* ---- Floating point ---- */
static const uint64_t EDGE[] = {
  0x3ff0000000000000ull, 0x4000000000000000ull, 0xbff8000000000000ull, 0x0000000000000000ull, 0x8000000000000000ull,
  0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000001ull, 0x7ff0000000000001ull, 0x0000000000000001ull,
  0x000fffffffffffffull, 0x0010000000000000ull, 0x7fefffffffffffffull, 0x3fb999999999999aull, 0x4059000000000000ull,
  0x41dfffffffc00000ull, 0xc1e0000000000000ull, 0x41e0000000000000ull, 0x3e45798ee2308c3aull, 0x2000000000000000ull,
};
#define NE (sizeof EDGE / sizeof EDGE[0])
static double ea[NE], eb[NE];
static double res[NE][8];
static int ires[NE][4];
static float fres[NE][6];
static unsigned fl[NE][16];
static double mres[NE][2];
static float mfres[NE][2];
static unsigned mfl[NE][4];

/* One instruction between ldmxcsr and stmxcsr: its own MXCSR flags, from `mode`. */
#define D2(ins, k) do { double r = a; unsigned cs; \
    __asm__ volatile("ldmxcsr %2\n" ins " %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "xm"(b)); \
    res[i][k] = r; fl[i][k] = cs; } while (0)
#define F2(ins, k) do { float r = fa; unsigned cs; \
    __asm__ volatile("ldmxcsr %2\n" ins " %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "xm"(fb)); \
    fres[i][k] = r; fl[i][8 + k] = cs; } while (0)
#define I2(ins, src, k) do { int r; unsigned cs; \
    __asm__ volatile("ldmxcsr %2\n" ins " %3, %0\nstmxcsr %1" : "=r"(r), "=m"(cs) : "m"(mode), "xm"(src)); \
    ires[i][k] = r; fl[i][4 + k] |= cs << 16; } while (0)
#define CMP(ins, x, y, k) do { unsigned f, cs; \
    __asm__ volatile("ldmxcsr %2\n" ins " %3, %4\npushf\npop %0\nstmxcsr %1" : "=r"(f), "=m"(cs) : "m"(mode), "xm"(y), "x"(x) : "cc"); \
    ires[i][k] = f & 0x8d5; fl[i][k] |= cs << 16; } while (0)

/* Every translated scalar form once per operand pair, each with its own MXCSR readback. */
static void fp_pass(unsigned mode) {
  for (unsigned i = 0; i < NE; i++) {
    double a = ea[i], b = eb[i];
    float fa = (float)a, fb = (float)b;
    D2("addsd", 0); D2("subsd", 1); D2("mulsd", 2); D2("divsd", 3); D2("sqrtsd", 4); D2("cvtss2sd", 5);
    { double r = a; unsigned cs; int v = (int)(i * 3) - 20;
      __asm__ volatile("ldmxcsr %2\ncvtsi2sd %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "rm"(v)); res[i][6] = r; fl[i][6] = cs; }
    { float r = fa; unsigned cs; int v = (int)(i * 0x1234567u);
      __asm__ volatile("ldmxcsr %2\ncvtsi2ss %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "rm"(v)); fres[i][5] = r; fl[i][7] = cs; }
    F2("addss", 0); F2("subss", 1); F2("mulss", 2); F2("divss", 3); F2("sqrtss", 4);
    { float r = fa; unsigned cs;
      __asm__ volatile("ldmxcsr %2\ncvtsd2ss %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "xm"(b)); res[i][7] = r; fl[i][13] = cs; }
    I2("cvttsd2si", a, 0); I2("cvtsd2si", b, 1); I2("cvttss2si", fa, 2); I2("cvtss2si", fb, 3);
    { double r = a; unsigned cs; __asm__ volatile("ldmxcsr %2\nminsd %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "xm"(b)); mres[i][0] = r; mfl[i][0] = cs; }
    { double r = a; unsigned cs; __asm__ volatile("ldmxcsr %2\nmaxsd %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "xm"(b)); mres[i][1] = r; mfl[i][1] = cs; }
    { float r = fa; unsigned cs; __asm__ volatile("ldmxcsr %2\nminss %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "xm"(fb)); mfres[i][0] = r; mfl[i][2] = cs; }
    { float r = fa; unsigned cs; __asm__ volatile("ldmxcsr %2\nmaxss %3, %0\nstmxcsr %1" : "+x"(r), "=m"(cs) : "m"(mode), "xm"(fb)); mfres[i][1] = r; mfl[i][3] = cs; }
    CMP("ucomisd", a, b, 0); CMP("comisd", a, b, 1); CMP("ucomiss", fa, fb, 2); CMP("comiss", fa, fb, 3);
  }
}

/* The same operations as compiled C (gcc -mfpmath=sse), MXCSR read after the pass. */
static void c_pass(void) {
  for (unsigned i = 0; i < NE; i++) {
    double a = ea[i], b = eb[i];
    res[i][0] = a + b; res[i][1] = a - b; res[i][2] = a * b; res[i][3] = a / b;
    res[i][4] = sqrt(b); res[i][5] = (double)(float)a; res[i][6] = (double)(int)i * 0.1; res[i][7] = a < b ? 1 : a == b ? 2 : 3;
    ires[i][0] = (int)a; ires[i][1] = (int)lrint(b); ires[i][2] = a > b; ires[i][3] = __builtin_isless(a, b);
    float fa = (float)a, fb = (float)b;
    fres[i][0] = fa + fb; fres[i][1] = fa * fb; fres[i][2] = fa / fb; fres[i][3] = sqrtf(fb); fres[i][4] = (float)(int)i; fres[i][5] = fa - fb;
  }
}

/* Packed single/double over arrays (gcc vectorizes these at -O3; written with intrinsics here). */
static float pa[64], pb[64];
static double da[32], db[32];
static unsigned packed_pass(void) {
  __m128 s = _mm_setzero_ps();
  __m128d d = _mm_setzero_pd();
  for (int i = 0; i < 64; i += 4) {
    __m128 a = _mm_loadu_ps(pa + i), b = _mm_loadu_ps(pb + i);
    s = _mm_add_ps(s, _mm_mul_ps(a, b));
    s = _mm_sub_ps(s, _mm_div_ps(a, b));
    s = _mm_add_ps(s, _mm_sqrt_ps(b));
    s = _mm_add_ps(s, _mm_shuffle_ps(a, b, 0x9c));
    s = _mm_sub_ps(s, _mm_unpackhi_ps(a, b));
    s = _mm_add_ps(s, _mm_unpacklo_ps(b, a));
    s = _mm_add_ps(s, _mm_min_ps(a, b));
    s = _mm_sub_ps(s, _mm_max_ps(a, b));
    s = _mm_add_ps(s, _mm_movehl_ps(a, b));
    s = _mm_add_ps(s, _mm_movelh_ps(b, a));
    s = _mm_add_ps(s, _mm_cvtepi32_ps(_mm_castps_si128(a)));
    d = _mm_add_pd(d, _mm_cvtps_pd(a));
    d = _mm_add_pd(d, _mm_cvtepi32_pd(_mm_castps_si128(b)));
  }
  for (int i = 0; i < 32; i += 2) {
    __m128d a = _mm_loadu_pd(da + i), b = _mm_loadu_pd(db + i);
    d = _mm_add_pd(d, _mm_mul_pd(a, b));
    d = _mm_sub_pd(d, _mm_div_pd(a, b));
    d = _mm_add_pd(d, _mm_sqrt_pd(b));
    d = _mm_add_pd(d, _mm_shuffle_pd(a, b, 1));
    d = _mm_sub_pd(d, _mm_unpackhi_pd(a, b));
    d = _mm_add_pd(d, _mm_min_pd(a, b));
    d = _mm_sub_pd(d, _mm_max_pd(b, a));
  }
  float o[4]; double p[2];
  _mm_storeu_ps(o, s); _mm_storeu_pd(p, d);
  return hash(o, 16) ^ hash(p, 16);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  sa.sa_sigaction = fpe;
  sigaction(SIGFPE, &sa, 0);

  buf = mmap(0, 6 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (unsigned i = 0; i < 6 * 4096; i++) buf[i] = (unsigned char)(i * 13 + (i >> 8));
  for (unsigned i = 100; i < 6 * 4096; i += 37) buf[i] = 0;
  unsigned char out[16];
  for (int round = 0; round < 4; round++) {
    /* Loads step by one byte from page 0 into page 1, which is taken away (round 0: nothing taken). */
    if (round) mprotect(buf + 4096, 4096, PROT_NONE);
    unsigned r = vload(buf + 4096 - 200 - round * 5, 400, out);
    printf("vload round %d: %#x out %#x\n", round, r, hash(out, 16));
    /* Stores step by 3 bytes across page 2, read-only (round 0: writable). */
    if (round) mprotect(buf + 2 * 4096, 4096, PROT_READ);
    vstore(buf + 2 * 4096 - 100 - round, 90);
    printf("vstore round %d: %#x\n", round, hash(buf + 4096, 3 * 4096));
    /* Aligned loads; in the later rounds from a misaligned start (#GP, the handler realigns). */
    valign(buf + 3 * 4096 + (round ? 4 * round : 0), 100, out);
    printf("valign round %d: %#x\n", round, hash(out, 16));
  }

  for (int round = 0; round < 4; round++) printf("simd round %d: %#x\n", round, simd_round(round * 77 + 1));

  for (unsigned i = 0; i < NE; i++) { memcpy(&ea[i], &EDGE[i], 8); memcpy(&eb[i], &EDGE[(i * 7 + 3) % NE], 8); }
  for (int i = 0; i < 64; i++) { pa[i] = (float)(i * 1.37 - 20); pb[i] = (float)(i + 1) * 0.7f; }
  for (int i = 0; i < 32; i++) { da[i] = i * 1.37 - 20; db[i] = (i + 1) * 0.7; }
  pa[9] = 1e-40f; pb[17] = 1e30f; pa[17] = 1e20f; da[5] = 1e-310; db[7] = 0;
  /* MXCSR: default; default with PE set; each rounding mode; DAZ|FTZ; then all exceptions unmasked. */
  const unsigned modes[] = { 0x1f80, 0x1fa0, 0x3f80, 0x5f80, 0x7f80, 0x9fc0, 0x1f80 };
  for (unsigned k = 0; k < sizeof modes / sizeof modes[0]; k++) {
    for (int pass = 0; pass < 3; pass++) {
      memset(fl, 0, sizeof fl);
      fp_pass(modes[k]);
      printf("fp mode %#x pass %d: res %#x ires %#x fres %#x flags %#x minmax %#x %#x %#x\n", modes[k], pass, hash(res, sizeof res), hash(ires, sizeof ires),
             hash(fres, sizeof fres), hash(fl, sizeof fl), hash(mres, sizeof mres), hash(mfres, sizeof mfres), hash(mfl, sizeof mfl));
      if (pass == 2 && (modes[k] == 0x1fa0 || modes[k] == 0x1f80)) {
        for (unsigned i = 0; i < NE; i++) {
          printf(" %u:", i);
          for (int j = 0; j < 16; j++) printf(" %x", fl[i][j]);
          printf("\n");
        }
      }
      _mm_setcsr(modes[k]);
      c_pass();
      unsigned after = _mm_getcsr();
      unsigned p = packed_pass();
      printf("c mode %#x pass %d: mxcsr %#x -> %#x packed %#x results %#x %#x %#x\n", modes[k], pass, after, _mm_getcsr(), p,
             hash(res, sizeof res), hash(ires, sizeof ires), hash(fres, sizeof fres));
    }
  }
  /* Normal operands only, from PE clear: the first inexact result sets it, the rest run fast. */
  for (unsigned i = 0; i < NE; i++) { ea[i] = 1.0 + i * 0.25; eb[i] = 3.0 - i * 0.125; }
  for (int pass = 0; pass < 100; pass++) {
    _mm_setcsr(0x1f80);
    c_pass();
    if (pass % 10 == 0) printf("c normal pass %d: mxcsr %#x results %#x %#x %#x\n", pass, _mm_getcsr(), hash(res, sizeof res), hash(ires, sizeof ires), hash(fres, sizeof fres));
  }
  /* An unmasked exception in the hot loop: PE unmasked (then ZE) faults at the first inexact (divide by zero) operation. */
  for (int pass = 0; pass < 3; pass++) {
    for (unsigned i = 0; i < NE; i++) { ea[i] = 1.0 + i; eb[i] = i == 13 ? 0.0 : 2.0; }
    _mm_setcsr(pass == 2 ? 0x1d80 : 0x1f80 & ~0x1000);
    c_pass();
    printf("c unmasked pass %d: mxcsr %#x results %#x %#x\n", pass, _mm_getcsr(), hash(res, sizeof res), hash(fres, sizeof fres));
  }
  return 0;
}
