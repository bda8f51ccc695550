/*
 * proc_vforkexec: a process vforks children that exec at once, many times
 * over (what dash does for every command).  Every child shares the
 * parent's address space until its exec drops it.  (moat once queued that
 * address space for release once per exec, on an intrusive list that could
 * hold it only once: a fast enough loop freed it twice.)
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define CHILDREN 300

static char *args[] = { NULL, "child", NULL };

/* One vfork, exec and wait; returns the child's status. */
static __attribute__((noinline)) int spawn_one(void)
{
	int st = -1;
	pid_t pid = vfork();

	if (pid == 0) {
		execv("/proc/self/exe", args);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

int main(int argc, char **argv)
{
	int ok = 0;

	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return 3;
	args[0] = argv[0];
	for (int i = 0; i < CHILDREN; i++) {
		int st = spawn_one();
		if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
			ok++;
	}
	CHECK_EQ(ok, CHILDREN);
	return check_done();
}
