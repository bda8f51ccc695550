/*
 * sigill.c - executing ud2 must kill the program with SIGILL
 * (exit status 128+4 = 132 as seen by the shell).
 */
#include <stdio.h>

int main(void)
{
	printf("before fault\n");
	fflush(stdout);
	__asm__ volatile("ud2");
	printf("FAIL %s:%d: ud2 did not fault\n", __FILE__, __LINE__);
	return 1;
}
