/*
 * Resource limits that hold (setrlimit(2)), compared with a native run: RLIMIT_NOFILE,
 * RLIMIT_NPROC (for a non-root user; root is exempt), RLIMIT_FSIZE, RLIMIT_AS and
 * RLIMIT_CPU. Each part runs in a child so a limit never leaks into the next part.
 * Run as root (the test and the native run both start as uid 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER 54321 /* no process of this user exists natively or in the engine */

static void setlim(int r, rlim_t cur, rlim_t max) {
  struct rlimit l = { cur, max };
  if (setrlimit(r, &l)) { printf("setrlimit %d: %s\n", r, strerror(errno)); exit(1); }
}

static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static void part(const char *name, void (*fn)(void)) {
  printf("== %s\n", name);
  pid_t p = fork();
  if (p == 0) { fn(); exit(0); }
  int st;
  waitpid(p, &st, 0);
  if (WIFSIGNALED(st)) printf("   killed by signal %d\n", WTERMSIG(st));
  else printf("   exit %d\n", WEXITSTATUS(st));
}

static void nofile(void) {
  setlim(RLIMIT_NOFILE, 10, 20);
  int last = -1, fd;
  while ((fd = open("/dev/null", O_RDONLY)) >= 0) last = fd;
  printf("last fd %d, then %s\n", last, err(fd));
  printf("pipe at the limit: %s\n", err(pipe((int[2]){ 0 })));
  printf("dup2 to 10: %s\n", err(dup2(0, 10)));
  printf("F_DUPFD from 10: %s\n", err(fcntl(0, F_DUPFD, 10)));
  printf("dup: %s\n", err(dup(0)));
  setlim(RLIMIT_NOFILE, 20, 20);
  printf("after raising: dup2 to 15 gives %d\n", dup2(0, 15));
}

static int gate[2];
static int spawn_until_eagain(int max) {
  int n = 0;
  for (; n < max; n++) {
    pid_t c = fork();
    if (c < 0) { printf("fork %d: %s\n", n + 1, strerrorname_np(errno)); break; }
    if (c == 0) { char b; close(gate[1]); read(gate[0], &b, 1); _exit(0); }
  }
  return n;
}
static void reap(void) { close(gate[1]); while (wait(NULL) > 0) {} }

static void nproc_user(void) {
  pipe(gate);
  if (setresgid(USER, USER, USER) || setresuid(USER, USER, USER)) { printf("setresuid: %s\n", strerror(errno)); return; }
  setlim(RLIMIT_NPROC, 5, 5);
  printf("forked %d children under a limit of 5\n", spawn_until_eagain(20));
  reap();
  printf("after reaping them: fork %s\n", err(spawn_until_eagain(1) == 1 ? 0 : -1));
  reap();
}

static void nproc_root(void) {
  pipe(gate);
  setlim(RLIMIT_NPROC, 3, 3);
  printf("root forked %d children under a limit of 3\n", spawn_until_eagain(8));
  reap();
}

static void xfsz(int s) { (void)s; static const char m[] = "SIGXFSZ\n"; write(1, m, sizeof m - 1); }
static void fsize(void) {
  signal(SIGXFSZ, xfsz);
  setlim(RLIMIT_FSIZE, 10000, 10000);
  static char buf[8000];
  int fd = open("fsize.out", O_CREAT | O_TRUNC | O_RDWR, 0644);
  printf("write 8000: %zd\n", write(fd, buf, 8000));
  printf("write 8000 more: %zd\n", write(fd, buf, 8000));
  long r = write(fd, buf, 1);
  printf("write at the limit: %ld %s\n", r, err(r));
  r = pwrite(fd, buf, 10, 20000);
  printf("pwrite past the limit: %ld %s\n", r, err(r));
  printf("pwrite below the limit: %zd\n", pwrite(fd, buf, 10, 100));
  printf("ftruncate to 20000: %s\n", err(ftruncate(fd, 20000)));
  printf("ftruncate to 5000: %s\n", err(ftruncate(fd, 5000)));
  struct stat st;
  fstat(fd, &st);
  printf("size %ld\n", (long)st.st_size);
  int nul = open("/dev/null", O_WRONLY);
  printf("/dev/null is not limited: %zd %zd\n", write(nul, buf, 8000), write(nul, buf, 8000));
  unlink("fsize.out");
  signal(SIGXFSZ, SIG_DFL);
  lseek(fd, 10000, SEEK_SET);
  write(fd, buf, 1);
  printf("not reached\n");
}

/* Bytes mapped, from /proc/self/maps: what RLIMIT_AS is compared against (total_vm). */
static unsigned long mapped(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  unsigned long a, b, sum = 0;
  char line[512];
  while (fgets(line, sizeof line, f)) if (sscanf(line, "%lx-%lx", &a, &b) == 2) sum += b - a;
  fclose(f);
  return sum;
}
static void as(void) {
  unsigned long base = mapped();
  setlim(RLIMIT_AS, base + (8 << 20), RLIM_INFINITY);
  void *p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 16 MiB: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 4 MiB: %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
  void *q = mmap(NULL, 4 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 4 MiB more: %s\n", q == MAP_FAILED ? strerrorname_np(errno) : "ok");
  void *fixed = mmap(p, 4 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED over the 4 MiB: %s\n", fixed == MAP_FAILED ? strerrorname_np(errno) : "ok");
  void *cur = sbrk(0);
  printf("brk +8 MiB: %s\n", brk((char *)cur + (8 << 20)) ? strerrorname_np(errno) : "ok");
  printf("brk +64 KiB: %s\n", brk((char *)cur + (64 << 10)) ? strerrorname_np(errno) : "ok");
  munmap(p, 4 << 20);
  q = mmap(NULL, 4 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap 4 MiB after munmap: %s\n", q == MAP_FAILED ? strerrorname_np(errno) : "ok");
}

static int depth(int n) { volatile char pad[4096]; pad[0] = (char)n; return n ? depth(n - 1) + pad[0] : 0; }
static void as_stack(void) {
  setlim(RLIMIT_AS, mapped() + (256 << 10), RLIM_INFINITY);
  printf("recursing 2 MiB deep with 256 KiB of address space to spare\n");
  fflush(stdout);
  depth(512);
  printf("not reached\n");
}

static volatile int xcpus;
static void xcpu(int s) { (void)s; xcpus++; static const char m[] = "SIGXCPU\n"; write(1, m, sizeof m - 1); }
static void cpu_soft_hard(void) {
  signal(SIGXCPU, xcpu);
  setlim(RLIMIT_CPU, 1, 2);
  for (;;) {}
}
static void cpu_default(void) {
  setlim(RLIMIT_CPU, 1, RLIM_INFINITY);
  for (;;) {}
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  part("RLIMIT_NOFILE", nofile);
  part("RLIMIT_NPROC, user 54321", nproc_user);
  part("RLIMIT_NPROC, root", nproc_root);
  part("RLIMIT_FSIZE", fsize);
  part("RLIMIT_AS", as);
  part("RLIMIT_AS and stack growth", as_stack);
  part("RLIMIT_CPU 1 s soft, 2 s hard, SIGXCPU caught", cpu_soft_hard);
  part("RLIMIT_CPU 1 s soft, default action", cpu_default);
  return 0;
}
