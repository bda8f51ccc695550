/*
 * ev_eventfd.c - eventfd and eventfd2:
 *   - the initial value reads back; an 8-byte read returns the counter and
 *     resets it, or takes 1 with EFD_SEMAPHORE; a larger buffer still
 *     transfers 8 bytes; writes add up;
 *   - EAGAIN on a zero counter with EFD_NONBLOCK; EINVAL for reads and
 *     writes shorter than 8 bytes, longer writes, and a write of
 *     0xffffffffffffffff;
 *   - a write that would take the counter past 0xfffffffffffffffe is
 *     EAGAIN with EFD_NONBLOCK and blocks otherwise until a read;
 *   - a blocking read woken by a write from another thread;
 *   - poll: POLLIN while the counter is non-zero, POLLOUT while a write of
 *     1 would not block;
 *   - EFD_CLOEXEC / EFD_NONBLOCK in F_GETFD / F_GETFL, bad flags EINVAL;
 *   - /proc/self/fdinfo/N ("eventfd-count:" in hex) and /proc/self/fd/N
 *     ("anon_inode:[eventfd]");
 *   - the fd survives fork and is shared: the child writes, the parent
 *     reads.
 *
 * Timing: a thread that has announced it is about to block is assumed to
 * be asleep 50 ms later; nothing fails if it is not yet.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MAXCNT 0xfffffffffffffffeULL

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static ssize_t put(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v));
}

/* Read the counter; returns the value, or (uint64_t)-1 with errno set. */
static uint64_t get(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return (uint64_t)-1;
	return v;
}

static short revents(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT, 0 };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

static void test_basic(void)
{
	uint64_t v;
	char buf[16];
	int fd;

	fd = eventfd(5, 0);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
	CHECK_EQ(get(fd), 5);
	/* Reset to zero: now a non-blocking read would block. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	/* Writes accumulate. */
	CHECK_EQ(put(fd, 3), 8);
	CHECK_EQ(put(fd, 4), 8);
	CHECK_EQ(put(fd, 0), 8);
	/* A bigger buffer still moves exactly 8 bytes. */
	memset(buf, 0x55, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 8);
	memcpy(&v, buf, 8);
	CHECK_EQ(v, 7);
	CHECK_EQ((unsigned char)buf[8], 0x55);
	/* Short buffers are EINVAL, whatever the counter. */
	CHECK_ERR(read(fd, buf, 7), EINVAL);
	CHECK_ERR(read(fd, buf, 0), EINVAL);
	CHECK_EQ(put(fd, 1), 8);
	CHECK_ERR(read(fd, buf, 4), EINVAL);
	CHECK_ERR(write(fd, buf, 7), EINVAL);
	CHECK_ERR(write(fd, buf, 0), EINVAL);
	/* ... and leave it alone. */
	CHECK_EQ(get(fd), 1);
	/*
	 * Writes must be exactly 8 bytes since Linux 6.6 ("eventfd: strictly
	 * check the count parameter"); reads only need at least 8.
	 */
	v = 9;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &v, 8);
	CHECK_ERR(write(fd, buf, 16), EINVAL);
	CHECK_ERR(write(fd, buf, 9), EINVAL);
	CHECK_EQ(write(fd, buf, 8), 8);
	CHECK_EQ(get(fd), 9);
	/* 0xffffffffffffffff can never be written. */
	CHECK_ERR(put(fd, UINT64_MAX), EINVAL);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_OK(close(fd));

	/* The old eventfd syscall: no flags, blocking, no cloexec. */
	fd = (int)syscall(SYS_eventfd, 2);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), 0);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		CHECK_EQ(get(fd), 2);
		CHECK_OK(close(fd));
	}
}

static void test_flags(void)
{
	int fd;

	fd = eventfd(0, EFD_CLOEXEC);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		CHECK_OK(close(fd));
	}
	fd = eventfd(0, EFD_NONBLOCK);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), 0);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		CHECK_OK(close(fd));
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK_OK(close(fd));
	}
	CHECK_ERR(eventfd(0, O_RDWR), EINVAL);
	CHECK_ERR(eventfd(0, O_APPEND), EINVAL);
	CHECK_ERR(eventfd(0, 0x40000000), EINVAL);
	CHECK_ERR(syscall(SYS_eventfd2, 0, ~(EFD_CLOEXEC | EFD_NONBLOCK)), EINVAL);
}

static void test_semaphore(void)
{
	uint64_t v;
	int fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(get(fd), 1);
	CHECK_EQ(get(fd), 1);
	CHECK_EQ(get(fd), 1);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_EQ(put(fd, 2), 8);
	CHECK_EQ(revents(fd), POLLIN | POLLOUT);
	CHECK_EQ(get(fd), 1);
	CHECK_EQ(get(fd), 1);
	CHECK_EQ(revents(fd), POLLOUT);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_OK(close(fd));
}

