/* Many distinct hot functions, called in rounds: with a tiny JIT budget their modules are
   evicted and translated again while the program runs; the output must not change. */
#include <stdio.h>

#define F(n) __attribute__((noinline)) static unsigned f##n(unsigned x) { \
  for (int i = 0; i < 3; i++) x = x * (2 * n + 1) + (x >> (n % 7 + 1)) + n; return x; }
#define F8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
F8(1) F8(2) F8(3) F8(4) F8(5) F8(6)
#define C8(a) x = f##a##0(x); x = f##a##1(x); x = f##a##2(x); x = f##a##3(x); \
  x = f##a##4(x); x = f##a##5(x); x = f##a##6(x); x = f##a##7(x);

int main(void) {
  unsigned x = 1;
  for (int round = 0; round < 20; round++) {
    C8(1) C8(2) C8(3) C8(4) C8(5) C8(6)
    if (round % 5 == 4) printf("round %d: %08x\n", round, x);
  }
  return 0;
}
