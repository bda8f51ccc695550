/*
 * pipe.c: pipes and FIFOs.  Linux: fs/pipe.c.
 *
 * A pipe is a ring buffer (64 KiB by default, F_SETPIPE_SZ changes it)
 * with counts of open readers and writers and one waiter queue.  Readers
 * block while it is empty and a writer remains; writers block while it is
 * full and a reader remains, and a write of at most PIPE_BUF bytes is never
 * split.  Blocking is task_block() on the calling task, woken through the
 * waiter queue.  A FIFO is a pipe found by its inode in a small table; it
 * lives while any file has it open.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "util/util.h"

#define PIPE_DEF_SIZE (64 * 1024)
#define PIPE_MAX_SIZE (1024 * 1024)   /* /proc/sys/fs/pipe-max-size */

struct pipe {
	pthread_mutex_t lock;
	char *buf;
	size_t cap, head, len;    /* cap is a power of two */
	int readers, writers;
	unsigned r_opens, w_opens;/* FIFO open generations */
	int files;                /* open files */
	struct waitq wq;
	struct inode *fifo;       /* the FIFO's inode, or NULL */
	struct pipe *next;        /* FIFO table */
};

static const struct file_ops pipe_ops;
static pthread_mutex_t fifo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pipe *fifos;

static struct pipe *pipe_new(void)
{
	struct pipe *p = calloc(1, sizeof(*p));

	if (!p || !(p->buf = malloc(PIPE_DEF_SIZE))) {
		free(p);
		return NULL;
	}
	p->cap = PIPE_DEF_SIZE;
	pthread_mutex_init(&p->lock, NULL);
	waitq_init(&p->wq);
	return p;
}

