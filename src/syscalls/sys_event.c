/*
 * sys_event.c: epoll, eventfd, timerfd, signalfd and inotify syscalls.
 * The files themselves are fs/epoll.c, fs/eventfd.c and fs/inotify.c.
 * Linux: fs/eventpoll.c, fs/eventfd.c, fs/timerfd.c, fs/signalfd.c,
 * fs/notify/inotify/inotify_user.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#define EP_MAX_EVENTS (INT32_MAX / (int)sizeof(struct epoll_event))

/* Installs a new file (taking its reference); -EMFILE etc. */
static long install(struct task *t, struct file *f, int flags)
{
	long fd;

	if (!f)
		return -ENOMEM;
	fd = fdtable_install(t->fdt, f, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0,
			     t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* ---- epoll ---- */

long sys_epoll_create1(struct task *t, const uint64_t a[6])
{
	if ((int)a[0] & ~EPOLL_CLOEXEC)
		return -EINVAL;
	return install(t, epoll_new(0), (int)a[0] & EPOLL_CLOEXEC ? O_CLOEXEC : 0);
}

long sys_epoll_create(struct task *t, const uint64_t a[6])
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return install(t, epoll_new(0), 0);
}

long sys_epoll_ctl(struct task *t, const uint64_t a[6])
{
	struct epoll_event ev;
	int op = (int)a[1];
	struct file *epf, *f;
	long ret;

	if (op != EPOLL_CTL_DEL && mm_copy_in(t->mm, &ev, a[3], sizeof(ev)))
		return -EFAULT;
	epf = fget(t, a[0]);
	if (!epf)
		return -EBADF;
	f = fget(t, a[2]);
	if (!f) {
		file_put(epf);
		return -EBADF;
	}
	ret = epoll_ctl_file(epf, op, (int)a[2], f, op == EPOLL_CTL_DEL ? NULL : &ev);
	file_put(f);
	file_put(epf);
	return ret;
}

static long do_epoll_wait(struct task *t, uint64_t epfd, uint64_t uevents, int max,
			  uint64_t deadline)
{
	struct epoll_event *out;
	struct file *epf;
	long n;

	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	if (mm_access_ok(t->mm, uevents, (size_t)max * sizeof(*out), PROT_WRITE))
		return -EFAULT;
	epf = fget(t, epfd);
	if (!epf)
		return -EBADF;
	if (!file_is_epoll(epf)) {
		file_put(epf);
		return -EINVAL;
	}
	/* The events go through the task's I/O buffer (no file read or
	 * write runs during the wait). */
	_Static_assert(1024 * sizeof(*out) <= TASK_IOBUF_SIZE, "epoll events buffer");
	out = (struct epoll_event *)t->iobuf;
	n = epoll_wait_file(t, epf, out, MIN(max, 1024), deadline);
	file_put(epf);
	if (n > 0 && mm_copy_out(t->mm, uevents, out, (size_t)n * sizeof(*out)))
		n = -EFAULT;
	return n == -EINTR ? -EINTR : n;    /* epoll_wait is never restarted */
}

static uint64_t ms_deadline(int ms)
{
	return ms < 0 ? 0 : ms == 0 ? 1 : moat_now_ns() + (uint64_t)ms * 1000000ULL;
}

long sys_epoll_wait(struct task *t, const uint64_t a[6])
{
	return do_epoll_wait(t, a[0], a[1], (int)a[2], ms_deadline((int)a[3]));
}

static long pwait_common(struct task *t, const uint64_t a[6], uint64_t deadline)
{
	long ret = sigmask_for_wait(t, a[4], a[5]);

	if (ret)
		return ret;
	ret = do_epoll_wait(t, a[0], a[1], (int)a[2], deadline);
	sigmask_wait_done(t, ret);
	return ret;
}

long sys_epoll_pwait(struct task *t, const uint64_t a[6])
{
	return pwait_common(t, a, ms_deadline((int)a[3]));
}

long sys_epoll_pwait2(struct task *t, const uint64_t a[6])
{
	struct timespec ts;
	uint64_t deadline = 0;

	if (a[3]) {
		if (mm_copy_in(t->mm, &ts, a[3], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline = (ts.tv_sec == 0 && ts.tv_nsec == 0) ? 1
			   : moat_now_ns() + (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	return pwait_common(t, a, deadline);
}

/* ---- eventfd ---- */

long sys_eventfd2(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[1];

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	return install(t, eventfd_new((uint32_t)a[0], flags & EFD_SEMAPHORE,
				      (flags & EFD_NONBLOCK) ? O_NONBLOCK : 0),
		       (flags & EFD_CLOEXEC) ? O_CLOEXEC : 0);
}

long sys_eventfd(struct task *t, const uint64_t a[6])
{
	return install(t, eventfd_new((uint32_t)a[0], false, 0), 0);
}

/* ---- timerfd ---- */

static bool timerfd_clock_ok(clockid_t c)
{
	return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC || c == CLOCK_BOOTTIME ||
	       c == CLOCK_REALTIME_ALARM || c == CLOCK_BOOTTIME_ALARM;
}

long sys_timerfd_create(struct task *t, const uint64_t a[6])
{
	clockid_t c = (clockid_t)a[0];
	int flags = (int)a[1];

	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (!timerfd_clock_ok(c))
		return -EINVAL;
	return install(t, timerfd_new(c, (flags & TFD_NONBLOCK) ? O_NONBLOCK : 0),
		       (flags & TFD_CLOEXEC) ? O_CLOEXEC : 0);
}

static struct itimerspec ns_its(uint64_t left, uint64_t interval)
{
	struct itimerspec v = {
		{ (time_t)(interval / 1000000000ULL), (long)(interval % 1000000000ULL) },
		{ (time_t)(left / 1000000000ULL), (long)(left % 1000000000ULL) },
	};
	return v;
}

/* The timerfd at fd: its file referenced in *fp; -EBADF or -EINVAL. */
static long timerfd_fget(struct task *t, uint64_t fd, struct file **fp,
			struct timerfd_state **tfp)
{
	struct file *f = fget(t, fd);

	if (!f)
		return -EBADF;
	*tfp = timerfd_of(f);
	if (!*tfp) {
		file_put(f);
		return -EINVAL;
	}
	*fp = f;
	return 0;
}

long sys_timerfd_settime(struct task *t, const uint64_t a[6])
{
	struct itimerspec nv, old;
	struct timerfd_state *tf;
	struct file *f;
	int flags = (int)a[1];
	uint64_t left, interval, deadline = 0;

	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (mm_copy_in(t->mm, &nv, a[2], sizeof(nv)))
		return -EFAULT;
	if (nv.it_value.tv_sec < 0 || nv.it_value.tv_nsec < 0 || nv.it_value.tv_nsec >= 1000000000L ||
	    nv.it_interval.tv_sec < 0 || nv.it_interval.tv_nsec < 0 ||
	    nv.it_interval.tv_nsec >= 1000000000L)
		return -EINVAL;
	long err = timerfd_fget(t, a[0], &f, &tf);
	if (err)
		return err;
	uint64_t v = (uint64_t)nv.it_value.tv_sec * 1000000000ULL + (uint64_t)nv.it_value.tv_nsec;
	if (v) {
		if (flags & TFD_TIMER_ABSTIME) {
			struct timespec now;
			clockid_t c = timerfd_clock(tf);
			clock_ts(c, &now);
			uint64_t n = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
			uint64_t mono = moat_now_ns();
			/* A time in the past stays in the past: a periodic timer
			 * counts the periods it missed. */
			deadline = v >= n ? mono + (v - n) : (n - v < mono ? mono - (n - v) : 1);
		} else {
			deadline = moat_now_ns() + v;
		}
		if (!deadline)
			deadline = 1;
	}
	pthread_mutex_lock(&t->k->lock);
	timerfd_set(tf, deadline,
		    (uint64_t)nv.it_interval.tv_sec * 1000000000ULL + (uint64_t)nv.it_interval.tv_nsec,
		    &left, &interval);
	pthread_mutex_unlock(&t->k->lock);
	file_put(f);
	old = ns_its(left, interval);
	if (a[3] && mm_copy_out(t->mm, a[3], &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_timerfd_gettime(struct task *t, const uint64_t a[6])
{
	struct timerfd_state *tf;
	struct itimerspec v;
	struct file *f;
	uint64_t left, interval;

	long err = timerfd_fget(t, a[0], &f, &tf);
	if (err)
		return err;
	pthread_mutex_lock(&t->k->lock);
	timerfd_get(tf, &left, &interval);
	pthread_mutex_unlock(&t->k->lock);
	file_put(f);
	v = ns_its(left, interval);
	return mm_copy_out(t->mm, a[1], &v, sizeof(v)) ? -EFAULT : 0;
}

/* ---- signalfd ---- */

long sys_signalfd4(struct task *t, const uint64_t a[6])
{
	int fd = (int)a[0], flags = (int)a[3];
	uint64_t mask;

	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	if (a[2] != sizeof(uint64_t))
		return -EINVAL;
	if (mm_copy_in(t->mm, &mask, a[1], sizeof(mask)))
		return -EFAULT;
	mask &= ~SIG_UNBLOCKABLE;         /* SIGKILL and SIGSTOP never */
	if (fd == -1)
		return install(t, signalfd_new(mask, (flags & SFD_NONBLOCK) ? O_NONBLOCK : 0),
			       (flags & SFD_CLOEXEC) ? O_CLOEXEC : 0);
	struct file *f = fget(t, (uint64_t)fd);
	if (!f)
		return -EBADF;
	long ret = signalfd_set_mask(f, mask) ? fd : -EINVAL;
	file_put(f);
	return ret;
}

long sys_signalfd(struct task *t, const uint64_t a[6])
{
	const uint64_t b[6] = { a[0], a[1], a[2], 0, 0, 0 };

	return sys_signalfd4(t, b);
}

/* ---- inotify (fs/inotify.c; Linux: fs/notify/inotify/inotify_user.c) ---- */

long sys_inotify_init1(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[0];
	struct file *f;
	long err;

	if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
		return -EINVAL;
	err = inotify_new(flags & IN_NONBLOCK ? O_NONBLOCK : 0, &f);
	if (err)
		return err;
	return install(t, f, flags & IN_CLOEXEC ? O_CLOEXEC : 0);
}

long sys_inotify_init(struct task *t, const uint64_t a[6])
{
	const uint64_t b[6] = { 0 };

	(void)a;
	return sys_inotify_init1(t, b);
}

/* Linux checks in this order: the mask, the fd, IN_MASK_ADD with
 * IN_MASK_CREATE, the fd's kind, the path, read access. */
long sys_inotify_add_watch(struct task *t, const uint64_t a[6])
{
	uint32_t mask = (uint32_t)a[2];
	struct walk_result res;
	struct inode *inode;
	struct file *f;
	char path[PATH_MAX];
	long err;

	if ((mask & ~ALL_INOTIFY_BITS) || !mask)
		return -EINVAL;
	f = fget(t, a[0]);
	if (!f)
		return -EBADF;
	err = -EINVAL;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		goto out;
	if (!file_is_inotify(f))
		goto out;
	err = mm_copy_in_string(t->mm, path, a[1], PATH_MAX);
	if (err < 0)
		goto out;
	err = vfs_walk(t, AT_FDCWD, path, (mask & IN_DONT_FOLLOW ? 0 : WALK_FOLLOW) |
		       (mask & IN_ONLYDIR ? WALK_DIRECTORY : 0), &res);
	if (err)
		goto out;
	/* A magic link to a file without a name watches that file's inode. */
	inode = res.file ? res.file->inode : res.path.dentry->inode;
	err = inode_permission(inode, MAY_READ, &t->cred);
	if (!err)
		err = inotify_add_watch_inode(f, inode, mask);
	if (res.file)
		file_put(res.file);
	path_put(&res.path);
out:
	file_put(f);
	return err;
}

long sys_inotify_rm_watch(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	long err;

	if (!f)
		return -EBADF;
	err = file_is_inotify(f) ? inotify_rm_watch_wd(f, (int)a[1]) : -EINVAL;
	file_put(f);
	return err;
}
