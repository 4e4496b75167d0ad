/*
 * A guest that spins on a system call the engine completes through a promise (ioctl FIONBIO
 * on stdin) until a 5 ms ITIMER_REAL interval timer has rung RINGS times, or MAX calls
 * (test/linux/run-loop.test.ts). The timer is the host's, so it rings only if the run loop
 * gives the host turns while the guest spins. Prints "N alarms after M calls".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#define RINGS 40
static volatile sig_atomic_t rang;
static void on_alarm(int s) { (void)s; rang++; }

int main(int argc, char **argv) {
  long max = argc > 1 ? atol(argv[1]) : 100000, n;
  signal(SIGALRM, on_alarm);
  struct itimerval it = { { 0, 5000 }, { 0, 5000 } };
  if (setitimer(ITIMER_REAL, &it, 0)) { perror("setitimer"); return 1; }
  int zero = 0;
  for (n = 0; n < max && rang < RINGS; n++) ioctl(0, FIONBIO, &zero);
  printf("%d alarms after %ld calls\n", (int)rang, n);
  return 0;
}
