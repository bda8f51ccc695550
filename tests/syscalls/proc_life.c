/*
 * proc_life.c - process life cycle: parents, orphans, death notifications.
 *
 *   - PR_SET_PDEATHSIG: a grandchild whose parent exits gets the signal
 *     (and is re-parented to the test); PR_GET_PDEATHSIG reads it back;
 *     it is cleared in a forked child; EINVAL for a bad signal;
 *   - orphans: a grandchild whose parent exits gets the test as its new
 *     parent (getppid) and the test reaps it with waitpid(-1);
 *   - SIGCHLD with SA_SIGINFO: si_code/si_status/si_pid/si_uid for
 *     CLD_EXITED, CLD_KILLED, CLD_STOPPED and CLD_CONTINUED; SA_NOCLDSTOP
 *     suppresses the last two; the raw wait statuses of stopped (0x137f)
 *     and continued (0xffff) children;
 *   - automatic reaping: with SIGCHLD ignored, or with SA_NOCLDWAIT (with
 *     SIG_DFL or a handler, which still runs), waitpid(-1) blocks until
 *     every child has exited and then fails with ECHILD, leaving no
 *     zombies; a zombie made before SIGCHLD was ignored stays reapable;
 *   - a raw clone with exit signal 0: invisible to waitpid/waitid without
 *     __WCLONE or __WALL (ECHILD even while it runs), reaped with them,
 *     and no SIGCHLD; __WCLONE does not see a forked child;
 *   - CLONE_PARENT from a child makes a sibling of it: a child of the test,
 *     which its creator cannot wait for, and whose exit signal is the
 *     creator's own (SIGCHLD) even when clone asked for none; as the PID-1
 *     init of a namespace, CLONE_PARENT is EINVAL;
 *   - robust futexes: a process-shared robust mutex held by a process that
 *     exits (holding it, or with the test waiting for it) and a private one
 *     held by a thread that exits: EOWNERDEAD, the futex word the kernel
 *     leaves, pthread_mutex_consistent, ENOTRECOVERABLE without it;
 *     get_robust_list/set_robust_list;
 *   - PR_SET_NAME/PR_GET_NAME (truncated to 15 bytes), /proc/self/comm and
 *     the Name: line of /proc/self/status, writing /proc/self/comm;
 *   - PR_SET_DUMPABLE/PR_GET_DUMPABLE (EINVAL for 2), kept across fork;
 *   - a child killed by SIGABRT with RLIMIT_CORE 0 dumps no core:
 *     WCOREDUMP 0, raw status 6, waitid CLD_KILLED.
 *
 * Orphans go to the PID-1 init when the test is one (as under moat, which
 * runs it as PID 1 of a new PID namespace); otherwise the test makes
 * itself a child subreaper so they come to it. Nothing depends on timing:
 * a few children sleep for tens of milliseconds, but the results are the
 * same whether they have exited by the time the test looks or not, and
 * an auto-reaped child's pid is polled for (up to 2 s) until it is gone,
 * since it may outlive the ECHILD by a moment. Uses a
 * mkdtemp scratch directory under /tmp (the SIGABRT child's working
 * directory), removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "scratch.h"

static pid_t me;		/* the test's pid; 1 under moat */

