/*
 * proc_pgrp.c - process groups, sessions and job-control signals:
 * getpgrp/getpgid/getsid and their ESRCH/EINVAL cases; setpgid by a child
 * on itself and by the parent on a child (and EACCES once the child has
 * exec'd, ESRCH for a non-child, EPERM for a group that does not exist in
 * the session); setsid by a non-leader (a new session and group) and by a
 * group leader (EPERM); kill(-pgid) reaching every member of a group and
 * no one else; kill(pid, 0) on a live child, a zombie and a reaped one;
 * SIGSTOP/SIGCONT as seen by waitpid (WUNTRACED, WCONTINUED) and by
 * waitid (WSTOPPED, WCONTINUED, WEXITED, WNOWAIT) with P_PGID and
 * waitpid(-pgid); and an orphaned grandchild re-parented to this process,
 * which makes itself a child subreaper.
 *
 * Children report through their exit status (checked by the parent); they
 * sync with the parent through pipes, never by sleeping. When run with
 * argv[1] == "child-exec" it is the exec'd program of the EACCES case.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

static pid_t me, pgrp, sid;

#define REAP_EXIT(pid, code)                                                 \
	({                                                                   \
		int st_ = reap_status(pid, 0);                               \
		CHECK(WIFEXITED(st_)) && CHECK_EQ(WEXITSTATUS(st_), code);  \
	})

#define REAP_SIGNALED(pid, sig)                                              \
	({                                                                   \
		int st_ = reap_status(pid, 0);                               \
		CHECK(WIFSIGNALED(st_)) && CHECK_EQ(WTERMSIG(st_), sig);    \
	})

/* Read one byte (0 on EOF or error). */
static char get1(int fd)
{
	char c = 0;
	long n;

	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return n == 1 ? c : 0;
}

static void put1(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(100);
}

/* A pair of pipes: to[] parent -> child, from[] child -> parent. */
struct chan {
	int to[2], from[2];
};

static int chan_open(struct chan *c)
{
	return CHECK_OK(pipe(c->to)) && CHECK_OK(pipe(c->from));
}

/* In the child after fork: keep to[0] and from[1]. */
static void chan_child(struct chan *c)
{
	close(c->to[1]);
	close(c->from[0]);
}

static void chan_parent(struct chan *c)
{
	CHECK_OK(close(c->to[0]));
	CHECK_OK(close(c->from[1]));
}

static void chan_close(struct chan *c)
{
	CHECK_OK(close(c->to[1]));
	CHECK_OK(close(c->from[0]));
}

/* The pid of a child that has been reaped: no process has it now. */
static pid_t dead_pid(void)
{
	pid_t pid = xfork();

	if (pid == 0)
		_exit(0);
	REAP_EXIT(pid, 0);
	return pid;
}

/* Field 3 (state) of /proc/PID/stat, or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;
	long n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

static void test_ids(void)
{
	pid_t pid;

	CHECK(pgrp > 0);
	CHECK(sid >= 0);	/* 0 if the leader is outside our pid namespace */
	CHECK_EQ(getpgid(0), pgrp);
	CHECK_EQ(getpgid(me), pgrp);
	CHECK_EQ(syscall(SYS_getpgrp), pgrp);
	CHECK_EQ(getsid(me), sid);

	CHECK_ERR(getpgid(INT_MAX), ESRCH);
	CHECK_ERR(getpgid(-1), ESRCH);
	CHECK_ERR(getsid(INT_MAX), ESRCH);
	CHECK_ERR(setpgid(0, -1), EINVAL);
	CHECK_ERR(setpgid(-1, 0), EINVAL);
	CHECK_ERR(setpgid(INT_MAX, 0), ESRCH);	/* not us, not a child */
	CHECK_ERR(kill(INT_MAX, 0), ESRCH);
	CHECK_ERR(kill(INT_MIN, 0), ESRCH);	/* -INT_MIN overflows */

	/* A child inherits the group and the session. */
	pid = xfork();
	if (pid == 0) {
		if (getpgrp() != pgrp || getpgid(0) != pgrp)
			_exit(1);
		if (getsid(0) != sid)
			_exit(2);
		if (getpgid(getppid()) != pgrp)
			_exit(3);
		_exit(0);
	}
	CHECK_EQ(getpgid(pid), pgrp);
	CHECK_EQ(getsid(pid), sid);
	REAP_EXIT(pid, 0);
}

