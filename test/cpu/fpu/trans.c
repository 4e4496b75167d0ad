/* The x87 transcendentals (fsin fcos fptan fsincos f2xm1 fyl2x fyl2xp1 fpatan) on
   pseudo-random 80-bit arguments, raw 80-bit results and status words; then libm's
   exp pow log log10 sin cos tan atan2 on doubles (glibc i386 computes them with the
   x87). "t" lines are compared for a match rate, "m" lines must be identical. */
#include "fpu.h"
#include <math.h>

typedef struct { u64 m; u16 se; } __attribute__((packed)) x80;
static x80 a_g, b_g, r_g, r2_g;
static u64 seed = 0x9e3779b97f4a7c15ull;
static u64 rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }
static void hx80(const x80 *v) { putch(' '); hex(v->se, 4); hex((u32)(v->m >> 32), 8); hex((u32)v->m, 8); }
/* A random value with exponent in [lo, hi] (unbiased), random sign when sg. */
static x80 rx(int lo, int hi, int sg) {
  x80 v; v.m = rnd() | 0x8000000000000000ull;
  int e = lo + (int)(rnd() % (u64)(hi - lo + 1));
  v.se = (u16)(16383 + e) | (sg && (rnd() & 1) ? 0x8000 : 0);
  return v;
}
#define N 600

int main(int argc, char **argv) {
  (void)argc; (void)argv;
  setcw(CW_NEAR); getsw();
  for (int i = 0; i < N; i++) {
    a_g = rx(-8, 8, 1);
    tag("t sin"); hx80(&a_g);
    __asm__ volatile("fldt %1; fsin; fstpt %0" : "=m"(r_g) : "m"(a_g)); hx80(&r_g); h16(getsw() & ~0x200); nl();
    tag("t cos"); hx80(&a_g);
    __asm__ volatile("fldt %1; fcos; fstpt %0" : "=m"(r_g) : "m"(a_g)); hx80(&r_g); h16(getsw() & ~0x200); nl();
    tag("t tan"); hx80(&a_g);
    __asm__ volatile("fldt %2; fptan; fstpt %1; fstpt %0" : "=m"(r_g), "=m"(r2_g) : "m"(a_g)); hx80(&r_g); h16(getsw() & ~0x200); nl();
    tag("t sincos"); hx80(&a_g);
    __asm__ volatile("fldt %2; fsincos; fstpt %1; fstpt %0" : "=m"(r_g), "=m"(r2_g) : "m"(a_g)); hx80(&r_g); hx80(&r2_g); h16(getsw() & ~0x200); nl();
    a_g = rx(-12, -1, 1);
    tag("t f2xm1"); hx80(&a_g);
    __asm__ volatile("fldt %1; f2xm1; fstpt %0" : "=m"(r_g) : "m"(a_g)); hx80(&r_g); h16(getsw() & ~0x200); nl();
    a_g = rx(-20, 20, 0); b_g = rx(-3, 3, 1);
    tag("t fyl2x"); hx80(&a_g); hx80(&b_g);
    __asm__ volatile("fldt %2; fldt %1; fyl2x; fstpt %0" : "=m"(r_g) : "m"(a_g), "m"(b_g)); hx80(&r_g); h16(getsw() & ~0x200); nl();
    a_g = rx(-12, -3, 1);
    tag("t fyl2xp1"); hx80(&a_g); hx80(&b_g);
    __asm__ volatile("fldt %2; fldt %1; fyl2xp1; fstpt %0" : "=m"(r_g) : "m"(a_g), "m"(b_g)); hx80(&r_g); h16(getsw() & ~0x200); nl();
    a_g = rx(-6, 6, 1);
    tag("t fpatan"); hx80(&a_g); hx80(&b_g);
    __asm__ volatile("fldt %2; fldt %1; fpatan; fstpt %0" : "=m"(r_g) : "m"(b_g), "m"(a_g)); hx80(&r_g); h16(getsw() & ~0x200); nl();
  }
  for (int i = 0; i < 5 * N; i++) {
    union { double d; u64 u; } x, y, r;
    x.d = ((double)(rnd() >> 11) / 9007199254740992.0 - 0.5) * 1400.0;
    y.d = ((double)(rnd() >> 11) / 9007199254740992.0) * 20.0;
    double p = ((double)(rnd() >> 11) / 9007199254740992.0) * 100.0;
    tag("m"); h64(x.u);
    r.d = exp(x.d / 2); h64(r.u);
    r.d = pow(y.d, x.d / 64); h64(r.u);
    r.d = log(p); h64(r.u);
    r.d = log10(p); h64(r.u);
    r.d = sin(x.d); h64(r.u);
    r.d = cos(x.d); h64(r.u);
    r.d = tan(x.d / 100); h64(r.u);
    r.d = atan2(x.d, y.d - 10); h64(r.u);
    r.d = exp2(x.d / 4); h64(r.u);
    r.d = log1p(p / 200); h64(r.u);
    nl();
  }
  flush();
  return 0;
}
