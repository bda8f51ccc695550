/*
 * epoll.c: epoll instances.  Linux: fs/eventpoll.c.
 *
 * An epoll file holds an item per registered (fd, file).  Each item keeps
 * a waiter on its file's wait queue from EPOLL_CTL_ADD on; a notification
 * puts the item on the ready list and wakes the instance's waiters, so
 * epoll_wait looks only at items that may be ready, re-checking each
 * one's readiness (level-triggered items stay listed while ready; edge-
 * triggered and one-shot ones leave once reported).  Files without a
 * queue (host stdio) stay on the ready list and are looked at again every
 * 10 ms while waited for.  An item goes when its fd is removed or its
 * file's last reference is dropped (file_put calls epoll_file_gone).
 *
 * Locks: epoll_mutex (recursive: nested epolls poll inside a scan) keeps
 * items alive: EPOLL_CTL, file release and every scan of a ready list
 * hold it.  Then a file's own locks (its poll) or its wait-queue lock,
 * then ep->lock, which guards only the lists and is never held while a
 * file is polled (a pipe notifies its queue with its own lock held).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "kernel/kernel.h"
#include "util/util.h"
#include "vfs/vfs.h"

#define EP_MAX_NESTS 4
#define EP_EVENT_BITS (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLRDNORM | \
		       EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | EPOLLRDHUP)

struct epitem {
	struct epoll *ep;
	int fd;
	struct file *file;        /* not referenced: removed when it goes */
	uint32_t events;          /* asked for, with EPOLLET/ONESHOT... */
	uint64_t data;
	bool disabled;            /* EPOLLONESHOT fired */
	bool ready;               /* on the ready list */
	bool scanning;            /* being looked at by epoll_wait, off-list */
	bool notified;            /* ... and notified meanwhile */
	bool queued;              /* waiter on the file's queue */
	struct waiter w;
	struct epitem *next;      /* in ep->items */
	struct epitem *rd_next;   /* in ep->ready */
	struct epitem *file_next; /* in the file's list (epoll_mutex) */
};

struct epoll {
	pthread_mutex_t lock;
	struct epitem *items;
	struct epitem *ready, **ready_tail;   /* FIFO: reported ones rotate */
	struct waitq wq;          /* epoll_wait sleepers and outer epolls */
};

#ifdef PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP
static pthread_mutex_t epoll_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
#else
static pthread_mutex_t epoll_mutex;

__attribute__((constructor)) static void epoll_mutex_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&epoll_mutex, &a);
	pthread_mutexattr_destroy(&a);
}
#endif
/* file -> its items, for release; a short list searched linearly. */
struct file_items {
	struct file *file;
	struct epitem *items;
	struct file_items *next;
};
static struct file_items *file_items;

static const struct file_ops epoll_ops;

static bool is_epoll(struct file *f) { return f->ops == &epoll_ops; }

/* Adds it to the end of the ready list; ep->lock held. */
static void make_ready(struct epoll *ep, struct epitem *it)
{
	if (it->ready)
		return;
	it->ready = true;
	it->rd_next = NULL;
	*ep->ready_tail = it;
	ep->ready_tail = &it->rd_next;
}

/* The file's queue says something happened (its queue lock held); only
 * events the item asks for count (a read freeing pipe space is no edge
 * for an EPOLLIN item). */
static void item_notify(struct waiter *w, unsigned events)
{
	struct epitem *it = w->arg;
	struct epoll *ep = it->ep;

	if (!(events & ((it->events & EP_EVENT_BITS) | EPOLLERR | EPOLLHUP)))
		return;
	pthread_mutex_lock(&ep->lock);
	if (it->scanning)
		it->notified = true;    /* epoll_wait re-adds it (its rd_next is in use) */
	else if (!it->disabled)
		make_ready(ep, it);
	pthread_mutex_unlock(&ep->lock);
	waitq_notify(&ep->wq, POLLIN);
}

static unsigned item_poll(struct epitem *it, int depth);

