/*
 * Stack and flag-register instructions: push/pop of registers, memory, immediates
 * (imm8 sign-extended, imm32, 16-bit operand size), push %esp, pop into an esp-relative
 * memory operand, pusha/popa, pushf/popf (arithmetic flags, DF, AC and ID are writable
 * from user mode; IF and bit 1 read as set), sahf/lahf for every AH, enter (nesting
 * levels 0-3) and leave, loop/loope/loopne/jecxz (and their 16-bit-count forms).
 * Stack addresses differ between runs, so only offsets from the starting %esp are printed.
 */
#include "common.h"
static __attribute__((unused)) void unused(void) { init_vals(); }

u32 frame[64];
u32 rec[64];
u32 r[10];

/* All registers are saved around this body (pusha/popa), so it may use ebp. It ends by
 * popping into (%esp) (the address uses esp after the increment) and pusha/popa. */
#define PUSHPOP \
    "mov %%esp, %%ebp\n\t" \
    "pushl $-5\n\tpushl $0x12345678\n\tpushw $0x7f01\n\tpushw $-2\n\t" \
    "pushl frame+4\n\tpushw frame+8\n\tpush %%esp\n\tpushw %%sp\n\t" \
    "mov %%esp, %%eax\n\tsub %%ebp, %%eax\n\tmov %%eax, rec\n\t" \
    "popw %%ax\n\tsubw %%bp, %%ax\n\tmovzwl %%ax, %%eax\n\tmov %%eax, rec+4\n\t" \
    "pop %%eax\n\tsub %%ebp, %%eax\n\tmov %%eax, rec+8\n\t" \
    "popw rec+12\n\tpopl rec+16\n\tpopw %%ax\n\tmovw %%ax, rec+20\n\tpopw %%bx\n\tmovw %%bx, rec+22\n\t" \
    "popl rec+24\n\tpopl rec+28\n\t" \
    "pushl $0xaaaa5555\n\tpushl $0x11112222\n\tpopl (%%esp)\n\tpopl rec+32\n\t" \
    "mov $1, %%eax\n\tmov $2, %%ecx\n\tmov $3, %%edx\n\tmov $4, %%ebx\n\tmov $6, %%esi\n\tmov $7, %%edi\n\t" \
    "pusha\n\tmov 12(%%esp), %%eax\n\tsub %%esp, %%eax\n\tmov %%eax, rec+36\n\t" \
    "mov 28(%%esp), %%eax\n\tmov %%eax, rec+40\n\tmov 0(%%esp), %%eax\n\tmov %%eax, rec+44\n\t" \
    "movl $0x99, 12(%%esp)\n\tmovl $0x77, 28(%%esp)\n\tpopa\n\tmov %%eax, rec+48\n\tmov %%edi, rec+52\n\t" \
    "mov %%esp, %%eax\n\tsub %%ebp, %%eax\n\tmov %%eax, rec+56\n\t"

