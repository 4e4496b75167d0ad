/*
 * Shared protection checks (src/engine/jit/check-groups.ts): the accesses of a block through
 * the same registers plus constants are checked once as a range. Each routine here makes
 * that range wrong in one way and must fault exactly where the CPU does (the SIGSEGV
 * handler prints which instruction, the registers it defines and the arithmetic flags, fixes
 * the page and returns), or see its own store into its code:
 * - fields: loads and stores through EBX at offsets 0-63, called at bases that move the
 *   range across a page taken away (PROT_NONE) or made read-only: every access is the first
 *   to reach it at some base;
 * - base: EBX changed between two accesses (mov, xchg, lea, cmov, pop, imul, add of a
 *   register, add of an immediate, inc), the second access on the page taken away;
 * - stack: pushes and pops on a stack of our own whose next page down is taken away (the
 *   handler runs on an alternate stack);
 * - code: a hot block whose stores sometimes reach its own page, patching the immediate its
 *   next call returns (a page holding code must fail the shared check).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static unsigned char *buf, *stk;
extern char f0[], f1[], f2[], f3[], f4[], f5[], f_end[];
extern char b0[], b_end[], s0[], s_end[];

/* eax, edx from fields at ebx; flags from the adc before the last two accesses. */
unsigned fields(unsigned char *base);
__asm__(".globl fields\nfields:\n"
        "push %ebx\nmov 8(%esp), %ebx\nxor %eax, %eax\n"
        "f0: mov (%ebx), %eax\n"
        "f1: add 8(%ebx), %eax\n"
        "f2: mov %eax, 16(%ebx)\n"
        "f3: adc 24(%ebx), %eax\n"
        "f4: add %eax, 40(%ebx)\n"
        "f5: mov 60(%ebx), %edx\n"
        "add %edx, %eax\n"
        "f_end:\npop %ebx\nret\n");

/*
 * base(good, bad, k): a load through EBX = good, then EBX becomes bad by way k, then a store
 * at 8(%ebx) (bad + 8 is on the page taken away). Returns the loaded word.
 */
unsigned base(unsigned char *good, unsigned char *bad, int k);
__asm__(".globl base\nbase:\n"
        "push %ebx\npush %esi\n"
        "mov 12(%esp), %ebx\nmov 16(%esp), %ecx\nmov 20(%esp), %esi\n"
        "mov %ecx, %edx\nsub %ebx, %edx\n"
        "cmp $0, %esi\nje 10f\ncmp $1, %esi\nje 11f\ncmp $2, %esi\nje 12f\ncmp $3, %esi\nje 13f\n"
        "cmp $4, %esi\nje 14f\ncmp $5, %esi\nje 15f\ncmp $6, %esi\nje 16f\ncmp $7, %esi\nje 17f\njmp 18f\n"
        "10: mov 4(%ebx), %eax\nmov %ecx, %ebx\nb0: mov %eax, 8(%ebx)\njmp 20f\n"
        "11: mov 4(%ebx), %eax\nxchg %ecx, %ebx\nmov %eax, 8(%ebx)\njmp 20f\n"
        "12: mov 4(%ebx), %eax\nlea (%ecx), %ebx\nmov %eax, 8(%ebx)\njmp 20f\n"
        "13: mov 4(%ebx), %eax\ntest %esi, %esi\ncmovne %ecx, %ebx\nmov %eax, 8(%ebx)\njmp 20f\n"
        "14: push %ecx\nmov 4(%ebx), %eax\npop %ebx\nmov %eax, 8(%ebx)\njmp 20f\n"
        "15: mov 4(%ebx), %eax\nimul $1, %ecx, %ebx\nmov %eax, 8(%ebx)\njmp 20f\n"
        "16: mov 4(%ebx), %eax\nadd %edx, %ebx\nmov %eax, 8(%ebx)\njmp 20f\n"
        /* good = bad - 64 here: an immediate step, the range 4..8+64 crosses into the bad page. */
        "17: mov 4(%ebx), %eax\nadd $64, %ebx\nmov %eax, 8(%ebx)\njmp 20f\n"
        "18: mov 4(%ebx), %eax\ninc %ebx\nmov %eax, 7(%ebx)\n"
        "20:\nb_end:\npop %esi\npop %ebx\nret\n");

/* Pushes and pops on the stack at sp; returns how far ESP got below sp, plus the popped words. */
unsigned saved_esp;
unsigned stack_ops(unsigned char *sp, unsigned v);
__asm__(".globl stack_ops\nstack_ops:\n"
        "push %ebx\npush %esi\n"
        "mov 16(%esp), %eax\nmov 12(%esp), %ecx\nmov %esp, saved_esp\nmov %ecx, %esp\n"
        "s0: push %eax\ninc %eax\npush %eax\ninc %eax\npush %eax\npop %ebx\npush %ebx\npush %eax\n"
        "sub $8, %esp\nmov %eax, 4(%esp)\npush %ebx\npop %esi\npop %ecx\npop %ecx\nadd %esi, %ecx\n"
        "push %ecx\npush %ecx\nmov %esp, %edx\n"
        "s_end:\nmov saved_esp, %esp\nsub %edx, 12(%esp)\nmov 12(%esp), %eax\nadd %ecx, %eax\npop %esi\npop %ebx\nret\n");

