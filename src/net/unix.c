/*
 * unix.c: AF_UNIX sockets, connected pairs (socketpair).  Linux:
 * net/unix/af_unix.c.
 *
 * A socket is an endpoint with a receive queue of messages; sending
 * appends to the peer's queue.  Stream sockets read across messages (but
 * not past one carrying descriptors), datagram and seqpacket sockets read
 * one message at a time.  SCM_RIGHTS messages hold references to the
 * files they carry until received.  One lock guards all unix sockets;
 * readiness goes through each endpoint's wait queue (poll, epoll).
 * Sockets bound to names (bind, listen, connect, accept) are not there
 * yet: those calls fail with ENOSYS, logged.
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "util/util.h"

#define UNIX_BUF_DEFAULT 212992      /* net.core.{r,w}mem_default */
#define SCM_MAX_FD 253

struct umsg {
	struct umsg *next;
	size_t len, off;                 /* off: bytes already read (stream) */
	struct file **fds;
	int nfds;
	struct ucred cred;
	char data[];
};

/* All unix-socket state: queues, connections, names.  A file's wait-queue
 * lock nests inside it (notifications are sent with it held). */
static pthread_mutex_t unix_lock = PTHREAD_MUTEX_INITIALIZER;

struct usock {
	int type;
	struct usock *peer;              /* NULL once the peer is closed */
	struct umsg *head, **tail;       /* receive queue */
	size_t queued;                   /* bytes in it */
	int sndbuf, rcvbuf;
	bool shut_rd, shut_wr, peer_gone, passcred;
	bool refused;                    /* a datagram pair's ECONNREFUSED told */
	struct ucred peercred;
	struct waitq wq;
	uint64_t rcvtimeo_ns, sndtimeo_ns;
};

static const struct file_ops unix_ops;

struct usock *sock_of(struct file *f)
{
	return f->ops == &unix_ops ? f->priv : NULL;
}

static void free_msg(struct umsg *m)
{
	for (int i = 0; i < m->nfds; i++)
		file_put(m->fds[i]);
	free(m->fds);
	free(m);
}

static void wake_task(struct waiter *w, unsigned events)
{
	(void)events;
	task_wake(w->arg);
}

/* Waits (unix_lock held, dropped meanwhile): 0, -ERESTARTSYS, -EAGAIN
 * at the deadline (SO_RCVTIMEO/SO_SNDTIMEO). */
static int sock_wait(struct usock *s, struct task *t, unsigned events, uint64_t deadline)
{
	struct waiter w = { .events = events | POLLHUP | POLLERR, .notify = wake_task, .arg = t };
	int err;

	waitq_add(&s->wq, &w);
	pthread_mutex_unlock(&unix_lock);
	err = task_block(t, deadline);
	waitq_remove(&s->wq, &w);
	pthread_mutex_lock(&unix_lock);
	if (err == -EINTR)
		return -ERESTARTSYS;
	return err == -ETIMEDOUT ? -EAGAIN : 0;
}

static uint64_t deadline_after(uint64_t ns)
{
	return ns ? moat_now_ns() + ns : 0;
}

static bool msg_based(const struct usock *s)
{
	return s->type != SOCK_STREAM;
}

/* Copies n bytes between the application's iovec, from byte skip on,
 * and buf; false on a bad address. */
static bool copy_iov(struct task *t, const struct iovec *iov, int iovcnt, size_t skip,
		     void *buf, size_t n, bool in)
{
	for (int i = 0; i < iovcnt && n; i++) {
		size_t k = iov[i].iov_len;
		if (skip >= k) {
			skip -= k;
			continue;
		}
		size_t take = MIN(k - skip, n);
		uint64_t addr = (uint64_t)iov[i].iov_base + skip;
		if (in ? mm_copy_in(t->mm, buf, addr, take) : mm_copy_out(t->mm, addr, buf, take))
			return false;
		buf = (char *)buf + take;
		n -= take;
		skip = 0;
	}
	return true;
}

