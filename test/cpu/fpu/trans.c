/* The x87 transcendentals (fsin fcos fptan fsincos f2xm1 fyl2x fyl2xp1 fpatan) on
   pseudo-random 80-bit arguments, raw 80-bit results and status words (C1 included);
   then edge operands (ends of each domain, tiny and denormal arguments, exact cases,
   the 66-bit pi's neighbours, beyond the domain) in all four rounding modes, with C0/C3
   preset to show the instructions keep them; then libm's exp pow log log10 sin cos tan
   atan2 on doubles (glibc i386 computes them with the x87). "t" lines are compared for
   a match rate, "e" and "m" lines must be identical (the test lists the few edge
   operands where the CPU's own rounding differs from the exact result's). */
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

/* Edge operands: +-1, 1+ulp, 1.5, 2, 2^1024, 1-ulp, 0.5, 1-sqrt(2)/2, 2^-63, 2^-255,
   min normal, min denormal, max, 2^62, the 66-bit pi's pi/2 and pi/4 neighbours,
   pseudo-denormal, infinities, 9, 0.3125, zeros. */
static const x80 EV[] = {
 {0x8000000000000000ull,0x3fff},{0x8000000000000000ull,0xbfff},{0x8000000000000001ull,0x3fff},{0x8000000000000001ull,0xbfff},
 {0xc000000000000000ull,0x3fff},{0xc000000000000000ull,0xbfff},{0x8000000000000000ull,0x4000},{0x8000000000000000ull,0xc000},
 {0x8000000000000000ull,0x43ff},{0x8000000000000000ull,0xc3ff},{0xffffffffffffffffull,0x3ffe},{0xffffffffffffffffull,0xbffe},
 {0x8000000000000000ull,0x3ffe},{0x8000000000000000ull,0xbffe},{0xb504f333f9de6484ull,0x3ffd},{0xb504f333f9de6484ull,0xbffd},
 {0x8000000000000000ull,0x3fc0},{0x8000000000000000ull,0xbfc0},{0x8000000000000000ull,0x3f00},{0x8000000000000000ull,0x0001},
 {0x0000000000000001ull,0x0000},{0x8000000000000000ull,0x7ffe},{0xffffffffffffffffull,0x7ffe},{0x8000000000000000ull,0x403d},
 {0xc90fdaa22168c235ull,0x4000},{0xc90fdaa22168c235ull,0x3fff},{0xc90fdaa22168c234ull,0x3fff},{0xc90fdaa22168c235ull,0x3ffe},
 {0x8000000000000000ull,0x3fbf},{0x8000000000000000ull,0x3fbe},{0x8000000000000000ull,0x0000},{0x8000000000000000ull,0x7fff},{0x8000000000000000ull,0xffff},
 {0x9000000000000000ull,0x4002},{0xa000000000000000ull,0x3ffd},{0,0},{0,0x8000},
};
#define NEV ((int)(sizeof EV / sizeof EV[0]))
static const long double seven = 7.0L, one_l = 1.0L;
static u16 sw1;
/* C3 C0 set (fprem of 7 by 1: quotient 7), then the exceptions cleared. */
static void preset(void) { __asm__ volatile("fldt %1; fldt %2; fprem; fstp %%st(0); fstp %%st(0); fnclex; fnstsw %0" : "=m"(sw1) : "m"(one_l), "m"(seven)); }
#define ONE(name, ins, post) do { tag("e " name); hx80(&a_g); preset(); \
  __asm__ volatile("fldt %2; " ins "; fnstsw %1; " post "fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(a_g), "m"(r2_g)); hx80(&r_g); h16(sw1); nl(); } while (0)
#define TWO(name, ins) do { tag("e " name); hx80(&a_g); hx80(&b_g); preset(); \
  __asm__ volatile("fldt %3; fldt %2; " ins "; fnstsw %1; fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(a_g), "m"(b_g)); hx80(&r_g); h16(sw1); nl(); } while (0)
/* Beyond fyl2xp1's domain, |x| < 1 - sqrt(2)/2 (SDM), the CPU's result is its own
   approximation: only x <= -1 (x returned), x = 1 and x = 3 (exact logarithms) are checked. */
static int xp1_edge(const x80 *v) {
  int e = (v->se & 0x7fff) - 16383;
  if ((v->se & 0x7fff) == 0x7fff) return 1;
  if (e < -2) return 1;
  if (v->se & 0x8000) return e >= 0;
  return e == 0 && v->m == 0x8000000000000000ull;
}
static void edges(void) {
  for (int rc = 0; rc < 4; rc++) {
    setcw(CW_NEAR | RC(rc));
    for (int i = 0; i < NEV; i++) {
      a_g = EV[i];
      ONE("f2xm1", "f2xm1", ""); ONE("sin", "fsin", ""); ONE("cos", "fcos", "");
      ONE("tan", "fptan", "fstp %%st(0); "); ONE("sincos", "fsincos", "fstpt %3; ");
      for (int j = 0; j < NEV; j++) {
        b_g = EV[j];
        TWO("fyl2x", "fyl2x"); TWO("fpatan", "fpatan");
        if (xp1_edge(&a_g)) TWO("fyl2xp1", "fyl2xp1");
      }
    }
  }
  setcw(CW_NEAR);
}

int main(int argc, char **argv) {
  (void)argc; (void)argv;
  setcw(CW_NEAR); getsw();
  for (int i = 0; i < N; i++) {
    a_g = rx(-8, 8, 1);
    tag("t sin"); hx80(&a_g);
    __asm__ volatile("fldt %2; fsin; fnstsw %1; fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(a_g)); hx80(&r_g); h16(sw1); getsw(); nl();
    tag("t cos"); hx80(&a_g);
    __asm__ volatile("fldt %2; fcos; fnstsw %1; fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(a_g)); hx80(&r_g); h16(sw1); getsw(); nl();
    tag("t tan"); hx80(&a_g);
    __asm__ volatile("fldt %3; fptan; fnstsw %2; fstpt %1; fstpt %0" : "=m"(r_g), "=m"(r2_g), "=m"(sw1) : "m"(a_g)); hx80(&r_g); h16(sw1); getsw(); nl();
    tag("t sincos"); hx80(&a_g);
    __asm__ volatile("fldt %3; fsincos; fnstsw %2; fstpt %1; fstpt %0" : "=m"(r_g), "=m"(r2_g), "=m"(sw1) : "m"(a_g)); hx80(&r_g); hx80(&r2_g); h16(sw1); getsw(); nl();
    a_g = rx(-12, -1, 1);
    tag("t f2xm1"); hx80(&a_g);
    __asm__ volatile("fldt %2; f2xm1; fnstsw %1; fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(a_g)); hx80(&r_g); h16(sw1); getsw(); nl();
    a_g = rx(-20, 20, 0); b_g = rx(-3, 3, 1);
    tag("t fyl2x"); hx80(&a_g); hx80(&b_g);
    __asm__ volatile("fldt %3; fldt %2; fyl2x; fnstsw %1; fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(a_g), "m"(b_g)); hx80(&r_g); h16(sw1); getsw(); nl();
    a_g = rx(-12, -3, 1);
    tag("t fyl2xp1"); hx80(&a_g); hx80(&b_g);
    __asm__ volatile("fldt %3; fldt %2; fyl2xp1; fnstsw %1; fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(a_g), "m"(b_g)); hx80(&r_g); h16(sw1); getsw(); nl();
    a_g = rx(-6, 6, 1);
    tag("t fpatan"); hx80(&a_g); hx80(&b_g);
    __asm__ volatile("fldt %3; fldt %2; fpatan; fnstsw %1; fstpt %0" : "=m"(r_g), "=m"(sw1) : "m"(b_g), "m"(a_g)); hx80(&r_g); h16(sw1); getsw(); nl();
  }
  edges();
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
