/* AF_INET / AF_INET6 sockets over loopback: run natively and under the engine (with the
 * in-VM loopback stack and with the host backend); output must match. Prints only values
 * that do not depend on the host (no port numbers, no other interfaces than lo). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAIL %s:%d %s errno=%d\n", __FILE__, __LINE__, #x, errno); exit(1); } } while (0)
#define ERR(call) ((call) < 0 ? errno : 0)

static int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

/* Let the other end's reaction (RST, ICMP error) arrive: on Linux it is handled in softirq after the call returns. */
static void settle(void) { usleep(20000); }

static int opt(int fd, int level, int name) {
  int v = -1; socklen_t l = sizeof v;
  CHECK(getsockopt(fd, level, name, &v, &l) == 0);
  return v;
}

static const char *text(const struct sockaddr *a) {
  static char buf[INET6_ADDRSTRLEN];
  if (a->sa_family == AF_INET) return inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, buf, sizeof buf);
  return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, buf, sizeof buf);
}

static int port(const struct sockaddr_storage *a) {
  return ntohs(a->ss_family == AF_INET ? ((const struct sockaddr_in *)a)->sin_port : ((const struct sockaddr_in6 *)a)->sin6_port);
}

/* A listener on the loopback address of `family` (port chosen by the kernel); its address in *a. */
static int listener(int family, struct sockaddr_storage *a, socklen_t *al) {
  int l = socket(family, SOCK_STREAM, 0); CHECK(l >= 0);
  memset(a, 0, sizeof *a);
  if (family == AF_INET) {
    struct sockaddr_in *s = (struct sockaddr_in *)a;
    s->sin_family = AF_INET; s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *al = sizeof *s;
  } else {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)a;
    s->sin6_family = AF_INET6; s->sin6_addr = in6addr_loopback;
    *al = sizeof *s;
  }
  CHECK(bind(l, (struct sockaddr *)a, *al) == 0);
  CHECK(getsockname(l, (struct sockaddr *)a, al) == 0);
  CHECK(listen(l, 8) == 0);
  return l;
}

static void pair(int family, int *cl, int *sv, int l, struct sockaddr_storage *a, socklen_t al) {
  *cl = socket(family, SOCK_STREAM, 0); CHECK(*cl >= 0);
  CHECK(connect(*cl, (struct sockaddr *)a, al) == 0);
  *sv = accept(l, NULL, NULL); CHECK(*sv >= 0);
}

