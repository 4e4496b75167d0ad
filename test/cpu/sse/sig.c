/* SSE state and signals against the real CPU: the rt_sigframe's fpstate (X86_FXSR_MAGIC,
 * MXCSR and XMM registers in the FXSAVE part) as a SIGUSR1 handler sees it, the state the
 * handler starts with, changes the handler makes to XMM/MXCSR in the frame (restored by
 * sigreturn), unmasked SIMD exceptions (SIGFPE with si_code, trapno 19, si_addr), #GP
 * from misaligned movaps and from ldmxcsr with reserved bits (SIGSEGV), and FXSAVE/FXRSTOR. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <emmintrin.h>

static volatile uint32_t resume_at;
/* Operands of the signal-delivery asm block, by symbol name (too many for register constraints at -O0). */
uint32_t g_p1[4] __attribute__((aligned(16))) = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
uint32_t g_p2[4] __attribute__((aligned(16))) = {0x55555555, 0x66666666, 0x77777777, 0x88888888};
uint32_t g_r1[4] __attribute__((aligned(16))), g_r2[4] __attribute__((aligned(16)));
int g_pid, g_tid;

static void dump_xmm(const char *what, const uint8_t *p) {
  printf("%s", what);
  for (int i = 15; i >= 0; i--) printf("%s%02x", i % 4 == 3 ? " " : "", p[i]);
  printf("\n");
}

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
  uint16_t magic; memcpy(&magic, fp + 110, 2);
  uint32_t mxcsr; memcpy(&mxcsr, fp + 112 + 24, 4);
  printf("handler: sig %d magic %04x frame mxcsr %08x own mxcsr %08x\n", sig, magic, mxcsr, _mm_getcsr());
  dump_xmm("frame xmm1", fp + 112 + 160 + 16);
  dump_xmm("frame xmm2", fp + 112 + 160 + 32);
  __m128i own; __asm__ volatile("movdqa %%xmm1, %0" : "=x"(own)); dump_xmm("own xmm1", (uint8_t *)&own);
  /* change xmm2 and the rounding mode in the frame: sigreturn must load them */
  for (int i = 0; i < 16; i++) fp[112 + 160 + 32 + i] = 0xa0 + i;
  mxcsr = 0x7f80; memcpy(fp + 112 + 24, &mxcsr, 4);
  (void)si;
}

static void on_fpe(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
  uint32_t mxcsr; memcpy(&mxcsr, fp + 112 + 24, 4);
  printf("SIGFPE: sig %d code %d trapno %d addr-is-insn %d mxcsr %08x\n", sig, si->si_code, (int)uc->uc_mcontext.gregs[REG_TRAPNO],
         (uint32_t)si->si_addr == (uint32_t)uc->uc_mcontext.gregs[REG_EIP], mxcsr);
  /* mask everything again in the frame and skip the instruction */
  mxcsr = 0x1f80; memcpy(fp + 112 + 24, &mxcsr, 4);
  uc->uc_mcontext.gregs[REG_EIP] = resume_at;
}

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  printf("SIGSEGV: code %d addr %p trapno %d err %d\n", si->si_code, si->si_addr, (int)uc->uc_mcontext.gregs[REG_TRAPNO], (int)uc->uc_mcontext.gregs[REG_ERR]);
  uc->uc_mcontext.gregs[REG_EIP] = resume_at;
  (void)sig;
}

