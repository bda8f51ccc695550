/*
 * sys_misc.c: getrandom, and the system-wide information calls (sysinfo,
 * getrusage, times).
 */
#include <errno.h>
#include <stddef.h>
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

_Static_assert(offsetof(struct rusage, ru_nivcsw) + 8 == K_RUSAGE_SIZE, "struct rusage");
_Static_assert(offsetof(struct sysinfo, mem_unit) + 8 == K_SYSINFO_SIZE &&
	       sizeof(struct sysinfo) >= K_SYSINFO_SIZE, "struct sysinfo");

long sys_sysinfo(struct task *t, const uint64_t a[6])
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return -errno;
	si.uptime = (long)((moat_now_ns() - t->k->boot_ns) / 1000000000ULL);
	si.procs = 1;
	return mm_copy_out(t->mm, a[0], &si, K_SYSINFO_SIZE) ? -EFAULT : 0;
}

static struct timeval ns_to_tv(uint64_t ns)
{
	return (struct timeval){ (time_t)(ns / 1000000000ULL), (suseconds_t)(ns % 1000000000ULL / 1000) };
}

/* CPU time of the stub process, where the application runs. */
static void app_cpu_time(struct task *t, struct timeval *tv)
{
	*tv = ns_to_tv(task_cpu_ns(t));
}

static uint64_t children_cpu_ns(struct task *t)
{
	uint64_t ns;

	pthread_mutex_lock(&t->k->lock);
	ns = t->tg->children_utime_ns;
	pthread_mutex_unlock(&t->k->lock);
	return ns;
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
	} else {
		ru.ru_utime = ns_to_tv(children_cpu_ns(t));
	}
	return mm_copy_out(t->mm, a[1], &ru, K_RUSAGE_SIZE) ? -EFAULT : 0;
}

long sys_times(struct task *t, const uint64_t a[6])
{
	struct tms tms = { 0 };
	struct timeval tv;
	long hz = 100;

	app_cpu_time(t, &tv);
	tms.tms_utime = (clock_t)(tv.tv_sec * hz + tv.tv_usec / (1000000 / hz));
	tv = ns_to_tv(children_cpu_ns(t));
	tms.tms_cutime = (clock_t)(tv.tv_sec * hz + tv.tv_usec / (1000000 / hz));
	if (a[0] && mm_copy_out(t->mm, a[0], &tms, sizeof(tms)))
		return -EFAULT;
	return (long)(moat_now_ns() / (1000000000ULL / (uint64_t)hz));
}
