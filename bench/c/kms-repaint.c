/*
 * The repaint benchmark's guest (bench/browser-desktop.ts): a KMS client written against the
 * uapi headers (libdrm's drm.h and drm_mode.h) that scans out a 1024x768 XRGB8888 dumb buffer
 * and, for SECONDS seconds, changes it (one row gets a new grey level each time: drawing the
 * whole 3 MiB in the guest would measure the guest's memset, not the display) and reports the
 * whole screen with DIRTYFB, as fast as it can. Each report makes the device copy and convert
 * the whole screen; it coalesces them to the refresh and the worker keeps one frame in
 * flight, so what the page paints per second is the throughput of full-screen updates from a
 * guest buffer to the canvas.
 * Prints "drawn N" (frames the guest drew) at the end.
 */
#include <time.h>
#include "../../test/display/c/kms-scanout.h"

#define W 1024
#define H 768

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5;
  struct scanout s;
  scanout_open(&s, W, H);
  printf("scanning out\n");
  fflush(stdout);
  long drawn = 0;
  double end = now() + seconds;
  while (now() < end) scanout_redraw(&s, drawn++);
  printf("drawn %ld\n", drawn);
  close(s.fd);
  return 0;
}
