/*
 * sys_process.c: the calling process and thread: exit, identity,
 * credentials, limits, thread-local state, prctl, uname and friends.
 *
 * The sandbox runs its programs as root in its own user namespace (the
 * credentials seen inside are 0, nothing outside), and the first program is
 * PID 1 of its own PID namespace, whose parent is 0.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <asm/prctl.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

long sys_getpid(struct task *t, const uint64_t a[6]) { (void)a; return t->tg->tgid; }
long sys_gettid(struct task *t, const uint64_t a[6]) { (void)a; return t->tid; }

/* PID 1's parent is outside its namespace: 0. */
long sys_getppid(struct task *t, const uint64_t a[6])
{
	(void)a;
	return __atomic_load_n(&t->tg->ppid, __ATOMIC_RELAXED);
}

/* ---- process groups and sessions (Linux: kernel/sys.c) ---- */

long sys_getpgrp(struct task *t, const uint64_t a[6])
{
	long ret;

	(void)a;
	pthread_mutex_lock(&t->k->lock);
	ret = t->tg->pgid;
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

static long get_id(struct task *t, uint64_t pid, bool sid)
{
	struct thread_group *tg;
	long ret = -ESRCH;

	pthread_mutex_lock(&t->k->lock);
	tg = (int)pid == 0 ? t->tg : tg_by_pid(t->k, (int)pid);
	if (tg && (int)pid >= 0)
		ret = sid ? tg->sid : tg->pgid;
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

long sys_getpgid(struct task *t, const uint64_t a[6]) { return get_id(t, a[0], false); }
long sys_getsid(struct task *t, const uint64_t a[6]) { return get_id(t, a[0], true); }

long sys_setpgid(struct task *t, const uint64_t a[6])
{
	struct kernel *k = t->k;
	int pid = (int)a[0], pgid = (int)a[1];
	struct thread_group *tg;
	long ret = 0;

	pthread_mutex_lock(&k->lock);
	if (!pid)
		pid = t->tg->tgid;
	if (!pgid)
		pgid = pid;
	if (pgid < 0) {
		pthread_mutex_unlock(&k->lock);
		return -EINVAL;
	}
	tg = tg_by_pid(k, pid);
	if (!tg || tg->zombie) {
		ret = -ESRCH;
	} else if (tg != t->tg) {
		if (tg->parent != t->tg)
			ret = -ESRCH;
		else if (tg->sid != t->tg->sid)
			ret = -EPERM;
		else if (tg->did_exec)
			ret = -EACCES;
	}
	if (!ret && tg->sid == tg->tgid)
		ret = -EPERM;            /* a session leader */
	if (!ret && pgid != pid) {
		/* The group must exist in the caller's session. */
		bool found = false;
		for (struct thread_group *o = k->groups; o && !found; o = o->next)
			found = o->pgid == pgid && o->sid == t->tg->sid && !o->zombie;
		if (!found)
			ret = -EPERM;
	}
	if (!ret)
		tg->pgid = pgid;
	pthread_mutex_unlock(&k->lock);
	return ret;
}

long sys_setsid(struct task *t, const uint64_t a[6])
{
	struct kernel *k = t->k;
	long ret;

	(void)a;
	pthread_mutex_lock(&k->lock);
	ret = t->tg->tgid;
	/* Not if any process group already has our PID as its ID. */
	for (struct thread_group *o = k->groups; o; o = o->next)
		if (o->pgid == t->tg->tgid)
			ret = -EPERM;
	if (ret > 0)
		t->tg->pgid = t->tg->sid = t->tg->tgid;
	pthread_mutex_unlock(&k->lock);
	return ret;
}

long sys_set_tid_address(struct task *t, const uint64_t a[6])
{
	t->clear_child_tid = a[0];
	return t->tid;
}

long sys_set_robust_list(struct task *t, const uint64_t a[6])
{
	if (a[1] != 24)        /* sizeof(struct robust_list_head) */
		return -EINVAL;
	t->robust_list = a[0];
	t->robust_len = a[1];
	return 0;
}

long sys_get_robust_list(struct task *t, const uint64_t a[6])
{
	if (a[0] != 0 && (int)a[0] != t->tid)
		return -ESRCH;
	if (mm_copy_out(t->mm, a[1], &t->robust_list, sizeof(uint64_t)) ||
	    mm_copy_out(t->mm, a[2], &t->robust_len, sizeof(uint64_t)))
		return -EFAULT;
	return 0;
}

/* Restartable sequences are not implemented; ENOSYS is what kernels
 * before 4.18 answer, and libc falls back cleanly. */
long sys_rseq(struct task *t, const uint64_t a[6])
{
	(void)t;
	(void)a;
	return -ENOSYS;
}

long sys_arch_prctl(struct task *t, const uint64_t a[6])
{
	switch ((int)a[0]) {
	case ARCH_SET_FS:
		if (a[1] >= t->mm->task_size)
			return -EPERM;
		t->regs.fs_base = a[1];
		return 0;
	case ARCH_GET_FS:
		return mm_copy_out(t->mm, a[1], &t->regs.fs_base, sizeof(uint64_t)) ? -EFAULT : 0;
	case ARCH_GET_GS:
		return mm_copy_out(t->mm, a[1], &t->regs.gs_base, sizeof(uint64_t)) ? -EFAULT : 0;
	case ARCH_GET_CPUID:
		return 1;
	case ARCH_SET_GS:
		moat_log("arch_prctl(ARCH_SET_GS) is not supported: EINVAL");
		return -EINVAL;
	default:
		/* CET, AMX permissions, vDSO mapping: not available here,
		 * which Linux also reports as EINVAL. */
		return -EINVAL;
	}
}

long sys_uname(struct task *t, const uint64_t a[6])
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	return mm_copy_out(t->mm, a[0], &u, sizeof(u)) ? -EFAULT : 0;
}

long sys_umask(struct task *t, const uint64_t a[6])
{
	return (long)__atomic_exchange_n(&t->fs->umask, (mode_t)(a[0] & 0777), __ATOMIC_RELAXED);
}

/* ---- resource limits ---- */

/* Applies a changed limit where it is enforced; k->lock held. */
static void rlimit_changed(struct thread_group *tg, unsigned res)
{
	const struct rlimit *r = &tg->rlimits[res];

	for (struct task *o = tg->tasks; o; o = o->tg_next) {
		if (res == RLIMIT_STACK)
			o->mm->stack_rlimit = r->rlim_cur;
		if (res == RLIMIT_AS)
			o->mm->as_limit = r->rlim_cur == RLIM_INFINITY ? 0 : r->rlim_cur;
	}
	if (res == RLIMIT_CPU)
		rlimit_cpu_arm(tg);
}

static long do_prlimit(struct task *t, uint64_t pid, unsigned res,
		       const struct rlimit *new, struct rlimit *old)
{
	struct thread_group *tg;
	struct rlimit *cur;
	long ret = 0;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (new) {
		if (new->rlim_cur > new->rlim_max)
			return -EINVAL;
		if (res == RLIMIT_NOFILE && new->rlim_max > 1048576)
			return -EPERM;       /* fs.nr_open */
	}
	pthread_mutex_lock(&t->k->lock);
	tg = pid == 0 ? t->tg : tg_by_pid(t->k, (int)pid);
	if (!tg || tg->zombie) {
		pthread_mutex_unlock(&t->k->lock);
		return -ESRCH;
	}
	cur = &tg->rlimits[res];
	if (!same_ids_or_capable(t, tg, CAP_SYS_RESOURCE))
		ret = -EPERM;       /* another user's process */
	else if (new && new->rlim_max > cur->rlim_max && !capable(t, CAP_SYS_RESOURCE))
		ret = -EPERM;
	if (!ret && old)
		*old = *cur;
	if (!ret && new) {
		*cur = *new;
		rlimit_changed(tg, res);
	}
	pthread_mutex_unlock(&t->k->lock);
	return ret;
}

long sys_prlimit64(struct task *t, const uint64_t a[6])
{
	struct rlimit new, old;
	long ret;

	if (a[2] && mm_copy_in(t->mm, &new, a[2], sizeof(new)))
		return -EFAULT;
	ret = do_prlimit(t, a[0], (unsigned)a[1], a[2] ? &new : NULL, &old);
	if (ret == 0 && a[3] && mm_copy_out(t->mm, a[3], &old, sizeof(old)))
		return -EFAULT;
	return ret;
}

long sys_getrlimit(struct task *t, const uint64_t a[6])
{
	struct rlimit old;
	long ret = do_prlimit(t, 0, (unsigned)a[0], NULL, &old);

	if (ret == 0 && mm_copy_out(t->mm, a[1], &old, sizeof(old)))
		return -EFAULT;
	return ret;
}

long sys_setrlimit(struct task *t, const uint64_t a[6])
{
	struct rlimit new;

	if (mm_copy_in(t->mm, &new, a[1], sizeof(new)))
		return -EFAULT;
	return do_prlimit(t, 0, (unsigned)a[0], &new, NULL);
}

/* ---- scheduling ---- */

long sys_sched_yield(struct task *t, const uint64_t a[6])
{
	(void)t;
	(void)a;
	sched_yield();
	return 0;
}

long sys_getcpu(struct task *t, const uint64_t a[6])
{
	unsigned cpu, node;

	if (getcpu(&cpu, &node) < 0)
		return -errno;
	/* Where the thread's stub thread runs, not this sentry thread. */
	int stub_cpu = platform_ctx_cpu(t->ctx);
	if (stub_cpu >= 0)
		cpu = (unsigned)stub_cpu;
	if ((a[0] && mm_copy_out(t->mm, a[0], &cpu, sizeof(cpu))) ||
	    (a[1] && mm_copy_out(t->mm, a[1], &node, sizeof(node))))
		return -EFAULT;
	return 0;
}

/* ---- prctl ---- */

long sys_prctl(struct task *t, const uint64_t a[6])
{
	char name[16];

	switch ((int)a[0]) {
	case PR_SET_NAME:
		if (mm_copy_in_string(t->mm, name, a[1], sizeof(name)) == -EFAULT)
			return -EFAULT;
		name[15] = 0;
		memcpy(t->comm, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return mm_copy_out(t->mm, a[1], t->comm, sizeof(t->comm)) ? -EFAULT : 0;
	case PR_GET_DUMPABLE:
		return t->tg->dumpable;
	case PR_SET_DUMPABLE:
		if (a[1] > 1)
			return -EINVAL;
		t->tg->dumpable = (int)a[1];
		return 0;
	case PR_SET_NO_NEW_PRIVS:
		if (a[1] != 1 || a[2] || a[3] || a[4])
			return -EINVAL;
		t->tg->no_new_privs = true;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		if (a[1] || a[2] || a[3] || a[4])
			return -EINVAL;
		return t->tg->no_new_privs;
	case PR_SET_PDEATHSIG:
		if (a[1] > 64)
			return -EINVAL;
		t->tg->pdeathsig = (int)a[1];
		return 0;
	case PR_GET_PDEATHSIG:
		return mm_copy_out(t->mm, a[1], &t->tg->pdeathsig, sizeof(int)) ? -EFAULT : 0;
	case PR_SET_KEEPCAPS:
		if (a[1] > 1)
			return -EINVAL;
		t->ids.keep_caps = a[1];
		return 0;
	case PR_GET_KEEPCAPS:
		return t->ids.keep_caps;
	case PR_CAPBSET_DROP:
		if (a[1] > CAP_LAST_CAP)
			return -EINVAL;
		if (!capable(t, CAP_SETPCAP))
			return -EPERM;
		t->ids.cap_bnd &= ~(1ULL << a[1]);
		return 0;
	case PR_SET_CHILD_SUBREAPER:
		t->tg->subreaper = a[1] != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int v = t->tg->subreaper;
		return mm_copy_out(t->mm, a[1], &v, sizeof(v)) ? -EFAULT : 0;
	}
	case PR_GET_SECCOMP:
		return t->seccomp_mode;
	case PR_SET_SECCOMP:
		if (a[1] == SECCOMP_MODE_STRICT)
			return do_seccomp(t, SECCOMP_SET_MODE_STRICT, 0, 0);
		if (a[1] == SECCOMP_MODE_FILTER)
			return do_seccomp(t, SECCOMP_SET_MODE_FILTER, 0, a[2]);
		return -EINVAL;
	case PR_CAPBSET_READ:
		return a[1] <= CAP_LAST_CAP ? (long)((t->ids.cap_bnd >> a[1]) & 1) : -EINVAL;
	default:
		moat_log("prctl option %d not implemented: EINVAL", (int)a[0]);
		return -EINVAL;
	}
}
