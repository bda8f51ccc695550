/*
 * proc_pidfd.c - pid file descriptors: pidfd_open (close-on-exec always,
 * O_RDWR, PIDFD_NONBLOCK; EINVAL for bad flags and pid <= 0, ESRCH for a
 * pid no process has or a reaped child); read/write on a pidfd EINVAL;
 * pidfd_send_signal (signal 0, SIGTERM killing a child; EINVAL for a
 * siginfo whose signo differs, bad flags, bad signals; EBADF for a pipe,
 * a closed fd and /proc/self/fd, while a /proc/PID directory fd is
 * accepted; a zombie can still be signalled, a reaped child is ESRCH);
 * poll on a pidfd (nothing while the child runs, POLLIN once it has
 * exited, before and after the reap); waitid(P_PIDFD) (WNOHANG, WNOWAIT,
 * reaping; EAGAIN with PIDFD_NONBLOCK on a running child; ECHILD once
 * reaped; EBADF for a non-pidfd, EINVAL for -1); clone3 and clone with
 * CLONE_PIDFD (EINVAL for clone's CLONE_PIDFD | CLONE_PARENT_SETTID and a
 * clone3 struct under 64 bytes); the fdinfo of a pidfd ("Pid:\tPID", and
 * -1 after the reap); pidfd_getfd (a close-on-exec copy of a child's pipe
 * end sharing the pipe; EBADF for an fd the child lacks and for a
 * non-pidfd, EINVAL for flags, ESRCH once the child is reaped).
 *
 * All through raw syscall(2). Children block on pipes, so nothing depends
 * on timing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define NOPID INT_MAX		/* above any pid_max: no process has it */

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

/* struct clone_args from <linux/sched.h> (VER0 is its first 64 bytes). */
struct clone_args_ {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};

static long pidfd_open(pid_t pid, unsigned int flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static long pidfd_send_signal(int fd, int sig, siginfo_t *si,
			      unsigned int flags)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, si, flags);
}

static long pidfd_getfd(int pidfd, int fd, unsigned int flags)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

