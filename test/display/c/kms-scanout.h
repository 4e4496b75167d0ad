/*
 * Scanning out a dumb buffer on /dev/dri/card0, as a KMS client written against the uapi
 * headers (libdrm's drm.h and drm_mode.h) does it: GETRESOURCES, GETCONNECTOR, CREATE_DUMB,
 * ADDFB, MAP_DUMB + mmap, SETCRTC. Shared by test/display/c/redraw-until-key.c and
 * bench/c/kms-repaint.c (both built with -I libdrm-dev's include/libdrm).
 */
#ifndef KMS_SCANOUT_H
#define KMS_SCANOUT_H
#include <fcntl.h>
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

struct scanout {
  int fd;
  unsigned width, height, pitch;
  uint8_t *px;
  /* DIRTYFB of the whole screen (the repaint path Xorg's modesetting driver takes). */
  struct drm_clip_rect all;
  struct drm_mode_fb_dirty_cmd dirty;
};

/* Scans out a width x height XRGB8888 buffer (0 x 0: the connector's preferred mode, its first). */
static void scanout_open(struct scanout *s, unsigned width, unsigned height) {
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
  if (fd < 0) die("open /dev/dri/card0");
  uint32_t conns[4], crtcs[4], encs[4];
  struct drm_mode_card_res res = { .connector_id_ptr = U(conns), .count_connectors = 4, .crtc_id_ptr = U(crtcs), .count_crtcs = 4, .encoder_id_ptr = U(encs), .count_encoders = 4 };
  if (ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res)) die("GETRESOURCES");
  struct drm_mode_modeinfo modes[32];
  struct drm_mode_get_connector gc = { .connector_id = conns[0], .modes_ptr = U(modes), .count_modes = 32 };
  if (ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &gc)) die("GETCONNECTOR");
  int m = -1;
  for (unsigned i = 0; i < gc.count_modes && i < 32; i++) {
    if (width == 0 || (modes[i].hdisplay == width && modes[i].vdisplay == height)) { m = i; break; }
  }
  if (m < 0) { fprintf(stderr, "no %ux%u mode\n", width, height); exit(1); }
  unsigned w = modes[m].hdisplay, h = modes[m].vdisplay;
  struct drm_mode_create_dumb cd = { .width = w, .height = h, .bpp = 32 };
  if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)) die("CREATE_DUMB");
  struct drm_mode_fb_cmd fb = { .width = w, .height = h, .pitch = cd.pitch, .bpp = 32, .depth = 24, .handle = cd.handle };
  if (ioctl(fd, DRM_IOCTL_MODE_ADDFB, &fb)) die("ADDFB");
  struct drm_mode_map_dumb md = { .handle = cd.handle };
  if (ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &md)) die("MAP_DUMB");
  uint8_t *px = mmap(0, cd.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, md.offset);
  if (px == MAP_FAILED) die("mmap");
  struct drm_mode_crtc sc = { .set_connectors_ptr = U(conns), .count_connectors = 1, .crtc_id = crtcs[0], .fb_id = fb.fb_id, .mode_valid = 1, .mode = modes[m] };
  if (ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &sc)) die("SETCRTC");
  *s = (struct scanout){ .fd = fd, .width = w, .height = h, .pitch = cd.pitch, .px = px, .all = { 0, 0, w, h } };
  s->dirty = (struct drm_mode_fb_dirty_cmd){ .fb_id = fb.fb_id, .num_clips = 1, .clips_ptr = U(&s->all) };
}

/* A new grey level in row n % height, then the whole screen reported: drawing all of it in the
 * guest would measure the guest's memset, not the display. */
static void scanout_redraw(struct scanout *s, long n) {
  memset(s->px + (n % s->height) * s->pitch, (int)(n * 7 & 0xff), s->pitch);
  if (ioctl(s->fd, DRM_IOCTL_MODE_DIRTYFB, &s->dirty)) die("DIRTYFB");
}
#endif
