/*
 * proc_fork.c - fork, vfork and the wait family: exit statuses as seen by
 * waitpid, wait4 (with a rusage) and waitid (si_signo, si_code, si_status,
 * si_pid, si_uid); WNOHANG on a running child (waitid zeroes si_pid);
 * WNOWAIT; ECHILD (no children, self, a grandchild, INT_MAX), ESRCH for
 * waitpid(INT_MIN), and EINVAL (bad options, options one call accepts and
 * the other does not, bad idtype, P_PID 0); deaths by SIGKILL
 * and SIGTERM; getppid in the child; copy-on-write isolation of globals,
 * heap and stack in both directions, while MAP_SHARED|MAP_ANONYMOUS memory
 * is shared; 1 MiB through a pipe; 20 children reaped by waitpid(-1); an
 * inherited fd shares offset and status flags but not FD_CLOEXEC.
 *
 * Children report through their exit status (checked by the parent); a
 * child's own FAIL lines are flushed at once by check.h. stdout is flushed
 * before every fork so nothing buffered is printed twice. Uses a mkdtemp
 * scratch directory under /tmp, removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "scratch.h"

/* Reap pid and check that it exited with code. */
#define REAP_EXIT(pid, code)                                                 \
	({                                                                   \
		int st_ = reap_status(pid, 0);                               \
		CHECK(WIFEXITED(st_)) && CHECK_EQ(WEXITSTATUS(st_), code);  \
	})

static void block_read(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void fill_si(siginfo_t *si)
{
	memset(si, 0x5a, sizeof(*si));
}

static void test_no_children(void)
{
	siginfo_t si;
	struct rusage ru;
	int st;

	CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitpid(0, &st, 0), ECHILD);
	CHECK_ERR(wait(&st), ECHILD);
	CHECK_ERR(wait(NULL), ECHILD);
	CHECK_ERR(wait4(-1, &st, 0, &ru), ECHILD);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
	/* Not children: ourselves, and a pid no process has. */
	CHECK_ERR(waitpid(getpid(), &st, 0), ECHILD);
	CHECK_ERR(waitpid(INT_MAX, &st, 0), ECHILD);
	CHECK_ERR(waitid(P_PID, getpid(), &si, WEXITED), ECHILD);
	/* -INT_MIN would overflow: Linux answers ESRCH. */
	CHECK_ERR(waitpid(INT_MIN, &st, 0), ESRCH);

	/* Bad options: checked before there is any child to look for. */
	CHECK_ERR(waitpid(-1, &st, 0x100), EINVAL);
	CHECK_ERR(waitpid(-1, &st, WEXITED), EINVAL);	/* waitid only */
	CHECK_ERR(waitpid(-1, &st, WNOWAIT), EINVAL);	/* waitid only */
	CHECK_ERR(wait4(-1, &st, 0x100, NULL), EINVAL);
	CHECK_ERR(waitid(P_ALL, 0, &si, 0), EINVAL);	/* nothing to wait for */
	CHECK_ERR(waitid(P_ALL, 0, &si, WNOHANG), EINVAL);
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED | 0x100), EINVAL);
	CHECK_ERR(waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);
	CHECK_ERR(waitid(P_PID, 0, &si, WEXITED), EINVAL);
	CHECK_ERR(waitid(P_PID, -1, &si, WEXITED), EINVAL);
}

