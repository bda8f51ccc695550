/*
 * timer.c: interval timers and POSIX timers that raise signals.
 * Linux: kernel/time/itimer.c, kernel/time/posix-timers.c.
 *
 * Every armed timer is on one list ordered by deadline (CLOCK_MONOTONIC
 * ns; realtime deadlines are converted when armed).  One sentry thread
 * sleeps until the earliest deadline and fires what is due: it queues the
 * timer's signal (or counts an overrun while the last one is still
 * queued) and re-arms interval timers.  Timers, their list and the timer
 * thread's sleep are all under k->lock.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mm/mm.h"
#include "util/util.h"

static pthread_cond_t timer_cond;
static struct ktimer *armed;          /* sorted by deadline */
static bool thread_started, thread_stop;
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

static void *timer_main(void *arg)
{
	struct kernel *k = arg;

	pthread_mutex_lock(&k->lock);
	while (!thread_stop) {
		uint64_t now = moat_now_ns();
		while (armed && armed->deadline <= now) {
			struct ktimer *tm = armed;
			armed = tm->next;
			tm->next = NULL;
			tm->fired = 1;
			if (tm->interval) {
				uint64_t missed = (now - tm->deadline) / tm->interval;
				tm->deadline += (missed + 1) * tm->interval;
				if (tm->id >= 0)
					tm->overrun += (int)MIN(missed, (uint64_t)INT32_MAX);
				tm->fired += missed;
				link_armed(tm);
			} else {
				tm->deadline = 0;
			}
			timer_fire(tm);
		}
		if (armed) {
			struct timespec ts;
			uint64_t d = armed->deadline;
			ts.tv_sec = (time_t)(d / 1000000000ULL);
			ts.tv_nsec = (long)(d % 1000000000ULL);
			pthread_cond_timedwait(&timer_cond, &k->lock, &ts);
		} else {
			pthread_cond_wait(&timer_cond, &k->lock);
		}
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* Arms (deadline != 0) or disarms tm; k->lock held. */
void timer_arm(struct ktimer *tm, uint64_t deadline, uint64_t interval)
{
	if (tm->deadline)
		unlink_armed(tm);
	tm->deadline = deadline;
	tm->interval = deadline ? interval : 0;
	if (!deadline)
		return;
	link_armed(tm);
	if (!thread_started) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&timer_cond, &ca);
		pthread_condattr_destroy(&ca);
		thread_stop = false;
		if (pthread_create(&timer_thread, NULL, timer_main, kernel_current) == 0)
			thread_started = true;
		else
			moat_warn("cannot start the timer thread");
	}
	pthread_cond_signal(&timer_cond);
}

uint64_t timer_remaining(const struct ktimer *tm)
{
	uint64_t now = moat_now_ns();

	if (!tm->deadline)
		return 0;
	return tm->deadline > now ? tm->deadline - now : 1;
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

/*
 * RLIMIT_CPU (Linux: check_process_timers): past the soft limit SIGXCPU,
 * again every second, and SIGKILL past the hard limit.  The stub's CPU
 * clock is looked at every 100 ms.
 */
static void cpu_check(struct ktimer *tm)
{
	struct thread_group *tg = tm->tg;
	const struct rlimit *r = &tg->rlimits[RLIMIT_CPU];
	uint64_t used;

	if (tg->zombie || tg->group_exit || !tg->tasks || !tg->tasks->mm)
		return;
	used = task_cpu_ns(tg->tasks);
	if (r->rlim_max != RLIM_INFINITY && used >= r->rlim_max * 1000000000ULL) {
		send_signal_locked(tg, NULL, SIGKILL, NULL);
		return;
	}
	if (r->rlim_cur != RLIM_INFINITY && used >= tg->xcpu_next_ns) {
		send_signal_locked(tg, NULL, SIGXCPU, NULL);
		tg->xcpu_next_ns = used + 1000000000ULL;
	}
}

/*
 * ITIMER_VIRTUAL and ITIMER_PROF count the process's CPU time (both the
 * stub's: the sentry's time for its syscalls is not told apart).  They
 * are looked at every 10 ms on the timer thread.
 */
static void cpu_itimer_check(struct ktimer *tm)
{
	struct cpu_itimer *it = (struct cpu_itimer *)((char *)tm - offsetof(struct cpu_itimer, poll));
	struct thread_group *tg = tm->tg;

	if (!it->expires_cpu || tg->zombie || tg->group_exit || !tg->tasks)
		return;
	uint64_t used = task_cpu_ns(tg->tasks);
	if (used < it->expires_cpu)
		return;
	send_signal_locked(tg, NULL, it->signo, NULL);
	if (it->interval) {
		while (it->expires_cpu <= used)
			it->expires_cpu += it->interval;
	} else {
		it->expires_cpu = 0;
		timer_arm(tm, 0, 0);
	}
}

void cpu_itimer_set(struct thread_group *tg, int which, uint64_t value, uint64_t interval,
		    uint64_t *old_value, uint64_t *old_interval)
{
	struct cpu_itimer *it = &tg->itimer_cpu[which];
	uint64_t used = tg->tasks ? task_cpu_ns(tg->tasks) : 0;

	*old_value = it->expires_cpu ? (it->expires_cpu > used ? it->expires_cpu - used : 1) : 0;
	*old_interval = it->interval;
	it->signo = which ? SIGPROF : SIGVTALRM;
	it->poll.tg = tg;
	it->poll.id = -1;
	it->poll.fn = cpu_itimer_check;
	it->interval = value ? interval : 0;
	it->expires_cpu = value ? used + value : 0;
	if (!value)
		timer_arm(&it->poll, 0, 0);
	else if (!it->poll.deadline)
		timer_arm(&it->poll, moat_now_ns() + 10000000ULL, 10000000ULL);
}

void rlimit_cpu_arm(struct thread_group *tg)
{
	const struct rlimit *r = &tg->rlimits[RLIMIT_CPU];

	tg->cpu_timer.tg = tg;
	tg->cpu_timer.id = -1;
	tg->cpu_timer.fn = cpu_check;
	if (r->rlim_cur == RLIM_INFINITY && r->rlim_max == RLIM_INFINITY) {
		timer_arm(&tg->cpu_timer, 0, 0);
		return;
	}
	tg->xcpu_next_ns = r->rlim_cur == RLIM_INFINITY ? UINT64_MAX : r->rlim_cur * 1000000000ULL;
	if (!tg->cpu_timer.deadline)
		timer_arm(&tg->cpu_timer, moat_now_ns() + 100000000ULL, 100000000ULL);
}

void timers_exit(struct thread_group *tg, bool keep_itimer)
{
	while (tg->timers) {
		struct ktimer *tm = tg->timers;
		tg->timers = tm->tg_next;
		timer_arm(tm, 0, 0);
		free(tm);
	}
	if (!keep_itimer) {
		timer_arm(&tg->itimer_real, 0, 0);
		timer_arm(&tg->cpu_timer, 0, 0);
		timer_arm(&tg->itimer_cpu[0].poll, 0, 0);
		timer_arm(&tg->itimer_cpu[1].poll, 0, 0);
	}
}

void timers_shutdown(struct kernel *k)
{
	if (!thread_started)
		return;
	pthread_mutex_lock(&k->lock);
	thread_stop = true;
	pthread_cond_signal(&timer_cond);
	pthread_mutex_unlock(&k->lock);
	pthread_join(timer_thread, NULL);
	thread_started = false;
	armed = NULL;
}
