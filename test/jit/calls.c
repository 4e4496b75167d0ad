/*
 * Instructions the JIT has no Wasm for, run inside regions by the interpreter's own closure
 * (src/engine/jit/interp-call.ts): x87 arithmetic (called only in jit.test.ts's second run), LOCK xadd/cmpxchg8b
 * (LOCK add and 32-bit cmpxchg are translated now: test/jit/atomics.c), rcl/rcr,
 * lods/scas/cmps with and without rep, 16-bit mul/imul/div/bt, 8-bit mul/div, SSE2 integer ops.
 * Each sits in a hot loop between translated instructions that produce and consume flags
 * (so the state handed to the closure and taken back must be exact), and each family also
 * faults in the middle of a region: a rep scas/cmps running into a page taken away, a lock
 * xadd or cmpxchg on a read-only page, an x87 load from a PROT_NONE page, an 8-bit divide by
 * zero, a rep movsb through GS shifting bytes down (not restartable from its start). The
 * handlers print the registers and flags of their ucontext, fix the cause and return.
 * Output compared with the native CPU.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

typedef unsigned int u32;
typedef unsigned long long u64;

static u32 seed = 12345;
static u32 rnd(void) { seed = seed * 1103515245u + 12345u; return seed ^ (seed >> 15); }
static u32 h = 0;
static void mix(u32 v) { h = (h ^ v) * 16777619u; }

/* x87: a numeric integration and a recurrence, long double too (gcc -m32 keeps them on the x87 stack). */
static void x87(void) {
  volatile double s = 0, x = 0.5;
  long double l = 1;
  for (int i = 0; i < 20000; i++) {
    double t = (i + 0.5) * 1e-4;
    s += 4.0 / (1.0 + t * t);
    x = x * 0.9999999 + t * 1e-7;
    l = l * 1.0000001L + (long double)i / 3;
    if ((i & 1023) == 0) mix((u32)(s * 1000));
  }
  printf("x87 %.17g %.17g %.21Lg\n", s * 1e-4, x, l);
}

/* LOCK add/xadd/cmpxchg/cmpxchg8b and their flags, between a cmp and a Jcc/setcc. */
static void locked(void) {
  volatile u32 m = 7;
  volatile u64 q = 0x100000001ull;
  for (int i = 0; i < 5000; i++) {
    u32 v = rnd(), f1, f2, f3, old, got;
    __asm__ volatile("cmpl %3, %2\n lock addl %2, %1\n pushfl\n popl %0" : "=r"(f1), "+m"(m) : "r"(v), "r"(i) : "cc");
    old = v;
    __asm__ volatile("lock xaddl %0, %1\n pushfl\n popl %2" : "+r"(old), "+m"(m), "=r"(f2) : : "cc");
    got = (i & 1) ? m : m + 1;
    __asm__ volatile("lock cmpxchgl %3, %1\n pushfl\n popl %2" : "+a"(got), "+m"(m), "=r"(f3) : "r"(v ^ i) : "cc");
    u32 lo = (u32)q, hi = (u32)(q >> 32);
    unsigned char zf;
    if (i % 3 == 0) lo ^= 1;
    __asm__ volatile("lock cmpxchg8b %2\n setz %b3" : "+a"(lo), "+d"(hi), "+m"(q), "=q"(zf) : "b"(v), "c"(i) : "cc");
    mix(m); mix(old); mix(got); mix(lo); mix(hi); mix(zf & 1);
    mix(f1 & 0x8d5); mix(f2 & 0x8d5); mix(f3 & 0x8d5);
  }
  printf("lock %#x m=%#x q=%#llx\n", h, m, (unsigned long long)q);
}

/* rcl/rcr by 1 (OF defined), by 3 and by CL after an add that sets CF. */
static void rotates(void) {
  for (int i = 0; i < 5000; i++) {
    u32 a = rnd(), b = rnd(), c = i % 40, r1 = a, r2 = b, r3 = a ^ b, f1, f2;
    unsigned short w = (unsigned short)b;
    unsigned char bt = (unsigned char)a;
    __asm__ volatile("addl %3, %3\n rcll $1, %0\n pushfl\n popl %2\n rcrl $3, %1\n adcl $0, %0"
                     : "+r"(r1), "+r"(r2), "=r"(f1), "+r"(a) : : "cc");
    __asm__ volatile("addl %0, %0\n rcll %%cl, %0\n pushfl\n popl %1\n rcrw %%cl, %2\n rclb $1, %3\n"
                     : "+r"(r3), "=r"(f2), "+r"(w), "+q"(bt) : "c"(c) : "cc");
    mix(r1); mix(r2); mix(r3); mix(w); mix(bt); mix(f1 & 0x801); mix(f2 & 1);
  }
  printf("rotates %#x\n", h);
}

