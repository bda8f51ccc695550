/*
 * proc_forkmem: what a forked child gets of its parent's memory:
 * MADV_DONTFORK regions are absent, MADV_WIPEONFORK ones zero-filled,
 * MADV_DOFORK/KEEPONFORK undo them; private pages are copied, shared
 * ones shared; WIPEONFORK is for private anonymous memory only.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Runs fn in a child; returns its wait status. */
static int in_child(int (*fn)(char *), char *p)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn(p));
	if (!CHECK(pid > 0))
		return -1;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

static int read_first(char *p) { return p[0]; }
static int sum_page(char *p)
{
	int s = 0;
	for (int i = 0; i < 4096; i++)
		s |= p[i];
	return s;
}
static int write_then_read(char *p)
{
	p[0] = 9;
	return p[0];
}

int main(void)
{
	char *p = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
	char *sh = mmap(NULL, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st;

	if (!CHECK(p != MAP_FAILED) || !CHECK(sh != MAP_FAILED))
		return check_done();
	memset(p, 7, 3 * PAGE);

	/* Plain private memory: copied. */
	st = in_child(read_first, p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);

	/* DONTFORK on the middle page: the child faults there only. */
	CHECK_OK(madvise(p + PAGE, PAGE, MADV_DONTFORK));
	st = in_child(read_first, p + PAGE);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	st = in_child(read_first, p + 2 * PAGE);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	CHECK_EQ(p[PAGE], 7);                /* the parent keeps it */
	CHECK_OK(madvise(p + PAGE, PAGE, MADV_DOFORK));
	st = in_child(read_first, p + PAGE);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);

	/* WIPEONFORK: zeros in the child, data in the parent, writable. */
	CHECK_OK(madvise(p, PAGE, MADV_WIPEONFORK));
	st = in_child(sum_page, p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = in_child(write_then_read, p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9);
	CHECK_EQ(p[0], 7);
	CHECK_EQ(p[PAGE], 7);                /* neighbours unaffected */
	st = in_child(read_first, p + PAGE);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	CHECK_OK(madvise(p, PAGE, MADV_KEEPONFORK));
	st = in_child(read_first, p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);

	/* WIPEONFORK is for private anonymous memory only. */
	CHECK_ERR(madvise(sh, PAGE, MADV_WIPEONFORK), EINVAL);
	CHECK_ERR(madvise(p + 1, PAGE, MADV_DONTFORK), EINVAL);

	/* Shared memory stays shared with the child. */
	sh[0] = 1;
	st = in_child(write_then_read, sh);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9);
	CHECK_EQ(sh[0], 9);

	/* DONTFORK on shared memory: absent in the child too. */
	CHECK_OK(madvise(sh, PAGE, MADV_DONTFORK));
	st = in_child(read_first, sh);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	return check_done();
}
