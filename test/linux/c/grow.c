/*
 * A process whose mappings reach far: 512 MiB mapped in 64 MiB pieces and every page
 * touched (the engine's memory grows under the program: mem/address-space.ts), the
 * content read back through write(2) from the far end, a fork whose child sees the
 * parent's pages and whose writes stay its own, munmap, and fresh pages zero again.
 * Prints checksums only (no addresses): the output must equal a native run.
 *
 * With an argument "probe": maps 256 MiB pieces until mmap fails and prints the errno
 * and that every piece mapped still holds its pattern (the engine test runs it with a host
 * that refuses to grow the memory past a limit: ENOMEM, never a crash), then that a
 * MAP_FIXED mapping below the engine's mmap_min_addr is EPERM.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIECE (64u << 20)
#define PIECES 8
#define PAGE 4096u

static uint32_t pattern(unsigned piece, unsigned page) { return (piece * 0x9e3779b9u) ^ (page * 0x85ebca6bu) ^ 0x5a5a5a5au; }

/* Sum of every page's first word of piece p, and whether each holds its pattern (+ delta). */
static uint32_t check(unsigned char *base, unsigned p, uint32_t delta, int *bad) {
  uint32_t sum = 0;
  for (unsigned pg = 0; pg < PIECE / PAGE; pg++) {
    uint32_t v = *(uint32_t *)(base + pg * PAGE);
    if (v != pattern(p, pg) + delta) (*bad)++;
    sum = sum * 31 + v;
  }
  return sum;
}

static int probe(void) {
  unsigned char *got[16];
  int n = 0, err = 0;
  for (; n < 16; n++) {
    void *p = mmap(NULL, 256u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { err = errno; break; }
    got[n] = p;
    for (unsigned off = 0; off < (256u << 20); off += 1u << 20) *(uint32_t *)(got[n] + off) = n * 4096 + (off >> 20);
  }
  int bad = 0;
  for (int i = 0; i < n; i++)
    for (unsigned off = 0; off < (256u << 20); off += 1u << 20) if (*(uint32_t *)(got[i] + off) != i * 4096u + (off >> 20)) bad++;
  printf("mapped %d pieces of 256 MiB, then %s; %d bad words\n", n, err == ENOMEM ? "ENOMEM" : err ? strerror(err) : "no failure", bad);
  fflush(stdout);
  /* Memory still works after the failure: a small mapping and a write(2) from it. */
  char *small = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (small == MAP_FAILED) return 1;
  strcpy(small, "small mapping after the failure works\n");
  write(1, small, strlen(small));
  /* Below the engine's mmap_min_addr (0x200000; docs/ARCHITECTURE.md): EPERM, as Linux answers
   * below vm.mmap_min_addr without CAP_SYS_RAWIO (native root may map there: engine only). */
  void *low = mmap((void *)0x100000, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  printf("MAP_FIXED at 0x100000: %s\n", low == MAP_FAILED ? strerror(errno) : "mapped");
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "probe") == 0) return probe();
  unsigned char *piece[PIECES];
  for (unsigned p = 0; p < PIECES; p++) {
    piece[p] = mmap(NULL, PIECE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (piece[p] == MAP_FAILED) { printf("mmap %u: %s\n", p, strerror(errno)); return 1; }
    for (unsigned pg = 0; pg < PIECE / PAGE; pg++) *(uint32_t *)(piece[p] + pg * PAGE) = pattern(p, pg);
  }
  /* The last page of the last piece, written byte by byte, then read back by the kernel. */
  unsigned char *last = piece[PIECES - 1] + PIECE - PAGE;
  for (unsigned i = 0; i < 64; i++) last[16 + i] = "the far end of 512 MiB of mappings reads back through write(2)\n"[i];
  write(1, last + 16, 63);
  write(1, "\n", 1);
  int bad = 0;
  uint32_t total = 0;
  for (unsigned p = 0; p < PIECES; p++) total ^= check(piece[p], p, 0, &bad);
  printf("parent before fork: sum %08x, %d bad\n", total, bad);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int cbad = 0;
    uint32_t csum = 0;
    for (unsigned p = 0; p < PIECES; p++) csum ^= check(piece[p], p, 0, &cbad);
    printf("child sees: sum %08x, %d bad\n", csum, cbad);
    /* The child's writes are its own. */
    for (unsigned p = 0; p < PIECES; p++)
      for (unsigned pg = 0; pg < PIECE / PAGE; pg++) *(uint32_t *)(piece[p] + pg * PAGE) += 1;
    cbad = 0;
    csum = 0;
    for (unsigned p = 0; p < PIECES; p++) csum ^= check(piece[p], p, 1, &cbad);
    printf("child after its writes: sum %08x, %d bad\n", csum, cbad);
    fflush(stdout);
    _exit(cbad ? 1 : 7);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  bad = 0;
  uint32_t after = 0;
  for (unsigned p = 0; p < PIECES; p++) after ^= check(piece[p], p, 0, &bad);
  printf("parent after the child: sum %08x, %d bad, %s\n", after, bad, after == total ? "unchanged" : "CHANGED");
  for (unsigned p = 0; p < PIECES; p++) if (munmap(piece[p], PIECE)) { printf("munmap: %s\n", strerror(errno)); return 1; }
  /* Fresh anonymous pages read as zeros, wherever they land (the old range or not). */
  unsigned char *again = mmap(NULL, PIECE * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (again == MAP_FAILED) { printf("mmap again: %s\n", strerror(errno)); return 1; }
  unsigned nonzero = 0;
  for (unsigned off = 0; off < PIECE * 2; off += PAGE) nonzero += *(uint32_t *)(again + off) != 0;
  printf("remapped 128 MiB: %u non-zero pages\n", nonzero);
  return 0;
}
