/*
 * ev_cputimers: POSIX timers and sleeps on CPU-time clocks.
 *
 * A CLOCK_PROCESS_CPUTIME_ID timer fires (SI_TIMER, its sigev_value) once
 * the process has computed for its value, never before; an interval timer
 * counts its expirations (signals plus overruns) while the process
 * computes; a SIGEV_NONE timer's timer_gettime goes down as CPU time is
 * used and reads 0 once expired; a timer on another thread's clock
 * (pthread_getcpuclockid) does not move while only other threads compute,
 * and fires on that thread with SIGEV_THREAD_ID; CLOCK_THREAD_CPUTIME_ID
 * counts the creator's time; TIMER_ABSTIME deadlines on the CPU clock,
 * one already passed firing at once; a timer on a child's process clock
 * fires while the child computes and gives ESRCH once it is reaped.
 * clock_nanosleep on the process's CPU clock (relative, absolute,
 * clock_getcpuclockid's id) returns once a busy thread has used the time;
 * on another thread's clock likewise; interrupted, it says EINTR with the
 * CPU time left.  Errors: the caller's own thread clock (EINVAL, and
 * EOPNOTSUPP from the raw syscall for CLOCK_THREAD_CPUTIME_ID), clocks
 * without timers or sleeps, bad clock ids and PIDs, bad pointers.
 *
 * Timing: only lower bounds on the CPU time used (timers must never fire
 * early; 1 ms of slack for the kernel's accounting) and generous upper
 * bounds (seconds of CPU or real time), as the machine may be loaded.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define SLACK MS
/* The ids of clock_getcpuclockid and pthread_getcpuclockid (SCHED). */
#define PROCESS_CLOCK(pid) ((clockid_t)((~(unsigned)(pid) << 3) | 2))
#define THREAD_CLOCK(tid) ((clockid_t)((~(unsigned)(tid) << 3) | 6))
#define FD_CLOCK(fd) ((clockid_t)((~(unsigned)(fd) << 3) | 3))

/* What the handler saw of each signal. */
static struct hit {
	volatile int count, overruns, code, value;
	volatile pid_t tid;
	volatile int64_t cpu, thread_cpu;
} hits[65];

static int64_t ns_of(clockid_t c)
{
	struct timespec ts;

	if (syscall(SYS_clock_gettime, c, &ts) != 0)
		return -1;
	return ts.tv_sec * SEC + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	return ns_of(CLOCK_MONOTONIC);
}

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	struct hit *h = &hits[sig];

	(void)uc;
	h->cpu = ns_of(CLOCK_PROCESS_CPUTIME_ID);
	h->thread_cpu = ns_of(CLOCK_THREAD_CPUTIME_ID);
	h->tid = gettid();
	h->code = si->si_code;
	if (si->si_code == SI_TIMER) {
		h->value = si->si_value.sival_int;
		h->overruns += si->si_overrun;
	}
	h->count++;
}

static void reset(int sig)
{
	memset((void *)&hits[sig], 0, sizeof(hits[sig]));
}

/*
 * Computes until clock c has moved on by ns, *stop is set, or 10 s of real
 * time have passed (then false).
 */
static int burn(clockid_t c, int64_t ns, volatile int *stop)
{
	int64_t end = ns_of(c) + ns, t0 = mono_ns();

	while ((!stop || !*stop) && ns_of(c) < end) {
		if (mono_ns() - t0 > 10 * SEC)
			return 0;
		for (volatile int i = 0; i < 100000; i++)
			;
	}
	return 1;
}

static long tcreate(clockid_t c, int notify, int sig, int value, pid_t tid, int *id)
{
	struct sigevent ev;

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = notify;
	ev.sigev_signo = sig;
	ev.sigev_value.sival_int = value;
	ev._sigev_un._tid = tid;
	return syscall(SYS_timer_create, c, &ev, id);
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){ ns / SEC, ns % SEC };
}

static long tset(int id, int flags, int64_t value, int64_t interval)
{
	struct itimerspec its = { ns_ts(interval), ns_ts(value) };

	return syscall(SYS_timer_settime, id, flags, &its, NULL);
}

