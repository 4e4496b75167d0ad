/*
 * #! scripts as execve(2) runs them (fs/binfmt_script.c, fs/exec.c), compared with a
 * native run: chains of nested interpreters (5 run, 6 fail with ELOOP), CRLF line ends
 * (the interpreter name keeps the \r: ENOENT), spaces and tabs around the interpreter and
 * its one argument, a line without a newline, an empty line.
 * The program is its own final interpreter: it copies itself to ./interp (run with no
 * arguments it runs the cases; as an interpreter it prints the arguments it got).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *name, const char *text, size_t len) {
  int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0755);
  write(fd, text, len);
  close(fd);
}
#define PUT(name, text) put(name, text, sizeof(text) - 1)

static void run(const char *path) {
  printf("%s:", path);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    char *argv[] = { (char *)path, "x", NULL };
    execv(path, argv);
    printf(" execve %s\n", strerrorname_np(errno));
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    /* Called as an interpreter: show what the kernel passed. */
    for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);
    printf("\n");
    return 0;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  char self[4096];
  int in = open("/proc/self/exe", O_RDONLY), out = open("interp", O_CREAT | O_TRUNC | O_WRONLY, 0755);
  ssize_t n;
  while ((n = read(in, self, sizeof self)) > 0) write(out, self, n);
  close(in);
  close(out);
  PUT("s1", "#!./interp\n");
  for (int i = 2; i <= 7; i++) {
    char name[8], text[32];
    snprintf(name, sizeof name, "s%d", i);
    int len = snprintf(text, sizeof text, "#!./s%d\n", i - 1);
    put(name, text, len);
  }
  for (int i = 1; i <= 7; i++) { char name[8]; snprintf(name, sizeof name, "./s%d", i); run(name); }
  PUT("crlf", "#!./interp\r\necho hi\r\n");
  PUT("crlf-arg", "#!./interp -e\r\n");
  PUT("spaces", "#!  ./interp \t  one two\t \nrest\n");
  PUT("tab", "#!\t./interp\targ\n");
  PUT("nonl", "#!./interp a");
  PUT("empty", "#!\n");
  PUT("blank", "#!   \t \n");
  PUT("missing", "#!./no-such-interpreter\n");
  PUT("nul", "#!./interp a\0b\n");
  const char *more[] = { "./crlf", "./crlf-arg", "./spaces", "./tab", "./nonl", "./empty", "./blank", "./missing", "./nul" };
  for (size_t i = 0; i < sizeof more / sizeof *more; i++) run(more[i]);
  return 0;
}
