/*
 * LDT segments, far transfers and 16-bit code at CPL 3, against the real CPU and kernel:
 * modify_ldt (read, write, read default, its errors), the descriptors it builds (read
 * back raw), lar/lsl/verr/verw/arpl and the UMIP-emulated smsw/sldt/str/sgdt/sidt,
 * segment loads with their faults, data segments with bases, byte and page limits and
 * expand-down, far call/jmp/ret/iret into 32-bit and 16-bit code segments, and the
 * sigcontext (trapno, err, cr2, selectors) of each fault. Addresses are printed relative
 * to the program's own symbols, never absolute.
 */
#define _GNU_SOURCE
#include "../out.h"
#include <asm/ldt.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define LDT(i) (((i) << 3) | 7)

static int modify_ldt(int func, void *ptr, unsigned long count) {
  int r = syscall(SYS_modify_ldt, func, ptr, count);
  return r < 0 ? -errno : r;
}

static int set_entry(int func, unsigned entry, u32 base, u32 limit, int seg32, int contents, int ro, int pages, int np, int useable) {
  struct user_desc u;
  memset(&u, 0, sizeof u);
  u.entry_number = entry; u.base_addr = base; u.limit = limit;
  u.seg_32bit = seg32; u.contents = contents; u.read_exec_only = ro;
  u.limit_in_pages = pages; u.seg_not_present = np; u.useable = useable;
  return modify_ldt(func, &u, sizeof u);
}

static void result(const char *what, int r) { tag(what); putch(' '); if (r < 0) { putch('-'); r = -r; } hex((u32)r, 5); nl(); }

/* ---- Fault capture ---- */
static sigjmp_buf jb;
static volatile int faulted;
static volatile int resume;
static void on_fault(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  if (resume) {
    /* Return into the interrupted code (a 16-bit segment) through sigreturn, with EAX changed. */
    greg_t *g = uc->uc_mcontext.gregs;
    tag("  handler: sig"); h8(sig); tag(" cs"); h16(g[REG_CS] & 0xffff);
    if (sig == SIGTRAP) { tag(" eip"); h32(g[REG_EIP]); }
    nl();
    g[REG_EAX] = 0x77; g[REG_ECX] = 0x66;
    resume = 0;
    return;
  }
  /* EFLAGS.AC survives into the handler (Linux clears only TF, DF, RF): clear it first. */
  __asm__ volatile("pushf; andl $~0x40000, (%%esp); popf" ::: "memory", "cc");
  greg_t *g = uc->uc_mcontext.gregs;
  tag("  fault sig"); h8(sig); tag(" code"); h8(si->si_code & 0xff);
  tag(" trapno"); h8(g[REG_TRAPNO]); tag(" err"); h16(g[REG_ERR]);
  tag(" cs"); h16(g[REG_CS] & 0xffff); tag(" ds"); h16(g[REG_DS] & 0xffff); tag(" es"); h16(g[REG_ES] & 0xffff);
  tag(" ss"); h16(g[REG_SS] & 0xffff);
  if (g[REG_CS] & 4) { tag(" eip"); h32(g[REG_EIP]); }
  u32 cr2 = uc->uc_mcontext.cr2;
  tag(" cr2"); if (cr2 < 0x10000) h32(cr2); else tag(si->si_addr == (void *)cr2 ? " =addr" : " other");
  nl();
  faulted = 1;
  siglongjmp(jb, 1);
}
/* Run `body`; a fault is printed by the handler, then the segment registers are made flat again. */
#define TRY(name, ...) do { \
  tag(name); nl(); faulted = 0; \
  if (!sigsetjmp(jb, 1)) { __VA_ARGS__; } \
  __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%fs" :: "r"(0x2b) : "memory"); \
  if (!faulted) { tag("  ok"); nl(); } \
} while (0)

