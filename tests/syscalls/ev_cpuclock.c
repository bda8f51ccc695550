/*
 * ev_cpuclock: CPU-time clocks.  A thread that computes accumulates its
 * own CLOCK_THREAD_CPUTIME_ID while a sleeping one does not; the process
 * clock counts both; pthread_getcpuclockid gives another thread's clock;
 * CPU clocks have a 1 ns resolution.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int go[2];

static int64_t ns_of(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) != 0)
		return -1;
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *worker(void *arg)
{
	volatile uint64_t x = 0;
	char c;

	(void)arg;
	/* Compute until this thread has used 100 ms of CPU. */
	while (ns_of(CLOCK_THREAD_CPUTIME_ID) < 100000000LL)
		for (int i = 0; i < 1000000; i++)
			x += (uint64_t)i;
	(void)!read(go[0], &c, 1);      /* stay alive until main has looked */
	return NULL;
}

int main(void)
{
	pthread_t th;
	clockid_t wc;
	struct timespec res;

	if (!CHECK_OK(pipe(go)))
		return check_done();
	int64_t main0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	if (!CHECK_EQ(pthread_create(&th, NULL, worker, NULL), 0))
		return check_done();
	CHECK_EQ(pthread_getcpuclockid(th, &wc), 0);
	/* Sleep (no CPU) until the worker has done its share. */
	while (ns_of(wc) < 100000000LL) {
		struct timespec nap = { 0, 10000000 };
		nanosleep(&nap, NULL);
	}
	CHECK(ns_of(wc) >= 100000000LL);
	CHECK(ns_of(CLOCK_PROCESS_CPUTIME_ID) >= 100000000LL);
	/* The sleeper used far less than the worker. */
	CHECK(ns_of(CLOCK_THREAD_CPUTIME_ID) - main0 < 50000000LL);
	CHECK_EQ(write(go[1], "x", 1), 1);
	CHECK_EQ(pthread_join(th, NULL), 0);

	CHECK_OK(clock_getres(CLOCK_THREAD_CPUTIME_ID, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec == 1);
	CHECK_OK(clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec == 1);
	clockid_t pc;
	CHECK_EQ(clock_getcpuclockid(getpid(), &pc), 0);
	CHECK(ns_of(pc) >= 100000000LL);
	return check_done();
}