/* A child makes itself a group leader, then goes back. */
static void test_child_setpgid(void)
{
	struct chan c;
	pid_t pid;

	if (!chan_open(&c))
		return;
	pid = xfork();
	if (pid == 0) {
		pid_t self = getpid();

		chan_child(&c);
		if (setpgid(0, 0) != 0)
			_exit(1);
		if (getpgid(0) != self || getpgrp() != self)
			_exit(2);
		if (getsid(0) != sid)			/* same session */
			_exit(3);
		if (setsid() != -1 || errno != EPERM)	/* group leader */
			_exit(4);
		put1(c.from[1], 'a');
		get1(c.to[0]);
		/* Back into the parent's group: same session, so allowed. */
		if (setpgid(0, pgrp) != 0 || getpgrp() != pgrp)
			_exit(5);
		put1(c.from[1], 'b');
		get1(c.to[0]);
		_exit(0);
	}
	chan_parent(&c);
	CHECK_EQ(get1(c.from[0]), 'a');
	CHECK_EQ(getpgid(pid), pid);
	CHECK_EQ(getsid(pid), sid);
	CHECK_EQ(getpgrp(), pgrp);		/* ours is unchanged */
	put1(c.to[1], 'x');
	CHECK_EQ(get1(c.from[0]), 'b');
	CHECK_EQ(getpgid(pid), pgrp);
	put1(c.to[1], 'x');
	REAP_EXIT(pid, 0);
	chan_close(&c);
}

/* The parent moves a child, which is blocked, so there is no race. */
static void test_parent_setpgid(const char *self_exe)
{
	struct chan c;
	pid_t pid;

	if (!chan_open(&c))
		return;
	pid = xfork();
	if (pid == 0) {
		chan_child(&c);
		get1(c.to[0]);
		_exit(getpgid(0) == getpid() && getpgrp() == getpid() ? 0 : 1);
	}
	chan_parent(&c);
	CHECK_OK(setpgid(pid, pid));
	CHECK_EQ(getpgid(pid), pid);
	CHECK_OK(setpgid(pid, pgrp));		/* and back */
	CHECK_EQ(getpgid(pid), pgrp);
	CHECK_OK(setpgid(pid, 0));		/* 0: the child's own pid */
	CHECK_EQ(getpgid(pid), pid);
	CHECK_EQ(getpgrp(), pgrp);
	put1(c.to[1], 'x');
	REAP_EXIT(pid, 0);
	chan_close(&c);

	/* Once the child has exec'd, the parent may no longer move it. */
	if (!chan_open(&c))
		return;
	pid = xfork();
	if (pid == 0) {
		char rfd[16], wfd[16];
		char *argv[] = { "x", "child-exec", rfd, wfd, NULL };

		chan_child(&c);
		snprintf(rfd, sizeof(rfd), "%d", c.to[0]);
		snprintf(wfd, sizeof(wfd), "%d", c.from[1]);
		execv(self_exe, argv);
		_exit(99);
	}
	chan_parent(&c);
	CHECK_EQ(get1(c.from[0]), 'e');		/* the new image runs */
	CHECK_ERR(setpgid(pid, pid), EACCES);
	CHECK_EQ(getpgid(pid), pgrp);
	put1(c.to[1], 'x');
	REAP_EXIT(pid, 0);
	chan_close(&c);
}