/* ---- Code for LDT code segments ---- */
extern char c16_start[], c16_end[], c16_fault[], c16_trap[], c16_wait[], c32_start[], c32_here[], c32_end[];
__asm__(
  ".text\n"
  /* 16-bit code, called with lcall (32-bit return frame). In: EAX = a data selector, EBX = an offset. */
  ".code16\n"
  ".globl c16_start\nc16_start:\n"
  "  mov %ax, %ds\n"               /* 16-bit operand size by default */
  "  movw (%bx), %cx\n"             /* 16-bit addressing: DS:BX */
  "  movl 2(%bx,%si), %edx\n"       /* 0x66 0x67-free: [bx+si+2], a 32-bit operand */
  "  mov $0x7fff, %ax\n"
  "  add $1, %ax\n"                 /* 16-bit add: OF set, result 0x8000 */
  "  pushf\n"                       /* 16-bit pushf */
  "  pop %di\n"
  "  push $0x1234\n"                /* 16-bit push: ESP moves by 2 (SS is 32-bit) */
  "  pop %si\n"
  "  lea 0x10(%bx,%si), %bx\n"      /* 16-bit address arithmetic */
  "  call 1f\n"                     /* near call inside the segment pushes a 16-bit IP */
  "1: pop %ax\n"
  "  sub $1b - c16_start, %ax\n"    /* IP of 1 minus its offset: 0 */
  "  lretl\n"
  ".globl c16_fault\nc16_fault:\n"
  "  mov %ax, %ds\n"
  "  movw (%bx), %cx\n"             /* faults when BX is past DS's limit */
  "  lretl\n"
  ".globl c16_trap\nc16_trap:\n"
  "  int3\n"                       /* the handler returns here through sigreturn */
  "  lretl\n"
  ".globl c16_wait\nc16_wait:\n"
  "1: test %cx, %cx\n"              /* spins until a signal handler changes ECX */
  "  jz 1b\n"
  "  lretl\n"
  ".globl c16_end\nc16_end:\n"
  ".code32\n"
  /* 32-bit code for a segment whose base is c32_start: offsets are relative to it. */
  ".globl c32_start\nc32_start:\n"
  "  call c32_here\n"
  ".globl c32_here\nc32_here:\n"
  "  pop %ebx\n"                    /* offset of c32_here in the segment */
  "  mov %cs, %ecx\n"
  "  lret $4\n"                     /* releases the caller's 4-byte argument */
  ".globl c32_end\nc32_end:\n"
  ".align 4096\n"
);

/* Far pointers live in statics: an %esp-relative operand would move with the pushes. */
struct { u32 off; u16 sel; } __attribute__((packed)) fptr __attribute__((used));
u16 fptr16[2] __attribute__((used));
u32 s1 __attribute__((used)), s2 __attribute__((used)), s3 __attribute__((used)), s4 __attribute__((used));

static u32 far16(u16 sel, u32 off, u32 ds, u32 bx, u32 si, u32 out[6]) {
  u32 a = ds, b = bx, c = 0, d = 0, s = si, di = 0;
  fptr.off = off; fptr.sel = sel;
  __asm__ volatile(
    "push %%ds\n\t"
    "lcall *fptr\n\t"
    "pop %%ds\n\t"
    : "+a"(a), "+b"(b), "+c"(c), "+d"(d), "+S"(s), "+D"(di) :: "memory", "cc");
  out[0] = a; out[1] = b; out[2] = c; out[3] = d; out[4] = s; out[5] = di;
  return 0;
}

/* ---- Data ---- */
static u8 buf[8192] __attribute__((aligned(4096)));

static void print_ldt(int n) {
  u32 raw[2 * 16];
  memset(raw, 0xee, sizeof raw);
  int r = modify_ldt(0, raw, n * 8);
  result("read ldt", r);
  for (int i = 0; i < n; i++) { tag("  entry"); h8(i); h32(raw[2 * i + 1]); h32(raw[2 * i]); nl(); }
}

static void probe_selector(u32 sel, int show_limit) {
  u32 ar = 0xdeadbeef, lim = 0xdeadbeef; u8 z1, z2, zr, zw;
  __asm__ volatile("lar %2, %0; setz %1" : "+r"(ar), "=q"(z1) : "r"(sel) : "cc");
  __asm__ volatile("lsl %2, %0; setz %1" : "+r"(lim), "=q"(z2) : "r"(sel) : "cc");
  __asm__ volatile("verr %w1; setz %0" : "=q"(zr) : "r"(sel) : "cc");
  __asm__ volatile("verw %w1; setz %0" : "=q"(zw) : "r"(sel) : "cc");
  tag("  sel"); h16(sel); tag(" lar"); h8(z1); h32(ar); tag(" lsl"); h8(z2);
  if (show_limit) h32(lim); else tag(lim < 0x1000 ? " cpu" : " ?");
  tag(" verr"); h8(zr); tag(" verw"); h8(zw);
  u16 ar16 = 0xbeef;
  __asm__ volatile("lar %1, %0" : "+r"(ar16) : "r"((u16)sel) : "cc");
  h16(ar16);
  nl();
}