static void test_exit_codes(void)
{
	struct rusage ru;
	siginfo_t si;
	pid_t pid;
	int st;

	/* waitpid */
	pid = xfork();
	if (pid == 0)
		_exit(42);
	st = reap_status(pid, 0);
	CHECK(WIFEXITED(st));
	CHECK(!WIFSIGNALED(st));
	CHECK(!WIFSTOPPED(st));
	CHECK_EQ(WEXITSTATUS(st), 42);
	CHECK_EQ(st, 42 << 8);
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD);	/* reaped once only */

	pid = xfork();
	if (pid == 0)
		_exit(0);
	st = -1;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, 0);

	/* Only the low 8 bits of the exit code survive. */
	pid = xfork();
	if (pid == 0)
		_exit(0x1ff);
	REAP_EXIT(pid, 255);
	pid = xfork();
	if (pid == 0)
		_exit(0x105);
	REAP_EXIT(pid, 5);

	/* A NULL status pointer is allowed. */
	pid = xfork();
	if (pid == 0)
		_exit(1);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	pid = xfork();
	if (pid == 0)
		_exit(1);
	CHECK_EQ(wait(NULL), pid);

	/* wait4 with a rusage. */
	pid = xfork();
	if (pid == 0)
		_exit(3);
	memset(&ru, 0xff, sizeof(ru));
	st = -1;
	CHECK_EQ(wait4(pid, &st, 0, &ru), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
	      ru.ru_utime.tv_usec < 1000000);
	CHECK(ru.ru_stime.tv_sec >= 0 && ru.ru_stime.tv_usec >= 0 &&
	      ru.ru_stime.tv_usec < 1000000);
	CHECK(ru.ru_maxrss >= 0);

	/* wait3-style: wait4(-1, ...). */
	pid = xfork();
	if (pid == 0)
		_exit(4);
	st = -1;
	CHECK_EQ(wait4(-1, &st, 0, &ru), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 4);

	/* waitid */
	pid = xfork();
	if (pid == 0)
		_exit(77);
	fill_si(&si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 77);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_uid, getuid());
	CHECK_EQ(si.si_errno, 0);
	CHECK_ERR(waitid(P_PID, pid, &si, WEXITED), ECHILD);

	pid = xfork();
	if (pid == 0)
		_exit(0);
	fill_si(&si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 0);
	CHECK_EQ(si.si_pid, pid);
}

/* WNOHANG while the child is blocked reading a pipe. */
static void test_wnohang(void)
{
	struct rusage ru;
	siginfo_t si;
	int p[2], st;
	pid_t pid;

	if (!CHECK_OK(pipe(p)))
		return;
	pid = xfork();
	if (pid == 0) {
		char c = 0;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		_exit(c);
	}
	CHECK_OK(close(p[0]));
	st = -1;
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	CHECK_EQ(st, -1);			/* untouched */
	CHECK_EQ(waitpid(-1, &st, WNOHANG), 0);
	CHECK_EQ(wait4(pid, &st, WNOHANG, &ru), 0);
	/* waitid WNOHANG with nothing to report: 0, and si_signo and
	 * si_pid zeroed. */
	fill_si(&si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0);
	CHECK_EQ(si.si_signo, 0);
	fill_si(&si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), 0);
	CHECK_EQ(si.si_pid, 0);

	CHECK_EQ(write(p[1], "\x09", 1), 1);
	REAP_EXIT(pid, 9);
	CHECK_OK(close(p[1]));
}

/* WNOWAIT leaves the zombie to be waited for again. */
static void test_wnowait(void)
{
	siginfo_t si;
	pid_t pid;
	int st;

	pid = xfork();
	if (pid == 0)
		_exit(12);
	for (int i = 0; i < 2; i++) {
		fill_si(&si);
		CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
		CHECK_EQ(si.si_pid, pid);
		CHECK_EQ(si.si_code, CLD_EXITED);
		CHECK_EQ(si.si_status, 12);
	}
	/* Still there for WNOHANG too, and for kill(pid, 0). */
	fill_si(&si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT | WNOHANG), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_OK(kill(pid, 0));
	st = -1;
	CHECK_EQ(waitpid(pid, &st, WNOHANG), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 12);
	CHECK_ERR(waitpid(pid, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), ECHILD);
}

