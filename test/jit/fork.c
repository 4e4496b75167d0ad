/*
 * fork while regions run: parent and child share translated code (one module, an instance
 * per address space) but not memory, so each must see its own data; a child that rewrites
 * code must not change what its parent runs.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned table[4096];

static unsigned __attribute__((noinline)) checksum(const unsigned *t, int n) {
  unsigned h = 2166136261u;
  for (int i = 0; i < n; i++) h = (h ^ t[i]) * 16777619u + (h >> 7);
  return h;
}

typedef int (*fn_t)(int);

int main(void) {
  for (int i = 0; i < 4096; i++) table[i] = i * 7;
  unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  /* lea eax, [ecx*2+imm]; ... f(x) = 2x + k */
  static const unsigned char f[] = { 0x8b, 0x4c, 0x24, 0x04, 0x8d, 0x04, 0x4d, 1, 0, 0, 0, 0xc3 };
  memcpy(code, f, sizeof f);
  unsigned s = 0;
  for (int r = 0; r < 20; r++) s += checksum(table, 4096);
  for (int r = 0; r < 5000; r++) s += ((fn_t)code)(r);
  printf("parent before fork: %#x\n", s);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 4096; i += 3) table[i] ^= 0x5a5a;
    code[7] = 9;
    unsigned c = 0;
    for (int r = 0; r < 20; r++) c += checksum(table, 4096);
    for (int r = 0; r < 5000; r++) c += ((fn_t)code)(r);
    printf("child: %#x\n", c);
    return 0;
  }
  int st;
  waitpid(pid, &st, 0);
  unsigned p = 0;
  for (int r = 0; r < 20; r++) p += checksum(table, 4096);
  for (int r = 0; r < 5000; r++) p += ((fn_t)code)(r);
  printf("parent after child (status %d): %#x\n", WEXITSTATUS(st), p);
  return 0;
}
