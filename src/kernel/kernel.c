/*
 * kernel.c: the kernel object, the init task, the task run loop and
 * blocking.
 *
 * kernel_run() builds the first process (PID 1) and its address space,
 * loads the program, starts the task's sentry thread, and then makes the
 * calling (main) thread the reaper: it collects the stub processes as they
 * die (they are the sentry's children) until the sandbox is done.  Stubs
 * are forked from this thread because PR_SET_PDEATHSIG follows the thread
 * that forked them, and this thread lives as long as the sentry.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <linux/futex.h>
#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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

static void *task_main(void *arg);

struct kernel *kernel_current;

static int wait_status_to_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static struct thread_group *thread_group_new(int tgid)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));

	if (!tg)
		return NULL;
	tg->tgid = tgid;
	tg->refs = 1;
	tg->dumpable = 1;
	tg->start_ns = moat_now_ns();
	for (int r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &tg->rlimits[r]);
	return tg;
}

static void task_free(struct task *t)
{
	if (t->ctx)
		platform_ctx_release(t->ctx);
	if (t->mm)
		mm_put(t->mm);
	if (t->fdt)
		fdtable_put(t->fdt);
	if (t->fs)
		fs_context_put(t->fs);
	if (t->tg && --t->tg->refs == 0) {
		path_put(&t->tg->exe);
		free(t->tg);
	}
	free(t->iobuf);
	free(t);
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

int kernel_run(const struct kernel_config *cfg, int *load_err, const char **what)
{
	struct kernel *k = calloc(1, sizeof(*k));
	struct task *t = calloc(1, sizeof(*t));
	struct path root;
	char *exe;
	int err, code;
	mode_t um;

	*load_err = 0;
	*what = "";
	if (!k || !t) {
		*load_err = -ENOMEM;
		return 125;
	}
	pthread_mutex_init(&k->lock, NULL);
	k->done_fd = eventfd(0, EFD_CLOEXEC);
	k->boot_ns = moat_now_ns();
	k->next_tid = 2;
	kernel_current = k;

	t->k = k;
	t->tid = 1;
	t->tg = thread_group_new(1);
	t->mm = mm_new();
	t->fdt = fdtable_new();
	t->iobuf = malloc(TASK_IOBUF_SIZE);
	if (!t->tg || !t->mm || !t->fdt || !t->iobuf) {
		*load_err = -ENOMEM;
		task_free(t);
		return 125;
	}
	err = rootfs_setup(&cfg->fs, &root);
	if (err) {
		*load_err = err;
		*what = "cannot set up the root file system";
		task_free(t);
		return 125;
	}
	um = umask(022);
	umask(um);
	t->fs = fs_context_new(&root, um);
	path_put(&root);
	if (!t->fs) {
		*load_err = -ENOMEM;
		task_free(t);
		return 125;
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
		task_free(t);
		return err == -ENOENT ? 127 : 126;
	}
	static char exe_path[4096];
	snprintf(exe_path, sizeof(exe_path), "%s", exe);
	free(exe);
	*what = exe_path;

	/* The stub starts up on the other CPU while the program loads. */
	t->mm->as = platform_as_new();
	if (!t->mm->as) {
		*load_err = -errno;
		task_free(t);
		return 125;
	}
	err = loader_load(t, exe_path, cfg->argv, cfg->envp);
	if (err) {
		*load_err = err;
		task_free(t);
		free(k);
		return err == -ENOENT ? 127 : 126;
	}
	t->ctx = platform_ctx_new(t->mm->as);
	if (!t->ctx) {
		*load_err = -errno;
		moat_warn("cannot start the stub: %s", strerror(errno));
		task_free(t);
		return 125;
	}
	platform_ctx_reset_fp(t->ctx);
	for (int fd = 0; fd < 3; fd++) {
		struct file *f = hostfd_file_new(fd);
		if (f)
			fdtable_install_at(t->fdt, f, fd, 0, UINT64_MAX);
	}

	k->tasks = t;
	pthread_t thread;
	if (pthread_create(&thread, NULL, task_main, t) != 0) {
		*load_err = -EAGAIN;
		return 125;
	}

	/* Reap stubs until the sandbox is done.  Stubs killed at the end
	 * need not be waited for: they hold nothing but memory. */
	platform_reap_until(k->done_fd);
	pthread_join(thread, NULL);
	code = wait_status_to_exit_code(k->exit_status);
	pthread_join(thread, NULL);
	pthread_mutex_destroy(&k->lock);
	close(k->done_fd);
	kernel_current = NULL;
	free(k);
	return code;
}

