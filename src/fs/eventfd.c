/*
 * eventfd.c: event files: eventfd, timerfd and signalfd.
 * Linux: fs/eventfd.c, fs/timerfd.c, fs/signalfd.c.
 *
 * Each is an anonymous file with a wait queue: readers block through
 * task_block and whoever makes the file ready notifies the queue, which
 * also drives poll, select and epoll.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>

#include "kernel/kernel.h"
#include "util/util.h"
#include "vfs/vfs.h"

/* Waits on q for events (lock held, dropped meanwhile): 0, or
 * -ERESTARTSYS when a signal came. */
static int wait_on(struct waitq *q, pthread_mutex_t *lock, struct task *t, unsigned events)
{
	return task_wait_queue(t, q, lock, events, 0) == -EINTR ? -ERESTARTSYS : 0;
}

static struct file *anon_file(const struct file_ops *ops, int flags, void *priv)
{
	struct inode *inode = anon_inode_new(S_IFREG | 0600, NULL);
	struct file *f;

	if (!inode)
		return NULL;
	f = file_new(ops, O_RDWR | (flags & O_NONBLOCK), priv);
	if (!f) {
		inode_put(inode);
		return NULL;
	}
	f->inode = inode;
	f->no_pos = true;
	return f;
}

/* ---- eventfd ---- */

struct eventfd {
	pthread_mutex_t lock;
	uint64_t count;
	bool semaphore;
	unsigned id;
	struct waitq wq;
};

static long eventfd_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int err = 0;

	(void)off;
	if (len < sizeof(v))
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	while (!e->count && !err) {
		if ((f->flags & O_NONBLOCK) || !t)
			err = -EAGAIN;
		else
			err = wait_on(&e->wq, &e->lock, t, POLLIN);
	}
	if (!err) {
		v = e->semaphore ? 1 : e->count;
		e->count -= v;
	}
	pthread_mutex_unlock(&e->lock);
	if (err)
		return err;
	waitq_notify(&e->wq, POLLOUT);
	memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

static long eventfd_write(struct file *f, struct task *t, const void *buf, size_t len,
			  int64_t *off)
{
	struct eventfd *e = f->priv;
	uint64_t v;
	int err = 0;

	(void)off;
	if (len != sizeof(v))
		return -EINVAL;     /* Linux 6.x: exactly 8 bytes */
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	while (UINT64_MAX - 1 - e->count < v && !err) {
		if ((f->flags & O_NONBLOCK) || !t)
			err = -EAGAIN;
		else
			err = wait_on(&e->wq, &e->lock, t, POLLOUT);
	}
	if (!err)
		e->count += v;
	pthread_mutex_unlock(&e->lock);
	if (err)
		return err;
	if (v)
		waitq_notify(&e->wq, POLLIN);
	return sizeof(v);
}

static unsigned eventfd_poll(struct file *f)
{
	struct eventfd *e = f->priv;
	unsigned ev = 0;

	pthread_mutex_lock(&e->lock);
	if (e->count)
		ev |= POLLIN;
	if (e->count < UINT64_MAX - 1)
		ev |= POLLOUT;
	pthread_mutex_unlock(&e->lock);
	return ev;
}

static struct waitq *eventfd_waitq(struct file *f)
{
	return &((struct eventfd *)f->priv)->wq;
}

static void eventfd_show_fdinfo(struct file *f, FILE *out)
{
	struct eventfd *e = f->priv;

	pthread_mutex_lock(&e->lock);
	fprintf(out, "eventfd-count: %16llx\neventfd-id: %u\neventfd-semaphore: %d\n",
		(unsigned long long)e->count, e->id, e->semaphore);
	pthread_mutex_unlock(&e->lock);
}

static void eventfd_release(struct file *f)
{
	struct eventfd *e = f->priv;

	pthread_mutex_destroy(&e->lock);
	free(e);
}

static const struct file_ops eventfd_ops = {
	.sees_empty_io = true,
	.read = eventfd_read, .write = eventfd_write, .poll = eventfd_poll,
	.waitq = eventfd_waitq, .show_fdinfo = eventfd_show_fdinfo,
	.release = eventfd_release, .anon_name = "[eventfd]",
};

