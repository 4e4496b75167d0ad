/*
 * Region-internal dispatch and PIC thunks (src/engine/jit/codegen.ts structured()/dispatch(),
 * region.ts 'pcthunk'):
 *  - a function called from several places in one hot loop: its ret goes back to each call's
 *    continuation, which makes the region's graph irreducible; those edges go through the
 *    region's dispatcher (a compare chain up to 4 targets, a br_table beyond). The callee
 *    leaves its flags to the caller (a cmp before ret, a jb/sbb after the call), and faults
 *    on a page taken away mid-loop, inside the callee and in a continuation;
 *  - `call __x86.get_pc_thunk.bx`-style thunks (mov (%esp),%ebx; ret), translated as one
 *    instruction: EBX, the return address left below ESP, and a fault of the call's push
 *    (ESP at the bottom of a mapped page) with the registers a handler sees.
 * Everything printed is compared with the native run.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static unsigned *data;
static unsigned faults;

/* cmp_lt(a, b): CF = a < b (unsigned), returned in the flags only. */
unsigned cmp_lt(unsigned a, unsigned b);
/* bump(p): (*p)++, then CF = (*p < 100) for the caller. */
unsigned bump(unsigned *p);
/* Six call sites of bump and cmp_lt in one loop body, each reading the flags after the call; p moves 32 bytes an iteration. */
unsigned many(unsigned *p, unsigned n);
asm(".text\n"
    ".globl cmp_lt\n cmp_lt:\n mov 4(%esp), %eax\n cmp 8(%esp), %eax\n ret\n"
    ".globl bump\n bump:\n mov 4(%esp), %ecx\n mov (%ecx), %eax\n add $1, %eax\n"
    ".globl bump_store\n bump_store:\n mov %eax, (%ecx)\n cmp $100, %eax\n ret\n"
    ".globl many\n many:\n push %ebx\n push %esi\n push %edi\n"
    " mov 16(%esp), %esi\n mov 20(%esp), %edi\n xor %ebx, %ebx\n"
    "1:\n"
    " push %esi\n call bump\n add $4, %esp\n adc $0, %ebx\n"
    " push %edi\n push %ebx\n call cmp_lt\n add $8, %esp\n sbb $0, %ebx\n"
    " lea 4(%esi), %eax\n push %eax\n call bump\n add $4, %esp\n adc $1, %ebx\n"
    " push %esi\n call bump\n add $4, %esp\n jb 2f\n add $3, %ebx\n"
    "2:\n push $7\n push %edi\n call cmp_lt\n add $8, %esp\n adc $0x11, %ebx\n rol $5, %ebx\n"
    " lea 8(%esi), %eax\n push %eax\n call bump\n add $4, %esp\n cmp %edi, %ebx\n"
    ".globl many_cont\n many_cont:\n mov %ebx, 12(%esi)\n"
    " add $32, %esi\n sub $1, %edi\n jnz 1b\n"
    " mov %ebx, %eax\n pop %edi\n pop %esi\n pop %ebx\n ret\n");

/* The PIC thunk and a function using it on a stack given to it. */
unsigned got_ebx, got_below;
void on_stack(void *top);
extern char thunk_call[], thunk_after[], bump_store[], many_cont[];
asm(".text\n"
    "thunk_bx:\n mov (%esp), %ebx\n ret\n"
    ".globl on_stack\n on_stack:\n push %ebp\n mov %esp, %ebp\n push %ebx\n"
    " mov 8(%ebp), %esp\n cmp $0x3e8, %ebx\n"
    ".globl thunk_call\n thunk_call:\n call thunk_bx\n"
    ".globl thunk_after\n thunk_after:\n mov -4(%esp), %eax\n mov %eax, got_below\n mov %ebx, got_ebx\n"
    " lea -4(%ebp), %esp\n pop %ebx\n pop %ebp\n ret\n");

static const char *where(unsigned eip) {
  static char buf[64];
  if (eip == (unsigned)bump_store) return "bump_store";
  if (eip == (unsigned)many_cont) return "many_cont";
  if (eip == (unsigned)thunk_call) return "thunk_call";
  snprintf(buf, sizeof buf, "elsewhere");
  return buf;
}

static char *stack_lo;

static void segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  unsigned addr = (unsigned)si->si_addr, base = (unsigned)data;
  if (addr >= base && addr < base + 65536)
    printf("  fault %d at %s, addr data+%#x; eax %#x ebx %#x ecx data+%#x esi data+%#x edi %#x; flags %#x\n",
           sig, where(g[REG_EIP]), addr - base, (unsigned)g[REG_EAX], (unsigned)g[REG_EBX], (unsigned)g[REG_ECX] - base,
           (unsigned)g[REG_ESI] - base, (unsigned)g[REG_EDI], (unsigned)g[REG_EFL] & 0x8d5);
  else
    printf("  fault %d at %s, addr stack+%#x; ebx %#x esp stack+%#x; flags %#x\n",
           sig, where(g[REG_EIP]), addr - (unsigned)stack_lo, (unsigned)g[REG_EBX], (unsigned)g[REG_ESP] - (unsigned)stack_lo,
           (unsigned)g[REG_EFL] & 0x8d5);
  faults++;
  mprotect((void *)(addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  static char alt[65536];
  stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
  sigaltstack(&ss, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, 0);
  data = mmap(0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  /* 1. One callee, several continuations: the ret edges go through the dispatcher. */
  printf("dispatch:\n");
  unsigned total = 0;
  for (unsigned round = 0; round < 40; round++) {
    /* Each round walks 32 bytes an iteration from its own page (data + 4 KiB * (round % 12))
       into the next one, which some rounds take away first: the fault comes mid-loop. */
    unsigned *p = data + 1024 * (round % 12) + 5 * (round % 5);
    if (round % 3 == 1) mprotect((char *)data + 4096 * (round % 12 + 1), 4096, PROT_READ);
    total = total * 31 + many(p, 200 + round);
    total += p[0] + p[1] + p[2] + p[3];
  }
  printf("  total %#x, %u faults\n", total, faults);

  /* 2. PIC thunks: EBX and the word left below ESP; then a push into a taken page. */
  printf("pc thunk:\n");
  stack_lo = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned ok = 0;
  for (unsigned i = 0; i < 3000; i++) {
    /* The call pushes at top - 4: on the upper page, or the lower one when top is its end. */
    char *top = stack_lo + (i % 3 == 0 ? 4096 : 8192 - 16 * (i % 50));
    if (i % 1000 == 999) mprotect(stack_lo, 4096, PROT_NONE);
    got_ebx = got_below = 0;
    on_stack(top);
    ok += got_ebx == (unsigned)thunk_after && got_below == (unsigned)thunk_after;
  }
  printf("  %u of 3000 calls left ebx and the word below esp at the return address; %u faults\n", ok, faults);
  return 0;
}
