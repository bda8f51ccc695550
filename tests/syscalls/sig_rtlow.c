/*
 * sig_rtlow: signals 32 and 33 are real-time signals to the kernel (they
 * queue, one per send) even though glibc keeps them for itself and its
 * SIGRTMIN is 34.  (moat once took libc's SIGRTMIN as the kernel's and
 * coalesced them like standard signals.)  Raw system calls: glibc's
 * wrappers refuse these two.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long sigmask_block(int sig)
{
	unsigned long set = 1UL << (sig - 1);
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8);
}

/* Sends sig to this thread n times, then counts how many can be taken. */
static int queued(int sig, int n)
{
	unsigned long set = 1UL << (sig - 1);
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	int got = 0;

	for (int i = 0; i < n; i++) {
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		si.si_value.sival_int = i;
		CHECK_OK(syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), sig, &si));
	}
	while (syscall(SYS_rt_sigtimedwait, &set, &si, &zero, 8) == sig) {
		CHECK_EQ(si.si_value.sival_int, got);
		got++;
	}
	return got;
}

int main(void)
{
	for (int sig = 32; sig <= 40; sig += (sig < 34 ? 1 : 6)) {
		CHECK_OK(sigmask_block(sig));
		if (!CHECK_EQ(queued(sig, 3), 3)) printf("  (signal %d)\n", sig);
	}
	/* A standard signal still coalesces. */
	CHECK_OK(sigmask_block(SIGUSR1));
	CHECK_EQ(queued(SIGUSR1, 3), 1);
	return check_done();
}
