/*
 * Output for the CPU test programs: a private buffer flushed with raw write(2), and hex
 * printers. printf would dominate the guest instruction count under the interpreter.
 */
#ifndef CPU_TEST_OUT_H
#define CPU_TEST_OUT_H
#include <stdint.h>
#include <string.h>
#include <unistd.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
typedef int32_t s32;

static char obuf[1 << 16];
static unsigned olen;

static void flush(void) {
  unsigned off = 0;
  while (off < olen) {
    ssize_t n = write(1, obuf + off, olen - off);
    if (n <= 0) break;
    off += (unsigned)n;
  }
  olen = 0;
}
static void putch(char ch) {
  if (olen == sizeof obuf) flush();
  obuf[olen++] = ch;
}
static __attribute__((unused)) void puts_(const char *s) { while (*s) putch(*s++); }
static __attribute__((unused)) void tag(const char *s) { puts_(s); }
static void hex(u32 v, int digits) {
  static const char hx[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; i--) putch(hx[(v >> (i * 4)) & 15]);
}
static __attribute__((unused)) void h8(u32 v) { putch(' '); hex(v, 2); }
static __attribute__((unused)) void h16(u32 v) { putch(' '); hex(v, 4); }
static __attribute__((unused)) void h32(u32 v) { putch(' '); hex(v, 8); }
static __attribute__((unused)) void nl(void) { putch('\n'); }
#endif
