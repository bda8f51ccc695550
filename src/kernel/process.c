/*
 * process.c: the process tree: PIDs, thread groups, exit, zombies and
 * re-parenting.  Linux: kernel/exit.c, kernel/pid.c.
 *
 * Every process (struct thread_group) lives in k->groups from its creation
 * until its parent reaps it; its threads (struct task) live in tg->tasks
 * and k->tasks until they exit.  The sandbox has one PID namespace: its
 * first process is PID 1, which reaps orphans like an init, and whose end
 * ends the sandbox (every other process is killed, as Linux kills a PID
 * namespace whose init dies).  All of this is under k->lock.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgalloc/pgalloc.h"

#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#define PID_MAX 4194304

struct thread_group *thread_group_new(struct kernel *k, int tgid)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));

	if (!tg)
		return NULL;
	tg->k = k;
	tg->tgid = tgid;
	tg->dumpable = 1;
	tg->exit_signal = SIGCHLD;
	tg->start_ns = moat_now_ns();
	sigpending_init(&tg->shared);
	waitq_init(&tg->child_wq);
	waitq_init(&tg->exit_wq);
	tg->itimer_real.tg = tg;
	tg->itimer_real.id = -1;
	tg->itimer_real.notify = SIGEV_SIGNAL;
	tg->itimer_real.signo = SIGALRM;
	tg->cpu_timer.tg = tg;
	tg->cpu_timer.id = -1;
	for (int i = 0; i < 2; i++) {
		tg->itimer_cpu[i].tg = tg;
		tg->itimer_cpu[i].id = -1;
		tg->itimer_cpu[i].notify = SIGEV_SIGNAL;
		tg->itimer_cpu[i].signo = i ? SIGPROF : SIGVTALRM;
	}
	return tg;
}

uint64_t task_cpu_ns(struct task *t)
{
	return t->tg->cpu_exec_ns + (t->mm && t->mm->as ? platform_as_cpu_ns(t->mm->as) : 0);
}

/*
 * Once its last thread began exiting (live 0), a process's CPU time is
 * the total task_exit recorded: its threads' mm may be going away.
 */
uint64_t tg_cpu_ns(struct thread_group *tg)
{
	return tg->live == 0 || !tg->tasks ? tg->cpu_ns : task_cpu_ns(tg->tasks);
}

struct sighand *sighand_new(void)
{
	struct sighand *sh = calloc(1, sizeof(*sh));

	if (sh) {
		sh->refs = 1;
		waitq_init(&sh->signalfd_wq);
	}
	return sh;
}

void sighand_put(struct sighand *sh)
{
	if (__atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(sh);
}

struct task *task_by_tid(struct kernel *k, int tid)
{
	for (struct task *t = k->tasks; t; t = t->next)
		if (t->tid == tid)
			return t;
	return NULL;
}

/* Live processes only: zombies cannot be signalled or joined. */
struct thread_group *tg_by_pid(struct kernel *k, int pid)
{
	for (struct thread_group *tg = k->groups; tg; tg = tg->next)
		if (tg->tgid == pid)
			return tg;
	return NULL;
}

static bool pid_in_use(struct kernel *k, int pid)
{
	if (task_by_tid(k, pid))
		return true;
	for (struct thread_group *tg = k->groups; tg; tg = tg->next)
		if (tg->tgid == pid || tg->pgid == pid || tg->sid == pid)
			return true;
	return false;
}

int pid_alloc(struct kernel *k)
{
	int pid = k->last_pid;

	for (int tries = 0; tries < PID_MAX; tries++) {
		if (++pid >= PID_MAX)
			pid = 2;    /* Linux restarts above the low PIDs: 300 */
		if (!pid_in_use(k, pid)) {
			k->last_pid = pid;
			return pid;
		}
	}
	return -EAGAIN;
}

void tg_release(struct thread_group *tg)
{
	struct kernel *k = tg->k;

	for (struct thread_group **pp = &k->groups; *pp; pp = &(*pp)->next)
		if (*pp == tg) {
			*pp = tg->next;
			break;
		}
	if (tg->parent)
		for (struct thread_group **pp = &tg->parent->children; *pp; pp = &(*pp)->sibling)
			if (*pp == tg) {
				*pp = tg->sibling;
				break;
			}
	timers_exit(tg, false);
	cpu_clock_gone(tg, NULL);
	sigpending_flush(&tg->shared, ~0ULL);
	path_put(&tg->exe);       /* none left but at start-up's failures */
	tg->exe = (struct path){ 0 };
	tg->reaped = true;
	tg_set_parent(tg, NULL);
	waitq_notify(&tg->exit_wq, POLLIN);
	if (tg->pidfd_refs == 0)
		free(tg);
}

struct path tg_exe(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	struct path p;

	pthread_mutex_lock(&vfs_lock);
	pthread_mutex_lock(&k->lock);
	p = tg->exe;
	path_get_locked(&p);
	pthread_mutex_unlock(&k->lock);
	pthread_mutex_unlock(&vfs_lock);
	return p;
}

void tg_set_exe(struct thread_group *tg, const struct path *p)
{
	struct kernel *k = tg->k;
	struct path old;

	pthread_mutex_lock(&vfs_lock);
	path_get_locked(p);
	pthread_mutex_lock(&k->lock);
	old = tg->exe;
	tg->exe = *p;
	pthread_mutex_unlock(&k->lock);
	path_put_locked(&old);
	pthread_mutex_unlock(&vfs_lock);
}

void tg_put(struct thread_group *tg)
{
	if (--tg->pidfd_refs == 0 && tg->reaped)
		free(tg);
}

static void tg_kill_threads(struct thread_group *tg)
{
	for (struct task *o = tg->tasks; o; o = o->tg_next)
		signal_wake(o);
}

void kernel_group_exit(struct task *t, int wait_status)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;

	pthread_mutex_lock(&k->lock);
	if (!tg->group_exit) {
		tg->group_exit = true;
		tg->exit_status = wait_status;
		tg->stop_state = TG_RUNNING;
		tg_kill_threads(tg);
	}
	pthread_mutex_unlock(&k->lock);
	t->exiting = true;
}

