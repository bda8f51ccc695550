/*
 * misc.c - process identity, uname, clocks, sleeping, getrandom, resource
 * limits, CPU affinity, and error handling of the fd 0-2 I/O calls.
 *
 * Raw syscall() is used wherever glibc could answer from user space (vDSO
 * clocks) or would change the calling convention (sched_getaffinity), so
 * that the kernel's (or moat's) implementation is what gets tested.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define BAD_PTR ((void *)1)	/* never mapped: below mmap_min_addr */

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void test_ids(void)
{
	pid_t pid = getpid();
	uintptr_t fs = 0;

	CHECK(pid > 0);
	CHECK_EQ(syscall(SYS_getpid), pid);
	CHECK_EQ(getpid(), pid);			/* stable */
	CHECK_EQ(syscall(SYS_gettid), pid);		/* single-threaded */
	CHECK(getppid() >= 0);
	CHECK_NE(getppid(), pid);
	CHECK_EQ(syscall(SYS_getppid), getppid());
	CHECK_EQ(getuid(), geteuid());
	CHECK_EQ(getgid(), getegid());
	/* set_tid_address returns the caller's thread id. */
	CHECK_EQ(syscall(SYS_set_tid_address, NULL), pid);
	/* glibc's TCB starts with a pointer to itself at %fs:0. */
	CHECK_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
	CHECK(fs != 0 && *(uintptr_t *)fs == fs);
	CHECK_ERR(syscall(SYS_arch_prctl, 0x9999, &fs), EINVAL);
}

static void test_uname(void)
{
	struct utsname u;

	if (!CHECK_OK(uname(&u)))
		return;
	CHECK(strcmp(u.sysname, "Linux") == 0);
	CHECK(strcmp(u.machine, "x86_64") == 0);
	CHECK(u.nodename[0] != '\0');
	CHECK(u.release[0] >= '1' && u.release[0] <= '9');
	CHECK(u.version[0] != '\0');
	CHECK_ERR(syscall(SYS_uname, BAD_PTR), EFAULT);
}

static void test_clocks(void)
{
	static const clockid_t clocks[] = {
		CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
		CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
		CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
	};
	struct timespec a, b, res;
	struct timeval tv1, tv2;
	time_t t;
	int bad = 0;

	for (size_t i = 0; i < sizeof(clocks) / sizeof(*clocks); i++) {
		CHECK_OK(syscall(SYS_clock_gettime, clocks[i], &a));
		CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
		CHECK_OK(syscall(SYS_clock_getres, clocks[i], &res));
		CHECK(ts_ns(&res) > 0 && ts_ns(&res) <= 10000000);
	}
	/* The wall clock is after 2020-01-01. */
	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &a));
	CHECK(a.tv_sec > 1577836800);
	CHECK_OK(clock_getres(CLOCK_MONOTONIC, NULL));	/* NULL res is fine */

	/* Monotonic time never goes backwards (syscall and libc/vDSO). */
	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a));
	for (int i = 0; i < 2000; i++) {
		if (i % 2)
			syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
		else
			clock_gettime(CLOCK_MONOTONIC, &b);
		if (ts_ns(&b) < ts_ns(&a))
			bad++;
		a = b;
	}
	CHECK_EQ(bad, 0);

	/* gettimeofday, time and CLOCK_REALTIME agree. */
	CHECK_OK(gettimeofday(&tv1, NULL));
	t = time(NULL);
	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &a));
	CHECK_OK(gettimeofday(&tv2, NULL));
	CHECK(tv1.tv_usec >= 0 && tv1.tv_usec < 1000000);
	CHECK(t >= tv1.tv_sec - 1 && t <= tv2.tv_sec);	/* time() is coarse */
	CHECK(a.tv_sec >= tv1.tv_sec && a.tv_sec <= tv2.tv_sec);
	CHECK(tv2.tv_sec * 1000000L + tv2.tv_usec >=
	      tv1.tv_sec * 1000000L + tv1.tv_usec);
	CHECK_EQ(syscall(SYS_time, NULL) >= t, 1);

	/* Errors. */
	CHECK_ERR(syscall(SYS_clock_gettime, 1000, &a), EINVAL);
	CHECK_ERR(syscall(SYS_clock_gettime, -100, &a), EINVAL);
	CHECK_ERR(clock_gettime(1000, &a), EINVAL);
	CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_PTR), EFAULT);
	CHECK_ERR(syscall(SYS_clock_getres, 1000, &res), EINVAL);
	CHECK_ERR(syscall(SYS_gettimeofday, BAD_PTR, NULL), EFAULT);
}

