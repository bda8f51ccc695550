/*
 * kernel.h: the kernel object, thread groups and tasks.
 *
 * The kernel owns every task (application thread) and thread group
 * (process).  Each task is served by its own sentry pthread running
 * task_run(): switch to the application until it traps, handle the trap
 * (a syscall, a fault, an interrupt), repeat until the task exits.
 *
 * Lock order, outermost first:
 *   kernel->lock (the task set, group exit)
 *   mm->lock
 *   memobj->lock, pgalloc's lock
 * A task's own fields (regs, sigmask...) belong to its task thread and need
 * no lock; fields others change are atomics.
 */
#ifndef MOAT_KERNEL_H
#define MOAT_KERNEL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "platform/platform.h"

#include "vfs/vfs.h"

struct mm;
struct fdtable;

/* The kernel ABI's struct sigaction (asm/signal.h, with SA_RESTORER). */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct k_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

#define NSIG_K 64
#define TASK_IOBUF_SIZE (64 * 1024)

struct thread_group {
	int tgid;
	int refs;
	struct k_sigaction actions[NSIG_K];   /* recorded; delivery comes later */
	struct rlimit rlimits[RLIM_NLIMITS];
	bool no_new_privs;
	int pdeathsig;
	int dumpable;
	struct path exe;          /* the executable, for /proc/pid/exe */
	uint64_t auxv[64];        /* the initial auxv, for /proc/pid/auxv */
	int auxv_len;             /* bytes */
	uint64_t start_ns;        /* CLOCK_MONOTONIC at creation */
};

struct task {
	struct kernel *k;
	struct thread_group *tg;
	int tid;
	struct stub_regs regs;
	struct mm *mm;
	struct platform_ctx *ctx;
	struct fdtable *fdt;
	struct fs_context *fs;
	struct cred cred;         /* fs uid and gid (the sandbox's root) */
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	uint64_t sigmask;
	struct k_stack altstack;
	char comm[16];
	char *iobuf;              /* bounce buffer for I/O, TASK_IOBUF_SIZE */
	pthread_t thread;
	uint32_t wake;            /* futex word for task_block */
	bool exiting;
	struct task *next;        /* in kernel->tasks */
};

struct kernel_config {
	char **argv;              /* program and arguments, as the app sees them */
	char **envp;
	const char *program;      /* a path, or a name to find in PATH (in the sandbox) */
	const char *path_env;     /* PATH for that search, or NULL */
	struct rootfs_config fs;
};

struct kernel {
	pthread_mutex_t lock;
	int done_fd;              /* eventfd: the sandbox is done */
	struct task *tasks;
	int next_tid;
	bool group_exiting;
	bool done;
	int exit_status;          /* wait(2) status of the init process */
	uint64_t boot_ns;
};

/*
 * Creates the kernel, the sandbox's file system tree and its init task
 * running cfg->program, then serves it until the sandbox ends; returns
 * moat's exit code: the program's exit status, or 128+N when signal N
 * killed it.  *load_err is set to the -errno of a failed start (then the
 * return value is the exit code moat should use: 125, 126 or 127), and
 * *what to what failed.
 */
int kernel_run(const struct kernel_config *cfg, int *load_err, const char **what);

/* The kernel (one per sentry), for procfs. */
extern struct kernel *kernel_current;

/* Ends the whole sandbox's init thread group with a wait status. */
void kernel_group_exit(struct task *t, int wait_status);

/*
 * Blocks the calling task until woken, interrupted (group exit), or the
 * absolute CLOCK_MONOTONIC deadline in ns passes (0 = none).  Returns 0,
 * -ETIMEDOUT or -EINTR.
 */
int task_block(struct task *t, uint64_t deadline_ns);

/* Wakes t from task_block (or makes its next task_block return at once). */
void task_wake(struct task *t);

#endif
