/* The 16-bit protected-mode x87 environment and state images (operand-size prefix 66:
 * fnstenvs/fldenvs 14 bytes, fnsaves/frstors 94 bytes; SDM Vol. 1 Figure 8-10): what the
 * CPU stores (and that it stores nothing past the image), what it loads back, and the
 * 32-bit images after a 16-bit load. */
#include "fpu.h"

static u8 img[128] __attribute__((aligned(16)));
static u8 env32[28];
static double a_g = 3.0, b_g = 7.0, r_g;

static void dump(const char *t, const u8 *p, int n) { tag(t); for (int k = 0; k < n; k += 2) { putch(' '); hex(p[k] | p[k + 1] << 8, 4); } nl(); }

int main(void) {
  /* fnstenvs after an operation with a memory operand (instruction and data pointers set) */
  for (int k = 0; k < 128; k++) img[k] = 0xa5;
  __asm__ volatile("fninit; fldl %1; fldl %2; fdivr %%st(0), %%st(1); fnstenvs %0" : "=m"(img) : "m"(a_g), "m"(b_g));
  dump("stenv16", img, 20);
  __asm__ volatile("fnstenv %0" : "=m"(env32)); /* masks after fnstenvs: cw shows it */
  dump("after32", env32, 28);
  /* fldenvs: a crafted image (cw 0x0c7f: round toward zero, sw with C3 C1 and TOP 6, tags), then the 32-bit view */
  static const u16 craft[7] = {0x0c7f, 0x4a00 | 6 << 11, 0x0fff, 0x1234, 0x0023, 0x5678, 0x002b};
  for (int k = 0; k < 7; k++) { img[2 * k] = craft[k] & 0xff; img[2 * k + 1] = craft[k] >> 8; }
  __asm__ volatile("fninit; fldenvs %0; fnstenv %1" : : "m"(img), "m"(env32) : "memory");
  dump("ldenv16", env32, 28);
  /* fnsaves: 94 bytes, the state reset afterwards; frstors puts it back */
  for (int k = 0; k < 128; k++) img[k] = 0xa5;
  __asm__ volatile("fninit; fld1; fldpi; fldl %1; fnsaves %0" : "=m"(img) : "m"(a_g));
  dump("save16", img, 98);
  __asm__ volatile("fnstenv %0" : "=m"(env32)); dump("afterSave", env32, 28);
  __asm__ volatile("frstors %1; fstpl %0" : "=m"(r_g) : "m"(img)); h64(*(u64 *)&r_g);
  __asm__ volatile("fstpl %0" : "=m"(r_g)); h64(*(u64 *)&r_g);
  __asm__ volatile("fstpl %0" : "=m"(r_g)); h64(*(u64 *)&r_g); nl();
  __asm__ volatile("fnstenv %0" : "=m"(env32)); dump("afterRstor", env32, 28);
  flush();
  return 0;
}
