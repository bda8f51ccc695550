/*
 * ev_itimer: the CPU-time interval timers.  ITIMER_PROF and
 * ITIMER_VIRTUAL fire while the process computes (SIGPROF, SIGVTALRM),
 * re-arm from it_interval, report the interval back, and disarm with
 * zero; bad "which" is EINVAL.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "check.h"

static volatile int prof, virt;

static void on_sig(int sig)
{
	if (sig == SIGPROF)
		prof++;
	else
		virt++;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
	struct itimerval v = { { 0, 20000 }, { 0, 50000 } }, o, zero = { { 0, 0 }, { 0, 0 } };

	signal(SIGPROF, on_sig);
	signal(SIGVTALRM, on_sig);
	CHECK_OK(setitimer(ITIMER_PROF, &v, NULL));
	CHECK_OK(setitimer(ITIMER_VIRTUAL, &v, NULL));
	CHECK_OK(getitimer(ITIMER_PROF, &o));
	CHECK_EQ(o.it_interval.tv_usec, 20000);

	/* Compute until each has fired three times (5 s at most). */
	volatile uint64_t x = 0;
	int64_t t0 = mono_ms();
	while ((prof < 3 || virt < 3) && mono_ms() - t0 < 5000)
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i;
	CHECK(prof >= 3);
	CHECK(virt >= 3);

	CHECK_OK(setitimer(ITIMER_PROF, &zero, &o));
	CHECK_EQ(o.it_interval.tv_usec, 20000);
	CHECK_OK(setitimer(ITIMER_VIRTUAL, &zero, NULL));
	CHECK_OK(getitimer(ITIMER_PROF, &o));
	CHECK(o.it_value.tv_sec == 0 && o.it_value.tv_usec == 0);
	CHECK_ERR(setitimer(7, &v, NULL), EINVAL);
	CHECK_ERR(getitimer(-1, &o), EINVAL);
	return check_done();
}
