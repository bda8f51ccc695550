/* hello.c - the smallest useful test: print a greeting and exit 0. */
#include <stdio.h>

int main(void)
{
	printf("hello, world\n");
	return 0;
}
