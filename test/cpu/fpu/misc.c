/* Compares, fxam, fcmov, constants, fprem/fprem1, fscale, fxtract, transcendentals,
   stack faults, fnstenv/fnsave images. */
#include "fpu.h"

static volatile u64 a_g, b_g, r_g, r2_g;
static volatile u32 i_g, fl_g;
static u8 env_g[28], sav_g[108];


int main(void) {
  setcw(CW_NEAR); getsw();
  for (int i = 0; i < NDV; i++) {
    for (int j = 0; j < NDV; j++) {
      a_g = DVALS[i]; b_g = DVALS[j];
      tag("cmp "); hex(i, 2); hex(j, 2);
      __asm__ volatile("fldl %1; fldl %0; fcomp %%st(1); fstp %%st(0)" : : "m"(a_g), "m"(b_g)); h16(getsw());
      __asm__ volatile("fldl %0; fcompl %1" : : "m"(a_g), "m"(b_g)); h16(getsw());
      __asm__ volatile("fldl %1; fldl %0; fucompp" : : "m"(a_g), "m"(b_g)); h16(getsw());
      __asm__ volatile("fldl %1; fldl %0; fcomip %%st(1), %%st; pushfl; popl %0; fstp %%st(0)" : "=m"(fl_g) : "m"(a_g), "m"(b_g)); h32(fl_g & 0x8d5); h16(getsw());
      __asm__ volatile("fldl %1; fldl %0; fucomip %%st(1), %%st; pushfl; popl %0; fstp %%st(0)" : "=m"(fl_g) : "m"(a_g), "m"(b_g)); h32(fl_g & 0x8d5); h16(getsw());
      /* fcmovb/fcmovnbe/fcmove/fcmovu after the fucomi */
      __asm__ volatile("fldl %2; fldl %1; fucomi %%st(1), %%st; fcmovb %%st(1), %%st; fstpl %0; fstp %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g)); h64(r_g);
      __asm__ volatile("fldl %2; fldl %1; fucomi %%st(1), %%st; fcmovnbe %%st(1), %%st; fstpl %0; fstp %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g)); h64(r_g);
      __asm__ volatile("fldl %2; fldl %1; fucomi %%st(1), %%st; fcmovu %%st(1), %%st; fstpl %0; fstp %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g)); h64(r_g);
      h16(getsw());
      /* fprem, fprem1 (looping until C2 clears), fscale; quotient bits in the status */
      u16 sw;
      __asm__ volatile("fldl %3; fldl %2; 1: fprem; fnstsw %%ax; testb $4, %%ah; jnz 1b; fstpl %0; fstp %%st(0); fnstsw %1"
                       : "=m"(r_g), "=m"(sw) : "m"(a_g), "m"(b_g) : "ax");
      h64(r_g); h16(sw & ~0x20); getsw();
      __asm__ volatile("fldl %3; fldl %2; 1: fprem1; fnstsw %%ax; testb $4, %%ah; jnz 1b; fstpl %0; fstp %%st(0); fnstsw %1"
                       : "=m"(r_g), "=m"(sw) : "m"(a_g), "m"(b_g) : "ax");
      h64(r_g); h16(sw & ~0x20); getsw();
      __asm__ volatile("fldl %2; fldl %1; fscale; fstpl %0; fstp %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g)); h64(r_g); h16(getsw());
      nl();
    }
    tag("one "); hex(i, 2);
    __asm__ volatile("fldl %0; ftst; fstp %%st(0)" : : "m"(a_g)); h16(getsw());
    __asm__ volatile("fldl %0; fxam; fstp %%st(0)" : : "m"(a_g)); h16(getsw());
    __asm__ volatile("fldl %2; fxtract; fstpl %0; fstpl %1" : "=m"(r_g), "=m"(r2_g) : "m"(a_g)); h64(r_g); h64(r2_g); h16(getsw());
    __asm__ volatile("fldl %1; fchs; fstpl %0" : "=m"(r_g) : "m"(a_g)); h64(r_g);
    __asm__ volatile("fldl %1; fabs; fstpl %0" : "=m"(r_g) : "m"(a_g)); h64(r_g); h16(getsw());
    i_g = (u32)(DVALS[i] >> 40);
    __asm__ volatile("fldl %0; ficoml %1; fstp %%st(0)" : : "m"(a_g), "m"(i_g)); h16(getsw());
    __asm__ volatile("fldl %1; fiaddl %2; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(i_g)); h64(r_g); h16(getsw() & ~0x220);
    nl();
  }
  /* fxam of an empty register, and of 80-bit denormals. */
  __asm__ volatile("fninit; fxam"); tag("fxam-empty"); h16(getsw());
  static u8 den[10] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0x80};
  __asm__ volatile("fldt %0; fxam; fstp %%st(0)" : : "m"(den)); h16(getsw()); nl();
  /* Constants under each rounding mode, as 80-bit and as double. */
  for (int rc = 0; rc < 4; rc++) {
    setcw(CW_NEAR | RC(rc));
    u8 t[7][10];
    __asm__ volatile("fld1; fstpt %0; fldl2t; fstpt %1; fldl2e; fstpt %2; fldpi; fstpt %3; fldlg2; fstpt %4; fldln2; fstpt %5; fldz; fstpt %6"
                     : "=m"(t[0]), "=m"(t[1]), "=m"(t[2]), "=m"(t[3]), "=m"(t[4]), "=m"(t[5]), "=m"(t[6]));
    tag("const "); hex(rc, 1);
    for (int k = 0; k < 7; k++) hbytes(t[k], 10);
    __asm__ volatile("fldpi; fstpl %0" : "=m"(r_g)); h64(r_g);
    __asm__ volatile("fldl2e; fstpl %0" : "=m"(r_g)); h64(r_g);
    h16(getsw()); nl();
  }
  setcw(CW_NEAR);
  /* Stack overflow and underflow with masked exceptions: C1 and the indefinite. */
  __asm__ volatile("fninit; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fld1; fstpl %0" : "=m"(r_g));
  tag("overflow"); h64(r_g); h16(getsw());
  __asm__ volatile("fnstenv %0" : "=m"(env_g)); hbytes(env_g + 8, 2);
  __asm__ volatile("fninit; fadd %%st(1), %%st; fstpl %0" : "=m"(r_g)); h64(r_g); h16(getsw());
  __asm__ volatile("fninit; fistl %0" : "=m"(i_g)); h32(i_g); h16(getsw());
  __asm__ volatile("fninit; fld1; fxch %%st(3); fstpl %0; fstpl %1" : "=m"(r_g), "=m"(r2_g)); h64(r_g); h64(r2_g); h16(getsw());
  __asm__ volatile("fninit; fld1; fldz; fincstp; fincstp; fdecstp; fstpl %0" : "=m"(r_g)); h64(r_g); h16(getsw());
  __asm__ volatile("fninit; fld1; fldz; ffree %%st(1); fstp %%st(0); fstpl %0" : "=m"(r_g)); h64(r_g); h16(getsw()); nl();
  /* fnstenv and fnsave images (the engine's addresses are the native ones: static binary, globals). */
  a_g = DVALS[8]; b_g = DVALS[6];
  __asm__ volatile("fninit; fldl %1; fldl %2; fdivr %%st(0), %%st(1); fnstenv %0" : "=m"(env_g) : "m"(a_g), "m"(b_g));
  tag("env"); for (int k = 0; k < 28; k += 4) h32(*(u32 *)(env_g + k)); nl();
  __asm__ volatile("fldcw %0" : : "m"(*(u16 *)env_g));
  __asm__ volatile("fninit; fld1; fldpi; fldl %1; fnsave %0" : "=m"(sav_g) : "m"(a_g));
  tag("save"); for (int k = 0; k < 28; k += 4) h32(*(u32 *)(sav_g + k));
  for (int k = 0; k < 8; k++) hbytes(sav_g + 28 + k * 10, 10);
  h16(getsw());
  __asm__ volatile("frstor %1; fstpl %0" : "=m"(r_g) : "m"(sav_g)); h64(r_g);
  __asm__ volatile("fstpt %0" : "=m"(env_g)); hbytes(env_g, 10); h16(getsw()); nl();
  /* Transcendentals: C2 for out-of-range; results checked with a tolerance. */
  for (int i = 0; i < NDV; i++) {
    a_g = DVALS[i]; b_g = DVALS[(i + 5) % NDV];
    tag("trans "); hex(i, 2);
    __asm__ volatile("fldl %1; fsin; fstpl %0" : "=m"(r_g) : "m"(a_g)); h64(r_g); h16(getsw() & ~0x220);
    __asm__ volatile("fldl %1; fcos; fstpl %0" : "=m"(r_g) : "m"(a_g)); h64(r_g); h16(getsw() & ~0x220);
    __asm__ volatile("fldl %2; fsincos; fstpl %0; fstpl %1" : "=m"(r_g), "=m"(r2_g) : "m"(a_g)); h64(r_g); h64(r2_g); h16(getsw() & ~0x220);
    __asm__ volatile("fldl %2; fptan; fstpl %0; fstpl %1" : "=m"(r_g), "=m"(r2_g) : "m"(a_g)); h64(r_g); h64(r2_g); h16(getsw() & ~0x220);
    __asm__ volatile("fldl %2; fldl %1; fpatan; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(b_g)); h64(r_g); h16(getsw() & ~0x220);
    __asm__ volatile("fldl %1; f2xm1; fstpl %0" : "=m"(r_g) : "m"(a_g)); h64(r_g); h16(getsw() & ~0x220);
    __asm__ volatile("fldl %2; fldl %1; fyl2x; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(b_g)); h64(r_g); h16(getsw() & ~0x220);
    /* fyl2xp1 is defined for |x| < 1 - sqrt(2)/2 only. */
    double ad; memcpy(&ad, (const void *)&a_g, 8);
    if (ad > -0.29 && ad < 0.29) {
      __asm__ volatile("fldl %2; fldl %1; fyl2xp1; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(b_g)); h64(r_g); h16(getsw() & ~0x220);
    }
    __asm__ volatile("fldl %1; fsqrt; fstpl %0" : "=m"(r_g) : "m"(a_g)); h64(r_g); h16(getsw() & ~0x220);
    nl();
  }
  flush();
  return 0;
}
