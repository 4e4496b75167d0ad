/*
 * A KMS client that never blocks (test/display/repaint-loop.test.ts): it scans out a
 * dumb buffer of the connector's preferred mode and, in a loop, changes one row and reports the whole screen with
 * DIRTYFB, reading /dev/input/event0 without blocking between reports. It stops at the first
 * key press ("key after N") or after MAX reports ("no key after N"). The host presses the key
 * only once the page has painted several frames, so the program ends early only if the
 * display's frames and acknowledgements keep flowing while it draws.
 * Built against the uapi headers (libdrm's drm.h, drm_mode.h: kms-scanout.h) and <linux/input.h>.
 */
#include <linux/input.h>
#include "kms-scanout.h"

int main(int argc, char **argv) {
  long max = argc > 1 ? atol(argv[1]) : 300000;
  struct scanout s;
  scanout_open(&s, 0, 0); /* the preferred mode comes first */
  int kbd = open("/dev/input/event0", O_RDONLY | O_NONBLOCK);
  if (kbd < 0) die("open /dev/input/event0");
  long n;
  for (n = 0; n < max; n++) {
    scanout_redraw(&s, n);
    struct input_event ev;
    while (read(kbd, &ev, sizeof ev) == sizeof ev) {
      if (ev.type == EV_KEY && ev.value == 1) { printf("key after %ld\n", n); return 0; }
    }
  }
  printf("no key after %ld\n", n);
  return 0;
}
