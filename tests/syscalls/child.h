/*
 * child.h - fork helpers for moat's syscall test programs (include after
 * check.h).
 *
 *   - xfork(): fork with stdout flushed first, so nothing buffered is
 *     printed twice; a child starts with no failures of its own. If fork
 *     fails the failure is reported and the whole test exits 1.
 *   - reap_status(pid, opt): waitpid(pid, &st, opt); the raw wait status,
 *     or -1 (reported) if waitpid did not return pid.
 *   - reap(pid): the child's exit code, 128+N if signal N killed it, or
 *     -1 (for a waitpid failure or any other status).
 *   - run(fn): fork; the child runs fn and exits 0 if all its checks held
 *     (1 if not). Returns reap() of it.
 */
#ifndef MOAT_TESTS_CHILD_H
#define MOAT_TESTS_CHILD_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

__attribute__((unused))
static pid_t xfork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		CHECK_OK(pid);
		exit(check_done() ? 1 : 2);
	}
	if (pid == 0)
		check_failures = 0;	/* a child counts only its own */
	return pid;
}

__attribute__((unused))
static int reap_status(pid_t pid, int opt)
{
	int st = -1;

	if (!CHECK_EQ(waitpid(pid, &st, opt), pid))
		return -1;
	return st;
}

__attribute__((unused))
static int reap(pid_t pid)
{
	int st = reap_status(pid, 0);

	if (st == -1)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

__attribute__((unused))
static int run(void (*fn)(void))
{
	pid_t pid = xfork();

	if (pid == 0) {
		fn();
		_exit(check_done());
	}
	return reap(pid);
}

#endif /* MOAT_TESTS_CHILD_H */
