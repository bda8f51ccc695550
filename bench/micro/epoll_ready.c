/* epoll_ready: epoll_wait on an eventfd that is always ready (level-
 * triggered); one op is one epoll_wait returning one event. */
#define BENCH_NAME "epoll_ready"
#define BENCH_DEFAULT_ITERS 100000
#include "bench.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int ep = -1, efd = -1;

static int bench_setup(long iters)
{
	struct epoll_event ev = { .events = EPOLLIN };

	(void)iters;
	ep = epoll_create1(0);
	efd = eventfd(1, 0);
	if (ep < 0 || efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0)
		return -1;
	return 0;
}

static void bench_teardown(void)
{
	close(ep);
	close(efd);
}

static long long bench_run(long iters)
{
	struct epoll_event out;

	for (long i = 0; i < iters; i++)
		bench_keep(epoll_wait(ep, &out, 1, 0));
	return -1;
}
