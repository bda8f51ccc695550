/*
 * kernel.c: the kernel object, the init task, the task run loop and
 * blocking.
 *
 * kernel_run() builds the first process (PID 1) and its address space,
 * loads the program, starts the task's sentry thread, and then makes the
 * calling (main) thread the reaper: it collects the stub processes as they
 * die (they are the sentry's children) until the sandbox is done.  Stubs
 * are forked from this thread because PR_SET_PDEATHSIG follows the thread
 * that forked them, and this thread lives as long as the sentry: tasks
 * that need a new address space (fork, execve) ask it for one
 * (kernel_new_as).
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <linux/futex.h>
#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader/loader.h"
#include "mm/mm.h"
#include "pgalloc/pgalloc.h"
#include "syscalls/syscalls.h"
#include "util/util.h"
#include "vfs/vfs.h"


struct kernel *kernel_current;
struct block_cache task_iobufs = BLOCK_CACHE(TASK_IOBUF_SIZE, 8);
__thread struct task *current_task;

static int wait_status_to_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/*
 * The sandbox's last task is gone: moat exits with the status from the
 * thread that saw it, rather than wake the kernel thread (asleep in poll; an
 * idle CPU takes 30-200 us to wake here) only to return it.  Stubs die with
 * moat (PR_SET_PDEATHSIG), its other threads with the process; what shared
 * mappings of files held was written back (task_exit).  The address space
 * and the descriptors go with the exit helper, after moat's parent has
 * its status.
 */
void kernel_exit(struct kernel *k)
{
	platform_end();
	exit(wait_status_to_exit_code(k->exit_status));
}

/*
 * The exit helper: a process that shares the sentry's address space and
 * descriptor table (CLONE_VM | CLONE_FILES | CLONE_FS, like a thread, but
 * outside moat's thread group) and does nothing until it dies with moat's
 * kernel thread (PR_SET_PDEATHSIG).  Holding the last references, it is the
 * one that tears them down, after moat's parent was told moat exited:
 * unmapping the sentry's memory and freeing the memory file's pages took
 * 150-300 us between moat's exit and its parent's wait returning.  It runs
 * no sentry code but this (raw system calls: it shares the kernel thread's
 * thread pointer, so errno and the sanitizers' state are not its own) and
 * never runs application code.
 */
static long raw_syscall2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

static long raw_syscall4(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((no_sanitize("address", "undefined")))
static int exit_helper(void *sentry)
{
	uint64_t all = ~0ULL;
	struct sched_param param = { 0 };

	raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, sizeof(all));
	/* Its teardown is nobody's wait: a dying stub's priority (see
	 * platform/systrap/systrap.c: demote_thread). */
	raw_syscall4(SYS_sched_setscheduler, 0, SCHED_BATCH, (long)&param, 0);
	raw_syscall4(SYS_setpriority, PRIO_PROCESS, 0, DYING_NICE, 0);
	raw_syscall2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (raw_syscall2(SYS_getppid, 0, 0) == (long)(intptr_t)sentry)
		for (;;)
			raw_syscall2(SYS_pause, 0, 0);
	raw_syscall2(SYS_exit, 0, 0);
	return 0;
}

/* Started by the kernel thread, whose exit takes it along. */
static void start_exit_helper(void)
{
	static char stack[4096] __attribute__((aligned(64)));

	if (clone(exit_helper, stack + sizeof(stack), CLONE_VM | CLONE_FS | CLONE_FILES,
		  (void *)(intptr_t)getpid()) < 0)
		moat_log("no exit helper: %s", strerror(errno));
}

void task_free(struct task *t)
{
	if (t->ctx)
		platform_ctx_release(t->ctx);
	if (t->mm)
		mm_put(t->mm);
	if (t->fdt)
		fdtable_put(t->fdt);
	if (t->fs)
		fs_context_put(t->fs);
	if (t->sighand)
		sighand_put(t->sighand);
	sigpending_flush(&t->pending, ~0ULL);
	creds_free(t);
	seccomp_put(t->seccomp);
	block_free(&task_iobufs, t->iobuf);
	free(t);
}

/* ---- address spaces from the kernel thread ---- */

struct as_request {
	struct as_request *next;
	struct platform_as *as;
	int err;
	uint32_t done;
};

static pthread_t kernel_thread;
static void task_thread_run(struct task *t, bool forever);

