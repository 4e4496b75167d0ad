/*
 * lea with every 32-bit addressing form (each base, each index, each scale, no/8/32-bit
 * displacement, disp32 alone, index without base, esp/ebp bases), 16-bit addressing with
 * the 0x67 prefix (all eight r/m forms, each displacement size, wrap-around at 64 KiB),
 * 16-bit operand size, and a memory load through a few of those forms. Registers hold
 * fixed values; results go to a static array by absolute address.
 */
#include "common.h"

static __attribute__((unused)) void unused(void) { init_vals(); }

u32 out[4096]; /* global: referenced by name from asm */
u32 outp;
u32 src[8];

/* Save all registers, load fixed values, evaluate the body, restore. */
#define REGS_IN \
  "pusha\n\tmovl $out, outp\n\t" \
  "mov $0x11111111, %%eax\n\tmov $0x02220222, %%ecx\n\tmov $0xfffff333, %%edx\n\tmov $0x80000444, %%ebx\n\t" \
  "mov $0x00055555, %%ebp\n\tmov $0x7ffffff6, %%esi\n\tmov $0x0000fff7, %%edi\n\t"
#define REGS_OUT "popa"
/* Store %eax (after lea ..., %eax) and restore eax; keeps every other register. */
#define PUT "xchg %%eax, outp\n\tpush %%ecx\n\tmov outp, %%ecx\n\tmov %%ecx, (%%eax)\n\tpop %%ecx\n\t" \
            "add $4, %%eax\n\txchg %%eax, outp\n\tmov $0x11111111, %%eax\n\t"

#define L16(m) "lea " m ", %%eax\n\t" PUT "lea 0x7f" m ", %%eax\n\t" PUT \
  "lea -1" m ", %%eax\n\t" PUT "lea 0x9abc" m ", %%eax\n\t" PUT

int main(void) {
  __asm__ volatile(REGS_IN
    /* base + index*scale + disp, for every base but esp and every index (no esp index). */
    ".irp base,eax,ecx,edx,ebx,ebp,esi,edi\n\t"
    ".irp idx,eax,ecx,edx,ebx,ebp,esi,edi\n\t"
    ".irp sc,1,2,4,8\n\t"
    "lea (%%\\base,%%\\idx,\\sc), %%eax\n\t" PUT
    "lea -0x80(%%\\base,%%\\idx,\\sc), %%eax\n\t" PUT
    "lea 0x12345678(%%\\base,%%\\idx,\\sc), %%eax\n\t" PUT
    ".endr\n\t.endr\n\t"
    /* base only, with each displacement size; index only (disp32, no base). */
    "lea (%%\\base), %%eax\n\t" PUT
    "lea 0x7f(%%\\base), %%eax\n\t" PUT
    "lea -0x7ffffff0(%%\\base), %%eax\n\t" PUT
    ".irp sc,1,2,4,8\n\t"
    "lea 0x1000(,%%\\base,\\sc), %%eax\n\t" PUT
    "lea (,%%\\base,\\sc), %%eax\n\t" PUT
    ".endr\n\t.endr\n\t"
    /* disp32 alone, and the SIB no-base form with index=none (04 25 disp32). */
    "lea 0xdeadbeef, %%eax\n\t" PUT
    ".byte 0x8d, 0x04, 0x25\n\t.long 0x1234\n\t" PUT
    /* esp as a base (only relative results are comparable). */
    "lea 0x10(%%esp), %%eax\n\tsub %%esp, %%eax\n\t" PUT
    "lea -4(%%esp,%%ecx,2), %%eax\n\tsub %%esp, %%eax\n\t" PUT
    "lea (%%esp,%%ebp), %%eax\n\tsub %%esp, %%eax\n\t" PUT
    /* 16-bit operand size: the low 16 bits of the address replace ax. */
    "mov $0xaaaaaaaa, %%eax\n\tleaw 0x8000(%%ebx,%%edi,2), %%ax\n\t" PUT
    /* 16-bit addressing: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx] and disp16. */
    L16("(%%bx,%%si)") L16("(%%bx,%%di)") L16("(%%bp,%%si)") L16("(%%bp,%%di)")
    L16("(%%si)") L16("(%%di)") L16("(%%bp)") L16("(%%bx)")
    "addr16 lea 0x1234, %%eax\n\t" PUT
    "leaw 0x10(%%bp,%%di), %%ax\n\t" PUT
    REGS_OUT ::: "memory", "cc");
  u32 n = (outp - (u32)(uintptr_t)out) / 4;
  for (u32 i = 0; i < n; i++) {
    h32(out[i]);
    if (i % 8 == 7) nl();
  }
  nl();
  tag("count"); h32(n); nl();
  /* Loads through a few forms (the lea logic feeds every memory operand). */
  for (int i = 0; i < 8; i++) src[i] = 0x1000u * (u32)i + 7;
  u32 idx = 3, r1, r2, r3;
  __asm__ volatile("mov src(,%[i],4), %[r1]\n\tmov src+4(,%[i],2), %[r2]\n\tmov -4(%[p],%[i],4), %[r3]"
    : [r1] "=&r" (r1), [r2] "=&r" (r2), [r3] "=&r" (r3) : [i] "r" (idx), [p] "r" (src + 2));
  tag("loads"); h32(r1); h32(r2); h32(r3); nl();
  return finish();
}
