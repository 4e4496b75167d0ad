/* The host CPU's identification for test/support/host-cpu.ts: vendor, family/model and
 * CPUID.(EAX=07H,ECX=0):EBX, whose bit 6 (FDP_EXCPTN_ONLY) and bit 13 (FCS/FDS deprecated)
 * say what fnstenv/fnsave store (Intel SDM Vol. 1 8.1.8, Vol. 2 CPUID). */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  unsigned a, b, c, d;
  char vendor[13];
  __cpuid(0, a, b, c, d);
  unsigned max = a;
  memcpy(vendor, &b, 4); memcpy(vendor + 4, &d, 4); memcpy(vendor + 8, &c, 4); vendor[12] = 0;
  __cpuid(1, a, b, c, d);
  unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
  if (family == 0xf) family += (a >> 20) & 0xff;
  if (family >= 6) model |= ((a >> 16) & 0xf) << 4;
  unsigned ebx7 = 0;
  if (max >= 7) { __cpuid_count(7, 0, a, b, c, d); ebx7 = b; }
  printf("%s %u %u %u\n", vendor, family, model, ebx7);
  return 0;
}