void kernel_group_exit(struct task *t, int wait_status)
{
	struct kernel *k = t->k;

	pthread_mutex_lock(&k->lock);
	if (!k->group_exiting) {
		k->group_exiting = true;
		k->exit_status = wait_status;
	}
	pthread_mutex_unlock(&k->lock);
	t->exiting = true;
}

/* The last task of the sandbox is gone: wake the reaper. */
static void task_exit(struct task *t)
{
	struct kernel *k = t->k;

	if (moat_log_fd >= 0)
		platform_log_stats(t->ctx);
	pthread_mutex_lock(&k->lock);
	k->tasks = NULL;
	pthread_mutex_unlock(&k->lock);
	/* The sandbox ends: kill the stub first, so that nothing waits for
	 * stub threads to wind down, and let the memory file go unpunched. */
	pgalloc_set_dying();
	mm_put(t->mm);
	t->mm = NULL;
	task_free(t);
	pthread_mutex_lock(&k->lock);
	k->done = true;
	pthread_mutex_unlock(&k->lock);
	eventfd_write(k->done_fd, 1);
}

/*
 * A signal the application cannot handle yet: every fault signal's default
 * action is to terminate with a core dump (the 0x80 bit of the status).
 * TODO(signals issue): deliver to handlers, honour masks and dispositions.
 */
static void force_signal(struct task *t, int signo, int code, uint64_t addr)
{
	moat_log("task %d: signal %d (code %d, addr %#lx) at rip %#lx: terminating",
		 t->tid, signo, code, (unsigned long)addr, (unsigned long)t->regs.rip);
	kernel_group_exit(t, signo | 0x80);
}

static void handle_fault(struct task *t, const struct trap *trap)
{
	int signo = trap->signo, code = trap->si_code;

	if (trap->signo == SIGSEGV && trap->trapno == 14) {
		if (mm_handle_fault(t->mm, trap->addr, trap->access, &signo, &code) == 0)
			return;
	}
	force_signal(t, signo, code, trap->addr);
}

static void *task_main(void *arg)
{
	struct task *t = arg;
	struct trap trap;

	platform_set_current(t->ctx);
	while (!t->exiting) {
		platform_switch(t->ctx, &t->regs, &trap);
		switch (trap.kind) {
		case TRAP_SYSCALL:
			if (trap.arch != AUDIT_ARCH_X86_64) {
				/* int 0x80 and friends: no 32-bit ABI. */
				t->regs.rax = (uint64_t)-ENOSYS;
				break;
			}
			syscall_dispatch(t);
			break;
		case TRAP_FAULT:
			handle_fault(t, &trap);
			break;
		case TRAP_INTERRUPT:
			break;
		case TRAP_DEAD:
			moat_warn("the stub process of task %d died unexpectedly", t->tid);
			kernel_group_exit(t, SIGKILL);
			break;
		}
		if (__atomic_load_n(&t->k->group_exiting, __ATOMIC_ACQUIRE))
			t->exiting = true;
	}
	task_exit(t);
	return NULL;
}

void task_wake(struct task *t)
{
	__atomic_store_n(&t->wake, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &t->wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

int task_block(struct task *t, uint64_t deadline_ns)
{
	int ret = 0;

	platform_ctx_blocking(t->ctx, 1);
	for (;;) {
		if (__atomic_load_n(&t->k->group_exiting, __ATOMIC_ACQUIRE)) {
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
	platform_ctx_blocking(t->ctx, 0);
	return ret;
}
