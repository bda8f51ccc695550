/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/* unix_stream: a writer thread sends ITERS blocks of 4 KiB over an AF_UNIX
 * SOCK_STREAM socketpair, the main thread reads them all; one op is 4 KiB. */
#define BENCH_NAME "unix_stream"
#define BENCH_DEFAULT_ITERS 25000
#define BENCH_BYTES_PER_OP 4096
#include "bench.h"
#include <pthread.h>
#include <sys/socket.h>

#define BLOCK 4096
static int sv[2];

struct job { long iters; };

static void *writer(void *arg)
{
	static char buf[BLOCK];
	long iters = ((struct job *)arg)->iters;

	memset(buf, 'u', sizeof(buf));
	for (long i = 0; i < iters; i++)
		for (size_t done = 0; done < BLOCK;) {
			ssize_t n = write(sv[1], buf + done, BLOCK - done);
			if (n <= 0)
				bench_die("write");
			done += n;
		}
	return NULL;
}

static int bench_setup(long iters)
{
	(void)iters;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		bench_die("socketpair");
	return 0;
}

static void bench_teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

static long long bench_run(long iters)
{
	static char buf[BLOCK];
	struct job job = { iters };
	long long want = (long long)iters * BLOCK, got = 0;
	pthread_t t;

	errno = pthread_create(&t, NULL, writer, &job);
	if (errno)
		bench_die("pthread_create");
	while (got < want) {
		ssize_t n = read(sv[0], buf, sizeof(buf));
		if (n <= 0)
			bench_die("read");
		got += n;
	}
	pthread_join(t, NULL);
	return -1;
}
