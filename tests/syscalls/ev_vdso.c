/*
 * ev_vdso.c: the vDSO's clocks.
 *
 * - AT_SYSINFO_EHDR points at an ELF image listed as [vdso] in
 *   /proc/self/maps; [vvar] cannot be made writable.
 * - The vDSO makes no syscall (on a host with an invariant TSC): under a
 *   seccomp filter that makes
 *   clock_gettime, gettimeofday, time and getcpu fail with EPERM, libc's
 *   calls (which go through the vDSO) still work, while the raw syscalls
 *   and the clocks the vDSO does not answer (CPU time) get EPERM.
 * - The vDSO and the syscall read one clock: vdso <= syscall <= vdso.
 * - Monotonic clocks never go back, also across threads and processes.
 * - Absolute sleeps never end early by the vDSO's clock.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <elf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int64_t vdso_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts_ns(&ts);
}

static int64_t sys_ns(clockid_t c)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, c, &ts);
	return ts_ns(&ts);
}

/* [lo, hi) of the mapping named name in /proc/self/maps, or 0. */
static int find_map(const char *name, unsigned long *lo, unsigned long *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], n[128];
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		n[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %127s", lo, hi, n) >= 2 &&
		    strcmp(n, name) == 0) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_image(void)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR), lo, hi;

	if (!CHECK(base != 0))
		return;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	CHECK(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
	CHECK_EQ(eh->e_type, ET_DYN);
	CHECK_EQ(eh->e_machine, EM_X86_64);
	if (CHECK(find_map("[vdso]", &lo, &hi)))
		CHECK_EQ(lo, base);
	if (CHECK(find_map("[vvar]", &lo, &hi))) {
		CHECK(hi <= base);
		errno = 0;
		CHECK_EQ(mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE), -1);
		CHECK_EQ(errno, EACCES);
	}
}

/* The filter: these four syscalls fail with EPERM, the rest run. */
static int deny_clock_syscalls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_gettimeofday, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_time, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getcpu, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void no_trap_child(void)
{
	static const clockid_t clocks[] = {
		CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
		CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI,
	};
	struct timespec ts;
	struct timeval tv;
	unsigned cpu = ~0u, node = ~0u;

	if (!CHECK_EQ(deny_clock_syscalls(), 0))
		return;
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		for (int n = 0; n < 1000; n++)
			if (!CHECK_EQ(clock_gettime(clocks[i], &ts), 0))
				break;
		CHECK(ts.tv_sec > 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	}
	CHECK_EQ(gettimeofday(&tv, NULL), 0);
	CHECK(tv.tv_sec > 1000000000 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(time(NULL) > 1000000000);
	CHECK_EQ(getcpu(&cpu, &node), 0);
	CHECK(cpu < 4096 && node < 4096);
	/* The filter does deny the syscalls themselves. */
	errno = 0;
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts), -1);
	CHECK_EQ(errno, EPERM);
	errno = 0;
	CHECK_EQ(syscall(SYS_gettimeofday, &tv, NULL), -1);
	CHECK_EQ(errno, EPERM);
	/* CPU clocks are not the vDSO's: the syscall, denied. */
	errno = 0;
	CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), -1);
	CHECK_EQ(errno, EPERM);
	fflush(stdout);
	_exit(check_failures ? 1 : 0);
}

/* moat's vDSO answers without a trap only on an invariant TSC (CPUID
 * 80000007h EDX bit 8); Linux's needs a TSC-based clock source too. */
static int invariant_tsc(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return 0;
	__cpuid(0x80000007, a, b, c, d);
	return (d >> 8) & 1;
}

static void test_no_trap(void)
{
	if (!invariant_tsc())
		return;
	pid_t pid = xfork();

	if (pid == 0)
		no_trap_child();
	CHECK_EQ(reap_status(pid, 0), 0);
}

