/*
 * Built twice, with VAL 1 and 2: g() is the same bytes at the same address in both
 * builds, f() on the next page differs. The interpreter decodes g's direct call into f
 * as one block reading both pages, so a decoded-code cache shared across execs must
 * check f's page too. Also writes code into a fixed RWX page, different per build and
 * per argument, and runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

__attribute__((noinline, aligned(4096))) int f(void) { return VAL; }
__attribute__((noinline, aligned(4096))) int g(void) { return f() + 10; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 0;
  unsigned char *code = mmap((void *)0x30000000, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (code == MAP_FAILED) return 100;
  int imm = f() * 100 + n;
  /* mov eax, imm; ret */
  code[0] = 0xb8; memcpy(code + 1, &imm, 4); code[5] = 0xc3;
  int r = ((int (*)(void))code)();
  printf("%d %d\n", g(), r);
  return 0;
}
