/*
 * proc_reapwalk: children are reaped while other threads walk /proc (the
 * children's own directories, and /proc/self): both must go on.  (moat
 * once dropped a reaped child's executable with its process lock held,
 * while /proc lookups take that lock inside the file system's: the two
 * could deadlock.)
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define CHILDREN 300

static volatile int stop;
static volatile pid_t last_child;

static void *walker(void *arg)
{
	char path[64];
	struct stat st;
	long n = 0;

	(void)arg;
	while (!stop) {
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)last_child);
		stat(path, &st);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)last_child);
		int fd = open(path, O_RDONLY);
		if (fd >= 0)
			close(fd);
		fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
		if (fd >= 0)
			close(fd);
		n++;
	}
	return (void *)n;
}

int main(void)
{
	pthread_t w[2];
	int reaped = 0;

	for (int i = 0; i < 2; i++)
		if (!CHECK(pthread_create(&w[i], NULL, walker, NULL) == 0))
			return check_done();
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(7);
		if (pid < 0)
			break;
		last_child = pid;
		int st;
		if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7)
			reaped++;
	}
	stop = 1;
	for (int i = 0; i < 2; i++) {
		void *n;
		pthread_join(w[i], &n);
		CHECK((long)n > 0);
	}
	CHECK_EQ(reaped, CHILDREN);
	return check_done();
}
