/*
 * sys_signal.c: the signal syscalls: dispositions, masks, the alternate
 * stack, sending (kill, tkill, tgkill, rt_sigqueueinfo), waiting
 * (rt_sigsuspend, pause, rt_sigtimedwait), rt_sigreturn and
 * restart_syscall.  The machinery is kernel/signal.c.
 * Linux reference: kernel/signal.c.
 */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define UNBLOCKABLE SIG_UNBLOCKABLE

long sys_rt_sigaction(struct task *t, const uint64_t a[6])
{
	int sig = (int)a[0];
	struct k_sigaction act, old;

	if (a[3] != sizeof(uint64_t))
		return -EINVAL;
	if (sig < 1 || sig > NSIG_K)
		return -EINVAL;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[1] && mm_copy_in(t->mm, &act, a[1], sizeof(act)))
		return -EFAULT;
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->lock);
	old = t->sighand->actions[sig - 1];
	if (a[1]) {
		act.mask &= ~UNBLOCKABLE;
		t->sighand->actions[sig - 1] = act;
		/* Setting a signal to be ignored discards what is pending. */
		bool dfl_ignore = sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH ||
				  sig == SIGCONT;
		if (act.handler == (uint64_t)(uintptr_t)SIG_IGN ||
		    (act.handler == (uint64_t)(uintptr_t)SIG_DFL && dfl_ignore)) {
			sigpending_flush(&t->tg->shared, SIGBIT(sig));
			for (struct task *o = t->tg->tasks; o; o = o->tg_next)
				sigpending_flush(&o->pending, SIGBIT(sig));
		}
	}
	pthread_mutex_unlock(&k->lock);
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct task *t, const uint64_t a[6])
{
	int how = (int)a[0];
	uint64_t set, old = t->sigmask;

	if (a[3] != sizeof(uint64_t))
		return -EINVAL;
	if (a[1]) {
		if (mm_copy_in(t->mm, &set, a[1], sizeof(set)))
			return -EFAULT;
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return -EINVAL;
		pthread_mutex_lock(&t->k->lock);
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		default:
			t->sigmask = set;
			break;
		}
		t->sigmask &= ~UNBLOCKABLE;
		recalc_sigpending(t);
		pthread_mutex_unlock(&t->k->lock);
	}
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_sigaltstack(struct task *t, const uint64_t a[6])
{
	struct k_stack ss, old = t->altstack;
	bool on = t->altstack.ss_size && t->regs.rsp > t->altstack.ss_sp &&
		  t->regs.rsp - t->altstack.ss_sp <= t->altstack.ss_size;

	if (old.ss_size == 0)
		old.ss_flags = SS_DISABLE;
	else
		old.ss_flags = (on ? SS_ONSTACK : 0) | (old.ss_flags & (int32_t)SS_AUTODISARM);
	if (a[0]) {
		if (mm_copy_in(t->mm, &ss, a[0], sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;    /* on the stack it would change */
		int mode = ss.ss_flags & ~SS_AUTODISARM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			ss.ss_size = 0;
			ss.ss_sp = 0;
		} else if (ss.ss_size < (uint64_t)MINSIGSTKSZ) {
			return -ENOMEM;
		}
		t->altstack = ss;
	}
	if (a[1] && mm_copy_out(t->mm, a[1], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* ---- sending ---- */

static void user_info(struct task *t, siginfo_t *info, int sig, int code)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = code;
	info->si_pid = t->tg->tgid;
	info->si_uid = 0;
}

/* kill(2)'s targets: a process, a group, or every process but init and
 * the caller.  k->lock held. */
/*
 * Linux: kill_ok_by_cred and check_kill_permission.  The sender's real or
 * effective UID must be the target's real or saved one, unless it has
 * CAP_KILL; SIGCONT within a session is always allowed.  k->lock held.
 */
static bool may_signal(struct task *t, struct thread_group *tg, int sig)
{
	const struct creds *c = tg->tasks ? &tg->tasks->ids : &tg->exit_ids;

	if (tg == t->tg || capable(t, CAP_KILL))
		return true;
	if (t->ids.euid == c->suid || t->ids.euid == c->ruid ||
	    t->ids.ruid == c->suid || t->ids.ruid == c->ruid)
		return true;
	return sig == SIGCONT && tg->sid == t->tg->sid;
}

static long kill_locked(struct task *t, int pid, int sig, const siginfo_t *info)
{
	struct kernel *k = t->k;
	long ret = -ESRCH;
	bool any_allowed = false;
	int pgid;

	if (pid > 0) {
		struct thread_group *tg = tg_by_pid(k, pid);
		if (!tg)
			return -ESRCH;
		if (!may_signal(t, tg, sig))
			return -EPERM;
		if (tg->zombie && !tg->tasks)
			return 0;           /* a zombie takes signals, silently */
		return sig ? send_signal_locked(tg, NULL, sig, info) : 0;
	}
	/* Groups and "everyone": success if any target could be signalled,
	 * EPERM if there were targets but none allowed. */
	pgid = pid == 0 ? t->tg->pgid : -pid;
	for (struct thread_group *tg = k->groups; tg; tg = tg->next) {
		if (pid == -1 ? (tg == k->init || tg == t->tg || tg->zombie) : tg->pgid != pgid)
			continue;
		if (ret == -ESRCH)
			ret = -EPERM;
		if (!may_signal(t, tg, sig))
			continue;
		any_allowed = true;
		if (sig && !tg->zombie)
			send_signal_locked(tg, NULL, sig, info);
	}
	return any_allowed ? 0 : ret;
}

long sys_kill(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0], sig = (int)a[1];
	siginfo_t info;
	long ret;

	if (sig < 0 || sig > NSIG_K)
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	user_info(t, &info, sig, SI_USER);
	pthread_mutex_lock(&t->k->lock);
	ret = kill_locked(t, pid, sig, &info);
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

static long thread_kill(struct task *t, int tgid, int tid, int sig, const siginfo_t *info)
{
	struct task *target;
	long ret = 0;

	if (sig < 0 || sig > NSIG_K)
		return -EINVAL;
	if (tid <= 0 || tgid == 0 || tgid < -1)
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	target = task_by_tid(t->k, tid);
	if (!target || (tgid > 0 && target->tg->tgid != tgid))
		ret = -ESRCH;
	else if (!may_signal(t, target->tg, sig))
		ret = -EPERM;
	else if (sig)
		ret = send_signal_locked(target->tg, target, sig, info);
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

long sys_tkill(struct task *t, const uint64_t a[6])
{
	siginfo_t info;

	user_info(t, &info, (int)a[1], SI_TKILL);
	return thread_kill(t, -1, (int)a[0], (int)a[1], &info);
}

long sys_tgkill(struct task *t, const uint64_t a[6])
{
	siginfo_t info;

	user_info(t, &info, (int)a[2], SI_TKILL);
	return thread_kill(t, (int)a[0], (int)a[1], (int)a[2], &info);
}

/* The caller's siginfo; only to itself may it claim to be the kernel. */
static long queue_info(struct task *t, int pid, int sig, uint64_t uinfo, siginfo_t *info)
{
	if (mm_copy_in(t->mm, info, uinfo, sizeof(*info)))
		return -EFAULT;
	if ((info->si_code >= 0 || info->si_code == SI_TKILL) && pid != t->tg->tgid)
		return -EPERM;
	info->si_signo = sig;
	return 0;
}

long sys_rt_sigqueueinfo(struct task *t, const uint64_t a[6])
{
	siginfo_t info;
	int pid = (int)a[0], sig = (int)a[1];
	long ret = queue_info(t, pid, sig, a[2], &info);

	if (ret)
		return ret;
	if (sig < 0 || sig > NSIG_K)
		return -EINVAL;
	if (pid <= 0)
		return -ESRCH;   /* Linux: only a single process here */
	pthread_mutex_lock(&t->k->lock);
	ret = kill_locked(t, pid, sig, &info);
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

long sys_rt_tgsigqueueinfo(struct task *t, const uint64_t a[6])
{
	siginfo_t info;
	long ret = queue_info(t, (int)a[0], (int)a[2], a[3], &info);

	if (ret)
		return ret;
	return thread_kill(t, (int)a[0], (int)a[1], (int)a[2], &info);
}

/* ---- waiting ---- */

long sys_rt_sigreturn(struct task *t, const uint64_t a[6])
{
	(void)a;
	return signal_return(t);
}

/* Sleeps until a signal needs action; the caller's mask may be swapped. */
static long wait_for_signal(struct task *t)
{
	while (task_block(t, 0) != -EINTR)
		;
	return -ERESTARTNOHAND;
}

long sys_pause(struct task *t, const uint64_t a[6])
{
	(void)a;
	return wait_for_signal(t);
}

long sys_rt_sigsuspend(struct task *t, const uint64_t a[6])
{
	long ret;

	if (a[1] != sizeof(uint64_t))
		return -EINVAL;
	if (!a[0])
		return -EFAULT;
	ret = sigmask_for_wait(t, a[0], a[1]);
	return ret ? ret : wait_for_signal(t);
}

long sys_rt_sigpending(struct task *t, const uint64_t a[6])
{
	uint64_t set;

	if (a[1] > sizeof(uint64_t))
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	set = signals_pending_set(t) & t->sigmask;
	pthread_mutex_unlock(&t->k->lock);
	return mm_copy_out(t->mm, a[0], &set, a[1]) ? -EFAULT : 0;
}

long sys_rt_sigtimedwait(struct task *t, const uint64_t a[6])
{
	uint64_t set, deadline = 0, saved;
	siginfo_t info;
	int sig;

	if (a[3] != sizeof(uint64_t))
		return -EINVAL;
	if (mm_copy_in(t->mm, &set, a[0], sizeof(set)))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (a[2]) {
		struct timespec ts;
		if (mm_copy_in(t->mm, &ts, a[2], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline = moat_now_ns() + (uint64_t)ts.tv_sec * 1000000000ULL +
			   (uint64_t)ts.tv_nsec;
	}
	pthread_mutex_lock(&t->k->lock);
	sig = signal_dequeue(t, set, &info);
	if (!sig && (!a[2] || deadline > moat_now_ns())) {
		/* The awaited signals wake us while we sleep, as if unblocked. */
		saved = t->sigmask;
		t->real_blocked = saved;
		t->sigmask &= ~set;
		recalc_sigpending(t);
		pthread_mutex_unlock(&t->k->lock);
		int err = 0;
		while (err == 0)
			err = task_block(t, deadline);
		pthread_mutex_lock(&t->k->lock);
		t->sigmask = saved;
		t->real_blocked = 0;
		sig = signal_dequeue(t, set, &info);
		recalc_sigpending(t);
		pthread_mutex_unlock(&t->k->lock);
		if (!sig)
			return err == -ETIMEDOUT ? -EAGAIN : -EINTR;
	} else {
		pthread_mutex_unlock(&t->k->lock);
		if (!sig)
			return -EAGAIN;
	}
	if (a[1] && mm_copy_out(t->mm, a[1], &info, sizeof(info)))
		return -EFAULT;
	return sig;
}

long sys_restart_syscall(struct task *t, const uint64_t a[6])
{
	(void)a;
	if (!t->restart.fn)
		return -EINTR;
	long (*fn)(struct task *) = t->restart.fn;
	t->restart.fn = NULL;
	return fn(t);
}
