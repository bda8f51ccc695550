/*
 * sys_time.c: clocks, sleeping, interval timers and POSIX timers.
 *
 * Wall and monotonic clocks are the sandbox's (kernel/clock.c).  The
 * CPU-time clocks measure where the application's code runs: a process's
 * is its stub process's (plus its earlier images'), a thread's is its
 * stub thread's.  Timers and clock_nanosleep on those clocks are
 * kernel/timer.c's CPU-clock timers, which sample them every 10 ms.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#define NSEC_PER_SEC 1000000000LL

/* Maps an application clock id to a host one, or -EINVAL. */
static long host_clock(clockid_t id, clockid_t *out)
{
	switch (id) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		*out = id;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Clock ids (Linux: include/linux/posix-timers.h, clockid_to_kclock):
 * besides the fixed ones, a negative id is a CPU-time clock,
 * ~pid << 3 | which (which 0-2: PROF, VIRT, SCHED, all one clock here),
 * with bit 2 set for a thread's clock (clock_getcpuclockid,
 * pthread_getcpuclockid), or, with the low bits 3 (CLOCKFD), a posix
 * clock device's ~fd << 3 | 3, none of which exists here.
 */
#define CPUCLOCK_PERTHREAD_MASK 4
#define CPUCLOCK_WHICH(c) ((c) & 3)
#define CPUCLOCK_MAX 3
#define CLOCKFD 3
#define CLOCKFD_MASK 7

static bool is_cpu_clock(clockid_t c)
{
	return c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID ||
	       (c < 0 && (c & CLOCKFD_MASK) != CLOCKFD);
}

static bool is_fd_clock(clockid_t c)
{
	return c < 0 && (c & CLOCKFD_MASK) == CLOCKFD;
}

/*
 * Whether clock c can have timers and sleeps (Linux: clockid_to_kclock,
 * then the k_clock's timer_create and nsleep): 0, -EINVAL for no such
 * clock, -EOPNOTSUPP for one without (MONOTONIC_RAW, the COARSE clocks,
 * posix clock devices).  A CPU clock's id is checked later, against
 * the processes and threads there are.
 */
