/*
 * sigsegv.c - a store to address 0 must kill the program with SIGSEGV
 * (exit status 128+11 = 139 as seen by the shell). Output flushed before the
 * fault must still appear. Reaching the end of main is a failure.
 */
#include <stdio.h>

int main(void)
{
	/* volatile: the compiler must emit a real store, not a trap. */
	volatile int *volatile p = NULL;

	printf("before fault\n");
	fflush(stdout);
	*p = 42;
	printf("FAIL %s:%d: store to NULL did not fault\n", __FILE__, __LINE__);
	return 1;
}
