/*
 * sigbus.c - touching a page of shared anonymous memory beyond the size of
 * its object (after mremap grew the mapping) must kill the program with
 * SIGBUS (exit status 128+7 = 135 as seen by the shell).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("FAIL %s:%d: mmap\n", __FILE__, __LINE__);
		return 1;
	}
	p[0] = 1;
	char *q = mremap(p, 4096, 8192, MREMAP_MAYMOVE);
	if (q == MAP_FAILED) {
		printf("FAIL %s:%d: mremap\n", __FILE__, __LINE__);
		return 1;
	}
	printf("before fault %d\n", q[0]);
	fflush(stdout);
	((volatile char *)q)[4096] = 1;
	printf("FAIL %s:%d: no SIGBUS past the object\n", __FILE__, __LINE__);
	return 1;
}
