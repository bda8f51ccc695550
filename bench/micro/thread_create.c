/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* thread_create: pthread_create of a thread that returns at once, + join. */
#define BENCH_NAME "thread_create"
#define BENCH_DEFAULT_ITERS 3500
#include "bench.h"
#include <pthread.h>

static void *nothing(void *arg) { return arg; }

static int bench_setup(long iters) { (void)iters; return 0; }
static void bench_teardown(void) {}

static long long bench_run(long iters)
{
	for (long i = 0; i < iters; i++) {
		pthread_t t;

		errno = pthread_create(&t, NULL, nothing, NULL);
		if (errno)
			bench_die("pthread_create");
		pthread_join(t, NULL);
	}
	return -1;
}
