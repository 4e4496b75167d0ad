/*
 * A read-modify-write whose store faults changes nothing: the SIGSEGV handler sees the flags
 * from before the instruction, and when it makes the page writable and returns, the
 * instruction runs again from the same state (adc/sbb store what they would have stored).
 * Every RMW form the interpreter builds in its own way: ALU ops at 8/16/32 bits with
 * register, immediate and sign-extended immediate sources, simple and indexed addresses,
 * inc/dec, neg/not, shifts and rotates, shld/shrd and the bit-test family.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static unsigned char *page;
static unsigned faults, fault_flags;

static void on_segv(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  (void)sig; (void)si;
  faults++;
  fault_flags = (unsigned)uc->uc_mcontext.gregs[REG_EFL] & 0x8d5;
  mprotect(page, 4096, PROT_READ | PROT_WRITE);
}

/* Each case: EDI = page, ESI = 2 (an index), ECX = 5 (a count), EAX = 0x80000001, flags = F. */
#define CASE(name, insn)                                                                        \
  static void name(unsigned f) {                                                                \
    __asm__ volatile("push %0\n popf\n" insn "\n"                                               \
                     : : "r"(f), "D"(page), "S"(2), "c"(5), "a"(0x80000001u), "d"(0x12345678u) \
                     : "memory", "cc");                                                          \
  }
CASE(add32r, "add %%eax, 40(%%edi)")
CASE(adc32r, "adc %%eax, 40(%%edi)")
CASE(sbb32r, "sbb %%eax, 40(%%edi,%%esi,4)")
CASE(adc32i, "adcl $0x7fffffff, 40(%%edi)")
CASE(sbb32i8, "sbbl $-3, 40(%%edi)")
CASE(sub32r, "sub %%eax, 40(%%edi,%%esi,2)")
CASE(add8r, "add %%al, 41(%%edi)")
CASE(adc8i, "adcb $0x7f, 41(%%edi,%%esi)")
CASE(sbb16r, "sbb %%ax, 42(%%edi)")
CASE(add16i, "addw $7, 42(%%edi,%%esi,2)")
CASE(xor8r, "xor %%al, 43(%%edi)")
CASE(inc8, "incb 44(%%edi)")
CASE(dec16, "decw 44(%%edi)")
CASE(inc32x, "incl 44(%%edi,%%esi,4)")
CASE(neg8, "negb 45(%%edi)")
CASE(neg32, "negl 44(%%edi)")
CASE(not16, "notw 44(%%edi)")
CASE(shl32cl, "shll %%cl, 48(%%edi)")
CASE(rcl8, "rclb $1, 49(%%edi)")
CASE(sar16, "sarw $3, 50(%%edi)")
CASE(shld32, "shld $4, %%edx, 52(%%edi)")
CASE(shrd16cl, "shrd %%cl, %%dx, 52(%%edi)")
CASE(bts32i, "btsl $3, 56(%%edi)")
CASE(btc32r, "btc %%ecx, 56(%%edi)")
CASE(btr16r, "btr %%cx, 56(%%edi,%%esi,2)")

static const struct { const char *name; void (*run)(unsigned); } cases[] = {
#define C(n) { #n, n }
  C(add32r), C(adc32r), C(sbb32r), C(adc32i), C(sbb32i8), C(sub32r), C(add8r), C(adc8i),
  C(sbb16r), C(add16i), C(xor8r), C(inc8), C(dec16), C(inc32x), C(neg8), C(neg32), C(not16),
  C(shl32cl), C(rcl8), C(sar16), C(shld32), C(shrd16cl), C(bts32i), C(btc32r), C(btr16r),
};

int main(void) {
  page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  /* Flag values before the instruction: all six set, none, CF alone, ZF|PF. */
  static const unsigned before[] = { 0x8d7, 0x002, 0x003, 0x046 };
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++)
    for (unsigned b = 0; b < 4; b++) {
      for (int i = 0; i < 64; i++) page[40 + i] = (unsigned char)(0x5a + 37 * i + b);
      mprotect(page, 4096, PROT_READ);
      faults = 0;
      fault_flags = 0xffffffffu;
      cases[k].run(before[b]);
      printf("%-8s flags %03x: faults %u, flags at the fault %03x, memory", cases[k].name, before[b], faults, fault_flags);
      for (int i = 40; i < 64; i += 4) printf(" %08x", *(unsigned *)(page + i));
      printf("\n");
    }
  return 0;
}
