/*
 * mul, imul (one, two and three operands), div, idiv: 8/16/32-bit, register and memory.
 * Divide errors (#DE: zero divisor or quotient overflow) must arrive as SIGFPE with
 * si_code FPE_INTDIV and si_addr at the faulting instruction.
 *
 * Flags compared: those the rows define (DEFINED: only CF and OF after mul/imul, none
 * after div/idiv).
 */
#include "common.h"
#include <setjmp.h>
#include <signal.h>


static sigjmp_buf jb;
static volatile int got_code;
static void *volatile got_addr;
static void on_fpe(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  got_code = si->si_code;
  got_addr = si->si_addr;
  siglongjmp(jb, 1);
}

/* One-operand forms: EDX:EAX (or DX:AX, AX) = EAX * src. */
#define M1(fn, insn, T, C, M) \
  static void fn(u32 *eax, u32 *edx, u32 src, u32 fin, u32 *fo) { \
    u32 a = *eax, d = *edx, f; T s = (T)src; \
    __asm__ volatile(FLAGS_IN insn " %" M "[s]" FLAGS_OUT \
      : "+a" (a), "+d" (d), [fo] "=&r" (f) : [s] C (s), [fin] "r" (fin) : "cc"); \
    *eax = a; *edx = d; *fo = f; }
