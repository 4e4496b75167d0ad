/*
 * A KMS client written against the kernel's uapi headers alone (libdrm's drm.h and
 * drm_mode.h), issuing the ioctls by hand as libdrm does: the probe Xorg's modesetting
 * driver makes (shared/reference/kms §2.2), a mode set on a dumb buffer it draws into, the
 * repaint path (DIRTYFB), a page flip with its event, vblank waits, the cursor, and bad
 * input of every kind. It prints one line per step: what the call returned (or the errno
 * name) and the values that matter, so the test can compare the transcript with what the
 * reference and the kernel sources say. The last step closes the device while it scans
 * out; the pixel checks happen on the host side (the display sink).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "drm.h"
#include "drm_mode.h"

static const char *ename(int e) {
  switch (e) {
    case 0: return "0"; case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT"; case EACCES: return "EACCES"; case EBUSY: return "EBUSY"; case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC"; case ERANGE: return "ERANGE"; case ENOSYS: return "ENOSYS"; case ENOTTY: return "ENOTTY";
    case EOPNOTSUPP: return "EOPNOTSUPP"; case EAGAIN: return "EAGAIN"; case ENXIO: return "ENXIO";
  }
  static char b[16];
  snprintf(b, sizeof b, "errno%d", e);
  return b;
}

/* drmIoctl: restart on EINTR/EAGAIN; returns 0 or the errno. */
static int io(int fd, unsigned long req, void *arg) {
  int r;
  do r = ioctl(fd, req, arg); while (r == -1 && (errno == EINTR || errno == EAGAIN));
  return r == -1 ? errno : 0;
}
#define P(...) printf(__VA_ARGS__)
#define U(p) ((uint64_t)(uintptr_t)(p))

static uint64_t cap(int fd, uint64_t c, int *err) {
  struct drm_get_cap g = { .capability = c };
  *err = io(fd, DRM_IOCTL_GET_CAP, &g);
  return g.value;
}

