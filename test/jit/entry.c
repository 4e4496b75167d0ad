/*
 * Regions entered at their dispatcher's targets (src/engine/jit/hub.ts "Entry points",
 * codegen.ts ENTRY_SECTION):
 *  - irr(): a loop with two ways in (irreducible), so its region has a dispatcher D and one
 *    of irr_a/irr_b is D's target; jump_in() reaches both by an indirect jmp from a region of
 *    its own, which the hub enters at the target inside irr's function. irr_a loads through
 *    a pointer whose page is taken away mid-loop: the handler prints the registers and flags
 *    it sees (equal to native) and gives the page back;
 *  - SIGALRM ending an endless loop of such entries;
 *  - a computed-goto bytecode interpreter (labels as values, one `jmp *` per handler) whose
 *    CALL op recurses 3,000 frames deep and returns through all of them.
 * Everything printed is compared with the native run.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

/* irr(n, x, p): x runs n steps of two alternating steps; odd x starts at the second; n = 0 returns x. */
unsigned irr(unsigned n, unsigned x, unsigned *p);
/* jump_in(target, n, x, p): irr's loop entered at `target` (irr_a or irr_b) by an indirect jmp. */
unsigned jump_in(void *target, unsigned n, unsigned x, unsigned *p);
extern char irr_a[], irr_b[], irr_load[], plain[];
asm(".text\n"
    ".globl irr\n irr:\n mov 4(%esp), %ecx\n mov 8(%esp), %eax\n mov 12(%esp), %edx\n test %ecx, %ecx\n jz irr_out\n test $1, %eax\n jnz irr_b\n"
    ".globl irr_a\n irr_a:\n add $3, %eax\n"
    ".globl irr_load\n irr_load:\n add (%edx), %eax\n dec %ecx\n jz irr_out\n"
    ".globl irr_b\n irr_b:\n xor $0x55, %eax\n rol $1, %eax\n dec %ecx\n jnz irr_a\n"
    "irr_out:\n ret\n"
    ".globl plain\n plain:\n lea 1(%eax,%ecx), %eax\n ret\n"
    ".globl jump_in\n jump_in:\n mov 8(%esp), %ecx\n mov 12(%esp), %eax\n mov 16(%esp), %edx\n jmp *4(%esp)\n");

static unsigned *data;
static unsigned faults;

static void segv(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  unsigned base = (unsigned)data;
  printf("  fault %d at %s, addr data+%#x; eax %#x ecx %u edx data+%#x; flags %#x\n", sig,
         g[REG_EIP] == (greg_t)irr_load ? "irr_load" : "elsewhere", (unsigned)si->si_addr - base,
         (unsigned)g[REG_EAX], (unsigned)g[REG_ECX], (unsigned)g[REG_EDX] - base, (unsigned)g[REG_EFL] & 0x8d5);
  faults++;
  mprotect(data, 4096, PROT_READ | PROT_WRITE);
}

static volatile sig_atomic_t stop;
static void alarm_handler(int sig) { (void)sig; stop = 1; }

/* The bytecode interpreter: a stack machine, one computed goto per handler. */
enum { PUSH, ADD, DEC, JZ, CALL, RET, MUL, XOR, DUP, SWAP, POP, JMP, ADD2, HALT };
static unsigned vm(const unsigned char *code, unsigned pc0, unsigned arg, unsigned depth, unsigned *maxdepth) {
  static void *const tbl[] = { &&op_push, &&op_add, &&op_dec, &&op_jz, &&op_call, &&op_ret, &&op_mul, &&op_xor, &&op_dup, &&op_swap, &&op_pop, &&op_jmp, &&op_add2, &&op_ret };
  unsigned st[32], sp = 0;
  const unsigned char *pc = code + pc0;
  if (depth > *maxdepth) *maxdepth = depth;
  st[sp++] = arg;
#define NEXT goto *tbl[*pc++]
  NEXT;
op_push: st[sp++] = *pc++; NEXT;
op_add: sp--; st[sp - 1] += st[sp]; NEXT;
op_dec: st[sp - 1]--; NEXT;
op_jz: if (st[--sp] == 0) pc = code + *pc; else pc++; NEXT;
op_call: st[sp - 1] = vm(code, *pc++, st[sp - 1], depth + 1, maxdepth); NEXT;
op_mul: sp--; st[sp - 1] *= st[sp]; NEXT;
op_xor: sp--; st[sp - 1] ^= st[sp]; NEXT;
op_dup: st[sp] = st[sp - 1]; sp++; NEXT;
op_swap: { unsigned t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; } NEXT;
op_pop: sp--; NEXT;
op_jmp: pc = code + *pc; NEXT;
op_add2: sp--; st[sp - 2] += st[sp]; NEXT;
op_ret: return st[sp - 1];
#undef NEXT
}

