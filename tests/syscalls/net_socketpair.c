/*
 * net_socketpair.c - AF_UNIX socketpair (no bind/connect/listen/accept):
 *   - SOCK_STREAM: read/write and send/recv both ways, partial reads,
 *     merging of sends, MSG_PEEK, MSG_DONTWAIT and SOCK_NONBLOCK (EAGAIN,
 *     also for a 0-byte recv), zero-length sends, FIONREAD, SOCK_CLOEXEC,
 *     a 1 MiB transfer from a child in chunks;
 *   - closing one end: pending data then EOF, EPIPE for sends (SIGPIPE
 *     unless MSG_NOSIGNAL); shutdown(SHUT_WR) gives the peer EOF while the
 *     other direction keeps working; shutdown EINVAL/ENOTSOCK/EBADF and
 *     ENOTSOCK for the socket calls on a pipe;
 *   - sendmsg/recvmsg scatter/gather; SCM_RIGHTS within the process and to
 *     a forked child (MSG_CMSG_CLOEXEC, which Linux also echoes in
 *     msg_flags), EBADF for a bad fd, EINVAL for an unknown SOL_SOCKET
 *     cmsg type, MSG_CTRUNC for a short control buffer (the fds that did
 *     not fit are closed);
 *   - SOCK_DGRAM and SOCK_SEQPACKET: message boundaries, truncation
 *     (MSG_TRUNC in msg_flags, and as a recv flag the full length), zero
 *     length messages, FIONREAD (first datagram vs. all of SEQPACKET),
 *     what a closed peer means for each;
 *   - poll/epoll: POLLOUT, POLLIN, POLLIN|POLLHUP|POLLRDHUP after close;
 *   - SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, SO_RCVBUF/SO_SNDBUF,
 *     SO_PEERCRED (the creator, also seen from a child), getsockname and
 *     getpeername (just sun_family);
 *   - socketpair errors: EINVAL, ESOCKTNOSUPPORT, EPROTONOSUPPORT,
 *     EOPNOTSUPP (AF_INET), EAFNOSUPPORT, EFAULT (no fds leaked); SOCK_RAW
 *     quietly becomes SOCK_DGRAM; protocol 1 (PF_UNIX) is accepted.
 *
 * No timing assumptions: every blocking call is matched by a peer that
 * will eventually satisfy it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define BIG (1 << 20)

static int pair(int type, int sv[2])
{
	sv[0] = sv[1] = -1;
	return CHECK_OK(socketpair(AF_UNIX, type, 0, sv));
}

static void closepair(int sv[2])
{
	CHECK_OK(close(sv[0]));
	CHECK_OK(close(sv[1]));
}

static short revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static int inq(int fd)
{
	int n = -1;

	if (ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

static int getint(int fd, int opt)
{
	int v = -12345;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt, &v, &l) < 0)
		return -12345;
	if (l != sizeof(v))
		return -54321;
	return v;
}

/* Send one byte plus the given fds as SCM_RIGHTS. */
static ssize_t send_fds(int s, const int *fds, int n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct iovec iov = { "F", 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = CMSG_SPACE(n * sizeof(int));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	return sendmsg(s, &m, 0);
}

/*
 * Receive one byte and up to 4 fds with a control buffer of ctl bytes;
 * returns the number of fds received (into fds), or -1. *flags gets
 * msg_flags.
 */
static int recv_fds(int s, int *fds, size_t ctl, int rflags, int *flags)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	char b = 0;
	struct iovec iov = { &b, 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *c;
	int n = 0;

	memset(&u, 0, sizeof(u));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl ? u.buf : NULL;
	m.msg_controllen = ctl;
	if (!CHECK_EQ(recvmsg(s, &m, rflags), 1))
		return -1;
	CHECK_EQ(b, 'F');
	*flags = m.msg_flags;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (!CHECK_EQ(c->cmsg_level, SOL_SOCKET) ||
		    !CHECK_EQ(c->cmsg_type, SCM_RIGHTS))
			return -1;
		int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (!CHECK(k >= 0 && n + k <= 4))
			return -1;
		memcpy(fds + n, CMSG_DATA(c), k * sizeof(int));
		n += k;
	}
	return n;
}

