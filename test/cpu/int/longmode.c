/*
 * What a 32-bit program on a 64-bit kernel cannot have: vm86 and vm86old answer ENOSYS
 * (compared with the native run), and `longmode jump` far-jumps to the 64-bit code segment
 * 0x33, which natively switches the CPU to 64-bit code; the engine runs no 64-bit code and
 * must say so with a SIGSEGV (an engine-only case: test/cpu/segments.test.ts); `longmode stack`
 * loads SS with a based segment, which the engine refuses the same way.
 */
#include "../out.h"
#include <asm/ldt.h>
#include <errno.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "stack")) {
    /* A stack segment with a base: natively fine; the engine runs flat stacks only. */
    struct user_desc u;
    memset(&u, 0, sizeof u);
    u.entry_number = 0; u.base_addr = 0x1000; u.limit = 0xfffff; u.seg_32bit = 1; u.limit_in_pages = 1;
    syscall(SYS_modify_ldt, 0x11, &u, sizeof u);
    __asm__ volatile("mov %0, %%ss; mov %1, %%ss" :: "r"(7), "r"(0x2b) : "memory");
    return 0;
  }
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
