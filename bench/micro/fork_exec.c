/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* fork_exec: fork, execve of bin/tiny (static, no libc: it only exits),
 * waitpid.  tiny is looked for next to this program (or at $BENCH_TINY). */
#define BENCH_NAME "fork_exec"
#define BENCH_DEFAULT_ITERS 45
#include "bench.h"
#include <libgen.h>
#include <sys/wait.h>

extern char **environ;
static char tiny[4096];

static int bench_setup(long iters)
{
	char self[4096];
	ssize_t n;
	const char *env = getenv("BENCH_TINY");

	(void)iters;
	if (env && *env) {
		snprintf(tiny, sizeof(tiny), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0)
			self[n] = 0;
		if (n <= 0 || access(self, X_OK) != 0)
			snprintf(self, sizeof(self), "%s", bench_argv0);
		snprintf(tiny, sizeof(tiny), "%s/tiny", dirname(self));
	}
	if (access(tiny, X_OK) != 0)
		bench_die(tiny);
	return 0;
}

static void bench_teardown(void) {}

static long long bench_run(long iters)
{
	char *argv[] = { tiny, NULL };

	for (long i = 0; i < iters; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			bench_die("fork");
		if (pid == 0) {
			execve(tiny, argv, environ);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || status != 0) {
			errno = 0;
			bench_die("child failed (execve?)");
		}
	}
	return -1;
}
