/*
 * sys_time.c: clocks and sleeping.
 *
 * Wall and monotonic clocks are the host's.  The CPU-time clocks measure
 * where the application's code runs: a process's is its stub process's
 * (plus its earlier images'), a thread's is its stub thread's.
 * TODO(events issue): moat's own vDSO so clock reads do not trap.
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
static long host_clock(struct task *t, uint64_t id, clockid_t *out)
{
	(void)t;
	switch ((int64_t)id) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		*out = (clockid_t)id;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * CPU-time clocks: CLOCK_PROCESS/THREAD_CPUTIME_ID and the ids of
 * clock_getcpuclockid/pthread_getcpuclockid (~pid << 3 | type, 4 for a
 * thread).  Returns 0 with *ns, 1 if id is no CPU clock, or -errno.
 */
static long cpu_clock(struct task *t, uint64_t id, uint64_t *ns)
{
	int cid = (int)id;

	if (cid == CLOCK_PROCESS_CPUTIME_ID) {
		*ns = task_cpu_ns(t);
		return 0;
	}
	if (cid == CLOCK_THREAD_CPUTIME_ID) {
		*ns = platform_ctx_cpu_ns(t->ctx);
		return 0;
	}
	if (cid >= 0)
		return 1;
	int pid = ~(cid >> 3), type = cid & 3;
	bool thread = cid & 4;
	if (type == 3 || (thread && (cid & 3) == 3))
		return -EINVAL;
	long ret = 0;
	pthread_mutex_lock(&t->k->lock);
	if (thread) {
		struct task *o = pid ? task_by_tid(t->k, pid) : t;
		if (!o || o->tg != t->tg)
			ret = -EINVAL;          /* Linux: threads of one's own group */
		else
			*ns = platform_ctx_cpu_ns(o->ctx);
	} else {
		struct thread_group *tg = pid ? tg_by_pid(t->k, pid) : t->tg;
		if (!tg || !tg->tasks)
			ret = -EINVAL;
		else
			*ns = task_cpu_ns(tg->tasks);
	}
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}long sys_clock_gettime(struct task *t, const uint64_t a[6])
{
	clockid_t c;
	struct timespec ts;
	uint64_t ns;
	long err = cpu_clock(t, a[0], &ns);

	if (err < 0)
		return err;
	if (err == 0) {
		ts.tv_sec = (time_t)(ns / NSEC_PER_SEC);
		ts.tv_nsec = (long)(ns % NSEC_PER_SEC);
	} else {
		err = host_clock(t, a[0], &c);
		if (err)
			return err;
		clock_ts(c, &ts);
	}
	return mm_copy_out(t->mm, a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_clock_getres(struct task *t, const uint64_t a[6])
{
	clockid_t c;
	struct timespec ts;
	uint64_t ns;
	long err = cpu_clock(t, a[0], &ns);

	if (err < 0)
		return err;
	if (err == 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = 1;         /* Linux reports 1 ns for CPU clocks */
	} else {
		err = host_clock(t, a[0], &c);
		if (err)
			return err;
		if (clock_getres(c, &ts) < 0)
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
	target = req->tv_sec * NSEC_PER_SEC + req->tv_nsec;
	if (!abs)
		target = req->tv_sec > (INT64_MAX / NSEC_PER_SEC) - now.tv_sec - 1
			 ? INT64_MAX : now_ns + target;
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

long sys_clock_nanosleep(struct task *t, const uint64_t a[6])
{
	struct timespec req, left;
	clockid_t c;
	int flags = (int)a[1];
	long ret;

	switch ((int64_t)a[0]) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME:
	case CLOCK_TAI: case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		c = (clockid_t)a[0];
		break;
	case CLOCK_THREAD_CPUTIME_ID:
		return -EINVAL;
	case CLOCK_PROCESS_CPUTIME_ID:
		/* TODO(events issue): sleeping on CPU clocks. */
		moat_log("clock_nanosleep on a CPU clock: not supported, EOPNOTSUPP");
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
	ret = read_timespec(t, a[2], &req);
	if (ret)
		return ret;
	ret = sleep_until(t, c, &req, flags & TIMER_ABSTIME, &left);
	if (ret == -EINTR)
		return (flags & TIMER_ABSTIME) ? -ERESTARTNOHAND : interrupted_sleep(t, &left, a[3]);
	return ret;
}

/* ---- interval timers and POSIX timers (kernel/timer.c) ---- */

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * 1000;
}

static struct timeval ns_tv(uint64_t ns)
{
	return (struct timeval){ (time_t)(ns / NSEC_PER_SEC), (suseconds_t)(ns % NSEC_PER_SEC / 1000) };
}

static struct timespec ns_ts(uint64_t ns)
{
	return (struct timespec){ (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
}

static void itimer_get(struct task *t, struct itimerval *old)
{
	struct ktimer *tm = &t->tg->itimer_real;

	old->it_value = ns_tv(timer_remaining(tm));
	old->it_interval = ns_tv(tm->interval);
}

static long itimer_which(int which)
{
	return which == ITIMER_REAL || which == ITIMER_VIRTUAL || which == ITIMER_PROF ? 0 : -EINVAL;
}

/* Sets (value != NULL) and reads an interval timer; k->lock held. */
static void itimer_set(struct task *t, int which, const struct itimerval *nv, struct itimerval *old)
{
	if (which == ITIMER_REAL) {
		itimer_get(t, old);
		if (nv) {
			uint64_t v = tv_ns(&nv->it_value);
			timer_arm(&t->tg->itimer_real, v ? moat_now_ns() + v : 0,
				  tv_ns(&nv->it_interval));
		}
		return;
	}
	int i = which == ITIMER_PROF;
	uint64_t ov, oi;
	if (nv) {
		cpu_itimer_set(t->tg, i, tv_ns(&nv->it_value), tv_ns(&nv->it_interval), &ov, &oi);
	} else {
		struct cpu_itimer *it = &t->tg->itimer_cpu[i];
		uint64_t used = task_cpu_ns(t);
		ov = it->expires_cpu ? (it->expires_cpu > used ? it->expires_cpu - used : 1) : 0;
		oi = it->interval;
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
	struct itimerval old;
	unsigned secs = (unsigned)a[0];

	pthread_mutex_lock(&t->k->lock);
	itimer_get(t, &old);
	timer_arm(&t->tg->itimer_real, secs ? moat_now_ns() + (uint64_t)secs * NSEC_PER_SEC : 0, 0);
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

long sys_timer_create(struct task *t, const uint64_t a[6])
{
	struct sigevent ev;
	struct ktimer *tm;
	clockid_t c = (clockid_t)a[0];
	int id;

	switch (c) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME:
	case CLOCK_TAI: case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		break;
	case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
		moat_log("timer_create on a CPU clock is not implemented: ENOSYS");
		return -ENOSYS;
	default:
		return -EINVAL;
	}
	if (a[1]) {
		if (mm_copy_in(t->mm, &ev, a[1], sizeof(ev)))
			return -EFAULT;
	} else {
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGALRM;
	}
	switch (ev.sigev_notify) {
	case SIGEV_NONE:
		break;
	case SIGEV_SIGNAL:
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
		struct task *target = task_by_tid(t->k, ev._sigev_un._tid);
		if (!target || target->tg != t->tg) {
			pthread_mutex_unlock(&t->k->lock);
			free(tm);
			return -EINVAL;
		}
	}
	id = t->tg->next_timer_id++;
	tm->tg = t->tg;
	tm->id = id;
	tm->clock = c;
	tm->notify = ev.sigev_notify;
	tm->signo = ev.sigev_signo;
	tm->target_tid = ev._sigev_un._tid;
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
		pthread_mutex_unlock(&t->k->lock);
		free(tm);
		return -EFAULT;
	}
	return 0;
}

static void timer_value(struct ktimer *tm, struct itimerspec *v)
{
	v->it_value = ns_ts(timer_remaining(tm));
	v->it_interval = ns_ts(tm->interval);
}

long sys_timer_settime(struct task *t, const uint64_t a[6])
{
	struct itimerspec nv, old;
	struct ktimer *tm;
	int flags = (int)a[1];

	if (mm_copy_in(t->mm, &nv, a[2], sizeof(nv)))
		return -EFAULT;
	if (nv.it_value.tv_nsec < 0 || nv.it_value.tv_nsec >= NSEC_PER_SEC || nv.it_value.tv_sec < 0 ||
	    nv.it_interval.tv_nsec < 0 || nv.it_interval.tv_nsec >= NSEC_PER_SEC ||
	    nv.it_interval.tv_sec < 0)
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	tm = find_timer(t, a[0]);
	if (!tm) {
		pthread_mutex_unlock(&t->k->lock);
		return -EINVAL;
	}
	timer_value(tm, &old);
	uint64_t v = (uint64_t)nv.it_value.tv_sec * NSEC_PER_SEC + (uint64_t)nv.it_value.tv_nsec;
	uint64_t deadline = 0;
	if (v) {
		if (flags & TIMER_ABSTIME) {
			struct timespec now;
			clock_ts(tm->clock, &now);
			uint64_t n = (uint64_t)now.tv_sec * NSEC_PER_SEC + (uint64_t)now.tv_nsec;
			deadline = moat_now_ns() + (v > n ? v - n : 0);
			if (deadline == 0)
				deadline = 1;
		} else {
			deadline = moat_now_ns() + v;
		}
	}
	tm->overrun = 0;
	timer_arm(tm, deadline, (uint64_t)nv.it_interval.tv_sec * NSEC_PER_SEC +
				(uint64_t)nv.it_interval.tv_nsec);
	pthread_mutex_unlock(&t->k->lock);
	if (a[3] && mm_copy_out(t->mm, a[3], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_timer_gettime(struct task *t, const uint64_t a[6])
{
	struct itimerspec v;
	struct ktimer *tm;

	pthread_mutex_lock(&t->k->lock);
	tm = find_timer(t, a[0]);
	if (tm)
		timer_value(tm, &v);
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
			timer_arm(tm, 0, 0);
			break;
		}
	pthread_mutex_unlock(&t->k->lock);
	if (!tm)
		return -EINVAL;
	free(tm);
	return 0;
}
