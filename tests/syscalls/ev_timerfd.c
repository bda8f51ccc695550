/*
 * ev_timerfd.c - timerfd:
 *   - timerfd_create with CLOCK_MONOTONIC, CLOCK_REALTIME and
 *     CLOCK_BOOTTIME; EINVAL for other clocks and bad flags; TFD_CLOEXEC
 *     and TFD_NONBLOCK in F_GETFD / F_GETFL;
 *   - a 20 ms one-shot timer: a blocking read waits for it and returns 1;
 *     then the timer is disarmed;
 *   - a 10 ms periodic timer: expirations accumulate while nobody reads
 *     (>= 3 after 100 ms), and a read resets the count;
 *   - EAGAIN from a non-blocking read before expiry or while disarmed;
 *     EINVAL for reads shorter than 8 bytes, and for writes;
 *   - timerfd_gettime: the remaining time (no more than was set) and the
 *     interval; settime returns the old setting; disarming with a zero
 *     it_value (the interval given is still reported);
 *   - TFD_TIMER_ABSTIME with a time in the past expires at once (a
 *     periodic one counts the missed periods);
 *   - poll and epoll readiness;
 *   - EINVAL for a bad tv_nsec (or negative time) and bad settime flags
 *     (TFD_TIMER_CANCEL_ON_SET alone is accepted),
 *     EINVAL for timerfd_gettime/settime on a non-timerfd, EBADF for a bad
 *     fd;
 *   - /proc/self/fd/N is "anon_inode:[timerfd]".
 *
 * Timing margins: every timer is checked to have fired within 2 s, and
 * never to have fired before it was due.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MS 1000000L

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / MS;
}

static int arm(int fd, long value_ns, long interval_ns)
{
	struct itimerspec its = {
		.it_interval = { interval_ns / 1000000000L,
				 interval_ns % 1000000000L },
		.it_value = { value_ns / 1000000000L, value_ns % 1000000000L },
	};

	return timerfd_settime(fd, 0, &its, NULL);
}

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void test_create(void)
{
	static const int clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME,
				      CLOCK_BOOTTIME };
	char path[64], buf[64];
	int fd;

	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		fd = timerfd_create(clocks[i], 0);
		if (!CHECK(fd >= 0))
			continue;
		CHECK_EQ(fcntl(fd, F_GETFD), 0);
		CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK),
			 O_RDWR);
		close(fd);
	}
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, buf, sizeof(buf) - 1);
		if (CHECK(n > 0)) {
			buf[n] = 0;
			CHECK(strcmp(buf, "anon_inode:[timerfd]") == 0);
		}
		close(fd);
	}
	CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_THREAD_CPUTIME_ID, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC_RAW, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC_COARSE, 0), EINVAL);
	CHECK_ERR(timerfd_create(12345, 0), EINVAL);
	CHECK_ERR(timerfd_create(-1, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, O_RDWR), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME), EINVAL);
}

static void test_oneshot(void)
{
	struct itimerspec cur;
	uint64_t v = 0;
	long t0, dt;
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);

	if (!CHECK(fd >= 0))
		return;
	/* Never armed: gettime is all zero. */
	memset(&cur, 0xff, sizeof(cur));
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK(ts_ns(&cur.it_value) == 0 && ts_ns(&cur.it_interval) == 0);

	t0 = now_ms();
	CHECK_OK(arm(fd, 20 * MS, 0));
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	dt = now_ms() - t0;
	CHECK_EQ(v, 1);
	CHECK(dt >= 19);
	CHECK(dt < 2000);
	/* Expired: disarmed, and nothing more to read. */
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK(ts_ns(&cur.it_value) == 0 && ts_ns(&cur.it_interval) == 0);
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);

	/* Nothing yet a long way before expiry. */
	CHECK_OK(arm(fd, 10000 * MS, 0));
	CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
	/* Short reads are EINVAL; writes too. */
	char small[7];
	CHECK_ERR(read(fd, small, sizeof(small)), EINVAL);
	CHECK_ERR(read(fd, small, 0), EINVAL);
	CHECK_ERR(write(fd, &v, sizeof(v)), EINVAL);
	/* A larger buffer is fine: still EAGAIN. */
	char big[16];
	CHECK_ERR(read(fd, big, sizeof(big)), EAGAIN);
	close(fd);
}

