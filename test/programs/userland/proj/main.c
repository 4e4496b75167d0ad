#include <stdio.h>
int add(int a, int b);
int main(void) { printf("sum %d\n", add(40, 2)); return 0; }
