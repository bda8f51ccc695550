/*
 * net_unix.c - AF_UNIX sockets with names (bind/listen/connect/accept):
 *   - socket() with SOCK_CLOEXEC|SOCK_NONBLOCK; an unbound socket's
 *     getsockname is just the family;
 *   - bind to a path: a socket inode appears (mode 0777 & ~umask),
 *     getsockname gives the path back (length includes the NUL, a short
 *     buffer truncates but reports the full length); binding a bound
 *     socket: EINVAL for a new name, EADDRINUSE for its own path (the
 *     path is created first), success (a no-op) for an autobind request;
 *     EINVAL for a bad family or an addrlen below sizeof(sa_family_t) or
 *     above sizeof(struct sockaddr_un); EADDRINUSE for a taken path (a
 *     regular file, or a socket file whose socket is closed); ENOENT in a
 *     missing directory, ENOTDIR through a file;
 *   - abstract names (exact bytes and length back), EADDRINUSE for a taken
 *     one of the same type (abstract names are per socket type on Linux),
 *     released on close; autobind (addrlen == sizeof(sa_family_t)) gives
 *     a 6-byte abstract name ("\0" + 5 hex digits; only the length and
 *     the NUL are checked);
 *   - listen: EINVAL on an unbound socket (Linux does not autobind),
 *     EOPNOTSUPP on SOCK_DGRAM, EINVAL on a connected socket, ENOTSOCK
 *     on a pipe; listening again (a new backlog) is allowed;
 *   - connect: ECONNREFUSED to a bound non-listener, a regular file, a
 *     closed socket's path or an unbound abstract name; ENOENT for a
 *     missing path; EPROTOTYPE for a path socket of another type; EISCONN
 *     when connected (but ENOENT first if the target is missing); EINVAL
 *     for a bad family, a short addrlen or a listener; EAGAIN (not
 *     EINPROGRESS) for a nonblocking connect to a full backlog (which
 *     holds backlog + 1);
 *   - accept/accept4: a connected pair (data both ways, SOCK_CLOEXEC and
 *     SOCK_NONBLOCK on the new fd), getpeername (server path / unnamed),
 *     getsockname of the accepted socket (the listener's name),
 *     SO_PEERCRED both ways with a forked client (still valid after it
 *     exits); EINVAL on a non-listener or for bad accept4 flags,
 *     EOPNOTSUPP on SOCK_DGRAM, ENOTSOCK on a pipe, EAGAIN when nothing is
 *     pending;
 *     poll POLLIN on a pending connection; FIFO order for three pending
 *     clients; data sent before accept;
 *   - closing a listener with a pending client: the client's read gets
 *     ECONNRESET once, then EOF; its writes EPIPE;
 *   - an unlinked listener path: connect ENOENT although the listener still
 *     accepts already queued clients; the path can be bound again; a
 *     renamed or hard-linked socket file still reaches the listener,
 *     whose name stays the path it bound;
 *   - SOCK_SEQPACKET through a named listener: message boundaries;
 *   - SOCK_DGRAM with names: sendto/recvfrom with the sender's path, an
 *     abstract sender and destination, connect() then
 *     send(), reconnecting, AF_UNSPEC to disconnect, a connected socket
 *     still sending elsewhere but refusing other senders (EPERM); an
 *     unbound sender is reported with address length 0 (not
 *     sizeof(sa_family_t)); sendto ENOENT (missing path), ECONNREFUSED
 *     (regular file, closed socket, unbound abstract name), EPROTOTYPE
 *     (stream socket), EINVAL (bad family); send on an unconnected socket
 *     ENOTCONN; a connected sender whose peer closed: ECONNREFUSED once,
 *     then ENOTCONN;
 *   - SCM_RIGHTS over an accepted connection from a forked client.
 *
 * Socket files live in a scratch directory under /tmp; abstract names
 * include the pid so parallel runs do not clash. No timing assumptions:
 * connects never need the peer to run first (the backlog has room).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "scratch.h"

#define FAM ((socklen_t)sizeof(sa_family_t))
#define SA(a) ((struct sockaddr *)(a))

/* A path address (the length includes the NUL, as getsockname reports). */
static socklen_t mkpath(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* An abstract address "\0moat-net-unix-<pid>-<tag>" (no trailing NUL). */
static socklen_t mkabs(struct sockaddr_un *a, const char *tag)
{
	int n;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
		     "moat-net-unix-%d-%s", (int)getpid(), tag);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static int sock(int type)
{
	int s = socket(AF_UNIX, type, 0);

	CHECK(s >= 0);
	return s;
}

/* A socket of the given type bound to path (and listening if backlog>=0). */
static int named(int type, const char *path, int backlog)
{
	struct sockaddr_un a;
	socklen_t l = mkpath(&a, path);
	int s = sock(type);

	if (s < 0)
		return -1;
	if (!CHECK_OK(bind(s, SA(&a), l)) ||
	    (backlog >= 0 && !CHECK_OK(listen(s, backlog)))) {
		close(s);
		return -1;
	}
	return s;
}

/* A new socket of type connected to path; -1 (reported) on failure. */
static int conn(int type, const char *path)
{
	struct sockaddr_un a;
	socklen_t l = mkpath(&a, path);
	int s = sock(type);

	if (s < 0)
		return -1;
	if (!CHECK_OK(connect(s, SA(&a), l))) {
		close(s);
		return -1;
	}
	return s;
}

/* connect() of a fresh socket of type to path: 0 or the errno. */
static int conn_err(int type, const struct sockaddr_un *a, socklen_t l)
{
	int s = socket(AF_UNIX, type, 0), r, e;

	if (!CHECK(s >= 0))
		return -1;
	r = connect(s, (const struct sockaddr *)a, l);
	e = errno;
	close(s);
	return r == 0 ? 0 : e;
}

static int conn_path_err(int type, const char *path)
{
	struct sockaddr_un a;
	socklen_t l = mkpath(&a, path);

	return conn_err(type, &a, l);
}

static short revents(int fd, short events)
{
	struct pollfd pf = { fd, events, 0 };

	if (poll(&pf, 1, 0) < 0)
		return -1;
	return pf.revents;
}

/* The name of s (getsockname, or getpeername if peer) into a; its length. */
static socklen_t name_of(int s, int peer, struct sockaddr_un *a)
{
	socklen_t l = sizeof(*a);
	int r;

	memset(a, 0x55, sizeof(*a));
	r = peer ? getpeername(s, SA(a), &l) : getsockname(s, SA(a), &l);
	if (!CHECK_EQ(r, 0))
		return 0;
	CHECK_EQ(a->sun_family, AF_UNIX);
	return l;
}

/* s's name (or peer's) must be exactly the path. */
static void check_path_name(int s, int peer, const char *path)
{
	struct sockaddr_un a;
	socklen_t l = name_of(s, peer, &a);

	if (CHECK_EQ(l, offsetof(struct sockaddr_un, sun_path) +
			     strlen(path) + 1))
		CHECK(memcmp(a.sun_path, path, strlen(path) + 1) == 0);
}

static void check_unnamed(int s, int peer)
{
	struct sockaddr_un a;

	CHECK_EQ(name_of(s, peer, &a), FAM);
	CHECK_EQ((unsigned char)a.sun_path[0], 0x55);
}

static struct ucred peercred(int s)
{
	struct ucred c;
	socklen_t l = sizeof(c);

	memset(&c, 0xff, sizeof(c));
	if (CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c, &l)))
		CHECK_EQ(l, sizeof(c));
	return c;
}