static void test_periodic(void)
{
	struct itimerspec cur;
	uint64_t v = 0;
	char big[16];
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);

	if (!CHECK(fd >= 0))
		return;
	long t0 = now_ms();
	CHECK_OK(arm(fd, 10 * MS, 10 * MS));
	sleep_ms(100);
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	long dt = now_ms() - t0;
	CHECK(v >= 3);
	/* Never more than the periods that have passed. */
	CHECK(v <= (uint64_t)(dt / 10 + 1));
	/* Still armed with its interval. */
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(ts_ns(&cur.it_interval), 10 * MS);
	CHECK(ts_ns(&cur.it_value) >= 0);
	CHECK(ts_ns(&cur.it_value) <= 10 * MS);
	/* The count was reset; the next read blocks for the next tick. */
	memset(big, 0x55, sizeof(big));
	CHECK_EQ(read(fd, big, sizeof(big)), 8);
	memcpy(&v, big, 8);
	CHECK(v >= 1);
	CHECK_EQ((unsigned char)big[8], 0x55);
	/* Disarm: no more ticks. */
	CHECK_OK(arm(fd, 0, 10 * MS));
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK(ts_ns(&cur.it_value) == 0);
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	sleep_ms(30);
	/* A tick may have landed between the read and the disarm... */
	(void)!read(fd, &v, sizeof(v));
	/* ... but no later one. */
	sleep_ms(30);
	CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
	close(fd);
}

static void test_gettime(void)
{
	struct itimerspec its, old, cur;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);

	if (!CHECK(fd >= 0))
		return;
	its.it_value.tv_sec = 10;
	its.it_value.tv_nsec = 0;
	its.it_interval.tv_sec = 1;
	its.it_interval.tv_nsec = 500;
	memset(&old, 0xff, sizeof(old));
	CHECK_OK(timerfd_settime(fd, 0, &its, &old));
	CHECK(ts_ns(&old.it_value) == 0 && ts_ns(&old.it_interval) == 0);
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK(ts_ns(&cur.it_value) <= 10000 * MS);
	CHECK(ts_ns(&cur.it_value) > 8000 * MS);
	CHECK_EQ(cur.it_interval.tv_sec, 1);
	CHECK_EQ(cur.it_interval.tv_nsec, 500);
	CHECK(cur.it_value.tv_nsec >= 0 && cur.it_value.tv_nsec < 1000000000L);
	/* settime hands back the old setting, with the remaining time. */
	its.it_value.tv_sec = 20;
	its.it_interval.tv_sec = 0;
	its.it_interval.tv_nsec = 0;
	CHECK_OK(timerfd_settime(fd, 0, &its, &old));
	CHECK(ts_ns(&old.it_value) <= 10000 * MS);
	CHECK(ts_ns(&old.it_value) > 8000 * MS);
	CHECK_EQ(ts_ns(&old.it_interval), 1000000000LL + 500);
	/*
	 * Disarm with a zero it_value. The interval is still recorded and
	 * reported by gettime, though the timer never runs.
	 */
	its.it_value.tv_sec = 0;
	its.it_interval.tv_sec = 5;
	CHECK_OK(timerfd_settime(fd, 0, &its, &old));
	CHECK(ts_ns(&old.it_value) > 18000 * MS);
	CHECK_EQ(ts_ns(&old.it_interval), 0);
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(ts_ns(&cur.it_value), 0);
	CHECK_EQ(ts_ns(&cur.it_interval), 5000 * MS);
	its.it_interval.tv_sec = 0;
	CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(ts_ns(&cur.it_value), 0);
	CHECK_EQ(ts_ns(&cur.it_interval), 0);
	uint64_t v;
	CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
	close(fd);
}

