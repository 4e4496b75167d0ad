/*
 * xchg with memory and 32-bit cmpxchg, translated by the JIT (region.ts 'xchgm', 'cmpxchg';
 * LOCK accepted on memory destinations), as static glibc's locks use them (busybox sh's
 * malloc: `xchg %eax,(%edx)` and `lock cmpxchg`). In hot loops between a flag producer and
 * a consumer: cmpxchg's flags (those of cmp EAX, dst) and both outcomes, with and without
 * LOCK, memory and register destinations (EAX itself too), xchg through a base + index
 * address; then faults in the middle of a region: xchg and cmpxchg on a page made
 * read-only, cmpxchg whose compare fails (the destination is written anyway, so it faults
 * too), with the handler printing the registers and flags of its ucontext, making the page
 * writable and returning. Output compared with the native CPU.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

typedef unsigned int u32;

static u32 seed = 777;
static u32 rnd(void) { seed = seed * 1103515245u + 12345u; return seed ^ (seed >> 15); }
static u32 h = 0;
static void mix(u32 v) { h = (h ^ v) * 16777619u; }

static void values(void) {
  volatile u32 arr[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 0; i < 6000; i++) {
    u32 v = rnd(), w = rnd() & 7, f1, f2, f3, f4, acc, r;
    /* xchg reg, [base + index*4] after a cmp; the flags stay the cmp's. */
    r = v;
    __asm__ volatile("cmpl %3, %0\n xchgl %0, (%2,%4,4)\n pushfl\n popl %1"
                     : "+r"(r), "=r"(f1) : "r"(arr), "r"(i), "r"(w) : "cc", "memory");
    mix(r); mix(f1 & 0x8d5);
    /* lock cmpxchg: equal on odd rounds, not on even ones. */
    acc = (i & 1) ? arr[w] : arr[w] + i;
    __asm__ volatile("lock cmpxchgl %3, (%2,%4,4)\n pushfl\n popl %1"
                     : "+a"(acc), "=r"(f2) : "r"(arr), "r"(v ^ i), "r"(w) : "cc", "memory");
    mix(acc); mix(f2 & 0x8d5);
    /* cmpxchg without LOCK, then a Jcc-style consumer (setc, sets) of its flags. */
    unsigned char c, s;
    acc = (i % 3) ? arr[(w + 1) & 7] : (u32)i << 20;
    __asm__ volatile("cmpxchgl %4, (%3,%5,4)\n setc %1\n sets %2"
                     : "+a"(acc), "=q"(c), "=q"(s) : "r"(arr), "r"(v), "r"((w + 1) & 7) : "cc", "memory");
    mix(acc); mix(c); mix(s);
    /* Register destination: equal (dst = src) and not (EAX = dst), and EAX as the destination. */
    u32 d = (i & 2) ? v : v + 1, src = rnd();
    acc = v;
    __asm__ volatile("cmpxchgl %3, %1\n pushfl\n popl %2" : "+a"(acc), "+r"(d), "=r"(f3) : "r"(src) : "cc");
    mix(acc); mix(d); mix(f3 & 0x8d5);
    acc = v;
    __asm__ volatile("cmpxchgl %2, %%eax\n pushfl\n popl %1" : "+a"(acc), "=r"(f4) : "r"(src) : "cc");
    mix(acc); mix(f4 & 0x8d5);
  }
  for (int k = 0; k < 8; k++) mix(arr[k]);
  printf("values %#x\n", h);
}

static unsigned char *page;
extern char xchg_at[], cx_at[];

/* n rounds of: xchg of a counter with [p]; p advances a page every 256 rounds. Returns the sum of old values. */
u32 xchgs(u32 *p, u32 n);
__asm__(".globl xchgs\nxchgs:\n push %ebx\n push %esi\n mov 12(%esp), %esi\n mov 16(%esp), %ecx\n xor %ebx, %ebx\n"
        "1: mov %ecx, %eax\n cmp $77, %ecx\n xchg_at: xchg %eax, (%esi)\n add %eax, %ebx\n"
        " test $255, %ecx\n jnz 2f\n add $4096, %esi\n 2: dec %ecx\n jnz 1b\n mov %ebx, %eax\n pop %esi\n pop %ebx\n ret\n");
/* n rounds of cmpxchg on [p]: EAX is [p] on even rounds (equal), [p]+1 on odd ones (not equal); p advances a page every 256 rounds. */
u32 cxs(u32 *p, u32 n);
__asm__(".globl cxs\ncxs:\n push %ebx\n push %esi\n mov 12(%esp), %esi\n mov 16(%esp), %ecx\n xor %ebx, %ebx\n"
        "1: mov (%esi), %eax\n mov %ecx, %edx\n and $1, %edx\n add %edx, %eax\n lea 3(%ecx), %edx\n cmp %ecx, %ebx\n"
        " cx_at: cmpxchg %edx, (%esi)\n add %eax, %ebx\n"
        " test $255, %ecx\n jnz 2f\n add $4096, %esi\n 2: dec %ecx\n jnz 1b\n mov %ebx, %eax\n pop %esi\n pop %ebx\n ret\n");

static void handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  u32 eip = g[REG_EIP], p = (u32)page;
  const char *where = eip == (u32)xchg_at ? "xchg" : eip == (u32)cx_at ? "cmpxchg" : "elsewhere";
  printf("sig %d %s code %d flags=%#x eax=%#x ebx=%#x ecx=%#x edx=%#x esi=page+%#x addr=page+%#x\n", sig, where, si->si_code,
         (u32)g[REG_EFL] & 0x8d5, (u32)g[REG_EAX], (u32)g[REG_EBX], (u32)g[REG_ECX], (u32)g[REG_EDX], (u32)g[REG_ESI] - p,
         (u32)((unsigned char *)si->si_addr - page));
  mprotect((void *)((u32)si->si_addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
}

static void faults(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  page = mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int round = 0; round < 4; round++) {
    for (u32 k = 0; k < 8 * 4096 / 4; k++) ((u32 *)page)[k] = k * 2654435761u;
    mprotect(page + (1 + round) * 4096, 4096, PROT_READ);
    printf("xchgs %d %#x\n", round, xchgs((u32 *)page, 256 * 5));
    mprotect(page + (1 + round) * 4096, 4096, PROT_READ);
    printf("cxs %d %#x\n", round, cxs((u32 *)page, 256 * 5 + round));
    mprotect(page, 8 * 4096, PROT_READ | PROT_WRITE);
    u32 sum = 0;
    for (u32 k = 0; k < 8 * 4096 / 4; k++) sum = sum * 33 + ((u32 *)page)[k];
    printf("memory %d %#x\n", round, sum);
  }
}

int main(void) {
  values();
  faults();
  return 0;
}
