/*
 * spawn: start-up cost of a command.
 *
 *   spawn N -- CMD ARGS...
 *
 * Runs CMD N times (fork, exec, wait; stdin and stdout /dev/null) and
 * prints "spawn: X ns/op": the median over 5 repetitions of the mean wall
 * time of one run.  Exits 1 if any run fails.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS 5

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long long t[REPS];
	long n;

	if (argc < 4 || strcmp(argv[2], "--") != 0 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: spawn N -- CMD ARGS...\n");
		return 2;
	}
	for (int r = 0; r < REPS; r++) {
		long long start = now_ns();
		for (long i = 0; i < n; i++) {
			int st;
			pid_t pid = fork();
			if (pid == 0) {
				int fd = open("/dev/null", O_RDWR);
				dup2(fd, 0);
				dup2(fd, 1);
				execvp(argv[3], argv + 3);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
			    WEXITSTATUS(st) != 0) {
				fprintf(stderr, "spawn: %s failed\n", argv[3]);
				return 1;
			}
		}
		t[r] = (now_ns() - start) / n;
	}
	qsort(t, REPS, sizeof(t[0]), cmp);
	printf("spawn: %lld ns/op\n", t[REPS / 2]);
	return 0;
}