static void tcp(int family) {
  const char *f = family == AF_INET ? "v4" : "v6";
  struct sockaddr_storage a; socklen_t al;
  int l = listener(family, &a, &al);
  printf("%s listener: port nonzero %d acceptconn %d type %d domain %d protocol %d\n", f, port(&a) != 0,
         opt(l, SOL_SOCKET, SO_ACCEPTCONN), opt(l, SOL_SOCKET, SO_TYPE), opt(l, SOL_SOCKET, SO_DOMAIN) == family, opt(l, SOL_SOCKET, SO_PROTOCOL));
  printf("%s listener FIONREAD: %d\n", f, ERR(ioctl(l, FIONREAD, &(int){0})));
  printf("%s accept nonblocking empty: %d\n", f, ERR(accept4(l, NULL, NULL, SOCK_NONBLOCK) + (fcntl(l, F_SETFL, O_NONBLOCK), 0)));
  fcntl(l, F_SETFL, 0);

  int c = socket(family, SOCK_STREAM, 0); CHECK(c >= 0);
  struct pollfd pf0 = { c, POLLIN | POLLOUT, 0 };
  poll(&pf0, 1, 0);
  printf("%s fresh socket poll: %#x\n", f, pf0.revents);
  printf("%s recv unconnected: %d\n", f, ERR(recv(c, &(char){0}, 1, MSG_DONTWAIT)));
  printf("%s getpeername unconnected: %d\n", f, ERR(getpeername(c, (struct sockaddr *)&(struct sockaddr_storage){0}, &(socklen_t){sizeof(struct sockaddr_storage)})));
  CHECK(connect(c, (struct sockaddr *)&a, al) == 0);
  printf("%s connect again: %d\n", f, ERR(connect(c, (struct sockaddr *)&a, al)));
  struct sockaddr_storage peer; socklen_t pl = sizeof peer;
  int s = accept(l, (struct sockaddr *)&peer, &pl); CHECK(s >= 0);
  struct sockaddr_storage cn, sp, sn; socklen_t cnl = sizeof cn, spl = sizeof sp, snl = sizeof sn;
  CHECK(getsockname(c, (struct sockaddr *)&cn, &cnl) == 0);
  CHECK(getpeername(s, (struct sockaddr *)&sp, &spl) == 0);
  CHECK(getsockname(s, (struct sockaddr *)&sn, &snl) == 0);
  printf("%s accepted peer %s len %d same as client name %d; server name %s same port %d; ephemeral %d\n", f, text((struct sockaddr *)&peer), pl,
         port(&peer) == port(&cn) && port(&sp) == port(&cn), text((struct sockaddr *)&sn), port(&sn) == port(&a),
         port(&cn) >= 32768 && port(&cn) <= 60999);
  printf("%s accepted options: acceptconn %d nodelay %d\n", f, opt(s, SOL_SOCKET, SO_ACCEPTCONN), opt(s, IPPROTO_TCP, TCP_NODELAY));
  int one = 1;
  CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
  printf("%s nodelay after set %d\n", f, opt(c, IPPROTO_TCP, TCP_NODELAY));

  char buf[64];
  CHECK(send(c, "hello", 5, 0) == 5);
  struct pollfd pf = { s, POLLIN, 0 };
  int pr = poll(&pf, 1, 1000);
  printf("%s poll readable: %d %#x\n", f, pr, pf.revents);
  int n = 0;
  CHECK(ioctl(s, FIONREAD, &n) == 0);
  printf("%s FIONREAD %d\n", f, n);
  printf("%s peek %zd", f, recv(s, buf, sizeof buf, MSG_PEEK)); printf(" '%.5s'\n", buf);
  memset(buf, 0, sizeof buf);
  printf("%s recv %zd", f, recv(s, buf, sizeof buf, 0)); printf(" '%s'\n", buf);
  printf("%s recv empty nonblocking: %d\n", f, ERR(recv(s, buf, sizeof buf, MSG_DONTWAIT)));

  /* MSG_WAITALL gathers two sends. */
  CHECK(send(c, "abc", 3, 0) == 3);
  CHECK(write(c, "defg", 4) == 4);
  memset(buf, 0, sizeof buf);
  printf("%s waitall %zd", f, recv(s, buf, 7, MSG_WAITALL)); printf(" '%s'\n", buf);

  /* Half-close: the server reads EOF and can still answer. */
  CHECK(shutdown(c, SHUT_WR) == 0);
  pf.events = POLLIN | POLLRDHUP;
  pr = poll(&pf, 1, 1000);
  printf("%s poll after peer SHUT_WR: %d %#x\n", f, pr, pf.revents);
  printf("%s recv after SHUT_WR: %zd\n", f, recv(s, buf, sizeof buf, 0));
  CHECK(send(s, "bye", 3, 0) == 3);
  memset(buf, 0, sizeof buf);
  printf("%s client reads after its SHUT_WR: %zd", f, recv(c, buf, sizeof buf, 0)); printf(" '%s'\n", buf);
  int e = ERR(send(c, "x", 1, MSG_NOSIGNAL));
  printf("%s send after own SHUT_WR: %d sigpipes %d\n", f, e, sigpipes);
  close(s); close(c);

  /* Writing to a closed peer: accepted once, answered by RST, then EPIPE and SIGPIPE. */
  pair(family, &c, &s, l, &a, al);
  close(s);
  settle();
  printf("%s read EOF from closed peer: %zd\n", f, read(c, buf, sizeof buf));
  printf("%s first write to closed peer: %zd\n", f, write(c, "x", 1));
  settle();
  int before = sigpipes;
  e = ERR(write(c, "y", 1));
  printf("%s second write: %d sigpipe %d\n", f, e, sigpipes - before);
  e = ERR(send(c, "z", 1, MSG_NOSIGNAL));
  printf("%s third write MSG_NOSIGNAL: %d sigpipe %d\n", f, e, sigpipes - before);
  close(c);

  /* Closing with unread data resets the peer. */
  pair(family, &c, &s, l, &a, al);
  CHECK(send(c, "unread", 6, 0) == 6);
  settle();
  close(s);
  settle();
  pf = (struct pollfd){ c, POLLIN | POLLOUT, 0 };
  poll(&pf, 1, 0);
  e = ERR(recv(c, buf, sizeof buf, 0));
  printf("%s after RST poll %#x recv %d", f, pf.revents & (POLLIN | POLLOUT | POLLERR | POLLHUP), e);
  printf(" then %zd\n", recv(c, buf, sizeof buf, 0));
  close(c);

  /* SO_LINGER 0 resets too. */
  pair(family, &c, &s, l, &a, al);
  struct linger lg = { 1, 0 };
  CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
  close(s);
  settle();
  printf("%s linger-0 close: recv %d\n", f, ERR(recv(c, buf, sizeof buf, 0)));
  close(c);

  /* Address in use, even with SO_REUSEADDR while listening. */
  int b = socket(family, SOCK_STREAM, 0);
  printf("%s bind in use: %d\n", f, ERR(bind(b, (struct sockaddr *)&a, al)));
  CHECK(setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  printf("%s bind in use with SO_REUSEADDR: %d reuseaddr %d\n", f, ERR(bind(b, (struct sockaddr *)&a, al)), opt(b, SOL_SOCKET, SO_REUSEADDR));
  close(b);

  /* A non-blocking connect: EINPROGRESS, then writable with SO_ERROR 0. */
  c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  printf("%s nonblocking connect: %d\n", f, ERR(connect(c, (struct sockaddr *)&a, al)));
  pf = (struct pollfd){ c, POLLOUT, 0 };
  pr = poll(&pf, 1, 1000);
  printf("%s poll connect: %d %#x", f, pr, pf.revents);
  printf(" SO_ERROR %d\n", opt(c, SOL_SOCKET, SO_ERROR));
  printf("%s connect after completion: %d\n", f, ERR(connect(c, (struct sockaddr *)&a, al)));
  s = accept(l, NULL, NULL); CHECK(s >= 0);
  close(s); close(c);

  /* The port closes with the listener: connect is refused, blocking and not. */
  close(l);
  c = socket(family, SOCK_STREAM, 0);
  printf("%s connect to closed port: %d\n", f, ERR(connect(c, (struct sockaddr *)&a, al)));
  printf("%s connect again after refusal: %d\n", f, ERR(connect(c, (struct sockaddr *)&a, al)));
  close(c);
  c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  printf("%s nonblocking connect to closed port: %d\n", f, ERR(connect(c, (struct sockaddr *)&a, al)));
  pf = (struct pollfd){ c, POLLOUT, 0 };
  pr = poll(&pf, 1, 1000);
  printf("%s poll refused: %d %#x", f, pr, pf.revents);
  printf(" SO_ERROR %d", opt(c, SOL_SOCKET, SO_ERROR));
  printf(" SO_ERROR again %d\n", opt(c, SOL_SOCKET, SO_ERROR));
  close(c);
}

static void udp(int family) {
  const char *f = family == AF_INET ? "v4" : "v6";
  struct sockaddr_storage a, b2; socklen_t al = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
  memset(&a, 0, sizeof a);
  a.ss_family = family;
  if (family == AF_INET) ((struct sockaddr_in *)&a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  else ((struct sockaddr_in6 *)&a)->sin6_addr = in6addr_loopback;
  b2 = a;
  int r = socket(family, SOCK_DGRAM, 0), s = socket(family, SOCK_DGRAM, 0), e;
  CHECK(r >= 0 && s >= 0);
  printf("%s udp type %d protocol %d\n", f, opt(r, SOL_SOCKET, SO_TYPE), opt(r, SOL_SOCKET, SO_PROTOCOL));
  printf("%s udp send without address: %d\n", f, ERR(send(s, "x", 1, 0)));
  CHECK(bind(r, (struct sockaddr *)&a, al) == 0);
  CHECK(getsockname(r, (struct sockaddr *)&a, &al) == 0);
  printf("%s udp bind twice: %d\n", f, ERR(bind(r, (struct sockaddr *)&b2, al)));
  CHECK(sendto(s, "one", 3, 0, (struct sockaddr *)&a, al) == 3);
  CHECK(sendto(s, "twotwo", 6, 0, (struct sockaddr *)&a, al) == 6);
  settle();
  int n = 0;
  CHECK(ioctl(r, FIONREAD, &n) == 0);
  printf("%s udp FIONREAD %d\n", f, n);
  char buf[64] = {0};
  struct sockaddr_storage from, sname; socklen_t fl = sizeof from, snl = sizeof sname;
  CHECK(getsockname(s, (struct sockaddr *)&sname, &snl) == 0);
  printf("%s udp recvfrom %zd", f, recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)); printf(" '%s'", buf);
  printf(" from %s len %d sender port %d\n", text((struct sockaddr *)&from), fl, port(&from) == port(&sname));
  memset(buf, 0, sizeof buf);
  printf("%s udp truncated %zd", f, recv(r, buf, 3, MSG_TRUNC));
  printf(" '%s'\n", buf);
  printf("%s udp empty: %d\n", f, ERR(recv(r, buf, sizeof buf, MSG_DONTWAIT)));
  struct iovec iov = { buf, 2 };
  struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
  CHECK(sendto(s, "msg", 3, 0, (struct sockaddr *)&a, al) == 3);
  settle();
  printf("%s udp recvmsg %zd", f, recvmsg(r, &mh, 0)); printf(" flags %#x namelen %d\n", mh.msg_flags, mh.msg_namelen);

  /* A connected socket hears of ICMP port unreachable: ECONNREFUSED. */
  close(r);
  CHECK(connect(s, (struct sockaddr *)&a, al) == 0);
  struct sockaddr_storage pn; socklen_t pnl = sizeof pn;
  e = ERR(getpeername(s, (struct sockaddr *)&pn, &pnl));
  printf("%s udp getpeername %d %s\n", f, e, text((struct sockaddr *)&pn));
  printf("%s udp send to closed port: %zd\n", f, send(s, "lost", 4, 0));
  settle();
  printf("%s udp then recv: %d\n", f, ERR(recv(s, buf, sizeof buf, MSG_DONTWAIT)));
  printf("%s udp then send: %zd\n", f, send(s, "again", 5, 0));
  settle();
  printf("%s udp SO_ERROR %d", f, opt(s, SOL_SOCKET, SO_ERROR)); printf(" then %d\n", opt(s, SOL_SOCKET, SO_ERROR));
  close(s);
}

/* An AF_INET6 socket on :: accepts IPv4 clients, seen as ::ffff:127.0.0.1; V6ONLY refuses them. */
static void mapped(void) {
  int l = socket(AF_INET6, SOCK_STREAM, 0);
  printf("v6only default %d\n", opt(l, IPPROTO_IPV6, IPV6_V6ONLY));
  struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any };
  socklen_t al = sizeof a;
  CHECK(bind(l, (struct sockaddr *)&a, al) == 0);
  CHECK(getsockname(l, (struct sockaddr *)&a, &al) == 0);
  CHECK(listen(l, 4) == 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = a.sin6_port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  CHECK(connect(c, (struct sockaddr *)&a4, sizeof a4) == 0);
  struct sockaddr_in6 p; socklen_t pl = sizeof p;
  int s = accept(l, (struct sockaddr *)&p, &pl); CHECK(s >= 0);
  printf("mapped peer %s len %d\n", text((struct sockaddr *)&p), pl);
  struct sockaddr_in6 sn; socklen_t snl = sizeof sn;
  CHECK(getsockname(s, (struct sockaddr *)&sn, &snl) == 0);
  printf("mapped local %s\n", text((struct sockaddr *)&sn));
  close(s); close(c);
  /* A v6 socket connecting to a mapped address. */
  c = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 m = { .sin6_family = AF_INET6, .sin6_port = a.sin6_port };
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &m.sin6_addr);
  printf("v6 socket to mapped: %d\n", ERR(connect(c, (struct sockaddr *)&m, sizeof m)));
  s = accept(l, NULL, NULL); CHECK(s >= 0);
  close(s); close(c);
  c = socket(AF_INET6, SOCK_STREAM, 0);
  int one = 1;
  CHECK(setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0);
  printf("v6only to mapped: %d\n", ERR(connect(c, (struct sockaddr *)&m, sizeof m)));
  close(c);
  /* AF_INET socket given a sockaddr_in6. */
  c = socket(AF_INET, SOCK_STREAM, 0);
  printf("v4 socket with v6 address: %d\n", ERR(connect(c, (struct sockaddr *)&a, sizeof a)));
  printf("short address: %d\n", ERR(connect(c, (struct sockaddr *)&a4, 8)));
  close(c); close(l);
}

