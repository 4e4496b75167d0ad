/*
 * Drives /dev/input/event0 (keyboard) and event1 (pointer) through the evdev ioctls evdev,
 * libevdev and libinput issue, printing each answer as `name=value` lines (bitmaps in hex,
 * ioctl results as the return value or -errno), then reads the events the test injects.
 * The header constants it was compiled with are printed too (hdr.*), so the test compares
 * the engine's answers with <linux/input.h> of the build machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static int r(int ret) { return ret < 0 ? -errno : ret; }

static void hex(const char *name, const unsigned char *b, int n) {
  printf("%s=", name);
  for (int i = 0; i < n; i++) printf("%02x", b[i]);
  printf("\n");
}

static void probe(const char *tag, const char *path) {
  int fd = open(path, O_RDWR | O_NONBLOCK);
  printf("%s.open=%d\n", tag, fd < 0 ? -errno : 0);
  if (fd < 0) return;
  struct stat st;
  fstat(fd, &st);
  printf("%s.rdev=%u:%u\n", tag, major(st.st_rdev), minor(st.st_rdev));
  printf("%s.chr=%d\n", tag, S_ISCHR(st.st_mode));
  int v = 0;
  printf("%s.version.ret=%d\n", tag, r(ioctl(fd, EVIOCGVERSION, &v)));
  printf("%s.version=%#x\n", tag, v);
  struct input_id id;
  memset(&id, 0, sizeof id);
  printf("%s.id.ret=%d\n", tag, r(ioctl(fd, EVIOCGID, &id)));
  printf("%s.id=%04x:%04x:%04x:%04x\n", tag, id.bustype, id.vendor, id.product, id.version);
  char name[256];
  memset(name, 'x', sizeof name);
  int n = r(ioctl(fd, EVIOCGNAME(sizeof name), name));
  printf("%s.name.ret=%d\n%s.name=%s\n", tag, n, tag, n > 0 ? name : "");
  /* A short buffer: the kernel copies that many bytes, without the NUL. */
  memset(name, 0, sizeof name);
  n = r(ioctl(fd, EVIOCGNAME(4), name));
  printf("%s.name4.ret=%d\n%s.name4=%s\n", tag, n, tag, name);
  memset(name, 0, sizeof name);
  n = r(ioctl(fd, EVIOCGPHYS(sizeof name), name));
  printf("%s.phys.ret=%d\n%s.phys=%s\n", tag, n, tag, n > 0 ? name : "");
  printf("%s.uniq.ret=%d\n", tag, r(ioctl(fd, EVIOCGUNIQ(sizeof name), name)));
  unsigned char bits[128];
  memset(bits, 0, sizeof bits);
  n = r(ioctl(fd, EVIOCGPROP(sizeof bits), bits));
  printf("%s.prop.ret=%d\n", tag, n);
  if (n > 0) { char k[64]; snprintf(k, sizeof k, "%s.prop", tag); hex(k, bits, n); }
  for (int type = 0; type < EV_CNT; type++) {
    memset(bits, 0, sizeof bits);
    n = r(ioctl(fd, EVIOCGBIT(type, sizeof bits), bits));
    char k[64];
    snprintf(k, sizeof k, "%s.bit%02x.ret", tag, type);
    printf("%s=%d\n", k, n);
    if (n > 0) { snprintf(k, sizeof k, "%s.bit%02x", tag, type); hex(k, bits, n); }
  }
  memset(bits, 0, sizeof bits);
  printf("%s.bitkey_old.ret=%d\n", tag, r(ioctl(fd, EVIOCGBIT(EV_KEY, 0x1ff), bits)));
  printf("%s.bitkey4.ret=%d\n", tag, r(ioctl(fd, EVIOCGBIT(EV_KEY, 4), bits)));
  memset(bits, 0, sizeof bits);
  n = r(ioctl(fd, EVIOCGKEY(sizeof bits), bits));
  printf("%s.key.ret=%d\n", tag, n);
  n = r(ioctl(fd, EVIOCGLED(sizeof bits), bits));
  printf("%s.led.ret=%d\n", tag, n);
  printf("%s.sw.ret=%d\n", tag, r(ioctl(fd, EVIOCGSW(sizeof bits), bits)));
  printf("%s.snd.ret=%d\n", tag, r(ioctl(fd, EVIOCGSND(sizeof bits), bits)));
  unsigned int rep[2] = {0, 0};
  printf("%s.rep.ret=%d\n", tag, r(ioctl(fd, EVIOCGREP, rep)));
  printf("%s.rep=%u,%u\n", tag, rep[0], rep[1]);
  struct input_absinfo ai;
  for (int code = 0; code < 2; code++) {
    memset(&ai, 0x55, sizeof ai);
    int ret = r(ioctl(fd, EVIOCGABS(code), &ai));
    printf("%s.abs%d.ret=%d\n", tag, code, ret);
    if (ret == 0) printf("%s.abs%d=%d,%d,%d,%d,%d,%d\n", tag, code, ai.value, ai.minimum, ai.maximum, ai.fuzz, ai.flat, ai.resolution);
  }
  printf("%s.mtslots.ret=%d\n", tag, r(ioctl(fd, EVIOCGMTSLOTS(64), bits)));
  int eff = -1;
  int effret = r(ioctl(fd, EVIOCGEFFECTS, &eff));
  printf("%s.effects.ret=%d\n%s.effects=%d\n", tag, effret, tag, eff);
  printf("%s.rmff.ret=%d\n", tag, r(ioctl(fd, EVIOCRMFF, 0)));
  printf("%s.grab.ret=%d\n", tag, r(ioctl(fd, EVIOCGRAB, 1)));
  printf("%s.grab2.ret=%d\n", tag, r(ioctl(fd, EVIOCGRAB, 1)));
  printf("%s.ungrab.ret=%d\n", tag, r(ioctl(fd, EVIOCGRAB, 0)));
  printf("%s.ungrab2.ret=%d\n", tag, r(ioctl(fd, EVIOCGRAB, 0)));
  int clk = CLOCK_MONOTONIC;
  printf("%s.clock.ret=%d\n", tag, r(ioctl(fd, EVIOCSCLOCKID, &clk)));
  clk = 5; /* CLOCK_REALTIME_COARSE: not one evdev takes */
  printf("%s.clockbad.ret=%d\n", tag, r(ioctl(fd, EVIOCSCLOCKID, &clk)));
  unsigned char mask[96];
  struct input_mask im = { .type = EV_KEY, .codes_size = sizeof mask, .codes_ptr = (unsigned long)mask };
  memset(mask, 0, sizeof mask);
  printf("%s.gmask.ret=%d\n", tag, r(ioctl(fd, EVIOCGMASK, &im)));
  printf("%s.gmask.first=%02x\n", tag, mask[0]);
  im.type = EV_REP;
  printf("%s.smaskrep.ret=%d\n", tag, r(ioctl(fd, EVIOCSMASK, &im)));
  printf("%s.bad.ret=%d\n", tag, r(ioctl(fd, _IOR('E', 0x05, int), &v)));
  printf("%s.keycode.ret=%d\n", tag, r(ioctl(fd, EVIOCGKEYCODE, rep)));
  printf("%s.tcgets.ret=%d\n", tag, r(ioctl(fd, 0x5401, bits)));
  char small[16];
  printf("%s.shortread.ret=%d\n", tag, (int)(read(fd, small, 8) < 0 ? -errno : 0));
  printf("%s.emptyread.ret=%d\n", tag, (int)(read(fd, small, 16) < 0 ? -errno : 0));
  struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
  poll(&p, 1, 0);
  printf("%s.poll=%#x\n", tag, p.revents);
  close(fd);
}

