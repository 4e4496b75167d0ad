/*
 * xchg (register pairs, memory, the one-byte 90+r forms, 8/16/32-bit), xadd, cmpxchg
 * (register and memory, equal and unequal, 8/16/32-bit, with and without lock), and
 * cmpxchg8b. All flags compared are defined (xadd as add, cmpxchg as cmp, cmpxchg8b ZF;
 * cmpxchg8b leaves the other flags unchanged).
 */
#include "common.h"

static u32 mem32;
static u16 mem16;
static u8 mem8;

int main(void) {
  init_vals();
  for (int i = 0; i < NVAL; i++)
    for (int j = 0; j < NVAL; j++) {
      u32 a = vals[i], b = vals[j], x, y, f;
      /* xchg */
      x = a; y = b;
      __asm__ volatile("xchgl %0, %1" : "+r" (x), "+r" (y));
      tag("xchg32"); h32(x); h32(y);
      x = a; y = b;
      __asm__ volatile("xchgw %w0, %w1" : "+r" (x), "+r" (y));
      h32(x); h32(y);
      x = a; y = b;
      __asm__ volatile("xchgb %b0, %h1" : "+q" (x), "+Q" (y));
      h32(x); h32(y);
      x = a; y = b;
      __asm__ volatile(".byte 0x93" : "+a" (x), "+b" (y)); /* xchg %ebx, %eax */
      h32(x); h32(y);
      x = a; y = b;
      __asm__ volatile(".byte 0x66, 0x96" : "+a" (x), "+S" (y)); /* xchg %si, %ax */
      h32(x); h32(y);
      mem32 = a; x = b;
      __asm__ volatile("xchgl %0, %1" : "+r" (x), "+m" (mem32));
      h32(x); h32(mem32);
      mem8 = (u8)a; x = b;
      __asm__ volatile("xchgb %b0, %1" : "+q" (x), "+m" (mem8));
      h32(x); h8(mem8); nl();

      /* xadd */
      for (int fi = 0; fi < 2; fi++) {
        x = a; y = b;
        __asm__ volatile(FLAGS_IN "xaddl %[y], %[x]" FLAGS_OUT : [x] "+r" (x), [y] "+r" (y), [fo] "=&r" (f) : [fin] "r" (fins[fi]) : "cc");
        tag("xadd32"); h32(x); h32(y); h16(f & F_ALL);
        x = a; y = b;
        __asm__ volatile(FLAGS_IN "xaddw %w[y], %w[x]" FLAGS_OUT : [x] "+r" (x), [y] "+r" (y), [fo] "=&r" (f) : [fin] "r" (fins[fi]) : "cc");
        h32(x); h32(y); h16(f & F_ALL);
        x = a; y = b;
        __asm__ volatile(FLAGS_IN "xaddb %b[y], %b[x]" FLAGS_OUT : [x] "+q" (x), [y] "+q" (y), [fo] "=&r" (f) : [fin] "r" (fins[fi]) : "cc");
        h32(x); h32(y); h16(f & F_ALL);
        mem32 = a; y = b;
        __asm__ volatile(FLAGS_IN "lock xaddl %[y], %[m]" FLAGS_OUT : [m] "+m" (mem32), [y] "+r" (y), [fo] "=&r" (f) : [fin] "r" (fins[fi]) : "cc");
        h32(mem32); h32(y); h16(f & F_ALL);
        mem16 = (u16)a; y = b;
        __asm__ volatile(FLAGS_IN "xaddw %w[y], %[m]" FLAGS_OUT : [m] "+m" (mem16), [y] "+r" (y), [fo] "=&r" (f) : [fin] "r" (fins[fi]) : "cc");
        h16(mem16); h32(y); h16(f & F_ALL); nl();
      }

      /* cmpxchg: accumulator a (or a copy of the destination to force equality), source c. */
      for (int eq = 0; eq < 2; eq++) {
        u32 c = vals[(i + j) % NVAL] ^ 0x0f0f, acc;
        u32 fin = eq ? F_ALL : 0;
        x = b; acc = eq ? b : a;
        __asm__ volatile(FLAGS_IN "cmpxchgl %[c], %[x]" FLAGS_OUT : [x] "+r" (x), "+a" (acc), [fo] "=&r" (f) : [c] "r" (c), [fin] "r" (fin) : "cc");
        tag("cmpxchg32"); h32(x); h32(acc); h16(f & F_ALL);
        x = b; acc = eq ? b : a;
        __asm__ volatile(FLAGS_IN "cmpxchgw %w[c], %w[x]" FLAGS_OUT : [x] "+r" (x), "+a" (acc), [fo] "=&r" (f) : [c] "r" (c), [fin] "r" (fin) : "cc");
        h32(x); h32(acc); h16(f & F_ALL);
        x = b; acc = eq ? b : a ^ 0x100;
        __asm__ volatile(FLAGS_IN "cmpxchgb %b[c], %b[x]" FLAGS_OUT : [x] "+q" (x), "+a" (acc), [fo] "=&q" (f) : [c] "q" (c), [fin] "r" (fin) : "cc");
        h32(x); h32(acc); h16(f & F_ALL);
        mem32 = b; acc = eq ? b : a;
        __asm__ volatile(FLAGS_IN "lock cmpxchgl %[c], %[m]" FLAGS_OUT : [m] "+m" (mem32), "+a" (acc), [fo] "=&r" (f) : [c] "r" (c), [fin] "r" (fin) : "cc");
        h32(mem32); h32(acc); h16(f & F_ALL);
        mem8 = (u8)b; acc = eq ? b : a;
        __asm__ volatile(FLAGS_IN "cmpxchgb %b[c], %[m]" FLAGS_OUT : [m] "+m" (mem8), "+a" (acc), [fo] "=&r" (f) : [c] "q" (c), [fin] "r" (fin) : "cc");
        h8(mem8); h32(acc); h16(f & F_ALL); nl();
      }
    }
  /* cmpxchg8b: EDX:EAX against m64; ECX:EBX stored on equality. */
  static uint64_t q;
  for (int i = 0; i < NVAL; i++)
    for (int fi = 0; fi < 2; fi++)
      for (int eq = 0; eq < 2; eq++) {
        u32 lo = vals[i], hi = vals[(i * 5 + 3) % NVAL], f;
        q = ((uint64_t)hi << 32) | lo;
        u32 eax = eq ? lo : lo ^ (fi ? 0 : 1), edx = eq ? hi : hi ^ (fi ? 0x80000000u : 0);
        u32 ebx = 0xcafef00d ^ lo, ecx = 0x01234567 ^ hi;
        static u32 fin; /* static: an absolute operand survives the ebx swap */
        fin = fins[fi];
        /* ebx may be the PIC register elsewhere; here it is loaded and restored by hand. */
        __asm__ volatile("push %%ebx\n\tmov %[b], %%ebx\n\t" FLAGS_IN "lock cmpxchg8b %[m]" FLAGS_OUT "\n\tpop %%ebx"
          : [m] "+m" (q), "+a" (eax), "+d" (edx), [fo] "=&S" (f) : [b] "D" (ebx), "c" (ecx), [fin] "m" (fin) : "cc");
        tag("cmpxchg8b"); h32((u32)q); h32((u32)(q >> 32)); h32(eax); h32(edx); h16(f & F_ALL); nl();
      }
  return finish();
}
