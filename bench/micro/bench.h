/* From the shared benchmark suite (../shared/bench/micro/), unchanged. */
/*
 * bench.h: the common harness of the microbenchmarks.
 *
 * A benchmark defines BENCH_NAME, BENCH_DEFAULT_ITERS (chosen so that one
 * whole run, warm-up plus BENCH_REPS repetitions, takes about 0.5 s natively)
 * and these functions:
 *
 *   static int  bench_setup(long iters);  0 = ok, 1 = skip (reason printed
 *                                          through bench_skip), -1 = error
 *   static long long bench_run(long iters); run iters operations; return the
 *                                          nanoseconds they took, or -1 to
 *                                          let the harness time the call
 *   static void bench_teardown(void);
 *
 * and may define BENCH_BYTES_PER_OP to have a throughput printed too.
 *
 * Usage: PROG [ITERS]      ITERS operations per repetition
 *        PROG --default-iters   print BENCH_DEFAULT_ITERS and exit
 * Environment: BENCH_SCALE=F multiplies the default when ITERS is absent.
 *
 * Output, one line on stdout:  NAME: X ns/op [(Y MB/s)]
 * where X is the median of BENCH_REPS repetitions, after a warm-up of
 * iters/10 operations (at least 1).  A skipped benchmark prints
 * "NAME: skipped (REASON)" and exits 0; a failure prints to stderr and exits 1.
 */
#ifndef BENCH_H
#define BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_REPS 5

static inline long long bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Keeps the compiler from proving a value unused. */
#define bench_keep(x) __asm__ __volatile__("" : : "r"(x) : "memory")

static inline void bench_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", BENCH_NAME, what, strerror(errno));
	exit(1);
}

static inline int bench_skip(const char *why)
{
	printf("%s: skipped (%s)\n", BENCH_NAME, why);
	fflush(stdout);
	return 1;
}

/* Makes a fresh temporary directory; the benchmark removes what it made. */
static inline char *bench_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	static char path[4096];

	if (!base || !*base)
		base = "/tmp";
	snprintf(path, sizeof(path), "%s/microbench.XXXXXX", base);
	if (!mkdtemp(path))
		bench_die("mkdtemp");
	return path;
}

static const char *bench_argv0;

static int bench_setup(long iters);
static long long bench_run(long iters);
static void bench_teardown(void);

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long long bench_timed(long iters)
{
	long long t0 = bench_now_ns();
	long long took = bench_run(iters);

	if (took < 0)
		took = bench_now_ns() - t0;
	return took;
}

int main(int argc, char **argv)
{
	double per_op[BENCH_REPS];
	long iters = BENCH_DEFAULT_ITERS;
	const char *scale = getenv("BENCH_SCALE");
	int rc;

	bench_argv0 = argv[0];
	if (argc > 1 && strcmp(argv[1], "--default-iters") == 0) {
		printf("%ld\n", (long)BENCH_DEFAULT_ITERS);
		return 0;
	}
	if (argc > 1) {
		char *end;

		iters = strtol(argv[1], &end, 10);
		if (*end || iters < 1) {
			fprintf(stderr, "usage: %s [ITERS|--default-iters]\n", argv[0]);
			return 2;
		}
	} else if (scale && *scale) {
		iters = (long)(BENCH_DEFAULT_ITERS * atof(scale));
		if (iters < 1)
			iters = 1;
	}
	/* The harness's own stdio must not be inherited half-flushed by forks. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	rc = bench_setup(iters);
	if (rc > 0)
		return 0;
	if (rc < 0)
		return 1;

	bench_timed(iters / 10 > 0 ? iters / 10 : 1);
	for (int r = 0; r < BENCH_REPS; r++)
		per_op[r] = (double)bench_timed(iters) / iters;
	bench_teardown();

	qsort(per_op, BENCH_REPS, sizeof(per_op[0]), bench_cmp);
	double med = per_op[BENCH_REPS / 2];
#ifdef BENCH_BYTES_PER_OP
	printf("%s: %.1f ns/op (%.1f MB/s)\n", BENCH_NAME, med,
	       med > 0 ? BENCH_BYTES_PER_OP * 1e3 / med : 0.0);
#else
	printf("%s: %.1f ns/op\n", BENCH_NAME, med);
#endif
	return 0;
}

#endif
