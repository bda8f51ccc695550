/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* read4k: pread of 4 KiB from an open, cached 1 MiB file, offsets cycling. */
#define BENCH_NAME "read4k"
#define BENCH_DEFAULT_ITERS 70000
#define BENCH_BYTES_PER_OP 4096
#include "bench.h"
#include <fcntl.h>

#define FILE_SIZE (1 << 20)
static char dir[4096], file[4200];
static int fd = -1;
static char buf[4096] __attribute__((aligned(4096)));

static int bench_setup(long iters)
{
	(void)iters;
	snprintf(dir, sizeof(dir), "%s", bench_tmpdir());
	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		bench_die("create");
	memset(buf, 'r', sizeof(buf));
	for (int off = 0; off < FILE_SIZE; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			bench_die("pwrite");
	return 0;
}

static void bench_teardown(void)
{
	close(fd);
	unlink(file);
	rmdir(dir);
}

static long long bench_run(long iters)
{
	off_t off = 0;

	for (long i = 0; i < iters; i++) {
		if (pread(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			bench_die("pread");
		off = (off + sizeof(buf)) % FILE_SIZE;
	}
	return -1;
}
