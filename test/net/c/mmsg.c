/* sendmmsg(2) and recvmmsg(2) on UDP over 127.0.0.1 and a UNIX datagram pair: batches of
 * different sizes, msg_len, source addresses, MSG_WAITFORONE, MSG_DONTWAIT with nothing
 * queued, truncation, the timeout written back, vlen 0, and the socketcall(2) forms.
 * Prints what it sees; natively and in the engine the output must be the same. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/net.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int udp(struct sockaddr_in *a) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof *a;
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr *)a, sizeof *a) || getsockname(s, (struct sockaddr *)a, &len)) { perror("udp"); return -1; }
  return s;
}

int main(void) {
  struct sockaddr_in ra, sa;
  int r = udp(&ra), s = udp(&sa);
  if (r < 0 || s < 0) return 1;
  if (connect(s, (struct sockaddr *)&ra, sizeof ra)) { perror("connect"); return 1; }

  /* Five messages of 1..5 x 100 bytes in one call. */
  static char data[5][500];
  struct iovec iov[5];
  struct mmsghdr out[5];
  memset(out, 0, sizeof out);
  for (int i = 0; i < 5; i++) {
    memset(data[i], 'a' + i, sizeof data[i]);
    iov[i].iov_base = data[i];
    iov[i].iov_len = 100 * (i + 1);
    out[i].msg_hdr.msg_iov = &iov[i];
    out[i].msg_hdr.msg_iovlen = 1;
  }
  int n = sendmmsg(s, out, 5, 0);
  printf("sendmmsg: %d;", n);
  for (int i = 0; i < 5; i++) printf(" %u", out[i].msg_len);
  printf("\n");
  printf("sendmmsg vlen 0: %d\n", sendmmsg(s, out, 0, 0));

  /* Receive with room for 8 and MSG_WAITFORONE: the five, each with its sender. */
  static char in[8][300];
  struct iovec riov[8];
  struct sockaddr_in from[8];
  struct mmsghdr msgs[8];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < 8; i++) {
    riov[i].iov_base = in[i];
    riov[i].iov_len = sizeof in[i]; /* 300: the 400 and 500-byte ones are truncated */
    msgs[i].msg_hdr.msg_iov = &riov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  usleep(100000);
  n = recvmmsg(r, msgs, 8, MSG_WAITFORONE, NULL);
  printf("recvmmsg: %d\n", n);
  for (int i = 0; i < n; i++)
    printf("  %d: len %u first '%c' flags %s from port ok %d namelen %u\n", i, msgs[i].msg_len, in[i][0],
           msgs[i].msg_hdr.msg_flags & MSG_TRUNC ? "TRUNC" : "-", from[i].sin_port == sa.sin_port, msgs[i].msg_hdr.msg_namelen);

  errno = 0;
  n = recvmmsg(r, msgs, 8, MSG_DONTWAIT, NULL);
  printf("recvmmsg empty, MSG_DONTWAIT: %d %s\n", n, strerror(errno));

  /* A timeout: two messages queued, vlen 2, 5 s: both come back and the time left is written. */
  sendmmsg(s, out, 2, 0);
  usleep(100000);
  struct timespec ts = { 5, 0 };
  n = recvmmsg(r, msgs, 2, 0, &ts);
  printf("recvmmsg with timeout: %d; lens %u %u; time left %s\n", n, msgs[0].msg_len, msgs[1].msg_len, ts.tv_sec >= 4 && ts.tv_sec <= 5 ? "4-5 s" : "wrong");
  struct timespec bad = { 0, 2000000000 };
  errno = 0;
  n = recvmmsg(r, msgs, 2, MSG_DONTWAIT, &bad);
  printf("recvmmsg bad timeout: %d %s\n", n, strerror(errno));

  /* The socketcall(2) forms (SYS_SENDMMSG 20, SYS_RECVMMSG 19). */
  unsigned long sargs[4] = { s, (unsigned long)out, 3, 0 };
  n = syscall(SYS_socketcall, SYS_SENDMMSG, sargs);
  printf("socketcall sendmmsg: %d\n", n);
  usleep(100000);
  unsigned long rargs[5] = { r, (unsigned long)msgs, 8, MSG_WAITFORONE, 0 };
  n = syscall(SYS_socketcall, SYS_RECVMMSG, rargs);
  printf("socketcall recvmmsg: %d; lens %u %u %u\n", n, msgs[0].msg_len, msgs[1].msg_len, msgs[2].msg_len);

  /* A UNIX datagram pair. */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) { perror("socketpair"); return 1; }
  printf("unix sendmmsg: %d\n", sendmmsg(sv[0], out, 4, 0));
  for (int i = 0; i < 8; i++) msgs[i].msg_hdr.msg_name = NULL, msgs[i].msg_hdr.msg_namelen = 0;
  n = recvmmsg(sv[1], msgs, 8, MSG_DONTWAIT, NULL);
  printf("unix recvmmsg: %d;", n);
  for (int i = 0; i < n; i++) printf(" %u%c", msgs[i].msg_len, in[i][0]);
  printf("\n");

  /* Errors: not a socket, a bad vector. */
  errno = 0;
  int dir = open("/", O_RDONLY);
  n = sendmmsg(dir, out, 1, 0);
  printf("sendmmsg on a directory: %d %s\n", n, strerror(errno));
  errno = 0;
  n = recvmmsg(r, (struct mmsghdr *)8, 1, MSG_DONTWAIT, NULL);
  printf("recvmmsg bad pointer: %d %s\n", n, strerror(errno));
  return 0;
}
