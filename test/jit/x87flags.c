/*
 * x87 status flags in loops the JIT keeps in one scope across the back edge
 * (src/engine/jit/codegen-x87.ts openCarried), against the real CPU: the translation keeps
 * the arithmetic's PE and C1 pending (Scope.pend) and merges them into SW only where SW is
 * written back or read, and keeps the "may not be normal" bit of each register beside its
 * exponent (ODD). Each loop is one block, `x = x * A[i] + B[i]` from memory tables that
 * decide, per iteration, whether an operation is inexact, rounds up, or takes a slow path
 * (a denormal operand), printed after the loop as the 80 bits of x and SW:
 *
 * 1. PE raised by the first iteration only (sticky across the back edge), C1 of the last
 *    instruction of the last iteration (set by an earlier one, cleared by the last, or set
 *    by the last), under PC 64/53/24 and every RC.
 * 2. A denormal memory operand (the slow path: the interpreter's closure inside the region)
 *    in some iterations, with flags pending from the instruction before it.
 * 3. Precision and rounding control changed inside the loop (fldcw from a table each
 *    iteration), values whose rounding to 53 or 24 bits differs from rounding them first
 *    to 64 bits (double rounding), fnstsw inside the loop folded into a hash.
 * 4. fldcw unmasking PE inside the loop after inexact iterations: SIGFPE at the next x87
 *    instruction (fpstate's SW, CW, instruction pointer).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#define N 600

static double A[N], B[N];
static unsigned short CWT[N];

static void pr80(const char *what, const unsigned char *b) {
  printf("%s %02x%02x:", what, b[9], b[8]);
  for (int i = 7; i >= 0; i--) printf("%02x", b[i]);
}

/*
 * x := 1; for i = n-1 .. 0: x = x * A[i] + B[i] (the loop counts ecx down; A/B indexed by it).
 * withCw 1: fldcw CWT[i] first in the body; 2: last, after fabs of x.
 */
