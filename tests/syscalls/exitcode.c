/*
 * exitcode.c - exit with the status given in argv[1] (default 0).
 *
 * The runner invokes it as exitcode, exitcode 1 and exitcode 42 (the plain
 * binary is also run with no argument by the generic loop) and compares the
 * exit status with the native one. The code goes through _exit() (exit_group)
 * after printing, so stdout flushing on exit is exercised as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 0;

	printf("exiting with %d\n", code);
	fflush(stdout);
	_exit(code);
}