static void pipe_free(struct pipe *p)
{
	free(p->buf);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* Waits (p->lock held, dropped while asleep) for events on p. */
static int pipe_wait(struct pipe *p, struct task *t, unsigned events)
{
	if (!t)
		return -EAGAIN;
	return task_wait_queue(t, &p->wq, &p->lock, events | POLLHUP | POLLERR, 0) == -EINTR
	       ? -ERESTARTSYS : 0;
}

long pipe_room(struct file *f, struct task *t)
{
	struct pipe *p = f->priv;
	long ret;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->readers == 0) {
			ret = -EPIPE;
			break;
		}
		if (p->len < p->cap) {
			ret = (long)(p->cap - p->len);
			break;
		}
		if ((f->flags & O_NONBLOCK) || (t && t->io_nonblock)) {
			ret = -EAGAIN;
			break;
		}
		ret = pipe_wait(p, t, POLLOUT);
		if (ret)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static long pipe_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct pipe *p = f->priv;
	long ret;

	(void)off;
	if (len == 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	while (p->len == 0) {
		if (p->writers == 0) {
			pthread_mutex_unlock(&p->lock);
			return 0;
		}
		if ((f->flags & O_NONBLOCK) || (t && t->io_nonblock)) {
			pthread_mutex_unlock(&p->lock);
			return -EAGAIN;
		}
		ret = pipe_wait(p, t, POLLIN);
		if (ret) {
			pthread_mutex_unlock(&p->lock);
			return ret;
		}
	}
	size_t n = MIN(len, p->len), first = MIN(n, p->cap - p->head);
	memcpy(buf, p->buf + p->head, first);
	memcpy((char *)buf + first, p->buf, n - first);
	p->head = (p->head + n) & (p->cap - 1);
	p->len -= n;
	if (p->len == 0)
		p->head = 0;
	pthread_mutex_unlock(&p->lock);
	waitq_notify(&p->wq, POLLOUT);
	return (long)n;
}

static long pipe_write(struct file *f, struct task *t, const void *buf, size_t len, int64_t *off)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	long err = 0;

	(void)off;
	if (len == 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	while (done < len) {
		size_t room = p->cap - p->len;
		if (p->readers == 0) {
			err = -EPIPE;
			break;
		}
		/* Writes of up to PIPE_BUF bytes are atomic: all or wait. */
		if (room == 0 || (len <= PIPE_BUF && room < len)) {
			if ((f->flags & O_NONBLOCK) || (t && t->io_nonblock)) {
				err = -EAGAIN;
				break;
			}
			err = pipe_wait(p, t, POLLOUT);
			if (err)
				break;
			continue;
		}
		size_t n = MIN(len - done, room);
		size_t tail = (p->head + p->len) & (p->cap - 1);
		size_t first = MIN(n, p->cap - tail);
		memcpy(p->buf + tail, (const char *)buf + done, first);
		memcpy(p->buf, (const char *)buf + done + first, n - first);
		p->len += n;
		done += n;
		pthread_mutex_unlock(&p->lock);
		waitq_notify(&p->wq, POLLIN);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return done ? (long)done : err;
}

static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = f->priv;
	unsigned ev = 0;

	pthread_mutex_lock(&p->lock);
	if ((f->flags & O_ACCMODE) != O_WRONLY) {
		if (p->len)
			ev |= POLLIN;
		if (!p->writers)
			ev |= POLLHUP;
	}
	if ((f->flags & O_ACCMODE) != O_RDONLY) {
		if (p->cap - p->len >= PIPE_BUF)
			ev |= POLLOUT;
		if (!p->readers)
			ev |= POLLERR;
	}
	pthread_mutex_unlock(&p->lock);
	return ev;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct pipe *p = f->priv;
	int n;

	if (cmd != FIONREAD)
		return -ENOTTY;
	pthread_mutex_lock(&p->lock);
	n = (int)p->len;
	pthread_mutex_unlock(&p->lock);
	return mm_copy_out(t->mm, arg, &n, sizeof(n)) ? -EFAULT : 0;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	int acc = f->flags & O_ACCMODE;
	bool last;

	if (p->fifo)
		pthread_mutex_lock(&fifo_lock);
	pthread_mutex_lock(&p->lock);
	if (acc != O_WRONLY)
		p->readers--;
	if (acc != O_RDONLY)
		p->writers--;
	last = --p->files == 0;
	pthread_mutex_unlock(&p->lock);
	if (last && p->fifo) {
		for (struct pipe **pp = &fifos; *pp; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
	}
	if (p->fifo)
		pthread_mutex_unlock(&fifo_lock);
	if (last) {
		if (p->fifo)
			inode_put(p->fifo);
		pipe_free(p);
		return;
	}
	waitq_notify(&p->wq, POLLIN | POLLOUT | POLLHUP | POLLERR);
}

static struct waitq *pipe_waitq(struct file *f)
{
	return &((struct pipe *)f->priv)->wq;
}

static const struct file_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll,
	.waitq = pipe_waitq,
	.release = pipe_release,
};

bool file_is_pipe(struct file *f)
{
	return f->ops == &pipe_ops;
}

/* F_GETPIPE_SZ / F_SETPIPE_SZ.  Linux: pipe_fcntl(), pipe_set_size(). */
long pipe_fcntl_size(struct file *f, bool set, uint64_t size)
{
	struct pipe *p = f->priv;
	long ret;

	if (f->ops != &pipe_ops)
		return -EBADF;
	pthread_mutex_lock(&p->lock);
	if (!set) {
		ret = (long)p->cap;
		goto out;
	}
	ret = -EINVAL;
	if (size > 0x80000000ULL)          /* 0 rounds up to a page, as Linux does */
		goto out;
	size_t cap = PAGE_SIZE;
	while (cap < size)
		cap <<= 1;
	ret = -EPERM;             /* above pipe-max-size needs CAP_SYS_RESOURCE: we have it */
	if (cap > PIPE_MAX_SIZE && cap > (1u << 30))
		goto out;
	ret = -EBUSY;
	if (cap < p->len)
		goto out;
	char *nb = malloc(cap);
	ret = -ENOMEM;
	if (!nb)
		goto out;
	size_t first = MIN(p->len, p->cap - p->head);
	memcpy(nb, p->buf + p->head, first);
	memcpy(nb + first, p->buf, p->len - first);
	free(p->buf);
	p->buf = nb;
	p->cap = cap;
	p->head = 0;
	ret = (long)cap;
out:
	pthread_mutex_unlock(&p->lock);
	return ret;
}

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe *p = pipe_new();
	struct inode *inode = anon_inode_new(S_IFIFO | 0600, NULL);

	if (!p || !inode)
		goto fail;
	*rd = file_new(&pipe_ops, O_RDONLY | (flags & O_NONBLOCK), p);
	*wr = *rd ? file_new(&pipe_ops, O_WRONLY | (flags & O_NONBLOCK), p) : NULL;
	if (!*wr) {
		if (*rd) {
			(*rd)->ops = NULL;
			file_put(*rd);
		}
		goto fail;
	}
	inode_get(inode);
	(*rd)->inode = inode;
	(*wr)->inode = inode;
	p->readers = p->writers = 1;
	p->files = 2;
	return 0;
fail:
	inode_put(inode);
	if (p)
		pipe_free(p);
	return -ENOMEM;
}

