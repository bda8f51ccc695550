/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* mmap_touch: mmap 1 MiB of private anonymous memory, write one byte in each
 * 4 KiB page, munmap; one op is one MiB. */
#define BENCH_NAME "mmap_touch"
#define BENCH_DEFAULT_ITERS 35
#include "bench.h"
#include <sys/mman.h>

#define SIZE (1 << 20)
#define PAGE 4096

static int bench_setup(long iters) { (void)iters; return 0; }
static void bench_teardown(void) {}

static long long bench_run(long iters)
{
	for (long i = 0; i < iters; i++) {
		char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			bench_die("mmap");
		for (long off = 0; off < SIZE; off += PAGE)
			((volatile char *)p)[off] = 1;
		if (munmap(p, SIZE))
			bench_die("munmap");
	}
	return -1;
}