long unix_send(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
	       struct file **fds, int nfds, int flags)
{
	struct usock *s = f->priv;
	size_t len = 0, sent = 0;
	long err = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > (size_t)INT32_MAX)
		return -EMSGSIZE;
	bool nonblock = (flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK);
	uint64_t deadline = deadline_after(s->sndtimeo_ns);
	pthread_mutex_lock(&unix_lock);
	do {
		struct usock *p = s->peer;
		if (s->type == SOCK_DGRAM && !p && !s->shut_wr) {
			/* Linux: the first send after the peer went is refused,
			 * later ones find no connection. */
			err = s->refused ? -ENOTCONN : -ECONNREFUSED;
			s->refused = true;
			break;
		}
		if (s->shut_wr || !p || p->shut_rd) {
			err = -EPIPE;
			break;
		}
		if (msg_based(s) && len > (size_t)p->rcvbuf) {
			err = -EMSGSIZE;
			break;
		}
		size_t room = p->queued < (size_t)p->rcvbuf ? (size_t)p->rcvbuf - p->queued : 0;
		/* A message goes whole (into an empty queue in any case); a
		 * stream takes what fits and the rest follows. */
		size_t n = msg_based(s) ? (len <= room || !p->queued ? len : 0) : MIN(room, len - sent);
		if (!n && (msg_based(s) ? true : len > sent)) {
			if (msg_based(s) && len == 0)
				goto queue;     /* an empty datagram always fits */
			if (nonblock) {
				err = -EAGAIN;
				break;
			}
			err = sock_wait(s, t, POLLOUT, deadline);
			if (err)
				break;
			continue;
		}
queue:;
		struct umsg *m = malloc(sizeof(*m) + n);
		if (!m) {
			err = -ENOBUFS;
			break;
		}
		*m = (struct umsg){ .len = n,
				    .cred = { t->tg->tgid, t->ids.euid, t->ids.egid } };
		if (!copy_iov(t, iov, iovcnt, sent, m->data, n, true)) {
			free(m);
			err = -EFAULT;
			break;
		}
		if (nfds && !sent) {
			m->fds = malloc((size_t)nfds * sizeof(*m->fds));
			if (!m->fds) {
				free(m);
				err = -ENOBUFS;
				break;
			}
			for (int i = 0; i < nfds; i++) {
				m->fds[i] = fds[i];
				file_get(fds[i]);
			}
			m->nfds = nfds;
		}
		*p->tail = m;
		p->tail = &m->next;
		p->queued += n;
		sent += n;
		waitq_notify(&p->wq, POLLIN);
	} while (sent < len && !msg_based(s));
	pthread_mutex_unlock(&unix_lock);
	if (err == -EPIPE && !(flags & MSG_NOSIGNAL))
		send_sigpipe(t);
	return sent || (len == 0 && !err) ? (long)sent : err;
}

/* Takes m off s's queue (unix_lock held). */
static void dequeue(struct usock *s, struct umsg *m)
{
	s->head = m->next;
	if (!s->head)
		s->tail = &s->head;
	s->queued -= m->len - m->off;
}