static void test_modify_ldt(void) {
  u8 big[256];
  memset(big, 0xee, sizeof big);
  result("read empty ldt", modify_ldt(0, big, sizeof big));
  result("read default 100", modify_ldt(2, big, 100));
  result("read default 256", modify_ldt(2, big, 256));
  int nz = 0; for (int i = 0; i < 256; i++) nz += big[i] != 0;
  result("default bytes not zero", nz);
  result("bad func 3", modify_ldt(3, big, 16));
  result("bad func 0x10", modify_ldt(0x10, big, 16));
  result("write count 12", modify_ldt(0x11, big, 12));
  result("write efault", modify_ldt(0x11, (void *)16, 16));
  result("write entry 8192", set_entry(0x11, 8192, 0, 0xfff, 1, 0, 0, 0, 0, 0));
  result("write conforming present", set_entry(0x11, 1, 0, 0xfff, 1, 3, 0, 0, 0, 0));
  result("write conforming oldmode", set_entry(1, 1, 0, 0xfff, 1, 3, 0, 0, 1, 0));
  result("write conforming not present", set_entry(0x11, 1, 0, 0xfff, 1, 3, 0, 0, 1, 0));
  /* Entries: 0 32-bit data (byte limit, base buf), 2 16-bit data, 3 expand-down 16-bit data,
   * 4 32-bit code base 0 pages, 5 16-bit code, 6 32-bit code based, 7 data not present,
   * 8 read-only data, 9 execute-only code, 10 4 GiB flat data (pages), 11 oldmode useable,
   * 12 expand-down 32-bit. */
  result("w0", set_entry(0x11, 0, (u32)buf, 0xff, 1, 0, 0, 0, 0, 0));
  result("w2", set_entry(0x11, 2, (u32)buf, 0x1fff, 0, 0, 0, 0, 0, 1));
  result("w3", set_entry(0x11, 3, (u32)buf - 0x1000, 0xfff, 0, 1, 0, 0, 0, 0));
  result("w4", set_entry(0x11, 4, 0, 0xfffff, 1, 2, 0, 1, 0, 0));
  result("w5", set_entry(0x11, 5, (u32)c16_start, 0xffff, 0, 2, 0, 0, 0, 0));
  result("w6", set_entry(0x11, 6, (u32)c32_start, (u32)(c32_end - c32_start) - 1, 1, 2, 0, 0, 0, 0));
  result("w7", set_entry(0x11, 7, (u32)buf, 0xfff, 1, 0, 0, 0, 1, 0));
  result("w8", set_entry(0x11, 8, (u32)buf, 0xfff, 1, 0, 1, 0, 0, 0));
  result("w9", set_entry(0x11, 9, 0, 0xfffff, 1, 2, 1, 1, 0, 0));
  result("w10", set_entry(0x11, 10, 0, 0xfffff, 1, 0, 0, 1, 0, 0));
  result("w11 oldmode", set_entry(1, 11, 0x12345678, 0xabcde, 1, 0, 0, 1, 0, 1));
  result("w12", set_entry(0x11, 12, (u32)buf + 0xf000, 0xffff0, 1, 1, 0, 1, 0, 0));
  result("w13 empty", set_entry(0x11, 13, 0, 0, 0, 0, 1, 0, 1, 0));
  result("w14 oldmode zero", set_entry(1, 14, 0, 0, 1, 0, 0, 0, 0, 0));
  print_ldt(15);
  u32 raw[4];
  result("read 12 bytes", modify_ldt(0, raw, 12));
  result("read 200 bytes", modify_ldt(0, big, 200));
  static u32 all[8192 * 2 + 64];
  result("read 64 KiB + 8", modify_ldt(0, all, sizeof all));
  nz = 0; for (unsigned i = 15 * 2; i < sizeof all / 4; i++) nz += all[i] != 0;
  result("words past 15 entries not zero", nz);
  result("read efault", modify_ldt(0, (void *)16, 8));
}

static void test_lar(void) {
  tag("lar/lsl/verr/verw"); nl();
  for (u32 sel = 0; sel < 0x80; sel++) {
    probe_selector(sel, (sel >> 3) != 15);
  }
  for (u32 i = 0; i < 16; i++) for (u32 rpl = 0; rpl < 4; rpl += 3) probe_selector((i << 3) | 4 | rpl, 1);
  probe_selector(LDT(9000), 1);
  tag("arpl"); nl();
  static const u16 dst[] = { 0x20, 0x23, 0x2b, 0x8, 0xfff1 }, src[] = { 0x3, 0x1, 0x0, 0x2 };
  for (unsigned i = 0; i < sizeof dst / 2; i++) for (unsigned j = 0; j < sizeof src / 2; j++) {
    u16 v = dst[i]; u8 z;
    __asm__ volatile("arpl %2, %0; setz %1" : "+rm"(v), "=q"(z) : "r"(src[j]) : "cc");
    tag("  arpl"); h16(dst[i]); h16(src[j]); h16(v); h8(z); nl();
  }
  tag("umip"); nl();
  u32 w = 0xdeadbeef; u16 h = 0xbeef;
  __asm__ volatile("smsw %0" : "+r"(w)); tag("  smsw r32"); h32(w); nl();
  w = 0xdeadbeef; __asm__ volatile("smsw %w0" : "+r"(w)); tag("  smsw r16"); h32(w); nl();
  __asm__ volatile("smsw %0" : "+m"(h)); tag("  smsw m16"); h16(h); nl();
  w = 0xdeadbeef; __asm__ volatile("sldt %0" : "+r"(w)); tag("  sldt r32"); h32(w); nl();
  w = 0xdeadbeef; __asm__ volatile("str %0" : "+r"(w)); tag("  str r32"); h32(w); nl();
  h = 0xbeef; __asm__ volatile("str %0" : "+m"(h)); tag("  str m16"); h16(h); nl();
  h = 0xbeef; __asm__ volatile("sldt %0" : "+m"(h)); tag("  sldt m16"); h16(h); nl();
  u8 g[8]; memset(g, 0xee, 8);
  __asm__ volatile("sgdt %0" : "+m"(g)); tag("  sgdt"); for (int i = 0; i < 8; i++) h8(g[i]); nl();
  memset(g, 0xee, 8);
  __asm__ volatile("sidt %0" : "+m"(g)); tag("  sidt"); for (int i = 0; i < 8; i++) h8(g[i]); nl();
}

