/*
 * ev_timers: a 1 ms periodic timer loses no expiration: a timerfd counts
 * them all, and a POSIX timer's signals plus their overruns add up to the
 * periods that passed.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
	struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };

	/* timerfd: read until 300 ms have passed; the sum is the periods
	 * that passed by the last read, which took its count between the
	 * times taken around it (a stall of the VM before or after must not
	 * count). */
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	if (!CHECK(fd >= 0))
		return check_done();
	int64_t t0 = now_ns();
	CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
	uint64_t total = 0, v;
	int64_t t_before = t0, t_after = t0;
	while (t_after - t0 < 300000000LL) {
		t_before = now_ns();
		if (!CHECK_EQ(read(fd, &v, sizeof(v)), 8))
			break;
		t_after = now_ns();
		total += v;
	}
	int64_t lo = (t_before - t0) / 1000000, hi = (t_after - t0) / 1000000;
	CHECK(total + 3 >= (uint64_t)lo && total <= (uint64_t)hi + 1);
	close(fd);

	/* A POSIX timer with a blocked signal taken by sigwaitinfo. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	timer_t tid;
	if (!CHECK_OK(timer_create(CLOCK_MONOTONIC, &sev, &tid)))
		return check_done();
	t0 = now_ns();
	CHECK_OK(timer_settime(tid, 0, &its, NULL));
	/* Each signal and its overruns count every period up to its
	 * dequeue; the periods are counted up to the last one (a disarm
	 * would drop the overruns of a signal still queued, so a stall
	 * between the loop and the disarm must not count). */
	int64_t got = 0;
	t_before = t_after = t0;
	while (t_after - t0 < 300000000LL) {
		siginfo_t si;
		t_before = now_ns();
		if (!CHECK_EQ(sigwaitinfo(&set, &si), SIGRTMIN))
			break;
		t_after = now_ns();
		CHECK_EQ(si.si_code, SI_TIMER);
		got += 1 + si.si_overrun;
	}
	lo = (t_before - t0) / 1000000;
	hi = (t_after - t0) / 1000000;
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	CHECK_OK(timer_settime(tid, 0, &off, NULL));
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	while (sigtimedwait(&set, &si, &zero) == SIGRTMIN)
		;
	CHECK(got + 3 >= lo && got <= hi + 2);
	CHECK_OK(timer_delete(tid));
	return check_done();
}