long unix_recv(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
	       struct unix_rights *rights, struct ucred *cred, int flags, int *msg_flags)
{
	struct usock *s = f->priv;
	size_t len = 0, done = 0;
	long err = 0;

	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	bool nonblock = (flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK);
	bool peek = flags & MSG_PEEK;
	uint64_t deadline = deadline_after(s->rcvtimeo_ns);
	*msg_flags = 0;
	rights->nfds = 0;
	pthread_mutex_lock(&unix_lock);
	struct umsg *m = s->head;       /* with MSG_PEEK, a cursor */
	size_t m_off = m ? m->off : 0;
	for (;;) {
		if (!m) {
			bool want_more = (flags & MSG_WAITALL) && !msg_based(s) && done < len;
			/* A datagram pair has no end of file (Linux). */
			bool eof = s->shut_rd || (s->peer_gone && s->type != SOCK_DGRAM);
			if ((done && !want_more) || eof || (peek && done))
				break;          /* what we have, or end of stream */
			if (nonblock) {
				if (!done)
					err = -EAGAIN;
				break;
			}
			err = sock_wait(s, t, POLLIN, deadline);
			if (err)
				break;
			m = s->head;
			m_off = m ? m->off : 0;
			continue;
		}
		/* A message carrying descriptors starts a read of its own. */
		if (done && m->nfds)
			break;
		size_t avail = m->len - m_off, n = MIN(avail, len - done);
		if (!copy_iov(t, iov, iovcnt, done, m->data + m_off, n, false)) {
			err = -EFAULT;
			break;
		}
		if (cred)
			*cred = m->cred;
		if (m->nfds && !peek) {
			rights->fds = m->fds;
			rights->nfds = m->nfds;
			m->fds = NULL;
			m->nfds = 0;
		}
		done += n;
		if (msg_based(s)) {
			if (n < avail)
				*msg_flags |= MSG_TRUNC;
			if (flags & MSG_TRUNC)
				done = avail;           /* the message's real length */
			if (!peek) {
				dequeue(s, m);
				free_msg(m);
			}
			break;
		}
		if (peek) {
			m_off += n;
			if (m_off == m->len) {
				m = m->next;
				m_off = m ? m->off : 0;
			}
		} else {
			m->off += n;
			s->queued -= n;
			if (m->off == m->len) {
				s->head = m->next;
				if (!s->head)
					s->tail = &s->head;
				free_msg(m);
			}
			m = s->head;
			m_off = m ? m->off : 0;
		}
		if (done >= len || rights->nfds)
			break;
	}
	if (!peek && s->peer)
		waitq_notify(&s->peer->wq, POLLOUT);
	pthread_mutex_unlock(&unix_lock);
	return done ? (long)done : err;
}

static unsigned unix_poll(struct file *f)
{
	struct usock *s = f->priv;
	unsigned ev = 0;

	pthread_mutex_lock(&unix_lock);
	struct usock *p = s->peer;
	if (s->head)
		ev |= POLLIN | POLLRDNORM;
	if (s->shut_rd)
		ev |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (s->type != SOCK_DGRAM && (s->peer_gone || (s->shut_rd && s->shut_wr)))
		ev |= POLLHUP | POLLIN | POLLRDNORM | POLLRDHUP;
	/* Linux: writable while the peer has room, whatever shutdown says;
	 * a stream whose peer is gone is "writable" (the write fails). */
	if (p ? p->queued < (size_t)p->rcvbuf : s->type != SOCK_DGRAM)
		ev |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&unix_lock);
	return ev;
}

static struct waitq *unix_waitq(struct file *f)
{
	return &((struct usock *)f->priv)->wq;
}

