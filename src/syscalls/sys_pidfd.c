/*
 * sys_pidfd.c: process file descriptors: pidfd_open, pidfd_send_signal,
 * pidfd_getfd, and the pidfds of clone(CLONE_PIDFD) and waitid(P_PIDFD).
 * Linux: kernel/pid.c, kernel/signal.c, kernel/fork.c (pidfd_fops).
 *
 * A pidfd refers to a process (struct thread_group) and keeps it from
 * being freed after it is reaped; it polls readable once the process has
 * exited (a zombie, or gone).
 */
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static unsigned pidfd_poll(struct file *f)
{
	struct thread_group *tg = f->priv;
	unsigned ev;

	pthread_mutex_lock(&tg->k->lock);
	ev = (tg->zombie || tg->reaped) ? (POLLIN | POLLRDNORM) : 0;
	pthread_mutex_unlock(&tg->k->lock);
	return ev;
}

static struct waitq *pidfd_waitq(struct file *f)
{
	return &((struct thread_group *)f->priv)->exit_wq;
}

/* k->lock is held by procfs while it shows fdinfo. */
static void pidfd_show_fdinfo(struct file *f, FILE *out)
{
	struct thread_group *tg = f->priv;

	fprintf(out, "Pid:\t%d\nNSpid:\t%d\n", tg->reaped ? -1 : tg->tgid, tg->reaped ? -1 : tg->tgid);
}

static void pidfd_release(struct file *f)
{
	struct thread_group *tg = f->priv;
	struct kernel *k = tg->k;

	pthread_mutex_lock(&k->lock);
	tg_put(tg);
	pthread_mutex_unlock(&k->lock);
}

static const struct file_ops pidfd_ops = {
	.poll = pidfd_poll,
	.waitq = pidfd_waitq,
	.show_fdinfo = pidfd_show_fdinfo,
	.release = pidfd_release,
	.anon_name = "[pidfd]",
};

struct thread_group *pidfd_group(struct file *f)
{
	return f->ops == &pidfd_ops ? f->priv : NULL;
}

/* A pidfd for tg (k->lock held: tg is alive); installed by the caller. */
struct file *pidfd_file(struct thread_group *tg, int flags)
{
	struct inode *inode = anon_inode_new(S_IFREG | 0600, NULL);
	struct file *f;

	if (!inode)
		return NULL;
	f = file_new(&pidfd_ops, O_RDWR | (flags & O_NONBLOCK), tg);
	if (!f) {
		inode_put(inode);
		return NULL;
	}
	f->inode = inode;
	tg->pidfd_refs++;
	return f;
}

long sys_pidfd_open(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0];
	unsigned flags = (unsigned)a[1];
	struct thread_group *tg;
	struct file *f = NULL;
	long ret;

	if (flags & ~(unsigned)PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	pthread_mutex_lock(&t->k->lock);
	tg = tg_by_pid(t->k, pid);
	if (!tg) {
		/* A thread that is not a group leader: Linux says EINVAL. */
		ret = task_by_tid(t->k, pid) ? -EINVAL : -ESRCH;
	} else {
		f = pidfd_file(tg, (int)flags);
		ret = f ? 0 : -ENOMEM;
	}
	pthread_mutex_unlock(&t->k->lock);
	if (ret)
		return ret;
	return fdtable_install(t->fdt, f, 0, FD_CLOEXEC, t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
}

long sys_pidfd_send_signal(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	struct thread_group *tg;
	int sig = (int)a[1];
	siginfo_t info;
	long ret = 0;

	if (!f)
		return -EBADF;
	tg = pidfd_group(f);
	int dir_pid = tg ? -1 : procfs_pid_of_dir(f);
	if (dir_pid > 0) {
		/* A /proc/PID directory works as a pidfd here. */
		pthread_mutex_lock(&t->k->lock);
		tg = tg_by_pid(t->k, dir_pid);
		pthread_mutex_unlock(&t->k->lock);
		if (!tg) {
			file_put(f);
			return -ESRCH;
		}
	}
	if (a[3])
		ret = -EINVAL;
	else if (!tg)
		ret = -EBADF;
	else if (sig < 0 || sig > NSIG_K)
		ret = -EINVAL;
	if (!ret && a[2]) {
		if (mm_copy_in(t->mm, &info, a[2], sizeof(info)))
			ret = -EFAULT;
		else if (info.si_signo != sig)
			ret = -EINVAL;
		else if ((info.si_code >= 0 || info.si_code == SI_TKILL) && tg != t->tg)
			ret = -EPERM;
	} else if (!ret) {
		memset(&info, 0, sizeof(info));
		info.si_signo = sig;
		info.si_code = SI_USER;
		info.si_pid = t->tg->tgid;
		info.si_uid = t->ids.ruid;
	}
	if (!ret) {
		pthread_mutex_lock(&t->k->lock);
		if (tg->reaped)
			ret = -ESRCH;
		else if (sig && !tg->zombie)
			ret = send_signal_locked(tg, NULL, sig, &info);
		pthread_mutex_unlock(&t->k->lock);
	}
	file_put(f);
	return ret;
}

long sys_pidfd_getfd(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]), *target = NULL;
	struct thread_group *tg;
	long ret = 0;

	if (!f)
		return -EBADF;
	tg = pidfd_group(f);
	if (a[2])
		ret = -EINVAL;
	else if (!tg)
		ret = -EBADF;
	if (!ret) {
		pthread_mutex_lock(&t->k->lock);
		if (tg->reaped || tg->zombie || !tg->tasks)
			ret = -ESRCH;
		else if (!same_ids_or_capable(t, tg, CAP_SYS_PTRACE))
			ret = -EPERM;
		else if ((int)a[1] < 0 || !(target = fdtable_get(tg->tasks->fdt, (int)a[1])))
			ret = -EBADF;
		pthread_mutex_unlock(&t->k->lock);
	}
	file_put(f);
	if (ret)
		return ret;
	return fdtable_install(t->fdt, target, 0, FD_CLOEXEC, t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
}