/* Readiness of an epoll file: POLLIN when an item is ready. */
static unsigned ep_poll_depth(struct epoll *ep, int depth)
{
	struct epitem *snap[64];
	int n = 0;
	unsigned ev = 0;

	if (depth > EP_MAX_NESTS)
		return 0;
	pthread_mutex_lock(&epoll_mutex);
	pthread_mutex_lock(&ep->lock);
	for (struct epitem *it = ep->ready; it && n < (int)ARRAY_SIZE(snap); it = it->rd_next)
		if (!it->disabled)
			snap[n++] = it;
	pthread_mutex_unlock(&ep->lock);
	for (int i = 0; i < n && !ev; i++)
		if (item_poll(snap[i], depth + 1))
			ev = POLLIN | POLLRDNORM;
	pthread_mutex_unlock(&epoll_mutex);
	return ev;
}

static unsigned item_poll(struct epitem *it, int depth)
{
	struct file *f = it->file;
	unsigned ev;

	if (is_epoll(f))
		ev = ep_poll_depth(f->priv, depth);
	else
		ev = f->ops->poll(f);
	return ev & ((it->events & EP_EVENT_BITS) | EPOLLERR | EPOLLHUP);
}

static unsigned epoll_poll(struct file *f)
{
	return ep_poll_depth(f->priv, 0);
}

static struct waitq *epoll_waitq(struct file *f)
{
	return &((struct epoll *)f->priv)->wq;
}

/* Unlinks it from ep (ep->lock held). */
static void unlink_item(struct epoll *ep, struct epitem *it)
{
	for (struct epitem **pp = &ep->items; *pp; pp = &(*pp)->next)
		if (*pp == it) {
			*pp = it->next;
			break;
		}
	if (it->ready) {
		for (struct epitem **pp = &ep->ready; *pp; pp = &(*pp)->rd_next)
			if (*pp == it) {
				*pp = it->rd_next;
				if (ep->ready_tail == &it->rd_next)
					ep->ready_tail = pp;
				break;
			}
		it->ready = false;
	}
}

/* Removes it from the file's list; epoll_mutex held. */
static void unlink_file_item(struct epitem *it)
{
	for (struct file_items **fp = &file_items; *fp; fp = &(*fp)->next) {
		if ((*fp)->file != it->file)
			continue;
		for (struct epitem **pp = &(*fp)->items; *pp; pp = &(*pp)->file_next)
			if (*pp == it) {
				*pp = it->file_next;
				break;
			}
		if (!(*fp)->items) {
			struct file_items *dead = *fp;
			*fp = dead->next;
			free(dead);
		}
		return;
	}
}

/* Removes and frees an item; epoll_mutex held. */
static void remove_item(struct epitem *it)
{
	struct epoll *ep = it->ep;

	if (it->queued && it->file->ops->waitq)
		waitq_remove(it->file->ops->waitq(it->file), &it->w);
	pthread_mutex_lock(&ep->lock);
	unlink_item(ep, it);
	pthread_mutex_unlock(&ep->lock);
	unlink_file_item(it);
	free(it);
}

