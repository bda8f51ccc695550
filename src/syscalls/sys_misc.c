/*
 * sys_misc.c: getrandom, and the system-wide information calls (sysinfo,
 * getrusage, times).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "pgalloc/pgalloc.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

long sys_getrandom(struct task *t, const uint64_t a[6])
{
	unsigned flags = (unsigned)a[2];
	size_t len = a[1], done = 0;
	char buf[256];

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(buf));
		ssize_t r = getrandom(buf, n, flags & GRND_NONBLOCK);
		if (r < 0)
			return done ? (long)done : -errno;
		if (mm_copy_out(t->mm, a[0] + done, buf, (size_t)r))
			return done ? (long)done : -EFAULT;
		done += (size_t)r;
	}
	return (long)done;
}

long sys_sysinfo(struct task *t, const uint64_t a[6])
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return -errno;
	si.uptime = (long)((moat_now_ns() - t->k->boot_ns) / 1000000000ULL);
	si.procs = 1;
	return mm_copy_out(t->mm, a[0], &si, sizeof(si)) ? -EFAULT : 0;
}

/* CPU time of the stub process, where the application runs. */
static void app_cpu_time(struct task *t, struct timeval *tv)
{
	struct timespec ts = { 0, 0 };
	clockid_t c = (clockid_t)((~(unsigned)platform_as_pid(t->mm->as) << 3) | 2);

	clock_gettime(c, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
}

long sys_getrusage(struct task *t, const uint64_t a[6])
{
	struct rusage ru;
	int who = (int)a[0];

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	memset(&ru, 0, sizeof(ru));
	if (who != RUSAGE_CHILDREN) {
		/* Time spent in the sandbox's kernel is sentry time; report
		 * the application's own as user time. */
		app_cpu_time(t, &ru.ru_utime);
		ru.ru_maxrss = (long)(pgalloc_used_pages() * PAGE_SIZE / 1024);
	}
	return mm_copy_out(t->mm, a[1], &ru, sizeof(ru)) ? -EFAULT : 0;
}

long sys_times(struct task *t, const uint64_t a[6])
{
	struct tms tms = { 0 };
	struct timeval tv;
	long hz = 100;

	app_cpu_time(t, &tv);
	tms.tms_utime = (clock_t)(tv.tv_sec * hz + tv.tv_usec / (1000000 / hz));
	if (a[0] && mm_copy_out(t->mm, a[0], &tms, sizeof(tms)))
		return -EFAULT;
	return (long)(moat_now_ns() / (1000000000ULL / (uint64_t)hz));
}
