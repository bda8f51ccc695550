/*
 * sys_task.c: making and ending tasks: clone, fork, vfork, clone3,
 * execve, execveat, exit, exit_group, wait4 and waitid.
 * Linux: kernel/fork.c, fs/exec.c, kernel/exit.c.
 *
 * A new thread (CLONE_VM) gets a new stub thread in its address space's
 * stub process; a new process gets a copy-on-write copy of the memory
 * (mm_fork) and a new stub process, which only the sentry's kernel thread
 * may fork (kernel_new_as).  execve loads the new image into a fresh
 * address space first, so that a failure leaves the caller as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "loader/loader.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

struct clone_args_k {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define CLONE_KNOWN (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
		     CLONE_PIDFD | CLONE_PTRACE | CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | \
		     CLONE_NS_FLAGS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
		     CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | \
		     CLONE_CHILD_SETTID | CLONE_IO)

static long do_clone(struct task *t, const struct clone_args_k *ca, bool clone3)
{
	struct kernel *k = t->k;
	uint64_t flags = ca->flags;
	struct path exe = { 0 };
	struct task *c;
	long err;
	int tid;

	/* kernel/fork.c: copy_process's checks, in its order. */
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
	    (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && t->tg == k->init)
		return -EINVAL;
	if ((flags & CLONE_PIDFD) && (flags & CLONE_THREAD))
		return -EINVAL;
	if (flags & CLONE_NS_FLAGS) {
		moat_log("clone: new namespaces (flags %#lx) are not supported: EPERM",
			 (unsigned long)flags);
		return -EPERM;
	}

	/* The child starts with our registers and FP state: have the stub
	 * save the FP state now, while its thread still spins for our
	 * answer, rather than once the new address space is ready and it
	 * has gone to sleep. */
	uint32_t fp_size;
	platform_ctx_fpstate(t->ctx, &fp_size);
	platform_ctx_regs(t->ctx, &t->regs);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->k = k;
	c->iobuf = block_alloc(&task_iobufs, false);
	sigpending_init(&c->pending);
	c->regs = t->regs;
	c->regs.rax = 0;
	if (ca->stack)
		c->regs.rsp = clone3 ? ca->stack + ca->stack_size : ca->stack;
	if (flags & CLONE_SETTLS) {
		if (ca->tls >= t->mm->task_size) {
			err = -EPERM;
			goto fail;
		}
		c->regs.fs_base = ca->tls;
	}
	c->sigmask = t->sigmask;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	seccomp_get(t->seccomp);
	c->seccomp = t->seccomp;
	c->seccomp_mode = t->seccomp_mode;
	if ((flags & (CLONE_VM | CLONE_VFORK)) == CLONE_VM)
		c->altstack = (struct k_stack){ .ss_flags = SS_DISABLE };
	else
		c->altstack = t->altstack;
	err = -ENOMEM;
	if (!c->iobuf || creds_copy(c, t))
		goto fail;

	if (flags & CLONE_VM) {
		mm_get(t->mm);
		c->mm = t->mm;
	} else {
		/* Up to 1 MiB of a single-threaded parent's working set is
		 * copied at once (no other thread can write it meanwhile). */
		pthread_mutex_lock(&k->lock);
		size_t budget = t->tg->nr_threads == 1 ? 256 : 0;
		pthread_mutex_unlock(&k->lock);
		c->mm = mm_fork(t->mm, budget);
		if (!c->mm)
			goto fail;
		c->mm->as = kernel_new_as(k);
		c->premap = PREMAP_FORK;
		if (!c->mm->as) {
			err = -EAGAIN;
			goto fail;
		}
	}
	if (flags & CLONE_FILES) {
		__atomic_add_fetch(&t->fdt->refs, 1, __ATOMIC_RELAXED);
		c->fdt = t->fdt;
	} else if (!(c->fdt = fdtable_copy(t->fdt))) {
		goto fail;
	}
	if (flags & CLONE_FS) {
		__atomic_add_fetch(&t->fs->refs, 1, __ATOMIC_RELAXED);
		c->fs = t->fs;
	} else if (!(c->fs = fs_context_copy(t->fs))) {
		goto fail;
	}
	if (flags & CLONE_SIGHAND) {
		__atomic_add_fetch(&t->sighand->refs, 1, __ATOMIC_RELAXED);
		c->sighand = t->sighand;
	} else {
		if (!(c->sighand = sighand_new()))
			goto fail;
		pthread_mutex_lock(&k->lock);
		memcpy(c->sighand->actions, t->sighand->actions, sizeof(c->sighand->actions));
		pthread_mutex_unlock(&k->lock);
		if (flags & CLONE_CLEAR_SIGHAND)
			for (int i = 0; i < NSIG_K; i++)
				if (c->sighand->actions[i].handler != (uint64_t)(uintptr_t)SIG_IGN)
					c->sighand->actions[i] = (struct k_sigaction){ 0 };
	}
	c->ctx = platform_ctx_new(c->mm->as);
	if (!c->ctx) {
		err = errno == ENOMEM ? -ENOMEM : -EAGAIN;
		goto fail;
	}
	platform_ctx_copy_fp(c->ctx, t->ctx);

	/* A new process's executable is its parent's; the reference is taken
	 * before k->lock, which nests inside vfs_lock. */
	if (!(flags & CLONE_THREAD))
		exe = tg_exe(t->tg);
	pthread_mutex_lock(&k->lock);
	if (t->tg->group_exit || signal_pending(t)) {
		/* Linux: a pending fatal signal (or any, for a new process)
		 * makes fork restart after the signal is dealt with. */
		pthread_mutex_unlock(&k->lock);
		err = -ERESTARTNOINTR;
		goto fail;
	}
	if (!capable(t, CAP_SYS_RESOURCE) && !capable(t, CAP_SYS_ADMIN) &&
	    t->tg->rlimits[RLIMIT_NPROC].rlim_cur != RLIM_INFINITY) {
		/* RLIMIT_NPROC counts the real user's tasks, threads too. */
		uint64_t n = 0;
		for (struct task *o = k->tasks; o; o = o->next)
			n += o->ids.ruid == t->ids.ruid;
		if (n >= t->tg->rlimits[RLIMIT_NPROC].rlim_cur) {
			pthread_mutex_unlock(&k->lock);
			err = -EAGAIN;
			goto fail;
		}
	}
	tid = pid_alloc(k);
	if (tid < 0) {
		pthread_mutex_unlock(&k->lock);
		err = tid;
		goto fail;
	}
	c->tid = tid;
	/* Linux: the affinity is inherited (its stub thread gets it as the
	 * child first runs). */
	c->affinity = t->affinity;
	c->has_affinity = t->has_affinity;
	c->affinity_dirty = t->has_affinity;
	if (flags & CLONE_THREAD) {
		c->tg = t->tg;
	} else {
		struct thread_group *tg = thread_group_new(k, tid), *ptg = t->tg;
		if (!tg) {
			pthread_mutex_unlock(&k->lock);
			goto fail;
		}
		tg_set_parent(tg, (flags & CLONE_PARENT) ? ptg->parent : ptg);
		tg->pgid = ptg->pgid;
		tg->sid = ptg->sid;
		memcpy(tg->rlimits, ptg->rlimits, sizeof(tg->rlimits));
		tg->no_new_privs = ptg->no_new_privs;
		tg->nice = ptg->nice;
		tg->dumpable = ptg->dumpable;
		tg->exe = exe;
		exe = (struct path){ 0 };
		memcpy(tg->auxv, ptg->auxv, sizeof(tg->auxv));
		tg->auxv_len = ptg->auxv_len;
		/* CLONE_PARENT: a sibling signals the parent as we do. */
		tg->exit_signal = (flags & CLONE_PARENT) ? ptg->exit_signal
			: clone3 ? (int)ca->exit_signal : (int)(flags & CSIGNAL);
		if (tg->rlimits[RLIMIT_CPU].rlim_cur != RLIM_INFINITY ||
		    tg->rlimits[RLIMIT_CPU].rlim_max != RLIM_INFINITY)
			rlimit_cpu_arm(tg);
		if (tg->parent) {
			tg->sibling = tg->parent->children;
			tg->parent->children = tg;
		}
		tg->next = k->groups;
		k->groups = tg;
		c->tg = tg;
	}
	c->tg_next = c->tg->tasks;
	c->tg->tasks = c;
	c->tg->nr_threads++;
	c->tg->live++;
	c->next = k->tasks;
	k->tasks = c;
	k->nr_tasks++;
	struct file *pidfd = (flags & CLONE_PIDFD) ? pidfd_file(c->tg, 0) : NULL;
	pthread_mutex_unlock(&k->lock);

	if (pidfd) {
		/* Linux installs it before the child can run. */
		int fd = fdtable_install(t->fdt, pidfd, 0, FD_CLOEXEC,
					 t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
		if (fd >= 0)
			mm_copy_out(t->mm, clone3 ? ca->pidfd : ca->parent_tid, &fd, sizeof(fd));
	}

	if (flags & CLONE_PARENT_SETTID)
		mm_copy_out(t->mm, ca->parent_tid, &tid, sizeof(tid));
	if (flags & CLONE_CHILD_SETTID)
		mm_copy_out(c->mm, ca->child_tid, &tid, sizeof(tid));
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = ca->child_tid;

	uint32_t vfork_done = 0;
	if (flags & CLONE_VFORK)
		c->vfork_done = &vfork_done;
	if (task_start(c) != 0) {
		/* No thread to run it: let it die through the normal path
		 * is impossible; undo by hand. */
		panic("cannot start a sentry thread for task %d", tid);
	}
	if (flags & CLONE_VFORK) {
		platform_ctx_blocking(t->ctx, 1);
		while (!__atomic_load_n(&vfork_done, __ATOMIC_ACQUIRE))
			syscall(SYS_futex, &vfork_done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		platform_ctx_blocking(t->ctx, 0);
	}
	return tid;

fail:
	path_put(&exe);
	task_free(c);
	return err;
}

long sys_clone(struct task *t, const uint64_t a[6])
{
	/* x86-64: clone(flags, newsp, parent_tid, child_tid, tls). */
	struct clone_args_k ca = { .flags = a[0], .stack = a[1], .parent_tid = a[2],
				   .child_tid = a[3], .tls = a[4] };

	if ((ca.flags & CLONE_PIDFD) && (ca.flags & CLONE_PARENT_SETTID))
		return -EINVAL;
	ca.flags &= ~(uint64_t)CLONE_DETACHED;   /* ignored by Linux */
	return do_clone(t, &ca, false);
}

long sys_fork(struct task *t, const uint64_t a[6])
{
	struct clone_args_k ca = { .flags = SIGCHLD };

	(void)a;
	return do_clone(t, &ca, false);
}

long sys_vfork(struct task *t, const uint64_t a[6])
{
	struct clone_args_k ca = { .flags = CLONE_VM | CLONE_VFORK | SIGCHLD };

	(void)a;
	return do_clone(t, &ca, false);
}

long sys_clone3(struct task *t, const uint64_t a[6])
{
	struct clone_args_k ca;
	uint64_t size = a[1];
	uint8_t extra[256];

	memset(&ca, 0, sizeof(ca));
	if (size < 64 || size > 4096)
		return -EINVAL;        /* CLONE_ARGS_SIZE_VER0, PAGE_SIZE */
	if (mm_copy_in(t->mm, &ca, a[0], MIN(size, sizeof(ca))))
		return -EFAULT;
	/* A larger struct must have zeroes beyond what we know. */
	for (uint64_t off = sizeof(ca); off < size; off += sizeof(extra)) {
		size_t n = (size_t)MIN(size - off, sizeof(extra));
		if (mm_copy_in(t->mm, extra, a[0] + off, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (extra[i])
				return -E2BIG;
	}
	if (ca.flags & ~(uint64_t)(CLONE_KNOWN | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) ||
	    (ca.flags & CSIGNAL) || ca.exit_signal > NSIG_K)
		return -EINVAL;
	if (ca.flags & (CLONE_DETACHED | CLONE_INTO_CGROUP))
		return -EINVAL;
	if (ca.set_tid || ca.set_tid_size) {
		moat_log("clone3: set_tid is not supported: EPERM");
		return -EPERM;
	}
	if ((ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	if ((ca.flags & CLONE_CLEAR_SIGHAND) && (ca.flags & CLONE_SIGHAND))
		return -EINVAL;
	return do_clone(t, &ca, true);
}

/* ---- exit and wait ---- */

long sys_exit(struct task *t, const uint64_t a[6])
{
	t->exit_code = (int)(a[0] & 0xff) << 8;
	t->exiting = true;
	return 0;
}

long sys_exit_group(struct task *t, const uint64_t a[6])
{
	kernel_group_exit(t, (int)(a[0] & 0xff) << 8);
	return 0;
}

struct wait_result {
	int pid;
	int status;               /* wait(2) status */
	int code;                 /* CLD_* */
	int sigstatus;            /* si_status */
	uint64_t cpu_ns;          /* the child's and its children's CPU time */
};

static void wait_rusage(const struct wait_result *r, struct rusage *ru)
{
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime.tv_sec = (time_t)(r->cpu_ns / 1000000000ULL);
	ru->ru_utime.tv_usec = (suseconds_t)(r->cpu_ns % 1000000000ULL / 1000);
}

static bool wait_match(struct thread_group *c, int type, int id, int options)
{
	bool clone_child = c->exit_signal != SIGCHLD;

	if (type == P_PID && c->tgid != id)
		return false;
	if (type == P_PGID && c->pgid != id)
		return false;
	if (!(options & __WALL) && clone_child != !!(options & __WCLONE))
		return false;
	return true;
}

static long do_wait(struct task *t, int type, int id, int options, struct wait_result *r)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	long ret;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		bool any = false;
		for (struct thread_group *c = tg->children; c; c = c->sibling) {
			if (!wait_match(c, type, id, options))
				continue;
			any = true;
			if (c->zombie && (options & WEXITED)) {
				int st = c->exit_status;
				r->pid = c->tgid;
				r->status = st;
				r->cpu_ns = c->cpu_ns + c->children_utime_ns;
				if (WIFEXITED(st)) {
					r->code = CLD_EXITED;
					r->sigstatus = WEXITSTATUS(st);
				} else {
					r->code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
					r->sigstatus = WTERMSIG(st);
				}
				if (!(options & WNOWAIT)) {
					tg->children_utime_ns += c->cpu_ns + c->children_utime_ns;
					tg_release(c);
				}
				pthread_mutex_unlock(&k->lock);
				return r->pid;
			}
			if (c->wait_report == CLD_STOPPED && c->stop_state == TG_STOPPED &&
			    (options & WSTOPPED) && !c->zombie) {
				r->pid = c->tgid;
				r->status = (c->stop_sig << 8) | 0x7f;
				r->code = CLD_STOPPED;
				r->sigstatus = c->stop_sig;
				if (!(options & WNOWAIT))
					c->wait_report = 0;
				pthread_mutex_unlock(&k->lock);
				return r->pid;
			}
			if (c->wait_report == CLD_CONTINUED && (options & WCONTINUED) && !c->zombie) {
				r->pid = c->tgid;
				r->status = 0xffff;
				r->code = CLD_CONTINUED;
				r->sigstatus = SIGCONT;
				if (!(options & WNOWAIT))
					c->wait_report = 0;
				pthread_mutex_unlock(&k->lock);
				return r->pid;
			}
		}
		if (!any) {
			ret = -ECHILD;
			break;
		}
		if (options & WNOHANG) {
			ret = 0;
			break;
		}
		if (task_wait_queue(t, &tg->child_wq, &k->lock, 1, 0) == -EINTR) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&k->lock);
	return ret;
}

long sys_wait4(struct task *t, const uint64_t a[6])
{
	int pid = (int)a[0], options = (int)a[2], type, id;
	struct wait_result r = { 0 };
	long ret;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid > 0) {
		type = P_PID;
		id = pid;
	} else if (pid == -1) {
		type = P_ALL;
		id = 0;
	} else if (pid == 0) {
		type = P_PGID;
		pthread_mutex_lock(&t->k->lock);
		id = t->tg->pgid;
		pthread_mutex_unlock(&t->k->lock);
	} else {
		type = P_PGID;
		id = -pid;
	}
	ret = do_wait(t, type, id, options | WEXITED, &r);
	if (ret > 0) {
		if (a[1] && mm_copy_out(t->mm, a[1], &r.status, sizeof(int)))
			return -EFAULT;
		if (a[3]) {
			struct rusage ru;
			wait_rusage(&r, &ru);
			if (mm_copy_out(t->mm, a[3], &ru, K_RUSAGE_SIZE))
				return -EFAULT;
		}
	}
	return ret;
}

long sys_waitid(struct task *t, const uint64_t a[6])
{
	int type = (int)a[0], id = (int)a[1], options = (int)a[3];
	struct wait_result r = { 0 };
	bool pidfd_nonblock = false;
	long ret;

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (type) {
	case P_ALL:
		break;
	case P_PID:
		if (id <= 0)
			return -EINVAL;
		break;
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		if (id == 0) {
			pthread_mutex_lock(&t->k->lock);
			id = t->tg->pgid;
			pthread_mutex_unlock(&t->k->lock);
		}
		break;
	case P_PIDFD: {
		if (id < 0)
			return -EINVAL;
		struct file *f = fget(t, (uint64_t)(uint32_t)id);
		struct thread_group *target;
		if (!f)
			return -EBADF;
		target = pidfd_group(f);
		pidfd_nonblock = f->flags & O_NONBLOCK;
		if (target) {
			pthread_mutex_lock(&t->k->lock);
			id = target->reaped ? -1 : target->tgid;
			pthread_mutex_unlock(&t->k->lock);
		}
		file_put(f);
		if (!target)
			return -EBADF;
		if (id < 0)
			return -ECHILD;
		type = P_PID;
		if (pidfd_nonblock)
			options |= WNOHANG;
		break;
	}
	default:
		return -EINVAL;
	}
	ret = do_wait(t, type, id, options, &r);
	if (ret == 0 && pidfd_nonblock)
		return -EAGAIN;
	if (ret < 0)
		return ret;
	if (a[2]) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (ret > 0) {
			si.si_signo = SIGCHLD;
			si.si_code = r.code;
			si.si_pid = r.pid;
			si.si_uid = 0;
			si.si_status = r.sigstatus;
		}
		if (mm_copy_out(t->mm, a[2], &si, sizeof(si)))
			return -EFAULT;
	}
	if (a[4]) {
		struct rusage ru;
		wait_rusage(&r, &ru);
		if (mm_copy_out(t->mm, a[4], &ru, K_RUSAGE_SIZE))
			return -EFAULT;
	}
	return 0;
}

/* ---- execve ---- */

#define MAX_ARG_STRLEN (32 * 4096)
/* copy_strings' buffer (every execve). */
static struct block_cache arg_bufs = BLOCK_CACHE(MAX_ARG_STRLEN, 2);
#define MAX_ARG_STRINGS 0x7fffffff

/* Copies a NULL-terminated vector of strings from the application. */
static long copy_strings(struct task *t, uint64_t uvec, char ***out, size_t *total)
{
	char **vec = NULL;
	size_t n = 0, cap = 0;
	long err = 0;

	*out = NULL;
	if (!uvec) {
		/* Linux takes a NULL argv or envp as empty. */
		*out = calloc(1, sizeof(char *));
		return *out ? 0 : -ENOMEM;
	}
	char *buf = block_alloc(&arg_bufs, false);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		uint64_t p;
		if (mm_copy_in(t->mm, &p, uvec + n * 8, 8)) {
			err = -EFAULT;
			break;
		}
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(vec, cap * sizeof(char *));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			vec = nv;
		}
		if (!p) {
			vec[n] = NULL;
			break;
		}
		long len = mm_copy_in_string(t->mm, buf, p, MAX_ARG_STRLEN);
		if (len < 0) {
			err = len == -ENAMETOOLONG ? -E2BIG : len;
			break;
		}
		*total += (size_t)len + 1 + sizeof(char *);
		if (*total > (size_t)t->mm->stack_rlimit / 4 && *total > 32 * 4096) {
			err = -E2BIG;
			break;
		}
		vec[n] = strdup(buf);
		if (!vec[n]) {
			err = -ENOMEM;
			break;
		}
		n++;
		vec[n] = NULL;
	}
	block_free(&arg_bufs, buf);
	if (err) {
		for (size_t i = 0; vec && i < n; i++)
			free(vec[i]);
		free(vec);
		return err;
	}
	*out = vec;
	return 0;
}

