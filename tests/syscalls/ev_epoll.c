/*
 * ev_epoll.c - epoll:
 *   - epoll_create (size <= 0 is EINVAL), epoll_create1 (EPOLL_CLOEXEC, bad
 *     flags EINVAL);
 *   - epoll_ctl ADD/MOD/DEL and their errors: EEXIST, ENOENT, EBADF,
 *     EINVAL (the epoll fd itself, a non-epoll epfd, a bad op,
 *     EPOLLEXCLUSIVE with MOD), EPERM (a regular file);
 *   - level-triggered readiness reported on every wait until drained, with
 *     the user data; edge-triggered (EPOLLET) once per new write (and
 *     EPOLLOUT|EPOLLET again only once a full pipe gets room);
 *     EPOLLONESHOT once until re-armed with EPOLL_CTL_MOD;
 *   - pipes: EPOLLOUT on an empty write end, EPOLLHUP on the read end once
 *     the writer is gone, EPOLLERR on the write end once the reader is;
 *   - epoll_wait timeouts (0 returns at once, 50 ms returns 0 no sooner),
 *     maxevents <= 0 EINVAL, a non-epoll fd EINVAL, a bad fd EBADF,
 *     maxevents limiting the events returned;
 *   - a wait blocked in another thread, woken by a write;
 *   - a registration lives as long as its open file: closing the last fd
 *     removes it, closing one of two (dup) does not, even though the
 *     closed number can no longer be used with EPOLL_CTL_DEL (EBADF);
 *   - dup'ed fds are separate entries;
 *   - nested epoll (EPOLLIN on the outer when the inner has events), and
 *     ELOOP for a cycle;
 *   - epoll_pwait with a signal mask (EINTR from an unblocked pending
 *     signal, the old mask back afterwards), and epoll_pwait2;
 *   - eventfd readiness through epoll;
 *   - /proc/self/fd/N of an epoll fd is "anon_inode:[eventpoll]".
 *
 * Timing: a thread that is told to write 50 ms after starting is assumed
 * to do so within 5 s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* One non-blocking wait for at most one event, stored in *ev. */
static int wait1(int ep, struct epoll_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	return epoll_wait(ep, ev, 1, 0);
}

static void drain(int fd)
{
	char buf[256];
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	fcntl(fd, F_SETFL, fl);
}

static void closep(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static void test_create(void)
{
	int ep;
	char path[64], buf[64];

	CHECK_ERR(epoll_create(0), EINVAL);
	CHECK_ERR(epoll_create(-1), EINVAL);
	ep = epoll_create(1);
	if (CHECK(ep >= 0)) {
		CHECK_EQ(fcntl(ep, F_GETFD), 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		if (CHECK(n > 0)) {
			buf[n] = 0;
			CHECK(strcmp(buf, "anon_inode:[eventpoll]") == 0);
		}
		close(ep);
	}
	ep = epoll_create(100000);
	if (CHECK(ep >= 0))
		close(ep);
	ep = epoll_create1(0);
	if (CHECK(ep >= 0)) {
		CHECK_EQ(fcntl(ep, F_GETFD), 0);
		close(ep);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (CHECK(ep >= 0)) {
		CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
		close(ep);
	}
	CHECK_ERR(epoll_create1(1), EINVAL);
	CHECK_ERR(epoll_create1(O_NONBLOCK), EINVAL);
	CHECK_ERR(epoll_create1(EPOLL_CLOEXEC | 0x100), EINVAL);
}

static void test_ctl_errors(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char tmpl[] = "/tmp/ev_epoll-XXXXXX";
	int ep, p[2], f;

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN, 1));
	CHECK_ERR(add(ep, p[0], EPOLLIN, 1), EEXIST);
	CHECK_ERR(mod(ep, p[1], EPOLLOUT, 2), ENOENT);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	CHECK_OK(mod(ep, p[0], EPOLLIN, 3));
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	CHECK_ERR(mod(ep, p[0], EPOLLIN, 3), ENOENT);
	/* Bad fds, on either side. */
	CHECK_ERR(add(ep, 9999, EPOLLIN, 0), EBADF);
	CHECK_ERR(add(ep, -1, EPOLLIN, 0), EBADF);
	CHECK_ERR(add(9999, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERR(epoll_ctl(-1, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	/* Not an epoll fd; the epoll fd itself; a bad op. */
	CHECK_ERR(add(p[1], p[0], EPOLLIN, 0), EINVAL);
	CHECK_ERR(add(ep, ep, EPOLLIN, 0), EINVAL);
	CHECK_ERR(epoll_ctl(ep, 42, p[0], &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, 0, p[0], &ev), EINVAL);
	/* EPOLLEXCLUSIVE is for ADD only, and then may not be modified. */
	CHECK_OK(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 4));
	CHECK_ERR(mod(ep, p[0], EPOLLIN, 4), EINVAL);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	CHECK_OK(add(ep, p[0], EPOLLIN, 4));
	CHECK_ERR(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 4), EINVAL);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	/* EPOLLEXCLUSIVE with EPOLLONESHOT is EINVAL. */
	CHECK_ERR(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 4),
		  EINVAL);
	/* ADD/MOD need an event; a bad pointer is EFAULT. */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (struct epoll_event *)8),
		  EFAULT);
	/* A regular file does not support poll. */
	f = mkstemp(tmpl);
	if (CHECK(f >= 0)) {
		unlink(tmpl);
		CHECK_ERR(add(ep, f, EPOLLIN, 0), EPERM);
		close(f);
	}
	closep(p);
	close(ep);
}

