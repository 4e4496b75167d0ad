/*
 * Self-modifying and generated code under the JIT: every result must change exactly when
 * the code bytes do, however they were written.
 *   1. a hot loop rewrites an immediate of its own next iteration (store into running code);
 *   2. a JIT-like emitter: mmap RW, emit, mprotect RX, run hot, mprotect RW, patch, RX, run;
 *   3. code written by the kernel (read(2) from a pipe) into an executable page;
 *   4. code written by a second thread while the first keeps calling it;
 *   5. code written by a child process into a MAP_SHARED mapping the parent executes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*fn_t)(int);

/* mov eax, imm32; loop: add eax, imm32; dec ecx... as bytes: f(n) = imm0 + n * imm1 (n > 0). */
static void emit(unsigned char *p, int base, int step) {
  static const unsigned char tmpl[] = {
    0x8b, 0x4c, 0x24, 0x04,             /* mov ecx, [esp+4] */
    0xb8, 0, 0, 0, 0,                   /* mov eax, base */
    0x05, 0, 0, 0, 0,                   /* 1: add eax, step */
    0x49,                               /* dec ecx */
    0x75, 0xf8,                         /* jnz 1b */
    0xc3,                               /* ret */
  };
  memcpy(p, tmpl, sizeof tmpl);
  memcpy(p + 5, &base, 4);
  memcpy(p + 10, &step, 4);
}

/* 1: the loop stores i into the immediate of its own `add` each iteration, so the add
 * executed in iteration i+1 adds i: the sum is 0 + 0 + 1 + ... + (n-2). */
static int self_patch(unsigned char *code, int n) {
  static const unsigned char tmpl[] = {
    0x8b, 0x4c, 0x24, 0x04,             /* mov ecx, [esp+4] */
    0x31, 0xc0,                         /* xor eax, eax */
    0x31, 0xd2,                         /* xor edx, edx */
    0x05, 0, 0, 0, 0,                   /* 1: add eax, imm (patched) */
    0x89, 0x15, 0, 0, 0, 0,             /* mov [abs imm address], edx */
    0x42,                               /* inc edx */
    0x49,                               /* dec ecx */
    0x75, 0xf1,                         /* jnz 1b */
    0xc3,
  };
  memcpy(code, tmpl, sizeof tmpl);
  unsigned addr = (unsigned)(code + 9);
  memcpy(code + 15, &addr, 4);
  return ((fn_t)code)(n);
}

static unsigned char *shared_code;
static volatile int phase;

static void *writer(void *arg) {
  (void)arg;
  while (phase != 1) sched_yield();
  emit(shared_code, 1000, 3);
  __sync_synchronize();
  phase = 2;
  return 0;
}

int main(void) {
  unsigned char *rwx = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (rwx == MAP_FAILED) return 1;
  int a = self_patch(rwx, 5000), b = self_patch(rwx, 3000);
  printf("self-patching loop: %d %d\n", a, b);

  unsigned char *jit = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long sum = 0;
  for (int round = 0; round < 6; round++) {
    mprotect(jit, 4096, PROT_READ | PROT_WRITE);
    emit(jit, round * 100, round + 1);
    mprotect(jit, 4096, PROT_READ | PROT_EXEC);
    for (int k = 0; k < 3000; k++) sum += ((fn_t)jit)(10 + (k & 7));
    printf("emitter round %d: f(5) = %d, sum %ld\n", round, ((fn_t)jit)(5), sum);
  }

  int fds[2];
  if (pipe(fds)) return 2;
  emit(rwx, 7, 7);
  for (int k = 0; k < 3000; k++) sum += ((fn_t)rwx)(4);
  unsigned char tmp[32];
  emit(tmp, -5, 2);
  if (write(fds[1], tmp, sizeof tmp) != sizeof tmp || read(fds[0], rwx, sizeof tmp) != sizeof tmp) return 3;
  printf("written by read(2): f(4) = %d (sum %ld)\n", ((fn_t)rwx)(4), sum);

  shared_code = rwx;
  emit(shared_code, 1, 1);
  pthread_t t;
  pthread_create(&t, 0, writer, 0);
  for (int k = 0; k < 5000; k++) sum += ((fn_t)shared_code)(3);
  phase = 1;
  while (phase != 2) sched_yield();
  printf("written by a thread: f(3) = %d (sum %ld)\n", ((fn_t)shared_code)(3), sum);
  pthread_join(t, 0);

  unsigned char *sh = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  emit(sh, 2, 2);
  for (int k = 0; k < 5000; k++) sum += ((fn_t)sh)(6);
  pid_t pid = fork();
  if (pid == 0) { emit(sh, 50, 5); _exit(0); }
  waitpid(pid, 0, 0);
  printf("written by a child through MAP_SHARED: f(6) = %d (sum %ld)\n", ((fn_t)sh)(6), sum);
  return 0;
}
