/*
 * mm_aslr.c - the randomised layout of a new image: the stack, the vDSO,
 * the mmap area and the brk differ from one exec to the next, and lie
 * where Linux puts them relative to each other (the stack above the mmap
 * area, the vDSO clear of the stack and of the program, the brk above the
 * program).  The stack is randomised over at least 1 MiB and the mmap
 * base over at least 1 GiB (Linux: 16 GiB and 1 TiB; moat: 256 MiB and
 * 1 TiB).
 *
 * The parent execs itself (via /proc/self/exe) with argv[1] "child" N
 * times; each child writes one line of addresses to a pipe.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define RUNS 12

struct layout {
	uint64_t stack, vdso, mmap, brk, text;
};

static int child(void)
{
	int local = 0;
	void *m = mmap(NULL, PAGE, RW, ANON, -1, 0);

	printf("%lx %lx %lx %lx %lx\n", (unsigned long)(uintptr_t)&local,
	       getauxval(AT_SYSINFO_EHDR), (unsigned long)(uintptr_t)m,
	       (unsigned long)(uintptr_t)sbrk(0), (unsigned long)(uintptr_t)&child);
	return m == MAP_FAILED;
}

static int run_child(struct layout *l)
{
	int fds[2];
	char buf[256];

	if (pipe(fds) != 0)
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl("/proc/self/exe", "mm_aslr", "child", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	int status = -1;
	waitpid(pid, &status, 0);
	if (n <= 0 || !CHECK_EQ(status, 0))
		return 0;
	buf[n] = 0;
	return CHECK_EQ(sscanf(buf, "%lx %lx %lx %lx %lx", (unsigned long *)&l->stack,
			       (unsigned long *)&l->vdso, (unsigned long *)&l->mmap,
			       (unsigned long *)&l->brk, (unsigned long *)&l->text), 5);
}

static uint64_t spread(const struct layout *l, int n, size_t field)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (int i = 0; i < n; i++) {
		uint64_t v = *(const uint64_t *)((const char *)&l[i] + field);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	return hi - lo;
}

int main(int argc, char **argv __attribute__((unused)))
{
	struct layout l[RUNS];
	int n = 0;

	if (argc > 1)
		return child();
	for (int i = 0; i < RUNS; i++)
		if (run_child(&l[n]))
			n++;
	if (!CHECK_EQ(n, RUNS))
		return check_done();
	for (int i = 0; i < n; i++) {
		/* Relative placement, as Linux lays an image out. */
		CHECK(l[i].stack > l[i].mmap);
		CHECK(l[i].mmap > l[i].brk);
		CHECK(l[i].brk > l[i].text);
		CHECK(l[i].vdso > l[i].brk);
		CHECK(l[i].vdso + 2 * PAGE <= l[i].stack - 64 * 1024 ||
		      l[i].vdso >= l[i].stack + 2 * PAGE);
		CHECK(l[i].stack < (1ULL << 47));
	}
	/* Twelve draws from at least 2^8 places: all equal only by a bug. */
	CHECK(spread(l, n, offsetof(struct layout, stack)) >= 1ULL << 20);
	CHECK(spread(l, n, offsetof(struct layout, mmap)) >= 1ULL << 30);
	CHECK(spread(l, n, offsetof(struct layout, vdso)) > 0);
	CHECK(spread(l, n, offsetof(struct layout, brk)) > 0);
	return check_done();
}
