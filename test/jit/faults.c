/*
 * Precise faults in translated code: hot loops whose load or store reaches a page that is
 * not accessible, right after a flag-setting instruction. The SIGSEGV handler prints the
 * registers and arithmetic flags from its ucontext (addresses relative to the buffers and
 * the loop, so native and engine runs compare), fixes the mapping with mprotect and
 * returns: the loop resumes at the faulting instruction with the flags it had.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

static unsigned char *buf, *ebuf, *rbuf;
extern char load_loop[], store_loop[], split_loop[], eager_loop[], eager_end[];
extern char e0[], e1[], e2[], e3[], e4[];
extern char rep_movsb_at[], rep_movsd_at[], rep_stosd_at[], rep_end[];

/*
 * rep movs/stos running into a page taken away (the JIT moves them a page-sized chunk at a
 * time): the fault must come with ECX, ESI and EDI where the CPU leaves them, pointing at
 * the first element not moved, and the instruction resumes from there after the handler.
 */
void rep_ops(void *dst, const void *src, unsigned n, int which);
__asm__(".globl rep_ops\nrep_ops:\n"
        "push %esi\npush %edi\n"
        "mov 12(%esp), %edi\nmov 16(%esp), %esi\nmov 20(%esp), %ecx\nmov 24(%esp), %eax\n"
        "cld\n"
        "cmp $1, %eax\nje 1f\ncmp $2, %eax\nje 2f\n"
        "rep_movsb_at: rep movsb\njmp 3f\n"
        "1:\nshr $2, %ecx\nrep_movsd_at: rep movsl\njmp 3f\n"
        "2:\nshr $2, %ecx\nmov $0x5a5a1234, %eax\nrep_stosd_at: rep stosl\n"
        "3:\nrep_end:\npop %edi\npop %esi\nret\n");

/* ebx = sum of words [esi, edx); esi advances by 4; flags from the add right before the load. */
unsigned load_sum(unsigned *from, unsigned *to);
__asm__(".globl load_sum\nload_sum:\n"
        "push %ebx\npush %esi\n"
        "mov 12(%esp), %esi\nmov 16(%esp), %edx\nxor %ebx, %ebx\nsub $4, %esi\n"
        "load_loop:\n"
        "add $4, %esi\n"
        "mov (%esi), %eax\n"
        "add %eax, %ebx\n"
        "lea 4(%esi), %ecx\n"
        "cmp %edx, %ecx\n"
        "jb load_loop\n"
        "mov %ebx, %eax\npop %esi\npop %ebx\nret\n");

/* Stores ecx, ecx-1, ... 1 to edi, edi+4, ...; flags from the add right before the store. */
void store_down(unsigned *to, unsigned n);
__asm__(".globl store_down\nstore_down:\n"
        "push %edi\n"
        "mov 8(%esp), %edi\nmov 12(%esp), %ecx\nsub $4, %edi\n"
        "store_loop:\n"
        "add $4, %edi\n"
        "mov %ecx, (%edi)\n"
        "dec %ecx\n"
        "jnz store_loop\n"
        "pop %edi\nret\n");

/* Unaligned 4-byte loads stepping by one byte: one of them spans into the next page. */
unsigned split_sum(unsigned char *from, unsigned n);
__asm__(".globl split_sum\nsplit_sum:\n"
        "push %esi\n"
        "mov 8(%esp), %esi\nmov 12(%esp), %ecx\nxor %eax, %eax\n"
        "split_loop:\n"
        "xor (%esi), %eax\n"
        "inc %esi\n"
        "sub $1, %ecx\n"
        "jnz split_loop\n"
        "pop %esi\nret\n");

/*
 * Stores right after producers whose flags the JIT computes eagerly (and defers until
 * something reads them, codegen.ts `pend`): 5 stores of 20 bytes per round, so across
 * pages 1-5 each store is the first to reach a page taken away. ecx = groups, eax = seed.
 */
void eager_store(unsigned *to, unsigned n, unsigned seed);
__asm__(".globl eager_store\neager_store:\n"
        "push %edi\n"
        "mov 8(%esp), %edi\nmov 12(%esp), %ecx\nmov 16(%esp), %eax\n"
        "eager_loop:\n"
        "imul $0x9e3779b1, %eax, %eax\n"
        "e0: mov %eax, (%edi)\n"
        "adc %ecx, %eax\n"
        "e1: mov %eax, 4(%edi)\n"
        "shl $3, %eax\n"
        "e2: mov %eax, 8(%edi)\n"
        "or $1, %eax\n"
        "bsf %eax, %edx\n"
        "e3: mov %edx, 12(%edi)\n"
        "shrd $5, %ecx, %eax\n"
        "e4: mov %eax, 16(%edi)\n"
        "lea 20(%edi), %edi\n"
        "dec %ecx\n"
        "jnz eager_loop\n"
        "eager_end:\n"
        "pop %edi\nret\n");