static void test_ids(void)
{
	pid_t me = getpid(), pid, got = 0;
	int p[2];

	if (!CHECK_OK(pipe(p)))
		return;
	pid = xfork();
	if (pid == 0) {
		pid_t self = getpid();

		close(p[0]);
		if (write(p[1], &self, sizeof(self)) != sizeof(self))
			_exit(100);
		if (getppid() != me)
			_exit(1);
		if (self == me || syscall(SYS_gettid) != self)
			_exit(2);
		_exit(0);
	}
	CHECK_OK(close(p[1]));
	CHECK(pid > 0 && pid != me);
	CHECK_EQ(read(p[0], &got, sizeof(got)), sizeof(got));
	CHECK_EQ(got, pid);			/* fork's return is the child's pid */
	REAP_EXIT(pid, 0);
	CHECK_OK(close(p[0]));
	CHECK_EQ(getpid(), me);

	/* A grandchild is not our child: ECHILD even while it lives. */
	int q[2], r[2];
	pid_t gc = 0;

	if (!CHECK_OK(pipe(q)) || !CHECK_OK(pipe(r)))
		return;
	pid = xfork();
	if (pid == 0) {
		pid_t g;
		int st;

		close(q[0]);
		close(r[1]);
		g = fork();
		if (g < 0)
			_exit(100);
		if (g == 0) {
			block_read(r[0]);	/* until the test closes r[1] */
			_exit(0);
		}
		if (write(q[1], &g, sizeof(g)) != sizeof(g))
			_exit(101);
		if (waitpid(g, &st, 0) != g || st != 0)
			_exit(102);
		_exit(0);
	}
	CHECK_OK(close(q[1]));
	CHECK_OK(close(r[0]));
	CHECK_EQ(read(q[0], &gc, sizeof(gc)), sizeof(gc));
	int st;
	siginfo_t si;

	CHECK_ERR(waitpid(gc, &st, WNOHANG), ECHILD);
	CHECK_ERR(waitpid(gc, &st, 0), ECHILD);
	CHECK_ERR(waitid(P_PID, gc, &si, WEXITED), ECHILD);
	CHECK_OK(close(r[1]));			/* let the grandchild go */
	REAP_EXIT(pid, 0);
	CHECK_OK(close(q[0]));
}

static int g_var = 1;
static int g_untouched = 10;

/* Copy-on-write: neither side sees the other's writes after fork. */
static void test_cow(void)
{
	volatile int stack_var = 1;
	int *heap = malloc(64 * sizeof(int));
	int a[2], b[2];
	pid_t pid;
	char c;

	if (!CHECK(heap != NULL) || !CHECK_OK(pipe(a)) || !CHECK_OK(pipe(b)))
		return;
	for (int i = 0; i < 64; i++)
		heap[i] = i;
	pid = xfork();
	if (pid == 0) {
		int bad = 0;

		close(a[0]);
		close(b[1]);
		/* The child sees the values as of fork. */
		if (g_var != 1 || stack_var != 1 || heap[5] != 5 ||
		    g_untouched != 10)
			_exit(1);
		g_var = 2;
		stack_var = 2;
		heap[5] = 2;
		if (write(a[1], "x", 1) != 1)
			_exit(100);
		if (read(b[0], &c, 1) != 1)	/* parent has written */
			_exit(101);
		/* Its own writes stay; the parent's don't show. */
		if (g_var != 2 || stack_var != 2 || heap[5] != 2)
			bad |= 2;
		if (g_untouched != 10 || heap[6] != 6)
			bad |= 4;
		_exit(bad);
	}
	CHECK_OK(close(a[1]));
	CHECK_OK(close(b[0]));
	CHECK_EQ(read(a[0], &c, 1), 1);	/* child has written */
	CHECK_EQ(g_var, 1);
	CHECK_EQ(stack_var, 1);
	CHECK_EQ(heap[5], 5);
	g_var = 3;
	stack_var = 3;
	g_untouched = 30;
	heap[5] = 3;
	heap[6] = 3;
	CHECK_EQ(write(b[1], "y", 1), 1);
	REAP_EXIT(pid, 0);
	CHECK_EQ(g_var, 3);
	CHECK_EQ(stack_var, 3);
	CHECK_EQ(heap[5], 3);
	CHECK_OK(close(a[0]));
	CHECK_OK(close(b[1]));
	free(heap);
}

