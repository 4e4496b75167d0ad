/* A loop whose body is ~1,800 instructions of straight-line code, like openssl's sha256 block
   function (sha256-586's SSSE3 code): the interpreter cuts it into ~30 blocks of 64 instructions,
   each entered once per iteration (test/jit/rent.test.ts). Prints the state after argv[1] rounds. */
#include <stdio.h>
#include <stdlib.h>

#define R(a, b, c, k) a += (b ^ c) + (k) * 0x9e3779b9u; a = (a << 7) | (a >> 25); b += a;
#define R4(k) R(w, x, y, k) R(x, y, z, k + 1) R(y, z, w, k + 2) R(z, w, x, k + 3)
#define R16(k) R4(k) R4(k + 4) R4(k + 8) R4(k + 12)
#define R64(k) R16(k) R16(k + 16) R16(k + 32) R16(k + 48)

static __attribute__((noinline)) void block(unsigned *st, unsigned m) {
  unsigned w = st[0] ^ m, x = st[1], y = st[2], z = st[3];
  R64(1) R64(65) R64(129) R64(193)
  st[0] += w; st[1] += x; st[2] += y; st[3] += z;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 1000;
  unsigned st[4] = { 1, 2, 3, 4 };
  for (int i = 0; i < rounds; i++) block(st, (unsigned)i);
  printf("%08x %08x %08x %08x\n", st[0], st[1], st[2], st[3]);
  return 0;
}