static u32 read_seg(u32 sel, u32 off) {
  u32 v;
  __asm__ volatile("mov %1, %%fs; movl %%fs:(%2), %0" : "=r"(v) : "r"(sel), "r"(off) : "memory");
  return v;
}
static u8 read_seg8(u32 sel, u32 off) {
  u8 v;
  __asm__ volatile("mov %1, %%es; movb %%es:(%2), %0" : "=q"(v) : "r"(sel), "r"(off) : "memory");
  return v;
}

static void test_loads(void) {
  for (int i = 0; i < 8192; i++) buf[i] = (u8)(i * 7 + (i >> 8));
  TRY("ds=ldt0 read", { u32 v; __asm__ volatile("mov %1, %%ds; movl 0x10, %0; mov %2, %%ds" : "=r"(v) : "r"(LDT(0)), "r"(0x2b)); tag("  v"); h32(v); nl(); });
  TRY("ds=ldt0 write then read back", {
    __asm__ volatile("mov %0, %%ds; movl $0x5a5aa5a5, 0x20; mov %1, %%ds" :: "r"(LDT(0)), "r"(0x2b) : "memory");
    tag("  buf"); h32(*(u32 *)(buf + 0x20)); nl(); });
  TRY("fs=ldt0 at limit (byte)", { tag("  v"); h8(read_seg8(LDT(0), 0xff)); nl(); });
  TRY("es=ldt0 past limit", { tag("  v"); h8(read_seg8(LDT(0), 0x100)); nl(); });
  TRY("fs=ldt0 far past limit", { tag("  v"); h32(read_seg(LDT(0), 0x10000)); nl(); });
  TRY("expand-down 16: above limit", { tag("  v"); h8(read_seg8(LDT(3), 0x1000)); h8(read_seg8(LDT(3), 0x1fff)); nl(); });
  TRY("expand-down 16: at limit", { tag("  v"); h8(read_seg8(LDT(3), 0xfff)); nl(); });
  TRY("expand-down 16: past 64 KiB", { tag("  v"); h8(read_seg8(LDT(3), 0x10000)); nl(); });
  TRY("expand-down 32 pages: above limit", { tag("  v"); h8(read_seg8(LDT(12), 0xffff1000)); h8(read_seg8(LDT(12), 0xffff1fff)); nl(); });
  TRY("expand-down 32 pages: at limit", { tag("  v"); h8(read_seg8(LDT(12), 0xffff0fff)); nl(); });
  TRY("page-granular flat data in ds", { u32 v; __asm__ volatile("mov %1, %%ds; movl (%2), %0; mov %3, %%ds" : "=r"(v) : "r"(LDT(10)), "r"(buf + 4), "r"(0x2b)); tag("  v"); h32(v); nl(); });
  TRY("lss flat ldt data", {
    u32 ss, sp;
    fptr.sel = LDT(10);
    __asm__ volatile("mov %%esp, %%ecx; mov %%ecx, fptr; lss fptr, %%esp; mov %%ss, %0; mov %%esp, %1; mov $0x2b, %%eax; mov %%eax, %%ss; mov %%ecx, %%esp"
      : "=r"(ss), "=r"(sp) :: "eax", "ecx", "memory");
    tag("  ss"); h16(ss); tag(" sp=old "); putch(sp == fptr.off ? 'y' : 'n'); nl(); });
  TRY("lds/les/lfs/lgs", {
    u32 a, b, c, d;
    fptr.off = 0x1234; fptr.sel = LDT(0);
    __asm__ volatile("push %%ds; lds fptr, %0; mov %%ds, %1; pop %%ds" : "=&r"(a), "=&r"(s1) :: "memory");
    __asm__ volatile("push %%es; les fptr, %0; mov %%es, %1; pop %%es" : "=&r"(b), "=&r"(s2) :: "memory");
    __asm__ volatile("push %%fs; lfs fptr, %0; mov %%fs, %1; pop %%fs" : "=&r"(c), "=&r"(s3) :: "memory");
    __asm__ volatile("push %%gs; lgs fptr, %0; mov %%gs, %1; pop %%gs" : "=&r"(d), "=&r"(s4) :: "memory");
    tag("  "); h32(a); h32(b); h32(c); h32(d); h16(s1 & 0xffff); h16(s2 & 0xffff); h16(s3 & 0xffff); h16(s4 & 0xffff); nl(); });
  TRY("les 16-bit", {
    fptr16[0] = 0xabcd; fptr16[1] = LDT(2);
    u16 a = 0; __asm__ volatile("les fptr16, %0" : "=r"(a) :: "memory"); tag("  "); h16(a); nl(); });
  TRY("lds bad selector", { fptr.sel = LDT(7); u32 a = 0; __asm__ volatile("lds fptr, %0" : "+r"(a) :: "memory"); });
  TRY("ds null then read", { u32 v; __asm__ volatile("mov %1, %%ds; movl (%2), %0" : "=r"(v) : "r"(0), "r"(buf)); tag("  v"); h32(v); nl(); });
  TRY("gs null loads", { __asm__ volatile("push %%gs; mov %0, %%gs; pop %%gs" :: "r"(3)); });
  TRY("ss null", { __asm__ volatile("mov %0, %%ss" :: "r"(0)); });
  TRY("ds beyond ldt", { __asm__ volatile("mov %0, %%ds" :: "r"(LDT(20))); });
  TRY("ds beyond gdt", { __asm__ volatile("mov %0, %%ds" :: "r"(0x83)); });
  TRY("ds not present", { __asm__ volatile("mov %0, %%ds" :: "r"(LDT(7))); });
  TRY("ss not present", { __asm__ volatile("mov %0, %%ss" :: "r"(LDT(7))); });
  TRY("ss read-only", { __asm__ volatile("mov %0, %%ss" :: "r"(LDT(8))); });
  TRY("ss rpl 0", { __asm__ volatile("mov %0, %%ss" :: "r"(LDT(10) & ~3)); });
  TRY("ss code", { __asm__ volatile("mov %0, %%ss" :: "r"(0x23)); });
  TRY("ds kernel data", { __asm__ volatile("mov %0, %%ds" :: "r"(0x18)); });
  TRY("ds tss", { __asm__ volatile("mov %0, %%ds" :: "r"(0x40)); });
  TRY("ds execute-only code", { __asm__ volatile("mov %0, %%ds" :: "r"(LDT(9))); });
  TRY("ds readable code, then read", { u32 v; __asm__ volatile("mov %1, %%ds; movl (%2), %0; mov %3, %%ds" : "=r"(v) : "r"(LDT(4)), "r"(buf + 8), "r"(0x2b)); tag("  v"); h32(v); nl(); });
  TRY("ds empty entry", { __asm__ volatile("mov %0, %%ds" :: "r"(LDT(13))); });
  TRY("pop ds bad", { __asm__ volatile("push %0; pop %%ds" :: "r"(LDT(7))); });
  TRY("read-only es read", { tag("  v"); h8(read_seg8(LDT(8), 0x30)); nl(); });
  TRY("write through read-only fs", { __asm__ volatile("mov %0, %%fs; movl $1, %%fs:0" :: "r"(LDT(8)) : "memory"); });
  TRY("write through code segment in ds", { __asm__ volatile("mov %0, %%ds; movl $1, (%1)" :: "r"(LDT(4)), "r"(buf) : "memory"); });
  TRY("add to memory through read-only es", { __asm__ volatile("mov %0, %%es; addl $1, %%es:4" :: "r"(LDT(8)) : "memory", "cc"); });
  TRY("cmp with memory through read-only es", { __asm__ volatile("mov %0, %%es; cmpl $1, %%es:4" :: "r"(LDT(8)) : "memory", "cc"); });
  TRY("dword across the limit", { tag("  v"); h32(read_seg(LDT(0), 0xfd)); nl(); });
  TRY("dword ending at the limit", { tag("  v"); h32(read_seg(LDT(0), 0xfc)); nl(); });
  TRY("word across 64 KiB in expand-down 16", { u16 v; __asm__ volatile("mov %1, %%es; movw %%es:(%2), %0" : "=r"(v) : "r"(LDT(3)), "r"(0xffff)); tag("  v"); h16(v); nl(); });
  TRY("rep movsb from ds to es segments", {
    u32 n = 16, si = 0x40, di = 0x80;
    __asm__ volatile("push %%ds; mov %3, %%ds; mov %4, %%es; cld; rep movsb; pop %%ds" : "+c"(n), "+S"(si), "+D"(di) : "r"(LDT(0)), "r"(LDT(2)) : "memory");
    tag("  si"); h32(si); tag(" di"); h32(di); tag(" buf"); h32(*(u32 *)(buf + 0x80)); nl(); });
  TRY("rep stosb past the es limit", {
    u32 n = 16, di = 0xf8;
    __asm__ volatile("mov %2, %%es; cld; mov $0x5a, %%al; rep stosb" : "+c"(n), "+D"(di) : "r"(LDT(0)) : "eax", "memory");
    tag("  no fault"); nl(); });
  TRY("repe cmpsb and repne scasb across segments", {
    u32 n = 64, si = 0x20, di = 0x20, n2 = 64, di2 = 0x1f00, fl;
    __asm__ volatile("push %%ds; mov %4, %%ds; mov %5, %%es; cld; repe cmpsb; pop %%ds; pushf; pop %3" : "+c"(n), "+S"(si), "+D"(di), "=r"(fl) : "r"(LDT(0)), "r"(LDT(2)) : "memory", "cc");
    tag("  cmps n"); h32(n); tag(" si"); h32(si); tag(" fl"); h32(fl & 0x8d5);
    __asm__ volatile("mov %2, %%es; cld; mov $0x33, %%al; repne scasb" : "+c"(n2), "+D"(di2) : "r"(LDT(2)) : "eax", "memory", "cc");
    tag(" scas n"); h32(n2); tag(" di"); h32(di2); nl(); });
  TRY("scasb past the es limit", { u32 n = 8, di = 0x1ffc; __asm__ volatile("mov %2, %%es; cld; mov $0x1, %%al; repne scasb" : "+c"(n), "+D"(di) : "r"(LDT(2)) : "eax", "memory", "cc"); });
  TRY("fork with a limited segment in fs (the whole program runs segmented)", {
    __asm__ volatile("mov %0, %%fs" :: "r"(LDT(0)));
    flush();
    pid_t pid = fork();
    u32 v, fs;
    __asm__ volatile("movl %%fs:0x10, %0; mov %%fs, %1" : "=r"(v), "=r"(fs));
    if (pid == 0) {
      tag("  child fs"); h16(fs & 0xffff); h32(v); nl(); flush();
      /* The limit came along too: past it the child dies by SIGSEGV. */
      signal(SIGSEGV, SIG_DFL);
      __asm__ volatile("movl %%fs:0x100, %0" : "=r"(v));
      _exit(0);
    }
    int st; waitpid(pid, &st, 0);
    tag("  parent fs"); h16(fs & 0xffff); h32(v); tag(" child status"); h32(st); nl(); });
  TRY("lodsb through fs override", {
    u32 si = 0x10, v;
    __asm__ volatile("mov %2, %%fs; lodsb %%fs:(%%esi), %%al; movzbl %%al, %0" : "=r"(v), "+S"(si) : "r"(LDT(0)) : "eax", "memory");
    tag("  v"); h8(v); tag(" si"); h32(si); nl(); });
}

