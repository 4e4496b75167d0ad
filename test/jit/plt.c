/*
 * Calls through PLT-style stubs (`jmp *GOT` and `jmp *disp32(%ebx)`) whose GOT slots and
 * stub bytes change under the caller's translation (src/engine/jit/region.ts pltStub: a call
 * out through a stub runs the stub's jmp inside the caller, reading the slot at run time):
 *  - the slot rewritten between calls (as lazy binding and dlopen'd code do): every call
 *    must go where the slot says now;
 *  - the slot's page taken away: SIGSEGV at the stub's jmp, with EIP the stub, the return
 *    address pushed, registers as native; the handler gives the page back and the jmp runs;
 *  - the stub's own bytes rewritten (its absolute slot address changed) between hot loops.
 * Output: sums and the handler's observations, equal natively and under the engine.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

int f1(int x) { return x * 3 + 1; }
int f2(int x) { return x ^ 0x55; }
int f3(int x) { return x - 7; }

/* The GOT: slots on a page of their own, so it can be taken away. */
static void *got[1024] __attribute__((aligned(4096)));
#define SLOT_A 0
#define SLOT_B 1
#define SLOT_C 2

int stub_a(int x);
int call_b(int x);
extern char stub_a_slot[], stub_b[], stub_a_start[];
/* stub_a: ff 25 abs32 (non-PIC PLT entry); stub_b: ff a3 disp32 (PIC entry, %ebx = GOT - 0x1000). */
__asm__(".text\n.p2align 4\n.globl stub_a\nstub_a:\nstub_a_start:\n.byte 0xff, 0x25\nstub_a_slot:\n.long got\n"
        ".globl stub_b\nstub_b:\n.byte 0xff, 0xa3\n.long 0x1000 + 4\n"
        /* int call_b(int x): %ebx = got - 0x1000, call stub_b(x) */
        ".globl call_b\ncall_b:\npush %ebx\nmov 8(%esp), %eax\nmov $got - 0x1000, %ebx\npush %eax\ncall stub_b\nadd $4, %esp\npop %ebx\nret\n");

static volatile int faulted;
static void *fault_page;
static void on_segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  uint32_t eip = (uint32_t)g[REG_EIP], esp = (uint32_t)g[REG_ESP];
  printf("sig %d addr=%s eip=%s ret=%08x ebx=%s eax=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n", sig,
         si->si_addr == (void *)&got[SLOT_A] || si->si_addr == (void *)&got[SLOT_B] ? "slot" : "other",
         eip == (uint32_t)(uintptr_t)stub_a ? "stub_a" : eip == (uint32_t)(uintptr_t)stub_b ? "stub_b" : "other",
         *(uint32_t *)(uintptr_t)esp - (uint32_t)(uintptr_t)call_b,
         (uint32_t)g[REG_EBX] == (uint32_t)(uintptr_t)got - 0x1000 ? "got-0x1000" : "other",
         (uint32_t)g[REG_EAX], (uint32_t)g[REG_ECX], (uint32_t)g[REG_EDX], (uint32_t)g[REG_ESI], (uint32_t)g[REG_EDI]);
  faulted++;
  mprotect(fault_page, 4096, PROT_READ | PROT_WRITE);
}

static int (*const fs[3])(int) = {f1, f2, f3};

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  fault_page = got;
  got[SLOT_A] = f1;
  got[SLOT_B] = f2;
  got[SLOT_C] = f3;

  /* Slots rewritten between calls: every 7th call to a, every 5th to b. */
  for (int round = 0; round < 4; round++) {
    uint32_t sa_ = 0, sb = 0;
    for (int i = 0; i < 20000; i++) {
      if (i % 7 == 0) got[SLOT_A] = fs[(i / 7 + round) % 3];
      if (i % 5 == 0) got[SLOT_B] = fs[(i / 5 + 2 * round) % 3];
      sa_ = sa_ * 31 + (uint32_t)stub_a(i);
      sb = sb * 37 + (uint32_t)call_b(i);
    }
    printf("round %d: a %08x b %08x\n", round, sa_, sb);
  }

  /* The GOT's page taken away in the middle of a hot loop: the fault is at the stub's jmp. */
  got[SLOT_A] = f1;
  got[SLOT_B] = f2;
  for (int round = 0; round < 3; round++) {
    uint32_t s = 0;
    for (int i = 0; i < 30000; i++) {
      if (i == 20000 + round * 1000) mprotect(fault_page, 4096, PROT_NONE);
      s = s * 31 + (uint32_t)(round == 1 ? call_b(i) : stub_a(i));
    }
    printf("fault round %d: %08x faulted %d\n", round, s, faulted);
  }

  /* The stub's bytes rewritten: stub_a's slot address moved to slot C between hot loops. */
  void *text = (void *)((uintptr_t)stub_a_slot & ~(uintptr_t)4095);
  for (int round = 0; round < 3; round++) {
    uint32_t s = 0;
    for (int i = 0; i < 20000; i++) s = s * 31 + (uint32_t)stub_a(i);
    printf("stub round %d: %08x\n", round, s);
    if (mprotect(text, 8192, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) { perror("mprotect"); return 1; }
    void **want = round == 0 ? &got[SLOT_C] : round == 1 ? &got[SLOT_B] : &got[SLOT_A];
    memcpy(stub_a_slot, &want, 4);
    mprotect(text, 8192, PROT_READ | PROT_EXEC);
  }
  return 0;
}