static void test_stream_basic(void)
{
	int sv[2];
	char buf[64];

	if (!pair(SOCK_STREAM, sv))
		return;
	CHECK_EQ(fcntl(sv[0], F_GETFD), 0);
	CHECK_EQ(fcntl(sv[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
	CHECK_EQ(fcntl(sv[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);

	/* Both directions, with read/write and send/recv. */
	CHECK_EQ(write(sv[0], "ping", 4), 4);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK_EQ(write(sv[1], "pong!", 5), 5);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "pong!", 5) == 0);
	CHECK_EQ(send(sv[0], "abc", 3, 0), 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);
	CHECK_EQ(send(sv[1], "xyz", 3, 0), 3);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 3);
	CHECK(memcmp(buf, "xyz", 3) == 0);

	/* Empty: MSG_DONTWAIT is EAGAIN, even for a 0-byte buffer. */
	CHECK_ERR(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_ERR(recv(sv[1], buf, 0, MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(inq(sv[1]), 0);

	/* A zero-length send queues nothing on a stream. */
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(write(sv[0], "", 0), 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);

	/* Partial reads: the rest stays, in order. */
	CHECK_EQ(write(sv[0], "0123456789", 10), 10);
	CHECK_EQ(inq(sv[1]), 10);
	CHECK_EQ(read(sv[1], buf, 3), 3);
	CHECK(memcmp(buf, "012", 3) == 0);
	CHECK_EQ(inq(sv[1]), 7);
	/* With data waiting, a 0-byte recv returns 0 and takes nothing. */
	CHECK_EQ(recv(sv[1], buf, 0, MSG_DONTWAIT), 0);
	CHECK_EQ(read(sv[1], buf, 4), 4);
	CHECK(memcmp(buf, "3456", 4) == 0);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "789", 3) == 0);

	/* Stream merging: two sends, one recv gets both. */
	CHECK_EQ(send(sv[0], "hello ", 6, 0), 6);
	CHECK_EQ(send(sv[0], "world", 5, 0), 5);
	CHECK_EQ(inq(sv[1]), 11);
	/* MSG_PEEK: the data stays. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, 4, MSG_PEEK), 4);
	CHECK(memcmp(buf, "hell", 4) == 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 11);
	CHECK(memcmp(buf, "hello world", 11) == 0);
	CHECK_EQ(inq(sv[1]), 11);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 11);
	CHECK(memcmp(buf, "hello world", 11) == 0);
	CHECK_EQ(inq(sv[1]), 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);

	/* readv/writev on the socket. */
	char a[3], b[5];
	struct iovec wv[2] = { { "ABCD", 4 }, { "EFGH", 4 } };
	struct iovec rv[2] = { { a, 3 }, { b, 5 } };
	CHECK_EQ(writev(sv[1], wv, 2), 8);
	CHECK_EQ(readv(sv[0], rv, 2), 8);
	CHECK(memcmp(a, "ABC", 3) == 0 && memcmp(b, "DEFGH", 5) == 0);
	closepair(sv);
}

static void test_flags(void)
{
	int sv[2];
	char c;

	if (pair(SOCK_STREAM | SOCK_NONBLOCK, sv)) {
		CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_EQ(fcntl(sv[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_EQ(fcntl(sv[0], F_GETFD), 0);
		CHECK_ERR(read(sv[0], &c, 1), EAGAIN);
		CHECK_ERR(recv(sv[1], &c, 1, 0), EAGAIN);
		CHECK_EQ(write(sv[1], "q", 1), 1);
		CHECK_EQ(read(sv[0], &c, 1), 1);
		CHECK_EQ(c, 'q');
		closepair(sv);
	}
	if (pair(SOCK_DGRAM | SOCK_NONBLOCK, sv)) {
		CHECK_ERR(read(sv[0], &c, 1), EAGAIN);
		closepair(sv);
	}
	if (pair(SOCK_STREAM | SOCK_CLOEXEC, sv)) {
		CHECK_EQ(fcntl(sv[0], F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(sv[1], F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
		closepair(sv);
	}
	if (pair(SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, sv)) {
		CHECK_EQ(fcntl(sv[1], F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(sv[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_EQ(getint(sv[1], SO_TYPE), SOCK_SEQPACKET);
		CHECK_ERR(recv(sv[1], &c, 1, 0), EAGAIN);
		closepair(sv);
	}
}

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 31 + (i >> 11));
}

static void test_stream_big(void)
{
	static unsigned char chunk[7001];
	int sv[2];
	pid_t pid;

	if (!pair(SOCK_STREAM, sv))
		return;
	pid = xfork();
	if (pid == 0) {
		size_t off = 0, n;
		ssize_t w;
		int k = 0;

		close(sv[0]);
		/* Chunks of varying size, each written fully. */
		while (off < BIG) {
			n = 1000 + (k++ * 977) % 6001;
			if (n > BIG - off)
				n = BIG - off;
			for (size_t i = 0; i < n; i++)
				chunk[i] = pat(off + i);
			for (size_t done = 0; done < n; done += w) {
				w = write(sv[1], chunk + done, n - done);
				if (!CHECK(w > 0))
					_exit(1);
			}
			off += n;
		}
		_exit(check_done());
	}
	CHECK_OK(close(sv[1]));
	size_t total = 0, bad = 0;
	ssize_t r;
	while ((r = read(sv[0], chunk, 4093)) > 0) {
		for (ssize_t i = 0; i < r; i++)
			if (chunk[i] != pat(total + i))
				bad++;
		total += r;
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(total, BIG);
	CHECK_EQ(bad, 0);
	CHECK_EQ(reap(pid), 0);
	/* The writer is gone: EOF again. */
	CHECK_EQ(read(sv[0], chunk, 1), 0);
	CHECK_OK(close(sv[0]));
}

static volatile int sigpipes;
static void on_pipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void test_close(void)
{
	struct sigaction sa, old;
	int sv[2];
	char buf[16];

	if (!pair(SOCK_STREAM, sv))
		return;
	/* Data sent before the close is still delivered, then EOF. */
	CHECK_EQ(send(sv[1], "bye", 3, 0), 3);
	CHECK_OK(close(sv[1]));
	CHECK_EQ(inq(sv[0]), 3);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "bye", 3) == 0);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 0);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), 0);

	/* Sending to a closed peer: EPIPE, SIGPIPE unless MSG_NOSIGNAL. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_pipe;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGPIPE, &sa, &old));
	sigpipes = 0;
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(sigpipes, 0);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_EQ(sigpipes, 1);
	CHECK_ERR(write(sv[0], "x", 1), EPIPE);
	CHECK_EQ(sigpipes, 2);
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_ERR(sendmsg(sv[0], &m, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(sigpipes, 2);
	CHECK_ERR(sendmsg(sv[0], &m, 0), EPIPE);
	CHECK_EQ(sigpipes, 3);
	CHECK_OK(sigaction(SIGPIPE, &old, NULL));
	CHECK_EQ(getint(sv[0], SO_ERROR), 0);
	CHECK_OK(close(sv[0]));
}

static void test_shutdown(void)
{
	int sv[2], p[2];
	char buf[16];

	if (!pair(SOCK_STREAM, sv))
		return;
	CHECK_EQ(send(sv[0], "last", 4, 0), 4);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	/* The peer gets the data, then EOF (again and again). */
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 4);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	/* The shut-down side can no longer send. */
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	/* The other direction still works. */
	CHECK_EQ(send(sv[1], "back", 4, 0), 4);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "back", 4) == 0);
	CHECK_ERR(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* The peer sees the half close in poll. */
	CHECK_EQ(revents(sv[1], POLLIN | POLLOUT | POLLRDHUP),
		 POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(revents(sv[0], POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
	/* Shutting down the rest: both ends hang up. */
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 0);
	CHECK_EQ(revents(sv[0], POLLIN) & (POLLIN | POLLHUP), POLLIN | POLLHUP);

	/* Bad how, non-socket, bad fd. */
	CHECK_ERR(shutdown(sv[0], 3), EINVAL);
	CHECK_ERR(shutdown(sv[0], -1), EINVAL);
	CHECK_ERR(shutdown(sv[0], 1000), EINVAL);
	CHECK_OK(shutdown(sv[0], SHUT_RDWR));
	closepair(sv);

	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_ERR(shutdown(p[0], SHUT_RDWR), ENOTSOCK);
	CHECK_ERR(shutdown(p[1], SHUT_WR), ENOTSOCK);
	int dead = dup(p[0]);
	if (CHECK(dead >= 0)) {
		CHECK_OK(close(dead));
		CHECK_ERR(shutdown(dead, SHUT_RDWR), EBADF);
	}

	/* The other socket calls on a pipe are ENOTSOCK too. */
	struct sockaddr_un a;
	socklen_t l = sizeof(a);
	int v = 1;
	struct iovec iov = { buf, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_ERR(recv(p[0], buf, 1, 0), ENOTSOCK);
	CHECK_ERR(recv(p[0], buf, 1, MSG_DONTWAIT), ENOTSOCK);
	CHECK_ERR(recvmsg(p[0], &m, 0), ENOTSOCK);
	CHECK_ERR(send(p[1], "x", 1, 0), ENOTSOCK);
	CHECK_ERR(sendmsg(p[1], &m, 0), ENOTSOCK);
	CHECK_ERR(getsockname(p[0], (struct sockaddr *)&a, &l), ENOTSOCK);
	CHECK_ERR(getpeername(p[0], (struct sockaddr *)&a, &l), ENOTSOCK);
	l = sizeof(v);
	CHECK_ERR(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &l), ENOTSOCK);
	CHECK_ERR(setsockopt(p[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)),
		  ENOTSOCK);
	/* ... and the byte is still in the pipe. */
	CHECK_EQ(read(p[0], buf, 2), 1);
	CHECK_EQ(buf[0], 'z');
	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
}

static void test_iov(void)
{
	int sv[2];
	char a[4], b[10], c[3];

	if (!pair(SOCK_STREAM, sv))
		return;
	/* Gather three pieces (one empty), scatter into two. */
	struct iovec wv[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
	struct msghdr m = { .msg_iov = wv, .msg_iovlen = 3 };
	CHECK_EQ(sendmsg(sv[0], &m, 0), 8);
	struct iovec rv[2] = { { a, 4 }, { b, 10 } };
	struct msghdr r = { .msg_iov = rv, .msg_iovlen = 2 };
	memset(b, 0, sizeof(b));
	CHECK_EQ(recvmsg(sv[1], &r, 0), 8);
	CHECK(memcmp(a, "abcd", 4) == 0 && memcmp(b, "efgh", 4) == 0);
	CHECK_EQ(r.msg_flags, 0);
	CHECK_EQ(r.msg_controllen, 0);

	/* A short scatter list takes what fits; the rest stays. */
	CHECK_EQ(sendmsg(sv[0], &m, 0), 8);
	struct iovec sv2[2] = { { a, 2 }, { c, 3 } };
	r.msg_iov = sv2;
	CHECK_EQ(recvmsg(sv[1], &r, 0), 5);
	CHECK(memcmp(a, "ab", 2) == 0 && memcmp(c, "cde", 3) == 0);
	CHECK_EQ(r.msg_flags, 0);
	CHECK_EQ(recv(sv[1], b, sizeof(b), 0), 3);
	CHECK(memcmp(b, "fgh", 3) == 0);
	closepair(sv);

	/* Datagrams: one sendmsg is one message, however many iovecs. */
	if (!pair(SOCK_DGRAM, sv))
		return;
	m.msg_iov = wv;
	CHECK_EQ(sendmsg(sv[1], &m, 0), 8);
	CHECK_EQ(sendmsg(sv[1], &m, 0), 8);
	r.msg_iov = rv;
	memset(b, 0, sizeof(b));
	CHECK_EQ(recvmsg(sv[0], &r, 0), 8);
	CHECK(memcmp(a, "abcd", 4) == 0 && memcmp(b, "efgh", 4) == 0);
	CHECK_EQ(r.msg_flags, 0);
	r.msg_iov = sv2;
	CHECK_EQ(recvmsg(sv[0], &r, 0), 5);
	CHECK_EQ(r.msg_flags, MSG_TRUNC);
	CHECK_ERR(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), EAGAIN);
	closepair(sv);
}

static void test_rights_local(void)
{
	int sv[2], p[2], fds[4], flags = -1, n;
	struct stat s1, s2;
	char c;

	if (!pair(SOCK_STREAM, sv))
		return;
	if (!CHECK_OK(pipe(p)))
		return;

	/* One fd: a new number for the same pipe, no FD_CLOEXEC. */
	CHECK_EQ(send_fds(sv[0], &p[0], 1), 1);
	n = recv_fds(sv[1], fds, CMSG_SPACE(sizeof(int)), 0, &flags);
	if (CHECK_EQ(n, 1)) {
		CHECK_EQ(flags, 0);
		CHECK(fds[0] != p[0] && fds[0] != p[1] && fds[0] != sv[0] &&
		      fds[0] != sv[1] && fds[0] >= 0);
		CHECK_EQ(fcntl(fds[0], F_GETFD), 0);
		CHECK_OK(fstat(p[0], &s1));
		CHECK_OK(fstat(fds[0], &s2));
		CHECK(S_ISFIFO(s2.st_mode));
		CHECK(s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
		CHECK_EQ(write(p[1], "k", 1), 1);
		CHECK_EQ(read(fds[0], &c, 1), 1);
		CHECK_EQ(c, 'k');
		CHECK_OK(close(fds[0]));
	}

	/* Two fds in one message; MSG_CMSG_CLOEXEC marks both. */
	CHECK_EQ(send_fds(sv[0], p, 2), 1);
	n = recv_fds(sv[1], fds, CMSG_SPACE(2 * sizeof(int)),
		     MSG_CMSG_CLOEXEC, &flags);
	if (CHECK_EQ(n, 2)) {
		/* Linux echoes MSG_CMSG_CLOEXEC back in msg_flags. */
		CHECK_EQ(flags, MSG_CMSG_CLOEXEC);
		CHECK(fds[0] != fds[1]);
		CHECK_EQ(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(fds[1], F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
		CHECK_EQ(fcntl(fds[1], F_GETFL) & O_ACCMODE, O_WRONLY);
		CHECK_EQ(write(fds[1], "m", 1), 1);
		CHECK_EQ(read(p[0], &c, 1), 1);
		CHECK_EQ(c, 'm');
		CHECK_OK(close(fds[0]));
		CHECK_OK(close(fds[1]));
	}

	/* Bad fds: EBADF, and nothing is sent. */
	int bad = -1;
	CHECK_ERR(send_fds(sv[0], &bad, 1), EBADF);
	bad = dup(p[0]);
	if (CHECK(bad >= 0)) {
		CHECK_OK(close(bad));
		CHECK_ERR(send_fds(sv[0], &bad, 1), EBADF);
		int two[2] = { p[0], bad };
		CHECK_ERR(send_fds(sv[0], two, 2), EBADF);
	}
	CHECK_ERR(recv(sv[1], &c, 1, MSG_DONTWAIT), EAGAIN);

	/* An unknown SOL_SOCKET control message is EINVAL. */
	{
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} u;
		struct iovec iov = { "F", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);

		memset(&u, 0, sizeof(u));
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = 99;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &p[0], sizeof(int));
		CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
		CHECK_ERR(recv(sv[1], &c, 1, MSG_DONTWAIT), EAGAIN);
	}

	/*
	 * Control buffer too small: MSG_CTRUNC. CMSG_LEN(sizeof(int)) has
	 * room for one of the two fds; the one that did not fit is closed.
	 */
	CHECK_EQ(send_fds(sv[0], p, 2), 1);
	n = recv_fds(sv[1], fds, CMSG_LEN(sizeof(int)), 0, &flags);
	if (CHECK_EQ(n, 1)) {
		CHECK_EQ(flags, MSG_CTRUNC);
		CHECK_OK(fstat(fds[0], &s2));
		CHECK(s1.st_ino == s2.st_ino);
		CHECK_EQ(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
		CHECK_OK(close(fds[0]));
	}
	/* No control buffer at all: MSG_CTRUNC, no fd. */
	CHECK_EQ(send_fds(sv[0], &p[1], 1), 1);
	n = recv_fds(sv[1], fds, 0, 0, &flags);
	CHECK_EQ(n, 0);
	CHECK_EQ(flags, MSG_CTRUNC);
	/*
	 * The dropped write ends were closed: once ours goes, the pipe
	 * reads EOF.
	 */
	CHECK_OK(close(p[1]));
	CHECK_EQ(read(p[0], &c, 1), 0);
	CHECK_OK(close(p[0]));
	closepair(sv);
}

static void test_rights_child(void)
{
	int sv[2], p[2];
	pid_t pid;

	if (!pair(SOCK_STREAM, sv))
		return;
	pid = xfork();
	if (pid == 0) {
		int fds[4], flags = -1, n;
		char buf[16];
		struct stat st;

		close(sv[0]);
		/* The pipe did not exist at fork: the fd is new here. */
		n = recv_fds(sv[1], fds, CMSG_SPACE(sizeof(int)),
			     MSG_CMSG_CLOEXEC, &flags);
		if (CHECK_EQ(n, 1)) {
			CHECK_EQ(flags, MSG_CMSG_CLOEXEC);
			CHECK(fds[0] >= 0 && fds[0] != sv[1]);
			CHECK_EQ(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
			CHECK_OK(fstat(fds[0], &st));
			CHECK(S_ISFIFO(st.st_mode));
			/* Written by the parent after the send. */
			memset(buf, 0, sizeof(buf));
			CHECK_EQ(read(fds[0], buf, 5), 5);
			CHECK(memcmp(buf, "hello", 5) == 0);
			CHECK_EQ(read(fds[0], buf, sizeof(buf)), 0);
			CHECK_EQ(send(sv[1], "ok", 2, 0), 2);
		}
		_exit(check_done());
	}
	CHECK_OK(close(sv[1]));
	if (CHECK_OK(pipe(p))) {
		CHECK_EQ(send_fds(sv[0], &p[0], 1), 1);
		CHECK_OK(close(p[0]));
		CHECK_EQ(write(p[1], "hello", 5), 5);
		CHECK_OK(close(p[1]));
	}
	char buf[4] = { 0 };
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), MSG_WAITALL), 2);
	CHECK(memcmp(buf, "ok", 2) == 0);
	CHECK_EQ(reap(pid), 0);
	CHECK_OK(close(sv[0]));
}

static void test_msgs(int type)
{
	int sv[2], v;
	char buf[32];

	if (!pair(type, sv))
		return;
	CHECK_EQ(getint(sv[0], SO_TYPE), type);

	/* Boundaries: two sends, two recvs. */
	CHECK_EQ(send(sv[0], "first", 5, 0), 5);
	CHECK_EQ(send(sv[0], "second!", 7, 0), 7);
	/* FIONREAD: the next datagram for DGRAM, all of it for SEQPACKET. */
	CHECK_EQ(inq(sv[1]), type == SOCK_DGRAM ? 5 : 12);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 5);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "first", 5) == 0);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 7);
	CHECK(memcmp(buf, "second!", 7) == 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(inq(sv[1]), 0);
	/* The other direction. */
	CHECK_EQ(write(sv[1], "rev", 3), 3);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 3);
	CHECK(memcmp(buf, "rev", 3) == 0);

	/* Truncation: the rest of the message is gone. */
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	CHECK_EQ(send(sv[0], "next", 4, 0), 4);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, 4, 0), 4);
	CHECK(memcmp(buf, "0123", 4) == 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "next", 4) == 0);

	/* recvmsg reports it in msg_flags. */
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	struct iovec iov = { buf, 6 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recvmsg(sv[1], &m, 0), 6);
	CHECK_EQ(m.msg_flags, MSG_TRUNC);
	CHECK(memcmp(buf, "012345", 6) == 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* A message that fits: no MSG_TRUNC. */
	CHECK_EQ(send(sv[0], "012345", 6, 0), 6);
	m.msg_flags = -1;
	CHECK_EQ(recvmsg(sv[1], &m, 0), 6);
	CHECK_EQ(m.msg_flags, 0);

	/* MSG_TRUNC as a recv flag: the real length is returned. */
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, 3, MSG_TRUNC), 10);
	CHECK(memcmp(buf, "012", 3) == 0 && buf[3] == 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* ... and with MSG_PEEK it stays. */
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	CHECK_EQ(recv(sv[1], buf, 0, MSG_TRUNC | MSG_PEEK), 10);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 10);

	/* Zero-length messages are real messages. */
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(send(sv[0], "z", 1, 0), 1);
	CHECK_EQ(revents(sv[1], POLLIN) & POLLIN, POLLIN);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 1);
	CHECK_EQ(buf[0], 'z');
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);

	/* Closing the peer. */
	CHECK_EQ(send(sv[0], "tail", 4, 0), 4);
	CHECK_OK(close(sv[0]));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 4);
	if (type == SOCK_SEQPACKET) {
		/* Like a stream: EOF, EPIPE. */
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
		CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
		CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
		CHECK_EQ(revents(sv[1], POLLIN) & (POLLIN | POLLHUP),
			 POLLIN | POLLHUP);
	} else {
		/*
		 * Datagrams have no EOF; the first send to the dead peer is
		 * ECONNREFUSED and disconnects, later ones are ENOTCONN.
		 */
		CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), ECONNREFUSED);
		CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), ENOTCONN);
		CHECK_EQ(revents(sv[1], POLLIN), 0);
	}
	v = getint(sv[1], SO_ERROR);
	CHECK_EQ(v, 0);
	CHECK_OK(close(sv[1]));
}

