/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* futex_pingpong: two threads hand a turn back and forth with FUTEX_WAIT and
 * FUTEX_WAKE; one op is one round trip (two wakes, up to two waits). */
#define BENCH_NAME "futex_pingpong"
#define BENCH_DEFAULT_ITERS 17000
#include "bench.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

enum { MAIN_TURN, HELPER_TURN, STOP };
static _Atomic int turn = MAIN_TURN;
static pthread_t helper;

static void fwait(int val)
{
	syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void fwake(void)
{
	if (syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
		bench_die("futex wake");
}

static void *helper_main(void *arg)
{
	int v;

	(void)arg;
	for (;;) {
		while ((v = atomic_load(&turn)) == MAIN_TURN)
			fwait(MAIN_TURN);
		if (v == STOP)
			return NULL;
		atomic_store(&turn, MAIN_TURN);
		fwake();
	}
}

static int bench_setup(long iters)
{
	(void)iters;
	errno = pthread_create(&helper, NULL, helper_main, NULL);
	if (errno)
		bench_die("pthread_create");
	return 0;
}

static void bench_teardown(void)
{
	atomic_store(&turn, STOP);
	fwake();
	pthread_join(helper, NULL);
}

static long long bench_run(long iters)
{
	for (long i = 0; i < iters; i++) {
		atomic_store(&turn, HELPER_TURN);
		fwake();
		while (atomic_load(&turn) == HELPER_TURN)
			fwait(HELPER_TURN);
	}
	return -1;
}