/* Raw clone with no new stack: a fork with the given flags. */
static pid_t raw_clone(unsigned long flags)
{
	fflush(stdout);
	return (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Read exactly n bytes, waiting at most 5 s for each; 0 on success. */
static int read_full(int fd, void *buf, size_t n)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;

	while (got < n) {
		ssize_t r;

		if (poll(&pfd, 1, 5000) != 1)
			return -1;
		r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/*
 * Wait (up to 2 s) until no process has pid: an auto-reaped child's pid
 * may outlive waitpid's ECHILD (or the SIGCHLD) by a moment, while the
 * kernel releases it, but a zombie would stay.
 */
static int gone(pid_t pid)
{
	for (int i = 0; i < 400; i++) {
		if (kill(pid, 0) != 0 && errno == ESRCH)
			return 1;
		sleep_ms(5);
	}
	return 0;
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL proc_life.c: timed out\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static void block_forever(void)
{
	for (;;)
		pause();
}

/* ------------------------------------------------------ pdeathsig */

static volatile sig_atomic_t got_usr1;
static int usr1_fd = -1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
	if (write(usr1_fd, "U", 1) != 1)
		got_usr1 = 2;
}

static void test_pdeathsig(void)
{
	int ready[2], info[2], res[2];
	pid_t c, g = 0, pp = 0;
	char u = 0;

	if (!CHECK_OK(pipe(ready)) || !CHECK_OK(pipe(info)) ||
	    !CHECK_OK(pipe(res)))
		return;
	c = xfork();
	if (c == 0) {
		pid_t cpid = getpid(), gc;
		char r;

		gc = fork();
		if (gc < 0)
			_exit(100);
		if (gc == 0) {
			struct sigaction sa;
			sigset_t blk, old;
			int sig = 0;

			usr1_fd = res[1];
			sigemptyset(&blk);
			sigaddset(&blk, SIGUSR1);
			sigprocmask(SIG_BLOCK, &blk, &old);
			sigdelset(&old, SIGUSR1);
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = on_usr1;
			sigaction(SIGUSR1, &sa, NULL);
			if (prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) != 0)
				_exit(10);
			if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) != 0 ||
			    sig != SIGUSR1)
				_exit(11);
			if (getppid() != cpid)
				_exit(12);
			if (write(ready[1], "R", 1) != 1)
				_exit(13);
			while (!got_usr1)
				sigsuspend(&old);
			if (got_usr1 != 1)
				_exit(14);
			/* Still armed: it is not a one-shot. */
			sig = 0;
			if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) != 0 ||
			    sig != SIGUSR1)
				_exit(15);
			pp = getppid();
			if (write(res[1], &pp, sizeof(pp)) != sizeof(pp))
				_exit(16);
			_exit(0);
		}
		if (read(ready[0], &r, 1) != 1)
			_exit(101);
		if (write(info[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(102);
		_exit(0);	/* the grandchild gets SIGUSR1 */
	}
	close(ready[0]);
	close(ready[1]);
	close(info[1]);
	close(res[1]);
	CHECK_EQ(read_full(info[0], &g, sizeof(g)), 0);
	CHECK_EQ(reap(c), 0);
	if (CHECK_EQ(read_full(res[0], &u, 1), 0))
		CHECK_EQ(u, 'U');
	if (CHECK_EQ(read_full(res[0], &pp, sizeof(pp)), 0))
		CHECK_EQ(pp, me);
	if (g > 0)
		CHECK_EQ(reap(g), 0);
	close(info[0]);
	close(res[0]);
}

static void c_pdeathsig_args(void)
{
	int sig = -1;
	pid_t pid;

	CHECK_EQ(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), 0);
	CHECK_EQ(sig, 0);
	CHECK_OK(prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), 0);
	CHECK_EQ(sig, SIGUSR2);
	CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_SET_PDEATHSIG, -1, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_GET_PDEATHSIG, (void *)8, 0, 0, 0), EFAULT);
	CHECK_EQ(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), 0);
	CHECK_EQ(sig, SIGUSR2);
	/* Not inherited by fork. */
	pid = xfork();
	if (pid == 0) {
		int s = -1;

		_exit(prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0) == 0 && s == 0 ?
			      0 : 1);
	}
	CHECK_EQ(reap(pid), 0);
	CHECK_OK(prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0), 0);
	CHECK_EQ(sig, 0);
}

/* ------------------------------------------------------ orphans */