static long clock_has_timers(clockid_t c)
{
	if (is_cpu_clock(c))
		return 0;
	if (is_fd_clock(c))
		return -EOPNOTSUPP;
	switch (c) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME:
	case CLOCK_TAI: case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		return 0;
	case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

/*
 * Whose CPU clock c (is_cpu_clock) is (Linux: pid_for_clock): a process
 * in *tg or a thread in *thread.  CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID and PID 0 are the caller's; a thread must be
 * one of the caller's process (and not exiting: its stub thread may be
 * going); a PID must name a process, a zombie too, except that
 * clock_gettime (gettime) also takes the caller's own thread ID.
 * 0 or -EINVAL; k->lock held.
 */
static long cpu_clock_owner(struct task *t, clockid_t c, bool gettime,
			    struct thread_group **tg, struct task **thread)
{
	*tg = NULL;
	*thread = NULL;
	if (c == CLOCK_PROCESS_CPUTIME_ID) {
		*tg = t->tg;
		return 0;
	}
	if (c == CLOCK_THREAD_CPUTIME_ID) {
		*thread = t;
		return 0;
	}
	if (CPUCLOCK_WHICH(c) >= CPUCLOCK_MAX)
		return -EINVAL;
	int pid = ~(c >> 3);
	if (c & CPUCLOCK_PERTHREAD_MASK) {
		struct task *o = pid ? task_by_tid(t->k, pid) : t;
		if (!o || o->tg != t->tg || __atomic_load_n(&o->exiting, __ATOMIC_ACQUIRE))
			return -EINVAL;
		*thread = o;
		return 0;
	}
	if (pid == 0 || (gettime && pid == t->tid)) {
		*tg = t->tg;
		return 0;
	}
	*tg = tg_by_pid(t->k, pid);
	return *tg ? 0 : -EINVAL;
}

/*
 * Reads CPU clock c (is_cpu_clock) into *ns, or checks it when ns is
 * NULL (clock_getres: no gettime exception).  0 or -EINVAL.
 */
static long cpu_clock_get(struct task *t, clockid_t c, uint64_t *ns)
{
	struct thread_group *tg;
	struct task *thread;
	long err;

	/* The caller's own clocks need no lock. */
	if (ns && c == CLOCK_PROCESS_CPUTIME_ID) {
		*ns = task_cpu_ns(t);
		return 0;
	}
	if (ns && c == CLOCK_THREAD_CPUTIME_ID) {
		*ns = platform_ctx_cpu_ns(t->ctx);
		return 0;
	}
	pthread_mutex_lock(&t->k->lock);
	err = cpu_clock_owner(t, c, ns != NULL, &tg, &thread);
	if (!err && ns)
		*ns = thread ? platform_ctx_cpu_ns(thread->ctx) : tg_cpu_ns(tg);
	pthread_mutex_unlock(&t->k->lock);
	return err;
}

long sys_clock_gettime(struct task *t, const uint64_t a[6])
{
	clockid_t c = (clockid_t)a[0], hc;
	struct timespec ts;
	uint64_t ns;
	long err;

	if (is_cpu_clock(c)) {
		err = cpu_clock_get(t, c, &ns);
		if (err)
			return err;
		ts.tv_sec = (time_t)(ns / NSEC_PER_SEC);
		ts.tv_nsec = (long)(ns % NSEC_PER_SEC);
	} else {
		err = host_clock(c, &hc);
		if (err)
			return err;
		clock_ts(hc, &ts);
	}
	return mm_copy_out(t->mm, a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_clock_getres(struct task *t, const uint64_t a[6])
{
	clockid_t c = (clockid_t)a[0], hc;
	struct timespec ts;
	long err;

	if (is_cpu_clock(c)) {
		err = cpu_clock_get(t, c, NULL);
		if (err)
			return err;
		ts.tv_sec = 0;
		ts.tv_nsec = 1;         /* Linux reports 1 ns for CPU clocks */
	} else {
		err = host_clock(c, &hc);
		if (err)
			return err;
		if (clock_getres(hc, &ts) < 0)
			return -errno;
	}
	if (a[1] && mm_copy_out(t->mm, a[1], &ts, sizeof(ts)))
		return -EFAULT;
	return 0;
}

long sys_gettimeofday(struct task *t, const uint64_t a[6])
{
	struct timespec ts;
	struct timeval tv;
	struct timezone tz = { 0, 0 };

	clock_ts(CLOCK_REALTIME, &ts);
	tv.tv_sec = ts.tv_sec;
	tv.tv_usec = ts.tv_nsec / 1000;
	if (a[0] && mm_copy_out(t->mm, a[0], &tv, sizeof(tv)))
		return -EFAULT;
	if (a[1] && mm_copy_out(t->mm, a[1], &tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

long sys_time(struct task *t, const uint64_t a[6])
{
	int64_t now = clock_ns(CLOCK_REALTIME) / NSEC_PER_SEC;

	if (a[0] && mm_copy_out(t->mm, a[0], &now, sizeof(now)))
		return -EFAULT;
	return now;
}

/*
 * A valid timespec or timeval in ns, clamped at 2^63 - 1 as Linux's
 * timespec64_to_ktime clamps (KTIME_MAX): deadlines computed from it stay
 * below 2^64.
 */
static uint64_t ts_ns(const struct timespec *ts)
{
	if ((uint64_t)ts->tv_sec >= (uint64_t)INT64_MAX / NSEC_PER_SEC)
		return INT64_MAX;
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

/*
 * Sleeps until the deadline on the given clock.  Returns 0, or -EINTR with
 * the time left in *left (for nanosleep's rem argument).
 */
static long sleep_until(struct task *t, clockid_t c, const struct timespec *req,
			bool abs, struct timespec *left)
{
	struct timespec now;
	int64_t target, now_ns, mono_deadline;

	clock_ts(c, &now);       /* before moat_now_ns: never early */
	now_ns = now.tv_sec * NSEC_PER_SEC + now.tv_nsec;
	target = (int64_t)ts_ns(req);
	if (!abs)
		target = target > INT64_MAX - now_ns ? INT64_MAX : now_ns + target;
	if (target <= now_ns)
		return 0;
	/* Wait on CLOCK_MONOTONIC; realtime deadlines are converted once.
	 * TODO(events issue): react to clock_settime-style jumps. */
	mono_deadline = (int64_t)moat_now_ns() + (target - now_ns);
	if (mono_deadline < 0)
		mono_deadline = INT64_MAX;
	int r;
	do      /* a stray wake-up is no reason to stop sleeping */
		r = task_block(t, (uint64_t)mono_deadline);
	while (r == 0);
	if (r == -EINTR) {
		int64_t rem = mono_deadline - (int64_t)moat_now_ns();
		if (rem < 0)
			rem = 0;
		left->tv_sec = rem / NSEC_PER_SEC;
		left->tv_nsec = rem % NSEC_PER_SEC;
		return -EINTR;
	}
	return 0;
}

static long read_timespec(struct task *t, uint64_t addr, struct timespec *ts)
{
	if (mm_copy_in(t->mm, ts, addr, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

/*
 * An interrupted relative sleep returns ERESTART_RESTARTBLOCK: with a
 * handler the application sees EINTR and the time left; otherwise
 * restart_syscall sleeps on to the original deadline (Linux:
 * hrtimer_nanosleep_restart).
 */
static long nanosleep_restart(struct task *t)
{
	int64_t rem;
	int r;

	do
		r = task_block(t, t->restart.deadline_ns);
	while (r == 0);
	if (r != -EINTR)
		return 0;
	rem = (int64_t)t->restart.deadline_ns - (int64_t)moat_now_ns();
	if (rem < 0)
		rem = 0;
	if (t->restart.rem_addr) {
		struct timespec left = { rem / NSEC_PER_SEC, rem % NSEC_PER_SEC };
		if (mm_copy_out(t->mm, t->restart.rem_addr, &left, sizeof(left)))
			return -EFAULT;
	}
	t->restart.fn = nanosleep_restart;
	return -ERESTART_RESTARTBLOCK;
}

static long interrupted_sleep(struct task *t, const struct timespec *left, uint64_t rem_addr)
{
	if (rem_addr && mm_copy_out(t->mm, rem_addr, left, sizeof(*left)))
		return -EFAULT;
	t->restart.fn = nanosleep_restart;
	t->restart.deadline_ns = moat_now_ns() + (uint64_t)left->tv_sec * NSEC_PER_SEC +
				 (uint64_t)left->tv_nsec;
	t->restart.rem_addr = rem_addr;
	return -ERESTART_RESTARTBLOCK;
}

long sys_nanosleep(struct task *t, const uint64_t a[6])
{
	struct timespec req, left;
	long ret = read_timespec(t, a[0], &req);

	if (ret)
		return ret;
	ret = sleep_until(t, CLOCK_MONOTONIC, &req, false, &left);
	if (ret == -EINTR)
		return interrupted_sleep(t, &left, a[1]);
	return ret;
}

/*
 * clock_nanosleep on a CPU-time clock (Linux: posix_cpu_nsleep,
 * do_cpu_nanosleep): a timer on that clock (kernel/timer.c, polled every
 * 10 ms) wakes the sleeper once the clock reaches the deadline, value
 * itself or (relative) the clock's current value plus value.  Sleeping
 * on one's own thread's clock is EINVAL, as it could never end; on one's
 * own process's it ends when other threads have run long enough.
 * Returns 0, -errno, or -EINTR with the deadline in *deadline and the CPU
 * time still to go in *left.  A sleep on a clock whose owner goes away
 * (cpu_clock_gone) lasts until a signal, as in Linux.
 */
struct cpu_sleeper {
	struct ktimer tm;
	struct task *t;
};

static void cpu_sleeper_wake(struct ktimer *tm)
{
	task_wake(container_of(tm, struct cpu_sleeper, tm)->t);
}

static long cpu_sleep(struct task *t, clockid_t c, uint64_t value, bool abs,
		      uint64_t *deadline, uint64_t *left)
{
	struct cpu_sleeper s = { .tm = { .id = -1, .tg = t->tg, .fn = cpu_sleeper_wake }, .t = t };
	struct thread_group *tg;
	struct task *thread;
	uint64_t now;
	int pid = ~(c >> 3);
	long err;

	if (c < 0 && (c & CPUCLOCK_PERTHREAD_MASK) && (pid == 0 || pid == t->tid))
		return -EINVAL;
	*left = 0;
	pthread_mutex_lock(&t->k->lock);
	err = cpu_clock_owner(t, c, false, &tg, &thread);
	if (err) {
		pthread_mutex_unlock(&t->k->lock);
		return err;
	}
	timer_attach_cpu_clock(&s.tm, tg, thread);
	timer_clock_now(&s.tm, &now);
	*deadline = abs ? value : now + value;
	if (*deadline > now) {
		timer_arm(&s.tm, *deadline, 0);
		while (!s.tm.fired) {
			pthread_mutex_unlock(&t->k->lock);
			int r = task_block(t, 0);
			pthread_mutex_lock(&t->k->lock);
			if (r == -EINTR)
				break;
		}
		/* Linux reports the request itself when the clock is gone
		 * (posix_cpu_timer_set fails with ESRCH), and a restart
		 * then fails with EINVAL. */
		if (!s.tm.fired)
			*left = s.tm.cpu_tg || s.tm.cpu_task ? timer_remaining(&s.tm) : value;
	}
	timer_release(&s.tm);
	pthread_mutex_unlock(&t->k->lock);
	return *left ? -EINTR : 0;
}

static long cpu_nanosleep_restart(struct task *t);

/* Interrupted: the time left to rem_addr, and restart_syscall sleeps on
 * to the same deadline (Linux: posix_cpu_nsleep_restart). */
static long cpu_sleep_interrupted(struct task *t, clockid_t c, uint64_t deadline, uint64_t left,
				  uint64_t rem_addr)
{
	struct timespec ts = { (time_t)(left / NSEC_PER_SEC), (long)(left % NSEC_PER_SEC) };

	if (rem_addr && mm_copy_out(t->mm, rem_addr, &ts, sizeof(ts)))
		return -EFAULT;
	t->restart.fn = cpu_nanosleep_restart;
	t->restart.clock = c;
	t->restart.deadline_ns = deadline;
	t->restart.rem_addr = rem_addr;
	return -ERESTART_RESTARTBLOCK;
}

static long cpu_nanosleep_restart(struct task *t)
{
	clockid_t c = t->restart.clock;
	uint64_t deadline, left;
	long ret = cpu_sleep(t, c, t->restart.deadline_ns, true, &deadline, &left);

	if (ret == -EINTR)
		return cpu_sleep_interrupted(t, c, deadline, left, t->restart.rem_addr);
	return ret;
}

long sys_clock_nanosleep(struct task *t, const uint64_t a[6])
{
	struct timespec req, left;
	clockid_t c = (clockid_t)a[0];
	bool abs = (int)a[1] & TIMER_ABSTIME;
	long ret;

	/* The thread's own CPU clock has timers, no nsleep (glibc's
	 * clock_nanosleep itself says EINVAL for it). */
	ret = clock_has_timers(c);
	if (ret)
		return ret;
	if (c == CLOCK_THREAD_CPUTIME_ID)
		return -EOPNOTSUPP;
	ret = read_timespec(t, a[2], &req);
	if (ret)
		return ret;
	if (is_cpu_clock(c)) {
		uint64_t deadline, rem;
		ret = cpu_sleep(t, c, ts_ns(&req), abs, &deadline, &rem);
		if (ret == -EINTR)
			return abs ? -ERESTARTNOHAND : cpu_sleep_interrupted(t, c, deadline, rem, a[3]);
		return ret;
	}
	ret = sleep_until(t, c, &req, abs, &left);
	if (ret == -EINTR)
		return abs ? -ERESTARTNOHAND : interrupted_sleep(t, &left, a[3]);
	return ret;
}

/* ---- interval timers and POSIX timers (kernel/timer.c) ---- */

static uint64_t tv_ns(const struct timeval *tv)
{
	struct timespec ts = { tv->tv_sec, tv->tv_usec * 1000 };

	return ts_ns(&ts);
}

static struct timeval ns_tv(uint64_t ns)
{
	return (struct timeval){ (time_t)(ns / NSEC_PER_SEC), (suseconds_t)(ns % NSEC_PER_SEC / 1000) };
}

static struct timespec ns_ts(uint64_t ns)
{
	return (struct timespec){ (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
}

static long itimer_which(int which)
{
	return which == ITIMER_REAL || which == ITIMER_VIRTUAL || which == ITIMER_PROF ? 0 : -EINVAL;
}

/*
 * Sets (nv != NULL) and reads an interval timer; k->lock held.
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU clock.
 */
static void itimer_set(struct task *t, int which, const struct itimerval *nv, struct itimerval *old)
{
	struct ktimer *tm = which == ITIMER_REAL ? &t->tg->itimer_real
						 : &t->tg->itimer_cpu[which == ITIMER_PROF];
	uint64_t ov, oi;

	if (nv) {
		if (which != ITIMER_REAL)
			timer_attach_cpu_clock(tm, t->tg, NULL);
		timer_set(tm, tv_ns(&nv->it_value), false, tv_ns(&nv->it_interval), &ov, &oi);
	} else {
		ov = timer_remaining(tm);
		oi = tm->interval;
	}
	old->it_value = ns_tv(ov);
	old->it_interval = ns_tv(oi);
}

long sys_getitimer(struct task *t, const uint64_t a[6])
{
	struct itimerval old;
	long ret = itimer_which((int)a[0]);

	if (ret)
		return ret;
	pthread_mutex_lock(&t->k->lock);
	itimer_set(t, (int)a[0], NULL, &old);
	pthread_mutex_unlock(&t->k->lock);
	return mm_copy_out(t->mm, a[1], &old, sizeof(old)) ? -EFAULT : 0;
}

long sys_setitimer(struct task *t, const uint64_t a[6])
{
	struct itimerval nv = { 0 }, old;
	long ret = itimer_which((int)a[0]);

	if (ret)
		return ret;
	/* Linux takes a NULL new value as zero (disarm). */
	if (a[1] && mm_copy_in(t->mm, &nv, a[1], sizeof(nv)))
		return -EFAULT;
	if (nv.it_value.tv_usec < 0 || nv.it_value.tv_usec >= 1000000 || nv.it_value.tv_sec < 0 ||
	    nv.it_interval.tv_usec < 0 || nv.it_interval.tv_usec >= 1000000 ||
	    nv.it_interval.tv_sec < 0)
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	itimer_set(t, (int)a[0], &nv, &old);
	pthread_mutex_unlock(&t->k->lock);
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_alarm(struct task *t, const uint64_t a[6])
{
	struct itimerval nv = { { 0, 0 }, { (time_t)(unsigned)a[0], 0 } }, old;

	pthread_mutex_lock(&t->k->lock);
	itimer_set(t, ITIMER_REAL, &nv, &old);
	pthread_mutex_unlock(&t->k->lock);
	/* Linux rounds to the nearest second, and never says 0 for a
	 * pending alarm. */
	long left = old.it_value.tv_sec + (old.it_value.tv_usec >= 500000);
	if (!left && (old.it_value.tv_sec || old.it_value.tv_usec))
		left = 1;
	return left;
}

/* The timer with ID id of t's process, or NULL; k->lock held. */
static struct ktimer *find_timer(struct task *t, uint64_t id)
{
	for (struct ktimer *tm = t->tg->timers; tm; tm = tm->tg_next)
		if ((uint64_t)tm->id == id)
			return tm;
	return NULL;
}

/*
 * Linux: kernel/time/posix-timers.c do_timer_create.  The sigevent is
 * read first; then the clock must have timers (EINVAL for no clock,
 * EOPNOTSUPP for one without); a CPU-time clock must name the caller's
 * process or thread, another thread of its process, or any process
 * (posix_cpu_timer_create: no permission check).
 */
long sys_timer_create(struct task *t, const uint64_t a[6])
{
	struct sigevent ev;
	struct ktimer *tm;
	clockid_t c = (clockid_t)a[0];
	struct thread_group *ctg = NULL;
	struct task *cthread = NULL;
	long err;
	int id;

	if (a[1]) {
		if (mm_copy_in(t->mm, &ev, a[1], sizeof(ev)))
			return -EFAULT;
	} else {
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGALRM;
	}
	err = clock_has_timers(c);
	if (err)
		return err;
	/* Linux: good_sigevent.  SIGEV_THREAD is glibc's business: to the
	 * kernel it is a signal to the process. */
	switch (ev.sigev_notify) {
	case SIGEV_NONE:
		break;
	case SIGEV_SIGNAL:
	case SIGEV_THREAD:
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		if (ev.sigev_signo < 1 || ev.sigev_signo > NSIG_K)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	tm = calloc(1, sizeof(*tm));
	if (!tm)
		return -EAGAIN;
	pthread_mutex_lock(&t->k->lock);
	if (ev.sigev_notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID)) {
		struct task *target = task_by_tid(t->k, SIGEV_TID(ev));
		if (!target || target->tg != t->tg) {
			pthread_mutex_unlock(&t->k->lock);
			free(tm);
			return -EINVAL;
		}
	}
	if (is_cpu_clock(c)) {
		err = cpu_clock_owner(t, c, false, &ctg, &cthread);
		if (err) {
			pthread_mutex_unlock(&t->k->lock);
			free(tm);
			return err;
		}
		timer_attach_cpu_clock(tm, ctg, cthread);
	}
	id = t->tg->next_timer_id++;
	tm->tg = t->tg;
	tm->id = id;
	tm->clock = c;
	tm->notify = ev.sigev_notify;
	tm->signo = ev.sigev_signo;
	tm->target_tid = SIGEV_TID(ev);
	tm->value = a[1] ? ev.sigev_value : (union sigval){ .sival_int = id };
	tm->tg_next = t->tg->timers;
	t->tg->timers = tm;
	pthread_mutex_unlock(&t->k->lock);
	if (mm_copy_out(t->mm, a[2], &id, sizeof(id))) {
		pthread_mutex_lock(&t->k->lock);
		for (struct ktimer **pp = &t->tg->timers; *pp; pp = &(*pp)->tg_next)
			if (*pp == tm) {
				*pp = tm->tg_next;
				break;
			}
		timer_release(tm);
		pthread_mutex_unlock(&t->k->lock);
		free(tm);
		return -EFAULT;
	}
	return 0;
}

static long read_itimerspec(struct task *t, uint64_t addr, struct itimerspec *v)
{
	if (mm_copy_in(t->mm, v, addr, sizeof(*v)))
		return -EFAULT;
	if (v->it_value.tv_nsec < 0 || v->it_value.tv_nsec >= NSEC_PER_SEC || v->it_value.tv_sec < 0 ||
	    v->it_interval.tv_nsec < 0 || v->it_interval.tv_nsec >= NSEC_PER_SEC ||
	    v->it_interval.tv_sec < 0)
		return -EINVAL;
	return 0;
}

/* ESRCH for a CPU-clock timer whose process or thread is gone. */
long sys_timer_settime(struct task *t, const uint64_t a[6])
{
	struct itimerspec nv, old;
	struct ktimer *tm;
	uint64_t ov = 0, oi = 0;
	long ret = read_itimerspec(t, a[2], &nv);

	if (ret)
		return ret;
	pthread_mutex_lock(&t->k->lock);
	tm = find_timer(t, a[0]);
	ret = tm ? timer_set(tm, ts_ns(&nv.it_value), (int)a[1] & TIMER_ABSTIME,
			     ts_ns(&nv.it_interval), &ov, &oi)
		 : -EINVAL;
	pthread_mutex_unlock(&t->k->lock);
	if (ret)
		return ret;
	old.it_value = ns_ts(ov);
	old.it_interval = ns_ts(oi);
	if (a[3] && mm_copy_out(t->mm, a[3], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* A CPU-clock timer whose process or thread is gone reads as zero. */
long sys_timer_gettime(struct task *t, const uint64_t a[6])
{
	struct itimerspec v;
	struct ktimer *tm;

	pthread_mutex_lock(&t->k->lock);
	tm = find_timer(t, a[0]);
	if (tm) {
		v.it_value = ns_ts(timer_remaining(tm));
		v.it_interval = ns_ts(tm->interval);
	}
	pthread_mutex_unlock(&t->k->lock);
	if (!tm)
		return -EINVAL;
	return mm_copy_out(t->mm, a[1], &v, sizeof(v)) ? -EFAULT : 0;
}

long sys_timer_getoverrun(struct task *t, const uint64_t a[6])
{
	struct ktimer *tm;
	long ret;

	pthread_mutex_lock(&t->k->lock);
	tm = find_timer(t, a[0]);
	ret = tm ? tm->overrun_last : -EINVAL;
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

long sys_timer_delete(struct task *t, const uint64_t a[6])
{
	struct ktimer *tm = NULL;

	pthread_mutex_lock(&t->k->lock);
	for (struct ktimer **pp = &t->tg->timers; *pp; pp = &(*pp)->tg_next)
		if ((uint64_t)(*pp)->id == a[0]) {
			tm = *pp;
			*pp = tm->tg_next;
			timer_release(tm);
			break;
		}
	pthread_mutex_unlock(&t->k->lock);
	if (!tm)
		return -EINVAL;
	free(tm);
	return 0;
}