/* A stream writer that filled the buffer is writable again only once what
 * it has in flight drained to a quarter (Linux: unix_writable), not after
 * every read that frees a little room. */
static void test_writable_hysteresis(void)
{
	static char buf[4096];
	int sv[2];
	long total = 0, n;

	if (!pair(SOCK_STREAM, sv))
		return;
	CHECK_OK(fcntl(sv[1], F_SETFL, O_NONBLOCK));
	while ((n = write(sv[1], buf, sizeof(buf))) > 0)
		total += n;
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK(total >= 16 * (long)sizeof(buf));
	CHECK_EQ(revents(sv[1], POLLOUT), 0);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), (long)sizeof(buf));
	total -= (long)sizeof(buf);
	CHECK_EQ(revents(sv[1], POLLOUT), 0);
	/* Drain it all: writable. */
	while (total > 0 && (n = read(sv[0], buf, sizeof(buf))) > 0)
		total -= n;
	CHECK_EQ(total, 0);
	CHECK_EQ(revents(sv[1], POLLOUT), POLLOUT);
	close(sv[0]);
	close(sv[1]);
}

static void test_poll(void)
{
	int sv[2], ep;
	char buf[8];
	struct epoll_event e;

	if (!pair(SOCK_STREAM, sv))
		return;
	/* Fresh: writable, not readable. */
	CHECK_EQ(revents(sv[0], POLLIN | POLLOUT), POLLOUT);
	CHECK_EQ(revents(sv[0], POLLIN), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!CHECK(ep >= 0))
		return;
	e.events = EPOLLIN | EPOLLRDHUP;
	e.data.u64 = 0x1234;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e));
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0);

	/* Peer writes: readable. */
	CHECK_EQ(write(sv[1], "ab", 2), 2);
	CHECK_EQ(revents(sv[0], POLLIN | POLLOUT), POLLIN | POLLOUT);
	memset(&e, 0, sizeof(e));
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 1);
	CHECK_EQ(e.events, EPOLLIN);
	CHECK_EQ(e.data.u64, 0x1234);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 2);
	CHECK_EQ(revents(sv[0], POLLIN | POLLOUT), POLLOUT);
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0);

	/* Peer closes: hang-up, and readable (read returns 0). */
	CHECK_OK(close(sv[1]));
	CHECK_EQ(revents(sv[0], POLLIN | POLLOUT),
		 POLLIN | POLLOUT | POLLHUP);
	CHECK_EQ(revents(sv[0], POLLIN | POLLOUT | POLLRDHUP),
		 POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	/* POLLHUP is reported even when not asked for. */
	CHECK_EQ(revents(sv[0], 0), POLLHUP);
	memset(&e, 0, sizeof(e));
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 1);
	CHECK_EQ(e.events, EPOLLIN | EPOLLHUP | EPOLLRDHUP);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 0);
	/* Still so after the EOF was read. */
	CHECK_EQ(revents(sv[0], POLLIN), POLLIN | POLLHUP);
	CHECK_OK(close(ep));
	CHECK_OK(close(sv[0]));

	/* A blocking poll woken by a child's write. */
	if (!pair(SOCK_STREAM, sv))
		return;
	pid_t pid = xfork();
	if (pid == 0) {
		close(sv[0]);
		CHECK_EQ(write(sv[1], "w", 1), 1);
		_exit(check_done());
	}
	CHECK_OK(close(sv[1]));
	struct pollfd p = { sv[0], POLLIN, 0 };
	CHECK_EQ(poll(&p, 1, 10000), 1);
	CHECK(p.revents & POLLIN);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 1);
	CHECK_EQ(reap(pid), 0);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 0);
	CHECK_OK(close(sv[0]));
}

