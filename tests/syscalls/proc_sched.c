/*
 * proc_sched.c - scheduling and resource accounting: getpriority and
 * setpriority (PRIO_PROCESS on self and on a child; the raw syscall's
 * 20-nice encoding; nice values clamped to [-20, 19]; EINVAL for a bad
 * `which`, ESRCH for a pid no process has; nice inherited by fork), nice();
 * sched_getscheduler, sched_getparam, sched_get_priority_min/max (and
 * EINVAL for a bad policy), sched_setscheduler (SCHED_OTHER with priority
 * 0 only); sched_getaffinity/sched_setaffinity round trip (EINVAL for an
 * empty mask and a size not a multiple of 8); sched_rr_get_interval;
 * getrusage (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD; EINVAL for a bad
 * who); CPU time after a busy loop as seen by getrusage, times() and
 * CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID, and a reaped child's
 * CPU time in RUSAGE_CHILDREN and wait4's rusage.
 *
 * Anything that changes the process's own scheduling state runs in a
 * forked child, which reports through its exit status.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define NOPID INT_MAX		/* above any pid_max: no process has it */

/* Reap pid and check that it exited with code. */
#define REAP_EXIT(pid, code)                                                 \
	({                                                                   \
		int st_ = -1;                                                \
		CHECK_EQ(waitpid(pid, &st_, 0), pid) &&                      \
			CHECK(WIFEXITED(st_)) &&                             \
			CHECK_EQ(WEXITSTATUS(st_), code);                    \
	})

/* Child side: exit 0 if all its checks held, else 1. */
static void child_done(void)
{
	_exit(check_done());
}

static long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000L + ts->tv_nsec;
}

static long cpu_ns(clockid_t clk)
{
	struct timespec ts = { 0, 0 };

	if (syscall(SYS_clock_gettime, clk, &ts) != 0)
		return -1;
	return ns_of(&ts);
}

static long tv_ms(const struct timeval *tv)
{
	return tv->tv_sec * 1000L + tv->tv_usec / 1000;
}

/*
 * Spin until this process has used ms milliseconds more CPU time (by
 * CLOCK_PROCESS_CPUTIME_ID), giving up after 3 s of wall time. Returns
 * the wall time spent, in ns.
 */
static long burn(long ms)
{
	long c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	long w0 = cpu_ns(CLOCK_MONOTONIC), w = w0;
	volatile unsigned long x = 0;

	while (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0 < ms * 1000000L) {
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i * x + 1;
		w = cpu_ns(CLOCK_MONOTONIC);
		if (w - w0 > 3000000000L)
			break;
	}
	return w - w0;
}

/* ------------------------------------------------------ priorities */

static void test_priority_self(void)
{
	pid_t pid = xfork();

	if (pid == 0) {
		/* Root may set any nice value in [-20, 19]. */
		CHECK_OK(setpriority(PRIO_PROCESS, 0, 0));
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0);
		for (int n = -20; n <= 19; n += 3) {
			CHECK_OK(setpriority(PRIO_PROCESS, 0, n));
			errno = 0;
			CHECK_EQ(getpriority(PRIO_PROCESS, 0), n);
			CHECK_EQ(errno, 0);
			/* The raw syscall answers 20 - nice (1..40). */
			CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0),
				 20 - n);
			/* who = own pid is the same as 0. */
			CHECK_EQ(getpriority(PRIO_PROCESS, getpid()), n);
		}
		/* nice -1 is a valid value, not an error. */
		CHECK_OK(setpriority(PRIO_PROCESS, getpid(), -1));
		errno = 0;
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), -1);
		CHECK_EQ(errno, 0);
		CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 21);

		/* Out of range values are clamped, not refused. */
		CHECK_OK(setpriority(PRIO_PROCESS, 0, 100));
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);
		CHECK_OK(setpriority(PRIO_PROCESS, 0, 20));
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);
		CHECK_OK(setpriority(PRIO_PROCESS, 0, -100));
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20);
		CHECK_OK(setpriority(PRIO_PROCESS, 0, -21));
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20);
		CHECK_OK(setpriority(PRIO_PROCESS, 0, INT_MIN));
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20);
		CHECK_OK(setpriority(PRIO_PROCESS, 0, INT_MAX));
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);

		/* Bad which; a pid nobody has (and negative ones). */
		CHECK_ERR(getpriority((__priority_which_t)3, 0), EINVAL);
		CHECK_ERR(getpriority((__priority_which_t)-1, 0), EINVAL);
		CHECK_ERR(setpriority((__priority_which_t)3, 0, 0), EINVAL);
		CHECK_ERR(setpriority((__priority_which_t)-1, 0, 0), EINVAL);
		CHECK_ERR(getpriority(PRIO_PROCESS, NOPID), ESRCH);
		CHECK_ERR(setpriority(PRIO_PROCESS, NOPID, 0), ESRCH);
		CHECK_ERR(getpriority(PRIO_PROCESS, -1), ESRCH);
		CHECK_ERR(setpriority(PRIO_PROCESS, -1, 0), ESRCH);
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);	/* unchanged */

		/* nice(inc) adds, clamps and returns the new value. */
		CHECK_OK(setpriority(PRIO_PROCESS, 0, 0));
		errno = 0;
		CHECK_EQ(nice(0), 0);
		CHECK_EQ(errno, 0);
		CHECK_EQ(nice(3), 3);
		CHECK_EQ(nice(4), 7);
		CHECK_EQ(nice(-2), 5);
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 5);
		CHECK_EQ(nice(100), 19);
		CHECK_EQ(nice(1), 19);
		CHECK_EQ(nice(-100), -20);
		CHECK_EQ(nice(-1), -20);
		errno = 0;
		CHECK_EQ(nice(19), -1);		/* -1 is a valid result */
		CHECK_EQ(errno, 0);
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), -1);
		/* The raw setpriority sets (does not add) and returns 0. */
		CHECK_EQ(syscall(SYS_setpriority, PRIO_PROCESS, 0, 4), 0);
		CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 16);

		/* A forked child inherits the nice value. */
		pid_t g = xfork();

		if (g == 0)
			_exit(getpriority(PRIO_PROCESS, 0) + 20);
		REAP_EXIT(g, 24);
		child_done();
	}
	REAP_EXIT(pid, 0);
}