static void free_strings(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Kills the other threads of t's group and waits for them (k->lock held). */
static void de_thread(struct task *t)
{
	struct thread_group *tg = t->tg;
	struct kernel *k = t->k;

	if (tg->nr_threads == 1)
		return;
	tg->exec_task = t;
	for (struct task *o = tg->tasks; o; o = o->tg_next)
		if (o != t)
			signal_wake(o);
	platform_ctx_blocking(t->ctx, 1);
	while (tg->nr_threads > 1 && !tg->group_exit) {
		__atomic_store_n(&t->wake, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&k->lock);
		syscall(SYS_futex, &t->wake, FUTEX_WAIT_PRIVATE, 0,
			&(struct timespec){ 0, 10000000 }, NULL, 0);
		pthread_mutex_lock(&k->lock);
	}
	platform_ctx_blocking(t->ctx, 0);
	tg->exec_task = NULL;
}

/*
 * Switches t to another mm under k->lock: the timer thread reads a
 * process's CPU clock through its first thread's mm (tg_cpu_ns) under
 * that lock, so the mm it sees is not freed under it.
 */
static void task_switch_mm(struct task *t, struct mm *mm)
{
	pthread_mutex_lock(&t->k->lock);
	t->mm = mm;
	pthread_mutex_unlock(&t->k->lock);
}

static long do_execve(struct task *t, const char *path, char **argv, char **envp)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	struct mm *old_mm = t->mm, *nm;
	struct stub_regs old_regs = t->regs;
	uint64_t old_auxv[64];
	int old_auxv_len = tg->auxv_len;
	struct path old_exe;
	long err;

	/* Most failures (a shell trying each PATH entry) show at open:
	 * find them before spending a stub process on the new image. */
	struct exec_file ef;
	err = exec_file_open(t, path, &ef);
	if (err)
		return err;
	exec_file_close(&ef);

	nm = mm_new();
	if (!nm)
		return -ENOMEM;
	nm->stack_rlimit = old_mm->stack_rlimit;
	nm->as_limit = old_mm->as_limit;
	/* A single-threaded process alone in its address space keeps its
	 * stub process and thread: the new image loads without one (the
	 * loader only writes through the memory file) and the stub is wiped
	 * at the point of no return.  Otherwise a new stub starts up while
	 * the program loads. */
	bool reuse = tg->nr_threads == 1 && __atomic_load_n(&old_mm->refs, __ATOMIC_ACQUIRE) == 1 &&
		     old_mm->as && t->ctx;
	if (!reuse) {
		nm->as = kernel_new_as(k);
		if (!nm->as) {
			mm_put(nm);
			return -EAGAIN;
		}
	}
	memcpy(old_auxv, tg->auxv, sizeof(old_auxv));
	old_exe = tg_exe(tg);
	task_switch_mm(t, nm);
	err = loader_load(t, path, argv, envp);
	if (err) {
		task_switch_mm(t, old_mm);
		t->regs = old_regs;
		memcpy(tg->auxv, old_auxv, sizeof(old_auxv));
		tg->auxv_len = old_auxv_len;
		tg_set_exe(tg, &old_exe);
		path_put(&old_exe);
		mm_put(nm);
		return err;
	}
	path_put(&old_exe);

	/* The point of no return. */
	pthread_mutex_lock(&k->lock);
	de_thread(t);
	if (t->tid != tg->tgid) {
		/* The exec'ing thread takes over the leader's PID. */
		t->tid = tg->tgid;
	}
	tg->did_exec = true;
	timers_exit(tg, true);
	pthread_mutex_unlock(&k->lock);

	if (reuse) {
		/* The old image leaves the stub before its pages are freed. */
		if (platform_as_reset(old_mm->as) != 0) {
			task_switch_mm(t, old_mm);
			mm_put(nm);
			kernel_group_exit(t, SIGKILL);
			return 0;
		}
		nm->as = old_mm->as;
		old_mm->as = NULL;
		platform_ctx_reset_fp(t->ctx);
		task_release_mm(t, old_mm);
		t->robust_list = 0;
		kernel_put_mm_later(k, old_mm);
	} else {
		struct platform_ctx *nctx = platform_ctx_new(nm->as);
		if (!nctx) {
			moat_warn("execve: cannot start a stub thread: %s", strerror(errno));
			task_switch_mm(t, old_mm);
			mm_put(nm);
			kernel_group_exit(t, SIGKILL);
			return 0;
		}
		platform_ctx_reset_fp(nctx);
		/* CLONE_CHILD_CLEARTID and a vfork parent, as the old memory goes. */
		task_release_mm(t, old_mm);
		t->robust_list = 0;
		platform_ctx_release(t->ctx);
		t->ctx = nctx;
		platform_set_current(nctx);
		if (t->has_affinity)
			__atomic_store_n(&t->affinity_dirty, true, __ATOMIC_RELEASE);
		if (__atomic_load_n(&old_mm->refs, __ATOMIC_ACQUIRE) == 1)
			tg->cpu_exec_ns += platform_as_cpu_ns(old_mm->as);
		kernel_put_mm_later(k, old_mm);
	}

	/* Files: unshared, close-on-exec ones closed. */
	if (__atomic_load_n(&t->fdt->refs, __ATOMIC_ACQUIRE) > 1) {
		struct fdtable *copy = fdtable_copy(t->fdt);
		if (copy) {
			fdtable_put(t->fdt);
			t->fdt = copy;
		}
	}
	fdtable_close_on_exec(t->fdt);

	/* Signals: handlers reset to the default, ignored ones stay. */
	pthread_mutex_lock(&k->lock);
	if (__atomic_load_n(&t->sighand->refs, __ATOMIC_ACQUIRE) > 1) {
		struct sighand *sh = sighand_new();
		if (sh) {
			memcpy(sh->actions, t->sighand->actions, sizeof(sh->actions));
			sighand_put(t->sighand);
			t->sighand = sh;
		}
	}
	for (int i = 0; i < NSIG_K; i++) {
		struct k_sigaction *sa = &t->sighand->actions[i];
		if (sa->handler != (uint64_t)(uintptr_t)SIG_IGN)
			sa->handler = (uint64_t)(uintptr_t)SIG_DFL;
		sa->flags = 0;
		sa->mask = 0;
		sa->restorer = 0;
	}
	t->altstack = (struct k_stack){ .ss_flags = SS_DISABLE };
	pthread_mutex_unlock(&k->lock);
	creds_exec(t);
	const char *base = strrchr(path, '/');
	memset(t->comm, 0, sizeof(t->comm));
	strncpy(t->comm, base ? base + 1 : path, sizeof(t->comm) - 1);
	/* The new stack, and whatever of the program and its interpreter
	 * other processes already read, map before the first instruction. */
	mm_premap(t->mm, t->regs.rsp, t->regs.rip, platform_as_batch(), false);
	return 0;
}