static void block_read(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* A child that waits until *release (a pipe write end) is closed. */
static pid_t blocked_child(int *release)
{
	int p[2];
	pid_t pid;

	if (!CHECK_OK(pipe(p)))
		exit(check_done());
	pid = xfork();
	if (pid == 0) {
		close(p[1]);
		block_read(p[0]);
		_exit(7);
	}
	close(p[0]);
	*release = p[1];
	return pid;
}

/* Reap pid and check that it exited with code. */
#define REAP_EXIT(pid, code)                                                 \
	({                                                                   \
		int st_ = -1;                                                \
		CHECK_EQ(waitpid(pid, &st_, 0), pid) &&                      \
			CHECK(WIFEXITED(st_)) &&                             \
			CHECK_EQ(WEXITSTATUS(st_), code);                    \
	})

/* ------------------------------------------------------ pidfd_open */

static void test_open(void)
{
	int rel, fd, fd2;
	pid_t pid;

	CHECK_ERR(pidfd_open(NOPID, 0), ESRCH);
	CHECK_ERR(pidfd_open(0, 0), EINVAL);
	CHECK_ERR(pidfd_open(-1, 0), EINVAL);

	pid = blocked_child(&rel);
	CHECK_ERR(pidfd_open(pid, 1), EINVAL);
	CHECK_ERR(pidfd_open(pid, O_CLOEXEC), EINVAL);
	CHECK_ERR(pidfd_open(pid, 0x80000000u), EINVAL);
	fd = (int)pidfd_open(pid, 0);
	if (CHECK(fd >= 0)) {
		/* Always close-on-exec; O_RDWR. */
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	}
	fd2 = (int)pidfd_open(pid, PIDFD_NONBLOCK);
	if (CHECK(fd2 >= 0)) {
		CHECK_EQ(fcntl(fd2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK(fd2 != fd);
	}
	/* Not readable or writable as a file. */
	{
		char c;

		CHECK_ERR(read(fd, &c, 1), EINVAL);
		CHECK_ERR(write(fd, "x", 1), EINVAL);
	}
	CHECK_OK(close(rel));
	REAP_EXIT(pid, 7);
	/* A reaped child has no pid to open. */
	CHECK_ERR(pidfd_open(pid, 0), ESRCH);
	CHECK_OK(close(fd));
	CHECK_OK(close(fd2));

	/* Our own pid works too. */
	fd = (int)pidfd_open(getpid(), 0);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(pidfd_send_signal(fd, 0, NULL, 0), 0);
		CHECK_OK(close(fd));
	}
}

/* ------------------------------------------------------ signals */

static void test_send_signal(void)
{
	int rel, fd, p[2], st = -1;
	siginfo_t si;
	pid_t pid;

	pid = blocked_child(&rel);
	fd = (int)pidfd_open(pid, 0);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(pidfd_send_signal(fd, 0, NULL, 0), 0);
	CHECK_ERR(pidfd_send_signal(fd, 0, NULL, 0x100), EINVAL);
	CHECK_ERR(pidfd_send_signal(fd, -1, NULL, 0), EINVAL);
	CHECK_ERR(pidfd_send_signal(fd, 65, NULL, 0), EINVAL);
	/* Not a pidfd: a pipe, a closed fd, -1. */
	if (CHECK_OK(pipe(p))) {
		CHECK_ERR(pidfd_send_signal(p[0], 0, NULL, 0), EBADF);
		CHECK_ERR(pidfd_send_signal(p[1], SIGTERM, NULL, 0), EBADF);
		close(p[0]);
		close(p[1]);
		CHECK_ERR(pidfd_send_signal(p[0], 0, NULL, 0), EBADF);
	}
	CHECK_ERR(pidfd_send_signal(-1, 0, NULL, 0), EBADF);
	/* A /proc/PID directory fd is accepted too (but not by waitid). */
	{
		char path[32];
		int dfd;

		snprintf(path, sizeof(path), "/proc/%d", pid);
		dfd = open(path, O_RDONLY | O_DIRECTORY);
		if (CHECK(dfd >= 0)) {
			CHECK_EQ(pidfd_send_signal(dfd, 0, NULL, 0), 0);
			CHECK_ERR(waitid(P_PIDFD, dfd, &si, WEXITED | WNOHANG),
				  EBADF);
			CHECK_OK(close(dfd));
		}
		dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
		if (CHECK(dfd >= 0)) {
			CHECK_ERR(pidfd_send_signal(dfd, 0, NULL, 0), EBADF);
			CHECK_OK(close(dfd));
		}
	}
	/* A siginfo whose signo disagrees with sig. */
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	CHECK_ERR(pidfd_send_signal(fd, SIGTERM, &si, 0), EINVAL);

	CHECK_EQ(pidfd_send_signal(fd, SIGTERM, NULL, 0), 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	/* Reaped: the pidfd stays open but the process is gone. */
	CHECK_ERR(pidfd_send_signal(fd, 0, NULL, 0), ESRCH);
	CHECK_ERR(pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH);
	CHECK_OK(close(fd));
	CHECK_OK(close(rel));

	/* SIGKILL, and a signal to a zombie (still exists: success). */
	pid = blocked_child(&rel);
	fd = (int)pidfd_open(pid, 0);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(pidfd_send_signal(fd, SIGKILL, NULL, 0), 0);
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
	CHECK_EQ(pidfd_send_signal(fd, 0, NULL, 0), 0);
	CHECK_EQ(pidfd_send_signal(fd, SIGTERM, NULL, 0), 0);
	st = -1;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK_OK(close(fd));
	CHECK_OK(close(rel));
}

/* ------------------------------------------------------ poll, waitid */

static void test_poll_waitid(void)
{
	struct pollfd pfd;
	int rel, fd, nfd, p[2];
	siginfo_t si;
	pid_t pid;

	pid = blocked_child(&rel);
	fd = (int)pidfd_open(pid, 0);
	nfd = (int)pidfd_open(pid, PIDFD_NONBLOCK);
	if (!CHECK(fd >= 0) || !CHECK(nfd >= 0))
		return;

	/* Running: nothing to report. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = -1;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(pfd.revents, 0);
	memset(&si, 0x5a, sizeof(si));
	CHECK_EQ(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0);
	CHECK_ERR(waitid(P_PIDFD, nfd, &si, WEXITED), EAGAIN);

	/* It exits: POLLIN, while still a zombie. */
	CHECK_OK(close(rel));
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK(pfd.revents & POLLIN);
	memset(&si, 0x5a, sizeof(si));
	CHECK_EQ(waitid(P_PIDFD, fd, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_pid, pid);
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK(pfd.revents & POLLIN);

	/* waitid(P_PIDFD) reaps it. */
	memset(&si, 0x5a, sizeof(si));
	CHECK_EQ(waitid(P_PIDFD, nfd, &si, WEXITED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 7);
	CHECK_EQ(si.si_pid, pid);
	CHECK_ERR(waitpid(pid, NULL, WNOHANG), ECHILD);
	CHECK_ERR(waitid(P_PIDFD, fd, &si, WEXITED), ECHILD);
	CHECK_ERR(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG), ECHILD);
	/* Reaped: still POLLIN. */
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK(pfd.revents & POLLIN);

	/* Not a pidfd. */
	if (CHECK_OK(pipe(p))) {
		CHECK_ERR(waitid(P_PIDFD, p[0], &si, WEXITED), EBADF);
		close(p[0]);
		close(p[1]);
	}
	CHECK_ERR(waitid(P_PIDFD, -1, &si, WEXITED), EINVAL);
	CHECK_ERR(waitid(P_PIDFD, 1000, &si, WEXITED), EBADF);
	CHECK_OK(close(fd));
	CHECK_OK(close(nfd));

	/* A blocking waitid(P_PIDFD) that waits for the exit. */
	pid = xfork();
	if (pid == 0) {
		usleep(20000);
		_exit(3);
	}
	fd = (int)pidfd_open(pid, 0);
	if (!CHECK(fd >= 0))
		return;
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PIDFD, fd, &si, WEXITED), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, 3);
	CHECK_OK(close(fd));
}

/* ------------------------------------------------------ clone3, clone */

static void test_clone_pidfd(void)
{
	struct clone_args_ ca;
	int pidfd = -1, pidfd2 = -1;
	long pid, ptid = 0;
	siginfo_t si;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(5);
	if (!CHECK(pid > 0) || !CHECK(pidfd >= 0))
		return;
	CHECK_EQ(fcntl(pidfd, F_GETFD), FD_CLOEXEC);
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 5);
	CHECK_EQ(si.si_pid, pid);
	CHECK_ERR(waitpid(pid, NULL, WNOHANG), ECHILD);
	CHECK_OK(close(pidfd));

	/* clone3 with the VER0 size (64 bytes) and CLONE_PARENT_SETTID. */
	pidfd = -1;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
	ca.pidfd = (uintptr_t)&pidfd;
	ca.parent_tid = (uintptr_t)&ptid;
	ca.exit_signal = SIGCHLD;
	fflush(stdout);
	pid = syscall(SYS_clone3, &ca, 64);
	if (pid == 0)
		_exit(6);
	if (CHECK(pid > 0) && CHECK(pidfd >= 0)) {
		CHECK_EQ((int)ptid, pid);
		memset(&si, 0, sizeof(si));
		CHECK_EQ(waitid(P_PIDFD, pidfd, &si, WEXITED), 0);
		CHECK_EQ(si.si_status, 6);
		CHECK_OK(close(pidfd));
	}
	/* Too small a struct. */
	CHECK_ERR(syscall(SYS_clone3, &ca, 63), EINVAL);
	CHECK_ERR(syscall(SYS_clone3, &ca, 0), EINVAL);

	/* Legacy clone: the pidfd goes where parent_tid points. */
	pidfd2 = -1;
	fflush(stdout);
	pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pidfd2, 0, 0);
	if (pid == 0)
		_exit(8);
	if (CHECK(pid > 0) && CHECK(pidfd2 >= 0)) {
		CHECK_EQ(fcntl(pidfd2, F_GETFD), FD_CLOEXEC);
		memset(&si, 0, sizeof(si));
		CHECK_EQ(waitid(P_PIDFD, pidfd2, &si, WEXITED), 0);
		CHECK_EQ(si.si_status, 8);
		CHECK_EQ(si.si_pid, pid);
		CHECK_OK(close(pidfd2));
	}
	/* ...so clone can't have both. */
	CHECK_ERR(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD,
			  0, &pidfd2, 0, 0), EINVAL);
}

