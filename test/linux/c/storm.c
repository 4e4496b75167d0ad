/* Unknown system calls and signal storms: the engine survives and reports what Linux does. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int rt_count, rt_sum, usr1, reaped;

static void on_rt(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; rt_count++; rt_sum += si->si_value.sival_int; }
static void on_usr1(int sig) { (void)sig; usr1++; }
static void on_chld(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
  errno = saved;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  long r = syscall(1000, 1, 2, 3);
  printf("syscall(1000) = %ld errno=%s\n", r, strerror(errno));
  r = syscall(443); /* quotactl_fd: not implemented here either */
  printf("syscall(443) = %ld\n", r < 0 ? -1L : r);

  /* 500 queued real-time signals arrive, each once, with their values. */
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, NULL);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, &old);
  for (int i = 1; i <= 500; i++) {
    union sigval v = { .sival_int = i };
    sigqueue(getpid(), SIGRTMIN, v);
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("rt signals: %d, sum %d\n", rt_count, rt_sum);

  /* A child floods the parent with SIGUSR1 while it works. */
  signal(SIGUSR1, on_usr1);
  pid_t parent = getpid();
  pid_t c = fork();
  if (c == 0) { for (int i = 0; i < 20000; i++) kill(parent, SIGUSR1); _exit(0); }
  volatile unsigned long work = 0;
  for (int i = 0; i < 2000000; i++) work += i;
  waitpid(c, NULL, 0);
  printf("usr1 storm survived: got some=%d work=%lu\n", usr1 > 0, work);

  /* 50 children exit at once; the SIGCHLD handler reaps them all. */
  signal(SIGCHLD, on_chld);
  for (int i = 0; i < 50; i++) if (fork() == 0) _exit(i);
  while (reaped < 50) pause();
  printf("reaped %d\n", reaped);
  return 0;
}
