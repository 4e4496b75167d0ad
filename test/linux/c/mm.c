/* Memory management as programs see it, compared with a native run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static void on_segv(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  printf("  SIGSEGV sig=%d code=%s\n", sig, si->si_code == SEGV_MAPERR ? "MAPERR" : si->si_code == SEGV_ACCERR ? "ACCERR" : "?");
  siglongjmp(env, 1);
}
#define TRY(what, stmt) do { printf("%s\n", what); if (!sigsetjmp(env, 1)) { stmt; printf("  ok\n"); } } while (0)

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, NULL);
  long pg = sysconf(_SC_PAGESIZE);
  printf("page size %ld\n", pg);

  char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("anon zeroed: %d\n", a[0] == 0 && a[4 * pg - 1] == 0);
  strcpy(a, "hello");
  mprotect(a, pg, PROT_READ);
  TRY("write to read-only page", a[0] = 'x');
  printf("still %s\n", a);
  munmap(a + pg, pg);
  TRY("read unmapped page", (void)*(volatile char *)(a + pg));
  TRY("read page after the hole", (void)*(volatile char *)(a + 2 * pg));
  mprotect(a, pg, PROT_NONE);
  TRY("read PROT_NONE page", (void)*(volatile char *)a);
  printf("mprotect of a hole: %d\n", mprotect(a + pg, pg, PROT_READ));

  /* mremap: grow in place or move; contents follow. */
  char *b = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(b, 'B', pg);
  char *c = mremap(b, pg, 64 * pg, MREMAP_MAYMOVE);
  printf("mremap grew: %d, kept: %d, new part zero: %d\n", c != MAP_FAILED, c[pg - 1] == 'B', c[63 * pg] == 0);
  c = mremap(c, 64 * pg, 2 * pg, 0);
  TRY("access beyond shrunk mapping", (void)*(volatile char *)(c + 3 * pg));

  /* MAP_FIXED_NOREPLACE refuses an occupied range. */
  void *d = mmap(c, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  printf("FIXED_NOREPLACE on used range fails: %d\n", d == MAP_FAILED);

  /* File mappings: private copies, shared write-back. */
  char path[] = "/tmp/mmXXXXXX";
  int fd = mkstemp(path);
  write(fd, "file contents here", 18);
  char *f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  printf("private map reads: %.18s, past EOF zero: %d\n", f, f[100] == 0);
  f[0] = 'F';
  char buf[32] = { 0 };
  pread(fd, buf, 18, 0);
  printf("private write not in file: %s\n", buf);
  char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  memcpy(s, "SHARED", 6);
  msync(s, pg, MS_SYNC);
  pread(fd, buf, 18, 0);
  printf("shared write in file: %s\n", buf);
  munmap(s, pg);
  munmap(f, pg);
  close(fd);
  unlink(path);

  /* brk */
  char *top = sbrk(0);
  sbrk(3 * pg);
  top[3 * pg - 1] = 1;
  sbrk(-3 * pg);
  printf("sbrk back to start: %d\n", sbrk(0) == top);

  /* MADV_DONTNEED zeroes private anonymous pages. */
  char *e = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  e[10] = 7;
  madvise(e, pg, MADV_DONTNEED);
  printf("after DONTNEED: %d\n", e[10]);

  /* Deep recursion grows the stack on demand. */
  volatile char big[1 << 20];
  big[0] = 1; big[sizeof big - 1] = 2;
  printf("1 MiB on the stack: %d\n", big[0] + big[sizeof big - 1]);

  /* Executing a data page faults; executing an exec mapping works. */
  unsigned char *code = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  code[0] = 0xb8; code[1] = 42; code[2] = code[3] = code[4] = 0; code[5] = 0xc3; /* mov $42,%eax; ret */
  TRY("call into a non-executable page", ((int (*)(void))code)());
  mprotect(code, pg, PROT_READ | PROT_EXEC);
  printf("exec page returns %d\n", ((int (*)(void))code)());
  /* Self-modifying code: rewrite and re-run. */
  mprotect(code, pg, PROT_READ | PROT_WRITE | PROT_EXEC);
  code[1] = 43;
  printf("after rewrite returns %d\n", ((int (*)(void))code)());
  return 0;
}