/* ------------------------------------------------------ fdinfo */

static void test_fdinfo(void)
{
	char path[64], buf[1024], want[32];
	int rel, fd, in;
	long n;
	pid_t pid;

	pid = blocked_child(&rel);
	fd = (int)pidfd_open(pid, 0);
	if (!CHECK(fd >= 0))
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	in = open(path, O_RDONLY);
	if (CHECK(in >= 0)) {
		n = read(in, buf, sizeof(buf) - 1);
		if (CHECK(n > 0)) {
			buf[n] = 0;
			snprintf(want, sizeof(want), "\nPid:\t%d\n", pid);
			CHECK(strstr(buf, want) != NULL);
			CHECK(!strncmp(buf, "pos:\t0\n", 7));
			CHECK(strstr(buf, "\nflags:\t02000002\n") != NULL);
		}
		close(in);
	}
	CHECK_OK(close(rel));
	REAP_EXIT(pid, 7);
	/* After the reap: Pid: -1. */
	in = open(path, O_RDONLY);
	if (CHECK(in >= 0)) {
		n = read(in, buf, sizeof(buf) - 1);
		if (CHECK(n > 0)) {
			buf[n] = 0;
			CHECK(strstr(buf, "\nPid:\t-1\n") != NULL);
		}
		close(in);
	}
	CHECK_OK(close(fd));
}

