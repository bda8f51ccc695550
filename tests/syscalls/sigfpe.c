/*
 * sigfpe.c - an integer division by zero (#DE) must kill the program with
 * SIGFPE (exit status 128+8 = 136 as seen by the shell).
 */
#include <stdio.h>

int main(void)
{
	/* volatile: the division must happen at run time. */
	volatile int a = 1, b = 0;
	int c;

	printf("before fault\n");
	fflush(stdout);
	c = a / b;
	printf("FAIL %s:%d: division by zero did not fault (got %d)\n",
	       __FILE__, __LINE__, c);
	return 1;
}