static void test_socket_flags(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (!CHECK(s >= 0))
		return;
	CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	check_unnamed(s, 0);
	CHECK_ERR(getpeername(s, SA(&(struct sockaddr_un){ 0 }),
			      &(socklen_t){ sizeof(struct sockaddr_un) }),
		  ENOTCONN);
	CHECK_OK(close(s));

	s = sock(SOCK_DGRAM);
	CHECK_EQ(fcntl(s, F_GETFD), 0);
	CHECK_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, 0);
	check_unnamed(s, 0);
	CHECK_OK(close(s));
}

static void test_bind_path(void)
{
	struct sockaddr_un a, b;
	struct stat st;
	socklen_t l;
	int s, t;

	s = sock(SOCK_STREAM);
	l = mkpath(&a, p("s1"));
	if (!CHECK_OK(bind(s, SA(&a), l)))
		return;
	if (CHECK_OK(lstat(p("s1"), &st))) {
		CHECK(S_ISSOCK(st.st_mode));
		CHECK_EQ(st.st_mode & 07777, 0755);	/* umask 022 */
		CHECK_EQ(st.st_size, 0);
	}
	check_path_name(s, 0, p("s1"));
	/* A short buffer: truncated, but the full length is reported. */
	memset(&b, 0x55, sizeof(b));
	socklen_t sl = offsetof(struct sockaddr_un, sun_path) + 4;
	CHECK_OK(getsockname(s, SA(&b), &sl));
	CHECK_EQ(sl, l);
	CHECK(memcmp(b.sun_path, p("s1"), 4) == 0);
	CHECK_EQ((unsigned char)b.sun_path[4], 0x55);

	/*
	 * Bound already: EINVAL for a new path (whose file is removed
	 * again), but the path is looked up (created) first, so rebinding
	 * the socket's own path gives EADDRINUSE.
	 */
	l = mkpath(&b, p("s1b"));
	CHECK_ERR(bind(s, SA(&b), l), EINVAL);
	CHECK_ERR(access(p("s1b"), F_OK), ENOENT);
	l = mkpath(&a, p("s1"));
	CHECK_ERR(bind(s, SA(&a), l), EADDRINUSE);
	l = mkabs(&b, "s1");
	CHECK_ERR(bind(s, SA(&b), l), EINVAL);
	/* An autobind request on a bound socket succeeds, changing nothing. */
	CHECK_OK(bind(s, SA(&b), FAM));
	check_path_name(s, 0, p("s1"));

	/* Another socket, same path: EADDRINUSE, for every type. */
	l = mkpath(&a, p("s1"));
	t = sock(SOCK_STREAM);
	CHECK_ERR(bind(t, SA(&a), l), EADDRINUSE);
	CHECK_OK(close(t));
	t = sock(SOCK_DGRAM);
	CHECK_ERR(bind(t, SA(&a), l), EADDRINUSE);
	/* A regular file in the way: EADDRINUSE too. */
	int f = open(p("file"), O_CREAT | O_WRONLY, 0644);
	if (CHECK(f >= 0))
		CHECK_OK(close(f));
	l = mkpath(&b, p("file"));
	CHECK_ERR(bind(t, SA(&b), l), EADDRINUSE);

	/* Bad family, short addrlen, missing directory: t stays unbound. */
	l = mkpath(&b, p("s2"));
	b.sun_family = AF_INET;
	CHECK_ERR(bind(t, SA(&b), l), EINVAL);
	b.sun_family = AF_UNSPEC;
	CHECK_ERR(bind(t, SA(&b), l), EINVAL);
	b.sun_family = AF_UNIX;
	CHECK_ERR(bind(t, SA(&b), 1), EINVAL);
	CHECK_ERR(bind(t, SA(&b), 0), EINVAL);
	CHECK_ERR(bind(t, SA(&b), sizeof(b) + 1), EINVAL);
	l = mkpath(&b, p("nodir/s"));
	CHECK_ERR(bind(t, SA(&b), l), ENOENT);
	/* A path through a regular file: ENOTDIR. */
	l = mkpath(&b, p("file/s"));
	CHECK_ERR(bind(t, SA(&b), l), ENOTDIR);
	check_unnamed(t, 0);
	CHECK_ERR(access(p("s2"), F_OK), ENOENT);

	/* A path without the NUL in addrlen is the same name. */
	l = mkpath(&b, p("s2")) - 1;
	CHECK_OK(bind(t, SA(&b), l));
	check_path_name(t, 0, p("s2"));
	CHECK_OK(close(t));

	/* umask 077: mode 0700. */
	mode_t old = umask(077);
	t = named(SOCK_DGRAM, p("s3"), -1);
	umask(old);
	if (CHECK_OK(lstat(p("s3"), &st)))
		CHECK_EQ(st.st_mode & 07777, 0700);
	CHECK_OK(close(t));

	/* Closing a socket leaves its file: the path stays taken. */
	CHECK_OK(close(s));
	CHECK_OK(lstat(p("s1"), &st));
	CHECK(S_ISSOCK(st.st_mode));
	t = sock(SOCK_STREAM);
	l = mkpath(&a, p("s1"));
	CHECK_ERR(bind(t, SA(&a), l), EADDRINUSE);
	CHECK_OK(unlink(p("s1")));
	CHECK_OK(bind(t, SA(&a), l));
	CHECK_OK(close(t));
}