/* A detached sentry thread on a 256 KiB stack (the sentry's handlers need
 * little; many tasks may run); an errno value on failure. */
static int start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	err = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

struct platform_as *kernel_new_as(struct kernel *k)
{
	struct as_request req = { 0 };
	struct platform_as *as;

	if (pthread_equal(pthread_self(), kernel_thread))
		return platform_as_new();
	/* A stub forked ahead of time, if there is one: the kernel thread
	 * makes the next while this one is used. */
	pthread_mutex_lock(&k->lock);
	k->made_as = true;
	as = k->spare_as;
	k->spare_as = NULL;
	if (!as) {
		req.next = k->as_requests;
		k->as_requests = &req;
	}
	pthread_mutex_unlock(&k->lock);
	eventfd_write(k->wake_fd, 1);
	if (as)
		return as;
	while (!__atomic_load_n(&req.done, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &req.done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	errno = req.err;
	return req.as;
}

/*
 * The last reference to an exec's old address space usually frees every
 * page reference a fork's child took over (20-30 us for a small one here,
 * when nothing preempts it), which the new image need not wait for: the
 * kernel thread puts it (kernel_put_old_mms), as does the end of the
 * sandbox for any still queued.  old_mm_lock (outside k->lock) is held
 * while they are put, so that the end waits for puts in progress.
 */
static pthread_mutex_t old_mm_lock = PTHREAD_MUTEX_INITIALIZER;

void kernel_put_mm_later(struct kernel *k, struct mm *mm)
{
	/* Only the last reference goes on the list, which holds an mm once:
	 * vfork's children drop references to their parent's, which stays. */
	if (__atomic_load_n(&mm->refs, __ATOMIC_ACQUIRE) != 1) {
		mm_put(mm);
		return;
	}
	pthread_mutex_lock(&k->lock);
	mm->next_old = k->old_mms;
	k->old_mms = mm;
	pthread_mutex_unlock(&k->lock);
	eventfd_write(k->wake_fd, 1);
}

void kernel_put_old_mms(struct kernel *k)
{
	pthread_mutex_lock(&old_mm_lock);
	pthread_mutex_lock(&k->lock);
	struct mm *old = k->old_mms;
	k->old_mms = NULL;
	pthread_mutex_unlock(&k->lock);
	while (old) {
		struct mm *mm = old;
		old = mm->next_old;
		mm_put(mm);
	}
	pthread_mutex_unlock(&old_mm_lock);
}

/*
 * The kernel's own thread: reaps stubs, forks address spaces and runs lazy
 * timers, until the sandbox's last task ends moat (kernel_exit).  It forks
 * the stubs (platform_set_forker) and so is kernel_thread from its start.
 */
static __attribute__((noreturn)) void *main_loop(void *arg)
{
	struct kernel *k = arg;

	platform_set_forker();
	start_exit_helper();
	clock_start(k);
	/* Its work is never more urgent than the thread it would preempt on
	 * waking (the task thread that just asked for a stub, or exec'd): as
	 * SCHED_BATCH it waits for a free CPU or the end of a time slice.
	 * Its children (stubs, the factory) start as ordinary threads. */
	sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &(struct sched_param){ 0 });
	for (;;) {
		eventfd_t v;
		pthread_mutex_lock(&k->lock);
		int wait_ms = timers_lazy_wait_ms();
		pthread_mutex_unlock(&k->lock);
		if (!platform_reap_until(k->wake_fd, wait_ms)) {
			pthread_mutex_lock(&k->lock);
			timers_run_lazy();
			pthread_mutex_unlock(&k->lock);
			continue;
		}
		eventfd_read(k->wake_fd, &v);
		pthread_mutex_lock(&k->lock);
		struct as_request *reqs = k->as_requests;
		k->as_requests = NULL;
		pthread_mutex_unlock(&k->lock);
		while (reqs) {
			struct as_request *r = reqs;
			reqs = r->next;
			r->as = platform_as_new();
			r->err = r->as ? 0 : errno;
			__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
			syscall(SYS_futex, &r->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		}
		kernel_put_old_mms(k);
		/* Keep a stub ready once the sandbox has made processes. */
		pthread_mutex_lock(&k->lock);
		bool want = !k->spare_as && k->made_as;
		pthread_mutex_unlock(&k->lock);
		if (want) {
			struct platform_as *as = platform_as_new();
			pthread_mutex_lock(&k->lock);
			if (!k->spare_as) {
				k->spare_as = as;
				as = NULL;
			}
			pthread_mutex_unlock(&k->lock);
			if (as)
				platform_as_release(as);
		}
	}
}

/*
 * Finds the program as a shell does, inside the sandbox: names with a
 * slash are used as they are; others are searched in PATH.  Returns a
 * malloc'ed path or NULL with *err: -ENOENT (nowhere) or -EACCES (found,
 * not executable).
 */
static char *find_program(struct task *t, const char *prog, const char *path, int *err)
{
	bool denied = false;

	if (strchr(prog, '/'))
		return strdup(prog);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; ) {
		const char *colon = strchrnul(p, ':');
		size_t dlen = (size_t)(colon - p);
		struct statx stx;
		char *cand;

		if (asprintf(&cand, "%.*s%s%s", (int)dlen, p, dlen ? "/" : "", prog) < 0)
			break;
		if (vfs_stat(t, AT_FDCWD, cand, WALK_FOLLOW, &stx) == 0 && S_ISREG(stx.stx_mode)) {
			if (vfs_access(t, AT_FDCWD, cand, X_OK, WALK_FOLLOW) == 0)
				return cand;
			denied = true;
		}
		free(cand);
		if (!*colon)
			break;
		p = colon + 1;
	}
	*err = denied ? -EACCES : -ENOENT;
	return NULL;
}

/* The first stub, from kernel_run's start until the program has loaded. */
static struct platform_as *first_as;

static void drop_first_as(void)
{
	if (first_as)
		platform_as_release(first_as);
	first_as = NULL;
}

/* Start-up failed: undoes kernel_run's work; returns code. */
static int abort_start(struct kernel *k, struct task *t, int code)
{
	struct thread_group *tg = t->tg;

	drop_first_as();
	task_free(t);
	if (tg && !k->groups)
		free(tg);
	while (k->groups)
		tg_release(k->groups);
	if (k->wake_fd >= 0)
		close(k->wake_fd);
	pthread_mutex_destroy(&k->lock);
	kernel_current = NULL;
	free(k);
	return code;
}

int kernel_run(const struct kernel_config *cfg, int *load_err, const char **what)
{
	struct kernel *k = calloc(1, sizeof(*k));
	struct task *t = calloc(1, sizeof(*t));
	struct path root;
	char *exe;
	int err;
	mode_t um;

	*load_err = 0;
	*what = "";
	if (!k || !t) {
		*load_err = -ENOMEM;
		free(k);
		free(t);
		return 125;
	}
	/* The first stub starts up on the other CPU while the sandbox is set
	 * up and the program loads; then it maps the program's read-only
	 * segments straight from the host files, below. */
	first_as = platform_as_new_awaiting(true);
	if (!first_as) {
		*load_err = -errno;
		free(k);
		free(t);
		return 125;
	}
	if (clock_init() || vdso_init()) {
		*load_err = -ENOMEM;
		drop_first_as();
		free(k);
		free(t);
		return 125;
	}
	pthread_mutex_init(&k->lock, NULL);
	k->wake_fd = eventfd(0, EFD_CLOEXEC);
	k->boot_ns = moat_now_ns();
	k->last_pid = 1;
	kernel_current = k;

	t->k = k;
	t->tid = 1;
	creds_init_root(t);
	t->tg = thread_group_new(k, 1);
	t->sighand = sighand_new();
	t->mm = mm_new();
	t->fdt = fdtable_new();
	t->iobuf = block_alloc(&task_iobufs, false);
	sigpending_init(&t->pending);
	if (!t->tg || !t->sighand || !t->mm || !t->fdt || !t->iobuf) {
		*load_err = -ENOMEM;
		return abort_start(k, t, 125);
	}
	/* The sandbox starts with moat's limits; forks copy their parent's. */
	for (int r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &t->tg->rlimits[r]);
	host_fds_reserve();
	t->tg->pgid = t->tg->sid = 1;
	t->tg->exit_signal = SIGCHLD;
	k->groups = k->init = t->tg;
	err = rootfs_setup(&cfg->fs, &root);
	if (err) {
		*load_err = err;
		*what = "cannot set up the root file system";
		return abort_start(k, t, 125);
	}
	um = umask(022);
	umask(um);
	t->fs = fs_context_new(&root, um);
	path_put(&root);
	if (!t->fs) {
		*load_err = -ENOMEM;
		return abort_start(k, t, 125);
	}
	/* Start where moat was started, when the sandbox has that directory. */
	char cwd[4096];
	struct walk_result wr;
	if (getcwd(cwd, sizeof(cwd)) && vfs_walk(t, AT_FDCWD, cwd, WALK_FOLLOW | WALK_DIRECTORY, &wr) == 0) {
		struct path old = t->fs->cwd;
		t->fs->cwd = wr.path;
		path_put(&old);
	}
	struct rlimit *stack = &t->tg->rlimits[RLIMIT_STACK];
	t->mm->stack_rlimit = stack->rlim_cur == RLIM_INFINITY || stack->rlim_cur > (1UL << 30)
		? (1UL << 30) : MAX(stack->rlim_cur, 128UL << 10);
	const char *base = strrchr(cfg->argv[0], '/');
	strncpy(t->comm, base ? base + 1 : cfg->argv[0], sizeof(t->comm) - 1);

	exe = find_program(t, cfg->program, cfg->path_env, &err);
	if (!exe) {
		*load_err = err;
		*what = cfg->program;
		return abort_start(k, t, err == -ENOENT ? 127 : 126);
	}
	static char exe_path[4096];
	snprintf(exe_path, sizeof(exe_path), "%s", exe);
	free(exe);
	*what = exe_path;

	/* The program loads without its stub (the loader only writes
	 * through the memory file), which is then sent the read-only
	 * segments to map and takes the address space. */
	t->mm->host_maps_wanted = true;
	err = loader_load(t, exe_path, cfg->argv, cfg->envp);
	if (err) {
		*load_err = err;
		return abort_start(k, t, err == -ENOENT ? 127 : 126);
	}
	unsigned nmaps = t->mm->nhost_maps;
	bool mapped = platform_as_give_files(first_as, t->mm->host_maps, nmaps);
	t->mm->as = first_as;
	first_as = NULL;
	mm_host_maps_done(t->mm, mapped);
	moat_log("program: %u read-only segments mapped from the host file", mapped ? nmaps : 0);
	/* Its stub thread is collected by the task's own thread, which
	 * starts up meanwhile (task_run). */
	t->premap = PREMAP_IMAGE;
	for (int fd = 0; fd < 3; fd++) {
		struct file *f = hostfd_file_new(fd);
		if (f)
			fdtable_install_at(t->fdt, f, fd, 0, UINT64_MAX);
	}

	pthread_mutex_lock(&k->lock);
	t->tg->tasks = t;
	t->tg->nr_threads = t->tg->live = 1;
	k->tasks = t;
	k->nr_tasks = 1;
	pthread_mutex_unlock(&k->lock);
	/*
	 * The kernel's own thread (main_loop) starts on the other CPU, and
	 * this thread, the main one, runs the first task: it is already
	 * running, where a new thread took 150-350 us to run first (the idle
	 * vCPU it goes to must wake up).  It reads in the rest of the image
	 * first (the task's first resume waits for it anyway).
	 */
	if (start_thread(&kernel_thread, main_loop, k) != 0) {
		*load_err = -EAGAIN;
		return 125;
	}
	mm_populate_later(t->mm);
	task_thread_run(t, true);
	panic("the main thread left its task loop");
}

/*
 * Task threads: a thread whose task has exited waits a while for another
 * (at most TASK_POOL_MAX of them, each for TASK_POOL_WAIT_MS) instead of
 * exiting.  Creating and ending a thread costs 50-150 us of CPU here, and
 * a loop of fork, exec, exit and wait made one of each per iteration.
 */
#define TASK_POOL_MAX 4
#define TASK_POOL_WAIT_MS 1000

struct pooled {
	struct pooled *next;
	struct task *task;        /* handed over by task_start */
	uint32_t go;              /* futex word */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pooled *pool;
static int pool_len;

static void task_run(struct task *t);

/*
 * Runs t, then the tasks task_start hands this thread, until it has waited
 * TASK_POOL_WAIT_MS for one in vain (or finds the pool full); forever (the
 * main thread, whose exit would take the first stub with it) never leaves.
 */
static void task_thread_run(struct task *t, bool forever)
{
	struct pooled self;
	char top;

	/* The stack's top 48 KiB: the handlers' path buffers reach that
	 * deep on the first calls. */
	uintptr_t hi = ALIGN_DOWN((uintptr_t)&top, PAGE_SIZE);
	prefault((void *)(hi - (48 << 10)), 48 << 10);

	for (;;) {
		/* (The sandbox's last task ends moat in task_exit.) */
		task_run(t);
		self.task = NULL;
		self.go = 0;
		pthread_mutex_lock(&pool_lock);
		if (pool_len >= TASK_POOL_MAX && !forever) {
			pthread_mutex_unlock(&pool_lock);
			return;
		}
		self.next = pool;
		pool = &self;
		pool_len++;
		pthread_mutex_unlock(&pool_lock);
		struct timespec ts = { TASK_POOL_WAIT_MS / 1000, (TASK_POOL_WAIT_MS % 1000) * 1000000L };
		while (!__atomic_load_n(&self.go, __ATOMIC_ACQUIRE)) {
			if (syscall(SYS_futex, &self.go, FUTEX_WAIT_PRIVATE, 0, forever ? NULL : &ts,
				    NULL, 0) == 0 || errno != ETIMEDOUT)
				continue;
			/* Nobody came: leave, unless a task is on its way. */
			pthread_mutex_lock(&pool_lock);
			bool waiting = false;
			for (struct pooled **pp = &pool; *pp; pp = &(*pp)->next)
				if (*pp == &self) {
					*pp = self.next;
					pool_len--;
					waiting = true;
					break;
				}
			pthread_mutex_unlock(&pool_lock);
			if (waiting)
				return;
		}
		t = self.task;
	}
}

static void *task_thread(void *arg)
{
	task_thread_run(arg, false);
	return NULL;
}

int task_start(struct task *t)
{
	pthread_t thread;
	struct pooled *p;

	pthread_mutex_lock(&pool_lock);
	p = pool;
	if (p) {
		pool = p->next;
		pool_len--;
	}
	pthread_mutex_unlock(&pool_lock);
	if (p) {
		p->task = t;
		__atomic_store_n(&p->go, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &p->go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		return 0;
	}
	return start_thread(&thread, task_thread, t) ? -EAGAIN : 0;
}

static void handle_fault(struct task *t, const struct trap *trap)
{
	int signo = trap->signo, code = trap->si_code;

	if (trap->signo == SIGILL && trap->trapno == 6 && usertrap_fixup(t, trap->addr))
		return;
	if (trap->signo == SIGSEGV && trap->trapno == 14) {
		if (mm_handle_fault(t->mm, trap->addr, trap->access, &signo, &code) == 0)
			return;
	}
	force_fault(t, signo, code, trap->addr, trap->trapno, trap->err);
}

/* Runs t until it exits. */
static void task_run(struct task *t)
{
	struct trap trap;
	bool after_syscall = false;

	if (!t->ctx) {
		/* The first task: its stub thread was asked for as the stub
		 * was forked (kernel_run). */
		t->ctx = platform_ctx_new(t->mm->as);
		if (!t->ctx) {
			moat_warn("cannot start the stub: %s", strerror(errno));
			exit(125);
		}
		platform_ctx_reset_fp(t->ctx);
	}
	platform_set_current(t->ctx);
	current_task = t;
	if (t->premap) {
		/* Deferred to the first resume: no round trip of its own. */
		mm_premap(t->mm, t->regs.rsp, t->regs.rip, platform_as_batch(),
			  t->premap == PREMAP_FORK);
		t->premap = PREMAP_NONE;
	}
	for (;;) {
		/* Signals, a mask to restore, or a restart code to turn into
		 * a restart or EINTR: otherwise straight back (no lock). */
		if (after_syscall && (int64_t)t->regs.rax < -(int64_t)ERESTARTSYS + 1 &&
		    (int64_t)t->regs.rax >= -(int64_t)ERESTART_RESTARTBLOCK)
			signals_deliver(t, true);
		else if (__atomic_load_n(&t->sig_flag, __ATOMIC_SEQ_CST) || t->restore_sigmask)
			signals_deliver(t, after_syscall);
		after_syscall = false;
		if (t->exiting)
			break;
		__atomic_store_n(&t->in_app, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&t->sig_flag, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&t->in_app, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		if (__atomic_load_n(&t->affinity_dirty, __ATOMIC_RELAXED))
			task_apply_affinity(t);
		platform_switch(t->ctx, &t->regs, &trap);
		/* No fence: a signal_wake that still sees 1 only sends an
		 * interrupt the stub reports at its next return. */
		__atomic_store_n(&t->in_app, 0, __ATOMIC_RELEASE);
		switch (trap.kind) {
		case TRAP_SYSCALL:
			if (trap.arch != AUDIT_ARCH_X86_64) {
				/* int 0x80 and friends: no 32-bit ABI. */
				t->regs.rax = (uint64_t)-ENOSYS;
				break;
			}
			t->syscall_patched = trap.patched;
			if (!trap.patched)
				usertrap_maybe_patch(t);
			syscall_dispatch(t);
			after_syscall = true;
			break;
		case TRAP_FAULT:
			handle_fault(t, &trap);
			break;
		case TRAP_INTERRUPT:
			break;
		case TRAP_DEAD:
			if (!t->exiting && !signal_pending(t))
				moat_warn("the stub process of task %d died unexpectedly", t->tid);
			kernel_group_exit(t, SIGKILL);
			break;
		}
	}
	if (moat_log_fd >= 0 && t->ctx)
		platform_log_stats(t->ctx);
	task_exit(t);
	current_task = NULL;
	platform_set_current(NULL);
}

void task_apply_affinity(struct task *t)
{
	cpu_set_t set;
	bool has;

	if (!__atomic_exchange_n(&t->affinity_dirty, false, __ATOMIC_ACQ_REL) || !t->ctx)
		return;
	pthread_mutex_lock(&t->k->lock);
	set = t->affinity;
	has = t->has_affinity;
	pthread_mutex_unlock(&t->k->lock);
	platform_ctx_set_affinity(t->ctx, has ? &set : NULL);
}

void task_wake(struct task *t)
{
	__atomic_store_n(&t->wake, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &t->wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void task_waiter_wake(struct waiter *w, unsigned events)
{
	(void)events;
	task_wake(w->arg);
}

int task_wait_queue(struct task *t, struct waitq *q, pthread_mutex_t *lock, unsigned events,
		    uint64_t deadline_ns)
{
	struct waiter w = { .events = events, .notify = task_waiter_wake, .arg = t };
	int err;

	waitq_add(q, &w);
	pthread_mutex_unlock(lock);
	err = task_block(t, deadline_ns);
	waitq_remove(q, &w);
	pthread_mutex_lock(lock);
	return err;
}

int task_block(struct task *t, uint64_t deadline_ns)
{
	int ret = 0;

	platform_ctx_blocking(t->ctx, 1);
	__atomic_store_n(&t->sleeping, 1, __ATOMIC_RELAXED);
	for (;;) {
		if (signal_pending(t)) {
			/* The wake that came with the signal is used up. */
			__atomic_store_n(&t->wake, 0, __ATOMIC_RELEASE);
			ret = -EINTR;
			break;
		}
		if (__atomic_exchange_n(&t->wake, 0, __ATOMIC_ACQ_REL)) {
			ret = 0;
			break;
		}
		struct timespec ts, *tsp = NULL;
		if (deadline_ns) {
			uint64_t now = moat_now_ns();
			if (now >= deadline_ns) {
				ret = -ETIMEDOUT;
				break;
			}
			uint64_t d = deadline_ns - now;
			ts.tv_sec = (time_t)(d / 1000000000ULL);
			ts.tv_nsec = (long)(d % 1000000000ULL);
			tsp = &ts;
		}
		syscall(SYS_futex, &t->wake, FUTEX_WAIT_PRIVATE, 0, tsp, NULL, 0);
	}
	__atomic_store_n(&t->sleeping, 0, __ATOMIC_RELAXED);
	platform_ctx_blocking(t->ctx, 0);
	return ret;
}

int task_wait_ready(struct task *t, uint64_t deadline_ns, bool rescan)
{
	uint64_t until = deadline_ns;

	if (rescan) {
		uint64_t soon = moat_now_ns() + 10000000ULL;   /* 10 ms */
		if (!until || soon < until)
			until = soon;
	}
	int err = task_block(t, until);
	if (err == -EINTR)
		return -EINTR;
	if (err == -ETIMEDOUT && deadline_ns && moat_now_ns() >= deadline_ns)
		return -ETIMEDOUT;
	return 0;
}
