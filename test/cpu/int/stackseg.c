/*
 * Stack segments from the LDT loaded into SS, as Wine-style programs use them: a 32-bit
 * stack with a base (and a byte-granular limit), and a 16-bit stack (B = 0) whose pushes,
 * pops, calls, returns, enter/leave and pusha/popa move SP alone, wrapping at 64 KiB and
 * leaving ESP's upper half as it was. Each case runs in one asm block that switches SS:ESP,
 * works, records ESP/EBP and values into globals (DS is flat), and restores the flat stack.
 * The stack area's bytes are printed afterwards. Compared with the native run by
 * test/cpu/segments.test.ts.
 */
#define _GNU_SOURCE
#include "../out.h"
#include <asm/ldt.h>
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define LDT(i) (((i) << 3) | 7)

static u8 area[0x20000] __attribute__((aligned(4096)));
static u32 saved_esp __attribute__((used)), saved_ebp __attribute__((used));
static u32 r[24] __attribute__((used));

static int set_entry(unsigned entry, u32 base, u32 limit, int seg32, int contents, int pages) {
  struct user_desc u;
  memset(&u, 0, sizeof u);
  u.entry_number = entry; u.base_addr = base; u.limit = limit;
  u.seg_32bit = seg32; u.contents = contents; u.limit_in_pages = pages; u.useable = 1;
  int rc = syscall(SYS_modify_ldt, 0x11, &u, sizeof u);
  return rc < 0 ? -errno : rc;
}

static void show(const char *what, int n) {
  tag(what);
  for (int i = 0; i < n; i++) h32(r[i]);
  nl();
}
/* The nonzero dwords of the area, with their offsets. */
static void dump(const char *what) {
  tag(what);
  for (u32 off = 0; off < sizeof area; off += 4) {
    u32 v; memcpy(&v, area + off, 4);
    if (v) { putch(' '); hex(off, 5); putch('='); hex(v, 8); }
  }
  nl();
  memset(area, 0, sizeof area);
}

