/*
 * timer.c: interval timers, POSIX timers and RLIMIT_CPU.
 * Linux: kernel/time/itimer.c, kernel/time/posix-timers.c,
 * kernel/time/posix-cpu-timers.c.
 *
 * One sentry thread, the timer thread, fires every timer, started for the
 * first one that is not lazy; until then the kernel thread's idle loop fires
 * the lazy ones (the clock's updates).  A timer counts one of two kinds of
 * clock:
 *
 * - CLOCK_MONOTONIC: alarm, ITIMER_REAL, timerfds and POSIX timers on the
 *   wall clocks (an absolute realtime deadline is converted when armed).
 *   The armed ones are on one list ordered by deadline, and the thread
 *   sleeps until the earliest.
 * - a CPU-time clock: a process's (its stub process's CPU clock plus its
 *   earlier images', tg_cpu_ns) or a thread's (its stub thread's).  No
 *   event says that such a clock passed a deadline, so it is sampled:
 *   while any of these timers is armed, cpu_poll looks at all of them
 *   every 10 ms.  They are ITIMER_VIRTUAL and ITIMER_PROF, RLIMIT_CPU,
 *   POSIX timers on CPU clocks and clock_nanosleep's on a CPU clock.  One
 *   fires up to 10 ms of real time late, never early.  Linux's three CPU
 *   clocks (PROF, VIRT, SCHED) are the same clock here: the sentry's time
 *   for the application's syscalls is not told apart.
 *
 * Either way a due timer goes through timer_expire: an interval timer is
 * re-armed past now, counting the intervals it missed (overruns), and
 * timer_fire queues the timer's signal (or counts an overrun while the
 * last one is still queued) or calls its fn.  Timers, both lists and the
 * timer thread's sleep are all under k->lock.
 *
 * A CPU-clock timer points at the process or thread whose clock it
 * counts.  task_exit and tg_release call cpu_clock_gone before that one
 * goes, which disarms such timers and clears the pointer (Linux keeps the
 * timer too, disarmed: timer_settime then fails with ESRCH).
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mm/mm.h"
#include "util/util.h"

#define NSEC_PER_SEC 1000000000ULL
#define CPU_POLL_NS 10000000ULL       /* CPU clocks are looked at every 10 ms */

static void cpu_timers_poll(struct ktimer *poll);
static void timers_start_thread(void);

static pthread_cond_t timer_cond;
static struct ktimer *armed;          /* CLOCK_MONOTONIC, sorted by deadline */
static struct ktimer *cpu_timers;     /* every CPU-clock timer, through cpu_next */
static struct ktimer cpu_poll = { .id = -1, .fn = cpu_timers_poll };
static bool thread_started;   /* it runs until moat exits */
static pthread_t timer_thread;

static void unlink_armed(struct ktimer *tm)
{
	for (struct ktimer **pp = &armed; *pp; pp = &(*pp)->next)
		if (*pp == tm) {
			*pp = tm->next;
			break;
		}
	tm->next = NULL;
}

static void link_armed(struct ktimer *tm)
{
	struct ktimer **pp = &armed;

	while (*pp && (*pp)->deadline <= tm->deadline)
		pp = &(*pp)->next;
	tm->next = *pp;
	*pp = tm;
}

/* Fires tm (k->lock held). */
static void timer_fire(struct ktimer *tm)
{
	struct thread_group *tg = tm->tg;
	siginfo_t info;

	if (tm->fn) {
		tm->fn(tm);
		return;
	}
	if (tm->notify == SIGEV_NONE || tg->zombie || tg->group_exit)
		return;
	if (tm->sig_queued) {
		tm->overrun++;
		return;
	}
	memset(&info, 0, sizeof(info));
	info.si_signo = tm->signo;
	if (tm->id < 0) {
		info.si_code = SI_KERNEL;        /* setitimer, alarm */
	} else {
		info.si_code = SI_TIMER;
		info.si_timerid = tm->id;
		info.si_value = tm->value;
		info.si_overrun = 0;
		tm->sig_queued = true;
	}
	struct task *target = NULL;
	if (tm->notify == (SIGEV_SIGNAL | SIGEV_THREAD_ID))
		target = task_by_tid(tg->k, tm->target_tid);
	if (target && target->tg != tg)
		target = NULL;
	if (send_signal_locked(tg, target, tm->signo, &info) != 0)
		tm->sig_queued = false;
}

/*
 * tm is due: now, read from its clock, has reached its deadline, and it is
 * off the armed list.  Re-arms an interval timer at its next deadline past
 * now (Linux: bump_cpu_timer, hrtimer_forward) and fires it.
 */
