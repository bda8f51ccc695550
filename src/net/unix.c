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
#include "net/netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stddef.h>
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
	struct sockaddr_un from;         /* the sender's name (datagrams) */
	socklen_t fromlen;
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
	bool reset;                      /* never accepted: ECONNRESET once */
	struct ucred peercred;
	struct waitq wq;
	uint64_t rcvtimeo_ns, sndtimeo_ns;
	/* Names (bind): a path's socket inode, or an abstract name. */
	struct sockaddr_un addr;
	socklen_t addrlen;               /* 0: unbound */
	struct inode *inode;             /* referenced while bound to a path */
	struct usock *bound_next;        /* in the name registry */
	/* Listening: connections not yet accepted. */
	bool listening;
	int backlog, npending;
	struct usock *pending, **pending_tail, *pending_next;
	/* A datagram socket's default destination (connect). */
	struct sockaddr_un dest;
	socklen_t destlen;
};

static struct usock *bound;          /* every named socket (unix_lock) */
#define UNNAMED_LEN ((socklen_t)sizeof(sa_family_t))

static const struct file_ops unix_ops;
static const struct sock_ops unix_sock_ops;

/* Messages of up to a page come from a cache: a stream moves its data in
 * such blocks, one allocated per write and freed per read. */
#define UMSG_SMALL 4096
static struct block_cache small_msgs = BLOCK_CACHE(sizeof(struct umsg) + UMSG_SMALL, 64);

static struct umsg *alloc_msg(size_t len)
{
	if (len <= UMSG_SMALL)
		return block_alloc(&small_msgs, false);
	return malloc(sizeof(struct umsg) + len);
}

static void free_msg(struct umsg *m)
{
	for (int i = 0; i < m->nfds; i++)
		file_put(m->fds[i]);
	free(m->fds);
	if (m->len <= UMSG_SMALL)
		block_free(&small_msgs, m);
	else
		free(m);
}

/* Waits (unix_lock held, dropped meanwhile): 0, -ERESTARTSYS, -EAGAIN
 * at the deadline (SO_RCVTIMEO/SO_SNDTIMEO). */
static int sock_wait(struct usock *s, struct task *t, unsigned events, uint64_t deadline)
{
	int err = task_wait_queue(t, &s->wq, &unix_lock, events | POLLHUP | POLLERR, deadline);

	if (err == -EINTR)
		return -ERESTARTSYS;
	return err == -ETIMEDOUT ? -EAGAIN : 0;
}

/*
 * Whether a writer to receiving endpoint r counts as writable (POLLOUT,
 * and the wake-up of a blocked writer).  A stream, as Linux's
 * unix_writable, only once what is in flight has drained to a quarter of
 * the buffer: a writer then goes on with a batch of writes rather than
 * waking for every read that frees a little room.  Datagram and seqpacket
 * endpoints take a message whenever there is room (unix_dgram_poll).
 */
static bool writable_into(const struct usock *r)
{
	if (r->type == SOCK_STREAM)
		return r->queued * 4 <= (size_t)r->rcvbuf;
	return r->queued < (size_t)r->rcvbuf;
}

static uint64_t deadline_after(uint64_t ns)
{
	return ns ? moat_now_ns() + ns : 0;
}

static bool msg_based(const struct usock *s)
{
	return s->type != SOCK_STREAM;
}

/* Copies n bytes between the iovec, from byte skip on, and buf; false on
 * a bad address.  The iovec holds application addresses, or with kbuf
 * one sentry buffer (sendfile and splice, never a syscall's own iovec). */
static bool copy_iov(struct task *t, const struct iovec *iov, int iovcnt, bool kbuf,
		     size_t skip, void *buf, size_t n, bool in)
{
	if (!kbuf)
		return mm_copy_iovec(t->mm, iov, iovcnt, skip, buf, n, in) == 0;
	char *k = (char *)iov[0].iov_base + skip;
	if (in)
		memcpy(buf, k, n);
	else
		memcpy(k, buf, n);
	return true;
}

/*
 * What a sockaddr_un names: an abstract name (the bytes after the NUL) or
 * a path, whose socket inode the sentry resolves itself.  The inode is
 * referenced; the caller drops it.
 */