/* lods/scas/cmps: a strlen (repne scasb), memcmp (repe cmpsb), a lodsb sum and single scasd. */
static void strings(void) {
  static char text[4096];
  for (int i = 0; i < 4095; i++) text[i] = 'a' + (i * 7) % 26;
  for (int i = 0; i < 3000; i++) {
    u32 n = 1 + rnd() % 3000, len, left, f, sum = 0;
    char save = text[n];
    text[n] = 0;
    { const char *di = text; u32 cx = 0xffffffff;
      __asm__ volatile("xorl %%eax, %%eax\n repne scasb\n pushfl\n popl %2" : "+D"(di), "+c"(cx), "=r"(f) : : "eax", "cc");
      len = ~cx - 1; mix(f & 0x8d5); }
    text[n] = save;
    { const char *si = text, *di = text + 26; u32 cx = n;
      __asm__ volatile("repe cmpsb\n pushfl\n popl %2" : "+S"(si), "+D"(di), "+c"(cx), "=r"(f) : : "cc", "memory");
      left = cx; mix(f & 0x8d5); mix(si - text); }
    { const char *si = text; u32 k = n % 64 + 1;
      __asm__ volatile("1: lodsb\n movzbl %%al, %%eax\n addl %%eax, %0\n decl %2\n jnz 1b"
                       : "+r"(sum), "+S"(si), "+r"(k) : : "eax", "cc"); }
    { u32 want = ((u32 *)text)[n % 1000]; unsigned char eq; const u32 *di = (const u32 *)text + n % 1000;
      __asm__ volatile("scasl\n sete %b0" : "=q"(eq), "+D"(di) : "a"(want ^ (i & 1)) : "cc");
      mix(eq & 1); }
    mix(len); mix(left); mix(sum);
  }
  printf("strings %#x\n", h);
}

/* 16-bit mul/imul/div/bt and 8-bit mul/div, with the flags they define. */
static void narrow(void) {
  for (int i = 0; i < 5000; i++) {
    u32 a = rnd(), b = rnd() | 1, f1, f2, f3;
    unsigned short ax = a, dx = a >> 16, bw = b;
    __asm__ volatile("mulw %3\n pushfl\n popl %2" : "+a"(ax), "=d"(dx), "=r"(f1) : "r"(bw) : "cc");
    mix(ax); mix(dx); mix(f1 & 0x801);
    short sx = (short)a, sy = (short)b;
    __asm__ volatile("imulw %2, %0\n pushfl\n popl %1" : "+r"(sx), "=r"(f2) : "r"(sy) : "cc");
    mix((unsigned short)sx); mix(f2 & 0x801);
    unsigned short q = a & 0x7fff, r = (a >> 20) % bw;
    __asm__ volatile("divw %2" : "+a"(q), "+d"(r) : "r"(bw) : "cc");
    mix(q); mix(r);
    unsigned short bits = a;
    __asm__ volatile("btw %2, %0\n pushfl\n popl %1" : "+r"(bits), "=r"(f3) : "r"((unsigned short)(b & 15)) : "cc");
    mix(f3 & 1);
    unsigned short al = a & 0xff, res;
    unsigned char m8 = b;
    __asm__ volatile("mulb %2\n" : "=a"(res) : "a"(al), "q"(m8) : "cc");
    mix(res);
    unsigned short num = a & 0x7fff;
    unsigned char d8 = (b & 0x7f) | 0x80;
    __asm__ volatile("divb %1" : "+a"(num) : "q"(d8) : "cc");
    mix(num);
  }
  printf("narrow %#x\n", h);
}

/* SSE2 integer ops as glibc's strlen uses them: pxor, movd, pcmpeqb, pmovmskb. */
__attribute__((target("sse2"))) static void sse(void) {
  static unsigned char blk[64] __attribute__((aligned(16)));
  for (int i = 0; i < 5000; i++) {
    for (int k = 0; k < 16; k++) blk[k] = (rnd() & 7) ? 1 + k : 0;
    u32 mask, lo, v = rnd();
    __asm__ volatile("pxor %%xmm0, %%xmm0\n movdqa (%2), %%xmm1\n pcmpeqb %%xmm1, %%xmm0\n pmovmskb %%xmm0, %0\n"
                     "movd %3, %%xmm2\n paddd %%xmm2, %%xmm1\n movd %%xmm1, %1"
                     : "=r"(mask), "=r"(lo) : "r"(blk), "r"(v) : "xmm0", "xmm1", "xmm2", "memory");
    mix(mask); mix(lo);
  }
  printf("sse %#x\n", h);
}

