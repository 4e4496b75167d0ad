/* A hot loop that reports progress: one '.' per 200,000 iterations (test/jit/compile-worker.test.ts
   watches the dots to see the guest run while its regions are being compiled). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  unsigned x = 1, s = 0;
  for (int o = 0; o < rounds; o++) {
    for (unsigned i = 0; i < 200000u; i++) { x = x * 1103515245u + 12345u; s += (x >> 16) ^ i; }
    if (write(1, ".", 1) != 1) return 2;
  }
  printf("\n%u\n", s);
  return 0;
}
