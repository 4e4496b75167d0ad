/*
 * Garbage at /dev/dri/card0: every DRM ioctl number (and a few past the table) with random
 * directions, sizes and argument bytes, some pointing at unmapped memory, interleaved
 * with random mmaps and reads. Whatever the answers, the engine must answer each call
 * with a result or an errno and keep running; at the end the device still works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "drm.h"
#include "drm_mode.h"

static uint32_t seed = 12345;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }

int main(void) {
  int fd = open("/dev/dri/card0", O_RDWR | O_NONBLOCK);
  static uint8_t buf[1 << 16];
  unsigned calls = 0, ok = 0;
  for (int i = 0; i < 20000; i++) {
    unsigned nr = rnd() % 0xd0;
    if (nr == 0x3a) continue; /* WAIT_VBLANK may legitimately sleep up to 3 s per call */
    unsigned dir = rnd() & 3, size = rnd() % 4 == 0 ? rnd() & 0x3fff : rnd() % 128;
    for (unsigned j = 0; j < 256; j++) buf[j] = rnd();
    /* Pointer fields in the struct: sometimes into buf, sometimes small or wild addresses. */
    for (unsigned j = 0; j < 128; j += 8) {
      uint32_t r = rnd() % 4;
      uint32_t p = r == 0 ? (uint32_t)(uintptr_t)(buf + 1024 + (rnd() % 4096)) : r == 1 ? rnd() : r == 2 ? 16 : 0;
      if (rnd() % 3 == 0) memcpy(buf + j, &p, 4);
    }
    void *arg = rnd() % 16 == 0 ? (void *)(uintptr_t)(rnd() % 4096) : buf;
    unsigned long cmd = ((unsigned long)dir << 30) | ((unsigned long)size << 16) | ('d' << 8) | nr;
    calls++;
    if (ioctl(fd, cmd, arg) == 0) ok++;
    if (rnd() % 64 == 0) { void *p = mmap(0, (rnd() % 8 + 1) * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (rnd() % 64) << 12); if (p != MAP_FAILED) munmap(p, 4096); }
    if (rnd() % 64 == 0) { char e[64]; read(fd, e, rnd() % 64); }
  }
  close(fd);
  fd = open("/dev/dri/card0", O_RDWR);
  struct drm_mode_card_res res = { 0 };
  int r = ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
  printf("%u calls, some succeeded: %d; afterwards GETRESOURCES %d connectors %u\n", calls, ok > 0, r, res.count_connectors);
  return 0;
}
