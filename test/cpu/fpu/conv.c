/* Loads and stores of every format, under every rounding mode. */
#include "fpu.h"

static volatile u64 d_g, q_g;
static volatile u32 f_g, i_g;
static volatile u16 w_g;
static volatile u8 t_g[10], bcd_g[10];

static const u32 FVALS[] = {
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3dcccccd, 0x7f7fffff, 0x00800000,
  0x00000001, 0x807fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f812345,
};
static const u64 QVALS[] = {
  0, 1, 0xffffffffffffffffull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x0020000000000001ull,
  0xffdfffffffffffffull, 0x123456789abcdef1ull, 0x00000000ffffffffull, 0xfffffffe00000001ull,
};
static const u8 TVALS[][10] = {
  {0x01, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f},        /* 1 + 2^-63 */
  {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x7f}, /* largest */
  {0, 0, 0, 0, 0, 0, 0, 0x80, 0x01, 0x00},           /* smallest normal */
  {0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00},        /* denormal */
  {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x7f},           /* qnan */
  {0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff},           /* -inf */
  {0x00, 0x08, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x40},     /* 3 + small */
  {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xfe, 0xbb}, /* negative ordinary */
  {0x00, 0x04, 0, 0, 0, 0, 0, 0x80, 0xfe, 0x3f},     /* 0.5 + 2^-54: double rounds to 0.5 */
};
static const u8 BVALS[][10] = {
  {0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0},
  {0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x80},
  {0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80},
  {0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

int main(void) {
  for (int rc = 0; rc < 4; rc++) {
    /* m64 -> m32, m16/m32/m64 integers, BCD, m80, each with status. */
    for (int i = 0; i < NDV; i++) {
      d_g = DVALS[i];
      setcw(CW_NEAR | RC(rc)); getsw();
      tag("f32 "); hex(rc, 1); hex(i, 2);
      __asm__ volatile("fldl %1; fsts %0; fstp %%st(0)" : "=m"(f_g) : "m"(d_g)); h32(f_g); h16(getsw());
      __asm__ volatile("fldl %1; fistl %0; fstp %%st(0)" : "=m"(i_g) : "m"(d_g)); h32(i_g); h16(getsw());
      __asm__ volatile("fldl %1; fistps %0" : "=m"(w_g) : "m"(d_g)); h16(w_g); h16(getsw());
      __asm__ volatile("fldl %1; fistpll %0" : "=m"(q_g) : "m"(d_g)); h64(q_g); h16(getsw());
      __asm__ volatile("fldl %1; fbstp %0" : "=m"(bcd_g) : "m"(d_g)); hbytes((u8 *)bcd_g, 10); h16(getsw());
      __asm__ volatile("fldl %1; fstpt %0" : "=m"(t_g) : "m"(d_g)); hbytes((u8 *)t_g, 10); h16(getsw());
      __asm__ volatile("fldl %1; frndint; fstpl %0" : "=m"(q_g) : "m"(d_g)); h64(q_g); h16(getsw());
      nl();
    }
  }
  setcw(CW_NEAR); getsw();
  for (unsigned i = 0; i < sizeof FVALS / 4; i++) {
    f_g = FVALS[i];
    __asm__ volatile("flds %1; fstpl %0" : "=m"(d_g) : "m"(f_g));
    tag("m32 "); h64(d_g); h16(getsw());
    __asm__ volatile("flds %1; fstpt %0" : "=m"(t_g) : "m"(f_g));
    hbytes((u8 *)t_g, 10); h16(getsw()); nl();
  }
  for (unsigned i = 0; i < sizeof QVALS / 8; i++) {
    q_g = QVALS[i];
    __asm__ volatile("fildll %1; fistpll %0" : "=m"(d_g) : "m"(q_g));
    tag("i64 "); h64(d_g); h16(getsw());
    __asm__ volatile("fildll %1; fstpl %0" : "=m"(d_g) : "m"(q_g)); h64(d_g); h16(getsw());
    __asm__ volatile("fildll %1; fstpt %0" : "=m"(t_g) : "m"(q_g)); hbytes((u8 *)t_g, 10); h16(getsw());
    i_g = (u32)QVALS[i];
    __asm__ volatile("fildl %1; fstpl %0" : "=m"(d_g) : "m"(i_g)); h64(d_g);
    w_g = (u16)QVALS[i];
    __asm__ volatile("filds %1; fstpl %0" : "=m"(d_g) : "m"(w_g)); h64(d_g); h16(getsw()); nl();
  }
  for (unsigned i = 0; i < sizeof TVALS / 10; i++) {
    memcpy((void *)t_g, TVALS[i], 10);
    __asm__ volatile("fldt %1; fstpt %0" : "=m"(bcd_g) : "m"(t_g));
    tag("m80 "); hbytes((u8 *)bcd_g, 10); h16(getsw());
    __asm__ volatile("fldt %1; fld %%st(0); fxch; fstp %%st(0); fchs; fstpt %0" : "=m"(bcd_g) : "m"(t_g));
    hbytes((u8 *)bcd_g, 10); h16(getsw());
    __asm__ volatile("fldt %1; fstpl %0" : "=m"(d_g) : "m"(t_g)); h64(d_g); h16(getsw()); nl();
  }
  for (unsigned i = 0; i < sizeof BVALS / 10; i++) {
    memcpy((void *)t_g, BVALS[i], 10);
    __asm__ volatile("fbld %1; fbstp %0" : "=m"(bcd_g) : "m"(t_g));
    tag("bcd "); hbytes((u8 *)bcd_g, 10); h16(getsw());
    __asm__ volatile("fbld %1; fstpl %0" : "=m"(d_g) : "m"(t_g)); h64(d_g); h16(getsw()); nl();
  }
  flush();
  return 0;
}
