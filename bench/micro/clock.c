/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* clock: clock_gettime(CLOCK_MONOTONIC); natively served by the vDSO. */
#define BENCH_NAME "clock"
#define BENCH_DEFAULT_ITERS 2500000
#include "bench.h"

static int bench_setup(long iters) { (void)iters; return 0; }
static void bench_teardown(void) {}

static long long bench_run(long iters)
{
	struct timespec ts;

	for (long i = 0; i < iters; i++) {
		if (clock_gettime(CLOCK_MONOTONIC, &ts))
			bench_die("clock_gettime");
		bench_keep(ts.tv_nsec);
	}
	return -1;
}
