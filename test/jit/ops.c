/*
 * Instructions the JIT translates with eager flags or exits of their own (adc/sbb, bt*,
 * bsf/bsr, div/idiv, 8/16-bit shifts and rotates, shld/shrd, jecxz), each placed right after
 * a lazy-flag producer in the same block (the translator then knows the producer statically)
 * and run in loops so the code is translated: carry chains through adc/sbb, cmp+sbb masks,
 * bt keeping the other flags of a lazy record, bsf/bsr of 0 leaving the destination, shld/
 * shrd by CL 0/1/31, divide errors inside a hot loop arriving as SIGFPE at the divide
 * instruction with the registers of that point. Output compared with the native CPU.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

typedef unsigned int u32;
typedef unsigned long long u64;

static u32 seed = 12345;
static u32 rnd(void) { seed = seed * 1103515245u + 12345u; return seed ^ (seed >> 15); }
static u32 h = 0;
static void mix(u32 v) { h = (h ^ v) * 16777619u; }

/* 4-word add and subtract: add/adc/adc/adc, sub/sbb/sbb/sbb, flags after each chain. */
static void chains(void) {
  for (int i = 0; i < 3000; i++) {
    u32 a[4], b[4], f;
    for (int k = 0; k < 4; k++) { a[k] = rnd(); b[k] = (i & 3) ? rnd() : ~a[k]; }
    if (i % 5 == 0) { a[0] = 0xffffffff; b[0] = 1; }
    /* b + carry-in wraps to a whole turn: carry out whatever a is (adc), borrow out (sbb). */
    if (i % 5 == 1) { a[0] = 0xffffffff; b[0] = 1; b[1] = b[2] = 0xffffffff; a[3] = b[3] = i; }
    __asm__ volatile(
      "movl (%1), %%eax; addl (%2), %%eax; movl %%eax, (%1)\n"
      "movl 4(%1), %%eax; adcl 4(%2), %%eax; movl %%eax, 4(%1)\n"
      "movl 8(%1), %%eax; adcl 8(%2), %%eax; movl %%eax, 8(%1)\n"
      "movl 12(%1), %%eax; adcl 12(%2), %%eax; movl %%eax, 12(%1)\n"
      "pushfl; popl %0"
      : "=&r"(f) : "r"(a), "r"(b) : "eax", "memory", "cc");
    mix(a[0]); mix(a[1]); mix(a[2]); mix(a[3]); mix(f & 0x8d5);
    __asm__ volatile(
      "movl (%1), %%eax; subl (%2), %%eax; movl %%eax, (%1)\n"
      "movl 4(%1), %%eax; sbbl 4(%2), %%eax; movl %%eax, 4(%1)\n"
      "sbbl $7, 8(%1)\n"
      "sbbb $0x80, 12(%1)\n"
      "pushfl; popl %0"
      : "=&r"(f) : "r"(a), "r"(b) : "eax", "memory", "cc");
    mix(a[0]); mix(a[1]); mix(a[2]); mix(a[3]); mix(f & 0x8d5);
    /* cmp then sbb r,r: the all-ones-if-below mask; 16-bit adc with an inc before (CF kept). */
    u32 m, x = b[1];
    __asm__ volatile("cmpl %2, %3; sbbl %0, %0; incl %1; adcw $0x7fff, %w1; pushfl; popl %%edx; xorl %%edx, %0"
      : "=&r"(m), "+r"(x) : "r"(b[0]), "r"(a[0]) : "edx", "cc");
    mix(m); mix(x);
  }
  printf("chains %08x\n", h);
}

/* bt/bts/btr/btc after add (SF ZF PF from the record must survive), bsf/bsr of 0 and not. */
static void bits(void) {
  u32 mem[8];
  for (int i = 0; i < 3000; i++) {
    u32 v = rnd(), n = rnd(), f, d = 0xdeadbeef;
    if (i % 7 == 0) v = 0;
    for (int k = 0; k < 8; k++) mem[k] = rnd();
    int off = (int)(n % 256) - 64;
    u32 w = v;
    __asm__ volatile("addl %3, %3; btl %2, %3; pushfl; popl %0; btsl $5, %3; btrl %2, %3; btcl $31, %3; adcl $0, %1"
      : "=&r"(f), "+r"(d), "+r"(n), "+r"(w) : : "cc");
    /* OF and AF after bt are undefined (SDM); SF ZF PF stay on the CPUs compared (arith.ts setBitCF). */
    mix(f & 0xc5); mix(d); mix(w);
    __asm__ volatile("cmpl %2, %1; btsl %2, 8(%3); pushfl; popl %0; btrl %2, 8(%3); btcl %2, 8(%3); btl $3, 8(%3); adcl $0, %0"
      : "=&r"(f) : "r"(v), "r"(off), "r"(mem) : "cc", "memory");
    mix(f & 0xc5); for (int k = 0; k < 8; k++) mix(mem[k]);
    u32 fwd = 0x5555, rev = 0xaaaa;
    __asm__ volatile("subl $0, %2; bsfl %2, %0; pushfl; bsrl %2, %1; popl %%edx; andl $0x40, %%edx; xorl %%edx, %1" /* only ZF is defined */
      : "+r"(fwd), "+r"(rev) : "r"(v) : "edx", "cc");
    mix(fwd); mix(rev);
  }
  printf("bits %08x\n", h);
}