int main(void) {
  int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);
  if (fd < 0) { P("open %s\n", ename(errno)); return 1; }
  struct stat st;
  fstat(fd, &st);
  P("node chr=%d %u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));

  /* drmGetVersion: lengths first, then the strings. */
  struct drm_version v = { 0 };
  int e = io(fd, DRM_IOCTL_VERSION, &v);
  char name[64] = { 0 }, date[64] = { 0 }, desc[128] = { 0 };
  P("version %s %d.%d.%d name_len=%zu date_len=%zu desc_len=%zu\n", ename(e), v.version_major, v.version_minor, v.version_patchlevel, v.name_len, v.date_len, v.desc_len);
  v.name = name; v.date = date; v.desc = desc;
  e = io(fd, DRM_IOCTL_VERSION, &v);
  P("version %s name=%s\n", ename(e), name);
  struct drm_version vs = { .name_len = 3, .name = name };
  memset(name, 0, sizeof name);
  e = io(fd, DRM_IOCTL_VERSION, &vs);
  P("version short buffer %s name=%s name_len=%zu\n", ename(e), name, vs.name_len);
  struct drm_version vbad = { .name_len = 10, .name = (char *)16 };
  P("version bad pointer %s\n", ename(io(fd, DRM_IOCTL_VERSION, &vbad)));

  static const struct { uint64_t c; const char *n; } caps[] = {
    { DRM_CAP_DUMB_BUFFER, "DUMB_BUFFER" }, { DRM_CAP_DUMB_PREFERRED_DEPTH, "DUMB_PREFERRED_DEPTH" },
    { DRM_CAP_DUMB_PREFER_SHADOW, "DUMB_PREFER_SHADOW" }, { DRM_CAP_PRIME, "PRIME" },
    { DRM_CAP_TIMESTAMP_MONOTONIC, "TIMESTAMP_MONOTONIC" }, { DRM_CAP_ASYNC_PAGE_FLIP, "ASYNC_PAGE_FLIP" },
    { DRM_CAP_CURSOR_WIDTH, "CURSOR_WIDTH" }, { DRM_CAP_CURSOR_HEIGHT, "CURSOR_HEIGHT" },
    { DRM_CAP_ADDFB2_MODIFIERS, "ADDFB2_MODIFIERS" }, { DRM_CAP_CRTC_IN_VBLANK_EVENT, "CRTC_IN_VBLANK_EVENT" }, { 0x99, "0x99" },
  };
  for (unsigned i = 0; i < sizeof caps / sizeof caps[0]; i++) {
    uint64_t val = cap(fd, caps[i].c, &e);
    P("cap %s %s %llu\n", caps[i].n, ename(e), (unsigned long long)val);
  }
  struct drm_set_client_cap cc = { .capability = DRM_CLIENT_CAP_ATOMIC, .value = 0 };
  P("client cap ATOMIC %s\n", ename(io(fd, DRM_IOCTL_SET_CLIENT_CAP, &cc)));
  cc.capability = DRM_CLIENT_CAP_UNIVERSAL_PLANES; cc.value = 2;
  P("client cap UNIVERSAL_PLANES=2 %s\n", ename(io(fd, DRM_IOCTL_SET_CLIENT_CAP, &cc)));

  /* drmModeGetResources: counts, then arrays. */
  struct drm_mode_card_res res = { 0 };
  e = io(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
  P("resources %s fbs=%u crtcs=%u connectors=%u encoders=%u min=%ux%u max=%ux%u\n", ename(e), res.count_fbs, res.count_crtcs,
    res.count_connectors, res.count_encoders, res.min_width, res.min_height, res.max_width, res.max_height);
  uint32_t crtc_id, conn_id, enc_id;
  res.crtc_id_ptr = U(&crtc_id); res.connector_id_ptr = U(&conn_id); res.encoder_id_ptr = U(&enc_id);
  e = io(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
  P("resources %s crtc=%u connector=%u encoder=%u\n", ename(e), crtc_id, conn_id, enc_id);

  /* drmModeGetConnector. */
  struct drm_mode_get_connector c = { .connector_id = conn_id };
  e = io(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c);
  P("connector %s type=%u type_id=%u connection=%u modes=%u props=%u encoders=%u mm=%ux%u subpixel=%u\n", ename(e), c.connector_type,
    c.connector_type_id, c.connection, c.count_modes, c.count_props, c.count_encoders, c.mm_width, c.mm_height, c.subpixel);
  struct drm_mode_modeinfo modes[16];
  uint32_t props[8], encs[4];
  uint64_t vals[8];
  c.modes_ptr = U(modes); c.props_ptr = U(props); c.prop_values_ptr = U(vals); c.encoders_ptr = U(encs);
  e = io(fd, DRM_IOCTL_MODE_GETCONNECTOR, &c);
  P("connector %s encoder0=%u\n", ename(e), encs[0]);
  for (unsigned i = 0; i < c.count_modes && i < 16; i++) {
    struct drm_mode_modeinfo *m = &modes[i];
    P("mode %s %u %u %u %u %u %u %u %u %u vrefresh=%u flags=%#x type=%#x\n", m->name, m->clock, m->hdisplay, m->hsync_start, m->hsync_end,
      m->htotal, m->vdisplay, m->vsync_start, m->vsync_end, m->vtotal, m->vrefresh, m->flags, m->type);
  }
  for (unsigned i = 0; i < c.count_props && i < 8; i++) {
    struct drm_mode_get_property gp = { .prop_id = props[i] };
    e = io(fd, DRM_IOCTL_MODE_GETPROPERTY, &gp);
    uint64_t pv[8] = { 0 };
    struct drm_mode_property_enum en[8];
    memset(en, 0, sizeof en);
    gp.values_ptr = U(pv); gp.enum_blob_ptr = U(en);
    e = io(fd, DRM_IOCTL_MODE_GETPROPERTY, &gp);
    P("property %u %s %s flags=%#x value=%llu values=%u enums=%u:", props[i], ename(e), gp.name, gp.flags, (unsigned long long)vals[i], gp.count_values, gp.count_enum_blobs);
    for (unsigned j = 0; j < gp.count_enum_blobs && j < 8; j++) P(" %llu=%s", (unsigned long long)en[j].value, en[j].name);
    for (unsigned j = 0; !gp.count_enum_blobs && j < gp.count_values && j < 8; j++) P(" %llu", (unsigned long long)pv[j]);
    P("\n");
  }
  struct drm_mode_get_property gp = { .prop_id = 9999 };
  P("property 9999 %s\n", ename(io(fd, DRM_IOCTL_MODE_GETPROPERTY, &gp)));

  struct drm_mode_get_encoder en = { .encoder_id = enc_id };
  e = io(fd, DRM_IOCTL_MODE_GETENCODER, &en);
  P("encoder %s type=%u crtc=%u possible_crtcs=%u possible_clones=%u\n", ename(e), en.encoder_type, en.crtc_id, en.possible_crtcs, en.possible_clones);
  struct drm_mode_crtc cr = { .crtc_id = crtc_id };
  e = io(fd, DRM_IOCTL_MODE_GETCRTC, &cr);
  P("crtc %s fb=%u mode_valid=%u gamma_size=%u\n", ename(e), cr.fb_id, cr.mode_valid, cr.gamma_size);
  struct drm_mode_obj_get_properties op = { .obj_id = crtc_id, .obj_type = DRM_MODE_OBJECT_CRTC };
  e = io(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op);
  P("crtc properties %s count=%u\n", ename(e), op.count_props);
  op = (struct drm_mode_obj_get_properties){ .obj_id = conn_id, .obj_type = DRM_MODE_OBJECT_CONNECTOR };
  e = io(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op);
  P("connector properties %s count=%u\n", ename(e), op.count_props);
  op = (struct drm_mode_obj_get_properties){ .obj_id = enc_id, .obj_type = DRM_MODE_OBJECT_ENCODER };
  P("encoder properties %s\n", ename(io(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op)));
  op = (struct drm_mode_obj_get_properties){ .obj_id = crtc_id, .obj_type = DRM_MODE_OBJECT_CONNECTOR };
  P("crtc as connector properties %s\n", ename(io(fd, DRM_IOCTL_MODE_OBJ_GETPROPERTIES, &op)));
  struct drm_mode_get_plane_res pr = { 0 };
  e = io(fd, DRM_IOCTL_MODE_GETPLANERESOURCES, &pr);
  P("planes %s count=%u\n", ename(e), pr.count_planes);

  /* The modesetting driver's 24/32 probe: a 1x1 buffer and framebuffer (reference trace: pitch 64, size 4096). */
  struct drm_mode_create_dumb cd = { .width = 1, .height = 1, .bpp = 32 };
  e = io(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd);
  P("create 1x1 %s handle=%u pitch=%u size=%llu\n", ename(e), cd.handle, cd.pitch, (unsigned long long)cd.size);
  struct drm_mode_fb_cmd fc = { .width = 1, .height = 1, .pitch = cd.pitch, .bpp = 32, .depth = 24, .handle = cd.handle };
  e = io(fd, DRM_IOCTL_MODE_ADDFB, &fc);
  P("addfb 1x1 %s fb=%s\n", ename(e), fc.fb_id >= 1 ? "id" : "0");
  uint32_t probe_fb = fc.fb_id;
  P("rmfb %s\n", ename(io(fd, DRM_IOCTL_MODE_RMFB, &probe_fb)));
  P("rmfb again %s\n", ename(io(fd, DRM_IOCTL_MODE_RMFB, &probe_fb)));
  struct drm_mode_destroy_dumb dd = { .handle = cd.handle };
  P("destroy %s\n", ename(io(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd)));
  P("destroy again %s\n", ename(io(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &dd)));

  /* Bad dumb buffers. */
  cd = (struct drm_mode_create_dumb){ .width = 0, .height = 10, .bpp = 32 };
  P("create 0x10 %s\n", ename(io(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)));
  cd = (struct drm_mode_create_dumb){ .width = 100000, .height = 100000, .bpp = 32 };
  P("create 100000x100000 %s\n", ename(io(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)));
  cd = (struct drm_mode_create_dumb){ .width = 16384, .height = 16384, .bpp = 32 };
  P("create 16384x16384 %s\n", ename(io(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cd)));

  /* The front buffer: 1024x768 (reference trace: pitch 4096, size 3145728). */
  unsigned W = modes[0].hdisplay, H = modes[0].vdisplay;
  struct drm_mode_create_dumb front = { .width = W, .height = H, .bpp = 32 };
  e = io(fd, DRM_IOCTL_MODE_CREATE_DUMB, &front);
  P("create %ux%u %s pitch=%u size=%llu\n", W, H, ename(e), front.pitch, (unsigned long long)front.size);
  struct drm_mode_map_dumb md = { .handle = front.handle };
  e = io(fd, DRM_IOCTL_MODE_MAP_DUMB, &md);
  P("map %s page_aligned=%d\n", ename(e), (md.offset & 4095) == 0);
  struct drm_mode_map_dumb mbad = { .handle = 777 };
  P("map bad handle %s\n", ename(io(fd, DRM_IOCTL_MODE_MAP_DUMB, &mbad)));
  void *bad = mmap(0, front.size + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, md.offset);
  P("mmap past the buffer %s\n", bad == MAP_FAILED ? ename(errno) : "mapped");
  bad = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, md.offset + 4096);
  P("mmap inside the buffer %s\n", bad == MAP_FAILED ? ename(errno) : "mapped");
  bad = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, md.offset);
  P("mmap private %s\n", bad == MAP_FAILED ? ename(errno) : "mapped");
  bad = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0x7000000);
  P("mmap no buffer %s\n", bad == MAP_FAILED ? ename(errno) : "mapped");
  uint32_t *px = mmap(0, front.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, md.offset);
  P("mmap %s\n", px == MAP_FAILED ? ename(errno) : "ok");
  if (px == MAP_FAILED) return 1;
  int zero = 1;
  for (unsigned i = 0; i < front.size / 4; i++) zero &= px[i] == 0;
  P("fresh buffer zero=%d\n", zero);
  /* The pattern the host checks: x ^ y in blue, y in green, x in red (bytes B,G,R,X). */
  for (unsigned y = 0; y < H; y++)
    for (unsigned x = 0; x < W; x++) px[y * (front.pitch / 4) + x] = ((x & 0xff) << 16) | ((y & 0xff) << 8) | ((x ^ y) & 0xff);

  /* Framebuffers: bad ones first (drm_mode_addfb2's checks). */
  fc = (struct drm_mode_fb_cmd){ .width = W, .height = H, .pitch = front.pitch, .bpp = 32, .depth = 8, .handle = front.handle };
  P("addfb depth 8 %s\n", ename(io(fd, DRM_IOCTL_MODE_ADDFB, &fc)));
  fc.depth = 24; fc.handle = 4242;
  P("addfb no such handle %s\n", ename(io(fd, DRM_IOCTL_MODE_ADDFB, &fc)));
  fc.handle = front.handle; fc.pitch = 16;
  P("addfb small pitch %s\n", ename(io(fd, DRM_IOCTL_MODE_ADDFB, &fc)));
  fc.pitch = front.pitch; fc.height = H + 100;
  P("addfb taller than the buffer %s\n", ename(io(fd, DRM_IOCTL_MODE_ADDFB, &fc)));
  fc.height = H;
  e = io(fd, DRM_IOCTL_MODE_ADDFB, &fc);
  P("addfb %s\n", ename(e));
  uint32_t fb1 = fc.fb_id;
  struct drm_mode_fb_cmd gf = { .fb_id = fb1 };
  e = io(fd, DRM_IOCTL_MODE_GETFB, &gf);
  P("getfb %s %ux%u pitch=%u bpp=%u depth=%u same_handle=%d\n", ename(e), gf.width, gf.height, gf.pitch, gf.bpp, gf.depth, gf.handle == front.handle);
  res = (struct drm_mode_card_res){ 0 };
  io(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
  P("resources fbs=%u\n", res.count_fbs);

  /* A second opener is not master. */
  int fd2 = open("/dev/dri/card0", O_RDWR);
  struct drm_mode_crtc sc = { .crtc_id = crtc_id, .fb_id = fb1, .set_connectors_ptr = U(&conn_id), .count_connectors = 1, .mode_valid = 1, .mode = modes[0] };
  P("second file setcrtc %s\n", ename(io(fd2, DRM_IOCTL_MODE_SETCRTC, &sc)));
  P("second file set master %s\n", ename(io(fd2, DRM_IOCTL_SET_MASTER, 0)));
  P("second file drop master %s\n", ename(io(fd2, DRM_IOCTL_DROP_MASTER, 0)));
  P("second file mmap of the first's buffer %s\n", mmap(0, 4096, PROT_READ, MAP_SHARED, fd2, md.offset) == MAP_FAILED ? ename(errno) : "mapped");
  close(fd2);

  /* The mode set, with bad variants first (drm_mode_setcrtc). */
  struct drm_mode_crtc s2 = sc;
  s2.fb_id = 999;
  P("setcrtc no such fb %s\n", ename(io(fd, DRM_IOCTL_MODE_SETCRTC, &s2)));
  s2 = sc; s2.x = 0x10000;
  P("setcrtc x out of range %s\n", ename(io(fd, DRM_IOCTL_MODE_SETCRTC, &s2)));
  s2 = sc; s2.x = 8;
  P("setcrtc viewport past the fb %s\n", ename(io(fd, DRM_IOCTL_MODE_SETCRTC, &s2)));
  s2 = sc; s2.count_connectors = 0;
  P("setcrtc mode without connectors %s\n", ename(io(fd, DRM_IOCTL_MODE_SETCRTC, &s2)));
  s2 = sc; s2.crtc_id = conn_id;
  P("setcrtc on a connector id %s\n", ename(io(fd, DRM_IOCTL_MODE_SETCRTC, &s2)));
  e = io(fd, DRM_IOCTL_MODE_SETCRTC, &sc);
  P("setcrtc %s\n", ename(e));
  cr = (struct drm_mode_crtc){ .crtc_id = crtc_id };
  io(fd, DRM_IOCTL_MODE_GETCRTC, &cr);
  P("crtc fb=current:%d mode_valid=%u mode=%s\n", cr.fb_id == fb1, cr.mode_valid, cr.mode.name);
  en = (struct drm_mode_get_encoder){ .encoder_id = enc_id };
  io(fd, DRM_IOCTL_MODE_GETENCODER, &en);
  P("encoder crtc=%u\n", en.crtc_id);

  /* The repaint path. */
  struct drm_mode_fb_dirty_cmd dc = { .fb_id = 0 };
  P("dirtyfb fb 0 %s\n", ename(io(fd, DRM_IOCTL_MODE_DIRTYFB, &dc)));
  struct drm_clip_rect clip = { 0, 0, 16, 16 };
  for (unsigned y = 0; y < 16; y++) for (unsigned x = 0; x < 16; x++) px[y * (front.pitch / 4) + x] = 0x00ff00ff;
  dc = (struct drm_mode_fb_dirty_cmd){ .fb_id = fb1, .num_clips = 1, .clips_ptr = U(&clip) };
  P("dirtyfb %s\n", ename(io(fd, DRM_IOCTL_MODE_DIRTYFB, &dc)));
  dc.num_clips = 300;
  P("dirtyfb 300 clips %s\n", ename(io(fd, DRM_IOCTL_MODE_DIRTYFB, &dc)));
  dc.num_clips = 1; dc.clips_ptr = 0;
  P("dirtyfb clips without pointer %s\n", ename(io(fd, DRM_IOCTL_MODE_DIRTYFB, &dc)));
  dc.clips_ptr = 8;
  P("dirtyfb bad clip pointer %s\n", ename(io(fd, DRM_IOCTL_MODE_DIRTYFB, &dc)));

  /* Vblanks. */
  union drm_wait_vblank vb = { .request = { .type = _DRM_VBLANK_RELATIVE, .sequence = 0 } };
  e = io(fd, DRM_IOCTL_WAIT_VBLANK, &vb);
  unsigned seq0 = vb.reply.sequence;
  vb = (union drm_wait_vblank){ .request = { .type = _DRM_VBLANK_RELATIVE, .sequence = 2 } };
  e = io(fd, DRM_IOCTL_WAIT_VBLANK, &vb);
  P("wait vblank +2 %s advanced=%d\n", ename(e), vb.reply.sequence - seq0 >= 2 && vb.reply.sequence - seq0 < 1000);
  vb = (union drm_wait_vblank){ .request = { .type = _DRM_VBLANK_SIGNAL } };
  P("wait vblank signal %s\n", ename(io(fd, DRM_IOCTL_WAIT_VBLANK, &vb)));
  vb = (union drm_wait_vblank){ .request = { .type = _DRM_VBLANK_RELATIVE | _DRM_VBLANK_EVENT, .sequence = 1, .signal = 0x5678 } };
  P("wait vblank event %s\n", ename(io(fd, DRM_IOCTL_WAIT_VBLANK, &vb)));
  struct pollfd pf = { .fd = fd, .events = POLLIN };
  int pn = poll(&pf, 1, 10000);
  P("poll %d revents=%#x\n", pn, pf.revents);
  char small[16];
  P("read short buffer %zd\n", read(fd, small, sizeof small));
  struct drm_event_vblank ev;
  ssize_t n = read(fd, &ev, sizeof ev);
  P("read %zd type=%u length=%u user_data=%#llx crtc=%u\n", n, ev.base.type, ev.base.length, (unsigned long long)ev.user_data, ev.crtc_id);

  /* A page flip to a second buffer, with its event. */
  struct drm_mode_create_dumb back = { .width = W, .height = H, .bpp = 32 };
  io(fd, DRM_IOCTL_MODE_CREATE_DUMB, &back);
  struct drm_mode_map_dumb mb = { .handle = back.handle };
  io(fd, DRM_IOCTL_MODE_MAP_DUMB, &mb);
  uint32_t *bx = mmap(0, back.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, mb.offset);
  for (unsigned i = 0; i < back.size / 4; i++) bx[i] = 0x00336699;
  struct drm_mode_fb_cmd fc2 = { .width = W, .height = H, .pitch = back.pitch, .bpp = 32, .depth = 24, .handle = back.handle };
  io(fd, DRM_IOCTL_MODE_ADDFB, &fc2);
  struct drm_mode_crtc_page_flip fl = { .crtc_id = crtc_id, .fb_id = fc2.fb_id, .flags = DRM_MODE_PAGE_FLIP_EVENT, .user_data = 0x1234 };
  P("page flip %s\n", ename(io(fd, DRM_IOCTL_MODE_PAGE_FLIP, &fl)));
  P("page flip again %s\n", ename(io(fd, DRM_IOCTL_MODE_PAGE_FLIP, &fl)));
  n = read(fd, &ev, sizeof ev);
  P("flip event %zd type=%u user_data=%#llx crtc=%u\n", n, ev.base.type, (unsigned long long)ev.user_data, ev.crtc_id);
  fl.flags = DRM_MODE_PAGE_FLIP_ASYNC;
  P("page flip async %s\n", ename(io(fd, DRM_IOCTL_MODE_PAGE_FLIP, &fl)));
  fl.flags = 0x100;
  P("page flip bad flags %s\n", ename(io(fd, DRM_IOCTL_MODE_PAGE_FLIP, &fl)));
  fcntl(fd, F_SETFL, O_NONBLOCK);
  n = read(fd, &ev, sizeof ev);
  P("read nothing queued %zd %s\n", n, ename(errno));
  fcntl(fd, F_SETFL, 0);
  /* Back to the patterned buffer: the host checks it is what is shown. */
  fl = (struct drm_mode_crtc_page_flip){ .crtc_id = crtc_id, .fb_id = fb1, .flags = DRM_MODE_PAGE_FLIP_EVENT, .user_data = 2 };
  P("page flip back %s\n", ename(io(fd, DRM_IOCTL_MODE_PAGE_FLIP, &fl)));
  n = read(fd, &ev, sizeof ev);
  P("flip event %zd user_data=%llu\n", n, (unsigned long long)ev.user_data);

  /* The cursor plane. */
  struct drm_mode_create_dumb cur = { .width = 64, .height = 64, .bpp = 32 };
  io(fd, DRM_IOCTL_MODE_CREATE_DUMB, &cur);
  struct drm_mode_map_dumb mc = { .handle = cur.handle };
  io(fd, DRM_IOCTL_MODE_MAP_DUMB, &mc);
  uint32_t *cx = mmap(0, cur.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, mc.offset);
  for (unsigned i = 0; i < 64 * 64; i++) cx[i] = i < 64 * 32 ? 0xffff0000 : 0;
  struct drm_mode_cursor2 cu = { .flags = DRM_MODE_CURSOR_BO, .crtc_id = crtc_id, .width = 64, .height = 64, .handle = cur.handle, .hot_x = 3, .hot_y = 4 };
  P("cursor2 %s\n", ename(io(fd, DRM_IOCTL_MODE_CURSOR2, &cu)));
  struct drm_mode_cursor cm = { .flags = DRM_MODE_CURSOR_MOVE, .crtc_id = crtc_id, .x = 100, .y = 50 };
  P("cursor move %s\n", ename(io(fd, DRM_IOCTL_MODE_CURSOR, &cm)));
  cm.flags = 0;
  P("cursor no flags %s\n", ename(io(fd, DRM_IOCTL_MODE_CURSOR, &cm)));
  cm = (struct drm_mode_cursor){ .flags = DRM_MODE_CURSOR_BO, .crtc_id = crtc_id, .width = 65, .height = 65, .handle = cur.handle };
  P("cursor 65x65 %s\n", ename(io(fd, DRM_IOCTL_MODE_CURSOR, &cm)));

  /* Properties: DPMS, immutable and unknown ones. */
  struct drm_mode_connector_set_property sp = { .value = 3, .prop_id = 2, .connector_id = conn_id };
  P("dpms off %s\n", ename(io(fd, DRM_IOCTL_MODE_SETPROPERTY, &sp)));
  sp.value = 0;
  P("dpms on %s\n", ename(io(fd, DRM_IOCTL_MODE_SETPROPERTY, &sp)));
  sp.value = 7;
  P("dpms 7 %s\n", ename(io(fd, DRM_IOCTL_MODE_SETPROPERTY, &sp)));
  sp = (struct drm_mode_connector_set_property){ .value = 1, .prop_id = 4, .connector_id = conn_id };
  P("set immutable %s\n", ename(io(fd, DRM_IOCTL_MODE_SETPROPERTY, &sp)));

  /* Gamma. */
  uint16_t r[256], g[256], b[256];
  struct drm_mode_crtc_lut lut = { .crtc_id = crtc_id, .gamma_size = 256, .red = U(r), .green = U(g), .blue = U(b) };
  e = io(fd, DRM_IOCTL_MODE_GETGAMMA, &lut);
  P("getgamma %s r[255]=%u\n", ename(e), r[255]);
  lut.gamma_size = 255;
  P("setgamma wrong size %s\n", ename(io(fd, DRM_IOCTL_MODE_SETGAMMA, &lut)));

  /* Garbage. */
  P("nr 0xff %s\n", ename(io(fd, DRM_IOWR(0xff, struct drm_mode_crtc), &cr)));
  P("driver-private nr 0x40 %s\n", ename(io(fd, DRM_IOWR(0x40, struct drm_mode_crtc), &cr)));
  P("GETCRTC at a bad address %s\n", ename(io(fd, DRM_IOCTL_MODE_GETCRTC, (void *)24)));
  P("PRIME handle to fd %s\n", ename(io(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &cr)));
  struct drm_gem_close gc = { .handle = 4242 };
  P("gem close unknown %s\n", ename(io(fd, DRM_IOCTL_GEM_CLOSE, &gc)));
  n = write(fd, "x", 1);
  P("write %zd %s\n", n, ename(errno));

  /* Close while scanning out: the framebuffers go and the CRTC turns off (drm_fb_release). */
  fflush(stdout);
  close(fd);
  fd = open("/dev/dri/card0", O_RDWR);
  cr = (struct drm_mode_crtc){ .crtc_id = crtc_id };
  io(fd, DRM_IOCTL_MODE_GETCRTC, &cr);
  P("after close crtc fb=%u mode_valid=%u\n", cr.fb_id, cr.mode_valid);
  P("mapping still readable pixel=%#x\n", px[1000]);
  return 0;
}