static void test_orphan(void)
{
	int info[2], ack[2], go[2], res[2], cgo[2];
	pid_t c, g = 0, pp[2] = { 0, 0 };
	int st = -1;

	if (!CHECK_OK(pipe(info)) || !CHECK_OK(pipe(ack)) ||
	    !CHECK_OK(pipe(go)) || !CHECK_OK(pipe(res)) ||
	    !CHECK_OK(pipe(cgo)))
		return;
	c = xfork();
	if (c == 0) {
		pid_t gc = fork();
		char x;

		if (gc < 0)
			_exit(100);
		if (gc == 0) {
			pid_t v[2];

			close(go[1]);
			v[0] = getppid();
			if (write(ack[1], "a", 1) != 1)
				_exit(10);
			if (read(go[0], &x, 1) != 1)	/* parent gone */
				_exit(11);
			v[1] = getppid();
			if (write(res[1], v, sizeof(v)) != sizeof(v))
				_exit(12);
			_exit(7);
		}
		if (read(ack[0], &x, 1) != 1)
			_exit(101);
		if (write(info[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(102);
		close(cgo[1]);
		if (read(cgo[0], &x, 1) != 1)	/* until the test has looked */
			_exit(103);
		_exit(0);
	}
	close(info[1]);
	close(cgo[0]);
	close(ack[0]);
	close(ack[1]);
	close(go[0]);
	close(res[1]);
	CHECK_EQ(read_full(info[0], &g, sizeof(g)), 0);
	/* Not ours yet: it is our grandchild. */
	CHECK_ERR(waitpid(g, &st, WNOHANG), ECHILD);
	CHECK_EQ(write(cgo[1], "c", 1), 1);
	CHECK_EQ(reap(c), 0);
	CHECK_EQ(write(go[1], "g", 1), 1);
	if (CHECK_EQ(read_full(res[0], pp, sizeof(pp)), 0)) {
		CHECK_EQ(pp[0], c);
		CHECK_EQ(pp[1], me);
	}
	/* Now it is ours to reap, like any child. */
	st = -1;
	CHECK_EQ(waitpid(-1, &st, 0), g);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	close(info[0]);
	close(go[1]);
	close(res[0]);
	close(cgo[1]);

	/* The subreaper attribute is not inherited by fork. */
	int want = me == 1 ? 0 : 1, v = -1;

	CHECK_EQ(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0), 0);
	CHECK_EQ(v, want);
	c = xfork();
	if (c == 0) {
		int w = -1;

		_exit(prctl(PR_GET_CHILD_SUBREAPER, &w, 0, 0, 0) == 0 && w == 0 ?
			      0 : 1);
	}
	CHECK_EQ(reap(c), 0);
}

/* ------------------------------------------------------ SIGCHLD */

struct rec {
	int signo, code, status;
	pid_t pid;
	uid_t uid;
};

static struct rec recs[16];
static volatile sig_atomic_t nrec;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (nrec < 16) {
		recs[nrec].signo = si->si_signo;
		recs[nrec].code = si->si_code;
		recs[nrec].status = si->si_status;
		recs[nrec].pid = si->si_pid;
		recs[nrec].uid = si->si_uid;
	}
	nrec++;
}

static sigset_t unblocked;	/* SIGCHLD (and all else) unblocked */

static void set_chld(void (*h)(int, siginfo_t *, void *), void (*dfl)(int),
		     int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	if (h) {
		sa.sa_sigaction = h;
		sa.sa_flags = SA_SIGINFO | flags;
	} else {
		sa.sa_handler = dfl;
		sa.sa_flags = flags;
	}
	CHECK_OK(sigaction(SIGCHLD, &sa, NULL));
}

static void block_chld(int how)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	sigprocmask(how, &s, NULL);
}

/* With SIGCHLD blocked: let handlers run until n records are in. */
static void wait_recs(int n)
{
	while (nrec < n)
		sigsuspend(&unblocked);
}

#define CHECK_REC(i, code_, status_, pid_)                                   \
	({                                                                   \
		CHECK_EQ(recs[i].signo, SIGCHLD);                            \
		CHECK_EQ(recs[i].code, code_);                               \
		CHECK_EQ(recs[i].status, status_);                           \
		CHECK_EQ(recs[i].pid, pid_);                                 \
		CHECK_EQ(recs[i].uid, getuid());                             \
	})