/* MAP_SHARED|MAP_ANONYMOUS is shared both ways; MAP_PRIVATE is not. */
static void test_shared_anon(void)
{
	size_t len = 4 * PAGE;
	char *sh = mmap(NULL, len, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *pr = mmap(NULL, len, RW, ANON, -1, 0);
	int a[2], b[2];
	pid_t pid;
	char c;

	if (!CHECK(sh != MAP_FAILED) || !CHECK(pr != MAP_FAILED))
		return;
	if (!CHECK_OK(pipe(a)) || !CHECK_OK(pipe(b)))
		return;
	memset(sh, 'a', len);
	memset(pr, 'a', len);
	pid = xfork();
	if (pid == 0) {
		int bad = 0;

		close(a[0]);
		close(b[1]);
		sh[0] = 'c';
		sh[3 * PAGE + 7] = 'c';
		pr[0] = 'c';
		if (write(a[1], "x", 1) != 1)
			_exit(100);
		if (read(b[0], &c, 1) != 1)
			_exit(101);
		if (sh[1] != 'p' || sh[2 * PAGE] != 'p')
			bad |= 1;
		if (pr[1] != 'a' || pr[2 * PAGE] != 'a')
			bad |= 2;
		_exit(bad);
	}
	CHECK_OK(close(a[1]));
	CHECK_OK(close(b[0]));
	CHECK_EQ(read(a[0], &c, 1), 1);
	CHECK_EQ(sh[0], 'c');
	CHECK_EQ(sh[3 * PAGE + 7], 'c');
	CHECK_EQ(pr[0], 'a');
	sh[1] = 'p';
	sh[2 * PAGE] = 'p';
	pr[1] = 'p';
	pr[2 * PAGE] = 'p';
	CHECK_EQ(write(b[1], "y", 1), 1);
	REAP_EXIT(pid, 0);
	/* The dead child's writes stay in the shared mapping. */
	CHECK_EQ(sh[0], 'c');
	CHECK_OK(close(a[0]));
	CHECK_OK(close(b[1]));
	CHECK_OK(munmap(sh, len));
	CHECK_OK(munmap(pr, len));
}

static unsigned char big[1 << 20];
static unsigned char got[1 << 20];

/* 1 MiB from child to parent through a pipe. */
static void test_pipe_bulk(void)
{
	size_t total = 0;
	int p[2];
	pid_t pid;
	long n;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + i / 4093);
	if (!CHECK_OK(pipe(p)))
		return;
	pid = xfork();
	if (pid == 0) {
		size_t off = 0;

		close(p[0]);
		while (off < sizeof(big)) {
			n = write(p[1], big + off, sizeof(big) - off);
			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(0);
	}
	CHECK_OK(close(p[1]));
	while (total < sizeof(got) &&
	       (n = read(p[0], got + total, sizeof(got) - total)) > 0)
		total += (size_t)n;
	CHECK_EQ(total, sizeof(big));
	CHECK_EQ(read(p[0], got, 1), 0);	/* EOF once the child is done */
	CHECK(!memcmp(big, got, sizeof(big)));
	REAP_EXIT(pid, 0);
	CHECK_OK(close(p[0]));
}

/* 20 children, reaped in whatever order waitpid(-1) gives them. */
static void test_many(void)
{
	enum { N = 20 };
	pid_t pids[N];
	int seen[N] = { 0 };

	for (int i = 0; i < N; i++) {
		pids[i] = xfork();
		if (pids[i] == 0)
			_exit(10 + i);
	}
	for (int k = 0; k < N; k++) {
		int st = -1, i;
		pid_t pid = waitpid(-1, &st, 0);

		if (!CHECK(pid > 0))
			break;
		for (i = 0; i < N && pids[i] != pid; i++)
			;
		if (!CHECK(i < N))
			continue;
		CHECK_EQ(seen[i], 0);
		seen[i]++;
		CHECK(WIFEXITED(st));
		CHECK_EQ(WEXITSTATUS(st), 10 + i);
	}
	for (int i = 0; i < N; i++)
		CHECK_EQ(seen[i], 1);
	int st;

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
}

static volatile int vfork_flag;

static void test_vfork(void)
{
	pid_t pid;

	vfork_flag = 0;
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		/* Shares our memory; we are suspended until _exit. */
		vfork_flag = 1;
		_exit(7);
	}
	if (!CHECK(pid > 0))
		return;
	CHECK_EQ(vfork_flag, 1);
	REAP_EXIT(pid, 7);
}