static void test_level(void)
{
	struct epoll_event ev[4];
	int ep, p[2];

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN, 0x1122334455667788ULL));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	CHECK_EQ(write(p[1], "abcd", 4), 4);
	for (int i = 0; i < 3; i++) {
		memset(ev, 0, sizeof(ev));
		CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
		CHECK_EQ(ev[0].events, EPOLLIN);
		CHECK(ev[0].data.u64 == 0x1122334455667788ULL);
	}
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	drain(p[0]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	/* MOD changes the data returned. */
	CHECK_OK(mod(ep, p[0], EPOLLIN, 77));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(wait1(ep, ev), 1);
	CHECK_EQ(ev[0].data.u64, 77);
	/* ... and the events: nothing for EPOLLOUT on a read end. */
	CHECK_OK(mod(ep, p[0], EPOLLOUT, 78));
	CHECK_EQ(wait1(ep, ev), 0);
	CHECK_OK(mod(ep, p[0], 0, 79));
	CHECK_EQ(wait1(ep, ev), 0);
	closep(p);
	close(ep);
}

static void test_edge(void)
{
	struct epoll_event ev;
	int ep, p[2];

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN | EPOLLET, 5));
	CHECK_EQ(wait1(ep, &ev), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 5);
	/* Not again, though the data is still there. */
	CHECK_EQ(wait1(ep, &ev), 0);
	CHECK_EQ(wait1(ep, &ev), 0);
	/* New data is a new edge. */
	CHECK_EQ(write(p[1], "b", 1), 1);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(wait1(ep, &ev), 0);
	/* Reading part of it is no edge. */
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(wait1(ep, &ev), 0);
	/* MOD re-evaluates readiness. */
	CHECK_OK(mod(ep, p[0], EPOLLIN | EPOLLET, 6));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.data.u64, 6);
	CHECK_EQ(wait1(ep, &ev), 0);
	closep(p);

	/*
	 * EPOLLOUT|EPOLLET on a write end: once; then again only when a full
	 * pipe gets room (Linux wakes writers only on a read from a full
	 * pipe, so a read from a partly filled one is no edge).
	 */
	static char page[4096];
	if (!CHECK_OK(pipe2(p, O_NONBLOCK)))
		return;
	CHECK_OK(add(ep, p[1], EPOLLOUT | EPOLLET, 7));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	CHECK_EQ(wait1(ep, &ev), 0);
	while (write(p[1], page, sizeof(page)) == sizeof(page))
		;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(wait1(ep, &ev), 0);
	CHECK_EQ(read(p[0], page, sizeof(page)), sizeof(page));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	CHECK_EQ(wait1(ep, &ev), 0);
	closep(p);
	close(ep);
}

