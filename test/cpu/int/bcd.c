/*
 * BCD adjustments: daa das (every AL with each CF/AF), aaa aas (every AL, several AH,
 * each CF/AF), aam aad with bases 10, 16, 7 and 1 (the D4/D5 imm8 forms); aam 0 raises
 * #DE (SIGFPE, FPE_INTDIV).
 *
 * Flags compared: those the rows define (DEFINED: OF is undefined after daa/das; OF SF ZF
 * PF after aaa/aas; OF AF CF after aam/aad).
 */
#include "common.h"
#include <setjmp.h>
#include <signal.h>

#define ADJ(fn, insn) \
  static u32 fn(u32 ax, u32 fin, u32 *fo) { \
    u32 f; \
    __asm__ volatile(FLAGS_IN insn FLAGS_OUT : "+a" (ax), [fo] "=&r" (f) : [fin] "r" (fin) : "cc"); \
    *fo = f; return ax; }
ADJ(daa, "daa") ADJ(das, "das") ADJ(aaa, "aaa") ADJ(aas, "aas")
ADJ(aam10, "aam") ADJ(aam16, "aam $16") ADJ(aam7, "aam $7") ADJ(aam1, "aam $1")
ADJ(aad10, "aad") ADJ(aad16, "aad $16") ADJ(aad7, "aad $7") ADJ(aad1, "aad $1")

typedef u32 (*Fn)(u32, u32, u32 *);
struct Case { const char *name; Fn fn; u32 fmask; int nah; };
static const struct Case cases[] = {
  { "daa", daa, DEFINED(daa), 1 }, { "das", das, DEFINED(das), 1 },
  { "aaa", aaa, DEFINED(aaa), 4 }, { "aas", aas, DEFINED(aas), 4 },
  { "aam10", aam10, DEFINED(aam), 1 }, { "aam16", aam16, DEFINED(aam), 1 },
  { "aam7", aam7, DEFINED(aam), 1 }, { "aam1", aam1, DEFINED(aam), 1 },
  { "aad10", aad10, DEFINED(aad), 4 }, { "aad16", aad16, DEFINED(aad), 4 },
  { "aad7", aad7, DEFINED(aad), 4 }, { "aad1", aad1, DEFINED(aad), 4 },
};
static const u32 ahs[4] = { 0x00, 0x09, 0x7f, 0xff };
static const u32 fstates[4] = { 0, F_CF, F_AF, F_CF | F_AF | F_ZF | F_SF | F_OF | F_PF };

static sigjmp_buf jb;
static volatile int code;
static void on_fpe(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; code = si->si_code; siglongjmp(jb, 1); }

int main(void) {
  for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++)
    for (int h = 0; h < cases[k].nah; h++)
      for (u32 al = 0; al < 256; al++)
        for (int fi = 0; fi < 4; fi++) {
          u32 ax = 0xabcd0000u | (ahs[h] << 8) | al, f;
          u32 r = cases[k].fn(ax, fstates[fi], &f);
          tag(cases[k].name); h32(ax); h16(fstates[fi]); h32(r); h16(f & cases[k].fmask); nl();
        }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fpe;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGFPE, &sa, 0);
  if (sigsetjmp(jb, 1) == 0) {
    __asm__ volatile(".byte 0xd4, 0x00" ::: "eax", "cc");
    tag("aam0: no fault"); nl();
  } else {
    tag("aam0: SIGFPE code"); h8(code); nl();
  }
  return finish();
}
