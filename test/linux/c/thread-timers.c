/*
 * Which thread a timer's signal reaches, compared with a native run:
 * - POSIX timers with SIGEV_THREAD_ID: each of 3 threads arms its own timer aimed at
 *   itself and counts the SIGALRMs it receives (a thread-local counter);
 * - alarm(2) and ITIMER_REAL are process-directed: the main thread gets them when it does
 *   not block the signal, another thread when it does (complete_signal() in kernel/signal.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static __thread volatile int mine;
static volatile int total;
static void on_alrm(int s) { (void)s; mine++; __atomic_add_fetch(&total, 1, __ATOMIC_SEQ_CST); }

static void *worker(void *arg) {
  int id = (int)(long)arg;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGALRM;
  ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
  timer_t tm;
  if (timer_create(CLOCK_MONOTONIC, &ev, &tm)) { printf("timer_create: %s\n", strerror(errno)); return NULL; }
  struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } }; /* every 20 ms */
  timer_settime(tm, 0, &its, NULL);
  while (mine < 5) pause();
  timer_delete(tm);
  return (void *)(long)(id * 100 + (mine >= 5));
}

/* The same with SIGALRM blocked everywhere: each thread takes its own with sigwaitinfo. */
static void *waiter(void *arg) {
  int id = (int)(long)arg, n = 0, foreign = 0;
  pid_t me = (pid_t)syscall(SYS_gettid);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD_ID;
  ev.sigev_signo = SIGALRM;
  ev.sigev_value.sival_int = me;
  ev.sigev_notify_thread_id = me;
  timer_t tm;
  timer_create(CLOCK_REALTIME, &ev, &tm);
  struct itimerspec its = { { 0, 15000000 }, { 0, 15000000 } };
  timer_settime(tm, 0, &its, NULL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGALRM);
  while (n < 5) {
    siginfo_t si;
    if (sigwaitinfo(&s, &si) == SIGALRM) { n++; if (si.si_value.sival_int != me || si.si_code != SI_TIMER) foreign++; }
  }
  timer_delete(tm);
  return (void *)(long)(id * 100 + (foreign == 0));
}

static volatile pid_t got_tid;
static void on_alrm_who(int s) { (void)s; got_tid = (pid_t)syscall(SYS_gettid); }
static pthread_t helper;
static volatile int stop;
static void *idle(void *a) { (void)a; while (!stop) usleep(1000); return NULL; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGALRM, on_alrm);
  /* Nobody blocks SIGALRM: only the aiming decides which thread gets each one. */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGALRM);
  pthread_t th[3];
  for (long i = 0; i < 3; i++) pthread_create(&th[i], NULL, worker, (void *)i);
  for (int i = 0; i < 3; i++) {
    void *r;
    pthread_join(th[i], &r);
    printf("thread %d: got its own 5 signals: %ld\n", i, (long)r % 100);
  }
  printf("main thread got none: %d\n", mine == 0);

  pthread_sigmask(SIG_BLOCK, &s, NULL);
  for (long i = 0; i < 3; i++) pthread_create(&th[i], NULL, waiter, (void *)i);
  for (int i = 0; i < 3; i++) {
    void *r;
    pthread_join(th[i], &r);
    printf("sigwaitinfo thread %d: only its own timer's signals: %ld\n", i, (long)r % 100);
  }
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);

  /* alarm() with the main thread not blocking SIGALRM: the main thread takes it. */
  signal(SIGALRM, on_alrm_who);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  pthread_create(&helper, NULL, idle, NULL);
  pid_t me = (pid_t)syscall(SYS_gettid);
  alarm(1);
  while (!got_tid) pause();
  printf("alarm reached the main thread: %d\n", got_tid == me);
  /* Blocked in the main thread: the other thread takes it. */
  got_tid = 0;
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  struct itimerval iv = { { 0, 0 }, { 0, 50000 } };
  setitimer(ITIMER_REAL, &iv, NULL);
  while (!got_tid) usleep(1000);
  printf("ITIMER_REAL reached the other thread: %d\n", got_tid != me);
  stop = 1;
  pthread_join(helper, NULL);
  return 0;
}