/*
 * f(n) = n == 0 ? 7 : (f(n - 1) * 33) ^ n, recursively (one C frame of vm per level):
 *   0: DUP JZ 14; DUP DEC CALL 0; PUSH 33 MUL XOR; RET   14: POP PUSH 7 RET
 */
static const unsigned char prog[] = {
  DUP, JZ, 14, DUP, DEC, CALL, 0, PUSH, 33, MUL, XOR, RET, HALT, HALT,
  POP, PUSH, 7, RET,
};
/* A loop in bytecode: the sum of (i * 3) ^ i for i = n..1, no recursion. */
static const unsigned char loop[] = {
  PUSH, 0, SWAP,                 /* acc n */
  DUP, JZ, 16,                   /* 3: while n */
  DUP, DUP, PUSH, 3, MUL, XOR,   /* acc n (3n)^n */
  ADD2, DEC, JMP, 3,             /* acc += ..., n-- */
  POP, RET,                      /* 16: acc */
};

static unsigned ref(unsigned n) { return n == 0 ? 7 : (ref(n - 1) * 33) ^ n; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  data = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  data[5] = 0x1234;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);

  /* irr's first run steps through irr_a and irr_b once each, so its region (made at its
     second entry, which the interpreter still runs: n = 0 leaves at once) holds both;
     jump_in's first two runs go elsewhere, so neither target is run by the interpreter
     again before jump_in's region sends it there. */
  unsigned s = irr(2, 0, &data[5]);
  s += irr(0, 1, &data[5]);
  s += jump_in(plain, 1, 2, &data[5]);
  s += jump_in(plain, 3, 4, &data[5]);
  printf("warm-up %#x\n", s);
  for (unsigned i = 0; i < 3000; i++) {
    if (i == 1700) mprotect(data, 4096, PROT_NONE);
    s = s * 31 + irr(5 + (i & 7), i, &data[5]);
    s = s * 31 + jump_in((i & 1) ? irr_a : irr_b, 1 + (i % 13), s, &data[5]);
    if (i == 2200) mprotect(data, 4096, PROT_NONE);
    s = s * 31 + jump_in((i & 1) ? irr_b : irr_a, 2 + (i % 5), i, &data[5]);
  }
  printf("irr %#x, faults %u\n", s, faults);

  struct sigaction al;
  memset(&al, 0, sizeof al);
  al.sa_handler = alarm_handler;
  sigaction(SIGALRM, &al, NULL);
  struct itimerval it = { { 0, 0 }, { 0, 50000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  unsigned spins = 0;
  while (!stop) { s += jump_in(irr_a, 4, s, &data[5]); spins++; }
  printf("SIGALRM ended the loop of entries: %s\n", spins > 0 ? "yes" : "no");

  unsigned maxdepth = 0, want = ref(3000), got = vm(prog, 0, 3000, 0, &maxdepth);
  printf("vm recursion: %#x (want %#x), depth %u\n", got, want, maxdepth);
  for (unsigned n = 0; n < 400; n++) {
    maxdepth = 0;
    got = vm(prog, 0, n, 0, &maxdepth);
    if (got != ref(n)) { printf("vm recursion %u: %#x, want %#x\n", n, got, ref(n)); return 1; }
  }
  unsigned acc = 0;
  for (unsigned n = 1; n <= 2000; n++) acc = acc * 7 + vm(loop, 0, n, 0, &maxdepth);
  printf("vm loop %#x\n", acc);
  return 0;
}