static void test_abstract(void)
{
	struct sockaddr_un a, b;
	socklen_t l, bl;
	int s, t;

	s = sock(SOCK_STREAM);
	l = mkabs(&a, "a");
	if (!CHECK_OK(bind(s, SA(&a), l)))
		return;
	bl = name_of(s, 0, &b);
	CHECK_EQ(bl, l);
	CHECK(memcmp(&a, &b, l) == 0);

	/* Same bytes, same type: EADDRINUSE. */
	t = sock(SOCK_STREAM);
	CHECK_ERR(bind(t, SA(&a), l), EADDRINUSE);
	/* One byte shorter is another name. */
	CHECK_OK(bind(t, SA(&a), l - 1));
	bl = name_of(t, 0, &b);
	CHECK_EQ(bl, l - 1);
	CHECK(memcmp(&a, &b, l - 1) == 0);
	/* And a bound socket cannot take an abstract name: EINVAL. */
	CHECK_ERR(bind(t, SA(&a), l), EINVAL);
	CHECK_OK(close(t));
	/*
	 * Abstract names are per socket type on Linux: a datagram and a
	 * seqpacket socket may take the same bytes as the stream socket,
	 * and a connect of another type finds nothing (ECONNREFUSED, not
	 * EPROTOTYPE).
	 */
	t = sock(SOCK_DGRAM);
	CHECK_OK(bind(t, SA(&a), l));
	int q = sock(SOCK_SEQPACKET);
	CHECK_OK(bind(q, SA(&a), l));
	CHECK_OK(listen(s, 1));
	CHECK_EQ(conn_err(SOCK_SEQPACKET, &a, l), ECONNREFUSED);
	CHECK_OK(close(q));
	int d = sock(SOCK_DGRAM);
	CHECK_ERR(bind(d, SA(&a), l), EADDRINUSE);
	CHECK_OK(close(d));
	CHECK_OK(close(t));

	/* No file appears for an abstract name; closing releases it. */
	CHECK_OK(close(s));
	s = sock(SOCK_SEQPACKET);
	CHECK_OK(bind(s, SA(&a), l));
	CHECK_OK(close(s));

	/* Autobind: "\0" + 5 hex digits. */
	s = sock(SOCK_STREAM);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	CHECK_OK(bind(s, SA(&a), FAM));
	bl = name_of(s, 0, &b);
	CHECK_EQ(bl, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK_EQ(b.sun_path[0], 0);
	/* Bound now: a named bind is EINVAL, another autobind a no-op. */
	l = mkabs(&a, "ab");
	CHECK_ERR(bind(s, SA(&a), l), EINVAL);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	CHECK_OK(bind(s, SA(&a), FAM));
	bl = name_of(s, 0, &a);
	CHECK_EQ(bl, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK(memcmp(a.sun_path, b.sun_path, 6) == 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	/* Another autobind gets another name. */
	t = sock(SOCK_DGRAM);
	CHECK_OK(bind(t, SA(&a), FAM));
	bl = name_of(t, 0, &a);
	CHECK_EQ(bl, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK(memcmp(a.sun_path, b.sun_path, 6) != 0);
	/* The autobound name can be connected to. */
	CHECK_OK(listen(s, 1));
	int c = sock(SOCK_STREAM);
	CHECK_OK(connect(c, SA(&b), offsetof(struct sockaddr_un, sun_path) + 6));
	bl = name_of(c, 1, &a);
	CHECK_EQ(bl, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK(memcmp(a.sun_path, b.sun_path, 6) == 0);
	CHECK_OK(close(c));
	CHECK_OK(close(t));
	CHECK_OK(close(s));
}

static void test_listen(void)
{
	int s;

	/* Unbound: EINVAL, and no autobind happens. */
	s = sock(SOCK_STREAM);
	CHECK_ERR(listen(s, 5), EINVAL);
	check_unnamed(s, 0);
	CHECK_OK(close(s));
	s = sock(SOCK_SEQPACKET);
	CHECK_ERR(listen(s, 5), EINVAL);
	CHECK_OK(close(s));

	/* Datagram sockets do not listen, bound or not. */
	s = sock(SOCK_DGRAM);
	CHECK_ERR(listen(s, 5), EOPNOTSUPP);
	CHECK_OK(close(s));
	s = named(SOCK_DGRAM, p("ld"), -1);
	CHECK_ERR(listen(s, 5), EOPNOTSUPP);
	CHECK_OK(close(s));

	/* Listening again is allowed (a new backlog). */
	s = named(SOCK_STREAM, p("ls"), 1);
	CHECK_OK(listen(s, 4));
	CHECK_OK(listen(s, -1));
	CHECK_OK(close(s));

	/* listen/accept on a connected socket: EINVAL. */
	int sv[2];
	if (CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv))) {
		CHECK_ERR(listen(sv[0], 1), EINVAL);
		CHECK_ERR(accept(sv[0], NULL, NULL), EINVAL);
		close(sv[0]);
		close(sv[1]);
	}
	/* On a pipe: ENOTSOCK. */
	int pp[2];
	if (CHECK_OK(pipe(pp))) {
		CHECK_ERR(listen(pp[0], 1), ENOTSOCK);
		close(pp[0]);
		close(pp[1]);
	}
}

static void test_connect_errors(void)
{
	struct sockaddr_un a;
	socklen_t l;
	int s, t;

	/* Bound, not listening. */
	s = named(SOCK_STREAM, p("nl"), -1);
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("nl")), ECONNREFUSED);
	CHECK_OK(close(s));
	/* The socket is gone, its file is not. */
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("nl")), ECONNREFUSED);
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("missing")), ENOENT);
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("nodir/x")), ENOENT);
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("file")), ECONNREFUSED);
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("file/x")), ENOTDIR);
	/* A directory is no socket either. */
	CHECK_EQ(conn_path_err(SOCK_STREAM, dir), ECONNREFUSED);
	l = mkabs(&a, "nobody");
	CHECK_EQ(conn_err(SOCK_STREAM, &a, l), ECONNREFUSED);
	CHECK_EQ(conn_err(SOCK_SEQPACKET, &a, l), ECONNREFUSED);
	CHECK_EQ(conn_err(SOCK_DGRAM, &a, l), ECONNREFUSED);

	/* Bad family / length. */
	l = mkpath(&a, p("nl"));
	a.sun_family = AF_INET;
	CHECK_EQ(conn_err(SOCK_STREAM, &a, l), EINVAL);
	a.sun_family = AF_UNIX;
	CHECK_EQ(conn_err(SOCK_STREAM, &a, 1), EINVAL);
	CHECK_EQ(conn_err(SOCK_STREAM, &a, FAM), EINVAL);

	/* Type mismatch: EPROTOTYPE. */
	s = named(SOCK_STREAM, p("tm"), 4);
	CHECK_EQ(conn_path_err(SOCK_SEQPACKET, p("tm")), EPROTOTYPE);
	CHECK_EQ(conn_path_err(SOCK_DGRAM, p("tm")), EPROTOTYPE);
	t = named(SOCK_DGRAM, p("tmd"), -1);
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("tmd")), EPROTOTYPE);
	CHECK_OK(close(t));
	CHECK_OK(close(s));

	/* A full backlog: a nonblocking connect gets EAGAIN. */
	s = named(SOCK_STREAM, p("full"), 1);
	int c1 = conn(SOCK_STREAM, p("full"));
	int c2 = conn(SOCK_STREAM, p("full"));	/* backlog + 1 fit */
	t = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	l = mkpath(&a, p("full"));
	CHECK_ERR(connect(t, SA(&a), l), EAGAIN);
	CHECK_ERR(send(t, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	/* Room again after one accept. */
	int acc = accept(s, NULL, NULL);
	CHECK(acc >= 0);
	CHECK_OK(connect(t, SA(&a), l));
	close(acc);
	close(t);
	close(c2);
	close(c1);
	CHECK_OK(close(s));
}

static void test_accept(void)
{
	struct sockaddr_un a;
	socklen_t l;
	char buf[32];
	int s, c, n;

	s = named(SOCK_STREAM, p("srv"), 8);
	if (s < 0)
		return;
	/* Nothing pending: no POLLIN (POLLOUT neither). */
	CHECK_EQ(revents(s, POLLIN | POLLOUT), 0);
	c = conn(SOCK_STREAM, p("srv"));
	if (c < 0)
		return;
	CHECK_EQ(revents(s, POLLIN | POLLOUT), POLLIN);
	/* The client is writable and connected already. */
	CHECK_EQ(revents(c, POLLIN | POLLOUT), POLLOUT);
	check_path_name(c, 1, p("srv"));
	check_unnamed(c, 0);

	memset(&a, 0x55, sizeof(a));
	l = sizeof(a);
	n = accept4(s, SA(&a), &l, SOCK_CLOEXEC);
	if (!CHECK(n >= 0))
		return;
	CHECK_EQ(l, FAM);
	CHECK_EQ(a.sun_family, AF_UNIX);
	CHECK_EQ(fcntl(n, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(n, F_GETFL) & O_NONBLOCK, 0);
	CHECK_EQ(revents(s, POLLIN), 0);
	/* Accepted: named like the listener, its peer unnamed. */
	check_path_name(n, 0, p("srv"));
	check_unnamed(n, 1);
	/* Both ways. */
	CHECK_EQ(write(c, "ping", 4), 4);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(n, buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK_EQ(send(n, "pong!", 5, 0), 5);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "pong!", 5) == 0);
	/* Same process: both see our pid. */
	CHECK_EQ(peercred(c).pid, getpid());
	CHECK_EQ(peercred(n).pid, getpid());

	/*
	 * Connected: EISCONN, for either end, but only once the target was
	 * found: a missing path is still ENOENT.
	 */
	l = mkpath(&a, p("srv"));
	CHECK_ERR(connect(c, SA(&a), l), EISCONN);
	CHECK_ERR(connect(n, SA(&a), l), EISCONN);
	l = mkpath(&a, p("missing"));
	CHECK_ERR(connect(c, SA(&a), l), ENOENT);
	/* A listener connects nowhere. */
	l = mkpath(&a, p("srv"));
	CHECK_ERR(connect(s, SA(&a), l), EINVAL);
	/* Accepting on the connected sockets: EINVAL. */
	CHECK_ERR(accept(c, NULL, NULL), EINVAL);
	CHECK_ERR(accept(n, NULL, NULL), EINVAL);
	/* Bad accept4 flags. */
	CHECK_ERR(accept4(s, NULL, NULL, 0x1), EINVAL);
	CHECK_OK(close(n));
	CHECK_OK(close(c));

	/* accept4 with SOCK_NONBLOCK, NULL address. */
	c = conn(SOCK_STREAM, p("srv"));
	n = accept4(s, NULL, NULL, SOCK_NONBLOCK);
	if (CHECK(n >= 0)) {
		CHECK_EQ(fcntl(n, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_EQ(fcntl(n, F_GETFD), 0);
		CHECK_ERR(read(n, buf, 1), EAGAIN);
		close(n);
	}
	close(c);

	/* Non-listening, non-socket. */
	c = named(SOCK_STREAM, p("idle"), -1);
	CHECK_ERR(accept(c, NULL, NULL), EINVAL);
	CHECK_OK(close(c));
	c = sock(SOCK_STREAM);
	CHECK_ERR(accept(c, NULL, NULL), EINVAL);
	CHECK_OK(close(c));
	c = sock(SOCK_DGRAM);
	CHECK_ERR(accept(c, NULL, NULL), EOPNOTSUPP);
	CHECK_OK(close(c));
	int pp[2];
	if (CHECK_OK(pipe(pp))) {
		CHECK_ERR(accept(pp[0], NULL, NULL), ENOTSOCK);
		CHECK_ERR(accept4(pp[1], NULL, NULL, SOCK_CLOEXEC), ENOTSOCK);
		close(pp[0]);
		close(pp[1]);
	}

	/* Nonblocking listener with nothing pending: EAGAIN. */
	CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	CHECK_ERR(accept(s, NULL, NULL), EAGAIN);
	CHECK_ERR(accept4(s, NULL, NULL, SOCK_CLOEXEC), EAGAIN);

	/* Three pending clients, accepted in connect order. */
	int cl[3], ac[3];
	for (int i = 0; i < 3; i++) {
		cl[i] = conn(SOCK_STREAM, p("srv"));
		char ch = 'A' + i;
		/* Data may be sent before the accept. */
		CHECK_EQ(write(cl[i], &ch, 1), 1);
	}
	for (int i = 0; i < 3; i++) {
		ac[i] = accept(s, NULL, NULL);
		if (!CHECK(ac[i] >= 0))
			continue;
		char ch = 0;
		CHECK_EQ(read(ac[i], &ch, 1), 1);
		CHECK_EQ(ch, 'A' + i);
		CHECK_EQ(write(ac[i], &ch, 1), 1);
	}
	CHECK_ERR(accept(s, NULL, NULL), EAGAIN);
	for (int i = 0; i < 3; i++) {
		char ch = 0;
		CHECK_EQ(read(cl[i], &ch, 1), 1);
		CHECK_EQ(ch, 'A' + i);
		close(cl[i]);
		if (ac[i] >= 0) {
			/* The client is gone: EOF. */
			CHECK_EQ(read(ac[i], &ch, 1), 0);
			close(ac[i]);
		}
	}
	CHECK_OK(close(s));
}

/* SO_PEERCRED across processes: a forked client, a parent server. */
static void test_peercred_fork(void)
{
	pid_t parent = getpid(), pid;
	int s, n;

	s = named(SOCK_STREAM, p("cred"), 4);
	if (s < 0)
		return;
	pid = xfork();
	if (pid == 0) {
		int c = conn(SOCK_STREAM, p("cred"));
		char ch = 0;

		if (c >= 0) {
			struct ucred cr = peercred(c);
			/* The listener's creator. */
			CHECK_EQ(cr.pid, parent);
			CHECK_EQ(cr.uid, getuid());
			CHECK_EQ(cr.gid, getgid());
			/* Wait for the parent to have checked its side. */
			CHECK_EQ(read(c, &ch, 1), 1);
			close(c);
		}
		_exit(check_done());
	}
	n = accept(s, NULL, NULL);
	if (CHECK(n >= 0)) {
		struct ucred cr = peercred(n);
		CHECK_EQ(cr.pid, pid);
		CHECK_EQ(cr.uid, getuid());
		CHECK_EQ(cr.gid, getgid());
		CHECK_EQ(write(n, "k", 1), 1);
	}
	CHECK_EQ(reap(pid), 0);
	/* The credentials outlive the process. */
	if (n >= 0) {
		CHECK_EQ(peercred(n).pid, pid);
		close(n);
	}
	CHECK_OK(close(s));
}

static void test_listener_close(void)
{
	char ch;
	int s, c, c2;

	s = named(SOCK_STREAM, p("lc"), 4);
	c = conn(SOCK_STREAM, p("lc"));
	c2 = conn(SOCK_STREAM, p("lc"));
	if (s < 0 || c < 0 || c2 < 0)
		return;
	CHECK_EQ(write(c2, "data", 4), 4);
	/* Nonblocking, so that a missing reset cannot hang the test. */
	CHECK_OK(fcntl(c, F_SETFL, O_NONBLOCK));
	CHECK_OK(close(s));
	/* The pending connection is reset: ECONNRESET once, then EOF. */
	CHECK_EQ(revents(c, POLLIN | POLLOUT | POLLRDHUP),
		 POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
	CHECK_ERR(read(c, &ch, 1), ECONNRESET);
	CHECK_EQ(read(c, &ch, 1), 0);
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	/* Same for a client that had sent data. */
	CHECK_ERR(recv(c2, &ch, 1, MSG_DONTWAIT), ECONNRESET);
	CHECK_EQ(recv(c2, &ch, 1, MSG_DONTWAIT), 0);
	CHECK_ERR(write(c2, "x", 1), EPIPE);	/* SIGPIPE ignored in main */
	close(c);
	close(c2);
	/* The file remains; nobody listens. */
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("lc")), ECONNREFUSED);
}

static void test_unlinked(void)
{
	int s, c, n;
	struct stat st;

	s = named(SOCK_STREAM, p("ul"), 4);
	c = conn(SOCK_STREAM, p("ul"));
	if (s < 0 || c < 0)
		return;
	CHECK_OK(unlink(p("ul")));
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("ul")), ENOENT);
	/* getsockname still reports the old path. */
	check_path_name(s, 0, p("ul"));
	/* The queued client is still accepted. */
	n = accept(s, NULL, NULL);
	if (CHECK(n >= 0)) {
		CHECK_EQ(write(c, "z", 1), 1);
		char ch = 0;
		CHECK_EQ(read(n, &ch, 1), 1);
		CHECK_EQ(ch, 'z');
		close(n);
	}
	/* The path is free for a new socket, which gets the connections. */
	int s2 = named(SOCK_STREAM, p("ul"), 4);
	if (CHECK_OK(lstat(p("ul"), &st)))
		CHECK(S_ISSOCK(st.st_mode));
	int c2 = conn(SOCK_STREAM, p("ul"));
	CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	CHECK_ERR(accept(s, NULL, NULL), EAGAIN);
	CHECK_OK(fcntl(s2, F_SETFL, O_NONBLOCK));	/* no hang if misrouted */
	n = accept(s2, NULL, NULL);
	CHECK(n >= 0);
	close(n);
	close(c2);
	close(s2);
	close(c);
	CHECK_OK(close(s));

	/* A renamed socket file is reached under the new name. */
	s = named(SOCK_STREAM, p("rn1"), 4);
	CHECK_OK(rename(p("rn1"), p("rn2")));
	CHECK_EQ(conn_path_err(SOCK_STREAM, p("rn1")), ENOENT);
	c = conn(SOCK_STREAM, p("rn2"));
	if (c >= 0) {
		/* The peer's name is the one it bound. */
		check_path_name(c, 1, p("rn1"));
		close(c);
	}
	/* So is a hard link. */
	CHECK_OK(link(p("rn2"), p("rn3")));
	c = conn(SOCK_STREAM, p("rn3"));
	close(c);
	close(s);
}

