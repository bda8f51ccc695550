/*
 * sys_signal.c: signal dispositions, masks and the alternate stack.
 *
 * Recorded with Linux's validation so that programs that set them up at
 * start-up run; delivery of signals to handlers comes with the signals
 * issue.  Linux reference: kernel/signal.c.
 */
#include <errno.h>
#include <signal.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

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
	old = t->tg->actions[sig - 1];
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof(old)))
		return -EFAULT;
	if (a[1]) {
		act.mask &= ~UNBLOCKABLE;
		t->tg->actions[sig - 1] = act;
	}
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
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_sigaltstack(struct task *t, const uint64_t a[6])
{
	struct k_stack ss, old = t->altstack;

	if (old.ss_size == 0)
		old.ss_flags = SS_DISABLE;
	if (a[0]) {
		if (mm_copy_in(t->mm, &ss, a[0], sizeof(ss)))
			return -EFAULT;
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