/* setsid in a child that is not a group leader. */
static void test_setsid(void)
{
	struct chan c;
	pid_t pid;

	if (!chan_open(&c))
		return;
	pid = xfork();
	if (pid == 0) {
		pid_t self = getpid();

		chan_child(&c);
		if (getpgrp() == self)
			_exit(1);
		if (setsid() != self)
			_exit(2);
		if (getsid(0) != self || getpgrp() != self ||
		    getpgid(0) != self)
			_exit(3);
		/* A session leader can do neither again. */
		if (setsid() != -1 || errno != EPERM)
			_exit(4);
		if (setpgid(0, 0) != -1 || errno != EPERM)
			_exit(5);
		/* The old group is in another session now. */
		if (setpgid(0, pgrp) != -1 || errno != EPERM)
			_exit(6);
		put1(c.from[1], 'a');
		get1(c.to[0]);
		_exit(0);
	}
	chan_parent(&c);
	CHECK_EQ(get1(c.from[0]), 'a');
	CHECK_EQ(getsid(pid), pid);
	CHECK_EQ(getpgid(pid), pid);
	CHECK_EQ(getsid(0), sid);		/* ours is unchanged */
	/* A child in another session cannot be moved. */
	CHECK_ERR(setpgid(pid, pgrp), EPERM);
	CHECK_ERR(setpgid(pid, pid), EPERM);
	put1(c.to[1], 'x');
	REAP_EXIT(pid, 0);
	chan_close(&c);
}

/* setpgid to a group that does not exist in the session: EPERM. */
static void test_setpgid_nonexistent(void)
{
	struct chan c;
	pid_t pid, gone;

	if (!chan_open(&c))
		return;
	pid = xfork();			/* before gone, so it can't be gone */
	if (pid == 0) {
		pid_t g = 0;

		chan_child(&c);
		if (read(c.to[0], &g, sizeof(g)) != sizeof(g))
			_exit(100);
		if (setpgid(0, g) != -1 || errno != EPERM)
			_exit(1);
		if (getpgrp() != pgrp)
			_exit(2);
		_exit(0);
	}
	chan_parent(&c);
	gone = dead_pid();
	CHECK_ERR(getpgid(gone), ESRCH);
	CHECK_ERR(getsid(gone), ESRCH);
	CHECK_ERR(kill(gone, 0), ESRCH);
	CHECK_ERR(kill(-gone, 0), ESRCH);	/* no such group */
	CHECK_ERR(setpgid(pid, gone), EPERM);
	CHECK_ERR(setpgid(gone, gone), ESRCH);
	CHECK_EQ(write(c.to[1], &gone, sizeof(gone)), sizeof(gone));
	REAP_EXIT(pid, 0);
	chan_close(&c);
}

/* kill(-pgid, SIGTERM) kills the 3 members of a group, no one else. */
static void test_killpg(void)
{
	pid_t kids[3], bystander, g;
	int p[2], q[2];

	if (!CHECK_OK(pipe(p)) || !CHECK_OK(pipe(q)))
		return;
	/* One child stays in our group. */
	bystander = xfork();
	if (bystander == 0) {
		close(q[1]);
		_exit(get1(q[0]) == 'x' ? 0 : 1);
	}
	for (int i = 0; i < 3; i++) {
		kids[i] = xfork();
		if (kids[i] == 0) {
			/* Both sides set the group, as shells do. */
			setpgid(0, i ? kids[0] : 0);
			close(p[1]);
			get1(p[0]);
			_exit(1);
		}
		CHECK_OK(setpgid(kids[i], kids[0]));
	}
	g = kids[0];
	for (int i = 0; i < 3; i++)
		CHECK_EQ(getpgid(kids[i]), g);
	CHECK_EQ(getpgid(bystander), pgrp);
	CHECK_OK(kill(-g, 0));
	CHECK_OK(kill(-g, SIGTERM));
	for (int i = 0; i < 3; i++)
		REAP_SIGNALED(kids[i], SIGTERM);
	CHECK_ERR(kill(-g, 0), ESRCH);		/* the group is gone */
	CHECK_ERR(kill(-g, SIGTERM), ESRCH);
	/* The bystander is alive and well. */
	CHECK_EQ(waitpid(bystander, NULL, WNOHANG), 0);
	CHECK_OK(kill(bystander, 0));
	CHECK_EQ(write(q[1], "x", 1), 1);
	REAP_EXIT(bystander, 0);
	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
	CHECK_OK(close(q[0]));
	CHECK_OK(close(q[1]));
}