static int chld_pending(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigpending(&s);
	return sigismember(&s, SIGCHLD);
}

static void test_sigchld_info(void)
{
	pid_t pid;
	int st;

	block_chld(SIG_BLOCK);
	set_chld(on_chld, NULL, 0);

	/* Exit. */
	nrec = 0;
	pid = xfork();
	if (pid == 0)
		_exit(3);
	wait_recs(1);
	CHECK_EQ(nrec, 1);
	CHECK_REC(0, CLD_EXITED, 3, pid);
	st = reap_status(pid, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);

	/* SIGKILL. */
	nrec = 0;
	pid = xfork();
	if (pid == 0)
		block_forever();
	CHECK_OK(kill(pid, SIGKILL));
	wait_recs(1);
	CHECK_EQ(nrec, 1);
	CHECK_REC(0, CLD_KILLED, SIGKILL, pid);
	CHECK_EQ(reap_status(pid, 0), SIGKILL);

	/* Stop, continue, kill. */
	nrec = 0;
	pid = xfork();
	if (pid == 0)
		block_forever();
	CHECK_OK(kill(pid, SIGSTOP));
	wait_recs(1);
	CHECK_EQ(nrec, 1);
	CHECK_REC(0, CLD_STOPPED, SIGSTOP, pid);
	st = reap_status(pid, WUNTRACED);
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	CHECK_EQ(st, (SIGSTOP << 8) | 0x7f);
	CHECK_OK(kill(pid, SIGCONT));
	wait_recs(2);
	CHECK_EQ(nrec, 2);
	CHECK_REC(1, CLD_CONTINUED, SIGCONT, pid);
	st = reap_status(pid, WCONTINUED);
	CHECK(WIFCONTINUED(st));
	CHECK_EQ(st, 0xffff);
	CHECK_OK(kill(pid, SIGKILL));
	wait_recs(3);
	CHECK_EQ(nrec, 3);
	CHECK_REC(2, CLD_KILLED, SIGKILL, pid);
	CHECK_EQ(reap_status(pid, 0), SIGKILL);

	/* SA_NOCLDSTOP: nothing for stop and continue; exits still come. */
	set_chld(on_chld, NULL, SA_NOCLDSTOP);
	nrec = 0;
	pid = xfork();
	if (pid == 0)
		block_forever();
	CHECK_OK(kill(pid, SIGSTOP));
	st = reap_status(pid, WUNTRACED);
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	CHECK(!chld_pending());
	CHECK_OK(kill(pid, SIGCONT));
	st = reap_status(pid, WCONTINUED);
	CHECK(WIFCONTINUED(st));
	CHECK_OK(kill(pid, SIGKILL));
	wait_recs(1);
	CHECK_EQ(nrec, 1);
	CHECK_REC(0, CLD_KILLED, SIGKILL, pid);
	CHECK_EQ(reap_status(pid, 0), SIGKILL);

	set_chld(NULL, SIG_DFL, 0);
	block_chld(SIG_UNBLOCK);
}

/* ------------------------------------------------------ autoreap */

/* Three children that exit after 20, 40 and 60 ms; waitpid(-1) must wait
 * for all of them and then say ECHILD, and none is left as a zombie. */
static void check_autoreap(void)
{
	siginfo_t si;
	pid_t pid[3];
	int st;

	for (int i = 0; i < 3; i++) {
		pid[i] = xfork();
		if (pid[i] == 0) {
			sleep_ms(20 * (i + 1));
			_exit(i);
		}
	}
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
	for (int i = 0; i < 3; i++)
		CHECK(gone(pid[i]));
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);

	/* The same with one child and waitid. */
	pid[0] = xfork();
	if (pid[0] == 0) {
		sleep_ms(20);
		_exit(1);
	}
	CHECK_ERR(waitid(P_PID, pid[0], &si, WEXITED), ECHILD);
	CHECK(gone(pid[0]));
}