static long execve_common(struct task *t, int dirfd, uint64_t upath, uint64_t uargv,
			  uint64_t uenvp, int flags)
{
	char *path = malloc(PATH_MAX + 32), **argv = NULL, **envp = NULL;
	size_t total = 0;
	long err;

	if (!path)
		return -ENOMEM;
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		err = -EINVAL;
		goto out;
	}
	err = mm_copy_in_string(t->mm, path, upath, PATH_MAX);
	if (err < 0)
		goto out;
	if (!path[0] && !(flags & AT_EMPTY_PATH)) {
		err = -ENOENT;
		goto out;
	}
	/* Relative to a directory fd, or the fd itself: name it through
	 * /proc/self/fd, whose magic links resolve to the open file. */
	if (dirfd != AT_FDCWD && (path[0] != '/' || !path[0])) {
		struct file *f = fget(t, (uint64_t)dirfd);
		if (!f) {
			err = -EBADF;
			goto out;
		}
		file_put(f);
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s", path);
		if (tmp[0])
			snprintf(path, PATH_MAX + 32, "/proc/self/fd/%d/%s", dirfd, tmp);
		else
			snprintf(path, PATH_MAX + 32, "/proc/self/fd/%d", dirfd);
	}
	if (flags & AT_SYMLINK_NOFOLLOW) {
		struct statx stx;
		if (vfs_stat(t, AT_FDCWD, path, 0, &stx) == 0 && S_ISLNK(stx.stx_mode)) {
			err = -ELOOP;
			goto out;
		}
	}
	err = copy_strings(t, uargv, &argv, &total);
	if (err)
		goto out;
	err = copy_strings(t, uenvp, &envp, &total);
	if (err)
		goto out;
	err = do_execve(t, path, argv, envp);
out:
	free(path);
	free_strings(argv);
	free_strings(envp);
	return err;
}

long sys_execve(struct task *t, const uint64_t a[6])
{
	return execve_common(t, AT_FDCWD, a[0], a[1], a[2], 0);
}

long sys_execveat(struct task *t, const uint64_t a[6])
{
	return execve_common(t, (int)a[0], a[1], a[2], a[3], (int)a[4]);
}
