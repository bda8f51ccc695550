/*
 * efault.c - every implemented syscall that takes a user pointer answers a
 * wild pointer (low, kernel half, non-canonical, past the end) with EFAULT,
 * and never dies of it.  Raw syscall(2) so that libc cannot intercept.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <linux/prctl.h>
#include <sys/resource.h>

#include "check.h"

static const unsigned long bad[] = {
	8, 0xfff, 0xffff800000000000UL, 0x8000000000000000UL, (unsigned long)-16,
};

int main(void)
{
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned long p = bad[i];
		CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p), EFAULT);
		CHECK_ERR(syscall(SYS_clock_getres, CLOCK_MONOTONIC, p), EFAULT);
		CHECK_ERR(syscall(SYS_gettimeofday, p, 0), EFAULT);
		CHECK_ERR(syscall(SYS_uname, p), EFAULT);
		CHECK_ERR(syscall(SYS_prlimit64, 0, RLIMIT_STACK, 0, p), EFAULT);
		CHECK_ERR(syscall(SYS_prlimit64, 0, RLIMIT_STACK, p, 0), EFAULT);
		CHECK_ERR(syscall(SYS_getrlimit, RLIMIT_STACK, p), EFAULT);
		CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, p, 0, 8), EFAULT);
		CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, 0, p, 8), EFAULT);
		CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, 0, 8), EFAULT);
		CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, p, 8), EFAULT);
		CHECK_ERR(syscall(SYS_sigaltstack, p, 0), EFAULT);
		CHECK_ERR(syscall(SYS_nanosleep, p, 0), EFAULT);
		CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, 0), EFAULT);
		CHECK_ERR(syscall(SYS_getrandom, p, 16, 0), EFAULT);
		CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 128, p), EFAULT);
		CHECK_ERR(syscall(SYS_writev, 1, p, 1), EFAULT);
		CHECK_ERR(syscall(SYS_fstat, 1, p), EFAULT);
		CHECK_ERR(syscall(SYS_newfstatat, 1, "", p, 0x1000 /* AT_EMPTY_PATH */), EFAULT);
		CHECK_ERR(syscall(SYS_time, p), EFAULT);
		CHECK_ERR(syscall(SYS_getresuid, p, p, p), EFAULT);
		CHECK_ERR(syscall(SYS_getresgid, p, p, p), EFAULT);
		CHECK_ERR(syscall(SYS_arch_prctl, ARCH_GET_FS, p), EFAULT);
		CHECK_ERR(syscall(SYS_sysinfo, p), EFAULT);
		CHECK_ERR(syscall(SYS_getcpu, p, 0, 0), EFAULT);
		CHECK_ERR(syscall(SYS_prctl, PR_GET_NAME, p, 0, 0, 0), EFAULT);
		CHECK_ERR(syscall(SYS_prctl, PR_SET_NAME, p, 0, 0, 0), EFAULT);
		CHECK_ERR(syscall(SYS_getrusage, RUSAGE_SELF, p), EFAULT);
		CHECK_ERR(syscall(SYS_get_robust_list, 0, p, p), EFAULT);
	}
	/* A wild iovec base inside a good iovec array. */
	struct { unsigned long base, len; } iov = { 8, 10 };
	CHECK_ERR(syscall(SYS_writev, 2, &iov, 1), EFAULT);
	/* Lengths and counts that are too large. */
	CHECK_ERR(syscall(SYS_writev, 1, &iov, 1025), EINVAL);
	CHECK_ERR(syscall(SYS_set_robust_list, 0, 23), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, 0, 0, 4), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, 0, 0, 0, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, 65, 0, 0, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, 7, &iov, 0, 8), EINVAL);
	return check_done();
}