static void test_autoreap(void)
{
	siginfo_t si;
	pid_t pid;
	int st;

	set_chld(NULL, SIG_IGN, 0);
	check_autoreap();
	set_chld(NULL, SIG_DFL, SA_NOCLDWAIT);
	check_autoreap();

	/* SA_NOCLDWAIT with a handler: reaped, but the signal comes. */
	block_chld(SIG_BLOCK);
	set_chld(on_chld, NULL, SA_NOCLDWAIT);
	nrec = 0;
	pid = xfork();
	if (pid == 0)
		_exit(5);
	wait_recs(1);
	CHECK_EQ(nrec, 1);
	CHECK_REC(0, CLD_EXITED, 5, pid);
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
	CHECK(gone(pid));
	set_chld(NULL, SIG_DFL, 0);
	block_chld(SIG_UNBLOCK);

	/* A zombie from before SIGCHLD was ignored stays until reaped. */
	pid = xfork();
	if (pid == 0)
		_exit(4);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	set_chld(NULL, SIG_IGN, 0);
	CHECK_OK(kill(pid, 0));
	st = reap_status(pid, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 4);
	set_chld(NULL, SIG_DFL, 0);

	/* With SIGCHLD back to SIG_DFL, children are zombies again. */
	pid = xfork();
	if (pid == 0)
		_exit(6);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_OK(kill(pid, 0));
	st = reap_status(pid, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 6);
}

/* ------------------------------------------------------ clone */

static void test_clone_nosig(void)
{
	int hold[2], st = -1;
	siginfo_t si;
	pid_t pid;
	char c;

	if (!CHECK_OK(pipe(hold)))
		return;
	block_chld(SIG_BLOCK);
	pid = raw_clone(0);		/* no CSIGNAL: exit signal 0 */
	if (pid == 0) {
		close(hold[1]);
		if (read(hold[0], &c, 1) != 1)
			_exit(100);
		_exit(7);
	}
	if (!CHECK(pid > 0)) {
		block_chld(SIG_UNBLOCK);
		return;
	}
	/* Alive (it waits for hold), yet not waitable without __WCLONE. */
	CHECK_OK(kill(pid, 0));
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD);
	CHECK_ERR(waitpid(pid, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
	CHECK_ERR(waitid(P_PID, pid, &si, WEXITED), ECHILD);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	CHECK_EQ(waitpid(pid, &st, __WCLONE | WNOHANG), 0);
	CHECK_EQ(write(hold[1], "x", 1), 1);
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT | __WCLONE), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 7);
	CHECK_ERR(waitpid(pid, &st, WNOHANG), ECHILD);	/* zombie: still */
	st = reap_status(pid, __WCLONE);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	CHECK(!chld_pending());			/* it sent no SIGCHLD */

	/* __WALL also sees it. */
	pid = raw_clone(0);
	if (pid == 0)
		_exit(8);
	if (CHECK(pid > 0)) {
		st = reap_status(pid, __WALL);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 8);
	}
	CHECK(!chld_pending());

	/* __WCLONE does not see a child with SIGCHLD as exit signal. */
	pid = raw_clone(SIGCHLD);
	if (pid == 0)
		_exit(9);
	if (CHECK(pid > 0)) {
		CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
		CHECK_ERR(waitpid(pid, &st, __WCLONE), ECHILD);
		CHECK(chld_pending());
		st = reap_status(pid, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9);
	}
	/* Drop the pending SIGCHLD (default action: ignore). */
	block_chld(SIG_UNBLOCK);
	CHECK(!chld_pending());
	close(hold[0]);
	close(hold[1]);
}

