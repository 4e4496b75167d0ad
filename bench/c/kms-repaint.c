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
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "drm.h"
#include "drm_mode.h"

#define U(p) ((uint64_t)(uintptr_t)(p))
#define W 1024
#define H 768

static void die(const char *what) { perror(what); exit(1); }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5;
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
  if (fd < 0) die("open /dev/dri/card0");
  uint32_t conns[4], crtcs[4], encs[4];
  struct drm_mode_card_res res = { .connector_id_ptr = U(conns), .count_connectors = 4, .crtc_id_ptr = U(crtcs), .count_crtcs = 4, .encoder_id_ptr = U(encs), .count_encoders = 4 };
  if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) die("GETRESOURCES");
  struct drm_mode_modeinfo modes[32];
  struct drm_mode_get_connector gc = { .connector_id = conns[0], .modes_ptr = U(modes), .count_modes = 32 };
  if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &gc)) die("GETCONNECTOR");
  int m = -1;
  for (unsigned i = 0; i < gc.count_modes && i < 32; i++) if (modes[i].hdisplay == W && modes[i].vdisplay == H) { m = i; break; }
  if (m < 0) { fprintf(stderr, "no %dx%d mode\n", W, H); return 1; }
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
  printf("scanning out\n");
  fflush(stdout);
  struct drm_clip_rect all = { 0, 0, W, H };
  struct drm_mode_fb_dirty_cmd dirty = { .fb_id = fb.fb_id, .num_clips = 1, .clips_ptr = U(&all) };
  long drawn = 0;
  double end = now() + seconds;
  while (now() < end) {
    memset(px + (drawn % H) * cd.pitch, (int)(drawn * 7 & 0xff), cd.pitch);
    if (ioctl(fd, DRM_IOCTL_MODE_DIRTYFB, &dirty)) die("DIRTYFB");
    drawn++;
  }
  printf("drawn %ld\n", drawn);
  close(fd);
  return 0;
}
