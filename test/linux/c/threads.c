/* pthreads over clone/futex/set_thread_area, compared with a native run. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;
static __thread int tls_value;

static void *worker(void *arg) {
  long id = (long)arg;
  tls_value = (int)id * 100;
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_lock(&mu);
  while (!ready) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return (void *)(long)(tls_value + 1);
}

static volatile sig_atomic_t got;
static void on_usr1(int s) { (void)s; got = 1; }
static void *sleeper(void *arg) {
  (void)arg;
  while (!got) usleep(1000);
  return (void *)7;
}

int main(void) {
  pthread_t t[4];
  tls_value = -1;
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  usleep(20000);
  pthread_mutex_lock(&mu);
  ready = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  long sum = 0;
  for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); sum += (long)r; }
  printf("counter=%ld sum=%ld main tls=%d\n", counter, sum, tls_value);

  signal(SIGUSR1, on_usr1);
  pthread_t s;
  pthread_create(&s, NULL, sleeper, NULL);
  pthread_kill(s, SIGUSR1);
  void *r;
  pthread_join(s, &r);
  printf("sleeper returned %ld\n", (long)r);
  return 0;
}