struct file *eventfd_new(uint64_t initval, bool semaphore, int flags)
{
	static unsigned next_id;
	struct eventfd *e = calloc(1, sizeof(*e));
	struct file *f;

	if (!e)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	waitq_init(&e->wq);
	e->count = initval;
	e->semaphore = semaphore;
	e->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	f = anon_file(&eventfd_ops, flags, e);
	if (!f) {
		free(e);
		return NULL;
	}
	return f;
}

/* ---- timerfd ---- */

struct timerfd {
	pthread_mutex_t lock;
	clockid_t clock;
	uint64_t ticks;           /* expirations not yet read */
	uint64_t interval;        /* as set, even while disarmed (k->lock) */
	struct ktimer timer;      /* armed through kernel/timer.c (k->lock) */
	struct waitq wq;
};

/* Runs on the timer thread with k->lock held. */
static void timerfd_fire(struct ktimer *tm)
{
	struct timerfd *tf = (struct timerfd *)((char *)tm - offsetof(struct timerfd, timer));

	pthread_mutex_lock(&tf->lock);
	tf->ticks += tm->fired ? tm->fired : 1;
	pthread_mutex_unlock(&tf->lock);
	waitq_notify(&tf->wq, POLLIN);
}

static long timerfd_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct timerfd *tf = f->priv;
	uint64_t v = 0;
	int err = 0;

	(void)off;
	if (len < sizeof(v))
		return -EINVAL;
	pthread_mutex_lock(&tf->lock);
	while (!tf->ticks && !err) {
		if ((f->flags & O_NONBLOCK) || !t)
			err = -EAGAIN;
		else
			err = wait_on(&tf->wq, &tf->lock, t, POLLIN);
	}
	if (!err) {
		v = tf->ticks;
		tf->ticks = 0;
	}
	pthread_mutex_unlock(&tf->lock);
	if (err)
		return err;
	memcpy(buf, &v, sizeof(v));
	return sizeof(v);
}

static unsigned timerfd_poll(struct file *f)
{
	struct timerfd *tf = f->priv;
	unsigned ev;

	pthread_mutex_lock(&tf->lock);
	ev = tf->ticks ? POLLIN : 0;
	pthread_mutex_unlock(&tf->lock);
	return ev;
}

static struct waitq *timerfd_waitq(struct file *f)
{
	return &((struct timerfd *)f->priv)->wq;
}

static void timerfd_release(struct file *f)
{
	struct timerfd *tf = f->priv;
	struct kernel *k = kernel_current;

	pthread_mutex_lock(&k->lock);
	timer_arm(&tf->timer, 0, 0);
	pthread_mutex_unlock(&k->lock);
	pthread_mutex_destroy(&tf->lock);
	free(tf);
}

static const struct file_ops timerfd_ops = {
	.sees_empty_io = true,
	.read = timerfd_read, .poll = timerfd_poll, .waitq = timerfd_waitq,
	.release = timerfd_release, .anon_name = "[timerfd]",
};

struct file *timerfd_new(clockid_t clock, int flags)
{
	struct timerfd *tf = calloc(1, sizeof(*tf));
	struct file *f;

	if (!tf)
		return NULL;
	pthread_mutex_init(&tf->lock, NULL);
	waitq_init(&tf->wq);
	tf->clock = clock;
	tf->timer.id = -1;
	tf->timer.fn = timerfd_fire;
	f = anon_file(&timerfd_ops, flags, tf);
	if (!f) {
		free(tf);
		return NULL;
	}
	return f;
}

struct timerfd_state *timerfd_of(struct file *f)
{
	return f->ops == &timerfd_ops ? f->priv : NULL;
}

/* Arms (value 0: disarms) and reports the old setting; k->lock held. */
void timerfd_set(struct timerfd_state *s, uint64_t deadline, uint64_t interval,
		 uint64_t *old_left, uint64_t *old_interval)
{
	struct timerfd *tf = (struct timerfd *)s;

	*old_left = timer_remaining(&tf->timer);
	*old_interval = tf->interval;
	pthread_mutex_lock(&tf->lock);
	tf->ticks = 0;
	pthread_mutex_unlock(&tf->lock);
	tf->interval = interval;
	timer_arm(&tf->timer, deadline, interval);
}

