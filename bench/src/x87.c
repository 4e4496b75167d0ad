/* x87 floating point (gcc -m32 keeps doubles on the x87 stack): a numeric integration and a damped recurrence. */
#include <stdio.h>
int main(void) {
  double s = 0, x = 0.5, h = 1.0 / 10000000;
  for (int i = 0; i < 10000000; i++) { double t = (i + 0.5) * h; s += 4.0 / (1.0 + t * t); x = x * 0.9999999 + t * 1e-7; }
  printf("%.9f %.9f\n", s * h, x);
  return 0;
}