static void test_sockopt(void)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int sv[2], v;
	socklen_t l;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!pair(types[i], sv))
			continue;
		for (int k = 0; k < 2; k++) {
			CHECK_EQ(getint(sv[k], SO_TYPE), types[i]);
			CHECK_EQ(getint(sv[k], SO_DOMAIN), AF_UNIX);
			CHECK_EQ(getint(sv[k], SO_PROTOCOL), 0);
			CHECK_EQ(getint(sv[k], SO_ERROR), 0);
			CHECK(getint(sv[k], SO_RCVBUF) > 0);
			CHECK(getint(sv[k], SO_SNDBUF) > 0);
		}
		closepair(sv);
	}

	if (!pair(SOCK_STREAM, sv))
		return;
	v = 32768;
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	CHECK(getint(sv[0], SO_SNDBUF) >= 32768);
	v = 40000;
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	CHECK(getint(sv[0], SO_RCVBUF) >= 40000);
	/* SO_TYPE and friends are read-only. */
	v = SOCK_DGRAM;
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof(v)),
		  ENOPROTOOPT);
	CHECK_EQ(getint(sv[0], SO_TYPE), SOCK_STREAM);

	/* SO_PEERCRED: the creator of the pair, on both ends. */
	struct ucred cr;
	for (int k = 0; k < 2; k++) {
		memset(&cr, 0xff, sizeof(cr));
		l = sizeof(cr);
		CHECK_OK(getsockopt(sv[k], SOL_SOCKET, SO_PEERCRED, &cr, &l));
		CHECK_EQ(l, sizeof(cr));
		CHECK_EQ(cr.pid, getpid());
		CHECK_EQ(cr.uid, getuid());
		CHECK_EQ(cr.gid, getgid());
	}
	/* A child holding an end still sees the parent as the peer. */
	pid_t parent = getpid();
	pid_t pid = xfork();
	if (pid == 0) {
		struct ucred c2;
		socklen_t l2 = sizeof(c2);

		CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &c2, &l2));
		CHECK_EQ(c2.pid, parent);
		CHECK(c2.pid != getpid());
		_exit(check_done());
	}
	CHECK_EQ(reap(pid), 0);

	/* getsockname/getpeername: unnamed, just the family. */
	struct sockaddr_un a;
	for (int k = 0; k < 2; k++) {
		memset(&a, 0x55, sizeof(a));
		l = sizeof(a);
		CHECK_OK(getsockname(sv[k], (struct sockaddr *)&a, &l));
		CHECK_EQ(l, sizeof(sa_family_t));
		CHECK_EQ(a.sun_family, AF_UNIX);
		CHECK_EQ((unsigned char)a.sun_path[0], 0x55);
		memset(&a, 0x55, sizeof(a));
		l = sizeof(a);
		CHECK_OK(getpeername(sv[k], (struct sockaddr *)&a, &l));
		CHECK_EQ(l, sizeof(sa_family_t));
		CHECK_EQ(a.sun_family, AF_UNIX);
	}
	closepair(sv);
}