static void test_sleep(void)
{
	struct timespec a, b, req = { 0, 10 * 1000 * 1000 };
	struct timespec bad1 = { 0, 1000000000 }, bad2 = { 0, -1 };
	struct timespec bad3 = { -1, 0 };
	int64_t elapsed;

	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &a));
	CHECK_OK(syscall(SYS_nanosleep, &req, NULL));
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &b));
	elapsed = ts_ns(&b) - ts_ns(&a);
	if (!CHECK(elapsed >= 10 * 1000 * 1000))
		printf("  slept only %lld ns\n", (long long)elapsed);
	CHECK(elapsed < 5LL * 1000 * 1000 * 1000);

	/* clock_nanosleep: relative, and absolute in the past (no wait). */
	req.tv_nsec = 1000 * 1000;
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &a));
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0);
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL), 0);
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &b));
	CHECK(ts_ns(&b) - ts_ns(&a) >= 1000 * 1000);

	req.tv_nsec = 0;			/* zero sleep */
	CHECK_OK(syscall(SYS_nanosleep, &req, NULL));
	CHECK_ERR(syscall(SYS_nanosleep, &bad1, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_nanosleep, &bad2, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_nanosleep, &bad3, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_nanosleep, BAD_PTR, NULL), EFAULT);
	/* clock_nanosleep returns the error number instead of -1/errno. */
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &bad1, NULL), EINVAL);
	CHECK_EQ(clock_nanosleep(1000, 0, &req, NULL), EINVAL);
}

static void test_getrandom(void)
{
	unsigned char a[64], b[64];
	size_t nz = 0;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ(getrandom(a, sizeof(a), 0), sizeof(a));
	CHECK_EQ(getrandom(b, sizeof(b), GRND_NONBLOCK), sizeof(b));
	for (size_t i = 0; i < sizeof(a); i++)
		nz += a[i] != 0;
	CHECK(nz > 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);	/* 2^-512 chance of failure */
	CHECK_EQ(getrandom(a, 0, 0), 0);
	CHECK_ERR(getrandom(a, sizeof(a), 0x100), EINVAL);
	CHECK_ERR(getrandom(a, sizeof(a), GRND_RANDOM | GRND_INSECURE), EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, BAD_PTR, 16, 0), EFAULT);
}

static void test_rlimits(void)
{
	struct rlimit lim, lim2;

	CHECK_OK(getrlimit(RLIMIT_STACK, &lim));
	CHECK(lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= 64 * 1024);
	CHECK(lim.rlim_max == RLIM_INFINITY || lim.rlim_cur <= lim.rlim_max);

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &lim));
	CHECK(lim.rlim_cur >= 3 && lim.rlim_cur <= lim.rlim_max);
	CHECK_OK(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &lim2));
	CHECK(lim2.rlim_cur == lim.rlim_cur && lim2.rlim_max == lim.rlim_max);
	CHECK_OK(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &lim2));
	CHECK_EQ(lim2.rlim_cur, lim.rlim_cur);

	/* Lower the soft limit, read it back, restore it (old value out). */
	lim2.rlim_cur = 64;
	lim2.rlim_max = lim.rlim_max;
	if (lim.rlim_cur >= 64) {
		struct rlimit old;

		CHECK_OK(setrlimit(RLIMIT_NOFILE, &lim2));
		CHECK_OK(getrlimit(RLIMIT_NOFILE, &lim2));
		CHECK_EQ(lim2.rlim_cur, 64);
		CHECK_OK(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &lim, &old));
		CHECK_EQ(old.rlim_cur, 64);
		CHECK_OK(getrlimit(RLIMIT_NOFILE, &lim2));
		CHECK_EQ(lim2.rlim_cur, lim.rlim_cur);
	}
	/* soft > hard is invalid. */
	lim2.rlim_cur = lim.rlim_max == RLIM_INFINITY ? RLIM_INFINITY : lim.rlim_max + 1;
	lim2.rlim_max = lim.rlim_max == RLIM_INFINITY ? 1000 : lim.rlim_max;
	CHECK_ERR(setrlimit(RLIMIT_NOFILE, &lim2), EINVAL);

	CHECK_ERR(getrlimit(100, &lim), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, 100, NULL, &lim), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, BAD_PTR),
		  EFAULT);
}

