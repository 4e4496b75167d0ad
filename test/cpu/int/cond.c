/*
 * Condition codes: every SETcc, CMOVcc (32- and 16-bit) and Jcc after many flag
 * producers (cmp/sub/add/logic/inc/dec/neg/adc/sbb/shift at each size, and popf of
 * arbitrary flag words), so each lazy-flag path is read by each condition.
 * All flags read here are defined after their producers.
 */
#include "common.h"

/* 16 setcc into p[0..15], 16 cmovcc into q[0..15] (32-bit) and r[0..15] (16-bit),
 * 16 jcc into p[16..31]. None of these instructions change the flags. */
#define CCS(X) X(o,0) X(no,1) X(b,2) X(ae,3) X(e,4) X(ne,5) X(be,6) X(a,7) \
               X(s,8) X(ns,9) X(p,10) X(np,11) X(l,12) X(ge,13) X(le,14) X(g,15)
#define SET1(cc, i) "set" #cc " " #i "(%%esi)\n\t"
#define CMOV1(cc, i) "mov $0, %%ecx\n\tcmov" #cc "l %%edx, %%ecx\n\tmov %%ecx, " #i "*4(%%edi)\n\t" \
                     "mov $0, %%ecx\n\tcmov" #cc "w 64(%%edi), %%cx\n\tmov %%cx, 128+" #i "*2(%%edi)\n\t"
#define JCC1(cc, i) "movb $0, 16+" #i "(%%esi)\n\tj" #cc " 1f\n\tjmp 2f\n1:\n\tmovb $1, 16+" #i "(%%esi)\n2:\n\t"
#define READ_CCS CCS(SET1) CCS(CMOV1) CCS(JCC1)

static u8 sets[32];
static u32 cm[48];

/* The producer runs on eax/ebx (and flags from fin); then every condition is read. */
#define PROD(fn, insn) \
  static __attribute__((noinline)) void fn(u32 a, u32 b, u32 fin) { \
    cm[16] = 0xfffffffeu; \
    __asm__ volatile(FLAGS_IN insn "\n\tmov $-1, %%edx\n\t" READ_CCS \
      : "+a" (a), "+b" (b) : [fin] "g" (fin), "S" (sets), "D" (cm) : "ecx", "edx", "cc", "memory"); }

PROD(p_cmp32, "cmpl %%ebx, %%eax") PROD(p_cmp16, "cmpw %%bx, %%ax") PROD(p_cmp8, "cmpb %%bl, %%al")
PROD(p_sub32, "subl %%ebx, %%eax") PROD(p_sub8, "subb %%bl, %%al") PROD(p_add32, "addl %%ebx, %%eax")
PROD(p_add16, "addw %%bx, %%ax") PROD(p_add8, "addb %%bl, %%al") PROD(p_and32, "andl %%ebx, %%eax")
PROD(p_test16, "testw %%bx, %%ax") PROD(p_or8, "orb %%bl, %%al") PROD(p_xor32, "xorl %%ebx, %%eax")
PROD(p_inc32, "incl %%eax") PROD(p_inc8, "incb %%al") PROD(p_dec16, "decw %%ax") PROD(p_dec32, "decl %%eax")
PROD(p_neg32, "negl %%eax") PROD(p_neg8, "negb %%al") PROD(p_adc32, "adcl %%ebx, %%eax")
PROD(p_sbb16, "sbbw %%bx, %%ax") PROD(p_sbb32, "sbbl %%ebx, %%eax") PROD(p_shl32, "shll $1, %%eax")
PROD(p_sar8, "sarb $1, %%al") PROD(p_cmpi32, "cmpl $0x7fffffff, %%eax") PROD(p_cmpi8, "cmpb $0x80, %%al")
PROD(p_bt32, "btl %%ebx, %%eax") PROD(p_none, "nop")

