/*
 * What a call out of a region costs (bench/jit-calls.ts): N iterations of a loop calling a
 * small function, directly (mode 0: the JIT takes the callee into the loop's region, so
 * the call is a branch inside one Wasm function) or through a function pointer (mode 1: a
 * call out, run as a nested hub call into the callee's own region and back: registers
 * stored to the state slot, the hub's lookup and call_indirect, the callee's loads and
 * stores, the caller's reload). The two loops do the same work; natively both take the same
 * time. Prints the sum, the same in both modes.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int f(int x) { __asm__ volatile(""); return x * 3 + 1; }
int (*volatile fp)(int) = f;

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: calls N MODE\n"); return 2; }
  int n = atoi(argv[1]), mode = atoi(argv[2]);
  unsigned s = 0;
  if (mode == 0) { for (int i = 0; i < n; i++) s += (unsigned)f(i) ^ (unsigned)i; }
  else { int (*g)(int) = fp; for (int i = 0; i < n; i++) s += (unsigned)g(i) ^ (unsigned)i; }
  printf("%u\n", s);
  return 0;
}
