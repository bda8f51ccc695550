/*
 * sigtrap.c - a breakpoint (int3) with no debugger and no handler must kill
 * the program with SIGTRAP (exit status 128+5 = 133 as seen by the shell).
 */
#include <stdio.h>

int main(void)
{
	printf("before fault\n");
	fflush(stdout);
	__asm__ volatile("int3");
	printf("FAIL %s:%d: int3 did not trap\n", __FILE__, __LINE__);
	return 1;
}
