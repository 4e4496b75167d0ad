/*
 * What a 32-bit program on a 64-bit kernel cannot have: vm86 and vm86old answer ENOSYS
 * (compared with the native run), and `longmode jump` far-jumps to the 64-bit code segment
 * 0x33, which natively switches the CPU to 64-bit code; the engine runs no 64-bit code and
 * must say so with a SIGSEGV (an engine-only case: test/cpu/segments.test.ts).
 */
#include "../out.h"
#include <errno.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
  if (argc > 1) {
    flush();
    __asm__ volatile("ljmp $0x33, $0");
    return 1;
  }
  long r = syscall(113 /* vm86old */, 0);
  tag("vm86old"); h8(r < 0 ? errno : 0); nl();
  r = syscall(166 /* vm86 */, 0, 0);
  tag("vm86"); h8(r < 0 ? errno : 0); nl();
  flush();
  return 0;
}