static void test_overflow_nonblock(void)
{
	uint64_t v;
	int fd = eventfd(0, EFD_NONBLOCK);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(revents(fd), POLLOUT);
	CHECK_EQ(put(fd, MAXCNT - 1), 8);
	CHECK_EQ(revents(fd), POLLIN | POLLOUT);
	CHECK_EQ(put(fd, 1), 8);
	/* At the maximum: readable, not writable. */
	CHECK_EQ(revents(fd), POLLIN);
	CHECK_ERR(put(fd, 1), EAGAIN);
	CHECK_ERR(put(fd, MAXCNT), EAGAIN);
	/* A write of zero never overflows. */
	CHECK_EQ(put(fd, 0), 8);
	CHECK_EQ(get(fd), MAXCNT);
	CHECK_EQ(revents(fd), POLLOUT);
	/* The maximum in one write is fine too. */
	CHECK_EQ(put(fd, MAXCNT), 8);
	CHECK_ERR(put(fd, 1), EAGAIN);
	CHECK_EQ(get(fd), MAXCNT);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_OK(close(fd));

	/* An initial value is an unsigned int, as large as it can be. */
	fd = eventfd(0xffffffffU, EFD_NONBLOCK);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(get(fd), 0xffffffffU);
		CHECK_OK(close(fd));
	}
}

struct blk {
	int fd;
	uint64_t val;
	volatile int started, done;
	ssize_t ret;
	uint64_t got;
};

static void *blocking_writer(void *arg)
{
	struct blk *b = arg;

	b->started = 1;
	b->ret = put(b->fd, b->val);
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *blocking_reader(void *arg)
{
	struct blk *b = arg;

	b->started = 1;
	b->ret = read(b->fd, &b->got, 8);
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *delayed_writer(void *arg)
{
	struct blk *b = arg;

	sleep_ms(50);
	b->ret = put(b->fd, b->val);
	return NULL;
}

static void test_overflow_blocks(void)
{
	pthread_t t;
	struct blk b = { .val = 5 };

	b.fd = eventfd(0, 0);
	if (!CHECK(b.fd >= 0))
		return;
	CHECK_EQ(put(b.fd, MAXCNT - 2), 8);
	if (!CHECK_EQ(pthread_create(&t, NULL, blocking_writer, &b), 0))
		return;
	while (!b.started)
		sleep_ms(1);
	sleep_ms(50);
	/* The write of 5 cannot fit: still blocked. */
	CHECK_EQ(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0);
	CHECK_EQ(revents(b.fd), POLLIN | POLLOUT);
	/* Reading resets the counter, which lets the write through. */
	CHECK_EQ(get(b.fd), MAXCNT - 2);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(b.ret, 8);
	CHECK_EQ(get(b.fd), 5);
	CHECK_OK(close(b.fd));
}

static void test_blocking_read(void)
{
	pthread_t t;
	struct blk b = { .val = 42 };
	uint64_t v = 0;

	/* The main thread blocks; a thread writes 50 ms later. */
	b.fd = eventfd(0, 0);
	if (!CHECK(b.fd >= 0))
		return;
	if (!CHECK_EQ(pthread_create(&t, NULL, delayed_writer, &b), 0))
		return;
	CHECK_EQ(read(b.fd, &v, 8), 8);
	CHECK_EQ(v, 42);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(b.ret, 8);

	/* A thread blocks; the main thread writes. */
	b.started = b.done = 0;
	b.got = 0;
	if (!CHECK_EQ(pthread_create(&t, NULL, blocking_reader, &b), 0))
		return;
	while (!b.started)
		sleep_ms(1);
	sleep_ms(50);
	CHECK_EQ(__atomic_load_n(&b.done, __ATOMIC_SEQ_CST), 0);
	CHECK_EQ(put(b.fd, 7), 8);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(b.ret, 8);
	CHECK_EQ(b.got, 7);
	CHECK_OK(close(b.fd));

	/* poll with a timeout, woken by the write. */
	b.fd = eventfd(0, 0);
	b.val = 1;
	if (!CHECK(b.fd >= 0))
		return;
	if (!CHECK_EQ(pthread_create(&t, NULL, delayed_writer, &b), 0))
		return;
	struct pollfd p = { b.fd, POLLIN, 0 };
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(get(b.fd), 1);
	CHECK_OK(close(b.fd));
}

static void test_proc(void)
{
	char path[64], buf[512];
	ssize_t n;
	int fd = eventfd(0x1234, 0);

	if (!CHECK(fd >= 0))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		if (!CHECK(strcmp(buf, "anon_inode:[eventfd]") == 0))
			printf("  readlink: \"%s\"\n", buf);
	}

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	int f = open(path, O_RDONLY);
	if (CHECK(f >= 0)) {
		n = read(f, buf, sizeof(buf) - 1);
		CHECK(n > 0);
		buf[n > 0 ? n : 0] = 0;
		char *s = strstr(buf, "eventfd-count:");
		if (CHECK(s != NULL))
			CHECK_EQ(strtoull(s + 14, NULL, 16), 0x1234);
		CHECK(strstr(buf, "flags:") != NULL);
		CHECK_OK(close(f));
	}
	CHECK_OK(close(fd));
}

static void test_fork(void)
{
	int st, fd = eventfd(0, 0);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(put(fd, 1), 8);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t v = 0;
		/* The child sees the parent's counter and adds to it. */
		if (read(fd, &v, 8) != 8 || v != 1)
			_exit(2);
		if (put(fd, 100) != 8)
			_exit(3);
		_exit(0);
	}
	if (!CHECK(pid > 0))
		return;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_EQ(get(fd), 100);
	CHECK_OK(close(fd));
}

int main(void)
{
	test_basic();
	test_flags();
	test_semaphore();
	test_overflow_nonblock();
	test_overflow_blocks();
	test_blocking_read();
	test_proc();
	test_fork();
	return check_done();
}