struct uname {
	struct inode *inode;
	char abstract[sizeof(((struct sockaddr_un *)0)->sun_path)];
	socklen_t alen;                  /* 0: a path */
};

static long parse_addr(const struct sockaddr_un *a, socklen_t len, char *path)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);

	if (len < UNNAMED_LEN || len > sizeof(*a) || a->sun_family != AF_UNIX)
		return -EINVAL;
	if (len == off)
		return 0;                /* autobind (bind) or unnamed */
	if (a->sun_path[0] == 0)
		return (long)(len - off);   /* abstract: length with the NUL */
	size_t n = strnlen(a->sun_path, len - off);
	memcpy(path, a->sun_path, n);
	path[n] = 0;
	return -1000;                    /* a path */
}

/* Resolves addr to a name; 0 or -errno (ENOENT for a missing path). */
static long resolve(struct task *t, const struct sockaddr_un *a, socklen_t len, struct uname *u)
{
	char path[sizeof(a->sun_path) + 1];
	struct walk_result wr;
	long kind = parse_addr(a, len, path);

	memset(u, 0, sizeof(*u));
	if (kind == 0)
		return -EINVAL;
	if (kind > 0) {
		u->alen = (socklen_t)kind;
		memcpy(u->abstract, a->sun_path, (size_t)kind);
		return 0;
	}
	if (kind != -1000)
		return kind;
	long err = vfs_walk(t, AT_FDCWD, path, WALK_FOLLOW, &wr);
	if (err)
		return err;
	if (wr.file)
		file_put(wr.file);
	u->inode = wr.path.dentry->inode;
	inode_get(u->inode);
	path_put(&wr.path);
	if (!S_ISSOCK(u->inode->mode)) {
		inode_put(u->inode);
		u->inode = NULL;
		return -ECONNREFUSED;
	}
	err = inode_permission(u->inode, MAY_WRITE, &t->cred);
	if (err) {
		inode_put(u->inode);
		u->inode = NULL;
	}
	return err;
}

/* The socket bound to a name (unix_lock held), or NULL.  Abstract names
 * are per socket type (Linux hashes the type in); paths are not. */
static struct usock *lookup(const struct uname *u, int type)
{
	for (struct usock *b = bound; b; b = b->bound_next) {
		if (u->alen) {
			size_t off = offsetof(struct sockaddr_un, sun_path);
			if (b->addrlen - off == u->alen && b->addr.sun_path[0] == 0 &&
			    b->type == type && !memcmp(b->addr.sun_path, u->abstract, u->alen))
				return b;
		} else if (b->inode && b->inode == u->inode) {
			return b;
		}
	}
	return NULL;
}

static void uname_put(struct uname *u)
{
	if (u->inode)
		inode_put(u->inode);
	u->inode = NULL;
}

static long send_common(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
			bool kbuf, struct file **fds, int nfds, int flags,
			const struct sockaddr_un *to, socklen_t tolen)
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
	/* A named datagram destination: the address, or connect's. */
	struct uname dest = { 0 };
	bool by_name = false;
	if (s->type == SOCK_DGRAM && !s->peer_gone) {
		pthread_mutex_lock(&unix_lock);
		struct sockaddr_un d = s->dest;
		socklen_t dlen = s->destlen;
		bool paired = s->peer != NULL;
		pthread_mutex_unlock(&unix_lock);
		if (to || (!paired && dlen)) {
			err = resolve(t, to ? to : &d, to ? tolen : dlen, &dest);
			if (err)
				return err;
			by_name = true;
		} else if (!paired) {
			return -ENOTCONN;
		}
	} else if (to && s->type != SOCK_DGRAM) {
		return s->peer ? -EISCONN : -ENOTCONN;
	}
	pthread_mutex_lock(&unix_lock);
	do {
		struct usock *p = by_name ? lookup(&dest, SOCK_DGRAM) : s->peer;
		if (by_name && !p) {
			/* Linux: refused, and a connected socket is
			 * disconnected (then ENOTCONN). */
			err = -ECONNREFUSED;
			if (!to)
				s->destlen = 0;
			break;
		}
		if (by_name && p->type != SOCK_DGRAM) {
			err = -EPROTOTYPE;
			break;
		}
		if (by_name && p->destlen && p != s &&
		    (s->addrlen != p->destlen || memcmp(&s->addr, &p->dest, s->addrlen))) {
			err = -EPERM;       /* p takes datagrams from its peer only */
			break;
		}
		if (!by_name && !p && !s->peer_gone && s->type != SOCK_DGRAM) {
			err = -ENOTCONN;
			break;
		}
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
			/* A named receiver does not know its senders: look
			 * again every 10 ms. */
			uint64_t until = deadline;
			if (by_name) {
				uint64_t soon = moat_now_ns() + 10000000ULL;
				if (!until || soon < until)
					until = soon;
			}
			err = sock_wait(s, t, POLLOUT, until);
			if (err == -EAGAIN && by_name && (!deadline || moat_now_ns() < deadline))
				err = 0;
			if (err)
				break;
			continue;
		}
