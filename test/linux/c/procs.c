/* fork, exec, wait statuses, process groups and pipes, compared with a native run. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>

static void report(const char *what, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %d core=%d\n", what, WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
  else if (WIFSTOPPED(st)) printf("%s: stopped by %d\n", what, WSTOPSIG(st));
  else if (WIFCONTINUED(st)) printf("%s: continued\n", what);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1) { printf("exec'd child argv1=%s\n", argv[1]); return 42; }
  int st;
  pid_t c = fork();
  if (c == 0) _exit(3);
  waitpid(c, &st, 0);
  report("exit(3)", st);

  c = fork();
  if (c == 0) { pause(); _exit(0); }
  kill(c, SIGTERM);
  waitpid(c, &st, 0);
  report("SIGTERM", st);

  c = fork();
  if (c == 0) abort();
  waitpid(c, &st, 0);
  report("abort", st);

  c = fork();
  if (c == 0) { *(volatile int *)0 = 0; _exit(1); }
  waitpid(c, &st, 0);
  report("null write", st);

  c = fork();
  if (c == 0) { for (;;) pause(); }
  kill(c, SIGSTOP);
  waitpid(c, &st, WUNTRACED);
  report("SIGSTOP", st);
  printf("WNOHANG while stopped: %d\n", waitpid(c, &st, WNOHANG));
  kill(c, SIGCONT);
  waitpid(c, &st, WCONTINUED);
  report("SIGCONT", st);
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
  report("SIGKILL", st);

  int p[2];
  pipe(p);
  c = fork();
  if (c == 0) {
    close(p[0]);
    dup2(p[1], 1);
    printf("via pipe from child, ppid ok=%d\n", getppid() == getppid());
    fflush(stdout);
    _exit(0);
  }
  close(p[1]);
  char buf[128] = { 0 };
  ssize_t n = read(p[0], buf, sizeof buf - 1);
  printf("parent read %zd: %s", n, buf);
  waitpid(c, &st, 0);

  c = fork();
  if (c == 0) { execl("/proc/self/exe", argv[0], "hello", (char *)NULL); perror("exec"); _exit(99); }
  waitpid(c, &st, 0);
  report("exec self", st);

  c = fork();
  if (c == 0) { execl("/nonexistent", "x", (char *)NULL); _exit(errno == 2 ? 2 : 1); }
  waitpid(c, &st, 0);
  report("exec missing", st);

  /* Process groups. */
  c = fork();
  if (c == 0) { setpgid(0, 0); printf("child is group leader: %d\n", getpgrp() == getpid()); _exit(0); }
  waitpid(c, &st, 0);
  printf("ECHILD: %d\n", waitpid(-1, &st, 0));

  /* vfork + _exit. */
  c = vfork();
  if (c == 0) _exit(7);
  waitpid(c, &st, 0);
  report("vfork", st);
  return 5;
}
