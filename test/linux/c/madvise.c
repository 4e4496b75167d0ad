/*
 * madvise(MADV_DONTNEED) as Linux applies it, compared with a native run: private file
 * pages read the file again (a private write is lost, a later write to the file shows),
 * private anonymous pages read zeros, shared pages keep their content.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  long pg = sysconf(_SC_PAGESIZE);
  int fd = open("madv.dat", O_CREAT | O_TRUNC | O_RDWR, 0644);
  char buf[3 * 4096];
  for (int i = 0; i < 3 * 4096; i++) buf[i] = 'a' + i / 4096;
  write(fd, buf, 2 * pg + 100); /* the last page is partly beyond the end of the file */
  char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  p[0] = 'X'; p[pg] = 'Y'; p[2 * pg + 200] = 'Z';
  printf("private copies: %c %c %c\n", p[0], p[pg], p[2 * pg + 200]);
  printf("DONTNEED page 0: %d\n", madvise(p, pg, MADV_DONTNEED));
  printf("page 0 reads the file again: %c, page 1 keeps its copy: %c\n", p[0], p[pg]);
  pwrite(fd, "NEW", 3, pg);
  printf("DONTNEED pages 1-2: %d\n", madvise(p + pg, 2 * pg, MADV_DONTNEED));
  printf("page 1 shows the file's new bytes: %.3s; past the end of the file: %d %d\n", p + pg, p[2 * pg + 100], p[2 * pg + 200]);
  printf("in the file: %c\n", p[2 * pg + 99]);

  char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(a, 7, 2 * pg);
  madvise(a, pg, MADV_DONTNEED);
  printf("anonymous: %d %d\n", a[0], a[pg]);
  char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  s[0] = 9;
  madvise(s, pg, MADV_DONTNEED);
  printf("shared anonymous keeps: %d\n", s[0]);
  char *f = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  f[1] = 'S';
  madvise(f, pg, MADV_DONTNEED);
  printf("shared file keeps: %c\n", f[1]);
  printf("misaligned: %d\n", madvise(p + 1, pg, MADV_DONTNEED));
  unlink("madv.dat");
  return 0;
}