static void test_errors(void)
{
	int sv[2], p[2], q[2];

	CHECK_ERR(socketpair(AF_UNIX, 99, 0, sv), EINVAL);
	CHECK_ERR(socketpair(AF_UNIX, -1, 0, sv), EINVAL);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, sv), EINVAL);
	/* In range but not a type AF_UNIX has. */
	CHECK_ERR(socketpair(AF_UNIX, 0, 0, sv), ESOCKTNOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_RDM, 0, sv), ESOCKTNOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_PACKET, 0, sv), ESOCKTNOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 2, sv), EPROTONOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, -1, sv), EPROTONOSUPPORT);
	CHECK_ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
	CHECK_ERR(socketpair(AF_INET, SOCK_DGRAM, 0, sv), EOPNOTSUPP);
	CHECK_ERR(socketpair(-1, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	CHECK_ERR(socketpair(1000, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	/*
	 * Not checked: Linux reserves the two fds and stores their numbers
	 * in sv before it creates the sockets, so most failures (all but
	 * bad SOCK_* flags) leave reserved-then-released numbers in sv.
	 */

	/* Protocol 1 is PF_UNIX itself: accepted. */
	if (CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 1, sv))) {
		CHECK_EQ(getint(sv[0], SO_TYPE), SOCK_STREAM);
		/* No protocol options, said before the value is read. */
		CHECK_ERR(setsockopt(sv[0], 6 /* IPPROTO_TCP */, 1, (void *)8, 4), EOPNOTSUPP);
		closepair(sv);
	}
	/* SOCK_RAW quietly becomes SOCK_DGRAM. */
	if (CHECK_OK(socketpair(AF_UNIX, SOCK_RAW, 0, sv))) {
		CHECK_EQ(getint(sv[0], SO_TYPE), SOCK_DGRAM);
		CHECK_EQ(send(sv[0], "ab", 2, 0), 2);
		CHECK_EQ(send(sv[0], "c", 1, 0), 1);
		char b[4];
		CHECK_EQ(recv(sv[1], b, sizeof(b), 0), 2);
		closepair(sv);
	}

	/* Bad sv: EFAULT, and no fds are left behind. */
	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, NULL), EFAULT);
	void *ro = mmap(NULL, PAGE, PROT_READ, ANON, -1, 0);
	if (CHECK(ro != MAP_FAILED)) {
		CHECK_ERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, ro), EFAULT);
		/* Only the second int is out of bounds. */
		void *rw = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
		if (CHECK(rw != MAP_FAILED)) {
			CHECK_OK(munmap((char *)rw + PAGE, PAGE));
			int *edge = (int *)((char *)rw + PAGE - sizeof(int));
			CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, edge),
				  EFAULT);
			CHECK_OK(munmap(rw, PAGE));
		}
		CHECK_OK(munmap(ro, PAGE));
	}
	if (CHECK_OK(pipe(q))) {
		CHECK_EQ(q[0], p[0]);
		CHECK_EQ(q[1], p[1]);
		CHECK_OK(close(q[0]));
		CHECK_OK(close(q[1]));
	}
}

