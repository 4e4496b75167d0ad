/*
 * Conversions and moves: cbw cwde cwd cdq, movzx/movsx (8->16, 8->32, 16->32, register
 * including AH..BH, and memory), moves to and from high-byte registers, the moffs forms of
 * mov (A0-A3), mov imm to memory, xlat, clc/stc/cmc, multi-byte nops; and cpuid sanity:
 * the engine's leaves differ from the host's by design, so only properties that must
 * hold on both are printed.
 */
#include "common.h"

u8 tbl[256];
u32 mo32;
u16 mo16;
u8 mo8;

static int printable(u32 w) {
  for (int i = 0; i < 4; i++) {
    u8 c = (u8)(w >> (i * 8));
    if (c < 0x20 || c > 0x7e) return 0;
  }
  return 1;
}

int main(void) {
  init_vals();
  for (int i = 0; i < NVAL; i++) {
    u32 v = vals[i], a, d;
    a = v; __asm__ volatile("cbw" : "+a" (a)); tag("cbw"); h32(a);
    a = v; __asm__ volatile("cwde" : "+a" (a)); h32(a);
    a = v; d = 0x5555aaaa; __asm__ volatile("cwd" : "+a" (a), "+d" (d)); h32(a); h32(d);
    a = v; d = 0x5555aaaa; __asm__ volatile("cdq" : "+a" (a), "+d" (d)); h32(a); h32(d); nl();

    u32 r1, r2, r3, r4, r5, r6, r7, r8;
    __asm__ volatile("movzbw %b[v], %w[r1]\n\tmovzbl %b[v], %[r2]\n\tmovzwl %w[v], %[r3]"
      : [r1] "=&r" (r1), [r2] "=&r" (r2), [r3] "=&r" (r3) : "0" (0xcccccccc), [v] "q" (v));
    __asm__ volatile("movsbw %b[v], %w[r4]\n\tmovsbl %b[v], %[r5]\n\tmovswl %w[v], %[r6]"
      : [r4] "=&r" (r4), [r5] "=&r" (r5), [r6] "=&r" (r6) : "0" (0xcccccccc), [v] "q" (v));
    tag("movx"); h32(r1); h32(r2); h32(r3); h32(r4); h32(r5); h32(r6);
    mo32 = v;
    __asm__ volatile("movzbl mo32+1, %[r1]\n\tmovsbl mo32+1, %[r2]\n\tmovzwl mo32+2, %[r3]\n\tmovswl mo32+2, %[r4]\n\t"
                     "movsbw mo32, %w[r5]"
      : [r1] "=&r" (r1), [r2] "=&r" (r2), [r3] "=&r" (r3), [r4] "=&r" (r4), [r5] "=&r" (r5) : "4" (0x77777777u));
    h32(r1); h32(r2); h32(r3); h32(r4); h32(r5);
    /* high-byte sources and destinations */
    a = v; d = 0x11223344;
    __asm__ volatile("movzbl %%ah, %[r1]\n\tmovsbl %%dh, %[r2]\n\tmovb %%ah, %%dl\n\tmovb %%al, %%dh\n\txchgb %%ah, %%al"
      : [r1] "=&r" (r7), [r2] "=&r" (r8), "+a" (a), "+d" (d));
    h32(r7); h32(r8); h32(a); h32(d); nl();

    /* moffs forms and mov imm to memory */
    mo32 = 0; mo16 = 0; mo8 = 0;
    a = v;
    __asm__ volatile("movl %%eax, mo32\n\tmovw %%ax, mo16\n\tmovb %%ah, mo8\n\tmovb mo8, %%al\n\t"
                     "movl $0x7f, %%eax\n\tmovw mo16, %%ax\n\tmovl mo32, %%ecx\n\taddl %%ecx, %%eax\n\t"
                     "movb $0x9a, mo32+3\n\tmovw $0xbeef, mo16\n\tmovl $-2, mo32-0"
      : "+a" (a) :: "ecx", "memory", "cc");
    tag("moffs"); h32(a); h32(mo32); h16(mo16); h8(mo8);
    /* xlat */
    for (int k = 0; k < 256; k++) tbl[k] = (u8)(k * 13 + 5);
    a = v;
    __asm__ volatile("xlat" : "+a" (a) : "b" (tbl) : "memory");
    h32(a); nl();
  }
  /* clc/stc/cmc and nops */
  u32 f1, f2, f3;
  __asm__ volatile("stc\n\tcmc\n\tpushf\n\tpop %0\n\tclc\n\tcmc\n\tpushf\n\tpop %1\n\t"
                   "nop\n\t.byte 0x66, 0x90\n\t.byte 0x0f, 0x1f, 0x00\n\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"
                   ".byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\t"
                   ".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\tpause\n\t"
                   "stc\n\tpushf\n\tpop %2"
    : "=&r" (f1), "=&r" (f2), "=&r" (f3) :: "cc");
  tag("cf"); h16(f1 & F_CF); h16(f2 & F_CF); h16(f3 & F_CF); nl();

  /* cpuid */
  u32 a, b, c, d;
  __asm__ volatile("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "a" (0), "c" (0));
  tag("cpuid0 max>=1:"); hex(a >= 1, 1); tag(" vendor printable:"); hex(printable(b) && printable(c) && printable(d), 1); nl();
  __asm__ volatile("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "a" (1), "c" (0));
  u32 family = (a >> 8) & 15;
  tag("cpuid1 family>=6:"); hex(family >= 6 && family != 0xf ? 1 : family == 0xf, 1);
  tag(" fpu tsc cx8 cmov:"); hex(d & 1, 1); hex((d >> 4) & 1, 1); hex((d >> 8) & 1, 1); hex((d >> 15) & 1, 1); nl();
  __asm__ volatile("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "a" (0x80000000u), "c" (0));
  int brand_ok = 1;
  if (a >= 0x80000004u) {
    char brand[49];
    for (u32 l = 0; l < 3; l++) {
      __asm__ volatile("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "a" (0x80000002u + l), "c" (0));
      memcpy(brand + l * 16, &a, 4); memcpy(brand + l * 16 + 4, &b, 4);
      memcpy(brand + l * 16 + 8, &c, 4); memcpy(brand + l * 16 + 12, &d, 4);
    }
    brand[48] = 0;
    int n = (int)strlen(brand);
    for (int k = 0; k < n; k++) if (brand[k] < 0x20 || brand[k] > 0x7e) brand_ok = 0;
    if (n == 0) brand_ok = 0;
  }
  tag("cpuid brand ok:"); hex(brand_ok, 1); nl();
  return finish();
}
