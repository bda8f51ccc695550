/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* pipe_pingpong: one byte there and back between two processes over two
 * pipes; one op is one round trip. */
#define BENCH_NAME "pipe_pingpong"
#define BENCH_DEFAULT_ITERS 7000
#include "bench.h"
#include <sys/wait.h>

static int to_child[2], to_parent[2];
static pid_t child;

static int bench_setup(long iters)
{
	(void)iters;
	if (pipe(to_child) || pipe(to_parent))
		bench_die("pipe");
	child = fork();
	if (child < 0)
		bench_die("fork");
	if (child == 0) {
		char c;

		close(to_child[1]);
		close(to_parent[0]);
		while (read(to_child[0], &c, 1) == 1)
			if (write(to_parent[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	return 0;
}

static void bench_teardown(void)
{
	int status;

	close(to_child[1]);
	waitpid(child, &status, 0);
	close(to_parent[0]);
}

static long long bench_run(long iters)
{
	char c = 'p';

	for (long i = 0; i < iters; i++) {
		if (write(to_child[1], &c, 1) != 1)
			bench_die("write");
		if (read(to_parent[0], &c, 1) != 1)
			bench_die("read");
	}
	return -1;
}
