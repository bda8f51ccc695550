/*
 * sys_poll.c: poll, ppoll, select and pselect6.  Linux: fs/select.c.
 *
 * One wait loop serves all four: a waiter goes on the queue of every file
 * that has one (pipes, FIFOs) before readiness is checked, so that a
 * change in between wakes the task and cannot be missed; files without a
 * queue (host stdio) are looked at again every 10 ms while any of them
 * is polled.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#define POLL_MAX_FDS (1 << 20)       /* fs.nr_open */

struct poll_entry {
	int fd;
	short events, revents;
	struct file *f;
	struct waiter w;
	bool queued;
};

/*
 * Waits until one entry is ready, the deadline passes (0: none; 1: do
 * not wait) or a signal comes.  Returns the number of ready entries, or
 * -EINTR.
 */
static long do_poll(struct task *t, struct poll_entry *e, size_t n, uint64_t deadline)
{
	long ready = 0;
	bool rescan = false;

	for (size_t i = 0; i < n; i++) {
		e[i].f = e[i].fd >= 0 ? fget(t, (uint64_t)e[i].fd) : NULL;
		e[i].queued = false;
		if (e[i].f && e[i].f->ops->waitq && deadline != 1) {
			e[i].w = (struct waiter){ .events = ~0U, .notify = task_waiter_wake, .arg = t };
			waitq_add(e[i].f->ops->waitq(e[i].f), &e[i].w);
			e[i].queued = true;
		} else if (e[i].f && !e[i].f->ops->waitq && e[i].f->ops->poll) {
			rescan = true;
		}
	}
	for (;;) {
		__atomic_store_n(&t->wake, 0, __ATOMIC_SEQ_CST);
		ready = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned ev;
			if (e[i].fd < 0) {
				e[i].revents = 0;
				continue;
			}
			if (!e[i].f) {
				e[i].revents = POLLNVAL;
				ready++;
				continue;
			}
			ev = e[i].f->ops->poll ? e[i].f->ops->poll(e[i].f)
					       : (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
			if (ev & POLLIN)
				ev |= POLLRDNORM;
			if (ev & POLLOUT)
				ev |= POLLWRNORM;
			e[i].revents = (short)(ev & ((unsigned short)e[i].events | POLLERR | POLLHUP));
			if (e[i].revents)
				ready++;
		}
		if (ready || deadline == 1)
			break;
		int err = task_wait_ready(t, deadline, rescan);
		if (err) {
			if (err == -EINTR)
				ready = -EINTR;
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (e[i].queued)
			waitq_remove(e[i].f->ops->waitq(e[i].f), &e[i].w);
		if (e[i].f)
			file_put(e[i].f);
	}
	return ready;
}

/* A relative timespec to an absolute deadline (1: zero timeout). */
static uint64_t deadline_of(const struct timespec *ts)
{
	uint64_t ns;

	if (!ts)
		return 0;
	if (ts->tv_sec == 0 && ts->tv_nsec == 0)
		return 1;
	ns = (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
	if (ts->tv_sec > 1000000000L)
		return 0;     /* effectively forever */
	return moat_now_ns() + ns;
}

static void time_left(uint64_t deadline, struct timespec *ts);

/* ppoll's and pselect6's optional timespec: 0, or -errno. */
static long read_timeout(struct task *t, uint64_t uts, uint64_t *deadline)
{
	struct timespec ts;

	*deadline = 0;
	if (!uts)
		return 0;
	if (mm_copy_in(t->mm, &ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	*deadline = deadline_of(&ts);
	return 0;
}

/* Linux writes the time left back into ppoll's and pselect6's timespec. */
static void write_time_left(struct task *t, uint64_t uts, uint64_t deadline)
{
	struct timespec left = { 0, 0 };

	if (deadline > 1)
		time_left(deadline, &left);
	mm_copy_out(t->mm, uts, &left, sizeof(left));
}

static void time_left(uint64_t deadline, struct timespec *ts)
{
	uint64_t now = moat_now_ns(), left = deadline > now ? deadline - now : 0;

	ts->tv_sec = (time_t)(left / 1000000000ULL);
	ts->tv_nsec = (long)(left % 1000000000ULL);
}

static long poll_common(struct task *t, uint64_t ufds, uint64_t nfds, uint64_t deadline)
{
	struct pollfd *p;
	struct poll_entry *e;
	long ret;

	if (nfds > t->tg->rlimits[RLIMIT_NOFILE].rlim_cur || nfds > POLL_MAX_FDS)
		return -EINVAL;
	p = calloc(MAX(nfds, 1), sizeof(*p));
	e = calloc(MAX(nfds, 1), sizeof(*e));
	if (!p || !e) {
		free(p);
		free(e);
		return -ENOMEM;
	}
	ret = -EFAULT;
	if (nfds && mm_copy_in(t->mm, p, ufds, nfds * sizeof(*p)))
		goto out;
	for (size_t i = 0; i < nfds; i++) {
		e[i].fd = p[i].fd;
		e[i].events = p[i].events;
	}
	ret = do_poll(t, e, nfds, deadline);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < nfds; i++)
		p[i].revents = e[i].revents;
	if (nfds && mm_copy_out(t->mm, ufds, p, nfds * sizeof(*p)))
		ret = -EFAULT;
out:
	free(p);
	free(e);
	return ret;
}

long sys_poll(struct task *t, const uint64_t a[6])
{
	int ms = (int)a[2];
	uint64_t deadline = ms < 0 ? 0 : ms == 0 ? 1 : moat_now_ns() + (uint64_t)ms * 1000000ULL;
	long ret = poll_common(t, a[0], a[1], deadline);

	return ret == -EINTR ? -ERESTARTNOHAND : ret;
}

long sys_ppoll(struct task *t, const uint64_t a[6])
{
	uint64_t deadline;
	long ret = read_timeout(t, a[2], &deadline);

	if (ret)
		return ret;
	ret = sigmask_for_wait(t, a[3], a[4]);
	if (ret)
		return ret;
	ret = poll_common(t, a[0], a[1], deadline);
	if (ret == -EINTR)
		ret = -ERESTARTNOHAND;
	if (a[2] && ret != -EFAULT)
		write_time_left(t, a[2], deadline);
	sigmask_wait_done(t, ret);
	return ret;
}

#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET (POLLPRI)

static long select_common(struct task *t, int n, uint64_t uin, uint64_t uout, uint64_t uex,
			  uint64_t deadline)
{
	size_t bytes, words, cnt = 0;
	uint64_t *sets[3] = { NULL, NULL, NULL }, *res[3] = { NULL, NULL, NULL };
	const uint64_t uset[3] = { uin, uout, uex };
	struct poll_entry *e = NULL;
	long ret = -ENOMEM;

	if (n < 0)
		return -EINVAL;
	if (n > t->fdt->nfds)
		n = MAX(t->fdt->nfds, 0);
	words = ((size_t)n + 63) / 64;
	bytes = ((size_t)n + 7) / 8;
	for (int k = 0; k < 3; k++) {
		sets[k] = calloc(MAX(words, 1), 8);
		res[k] = calloc(MAX(words, 1), 8);
		if (!sets[k] || !res[k])
			goto out;
		if (uset[k] && bytes && mm_copy_in(t->mm, sets[k], uset[k], bytes)) {
			ret = -EFAULT;
			goto out;
		}
	}
	e = calloc(MAX((size_t)n, 1), sizeof(*e));
	if (!e)
		goto out;
	for (int fd = 0; fd < n; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		short ev = 0;
		if (sets[0][fd / 64] & bit)
			ev |= POLLIN_SET;
		if (sets[1][fd / 64] & bit)
			ev |= POLLOUT_SET;
		if (sets[2][fd / 64] & bit)
			ev |= POLLEX_SET;
		if (!ev)
			continue;
		e[cnt].fd = fd;
		e[cnt].events = ev;
		cnt++;
	}
	for (size_t i = 0; i < cnt; i++) {
		struct file *f = fget(t, (uint64_t)e[i].fd);
		if (!f) {
			ret = -EBADF;
			goto out;
		}
		file_put(f);
	}
	ret = do_poll(t, e, cnt, deadline);
	if (ret < 0)
		goto out;
	ret = 0;
	for (size_t i = 0; i < cnt; i++) {
		int fd = e[i].fd;
		uint64_t bit = 1ULL << (fd % 64);
		if ((e[i].revents & POLLIN_SET) && (e[i].events & POLLIN)) {
			res[0][fd / 64] |= bit;
			ret++;
		}
		if ((e[i].revents & POLLOUT_SET) && (e[i].events & POLLOUT)) {
			res[1][fd / 64] |= bit;
			ret++;
		}
		if ((e[i].revents & POLLEX_SET) && (e[i].events & POLLPRI)) {
			res[2][fd / 64] |= bit;
			ret++;
		}
	}
	for (int k = 0; k < 3; k++)
		if (uset[k] && bytes && mm_copy_out(t->mm, uset[k], res[k], bytes)) {
			ret = -EFAULT;
			goto out;
		}
out:
	for (int k = 0; k < 3; k++) {
		free(sets[k]);
		free(res[k]);
	}
	free(e);
	return ret;
}

long sys_select(struct task *t, const uint64_t a[6])
{
	struct timeval tv;
	uint64_t deadline = 0;
	long ret;

	if (a[4]) {
		if (mm_copy_in(t->mm, &tv, a[4], sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		struct timespec ts = { tv.tv_sec + tv.tv_usec / 1000000, (tv.tv_usec % 1000000) * 1000 };
		deadline = deadline_of(&ts);
	}
	ret = select_common(t, (int)a[0], a[1], a[2], a[3], deadline);
	if (ret == -EINTR)
		ret = -ERESTARTNOHAND;
	if (a[4] && ret != -EFAULT) {
		struct timespec left = { 0, 0 };
		if (deadline > 1)
			time_left(deadline, &left);
		tv.tv_sec = left.tv_sec;
		tv.tv_usec = left.tv_nsec / 1000;
		mm_copy_out(t->mm, a[4], &tv, sizeof(tv));
	}
	return ret;
}

long sys_pselect6(struct task *t, const uint64_t a[6])
{
	uint64_t deadline;
	struct { uint64_t set, size; } sm = { 0, 0 };
	long ret = read_timeout(t, a[4], &deadline);

	if (ret)
		return ret;
	if (a[5] && mm_copy_in(t->mm, &sm, a[5], sizeof(sm)))
		return -EFAULT;
	ret = sigmask_for_wait(t, sm.set, sm.size);
	if (ret)
		return ret;
	ret = select_common(t, (int)a[0], a[1], a[2], a[3], deadline);
	if (ret == -EINTR)
		ret = -ERESTARTNOHAND;
	if (a[4] && ret != -EFAULT)
		write_time_left(t, a[4], deadline);
	sigmask_wait_done(t, ret);
	return ret;
}
