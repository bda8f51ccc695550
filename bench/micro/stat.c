/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* stat: stat() of TMPDIR/microbench.XXXXXX/a/b/c, a file three levels below a
 * fresh temporary directory (five components below / with TMPDIR=/tmp). */
#define BENCH_NAME "stat"
#define BENCH_DEFAULT_ITERS 50000
#include "bench.h"
#include <fcntl.h>
#include <sys/stat.h>

static char dir[4096], a[4200], b[4200], c[4200];

static int bench_setup(long iters)
{
	(void)iters;
	snprintf(dir, sizeof(dir), "%s", bench_tmpdir());
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/a/b", dir);
	snprintf(c, sizeof(c), "%s/a/b/c", dir);
	if (mkdir(a, 0755) || mkdir(b, 0755))
		bench_die("mkdir");
	int fd = open(c, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		bench_die("create");
	close(fd);
	return 0;
}

static void bench_teardown(void)
{
	unlink(c);
	rmdir(b);
	rmdir(a);
	rmdir(dir);
}

static long long bench_run(long iters)
{
	struct stat st;

	for (long i = 0; i < iters; i++) {
		if (stat(c, &st))
			bench_die("stat");
		bench_keep(st.st_size);
	}
	return -1;
}