static void test_clone_parent(void)
{
	int info[2];
	pid_t c, g[2] = { 0, 0 };
	int st;

	if (me == 1) {
		/* The init of a PID namespace may not make siblings. */
		pid_t r = raw_clone(CLONE_PARENT | SIGCHLD);

		if (r == 0)
			_exit(0);
		CHECK_EQ(r, -1);
		CHECK_EQ(errno, EINVAL);
	}
	if (!CHECK_OK(pipe(info)))
		return;
	c = xfork();
	if (c == 0) {
		pid_t v[2];
		int s;

		close(info[0]);
		v[0] = raw_clone(CLONE_PARENT | SIGCHLD);
		if (v[0] == 0)
			_exit(getppid() == me ? 0 : 1);
		/* Exit signal 0 asked for, but CLONE_PARENT takes ours. */
		v[1] = raw_clone(CLONE_PARENT);
		if (v[1] == 0)
			_exit(getppid() == me ? 2 : 3);
		if (v[0] < 0 || v[1] < 0)
			_exit(100);
		if (write(info[1], v, sizeof(v)) != sizeof(v))
			_exit(101);
		/* Siblings, not children. */
		if (waitpid(v[0], &s, __WALL) != -1 || errno != ECHILD)
			_exit(102);
		if (waitpid(-1, &s, __WALL | WNOHANG) != -1 || errno != ECHILD)
			_exit(103);
		_exit(0);
	}
	close(info[1]);
	CHECK_EQ(read_full(info[0], g, sizeof(g)), 0);
	CHECK_EQ(reap(c), 0);
	if (g[0] > 0)
		CHECK_EQ(reap(g[0]), 0);
	if (g[1] > 0) {
		CHECK_EQ(reap(g[1]), 2);	/* plain waitpid: SIGCHLD */
	}
	CHECK_ERR(waitpid(-1, &st, __WALL | WNOHANG), ECHILD);
	close(info[0]);
}

/* ------------------------------------------------------ robust futexes */

static pthread_mutex_t *robust_init(pthread_mutex_t *m, int shared)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	CHECK_EQ(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
	if (shared)
		CHECK_EQ(pthread_mutexattr_setpshared(&a,
						      PTHREAD_PROCESS_SHARED), 0);
	CHECK_EQ(pthread_mutex_init(m, &a), 0);
	pthread_mutexattr_destroy(&a);
	return m;
}

static void *lock_and_leave(void *arg)
{
	pthread_mutex_t *m = arg;

	if (pthread_mutex_lock(m) != 0)
		return (void *)1;
	return NULL;			/* still holding it */
}