/* setpriority/getpriority on another process: a child. */
static void test_priority_child(void)
{
	int go[2], ready[2];
	pid_t pid;
	char c;

	if (!CHECK_OK(pipe(go)) || !CHECK_OK(pipe(ready)))
		return;
	pid = xfork();
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (setpriority(PRIO_PROCESS, 0, 2) != 0)
			_exit(100);
		if (write(ready[1], "r", 1) != 1)
			_exit(101);
		if (read(go[0], &c, 1) != 1)
			_exit(102);
		/* Report the nice value the parent gave us, plus 20. */
		_exit(getpriority(PRIO_PROCESS, 0) + 20);
	}
	CHECK_OK(close(go[0]));
	CHECK_OK(close(ready[1]));
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(getpriority(PRIO_PROCESS, pid), 2);
	CHECK_OK(setpriority(PRIO_PROCESS, pid, 11));
	CHECK_EQ(getpriority(PRIO_PROCESS, pid), 11);
	CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, pid), 9);
	CHECK_OK(setpriority(PRIO_PROCESS, pid, 50));	/* clamped */
	CHECK_EQ(getpriority(PRIO_PROCESS, pid), 19);
	CHECK_OK(setpriority(PRIO_PROCESS, pid, -7));
	CHECK_EQ(getpriority(PRIO_PROCESS, pid), -7);
	CHECK_EQ(write(go[1], "x", 1), 1);
	REAP_EXIT(pid, 13);
	CHECK_OK(close(go[1]));
	CHECK_OK(close(ready[0]));
	/* Reaped: gone. */
	CHECK_ERR(getpriority(PRIO_PROCESS, pid), ESRCH);
}

/* ------------------------------------------------------ scheduler */