/* kill(pid, 0): a live child, a zombie, a reaped one. */
static void test_kill0(void)
{
	siginfo_t si;
	int p[2];
	pid_t pid;

	if (!CHECK_OK(pipe(p)))
		return;
	pid = xfork();
	if (pid == 0) {
		close(p[1]);
		get1(p[0]);
		_exit(5);
	}
	CHECK_OK(close(p[0]));
	CHECK_EQ(kill(pid, 0), 0);
	CHECK_OK(close(p[1]));			/* EOF: the child exits */
	/* Wait until it is a zombie without reaping it. */
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(kill(pid, 0), 0);		/* a zombie still exists */
	CHECK_EQ(kill(pid, SIGKILL), 0);	/* and takes signals, uselessly */
	CHECK_EQ(getpgid(pid), pgrp);
	CHECK_EQ(getsid(pid), sid);
	CHECK_EQ(proc_state(pid), 'Z');
	REAP_EXIT(pid, 5);			/* SIGKILL changed nothing */
	CHECK_ERR(kill(pid, 0), ESRCH);
	CHECK_ERR(getpgid(pid), ESRCH);
}

/* SIGSTOP / SIGCONT through waitpid. */
static void test_stop_cont(void)
{
	int p[2], st;
	pid_t pid;

	if (!CHECK_OK(pipe(p)))
		return;
	pid = xfork();
	if (pid == 0) {
		close(p[1]);
		get1(p[0]);
		_exit(1);
	}
	CHECK_OK(kill(pid, SIGSTOP));
	st = -1;
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK(!WIFEXITED(st) && !WIFSIGNALED(st) && !WIFCONTINUED(st));
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	CHECK_EQ(st, (SIGSTOP << 8) | 0x7f);
	CHECK_EQ(proc_state(pid), 'T');
	/* A stop is reported once; without WUNTRACED not at all. */
	CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	CHECK_EQ(waitpid(pid, &st, WCONTINUED | WNOHANG), 0);

	CHECK_OK(kill(pid, SIGCONT));
	st = -1;
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	CHECK(!WIFSTOPPED(st) && !WIFEXITED(st) && !WIFSIGNALED(st));
	CHECK_EQ(st, 0xffff);
	CHECK_EQ(waitpid(pid, &st, WCONTINUED | WNOHANG), 0);
	/* SIGCONT to a running process is no event. */
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, WCONTINUED | WUNTRACED | WNOHANG), 0);

	/* Stop again, then SIGKILL the stopped child. */
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_OK(kill(pid, SIGKILL));
	REAP_SIGNALED(pid, SIGKILL);
	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
}

