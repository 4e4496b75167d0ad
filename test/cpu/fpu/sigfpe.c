/* Unmasked x87 exceptions: SIGFPE at the next waiting instruction, si_code from the status. */
#include "fpu.h"
#include <signal.h>
#include <setjmp.h>

static sigjmp_buf jb;
static volatile u32 code_g, addr_g;
static volatile u64 one_g = 0x3ff0000000000000ull, zero_g = 0, r_g;
extern char fault_here[];

static void onfpe(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  code_g = si->si_code; addr_g = (u32)si->si_addr;
  siglongjmp(jb, 1);
}

int main(void) {
  struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onfpe; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGFPE, &sa, 0);
  static const u16 cws[] = { 0x37f & ~0x04, 0x37f & ~0x01, 0x37f & ~0x08 };
  for (int k = 0; k < 3; k++) {
    if (sigsetjmp(jb, 1) == 0) {
      cw_g = cws[k];
      if (k == 0) __asm__ volatile("fninit; fldcw %2; fldl %0; fdivl %1; .globl fault_here; fault_here: fstpl r_g" : : "m"(one_g), "m"(zero_g), "m"(cw_g));
      else if (k == 1) __asm__ volatile("fninit; fldcw %1; fldz; fdivl %0; fwait" : : "m"(zero_g), "m"(cw_g));
      else __asm__ volatile("fninit; fldcw %1; fldl %0; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fld %%st(0); fmulp; fstpl r_g; fwait" : : "m"(one_g), "m"(cw_g));
      tag("no signal"); nl();
    } else {
      u16 sw; __asm__ volatile("fnstsw %0; fninit" : "=m"(sw));
      tag("sigfpe "); hex(k, 1); h32(code_g); putch(' '); putch(k == 0 ? (addr_g == (u32)fault_here ? 'Y' : 'N') : '-'); nl();
    }
  }
  flush();
  return 0;
}