static void test_scheduler(void)
{
	struct sched_param sp;
	struct timespec ts;
	pid_t pid;

	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
	CHECK_EQ(sched_getscheduler(getpid()), SCHED_OTHER);
	CHECK_ERR(sched_getscheduler(-1), EINVAL);
	CHECK_ERR(sched_getscheduler(NOPID), ESRCH);
	sp.sched_priority = 42;
	CHECK_EQ(sched_getparam(0, &sp), 0);
	CHECK_EQ(sp.sched_priority, 0);
	CHECK_ERR(sched_getparam(-1, &sp), EINVAL);
	CHECK_ERR(sched_getparam(NOPID, &sp), ESRCH);
	CHECK_ERR(syscall(SYS_sched_getparam, 0, NULL), EINVAL);

	CHECK_EQ(sched_get_priority_min(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_BATCH), 0);
	CHECK_EQ(sched_get_priority_max(SCHED_BATCH), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_IDLE), 0);
	CHECK_EQ(sched_get_priority_max(SCHED_IDLE), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_FIFO), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_RR), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_RR), 99);
	CHECK_ERR(sched_get_priority_min(42), EINVAL);
	CHECK_ERR(sched_get_priority_max(42), EINVAL);
	CHECK_ERR(sched_get_priority_min(-1), EINVAL);
	CHECK_ERR(sched_get_priority_max(-1), EINVAL);
	CHECK_ERR(sched_get_priority_max(4), EINVAL);	/* unused number */

	ts.tv_sec = -1;
	ts.tv_nsec = -1;
	CHECK_OK(sched_rr_get_interval(0, &ts));
	CHECK(ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK_ERR(sched_rr_get_interval(-1, &ts), EINVAL);
	CHECK_ERR(sched_rr_get_interval(NOPID, &ts), ESRCH);

	pid = xfork();
	if (pid == 0) {
		sp.sched_priority = 0;
		CHECK_EQ(sched_setscheduler(0, SCHED_OTHER, &sp), 0);
		CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
		sp.sched_priority = 1;
		CHECK_ERR(sched_setscheduler(0, SCHED_OTHER, &sp), EINVAL);
		sp.sched_priority = -1;
		CHECK_ERR(sched_setscheduler(0, SCHED_OTHER, &sp), EINVAL);
		sp.sched_priority = 0;
		CHECK_ERR(sched_setscheduler(0, 42, &sp), EINVAL);
		CHECK_ERR(sched_setscheduler(0, -2, &sp), EINVAL);
		CHECK_ERR(sched_setscheduler(-1, SCHED_OTHER, &sp), EINVAL);
		CHECK_ERR(sched_setscheduler(NOPID, SCHED_OTHER, &sp), ESRCH);
		CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER,
				  NULL), EINVAL);
		/* SCHED_OTHER keeps the nice value. */
		CHECK_OK(setpriority(PRIO_PROCESS, 0, 6));
		CHECK_EQ(sched_setscheduler(0, SCHED_OTHER, &sp), 0);
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 6);
		CHECK_OK(sched_setparam(0, &sp));
		sp.sched_priority = 5;
		CHECK_ERR(sched_setparam(0, &sp), EINVAL);
		sp.sched_priority = 42;
		CHECK_EQ(sched_getparam(0, &sp), 0);
		CHECK_EQ(sp.sched_priority, 0);
		CHECK_EQ(sched_getscheduler(0), SCHED_OTHER);
		child_done();
	}
	REAP_EXIT(pid, 0);
}

static void test_affinity(void)
{
	cpu_set_t set, empty, again;
	pid_t pid;
	long n;

	CPU_ZERO(&set);
	CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	CHECK(CPU_COUNT(&set) >= 1);
	CPU_ZERO(&again);
	CHECK_EQ(sched_getaffinity(getpid(), sizeof(again), &again), 0);
	CHECK(CPU_EQUAL(&set, &again));
	CHECK_ERR(sched_getaffinity(NOPID, sizeof(set), &set), ESRCH);
	CHECK_ERR(sched_getaffinity(-1, sizeof(set), &set), ESRCH);
	/* The raw syscall returns the number of bytes it wrote. */
	n = syscall(SYS_sched_getaffinity, 0, sizeof(again), &again);
	CHECK(n >= 8 && n <= (long)sizeof(again) && n % 8 == 0);
	/* The size must be a multiple of sizeof(long). */
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4, &again), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 1, &again), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 12, &again), EINVAL);

	pid = xfork();
	if (pid == 0) {
		CHECK_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
		CPU_ZERO(&again);
		CHECK_EQ(sched_getaffinity(0, sizeof(again), &again), 0);
		CHECK(CPU_EQUAL(&set, &again));
		CPU_ZERO(&empty);
		CHECK_ERR(sched_setaffinity(0, sizeof(empty), &empty), EINVAL);
		CHECK_ERR(sched_setaffinity(NOPID, sizeof(set), &set), ESRCH);
		CPU_ZERO(&again);
		CHECK_EQ(sched_getaffinity(0, sizeof(again), &again), 0);
		CHECK(CPU_EQUAL(&set, &again));		/* unchanged */
		child_done();
	}
	REAP_EXIT(pid, 0);
}

/* ------------------------------------------------------ CPU time */

