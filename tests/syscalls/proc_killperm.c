/*
 * proc_killperm: who may signal whom.  An unprivileged sender needs its
 * real or effective UID to match the target's real or saved UID (EPERM
 * otherwise, for signal 0 too); its own processes it may always signal;
 * SIGCONT is allowed within the session; a group kill succeeds if any
 * member may be signalled.  Likewise prlimit64, setpriority and
 * pidfd_getfd on another user's process are EPERM.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* A child that sleeps as uid; returns once it has become uid. */
static pid_t spawn_sleeper(uid_t uid)
{
	int ready[2];
	pid_t pid;
	char c;

	if (!CHECK_OK(pipe(ready)))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (uid && setresuid(uid, uid, uid))
			_exit(9);
		(void)!write(ready[1], "r", 1);
		for (;;)
			pause();
	}
	CHECK_EQ(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	return pid;
}

int main(void)
{
	int p[2], st;
	pid_t root_victim = spawn_sleeper(0), user_victim = spawn_sleeper(1000);

	if (!CHECK(root_victim > 0) || !CHECK(user_victim > 0) || !CHECK_OK(pipe(p)))
		return check_done();
	fflush(stdout);
	pid_t sender = fork();
	if (sender == 0) {
		char r[10];
		close(p[0]);
		if (setresuid(1000, 1000, 1000))
			_exit(9);
		r[0] = kill(root_victim, SIGTERM) == -1 && errno == EPERM;
		r[1] = kill(root_victim, 0) == -1 && errno == EPERM;
		r[2] = kill(user_victim, 0) == 0;           /* same user */
		r[3] = kill(getpid(), 0) == 0;
		r[4] = kill(root_victim, SIGCONT) == 0;     /* same session */
		r[5] = kill(999999, 0) == -1 && errno == ESRCH;
		struct rlimit rl;
		r[6] = prlimit(root_victim, RLIMIT_NOFILE, NULL, &rl) == -1 && errno == EPERM;
		r[7] = prlimit(user_victim, RLIMIT_NOFILE, NULL, &rl) == 0;
		r[8] = setpriority(PRIO_PROCESS, (id_t)root_victim, 5) == -1 && errno == EPERM;
		int pfd = (int)syscall(SYS_pidfd_open, root_victim, 0);
		r[9] = pfd >= 0 && syscall(SYS_pidfd_getfd, pfd, 0, 0) == -1 && errno == EPERM;
		_exit(write(p[1], r, sizeof(r)) == sizeof(r) ? 0 : 8);
	}
	close(p[1]);
	char r[10] = { 0 };
	CHECK_EQ(read(p[0], r, sizeof(r)), (long)sizeof(r));
	for (int i = 0; i < 10; i++)
		if (!r[i])
			CHECK_EQ(i, -1);     /* names the failed case */
	CHECK_EQ(waitpid(sender, &st, 0), sender);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The victims are still alive: SIGTERM was refused. */
	CHECK_EQ(kill(root_victim, 0), 0);
	CHECK_OK(kill(root_victim, SIGKILL));
	CHECK_OK(kill(user_victim, SIGKILL));
	CHECK_EQ(waitpid(root_victim, &st, 0), root_victim);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK_EQ(waitpid(user_victim, &st, 0), user_victim);
	return check_done();
}