int main(void) {
  for (int i = 0; i < 64; i++) frame[i] = 0x1000u + (u32)i * 0x11u;
  __asm__ volatile("pusha\n\t" PUSHPOP "popa" ::: "memory", "cc");
  tag("pushpop");
  for (int i = 0; i < 15; i++) h32(rec[i]);
  nl();

  /* pushf/popf: which bits stick. */
  static const u32 tries[] = { 0, F_ALL, 0x400, 0x40000, 0x200000, 0x240cd5, 0xffffffffu & ~0x100u, 0x4000, 0x3000 };
  for (unsigned i = 0; i < sizeof tries / sizeof tries[0]; i++) {
    u32 f, f16;
    __asm__ volatile("pushf\n\tpush %[v]\n\tpopf\n\tpushf\n\tpop %[f]\n\tpopf"
      : [f] "=r" (f) : [v] "r" (tries[i]) : "cc", "memory");
    __asm__ volatile("pushf\n\tpushw %w[v]\n\tpopfw\n\tpushfw\n\tpopw %w[f]\n\tpopf"
      : [f] "=r" (f16) : [v] "r" (tries[i]) : "cc", "memory");
    /* VIF, VIP, RF, VM, IOPL are not writable (or not visible) from ring 3. */
    tag("popf"); h32(tries[i]); h32(f & 0x00ffffffu); h16(f16 & 0xffff); nl();
  }

  /* sahf/lahf */
  for (u32 ah = 0; ah < 256; ah++) {
    u32 eax = ah << 8, f, out;
    __asm__ volatile("push $0x800\n\tpopf\n\tsahf\n\tpushf\n\tpop %[f]\n\tmov $0, %%ah\n\tlahf\n\tmov %%eax, %[o]"
      : [f] "=&r" (f), [o] "=&r" (out), "+a" (eax) :: "cc");
    tag("sahf"); h8(ah); h16(f & F_ALL); h32(out); nl();
  }

  /* enter/leave: nesting copies level-1 frame pointers from the old frame. */
  for (int level = 0; level < 4; level++) {

    r[0] = level;
    __asm__ volatile(
      "push %%ebp\n\tmov %%esp, %%esi\n\tlea frame+128, %%ebp\n\t"
      "cmpl $0, r\n\tjne 1f\n\tenter $0x10, $0\n\tjmp 4f\n"
      "1:\n\tcmpl $1, r\n\tjne 2f\n\tenter $0x20, $1\n\tjmp 4f\n"
      "2:\n\tcmpl $2, r\n\tjne 3f\n\tenter $0x8, $2\n\tjmp 4f\n"
      "3:\n\tenter $0x0, $3\n"
      "4:\n\tmov %%esi, %%eax\n\tsub %%esp, %%eax\n\tmov %%eax, r+4\n\t"
      "mov %%esi, %%eax\n\tsub %%ebp, %%eax\n\tmov %%eax, r+8\n\t"
      "mov -4(%%ebp), %%eax\n\tmov %%eax, r+12\n\tmov -8(%%ebp), %%eax\n\tmov %%eax, r+16\n\t"
      "mov -12(%%ebp), %%eax\n\tmov %%eax, r+32\n\tmov %%esi, r+36\n\t"
      "mov 0(%%ebp), %%eax\n\tsub $frame, %%eax\n\tmov %%eax, r+20\n\t"
      "leave\n\tmov %%ebp, %%eax\n\tsub $frame, %%eax\n\tmov %%eax, r+24\n\t"
      "mov %%esi, %%eax\n\tsub %%esp, %%eax\n\tmov %%eax, r+28\n\t"
      "mov %%esi, %%esp\n\tpop %%ebp"
      ::: "eax", "esi", "memory", "cc");
    /* Words below the new frame: level-1 copied frame pointers, then the frame pointer
     * itself (a stack address: printed relative to the starting esp). */
    u32 below[3] = { r[3], r[4], r[8] };
    tag("enter"); for (int i = 0; i < 3; i++) h32(r[i]);
    h32(r[5]); h32(r[6]); h32(r[7]);
    for (int i = 0; i < level && i < 3; i++) h32(i == level - 1 ? below[i] - r[9] : below[i]);
    nl();
  }

  /* loop family: count iterations for several ecx values and ZF patterns. */
  static const u32 ecxs[] = { 0, 1, 2, 5, 0x10003, 0xffff0001u };
  for (unsigned i = 0; i < sizeof ecxs / sizeof ecxs[0]; i++) {
    u32 n1, n2, n3, n4, n5, c1, c2, c3, c5, j;
    u32 e = ecxs[i] & 0xffff00ffu;
    __asm__ volatile("xor %[n], %[n]\n1:\n\tinc %[n]\n\tcmp $0x20000, %[n]\n\tje 2f\n\tloop 1b\n2:"
      : [n] "=&r" (n1), "+c" (e) :: "cc");
    c1 = e; e = ecxs[i] & 0xffff00ffu;
    /* loope: continue while ZF=1 (set by comparing the count against 3) */
    __asm__ volatile("xor %[n], %[n]\n1:\n\tinc %[n]\n\tcmp $3, %[n]\n\tsetne %%al\n\tcmp $1, %%al\n\tloope 1b"
      : [n] "=&r" (n2), "+c" (e) :: "eax", "cc");
    c2 = e; e = ecxs[i] & 0xffff00ffu;
    __asm__ volatile("xor %[n], %[n]\n1:\n\tinc %[n]\n\tcmp $4, %[n]\n\tloopne 1b"
      : [n] "=&r" (n3), "+c" (e) :: "cc");
    c3 = e; e = ecxs[i] & 0xffff00ffu;
    __asm__ volatile("mov $1, %[j]\n\tjecxz 1f\n\tmov $0, %[j]\n1:" : [j] "=&r" (j) : "c" (e));
    n4 = j;
    /* 16-bit count (addr16 loop): only CX counts and CX is what decrements. */
    __asm__ volatile("xor %[n], %[n]\n1:\n\tinc %[n]\n\tcmp $0x20000, %[n]\n\tje 2f\n\taddr16 loop 1b\n2:"
      : [n] "=&r" (n5), "+c" (e) :: "cc");
    c5 = e; e = ecxs[i] & 0xffff00ffu;
    __asm__ volatile("mov $1, %[j]\n\tjcxz 1f\n\tmov $0, %[j]\n1:" : [j] "=&r" (j) : "c" (e));
    tag("loop"); h32(ecxs[i] & 0xffff00ffu); h32(n1); h32(c1); h32(n2); h32(c2); h32(n3); h32(c3);
    h32(n4); h32(n5); h32(c5); h32(j); nl();
  }
  return finish();
}