void timerfd_get(struct timerfd_state *s, uint64_t *left, uint64_t *interval)
{
	struct timerfd *tf = (struct timerfd *)s;

	*left = timer_remaining(&tf->timer);
	*interval = tf->interval;
}

clockid_t timerfd_clock(struct timerfd_state *s)
{
	return ((struct timerfd *)s)->clock;
}

/* ---- signalfd ---- */

struct signalfd {
	uint64_t mask;            /* atomic */
};

static long signalfd_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct signalfd *sf = f->priv;
	struct signalfd_siginfo out;
	size_t n = 0;
	siginfo_t info;
	int err = 0;

	(void)off;
	if (!t)
		return -EAGAIN;
	if (len < sizeof(out))
		return -EINVAL;
	struct kernel *k = t->k;
	pthread_mutex_lock(&k->lock);
	while (n + sizeof(out) <= len) {
		uint64_t mask = __atomic_load_n(&sf->mask, __ATOMIC_RELAXED);
		int sig = signal_dequeue(t, mask, &info);
		if (!sig) {
			if (n || (f->flags & O_NONBLOCK)) {
				err = n ? 0 : -EAGAIN;
				break;
			}
			err = wait_on(&t->sighand->signalfd_wq, &k->lock, t, POLLIN);
			if (err)
				break;
			continue;
		}
		memset(&out, 0, sizeof(out));
		out.ssi_signo = (uint32_t)sig;
		out.ssi_errno = info.si_errno;
		out.ssi_code = info.si_code;
		out.ssi_pid = (uint32_t)info.si_pid;
		out.ssi_uid = info.si_uid;
		out.ssi_fd = (int32_t)info.si_fd;
		out.ssi_tid = (uint32_t)info.si_timerid;
		out.ssi_band = (uint32_t)info.si_band;
		out.ssi_overrun = (uint32_t)info.si_overrun;
		out.ssi_status = info.si_status;
		out.ssi_int = info.si_int;
		out.ssi_ptr = (uint64_t)(uintptr_t)info.si_ptr;
		out.ssi_utime = (uint64_t)info.si_utime;
		out.ssi_stime = (uint64_t)info.si_stime;
		out.ssi_addr = (uint64_t)(uintptr_t)info.si_addr;
		if (sig == SIGCHLD) {
			out.ssi_status = info.si_status;
		}
		memcpy((char *)buf + n, &out, sizeof(out));
		n += sizeof(out);
	}
	recalc_sigpending(t);
	pthread_mutex_unlock(&k->lock);
	return n ? (long)n : err;
}

/* Readiness for the task looking (poll, select, epoll). */
static unsigned signalfd_poll(struct file *f)
{
	struct signalfd *sf = f->priv;
	struct task *t = current_task;
	unsigned ev = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->k->lock);
	if (signals_pending_set(t) & __atomic_load_n(&sf->mask, __ATOMIC_RELAXED))
		ev = POLLIN;
	pthread_mutex_unlock(&t->k->lock);
	return ev;
}

static struct waitq *signalfd_waitq(struct file *f)
{
	(void)f;
	return current_task ? &current_task->sighand->signalfd_wq : NULL;
}

static void signalfd_show_fdinfo(struct file *f, FILE *out)
{
	struct signalfd *sf = f->priv;

	fprintf(out, "sigmask:\t%016llx\n",
		(unsigned long long)__atomic_load_n(&sf->mask, __ATOMIC_RELAXED));
}

static void signalfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops signalfd_ops = {
	.sees_empty_io = true,
	.read = signalfd_read, .poll = signalfd_poll, .waitq = signalfd_waitq,
	.show_fdinfo = signalfd_show_fdinfo, .release = signalfd_release,
	.anon_name = "[signalfd]",
};

struct file *signalfd_new(uint64_t mask, int flags)
{
	struct signalfd *sf = calloc(1, sizeof(*sf));
	struct file *f;

	if (!sf)
		return NULL;
	sf->mask = mask;
	f = anon_file(&signalfd_ops, flags, sf);
	if (!f)
		free(sf);
	return f;
}

bool signalfd_set_mask(struct file *f, uint64_t mask)
{
	if (f->ops != &signalfd_ops)
		return false;
	__atomic_store_n(&((struct signalfd *)f->priv)->mask, mask, __ATOMIC_RELAXED);
	return true;
}
