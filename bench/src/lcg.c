#include <unistd.h>
int main(int argc, char **argv) {
  unsigned x = 1, s = 0;
  for (unsigned i = 0; i < 30000000u; i++) { x = x * 1103515245u + 12345u; s += (x >> 16) ^ i; }
  return s & 0x7f;
}
