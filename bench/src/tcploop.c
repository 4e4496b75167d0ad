/* TCP over 127.0.0.1 inside one machine: a child process writes 256 MiB in 64 KiB writes to
 * a connection its parent accepted; the parent reads to EOF and prints the byte count (so the
 * output is the same natively and in the engine). The bench times the whole run. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOTAL (256u << 20)
static char buf[65536];

int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) { perror("listen"); return 1; }
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) { perror("connect"); _exit(1); }
    memset(buf, 'x', sizeof buf);
    for (unsigned sent = 0; sent < TOTAL;) {
      ssize_t n = write(c, buf, sizeof buf);
      if (n <= 0) { perror("write"); _exit(1); }
      sent += n;
    }
    close(c);
    _exit(0);
  }
  int s = accept(l, 0, 0);
  if (s < 0) { perror("accept"); return 1; }
  unsigned long long got = 0;
  for (;;) {
    ssize_t n = read(s, buf, sizeof buf);
    if (n < 0) { perror("read"); return 1; }
    if (n == 0) break;
    got += n;
  }
  int st = 0;
  waitpid(pid, &st, 0);
  printf("%llu bytes\n", got);
  return got == TOTAL && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
