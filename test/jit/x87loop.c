/*
 * The bench's x87 loop, shorter: gcc -m32 -O2 compiles it to `mov; fild; add; 12 x87
 * instructions; cmp; jne`. Without the x87 translation (WEBX86_JIT_X87=off) a region
 * entered at the loop's head could only run the `mov` and leave, so none is formed there
 * (region.ts MIN_ENTRY_INSNS); with it the loop is one region. Either way jit.test.ts checks
 * that regions are entered far fewer times than the loop iterates and that the output
 * equals native.
 */
#include <stdio.h>
int main(void) {
  double s = 0, x = 0.5, h = 1.0 / 200000;
  for (int i = 0; i < 200000; i++) { double t = (i + 0.5) * h; s += 4.0 / (1.0 + t * t); x = x * 0.9999999 + t * 1e-7; }
  printf("%.9f %.9f\n", s * h, x);
  return 0;
}
