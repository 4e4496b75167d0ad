/*
 * Conditions read in a block after the one that produced the flags (codegen.ts: the block's
 * first flag reader does not know its producer statically and evaluates flags.ts cond() from
 * the lazy record at run time, `addCondFunction`). Each producer kind and size of the lazy
 * record (add, sub/cmp, logic, inc, dec, neg; 8, 16 and 32 bits), a rotate that sets CF and
 * OF over a record (LOP_CFOF), and eagerly set flags (shl by CL of 0 or 1, adc) is followed by a
 * jmp to the next instruction (a block boundary) and all 16 setcc, on operands that reach
 * the carry, overflow, sign, zero and parity edges. Output compared with the native CPU.
 */
#include <stdio.h>

typedef unsigned int u32;

static u32 seed = 4242;
static u32 rnd(void) { seed = seed * 1103515245u + 12345u; return seed ^ (seed >> 13); }
static u32 h = 0;
static void mix(u32 v) { h = (h ^ v) * 16777619u; }

/* All 16 conditions into one word, read after a jmp to the next instruction (a new block). */
#define READ16 "jmp 1f\n1: seto (%2)\n setno 1(%2)\n setb 2(%2)\n setae 3(%2)\n sete 4(%2)\n setne 5(%2)\n setbe 6(%2)\n seta 7(%2)\n" \
  "sets 8(%2)\n setns 9(%2)\n setp 10(%2)\n setnp 11(%2)\n setl 12(%2)\n setge 13(%2)\n setle 14(%2)\n setg 15(%2)\n"

#define PRODUCE(insn, a, b) do { \
    unsigned char c[16]; u32 x = (a), y = (b), w = 0; \
    __asm__ volatile(insn "\n" READ16 : "+q"(x) : "q"(y), "r"(c) : "cc", "ecx", "memory"); \
    for (int k = 0; k < 16; k++) w = w << 1 | (c[k] & 1); \
    mix(w); mix(x); \
  } while (0)

int main(void) {
  static const u32 edge[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe};
  for (int i = 0; i < 3000; i++) {
    u32 a = (i & 1) ? rnd() : edge[rnd() % 12], b = (i & 2) ? rnd() : edge[rnd() % 12];
    PRODUCE("addl %1, %0", a, b);
    PRODUCE("addw %w1, %w0", a, b);
    PRODUCE("addb %b1, %b0", a, b);
    PRODUCE("subl %1, %0", a, b);
    PRODUCE("cmpw %w1, %w0", a, b);
    PRODUCE("cmpb %b1, %b0", a, b);
    PRODUCE("andl %1, %0", a, b);
    PRODUCE("xorw %w1, %w0", a, b);
    PRODUCE("orb %b1, %b0", a, b);
    PRODUCE("incl %0", a, b);
    PRODUCE("incw %w0", a, b);
    PRODUCE("decl %0", a, b);
    PRODUCE("decb %b0", a, b);
    PRODUCE("negl %0", a, b);
    PRODUCE("addl %1, %0\n roll $1, %0", a, b);
    PRODUCE("subl %1, %0\n rorl $1, %0", a, b);
    PRODUCE("movl %1, %%ecx\n andl $1, %%ecx\n shll %%cl, %0", a, b);
    PRODUCE("addl %1, %0\n adcl %1, %0", a, b);
  }
  printf("conds %#x\n", h);
  return 0;
}