/* 16-bit stack: SS = LDT(1), base area, limit 0xffff, B = 0. ESP's upper half is 0x1234. */
static void stack16(void) {
  __asm__ volatile(
    "mov %%esp, saved_esp\n\t"
    "mov %%ebp, saved_ebp\n\t"
    "mov %0, %%eax\n\t"
    "mov %%eax, %%ss\n\t"
    "mov $0x12340000, %%esp\n\t"
    "push $0x11223344\n\t"            /* SP 0 -> fffc: wraps */
    "mov %%esp, r+0\n\t"
    "pushw $0x5566\n\t"
    "mov %%esp, r+4\n\t"
    "popw %%ax\n\t"
    "pop %%ebx\n\t"
    "mov %%esp, r+8\n\t"              /* back to 0x12340000 */
    "mov %%ebx, r+12\n\t"
    "call 1f\n\t"
    "jmp 2f\n"
    "1: mov %%esp, r+16\n\t"
    "ret\n"
    "2: mov %%esp, r+20\n\t"
    "mov $0x12348000, %%esp\n\t"
    "mov $0xabcd7000, %%ebp\n\t"
    "enter $0x10, $0\n\t"
    "mov %%esp, r+24\n\t"
    "mov %%ebp, r+28\n\t"
    "leave\n\t"
    "mov %%esp, r+32\n\t"
    "mov %%ebp, r+36\n\t"
    "mov $0x12348000, %%esp\n\t"
    "mov $0x00007ff0, %%ebp\n\t"
    "enter $8, $3\n\t"                /* nesting: copies frame pointers read through SS:BP */
    "mov %%esp, r+40\n\t"
    "mov %%ebp, r+44\n\t"
    "mov $0x12340010, %%esp\n\t"
    "push $0x99\n\t"
    "call 3f\n\t"
    "jmp 4f\n"
    "3: ret $4\n"
    "4: mov %%esp, r+48\n\t"
    "mov $0x56780008, %%esp\n\t"
    "pusha\n\t"
    "mov %%esp, r+52\n\t"
    "popa\n\t"
    "mov %%esp, r+56\n\t"
    "xor %%ecx, %%ecx\n\t"           /* known flags for pushf (they came from ESP's low byte) */
    "pushf\n\t"
    "mov %%esp, r+60\n\t"
    "popf\n\t"
    "mov %%esp, r+64\n\t"
    "mov $0x2b, %%eax\n\t"
    "mov %%eax, %%ss\n\t"
    "mov saved_esp, %%esp\n\t"
    "mov saved_ebp, %%ebp\n\t"
    :: "i"(LDT(1)) : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
  show("stack16", 17);
  dump("stack16 area");
}

/* 32-bit stack with a base: SS = LDT(2), base area + 0x100, limit 0x1ffff bytes. */
static void stack32(void) {
  __asm__ volatile(
    "mov %%esp, saved_esp\n\t"
    "mov %%ebp, saved_ebp\n\t"
    "mov %0, %%eax\n\t"
    "mov %%eax, %%ss\n\t"
    "mov $0x1000, %%esp\n\t"
    "push $0xa1a2a3a4\n\t"
    "pushw $0xb1b2\n\t"
    "mov %%esp, r+0\n\t"
    "mov 2(%%esp), %%eax\n\t"         /* SS:[esp+2] = the dword pushed first */
    "mov %%eax, r+4\n\t"
    "call 1f\n\t"
    "jmp 2f\n"
    "1: mov %%esp, r+8\n\t"
    "ret $6\n"
    "2: mov %%esp, r+12\n\t"
    "mov $0x800, %%ebp\n\t"
    "enter $0x20, $2\n\t"
    "mov %%esp, r+16\n\t"
    "mov %%ebp, r+20\n\t"
    "leave\n\t"
    "mov %%esp, r+24\n\t"
    "mov %%ebp, r+28\n\t"
    "mov $0x2b, %%eax\n\t"
    "mov %%eax, %%ss\n\t"
    "mov saved_esp, %%esp\n\t"
    "mov saved_ebp, %%ebp\n\t"
    :: "i"(LDT(2)) : "eax", "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
  show("stack32 based", 8);
  dump("stack32 area");
}

/* A 16-bit code segment is not needed: SS's B bit alone decides the stack width. Also
   lss loads SS:ESP together, and mov ss inhibits interrupts for one instruction. */
static struct __attribute__((packed)) { u32 off; u16 sel; } fp16 __attribute__((used));
static void lss16(void) {
  fp16.off = 0xffff0004; fp16.sel = LDT(1);
  __asm__ volatile(
    "mov %%esp, saved_esp\n\t"
    "lss fp16, %%esp\n\t"
    "push $0x7777\n\t"
    "push $0x8888\n\t"
    "push $0x9999\n\t"                /* SP 4 -> 0 -> fffc: the third wraps */
    "mov %%esp, r+0\n\t"
    "pop %%eax\n\t"
    "mov %%eax, r+4\n\t"
    "mov %%esp, r+8\n\t"
    "mov $0x2b, %%eax\n\t"
    "mov %%eax, %%ss\n\t"
    "mov saved_esp, %%esp\n\t"
    ::: "eax", "memory", "cc");
  show("lss 16", 3);
  dump("lss area");
}

/* A signal taken on the 16-bit stack: delivered on the alternate stack with SS = __USER_DS;
   the frame holds the interrupted SS and ESP, and sigreturn reloads them. */
static u32 hs[4];
static void on_trap(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  greg_t *g = uc->uc_mcontext.gregs;
  u32 ss;
  __asm__ volatile("mov %%ss, %0" : "=r"(ss));
  hs[0] = g[REG_SS] & 0xffff; hs[1] = g[REG_UESP]; hs[2] = ss; hs[3] = sig;
  (void)si;
}
static void trap16(void) {
  static u8 alt[65536];
  stack_t st = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
  sigaltstack(&st, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_trap; sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGTRAP, &sa, 0);
  __asm__ volatile(
    "mov %%esp, saved_esp\n\t"
    "mov %0, %%eax\n\t"
    "mov %%eax, %%ss\n\t"
    "mov $0x4321fff0, %%esp\n\t"
    "push $0x1234\n\t"
    "int3\n\t"
    "mov %%esp, r+0\n\t"
    "mov %%ss, %%eax\n\t"
    "mov %%eax, r+4\n\t"
    "pop %%eax\n\t"
    "mov %%eax, r+8\n\t"
    "mov %%esp, r+12\n\t"
    "mov $0x2b, %%eax\n\t"
    "mov %%eax, %%ss\n\t"
    "mov saved_esp, %%esp\n\t"
    :: "i"(LDT(1)) : "eax", "memory", "cc");
  show("trap on 16-bit stack", 4);
  tag("  handler ss sp handler-ss sig"); h32(hs[0]); h32(hs[1]); h32(hs[2]); h32(hs[3]); nl();
  dump("trap area");
}

int main(void) {
  int rc = set_entry(1, (u32)area, 0xffff, 0, 0, 0);
  rc |= set_entry(2, (u32)area + 0x100, 0x1ffff - 0x100, 1, 0, 0);
  tag("ldt"); h8(rc); nl();
  stack16(); flush();
  stack32(); flush();
  lss16(); flush();
  trap16();
  flush();
  return 0;
}
