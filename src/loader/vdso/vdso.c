/*
 * vdso.c: moat's vDSO, the code every application process finds at
 * AT_SYSINFO_EHDR.  libc calls these instead of making the syscalls, so
 * reading a clock costs a TSC read, not a trap into the sentry.
 *
 * Freestanding and position independent; linked by vdso.lds into a small
 * shared object with Linux's symbol names and the LINUX_2.6 version, which
 * is what glibc, musl and Go look up.  The parameter page sits one page
 * below the image (vvar.h); anything the page cannot answer (a CPU-time
 * clock, a bad clock id, a host without an invariant TSC) is the real
 * syscall, which traps to the sentry as any other.
 *
 * Like Linux's, these functions write through the caller's pointers
 * directly: a bad pointer is a fault in the caller, not EFAULT.
 */
#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>

#include "loader/vdso/vvar.h"

/* The parameter page (vdso.lds). */
extern const volatile struct vvar moat_vvar __attribute__((visibility("hidden")));

struct k_timespec { int64_t tv_sec; int64_t tv_nsec; };
struct k_timeval { int64_t tv_sec; int64_t tv_usec; };
struct k_timezone { int tz_minuteswest; int tz_dsttime; };

#define NSEC_PER_SEC 1000000000LL

static long syscall2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static int fast_read(int id, int64_t *ns)
{
	if ((unsigned)id >= VVAR_NCLOCKS || !(VVAR_FAST_CLOCKS >> id & 1))
		return 0;
	return vvar_read(&moat_vvar, (unsigned)id, ns);
}

/* Floor division, so that times before 1970 keep 0 <= nsec < 1e9. */
static int64_t split(int64_t ns, int64_t *rem)
{
	int64_t s = ns / NSEC_PER_SEC, r = ns % NSEC_PER_SEC;

	if (r < 0) {
		r += NSEC_PER_SEC;
		s--;
	}
	*rem = r;
	return s;
}

int __vdso_clock_gettime(int id, struct k_timespec *ts)
{
	int64_t ns;

	if (!fast_read(id, &ns))
		return (int)syscall2(__NR_clock_gettime, id, (long)ts);
	ts->tv_sec = split(ns, &ts->tv_nsec);
	return 0;
}

int __vdso_gettimeofday(struct k_timeval *tv, struct k_timezone *tz)
{
	int64_t ns, rem;

	if (!fast_read(0, &ns))
		return (int)syscall2(__NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = split(ns, &rem);
		tv->tv_usec = rem / 1000;
	}
	if (tz) {                 /* the sentry keeps no time zone either */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t ns, rem, s;

	if (!fast_read(0, &ns))
		return syscall2(__NR_time, (long)t, 0);
	s = split(ns, &rem);
	if (t)
		*t = s;
	return s;
}

/* The CPU this thread runs on: the limit of Linux's per-CPU segment 0x7b
 * is cpu | node << 12 (Linux's own vDSO reads it so without RDPID; RDTSCP,
 * used before, may be hidden by a hypervisor). */
int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	uint32_t p;

	(void)cache;
	__asm__ volatile("lsl %1, %0" : "=r"(p) : "r"(0x7bu));
	if (cpu)
		*cpu = p & 0xfff;
	if (node)
		*node = p >> 12;
	return 0;
}

int __vdso_clock_getres(int id, struct k_timespec *res)
{
	return (int)syscall3(__NR_clock_getres, id, (long)res, 0);
}

int clock_gettime(int, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct k_timeval *, struct k_timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct k_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
