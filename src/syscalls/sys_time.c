/*
 * sys_time.c: clocks and sleeping.
 *
 * Wall and monotonic clocks are the host's.  The CPU-time clocks measure
 * the stub process, where the application's code runs.
 * TODO(events issue): per-task CPU accounting for THREAD_CPUTIME with
 * several threads, and moat's own vDSO so clock reads do not trap.
 */
#include <errno.h>
#include <stdbool.h>
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
	switch ((int64_t)id) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME: case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		*out = (clockid_t)id;
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		/* The stub's process CPU clock: ~pid << 3 | CPUCLOCK_SCHED. */
		*out = (clockid_t)((~(unsigned)platform_as_pid(t->mm->as) << 3) | 2);
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_clock_gettime(struct task *t, const uint64_t a[6])
{
	clockid_t c;
	struct timespec ts;
	long err = host_clock(t, a[0], &c);

	if (err)
		return err;
	if (clock_gettime(c, &ts) < 0)
		return -errno;
	return mm_copy_out(t->mm, a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_clock_getres(struct task *t, const uint64_t a[6])
{
	clockid_t c;
	struct timespec ts;
	long err = host_clock(t, a[0], &c);

	if (err)
		return err;
	if (clock_getres(c, &ts) < 0)
		return -errno;
	if (a[1] && mm_copy_out(t->mm, a[1], &ts, sizeof(ts)))
		return -EFAULT;
	return 0;
}

long sys_gettimeofday(struct task *t, const uint64_t a[6])
{
	struct timeval tv;
	struct timezone tz = { 0, 0 };

	gettimeofday(&tv, NULL);
	if (a[0] && mm_copy_out(t->mm, a[0], &tv, sizeof(tv)))
		return -EFAULT;
	if (a[1] && mm_copy_out(t->mm, a[1], &tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

long sys_time(struct task *t, const uint64_t a[6])
{
	int64_t now = (int64_t)time(NULL);

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

	clock_gettime(c, &now);
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
	int r = task_block(t, (uint64_t)mono_deadline);
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
	int r = task_block(t, t->restart.deadline_ns);

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
