#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  printf("hello from C, %d args, %zu\n", argc, strlen(argv[0]));
  return 0;
}