static void handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  unsigned eip = g[REG_EIP];
  unsigned char *page = (unsigned char *)((unsigned)si->si_addr & ~4095u);
  if (eip >= (unsigned)f0 && eip < (unsigned)f_end) {
    char *at[6] = { f0, f1, f2, f3, f4, f5 };
    int k = 0;
    while (k < 6 && (unsigned)at[k] != eip) k++;
    /* At add's store to a read-only page the flags are still the adc's, as the CPU keeps them. */
    printf("fields f%d addr buf+%#x eax=%#x flags=%#x\n", k, (unsigned)((unsigned char *)si->si_addr - buf),
           (unsigned)g[REG_EAX], (unsigned)g[REG_EFL] & 0x8d5);
  } else if (eip >= (unsigned)b0 && eip < (unsigned)b_end) {
    printf("base +%u addr buf+%#x eax=%#x\n", eip - (unsigned)b0, (unsigned)((unsigned char *)si->si_addr - buf), (unsigned)g[REG_EAX]);
  } else if (eip >= (unsigned)s0 && eip < (unsigned)s_end) {
    printf("stack +%u addr stk+%#x esp=stk+%#x eax=%#x ebx=%#x\n", eip - (unsigned)s0, (unsigned)((unsigned char *)si->si_addr - stk),
           (unsigned)g[REG_ESP] - (unsigned)stk, (unsigned)g[REG_EAX], (unsigned)g[REG_EBX]);
  } else {
    printf("sig %d elsewhere\n", sig);
  }
  mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

/*
 * Code that stores through ESI: at 1(%esi), over the immediate of its first instruction when
 * ESI is its own page (the next call returns the new value), else into a data page (so the
 * block gets hot and translated between patches); eax at 0x100(%esi). The two stores share
 * one check.
 */
static const unsigned char CODE_TEMPLATE[] = {
  0xb8, 0x11, 0x11, 0x11, 0x11,       /* mov $0x11111111, %eax */
  0x89, 0x56, 0x01,                   /* mov %edx, 1(%esi) */
  0x89, 0x86, 0x00, 0x01, 0x00, 0x00, /* mov %eax, 0x100(%esi) */
  0xc3,                               /* ret */
};

static unsigned run_code(unsigned char *code, unsigned char *target, unsigned d) {
  unsigned r;
  __asm__ volatile("call *%1" : "=a"(r) : "r"(code), "S"(target), "d"(d) : "memory", "cc");
  return r;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  static char alt[65536];
  stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
  sigaltstack(&ss, 0);
  sigaction(SIGSEGV, &sa, 0);
  buf = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int prot = 0; prot < 2; prot++) {
    for (int k = 0; k <= 72; k += 2) {
      for (unsigned i = 0; i < 3 * 4096 / 4; i++) ((unsigned *)buf)[i] = i * 2654435761u + k;
      mprotect(buf + 4096, 4096, prot ? PROT_READ : PROT_NONE);
      unsigned r = fields(buf + 4096 - 64 + k);
      unsigned sum = 0;
      for (unsigned i = 0; i < 3 * 4096 / 4; i++) sum = sum * 33 + ((unsigned *)buf)[i];
      printf("fields prot %d k %d r %#x sum %#x\n", prot, k, r, sum);
    }
  }
  for (int round = 0; round < 3; round++)
    for (int k = 0; k < 9; k++) {
      mprotect(buf + 4096, 4096, PROT_NONE);
      unsigned char *bad = buf + 4096 - 8 + round;
      /* k 7: an immediate step of 64 from good to bad; k 8: inc, the store at good + 8, on the bad page. */
      unsigned char *good = k == 7 ? bad - 64 : k == 8 ? buf + 4096 - 8 : buf + 64 * k;
      unsigned char *target = k == 8 ? good + 8 : bad + 8;
      ((unsigned *)(good + 4))[0] = 0x1000 * k + round;
      unsigned r = base(good, bad, k);
      printf("base round %d k %d r %#x word %#x\n", round, k, r, *(unsigned *)target);
    }
  stk = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int k = 0; k <= 48; k += 4) {
    mprotect(stk, 4096, PROT_NONE);
    unsigned r = stack_ops(stk + 4096 + k, 0x100 * k);
    printf("stack k %d r %#x\n", k, r);
  }
  unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memcpy(code, CODE_TEMPLATE, sizeof CODE_TEMPLATE);
  unsigned char *data = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned sum = 0;
  for (unsigned i = 0; i < 3000; i++) sum = sum * 31 + run_code(code, i % 100 == 99 ? code : data, i * 7 + 1);
  printf("code sum %#x stored %#x data %#x\n", sum, *(unsigned *)(code + 0x100), *(unsigned *)(data + 0x100));
  return 0;
}