static void test_oneshot(void)
{
	struct epoll_event ev;
	int ep, p[2];

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 8));
	CHECK_EQ(wait1(ep, &ev), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 8);
	/* Disabled: neither the old data nor new data is reported. */
	CHECK_EQ(wait1(ep, &ev), 0);
	CHECK_EQ(write(p[1], "b", 1), 1);
	CHECK_EQ(wait1(ep, &ev), 0);
	/* Still registered though. */
	CHECK_ERR(add(ep, p[0], EPOLLIN, 0), EEXIST);
	/* Re-armed by MOD. */
	CHECK_OK(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 9));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.data.u64, 9);
	CHECK_EQ(wait1(ep, &ev), 0);
	/* Re-armed as level-triggered: for good. */
	CHECK_OK(mod(ep, p[0], EPOLLIN, 10));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.data.u64, 10);
	closep(p);
	close(ep);
}

static void test_pipe_ends(void)
{
	struct epoll_event ev;
	int ep, p[2];

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	/* An empty pipe's write end is writable, its read end nothing. */
	CHECK_OK(add(ep, p[1], EPOLLOUT | EPOLLIN, 11));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	CHECK_EQ(ev.data.u64, 11);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	/* The read end hangs up once the write end is closed. */
	CHECK_OK(add(ep, p[0], EPOLLIN, 12));
	CHECK_EQ(wait1(ep, &ev), 0);
	close(p[1]);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLHUP);
	CHECK_EQ(ev.data.u64, 12);
	/* EPOLLHUP is reported even when not asked for. */
	CHECK_OK(mod(ep, p[0], 0, 13));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLHUP);
	close(p[0]);

	/* With data left: EPOLLIN and EPOLLHUP together. */
	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN, 14));
	CHECK_EQ(write(p[1], "a", 1), 1);
	close(p[1]);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN | EPOLLHUP);
	close(p[0]);

	/* The write end reports an error once the read end is closed. */
	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[1], EPOLLOUT, 15));
	close(p[0]);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLOUT | EPOLLERR);
	CHECK_EQ(ev.data.u64, 15);
	/* EPOLLERR too is reported when not asked for. */
	CHECK_OK(mod(ep, p[1], 0, 16));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLERR);
	close(p[1]);
	close(ep);
}

static void test_wait_args(void)
{
	struct epoll_event ev[3];
	long t0, dt;
	int ep, p[2], q[2], r[2];

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 1, 0), 0);
	CHECK(now_ms() - t0 < 1000);
	t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 1, 50), 0);
	dt = now_ms() - t0;
	CHECK(dt >= 49);
	CHECK(dt < 2000);
	/* A set whose only member never becomes ready: the full timeout. */
	CHECK_OK(add(ep, p[0], EPOLLIN, 0));
	t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 1, 30), 0);
	CHECK(now_ms() - t0 >= 29);
	CHECK_ERR(epoll_wait(ep, ev, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_wait, ep, ev, -1, 0), EINVAL);
	CHECK_ERR(epoll_wait(p[0], ev, 1, 0), EINVAL);
	CHECK_ERR(epoll_wait(9999, ev, 1, 0), EBADF);
	/* More than INT_MAX / sizeof(struct epoll_event). */
	CHECK_ERR(syscall(SYS_epoll_wait, ep, ev, 1 << 30, 0), EINVAL);
	/* maxevents limits how many come back; the rest come next. */
	if (!CHECK_OK(pipe(q)) || !CHECK_OK(pipe(r)))
		return;
	CHECK_OK(add(ep, q[0], EPOLLIN, 1));
	CHECK_OK(add(ep, r[0], EPOLLIN, 2));
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(write(q[1], "a", 1), 1);
	CHECK_EQ(write(r[1], "a", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 3, 0), 3);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 2);
	CHECK_EQ(epoll_wait(ep, ev, 1, 0), 1);
	/* Level-triggered events rotate: three waits of one see all three. */
	uint64_t seen = 0;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(epoll_wait(ep, ev, 1, 0), 1);
		seen |= 1ULL << (ev[0].data.u64 & 63);
	}
	CHECK_EQ(seen, 7);
	/* An unwritable event buffer is EFAULT (with events to report). */
	CHECK_ERR(syscall(SYS_epoll_wait, ep, (struct epoll_event *)8, 1, 0),
		  EFAULT);
	closep(p);
	closep(q);
	closep(r);
	close(ep);
}

struct writer {
	int fd;
	long delay;
};

