/*
 * SSE2 floating point (built with -msse2 -mfpmath=sse, issue 10): the x87 row's integration
 * and damped recurrence in scalar double (mulsd, addsd, divsd, cvtsi2sd), then a float
 * kernel over arrays that gcc -O2 vectorizes (mulps, addps: a smoothing pass and a dot product).
 */
#include <stdio.h>
#define N 4096
static float a[N], b[N];
int main(void) {
  double s = 0, x = 0.5, h = 1.0 / 10000000;
  for (int i = 0; i < 10000000; i++) { double t = (i + 0.5) * h; s += 4.0 / (1.0 + t * t); x = x * 0.9999999 + t * 1e-7; }
  printf("%.9f %.9f\n", s * h, x);
  for (int i = 0; i < N; i++) { a[i] = (float)(i % 97) * 0.01f; b[i] = (float)(i % 89) * 0.02f; }
  float dot = 0;
  for (int r = 0; r < 500; r++) {
    for (int i = 0; i < N; i++) b[i] = b[i] * 0.75f + a[i] * 0.25f;
    for (int i = 0; i < N; i++) dot += a[i] * b[i] * 1e-6f;
  }
  printf("%.6f %.6f\n", (double)dot, (double)b[N / 2]);
  return 0;
}
