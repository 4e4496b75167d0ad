#define _GNU_SOURCE
/*
 * The card's hotplug as a uevent listener sees it: netlink NETLINK_KOBJECT_UEVENT sockets
 * bound to the kernel's group (1), udevd's group (2, where libudev listens) and no group,
 * with SO_PASSCRED; the host resizes its display once this prints "ready". Then the card's
 * sysfs and /dev entries as libudev and libdrm read them. Prints what it got.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int listener(unsigned groups) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
  struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = groups };
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) printf("bind %s\n", strerror(errno));
  int on = 1;
  setsockopt(s, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  return s;
}

static void receive(int s, const char *name) {
  char buf[2048], cbuf[64];
  struct sockaddr_nl from;
  struct iovec iov = { buf, sizeof buf };
  struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct pollfd p = { s, POLLIN, 0 };
  poll(&p, 1, 20000);
  ssize_t n = recvmsg(s, &m, MSG_DONTWAIT);
  if (n < 0) { printf("%s: %s\n", name, strerror(errno)); return; }
  for (ssize_t i = 0; i < n; i++) if (!buf[i]) buf[i] = '|';
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  struct ucred *cr = c && c->cmsg_type == SCM_CREDENTIALS ? (struct ucred *)CMSG_DATA(c) : NULL;
  printf("%s: %zd bytes from pid %u groups %u, creds %s uid %d: %.*s\n", name, n, from.nl_pid, from.nl_groups, cr ? "yes" : "no", cr ? (int)cr->uid : -1, (int)n, buf);
}

static void show(const char *path) {
  char b[512];
  ssize_t n = readlink(path, b, sizeof b - 1);
  if (n >= 0) { b[n] = 0; printf("%s -> %s\n", path, b); return; }
  FILE *f = fopen(path, "r");
  if (!f) { printf("%s: %s\n", path, strerror(errno)); return; }
  n = fread(b, 1, sizeof b - 1, f);
  fclose(f);
  b[n] = 0;
  for (ssize_t i = 0; i < n; i++) if (b[i] == '\n') b[i] = ' ';
  printf("%s: %s\n", path, b);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int k = listener(1), u = listener(2), none = listener(0);
  show("/sys/class/drm/card0-Virtual-1/modes");
  printf("ready\n");
  receive(k, "kernel group");
  receive(u, "udev group");
  char b[16];
  ssize_t n = recv(none, b, sizeof b, MSG_DONTWAIT);
  printf("no group: %zd %s\n", n, strerror(errno));
  show("/sys/class/drm/card0-Virtual-1/modes");
  show("/sys/class/drm/card0-Virtual-1/status");
  show("/sys/class/drm/card0");
  show("/sys/class/drm/card0/uevent");
  show("/sys/class/drm/card0/dev");
  show("/sys/class/drm/card0/subsystem");
  show("/sys/dev/char/226:0");
  show("/sys/dev/char/226:0/device/uevent");
  show("/sys/bus/platform/devices/webx86-kms");
  show("/dev/dri/by-path/platform-webx86-kms-card");
  struct stat st;
  stat("/sys/dev/char/226:0/subsystem/card0/dev", &st);
  printf("subsystem link resolves: %d\n", S_ISREG(st.st_mode));
  stat("/dev/dri/by-path/platform-webx86-kms-card", &st);
  printf("by-path: char %d %u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
  return 0;
}