static void interfaces(void) {
  struct ifaddrs *ifa, *i;
  CHECK(getifaddrs(&ifa) == 0);
  for (i = ifa; i; i = i->ifa_next) {
    if (strcmp(i->ifa_name, "lo") || !i->ifa_addr) continue;
    int fam = i->ifa_addr->sa_family;
    printf("ifaddr lo family %d flags %#x", fam, i->ifa_flags & 0xffff);
    if (fam == AF_INET || fam == AF_INET6) printf(" addr %s", text(i->ifa_addr));
    if ((fam == AF_INET || fam == AF_INET6) && i->ifa_netmask) printf(" mask %s", text(i->ifa_netmask));
    printf("\n");
  }
  freeifaddrs(ifa);
  printf("if_nametoindex lo %u, bogus %u\n", if_nametoindex("lo"), if_nametoindex("nosuch0"));
  char name[IF_NAMESIZE];
  printf("if_indextoname 1 %s\n", if_indextoname(1, name));
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq r; memset(&r, 0, sizeof r); strcpy(r.ifr_name, "lo");
  CHECK(ioctl(s, SIOCGIFFLAGS, &r) == 0); printf("SIOCGIFFLAGS lo %#x\n", r.ifr_flags & 0xffff);
  CHECK(ioctl(s, SIOCGIFMTU, &r) == 0); printf("SIOCGIFMTU lo %d\n", r.ifr_mtu);
  CHECK(ioctl(s, SIOCGIFINDEX, &r) == 0); printf("SIOCGIFINDEX lo %d\n", r.ifr_ifindex);
  CHECK(ioctl(s, SIOCGIFADDR, &r) == 0); printf("SIOCGIFADDR lo %s\n", text(&r.ifr_addr));
  CHECK(ioctl(s, SIOCGIFNETMASK, &r) == 0); printf("SIOCGIFNETMASK lo %s\n", text(&r.ifr_netmask));
  CHECK(ioctl(s, SIOCGIFHWADDR, &r) == 0); printf("SIOCGIFHWADDR lo family %d\n", r.ifr_hwaddr.sa_family);
  r.ifr_ifindex = 1;
  CHECK(ioctl(s, SIOCGIFNAME, &r) == 0); printf("SIOCGIFNAME 1 %s\n", r.ifr_name);
  strcpy(r.ifr_name, "nosuch0");
  printf("SIOCGIFFLAGS nosuch0 %d\n", ERR(ioctl(s, SIOCGIFFLAGS, &r)));
  struct ifreq rs[32]; struct ifconf ic = { .ifc_len = sizeof rs, .ifc_req = rs };
  CHECK(ioctl(s, SIOCGIFCONF, &ic) == 0);
  for (int k = 0; k < ic.ifc_len / (int)sizeof(struct ifreq); k++)
    if (!strcmp(rs[k].ifr_name, "lo")) printf("SIOCGIFCONF lo %s\n", text(&rs[k].ifr_addr));
  close(s);
  printf("raw socket as non-root-capable: %s\n", socket(AF_INET, SOCK_STREAM, 99) < 0 ? "refused" : "made");
  printf("socketpair AF_INET: %d\n", ERR(socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0})));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGPIPE, on_pipe);
  tcp(AF_INET);
  tcp(AF_INET6);
  udp(AF_INET);
  udp(AF_INET6);
  mapped();
  interfaces();
  printf("sigpipes %d\n", sigpipes);
  return 0;
}
