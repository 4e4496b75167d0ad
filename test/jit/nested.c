/*
 * Calls out of a region as nested hub loops (src/engine/jit/hub.ts `call`, codegen.ts
 * callsOut): a region that calls a function living in another region waits in Wasm for the
 * callee's ret to come back to the call's continuation, and goes on in its own function.
 * What may go wrong there, each compared with the native run:
 *  - deep chains of calls through function pointers, deeper than the nesting cap (64), and
 *    recursion through them: every level returns into the right caller with its registers;
 *  - longjmp out of a deep chain: the waiting callers must not continue (the ret never comes);
 *  - a return address overwritten on the stack (the callee returns elsewhere, sometimes);
 *  - SIGALRM arriving during an endless loop of nested calls, the handler itself calling;
 *  - the caller's code rewritten while it waits (a callee patches the instruction after the
 *    call through an instruction the interpreter runs inside the callee's region): the caller
 *    must run the new code, not its stale translation.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

typedef unsigned (*fn_t)(unsigned depth, unsigned x);
static fn_t chain[4];

/* Four callees that call on through the table: an indirect call in each, so a call out of its region. */
#define LEVEL(name, k, mul, add)                                                   \
  static unsigned __attribute__((noinline)) name(unsigned depth, unsigned x) {   \
    if (depth == 0) return x ^ (k);                                                \
    unsigned y = chain[(x + depth) & 3](depth - 1, x * (mul) + (add));             \
    return (y ^ (y >> 7)) + depth * (k);                                           \
  }
LEVEL(lv0, 0x11u, 3u, 1u)
LEVEL(lv1, 0x2203u, 5u, 7u)
LEVEL(lv2, 0x30405u, 9u, 3u)
LEVEL(lv3, 0x7000009u, 17u, 5u)

/*
 * The leanest recursion through a register: three instructions a level, so one scheduler
 * budget (50,000 instructions) could nest over 16,000 calls were they not capped.
 */
extern unsigned lean(unsigned n);
__asm__(".text\n"
        ".globl lean\n"
        "lean:\n"
        "  movl 4(%esp), %eax\n"
        "  movl $lean_rec, %ecx\n"
        "  call *%ecx\n"
        "  ret\n"
        "lean_rec:\n"
        "  decl %eax\n"
        "  jz 1f\n"
        "  call *%ecx\n"
        "  incl %eax\n"
        "1:\n"
        "  ret\n");

/* Direct recursion with a call to another function in between (two regions that call each other). */
static unsigned __attribute__((noinline)) mix(unsigned a, unsigned b);
static unsigned __attribute__((noinline)) fib(unsigned n) {
  if (n < 2) return n;
  return mix(fib(n - 1), fib(n - 2));
}
static unsigned __attribute__((noinline)) mix(unsigned a, unsigned b) {
  unsigned r = a + b;
  for (unsigned i = 0; i < (a & 3); i++) r += i;
  return r - (a & 3) * ((a & 3) - 1) / 2;
}

/* longjmp from the bottom of a chain of nested calls. */
static jmp_buf env;
static unsigned jumps;
static unsigned __attribute__((noinline)) dive(unsigned depth, unsigned x);
static fn_t divers[2];
static unsigned __attribute__((noinline)) dive(unsigned depth, unsigned x) {
  if (depth == 0) {
    if (x & 1) { jumps++; longjmp(env, (int)(x | 2)); }
    return x;
  }
  return divers[depth & 1](depth - 1, x * 7 + depth) + 1;
}
static unsigned __attribute__((noinline)) dive2(unsigned depth, unsigned x) { return dive(depth, x ^ 0x55) ^ 3; }

/*
 * A callee that sometimes returns 5 bytes past its return address: the caller's `mov $1,%eax`
 * (5 bytes) after the call is then skipped. The caller is called through a pointer.
 */
extern unsigned skipper(unsigned skip);
extern unsigned bump(unsigned skip);
__asm__(".text\n"
        ".globl skipper\n"
        "skipper:\n"
        "  pushl 4(%esp)\n"
        "  xorl %eax, %eax\n"
        "  movl $bump, %ecx\n"
        "  call *%ecx\n"
        "  movl $1, %eax\n"
        "  addl $2, %eax\n"
        "  addl $4, %esp\n"
        "  ret\n"
        ".globl bump\n"
        "bump:\n"
        "  movl 4(%esp), %eax\n"
        "  testl %eax, %eax\n"
        "  jz 1f\n"
        "  addl $5, (%esp)\n"
        "1:\n"
        "  movl $0, %eax\n"
        "  ret\n");
