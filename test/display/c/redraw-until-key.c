/*
 * A KMS client that never blocks (test/display/repaint-loop.test.ts): it scans out a
 * dumb buffer of the connector's preferred mode and, in a loop, changes one row and reports the whole screen with
 * DIRTYFB, reading /dev/input/event0 without blocking between reports. It stops at the first
 * key press ("key after N") or after MAX reports ("no key after N"). The host presses the key
 * only once the page has painted several frames, so the program ends early only if the
 * display's frames and acknowledgements keep flowing while it draws.
 * Built against the uapi headers (libdrm's drm.h, drm_mode.h) and <linux/input.h>.
 */
#include <fcntl.h>
#include <linux/input.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "drm.h"
#include "drm_mode.h"

#define U(p) ((uint64_t)(uintptr_t)(p))

static void die(const char *what) { perror(what); exit(1); }

int main(int argc, char **argv) {
  long max = argc > 1 ? atol(argv[1]) : 300000;
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
  if (fd < 0) die("open /dev/dri/card0");
  int kbd = open("/dev/input/event0", O_RDONLY | O_NONBLOCK);
  if (kbd < 0) die("open /dev/input/event0");
  uint32_t conns[4], crtcs[4], encs[4];
  struct drm_mode_card_res res = { .connector_id_ptr = U(conns), .count_connectors = 4, .crtc_id_ptr = U(crtcs), .count_crtcs = 4, .encoder_id_ptr = U(encs), .count_encoders = 4 };
  if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) die("GETRESOURCES");
  struct drm_mode_modeinfo modes[32];
  struct drm_mode_get_connector gc = { .connector_id = conns[0], .modes_ptr = U(modes), .count_modes = 32 };
  if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &gc)) die("GETCONNECTOR");
  if (gc.count_modes < 1) { fprintf(stderr, "no modes\n"); return 1; }
  int m = 0; /* the preferred mode comes first */
  unsigned W = modes[m].hdisplay, H = modes[m].vdisplay;
  struct drm_mode_create_dumb cd = { .width = W, .height = H, .bpp = 32 };
  if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) die("CREATE_DUMB");
  struct drm_mode_fb_cmd fb = { .width = W, .height = H, .pitch = cd.pitch, .bpp = 32, .depth = 24, .handle = cd.handle };
  if (ioctl(fd, DRM_IOCTL_MODE_ADDFB, &fb)) die("ADDFB");
  struct drm_mode_map_dumb md = { .handle = cd.handle };
  if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) die("MAP_DUMB");
  uint8_t *px = mmap(0, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, md.offset);
  if (px == MAP_FAILED) die("mmap");
  struct drm_mode_crtc sc = { .set_connectors_ptr = U(conns), .count_connectors = 1, .crtc_id = crtcs[0], .fb_id = fb.fb_id, .mode_valid = 1, .mode = modes[m] };
  if (ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &sc)) die("SETCRTC");
  struct drm_clip_rect all = { 0, 0, W, H };
  struct drm_mode_fb_dirty_cmd dirty = { .fb_id = fb.fb_id, .num_clips = 1, .clips_ptr = U(&all) };
  long n;
  for (n = 0; n < max; n++) {
    memset(px + (n % H) * cd.pitch, (int)(n * 7 & 0xff), cd.pitch);
    if (ioctl(fd, DRM_IOCTL_MODE_DIRTYFB, &dirty)) die("DIRTYFB");
    struct input_event ev;
    while (read(kbd, &ev, sizeof ev) == sizeof ev) {
      if (ev.type == EV_KEY && ev.value == 1) { printf("key after %ld\n", n); return 0; }
    }
  }
  printf("no key after %ld\n", n);
  return 0;
}
