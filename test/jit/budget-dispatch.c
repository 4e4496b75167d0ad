/*
 * A translated loop that closes only through the region's dispatcher: `jmp *%edi` back to
 * the region's entry (codegen.ts `dispatch`), with no edge the region's block graph holds.
 * Only blocks that may start a cycle check the instruction budget (codegen.ts
 * `budgetBlocks`); this one must too (it ends in an indirect jump), or the loop never
 * returns to the scheduler and SIGALRM, which ends it, never arrives. The region has a
 * dispatcher because of the irreducible loop A <-> B (entered at both) run first.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

volatile int stop;
unsigned spin_ind(unsigned first, unsigned n);
__asm__(".globl spin_ind\nspin_ind:\n"
        "push %ebx\npush %esi\npush %edi\n"
        "mov 16(%esp), %eax\nmov 20(%esp), %edx\nxor %esi, %esi\nxor %ecx, %ecx\nmov %eax, %ebx\n"
        "lea 1f, %edi\n"
        "1: test %eax, %eax\n"
        "jnz 2f\n"
        "inc %esi\n"
        "cmpl $0, stop\n"
        "jne 9f\n"
        "jmp *%edi\n"
        "2: test $1, %ebx\n"
        "jz 4f\n"
        "3: inc %ecx\n"
        "jmp 4f\n"
        "4: dec %edx\n"
        "jnz 3b\n"
        "xor %eax, %eax\n"
        "jmp *%edi\n"
        "9: mov %ecx, %eax\npop %edi\npop %esi\npop %ebx\nret\n");

static void on_alarm(int sig) { (void)sig; stop = 1; }

int main(void) {
  signal(SIGALRM, on_alarm);
  struct itimerval it = { { 0, 0 }, { 0, 200000 } };
  setitimer(ITIMER_REAL, &it, 0);
  /* ecx counts the irreducible loop's A visits: n - 1 or n, by the parity of `first`. */
  printf("spin_ind %u\n", spin_ind(3, 1000));
  return 0;
}