/* Faults in the middle of regions, from instructions run by the interpreter's closure. */
static unsigned char *page;
extern char scas_at[], cmps_at[], xadd_at[], cmpxchg_at[], fld_at[], div_at[], movs_at[], fault_end[];
static u32 gsb;

/*
 * rep movsb with a GS override (run by the interpreter's closure): moves n bytes at dst+1
 * (addressed through GS) down by one, byte by byte. A fault part-way must resume from the
 * ECX/ESI/EDI the instruction got to: starting it again from the beginning would shift the
 * bytes already moved a second time.
 */
void gs_shift(unsigned char *dst, u32 n, u32 gsbase);
__asm__(".globl gs_shift\ngs_shift:\n push %esi\n push %edi\n mov 12(%esp), %edi\n mov 16(%esp), %ecx\n lea 1(%edi), %esi\n"
        " sub 20(%esp), %esi\n cld\n add $0, %ecx\n movs_at: rep movsb %gs:(%esi), %es:(%edi)\n pop %edi\n pop %esi\n ret\n");

/* repne scasb for AL in [edi, edi+ecx): returns ecx left. */
u32 scan(const void *p, u32 n, u32 ch);
__asm__(".globl scan\nscan:\n push %edi\n mov 8(%esp), %edi\n mov 12(%esp), %ecx\n mov 16(%esp), %eax\n"
        " cld\n cmp $0, %ecx\n scas_at: repne scasb\n mov %ecx, %eax\n pop %edi\n ret\n");
/* repe cmpsb of [esi] and [edi] over ecx bytes: returns ecx left. */
u32 compare(const void *a, const void *b, u32 n);
__asm__(".globl compare\ncompare:\n push %esi\n push %edi\n mov 12(%esp), %esi\n mov 16(%esp), %edi\n mov 20(%esp), %ecx\n"
        " cld\n add $0, %ecx\n cmps_at: repe cmpsb\n mov %ecx, %eax\n pop %edi\n pop %esi\n ret\n");
/* n rounds of: lock xadd of 1 to [p]; p advances a page every 256 rounds. Returns the sum of old values. */
u32 xadds(u32 *p, u32 n);
__asm__(".globl xadds\nxadds:\n push %ebx\n push %esi\n mov 12(%esp), %esi\n mov 16(%esp), %ecx\n xor %ebx, %ebx\n"
        "1: mov $1, %eax\n cmp %ecx, %ebx\n xadd_at: lock xadd %eax, (%esi)\n add %eax, %ebx\n"
        " test $255, %ecx\n jnz 2f\n add $4096, %esi\n 2: dec %ecx\n jnz 1b\n mov %ebx, %eax\n pop %esi\n pop %ebx\n ret\n");
/* n rounds of: lock cmpxchg of [p] with [p]+1 (flags from a cmp before it); p advances a page every 256 rounds. */
u32 cmpxchgs(u32 *p, u32 n);
__asm__(".globl cmpxchgs\ncmpxchgs:\n push %ebx\n push %esi\n mov 12(%esp), %esi\n mov 16(%esp), %ecx\n xor %ebx, %ebx\n"
        "1: mov (%esi), %eax\n lea 1(%eax), %edx\n cmp %ecx, %ebx\n cmpxchg_at: lock cmpxchg %edx, (%esi)\n add %eax, %ebx\n"
        " test $255, %ecx\n jnz 2f\n add $4096, %esi\n 2: dec %ecx\n jnz 1b\n mov %ebx, %eax\n pop %esi\n pop %ebx\n ret\n");
/* Sum of n doubles at p, 8 at a time (the x87 load faults on a page taken away). */
double dsum(const double *p, u32 n);
__asm__(".globl dsum\ndsum:\n mov 4(%esp), %edx\n mov 8(%esp), %ecx\n fldz\n"
        "1: fld_at: faddl (%edx)\n add $8, %edx\n dec %ecx\n jnz 1b\n ret\n");
/* Sum of (i*7+3) / divisor[i] for bytes of divisors; a zero divisor raises SIGFPE mid-loop. */
u32 divs(const unsigned char *d, u32 n);
__asm__(".globl divs\ndivs:\n push %ebx\n push %esi\n mov 12(%esp), %esi\n mov 16(%esp), %ecx\n xor %edx, %edx\n"
        "1: movzbl (%esi), %ebx\n lea 3(%ecx,%ecx,4), %eax\n and $0xff, %eax\n cmp $0, %ebx\n div_at: divb %bl\n movzbl %al, %eax\n"
        " add %eax, %edx\n inc %esi\n dec %ecx\n jnz 1b\n fault_end: mov %edx, %eax\n pop %esi\n pop %ebx\n ret\n");