#define M1M(fn, insn, T) \
  static T fn##_m; \
  static void fn(u32 *eax, u32 *edx, u32 src, u32 fin, u32 *fo) { \
    u32 a = *eax, d = *edx, f; fn##_m = (T)src; \
    __asm__ volatile(FLAGS_IN insn " %[m]" FLAGS_OUT \
      : "+a" (a), "+d" (d), [fo] "=&r" (f) : [m] "m" (fn##_m), [fin] "r" (fin) : "cc"); \
    *eax = a; *edx = d; *fo = f; }
M1(mul8, "mulb", u8, "q", "b") M1(mul16, "mulw", u16, "r", "w") M1(mul32, "mull", u32, "r", "")
M1M(mulm32, "mull", u32) M1M(mulm8, "mulb", u8)
M1(imul8, "imulb", u8, "q", "b") M1(imul16, "imulw", u16, "r", "w") M1(imul32, "imull", u32, "r", "")
M1M(imulm16, "imulw", u16)

/* Two-operand and three-operand imul. */
#define I2(fn, T, C, M) \
  static void fn(u32 *eax, u32 *edx, u32 src, u32 fin, u32 *fo) { \
    T x = (T)*eax, s = (T)src; u32 f; \
    __asm__ volatile(FLAGS_IN "imul %" M "[s], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [s] C (s), [fin] "r" (fin) : "cc"); \
    *eax = x; *fo = f; (void)edx; }
#define I2M(fn, T, M) \
  static T fn##_m; \
  static void fn(u32 *eax, u32 *edx, u32 src, u32 fin, u32 *fo) { \
    T x = (T)*eax; u32 f; fn##_m = (T)src; \
    __asm__ volatile(FLAGS_IN "imul %[m], %" M "[x]" FLAGS_OUT \
      : [x] "+r" (x), [fo] "=&r" (f) : [m] "m" (fn##_m), [fin] "r" (fin) : "cc"); \
    *eax = x; *fo = f; (void)edx; }
#define I3(fn, T, M, IMM) \
  static void fn(u32 *eax, u32 *edx, u32 src, u32 fin, u32 *fo) { \
    T x, s = (T)src; u32 f; \
    __asm__ volatile(FLAGS_IN "imul %[i], %" M "[s], %" M "[x]" FLAGS_OUT \
      : [x] "=&r" (x), [fo] "=&r" (f) : [s] "r" (s), [i] "i" (IMM), [fin] "r" (fin) : "cc"); \
    *eax = x; *fo = f; (void)edx; }
I2(imul2_16, u16, "r", "w") I2(imul2_32, u32, "r", "") I2M(imul2m_32, u32, "") I2M(imul2m_16, u16, "w")
I3(imul3b_16, u16, "w", -7) I3(imul3b_32, u32, "", 0x7f) I3(imul3w_16, u16, "w", 0x1234)
I3(imul3d_32, u32, "", 0x12345679) I3(imul3n_32, u32, "", -0x10000)

/* Divide: labels mark each instruction so the SIGFPE si_addr can be checked. */
#define DV(fn, insn, T, C, M) \
  extern char fn##_at[]; \
  static void fn(u32 *eax, u32 *edx, u32 src, u32 fin, u32 *fo) { \
    u32 a = *eax, d = *edx, f; T s = (T)src; \
    __asm__ volatile(FLAGS_IN ".globl " #fn "_at\n" #fn "_at:\n\t" insn " %" M "[s]" FLAGS_OUT \
      : "+a" (a), "+d" (d), [fo] "=&r" (f) : [s] C (s), [fin] "r" (fin) : "cc"); \
    *eax = a; *edx = d; *fo = f; }
#define DVM(fn, insn, T) \
  extern char fn##_at[]; \
  static T fn##_m; \
  static void fn(u32 *eax, u32 *edx, u32 src, u32 fin, u32 *fo) { \
    u32 a = *eax, d = *edx, f; fn##_m = (T)src; \
    __asm__ volatile(FLAGS_IN ".globl " #fn "_at\n" #fn "_at:\n\t" insn " %[m]" FLAGS_OUT \
      : "+a" (a), "+d" (d), [fo] "=&r" (f) : [m] "m" (fn##_m), [fin] "r" (fin) : "cc"); \
    *eax = a; *edx = d; *fo = f; }
DV(div8, "divb", u8, "q", "b") DV(div16, "divw", u16, "r", "w") DV(div32, "divl", u32, "r", "")
DVM(divm32, "divl", u32) DVM(divm8, "divb", u8)
DV(idiv8, "idivb", u8, "q", "b") DV(idiv16, "idivw", u16, "r", "w") DV(idiv32, "idivl", u32, "r", "")
DVM(idivm16, "idivw", u16) DVM(idivm32, "idivl", u32)

typedef void (*Fn)(u32 *, u32 *, u32, u32, u32 *);
/* kind: 0 one-operand multiply, 1 two/three-operand imul, 2 divide. */
struct Case { const char *name; Fn fn; int bytes; int kind; const char *at; u32 fm; };
#define MUL_FLAGS DEFINED(mul)
#define IMUL_FLAGS DEFINED(imul)
#define DIV_FLAGS DEFINED(div)
#define IDIV_FLAGS DEFINED(idiv)
static const struct Case cases[] = {
  { "mul8", mul8, 1, 0, 0, MUL_FLAGS }, { "mul16", mul16, 2, 0, 0, MUL_FLAGS }, { "mul32", mul32, 4, 0, 0, MUL_FLAGS },
  { "mulm32", mulm32, 4, 0, 0, MUL_FLAGS }, { "mulm8", mulm8, 1, 0, 0, MUL_FLAGS },
  { "imul8", imul8, 1, 0, 0, IMUL_FLAGS }, { "imul16", imul16, 2, 0, 0, IMUL_FLAGS }, { "imul32", imul32, 4, 0, 0, IMUL_FLAGS },
  { "imulm16", imulm16, 2, 0, 0, IMUL_FLAGS },
  { "imul2_16", imul2_16, 2, 1, 0, IMUL_FLAGS }, { "imul2_32", imul2_32, 4, 1, 0, IMUL_FLAGS }, { "imul2m_32", imul2m_32, 4, 1, 0, IMUL_FLAGS },
  { "imul2m_16", imul2m_16, 2, 1, 0, IMUL_FLAGS },
  { "imul3b_16", imul3b_16, 2, 1, 0, IMUL_FLAGS }, { "imul3b_32", imul3b_32, 4, 1, 0, IMUL_FLAGS }, { "imul3w_16", imul3w_16, 2, 1, 0, IMUL_FLAGS },
  { "imul3d_32", imul3d_32, 4, 1, 0, IMUL_FLAGS }, { "imul3n_32", imul3n_32, 4, 1, 0, IMUL_FLAGS },
  { "div8", div8, 1, 2, div8_at, DIV_FLAGS }, { "div16", div16, 2, 2, div16_at, DIV_FLAGS }, { "div32", div32, 4, 2, div32_at, DIV_FLAGS },
  { "divm32", divm32, 4, 2, divm32_at, DIV_FLAGS }, { "divm8", divm8, 1, 2, divm8_at, DIV_FLAGS },
  { "idiv8", idiv8, 1, 2, idiv8_at, IDIV_FLAGS }, { "idiv16", idiv16, 2, 2, idiv16_at, IDIV_FLAGS }, { "idiv32", idiv32, 4, 2, idiv32_at, IDIV_FLAGS },
  { "idivm16", idivm16, 2, 2, idivm16_at, IDIV_FLAGS }, { "idivm32", idivm32, 4, 2, idivm32_at, IDIV_FLAGS },
};

/* High halves of dividends: small ones give valid quotients, large ones overflow. */
static const u32 his[] = { 0, 1, 0xffffffffu, 0x7f, 0x80000000u, 0x7fffffffu, 0x12345678u, 0xfffffffeu };

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, 0);
  init_vals();
  unsigned faults = 0;
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const struct Case *c = &cases[k];
    u32 m = c->bytes == 4 ? 0xffffffffu : (1u << (c->bytes * 8)) - 1;
    int nh = c->kind == 2 ? (int)(sizeof his / sizeof his[0]) : 1;
    for (int i = 0; i < NVAL; i++)
      for (int h = 0; h < nh; h++)
        for (int j = 0; j < NVAL; j++) {
          u32 fin = (i + j) & 1 ? F_ALL : 0;
          /* 8-bit divide takes its dividend from AX: put the "high" part in AH. */
          u32 eax = vals[i], edx = c->kind == 2 ? his[h] : 0x5a5a5a5a, f = 0, src = vals[j] & m;
          if (c->kind == 2 && c->bytes == 1) eax = (eax & ~0xff00u) | ((his[h] & 0xff) << 8);
          u32 e0 = eax, d0 = edx;
          tag(c->name); h32(e0); h32(d0); hs(src, c->bytes); h16(fin);
          got_code = 0; got_addr = 0;
          if (sigsetjmp(jb, 0) == 0) {
            c->fn(&eax, &edx, src, fin, &f);
            u32 fm = c->fm;
            h32(eax); h32(edx); h16(f & fm); nl();
          } else {
            faults++;
            tag(" #DE code="); hex(got_code, 1);
            tag(got_addr == (void *)c->at ? " addr=ok" : " addr=BAD"); nl();
          }
        }
  }
  tag("faults"); h32(faults); nl();
  return finish();
}