queue:;
		struct umsg *m = alloc_msg(n);
		if (!m) {
			err = -ENOBUFS;
			break;
		}
		*m = (struct umsg){ .len = n, .from = s->addr, .fromlen = s->addrlen,
				    .cred = { t->tg->tgid, t->ids.euid, t->ids.egid } };
		if (!copy_iov(t, iov, iovcnt, kbuf, sent, m->data, n, true)) {
			free_msg(m);
			err = -EFAULT;
			break;
		}
		if (nfds && !sent) {
			m->fds = malloc((size_t)nfds * sizeof(*m->fds));
			if (!m->fds) {
				free_msg(m);
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
	uname_put(&dest);
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

static long recv_common(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
			bool kbuf, struct unix_rights *rights, struct ucred *cred, int flags,
			int *msg_flags, struct sockaddr_un *from, socklen_t *fromlen)
{
	struct usock *s = f->priv;
	size_t len = 0, done = 0;
	long err = 0;

	if (fromlen)
		*fromlen = 0;
	if (s->listening)
		return -EINVAL;
	pthread_mutex_lock(&unix_lock);
	bool reset = s->reset;
	s->reset = false;
	pthread_mutex_unlock(&unix_lock);
	if (reset)
		return -ECONNRESET;

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
		if (!copy_iov(t, iov, iovcnt, kbuf, done, m->data + m_off, n, false)) {
			err = -EFAULT;
			break;
		}
		if (cred)
			*cred = m->cred;
		if (from && fromlen && !done && m->fromlen) {
			/* An unbound sender: no address at all (Linux). */
			*fromlen = m->fromlen;
			*from = m->from;
		}
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
	if (!peek && s->peer && writable_into(s))
		waitq_notify(&s->peer->wq, POLLOUT);
	pthread_mutex_unlock(&unix_lock);
	return done ? (long)done : err;
}

static unsigned unix_poll(struct file *f)
{
	struct usock *s = f->priv;
	unsigned ev = 0;

	pthread_mutex_lock(&unix_lock);
	if (s->listening) {
		ev = s->npending ? POLLIN | POLLRDNORM : 0;
		pthread_mutex_unlock(&unix_lock);
		return ev;
	}
	struct usock *p = s->peer;
	if (s->head)
		ev |= POLLIN | POLLRDNORM;
	if (s->shut_rd)
		ev |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (s->type != SOCK_DGRAM && (s->peer_gone || (s->shut_rd && s->shut_wr)))
		ev |= POLLHUP | POLLIN | POLLRDNORM | POLLRDHUP;
	if (s->reset)
		ev |= POLLERR;
	/* Linux: writable while the peer has room, whatever shutdown says;
	 * a stream whose peer is gone is "writable" (the write fails). */
	if (p ? writable_into(p) : s->type != SOCK_DGRAM)
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
		return netdev_ioctl(t, cmd, arg);
	}
}

static void usock_free(struct usock *s);

static void unix_release(struct file *f)
{
	usock_free(f->priv);
}

/* The end of an endpoint: its name, its pending connections, its peer. */
static void usock_free(struct usock *s)
{
	struct usock *p, *pending;
	struct inode *inode;

	pthread_mutex_lock(&unix_lock);
	for (struct usock **bp = &bound; *bp; bp = &(*bp)->bound_next)
		if (*bp == s) {
			*bp = s->bound_next;
			break;
		}
	inode = s->inode;
	pending = s->pending;
	s->pending = NULL;
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
	/* Connections never accepted: their clients are reset. */
	while (pending) {
		struct usock *n = pending->pending_next;
		pthread_mutex_lock(&unix_lock);
		if (pending->peer)
			pending->peer->reset = true;
		pthread_mutex_unlock(&unix_lock);
		usock_free(pending);
		pending = n;
	}
	if (inode)
		inode_put(inode);
	free(s);
}

static long unix_sendmsg(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
			 struct file **fds, int nfds, int flags, const struct sockaddr *to,
			 socklen_t tolen)
{
	return send_common(t, f, iov, iovcnt, false, fds, nfds, flags,
			   (const struct sockaddr_un *)to, tolen);
}

static long unix_recvmsg(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
			 struct unix_rights *rights, struct ucred *cred, int flags, int *msg_flags,
			 struct sockaddr_storage *from, socklen_t *fromlen)
{
	return recv_common(t, f, iov, iovcnt, false, rights, cred, flags, msg_flags,
			   (struct sockaddr_un *)from, fromlen);
}

/*
 * Reads and writes with a sentry buffer, for sendfile and splice (read(2)
 * and write(2) on a socket take sock_rw's iovec path).  The caller raises
 * SIGPIPE; descriptors that came with the data are dropped, as Linux's
 * splice from a socket does.
 */
static long unix_fop_write(struct file *f, struct task *t, const void *buf, size_t len,
			   int64_t *off)
{
	struct iovec kv = { (void *)buf, len };

	(void)off;
	return send_common(t, f, &kv, 1, true, NULL, 0,
			   MSG_NOSIGNAL | (t->io_nonblock ? MSG_DONTWAIT : 0), NULL, 0);
}

static long unix_fop_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct unix_rights rights = { NULL, 0 };
	struct iovec kv = { buf, len };
	int mflags;

	(void)off;
	long r = recv_common(t, f, &kv, 1, true, &rights, NULL,
			     t->io_nonblock ? MSG_DONTWAIT : 0, &mflags, NULL, NULL);
	for (int i = 0; i < rights.nfds; i++)
		file_put(rights.fds[i]);
	free(rights.fds);
	return r;
}