static void test_sched(void)
{
	cpu_set_t set;
	long n;

	CPU_ZERO(&set);
	/* The raw syscall returns the size of the kernel's CPU mask. */
	n = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
	CHECK(n > 0 && n <= (long)sizeof(set) && n % sizeof(long) == 0);
	CHECK(CPU_COUNT(&set) >= 1);
	CHECK_EQ(syscall(SYS_sched_getaffinity, getpid(), sizeof(set), &set), n);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 1, &set), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, sizeof(set), BAD_PTR),
		  EFAULT);
	CHECK_EQ(sched_yield(), 0);
	CHECK_EQ(syscall(SYS_sched_yield), 0);
}

/* 1 if fd is /dev/null (character device 1:3). */
static int is_dev_null(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
	       major(st.st_rdev) == 1 && minor(st.st_rdev) == 3;
}

static void test_fd_errors(void)
{
	char buf[16];
	struct stat st;
	struct iovec iov[2] = { { (void *)"", 0 }, { BAD_PTR, 8 } };

	/*
	 * Bad user pointers (raw syscalls: glibc's fortify attributes reject
	 * them at compile time). Nothing may be written. /dev/null accepts
	 * any buffer without reading it, so those descriptors are skipped.
	 */
	for (int fd = 1; fd <= 2; fd++) {
		if (is_dev_null(fd))
			continue;
		CHECK_ERR(syscall(SYS_write, fd, BAD_PTR, 10), EFAULT);
		CHECK_ERR(syscall(SYS_writev, fd, BAD_PTR, 1), EFAULT);
		CHECK_ERR(writev(fd, iov, 2), EFAULT);
	}
	/* Zero-length writes succeed without touching the buffer. */
	CHECK_EQ(write(1, "", 0), 0);
	CHECK_EQ(write(1, NULL, 0), 0);
	CHECK_EQ(writev(1, iov, 1), 0);
	/* Descriptors that are not open. */
	CHECK_ERR(read(-1, buf, sizeof(buf)), EBADF);
	CHECK_ERR(read(99, buf, sizeof(buf)), EBADF);
	CHECK_ERR(syscall(SYS_read, 99, BAD_PTR, sizeof(buf)), EBADF);
	CHECK_ERR(write(99, "x", 1), EBADF);
	CHECK_ERR(close(-1), EBADF);
	CHECK_ERR(close(99), EBADF);
	CHECK_ERR(fstat(99, &st), EBADF);
	CHECK_ERR(syscall(SYS_writev, 1, iov, -1), EINVAL);
	/* fstat of an open standard descriptor. */
	CHECK_OK(fstat(1, &st));
	CHECK(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode) ||
	      S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode));
	CHECK_ERR(syscall(SYS_fstat, 1, BAD_PTR), EFAULT);
}

int main(void)
{
	test_ids();
	test_uname();
	test_clocks();
	test_sleep();
	test_getrandom();
	test_rlimits();
	test_sched();
	test_fd_errors();
	return check_done();
}