static void test_robust(void)
{
	pthread_mutex_t *m, pm;
	int p[2], st;
	pthread_t t;
	void *ret = (void *)9;
	pid_t pid;
	char c;

	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(m != MAP_FAILED) || !CHECK_OK(pipe(p)))
		return;

	/* The kernel knows glibc's list head. */
	struct robust_list_head *head = NULL;
	size_t len = 0;

	CHECK_EQ(syscall(SYS_get_robust_list, 0, &head, &len), 0);
	CHECK(head != NULL);
	CHECK_EQ(len, sizeof(struct robust_list_head));
	CHECK_ERR(syscall(SYS_get_robust_list, INT_MAX, &head, &len), ESRCH);
	CHECK_ERR(syscall(SYS_set_robust_list, head, len - 1), EINVAL);
	CHECK_ERR(syscall(SYS_set_robust_list, head, len + 8), EINVAL);

	/* A process that dies holding it. */
	robust_init(m, 1);
	pid = xfork();
	if (pid == 0)
		_exit(pthread_mutex_lock(m) == 0 ? 0 : 1);
	CHECK_EQ(reap(pid), 0);
	/* The owner's tid is gone and FUTEX_OWNER_DIED is set. */
	CHECK_EQ(*(volatile int *)m, FUTEX_OWNER_DIED);
	CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD);
	CHECK_EQ(*(volatile int *)m & FUTEX_TID_MASK, syscall(SYS_gettid));
	CHECK_EQ(pthread_mutex_consistent(m), 0);
	CHECK_EQ(pthread_mutex_unlock(m), 0);
	CHECK_EQ(pthread_mutex_lock(m), 0);
	CHECK_EQ(pthread_mutex_unlock(m), 0);
	CHECK_EQ(*(volatile int *)m, 0);

	/* Unlocked without pthread_mutex_consistent: unusable for good. */
	pid = xfork();
	if (pid == 0)
		_exit(pthread_mutex_lock(m) == 0 ? 0 : 1);
	CHECK_EQ(reap(pid), 0);
	CHECK_EQ(pthread_mutex_trylock(m), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_unlock(m), 0);
	CHECK_EQ(pthread_mutex_lock(m), ENOTRECOVERABLE);
	CHECK_EQ(pthread_mutex_trylock(m), ENOTRECOVERABLE);
	pthread_mutex_destroy(m);

	/* The test waiting for it while the owner dies. */
	robust_init(m, 1);
	pid = xfork();
	if (pid == 0) {
		if (pthread_mutex_lock(m) != 0)
			_exit(1);
		if (write(p[1], "L", 1) != 1)
			_exit(2);
		sleep_ms(50);
		_exit(0);
	}
	CHECK_EQ(read_full(p[0], &c, 1), 0);
	CHECK_EQ(pthread_mutex_lock(m), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(m), 0);
	CHECK_EQ(pthread_mutex_unlock(m), 0);
	CHECK_EQ(reap(pid), 0);
	pthread_mutex_destroy(m);

	/* A thread that exits holding a private robust mutex. */
	robust_init(&pm, 0);
	if (CHECK_EQ(pthread_create(&t, NULL, lock_and_leave, &pm), 0)) {
		CHECK_EQ(pthread_join(t, &ret), 0);
		CHECK(ret == NULL);
		CHECK_EQ(pthread_mutex_lock(&pm), EOWNERDEAD);
		CHECK_EQ(pthread_mutex_consistent(&pm), 0);
		CHECK_EQ(pthread_mutex_unlock(&pm), 0);
		CHECK_EQ(pthread_mutex_lock(&pm), 0);
		CHECK_EQ(pthread_mutex_unlock(&pm), 0);
	}
	pthread_mutex_destroy(&pm);

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	munmap(m, PAGE);
	close(p[0]);
	close(p[1]);
}

/* ------------------------------------------------------ prctl */

/* The contents of a small file, or "" (reported). */
static void slurp(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	buf[0] = 0;
	if (!CHECK(fd >= 0))
		return;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(fd);
}

#define CHECK_STR(got, want)                                                 \
	(strcmp(got, want) == 0                                              \
		 ? 1                                                         \
		 : check_fail(__FILE__, __LINE__, "%s == \"%s\" (got \"%s\")", \
			      #got, want, got))

static void c_name(void)
{
	char name[32], buf[4096], path[64];
	pid_t pid;
	int fd;

	CHECK_OK(prctl(PR_SET_NAME, "life", 0, 0, 0));
	memset(name, 'x', sizeof(name));
	CHECK_OK(prctl(PR_GET_NAME, name, 0, 0, 0));
	CHECK_STR(name, "life");
	slurp("/proc/self/comm", buf, sizeof(buf));
	CHECK_STR(buf, "life\n");
	CHECK(strncmp(buf, "life", 4) == 0);
	slurp("/proc/self/status", buf, sizeof(buf));
	CHECK(strncmp(buf, "Name:\tlife\n", 11) == 0);

	/* Truncated to 15 bytes and a NUL. */
	CHECK_OK(prctl(PR_SET_NAME, "abcdefghijklmnopqrstuvwxyz", 0, 0, 0));
	memset(name, 'x', sizeof(name));
	CHECK_OK(prctl(PR_GET_NAME, name, 0, 0, 0));
	CHECK_STR(name, "abcdefghijklmno");
	slurp("/proc/self/comm", buf, sizeof(buf));
	CHECK_STR(buf, "abcdefghijklmno\n");
	snprintf(path, sizeof(path), "/proc/self/task/%ld/comm",
		 syscall(SYS_gettid));
	slurp(path, buf, sizeof(buf));
	CHECK_STR(buf, "abcdefghijklmno\n");
	CHECK_ERR(prctl(PR_SET_NAME, (void *)8, 0, 0, 0), EFAULT);
	CHECK_ERR(prctl(PR_GET_NAME, (void *)8, 0, 0, 0), EFAULT);

	/* Inherited by fork. */
	pid = xfork();
	if (pid == 0) {
		char n[16] = "";

		prctl(PR_GET_NAME, n, 0, 0, 0);
		_exit(strcmp(n, "abcdefghijklmno") == 0 ? 0 : 1);
	}
	CHECK_EQ(reap(pid), 0);

	/* Writing /proc/self/comm renames us (the bytes as written). */
	fd = open("/proc/self/comm", O_WRONLY);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(write(fd, "renamed", 7), 7);
		CHECK_OK(close(fd));
	}
	memset(name, 'x', sizeof(name));
	CHECK_OK(prctl(PR_GET_NAME, name, 0, 0, 0));
	CHECK_STR(name, "renamed");
	slurp("/proc/self/comm", buf, sizeof(buf));
	CHECK_STR(buf, "renamed\n");
}

static void c_dumpable(void)
{
	pid_t pid;

	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	/* Kept across fork. */
	pid = xfork();
	if (pid == 0)
		_exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	CHECK_EQ(reap(pid), 0);
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	/* 2 (SUID_DUMP_ROOT) can't be set with prctl. */
	CHECK_ERR(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_SET_DUMPABLE, 3, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_SET_DUMPABLE, -1, 0, 0, 0), EINVAL);
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	pid = xfork();
	if (pid == 0)
		_exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	CHECK_EQ(reap(pid), 1);
}