static void test_tls(void) {
  tag("set_thread_area"); nl();
  static const int cases[][7] = {
    /* entry, seg32, contents, read_exec_only, not_present, base, limit */
    { -1, 1, 0, 0, 0, 0x1000, 0xfff }, { 13, 0, 0, 0, 0, 0x1000, 0xfff }, { 13, 1, 2, 0, 0, 0x1000, 0xfff },
    { 13, 1, 0, 0, 1, 0x1000, 0xfff }, { 13, 1, 1, 1, 0, 0x2000, 0xff }, { 11, 1, 0, 0, 0, 0, 0xfff },
    { 15, 1, 0, 0, 0, 0, 0xfff }, { -1, 1, 0, 0, 0, 0x1000, 0xfff }, { -1, 1, 0, 0, 0, 0x1000, 0xfff },
    { 13, 0, 0, 1, 1, 0, 0 }, { 14, 0, 0, 0, 0, 0, 0 }, { -1, 1, 0, 0, 0, 0x3000, 0xfff },
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int *c = cases[i];
    struct user_desc u;
    memset(&u, 0, sizeof u);
    u.entry_number = c[0]; u.seg_32bit = c[1]; u.contents = c[2]; u.read_exec_only = c[3];
    u.seg_not_present = c[4]; u.base_addr = c[5]; u.limit = c[6];
    int r = syscall(SYS_set_thread_area, &u);
    tag("  case"); h8(i); tag(" ->"); h8(r < 0 ? errno : 0); tag(" entry"); h8(u.entry_number);
    u32 ar = 0, lim = 0; u8 z;
    __asm__ volatile("lar %2, %0; setz %1" : "+r"(ar), "=q"(z) : "r"(0x6b) : "cc");
    __asm__ volatile("lsl %1, %0" : "+r"(lim) : "r"(0x6b) : "cc");
    tag(" lar 6b"); h8(z); h32(ar); h32(lim);
    struct user_desc g;
    memset(&g, 0xee, sizeof g);
    g.entry_number = 13;
    r = syscall(SYS_get_thread_area, &g);
    tag(" get13"); h8(r < 0 ? errno : 0); h32(g.base_addr); h32(g.limit); h32(((u32 *)&g)[3] & 0x7f);
    nl();
  }
  TRY("fs = tls 13 (read-only data), read", { u32 v; __asm__ volatile("mov %1, %%fs; movl %%fs:0x10, %0" : "=r"(v) : "r"(0x6b)); tag("  v"); h32(v); nl(); });
  struct user_desc u;
  memset(&u, 0, sizeof u);
  for (int e = 13; e <= 14; e++) { u.entry_number = e; syscall(SYS_set_thread_area, &u); }
}

