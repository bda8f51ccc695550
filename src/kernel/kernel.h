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
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

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
/* The kernel's first real-time signal: libc's SIGRTMIN is larger (glibc
 * keeps 32 and 33 for itself, musl 32-34), but to the kernel 32 and up
 * queue. */
#define SIGRTMIN_K 32
#define TASK_IOBUF_SIZE (64 * 1024)
/* Tasks' I/O buffers (util.h's block cache: one per fork otherwise). */
extern struct block_cache task_iobufs;

/* Signal dispositions, shared by CLONE_SIGHAND (k->lock). */
struct sighand {
	int refs;
	struct k_sigaction actions[NSIG_K];
	struct waitq signalfd_wq;     /* signalfd readers: a signal was queued */
};

/* Queued signals: standard ones coalesce, real-time ones queue in order. */
struct sigq_entry {
	struct sigq_entry *next;
	siginfo_t info;
};

struct sigpending {
	uint64_t set;             /* bit sig-1: at least one queued */
	struct sigq_entry *head, **tail;
};

/* A task's IDs and capabilities (its fs IDs and groups are in task->cred). */
struct creds {
	uint32_t ruid, euid, suid, rgid, egid, sgid;
	uint64_t cap_eff, cap_prm, cap_inh, cap_bnd;
	bool keep_caps;
};

/*
 * A timer that raises a signal or calls fn (timer.c); k->lock.  Its clock
 * is CLOCK_MONOTONIC (other wall clocks are converted when armed), or,
 * when cpu is set, the CPU time of a process (cpu_tg) or of a thread
 * (cpu_task): deadline and interval then count that clock's ns.
 */
struct ktimer {
	struct ktimer *next;      /* in the armed list (CLOCK_MONOTONIC) */
	struct ktimer *tg_next;   /* in tg->timers (POSIX timers) */
	struct thread_group *tg;  /* the owner, which gets the signal */
	int id;                   /* POSIX timer ID, or -1 (itimers, internal) */
	clockid_t clock;          /* as timer_create named it */
	uint64_t deadline;        /* on the timer's clock, in ns; 0: disarmed */
	uint64_t interval;        /* ns; 0: one-shot */
	int notify;               /* SIGEV_SIGNAL, SIGEV_NONE, | SIGEV_THREAD_ID */
	int signo;
	int target_tid;
	union sigval value;
	bool sig_queued;          /* its signal waits in a queue */
	void (*fn)(struct ktimer *tm);  /* instead of a signal */
	bool lazy;                /* may go off late: the kernel thread's idle
				   * loop runs it while there is no timer
				   * thread (timers_lazy_wait_ms) */
	uint64_t fired;           /* for fn: expirations this time (missed too) */
	int overrun, overrun_last;
	/* CPU-time clocks (timer_attach_cpu_clock): both owners become NULL
	 * when the one whose clock it is goes away. */
	bool cpu;                 /* on timer.c's list of CPU-clock timers */
	struct thread_group *cpu_tg;
	struct task *cpu_task;
	struct ktimer *cpu_next;  /* in that list */
};

/* Job-control state of a thread group. */
enum { TG_RUNNING = 0, TG_STOPPED };

/*
 * A process.  Its identity (tgid), tree links and wait status live here
 * and outlive its threads: after the last thread exits the group is a
 * zombie until its parent reaps it.  All fields but the ones marked
 * otherwise belong to k->lock.
 */