static void test_killed(void)
{
	siginfo_t si;
	int p[2], st;
	pid_t pid;

	if (!CHECK_OK(pipe(p)))
		return;

	pid = xfork();
	if (pid == 0) {
		close(p[1]);
		block_read(p[0]);
		_exit(1);
	}
	CHECK_OK(kill(pid, 0));
	CHECK_OK(kill(pid, SIGKILL));
	st = reap_status(pid, 0);
	CHECK(WIFSIGNALED(st));
	CHECK(!WIFEXITED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
	CHECK(!WCOREDUMP(st));
	CHECK_EQ(st, SIGKILL);

	pid = xfork();
	if (pid == 0) {
		close(p[1]);
		block_read(p[0]);
		_exit(1);
	}
	CHECK_OK(kill(pid, SIGTERM));
	st = reap_status(pid, 0);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGTERM);

	/* waitid's view of a killed child. */
	pid = xfork();
	if (pid == 0) {
		close(p[1]);
		block_read(p[0]);
		_exit(1);
	}
	CHECK_OK(kill(pid, SIGKILL));
	fill_si(&si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
	CHECK_EQ(si.si_pid, pid);
	CHECK_ERR(kill(pid, 0), ESRCH);		/* reaped: gone */

	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
}

/* An fd inherited across fork shares the open file description. */
static void test_shared_offset(void)
{
	char buf[100];
	pid_t pid;
	int fd;

	fd = open(p("f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!CHECK(fd >= 0))
		return;
	for (int i = 0; i < 100; i++)
		buf[i] = (char)i;
	CHECK_EQ(write(fd, buf, 100), 100);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);

	pid = xfork();
	if (pid == 0) {
		char b[3];

		if (lseek(fd, 42, SEEK_SET) != 42)
			_exit(1);
		if (read(fd, b, 3) != 3 || b[0] != 42)
			_exit(2);
		/* Status flags are shared; the descriptor flag is not. */
		if (fcntl(fd, F_SETFL, O_APPEND) != 0)
			_exit(3);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
			_exit(4);
		close(fd);		/* closes only the child's fd */
		_exit(0);
	}
	REAP_EXIT(pid, 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 45);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_OK(fcntl(fd, F_SETFL, 0));

	/* And the other way round: the parent's lseek before fork. */
	CHECK_EQ(lseek(fd, 10, SEEK_SET), 10);
	pid = xfork();
	if (pid == 0) {
		char c;

		if (read(fd, &c, 1) != 1)
			_exit(255);
		_exit(c);
	}
	REAP_EXIT(pid, 10);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
	CHECK_OK(close(fd));
}

int main(void)
{
	sigset_t none;

	/* Known starting state: SIGCHLD default, nothing blocked. */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	strcpy(dir, "/tmp/moat-test-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}

	test_no_children();
	test_exit_codes();
	test_wnohang();
	test_wnowait();
	test_ids();
	test_cow();
	test_shared_anon();
	test_pipe_bulk();
	test_many();
	test_vfork();
	test_killed();
	test_shared_offset();

	int st;

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);	/* nothing left */
	rmtree(dir);
	return check_done();
}