static void test_far(void) {
  u32 o[6];
  TRY("sigreturn into 16-bit code (int3)", {
    resume = 1;
    far16(LDT(5), (u32)(c16_trap - c16_start), LDT(2), 0, 0, o);
    tag("  ax"); h32(o[0]); nl(); });
  TRY("timer signal in a 16-bit loop", {
    struct itimerval it = { { 0, 0 }, { 0, 20000 } };
    resume = 1;
    setitimer(ITIMER_REAL, &it, 0);
    far16(LDT(5), (u32)(c16_wait - c16_start), LDT(2), 0, 0, o);
    tag("  ax"); h32(o[0]); tag(" cx"); h32(o[2]); nl(); });
  TRY("lcall 16-bit code", {
    far16(LDT(5), 0, LDT(2), 0x100, 0x10, o);
    tag("  ax"); h32(o[0]); tag(" bx"); h32(o[1]); tag(" cx"); h32(o[2]); tag(" dx"); h32(o[3]);
    tag(" si"); h32(o[4]); tag(" di"); h32(o[5]); nl(); });
  TRY("lcall 16-bit code: limit fault", { far16(LDT(5), (u32)(c16_fault - c16_start), LDT(0), 0x100, 0, o); });
  TRY("lcall 16-bit code: offset beyond cs limit", { far16(LDT(5), 0x10000, LDT(0), 0, 0, o); });
  TRY("lcall based 32-bit code, lret $4", {
    u32 b = 0, c = 0, sp0, sp1;
    fptr.off = 0; fptr.sel = LDT(6);
    __asm__ volatile("mov %%esp, %2; push $0x99; lcall *fptr; mov %%esp, %3" : "=b"(b), "=c"(c), "=&r"(sp0), "=r"(sp1) :: "memory");
    tag("  ebx=off "); putch(b == (u32)(c32_here - c32_start) ? 'y' : 'n'); tag(" cs"); h16(c & 0xffff); tag(" esp same "); putch(sp0 == sp1 ? 'y' : 'n'); nl(); });
  TRY("lcall direct to ldt 4 (flat 32-bit code)", {
    u32 cs;
    __asm__ volatile("lcall $" "0x27" ", $1f\n\tjmp 2f\n1: mov %%cs, %0\n\tlret\n2:" : "=r"(cs) :: "memory");
    tag("  cs in callee"); h16(cs & 0xffff); nl(); });
  TRY("ljmp to 0x20 (rpl 0, made 3)", { u32 cs; __asm__ volatile("ljmp $0x20, $1f\n1: mov %%cs, %0" : "=r"(cs)); tag("  cs"); h16(cs & 0xffff); nl(); });
  TRY("ljmp to ldt 4 and back", { u32 cs; __asm__ volatile("ljmp $0x27, $1f\n1: mov %%cs, %0\n\tljmp $0x23, $2f\n2:" : "=r"(cs)); tag("  cs"); h16(cs & 0xffff); nl(); });
  TRY("ljmp indirect (ff /5)", {
    u32 cs;
    fptr.sel = 0x27;
    __asm__ volatile("movl $1f, fptr\n\tljmp *fptr\n1: mov %%cs, %0\n\tljmp $0x23, $2f\n2:" : "=r"(cs) :: "memory"); tag("  cs"); h16(cs & 0xffff); nl(); });
  TRY("lcall indirect (ff /3) 16-bit pointer to 16-bit code", {
    u32 ax = LDT(2), bx = 0x40, si = 0, cx = 0, dx = 0;
    fptr16[0] = 0; fptr16[1] = LDT(5);
    /* A 16-bit far call pushes a 16-bit return frame; the 16-bit code returns with lretl,
     * which pops 32-bit values: so push a 32-bit frame by hand and jump. */
    __asm__ volatile("push %%ds; pushl %%cs; pushl $1f; ljmpw *fptr16\n1: pop %%ds" : "+a"(ax), "+b"(bx), "+S"(si), "+c"(cx), "+d"(dx) :: "edi", "memory", "cc");
    tag("  ax"); h32(ax); tag(" bx"); h32(bx); tag(" cx"); h32(cx); nl(); });
  TRY("lret to rpl 0", { __asm__ volatile("push $0x20; push $1f; lret; 1:"); });
  TRY("lret to data", { __asm__ volatile("push $0x2b; push $1f; lret; 1:"); });
  TRY("lret to null", { __asm__ volatile("push $0; push $1f; lret; 1:"); });
  TRY("ljmp to kernel code", { __asm__ volatile("ljmp $0x10, $0"); });
  TRY("ljmp to tss", { __asm__ volatile("ljmp $0x40, $0"); });
  TRY("ljmp to not-present code", { set_entry(0x11, 15, 0, 0xfffff, 1, 2, 0, 1, 1, 0); __asm__ volatile("ljmp $0x7f, $0"); });
  TRY("ljmp to execute-only code and back", { u32 cs; __asm__ volatile("ljmp $0x4f, $1f\n1: mov %%cs, %0\n\tljmp $0x23, $2f\n2:" : "=r"(cs)); tag("  cs"); h16(cs & 0xffff); nl(); });
  TRY("ljmp past limit of based code", { __asm__ volatile("ljmp $0x37, $0x100"); });
  TRY("iret same level", {
    u32 fl;
    __asm__ volatile("pushf; orl $0x801, (%%esp); push $0x23; push $1f; iret; 1: pushf; pop %0; push $0x202; popf" : "=r"(fl) :: "cc", "memory");
    tag("  flags"); h32(fl & 0x8d5); nl(); });
  TRY("iret to ldt code", { u32 cs; __asm__ volatile("pushf; push $0x27; push $1f; iret; 1: mov %%cs, %0; ljmp $0x23, $2f; 2:" : "=r"(cs) :: "memory"); tag("  cs"); h16(cs & 0xffff); nl(); });
  TRY("iret with NT", { __asm__ volatile("pushf; orl $0x4000, (%%esp); popf; pushf; push $0x23; push $1f; iret; 1:" ::: "memory"); });
  __asm__ volatile("pushf; andl $~0x4000, (%%esp); popf" ::: "memory", "cc");
}

