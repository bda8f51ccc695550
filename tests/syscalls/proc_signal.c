/*
 * proc_signal.c - signal delivery.
 *
 *   - sigaction handlers run for raise/kill/tgkill/sigqueue with the right
 *     siginfo (si_code SI_TKILL, SI_USER, SI_QUEUE; si_pid, si_uid) and a
 *     ucontext;
 *   - blocking, sigpending, the mask inside a handler (the signal itself
 *     plus sa_mask; SA_NODEFER; SA_RESETHAND), ignored signals (discarded
 *     at generation, or at delivery if they were blocked, or by a later
 *     SIG_IGN), coalescing of standard signals (per queue: the thread's
 *     own and the process-wide one), queueing and ordering of real-time
 *     signals, nested handler frames;
 *   - sigsuspend, pause, sigwaitinfo, sigtimedwait (raw: glibc rewrites
 *     si_code SI_TKILL to SI_USER);
 *   - sigaltstack: SA_ONSTACK, SS_ONSTACK, EPERM while on it, nesting,
 *     SS_AUTODISARM, argument errors;
 *   - register state: general-purpose, xmm, MXCSR and the x87 control word
 *     survive a handler that clobbers them (synchronously at a syscall, and
 *     asynchronously in the middle of a loop); the handler starts with the
 *     default FPU control state; a handler can change the resumed registers
 *     through the ucontext;
 *   - SIGSEGV (si_addr, SEGV_MAPERR/SEGV_ACCERR, SI_KERNEL for a
 *     non-canonical address, trapno) and SIGFPE (FPE_INTDIV), recovered
 *     with siglongjmp;
 *   - EINTR versus SA_RESTART for a blocking pipe read, EINTR from nanosleep;
 *   - kill/tgkill/sigaction/sigprocmask argument errors, SIGKILL/SIGSTOP;
 *   - process-directed signals go to a thread that does not block them,
 *     thread-directed ones stay pending on their thread;
 *   - fork (pending signals not inherited, mask inherited), SIGCHLD
 *     siginfo, and children killed by signals.
 *
 * Signals sent "later" come from a helper thread (pester) that repeats them
 * until told to stop, so nothing depends on which side of a blocking call
 * the first one lands.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#define BIT(sig) (1ULL << ((sig) - 1))

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Thread-directed signal to the calling thread, delivered before return. */
static long self_signal(int sig)
{
	return syscall(SYS_tgkill, getpid(), my_tid(), sig);
}

/* The calling thread's signal mask, straight from the kernel. */
static uint64_t cur_mask(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
	return m;
}

static uint64_t pending_mask(void)
{
	uint64_t m = 0;

	syscall(SYS_rt_sigpending, &m, 8);
	return m;
}

static void mask_sigs(int how, int a, int b)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	CHECK_OK(sigprocmask(how, &s, NULL));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spin with 1 ms naps until *p >= want; gives up after ~2 s. */
static int wait_for(volatile int *p, int want)
{
	for (int i = 0; i < 2000 && *p < want; i++)
		sleep_ms(1);
	return *p >= want;
}

/* ------------------------------------------------------ recording handler */

/*
 * Everything a handler writes is volatile: GCC otherwise assumes that the
 * libc calls that make the signal arrive cannot modify these variables.
 */
struct rec {
	int signo, code, value, has_ctx, ss_flags;
	pid_t pid, tid;
	uid_t uid;
	uint64_t mask;
	uintptr_t sp;
};

#define MAXREC 32
static volatile struct rec recs[MAXREC];
static volatile int nrec;

static void h_rec(int sig, siginfo_t *si, void *uc)
{
	int n = nrec, e = errno;
	char local;
	stack_t ss;

	if (n < MAXREC) {
		volatile struct rec *r = &recs[n];

		r->signo = sig;
		r->code = si->si_code;
		r->pid = si->si_pid;
		r->uid = si->si_uid;
		r->value = si->si_value.sival_int;
		r->has_ctx = uc != NULL;
		r->tid = my_tid();
		r->mask = cur_mask();
		r->sp = (uintptr_t)&local;
		r->ss_flags = sigaltstack(NULL, &ss) == 0 ? ss.ss_flags : -1;
	}
	nrec = n + 1;
	errno = e;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
		    uint64_t mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	for (int s = 1; s <= 64; s++)
		if (mask & BIT(s))
			sigaddset(&sa.sa_mask, s);
	CHECK_OK(sigaction(sig, &sa, NULL));
}

static void set_handler(int sig, void (*h)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(sig, &sa, NULL));
}

/* ------------------------------------------------------ pester thread */

struct pester {
	pid_t tid;		/* target thread */
	int sig, interval_ms, max;
	volatile int stop, sent;
	pthread_t th;
};

static void *pester_fn(void *arg)
{
	struct pester *p = arg;

	while (!p->stop && p->sent < p->max) {
		sleep_ms(p->interval_ms);
		if (p->stop)
			break;
		syscall(SYS_tgkill, getpid(), p->tid, p->sig);
		p->sent++;
	}
	return NULL;
}

static void pester_start(struct pester *p, int sig, int interval_ms, int max)
{
	p->tid = my_tid();
	p->sig = sig;
	p->interval_ms = interval_ms;
	p->max = max;
	p->stop = 0;
	p->sent = 0;
	CHECK_EQ(pthread_create(&p->th, NULL, pester_fn, p), 0);
}

static void pester_stop(struct pester *p)
{
	p->stop = 1;
	CHECK_EQ(pthread_join(p->th, NULL), 0);
}

/* ------------------------------------------------------ basic delivery */

static void test_delivery(void)
{
	pid_t pid = getpid(), tid = my_tid();
	uint64_t before = cur_mask();

	install(SIGUSR1, h_rec, 0, 0);
	nrec = 0;

	CHECK_OK(raise(SIGUSR1));
	CHECK_OK(kill(pid, SIGUSR1));
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_OK(sigqueue(pid, SIGUSR1, (union sigval){ .sival_int = 77 }));
	if (!CHECK_EQ(nrec, 4))
		return;
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(recs[i].signo, SIGUSR1);
		CHECK_EQ(recs[i].pid, pid);
		CHECK_EQ(recs[i].uid, getuid());
		CHECK_EQ(recs[i].tid, tid);
		CHECK(recs[i].has_ctx);
		CHECK_EQ(recs[i].mask, before | BIT(SIGUSR1));
	}
	CHECK_EQ(recs[0].code, SI_TKILL);	/* glibc raise = tgkill */
	CHECK_EQ(recs[1].code, SI_USER);
	CHECK_EQ(recs[2].code, SI_TKILL);
	CHECK_EQ(recs[3].code, SI_QUEUE);
	CHECK_EQ(recs[3].value, 77);
	CHECK_EQ(cur_mask(), before);
	set_handler(SIGUSR1, SIG_DFL);
}

static void test_pending(void)
{
	uint64_t before = cur_mask();

	install(SIGUSR1, h_rec, 0, 0);
	nrec = 0;
	mask_sigs(SIG_BLOCK, SIGUSR1, 0);
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(nrec, 0);
	CHECK_EQ(pending_mask(), BIT(SIGUSR1));
	{
		sigset_t p;

		CHECK_OK(sigpending(&p));
		CHECK_EQ(sigismember(&p, SIGUSR1), 1);
		CHECK_EQ(sigismember(&p, SIGUSR2), 0);
	}
	/* Delivered as the unblocking call returns. */
	mask_sigs(SIG_UNBLOCK, SIGUSR1, 0);
	CHECK_EQ(nrec, 1);
	CHECK_EQ(recs[0].code, SI_TKILL);
	CHECK_EQ(pending_mask(), 0);
	CHECK_EQ(cur_mask(), before);
	set_handler(SIGUSR1, SIG_DFL);
}