static void *delayed_write(void *arg)
{
	struct writer *w = arg;

	sleep_ms(w->delay);
	if (write(w->fd, "w", 1) != 1)
		return (void *)1;
	return NULL;
}

struct waiter {
	int ep;
	int ret;
	struct epoll_event ev;
};

static void *blocked_wait(void *arg)
{
	struct waiter *w = arg;

	w->ret = epoll_wait(w->ep, &w->ev, 1, 5000);
	return NULL;
}

static void test_threads(void)
{
	struct epoll_event ev;
	pthread_t t;
	int ep, p[2];
	long t0;

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN, 21));

	/* The main thread waits; a thread writes. */
	struct writer w = { p[1], 50 };
	if (!CHECK_EQ(pthread_create(&t, NULL, delayed_write, &w), 0))
		return;
	t0 = now_ms();
	memset(&ev, 0, sizeof(ev));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
	CHECK(now_ms() - t0 < 4000);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 21);
	CHECK_EQ(pthread_join(t, NULL), 0);
	drain(p[0]);

	/* A thread waits; the main thread writes. */
	struct waiter wt = { ep, -2, { 0, { 0 } } };
	if (!CHECK_EQ(pthread_create(&t, NULL, blocked_wait, &wt), 0))
		return;
	sleep_ms(50);
	CHECK_EQ(write(p[1], "m", 1), 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(wt.ret, 1);
	CHECK_EQ(wt.ev.data.u64, 21);
	closep(p);
	close(ep);
}

static void test_close(void)
{
	struct epoll_event ev[4];
	int ep, p[2], d;

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	/* Closing the only fd of a registered file removes it. */
	CHECK_OK(add(ep, p[0], EPOLLIN, 31));
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	int num = p[0];
	close(p[0]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	/* The number is free again: a new file under it is no EEXIST. */
	CHECK_EQ(dup2(p[1], num), num);
	CHECK_OK(add(ep, num, EPOLLOUT, 32));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 32);
	close(num);
	close(p[1]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);

	/*
	 * The registration belongs to the open file: closing one of two fds
	 * leaves it in place, still reporting under the closed number's
	 * data, but that number can no longer be named to epoll_ctl.
	 */
	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN, 33));
	d = dup(p[0]);
	CHECK(d >= 0);
	num = p[0];
	close(p[0]);
	CHECK_EQ(write(p[1], "a", 1), 1);
	memset(ev, 0, sizeof(ev));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 33);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, num, NULL), EBADF);
	/* d is a different (file, fd) key. */
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	close(d);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	close(p[1]);

	/* dup'ed fds are separate entries of the same file. */
	if (!CHECK_OK(pipe(p)))
		return;
	d = dup(p[0]);
	CHECK_OK(add(ep, p[0], EPOLLIN, 34));
	CHECK_OK(add(ep, d, EPOLLIN, 35));
	CHECK_EQ(write(p[1], "a", 1), 1);
	memset(ev, 0, sizeof(ev));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 2);
	CHECK_EQ(ev[0].data.u64 + ev[1].data.u64, 34 + 35);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 34);
	close(d);
	closep(p);
	close(ep);
}