/* Every exception kind's sigcontext: trap number, error code, cr2 (page faults). */
static void test_traps(void) {
  static int bounds[2] = { 10, 20 };
  TRY("#DE", { __asm__ volatile("xor %%ecx, %%ecx; div %%ecx" ::: "eax", "ecx", "edx"); });
  TRY("kill after #DE", { raise(SIGSEGV); });
  TRY("#DB icebp", { __asm__ volatile(".byte 0xf1"); });
  TRY("#BP", { __asm__ volatile("int3"); });
  TRY("#OF", { __asm__ volatile("mov $0x7fffffff, %%eax; add $1, %%eax; into" ::: "eax", "cc"); });
  TRY("#BR", { __asm__ volatile("mov $21, %%eax; bound %%eax, %0" :: "m"(bounds) : "eax"); });
  TRY("#UD", { __asm__ volatile("ud2"); });
  TRY("#GP int 0x81", { __asm__ volatile("int $0x81"); });
  TRY("#GP int 0", { __asm__ volatile("int $0"); });
  TRY("#GP hlt", { __asm__ volatile("hlt"); });
  TRY("#PF read unmapped", { (void)*(volatile int *)16; });
  TRY("kill after #PF", { raise(SIGSEGV); });
  TRY("#PF write unmapped", { *(volatile int *)32 = 1; });
  TRY("#PF write read-only (touched)", {
    char *p = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    (void)*(volatile char *)p; ((volatile char *)p)[9] = 1; });
  TRY("#PF read PROT_NONE", { char *p = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); (void)*(volatile char *)(p + 3); });
  TRY("#PF exec non-executable", {
    unsigned char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 0xc3; ((void (*)(void))p)(); });
  TRY("#PF exec unmapped", { ((void (*)(void))0x1000)(); });
  TRY("#AC", { __asm__ volatile("pushf; orl $0x40000, (%%esp); popf; mov $1, %%eax; movl 4(%%esp,%%eax), %%eax" ::: "eax", "memory", "cc"); });
  TRY("#NP", { __asm__ volatile("mov %0, %%es" :: "r"(LDT(7))); });
  TRY("#SS", { __asm__ volatile("mov %0, %%ss" :: "r"(LDT(7))); });
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, 0); sigaction(SIGBUS, &sa, 0); sigaction(SIGILL, &sa, 0);
  sigaction(SIGFPE, &sa, 0); sigaction(SIGTRAP, &sa, 0); sigaction(SIGALRM, &sa, 0);
  test_modify_ldt();
  flush();
  test_lar();
  flush();
  test_tls();
  flush();
  test_loads();
  flush();
  test_far();
  flush();
  test_traps();
  flush();
  return 0;
}
