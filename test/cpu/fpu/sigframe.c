/* The signal frame's x87 state (struct _fpstate: the fnsave image) carries exact 80-bit
   registers: a handler reads ST(0) and ST(1) as the interrupted code left them, changes
   ST(0), and sigreturn restores the changed value. */
#include "fpu.h"
#include <signal.h>
#include <ucontext.h>
#include <sys/syscall.h>

typedef struct { u64 m; u16 se; } __attribute__((packed)) x80;
static x80 v0 = {0x8000000000000001ull, 0x3fff};   /* 1 + 2^-63: not a double */
static x80 v1 = {0xc90fdaa22168c235ull, 0xc000};   /* -pi, 64-bit */
static x80 r0, r1;

static void handler(int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)si;
  ucontext_t *uc = ctx;
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  tag("handler");
  for (int i = 0; i < 2; i++) { putch(' '); hex(fp->_st[i].exponent, 4); for (int j = 3; j >= 0; j--) hex(fp->_st[i].significand[j], 4); }
  h16((u16)fp->sw); h16((u16)fp->cw);
  nl();
  fp->_st[0].significand[0] = 0x1234; /* ST(0) := 1 + 0x1234 * 2^-63 */
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = handler; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  int pid = getpid();
  __asm__ volatile(
    "fninit; fldt %3; fldt %2; movl %4, %%ebx; movl %5, %%ecx; movl %6, %%eax; int $0x80; fstpt %0; fstpt %1"
    : "=m"(r0), "=m"(r1) : "m"(v0), "m"(v1), "r"(pid), "i"(SIGUSR1), "i"(SYS_kill) : "eax", "ebx", "ecx", "memory");
  tag("after"); putch(' '); hex(r0.se, 4); hex((u32)(r0.m >> 32), 8); hex((u32)r0.m, 8);
  putch(' '); hex(r1.se, 4); hex((u32)(r1.m >> 32), 8); hex((u32)r1.m, 8); nl();
  flush();
  return 0;
}