/* 8/16-bit shifts and rotates by imm and CL (0, 1, 7, 8, 9, 16, 17, 31), shld/shrd by CL 0/1/31. */
static void shifts(void) {
  static const unsigned char counts[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31};
  for (int i = 0; i < 4000; i++) {
    u32 a = rnd(), b = rnd(), f, c = counts[i % 10];
    u32 x = a;
    __asm__ volatile("addl %2, %2; shlb %%cl, %b0; rolw %%cl, %w0; sarb $3, %b0; shrw %%cl, %w0; rorb %%cl, %h0; pushfl; popl %1"
      : "+Q"(x), "=&r"(f) : "r"(b), "c"(c) : "cc");
    /* The values are defined for every count; CF for 8/16-bit counts beyond the width and OF
       beyond a count of 1 are not (SDM), so the flags are compared for counts below 8 only. */
    mix(x); if (c < 8) mix(f & (c == 1 ? 0x8c5 : 0xc5));
    x = a;
    /* Flags after each step: OF is defined for a count of 1 only. */
    __asm__ volatile("subl %3, %2; shldl %%cl, %3, %0; pushfl; shrdl %%cl, %3, %0; shrdl $1, %3, %0; pushfl;"
      "shldl $31, %3, %0; pushfl; popl %1; andl $0xc5, %1; popl %2; andl $0x8c5, %2; xorl %2, %1;"
      "popl %2; andl $0xc5, %2; shll $12, %2; xorl %2, %1"
      : "+r"(x), "=&r"(f), "+r"(b) : "r"(a ^ b), "c"(c) : "cc");
    mix(x); mix(f & 0xc5);
    /* jecxz taken for a zero count, not taken otherwise. */
    u32 t = 0;
    __asm__ volatile("jecxz 1f; movl $1, %0; 1:" : "+r"(t) : "c"(c));
    mix(t);
  }
  printf("shifts %08x\n", h);
}

/* Divides in a hot loop; every 97th divides by zero, every 89th is INT_MIN / -1 or an unsigned overflow. */
static sigjmp_buf jb;
static volatile u32 fault_eip, fault_eax, fault_edx, fault_ecx;
static void on_fpe(int sig, siginfo_t *si, void *uc) {
  ucontext_t *u = uc;
  (void)sig;
  fault_eip = u->uc_mcontext.gregs[REG_EIP];
  fault_eax = u->uc_mcontext.gregs[REG_EAX];
  fault_edx = u->uc_mcontext.gregs[REG_EDX];
  fault_ecx = u->uc_mcontext.gregs[REG_ECX];
  if ((u32)(unsigned long)si->si_addr != fault_eip || si->si_code != FPE_INTDIV) printf("bad siginfo\n");
  siglongjmp(jb, 1);
}
extern char div_at[], idiv_at[];
static void divides(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, 0);
  volatile int faults = 0;
  for (volatile int i = 0; i < 3000; i++) {
    u32 lo = rnd(), hi = rnd() % 1000, d = rnd() | 1, q, r;
    if (i % 97 == 0) d = 0;
    if (i % 89 == 0) { hi = d + 1; }
    if (sigsetjmp(jb, 1)) {
      faults++;
      mix(fault_eip == (u32)(unsigned long)(i % 2 ? idiv_at : div_at)); mix(fault_eax); mix(fault_edx); mix(fault_ecx);
      continue;
    }
    if (i % 2) {
      /* INT_MIN / -1, and a dividend of INT64_MIN / -1 (which would trap a Wasm i64.div_s). */
      if (i % 89 == 0) { lo = i % 4 == 1 ? 0 : 0x80000000u; hi = i % 4 == 1 ? 0x80000000u : 0xffffffffu; d = 0xffffffffu; }
      else hi = lo & 0x80000000u ? 0xffffffffu : 0;
      __asm__ volatile("addl %%ecx, %%ecx; idiv_at: idivl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "r"(d), "c"(i) : "cc");
    } else {
      __asm__ volatile("addl %%ecx, %%ecx; div_at: divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "r"(d), "c"(i) : "cc");
    }
    mix(q); mix(r);
  }
  printf("divides %08x faults %d\n", h, faults);
}

int main(void) {
  chains();
  bits();
  shifts();
  divides();
  return 0;
}