/* The time left, or -1. */
static int64_t tget(int id, int64_t *interval)
{
	struct itimerspec its;

	if (syscall(SYS_timer_gettime, id, &its) != 0)
		return -1;
	if (interval)
		*interval = its.it_interval.tv_sec * SEC + its.it_interval.tv_nsec;
	return its.it_value.tv_sec * SEC + its.it_value.tv_nsec;
}

static long nsleep(clockid_t c, int flags, int64_t ns, struct timespec *rem)
{
	struct timespec ts = ns_ts(ns);

	return syscall(SYS_clock_nanosleep, c, flags, &ts, rem);
}

/* A one-shot process CPU-time timer: SIGEV_SIGNAL after 50 ms. */
static void test_process_timer(void)
{
	int id;

	reset(SIGUSR1);
	if (!CHECK_OK(tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGUSR1, 0x5eed, 0, &id)))
		return;
	int64_t c0 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
	CHECK_OK(tset(id, 0, 50 * MS, 0));
	int64_t left = tget(id, NULL);
	CHECK(left > 0 && left <= 50 * MS);
	CHECK(burn(CLOCK_PROCESS_CPUTIME_ID, 5 * SEC, &hits[SIGUSR1].count));
	CHECK_EQ(hits[SIGUSR1].count, 1);
	CHECK_EQ(hits[SIGUSR1].code, SI_TIMER);
	CHECK_EQ(hits[SIGUSR1].value, 0x5eed);
	CHECK(hits[SIGUSR1].cpu - c0 >= 50 * MS - SLACK);
	CHECK_EQ(tget(id, NULL), 0);
	CHECK_EQ(syscall(SYS_timer_getoverrun, id), 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

/* An interval timer: 20 ms, then every 10 ms of CPU time. */
static void test_interval(void)
{
	int id;
	int64_t iv;

	reset(SIGUSR2);
	if (!CHECK_OK(tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGUSR2, 7, 0, &id)))
		return;
	int64_t c0 = ns_of(CLOCK_PROCESS_CPUTIME_ID), t0 = mono_ns();
	CHECK_OK(tset(id, 0, 20 * MS, 10 * MS));
	CHECK(tget(id, &iv) > 0);
	CHECK_EQ(iv, 10 * MS);
	while (hits[SIGUSR2].count + hits[SIGUSR2].overruns < 10 && mono_ns() - t0 < 10 * SEC)
		burn(CLOCK_PROCESS_CPUTIME_ID, MS, NULL);
	CHECK_OK(tset(id, 0, 0, 0));
	int64_t used = ns_of(CLOCK_PROCESS_CPUTIME_ID) - c0;
	int expirations = hits[SIGUSR2].count + hits[SIGUSR2].overruns;
	CHECK(expirations >= 10);
	/* Never early: at most one expiration per 10 ms after the first. */
	if (!CHECK(expirations <= 2 + (used - 20 * MS) / (10 * MS)))
		printf("  %d expirations in %lld ms of CPU\n", expirations, (long long)(used / MS));
	CHECK_EQ(hits[SIGUSR2].code, SI_TIMER);
	CHECK_EQ(hits[SIGUSR2].value, 7);
	CHECK_EQ(tget(id, &iv), 0);
	CHECK_EQ(iv, 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

/* SIGEV_NONE: no signal; timer_gettime counts the CPU time down. */
static void test_sigev_none(void)
{
	int id;

	if (!CHECK_OK(tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 0, 0, 0, &id)))
		return;
	CHECK_OK(tset(id, 0, SEC, 0));
	int64_t r1 = tget(id, NULL), c0 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(burn(CLOCK_PROCESS_CPUTIME_ID, 100 * MS, NULL));
	int64_t c1 = ns_of(CLOCK_PROCESS_CPUTIME_ID), r2 = tget(id, NULL);
	CHECK(r1 > 0 && r1 <= SEC);
	CHECK(r2 > 0);
	CHECK(r1 - r2 >= c1 - c0 - 5 * MS);
	/* Once expired, a one-shot SIGEV_NONE timer reads 0. */
	CHECK_OK(tset(id, 0, 20 * MS, 0));
	CHECK(burn(CLOCK_PROCESS_CPUTIME_ID, 40 * MS, NULL));
	CHECK_EQ(tget(id, NULL), 0);
	CHECK_EQ(syscall(SYS_timer_getoverrun, id), 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

static volatile pid_t worker_tid;
static int go[2];

static void *worker(void *arg)
{
	char c;
	int id;

	(void)arg;
	/* The process clock takes a thread's own ID in clock_gettime only. */
	CHECK(ns_of(PROCESS_CLOCK(gettid())) > 0);
	CHECK_ERR(tcreate(PROCESS_CLOCK(gettid()), SIGEV_NONE, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(nsleep(PROCESS_CLOCK(gettid()), 0, 1000, NULL), EINVAL);
	worker_tid = gettid();
	if (read(go[0], &c, 1) != 1)            /* blocked: no CPU time */
		return NULL;
	/* Compute until the timer on this thread's clock says so. */
	CHECK(burn(CLOCK_THREAD_CPUTIME_ID, 5 * SEC, &hits[SIGRTMIN + 1].count));
	return NULL;
}

/* A timer on another thread's CPU clock, signalling that thread. */
static void test_thread_timer(void)
{
	pthread_t th;
	clockid_t wc;
	int id, sig = SIGRTMIN + 1;

	reset(sig);
	if (!CHECK_OK(pipe(go)) || !CHECK_EQ(pthread_create(&th, NULL, worker, NULL), 0))
		return;
	while (!worker_tid)
		nanosleep(&(struct timespec){ 0, MS }, NULL);
	CHECK_EQ(pthread_getcpuclockid(th, &wc), 0);
	CHECK_EQ(wc, THREAD_CLOCK(worker_tid));
	/* Another thread's ID is no process clock. */
	CHECK_ERR(syscall(SYS_clock_gettime, PROCESS_CLOCK(worker_tid), &(struct timespec){ 0, 0 }),
		  EINVAL);
	CHECK_OK(tcreate(wc, SIGEV_SIGNAL | SIGEV_THREAD_ID, sig, 0x7777, worker_tid, &id));
	int64_t w0 = ns_of(wc);
	CHECK_OK(tset(id, 0, 30 * MS, 0));
	/* This thread's computing does not move the worker's clock. */
	CHECK(burn(CLOCK_THREAD_CPUTIME_ID, 80 * MS, NULL));
	CHECK_EQ(hits[sig].count, 0);
	CHECK(tget(id, NULL) > 20 * MS);
	CHECK_EQ(write(go[1], "x", 1), 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(hits[sig].count, 1);
	CHECK_EQ(hits[sig].tid, worker_tid);
	CHECK_EQ(hits[sig].code, SI_TIMER);
	CHECK_EQ(hits[sig].value, 0x7777);
	CHECK(hits[sig].thread_cpu - w0 >= 30 * MS - SLACK);
	/* The thread is gone: the timer cannot be armed (once the thread is
	 * released, which Linux may do just after pthread_join returns),
	 * and reads 0. */
	for (int i = 0; i < 5000 && tset(id, 0, 10 * SEC, 0) == 0; i++)
		nanosleep(&(struct timespec){ 0, MS }, NULL);
	CHECK_ERR(tset(id, 0, 10 * SEC, 0), ESRCH);
	CHECK_EQ(tget(id, NULL), 0);
	CHECK_OK(syscall(SYS_timer_delete, id));
	close(go[0]);
	close(go[1]);

	/* CLOCK_THREAD_CPUTIME_ID: the creating thread's own clock. */
	reset(SIGUSR1);
	if (!CHECK_OK(tcreate(CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, SIGUSR1, 5, 0, &id)))
		return;
	int64_t m0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	CHECK_OK(tset(id, 0, 30 * MS, 0));
	CHECK(burn(CLOCK_THREAD_CPUTIME_ID, 5 * SEC, &hits[SIGUSR1].count));
	CHECK_EQ(hits[SIGUSR1].count, 1);
	CHECK(hits[SIGUSR1].thread_cpu - m0 >= 30 * MS - SLACK);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

/* TIMER_ABSTIME on the process clock. */
static void test_abstime(void)
{
	int id;

	reset(SIGUSR1);
	if (!CHECK_OK(tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGUSR1, 3, 0, &id)))
		return;
	int64_t target = ns_of(CLOCK_PROCESS_CPUTIME_ID) + 40 * MS;
	CHECK_OK(tset(id, TIMER_ABSTIME, target, 0));
	CHECK(burn(CLOCK_PROCESS_CPUTIME_ID, 5 * SEC, &hits[SIGUSR1].count));
	CHECK_EQ(hits[SIGUSR1].count, 1);
	CHECK(hits[SIGUSR1].cpu >= target - SLACK);
	/* A time already passed fires before timer_settime returns. */
	reset(SIGUSR1);
	CHECK_OK(tset(id, TIMER_ABSTIME, 1, 0));
	CHECK_EQ(hits[SIGUSR1].count, 1);
	CHECK_EQ(hits[SIGUSR1].value, 3);
	CHECK_OK(syscall(SYS_timer_delete, id));
}

static volatile int burner_stop;

static void *burner(void *arg)
{
	(void)arg;
	burn(CLOCK_THREAD_CPUTIME_ID, 60 * SEC, &burner_stop);
	return NULL;
}

/* clock_nanosleep on CPU clocks while another thread computes. */
static void test_nanosleep(void)
{
	pthread_t th;
	clockid_t pc, bc;
	int guard;

	/* A real-time guard: a sleep that never ends fails instead. */
	reset(SIGUSR2);
	if (!CHECK_OK(tcreate(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR2, 0, 0, &guard)))
		return;
	CHECK_OK(tset(guard, 0, 30 * SEC, 0));
	burner_stop = 0;
	if (!CHECK_EQ(pthread_create(&th, NULL, burner, NULL), 0))
		return;

	int64_t c0 = ns_of(CLOCK_PROCESS_CPUTIME_ID), m0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	struct timespec ts = ns_ts(100 * MS), rem;
	CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, &rem), 0);
	CHECK(ns_of(CLOCK_PROCESS_CPUTIME_ID) - c0 >= 100 * MS - SLACK);
	/* This thread slept meanwhile. */
	CHECK(ns_of(CLOCK_THREAD_CPUTIME_ID) - m0 < 50 * MS);

	int64_t target = ns_of(CLOCK_PROCESS_CPUTIME_ID) + 50 * MS;
	ts = ns_ts(target);
	CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &ts, NULL), 0);
	CHECK(ns_of(CLOCK_PROCESS_CPUTIME_ID) >= target - SLACK);

	CHECK_EQ(clock_getcpuclockid(getpid(), &pc), 0);
	c0 = ns_of(pc);
	CHECK_OK(nsleep(pc, 0, 30 * MS, NULL));
	CHECK(ns_of(pc) - c0 >= 30 * MS - SLACK);

	/* Another thread's clock: until that thread has computed. */
	CHECK_EQ(pthread_getcpuclockid(th, &bc), 0);
	c0 = ns_of(bc);
	CHECK_OK(nsleep(bc, 0, 30 * MS, NULL));
	CHECK(ns_of(bc) - c0 >= 30 * MS - SLACK);

	/* Already there. */
	CHECK_OK(nsleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, 1, NULL));
	CHECK_OK(nsleep(CLOCK_PROCESS_CPUTIME_ID, 0, 0, NULL));

	burner_stop = 1;
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(hits[SIGUSR2].count, 0);
	CHECK_OK(syscall(SYS_timer_delete, guard));

	/* Nothing computes now: a signal ends the sleep, with the CPU time
	 * still to go. */
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	reset(SIGALRM);
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	rem = (struct timespec){ -1, -1 };
	CHECK_ERR(nsleep(CLOCK_PROCESS_CPUTIME_ID, 0, 10 * SEC, &rem), EINTR);
	CHECK_EQ(hits[SIGALRM].count, 1);
	int64_t left = rem.tv_sec * SEC + rem.tv_nsec;
	CHECK(left > 9 * SEC && left <= 10 * SEC);
	/* Absolute: EINTR, rem untouched. */
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	rem = (struct timespec){ -1, -1 };
	CHECK_ERR(nsleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME,
			 ns_of(CLOCK_PROCESS_CPUTIME_ID) + 10 * SEC, &rem), EINTR);
	CHECK_EQ(rem.tv_sec, -1);
	CHECK_EQ(hits[SIGALRM].count, 2);
}