static void test_nested(void)
{
	struct epoll_event ev;
	int a, b, c, p[2];

	a = epoll_create1(0);
	b = epoll_create1(0);
	c = epoll_create1(0);
	if (!CHECK(a >= 0 && b >= 0 && c >= 0) || !CHECK_OK(pipe(p)))
		return;
	/* b watches a, which watches the pipe. */
	CHECK_OK(add(a, p[0], EPOLLIN, 41));
	CHECK_OK(add(b, a, EPOLLIN, 42));
	CHECK_EQ(wait1(b, &ev), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(wait1(b, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 42);
	/* Waiting on b does not consume a's event. */
	CHECK_EQ(wait1(a, &ev), 1);
	CHECK_EQ(ev.data.u64, 41);
	drain(p[0]);
	CHECK_EQ(wait1(b, &ev), 0);
	/* A cycle, directly or through a third, is refused. */
	CHECK_ERR(add(a, b, EPOLLIN, 0), ELOOP);
	CHECK_OK(add(c, b, EPOLLIN, 43));
	CHECK_ERR(add(a, c, EPOLLIN, 0), ELOOP);
	/* c sees through two levels. */
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(wait1(c, &ev), 1);
	CHECK_EQ(ev.data.u64, 43);
	/* An epoll fd is never writable. */
	CHECK_OK(mod(b, a, EPOLLOUT, 44));
	CHECK_EQ(wait1(b, &ev), 0);
	closep(p);
	close(c);
	close(b);
	close(a);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1++; }

static void test_pwait(void)
{
	struct epoll_event ev;
	sigset_t block, empty, cur;
	struct timespec ts = { 0, 0 };
	int ep, p[2];

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0) || !CHECK_OK(pipe(p)))
		return;
	CHECK_OK(add(ep, p[0], EPOLLIN, 51));
	signal(SIGUSR1, on_usr1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
	CHECK_OK(raise(SIGUSR1));
	CHECK_EQ(got_usr1, 0);
	/* A mask that keeps SIGUSR1 blocked: a plain timeout. */
	CHECK_EQ(epoll_pwait(ep, &ev, 1, 0, &block), 0);
	CHECK_EQ(epoll_pwait(ep, &ev, 1, 10, &block), 0);
	CHECK_EQ(got_usr1, 0);
	/* NULL: the current mask. */
	CHECK_EQ(epoll_pwait(ep, &ev, 1, 10, NULL), 0);
	CHECK_EQ(got_usr1, 0);
	/* Unblocked for the wait: the handler runs, EINTR. */
	CHECK_ERR(epoll_pwait(ep, &ev, 1, 5000, &empty), EINTR);
	CHECK_EQ(got_usr1, 1);
	/* The old mask is back. */
	CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &cur));
	CHECK(sigismember(&cur, SIGUSR1));
	/* Ready events win over nothing pending. */
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(epoll_pwait(ep, &ev, 1, 0, &empty), 1);
	CHECK_EQ(ev.data.u64, 51);
	drain(p[0]);
	/* A bad sigsetsize is EINVAL (raw syscall). */
	CHECK_ERR(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &empty, 4), EINVAL);

	/* epoll_pwait2: a timespec timeout, NULL waits forever. */
	long t0 = now_ms();
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), 0);
	ts.tv_nsec = 30 * 1000000L;
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), 0);
	CHECK(now_ms() - t0 >= 29);
	CHECK_OK(raise(SIGUSR1));
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, &ev, 1, NULL, &empty, 8),
		  EINTR);
	CHECK_EQ(got_usr1, 2);
	ts.tv_nsec = 1000000000L;
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), EINVAL);

	CHECK_OK(sigprocmask(SIG_UNBLOCK, &block, NULL));
	signal(SIGUSR1, SIG_DFL);
	closep(p);
	close(ep);
}

static void test_eventfd(void)
{
	struct epoll_event ev;
	uint64_t v = 3;
	int ep, e;

	ep = epoll_create1(0);
	e = eventfd(0, EFD_NONBLOCK);
	if (!CHECK(ep >= 0) || !CHECK(e >= 0))
		return;
	CHECK_OK(add(ep, e, EPOLLIN | EPOLLOUT, 61));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	CHECK_OK(mod(ep, e, EPOLLIN, 62));
	CHECK_EQ(wait1(ep, &ev), 0);
	CHECK_EQ(write(e, &v, 8), 8);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 62);
	CHECK_OK(mod(ep, e, EPOLLIN | EPOLLOUT, 63));
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN | EPOLLOUT);
	CHECK_EQ(read(e, &v, 8), 8);
	CHECK_EQ(v, 3);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	/* Edge-triggered: every write is a new edge, even with no change
	 * in readability. */
	CHECK_OK(mod(ep, e, EPOLLIN | EPOLLET, 64));
	CHECK_EQ(write(e, &v, 8), 8);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(wait1(ep, &ev), 0);
	CHECK_EQ(write(e, &v, 8), 8);
	CHECK_EQ(wait1(ep, &ev), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(wait1(ep, &ev), 0);
	close(e);
	close(ep);
}

int main(void)
{
	test_create();
	test_ctl_errors();
	test_level();
	test_edge();
	test_oneshot();
	test_pipe_ends();
	test_wait_args();
	test_threads();
	test_close();
	test_nested();
	test_pwait();
	test_eventfd();
	return check_done();
}
