/*
 * EFLAGS.AC (alignment check), compared with a native run: with AC set by popf, a
 * misaligned 2- or 4-byte access raises SIGBUS (BUS_ADRALN, no address) and aligned and
 * byte accesses do not; with AC clear nothing is checked. Library code runs with AC clear
 * (glibc itself makes misaligned accesses).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define AC (1u << 18)
static inline void ac_on(void) { __asm__ volatile("pushf; orl $0x40000, (%%esp); popf" ::: "memory", "cc"); }
static inline void ac_off(void) { __asm__ volatile("pushf; andl $~0x40000, (%%esp); popf" ::: "memory", "cc"); }
static inline unsigned flags(void) { unsigned f; __asm__ volatile("pushf; pop %0" : "=r"(f)); return f; }

static sigjmp_buf env;
static volatile unsigned in_handler_flags;
static volatile int code;
static void *volatile addr;
static void on_bus(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  in_handler_flags = flags();
  ac_off();
  code = si->si_code;
  addr = si->si_addr;
  siglongjmp(env, 1);
}

static char buf[64] __attribute__((aligned(16)));

#define TRY(what, stmt) do { \
    code = -1; \
    if (!sigsetjmp(env, 1)) { ac_on(); stmt; ac_off(); printf("%-34s ok\n", what); } \
    else printf("%-34s SIGBUS code %d addr %p AC in handler %d\n", what, code, addr, !!(in_handler_flags & AC)); \
  } while (0)

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_bus;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
  printf("AC at start: %d\n", !!(flags() & AC));
  ac_on();
  unsigned f = flags();
  ac_off();
  printf("popf sets AC: %d\n", !!(f & AC));
  volatile char *p = buf;
  TRY("aligned 4-byte read", (void)*(volatile int *)(p + 4));
  TRY("aligned 2-byte write", *(volatile short *)(p + 2) = 1);
  TRY("byte read at an odd address", (void)p[3]);
  TRY("misaligned 4-byte read", (void)*(volatile int *)(p + 1));
  TRY("4-byte read at 2 mod 4", (void)*(volatile int *)(p + 2));
  TRY("misaligned 2-byte write", *(volatile short *)(p + 5) = 1);
  TRY("misaligned add to memory", __asm__ volatile("addl $1, (%0)" :: "r"(p + 9) : "memory", "cc"));
  TRY("misaligned push target (esp+1)", __asm__ volatile("movl %%esp, %%eax; subl $64, %%esp; andl $-16, %%esp; addl $1, %%esp; pushl $7; movl %%eax, %%esp" ::: "eax", "memory"));
  printf("AC after the handler: %d\n", !!(flags() & AC));
  (void)*(volatile int *)(p + 1);
  printf("misaligned read with AC clear: ok\n");
  pid_t c = fork();
  if (c == 0) {
    signal(SIGBUS, SIG_DFL);
    ac_on();
    (void)*(volatile int *)(p + 3);
    ac_off();
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("default action: killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
  return 0;
}
