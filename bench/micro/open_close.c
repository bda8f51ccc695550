/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* open_close: open(O_RDONLY) + close of an existing file the benchmark made. */
#define BENCH_NAME "open_close"
#define BENCH_DEFAULT_ITERS 25000
#include "bench.h"
#include <fcntl.h>

static char dir[4096], file[4200];

static int bench_setup(long iters)
{
	(void)iters;
	snprintf(dir, sizeof(dir), "%s", bench_tmpdir());
	snprintf(file, sizeof(file), "%s/file", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "x", 1) != 1)
		bench_die("create");
	close(fd);
	return 0;
}

static void bench_teardown(void)
{
	unlink(file);
	rmdir(dir);
}

static long long bench_run(long iters)
{
	for (long i = 0; i < iters; i++) {
		int fd = open(file, O_RDONLY);
		if (fd < 0)
			bench_die("open");
		close(fd);
	}
	return -1;
}
