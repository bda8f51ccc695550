/*
 * sys_sched.c: scheduling parameters: nice values, policies, affinity.
 * Linux: kernel/sys.c (getpriority), kernel/sched/core.c and syscalls.c.
 *
 * The sandbox's threads are all host threads of the same (unprivileged)
 * sentry, so these are recorded and reported with Linux's validation and
 * errors, but do not change how the host schedules them: a nice value
 * is kept per process, every thread is SCHED_OTHER, and the affinity
 * mask is the host's.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

/* The thread group a pid names (0: the caller's); k->lock held. */
static struct thread_group *sched_target(struct task *t, int pid)
{
	struct task *o;

	if (pid == 0)
		return t->tg;
	o = task_by_tid(t->k, pid);
	return o ? o->tg : NULL;
}

/* Applies fn to the processes `which`/`who` names; -ESRCH if none. */
static long for_each_prio_target(struct task *t, int which, int who,
				 void (*fn)(struct thread_group *, void *), void *arg)
{
	struct kernel *k = t->k;
	long found = 0;

	switch (which) {
	case PRIO_PROCESS: {
		struct thread_group *tg = sched_target(t, who);
		if (tg && !tg->zombie) {
			fn(tg, arg);
			found = 1;
		}
		break;
	}
	case PRIO_PGRP:
		if (who == 0)
			who = t->tg->pgid;
		for (struct thread_group *tg = k->groups; tg; tg = tg->next)
			if (tg->pgid == who && !tg->zombie) {
				fn(tg, arg);
				found = 1;
			}
		break;
	case PRIO_USER:
		/* Every process belongs to the user its threads run as. */
		for (struct thread_group *tg = k->groups; tg; tg = tg->next)
			if (!tg->zombie && tg->tasks &&
			    tg->tasks->ids.ruid == (uint32_t)(who ? who : (int)t->ids.ruid)) {
				fn(tg, arg);
				found = 1;
			}
		break;
	default:
		return -EINVAL;
	}
	return found ? 0 : -ESRCH;
}

static void get_nice(struct thread_group *tg, void *arg)
{
	int *best = arg;

	if (20 - tg->nice > *best)
		*best = 20 - tg->nice;
}

long sys_getpriority(struct task *t, const uint64_t a[6])
{
	int best = 0;
	long ret;

	pthread_mutex_lock(&t->k->lock);
	ret = for_each_prio_target(t, (int)a[0], (int)a[1], get_nice, &best);
	pthread_mutex_unlock(&t->k->lock);
	/* The syscall returns 20 - nice, so that it is never negative. */
	return ret ? ret : best;
}

struct set_nice_arg {
	struct task *t;
	int nice;
	bool denied;
};

/* Linux: set_one_prio_perm: the target's real or effective UID is the
 * caller's effective one, or CAP_SYS_NICE. */
static void set_nice(struct thread_group *tg, void *arg)
{
	struct set_nice_arg *s = arg;
	const struct creds *c = tg_creds(tg);

	if (c->ruid != s->t->ids.euid && c->euid != s->t->ids.euid && !capable(s->t, CAP_SYS_NICE)) {
		s->denied = true;
		return;
	}
	tg->nice = s->nice;
}

