/*
 * Chaining between translated regions (src/engine/jit/hub.ts): hot code that moves from one
 * region to another through indirect calls, returns and jumps, which the JIT continues in
 * Wasm without returning to the interpreter. What may go wrong there:
 *  - a fault in a region reached through the hub must still be precise (the handler sees the
 *    callee's registers, fixes the page, and the chain resumes);
 *  - code rewritten while another region chains to it (generated code in an mmap'd buffer,
 *    patched between calls, and W^X mprotect cycles) must never run stale;
 *  - a loop that only bounces between regions must still let signals in;
 *  - fork in the middle of a chained loop: parent and child go on with their own data.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

typedef unsigned (*op_fn)(unsigned, unsigned *);

static unsigned *data;
/* Stores go through `sink`, which points into data; step() moves it one word on. */
static unsigned *volatile sink;

static unsigned op_add(unsigned x, unsigned *p) { *p += x; return x * 3 + 1; }
static unsigned op_xor(unsigned x, unsigned *p) { *p ^= x << 3; return (x >> 1) ^ 0x5bd1e995u; }
static unsigned op_mix(unsigned x, unsigned *p) { unsigned y = x * 0x9e3779b1u; *p = y; return y ^ (y >> 15); }
static unsigned op_rot(unsigned x, unsigned *p) { unsigned y = (x << 7) | (x >> 25); *p -= y; return y + 11; }
static op_fn ops[4] = { op_add, op_xor, op_mix, op_rot };

/* A dispatch loop: every iteration an indirect call picked by the data, as an interpreter's. */
static unsigned __attribute__((noinline)) dispatch(unsigned x, unsigned n, unsigned stride) {
  for (unsigned i = 0; i < n; i++) {
    x = ops[(x >> 3) & 3](x, (unsigned *)sink);
    sink += stride;
  }
  return x;
}

static void segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  unsigned eip = g[REG_EIP];
  const char *where = "elsewhere";
  /* The faulting store is in one of the callees (each is a few dozen bytes). */
  for (int k = 0; k < 4; k++) if (eip >= (unsigned)ops[k] && eip < (unsigned)ops[k] + 64) where = k == 0 ? "op_add" : k == 1 ? "op_xor" : k == 2 ? "op_mix" : "op_rot";
  printf("  fault %d at data+%#x in %s\n", sig, (unsigned)((unsigned *)si->si_addr - data) * 4, where);
  mprotect((void *)((unsigned)si->si_addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
}

/* Generated code: `mov $imm, %eax; ret`, patched between calls. */
static unsigned char *code;
static void emit(unsigned imm) {
  code[0] = 0xb8; memcpy(code + 1, &imm, 4); code[5] = 0xc3;
}
static unsigned __attribute__((noinline)) call_gen_loop(unsigned n) {
  unsigned s = 0;
  for (unsigned i = 0; i < n; i++) s += ((unsigned (*)(void))code)() + i;
  return s;
}

static volatile sig_atomic_t stop;
static void alarm_handler(int sig) { (void)sig; stop = 1; }
static unsigned __attribute__((noinline)) bounce_a(unsigned x);
static unsigned __attribute__((noinline)) bounce_b(unsigned x) { return x * 5 + 3; }
static unsigned (*volatile bounce_fn)(unsigned) = bounce_b;
static unsigned __attribute__((noinline)) bounce_a(unsigned x) { return bounce_fn(x) ^ (x >> 9); }

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  data = mmap(0, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  /* 1. Dispatch through the hub, faulting mid-chain: each round a page ahead is taken away. */
  unsigned x = 12345;
  for (int round = 0; round < 6; round++) {
    sink = data;
    mprotect(data + (round + 1) * 1024, 4096, PROT_NONE);
    x = dispatch(x, 1024 * (round + 1) + 300 + 50 * round, 1);
    unsigned sum = 0;
    for (unsigned i = 0; i < 64 * 1024; i++) sum = sum * 31 + data[i];
    printf("dispatch round %d: x=%#x sum=%#x\n", round, x, sum);
  }

  /* 2. Generated code called from a hot loop, rewritten between calls (direct writes, then W^X flips). */
  code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (unsigned v = 1; v <= 6; v++) {
    emit(v * 1000);
    printf("generated %u: %#x\n", v, call_gen_loop(3000));
  }
  for (unsigned v = 7; v <= 10; v++) {
    mprotect(code, 4096, PROT_READ | PROT_WRITE);
    emit(v * 1000);
    mprotect(code, 4096, PROT_READ | PROT_EXEC);
    printf("generated (W^X) %u: %#x\n", v, call_gen_loop(3000));
  }

  /* 3. Endless bouncing between two functions through a pointer: SIGALRM must still stop it. */
  signal(SIGALRM, alarm_handler);
  struct itimerval it = { { 0, 0 }, { 0, 30000 } };
  setitimer(ITIMER_REAL, &it, 0);
  unsigned y = 1, spins = 0;
  while (!stop) { y = bounce_a(y); spins++; }
  printf("bounce stopped by SIGALRM (%s)\n", spins > 0 ? "after spinning" : "at once");

  /* 4. fork in the middle of chained dispatch: both sides go on with their own data. */
  memset(data, 0, 64 * 4096);
  sink = data;
  x = dispatch(777, 5000, 1);
  pid_t pid = fork();
  if (pid == 0) {
    for (unsigned i = 0; i < 4096; i++) data[i] = i * 7;
    sink = data;
    x = dispatch(x ^ 0xabc, 20000, 0);
    printf("child x=%#x data0=%#x\n", x, data[0]);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  sink = data;
  x = dispatch(x, 20000, 0);
  printf("parent x=%#x data0=%#x child status %d\n", x, data[0], WEXITSTATUS(st));
  return 0;
}