/* ---------------------------------------------- masks inside handlers */

static volatile int depth, max_depth, entries;

static void h_nest(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (entries++ == 0)
		self_signal(sig);
	depth--;
}

static void test_handler_mask(void)
{
	uint64_t before;

	/* Start from a non-empty mask that must be kept. */
	mask_sigs(SIG_BLOCK, SIGWINCH, 0);
	before = cur_mask();
	CHECK(before & BIT(SIGWINCH));

	install(SIGUSR1, h_rec, 0, BIT(SIGUSR2) | BIT(SIGHUP));
	nrec = 0;
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(nrec, 1);
	CHECK_EQ(recs[0].mask,
		 before | BIT(SIGUSR1) | BIT(SIGUSR2) | BIT(SIGHUP));
	CHECK_EQ(cur_mask(), before);

	/* SA_NODEFER: the signal itself stays unblocked (sa_mask applies). */
	install(SIGUSR1, h_rec, SA_NODEFER, BIT(SIGUSR2));
	nrec = 0;
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(nrec, 1);
	CHECK_EQ(recs[0].mask, before | BIT(SIGUSR2));
	CHECK_EQ(cur_mask(), before);

	/* A handler re-raising its signal: nested with SA_NODEFER... */
	install(SIGUSR1, h_nest, SA_NODEFER, 0);
	depth = max_depth = entries = 0;
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(entries, 2);
	CHECK_EQ(max_depth, 2);
	/* ...and one after the other without it. */
	install(SIGUSR1, h_nest, 0, 0);
	depth = max_depth = entries = 0;
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(entries, 2);
	CHECK_EQ(max_depth, 1);
	CHECK_EQ(cur_mask(), before);

	/*
	 * SA_RESETHAND: one delivery, then SIG_DFL. On Linux it does not imply
	 * SA_NODEFER: the signal is blocked inside the handler. SIGURG's
	 * default action is to ignore it, so a second one is harmless.
	 */
	install(SIGURG, h_rec, SA_RESETHAND, 0);
	nrec = 0;
	CHECK_OK(self_signal(SIGURG));
	CHECK_EQ(nrec, 1);
	CHECK_EQ(recs[0].mask, before | BIT(SIGURG));
	{
		struct sigaction old;

		CHECK_OK(sigaction(SIGURG, NULL, &old));
		CHECK(old.sa_handler == SIG_DFL);
	}
	CHECK_OK(self_signal(SIGURG));
	CHECK_EQ(nrec, 1);
	CHECK_EQ(pending_mask(), 0);

	mask_sigs(SIG_UNBLOCK, SIGWINCH, 0);
	set_handler(SIGUSR1, SIG_DFL);
}

/* -------------------------------------------------- ignored signals */

static void test_ignored(void)
{
	/* Ignored and unblocked: discarded when sent. */
	set_handler(SIGUSR2, SIG_IGN);
	nrec = 0;
	CHECK_OK(self_signal(SIGUSR2));
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_EQ(pending_mask(), 0);
	install(SIGUSR2, h_rec, 0, 0);
	CHECK_EQ(nrec, 0);

	/*
	 * Ignored but blocked: Linux queues it (the action might change
	 * before it is unblocked) and discards it at delivery time.
	 */
	set_handler(SIGUSR2, SIG_IGN);
	mask_sigs(SIG_BLOCK, SIGUSR2, 0);
	CHECK_OK(self_signal(SIGUSR2));
	CHECK_EQ(pending_mask(), BIT(SIGUSR2));
	mask_sigs(SIG_UNBLOCK, SIGUSR2, 0);
	CHECK_EQ(pending_mask(), 0);
	install(SIGUSR2, h_rec, 0, 0);
	CHECK_EQ(nrec, 0);

	/* ...so if a handler is installed meanwhile, it runs. */
	set_handler(SIGUSR2, SIG_IGN);
	mask_sigs(SIG_BLOCK, SIGUSR2, 0);
	CHECK_OK(self_signal(SIGUSR2));
	install(SIGUSR2, h_rec, 0, 0);
	CHECK_EQ(pending_mask(), BIT(SIGUSR2));
	mask_sigs(SIG_UNBLOCK, SIGUSR2, 0);
	CHECK_EQ(nrec, 1);

	/* Setting SIG_IGN discards a pending (blocked) signal. */
	nrec = 0;
	mask_sigs(SIG_BLOCK, SIGUSR2, 0);
	CHECK_OK(self_signal(SIGUSR2));
	CHECK_EQ(pending_mask(), BIT(SIGUSR2));
	set_handler(SIGUSR2, SIG_IGN);
	CHECK_EQ(pending_mask(), 0);
	install(SIGUSR2, h_rec, 0, 0);
	mask_sigs(SIG_UNBLOCK, SIGUSR2, 0);
	CHECK_EQ(nrec, 0);

	/* So does SIG_DFL for a signal whose default action is ignore. */
	install(SIGWINCH, h_rec, 0, 0);
	mask_sigs(SIG_BLOCK, SIGWINCH, 0);
	CHECK_OK(self_signal(SIGWINCH));
	CHECK_EQ(pending_mask(), BIT(SIGWINCH));
	set_handler(SIGWINCH, SIG_DFL);
	CHECK_EQ(pending_mask(), 0);
	install(SIGWINCH, h_rec, 0, 0);
	mask_sigs(SIG_UNBLOCK, SIGWINCH, 0);
	CHECK_EQ(nrec, 0);

	/* A default-ignored signal with SIG_DFL, unblocked: nothing. */
	set_handler(SIGWINCH, SIG_DFL);
	CHECK_OK(self_signal(SIGWINCH));
	CHECK_OK(self_signal(SIGCHLD));
	CHECK_OK(self_signal(SIGURG));
	CHECK_EQ(pending_mask(), 0);
	set_handler(SIGUSR2, SIG_DFL);
}

/* --------------------------------------------- coalescing and queueing */

