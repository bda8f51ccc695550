/*
 * sys_socket.c: the socket syscalls.  Linux: net/socket.c.
 *
 * Each call copies its arguments in, calls the socket's family
 * operations (struct sock_ops, net/net.h) and copies results out.
 * Families: AF_UNIX (net/unix.c: pairs and named sockets, SCM_RIGHTS and
 * SCM_CREDENTIALS) and AF_NETLINK of protocol NETLINK_ROUTE
 * (net/netlink.c).  socket() of another family is EAFNOSUPPORT, as the
 * issue asks until networking exists, so that programs fall back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "net/net.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#define IOV_MAX_K 1024

/* The socket at fd: referenced in *fp with its operations in *ops, or
 * -EBADF / -ENOTSOCK. */
static long sock_get(struct task *t, uint64_t fd, struct file **fp, const struct sock_ops **ops)
{
	struct file *f = fget(t, fd);

	if (!f)
		return -EBADF;
	if (!sock_of(f)) {
		file_put(f);
		return -ENOTSOCK;
	}
	*fp = f;
	*ops = sock_of(f);
	return 0;
}

long sys_socket(struct task *t, const uint64_t a[6])
{
	int family = (int)a[0], type = (int)a[1] & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int flags = ((int)a[1] & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
	struct file *f;
	long err;

	if ((int)a[1] & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	switch (family) {
	case AF_UNIX:
		err = unix_create(t, type, (int)a[2], flags, &f);
		break;
	case AF_NETLINK:
		err = netlink_create(t, type, (int)a[2], flags, &f);
		break;
	default:
		moat_log("socket(family %d): no networking yet: EAFNOSUPPORT", family);
		return -EAFNOSUPPORT;
	}
	if (err)
		return err;
	long fd = fdtable_install(t->fdt, f, 0, ((int)a[1] & SOCK_CLOEXEC) ? FD_CLOEXEC : 0,
				  t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* A sockaddr from the application (Linux: move_addr_to_kernel). */
static long get_addr(struct task *t, uint64_t uaddr, uint64_t len, struct sockaddr_storage *a)
{
	memset(a, 0, sizeof(*a));
	if ((int64_t)len < 0 || len > sizeof(*a))
		return -EINVAL;
	if (len && mm_copy_in(t->mm, a, uaddr, len))
		return -EFAULT;
	return 0;
}

/* Writes a name back: at most *ulen bytes, and the real length. */
static long put_addr(struct task *t, uint64_t uaddr, uint64_t ulen,
		     const struct sockaddr_storage *a, socklen_t len)
{
	uint32_t room;

	if (!ulen)
		return 0;
	if (mm_copy_in(t->mm, &room, ulen, sizeof(room)))
		return -EFAULT;
	if ((int32_t)room < 0)
		return -EINVAL;
	if (uaddr && mm_copy_out(t->mm, uaddr, a, MIN(room, (uint32_t)len)))
		return -EFAULT;
	room = len;
	return mm_copy_out(t->mm, ulen, &room, sizeof(room)) ? -EFAULT : 0;
}

long sys_socketpair(struct task *t, const uint64_t a[6])
{
	int family = (int)a[0], flags = (int)a[1] & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	int type = (int)a[1] & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct file *x, *y;
	int fds[2];
	long err;

	if ((int)a[1] & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (family != AF_UNIX)          /* Linux: sock_no_socketpair */
		return family == AF_INET || family == AF_INET6 || family == AF_NETLINK
		       ? -EOPNOTSUPP : -EAFNOSUPPORT;
	if (type == SOCK_RAW)
		type = SOCK_DGRAM;          /* Linux: unix_create */
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	if (a[2] != 0 && a[2] != PF_UNIX)
		return -EPROTONOSUPPORT;
	if (mm_access_ok(t->mm, a[3], sizeof(fds), PROT_WRITE))
		return -EFAULT;
	err = unix_pair(t, type, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0, &x, &y);
	if (err)
		return err;
	uint64_t limit = t->tg->rlimits[RLIMIT_NOFILE].rlim_cur;
	int fdflags = (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0;
	fds[0] = fdtable_install(t->fdt, x, 0, fdflags, limit);
	if (fds[0] < 0) {
		file_put(x);
		file_put(y);
		return fds[0];
	}
	fds[1] = fdtable_install(t->fdt, y, 0, fdflags, limit);
	if (fds[1] < 0) {
		fdtable_close(t->fdt, fds[0]);
		file_put(y);
		return fds[1];
	}
	if (mm_copy_out(t->mm, a[3], fds, sizeof(fds))) {
		fdtable_close(t->fdt, fds[0]);
		fdtable_close(t->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* ---- messages ---- */

struct k_msghdr {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov;
	uint64_t iovlen;
	uint64_t control;
	uint64_t controllen;
	int32_t flags, pad1;
};

static long import_iov(struct task *t, uint64_t uiov, uint64_t n, struct iovec **out)
{
	struct iovec *iov;

	if (n > IOV_MAX_K)
		return -EMSGSIZE;
	iov = calloc(MAX(n, 1), sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	if (n && mm_copy_in(t->mm, iov, uiov, n * sizeof(*iov))) {
		free(iov);
		return -EFAULT;
	}
	for (uint64_t i = 0; i < n; i++)
		if ((int64_t)iov[i].iov_len < 0) {
			free(iov);
			return -EINVAL;
		}
	*out = iov;
	return 0;
}

/* SCM_RIGHTS in a control buffer: the files, referenced. */
static long parse_rights(struct task *t, uint64_t uctl, uint64_t len, struct file **fds, int *nfds)
{
	uint8_t *buf;
	long err = 0;

	*nfds = 0;
	if (!uctl || !len)
		return 0;
	if (len > 65536)
		return -ENOBUFS;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	if (mm_copy_in(t->mm, buf, uctl, len)) {
		free(buf);
		return -EFAULT;
	}
	for (uint64_t off = 0; off + sizeof(struct cmsghdr) <= len;) {
		struct cmsghdr *c = (struct cmsghdr *)(buf + off);
		if (c->cmsg_len < sizeof(*c) || c->cmsg_len > len - off) {
			err = -EINVAL;
			break;
		}
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			int *ids = (int *)CMSG_DATA(c);
			if (*nfds + n > 253) {
				err = -EINVAL;
				break;
			}
			for (int i = 0; i < n; i++) {
				struct file *f = fget(t, (uint64_t)(uint32_t)ids[i]);
				if (!f) {
					err = -EBADF;
					break;
				}
				fds[(*nfds)++] = f;
			}
			if (err)
				break;
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			/* The sender's own credentials are sent anyway; root
			 * may claim others, which is not supported here. */
		} else if (c->cmsg_level == SOL_SOCKET) {
			err = -EINVAL;
			break;
		}
		off += CMSG_ALIGN(c->cmsg_len);
	}
	free(buf);
	if (err) {
		for (int i = 0; i < *nfds; i++)
			file_put(fds[i]);
		*nfds = 0;
	}
	return err;
}

static long do_sendmsg(struct task *t, uint64_t fd, const struct k_msghdr *mh, int flags)
{
	struct file *f, *fds[253];
	const struct sock_ops *ops;
	struct iovec *iov;
	int nfds;
	long ret = sock_get(t, fd, &f, &ops);

	if (ret)
		return ret;
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR | MSG_MORE | MSG_OOB | MSG_CONFIRM)) {
		file_put(f);
		return -EINVAL;
	}
	if (flags & MSG_OOB) {
		file_put(f);
		return -EOPNOTSUPP;
	}
	struct sockaddr_storage to;
	if (mh->name && (ret = get_addr(t, mh->name, mh->namelen, &to))) {
		file_put(f);
		return ret;
	}
	ret = import_iov(t, mh->iov, mh->iovlen, &iov);
	if (ret) {
		file_put(f);
		return ret;
	}
	ret = parse_rights(t, mh->control, mh->controllen, fds, &nfds);
	if (!ret)
		ret = ops->sendmsg(t, f, iov, (int)mh->iovlen, fds, nfds, flags,
				   mh->name ? (struct sockaddr *)&to : NULL,
				   mh->name ? mh->namelen : 0);
	for (int i = 0; i < nfds; i++)
		file_put(fds[i]);
	free(iov);
	file_put(f);
	return ret;
}

/* Writes the control messages for what came with the data. */
static long put_control(struct task *t, const struct sock_ops *ops, struct file *f,
			struct k_msghdr *mh, struct unix_rights *r, const struct ucred *cred,
			int flags)
{
	uint8_t buf[CMSG_SPACE(253 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	size_t used = 0, room = mh->control ? mh->controllen : 0;
	int installed = 0;

	memset(buf, 0, sizeof(buf));
	if (ops->passcred(f) && room >= used + CMSG_SPACE(sizeof(*cred))) {
		struct cmsghdr *c = (struct cmsghdr *)(buf + used);
		c->cmsg_len = CMSG_LEN(sizeof(*cred));
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		memcpy(CMSG_DATA(c), cred, sizeof(*cred));
		used += CMSG_SPACE(sizeof(*cred));
	} else if (ops->passcred(f)) {
		mh->flags |= MSG_CTRUNC;
	}
	if (r->nfds) {
		size_t fit = room > used + CMSG_LEN(0) ? (room - used - CMSG_LEN(0)) / sizeof(int) : 0;
		int n = (int)MIN((size_t)r->nfds, fit);
		struct cmsghdr *c = (struct cmsghdr *)(buf + used);
		int *ids = (int *)CMSG_DATA(c);
		for (int i = 0; i < n; i++) {
			int fd = fdtable_install(t->fdt, r->fds[i], 0,
						 (flags & MSG_CMSG_CLOEXEC) ? FD_CLOEXEC : 0,
						 t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
			if (fd < 0)
				break;
			r->fds[i] = NULL;       /* the table has it now */
			ids[installed++] = fd;
		}
		if (installed < r->nfds)
			mh->flags |= MSG_CTRUNC;
		if (installed) {
			c->cmsg_len = CMSG_LEN((size_t)installed * sizeof(int));
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			used += CMSG_SPACE((size_t)installed * sizeof(int));
			if (used > room)
				used = room;
		}
	}
	for (int i = 0; i < r->nfds; i++)
		if (r->fds[i])
			file_put(r->fds[i]);
	free(r->fds);
	r->fds = NULL;
	r->nfds = 0;
	if (used && mm_copy_out(t->mm, mh->control, buf, used))
		return -EFAULT;
	mh->controllen = used;
	return 0;
}

static long do_recvmsg(struct task *t, uint64_t fd, struct k_msghdr *mh, int flags)
{
	struct unix_rights rights = { NULL, 0 };
	struct ucred cred = { 0, 0, 0 };
	const struct sock_ops *ops;
	struct iovec *iov;
	struct file *f;
	int mflags;
	long ret = sock_get(t, fd, &f, &ops);

	if (ret)
		return ret;
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_CMSG_CLOEXEC |
		      MSG_ERRQUEUE | MSG_OOB | MSG_NOSIGNAL)) {
		file_put(f);
		return -EINVAL;
	}
	if (flags & (MSG_OOB | MSG_ERRQUEUE)) {
		file_put(f);
		return flags & MSG_OOB ? -EOPNOTSUPP : -EAGAIN;
	}
	ret = import_iov(t, mh->iov, mh->iovlen, &iov);
	if (ret) {
		file_put(f);
		return ret;
	}
	struct sockaddr_storage from;
	socklen_t fromlen;
	ret = ops->recvmsg(t, f, iov, (int)mh->iovlen, &rights, &cred, flags, &mflags,
			   &from, &fromlen);
	mh->flags = mflags | (flags & MSG_CMSG_CLOEXEC);   /* Linux echoes it */
	if (ret >= 0 && mh->name && fromlen) {
		if (mm_copy_out(t->mm, mh->name, &from, MIN(mh->namelen, (uint32_t)fromlen)))
			ret = -EFAULT;
	}
	if (ret >= 0) {
		long err = put_control(t, ops, f, mh, &rights, &cred, flags);
		if (err)
			ret = err;
	} else {
		for (int i = 0; i < rights.nfds; i++)
			file_put(rights.fds[i]);
		free(rights.fds);
	}
	mh->namelen = ret >= 0 ? fromlen : 0;
	free(iov);
	file_put(f);
	return ret;
}

long sys_sendmsg(struct task *t, const uint64_t a[6])
{
	struct k_msghdr mh;

	if (mm_copy_in(t->mm, &mh, a[1], sizeof(mh)))
		return -EFAULT;
	return do_sendmsg(t, a[0], &mh, (int)a[2]);
}

long sys_recvmsg(struct task *t, const uint64_t a[6])
{
	struct k_msghdr mh;
	long ret;

	if (mm_copy_in(t->mm, &mh, a[1], sizeof(mh)))
		return -EFAULT;
	ret = do_recvmsg(t, a[0], &mh, (int)a[2]);
	if (ret >= 0 && mm_copy_out(t->mm, a[1], &mh, sizeof(mh)))
		return -EFAULT;
	return ret;
}

long sys_sendto(struct task *t, const uint64_t a[6])
{
	struct iovec iov = { (void *)(uintptr_t)a[1], a[2] };
	const struct sock_ops *ops;
	struct sockaddr_storage to;
	struct file *f;
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	if ((int)a[3] & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_EOR | MSG_MORE | MSG_CONFIRM))
		ret = -EINVAL;
	else if (a[4] && (ret = get_addr(t, a[4], a[5], &to)))
		;
	else
		ret = ops->sendmsg(t, f, &iov, 1, NULL, 0, (int)a[3],
				   a[4] ? (struct sockaddr *)&to : NULL, (socklen_t)a[5]);
	file_put(f);
	return ret;
}

long sys_recvfrom(struct task *t, const uint64_t a[6])
{
	struct iovec iov = { (void *)(uintptr_t)a[1], a[2] };
	struct unix_rights rights = { NULL, 0 };
	const struct sock_ops *ops;
	struct file *f;
	int mflags, flags = (int)a[3];
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	if (flags & ~(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_CMSG_CLOEXEC |
		      MSG_NOSIGNAL)) {
		file_put(f);
		return -EINVAL;
	}
	struct sockaddr_storage from;
	socklen_t fromlen;
	ret = ops->recvmsg(t, f, &iov, 1, &rights, NULL, flags, &mflags, &from, &fromlen);
	/* Descriptors received without a control buffer are dropped. */
	for (int i = 0; i < rights.nfds; i++)
		file_put(rights.fds[i]);
	free(rights.fds);
	file_put(f);
	if (ret >= 0 && a[5]) {
		long err = put_addr(t, a[4], a[5], &from, fromlen);
		if (err)
			return err;
	}
	return ret;
}

/* sendmmsg/recvmmsg: struct mmsghdr is a msghdr and a count. */
struct k_mmsghdr {
	struct k_msghdr hdr;
	uint32_t len, pad;
};

long sys_sendmmsg(struct task *t, const uint64_t a[6])
{
	unsigned n = (unsigned)MIN(a[2], (uint64_t)IOV_MAX_K);
	long sent = 0;

	for (unsigned i = 0; i < n; i++) {
		struct k_mmsghdr m;
		uint64_t at = a[1] + i * sizeof(m);
		if (mm_copy_in(t->mm, &m, at, sizeof(m)))
			return sent ? sent : -EFAULT;
		long r = do_sendmsg(t, a[0], &m.hdr, (int)a[3]);
		if (r < 0)
			return sent ? sent : r;
		m.len = (uint32_t)r;
		if (mm_copy_out(t->mm, at + offsetof(struct k_mmsghdr, len), &m.len, sizeof(m.len)))
			return sent ? sent : -EFAULT;
		sent++;
	}
	return sent;
}

static long recvmmsg_loop(struct task *t, const uint64_t a[6], unsigned n, int flags,
			  struct timespec *left, uint64_t end)
{
	long got = 0;

	for (unsigned i = 0; i < n; i++) {
		struct k_mmsghdr m;
		uint64_t at = a[1] + i * sizeof(m);
		if (mm_copy_in(t->mm, &m, at, sizeof(m)))
			return got ? got : -EFAULT;
		/* Linux: MSG_WAITFORONE makes the rest non-blocking. */
		int fl = flags & ~MSG_WAITFORONE;
		if (got && (flags & MSG_WAITFORONE))
			fl |= MSG_DONTWAIT;
		long r = do_recvmsg(t, a[0], &m.hdr, fl);
		if (r < 0)
			return got ? got : r;
		m.len = (uint32_t)r;
		if (mm_copy_out(t->mm, at, &m, sizeof(m)))
			return got ? got : -EFAULT;
		got++;
		if (left) {
			uint64_t now = moat_now_ns(), rem = end > now ? end - now : 0;
			left->tv_sec = (time_t)(rem / 1000000000ULL);
			left->tv_nsec = (long)(rem % 1000000000ULL);
			if (!rem)
				break;
		}
	}
	return got;
}

/*
 * Linux: net/socket.c do_recvmmsg.  The timeout is looked at only after
 * each datagram (a receive still blocks as long as it would); the time
 * left is written back when datagrams came (__sys_recvmmsg).
 */
long sys_recvmmsg(struct task *t, const uint64_t a[6])
{
	unsigned n = (unsigned)MIN(a[2], (uint64_t)IOV_MAX_K);
	int flags = (int)a[3];
	long got = 0;
	struct timespec left;
	uint64_t end = 0;

	if (a[4]) {
		if (mm_copy_in(t->mm, &left, a[4], sizeof(left)))
			return -EFAULT;
		if (left.tv_sec < 0 || left.tv_nsec < 0 || left.tv_nsec >= 1000000000L)
			return -EINVAL;
		uint64_t ns = (uint64_t)left.tv_sec >= UINT64_MAX / 1000000000ULL / 2 ? UINT64_MAX / 2
			      : (uint64_t)left.tv_sec * 1000000000ULL + (uint64_t)left.tv_nsec;
		end = moat_now_ns() + ns;
	}
	got = recvmmsg_loop(t, a, n, flags, a[4] ? &left : NULL, end);
	if (got > 0 && a[4] && mm_copy_out(t->mm, a[4], &left, sizeof(left)))
		return -EFAULT;
	return got;
}

long sys_shutdown(struct task *t, const uint64_t a[6])
{
	const struct sock_ops *ops;
	struct file *f;
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	ret = ops->shutdown(f, (int)a[1]);
	file_put(f);
	return ret;
}

long sys_getsockopt(struct task *t, const uint64_t a[6])
{
	const struct sock_ops *ops;
	struct file *f;
	int level = (int)a[1], name = (int)a[2], val = 0;
	struct ucred cred;
	uint32_t len;
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	if (mm_copy_in(t->mm, &len, a[4], sizeof(len))) {
		file_put(f);
		return -EFAULT;
	}
	if ((int32_t)len < 0) {
		file_put(f);
		return -EINVAL;
	}
	ret = ops->getsockopt(t, f, level, name, len, &val, &cred);
	file_put(f);
	if (ret)
		return ret;
	if (level == SOL_SOCKET && name == SO_PEERCRED) {
		len = MIN(len, (uint32_t)sizeof(cred));
		ret = mm_copy_out(t->mm, a[3], &cred, len);
	} else {
		len = MIN(len, (uint32_t)sizeof(val));
		ret = mm_copy_out(t->mm, a[3], &val, len);
	}
	if (ret || mm_copy_out(t->mm, a[4], &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

long sys_setsockopt(struct task *t, const uint64_t a[6])
{
	const struct sock_ops *ops;
	struct file *f;
	int level = (int)a[1], name = (int)a[2], val = 0;
	uint64_t timeo = 0;
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	if (level != SOL_SOCKET && ops->family == AF_UNIX) {
		/* Linux: unix sockets have no protocol options, and say so
		 * before looking at the value (__sys_setsockopt). */
		ret = -EOPNOTSUPP;
	} else if (level != SOL_SOCKET) {
		/* A protocol's options: an int, 0 when shorter (as netlink). */
		if ((uint32_t)a[4] >= sizeof(int) && mm_copy_in(t->mm, &val, a[3], sizeof(val)))
			ret = -EFAULT;
	} else if (name == SO_RCVTIMEO || name == SO_SNDTIMEO) {
		struct timeval tv;
		if (a[4] < sizeof(tv) || mm_copy_in(t->mm, &tv, a[3], sizeof(tv)))
			ret = a[4] < sizeof(tv) ? -EINVAL : -EFAULT;
		else if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			ret = -EDOM;
		else if (tv.tv_sec >= 0)
			timeo = (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000;
	} else if (name == SO_LINGER) {
		if (a[4] < 2 * sizeof(int))
			ret = -EINVAL;
	} else {
		if (a[4] < sizeof(int))
			ret = -EINVAL;
		else if (mm_copy_in(t->mm, &val, a[3], sizeof(val)))
			ret = -EFAULT;
	}
	if (!ret)
		ret = ops->setsockopt(t, f, level, name, val, (uint32_t)a[4], timeo);
	file_put(f);
	return ret;
}

static long name_of(struct task *t, const uint64_t a[6], bool peer)
{
	const struct sock_ops *ops;
	struct sockaddr_storage addr;
	socklen_t len;
	struct file *f;
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	ret = ops->name(f, peer, &addr, &len);
	file_put(f);
	if (ret)
		return ret;
	if (!a[2])
		return -EFAULT;
	return put_addr(t, a[1], a[2], &addr, len);
}

long sys_getsockname(struct task *t, const uint64_t a[6]) { return name_of(t, a, false); }
long sys_getpeername(struct task *t, const uint64_t a[6]) { return name_of(t, a, true); }

/* bind and connect: a socket and a name. */
static long to_addr(struct task *t, const uint64_t a[6], bool connect)
{
	const struct sock_ops *ops;
	struct sockaddr_storage addr;
	struct file *f;
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	ret = get_addr(t, a[1], a[2], &addr);
	if (!ret)
		ret = (connect ? ops->connect : ops->bind)(t, f, (struct sockaddr *)&addr,
							  (socklen_t)a[2]);
	file_put(f);
	return ret;
}

long sys_bind(struct task *t, const uint64_t a[6]) { return to_addr(t, a, false); }
long sys_connect(struct task *t, const uint64_t a[6]) { return to_addr(t, a, true); }

long sys_listen(struct task *t, const uint64_t a[6])
{
	const struct sock_ops *ops;
	struct file *f;
	long ret = sock_get(t, a[0], &f, &ops);

	if (ret)
		return ret;
	ret = ops->listen(f, (int)a[1]);
	file_put(f);
	return ret;
}

static long do_accept(struct task *t, const uint64_t a[6], int flags)
{
	const struct sock_ops *ops;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct file *f, *nf;
	long ret, fd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	ret = sock_get(t, a[0], &f, &ops);
	if (ret)
		return ret;
	ret = ops->accept(t, f, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0, &nf, &peer, &peerlen);
	file_put(f);
	if (ret)
		return ret == -EINTR ? -ERESTARTSYS : ret;
	fd = fdtable_install(t->fdt, nf, 0, (flags & SOCK_CLOEXEC) ? FD_CLOEXEC : 0,
			     t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
	if (fd < 0) {
		file_put(nf);
		return fd;
	}
	if (a[1] || a[2]) {
		ret = put_addr(t, a[1], a[2], &peer, peerlen);
		if (ret) {
			fdtable_close(t->fdt, (int)fd);
			return ret;
		}
	}
	return fd;
}

long sys_accept(struct task *t, const uint64_t a[6]) { return do_accept(t, a, 0); }
long sys_accept4(struct task *t, const uint64_t a[6]) { return do_accept(t, a, (int)a[3]); }

/* read/write/readv/writev on a socket (sys_io.c). */
long sock_rw(struct task *t, struct file *f, const struct iovec *iov, long cnt, bool write)
{
	struct unix_rights rights = { NULL, 0 };
	int mflags;
	long ret;

	/* The iovec holds application addresses, as sock_ops expect. */
	if (write)
		return sock_of(f)->sendmsg(t, f, iov, (int)cnt, NULL, 0, 0, NULL, 0);
	ret = sock_of(f)->recvmsg(t, f, iov, (int)cnt, &rights, NULL, 0, &mflags, NULL, NULL);
	for (int i = 0; i < rights.nfds; i++)
		file_put(rights.fds[i]);
	free(rights.fds);
	return ret;
}