static void timer_expire(struct ktimer *tm, uint64_t now)
{
	tm->fired = 1;
	if (tm->interval) {
		/* Deadlines and intervals stay below 2^63 (callers clamp). */
		uint64_t missed = (now - tm->deadline) / tm->interval;
		tm->deadline += (missed + 1) * tm->interval;
		if (tm->id >= 0)
			tm->overrun += (int)MIN(missed, (uint64_t)INT32_MAX);
		tm->fired += missed;
		if (!tm->cpu)
			link_armed(tm);
	} else {
		tm->deadline = 0;
	}
	timer_fire(tm);
}

static __attribute__((noreturn)) void *timer_main(void *arg)
{
	struct kernel *k = arg;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		uint64_t now = moat_now_ns();
		while (armed && armed->deadline <= now) {
			struct ktimer *tm = armed;
			armed = tm->next;
			tm->next = NULL;
			timer_expire(tm, now);
		}
		if (armed) {
			struct timespec ts;
			uint64_t d = armed->deadline;
			ts.tv_sec = (time_t)(d / NSEC_PER_SEC);
			ts.tv_nsec = (long)(d % NSEC_PER_SEC);
			pthread_cond_timedwait(&timer_cond, &k->lock, &ts);
		} else {
			pthread_cond_wait(&timer_cond, &k->lock);
		}
	}
}

void timer_arm(struct ktimer *tm, uint64_t deadline, uint64_t interval)
{
	if (tm->deadline && !tm->cpu)
		unlink_armed(tm);
	if (tm->cpu && !tm->cpu_tg && !tm->cpu_task)
		deadline = 0;           /* its clock is gone */
	tm->deadline = deadline;
	tm->interval = deadline ? interval : 0;
	if (!deadline)
		return;
	if (tm->cpu) {
		if (!cpu_poll.deadline)
			timer_arm(&cpu_poll, moat_now_ns() + CPU_POLL_NS, CPU_POLL_NS);
		return;
	}
	link_armed(tm);
	if (!thread_started && !tm->lazy)
		timers_start_thread();
	pthread_cond_signal(&timer_cond);
}

/*
 * Starts the timer thread (k->lock held), for the first timer that is not
 * lazy.  Creating a thread costs 50-100 us on this class of machine, and
 * a sandbox whose only timer is the clock's (lazy, see timers_lazy_wait_ms)
 * never needs one.
 */
static void timers_start_thread(void)
{
	if (!thread_started) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&timer_cond, &ca);
		pthread_condattr_destroy(&ca);
		if (pthread_create(&timer_thread, NULL, timer_main, kernel_current) == 0)
			thread_started = true;
		else
			moat_warn("cannot start the timer thread");
	}
}

int timers_lazy_wait_ms(void)
{
	if (thread_started || !armed)
		return -1;
	uint64_t now = moat_now_ns();
	if (armed->deadline <= now)
		return 0;
	return (int)MIN((armed->deadline - now + 999999) / 1000000, (uint64_t)INT32_MAX);
}

void timers_run_lazy(void)
{
	uint64_t now = moat_now_ns();

	while (!thread_started && armed && armed->deadline <= now) {
		struct ktimer *tm = armed;
		armed = tm->next;
		tm->next = NULL;
		timer_expire(tm, now);
	}
}

bool timer_clock_now(const struct ktimer *tm, uint64_t *now)
{
	if (!tm->cpu)
		*now = moat_now_ns();
	else if (tm->cpu_task)
		*now = platform_ctx_cpu_ns(tm->cpu_task->ctx);
	else if (tm->cpu_tg)
		*now = tg_cpu_ns(tm->cpu_tg);
	else
		return false;
	return true;
}

uint64_t timer_remaining(const struct ktimer *tm)
{
	uint64_t now;

	if (!tm->deadline || !timer_clock_now(tm, &now))
		return 0;
	if (tm->deadline > now)
		return tm->deadline - now;
	/* Due, not yet seen by the timer thread.  Linux (common_timer_get,
	 * posix_cpu_timer_get): a one-shot SIGEV_NONE timer has expired (0),
	 * a periodic one is forwarded, anything else is about to fire. */
	if (tm->notify == SIGEV_NONE)
		return tm->interval ? tm->interval - (now - tm->deadline) % tm->interval : 0;
	return 1;
}

int timer_set(struct ktimer *tm, uint64_t value, bool abs, uint64_t interval,
	      uint64_t *old_value, uint64_t *old_interval)
{
	uint64_t now, deadline = 0;

	if (!timer_clock_now(tm, &now))
		return -ESRCH;          /* Linux: posix_cpu_timer_set */
	*old_value = timer_remaining(tm);
	*old_interval = tm->interval;
	if (value && !abs) {
		deadline = now + value;
	} else if (value && tm->cpu) {
		deadline = value;
	} else if (value) {
		struct timespec ts;
		clock_ts(tm->clock, &ts);       /* before moat_now_ns: never early */
		uint64_t wall = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
		deadline = moat_now_ns() + (value > wall ? value - wall : 0);
	}
	tm->overrun = 0;
	timer_arm(tm, deadline, interval);
	/* Linux (posix_cpu_timer_set): a CPU-clock deadline already passed
	 * fires now, even if that clock never moves again. */
	if (tm->cpu && deadline && deadline <= now)
		timer_expire(tm, now);
	return 0;
}

