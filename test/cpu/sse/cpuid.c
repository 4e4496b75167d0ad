/* CPUID leaves as the program sees them: every leaf and subleaf the engine answers, one
 * above the highest basic and extended leaves (Intel returns the highest basic leaf's
 * data there), and the brand string. */
#include <stdio.h>
#include <cpuid.h>

static void leaf(unsigned l, unsigned s) {
  unsigned a, b, c, d;
  __cpuid_count(l, s, a, b, c, d);
  printf("%08x.%u %08x %08x %08x %08x\n", l, s, a, b, c, d);
}
int main(void) {
  for (unsigned l = 0; l <= 0xb; l++) leaf(l, 0);
  for (unsigned s = 1; s < 6; s++) leaf(4, s);
  for (unsigned s = 1; s < 4; s++) leaf(0xb, s);
  leaf(0xc, 1); leaf(0xd, 0); leaf(0x40000000, 0);
  for (unsigned l = 0x80000000; l <= 0x80000009; l++) leaf(l, 0);
  unsigned r[12];
  for (unsigned i = 0; i < 3; i++) __cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
  printf("brand %.48s\n", (const char *)r);
  return 0;
}