struct thread_group {
	struct kernel *k;
	int tgid;
	int pgid, sid;
	struct thread_group *parent;       /* set with tg_set_parent */
	int ppid;                 /* parent's tgid, 0 without: getppid's, lock-free */
	struct thread_group *children;     /* linked through sibling */
	struct thread_group *sibling;
	struct thread_group *next;         /* in k->groups */
	struct task *tasks;                /* live threads, through tg_next */
	int nr_threads;
	int live;                 /* threads not yet in task_exit */
	int exit_signal;          /* sent to the parent at exit (SIGCHLD) */
	bool zombie;              /* every thread gone; waits for its parent */
	bool group_exit;          /* exit_group or a fatal signal: all exit */
	int exit_status;          /* wait(2) status, once group_exit or zombie */
	int stop_state;           /* TG_RUNNING or TG_STOPPED */
	int stop_sig;
	int wait_report;          /* CLD_STOPPED or CLD_CONTINUED for wait, or 0 */
	bool did_exec;
	bool subreaper;
	int nice;
	uint64_t cpu_ns;          /* the application's CPU time, at exit */
	uint64_t cpu_exec_ns;     /* CPU time of the images before execve */
	char comm[16];            /* the last thread's, for a zombie's /proc */
	struct creds exit_ids;    /* likewise */
	int pidfd_refs;           /* pidfds keep a reaped group's memory */
	bool reaped;              /* out of the tree, kept for pidfds */
	struct waitq exit_wq;     /* pidfd pollers: notified at exit */
	struct task *exec_task;   /* execve in progress: other threads exit */
	struct sigpending shared;  /* process-directed signals */
	struct waitq child_wq;     /* waiters in wait4/waitid */
	uint64_t children_utime_ns;
	struct ktimer itimer_real;  /* setitimer(ITIMER_REAL), alarm */
	struct ktimer *timers;      /* timer_create's */
	struct ktimer cpu_timer;    /* RLIMIT_CPU, on the process's CPU clock */
	struct ktimer itimer_cpu[2];  /* ITIMER_VIRTUAL, ITIMER_PROF: likewise */
	uint64_t xcpu_next_ns;      /* CPU time of the next SIGXCPU */
	int next_timer_id;

	/* The process's own (changed by its threads, read by procfs). */
	struct rlimit rlimits[RLIM_NLIMITS];
	bool no_new_privs;
	int pdeathsig;
	int dumpable;
	struct path exe;          /* the executable, for /proc/pid/exe */
	uint64_t auxv[64];        /* the initial auxv, for /proc/pid/auxv */
	int auxv_len;             /* bytes */
	uint64_t start_ns;        /* CLOCK_MONOTONIC at creation */
};

/* Restart of an interrupted sleep by restart_syscall(2). */
struct restart_block {
	long (*fn)(struct task *t);
	uint64_t deadline_ns;     /* CLOCK_MONOTONIC */
	uint64_t rem_addr;
	clockid_t clock;
};

/* struct task's premap: what its first resume maps ahead of faults. */
enum { PREMAP_NONE, PREMAP_FORK, PREMAP_IMAGE };

struct task {
	struct kernel *k;
	struct thread_group *tg;
	struct sighand *sighand;
	int tid;
	struct stub_regs regs;
	struct mm *mm;
	struct platform_ctx *ctx;
	/* sched_setaffinity: the CPUs this thread may run on (k->lock); its
	 * own task thread applies it to its stub thread when it changed. */
	cpu_set_t affinity;
	bool has_affinity;        /* else moat's own CPUs */
	bool affinity_dirty;      /* atomic: to be applied */
	struct fdtable *fdt;
	struct fs_context *fs;
	struct cred cred;         /* fs uid and gid, groups */
	struct creds ids;
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	uint64_t sigmask;         /* k->lock for writers other than the task */
	uint64_t saved_sigmask;   /* restored after sigsuspend's handler */
	uint64_t real_blocked;    /* the mask sigtimedwait lifted (k->lock) */
	bool restore_sigmask;
	bool syscall_patched;     /* the current syscall came from a patched site */
	bool io_nonblock;         /* splice(SPLICE_F_NONBLOCK): pipe and socket
				   * reads and writes of this call do not block */
	struct sigpending pending; /* thread-directed signals (k->lock) */
	uint32_t sig_flag;        /* atomic: a signal or a kill may need action */
	uint32_t in_app;          /* atomic: running application code */
	uint32_t sleeping;        /* atomic: blocked in the sentry (procfs) */
	struct k_stack altstack;
	struct restart_block restart;
	uint64_t fault_trapno, fault_err;  /* of the last fault, for its frame */
	struct seccomp_filter *seccomp;    /* the application's filters */
	int seccomp_mode;                  /* SECCOMP_MODE_* */
	char comm[16];
	char *iobuf;              /* bounce buffer for I/O, TASK_IOBUF_SIZE */
	uint32_t wake;            /* futex word for task_block */
	bool exiting;             /* leaves the run loop */
	uint8_t premap;           /* PREMAP_*: map its pages before it runs */
	int exit_code;            /* wait status of this thread's exit */
	uint32_t *vfork_done;     /* futex word set when the vfork child
				   * execs or exits (the parent waits on it) */
	struct task *next;        /* in kernel->tasks */
	struct task *tg_next;     /* in tg->tasks */
};