void epoll_file_gone(struct file *f)
{
	pthread_mutex_lock(&epoll_mutex);
	for (;;) {
		struct file_items *fi = file_items;
		while (fi && fi->file != f)
			fi = fi->next;
		if (!fi)
			break;
		remove_item(fi->items);
	}
	pthread_mutex_unlock(&epoll_mutex);
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;

	pthread_mutex_lock(&epoll_mutex);
	while (ep->items)
		remove_item(ep->items);
	pthread_mutex_unlock(&epoll_mutex);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

static const struct file_ops epoll_ops = {
	.poll = epoll_poll, .waitq = epoll_waitq, .release = epoll_release,
	.anon_name = "[eventpoll]",
};

struct file *epoll_new(int flags)
{
	struct epoll *ep = calloc(1, sizeof(*ep));
	struct inode *inode = anon_inode_new(S_IFREG | 0600, NULL);
	struct file *f = NULL;

	if (ep && inode)
		f = file_new(&epoll_ops, O_RDWR | (flags & O_NONBLOCK), ep);
	if (!f) {
		free(ep);
		if (inode)
			inode_put(inode);
		return NULL;
	}
	pthread_mutex_init(&ep->lock, NULL);
	waitq_init(&ep->wq);
	ep->ready_tail = &ep->ready;
	f->inode = inode;
	f->no_pos = true;
	return f;
}

/* Whether adding `inner` to `outer` would close a loop or nest too deep. */
static bool creates_loop(struct epoll *outer, struct epoll *inner, int depth)
{
	if (inner == outer || depth > EP_MAX_NESTS)
		return true;
	for (struct epitem *it = inner->items; it; it = it->next)
		if (is_epoll(it->file) && creates_loop(outer, it->file->priv, depth + 1))
			return true;
	return false;
}

static struct epitem *find_item(struct epoll *ep, int fd, struct file *f)
{
	for (struct epitem *it = ep->items; it; it = it->next)
		if (it->fd == fd && it->file == f)
			return it;
	return NULL;
}

long epoll_ctl_file(struct file *epf, int op, int fd, struct file *f, const struct epoll_event *ev)
{
	struct epoll *ep;
	struct epitem *it;
	long ret = 0;

	if (!is_epoll(epf) || epf == f)
		return -EINVAL;
	if (!f->ops->poll)
		return -EPERM;
	ep = epf->priv;
	uint32_t events = ev ? ev->events : 0;
	if (op != EPOLL_CTL_DEL && (events & EPOLLEXCLUSIVE)) {
		/* Linux: only with plain event bits, never on MOD, never
		 * for an epoll file. */
		if (op == EPOLL_CTL_MOD || is_epoll(f) ||
		    (events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
				EPOLLWAKEUP | EPOLLET)))
			return -EINVAL;
	}
	pthread_mutex_lock(&epoll_mutex);
	it = find_item(ep, fd, f);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			ret = -EEXIST;
			break;
		}
		if (is_epoll(f) && creates_loop(ep, f->priv, 0)) {
			ret = -ELOOP;
			break;
		}
		it = calloc(1, sizeof(*it));
		struct file_items *fi = file_items;
		while (fi && fi->file != f)
			fi = fi->next;
		if (!fi && it) {
			fi = calloc(1, sizeof(*fi));
			if (fi) {
				fi->file = f;
				fi->next = file_items;
				file_items = fi;
			}
		}
		if (!it || !fi) {
			free(it);
			ret = -ENOMEM;
			break;
		}
		it->ep = ep;
		it->fd = fd;
		it->file = f;
		__atomic_store_n(&f->in_epoll, true, __ATOMIC_RELEASE);
		it->events = events & ~(uint32_t)EPOLLWAKEUP;
		it->data = ev->data.u64;
		it->file_next = fi->items;
		fi->items = it;
		pthread_mutex_lock(&ep->lock);
		it->next = ep->items;
		ep->items = it;
		make_ready(ep, it);           /* looked at by the next wait */
		pthread_mutex_unlock(&ep->lock);
		if (f->ops->waitq) {
			it->w = (struct waiter){ .events = ~0U, .notify = item_notify, .arg = it };
			/* item_notify filters by the item's current events. */
			waitq_add(f->ops->waitq(f), &it->w);
			it->queued = true;
		}
		waitq_notify(&ep->wq, POLLIN);
		break;
	case EPOLL_CTL_MOD:
		if (!it) {
			ret = -ENOENT;
			break;
		}
		if (it->events & EPOLLEXCLUSIVE) {
			ret = -EINVAL;
			break;
		}
		pthread_mutex_lock(&ep->lock);
		it->events = events & ~(uint32_t)EPOLLWAKEUP;
		it->data = ev->data.u64;
		it->disabled = false;
		make_ready(ep, it);
		pthread_mutex_unlock(&ep->lock);
		waitq_notify(&ep->wq, POLLIN);
		break;
	case EPOLL_CTL_DEL:
		if (!it)
			ret = -ENOENT;
		else
			remove_item(it);
		break;
	default:
		ret = -EINVAL;
	}
	pthread_mutex_unlock(&epoll_mutex);
	return ret;
}