static void run(const char *what, unsigned short cw, int withCw, int withSw) {
  unsigned char x[10];
  unsigned short s = 0, acc = 0;
  int n = N;
  if (withCw == 2) {
    __asm__ volatile(
      "fninit\n\tfldcw %[cw]\n\tfld1\n"
      "1:\n\t"
      "fmull -8(%%esi,%%ecx,8)\n\t"
      "faddl -8(%%edi,%%ecx,8)\n\t"
      "fabs\n\t"
      "fldcw -2(%%edx,%%ecx,2)\n\t"
      "dec %%ecx\n\tjnz 1b\n\t"
      "fnstsw %[s]\n\tfstpt %[x]\n\t"
      : [x] "=m"(x), [s] "=m"(s), "+c"(n)
      : [cw] "m"(cw), "S"(A), "D"(B), "d"(CWT)
      : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
  } else if (withCw && withSw) {
    __asm__ volatile(
      "fninit\n\tfldcw %[cw]\n\tfld1\n"
      "1:\n\t"
      "fldcw -2(%%edx,%%ecx,2)\n\t"
      "fmull -8(%%esi,%%ecx,8)\n\t"
      "faddl -8(%%edi,%%ecx,8)\n\t"
      "fnstsw %%ax\n\t"
      "rolw $3, %%bx\n\txorw %%ax, %%bx\n\t"
      "dec %%ecx\n\tjnz 1b\n\t"
      "fnstsw %[s]\n\tfstpt %[x]\n\t"
      : [x] "=m"(x), [s] "=m"(s), "+c"(n), "+b"(acc)
      : [cw] "m"(cw), "S"(A), "D"(B), "d"(CWT)
      : "eax", "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
  } else if (withCw) {
    __asm__ volatile(
      "fninit\n\tfldcw %[cw]\n\tfld1\n"
      "1:\n\t"
      "fldcw -2(%%edx,%%ecx,2)\n\t"
      "fmull -8(%%esi,%%ecx,8)\n\t"
      "faddl -8(%%edi,%%ecx,8)\n\t"
      "dec %%ecx\n\tjnz 1b\n\t"
      "fnstsw %[s]\n\tfstpt %[x]\n\t"
      : [x] "=m"(x), [s] "=m"(s), "+c"(n)
      : [cw] "m"(cw), "S"(A), "D"(B), "d"(CWT)
      : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
  } else {
    __asm__ volatile(
      "fninit\n\tfldcw %[cw]\n\tfld1\n"
      "1:\n\t"
      "fmull -8(%%esi,%%ecx,8)\n\t"
      "faddl -8(%%edi,%%ecx,8)\n\t"
      "dec %%ecx\n\tjnz 1b\n\t"
      "fnstsw %[s]\n\tfstpt %[x]\n\t"
      : [x] "=m"(x), [s] "=m"(s), "+c"(n)
      : [cw] "m"(cw), "S"(A), "D"(B)
      : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
  }
  printf("%s cw %04x", what, cw);
  pr80(" x", x);
  printf(" sw %04x", s);
  if (withSw) printf(" swhash %04x", acc);
  printf("\n");
}

static const unsigned short CWS[] = { 0x37f, 0x27f, 0x07f, 0x77f, 0xb7f, 0xf7f, 0x67f, 0xa7f };

/* Every iteration exact (x * 1 + 0) but those the caller sets. */
static void plain(void) {
  for (int i = 0; i < N; i++) { A[i] = 1; B[i] = 0; }
}

static void pending(void) {
  for (unsigned k = 0; k < sizeof CWS / sizeof CWS[0]; k++) {
    unsigned short cw = CWS[k];
    /* The first iteration (index N-1) adds 2^-20/3 to 1/3: inexact; every later one is exact. */
    plain(); A[N - 1] = 1.0 / 3; B[N - 1] = 0x1p-20 / 3;
    run("pe-first", cw, 0, 0);
    /* ... and then the last (index 0) adds a value that rounds up or down: C1 of the last instruction. */
    B[0] = 0x1p-70;
    run("c1-last-add", cw, 0, 0);
    B[0] = -0x1p-70;
    run("c1-last-sub", cw, 0, 0);
    /* An iteration in the middle rounds (C1 maybe set), the ones after are exact (C1 cleared). */
    plain(); A[N / 2] = 1.0 + 0x1p-52; B[N / 2] = 0x1p-60;
    run("c1-middle", cw, 0, 0);
  }
}

/* 2. Denormal memory operands (faddl of 2^-1074 and 2^-1050: slow paths) after an inexact fmull. */
static void slow(void) {
  for (unsigned k = 0; k < sizeof CWS / sizeof CWS[0]; k++) {
    plain();
    for (int i = 0; i < N; i += 37) { A[i] = 1.0 / 3 + i; B[i] = 0x1p-1074; }
    for (int i = 5; i < N; i += 101) B[i] = 0x1p-1050;
    A[3] = 1.0 / 7; B[3] = 0x1p-1074;
    run("denormal", CWS[k], 0, 0);
  }
}

/*
 * 3. PC and RC from a table each iteration. A[i] = 1 + 2^-53 + 2^-64-ish products make x's
 * 64-bit significand carry bits that rounding to 53 bits after rounding to 64 would round
 * differently (a tie created by the first rounding): x is rounded by the PC of the
 * iteration that computes it, once.
 */
static void pcLoop(void) {
  static const unsigned short cycle[][4] = {
    { 0x37f, 0x27f, 0x07f, 0x27f }, { 0x27f, 0x37f, 0xb7f, 0x67f }, { 0xf7f, 0x27f, 0x77f, 0x37f },
  };
  for (unsigned c = 0; c < 3; c++) {
    for (int i = 0; i < N; i++) {
      CWT[i] = cycle[c][i & 3];
      /* 1 + 2^-52 + 2^-53: exact in 64 bits, a tie at 53 bits after the first rounding of a product. */
      A[i] = (i % 5 == 0) ? 1.0 + 0x1p-52 : (i % 5 == 1) ? 1.0 - 0x1p-53 : (i % 5 == 2) ? 1.0 / 3 : 1.0;
      B[i] = (i % 7 == 0) ? 0x1p-53 + 0x1p-64 : (i % 7 == 1) ? -0x1p-54 : (i % 7 == 3) ? 0x1p-1074 : 0;
    }
    run("pc-loop", cycle[c][0], 1, 0);
    run("pc-loop-sw", cycle[c][0], 1, 1);
  }
}

/*
 * 4. fldcw unmasking PE (0x35f) at one iteration, after inexact ones: SIGFPE at the next x87
 * instruction; with the fldcw last in the body, after the only inexact operation of the
 * whole loop in the same iteration (PE still pending in the translation when fldcw runs).
 */
static sigjmp_buf jb;
static void onFpe(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  (void)sig;
  printf("SIGFPE code %d ecx %u cw %04lx sw %04lx ip-eip %ld\n", si->si_code, (unsigned)uc->uc_mcontext.gregs[REG_ECX], fp->cw & 0xffff, fp->sw & 0xffff,
    (long)fp->ipoff - (long)uc->uc_mcontext.gregs[REG_EIP]);
  siglongjmp(jb, 1);
}
static void unmask(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onFpe; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGFPE, &sa, 0);
  static const int at[] = { 550, 300, 2 };
  for (unsigned k = 0; k < 3; k++) {
    plain();
    for (int i = 0; i < N; i++) CWT[i] = 0x37f;
    A[N - 1] = 1.0 / 3; B[N - 1] = 0x1p-20 / 3; /* inexact in the first iteration only: PE pending since then */
    CWT[at[k]] = 0x35f;           /* PE unmasked at that iteration */
    if (k == 2) B[at[k]] = 0x1p-1074; /* the next instruction after fmull would be a slow path too */
    if (sigsetjmp(jb, 1) == 0) run("unmask", 0x37f, 1, 0);
    __asm__ volatile("fnclex\n\tfninit");
  }
  static const int last[] = { 400, 1, 0 };
  for (unsigned k = 0; k < 3; k++) {
    plain();
    for (int i = 0; i < N; i++) CWT[i] = 0x37f;
    A[last[k]] = 1.0 / 3; B[last[k]] = 0x1p-20 / 3; /* the loop's only inexact operation */
    CWT[last[k]] = 0x35f;
    if (sigsetjmp(jb, 1) == 0) run("unmask-last", 0x37f, 2, 0);
    __asm__ volatile("fnclex\n\tfninit");
  }
}

/*
 * 5. fabs of an exact zero (x * 0 + 0, the slow path of a zero operand) and of a denormal
 * (x * 2^-1070 at PC 64: underflow, the slow path) kept in the loop: the next iterations'
 * arithmetic must still classify it (its ODD bit survives fabs).
 */
static void absLoop(void) {
  for (unsigned k = 0; k < sizeof CWS / sizeof CWS[0]; k++) {
    plain();
    for (int i = 0; i < N; i++) CWT[i] = CWS[k];
    A[500] = 0; B[500] = 0;            /* x = +0 (then |x|) */
    A[400] = -1; B[400] = -0x1p-1000;  /* 0 * -1 - 2^-1000: x = -2^-1000, |x| */
    A[399] = 0x1p-60; B[399] = 0;      /* 2^-1060: a double denormal, normal in 80 bits */
    A[300] = 0x1p-1022; B[300] = 0;    /* 2^-2082: normal in 80 bits */
    A[200] = 0x1p-1022; B[200] = 0;    /* 2^-3104 */
    A[100] = 0x1p-1022; B[100] = 0;    /* 2^-4126 */
    A[90] = 0x1p-1022; B[90] = 0;      /* 2^-5148 */
    A[80] = 0x1p-1022; B[80] = 0;      /* 2^-6170 */
    A[70] = 0x1p-1022; B[70] = 0;      /* 2^-7192 */
    A[60] = 0x1p-1022; B[60] = 0;      /* 2^-8214 */
    A[50] = 0x1p-1022; B[50] = 0;      /* 2^-9236 */
    A[40] = 0x1p-1022; B[40] = 0;      /* 2^-10258 */
    A[30] = 0x1p-1022; B[30] = 0;      /* 2^-11280 */
    A[20] = 0x1p-1022; B[20] = 0;      /* 2^-12302 */
    A[10] = 0x1p-1022; B[10] = 0;      /* 2^-13324 */
    A[5] = 0x1p-1022; B[5] = 0;        /* 2^-14346 */
    A[3] = 0x1p-1022; B[3] = 0;        /* 2^-15368 */
    A[2] = 0x1p-70; B[2] = 0;          /* 2^-15438 */
    A[1] = 0x1p-1000; B[1] = 0;        /* 2^-16438: an 80-bit denormal (underflow, the slow path), then |x| */
    A[0] = 0x1p1000; B[0] = 0;         /* back to 2^-15438: the denormal operand must take the slow path */
    run("abs", CWS[k], 2, 0);
  }
}

int main(void) {
  setvbuf(stdout, 0, _IOFBF, 1 << 16);
  pending();
  slow();
  pcLoop();
  unmask();
  absLoop();
  printf("done\n");
  return 0;
}