struct kernel_config {
	char **argv;              /* program and arguments, as the app sees them */
	char **envp;
	const char *program;      /* a path, or a name to find in PATH (in the sandbox) */
	const char *path_env;     /* PATH for that search, or NULL */
	struct rootfs_config fs;
};

struct as_request;

struct kernel {
	pthread_mutex_t lock;
	int wake_fd;              /* eventfd: the kernel thread has work */
	struct task *tasks;       /* every live task */
	struct thread_group *groups;  /* every process, zombies too */
	struct thread_group *init;
	int last_pid;
	int nr_tasks;
	struct as_request *as_requests;  /* for the kernel thread (lock) */
	struct platform_as *spare_as;    /* forked ahead by the kernel thread */
	bool made_as;                    /* a task asked for an address space */
	struct mm *old_mms;              /* for the kernel thread to put (lock) */
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
/* The task the calling sentry thread serves (NULL on other threads). */
extern __thread struct task *current_task;

/* Event files (fs/eventfd.c). */
struct file *eventfd_new(uint64_t initval, bool semaphore, int flags);
struct file *timerfd_new(clockid_t clock, int flags);
struct timerfd_state;
struct timerfd_state *timerfd_of(struct file *f);
/* k->lock held: */
void timerfd_set(struct timerfd_state *s, uint64_t deadline, uint64_t interval,
		 uint64_t *old_left, uint64_t *old_interval);
void timerfd_get(struct timerfd_state *s, uint64_t *left, uint64_t *interval);
clockid_t timerfd_clock(struct timerfd_state *s);
struct file *signalfd_new(uint64_t mask, int flags);
/* Changes a signalfd's mask; false if f is no signalfd. */
bool signalfd_set_mask(struct file *f, uint64_t mask);

/*
 * Processes (process.c).  Unless noted, callers hold no lock.
 */
/* Ends t's whole thread group with a wait status (exit_group, fatal
 * signals). */
void kernel_group_exit(struct task *t, int wait_status);
/* Creates a stub address space on the kernel thread (see kernel.c). */
struct platform_as *kernel_new_as(struct kernel *k);
/* Drops a reference to an exec's old address space: the last one on the
 * kernel thread. */
void kernel_put_mm_later(struct kernel *k, struct mm *mm);
/* Puts the queued ones (the kernel thread, and the end of the sandbox). */
void kernel_put_old_mms(struct kernel *k);
/* The CPU time t's process has used (stub CPU clocks), in ns. */
uint64_t task_cpu_ns(struct task *t);
/* The same for any process, a zombie too (its total); k->lock held. */
uint64_t tg_cpu_ns(struct thread_group *tg);
/* Starts a new task's sentry thread. */
int task_start(struct task *t);
/* Lookups; k->lock held. */
struct task *task_by_tid(struct kernel *k, int tid);
struct thread_group *tg_by_pid(struct kernel *k, int pid);
/* Removes and frees a reaped zombie (kept while pidfds refer to it);
 * k->lock held. */
void tg_release(struct thread_group *tg);
/* tg's executable, referenced (empty for a zombie); takes vfs_lock, then
 * k->lock: neither may be held. */
struct path tg_exe(struct thread_group *tg);
/* Makes p (referenced anew) tg's executable; the same locking. */
void tg_set_exe(struct thread_group *tg, const struct path *p);
/* Drops a pidfd's reference; k->lock held. */
void tg_put(struct thread_group *tg);
/* pidfds (sys_pidfd.c): a new one for tg (k->lock held), or the group
 * a file refers to (NULL if it is not a pidfd). */
struct file *pidfd_file(struct thread_group *tg, int flags);
struct thread_group *pidfd_group(struct file *f);
/* A fresh thread group (refs: none; linked by the caller). */
struct thread_group *thread_group_new(struct kernel *k, int tgid);
/* Makes parent (or none) tg's parent; k->lock held. */
static inline void tg_set_parent(struct thread_group *tg, struct thread_group *parent)
{
	tg->parent = parent;
	__atomic_store_n(&tg->ppid, parent ? parent->tgid : 0, __ATOMIC_RELAXED);
}
/* Allocates a free PID; k->lock held.  -EAGAIN when none is left. */
int pid_alloc(struct kernel *k);
/* The task's exit path: everything after it leaves the run loop. */
/* Ends moat with the sandbox's exit status (its last task has exited). */
void kernel_exit(struct kernel *k) __attribute__((noreturn));
/* Ends t; when it was the sandbox's last task, ends moat (kernel_exit). */
void task_exit(struct task *t);
/* t lets go of mm (exit, execve): CLONE_CHILD_CLEARTID and a waiting
 * vfork parent are told. */
void task_release_mm(struct task *t, struct mm *mm);
struct sighand *sighand_new(void);
void sighand_put(struct sighand *sh);
/* Futexes (futex.c): a wake for CLONE_CHILD_CLEARTID, robust lists. */
void futex_wake_addr(struct mm *mm, uint64_t addr, int n);
void robust_list_exit(struct task *t);
void futex_owner_died(struct task *t, uint64_t uaddr);
/* Timers (timer.c); k->lock held unless noted. */
/* Arms tm to go off at deadline on its clock (0 disarms), then every
 * interval ns. */
void timer_arm(struct ktimer *tm, uint64_t deadline, uint64_t interval);
/* Until a timer that is not lazy starts the timer thread, the main
 * thread's idle loop runs the lazy ones (the clock's updates): it waits at
 * most timers_lazy_wait_ms (-1: no limit), then calls timers_run_lazy. */
int timers_lazy_wait_ms(void);
void timers_run_lazy(void);
/* The time left on an armed timer: at least 1 ns until it has fired,
 * except that an expired one-shot SIGEV_NONE timer says 0, as a disarmed
 * one does. */
uint64_t timer_remaining(const struct ktimer *tm);
/*
 * Puts tm on the CPU clock of process tg, or of thread task (tg NULL):
 * from now on it is polled with the other CPU-clock timers.  It stays
 * there until timer_release, also after the clock's owner is gone.
 */
void timer_attach_cpu_clock(struct ktimer *tm, struct thread_group *tg, struct task *task);
/* Reads tm's clock (CLOCK_MONOTONIC or its CPU clock): false when its
 * CPU clock is gone. */
bool timer_clock_now(const struct ktimer *tm, uint64_t *now);
/*
 * timer_settime and setitimer (Linux: common_timer_set,
 * posix_cpu_timer_set): the old setting into *old_value and *old_interval,
 * then arms tm at value ns on its clock, relative or absolute (abs; a
 * wall clock's absolute value is converted), re-arming every interval; a
 * value of 0 disarms.  An absolute CPU-clock deadline already passed
 * fires at once.  0, or -ESRCH when tm's CPU clock is gone.
 */
int timer_set(struct ktimer *tm, uint64_t value, bool abs, uint64_t interval,
	      uint64_t *old_value, uint64_t *old_interval);
/* Disarms tm and takes it off the CPU-clock list, before it is freed. */
void timer_release(struct ktimer *tm);
/*
 * A thread (task) or a process (tg, once reaped) goes away: the timers on
 * its CPU clock are disarmed and lose it (Linux: posix_cpu_timers_exit,
 * posix_cpu_timers_exit_group).
 */
void cpu_clock_gone(struct thread_group *tg, struct task *task);
/* A timer's signal left its queue: report and reset the overrun. */
void timer_dequeued(struct thread_group *tg, siginfo_t *info);
/* Deletes the POSIX timers and (unless keep_itimer) disarms the rest. */
void timers_exit(struct thread_group *tg, bool keep_itimer);
/* Starts or stops RLIMIT_CPU enforcement for tg. */
void rlimit_cpu_arm(struct thread_group *tg);

/*
 * The sandbox's wall and monotonic clocks (clock.c), the ones the vDSO
 * reads from its parameter page.  clock_init sets the page up before any
 * address space exists; clock_start calibrates it and makes it usable, on
 * the kernel thread as it starts (no lock held).  clock_ns answers CLOCK_REALTIME,
 * MONOTONIC, MONOTONIC_RAW, the _COARSE and _ALARM ids, BOOTTIME and TAI.
 */
struct memobj;
int clock_init(void);
void clock_start(struct kernel *k);
int64_t clock_ns(clockid_t id);
void clock_ts(clockid_t id, struct timespec *ts);
/* The parameter page's memory object (mapped as [vvar]). */
struct memobj *clock_vvar(void);
/* The sandbox's CLOCK_MONOTONIC in ns: every sentry deadline uses it. */
uint64_t moat_now_ns(void);

/*
 * Syscall-site patching (usertrap.c).  usertrap_maybe_patch looks at the
 * site of the syscall t trapped with through SIGSYS and patches it when it
 * can (setting t->syscall_patched); usertrap_restart makes a syscall from a patched site run again
 * (what stepping back over the syscall instruction does for the others).
 */
extern bool usertrap_enabled;
void usertrap_maybe_patch(struct task *t);
void usertrap_restart(struct task *t);
/* A SIGILL at addr: if addr is inside a site patched meanwhile, sends t
 * back to the site's start and returns true. */
bool usertrap_fixup(struct task *t, uint64_t addr);

/* The application's seccomp filters (seccomp.c). */
struct seccomp_filter;
void seccomp_get(struct seccomp_filter *f);
void seccomp_put(struct seccomp_filter *f);
int seccomp_count(const struct seccomp_filter *f);
long do_seccomp(struct task *t, unsigned op, unsigned flags, uint64_t uargs);
/* Whether syscall nr may run; if not, *ret is its result. */
bool seccomp_check(struct task *t, int nr, const uint64_t a[6], long *ret);

/* Credentials (sys_cred.c): root with every capability, for init. */
void creds_init_root(struct task *t);
/* The child's copy of t's credentials; 0 or -ENOMEM. */
int creds_copy(struct task *child, const struct task *t);
void creds_free(struct task *t);
/* execve's capability recomputation. */
void creds_exec(struct task *t);
/* Whether t has capability cap in the sandbox's user namespace. */
bool capable(const struct task *t, int cap);
/* The credentials of a process (its first thread's, or a zombie's). */
const struct creds *tg_creds(const struct thread_group *tg);
/* Linux's check_prlimit_permission / ptrace_may_access(REALCREDS):
 * all of the target's UIDs and GIDs are the caller's real ones, or the
 * caller has cap.  k->lock held. */
bool same_ids_or_capable(const struct task *t, const struct thread_group *tg, int cap);
/* The sentry thread's main loop. */

/*
 * Signals (signal.c).  Linux: kernel/signal.c, arch/x86/kernel/signal.c.
 */
#define SIGBIT(s) (1ULL << ((s) - 1))
#define SIG_UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
/* Restart codes a syscall returns when a signal interrupts it; they never
 * reach the application (include/linux/errno.h). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* Sends sig to a thread (t) or a process (tg, t NULL); k->lock held.
 * info may be NULL for a kernel-sent SI_KERNEL signal. */
int send_signal_locked(struct thread_group *tg, struct task *t, int sig,
		       const siginfo_t *info);
/* A fault the application caused (SIGSEGV...): delivered even if blocked
 * or ignored, which then kills as Linux does. */
void force_signal(struct task *t, int sig, int code, uint64_t addr);
/* The same for a hardware fault: its trap number and error code go into
 * the handler's sigcontext. */
void force_fault(struct task *t, int sig, int code, uint64_t addr, uint64_t trapno,
		 uint64_t err);
/* Delivers pending signals before t returns to the application; after a
 * syscall, applies the restart rules to its result. */
void signals_deliver(struct task *t, bool after_syscall);
/* Whether t has a signal it must act on (interrupts task_block). */
bool signal_pending(struct task *t);
/* Recomputes t->sig_flag after mask changes; k->lock held. */
void recalc_sigpending(struct task *t);
/* Wakes t to look at its signals (interrupts it in application code). */
void signal_wake(struct task *t);
void sigpending_flush(struct sigpending *p, uint64_t mask);
void sigpending_init(struct sigpending *p);
/* rt_sigreturn. */
long signal_return(struct task *t);
/* Pending signals (task and process) t could dequeue; k->lock held. */
uint64_t signals_pending_set(struct task *t);
/* Dequeues one of `mask` for sigtimedwait; 0 when none.  k->lock held. */
int signal_dequeue(struct task *t, uint64_t mask, siginfo_t *info);
/* SIGPIPE to t for a write to a pipe or socket nobody reads. */
void send_sigpipe(struct task *t);
/* ppoll, pselect6 and epoll_pwait's mask for the wait: in force until
 * sigmask_wait_done, or until a handler runs (0 or -errno). */
long sigmask_for_wait(struct task *t, uint64_t umask, uint64_t size);
void sigmask_wait_done(struct task *t, long ret);
/* Whether a process group is orphaned; k->lock held. */
bool pgrp_orphaned(struct kernel *k, int pgid);
/* SIGCHLD to the parent about a stop/continue/exit; k->lock held. */
void notify_parent(struct thread_group *tg, int why, int status);

/*
 * Blocks the calling task until woken, interrupted (a signal to act on,
 * or group exit), or the
 * absolute CLOCK_MONOTONIC deadline in ns passes (0 = none).  Returns 0,
 * -ETIMEDOUT or -EINTR.
 */
int task_block(struct task *t, uint64_t deadline_ns);

/*
 * poll/epoll's sleep: task_block until the deadline (0: none), waking
 * every 10 ms when rescan (files without wait queues are being watched).
 * Returns -EINTR, -ETIMEDOUT once the deadline passed, or 0: look again.
 */
int task_wait_ready(struct task *t, uint64_t deadline_ns, bool rescan);

/* Wakes t from task_block (or makes its next task_block return at once). */
void task_wake(struct task *t);
/* Applies t's CPU affinity to its stub thread if it changed (t's own
 * thread only). */
void task_apply_affinity(struct task *t);

/* A waiter's callback that wakes the task in w->arg. */
void task_waiter_wake(struct waiter *w, unsigned events);
/*
 * Waits on q for events with lock held (dropped while asleep, taken again
 * after): task_block's result, 0, -EINTR or -ETIMEDOUT.
 */
int task_wait_queue(struct task *t, struct waitq *q, pthread_mutex_t *lock, unsigned events,
		    uint64_t deadline_ns);
/* Frees a task that has left every list (kernel.c). */
void task_free(struct task *t);

#endif