static const struct file_ops unix_ops = {
	.read = unix_fop_read, .write = unix_fop_write,
	.ioctl = unix_ioctl, .poll = unix_poll, .waitq = unix_waitq,
	.release = unix_release, .anon_name = NULL, .sock = &unix_sock_ops,
};

static struct usock *usock_new(int type, struct task *t)
{
	struct usock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->tail = &s->head;
	s->pending_tail = &s->pending;
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

static int unix_shutdown(struct file *f, int how)
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

static int unix_getsockopt(struct task *t, struct file *f, int level, int name,
			   uint32_t optlen, int *val, struct ucred *cred)
{
	struct usock *s = f->priv;

	(void)t;
	(void)optlen;
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
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

static int unix_setsockopt(struct task *t, struct file *f, int level, int name, int val,
			   uint32_t optlen, uint64_t timeo_ns)
{
	struct usock *s = f->priv;

	(void)t;
	(void)optlen;
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
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

static bool unix_passcred(struct file *f)
{
	return ((struct usock *)f->priv)->passcred;
}

/* ---- names and connections ---- */

/* Gives s an abstract name of 5 hex digits (Linux: unix_autobind). */
static void autobind(struct usock *s)
{
	static unsigned next;
	struct uname u = { .alen = 6 };

	for (;;) {
		char name[8];
		snprintf(name, sizeof(name), "%05x", (next++) & 0xfffff);
		u.abstract[0] = 0;
		memcpy(u.abstract + 1, name, 5);
		if (!lookup(&u, s->type))
			break;
	}
	s->addr.sun_family = AF_UNIX;
	memcpy(s->addr.sun_path, u.abstract, 6);
	s->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6);
	s->bound_next = bound;
	bound = s;
}

static long unix_bind(struct task *t, struct file *f, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_un *a = (const struct sockaddr_un *)addr;
	struct usock *s = f->priv;
	char path[sizeof(a->sun_path) + 1];
	long kind = parse_addr(a, len, path);
	struct inode *inode = NULL;
	long err = 0;

	if (kind < 0 && kind != -1000)
		return kind;
	if (kind == -1000) {
		/* A socket inode in the file system names it.  Linux makes
		 * it before looking whether the socket is bound already. */
		struct walk_result wr;
		err = vfs_mknod(t, AT_FDCWD, path, S_IFSOCK | 0777, 0);
		if (err)
			return err == -EEXIST ? -EADDRINUSE : err;
		pthread_mutex_lock(&unix_lock);
		bool was_bound = s->addrlen != 0;
		pthread_mutex_unlock(&unix_lock);
		if (was_bound) {
			vfs_unlink(t, AT_FDCWD, path, false);
			return -EINVAL;
		}
		err = vfs_walk(t, AT_FDCWD, path, 0, &wr);
		if (err)
			return err;
		if (wr.file)
			file_put(wr.file);
		inode = wr.path.dentry->inode;
		inode_get(inode);
		path_put(&wr.path);
	}
	pthread_mutex_lock(&unix_lock);
	if (s->addrlen) {
		err = kind == 0 ? 0 : -EINVAL;   /* autobind of a bound one: no-op */
	} else if (kind == 0) {
		autobind(s);
	} else {
		struct uname u = { .alen = kind > 0 ? (socklen_t)kind : 0 };
		if (kind > 0)
			memcpy(u.abstract, a->sun_path, (size_t)kind);
		if (kind > 0 && lookup(&u, s->type)) {
			err = -EADDRINUSE;
		} else {
			s->addr = *a;
			s->addrlen = kind > 0 ? len
				     : (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
			s->inode = inode;
			inode = NULL;
			s->bound_next = bound;
			bound = s;
		}
	}
	pthread_mutex_unlock(&unix_lock);
	if (inode)
		inode_put(inode);
	return err;
}

static long unix_listen(struct file *f, int backlog)
{
	struct usock *s = f->priv;
	long err = 0;

	if (s->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unix_lock);
	if (s->peer || s->peer_gone)
		err = -EINVAL;
	else if (!s->addrlen)
		err = -EINVAL;          /* Linux: unix_listen needs a name */
	else {
		s->listening = true;
		s->backlog = backlog < 0 || backlog > 4096 ? 4096 : backlog;
	}
	pthread_mutex_unlock(&unix_lock);
	waitq_notify(&s->wq, POLLOUT);
	return err;
}

static long unix_connect(struct task *t, struct file *f, const struct sockaddr *addr,
			 socklen_t len)
{
	const struct sockaddr_un *a = (const struct sockaddr_un *)addr;
	struct usock *s = f->priv;
	struct uname u;
	bool nonblock = f->flags & O_NONBLOCK;
	long err;

	if (len >= UNNAMED_LEN && a->sun_family == AF_UNSPEC && s->type == SOCK_DGRAM) {
		pthread_mutex_lock(&unix_lock);
		s->destlen = 0;         /* dissolve the association */
		pthread_mutex_unlock(&unix_lock);
		return 0;
	}
	err = resolve(t, a, len, &u);
	if (err)
		return err;
	pthread_mutex_lock(&unix_lock);
	for (;;) {
		struct usock *target = lookup(&u, s->type);
		if (s->type == SOCK_DGRAM) {
			if (!target)
				err = -ECONNREFUSED;
			else if (target->type != SOCK_DGRAM)
				err = -EPROTOTYPE;
			else {
				s->dest = *a;
				s->destlen = len;
			}
			break;
		}
		if (s->peer || s->peer_gone) {
			err = -EISCONN;
			break;
		}
		if (s->listening) {
			err = -EINVAL;
			break;
		}
		if (!target || !target->listening) {
			err = target && target->type != s->type ? -EPROTOTYPE : -ECONNREFUSED;
			break;
		}
		if (target->type != s->type) {
			err = -EPROTOTYPE;
			break;
		}
		if (target->npending > target->backlog) {   /* Linux: backlog + 1 fit */
			if (nonblock) {
				err = -EAGAIN;
				break;
			}
			/* Wait for room, looking again every 10 ms (the
			 * listener may go meanwhile). */
			err = sock_wait(s, t, POLLOUT, moat_now_ns() + 10000000ULL);
			if (err == -EAGAIN)
				err = 0;
			if (err)
				break;
			continue;
		}
		struct usock *srv = usock_new(s->type, t);
		if (!srv) {
			err = -ENOMEM;
			break;
		}
		/* The server end: the listener's name; each side's
		 * SO_PEERCRED is the other's. */
		srv->addr = target->addr;
		srv->addrlen = target->addrlen;
		srv->peercred = s->peercred;
		s->peercred = target->peercred;
		srv->peer = s;
		s->peer = srv;
		*target->pending_tail = srv;
		target->pending_tail = &srv->pending_next;
		target->npending++;
		waitq_notify(&target->wq, POLLIN);
		break;
	}
	pthread_mutex_unlock(&unix_lock);
	uname_put(&u);
	return err;
}

static long unix_accept(struct task *t, struct file *f, int flags, struct file **out,
			struct sockaddr_storage *ss, socklen_t *peerlen)
{
	struct sockaddr_un *peer = (struct sockaddr_un *)ss;
	struct usock *s = f->priv, *srv = NULL;
	bool nonblock = f->flags & O_NONBLOCK;
	long err = 0;

	if (s->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unix_lock);
	for (;;) {
		if (!s->listening) {
			err = -EINVAL;
			break;
		}
		if (s->pending) {
			srv = s->pending;
			s->pending = srv->pending_next;
			if (!s->pending)
				s->pending_tail = &s->pending;
			srv->pending_next = NULL;
			s->npending--;
			break;
		}
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		err = sock_wait(s, t, POLLIN, 0);
		if (err)
			break;
	}
	if (srv) {
		*peerlen = srv->peer && srv->peer->addrlen ? srv->peer->addrlen : UNNAMED_LEN;
		if (srv->peer && srv->peer->addrlen)
			*peer = srv->peer->addr;
		else
			peer->sun_family = AF_UNIX;
	}
	pthread_mutex_unlock(&unix_lock);
	if (err)
		return err;
	*out = usock_file(srv, flags);
	if (!*out) {
		usock_free(srv);
		return -ENOMEM;
	}
	return 0;
}

static long unix_name(struct file *f, bool peer, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *a = (struct sockaddr_un *)ss;
	struct usock *s = f->priv;
	long err = 0;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	*len = UNNAMED_LEN;
	pthread_mutex_lock(&unix_lock);
	if (!peer) {
		if (s->addrlen) {
			*a = s->addr;
			*len = s->addrlen;
		}
	} else if (s->peer) {
		if (s->peer->addrlen) {
			*a = s->peer->addr;
			*len = s->peer->addrlen;
		}
	} else if (s->type == SOCK_DGRAM && s->destlen) {
		*a = s->dest;
		*len = s->destlen;
	} else {
		err = -ENOTCONN;
	}
	pthread_mutex_unlock(&unix_lock);
	return err;
}

int unix_create(struct task *t, int type, int protocol, int flags, struct file **out)
{
	if (type == SOCK_RAW)
		type = SOCK_DGRAM;          /* Linux: unix_create */
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0 && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;

	struct usock *s = usock_new(type, t);

	if (!s)
		return -ENOMEM;
	*out = usock_file(s, flags);
	if (!*out) {
		free(s);
		return -ENOMEM;
	}
	return 0;
}

static const struct sock_ops unix_sock_ops = {
	.family = AF_UNIX,
	.sendmsg = unix_sendmsg, .recvmsg = unix_recvmsg,
	.bind = unix_bind, .connect = unix_connect, .listen = unix_listen,
	.accept = unix_accept, .name = unix_name, .shutdown = unix_shutdown,
	.getsockopt = unix_getsockopt, .setsockopt = unix_setsockopt,
	.passcred = unix_passcred,
};