static unsigned (*volatile skipper_p)(unsigned) = skipper;

/*
 * Code rewritten while its caller waits: gen(cb) is `call *4(%esp); mov $imm,%eax; ret` in an
 * RWX buffer; the callback stores a new imm into it with xchg (an instruction the interpreter
 * runs inside the callback's region, which then leaves right before its ret) and returns.
 */
static unsigned char *gen;
/* Where the callback stores: the imm in gen, or (most calls) a word of data. */
volatile unsigned patch_val;
unsigned char *volatile patch_addr;
extern void patch_cb(void);
__asm__(".text\n"
        ".globl patch_cb\n"
        "patch_cb:\n"
        "  movl patch_val, %eax\n"
        "  movl patch_addr, %ecx\n"
        "  xchgl %eax, (%ecx)\n"
        "  ret\n");

static volatile sig_atomic_t stop;
static volatile unsigned in_handler;
static void alarm_handler(int sig) {
  (void)sig;
  in_handler = lv0(20, 99);
  stop = 1;
}

int main(void) {
  chain[0] = lv0; chain[1] = lv1; chain[2] = lv2; chain[3] = lv3;
  divers[0] = dive; divers[1] = dive2;

  /* Deep chains: depths around and beyond the nesting cap, many times. */
  unsigned s = 0;
  for (unsigned r = 0; r < 300; r++) s = s * 31 + lv0(r % 150, r);
  printf("chains %08x\n", s);
  unsigned deep = 0;
  /* 20,000 guest frames: far deeper than the Wasm stack could hold nested calls. */
  for (unsigned r = 0; r < 20; r++) deep += lv1(20000 + r, r);
  printf("deep %08x\n", deep);
  unsigned ln = 0;
  for (unsigned r = 0; r < 10; r++) ln += lean(60000 + r);
  printf("lean %u\n", ln);

  /* Recursion between two functions. */
  unsigned f = 0;
  for (unsigned n = 15; n < 22; n++) f += fib(n);
  printf("fib %u\n", f);

  /* longjmp out of nested calls, then more calls that return normally. */
  unsigned got = 0;
  for (unsigned r = 0; r < 400; r++) {
    int v = setjmp(env);
    if (v == 0) got += dive(r % 90, r);
    else got += (unsigned)v;
  }
  printf("longjmp %08x jumps %u\n", got, jumps);

  /* The overwritten return address: skipped (2) or not (3), alternately and in runs. */
  unsigned sk = 0;
  for (unsigned r = 0; r < 3000; r++) sk = sk * 3 + skipper_p(((r / 7) ^ r) & 1);
  printf("skip %08x\n", sk);

  /* Caller code rewritten by its callee while it waits. */
  gen = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  static const unsigned char code[] = { 0xff, 0x54, 0x24, 0x04, 0xb8, 0, 0, 0, 0, 0xc3 };
  memcpy(gen, code, sizeof code);
  static unsigned scratch;
  unsigned g = 0;
  for (unsigned r = 0; r < 3000; r++) {
    /* Every 8th call patches (the other calls let the buffer's code get hot again). */
    patch_addr = r % 8 == 7 ? gen + 5 : (unsigned char *)&scratch;
    patch_val = r * 2654435761u;
    g = g * 7 + ((unsigned (*)(void (*)(void)))gen)(patch_cb);
  }
  printf("patched %08x\n", g);

  /* SIGALRM during an endless loop of nested calls; the handler calls the chain too. */
  signal(SIGALRM, alarm_handler);
  struct itimerval it = { { 0, 0 }, { 0, 200000 } };
  setitimer(ITIMER_REAL, &it, 0);
  unsigned spins = 0, acc = 0;
  while (!stop) { acc += lv2(40, spins); spins++; }
  printf("alarm: stopped %d, handler %08x, loop ran %s\n", (int)stop, in_handler, spins > 0 ? "yes" : "no");
  return 0;
}