static void test_seqpacket(void)
{
	char buf[32];
	int s, c, n;

	s = named(SOCK_SEQPACKET, p("sp"), 4);
	c = conn(SOCK_SEQPACKET, p("sp"));
	if (s < 0 || c < 0)
		return;
	/* Sent before the accept. */
	CHECK_EQ(send(c, "one", 3, 0), 3);
	CHECK_EQ(send(c, "two!", 4, 0), 4);
	struct sockaddr_un a;
	socklen_t l = sizeof(a);
	n = accept4(s, SA(&a), &l, SOCK_CLOEXEC);
	if (!CHECK(n >= 0))
		return;
	CHECK_EQ(l, FAM);
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK_OK(getsockopt(n, SOL_SOCKET, SO_TYPE, &v, &vl));
	CHECK_EQ(v, SOCK_SEQPACKET);
	CHECK_EQ(send(c, "three", 5, 0), 5);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(n, buf, sizeof(buf), 0), 3);
	CHECK(memcmp(buf, "one", 3) == 0);
	/* A short read truncates the message (rest discarded). */
	CHECK_EQ(recv(n, buf, 2, 0), 2);
	CHECK(memcmp(buf, "tw", 2) == 0);
	CHECK_EQ(recv(n, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "three", 5) == 0);
	/* The other way. */
	CHECK_EQ(send(n, "ab", 2, 0), 2);
	CHECK_EQ(send(n, "cde", 3, 0), 3);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 2);
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 3);
	CHECK(memcmp(buf, "cde", 3) == 0);
	check_path_name(c, 1, p("sp"));
	check_unnamed(n, 1);
	/* Peer closed: EOF. */
	close(c);
	CHECK_EQ(recv(n, buf, sizeof(buf), 0), 0);
	close(n);
	close(s);
}