/* SIGHUP and SIGCONT to an orphaned process group with stopped members. */
static void hup_orphaned_pgrp(struct kernel *k, int pgid)
{
	bool stopped = false;

	if (!pgrp_orphaned(k, pgid))
		return;
	for (struct thread_group *o = k->groups; o; o = o->next)
		stopped |= o->pgid == pgid && !o->zombie && o->stop_state == TG_STOPPED;
	if (!stopped)
		return;
	for (struct thread_group *o = k->groups; o; o = o->next) {
		if (o->pgid != pgid || o->zombie)
			continue;
		send_signal_locked(o, NULL, SIGHUP, NULL);
		send_signal_locked(o, NULL, SIGCONT, NULL);
	}
}

/*
 * Where the children of a dying process go: the nearest ancestor that is
 * a child subreaper, or init.  (Linux first tries a live thread of the
 * same group; here children belong to the group, which is dying.)
 */
static struct thread_group *find_new_reaper(struct thread_group *tg)
{
	struct kernel *k = tg->k;

	for (struct thread_group *a = tg->parent; a; a = a->parent)
		if (a->subreaper && !a->zombie && !a->group_exit)
			return a;
	return k->init;
}

static bool parent_ignores_sigchld(struct thread_group *parent, struct task *any)
{
	if (!any)
		return false;
	struct k_sigaction *sa = &any->sighand->actions[SIGCHLD - 1];
	(void)parent;
	return sa->handler == (uint64_t)(uintptr_t)SIG_IGN || (sa->flags & SA_NOCLDWAIT);
}

/* tg's last thread is gone: it becomes a zombie (or is reaped at once
 * when its parent does not want it). */
static void tg_exit_notify(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	struct thread_group *reaper = find_new_reaper(tg);

	tg->zombie = true;
	timers_exit(tg, false);
	waitq_notify(&tg->exit_wq, POLLIN);
	/* Groups this exit orphans get SIGHUP and SIGCONT if stopped
	 * members would otherwise wait forever (Linux: kill_orphaned_pgrp). */
	if (tg->parent && tg->parent->pgid != tg->pgid && tg->parent->sid == tg->sid)
		hup_orphaned_pgrp(k, tg->pgid);
	for (struct thread_group *c = tg->children; c; c = c->sibling)
		if (c->pgid != tg->pgid && c->sid == tg->sid)
			hup_orphaned_pgrp(k, c->pgid);
	/* Orphans go to the reaper; zombies among them are announced to it. */
	while (tg->children) {
		struct thread_group *c = tg->children;
		tg->children = c->sibling;
		if (reaper == tg) {            /* init itself is dying */
			tg_set_parent(c, NULL);
			c->sibling = NULL;
			continue;
		}
		tg_set_parent(c, reaper);
		c->sibling = reaper->children;
		reaper->children = c;
		if (c->pdeathsig && !c->zombie)
			send_signal_locked(c, NULL, c->pdeathsig, NULL);
		if (c->zombie)
			notify_parent(c, 0, 0);
	}
	if (tg == k->init) {
		/* The namespace's init is gone: everything else dies. */
		k->exit_status = tg->exit_status;
		for (struct thread_group *o = k->groups; o; o = o->next)
			if (o != tg && !o->zombie && !o->group_exit) {
				o->group_exit = true;
				o->exit_status = SIGKILL;
				tg_kill_threads(o);
			}
		return;
	}
	if (!tg->parent)
		return;
	notify_parent(tg, 0, 0);
}