int main(int argc, char **argv) {
  printf("hdr.version=%#x\nhdr.event=%zu\nhdr.absinfo=%zu\nhdr.EV_CNT=%d\nhdr.KEY_MAX=%#x\n", EV_VERSION, sizeof(struct input_event), sizeof(struct input_absinfo), EV_CNT, KEY_MAX);
  printf("hdr.BTN_LEFT=%#x\nhdr.REL_WHEEL=%d\nhdr.BUS_VIRTUAL=%d\n", BTN_LEFT, REL_WHEEL, BUS_VIRTUAL);
  printf("hdr.EVIOCGABS0=%#lx\nhdr.EVIOCGBIT_KEY_96=%#lx\nhdr.EVIOCSCLOCKID=%#lx\nhdr.EVIOCGRAB=%#lx\n", (unsigned long)EVIOCGABS(0), (unsigned long)EVIOCGBIT(EV_KEY, 96), (unsigned long)EVIOCSCLOCKID, (unsigned long)EVIOCGRAB);
  if (argc > 1 && strcmp(argv[1], "probe") == 0) {
    probe("kbd", "/dev/input/event0");
    probe("ptr", "/dev/input/event1");
    return 0;
  }
  /* events: read N events from each device in turn, blocking, printing type code value. */
  int kbd = open("/dev/input/event0", O_RDONLY);
  int ptr = open("/dev/input/event1", O_RDONLY);
  /* Program an LED through write(2), as X does, and read it back with EVIOCGLED. */
  struct input_event led[2];
  memset(led, 0, sizeof led);
  led[0].type = EV_LED; led[0].code = LED_CAPSL; led[0].value = 1;
  led[1].type = EV_SYN; led[1].code = SYN_REPORT;
  int kbdw = open("/dev/input/event0", O_WRONLY);
  printf("ledwrite=%d\n", (int)write(kbdw, led, sizeof led));
  unsigned char ledbits[4] = {0};
  int ledret = r(ioctl(kbdw, EVIOCGLED(4), ledbits));
  printf("ledget=%d %02x\n", ledret, ledbits[0]);
  close(kbdw);
  /* The LED report reached this reader too (every client sees injected events). */
  struct input_event ev[8];
  int n = read(kbd, ev, sizeof ev);
  printf("ledread=%d type=%d code=%d value=%d\n", n, ev[0].type, ev[0].code, ev[0].value);
  printf("READY\n");
  fflush(stdout);
  int want = argc > 1 ? atoi(argv[1]) : 4;
  struct pollfd pf[2] = { { kbd, POLLIN, 0 }, { ptr, POLLIN, 0 } };
  int got = 0;
  while (got < want) {
    if (poll(pf, 2, -1) < 0) { perror("poll"); return 1; }
    for (int i = 0; i < 2; i++) {
      if (!(pf[i].revents & POLLIN)) continue;
      n = read(i ? ptr : kbd, ev, sizeof ev);
      for (int j = 0; j < n / (int)sizeof ev[0]; j++) {
        printf("%s %d %d %d t=%ld.%06ld\n", i ? "ptr" : "kbd", ev[j].type, ev[j].code, ev[j].value, (long)ev[j].time.tv_sec, (long)ev[j].time.tv_usec);
        if (ev[j].type == EV_SYN) got++;
      }
      fflush(stdout);
    }
  }
  return 0;
}