long epoll_wait_file(struct task *t, struct file *epf, struct epoll_event *out, int max,
		     uint64_t deadline)
{
	struct epoll *ep = epf->priv;
	struct waiter w = { .events = ~0U, .notify = task_waiter_wake, .arg = t };
	bool waiting = false;
	long n = 0;

	if (!is_epoll(epf))
		return -EINVAL;
	for (;;) {
		bool rescan = false;
		__atomic_store_n(&t->wake, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&epoll_mutex);
		pthread_mutex_lock(&ep->lock);
		struct epitem *list = ep->ready;
		struct epitem *unseen = NULL, **unseen_tail = &unseen;
		struct epitem *again = NULL, **again_tail = &again;
		struct epitem *dropped = NULL;
		ep->ready = NULL;
		ep->ready_tail = &ep->ready;
		/* Off the list; a notification meanwhile only marks them. */
		for (struct epitem *it = list; it; it = it->rd_next) {
			it->ready = false;
			it->scanning = true;
			it->notified = false;
		}
		pthread_mutex_unlock(&ep->lock);
		while (list) {
			struct epitem *it = list;
			list = it->rd_next;
			it->rd_next = NULL;
			if (it->disabled || n >= max) {
				/* Not looked at: first in line next time. */
				*unseen_tail = it;
				unseen_tail = &it->rd_next;
				continue;
			}
			unsigned ev = item_poll(it, 0);
			bool stays = !it->queued;   /* no queue: look again later */
			if (ev) {
				out[n].events = ev;
				out[n].data.u64 = it->data;
				n++;
				if (it->events & EPOLLONESHOT)
					it->disabled = true;
				else if (!(it->events & EPOLLET))
					stays = true;   /* level-triggered: ready again */
			}
			if (stays && !it->disabled) {
				*again_tail = it;
				again_tail = &it->rd_next;
				rescan |= !it->queued;
			} else {
				it->rd_next = dropped;
				dropped = it;
			}
		}
		pthread_mutex_lock(&ep->lock);
		/* Unseen ones first, then what was notified meanwhile, then
		 * the level-triggered ones reported now (so they rotate);
		 * dropped ones come back if notified while looked at. */
		struct epitem *mid = ep->ready;
		ep->ready = NULL;
		ep->ready_tail = &ep->ready;
		for (struct epitem *it = unseen, *nx; it; it = nx) {
			nx = it->rd_next;
			it->scanning = false;
			if (!it->disabled)
				make_ready(ep, it);
		}
		for (struct epitem *it = mid, *nx; it; it = nx) {
			nx = it->rd_next;
			it->ready = false;
			make_ready(ep, it);
		}
		for (struct epitem *it = again, *nx; it; it = nx) {
			nx = it->rd_next;
			it->scanning = false;
			make_ready(ep, it);
		}
		for (struct epitem *it = dropped, *nx; it; it = nx) {
			nx = it->rd_next;
			it->scanning = false;
			if (it->notified && !it->disabled)
				make_ready(ep, it);
		}
		pthread_mutex_unlock(&ep->lock);
		pthread_mutex_unlock(&epoll_mutex);
		if (n || deadline == 1)
			break;
		if (!waiting) {
			/* Something to wait for: register, then look once more
			 * (a notification from now on sets t->wake). */
			waitq_add(&ep->wq, &w);
			waiting = true;
			continue;
		}
		int err = task_wait_ready(t, deadline, rescan);
		if (err) {
			if (err == -EINTR)
				n = -EINTR;
			break;
		}
	}
	if (waiting)
		waitq_remove(&ep->wq, &w);
	return n;
}

bool file_is_epoll(struct file *f)
{
	return is_epoll(f);
}