static void test_rusage_basic(void)
{
	struct rusage ru;

	memset(&ru, 0xff, sizeof(ru));
	CHECK_OK(getrusage(RUSAGE_SELF, &ru));
	CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
	      ru.ru_utime.tv_usec < 1000000);
	CHECK(ru.ru_stime.tv_sec >= 0 && ru.ru_stime.tv_usec >= 0 &&
	      ru.ru_stime.tv_usec < 1000000);
	CHECK(ru.ru_maxrss > 0);
	memset(&ru, 0xff, sizeof(ru));
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &ru));
	CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
	      ru.ru_utime.tv_usec < 1000000);
	memset(&ru, 0xff, sizeof(ru));
	CHECK_OK(getrusage(RUSAGE_THREAD, &ru));
	CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
	      ru.ru_utime.tv_usec < 1000000);
	CHECK_ERR(getrusage((__rusage_who_t)42, &ru), EINVAL);
	CHECK_ERR(getrusage((__rusage_who_t)-2, &ru), EINVAL); /* RUSAGE_BOTH */
	CHECK_ERR(getrusage((__rusage_who_t)-3, &ru), EINVAL);
	CHECK_ERR(syscall(SYS_getrusage, RUSAGE_SELF, (void *)8), EFAULT);
}

static void test_cpu_self(void)
{
	struct rusage ru, ru_t;
	struct tms t;
	long c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	long t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	long wall, c1, t1;

	CHECK(c0 >= 0);
	CHECK(t0 >= 0);
	wall = burn(100);
	c1 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	t1 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	CHECK(c1 - c0 >= 50000000L);
	CHECK(t1 - t0 >= 50000000L);
	/* CPU time of one thread can't outrun the wall clock by much. */
	CHECK(c1 - c0 <= wall + 50000000L);
	CHECK(c1 >= 50000000L);

	CHECK_OK(getrusage(RUSAGE_SELF, &ru));
	CHECK(tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime) >= 50);
	CHECK_OK(getrusage(RUSAGE_THREAD, &ru_t));
	CHECK(tv_ms(&ru_t.ru_utime) + tv_ms(&ru_t.ru_stime) >= 50);

	memset(&t, 0xff, sizeof(t));
	CHECK(times(&t) != (clock_t)-1);
	CHECK(t.tms_utime + t.tms_stime > 0);
	CHECK(t.tms_utime >= 0 && t.tms_stime >= 0);
	CHECK(t.tms_cutime >= 0 && t.tms_cstime >= 0);
	CHECK(times(NULL) != (clock_t)-1);
}

static void test_cpu_children(void)
{
	struct rusage before, after, wru;
	struct tms t0, t1;
	int st = -1;
	pid_t pid;

	CHECK_OK(getrusage(RUSAGE_CHILDREN, &before));
	CHECK(times(&t0) != (clock_t)-1);
	pid = xfork();
	if (pid == 0) {
		burn(100);
		_exit(0);
	}
	memset(&wru, 0, sizeof(wru));
	CHECK_EQ(wait4(pid, &st, 0, &wru), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(tv_ms(&wru.ru_utime) + tv_ms(&wru.ru_stime) >= 50);
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &after));
	CHECK(tv_ms(&after.ru_utime) + tv_ms(&after.ru_stime) -
	      tv_ms(&before.ru_utime) - tv_ms(&before.ru_stime) >= 50);
	CHECK(times(&t1) != (clock_t)-1);
	CHECK(t1.tms_cutime + t1.tms_cstime > t0.tms_cutime + t0.tms_cstime);

	/* A grandchild reaped by its parent counts in the parent's
	 * RUSAGE_CHILDREN, and so in ours once we reap the parent. */
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &before));
	pid = xfork();
	if (pid == 0) {
		struct rusage r;
		pid_t g = fork();

		if (g < 0)
			_exit(100);
		if (g == 0) {
			burn(100);
			_exit(0);
		}
		if (waitpid(g, NULL, 0) != g)
			_exit(101);
		if (getrusage(RUSAGE_CHILDREN, &r) != 0)
			_exit(102);
		_exit(tv_ms(&r.ru_utime) + tv_ms(&r.ru_stime) >= 50 ? 0 : 103);
	}
	REAP_EXIT(pid, 0);
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &after));
	CHECK(tv_ms(&after.ru_utime) + tv_ms(&after.ru_stime) -
	      tv_ms(&before.ru_utime) - tv_ms(&before.ru_stime) >= 50);
}

int main(void)
{
	sigset_t none;

	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	test_priority_self();
	test_priority_child();
	test_scheduler();
	test_affinity();
	test_rusage_basic();
	test_cpu_self();
	test_cpu_children();
	return check_done();
}
