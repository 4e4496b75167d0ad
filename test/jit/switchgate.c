/*
 * Which indirect jumps take their seen targets into their region (jit.ts `seen`, the loop
 * gate): a switch compiled to a jump table (gcc -O2, 6 dense cases), mostly cases 0 and 1.
 *   loop: the switch runs 16 times per call of encode() (xz's range coder: one jump per
 *         encoded bit, in a loop): its targets are taken in, the jumps stay in the region;
 *   call: the switch runs once per call of step(), from a loop in main (bash's and
 *         python's dispatch shapes: once per entry): it leaves through the hub as before.
 * Both print a checksum, compared with native in every JIT mode.
 */
#include <stdio.h>
#include <string.h>

static unsigned char ops[4096];

__attribute__((noinline)) static unsigned one(unsigned op, unsigned x) {
  switch (op) {
  case 0: return x * 3 + 1;
  case 1: return (x ^ 0x55aa) + 7;
  case 2: return x + 0x1234;
  case 3: return x >> 1;
  case 4: return x * 5 - 3;
  case 5: return x - 9;
  default: return x;
  }
}

__attribute__((noinline)) static unsigned encode(const unsigned char *p, unsigned x) {
  for (int i = 0; i < 16; i++) {
    switch (p[i]) {
    case 0: x = x * 3 + 1; break;
    case 1: x = (x ^ 0x55aa) + 7; break;
    case 2: x = x + 0x1234; break;
    case 3: x = x >> 1; break;
    case 4: x = x * 5 - 3; break;
    case 5: x = x - 9; break;
    }
  }
  return x;
}

int main(int argc, char **argv) {
  unsigned r = 12345;
  for (unsigned i = 0; i < sizeof ops; i++) {
    r = r * 1103515245 + 12345;
    unsigned v = (r >> 16) % 20;
    ops[i] = v < 9 ? 0 : v < 18 ? 1 : 2 + v % 4;
  }
  unsigned x = 1;
  if (argc > 1 && strcmp(argv[1], "call") == 0) {
    for (int k = 0; k < 1000; k++)
      for (unsigned i = 0; i < sizeof ops; i++) x = one(ops[i], x);
  } else {
    for (int k = 0; k < 1000; k++)
      for (unsigned i = 0; i < sizeof ops; i += 16) x = encode(ops + i, x);
  }
  printf("%s %u\n", argc > 1 ? argv[1] : "loop", x);
  return 0;
}
