/*
 * Signals and threads against translated loops: translated code must give control back to
 * the scheduler within its budget, or an endless loop would never see its SIGALRM and a
 * spinning thread would starve the one it waits for.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int stop;
static void on_alarm(int sig) { (void)sig; stop = 1; }
static void on_alarm_exit(int sig) {
  (void)sig;
  static const char msg[] = "endless register-only loop interrupted\n";
  write(1, msg, sizeof msg - 1);
  _exit(0);
}

static volatile int flag;
static void *setter(void *arg) {
  (void)arg;
  unsigned x = 1;
  for (int i = 0; i < 200000; i++) x = x * 1103515245u + 12345u;
  printf("thread computed %#x\n", x);
  fflush(stdout);
  flag = 1;
  return 0;
}

int main(void) {
  struct itimerval it;
  memset(&it, 0, sizeof it);
  it.it_value.tv_usec = 200000;

  /* A loop polling memory until a handler changes it. */
  signal(SIGALRM, on_alarm);
  setitimer(ITIMER_REAL, &it, 0);
  unsigned long n = 0;
  while (!stop) n++;
  printf("polling loop stopped by SIGALRM (%s)\n", n > 0 ? "ran" : "never ran");

  /* A thread spinning until another thread sets a flag. */
  pthread_t t;
  pthread_create(&t, 0, setter, 0);
  while (!flag) { }
  pthread_join(t, 0);
  printf("spinning main thread saw the flag\n");
  fflush(stdout);

  /* A loop that touches no memory at all: only the timer's signal ends the program. */
  signal(SIGALRM, on_alarm_exit);
  setitimer(ITIMER_REAL, &it, 0);
  __asm__ volatile("xor %%eax, %%eax\n1: add $3, %%eax\nrol $1, %%eax\njmp 1b" ::: "eax", "cc");
  return 1;
}