static void handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  greg_t *g = uc->uc_mcontext.gregs;
  unsigned eip = g[REG_EIP], b = (unsigned)buf;
  if (eip >= (unsigned)rep_movsb_at && eip < (unsigned)rep_end) {
    const char *op = eip == (unsigned)rep_movsb_at ? "movsb" : eip == (unsigned)rep_movsd_at ? "movsd" : eip == (unsigned)rep_stosd_at ? "stosd" : "?";
    printf("rep %s fault at rbuf+%#x ecx=%#x esi=rbuf+%#x edi=rbuf+%#x\n", op, (unsigned)((unsigned char *)si->si_addr - rbuf),
           (unsigned)g[REG_ECX], (unsigned)g[REG_ESI] - (unsigned)rbuf, (unsigned)g[REG_EDI] - (unsigned)rbuf);
    mprotect((void *)((unsigned)si->si_addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
    return;
  }
  if (eip >= (unsigned)eager_loop && eip < (unsigned)eager_end) {
    /* The flags each producer defines (Intel SDM: imul CF OF; adc all; shl by 3 CF ZF SF PF; bsf ZF; shrd by 5 CF ZF SF PF). */
    char *at[5] = { e0, e1, e2, e3, e4 };
    unsigned mask[5] = { 0x801, 0x8d5, 0xc5, 0x40, 0xc5 };
    int k = 0;
    while (k < 5 && (unsigned)at[k] != eip) k++;
    printf("eager store e%d at ebuf+%#x flags=%#x eax=%#x ecx=%#x\n", k, (unsigned)((unsigned char *)si->si_addr - ebuf),
           k < 5 ? (unsigned)g[REG_EFL] & mask[k] : 0xffff, (unsigned)g[REG_EAX], (unsigned)g[REG_ECX]);
    mprotect((void *)((unsigned)si->si_addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
    return;
  }
  printf("sig %d code %d addr buf+%#x flags=%#x write=%lu: ", sig, si->si_code, (unsigned)((unsigned char *)si->si_addr - buf),
         (unsigned)g[REG_EFL] & 0x8d5, (unsigned long)(g[REG_ERR] & 2) >> 1);
  /* Only the registers each loop defines (the others hold addresses that differ between runs). */
  if (eip >= (unsigned)split_loop)
    printf("split+%u eax=%#x ecx=%#x esi=buf+%#x\n", eip - (unsigned)split_loop, (unsigned)g[REG_EAX], (unsigned)g[REG_ECX], (unsigned)g[REG_ESI] - b);
  else if (eip >= (unsigned)store_loop)
    printf("store+%u ecx=%#x edi=buf+%#x\n", eip - (unsigned)store_loop, (unsigned)g[REG_ECX], (unsigned)g[REG_EDI] - b);
  else if (eip >= (unsigned)load_loop)
    printf("load+%u eax=%#x ebx=%#x ecx=buf+%#x edx=buf+%#x esi=buf+%#x\n", eip - (unsigned)load_loop, (unsigned)g[REG_EAX],
           (unsigned)g[REG_EBX], (unsigned)g[REG_ECX] - b, (unsigned)g[REG_EDX] - b, (unsigned)g[REG_ESI] - b);
  else printf("elsewhere\n");
  mprotect((void *)((unsigned)si->si_addr & ~4095u), 4096, PROT_READ | PROT_WRITE);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, 0);
  /*
   * At a fixed address: the handler prints the flags of `add $4, esi` on a pointer into buf, so
   * SF is the address's top bit, which differs between the kernel's top-down layout (0xf7...)
   * and the engine's bottom-up one (docs/ARCHITECTURE.md, Memory).
   */
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
  buf = mmap((void *)0x30000000, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (buf == MAP_FAILED) { perror("mmap buf"); return 1; }
  for (unsigned i = 0; i < 4 * 4096 / 4; i++) ((unsigned *)buf)[i] = i * 2654435761u;
  for (int round = 0; round < 3; round++) {
    mprotect(buf + 4096, 4096, PROT_NONE);
    printf("load sum %#x\n", load_sum((unsigned *)buf, (unsigned *)(buf + 2 * 4096)));
    mprotect(buf + 2 * 4096, 4096, PROT_READ);
    store_down((unsigned *)(buf + 4096), 2048 - 7 * round);
    printf("stored %#x %#x\n", ((unsigned *)buf)[2048], ((unsigned *)buf)[2048 + 1000]);
    mprotect(buf + 3 * 4096, 4096, PROT_NONE);
    printf("split sum %#x\n", split_sum(buf + 2 * 4096 + 8, 4096 + 64));
  }
  ebuf = mmap(0, 6 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int page = 1; page <= 5; page++) {
    mprotect(ebuf + page * 4096, 4096, PROT_NONE);
    eager_store((unsigned *)ebuf, page * 4096 / 20 + 2, 0x1234567u * page);
    unsigned sum = 0;
    for (unsigned i = 0; i < 6 * 1024; i++) sum = sum * 33 + ((unsigned *)ebuf)[i];
    printf("eager page %d sum %#x\n", page, sum);
  }
  /* rbuf: 8 pages; copies from the first half to the second, unaligned; a page of either side taken away. */
  rbuf = mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int round = 0; round < 6; round++) {
    for (unsigned i = 0; i < 8 * 4096; i++) rbuf[i] = (unsigned char)(i * 7 + round);
    int which = round % 3;
    /* Odd rounds of movs: a source page goes; the others: a destination page. */
    int src = (round & 1) && which != 2;
    mprotect(rbuf + (src ? 1 + round / 2 : 5 + round / 2) * 4096, 4096, src ? PROT_NONE : PROT_READ);
    rep_ops(rbuf + 4 * 4096 + 3 + round, rbuf + 5 + round * 2, 3 * 4096 + 100, which);
    unsigned sum = 0;
    for (unsigned i = 0; i < 8 * 4096; i++) sum = sum * 33 + rbuf[i];
    printf("rep round %d sum %#x\n", round, sum);
  }
  return 0;
}
