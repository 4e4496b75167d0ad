/* 80-bit operands (incl. denormals, pseudo-denormals, unnormals, pseudo-inf/NaN, SNaNs)
   through every arithmetic, rounding, conversion and compare instruction under each
   precision control (24/53/64) and rounding control; every result printed as its raw
   80 bits with the status word. */
#include "fpu.h"

typedef struct { u64 m; u16 se; } __attribute__((packed)) x80;
static const x80 XV[] = {
  {0x0000000000000000ull, 0x0000}, {0x0000000000000000ull, 0x8000},  /* +0 -0 */
  {0x8000000000000000ull, 0x3fff}, {0xc000000000000000ull, 0xbfff},  /* 1 -1.5 */
  {0xaaaaaaaaaaaaaaabull, 0x3ffd}, {0xffffffffffffffffull, 0x3fff},  /* 1/3 2-ulp */
  {0x8000000000000001ull, 0x3fff}, {0xc90fdaa22168c235ull, 0x4000},  /* 1+ulp pi */
  {0x8000000000000400ull, 0x3fff}, {0x8000000000000c00ull, 0xbfff},  /* ties at pc53 */
  {0x8000008000000000ull, 0x3fff}, {0x8000018000000000ull, 0x3fff},  /* ties at pc24 */
  {0xffffffffffffffffull, 0x7ffe}, {0x8000000000000000ull, 0x0001},  /* max, min normal */
  {0x0000000000000001ull, 0x0000}, {0x4000000000000000ull, 0x8000},  /* min denormal, -denormal */
  {0x8000000000000000ull, 0x0000}, {0x4000000000000000ull, 0x3fff},  /* pseudo-denormal, unnormal */
  {0x8000000000000000ull, 0x7fff}, {0x8000000000000000ull, 0xffff},  /* inf -inf */
  {0xc000000000000000ull, 0xffff}, {0xc000000000001234ull, 0x7fff},  /* indefinite, qnan */
  {0x8000000000005678ull, 0x7fff}, {0x0000000000000000ull, 0x7fff},  /* snan, pseudo-inf */
  {0x4000000000000001ull, 0x7fff}, {0x9876543210fedcbaull, 0x403e},  /* pseudo-nan, 2^63-ish */
  {0xfedcba9876543210ull, 0x3c00}, {0x8765432187654321ull, 0x43ff},  /* 2^-1023-ish, 2^1024-ish */
  {0xb17217f7d1cf79acull, 0x3ffe}, {0xd49a784bcd1b8affull, 0xc000},  /* ln2, -log2(10) */
  {0x8000000000000000ull, 0x3c01}, {0xfffffffffffff800ull, 0x43fe},  /* 2^-1022, double max */
  {0x8000000000000000ull, 0x3f81}, {0xffffff0000000000ull, 0x407e},  /* float min, float max */
  {0x8000000000000000ull, 0x3bcd}, {0xffffffffffffffffull, 0x3bcc},  /* double min denormal, just below */
  {0x8000000000000000ull, 0x403d}, {0x8000000000000000ull, 0xc03d},  /* 2^62 -2^62 */
  {0xc000000000000000ull, 0x4000}, {0xa000000000000000ull, 0x4000},  /* 3 2.5 */
  {0xde0b6b3a76400000ull, 0x4039}, {0x8000000000000000ull, 0x400f},  /* 1e18 65536 */
};
#define NXV ((int)(sizeof XV / sizeof XV[0]))

static x80 a_g, b_g, r_g, r2_g;
static volatile u64 q_g; static volatile u32 d_g; static volatile u16 w_g; static u8 bcd_g[10];
static void hx80(const x80 *v) { putch(' '); hex(v->se, 4); hex((u32)(v->m >> 32), 8); hex((u32)v->m, 8); }

