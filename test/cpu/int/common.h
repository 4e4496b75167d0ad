/*
 * Shared helpers for the integer instruction tests. Each program executes instructions
 * with inline asm over a table of operand values and prints results and EFLAGS as hex.
 * The same binary runs natively and under the engine; the outputs must be identical.
 *
 * Output goes through a private buffer and raw write(2) so that formatting costs few
 * guest instructions (printf would dominate the run time under the interpreter).
 */
#ifndef INT_COMMON_H
#define INT_COMMON_H
#include "../out.h"

/* Arithmetic flags: CF PF AF ZF SF OF. */
#define F_CF 0x001u
#define F_PF 0x004u
#define F_AF 0x010u
#define F_ZF 0x040u
#define F_SF 0x080u
#define F_OF 0x800u
#define F_ALL (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/*
 * The flags an instruction defines, to compare with the CPU: all six but those the SDM
 * leaves undefined. UNDEF_<mnemonic> (and UNDEF1_<mnemonic>: with a shift or rotate count
 * of 1) come from the instruction table, src/engine/cpu/isa/rows.ts, as -D flags
 * (test/cpu/cbuild.ts); a program compared without them would not build.
 */
#ifndef UNDEF_add
#error "build with the instruction table's -DUNDEF_* flags (test/cpu/cbuild.ts isaDefines)"
#endif
#define DEFINED(op) (F_ALL & ~(u32)UNDEF_##op)
#define DEFINED1(op) (F_ALL & ~(u32)UNDEF1_##op)

/* Print a value with the digits its size needs (1, 2 or 4 bytes). */
static __attribute__((unused)) void hs(u32 v, int bytes) { putch(' '); hex(v, bytes * 2); }

/* Edge values, then pseudo-random ones from a fixed LCG seed. */
#define NEDGE 13
#define NVAL (NEDGE + 8)
static u32 vals[NVAL] = {
  0, 1, 0xffffffffu, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffffu, 0x80000000u, 2, 0x12345678u,
};
static u32 lcg_state = 0x2545f491u;
static u32 lcg(void) {
  lcg_state = lcg_state * 1664525u + 1013904223u;
  return lcg_state;
}
static void init_vals(void) {
  for (int i = NEDGE; i < NVAL; i++) {
    u32 r = lcg();
    /* Mix in values with interesting low bytes and words. */
    vals[i] = (i & 1) ? r : (r ^ (r >> 7));
  }
}

/* Flag states to start from: all clear, all set (CF PF AF ZF SF OF). */
static const u32 fins[2] = { 0, F_ALL };

/* Run code with EFLAGS = fin (arith bits) and capture EFLAGS after. */
#define FLAGS_IN "push %[fin]\n\tpopf\n\t"
#define FLAGS_OUT "\n\tpushf\n\tpop %[fo]"

static int finish(void) {
  flush();
  return 0;
}
#endif