static void test_abstime(void)
{
	struct itimerspec its, cur;
	struct timespec now;
	uint64_t v = 0;
	long t0;
	int fd;

	/* Monotonic, an absolute time long past: at once. */
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	if (!CHECK(fd >= 0))
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 1;
	t0 = now_ms();
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	CHECK_EQ(v, 1);
	CHECK(now_ms() - t0 < 2000);

	/* Periodic, 100 periods of 10 ms missed: counted all at once. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	its.it_value = now;
	its.it_value.tv_sec -= 1;
	its.it_interval.tv_sec = 0;
	its.it_interval.tv_nsec = 10 * MS;
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	CHECK(v >= 100);
	CHECK(v < 400);
	CHECK_OK(arm(fd, 0, 0));

	/* Absolute, 40 ms ahead: waits for it; gettime is relative. */
	t0 = now_ms();
	clock_gettime(CLOCK_MONOTONIC, &now);
	its.it_interval.tv_nsec = 0;
	its.it_value = now;
	its.it_value.tv_nsec += 40 * MS;
	if (its.it_value.tv_nsec >= 1000000000L) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000L;
	}
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK(ts_ns(&cur.it_value) >= 0);
	CHECK(ts_ns(&cur.it_value) <= 40 * MS);
	CHECK_EQ(cur.it_interval.tv_nsec, 0);
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	CHECK_EQ(v, 1);
	CHECK(now_ms() - t0 >= 39);
	close(fd);

	/* Realtime, the epoch: at once. */
	fd = timerfd_create(CLOCK_REALTIME, 0);
	if (!CHECK(fd >= 0))
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = 1;
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	CHECK_EQ(v, 1);
	/* TFD_TIMER_CANCEL_ON_SET is accepted with ABSTIME on realtime. */
	its.it_value.tv_sec = 2;
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME |
				 TFD_TIMER_CANCEL_ON_SET, &its, NULL));
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	CHECK_EQ(v, 1);
	close(fd);
}

static void test_poll(void)
{
	struct epoll_event ev;
	struct pollfd p;
	uint64_t v;
	long t0;
	int ep, fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);

	if (!CHECK(fd >= 0))
		return;
	p.fd = fd;
	p.events = POLLIN | POLLOUT;
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_OK(arm(fd, 20 * MS, 0));
	CHECK_EQ(poll(&p, 1, 0), 0);
	t0 = now_ms();
	CHECK_EQ(poll(&p, 1, 2000), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK(now_ms() - t0 < 2000);
	/* Still readable until read. */
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	CHECK_EQ(v, 1);
	CHECK_EQ(poll(&p, 1, 0), 0);

	ep = epoll_create1(0);
	if (!CHECK(ep >= 0))
		return;
	ev.events = EPOLLIN;
	ev.data.u64 = 99;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	CHECK_OK(arm(fd, 20 * MS, 0));
	memset(&ev, 0, sizeof(ev));
	t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, &ev, 1, 2000), 1);
	CHECK(now_ms() - t0 < 2000);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 99);
	CHECK_EQ(read(fd, &v, sizeof(v)), 8);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	/* Re-arming clears an expiration nobody has read yet. */
	CHECK_OK(arm(fd, 1 * MS, 0));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 2000), 1);
	CHECK_OK(arm(fd, 10000 * MS, 0));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
	close(ep);
	close(fd);
}

static void test_errors(void)
{
	struct itimerspec its, cur;
	int p[2], fd = timerfd_create(CLOCK_MONOTONIC, 0);

	if (!CHECK(fd >= 0) || !CHECK_OK(pipe(p)))
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 1000000000L;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = -1;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = 0;
	its.it_value.tv_sec = -1;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_value.tv_sec = 1;
	its.it_interval.tv_nsec = 1000000000L;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_interval.tv_nsec = 0;
	/* Nothing was armed by the failures. */
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(ts_ns(&cur.it_value), 0);
	/*
	 * Bad flags. TFD_TIMER_CANCEL_ON_SET is accepted (and ignored)
	 * without TFD_TIMER_ABSTIME, or on a monotonic clock.
	 */
	CHECK_ERR(timerfd_settime(fd, 4, &its, NULL), EINVAL);
	CHECK_ERR(timerfd_settime(fd, 0x100, &its, NULL), EINVAL);
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_CANCEL_ON_SET, &its, NULL));
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK(ts_ns(&cur.it_value) > 0);
	its.it_value.tv_sec = 0;
	CHECK_OK(timerfd_settime(fd, 0, &its, NULL));
	its.it_value.tv_sec = 1;
	/* Not a timerfd, not an fd. */
	CHECK_ERR(timerfd_settime(p[0], 0, &its, NULL), EINVAL);
	CHECK_ERR(timerfd_gettime(p[0], &cur), EINVAL);
	CHECK_ERR(timerfd_settime(9999, 0, &its, NULL), EBADF);
	CHECK_ERR(timerfd_gettime(9999, &cur), EBADF);
	/* Bad pointers. */
	CHECK_ERR(syscall(SYS_timerfd_settime, fd, 0, (void *)8, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_timerfd_gettime, fd, (void *)8), EFAULT);
	close(p[0]);
	close(p[1]);
	close(fd);
}

int main(void)
{
	test_create();
	test_oneshot();
	test_periodic();
	test_gettime();
	test_abstime();
	test_poll();
	test_errors();
	return check_done();
}