#define OP2(name, insn) static void name(void) { \
  __asm__ volatile("fldcw %3; fldt %2; fldt %1; " insn "; fstpt %0; fstp %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g), "m"(cw_g)); }
OP2(fadd_, "fadd %%st(1), %%st") OP2(fsub_, "fsub %%st(1), %%st") OP2(fsubr_, "fsubr %%st(1), %%st")
OP2(fmul_, "fmul %%st(1), %%st") OP2(fdiv_, "fdiv %%st(1), %%st") OP2(fdivr_, "fdivr %%st(1), %%st")
OP2(fscale_, "fscale")
static void fprem_(void) { __asm__ volatile("fldcw %3; fldt %2; fldt %1; fprem; fstpt %0; fstp %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g), "m"(cw_g)); }
static void fprem1_(void) { __asm__ volatile("fldcw %3; fldt %2; fldt %1; fprem1; fstpt %0; fstp %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g), "m"(cw_g)); }
static void (*const OPS2[])(void) = { fadd_, fsub_, fsubr_, fmul_, fdiv_, fdivr_, fscale_, fprem_, fprem1_ };
#define NOPS2 ((int)(sizeof OPS2 / sizeof OPS2[0]))

static u16 cmp_(int kind) {
  u16 sw; u32 fl = 0;
  switch (kind) {
  case 0: __asm__ volatile("fldt %2; fldt %1; fcompp; fnstsw %0" : "=m"(sw) : "m"(a_g), "m"(b_g)); break;
  case 1: __asm__ volatile("fldt %2; fldt %1; fucompp; fnstsw %0" : "=m"(sw) : "m"(a_g), "m"(b_g)); break;
  default: __asm__ volatile("fldt %3; fldt %2; fcomip %%st(1), %%st; fstp %%st(0); pushfl; popl %1; fnstsw %0" : "=m"(sw), "=m"(fl) : "m"(a_g), "m"(b_g)); break;
  }
  return sw ^ (u16)(fl & 0x45);
}

int main(void) {
  static const u16 PCS[] = { 0x000, 0x200, 0x300 };
  for (int pc = 0; pc < 3; pc++) for (int rc = 0; rc < 4; rc++) {
    for (int op = 0; op < NOPS2; op++) {
      if (op >= 6 && (pc != 2)) continue; /* fscale/fprem ignore precision control */
      for (int i = 0; i < NXV; i++) for (int j = 0; j < NXV; j++) {
        a_g = XV[i]; b_g = XV[j];
        __asm__ volatile("fninit");
        cw_g = 0x7f | PCS[pc] | RC(rc);
        OPS2[op]();
        u16 sw = getsw();
        hex(pc, 1); hex(rc, 1); putch(' '); hex(op, 2); hex(i, 2); hex(j, 2); hx80(&r_g); h16(sw); nl();
      }
    }
    for (int i = 0; i < NXV; i++) {
      a_g = XV[i];
      __asm__ volatile("fninit");
      cw_g = 0x7f | PCS[pc] | RC(rc);
      hex(pc, 1); hex(rc, 1); tag(" one "); hex(i, 2);
      __asm__ volatile("fldcw %2; fldt %1; fsqrt; fstpt %0" : "=m"(r_g) : "m"(a_g), "m"(cw_g)); hx80(&r_g); h16(getsw());
      __asm__ volatile("fldcw %2; fldt %1; frndint; fstpt %0" : "=m"(r_g) : "m"(a_g), "m"(cw_g)); hx80(&r_g); h16(getsw());
      __asm__ volatile("fldcw %2; fldt %1; fstpl %0" : "=m"(q_g) : "m"(a_g), "m"(cw_g)); h64(q_g); h16(getsw());
      __asm__ volatile("fldcw %2; fldt %1; fstps %0" : "=m"(d_g) : "m"(a_g), "m"(cw_g)); h32(d_g); h16(getsw());
      __asm__ volatile("fldcw %2; fldt %1; fistpll %0" : "=m"(q_g) : "m"(a_g), "m"(cw_g)); h64(q_g); h16(getsw());
      __asm__ volatile("fldcw %2; fldt %1; fistpl %0" : "=m"(d_g) : "m"(a_g), "m"(cw_g)); h32(d_g); h16(getsw());
      __asm__ volatile("fldcw %2; fldt %1; fistps %0" : "=m"(w_g) : "m"(a_g), "m"(cw_g)); h16(w_g); h16(getsw());
      __asm__ volatile("fldcw %2; fldt %1; fbstp %0" : "=m"(bcd_g) : "m"(a_g), "m"(cw_g)); hbytes(bcd_g, 10); h16(getsw());
      __asm__ volatile("fldcw %3; fldt %2; fxtract; fstpt %0; fstpt %1" : "=m"(r_g), "=m"(r2_g) : "m"(a_g), "m"(cw_g)); hx80(&r_g); hx80(&r2_g); h16(getsw());
      if (pc == 2 && rc == 0) {
        __asm__ volatile("fldt %0; fxam; fstp %%st(0)" : : "m"(a_g)); h16(getsw());
        __asm__ volatile("fldt %0; ftst; fstp %%st(0)" : : "m"(a_g)); h16(getsw());
        __asm__ volatile("fldt %1; fchs; fstpt %0" : "=m"(r_g) : "m"(a_g)); hx80(&r_g); h16(getsw());
        for (int j = 0; j < NXV; j++) { b_g = XV[j]; h16(cmp_(0)); h16(cmp_(1)); h16(cmp_(2)); getsw(); }
      }
      nl();
    }
  }
  /* Random operands (exponents within +-70 of each other: every alignment shift) through
     + - * / under every precision and rounding control. */
  u64 seed = 0x243f6a8885a308d3ull;
  for (int n = 0; n < 400; n++) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; a_g.m = seed | 0x8000000000000000ull;
    a_g.se = (u16)(0x3fff + (int)(seed >> 58) - 32) | (u16)(seed & 0x8000);
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; b_g.m = seed | 0x8000000000000000ull;
    b_g.se = (u16)(0x3fff + (int)(seed % 141) - 70) | (u16)(seed & 0x8000);
    if (n % 5 == 0) b_g.m = a_g.m ^ (seed & 0xffff); /* near-cancellation */
    for (int pc = 0; pc < 3; pc++) for (int rc = 0; rc < 4; rc++) for (int op = 0; op < 6; op++) {
      __asm__ volatile("fninit");
      cw_g = 0x7f | PCS[pc] | RC(rc);
      OPS2[op]();
      u16 sw = getsw();
      tag("r "); hex(n, 3); hex(pc, 1); hex(rc, 1); hex(op, 1); hx80(&r_g); h16(sw); nl();
    }
  }
  flush();
  return 0;
}