/* ------------------------------------------------------ pidfd_getfd */

static void test_getfd(void)
{
	int rep[2], go[2], pidfd, fd = -1, got;
	char buf[16];
	pid_t pid;

	if (!CHECK_OK(pipe(rep)) || !CHECK_OK(pipe(go)))
		return;
	pid = xfork();
	if (pid == 0) {
		int q[2];

		close(rep[0]);
		close(go[1]);
		if (pipe(q) != 0)
			_exit(100);
		if (write(rep[1], &q[0], sizeof(q[0])) != sizeof(q[0]))
			_exit(101);
		if (write(q[1], "hello", 5) != 5)
			_exit(102);
		block_read(go[0]);	/* keep q[0] open until told */
		/* The parent's copy shares the pipe: it took "hel". */
		if (read(q[0], buf, sizeof(buf)) != 2 || memcmp(buf, "lo", 2))
			_exit(103);
		_exit(0);
	}
	CHECK_OK(close(rep[1]));
	CHECK_OK(close(go[0]));
	pidfd = (int)pidfd_open(pid, 0);
	CHECK(pidfd >= 0);
	CHECK_EQ(read(rep[0], &fd, sizeof(fd)), sizeof(fd));
	got = (int)pidfd_getfd(pidfd, fd, 0);
	if (CHECK(got >= 0)) {
		CHECK_EQ(fcntl(got, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(got, F_GETFL) & O_ACCMODE, O_RDONLY);
		CHECK_EQ(read(got, buf, 3), 3);
		CHECK(!memcmp(buf, "hel", 3));
		CHECK_OK(close(got));
	}
	CHECK_ERR(pidfd_getfd(pidfd, fd, 1), EINVAL);
	CHECK_ERR(pidfd_getfd(pidfd, 1000, 0), EBADF);
	CHECK_ERR(pidfd_getfd(pidfd, -1, 0), EBADF);
	CHECK_ERR(pidfd_getfd(rep[0], fd, 0), EBADF);	/* not a pidfd */
	CHECK_ERR(pidfd_getfd(-1, fd, 0), EBADF);
	CHECK_OK(close(go[1]));
	REAP_EXIT(pid, 0);
	CHECK_ERR(pidfd_getfd(pidfd, fd, 0), ESRCH);
	CHECK_OK(close(pidfd));
	CHECK_OK(close(rep[0]));
}

int main(void)
{
	sigset_t none;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	test_open();
	test_send_signal();
	test_poll_waitid();
	test_clone_pidfd();
	test_fdinfo();
	test_getfd();
	CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);	/* nothing left */
	return check_done();
}