/* The same through waitid with P_PGID, the child in its own group. */
static void test_waitid_pgid(void)
{
	siginfo_t si;
	struct chan c;
	pid_t pid;
	int st;

	if (!chan_open(&c))
		return;
	pid = xfork();
	if (pid == 0) {
		chan_child(&c);
		setpgid(0, 0);
		get1(c.to[0]);
		_exit(3);
	}
	chan_parent(&c);
	CHECK_OK(setpgid(pid, pid));

	/* Our own group has no children now. */
	CHECK_ERR(waitid(P_PGID, pgrp, &si, WEXITED | WNOHANG), ECHILD);
	CHECK_ERR(waitpid(0, &st, WNOHANG), ECHILD);
	if (pgrp != 1)		/* waitpid(-1) waits for any child */
		CHECK_ERR(waitpid(-pgrp, &st, WNOHANG), ECHILD);
	memset(&si, 0x5a, sizeof(si));
	CHECK_EQ(waitid(P_PGID, pid, &si, WEXITED | WSTOPPED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0);
	CHECK_EQ(waitpid(-pid, &st, WNOHANG), 0);

	CHECK_OK(kill(pid, SIGSTOP));
	/* WNOWAIT first: the event stays for the next call. */
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PGID, pid, &si, WSTOPPED | WNOWAIT), 0);
	CHECK_EQ(si.si_code, CLD_STOPPED);
	CHECK_EQ(si.si_pid, pid);
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PGID, pid, &si, WSTOPPED | WEXITED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_STOPPED);
	CHECK_EQ(si.si_status, SIGSTOP);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_uid, getuid());
	memset(&si, 0x5a, sizeof(si));
	CHECK_EQ(waitid(P_PGID, pid, &si, WSTOPPED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0);			/* reported once */

	CHECK_OK(kill(pid, SIGCONT));
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PGID, pid, &si, WCONTINUED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_CONTINUED);
	CHECK_EQ(si.si_status, SIGCONT);
	CHECK_EQ(si.si_pid, pid);

	put1(c.to[1], 'x');
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PGID, pid, &si, WEXITED), 0);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 3);
	CHECK_EQ(si.si_pid, pid);
	CHECK_ERR(waitid(P_PGID, pid, &si, WEXITED), ECHILD);
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD);
	chan_close(&c);
}

/* An orphaned grandchild is re-parented to us, the subreaper. */
static void test_orphan(void)
{
	int q[2], r[2];
	pid_t pid, gc = 0;
	int st;

	if (!CHECK_OK(pipe(q)) || !CHECK_OK(pipe(r)))
		return;
	pid = xfork();
	if (pid == 0) {
		pid_t mid = getpid(), g;

		close(q[0]);
		close(r[1]);
		g = fork();
		if (g < 0)
			_exit(100);
		if (g == 0) {
			if (get1(r[0]) != 'x')	/* after mid is reaped */
				_exit(100);
			if (getppid() == mid)
				_exit(1);
			if (getppid() != me)
				_exit(2);
			if (getpgrp() != pgrp || getsid(0) != sid)
				_exit(3);
			_exit(0);
		}
		if (write(q[1], &g, sizeof(g)) != sizeof(g))
			_exit(101);
		_exit(0);			/* orphan g */
	}
	CHECK_OK(close(q[1]));
	CHECK_OK(close(r[0]));
	CHECK_EQ(read(q[0], &gc, sizeof(gc)), sizeof(gc));
	REAP_EXIT(pid, 0);
	/* gc is our child now: waitable, not ECHILD. */
	CHECK_EQ(waitpid(gc, &st, WNOHANG), 0);
	CHECK_EQ(write(r[1], "x", 1), 1);
	REAP_EXIT(gc, 0);
	CHECK_OK(close(q[0]));
	CHECK_OK(close(r[1]));
}

/* The exec'd image of test_parent_setpgid: argv child-exec RFD WFD. */
static int child_exec(int argc, char **argv)
{
	if (argc != 4)
		return 1;
	put1(atoi(argv[3]), 'e');
	get1(atoi(argv[2]));
	return 0;
}

int main(int argc, char **argv)
{
	char self_exe[PATH_MAX];
	int subreaper = -1, st;
	sigset_t none;
	long n;

	if (argc > 1 && !strcmp(argv[1], "child-exec"))
		return child_exec(argc, argv);

	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0) {
		printf("FAIL readlink /proc/self/exe\n");
		return 1;
	}
	self_exe[n] = 0;
	me = getpid();
	pgrp = getpgrp();
	sid = getsid(0);
	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
	CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &subreaper));
	CHECK_EQ(subreaper, 1);

	test_ids();
	test_child_setpgid();
	test_parent_setpgid(self_exe);
	test_setsid();
	test_setpgid_nonexistent();
	test_killpg();
	test_kill0();
	test_stop_cont();
	test_waitid_pgid();
	test_orphan();

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);	/* nothing left */
	CHECK_EQ(getpgrp(), pgrp);
	CHECK_EQ(getsid(0), sid);
	return check_done();
}