/* A syscall's reading lies between two vDSO readings. */
static void test_same_clock(void)
{
	static const clockid_t clocks[] = {
		CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME, CLOCK_TAI,
	};
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		int bad = 0;
		for (int n = 0; n < 2000; n++) {
			int64_t a = vdso_ns(clocks[i]), s = sys_ns(clocks[i]), b = vdso_ns(clocks[i]);
			if (!(a <= s && s <= b))
				bad++;
		}
		if (!CHECK_EQ(bad, 0))
			printf("clock %d\n", clocks[i]);
	}
	/* The coarse clocks never run ahead of the fine ones. */
	int bad = 0;
	for (int n = 0; n < 2000; n++) {
		int64_t c = vdso_ns(CLOCK_MONOTONIC_COARSE), f = vdso_ns(CLOCK_MONOTONIC);
		if (c > f)
			bad++;
	}
	CHECK_EQ(bad, 0);
	/* Boottime and monotonic move together. */
	int64_t d0 = vdso_ns(CLOCK_BOOTTIME) - vdso_ns(CLOCK_MONOTONIC);
	usleep(20000);
	int64_t d1 = vdso_ns(CLOCK_BOOTTIME) - vdso_ns(CLOCK_MONOTONIC);
	CHECK(d1 - d0 < 1000000 && d0 - d1 < 1000000);
	/* gettimeofday and CLOCK_REALTIME: one clock. */
	struct timeval tv;
	int64_t a = vdso_ns(CLOCK_REALTIME) / 1000;
	gettimeofday(&tv, NULL);
	int64_t b = vdso_ns(CLOCK_REALTIME) / 1000;
	int64_t g = tv.tv_sec * 1000000LL + tv.tv_usec;
	CHECK(a <= g && g <= b);
	struct timespec res;
	CHECK_EQ(clock_getres(CLOCK_MONOTONIC, &res), 0);
	CHECK(res.tv_sec == 0 && res.tv_nsec == 1);
}

/* Monotonic across threads: a reading taken after another thread's
 * published reading is never smaller. */
static int64_t latest;
static int thread_bad;

static void *mono_thread(void *arg)
{
	(void)arg;
	for (int n = 0; n < 300000; n++) {
		int64_t seen = __atomic_load_n(&latest, __ATOMIC_ACQUIRE);
		int64_t now = vdso_ns(CLOCK_MONOTONIC);
		if (now < seen)
			__atomic_add_fetch(&thread_bad, 1, __ATOMIC_RELAXED);
		int64_t cur = seen;
		while (cur < now && !__atomic_compare_exchange_n(&latest, &cur, now, 0,
								  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			;
	}
	return NULL;
}

static void test_monotonic_threads(void)
{
	pthread_t th[3];

	for (int i = 0; i < 3; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, mono_thread, NULL), 0);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(thread_bad, 0);
}

/* A child reads the clock after its parent: no earlier. */
static void test_monotonic_fork(void)
{
	int64_t before = vdso_ns(CLOCK_MONOTONIC);
	int fds[2];

	if (!CHECK_EQ(pipe(fds), 0))
		return;
	pid_t pid = xfork();
	if (pid == 0) {
		int64_t now = vdso_ns(CLOCK_MONOTONIC);
		_exit(write(fds[1], &now, sizeof(now)) == sizeof(now) ? 0 : 1);
	}
	int64_t child = 0;
	CHECK_EQ(read(fds[0], &child, sizeof(child)), sizeof(child));
	CHECK_EQ(reap_status(pid, 0), 0);
	CHECK(child >= before);
	int64_t after = vdso_ns(CLOCK_MONOTONIC);
	CHECK(after >= child);
	close(fds[0]);
	close(fds[1]);
}

/* Sleeps end no earlier than asked, by the clock the program reads. */
static void test_sleeps(void)
{
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
	int early = 0;

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		for (int n = 0; n < 20; n++) {
			int64_t want = vdso_ns(clocks[i]) + 300000 + n * 10000;
			struct timespec ts = { want / 1000000000LL, want % 1000000000LL };
			CHECK_EQ(clock_nanosleep(clocks[i], TIMER_ABSTIME, &ts, NULL), 0);
			if (vdso_ns(clocks[i]) < want)
				early++;
		}
	for (int n = 0; n < 20; n++) {
		int64_t t0 = vdso_ns(CLOCK_MONOTONIC);
		struct timespec ts = { 0, 200000 };
		CHECK_EQ(nanosleep(&ts, NULL), 0);
		if (vdso_ns(CLOCK_MONOTONIC) - t0 < 200000)
			early++;
	}
	CHECK_EQ(early, 0);
}

int main(void)
{
	test_image();
	test_no_trap();
	test_same_clock();
	test_monotonic_threads();
	test_monotonic_fork();
	test_sleeps();
	return check_done();
}