/* ------------------------------------------------------ SIGABRT */

/*
 * With a core_pattern that pipes to a helper, Linux ignores RLIMIT_CORE 0
 * (only 1 is special), so there the child also makes itself undumpable;
 * with a file pattern (and under moat) RLIMIT_CORE 0 alone prevents it.
 */
static int core_pattern_is_pipe(void)
{
	char c = 0;
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '|';
}

static void test_abort_status(void)
{
	struct rlimit rl = { 0, 0 };
	siginfo_t si;
	pid_t pid;
	int st = -1;

	for (int i = 0; i < 2; i++) {
		pid = xfork();
		if (pid == 0) {
			sigset_t none;

			if (chdir(dir) != 0)
				_exit(100);
			if (setrlimit(RLIMIT_CORE, &rl) != 0)
				_exit(101);
			if (core_pattern_is_pipe())
				prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGABRT, SIG_DFL);
			abort();
		}
		if (i == 0) {
			st = reap_status(pid, 0);
			CHECK(WIFSIGNALED(st));
			CHECK_EQ(WTERMSIG(st), SIGABRT);
			CHECK_EQ(WCOREDUMP(st), 0);
			CHECK_EQ(st, SIGABRT);
		} else {
			memset(&si, 0, sizeof(si));
			CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
			CHECK_EQ(si.si_code, CLD_KILLED);
			CHECK_EQ(si.si_status, SIGABRT);
		}
	}
}

int main(void)
{
	int st;

	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&unblocked);
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	/* A lost signal fails the test rather than hanging it (a handler:
	 * as a namespace's PID 1, SIG_DFL SIGALRM would be ignored). */
	signal(SIGALRM, on_alarm);
	alarm(20);
	me = getpid();
	/* Orphans come to PID 1, or else to the nearest subreaper. */
	if (me != 1)
		CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	scratch_init();

	test_pdeathsig();
	CHECK_EQ(run(c_pdeathsig_args), 0);
	test_orphan();
	test_sigchld_info();
	test_autoreap();
	test_clone_nosig();
	test_clone_parent();
	test_robust();
	CHECK_EQ(run(c_name), 0);
	CHECK_EQ(run(c_dumpable), 0);
	test_abort_status();

	CHECK_ERR(waitpid(-1, &st, __WALL | WNOHANG), ECHILD);
	rmtree(dir);
	return check_done();
}