/* Pairs: the second instruction keeps or consumes flags the first left (lazily). */
PROD(q_add_inc, "addl %%ebx, %%eax\n\tincl %%eax") PROD(q_sub_dec, "subl %%ebx, %%eax\n\tdecw %%ax")
PROD(q_cmp_adc, "cmpb %%bl, %%al\n\tadcl %%ebx, %%eax") PROD(q_cmp_sbb, "cmpl %%ebx, %%eax\n\tsbbl %%eax, %%eax")
PROD(q_neg_rcl, "negl %%eax\n\trcll $1, %%ebx") PROD(q_add_cmc, "addw %%bx, %%ax\n\tcmc")
PROD(q_and_stc, "andl %%ebx, %%eax\n\tstc") PROD(q_inc_adc, "incl %%eax\n\tadcb %%bl, %%al")
PROD(q_xor_rcr, "xorl %%ebx, %%eax\n\trcrb $1, %%al") PROD(q_shl_adc, "shll $1, %%eax\n\tadcl $0, %%ebx")
PROD(q_shl3_inc, "shll $3, %%eax\n\tincl %%ebx") PROD(q_add_clc, "addl %%ebx, %%eax\n\tclc")
PROD(q_sub_bt, "subl %%ebx, %%eax\n\tbtl $3, %%ebx") PROD(q_cmp_sahf, "cmpl %%ebx, %%eax\n\tmov %%bh, %%ah\n\tsahf")
PROD(q_dec_shl0, "decl %%eax\n\tmov $0, %%cl\n\tshll %%cl, %%ebx") PROD(q_add_cmpxchg, "addl %%ebx, %%eax\n\tcmpxchgl %%ebx, %%ebx")
PROD(q_sub_rol0, "subb %%bl, %%al\n\trolb $0, %%bl") PROD(q_neg_sbb, "negw %%ax\n\tsbbw %%bx, %%ax")
/* A 32-bit rotate changes only CF and OF: the engine keeps the earlier record for the rest. */
PROD(q_sub_rol, "subl %%ebx, %%eax\n\troll $1, %%ebx") PROD(q_add_ror, "addl %%ebx, %%eax\n\trorl $1, %%ebx")
PROD(q_dec_rorcl, "decl %%eax\n\tmov $1, %%cl\n\trorl %%cl, %%ebx") PROD(q_rol_inc, "roll $1, %%ebx\n\tincl %%eax")
PROD(q_ror_adc, "subl %%ebx, %%eax\n\trorl $1, %%ebx\n\tadcl $0, %%eax") PROD(q_shr_sar, "shrl $3, %%eax\n\tsarl $1, %%ebx")

typedef void (*Fn)(u32, u32, u32);
struct Case { const char *name; Fn fn; };
static const struct Case cases[] = {
  { "cmp32", p_cmp32 }, { "cmp16", p_cmp16 }, { "cmp8", p_cmp8 }, { "sub32", p_sub32 }, { "sub8", p_sub8 },
  { "add32", p_add32 }, { "add16", p_add16 }, { "add8", p_add8 }, { "and32", p_and32 }, { "test16", p_test16 },
  { "or8", p_or8 }, { "xor32", p_xor32 }, { "inc32", p_inc32 }, { "inc8", p_inc8 }, { "dec16", p_dec16 },
  { "dec32", p_dec32 }, { "neg32", p_neg32 }, { "neg8", p_neg8 }, { "adc32", p_adc32 }, { "sbb16", p_sbb16 },
  { "sbb32", p_sbb32 }, { "shl32", p_shl32 }, { "sar8", p_sar8 }, { "cmpi32", p_cmpi32 }, { "cmpi8", p_cmpi8 },
  { "bt32", p_bt32 },
  { "add+inc", q_add_inc }, { "sub+dec", q_sub_dec }, { "cmp+adc", q_cmp_adc }, { "cmp+sbb", q_cmp_sbb },
  { "neg+rcl", q_neg_rcl }, { "add+cmc", q_add_cmc }, { "shl+adc", q_shl_adc }, { "shl3+inc", q_shl3_inc },
  { "add+clc", q_add_clc }, { "cmp+sahf", q_cmp_sahf }, { "dec+shl0", q_dec_shl0 },
  { "add+cmpxchg", q_add_cmpxchg }, { "sub+rol0", q_sub_rol0 }, { "neg+sbb", q_neg_sbb },
  { "sub+rol", q_sub_rol }, { "add+ror", q_add_ror }, { "dec+rorcl", q_dec_rorcl }, { "rol+inc", q_rol_inc },
  { "sub+ror+adc", q_ror_adc }, { "shr+sar", q_shr_sar },
  /* These leave some flags undefined (AF after logic, all but CF/ZF after bt): only the
   * conditions that avoid them are meaningful, so they are in the "partial" table. */
};
static const struct Case partial[] = {
  { "and+stc", q_and_stc }, { "inc+adc", q_inc_adc }, { "xor+rcr", q_xor_rcr }, { "sub+bt", q_sub_bt },
};