void task_release_mm(struct task *t, struct mm *mm)
{
	/* CLONE_CHILD_CLEARTID: only when others share the memory. */
	if (t->clear_child_tid && __atomic_load_n(&mm->refs, __ATOMIC_ACQUIRE) > 1) {
		uint32_t zero = 0;
		if (mm_copy_out(mm, t->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake_addr(mm, t->clear_child_tid, 1);
	}
	t->clear_child_tid = 0;
	if (t->vfork_done) {
		__atomic_store_n(t->vfork_done, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, t->vfork_done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		t->vfork_done = NULL;
	}
}

/* The thread exits: what Linux's do_exit does for one thread. */
void task_exit(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	bool last, ending;

	/* The last thread to begin exiting gives the status (Linux 6.0+),
	 * decided before anyone can see this thread gone. */
	pthread_mutex_lock(&k->lock);
	/* Timers on this thread's CPU clock stop before its stub thread
	 * goes; no new ones can start (exiting is set). */
	cpu_clock_gone(NULL, t);
	/* The sandbox's last task: no one is left to create another. */
	ending = k->nr_tasks == 1;
	if (--tg->live == 0) {
		if (!tg->group_exit) {
			tg->exit_status = t->exit_code;
			tg->group_exit = true;
		}
		/* The stub's CPU time, while it still runs the process (no
		 * one is left to ask for it at the end). */
		if (t->mm && t->mm->as && !ending)
			tg->cpu_ns = task_cpu_ns(t);
	}
	pthread_mutex_unlock(&k->lock);

	robust_list_exit(t);
	if (t->mm)
		task_release_mm(t, t->mm);
	/* At the end, no handshake with the stub thread: see below. */
	if (t->ctx && !ending) {
		platform_ctx_release(t->ctx);
		t->ctx = NULL;
	}

	pthread_mutex_lock(&k->lock);
	for (struct task **pp = &k->tasks; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	for (struct task **pp = &tg->tasks; *pp; pp = &(*pp)->tg_next)
		if (*pp == t) {
			*pp = t->tg_next;
			break;
		}
	k->nr_tasks--;
	last = --tg->nr_threads == 0;
	if (tg->exec_task && tg->nr_threads == 1)
		task_wake(tg->exec_task);
	struct path exe = { 0 };
	if (last) {
		memcpy(tg->comm, t->comm, sizeof(tg->comm));
		tg->exit_ids = t->ids;
		/* A zombie has no executable (procfs), and the reference
		 * goes with vfs_lock, which nests outside k->lock (procfs
		 * lookups take k->lock under it): a reaper dropping it under
		 * k->lock deadlocked against them. */
		exe = tg->exe;
		tg->exe = (struct path){ 0 };
		tg_exit_notify(tg);
	}
	/* The last task out ends moat: not always the one that saw itself
	 * alone above (two may exit at once, each seeing the other). */
	bool done = k->nr_tasks == 0;
	pthread_mutex_unlock(&k->lock);
	path_put(&exe);

	/* The end: nothing of the sandbox is freed piece by piece.  Shared
	 * mappings of files write back what they hold (old address spaces
	 * still queued are put, which does it), then moat exits: the stubs
	 * die with it (kernel_exit). */
	if (done) {
		if (t->mm)
			mm_write_back(t->mm);
		kernel_put_old_mms(k);
		kernel_exit(k);
	}
	task_free(t);
}

/*
 * Tells tg's parent about a change: why is 0 for an exit (status from
 * tg->exit_status), CLD_STOPPED or CLD_CONTINUED otherwise.  An exiting
 * child whose parent ignores SIGCHLD is reaped at once.
 */
void notify_parent(struct thread_group *tg, int why, int status)
{
	struct thread_group *parent = tg->parent;
	siginfo_t info;

	if (!parent)
		return;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGCHLD;
	info.si_pid = tg->tgid;
	info.si_uid = 0;
	if (why == 0) {
		int st = tg->exit_status;
		if (WIFEXITED(st)) {
			info.si_code = CLD_EXITED;
			info.si_status = WEXITSTATUS(st);
		} else {
			info.si_code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
			info.si_status = WTERMSIG(st);
		}
		info.si_signo = tg->exit_signal;
		/* Linux: do_notify_parent.  SIGCHLD ignored or SA_NOCLDWAIT:
		 * no zombie; the signal still comes unless ignored. */
		bool autoreap = tg->exit_signal == SIGCHLD && parent_ignores_sigchld(parent, parent->tasks);
		bool ignored = autoreap && parent->tasks->sighand->actions[SIGCHLD - 1].handler ==
						   (uint64_t)(uintptr_t)SIG_IGN;
		if (tg->exit_signal > 0 && !parent->zombie && !ignored)
			send_signal_locked(parent, NULL, tg->exit_signal, &info);
		if (autoreap) {
			waitq_notify(&parent->child_wq, 1);
			tg_release(tg);
			return;
		}
	} else {
		info.si_code = why;
		info.si_status = status;
		struct task *any = parent->tasks;
		if (any && !parent->zombie &&
		    !(any->sighand->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP))
			send_signal_locked(parent, NULL, SIGCHLD, &info);
	}
	waitq_notify(&parent->child_wq, 1);
}