static void test_queueing(void)
{
	const int r1 = SIGRTMIN + 1, r2 = SIGRTMIN + 2, r3 = SIGRTMIN + 3;
	const uint64_t all = BIT(SIGUSR2) | BIT(r1) | BIT(r2) | BIT(r3);

	/* Standard signals coalesce. */
	install(SIGUSR1, h_rec, 0, 0);
	nrec = 0;
	mask_sigs(SIG_BLOCK, SIGUSR1, 0);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(kill(getpid(), SIGUSR1));
	mask_sigs(SIG_UNBLOCK, SIGUSR1, 0);
	CHECK_EQ(nrec, 1);
	nrec = 0;
	mask_sigs(SIG_BLOCK, SIGUSR1, 0);
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_OK(raise(SIGUSR1));
	mask_sigs(SIG_UNBLOCK, SIGUSR1, 0);
	CHECK_EQ(nrec, 1);
	/*
	 * ...within one queue: the process-wide queue (kill) and the
	 * thread's own queue (tgkill) each hold one.
	 */
	nrec = 0;
	mask_sigs(SIG_BLOCK, SIGUSR1, 0);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(self_signal(SIGUSR1));
	mask_sigs(SIG_UNBLOCK, SIGUSR1, 0);
	if (CHECK_EQ(nrec, 2)) {
		CHECK_EQ(recs[0].code, SI_TKILL);	/* own queue first */
		CHECK_EQ(recs[1].code, SI_USER);
	}

	/* Real-time signals queue, in order, with their values. */
	install(SIGRTMIN, h_rec, 0, 0);
	nrec = 0;
	mask_sigs(SIG_BLOCK, SIGRTMIN, 0);
	for (int v = 1; v <= 3; v++)
		CHECK_OK(sigqueue(getpid(), SIGRTMIN,
				  (union sigval){ .sival_int = v }));
	CHECK_EQ(pending_mask(), BIT(SIGRTMIN));
	CHECK_EQ(nrec, 0);
	mask_sigs(SIG_UNBLOCK, SIGRTMIN, 0);
	if (CHECK_EQ(nrec, 3)) {
		for (int i = 0; i < 3; i++) {
			CHECK_EQ(recs[i].signo, SIGRTMIN);
			CHECK_EQ(recs[i].code, SI_QUEUE);
			CHECK_EQ(recs[i].value, i + 1);
			CHECK_EQ(recs[i].pid, getpid());
		}
	}
	CHECK_EQ(pending_mask(), 0);

	/*
	 * Several pending signals unblocked at once, handlers blocking each
	 * other through sa_mask: delivered lowest number first.
	 */
	install(SIGUSR2, h_rec, 0, all);
	install(r1, h_rec, 0, all);
	install(r2, h_rec, 0, all);
	install(r3, h_rec, 0, all);
	nrec = 0;
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8));
	CHECK_OK(self_signal(r3));
	CHECK_OK(self_signal(r1));
	CHECK_OK(self_signal(SIGUSR2));
	CHECK_OK(self_signal(r2));
	CHECK_EQ(pending_mask(), all);
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &all, NULL, 8));
	if (CHECK_EQ(nrec, 4)) {
		CHECK_EQ(recs[0].signo, SIGUSR2);
		CHECK_EQ(recs[1].signo, r1);
		CHECK_EQ(recs[2].signo, r2);
		CHECK_EQ(recs[3].signo, r3);
	}

	/*
	 * Without the mutual blocking, all four frames are set up before any
	 * handler runs (the kernel delivers every deliverable signal before
	 * returning to user mode), so the handlers start in reverse order,
	 * each nested in the next one's frame.
	 */
	install(SIGUSR2, h_rec, 0, 0);
	install(r1, h_rec, 0, 0);
	install(r2, h_rec, 0, 0);
	install(r3, h_rec, 0, 0);
	nrec = 0;
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8));
	CHECK_OK(self_signal(r3));
	CHECK_OK(self_signal(r1));
	CHECK_OK(self_signal(SIGUSR2));
	CHECK_OK(self_signal(r2));
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &all, NULL, 8));
	if (CHECK_EQ(nrec, 4)) {
		CHECK_EQ(recs[0].signo, r3);
		CHECK_EQ(recs[1].signo, r2);
		CHECK_EQ(recs[2].signo, r1);
		CHECK_EQ(recs[3].signo, SIGUSR2);
		/* Each later handler's mask has the earlier-set-up ones. */
		CHECK_EQ(recs[0].mask & all, all);
		CHECK_EQ(recs[3].mask & all, BIT(SIGUSR2));
		/* Nested frames: each handler below the previous one. */
		CHECK(recs[0].sp < recs[1].sp);
		CHECK(recs[1].sp < recs[2].sp);
		CHECK(recs[2].sp < recs[3].sp);
	}
	CHECK_EQ(cur_mask(), 0);

	/*
	 * Linux takes signals from the thread's own queue before the
	 * process-wide one, whatever their numbers.
	 */
	install(SIGUSR2, h_rec, 0, all);
	install(r1, h_rec, 0, all);
	nrec = 0;
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8));
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_OK(self_signal(r1));
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &all, NULL, 8));
	if (CHECK_EQ(nrec, 2)) {
		CHECK_EQ(recs[0].signo, r1);
		CHECK_EQ(recs[1].signo, SIGUSR2);
	}

	set_handler(SIGUSR1, SIG_DFL);
	set_handler(SIGUSR2, SIG_DFL);
	set_handler(SIGRTMIN, SIG_DFL);
	set_handler(r1, SIG_DFL);
	set_handler(r2, SIG_DFL);
	set_handler(r3, SIG_DFL);
}

/* ------------------------------------------ sigsuspend, pause, waiting */

static void test_sigsuspend(void)
{
	sigset_t empty;
	struct pester p;

	sigemptyset(&empty);
	install(SIGUSR1, h_rec, 0, 0);

	/* Already pending: sigsuspend runs the handler and returns EINTR. */
	nrec = 0;
	mask_sigs(SIG_BLOCK, SIGUSR1, 0);
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_ERR(sigsuspend(&empty), EINTR);
	CHECK_EQ(nrec, 1);
	CHECK_EQ(recs[0].mask, BIT(SIGUSR1));	/* sigsuspend's + own */
	CHECK_EQ(cur_mask(), BIT(SIGUSR1));	/* restored */

	/* Sent later by another thread. */
	nrec = 0;
	pester_start(&p, SIGUSR1, 20, 100);
	CHECK_ERR(sigsuspend(&empty), EINTR);
	pester_stop(&p);
	CHECK(nrec >= 1);
	CHECK_EQ(cur_mask(), BIT(SIGUSR1));
	/* Signals the pester sent after sigsuspend returned. */
	mask_sigs(SIG_UNBLOCK, SIGUSR1, 0);
	CHECK_EQ(pending_mask(), 0);

	/* pause() returns EINTR once a handler ran. */
	nrec = 0;
	pester_start(&p, SIGUSR1, 20, 100);
	CHECK_ERR(pause(), EINTR);
	pester_stop(&p);
	CHECK(nrec >= 1);

	/* nanosleep is not restarted, even with SA_RESTART; rem is set. */
	install(SIGUSR1, h_rec, SA_RESTART, 0);
	nrec = 0;
	pester_start(&p, SIGUSR1, 20, 100);
	{
		struct timespec ts = { 5, 0 }, rem = { -1, -1 };

		CHECK_ERR(nanosleep(&ts, &rem), EINTR);
		CHECK(rem.tv_sec >= 0 && rem.tv_sec < 5);
		CHECK(rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
		CHECK(rem.tv_sec >= 3);		/* well before the end */
	}
	pester_stop(&p);
	CHECK(nrec >= 1);
	set_handler(SIGUSR1, SIG_DFL);
}

/* The raw system call: glibc's sigwaitinfo turns SI_TKILL into SI_USER. */
static long sigwait_raw(const sigset_t *set, siginfo_t *si,
			const struct timespec *ts)
{
	return syscall(SYS_rt_sigtimedwait, set, si, ts, 8);
}

static void test_sigwait(void)
{
	const int r1 = SIGRTMIN + 1, r2 = SIGRTMIN + 2;
	sigset_t set;
	siginfo_t si;
	struct timespec ts = { 0, 0 };
	int64_t t0;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, r1);
	sigaddset(&set, r2);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));

	/* Consumes a pending signal and reports it. */
	CHECK_OK(self_signal(SIGUSR2));
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigwait_raw(&set, &si, NULL), SIGUSR2);
	CHECK_EQ(si.si_signo, SIGUSR2);
	CHECK_EQ(si.si_code, SI_TKILL);
	CHECK_EQ(si.si_pid, getpid());
	CHECK_EQ(si.si_uid, getuid());
	CHECK_EQ(pending_mask(), 0);
	CHECK_OK(self_signal(SIGUSR2));
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigwaitinfo(&set, &si), SIGUSR2);
	CHECK_EQ(si.si_code, SI_USER);		/* glibc's doing */
	CHECK_EQ(si.si_pid, getpid());
	CHECK_EQ(pending_mask(), 0);
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_EQ(sigwait_raw(&set, &si, NULL), SIGUSR2);
	CHECK_EQ(si.si_code, SI_USER);

	/* Nothing pending: EAGAIN at once, or after the timeout. */
	CHECK_ERR(sigtimedwait(&set, &si, &ts), EAGAIN);
	ts.tv_nsec = 10 * 1000000;
	t0 = now_ns();
	CHECK_ERR(sigtimedwait(&set, &si, &ts), EAGAIN);
	CHECK(now_ns() - t0 >= 10 * 1000000);
	CHECK(now_ns() - t0 < 1000 * 1000000LL);
	ts.tv_nsec = 1000000000;
	CHECK_ERR(sigtimedwait(&set, &si, &ts), EINVAL);

	/* Lowest first; queued real-time signals in FIFO order. */
	CHECK_OK(sigqueue(getpid(), r2, (union sigval){ .sival_int = 21 }));
	CHECK_OK(sigqueue(getpid(), r1, (union sigval){ .sival_int = 11 }));
	CHECK_OK(sigqueue(getpid(), r2, (union sigval){ .sival_int = 22 }));
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_OK(sigqueue(getpid(), r1, (union sigval){ .sival_int = 12 }));
	ts.tv_nsec = 0;
	CHECK_EQ(sigtimedwait(&set, &si, &ts), SIGUSR2);
	CHECK_EQ(si.si_code, SI_USER);
	CHECK_EQ(sigwaitinfo(&set, &si), r1);
	CHECK_EQ(si.si_value.sival_int, 11);
	CHECK_EQ(si.si_code, SI_QUEUE);
	CHECK_EQ(sigwaitinfo(&set, &si), r1);
	CHECK_EQ(si.si_value.sival_int, 12);
	CHECK_EQ(sigwaitinfo(&set, &si), r2);
	CHECK_EQ(si.si_value.sival_int, 21);
	CHECK_EQ(sigtimedwait(&set, &si, &ts), r2);
	CHECK_EQ(si.si_value.sival_int, 22);
	CHECK_ERR(sigtimedwait(&set, &si, &ts), EAGAIN);

	/* Waiting for a signal another thread sends later. */
	{
		struct pester p;

		pester_start(&p, SIGUSR2, 20, 1);
		CHECK_EQ(sigwait_raw(&set, &si, NULL), SIGUSR2);
		CHECK_EQ(si.si_code, SI_TKILL);
		pester_stop(&p);
	}
	CHECK_EQ(pending_mask(), 0);
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &set, NULL));
}