static void report(void) {
  u32 s = 0, j = 0, c = 0, w = 0;
  for (int i = 0; i < 16; i++) {
    s |= (u32)sets[i] << i;
    j |= (u32)sets[16 + i] << i;
    c |= (cm[i] == 0xffffffffu ? 1u : cm[i] == 0 ? 0 : 0x10000u) << i;
    w |= (((u16 *)cm)[64 + i] == 0xffff ? 1u : ((u16 *)cm)[64 + i] == 0 ? 0 : 0x10000u) << i;
  }
  h16(s); h16(j); h32(c); h32(w); nl();
}

int main(void) {
  init_vals();
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++)
    for (int i = 0; i < NVAL; i++)
      for (int j = 0; j < NVAL; j++) {
        u32 fin = (i * 7 + j) & 1 ? F_ALL : (i & 2 ? F_CF : 0);
        u32 a = vals[i], b = vals[j];
        /* Narrow values reach the interesting signed/unsigned boundaries too. */
        if ((i + j) % 3 == 0) { a = (a & 0xff) | (b & 0xff00); b = (b & 0xff) | (a & 0xff0000); }
        cases[k].fn(a, b, fin);
        tag(cases[k].name); h32(a); h32(b); h16(fin); report();
      }
  /* Flag-preserving pairs with undefined AF (logic first): conditions never read AF. Only
   * CF and ZF survive bt, so after sub+bt only b/ae/e/ne/be/a are compared. */
  for (unsigned k = 0; k < sizeof partial / sizeof partial[0]; k++)
    for (int i = 0; i < NVAL; i += 2)
      for (int j = 0; j < NVAL; j += 3) {
        u32 fin = (i + j) & 1 ? F_ALL : 0;
        partial[k].fn(vals[i], vals[j], fin);
        if (k == 3) for (int c = 0; c < 32; c++) if ((c & 15) < 2 || (c & 15) > 7) sets[c] = 0;
        tag(partial[k].name); h32(vals[i]); h32(vals[j]); h16(fin);
        u32 sm = 0, jm = 0;
        for (int c = 0; c < 16; c++) { sm |= (u32)sets[c] << c; jm |= (u32)sets[16 + c] << c; }
        h16(sm); h16(jm); nl();
      }
  /* Every combination of CF PF AF ZF SF OF loaded by popf. */
  for (u32 bits = 0; bits < 64; bits++) {
    u32 fin = (bits & 1 ? F_CF : 0) | (bits & 2 ? F_PF : 0) | (bits & 4 ? F_AF : 0) |
              (bits & 8 ? F_ZF : 0) | (bits & 16 ? F_SF : 0) | (bits & 32 ? F_OF : 0);
    p_none(0, 0, fin);
    tag("popf"); h16(fin); report();
  }
  return finish();
}
