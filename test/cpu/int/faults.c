/*
 * CPU faults and the signals they become. `faults CASE` commits the fault and dies by the
 * signal; `faults -h CASE` catches it first and prints si_signo, si_code and where si_addr
 * points (relative to the faulting instruction or data address, never an absolute address,
 * since native and engine layouts differ).
 */
#include "common.h"
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

extern char lockreg_at[], lockmov_at[], int3b_at[], int4_at[], bound_at[], icebp_at[];
extern char ud2_at[], int3_at[], hlt_at[], cli_at[], div_at[], into_at[], int_at[], in_at[];
static char *expect;
static const char *rodata = "constant";
static sigjmp_buf jb;

static void on_sig(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  tag("signal"); h8(sig); tag(" code"); h8(si->si_code & 0xff);
  long delta = (char *)si->si_addr - expect;
  /* icebp's si_addr is the trap's return address on bare metal, the instruction under
   * some hypervisors (KVM re-injection): not compared. */
  if (expect != icebp_at) tag(delta == 0 ? " addr=expected" : si->si_addr == 0 ? " addr=0" : " addr=other");
  nl();
  flush();
  siglongjmp(jb, 1);
}

static void run(const char *c) {
  if (!strcmp(c, "div0")) {
    expect = div_at;
    __asm__ volatile("xor %%ecx, %%ecx\n\tdiv_at: divl %%ecx" ::: "eax", "ecx", "edx");
  } else if (!strcmp(c, "null")) {
    expect = 0;
    *(volatile int *)0 = 1;
  } else if (!strcmp(c, "nullread")) {
    expect = (char *)16;
    (void)*(volatile int *)16;
  } else if (!strcmp(c, "ud2")) {
    expect = ud2_at;
    __asm__ volatile("ud2_at: ud2");
  } else if (!strcmp(c, "int3")) {
    expect = int3_at;
    __asm__ volatile("int3\n\tint3_at: nop");
  } else if (!strcmp(c, "hlt")) {
    expect = hlt_at;
    __asm__ volatile("hlt_at: hlt");
  } else if (!strcmp(c, "cli")) {
    expect = cli_at;
    __asm__ volatile("cli_at: cli");
  } else if (!strcmp(c, "int")) {
    expect = int_at;
    __asm__ volatile("int_at: int $0x81");
  } else if (!strcmp(c, "in")) {
    expect = in_at;
    __asm__ volatile("in_at: inb $0x60, %%al" ::: "eax");
  } else if (!strcmp(c, "rodata")) {
    expect = (char *)rodata;
    *(volatile char *)rodata = 'x';
  } else if (!strcmp(c, "ropage")) {
    char *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    expect = p + 100;
    p[100] = 1;
  } else if (!strcmp(c, "nx")) {
    unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 0xc3; /* ret */
    expect = (char *)p;
    ((void (*)(void))p)();
  } else if (!strcmp(c, "unmapped-jump")) {
    expect = (char *)0x1000;
    ((void (*)(void))0x1000)();
  } else if (!strcmp(c, "stack-guard")) {
    /* A read far below the stack: nothing is mapped there. */
    char local;
    expect = &local - (64 << 20);
    (void)*(volatile char *)expect;
  } else if (!strcmp(c, "privileged-mov-cr")) {
    expect = 0;
    __asm__ volatile(".byte 0x0f, 0x20, 0xc0" ::: "eax"); /* mov %cr0, %eax */
  } else if (!strcmp(c, "int-3")) {
    /* the two-byte form: vector 3 is a user gate, like int3 */
    expect = int3b_at;
    __asm__ volatile(".byte 0xcd, 0x03\n\t.globl int3b_at\nint3b_at: nop");
  } else if (!strcmp(c, "int-4")) {
    expect = int4_at;
    __asm__ volatile(".byte 0xcd, 0x04\n\t.globl int4_at\nint4_at: nop");
  } else if (!strcmp(c, "into")) {
    expect = into_at;
    __asm__ volatile("mov $0x7fffffff, %%eax\n\tadd $1, %%eax\n\t.byte 0xce\n\tinto_at: nop" ::: "eax", "cc");
  } else if (!strcmp(c, "into-no")) {
    __asm__ volatile("xor %%eax, %%eax\n\t.byte 0xce" ::: "eax", "cc");
  } else if (!strcmp(c, "bound")) {
    static int bounds[2] = { 10, 20 };
    expect = bound_at;
    __asm__ volatile("mov $15, %%eax\n\tbound %%eax, %0\n\tmov $21, %%eax\n\t.globl bound_at\nbound_at: bound %%eax, %0" :: "m" (bounds) : "eax");
  } else if (!strcmp(c, "icebp")) {
    expect = icebp_at;
    __asm__ volatile(".byte 0xf1\n\t.globl icebp_at\nicebp_at: nop");
  } else if (!strcmp(c, "lock-reg")) {
    /* lock on a register destination is #UD */
    expect = lockreg_at;
    __asm__ volatile(".globl lockreg_at\nlockreg_at: .byte 0xf0, 0x01, 0xd8" ::: "eax", "cc"); /* lock add %ebx,%eax */
  } else if (!strcmp(c, "lock-mov")) {
    expect = lockmov_at;
    __asm__ volatile(".globl lockmov_at\nlockmov_at: .byte 0xf0, 0x89, 0x03" :: "b" (&expect) : "memory"); /* lock mov %eax,(%ebx) */
  } else if (!strcmp(c, "lock-ok")) {
    static int v;
    __asm__ volatile("lock addl $1, %0\n\tlock btsl $3, %0\n\tlock incl %0\n\tlock xchgl %%eax, %0\n\tlock notl %0" : "+m" (v) :: "eax", "cc");
    tag("lock ok"); h32((u32)v); nl();
    return;
  } else if (!strcmp(c, "too-long")) {
    /* 15 prefixes and an opcode: 16 bytes, over the architectural limit (#GP). */
    expect = 0;
    __asm__ volatile(".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x90");
  } else if (!strcmp(c, "longest-ok")) {
    /* 14 prefixes and an opcode: 15 bytes, allowed. */
    __asm__ volatile(".byte 0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x66,0x90");
  } else {
    tag("unknown case"); nl();
  }
  tag("no fault"); nl();
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "-h")) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0); sigaction(SIGILL, &sa, 0); sigaction(SIGFPE, &sa, 0);
    sigaction(SIGTRAP, &sa, 0); sigaction(SIGBUS, &sa, 0);
    if (sigsetjmp(jb, 1) == 0) run(argv[2]);
    return finish();
  }
  if (argc == 2) { flush(); run(argv[1]); }
  return finish();
}
