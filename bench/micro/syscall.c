/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* syscall: getppid through syscall(2), so no libc caching can hide it. */
#define BENCH_NAME "syscall"
#define BENCH_DEFAULT_ITERS 100000
#include "bench.h"
#include <sys/syscall.h>

static int bench_setup(long iters) { (void)iters; return 0; }
static void bench_teardown(void) {}

static long long bench_run(long iters)
{
	for (long i = 0; i < iters; i++)
		bench_keep(syscall(SYS_getppid));
	return -1;
}
