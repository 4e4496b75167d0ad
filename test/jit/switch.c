/*
 * Indirect jumps whose seen targets are taken into the jump's region (region.ts formRegion
 * `seen`, codegen.ts: the computed target compared with each, a branch inside the function):
 * a generated loop dispatching through a jump table (`jmp [table + 4*i]`, a switch), its
 * targets on another page than the jump. Every result must change exactly when the code or
 * the table does:
 *   1. the targets' code rewritten (mprotect RW, patch, RX) between runs of the hot loop;
 *   2. the table changed to send an index to a target never seen before (the compares must
 *      miss and leave, not branch to a seen target);
 *   3. a target rewritten by the loop itself while it runs (a store into the target's page
 *      from a target block);
 *   4. a target whose load faults (its page taken away), the handler restoring it: the
 *      registers at the fault as native.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

typedef int (*loop_t)(int n, unsigned *table);

static unsigned char *code;   /* page 0: the loop; page 1: the targets */
static unsigned *table;
static unsigned char *data;   /* a page target 3 loads from */
#define PAGE 4096
#define TGT(k) (code + PAGE + 64 * (k))

/*
 * loop(n, table): eax = 0; for ecx = n..1: jmp [table + 4*(ecx & 3)]; each target adds
 * its immediate to eax and jumps back to `back`. Returns eax.
 */
static unsigned back_at;
static void emit_loop(void) {
  unsigned char *p = code;
  static const unsigned char head[] = {
    0x53, 0x56, 0x57,                   /* push ebx; push esi; push edi */
    0x8b, 0x4c, 0x24, 0x10,             /* mov ecx, [esp+16] */
    0x8b, 0x7c, 0x24, 0x14,             /* mov edi, [esp+20] */
    0x31, 0xc0,                         /* xor eax, eax */
    /* top: */
    0x89, 0xca,                         /* mov edx, ecx */
    0x83, 0xe2, 0x03,                   /* and edx, 3 */
    0xff, 0x24, 0x97,                   /* jmp [edi + edx*4] */
    /* back: */
    0x49,                               /* dec ecx */
    0x75, 0xf5,                         /* jnz top */
    0x5f, 0x5e, 0x5b,                   /* pop edi; pop esi; pop ebx */
    0xc3,                               /* ret */
  };
  memcpy(p, head, sizeof head);
  back_at = (unsigned)(p + 21);
}

/* Target k: add eax, imm; jmp back. */
static void emit_target(int k, int imm) {
  unsigned char *p = TGT(k);
  p[0] = 0x05; memcpy(p + 1, &imm, 4);
  p[5] = 0xe9;
  int rel = (int)(back_at - (unsigned)(p + 10));
  memcpy(p + 6, &rel, 4);
}

/* Target 4: stores its counter into target 0's immediate (code rewritten by the loop itself): mov [t0+1], ecx; add eax, 1000; jmp back. */
static void emit_patcher(void) {
  unsigned char *p = TGT(4);
  unsigned imm_at = (unsigned)(TGT(0) + 1);
  p[0] = 0x89; p[1] = 0x0d; memcpy(p + 2, &imm_at, 4);
  p[6] = 0x05; int v = 1000; memcpy(p + 7, &v, 4);
  p[11] = 0xe9;
  int rel = (int)(back_at - (unsigned)(p + 16));
  memcpy(p + 12, &rel, 4);
}

/* Target 5: add eax, [data + 8]; jmp back (a load that faults once data's page is taken away). */
static void emit_loader(void) {
  unsigned char *p = TGT(5);
  unsigned at = (unsigned)(data + 8);
  p[0] = 0x03; p[1] = 0x05; memcpy(p + 2, &at, 4);
  p[6] = 0xe9;
  int rel = (int)(back_at - (unsigned)(p + 11));
  memcpy(p + 7, &rel, 4);
}

static void rw(void) { if (mprotect(code, 2 * PAGE, PROT_READ | PROT_WRITE)) perror("mprotect"); }
static void rx(void) { if (mprotect(code, 2 * PAGE, PROT_READ | PROT_EXEC)) perror("mprotect"); }
static void rwx(void) { if (mprotect(code, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC)) perror("mprotect"); }

static int faults;
static void on_segv(int sig, siginfo_t *si, void *uc_) {
  ucontext_t *uc = uc_;
  greg_t *g = uc->uc_mcontext.gregs;
  (void)sig;
  faults++;
  if (faults <= 2)
    printf("fault at target %d: eax=%d ecx=%d edx=%d edi-table=%d eflags&0x8c5=%#x addr-data=%d\n",
           (int)((unsigned char *)g[REG_EIP] - TGT(0)) / 64, (int)g[REG_EAX], (int)g[REG_ECX], (int)g[REG_EDX],
           (int)((unsigned *)g[REG_EDI] - table), (unsigned)g[REG_EFL] & 0x8c5, (int)((unsigned char *)si->si_addr - data));
  mprotect(data, PAGE, PROT_READ | PROT_WRITE);
}

int main(void) {
  code = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  data = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  table = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED || data == MAP_FAILED || table == MAP_FAILED) return 1;
  loop_t loop = (loop_t)code;
  emit_loop();
  for (int k = 0; k < 4; k++) emit_target(k, 1 << (4 * k));
  rx();
  /* Index 0 -> t0, 1 -> t1, 2 -> t1, 3 -> t2: t1 is the jump's hottest target. */
  table[0] = (unsigned)TGT(0); table[1] = (unsigned)TGT(1); table[2] = (unsigned)TGT(1); table[3] = (unsigned)TGT(2);

  /* 1: the targets rewritten between hot runs. */
  for (int round = 0; round < 6; round++) {
    int r = 0;
    for (int i = 0; i < 50; i++) r = loop(1000 + i, table);
    printf("round %d: %#x\n", round, r);
    rw();
    emit_target(round % 3, (round + 2) * 3);
    rx();
  }

  /* 2: an index sent to a target never seen before (t3), then back. */
  for (int round = 0; round < 4; round++) {
    table[2] = (unsigned)(round & 1 ? TGT(1) : TGT(3));
    int r = 0;
    for (int i = 0; i < 50; i++) r = loop(997 + i, table);
    printf("table round %d: %#x\n", round, r);
  }
  table[2] = (unsigned)TGT(1);

  /* 3: the loop rewrites target 0's immediate from target 4 while it runs (RWX pages). */
  rwx();
  emit_target(0, 1);
  emit_patcher();
  table[3] = (unsigned)TGT(4);
  for (int round = 0; round < 3; round++) {
    int r = loop(2000 + round, table);
    printf("self-patch round %d: %d\n", round, r);
  }
  table[3] = (unsigned)TGT(2);
  emit_target(0, 7);
  rx();

  /* 4: a fault in a target reached through the jump; the handler maps the page again. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
  ((int *)data)[2] = 100000;
  rw();
  emit_loader();
  rx();
  table[0] = (unsigned)TGT(5);
  for (int round = 0; round < 4; round++) {
    int r = 0;
    for (int i = 0; i < 20; i++) {
      if (i == 10 && round >= 2) mprotect(data, PAGE, PROT_NONE);
      r = loop(1003 + i, table);
    }
    printf("fault round %d: %d faults %d\n", round, r, faults);
  }
  return 0;
}