static void test_dgram(void)
{
	struct sockaddr_un a, from;
	socklen_t l, fl;
	char buf[32];
	int srv, cli, u;

	srv = named(SOCK_DGRAM, p("dsrv"), -1);
	cli = named(SOCK_DGRAM, p("dcli"), -1);
	if (srv < 0 || cli < 0)
		return;
	l = mkpath(&a, p("dsrv"));

	/* Bound sender: its path comes with the datagram. */
	CHECK_EQ(sendto(cli, "hello", 5, 0, SA(&a), l), 5);
	memset(&from, 0x55, sizeof(from));
	fl = sizeof(from);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recvfrom(srv, buf, sizeof(buf), 0, SA(&from), &fl), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	if (CHECK_EQ(fl, offsetof(struct sockaddr_un, sun_path) +
			      strlen(p("dcli")) + 1)) {
		CHECK_EQ(from.sun_family, AF_UNIX);
		CHECK(strcmp(from.sun_path, p("dcli")) == 0);
	}
	/* Reply to that address. */
	CHECK_EQ(sendto(srv, "back", 4, 0, SA(&from), fl), 4);
	CHECK_EQ(recv(cli, buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "back", 4) == 0);

	/*
	 * Unbound sender (no autobind): Linux reports an address length of
	 * 0, not sizeof(sa_family_t), and leaves the buffer alone.
	 */
	u = sock(SOCK_DGRAM);
	CHECK_EQ(sendto(u, "anon", 4, 0, SA(&a), l), 4);
	memset(&from, 0x55, sizeof(from));
	fl = sizeof(from);
	CHECK_EQ(recvfrom(srv, buf, sizeof(buf), 0, SA(&from), &fl), 4);
	CHECK_EQ(fl, 0);
	CHECK_EQ(from.sun_family, 0x5555);
	check_unnamed(u, 0);
	/* recvmsg: msg_namelen likewise. */
	CHECK_EQ(sendto(u, "m", 1, 0, SA(&a), l), 1);
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { 0 };
	m.msg_name = &from;
	m.msg_namelen = sizeof(from);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	CHECK_EQ(recvmsg(srv, &m, 0), 1);
	CHECK_EQ(m.msg_namelen, 0);

	/* Abstract sender. */
	struct sockaddr_un ab;
	socklen_t abl = mkabs(&ab, "dg");
	int as = sock(SOCK_DGRAM);
	CHECK_OK(bind(as, SA(&ab), abl));
	CHECK_EQ(sendto(as, "abs", 3, 0, SA(&a), l), 3);
	memset(&from, 0x55, sizeof(from));
	fl = sizeof(from);
	CHECK_EQ(recvfrom(srv, buf, sizeof(buf), 0, SA(&from), &fl), 3);
	CHECK_EQ(fl, abl);
	CHECK(memcmp(&from, &ab, abl) == 0);
	/* Abstract destination. */
	CHECK_EQ(sendto(srv, "to-abs", 6, 0, SA(&ab), abl), 6);
	CHECK_EQ(recv(as, buf, sizeof(buf), 0), 6);
	CHECK_OK(close(as));

	/* Unconnected, no address: ENOTCONN. */
	CHECK_ERR(send(u, "x", 1, 0), ENOTCONN);
	CHECK_ERR(write(u, "x", 1), ENOTCONN);
	CHECK_ERR(getpeername(u, SA(&from), &(socklen_t){ sizeof(from) }),
		  ENOTCONN);

	/* connect() then send() without an address. */
	CHECK_OK(connect(u, SA(&a), l));
	check_path_name(u, 1, p("dsrv"));
	check_unnamed(u, 0);	/* still no autobind */
	CHECK_EQ(send(u, "conn", 4, 0), 4);
	CHECK_EQ(write(u, "w", 1), 1);
	CHECK_EQ(recv(srv, buf, sizeof(buf), 0), 4);
	CHECK(memcmp(buf, "conn", 4) == 0);
	CHECK_EQ(read(srv, buf, sizeof(buf)), 1);
	/* Connecting again re-targets (no EISCONN for datagrams). */
	struct sockaddr_un ca;
	socklen_t cal = mkpath(&ca, p("dcli"));
	CHECK_OK(connect(u, SA(&ca), cal));
	CHECK_EQ(send(u, "re", 2, 0), 2);
	CHECK_EQ(recv(cli, buf, sizeof(buf), 0), 2);
	/* sendto another address still works while connected. */
	CHECK_EQ(sendto(u, "other", 5, 0, SA(&a), l), 5);
	CHECK_EQ(recv(srv, buf, sizeof(buf), 0), 5);
	/* A connected socket only takes datagrams from its peer: EPERM. */
	int cs = named(SOCK_DGRAM, p("dcon"), -1);
	struct sockaddr_un cn;
	socklen_t cnl = mkpath(&cn, p("dcon"));
	CHECK_OK(connect(cs, SA(&ca), cal));	/* peer: dcli */
	CHECK_ERR(sendto(srv, "no", 2, 0, SA(&cn), cnl), EPERM);
	CHECK_EQ(sendto(cli, "yes", 3, 0, SA(&cn), cnl), 3);
	CHECK_EQ(recv(cs, buf, sizeof(buf), MSG_DONTWAIT), 3);
	CHECK_ERR(recv(cs, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* AF_UNSPEC dissolves the association. */
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	CHECK_OK(connect(cs, &un, sizeof(un)));
	CHECK_ERR(send(cs, "x", 1, 0), ENOTCONN);
	CHECK_EQ(sendto(srv, "now", 3, 0, SA(&cn), cnl), 3);
	CHECK_EQ(recv(cs, buf, sizeof(buf), MSG_DONTWAIT), 3);
	CHECK_OK(close(cs));

	/* Errors: missing path, non-socket, closed socket, wrong type. */
	struct sockaddr_un e;
	socklen_t el = mkpath(&e, p("nowhere"));
	CHECK_ERR(sendto(cli, "x", 1, 0, SA(&e), el), ENOENT);
	CHECK_EQ(conn_err(SOCK_DGRAM, &e, el), ENOENT);
	el = mkpath(&e, p("file"));
	CHECK_ERR(sendto(cli, "x", 1, 0, SA(&e), el), ECONNREFUSED);
	CHECK_EQ(conn_err(SOCK_DGRAM, &e, el), ECONNREFUSED);
	int gone = named(SOCK_DGRAM, p("dgone"), -1);
	CHECK_OK(close(gone));
	el = mkpath(&e, p("dgone"));
	CHECK_ERR(sendto(cli, "x", 1, 0, SA(&e), el), ECONNREFUSED);
	CHECK_EQ(conn_err(SOCK_DGRAM, &e, el), ECONNREFUSED);
	int st = named(SOCK_STREAM, p("dstream"), 1);
	el = mkpath(&e, p("dstream"));
	CHECK_ERR(sendto(cli, "x", 1, 0, SA(&e), el), EPROTOTYPE);
	CHECK_OK(close(st));
	el = mkabs(&e, "dnobody");
	CHECK_ERR(sendto(cli, "x", 1, 0, SA(&e), el), ECONNREFUSED);
	el = mkpath(&e, p("dsrv"));
	e.sun_family = AF_INET;
	CHECK_ERR(sendto(cli, "x", 1, 0, SA(&e), el), EINVAL);

	/* The server closes: a connected sender gets ECONNREFUSED. */
	CHECK_OK(connect(u, SA(&a), l));
	CHECK_OK(close(srv));
	CHECK_ERR(send(u, "x", 1, 0), ECONNREFUSED);
	/* ... once; then it is no longer connected. */
	CHECK_ERR(send(u, "x", 1, 0), ENOTCONN);

	close(u);
	close(cli);
}

/* SCM_RIGHTS: a forked client sends a pipe's read end to the server. */
static void test_rights(void)
{
	int s, n;
	pid_t pid;

	s = named(SOCK_STREAM, p("fdpass"), 4);
	if (s < 0)
		return;
	pid = xfork();
	if (pid == 0) {
		int c = conn(SOCK_STREAM, p("fdpass")), pp[2];
		char ch = 0;

		if (c >= 0 && CHECK_OK(pipe(pp))) {
			union {
				struct cmsghdr h;
				char b[CMSG_SPACE(sizeof(int))];
			} u;
			struct iovec iov = { "F", 1 };
			struct msghdr m = { 0 };
			struct cmsghdr *cm;

			memset(&u, 0, sizeof(u));
			m.msg_iov = &iov;
			m.msg_iovlen = 1;
			m.msg_control = u.b;
			m.msg_controllen = sizeof(u.b);
			cm = CMSG_FIRSTHDR(&m);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &pp[0], sizeof(int));
			CHECK_EQ(sendmsg(c, &m, 0), 1);
			close(pp[0]);
			CHECK_EQ(write(pp[1], "through", 7), 7);
			close(pp[1]);
			/* Wait for the parent to be done. */
			CHECK_EQ(read(c, &ch, 1), 1);
			CHECK_EQ(ch, 'd');
		}
		if (c >= 0)
			close(c);
		_exit(check_done());
	}
	n = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (CHECK(n >= 0)) {
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} u;
		char ch = 0, buf[16];
		struct iovec iov = { &ch, 1 };
		struct msghdr m = { 0 };
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		CHECK_EQ(recvmsg(n, &m, 0), 1);
		CHECK_EQ(ch, 'F');
		CHECK_EQ(m.msg_flags, 0);
		cm = CMSG_FIRSTHDR(&m);
		if (CHECK(cm != NULL) && CHECK_EQ(cm->cmsg_level, SOL_SOCKET) &&
		    CHECK_EQ(cm->cmsg_type, SCM_RIGHTS) &&
		    CHECK_EQ(cm->cmsg_len, CMSG_LEN(sizeof(int)))) {
			int fd;
			struct stat st;

			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			CHECK_OK(fstat(fd, &st));
			CHECK(S_ISFIFO(st.st_mode));
			CHECK_EQ(fcntl(fd, F_GETFD), 0);
			memset(buf, 0, sizeof(buf));
			/* The child wrote 7 bytes and closed: MSG_WAITALL-like. */
			size_t got = 0;
			ssize_t r;
			while (got < sizeof(buf) &&
			       (r = read(fd, buf + got, sizeof(buf) - got)) > 0)
				got += r;
			CHECK_EQ(got, 7);
			CHECK(memcmp(buf, "through", 7) == 0);
			close(fd);
		}
		CHECK_EQ(write(n, "d", 1), 1);
	}
	CHECK_EQ(reap(pid), 0);
	if (n >= 0)
		close(n);
	CHECK_OK(close(s));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	scratch_init();
	test_socket_flags();
	test_bind_path();
	test_abstract();
	test_listen();
	test_connect_errors();
	test_accept();
	test_peercred_fork();
	test_listener_close();
	test_unlinked();
	test_seqpacket();
	test_dgram();
	test_rights();
	rmtree(dir);
	return check_done();
}
