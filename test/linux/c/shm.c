/* Memory shared between processes: MAP_SHARED anonymous memory and /dev/zero across fork,
 * a MAP_SHARED file mapped by two processes, process-shared semaphores (futexes woken
 * across processes) and sem_open. Prints results; compared with a native run. */
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared { sem_t ping, pong, lock; int counter; int turns[8]; char msg[64]; };

static int wait_child(pid_t p) { int st; waitpid(p, &st, 0); return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  /* 1. Anonymous shared memory: a child's writes are seen by the parent. */
  struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) { perror("mmap"); return 1; }
  int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *priv = 1;
  pid_t p = fork();
  if (p == 0) { strcpy(s->msg, "written by the child"); s->counter = 41; *priv = 99; _exit(0); }
  int st = wait_child(p); /* before reading: argument evaluation order is unspecified */
  printf("child %d: msg '%s' counter %d private %d\n", st, s->msg, s->counter, *priv);

  /* 2. Ping-pong with process-shared semaphores: each side blocks until the other posts. */
  sem_init(&s->ping, 1, 0); sem_init(&s->pong, 1, 0); sem_init(&s->lock, 1, 1);
  p = fork();
  if (p == 0) {
    for (int i = 0; i < 8; i++) { sem_wait(&s->ping); s->turns[i] = s->counter++; sem_post(&s->pong); }
    _exit(7);
  }
  for (int i = 0; i < 8; i++) { usleep(1000); sem_post(&s->ping); sem_wait(&s->pong); }
  printf("ping-pong child %d:", wait_child(p));
  for (int i = 0; i < 8; i++) printf(" %d", s->turns[i]);
  printf(" counter %d\n", s->counter);

  /* 3. Two children increment one counter under a shared lock. */
  s->counter = 0;
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    if ((kids[k] = fork()) == 0) {
      for (int i = 0; i < 2000; i++) { sem_wait(&s->lock); int v = s->counter; if (i % 500 == 0) sched_yield(); s->counter = v + 1; sem_post(&s->lock); }
      _exit(0);
    }
  }
  wait_child(kids[0]); wait_child(kids[1]);
  printf("locked counter %d\n", s->counter);

  /* 4. /dev/zero shared mapping across fork. */
  int z = open("/dev/zero", O_RDWR);
  int *zp = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  close(z);
  if ((p = fork()) == 0) { zp[0] = 123; zp[2047] = 456; zp[1024] = 789; _exit(0); }
  wait_child(p);
  printf("/dev/zero %d %d %d\n", zp[0], zp[2047], zp[1024]);

  /* 5. A file mapped MAP_SHARED by two unrelated mappings in two processes. */
  char path[] = "shm-test-XXXXXX";
  int fd = mkstemp(path);
  ftruncate(fd, 4096);
  if ((p = fork()) == 0) {
    int cfd = open(path, O_RDWR);
    char *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
    sem_wait(&s->ping);
    printf("child sees '%s'\n", c);
    strcpy(c, "reply from the child");
    sem_post(&s->pong);
    _exit(0);
  }
  char *f = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  strcpy(f, "hello through the file");
  sem_post(&s->ping);
  sem_wait(&s->pong);
  printf("parent sees '%s'\n", f);
  wait_child(p);
  munmap(f, 4096);
  char buf[32] = {0};
  pread(fd, buf, sizeof buf - 1, 0);
  printf("file holds '%s'\n", buf);
  close(fd);
  unlink(path);

  /* 6. Named semaphores (sem_open: a MAP_SHARED file in /dev/shm). */
  sem_unlink("/webx86-test");
  sem_t *ns = sem_open("/webx86-test", O_CREAT | O_EXCL, 0600, 0);
  if (ns == SEM_FAILED) { perror("sem_open"); return 1; }
  if ((p = fork()) == 0) {
    sem_t *c = sem_open("/webx86-test", 0);
    usleep(2000);
    sem_post(c); sem_post(c);
    _exit(3);
  }
  sem_wait(ns); sem_wait(ns);
  int v = -1;
  sem_getvalue(ns, &v);
  printf("named semaphore: child %d value %d\n", wait_child(p), v);
  sem_close(ns);
  sem_unlink("/webx86-test");
  return 0;
}