/* ---------------------------------------------------------- sigaltstack */

static char altstk[256 * 1024] __attribute__((aligned(16)));
static volatile uintptr_t uc_ss_sp;
static volatile int uc_ss_flags, alt_eperm, alt_nest;

static int on_alt(uintptr_t sp)
{
	return sp >= (uintptr_t)altstk && sp < (uintptr_t)altstk + sizeof altstk;
}

static void h_alt(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *u = uc;
	stack_t ss = { .ss_sp = altstk, .ss_size = sizeof altstk };

	h_rec(sig, si, uc);
	uc_ss_sp = (uintptr_t)u->uc_stack.ss_sp;
	uc_ss_flags = u->uc_stack.ss_flags;
	if (alt_nest) {
		alt_eperm = sigaltstack(&ss, NULL) == -1 ? errno : 0;
		self_signal(SIGUSR2);	/* nests on the same stack */
	}
}

static void test_altstack(void)
{
	stack_t ss, old;
	char here;

	memset(&old, 0, sizeof old);
	CHECK_OK(sigaltstack(NULL, &old));
	CHECK_EQ(old.ss_flags, SS_DISABLE);

	/* Errors. */
	ss.ss_sp = altstk;
	ss.ss_size = 1024;
	ss.ss_flags = 0;
	CHECK_ERR(sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_size = sizeof altstk;
	ss.ss_flags = 0x1234;
	CHECK_ERR(sigaltstack(&ss, NULL), EINVAL);
	CHECK_ERR(sigaltstack((stack_t *)1, NULL), EFAULT);

	ss.ss_flags = 0;
	CHECK_OK(sigaltstack(&ss, &old));
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	memset(&old, 0, sizeof old);
	CHECK_OK(sigaltstack(NULL, &old));
	CHECK_EQ(old.ss_flags, 0);
	CHECK(old.ss_sp == altstk);
	CHECK_EQ(old.ss_size, sizeof altstk);

	/* Without SA_ONSTACK the handler runs on the normal stack. */
	install(SIGUSR1, h_rec, 0, 0);
	nrec = 0;
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(nrec, 1);
	CHECK(!on_alt(recs[0].sp));
	CHECK_EQ(recs[0].ss_flags, 0);

	/* SA_ONSTACK, with a nested SA_ONSTACK handler on the same stack. */
	install(SIGUSR1, h_alt, SA_ONSTACK, 0);
	install(SIGUSR2, h_rec, SA_ONSTACK, 0);
	alt_nest = 1;
	nrec = 0;
	CHECK_OK(self_signal(SIGUSR1));
	if (CHECK_EQ(nrec, 2)) {
		CHECK(on_alt(recs[0].sp));
		CHECK_EQ(recs[0].ss_flags, SS_ONSTACK);
		CHECK(on_alt(recs[1].sp));
		CHECK_EQ(recs[1].ss_flags, SS_ONSTACK);
		CHECK(recs[1].sp < recs[0].sp);
	}
	CHECK_EQ(alt_eperm, EPERM);		/* cannot change it while on it */
	CHECK_EQ(uc_ss_sp, (uintptr_t)altstk);	/* the saved settings */
	CHECK_EQ(uc_ss_flags, 0);
	CHECK(!on_alt((uintptr_t)&here));
	memset(&old, 0, sizeof old);
	CHECK_OK(sigaltstack(NULL, &old));
	CHECK_EQ(old.ss_flags, 0);

	/*
	 * SS_AUTODISARM: the alternate stack is disabled while the handler
	 * runs on it (so sigaltstack reports SS_DISABLE and may be changed)
	 * and re-armed from uc_stack by sigreturn.
	 */
	ss.ss_flags = SS_AUTODISARM;
	CHECK_OK(sigaltstack(&ss, NULL));
	alt_nest = 0;
	nrec = 0;
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(nrec, 1);
	CHECK(on_alt(recs[0].sp));
	CHECK_EQ(recs[0].ss_flags, SS_DISABLE);
	CHECK_EQ(uc_ss_sp, (uintptr_t)altstk);
	CHECK_EQ((unsigned)uc_ss_flags, SS_AUTODISARM);
	memset(&old, 0, sizeof old);
	CHECK_OK(sigaltstack(NULL, &old));
	CHECK_EQ((unsigned)old.ss_flags, SS_AUTODISARM);
	CHECK(old.ss_sp == altstk);

	/* Disabled: back on the normal stack. */
	ss.ss_flags = SS_DISABLE;
	CHECK_OK(sigaltstack(&ss, NULL));
	CHECK_OK(sigaltstack(NULL, &old));
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	nrec = 0;
	install(SIGUSR1, h_rec, SA_ONSTACK, 0);
	CHECK_OK(self_signal(SIGUSR1));
	CHECK_EQ(nrec, 1);
	CHECK(!on_alt(recs[0].sp));
	set_handler(SIGUSR1, SIG_DFL);
	set_handler(SIGUSR2, SIG_DFL);
}

/* ------------------------------------------------------ register state */

/* Rounding control: 0 nearest, 1 down, 2 up, 3 toward zero. */
static void set_round(unsigned rc)
{
	uint32_t mx;
	uint16_t cw;

	__asm__ volatile("stmxcsr %0" : "=m"(mx));
	mx = (mx & ~0x6000u) | rc << 13;
	__asm__ volatile("ldmxcsr %0" : : "m"(mx));
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	cw = (uint16_t)((cw & ~0xc00u) | rc << 10);
	__asm__ volatile("fldcw %0" : : "m"(cw));
}

static uint32_t get_mxcsr(void)
{
	uint32_t mx;

	__asm__ volatile("stmxcsr %0" : "=m"(mx));
	return mx;
}

static uint16_t get_x87cw(void)
{
	uint16_t cw;

	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

static volatile uint32_t h_mxcsr;
static volatile uint16_t h_cw;
static volatile double h_result;
static volatile int h_fp_count;

/* Checks the initial FPU control state, then wrecks every register. */
static void h_fp(int sig, siginfo_t *si, void *uc)
{
	volatile double a = 1.0, b = 3.0;

	(void)sig;
	(void)si;
	(void)uc;
	h_mxcsr = get_mxcsr();
	h_cw = get_x87cw();
	set_round(3);
	h_result = a / b;
	__asm__ volatile(
		"pcmpeqd %%xmm0, %%xmm0\n\t"	"pcmpeqd %%xmm1, %%xmm1\n\t"
		"pcmpeqd %%xmm2, %%xmm2\n\t"	"pcmpeqd %%xmm3, %%xmm3\n\t"
		"pcmpeqd %%xmm4, %%xmm4\n\t"	"pcmpeqd %%xmm5, %%xmm5\n\t"
		"pcmpeqd %%xmm6, %%xmm6\n\t"	"pcmpeqd %%xmm7, %%xmm7\n\t"
		"pcmpeqd %%xmm8, %%xmm8\n\t"	"pcmpeqd %%xmm9, %%xmm9\n\t"
		"pcmpeqd %%xmm10, %%xmm10\n\t"	"pcmpeqd %%xmm11, %%xmm11\n\t"
		"pcmpeqd %%xmm12, %%xmm12\n\t"	"pcmpeqd %%xmm13, %%xmm13\n\t"
		"pcmpeqd %%xmm14, %%xmm14\n\t"	"pcmpeqd %%xmm15, %%xmm15\n\t"
		"mov $-1, %%rcx\n\t"		"mov $-1, %%rdx\n\t"
		"mov $-1, %%rsi\n\t"		"mov $-1, %%rdi\n\t"
		"mov $-1, %%r8\n\t"		"mov $-1, %%r9\n\t"
		"mov $-1, %%r10\n\t"		"mov $-1, %%r11\n\t"
		"mov $-1, %%r12\n\t"		"mov $-1, %%r13\n\t"
		"mov $-1, %%r14\n\t"		"mov $-1, %%r15\n\t"
		"mov $-1, %%rbx\n\t"
		:
		:
		: "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		  "r12", "r13", "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3",
		  "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
	h_fp_count++;
}

/* Register images: 12 general registers, then xmm0-15. */
struct regimg {
	uint64_t gp[12];	/* rcx rdx rsi rdi r8 .. r15 (loop);    */
	uint64_t xmm[16][2];	/* r8 r9 r10 r12 .. r15 (syscall: 7)    */
};
struct regbuf {
	struct regimg in, out;	/* in at 0, out at 0x160 */
};
_Static_assert(offsetof(struct regbuf, out) == 0x160, "layout");
_Static_assert(offsetof(struct regimg, xmm) == 0x60, "layout");

static void fill(struct regimg *r, uint64_t seed)
{
	for (int i = 0; i < 12; i++)
		r->gp[i] = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i * 0x1111;
	for (int i = 0; i < 16; i++) {
		r->xmm[i][0] = seed ^ ((uint64_t)i << 40) ^ 0x0123456789abcdefULL;
		r->xmm[i][1] = ~r->xmm[i][0] + (uint64_t)i;
	}
}

#define LOAD_XMM                                                             \
	"movdqu 0x60(%%rbx), %%xmm0\n\t"  "movdqu 0x70(%%rbx), %%xmm1\n\t"   \
	"movdqu 0x80(%%rbx), %%xmm2\n\t"  "movdqu 0x90(%%rbx), %%xmm3\n\t"   \
	"movdqu 0xa0(%%rbx), %%xmm4\n\t"  "movdqu 0xb0(%%rbx), %%xmm5\n\t"   \
	"movdqu 0xc0(%%rbx), %%xmm6\n\t"  "movdqu 0xd0(%%rbx), %%xmm7\n\t"   \
	"movdqu 0xe0(%%rbx), %%xmm8\n\t"  "movdqu 0xf0(%%rbx), %%xmm9\n\t"   \
	"movdqu 0x100(%%rbx), %%xmm10\n\t" "movdqu 0x110(%%rbx), %%xmm11\n\t" \
	"movdqu 0x120(%%rbx), %%xmm12\n\t" "movdqu 0x130(%%rbx), %%xmm13\n\t" \
	"movdqu 0x140(%%rbx), %%xmm14\n\t" "movdqu 0x150(%%rbx), %%xmm15\n\t"
#define STORE_XMM                                                            \
	"movdqu %%xmm0, 0x1c0(%%rbx)\n\t"  "movdqu %%xmm1, 0x1d0(%%rbx)\n\t"  \
	"movdqu %%xmm2, 0x1e0(%%rbx)\n\t"  "movdqu %%xmm3, 0x1f0(%%rbx)\n\t"  \
	"movdqu %%xmm4, 0x200(%%rbx)\n\t"  "movdqu %%xmm5, 0x210(%%rbx)\n\t"  \
	"movdqu %%xmm6, 0x220(%%rbx)\n\t"  "movdqu %%xmm7, 0x230(%%rbx)\n\t"  \
	"movdqu %%xmm8, 0x240(%%rbx)\n\t"  "movdqu %%xmm9, 0x250(%%rbx)\n\t"  \
	"movdqu %%xmm10, 0x260(%%rbx)\n\t" "movdqu %%xmm11, 0x270(%%rbx)\n\t" \
	"movdqu %%xmm12, 0x280(%%rbx)\n\t" "movdqu %%xmm13, 0x290(%%rbx)\n\t" \
	"movdqu %%xmm14, 0x2a0(%%rbx)\n\t" "movdqu %%xmm15, 0x2b0(%%rbx)\n\t"
#define XMM_CLOBBERS                                                         \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",      \
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

/*
 * tgkill to self from inline asm, with r8-r10, r12-r15 and xmm0-15 loaded
 * from b->in and stored to b->out after the syscall (and the handler).
 */
static long sync_signal_regs(struct regbuf *b, int sig)
{
	long rax = SYS_tgkill, rdi = getpid(), rsi = my_tid(), rdx = sig;
	long rdi0 = rdi, rsi0 = rsi, rdx0 = rdx;

	__asm__ volatile(
		LOAD_XMM
		"mov 0x00(%%rbx), %%r8\n\t"
		"mov 0x08(%%rbx), %%r9\n\t"
		"mov 0x10(%%rbx), %%r10\n\t"
		"mov 0x18(%%rbx), %%r12\n\t"
		"mov 0x20(%%rbx), %%r13\n\t"
		"mov 0x28(%%rbx), %%r14\n\t"
		"mov 0x30(%%rbx), %%r15\n\t"
		"syscall\n\t"
		STORE_XMM
		"mov %%r8, 0x160(%%rbx)\n\t"
		"mov %%r9, 0x168(%%rbx)\n\t"
		"mov %%r10, 0x170(%%rbx)\n\t"
		"mov %%r12, 0x178(%%rbx)\n\t"
		"mov %%r13, 0x180(%%rbx)\n\t"
		"mov %%r14, 0x188(%%rbx)\n\t"
		"mov %%r15, 0x190(%%rbx)\n\t"
		: "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx)
		: "b"(b)
		: "rcx", "r11", "r8", "r9", "r10", "r12", "r13", "r14", "r15",
		  XMM_CLOBBERS, "memory", "cc");
	CHECK_EQ(rdi, rdi0);
	CHECK_EQ(rsi, rsi0);
	CHECK_EQ(rdx, rdx0);
	return rax;
}

static volatile int loop_stop;

/*
 * Increment rax and 12 other general registers in a loop until loop_stop;
 * xmm0-15 hold constants. Returns the iteration count.
 */
static long reg_loop(struct regbuf *b)
{
	long iters;

	__asm__ volatile(
		LOAD_XMM
		"mov 0x00(%%rbx), %%rcx\n\t"
		"mov 0x08(%%rbx), %%rdx\n\t"
		"mov 0x10(%%rbx), %%rsi\n\t"
		"mov 0x18(%%rbx), %%rdi\n\t"
		"mov 0x20(%%rbx), %%r8\n\t"
		"mov 0x28(%%rbx), %%r9\n\t"
		"mov 0x30(%%rbx), %%r10\n\t"
		"mov 0x38(%%rbx), %%r11\n\t"
		"mov 0x40(%%rbx), %%r12\n\t"
		"mov 0x48(%%rbx), %%r13\n\t"
		"mov 0x50(%%rbx), %%r14\n\t"
		"mov 0x58(%%rbx), %%r15\n\t"
		"xor %%eax, %%eax\n"
		"1:\n\t"
		"inc %%rax\n\t"
		"inc %%rcx\n\t" "inc %%rdx\n\t" "inc %%rsi\n\t" "inc %%rdi\n\t"
		"inc %%r8\n\t" "inc %%r9\n\t" "inc %%r10\n\t" "inc %%r11\n\t"
		"inc %%r12\n\t" "inc %%r13\n\t" "inc %%r14\n\t" "inc %%r15\n\t"
		"cmpl $0, %[stop]\n\t"
		"je 1b\n\t"
		STORE_XMM
		"mov %%rcx, 0x160(%%rbx)\n\t"
		"mov %%rdx, 0x168(%%rbx)\n\t"
		"mov %%rsi, 0x170(%%rbx)\n\t"
		"mov %%rdi, 0x178(%%rbx)\n\t"
		"mov %%r8, 0x180(%%rbx)\n\t"
		"mov %%r9, 0x188(%%rbx)\n\t"
		"mov %%r10, 0x190(%%rbx)\n\t"
		"mov %%r11, 0x198(%%rbx)\n\t"
		"mov %%r12, 0x1a0(%%rbx)\n\t"
		"mov %%r13, 0x1a8(%%rbx)\n\t"
		"mov %%r14, 0x1b0(%%rbx)\n\t"
		"mov %%r15, 0x1b8(%%rbx)\n\t"
		: "=&a"(iters)
		: "b"(b), [stop] "m"(loop_stop)
		: "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
		  "r13", "r14", "r15", XMM_CLOBBERS, "memory", "cc");
	return iters;
}

#define LOOP_SIGNALS 20

static void *loop_pester(void *arg)
{
	pid_t tid = *(pid_t *)arg;

	for (int i = 0; i < LOOP_SIGNALS; i++) {
		syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		/* Wait for the handler, then let the loop run a little. */
		for (int j = 0; j < 2000 && h_fp_count <= i; j++)
			sleep_ms(1);
		sleep_ms(1);
	}
	loop_stop = 1;
	return NULL;
}

static void test_registers(void)
{
	static struct regbuf b;
	volatile double one = 1.0, three = 3.0;
	double up, near;
	uint32_t mx;
	uint16_t cw;

	install(SIGUSR1, h_fp, 0, 0);

	near = one / three;
	set_round(2);			/* upward */
	up = one / three;
	CHECK(up != near);
	mx = get_mxcsr();
	cw = get_x87cw();
	CHECK_EQ(mx & 0x6000, 0x4000);

	/* Synchronous: delivered on return from tgkill. */
	h_fp_count = 0;
	memset(&b, 0, sizeof b);
	fill(&b.in, 1);
	CHECK_EQ(sync_signal_regs(&b, SIGUSR1), 0);
	CHECK_EQ(h_fp_count, 1);
	CHECK_EQ(memcmp(b.out.gp, b.in.gp, 7 * 8), 0);
	CHECK_EQ(memcmp(b.out.xmm, b.in.xmm, sizeof b.in.xmm), 0);
	CHECK_EQ(get_mxcsr(), mx);
	CHECK_EQ(get_x87cw(), cw);
	CHECK(one / three == up);
	/* The handler started with the default control state. */
	CHECK_EQ(h_mxcsr, 0x1f80);
	CHECK_EQ(h_cw, 0x37f);
	CHECK(h_result != up);		/* it computed toward zero */

	/* Asynchronous: signals land anywhere in reg_loop. */
	{
		pthread_t th;
		pid_t tid = my_tid();
		long iters;
		int bad = 0;

		h_fp_count = 0;
		loop_stop = 0;
		memset(&b, 0, sizeof b);
		fill(&b.in, 2);
		CHECK_EQ(pthread_create(&th, NULL, loop_pester, &tid), 0);
		iters = reg_loop(&b);
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(h_fp_count, LOOP_SIGNALS);
		CHECK(iters > 0);
		for (int i = 0; i < 12; i++)
			bad += b.out.gp[i] != b.in.gp[i] + (uint64_t)iters;
		CHECK_EQ(bad, 0);
		CHECK_EQ(memcmp(b.out.xmm, b.in.xmm, sizeof b.in.xmm), 0);
		CHECK_EQ(get_mxcsr(), mx);
		CHECK_EQ(get_x87cw(), cw);
		CHECK(one / three == up);
	}

	set_round(0);
	CHECK(one / three == near);
	set_handler(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------ SIGSEGV, SIGFPE */

static sigjmp_buf jb;
static volatile int f_signo, f_code;
static volatile uintptr_t f_addr, f_ip;
static volatile long f_trapno, f_err;
static volatile uintptr_t resume_ip;	/* nonzero: resume there */
static volatile uintptr_t fault_ip;	/* set by the asm below */

static void h_fault(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *u = uc;

	f_signo = sig;
	f_code = si->si_code;
	f_addr = (uintptr_t)si->si_addr;
	f_ip = (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
	f_trapno = u->uc_mcontext.gregs[REG_TRAPNO];
	f_err = u->uc_mcontext.gregs[REG_ERR];
	if (resume_ip) {
		/* Resume after the faulting instruction, with rax changed. */
		u->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_ip;
		u->uc_mcontext.gregs[REG_RAX] = 0x5eed;
		return;
	}
	siglongjmp(jb, 1);
}

#define FAULTS(stmt)                                                         \
	({                                                                   \
		f_signo = f_code = 0;                                        \
		f_addr = 0;                                                  \
		int faulted_ = sigsetjmp(jb, 1);                             \
		if (!faulted_) {                                             \
			stmt;                                                \
		}                                                            \
		faulted_;                                                    \
	})

static void test_segv(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
	volatile char *vp;

	if (!CHECK(p != MAP_FAILED))
		return;
	install(SIGSEGV, h_fault, 0, 0);
	resume_ip = 0;

	/* Unmapped (second page unmapped). */
	CHECK_OK(munmap(p + PAGE, PAGE));
	vp = p + PAGE + 9;
	CHECK(FAULTS((void)*vp));
	CHECK_EQ(f_signo, SIGSEGV);
	CHECK_EQ(f_code, SEGV_MAPERR);
	CHECK_EQ(f_addr, (uintptr_t)(p + PAGE + 9));
	CHECK_EQ(f_trapno, 14);
	/* Near NULL. */
	vp = (char *)16;
	CHECK(FAULTS((void)*vp));
	CHECK_EQ(f_code, SEGV_MAPERR);
	CHECK_EQ(f_addr, 16);
	/* SIGSEGV is unblocked again after siglongjmp. */
	CHECK_EQ(cur_mask() & BIT(SIGSEGV), 0);

	/* Write to a read-only page. */
	CHECK_OK(mprotect(p, PAGE, PROT_READ));
	vp = p + 5;
	CHECK(FAULTS(*vp = 1));
	CHECK_EQ(f_code, SEGV_ACCERR);
	CHECK_EQ(f_addr, (uintptr_t)(p + 5));
	CHECK_EQ(f_trapno, 14);
	CHECK(f_err & 2);		/* write access */
	CHECK_EQ(p[5], 0);
	/* Read of a PROT_NONE page. */
	CHECK_OK(mprotect(p, PAGE, PROT_NONE));
	vp = p + 100;
	CHECK(FAULTS((void)*vp));
	CHECK_EQ(f_code, SEGV_ACCERR);
	CHECK_EQ(f_addr, (uintptr_t)(p + 100));
	CHECK(!(f_err & 2));		/* read access */
	/* Execution of a non-executable page: si_addr is the target. */
	CHECK_OK(mprotect(p, PAGE, RW));
	p[0] = (char)0xc3;		/* ret */
	CHECK(FAULTS(((void (*)(void))p)()));
	CHECK_EQ(f_code, SEGV_ACCERR);
	CHECK_EQ(f_addr, (uintptr_t)p);
	CHECK_EQ(f_ip, (uintptr_t)p);

	/* Non-canonical address: #GP, SI_KERNEL and a zero si_addr. */
	vp = (char *)0x8000000000000000UL;
	CHECK(FAULTS((void)*vp));
	CHECK_EQ(f_signo, SIGSEGV);
	CHECK_EQ(f_code, SI_KERNEL);
	CHECK_EQ(f_addr, 0);
	CHECK_EQ(f_trapno, 13);

	/* Resuming through a modified ucontext instead of siglongjmp. */
	{
		long rax = 0;

		CHECK_OK(mprotect(p, PAGE, PROT_NONE));
		__asm__ volatile(
			"leaq 1f(%%rip), %%rcx\n\t"
			"movq %%rcx, %[fip]\n\t"
			"leaq 2f(%%rip), %%rcx\n\t"
			"movq %%rcx, %[rip]\n\t"
			"1: movb (%[p]), %%al\n"
			"2:\n\t"
			: "+a"(rax), [fip] "=m"(fault_ip), [rip] "=m"(resume_ip)
			: [p] "r"(p + 7)
			: "rcx", "memory");
		resume_ip = 0;
		CHECK_EQ(rax, 0x5eed);
		CHECK_EQ(f_code, SEGV_ACCERR);
		CHECK_EQ(f_addr, (uintptr_t)(p + 7));
		CHECK_EQ(f_ip, fault_ip);
	}

	CHECK_OK(munmap(p, PAGE));
	set_handler(SIGSEGV, SIG_DFL);
}

static void test_fpe(void)
{
	volatile int a = 1, z = 0, m1 = -1, imin = -2147483647 - 1;
	volatile long la = 5, lz = 0;

	install(SIGFPE, h_fault, 0, 0);
	resume_ip = 0;
	CHECK(FAULTS(a = a / z));
	CHECK_EQ(f_signo, SIGFPE);
	CHECK_EQ(f_code, FPE_INTDIV);
	CHECK_EQ(f_trapno, 0);
	CHECK(f_addr != 0);
	CHECK_EQ(f_addr, f_ip);		/* the faulting instruction */
	CHECK(FAULTS(la = la % lz));
	CHECK_EQ(f_code, FPE_INTDIV);
	/* INT_MIN / -1 overflows: also #DE, also FPE_INTDIV. */
	CHECK(FAULTS(imin = imin / m1));
	CHECK_EQ(f_signo, SIGFPE);
	CHECK_EQ(f_code, FPE_INTDIV);
	CHECK_EQ(cur_mask() & BIT(SIGFPE), 0);

	/* si_addr is exactly the idiv. */
	{
		long rax = 7, rdx = 0;

		__asm__ volatile(
			"leaq 1f(%%rip), %%rcx\n\t"
			"movq %%rcx, %[fip]\n\t"
			"leaq 2f(%%rip), %%rcx\n\t"
			"movq %%rcx, %[rip]\n\t"
			"1: idivq %[z]\n"
			"2:\n\t"
			: "+a"(rax), "+d"(rdx), [fip] "=m"(fault_ip),
			  [rip] "=m"(resume_ip)
			: [z] "r"(0L)
			: "rcx", "memory");
		resume_ip = 0;
		CHECK_EQ(rax, 0x5eed);
		CHECK_EQ(f_code, FPE_INTDIV);
		CHECK_EQ(f_addr, fault_ip);
		CHECK_EQ(f_ip, fault_ip);
	}
	(void)a;
	(void)la;
	(void)imin;
	set_handler(SIGFPE, SIG_DFL);
}

/* ------------------------------------------------- EINTR, SA_RESTART */

struct restart_writer {
	pid_t tid;
	int fd;
};

static void *restart_writer_fn(void *arg)
{
	struct restart_writer *w = arg;

	sleep_ms(50);
	syscall(SYS_tgkill, getpid(), w->tid, SIGUSR1);
	for (int i = 0; i < 2000 && nrec < 1; i++)
		sleep_ms(1);
	sleep_ms(20);
	if (write(w->fd, "x", 1) != 1)
		return (void *)1;
	return NULL;
}

static void test_restart(void)
{
	int p[2];
	char c = 0;

	if (!CHECK_OK(pipe(p)))
		return;

	/* No SA_RESTART: the blocked read fails with EINTR. */
	{
		struct pester ps;

		install(SIGUSR1, h_rec, 0, 0);
		nrec = 0;
		pester_start(&ps, SIGUSR1, 20, 100);
		CHECK_ERR(read(p[0], &c, 1), EINTR);
		pester_stop(&ps);
		CHECK(nrec >= 1);
	}

	/* SA_RESTART: the read is restarted and gets the later data. */
	{
		struct restart_writer w = { my_tid(), p[1] };
		pthread_t th;
		void *ret = (void *)2;

		install(SIGUSR1, h_rec, SA_RESTART, 0);
		nrec = 0;
		CHECK_EQ(pthread_create(&th, NULL, restart_writer_fn, &w), 0);
		CHECK_EQ(read(p[0], &c, 1), 1);
		CHECK_EQ(c, 'x');
		CHECK_EQ(pthread_join(th, &ret), 0);
		CHECK(ret == NULL);
		CHECK_EQ(nrec, 1);
	}
	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
	set_handler(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------------ errors */

static void test_errors(void)
{
	struct sigaction sa, old;
	uint64_t all = ~0ULL, got = 0, saved = 0;
	pid_t pid;
	int st;

	/* kill(pid, 0): existence check only. */
	CHECK_OK(kill(getpid(), 0));
	CHECK_OK(syscall(SYS_tgkill, getpid(), my_tid(), 0));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (CHECK(pid > 0)) {
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK_ERR(kill(pid, 0), ESRCH);
		CHECK_ERR(kill(pid, SIGUSR1), ESRCH);
	}
	CHECK_ERR(kill(getpid(), 65), EINVAL);
	CHECK_ERR(kill(getpid(), -1), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, getpid(), my_tid(), 65), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, 0, my_tid(), SIGUSR1), EINVAL);
	CHECK_ERR(syscall(SYS_tkill, 0, SIGUSR1), EINVAL);

	/* SIGKILL and SIGSTOP cannot be caught or ignored, but queried. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	sa.sa_handler = SIG_DFL;
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_OK(sigaction(SIGKILL, NULL, &old));
	CHECK(old.sa_handler == SIG_DFL);
	CHECK_ERR(sigaction(0, NULL, &old), EINVAL);
	CHECK_ERR(sigaction(65, NULL, &old), EINVAL);
	/* Raw rt_sigaction: the kernel's checks. */
	{
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			uint64_t mask;
		} k = { SIG_IGN, 0, NULL, 0 }, ko;

		CHECK_ERR(syscall(SYS_rt_sigaction, SIGKILL, &k, NULL, 8),
			  EINVAL);
		CHECK_ERR(syscall(SYS_rt_sigaction, SIGSTOP, &k, NULL, 8),
			  EINVAL);
		CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, &k, NULL, 4),
			  EINVAL);
		CHECK_ERR(syscall(SYS_rt_sigaction, 0, NULL, &ko, 8), EINVAL);
		CHECK_ERR(syscall(SYS_rt_sigaction, 65, NULL, &ko, 8), EINVAL);
		CHECK_OK(syscall(SYS_rt_sigaction, 64, NULL, &ko, 8));
		CHECK(ko.handler == SIG_DFL);
		CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, (void *)1, NULL,
				  8), EFAULT);
	}

	/* sigprocmask silently leaves SIGKILL and SIGSTOP unblocked. */
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &saved, 8));
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, &got, 8));
	CHECK_EQ(got, ~(BIT(SIGKILL) | BIT(SIGSTOP)));
	{
		sigset_t s, o;

		sigfillset(&s);
		CHECK_OK(sigprocmask(SIG_BLOCK, &s, &o));
		CHECK_OK(sigprocmask(SIG_SETMASK, &o, &s));
		CHECK_EQ(sigismember(&s, SIGKILL), 0);
		CHECK_EQ(sigismember(&s, SIGSTOP), 0);
		CHECK_EQ(sigismember(&s, SIGUSR1), 1);
		CHECK_EQ(sigismember(&s, SIGRTMAX), 1);
	}
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 4),
		  EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, 99, &all, NULL, 8), EINVAL);
	CHECK_EQ(cur_mask(), saved);
}