long sys_setpriority(struct task *t, const uint64_t a[6])
{
	struct set_nice_arg s = { .t = t };
	int n = (int)a[2];
	long ret;

	if ((int)a[0] < PRIO_PROCESS || (int)a[0] > PRIO_USER)
		return -EINVAL;
	s.nice = n < -20 ? -20 : n > 19 ? 19 : n;
	pthread_mutex_lock(&t->k->lock);
	if (!capable(t, CAP_SYS_NICE) && s.nice < t->tg->nice)
		ret = -EACCES;
	else
		ret = for_each_prio_target(t, (int)a[0], (int)a[1], set_nice, &s);
	if (!ret && s.denied)
		ret = -EPERM;
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

static long check_pid(struct task *t, uint64_t pid)
{
	long ret = 0;

	if ((int)pid < 0)
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	if (!sched_target(t, (int)pid))
		ret = -ESRCH;
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

long sys_sched_getscheduler(struct task *t, const uint64_t a[6])
{
	long ret = check_pid(t, a[0]);

	return ret ? ret : SCHED_OTHER;
}

long sys_sched_getparam(struct task *t, const uint64_t a[6])
{
	struct sched_param p = { 0 };
	long ret;

	if (!a[1] || (int)a[0] < 0)
		return -EINVAL;
	ret = check_pid(t, a[0]);
	if (ret)
		return ret;
	return mm_copy_out(t->mm, a[1], &p, sizeof(p)) ? -EFAULT : 0;
}

static long valid_param(int policy, int prio)
{
	switch (policy & ~SCHED_RESET_ON_FORK) {
	case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE:
		return prio == 0 ? 0 : -EINVAL;
	case SCHED_FIFO: case SCHED_RR:
		return prio >= 1 && prio <= 99 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

long sys_sched_setscheduler(struct task *t, const uint64_t a[6])
{
	struct sched_param p;
	int policy = (int)a[1];
	long ret;

	if (!a[2] || (int)a[0] < 0)
		return -EINVAL;
	if (mm_copy_in(t->mm, &p, a[2], sizeof(p)))
		return -EFAULT;
	ret = check_pid(t, a[0]);
	if (ret)
		return ret;
	ret = valid_param(policy, p.sched_priority);
	if (ret)
		return ret;
	if ((policy & ~SCHED_RESET_ON_FORK) != SCHED_OTHER) {
		moat_log("sched_setscheduler: only SCHED_OTHER is supported: EPERM");
		return -EPERM;
	}
	return 0;
}

long sys_sched_setparam(struct task *t, const uint64_t a[6])
{
	struct sched_param p;
	long ret;

	if (!a[1] || (int)a[0] < 0)
		return -EINVAL;
	if (mm_copy_in(t->mm, &p, a[1], sizeof(p)))
		return -EFAULT;
	ret = check_pid(t, a[0]);
	return ret ? ret : valid_param(SCHED_OTHER, p.sched_priority);
}

long sys_sched_get_priority_max(struct task *t, const uint64_t a[6])
{
	(void)t;
	switch ((int)a[0]) {
	case SCHED_FIFO: case SCHED_RR: return 99;
	case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case SCHED_DEADLINE: return 0;
	default: return -EINVAL;
	}
}

long sys_sched_get_priority_min(struct task *t, const uint64_t a[6])
{
	(void)t;
	switch ((int)a[0]) {
	case SCHED_FIFO: case SCHED_RR: return 1;
	case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case SCHED_DEADLINE: return 0;
	default: return -EINVAL;
	}
}

long sys_sched_rr_get_interval(struct task *t, const uint64_t a[6])
{
	struct timespec ts = { 0, 0 };   /* SCHED_OTHER: no fixed quantum */
	long ret;

	if ((int)a[0] < 0)
		return -EINVAL;
	ret = check_pid(t, a[0]);
	if (ret)
		return ret;
	return mm_copy_out(t->mm, a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

/*
 * CPU affinity is per thread, as in Linux: kept on the task (for
 * sched_getaffinity, and inherited by clone) and applied to its stub
 * thread by the task's own thread (task_apply_affinity).  A task with no
 * mask of its own has moat's CPUs.  Returns the thread pid names (0: t),
 * or NULL; k->lock held.
 */
static struct task *affinity_target(struct task *t, uint64_t pid)
{
	return pid ? task_by_tid(t->k, (int)pid) : t;
}

long sys_sched_setaffinity(struct task *t, const uint64_t a[6])
{
	cpu_set_t want, have;
	size_t len = MIN((size_t)a[1], sizeof(want));
	struct task *target;
	long ret = check_pid(t, a[0]);

	if (ret)
		return ret;
	CPU_ZERO(&want);
	if (mm_copy_in(t->mm, &want, a[2], len))
		return -EFAULT;
	platform_cpus(&have);
	CPU_AND(&want, &want, &have);
	if (!CPU_COUNT(&want))
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	target = affinity_target(t, a[0]);
	if (target) {
		target->affinity = want;
		target->has_affinity = !CPU_EQUAL(&want, &have);
		__atomic_store_n(&target->affinity_dirty, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&t->k->lock);
	if (!target)
		return -ESRCH;
	if (target == t)
		task_apply_affinity(t);
	return 0;
}

long sys_sched_getaffinity(struct task *t, const uint64_t a[6])
{
	cpu_set_t set;
	size_t len = a[1], size;
	struct task *target;

	if ((int)a[0] < 0)
		return -ESRCH;
	/* Linux: kernel/sched/core.c; the mask is nr_cpu_ids bits in longs. */
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	size = ALIGN_UP((size_t)(ncpu + 7) / 8, sizeof(long));
	if (len * 8 < (size_t)ncpu || (len & (sizeof(long) - 1)))
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	target = affinity_target(t, a[0]);
	if (target && target->has_affinity)
		set = target->affinity;
	else
		platform_cpus(&set);
	pthread_mutex_unlock(&t->k->lock);
	if (!target)
		return -ESRCH;
	size = MIN(size, len);
	return mm_copy_out(t->mm, a[2], &set, size) ? -EFAULT : (long)size;
}
