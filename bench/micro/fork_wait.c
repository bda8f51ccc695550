/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* fork_wait: fork, the child _exits at once, the parent waitpids. */
#define BENCH_NAME "fork_wait"
#define BENCH_DEFAULT_ITERS 60
#include "bench.h"
#include <sys/wait.h>

static int bench_setup(long iters) { (void)iters; return 0; }
static void bench_teardown(void) {}

static long long bench_run(long iters)
{
	for (long i = 0; i < iters; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			bench_die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid || status != 0)
			bench_die("waitpid");
	}
	return -1;
}