static long unix_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct usock *s = f->priv;
	int n;

	switch (cmd) {
	case FIONREAD:
		pthread_mutex_lock(&unix_lock);
		n = (int)MIN(s->queued, (size_t)INT32_MAX);
		if (s->type == SOCK_DGRAM)      /* the next datagram only */
			n = s->head ? (int)(s->head->len - s->head->off) : 0;
		pthread_mutex_unlock(&unix_lock);
		return mm_copy_out(t->mm, arg, &n, sizeof(n)) ? -EFAULT : 0;
	case TIOCOUTQ:
		n = 0;
		return mm_copy_out(t->mm, arg, &n, sizeof(n)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static void unix_release(struct file *f)
{
	struct usock *s = f->priv;
	struct usock *p;

	pthread_mutex_lock(&unix_lock);
	p = s->peer;
	if (p) {
		p->peer = NULL;
		p->peer_gone = true;
	}
	struct umsg *m = s->head;
	s->head = NULL;
	pthread_mutex_unlock(&unix_lock);
	if (p)
		waitq_notify(&p->wq, POLLIN | POLLOUT | POLLHUP | POLLERR);
	while (m) {
		struct umsg *next = m->next;
		free_msg(m);
		m = next;
	}
	free(s);
}

static const struct file_ops unix_ops = {
	.ioctl = unix_ioctl, .poll = unix_poll, .waitq = unix_waitq,
	.release = unix_release, .anon_name = NULL,
};

static struct usock *usock_new(int type, struct task *t)
{
	struct usock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->tail = &s->head;
	s->sndbuf = s->rcvbuf = UNIX_BUF_DEFAULT;
	s->peercred = (struct ucred){ t->tg->tgid, t->ids.euid, t->ids.egid };
	waitq_init(&s->wq);
	return s;
}

/* A file for endpoint s (taken over). */
static struct file *usock_file(struct usock *s, int flags)
{
	struct inode *inode = anon_inode_new(S_IFSOCK | 0777, NULL);
	struct file *f = inode ? file_new(&unix_ops, O_RDWR | (flags & O_NONBLOCK), s) : NULL;

	if (!f) {
		if (inode)
			inode_put(inode);
		return NULL;
	}
	f->inode = inode;
	f->no_pos = true;
	return f;
}

int unix_pair(struct task *t, int type, int flags, struct file **a, struct file **b)
{
	struct usock *x = usock_new(type, t);
	struct usock *y = x ? usock_new(type, t) : NULL;

	*a = *b = NULL;
	if (!y) {
		free(x);
		return -ENOMEM;
	}
	x->peer = y;
	y->peer = x;
	*a = usock_file(x, flags);
	*b = *a ? usock_file(y, flags) : NULL;
	if (!*b) {
		if (*a)
			file_put(*a);       /* frees x, clearing y->peer */
		else
			free(x);
		free(y);
		*a = NULL;
		return -ENOMEM;
	}
	return 0;
}

int unix_shutdown(struct file *f, int how)
{
	struct usock *s = f->priv;
	struct usock *p;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	pthread_mutex_lock(&unix_lock);
	if (how != SHUT_WR)
		s->shut_rd = true;
	if (how != SHUT_RD)
		s->shut_wr = true;
	p = s->peer;
	/* The peer sees the mirror image (Linux: unix_shutdown). */
	if (p && s->type != SOCK_DGRAM) {
		if (how != SHUT_WR)
			p->shut_wr = true;
		if (how != SHUT_RD)
			p->shut_rd = true;
	}
	pthread_mutex_unlock(&unix_lock);
	waitq_notify(&s->wq, POLLIN | POLLOUT | POLLHUP);
	if (p)
		waitq_notify(&p->wq, POLLIN | POLLOUT | POLLHUP);
	return 0;
}

int unix_getsockopt(struct file *f, int name, int *val, struct ucred *cred)
{
	struct usock *s = f->priv;

	switch (name) {
	case SO_TYPE: *val = s->type; return 0;
	case SO_DOMAIN: *val = AF_UNIX; return 0;
	case SO_PROTOCOL: *val = 0; return 0;
	case SO_ERROR: *val = 0; return 0;
	case SO_RCVBUF: *val = s->rcvbuf; return 0;
	case SO_SNDBUF: *val = s->sndbuf; return 0;
	case SO_PASSCRED: *val = s->passcred; return 0;
	case SO_ACCEPTCONN: *val = 0; return 0;
	case SO_REUSEADDR: *val = 0; return 0;
	case SO_PEERCRED:
		*cred = s->peercred;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int unix_setsockopt(struct file *f, int name, int val, uint64_t timeo_ns)
{
	struct usock *s = f->priv;

	switch (name) {
	case SO_RCVBUF:
	case SO_SNDBUF: {
		/* Linux doubles the value (for bookkeeping), within limits. */
		int v = (int)MIN(MAX((int64_t)val * 2, 2304), (int64_t)INT32_MAX);
		pthread_mutex_lock(&unix_lock);
		if (name == SO_RCVBUF)
			s->rcvbuf = v;
		else
			s->sndbuf = v;
		pthread_mutex_unlock(&unix_lock);
		return 0;
	}
	case SO_PASSCRED:
		s->passcred = val != 0;
		return 0;
	case SO_RCVTIMEO:
		s->rcvtimeo_ns = timeo_ns;
		return 0;
	case SO_SNDTIMEO:
		s->sndtimeo_ns = timeo_ns;
		return 0;
	case SO_REUSEADDR:
	case SO_KEEPALIVE:
	case SO_LINGER:
		return 0;       /* no effect on a connected local pair */
	default:
		return -ENOPROTOOPT;
	}
}

bool unix_passcred(struct file *f)
{
	return ((struct usock *)f->priv)->passcred;
}