/* --------------------------------------------------------- threads */

static volatile int t_ready, t_go, t_result;
static volatile pid_t t_tid;

static void *unblocked_thread(void *arg)
{
	(void)arg;
	mask_sigs(SIG_UNBLOCK, SIGUSR1, 0);
	t_tid = my_tid();
	t_ready = 1;
	for (int i = 0; i < 2000 && !t_go; i++)
		sleep_ms(1);
	return NULL;
}

static void *pending_thread(void *arg)
{
	sigset_t set;
	int sig = 0;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	t_tid = my_tid();
	t_ready = 1;				/* SIGUSR2 inherited blocked */
	for (int i = 0; i < 2000 && !t_go; i++)
		sleep_ms(1);
	t_result = (pending_mask() == BIT(SIGUSR2)) +
		   2 * (sigwait(&set, &sig) == 0 && sig == SIGUSR2) +
		   4 * (pending_mask() == 0);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th;
	pid_t me = my_tid();

	install(SIGUSR1, h_rec, 0, 0);

	/* Process-directed, blocked here: goes to the thread that does not. */
	mask_sigs(SIG_BLOCK, SIGUSR1, 0);
	t_ready = t_go = 0;
	nrec = 0;
	CHECK_EQ(pthread_create(&th, NULL, unblocked_thread, NULL), 0);
	CHECK(wait_for(&t_ready, 1));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK(wait_for(&nrec, 1));
	t_go = 1;
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(nrec, 1);
	CHECK_EQ(recs[0].tid, t_tid);
	CHECK_NE(recs[0].tid, me);
	CHECK_EQ(recs[0].code, SI_USER);
	CHECK_EQ(pending_mask(), 0);
	mask_sigs(SIG_UNBLOCK, SIGUSR1, 0);
	CHECK_EQ(nrec, 1);

	/* Thread-directed to a thread blocking it: pending there only. */
	mask_sigs(SIG_BLOCK, SIGUSR2, 0);
	t_ready = t_go = t_result = 0;
	CHECK_EQ(pthread_create(&th, NULL, pending_thread, NULL), 0);
	mask_sigs(SIG_UNBLOCK, SIGUSR2, 0);
	CHECK(wait_for(&t_ready, 1));
	CHECK_OK(syscall(SYS_tgkill, getpid(), t_tid, SIGUSR2));
	CHECK_EQ(pending_mask(), 0);
	t_go = 1;
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(t_result, 7);
	set_handler(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------ children */

static int child_status(int how)
{
	pid_t pid;
	int st = -1;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };

		setrlimit(RLIMIT_CORE, &rl);
		switch (how) {
		case 0:
			abort();
		case 1:
			raise(SIGQUIT);
			break;
		case 2:
			raise(SIGKILL);
			break;
		case 3:
			raise(SIGUSR1);
			break;
		case 4:	/* default-ignored: survives */
			raise(SIGCHLD);
			raise(SIGWINCH);
			raise(SIGURG);
			_exit(42);
		case 5:	/* even a blocked SIGKILL kills */
			mask_sigs(SIG_BLOCK, SIGTERM, 0);
			raise(SIGTERM);
			kill(getpid(), SIGKILL);
			break;
		}
		_exit(99);
	}
	if (CHECK(pid > 0))
		CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_children(void)
{
	int st;
	pid_t pid;
	siginfo_t si;
	sigset_t chld;

	st = child_status(0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	st = child_status(1);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT);
	st = child_status(2);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && !WCOREDUMP(st));
	st = child_status(3);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGUSR1 && !WCOREDUMP(st));
	st = child_status(4);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42);
	st = child_status(5);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* Mask inherited by fork, pending signals not. */
	mask_sigs(SIG_BLOCK, SIGUSR2, 0);
	CHECK_OK(self_signal(SIGUSR2));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(cur_mask() == BIT(SIGUSR2) && pending_mask() == 0 ? 0 : 1);
	if (CHECK(pid > 0)) {
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CHECK_EQ(pending_mask() & BIT(SIGUSR2), BIT(SIGUSR2));
	set_handler(SIGUSR2, SIG_IGN);		/* discard it */
	mask_sigs(SIG_UNBLOCK, SIGUSR2, 0);
	set_handler(SIGUSR2, SIG_DFL);

	/* SIGCHLD siginfo for an exit and for a kill. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	CHECK_OK(sigprocmask(SIG_BLOCK, &chld, NULL));
	pid = fork();
	if (pid == 0)
		_exit(3);
	if (CHECK(pid > 0)) {
		memset(&si, 0, sizeof si);
		CHECK_EQ(sigwaitinfo(&chld, &si), SIGCHLD);
		CHECK_EQ(si.si_code, CLD_EXITED);
		CHECK_EQ(si.si_pid, pid);
		CHECK_EQ(si.si_status, 3);
		CHECK_EQ(si.si_uid, getuid());
		CHECK_EQ(waitpid(pid, &st, 0), pid);
	}
	pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(98);
	}
	if (CHECK(pid > 0)) {
		memset(&si, 0, sizeof si);
		CHECK_EQ(sigwaitinfo(&chld, &si), SIGCHLD);
		CHECK_EQ(si.si_code, CLD_KILLED);
		CHECK_EQ(si.si_pid, pid);
		CHECK_EQ(si.si_status, SIGTERM);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	}
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &chld, NULL));
	CHECK_EQ(pending_mask(), 0);
}

int main(void)
{
	test_delivery();
	test_pending();
	test_handler_mask();
	test_ignored();
	test_queueing();
	test_sigsuspend();
	test_sigwait();
	test_altstack();
	test_registers();
	test_segv();
	test_fpe();
	test_restart();
	test_errors();
	test_threads();
	test_children();
	CHECK_EQ(cur_mask(), 0);
	return check_done();
}
