/* fisttp (SSE3: DF /1 m16, DB /1 m32, DD /1 m64) against the real CPU: ST(0) stored as an
 * integer truncated toward zero whatever the control word's rounding field says, then
 * popped. Operands: 80-bit edge encodings (zeros, halves, the limits of each width and
 * one past them, infinities, NaNs, denormals, pseudo-denormals, unnormals, pseudo-NaNs),
 * under each of the four rounding modes and with IE/PE unmasked bits masked; the status
 * word (IE, PE, C1, SF, TOP) and the tag word after each store; an empty stack (stack
 * underflow: the integer indefinite). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

typedef struct { uint64_t m; uint16_t se; } x80;
static const x80 X[] = {
  {0, 0}, {0, 0x8000},                                                  /* +-0 */
  {0x8000000000000000ull, 0x3ffe}, {0x8000000000000000ull, 0xbffe},     /* +-0.5 */
  {0xc000000000000000ull, 0x3fff}, {0xc000000000000000ull, 0xbfff},     /* +-1.5 */
  {0xffffffffffffffffull, 0x3ffe}, {0xffffffffffffffffull, 0xbffe},     /* +-(1 - 2^-64) */
  {0xa000000000000000ull, 0x4000}, {0xa000000000000000ull, 0xc000},     /* +-2.5 */
  {0xfffe000000000000ull, 0x400d}, {0xffff000000000000ull, 0x400d},     /* 32767, 32767.5 */
  {0x8000000000000000ull, 0x400e}, {0x8000000000000000ull, 0xc00e},     /* 32768, -32768 */
  {0x8001000000000000ull, 0xc00e}, {0x8000800000000000ull, 0xc00e},     /* -32769, -32768.5 */
  {0xfffffffe00000000ull, 0x401d}, {0xffffffff00000000ull, 0x401d},     /* 2^31-1, 2^31-0.5 */
  {0x8000000000000000ull, 0x401e}, {0x8000000000000000ull, 0xc01e},     /* 2^31, -2^31 */
  {0x8000000080000000ull, 0xc01e}, {0x8000000100000000ull, 0xc01e},     /* -2^31-0.5, -2^31-1 */
  {0xffffffffffffffffull, 0x403d}, {0xffffffffffffffffull, 0x403e},     /* 2^63-0.5, 2^64-1 */
  {0x8000000000000000ull, 0x403e}, {0x8000000000000000ull, 0xc03e},     /* 2^63, -2^63 */
  {0x8000000000000001ull, 0xc03e}, {0xc000000000000000ull, 0xc03d},     /* -2^63-1, -1.5*2^62 */
  {0x8000000000000000ull, 0x7fff}, {0x8000000000000000ull, 0xffff},     /* +-inf */
  {0xc000000000000000ull, 0x7fff}, {0xc000000000001234ull, 0xffff},     /* qnan, qnan payload */
  {0x8000000000005678ull, 0x7fff}, {0x0000000000000001ull, 0x0000},     /* snan, min denormal */
  {0x8000000000000000ull, 0x0000}, {0x4000000000000000ull, 0x4000},     /* pseudo-denormal, unnormal */
  {0x4000000000000000ull, 0x7fff}, {0x0000000000000000ull, 0x7fff},     /* pseudo-nan, pseudo-inf */
  {0xd555555555555555ull, 0x4020}, {0xd555555555555555ull, 0xc03f},     /* 7158278826.67, -2^64 * 1.67 */
  {0x9000000000000000ull, 0x4010}, {0x8000000000000000ull, 0x3fbf},     /* 73728, 2^-64 */
};
#define NX (sizeof X / sizeof X[0])

static uint16_t cw, sw, tw, r16;
static uint32_t r32;
static uint64_t r64;
static unsigned char env[28];

static void load(const x80 *x) {
  unsigned char b[10];
  memcpy(b, &x->m, 8); memcpy(b + 8, &x->se, 2);
  __asm__ volatile("fldt %0" : : "m"(*(unsigned char (*)[10])b));
}
static void status(void) {
  __asm__ volatile("fnstsw %0; fnstenv %1; fldcw %2" : "=m"(sw), "=m"(env) : "m"(cw)); /* fnstenv masks all: reload cw */
  memcpy(&tw, env + 8, 2);
  printf(" sw %04x tw %04x\n", sw, tw);
  __asm__ volatile("fnclex");
}

int main(void) {
  for (unsigned rc = 0; rc < 4; rc++) for (unsigned x = 0; x < NX; x++) {
    cw = 0x037f | rc << 10;
    __asm__ volatile("fninit; fldcw %0" : : "m"(cw));
    r16 = 0x5555; r32 = 0x55555555; r64 = 0x5555555555555555ull;
    load(&X[x]); __asm__ volatile("fisttps %0" : "=m"(r16)); printf("rc %u x %2u m16 %04x", rc, x, r16); status();
    load(&X[x]); __asm__ volatile("fisttpl %0" : "=m"(r32)); printf("rc %u x %2u m32 %08x", rc, x, r32); status();
    load(&X[x]); __asm__ volatile("fisttpll %0" : "=m"(r64)); printf("rc %u x %2u m64 %016llx", rc, x, (unsigned long long)r64); status();
    /* with two values on the stack: the pop leaves the other one in ST(0) */
    load(&X[(x + 7) % NX]); load(&X[x]); __asm__ volatile("fisttpl %0" : "=m"(r32));
    __asm__ volatile("fstpt %0" : "=m"(*(unsigned char (*)[10])env));
    printf("rc %u x %2u pop %08x st0 %04x%016llx", rc, x, r32, *(uint16_t *)(env + 8), *(unsigned long long *)env); status();
  }
  /* empty stack: stack underflow, IE|SF, the indefinite is stored (masked) */
  __asm__ volatile("fninit");
  cw = 0x037f;
  __asm__ volatile("fisttps %0" : "=m"(r16)); printf("empty m16 %04x", r16); status();
  __asm__ volatile("fisttpl %0" : "=m"(r32)); printf("empty m32 %08x", r32); status();
  __asm__ volatile("fisttpll %0" : "=m"(r64)); printf("empty m64 %016llx", (unsigned long long)r64); status();
  return 0;
}