void timer_attach_cpu_clock(struct ktimer *tm, struct thread_group *tg, struct task *task)
{
	if (!tm->cpu) {
		tm->cpu = true;
		tm->cpu_next = cpu_timers;
		cpu_timers = tm;
	}
	tm->cpu_tg = task ? NULL : tg;
	tm->cpu_task = task;
}

void timer_release(struct ktimer *tm)
{
	timer_arm(tm, 0, 0);
	if (!tm->cpu)
		return;
	for (struct ktimer **pp = &cpu_timers; *pp; pp = &(*pp)->cpu_next)
		if (*pp == tm) {
			*pp = tm->cpu_next;
			break;
		}
	tm->cpu = false;
	tm->cpu_next = NULL;
	tm->cpu_tg = NULL;
	tm->cpu_task = NULL;
}

void cpu_clock_gone(struct thread_group *tg, struct task *task)
{
	for (struct ktimer *tm = cpu_timers; tm; tm = tm->cpu_next)
		if ((tg && tm->cpu_tg == tg) || (task && tm->cpu_task == task)) {
			timer_arm(tm, 0, 0);
			tm->cpu_tg = NULL;
			tm->cpu_task = NULL;
		}
}

/*
 * The 10 ms poll of the CPU clocks (Linux samples them at every tick of
 * a thread that runs: run_posix_cpu_timers).  It stops itself when no
 * CPU-clock timer is armed; timer_arm starts it again.
 */
static void cpu_timers_poll(struct ktimer *poll)
{
	bool any = false;
	uint64_t now;

	for (struct ktimer *tm = cpu_timers, *next; tm; tm = next) {
		next = tm->cpu_next;
		if (tm->deadline && timer_clock_now(tm, &now) && now >= tm->deadline)
			timer_expire(tm, now);
		any |= tm->deadline != 0;
	}
	if (!any)
		timer_arm(poll, 0, 0);
}

void timer_dequeued(struct thread_group *tg, siginfo_t *info)
{
	for (struct ktimer *tm = tg->timers; tm; tm = tm->tg_next)
		if (tm->id == info->si_timerid) {
			info->si_overrun = tm->overrun;
			tm->overrun_last = tm->overrun;
			tm->overrun = 0;
			tm->sig_queued = false;
			return;
		}
}

static uint64_t rlim_ns(rlim_t secs)
{
	if (secs == RLIM_INFINITY || secs >= INT64_MAX / NSEC_PER_SEC)
		return UINT64_MAX;
	return secs * NSEC_PER_SEC;
}

/*
 * RLIMIT_CPU (Linux: check_process_timers): past the soft limit SIGXCPU,
 * again at each further second of CPU time, and SIGKILL past the hard
 * limit.  tg->cpu_timer is armed at the next of these on tg's CPU clock.
 */
static void rlimit_cpu_fire(struct ktimer *tm)
{
	struct thread_group *tg = tm->tg;
	uint64_t hard = rlim_ns(tg->rlimits[RLIMIT_CPU].rlim_max), used;

	if (tg->zombie || tg->group_exit || !timer_clock_now(tm, &used))
		return;
	if (used >= hard) {
		send_signal_locked(tg, NULL, SIGKILL, NULL);
		return;
	}
	if (used >= tg->xcpu_next_ns) {
		send_signal_locked(tg, NULL, SIGXCPU, NULL);
		while (tg->xcpu_next_ns <= used)
			tg->xcpu_next_ns += NSEC_PER_SEC;
	}
	timer_arm(tm, MIN(tg->xcpu_next_ns, hard), 0);
}

void rlimit_cpu_arm(struct thread_group *tg)
{
	const struct rlimit *r = &tg->rlimits[RLIMIT_CPU];
	struct ktimer *tm = &tg->cpu_timer;

	tg->xcpu_next_ns = rlim_ns(r->rlim_cur);
	uint64_t first = MIN(tg->xcpu_next_ns, rlim_ns(r->rlim_max));
	if (first == UINT64_MAX) {
		timer_release(tm);
		return;
	}
	tm->fn = rlimit_cpu_fire;
	timer_attach_cpu_clock(tm, tg, NULL);
	timer_arm(tm, first ? first : 1, 0);
}

void timers_exit(struct thread_group *tg, bool keep_itimer)
{
	while (tg->timers) {
		struct ktimer *tm = tg->timers;
		tg->timers = tm->tg_next;
		timer_release(tm);
		free(tm);
	}
	if (!keep_itimer) {
		timer_release(&tg->itimer_real);
		timer_release(&tg->cpu_timer);
		timer_release(&tg->itimer_cpu[0]);
		timer_release(&tg->itimer_cpu[1]);
	}
}

