/*
 * proc_sigpipe: writing into a pipe without readers raises SIGPIPE at the
 * writer and fails with EPIPE, from write, writev, splice, sendfile and
 * tee alike; ignored, only EPIPE remains; by default, it kills.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static volatile int got;
static void on_pipe(int sig) { (void)sig; got++; }

int main(void)
{
	int p[2], q[2], st;
	char c = 'x';

	signal(SIGPIPE, on_pipe);
	if (!CHECK_OK(pipe(p)) || !CHECK_OK(pipe(q)))
		return check_done();
	CHECK_OK(close(q[0]));
	CHECK_ERR(write(q[1], &c, 1), EPIPE);
	CHECK_EQ(got, 1);
	struct iovec iov = { &c, 1 };
	CHECK_ERR(writev(q[1], &iov, 1), EPIPE);
	CHECK_EQ(got, 2);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_ERR(splice(p[0], NULL, q[1], NULL, 3, 0), EPIPE);
	CHECK_EQ(got, 3);
	int f = open("/proc/self/cmdline", O_RDONLY);
	if (CHECK(f >= 0)) {
		CHECK_ERR(sendfile(q[1], f, NULL, 3), EPIPE);
		CHECK_EQ(got, 4);
		close(f);
	}
	CHECK_ERR(tee(p[0], q[1], 1, 0), EPIPE);
	CHECK_EQ(got, 5);

	/* Ignored: EPIPE alone. */
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(q[1], &c, 1), EPIPE);
	CHECK_EQ(got, 5);

	/* Default: the writer dies of it. */
	signal(SIGPIPE, SIG_DFL);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		(void)!write(q[1], &c, 1);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
	return check_done();
}