/* recvmmsg's timeout: looked at after each datagram, the time left
 * written back (Linux: net/socket.c do_recvmmsg). */
static void test_recvmmsg_timeout(void)
{
	int sv[2];
	char bufs[4][8];
	struct iovec iov[4];
	struct mmsghdr msgs[4];
	struct timespec ts;

	if (!CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0))
		return;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < 4; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (int i = 0; i < 3; i++)
		CHECK_EQ(send(sv[0], "dgram", 5, 0), 5);
	/* A zero timeout has run out after the first datagram. */
	ts = (struct timespec){ 0, 0 };
	CHECK_EQ(recvmmsg(sv[1], msgs, 4, 0, &ts), 1);
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
	CHECK_EQ(msgs[0].msg_len, 5);
	/* A long one: the rest, then EAGAIN ends it (MSG_WAITFORONE); the
	 * time left comes back, less than given. */
	ts = (struct timespec){ 100, 0 };
	CHECK_EQ(recvmmsg(sv[1], msgs, 4, MSG_WAITFORONE, &ts), 2);
	CHECK(ts.tv_sec >= 90 && ts.tv_sec <= 100 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK(!(ts.tv_sec == 100 && ts.tv_nsec == 0));
	/* Nothing received: the timeout is left alone. */
	ts = (struct timespec){ 7, 5 };
	errno = 0;
	CHECK_EQ(recvmmsg(sv[1], msgs, 4, MSG_DONTWAIT, &ts), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK(ts.tv_sec == 7 && ts.tv_nsec == 5);
	/* A bad timeout: EINVAL, before the descriptor is looked at. */
	ts = (struct timespec){ 0, 1000000000 };
	errno = 0;
	CHECK_EQ(recvmmsg(sv[1], msgs, 4, 0, &ts), -1);
	CHECK_EQ(errno, EINVAL);
	ts = (struct timespec){ -1, 0 };
	errno = 0;
	CHECK_EQ(recvmmsg(-1, msgs, 4, 0, &ts), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(recvmmsg(sv[1], msgs, 4, 0, (struct timespec *)8), -1);
	CHECK_EQ(errno, EFAULT);
	close(sv[0]);
	close(sv[1]);
}

/* sendfile into a socket, splice in and out of one. */
static void test_sendfile_splice(void)
{
	int sv[2], p[2];
	char path[] = "/tmp/moat-sendfile-XXXXXX", buf[256];
	int fd = mkstemp(path);

	if (!CHECK(fd >= 0))
		return;
	unlink(path);
	CHECK_EQ(write(fd, "0123456789abcdefghij", 20), 20);
	if (!CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0) || !CHECK_EQ(pipe(p), 0))
		return;
	/* From the file's position, then from an offset (position kept). */
	CHECK_EQ(lseek(fd, 5, SEEK_SET), 5);
	CHECK_EQ(sendfile(sv[0], fd, NULL, 4), 4);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 9);
	off_t off = 15;
	CHECK_EQ(sendfile(sv[0], fd, &off, 100), 5);
	CHECK_EQ(off, 20);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 9);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 9);
	CHECK(memcmp(buf, "5678fghij", 9) == 0);
	/* socket -> pipe -> socket. */
	CHECK_EQ(send(sv[0], "spliced", 7, 0), 7);
	CHECK_EQ(splice(sv[1], NULL, p[1], NULL, 100, 0), 7);
	CHECK_EQ(splice(p[0], NULL, sv[1], NULL, 100, 0), 7);
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 7);
	CHECK(memcmp(buf, "spliced", 7) == 0);
	/* SPLICE_F_NONBLOCK: an empty socket and an empty pipe do not
	 * block (both descriptors are blocking). */
	errno = 0;
	CHECK_EQ(splice(sv[1], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK), -1);
	CHECK_EQ(errno, EAGAIN);
	errno = 0;
	CHECK_EQ(splice(p[0], NULL, sv[1], NULL, 100, SPLICE_F_NONBLOCK), -1);
	CHECK_EQ(errno, EAGAIN);
	/* Into a full pipe: EAGAIN without taking data from the socket. */
	int big = fcntl(p[1], F_GETPIPE_SZ);
	char *fill = calloc(1, (size_t)big);
	CHECK_EQ(write(p[1], fill, (size_t)big), big);
	CHECK_EQ(send(sv[0], "kept", 4, 0), 4);
	errno = 0;
	CHECK_EQ(splice(sv[1], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(read(p[0], fill, (size_t)big), big);
	free(fill);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "kept", 4) == 0);
	/* An empty, non-blocking socket: EAGAIN. */
	CHECK_EQ(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	errno = 0;
	CHECK_EQ(splice(sv[1], NULL, p[1], NULL, 100, 0), -1);
	CHECK_EQ(errno, EAGAIN);
	/* The peer gone: EPIPE, and SIGPIPE (ignored here). */
	close(sv[1]);
	signal(SIGPIPE, SIG_IGN);
	off = 0;
	errno = 0;
	CHECK_EQ(sendfile(sv[0], fd, &off, 10), -1);
	CHECK_EQ(errno, EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(sv[0]);
	close(p[0]);
	close(p[1]);
	close(fd);
}

int main(void)
{
	test_recvmmsg_timeout();
	test_sendfile_splice();
	test_stream_basic();
	test_flags();
	test_stream_big();
	test_close();
	test_shutdown();
	test_iov();
	test_rights_local();
	test_rights_child();
	test_msgs(SOCK_DGRAM);
	test_msgs(SOCK_SEQPACKET);
	test_poll();
	test_writable_hysteresis();
	test_sockopt();
	test_errors();
	return check_done();
}
