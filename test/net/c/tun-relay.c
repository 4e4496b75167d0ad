/*
 * tun-relay IFNAME: create the TUN device IFNAME (IFF_TUN | IFF_NO_PI, see
 * Documentation/networking/tuntap.rst) in the caller's network namespace and relay its
 * packets over stdio, each framed by a 2-byte big-endian length: packets the kernel routes
 * to the device go to stdout, frames from stdin are written to the device (the kernel
 * receives them). Node has no ioctl, hence this helper. It prints "ready IFNAME" on stderr
 * once the device exists and exits when stdin closes. The device goes away with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static unsigned char in[1 << 20];
static unsigned char out[65536 + 2];

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w; n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: tun-relay IFNAME\n"); return 2; }
  int fd = open("/dev/net/tun", O_RDWR);
  if (fd < 0) { perror("open /dev/net/tun"); return 1; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("ioctl TUNSETIFF"); return 1; }
  fprintf(stderr, "ready %s\n", ifr.ifr_name);
  size_t have = 0;
  struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
  for (;;) {
    if (poll(pf, 2, -1) < 0) { if (errno == EINTR) continue; perror("poll"); return 1; }
    if (pf[0].revents & POLLIN) {
      ssize_t n = read(fd, out + 2, sizeof out - 2);
      if (n > 0) {
        out[0] = (unsigned char)(n >> 8); out[1] = (unsigned char)n;
        if (write_all(1, out, (size_t)n + 2) < 0) return 0;
      }
    }
    if (pf[1].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(0, in + have, sizeof in - have);
      if (r <= 0) return 0;
      have += (size_t)r;
      size_t at = 0;
      while (have - at >= 2) {
        size_t len = ((size_t)in[at] << 8) | in[at + 1];
        if (have - at < 2 + len) break;
        /* A packet the kernel rejects (bad header) fails this write with EINVAL: drop it, as a wire would. */
        if (write(fd, in + at + 2, len) < 0 && errno != EINVAL && errno != EIO) { perror("write tun"); return 1; }
        at += 2 + len;
      }
      memmove(in, in + at, have - at);
      have -= at;
    }
  }
}
