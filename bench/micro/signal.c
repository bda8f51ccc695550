/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* signal: raise(SIGUSR1) with a handler installed by sigaction; one op is
 * the whole round trip (glibc's raise masks, tgkill, unmasks; delivery;
 * rt_sigreturn). */
#define BENCH_NAME "signal"
#define BENCH_DEFAULT_ITERS 18000
#include "bench.h"
#include <signal.h>

static volatile sig_atomic_t caught;

static void handler(int sig) { (void)sig; caught++; }

static int bench_setup(long iters)
{
	struct sigaction sa;

	(void)iters;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		bench_die("sigaction");
	return 0;
}

static void bench_teardown(void) {}

static long long bench_run(long iters)
{
	long long t0 = bench_now_ns();
	sig_atomic_t before = caught;

	for (long i = 0; i < iters; i++)
		raise(SIGUSR1);
	long long took = bench_now_ns() - t0;
	if ((long)(caught - before) != iters) {
		errno = 0;
		bench_die("a signal was lost");
	}
	return took;
}