static void handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  u32 eip = g[REG_EIP], p = (u32)page;
  const char *where = eip == (u32)scas_at ? "scas" : eip == (u32)cmps_at ? "cmps" : eip == (u32)xadd_at ? "xadd"
    : eip == (u32)cmpxchg_at ? "cmpxchg" : eip == (u32)fld_at ? "fld" : eip == (u32)div_at ? "div" : eip == (u32)movs_at ? "movs" : "elsewhere";
  /* Only the registers each function defines (the others may hold addresses that differ between runs). */
  printf("sig %d %s code %d flags=%#x ecx=%#x", sig, where, si->si_code, (u32)g[REG_EFL] & 0x8d5, (u32)g[REG_ECX]);
  if (sig == SIGFPE) {
    printf(" eax=%#x ebx=%#x edx=%#x esi=page+%#x\n", (u32)g[REG_EAX], (u32)g[REG_EBX], (u32)g[REG_EDX], (u32)g[REG_ESI] - p);
    g[REG_EBX] = 3; /* the divisor: the divide runs again and succeeds */
    return;
  }
  if (eip == (u32)scas_at) printf(" eax=%#x edi=page+%#x", (u32)g[REG_EAX], (u32)g[REG_EDI] - p);
  if (eip == (u32)cmps_at) printf(" esi=page+%#x edi=page+%#x", (u32)g[REG_ESI] - p, (u32)g[REG_EDI] - p);
  if (eip == (u32)movs_at) printf(" esi=page+%#x edi=page+%#x", (u32)g[REG_ESI] + gsb - p, (u32)g[REG_EDI] - p);
  if (eip == (u32)cmpxchg_at) printf(" eax=%#x ebx=%#x edx=%#x esi=page+%#x", (u32)g[REG_EAX], (u32)g[REG_EBX], (u32)g[REG_EDX], (u32)g[REG_ESI] - p);
  if (eip == (u32)xadd_at) printf(" eax=%#x ebx=%#x esi=page+%#x", (u32)g[REG_EAX], (u32)g[REG_EBX], (u32)g[REG_ESI] - p);
  printf(" addr=page+%#x\n", (u32)((unsigned char *)si->si_addr - page));
  mprotect((void *)((u32)si->si_addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
}

static void faults(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  sigaction(SIGFPE, &sa, 0);
  __asm__ volatile("movl %%gs:0, %0" : "=r"(gsb));
  page = mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int round = 0; round < 4; round++) {
    memset(page, 'x', 8 * 4096);
    page[5 * 4096 + 100 + round] = 'y';
    mprotect(page + (2 + round) * 4096, 4096, PROT_NONE);
    /* Warm up below the taken page first, so the scan is translated when it reaches it. */
    for (int k = 0; k < 50; k++) mix(scan(page, 4000, 'z'));
    printf("scan %d left %#x\n", round, scan(page + 100, 7 * 4096, 'y'));
    mprotect(page + (2 + round) * 4096, 4096, PROT_NONE);
    for (int k = 0; k < 50; k++) mix(compare(page, page + 1, 3000));
    printf("compare %d left %#x\n", round, compare(page + 10, page + 11, 7 * 4096 - 20));
    mprotect(page + (1 + round) * 4096, 4096, PROT_READ);
    printf("xadds %d %#x\n", round, xadds((u32 *)page, 256 * 5));
    mprotect(page + (1 + round) * 4096, 4096, PROT_READ);
    printf("cmpxchgs %d %#x\n", round, cmpxchgs((u32 *)page, 256 * 5));
    for (u32 k = 0; k < 8 * 4096 / 8; k++) ((double *)page)[k] = (k & 1) ? 0.5 : 0.25;
    mprotect(page + (3 + round) * 4096, 4096, PROT_NONE);
    printf("dsum %d %.3f\n", round, dsum((double *)page, 8 * 4096 / 8));
    mprotect(page, 8 * 4096, PROT_READ | PROT_WRITE);
    for (int k = 0; k < 4096; k++) page[k] = 1 + k % 250;
    page[1000 + round * 500] = 0;
    printf("divs %d %#x\n", round, divs(page, 4096));
    for (int k = 0; k < 8 * 4096; k++) page[k] = k * 7 + round;
    for (int k = 0; k < 4; k++) gs_shift(page + 7 * 4096, 200, gsb);
    mprotect(page + (2 + round) * 4096, 4096, PROT_READ);
    gs_shift(page, 6 * 4096 + round, gsb);
    u32 sum = 0;
    for (int k = 0; k < 8 * 4096; k++) sum = sum * 33 + page[k];
    printf("gs_shift %d %#x\n", round, sum);
  }
  printf("faults %#x\n", h);
}

int main(void) {
  x87();
  locked();
  rotates();
  strings();
  narrow();
  sse();
  faults();
  return 0;
}