static pid_t dead_pid;

/* A timer on a child's process clock; it outlives the child. */
static void test_child_clock(void)
{
	clockid_t cc;
	int id, st;

	pid_t pid = xfork();
	if (pid == 0) {
		burn(CLOCK_THREAD_CPUTIME_ID, 60 * SEC, NULL);
		_exit(0);
	}
	reset(SIGUSR1);
	CHECK_EQ(clock_getcpuclockid(pid, &cc), 0);
	CHECK_EQ(cc, PROCESS_CLOCK(pid));
	/* Another process's threads are not ours. */
	CHECK_ERR(tcreate(THREAD_CLOCK(pid), SIGEV_NONE, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(nsleep(THREAD_CLOCK(pid), 0, 1000, NULL), EINVAL);
	if (CHECK_OK(tcreate(cc, SIGEV_SIGNAL, SIGUSR1, 9, 0, &id))) {
		int64_t k0 = ns_of(cc), t0 = mono_ns();
		CHECK_OK(tset(id, 0, 50 * MS, 0));
		while (!hits[SIGUSR1].count && mono_ns() - t0 < 10 * SEC)
			nanosleep(&(struct timespec){ 0, 5 * MS }, NULL);
		CHECK_EQ(hits[SIGUSR1].count, 1);
		CHECK_EQ(hits[SIGUSR1].value, 9);
		CHECK(ns_of(cc) - k0 >= 50 * MS - SLACK);
		k0 = ns_of(cc);
		CHECK_OK(nsleep(cc, 0, 30 * MS, NULL));
		CHECK(ns_of(cc) - k0 >= 30 * MS - SLACK);
		CHECK_OK(tset(id, 0, 10 * SEC, 0));
	}
	kill(pid, SIGKILL);
	st = reap_status(pid, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	dead_pid = pid;
	/* Reaped: the timer is disarmed and can no longer be set. */
	int64_t iv = -1;
	CHECK_EQ(tget(id, &iv), 0);
	CHECK_EQ(iv, 0);
	CHECK_ERR(tset(id, 0, 10 * MS, 0), ESRCH);
	CHECK_OK(syscall(SYS_timer_delete, id));
	CHECK_ERR(tcreate(cc, SIGEV_NONE, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(syscall(SYS_clock_gettime, cc, &(struct timespec){ 0, 0 }), EINVAL);
	CHECK_ERR(nsleep(cc, 0, 1000, NULL), EINVAL);
}

static void test_errors(void)
{
	struct timespec ts = { 0, 1000 }, bad_ts = { 0, SEC };
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	clockid_t own;
	int id;

	/* glibc answers for the thread clock itself; the kernel has no
	 * clock_nanosleep for it. */
	CHECK_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, (void *)8, NULL),
		  EOPNOTSUPP);
	CHECK_EQ(pthread_getcpuclockid(pthread_self(), &own), 0);
	CHECK_ERR(nsleep(own, 0, 1000, NULL), EINVAL);
	CHECK_ERR(nsleep(THREAD_CLOCK(0), 0, 1000, NULL), EINVAL);
	CHECK_ERR(nsleep(FD_CLOCK(0), 0, 1000, NULL), EOPNOTSUPP);
	CHECK_ERR(nsleep(CLOCK_MONOTONIC_RAW, 0, 1000, NULL), EOPNOTSUPP);
	CHECK_ERR(nsleep(CLOCK_REALTIME_COARSE, 0, 1000, NULL), EOPNOTSUPP);
	CHECK_ERR(nsleep(10, 0, 1000, NULL), EINVAL);
	CHECK_ERR(nsleep(12, 0, 1000, NULL), EINVAL);
	CHECK_ERR(nsleep(16, 0, 1000, NULL), EINVAL);
	CHECK_ERR(nsleep(PROCESS_CLOCK(0) | 3, 0, 1000, NULL), EOPNOTSUPP);  /* an fd clock */
	CHECK_ERR(nsleep(THREAD_CLOCK(0) | 3, 0, 1000, NULL), EINVAL);       /* which 3 */
	CHECK_ERR(nsleep(PROCESS_CLOCK(dead_pid), 0, 1000, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, &bad_ts, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, (void *)8, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_clock_nanosleep, PROCESS_CLOCK(0), 0, &(struct timespec){ -1, 0 },
			  NULL), EINVAL);

	CHECK_ERR(tcreate(FD_CLOCK(0), SIGEV_NONE, 0, 0, 0, &id), EOPNOTSUPP);
	CHECK_ERR(tcreate(THREAD_CLOCK(0) | 3, SIGEV_NONE, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(tcreate(CLOCK_MONOTONIC_RAW, SIGEV_NONE, 0, 0, 0, &id), EOPNOTSUPP);
	CHECK_ERR(tcreate(CLOCK_MONOTONIC_COARSE, SIGEV_NONE, 0, 0, 0, &id), EOPNOTSUPP);
	CHECK_ERR(tcreate(12, SIGEV_NONE, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(tcreate(PROCESS_CLOCK(dead_pid), SIGEV_NONE, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(tcreate(THREAD_CLOCK(dead_pid), SIGEV_NONE, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(tcreate(CLOCK_PROCESS_CPUTIME_ID, 99, SIGUSR1, 0, 0, &id), EINVAL);
	CHECK_ERR(tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, 0, 0, 0, &id), EINVAL);
	CHECK_ERR(tcreate(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL | SIGEV_THREAD_ID, SIGUSR1, 0,
			  dead_pid, &id), EINVAL);
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_PROCESS_CPUTIME_ID, (void *)8, &id), EFAULT);
	CHECK_ERR(syscall(SYS_timer_create, CLOCK_THREAD_CPUTIME_ID, &ev, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_clock_gettime, THREAD_CLOCK(0) | 3, &ts), EINVAL);
	CHECK_ERR(syscall(SYS_clock_getres, PROCESS_CLOCK(dead_pid), &ts), EINVAL);

	if (CHECK_OK(tcreate(PROCESS_CLOCK(0), SIGEV_NONE, 0, 0, 0, &id))) {
		struct itimerspec bad = { { 0, 0 }, { 0, -1 } };
		CHECK_ERR(syscall(SYS_timer_settime, id, 0, &bad, NULL), EINVAL);
		CHECK_ERR(syscall(SYS_timer_settime, id, 0, (void *)8, NULL), EFAULT);
		CHECK_ERR(syscall(SYS_timer_gettime, id, (void *)8), EFAULT);
		/* The setting is made before the old one is written. */
		struct itimerspec far = { { 0, 0 }, { 100000, 0 } };
		CHECK_ERR(syscall(SYS_timer_settime, id, 0, &far, (void *)8), EFAULT);
		CHECK(tget(id, NULL) > 99999 * SEC);
		/* Huge values saturate rather than wrap. */
		struct itimerspec huge = { { INT64_MAX, 0 }, { INT64_MAX, 999999999 } };
		CHECK_OK(syscall(SYS_timer_settime, id, 0, &huge, NULL));
		CHECK(tget(id, NULL) > 1000000000 * SEC);
		CHECK_OK(syscall(SYS_timer_settime, id, TIMER_ABSTIME, &huge, NULL));
		CHECK(tget(id, NULL) > 1000000000 * SEC);
		CHECK_OK(syscall(SYS_timer_delete, id));
	}
	CHECK_ERR(syscall(SYS_timer_settime, 123456, 0, &(struct itimerspec){ 0 }, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_timer_gettime, 123456, &(struct itimerspec){ 0 }), EINVAL);
	CHECK_ERR(syscall(SYS_timer_getoverrun, 123456), EINVAL);
	CHECK_ERR(syscall(SYS_timer_delete, 123456), EINVAL);
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGRTMIN + 1, &sa, NULL);

	test_process_timer();
	test_interval();
	test_sigev_none();
	test_thread_timer();
	test_abstime();
	test_nanosleep();
	test_child_clock();
	test_errors();
	return check_done();
}