/* Linux: fs/pipe.c fifo_open(). */
int fifo_open(struct inode *inode, struct file *f, struct task *t)
{
	int acc = f->flags & O_ACCMODE;
	struct pipe *p;
	int err = 0;

	pthread_mutex_lock(&fifo_lock);
	for (p = fifos; p; p = p->next)
		if (p->fifo == inode)
			break;
	/* A non-blocking writer with no reader fails at once. */
	if (acc == O_WRONLY && (f->flags & O_NONBLOCK) && (!p || p->readers == 0)) {
		pthread_mutex_unlock(&fifo_lock);
		return -ENXIO;
	}
	if (!p) {
		p = pipe_new();
		if (!p) {
			pthread_mutex_unlock(&fifo_lock);
			return -ENOMEM;
		}
		inode_get(inode);
		p->fifo = inode;
		p->next = fifos;
		fifos = p;
	}
	pthread_mutex_lock(&p->lock);
	p->files++;
	f->priv = p;
	f->ops = &pipe_ops;
	pthread_mutex_unlock(&fifo_lock);

	if (acc == O_RDONLY) {
		p->readers++;
		p->r_opens++;
		waitq_notify(&p->wq, POLLOUT);
		unsigned gen = p->w_opens;
		while (!(f->flags & O_NONBLOCK) && p->writers == 0 && p->w_opens == gen && !err)
			err = pipe_wait(p, t, POLLIN);
	} else if (acc == O_WRONLY) {
		p->writers++;
		p->w_opens++;
		waitq_notify(&p->wq, POLLIN);
		unsigned gen = p->r_opens;
		while (p->readers == 0 && p->r_opens == gen && !err)
			err = pipe_wait(p, t, POLLOUT);
	} else {
		p->readers++;
		p->writers++;
		p->r_opens++;
		p->w_opens++;
		waitq_notify(&p->wq, POLLIN | POLLOUT);
	}
	pthread_mutex_unlock(&p->lock);
	/* On error the caller's file_put runs pipe_release, which undoes
	 * the counts. */
	return err;
}

/* Linux: fs/splice.c do_tee(): copies up to len bytes queued in in's pipe
 * to out's pipe without consuming them. */
long pipe_tee(struct task *t, struct file *in, struct file *out, size_t len, bool nonblock)
{
	struct pipe *src = in->priv, *dst = out->priv;
	char *buf;
	size_t n;

	if (src == dst)
		return -EINVAL;
	pthread_mutex_lock(&src->lock);
	while (src->len == 0) {
		if (src->writers == 0) {
			pthread_mutex_unlock(&src->lock);
			return 0;
		}
		if (nonblock || (in->flags & O_NONBLOCK)) {
			pthread_mutex_unlock(&src->lock);
			return -EAGAIN;
		}
		long err = pipe_wait(src, t, POLLIN);
		if (err) {
			pthread_mutex_unlock(&src->lock);
			return err;
		}
	}
	n = MIN(len, src->len);
	buf = malloc(n);
	if (!buf) {
		pthread_mutex_unlock(&src->lock);
		return -ENOMEM;
	}
	size_t first = MIN(n, src->cap - src->head);
	memcpy(buf, src->buf + src->head, first);
	memcpy(buf + first, src->buf, n - first);
	pthread_mutex_unlock(&src->lock);
	/* Only what fits without waiting goes in, as tee never blocks on a
	 * full output once it has data. */
	pthread_mutex_lock(&dst->lock);
	size_t room = dst->cap - dst->len;
	long ret;
	if (dst->readers == 0) {
		ret = -EPIPE;
	} else if (room == 0) {
		ret = -EAGAIN;
	} else {
		n = MIN(n, room);
		size_t tail = (dst->head + dst->len) & (dst->cap - 1);
		size_t f2 = MIN(n, dst->cap - tail);
		memcpy(dst->buf + tail, buf, f2);
		memcpy(dst->buf, buf + f2, n - f2);
		dst->len += n;
		ret = (long)n;
	}
	pthread_mutex_unlock(&dst->lock);
	free(buf);
	if (ret > 0)
		waitq_notify(&dst->wq, POLLIN);
	return ret;
}