int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_flags = SA_SIGINFO;
  sa.sa_sigaction = on_usr1; sigaction(SIGUSR1, &sa, 0);
  sa.sa_sigaction = on_fpe; sigaction(SIGFPE, &sa, 0);
  sa.sa_sigaction = on_segv; sigaction(SIGSEGV, &sa, 0);

  /* The signal arrives at the return of the kill system call, inside one asm block. */
  g_pid = getpid(); g_tid = syscall(SYS_gettid);
  _mm_setcsr(0x1f80 | 0x2000);
  __asm__ volatile(
    "movdqa g_p1, %%xmm1; movdqa g_p2, %%xmm2\n"
    "push %%ebx; mov g_pid, %%ebx; mov g_tid, %%ecx; mov $10, %%edx; mov $270, %%eax; int $0x80; pop %%ebx\n"
    "movdqa %%xmm1, g_r1; movdqa %%xmm2, g_r2\n"
    ::: "eax", "ecx", "edx", "xmm1", "xmm2", "memory");
  uint32_t *r1 = g_r1, *r2 = g_r2, *p2 = g_p2;
  dump_xmm("after xmm1", (uint8_t *)r1);
  dump_xmm("after xmm2", (uint8_t *)r2);
  printf("after mxcsr %08x\n", _mm_getcsr());

  /* Unmasked exceptions: divide by zero, invalid, overflow, underflow, precision. */
  static const struct { unsigned csr; float a, b; } X[] = {
    {0x1f80 & ~0x200, 1.0f, 0.0f}, {0x1f80 & ~0x80, 0.0f, 0.0f}, {0x1f80 & ~0x400, 3e38f, 1e-10f},
    {0x1f80 & ~0x800, 1e-30f, 1e30f}, {0x1f80 & ~0x1000, 1.0f, 3.0f}, {0x1f80 & ~0x100, 1e-40f, 1.0f},
  };
  for (unsigned i = 0; i < sizeof X / sizeof X[0]; i++) {
    __m128 a = _mm_set_ss(X[i].a), b = _mm_set_ss(X[i].b);
    _mm_setcsr(X[i].csr);
    __asm__ volatile("movl $1f, %1; divss %2, %0; 1:" : "+x"(a) : "m"(resume_at), "x"(b) : "memory");
    float r; _mm_store_ss(&r, a);
    printf("case %u: result %08x mxcsr %08x\n", i, *(uint32_t *)&r, _mm_getcsr());
    _mm_setcsr(0x1f80);
  }
  /* #GP: movaps from a misaligned address, ldmxcsr with a reserved bit. */
  static uint8_t buf[64] __attribute__((aligned(16)));
  __asm__ volatile("movl $1f, %0; movaps 4(%1), %%xmm3; 1:" : "=m"(resume_at) : "r"(buf) : "xmm3", "memory");
  static uint32_t bad = 0x1f80 | (1u << 20);
  __asm__ volatile("movl $1f, %0; ldmxcsr %1; 1:" : "=m"(resume_at) : "m"(bad) : "memory");
  printf("mxcsr after bad ldmxcsr %08x\n", _mm_getcsr());

  /* FXSAVE / FXRSTOR round trip: fields that do not depend on the CPU vendor. */
  static uint8_t img[512] __attribute__((aligned(16))), img2[512] __attribute__((aligned(16)));
  memset(img, 0x5a, sizeof img);
  _mm_setcsr(0x3fa0);
  __asm__ volatile("fninit; fldpi; fld1; movdqa (%1), %%xmm4; fxsave (%0)" :: "r"(img), "r"(p2) : "memory", "xmm4");
  uint16_t w16; memcpy(&w16, img, 2); printf("fxsave fcw %04x", w16);
  memcpy(&w16, img + 2, 2); printf(" fsw %04x ftw %02x", w16, img[4]);
  uint32_t w32; memcpy(&w32, img + 24, 4); printf(" mxcsr %08x\n", w32);
  printf("st0-1 "); for (int i = 32; i < 64; i++) printf("%02x", img[i]); printf("\n");
  dump_xmm("fxsave xmm4", img + 160 + 64);
  img[160 + 64] = 0x99; w32 = 0x1f80; memcpy(img + 24, &w32, 4);
  __asm__ volatile("fninit; fxrstor (%0); fxsave (%1); fstp %%st(0); fstp %%st(0)" :: "r"(img), "r"(img2) : "memory", "xmm4");
  printf("fxrstor back: same %d mxcsr %08x\n", memcmp(img, img2, 160 + 128) == 0, _mm_getcsr());
  return 0;
}
