/* fadd fsub fsubr fmul fdiv fdivr fsqrt in m64, m32, register and pop forms, every rounding mode. */
#include "fpu.h"

static volatile u64 a_g, b_g, r_g;
static volatile u32 f_g;

#define OPM64(name, insn) static void name(void) { \
  __asm__ volatile("fninit; fldcw %3; fldl %1; " insn " %2; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(b_g), "m"(cw_g)); }
OPM64(add64, "faddl") OPM64(sub64, "fsubl") OPM64(subr64, "fsubrl")
OPM64(mul64, "fmull") OPM64(div64, "fdivl") OPM64(divr64, "fdivrl")
#define OPM32(name, insn) static void name(void) { \
  __asm__ volatile("fninit; fldcw %3; fldl %1; " insn " %2; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(f_g), "m"(cw_g)); }
OPM32(add32, "fadds") OPM32(sub32, "fsubs") OPM32(div32, "fdivs")
/* Register forms: st(1) = b, st(0) = a. */
#define OPR(name, insn) static void name(void) { \
  __asm__ volatile("fninit; fldcw %3; fldl %2; fldl %1; " insn "; fstpl %0; ffree %%st(0)" : "=m"(r_g) : "m"(a_g), "m"(b_g), "m"(cw_g)); }
OPR(addr_, "fadd %%st(1), %%st") OPR(subr_, "fsub %%st(1), %%st") OPR(subrr_, "fsubr %%st(1), %%st")
OPR(divr_, "fdiv %%st(1), %%st") OPR(divrr_, "fdivr %%st(1), %%st") OPR(mulr_, "fmul %%st(1), %%st")
/* Into st(i) forms with pop: result lands in st(1) then pops to st(0). */
#define OPP(name, insn) static void name(void) { \
  __asm__ volatile("fninit; fldcw %3; fldl %2; fldl %1; " insn "; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(b_g), "m"(cw_g)); }
OPP(subp_, "fsubp %%st, %%st(1)") OPP(subrp_, "fsubrp %%st, %%st(1)")
OPP(divp_, "fdivp %%st, %%st(1)") OPP(divrp_, "fdivrp %%st, %%st(1)")
OPP(addp_, "faddp %%st, %%st(1)") OPP(mulp_, "fmulp %%st, %%st(1)")
static void sqrt_(void) { __asm__ volatile("fninit; fldcw %2; fldl %1; fsqrt; fstpl %0" : "=m"(r_g) : "m"(a_g), "m"(cw_g)); }

static void (*const OPS[])(void) = {
  add64, sub64, subr64, mul64, div64, divr64, add32, sub32, div32,
  addr_, subr_, subrr_, divr_, divrr_, mulr_, subp_, subrp_, divp_, divrp_, addp_, mulp_, sqrt_,
};
#define NOPS ((int)(sizeof OPS / sizeof OPS[0]))

int main(void) {
  /* Precision control "double" (0x27f): the native result is then the correctly
     rounded double, which the engine's float64 registers produce too. */
  for (int rc = 0; rc < 4; rc++) {
    for (int op = 0; op < NOPS; op++) {
      /* Other rounding modes: the m64 forms and fsqrt are enough (same core). */
      if (rc > 0 && op >= 6 && op != NOPS - 1) continue;
      for (int i = 0; i < NDV; i++) {
        for (int j = 0; j < NDV; j++) {
          if (op == NOPS - 1 && j > 0) break;
          a_g = DVALS[i]; b_g = DVALS[j];
          union { float f; u32 u; } cv; union { double d; u64 u; } dv; dv.u = DVALS[j]; cv.f = (float)dv.d; f_g = cv.u;
          cw_g = 0x27f | RC(rc);
          OPS[op]();
          u16 sw = getsw();
          hex(rc, 1); putch(' '); hex(op, 2); putch(' '); hex(i, 2); putch(' '); hex(j, 2);
          h64(r_g); h16(sw); nl();
        }
      }
    }
  }
  flush();
  return 0;
}
