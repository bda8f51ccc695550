/*
 * ev_select: select over large descriptor sets (fds up to ~1000): only
 * the ready ones come back, in all three sets; nfds bounds what is
 * looked at; a closed fd in a set is EBADF.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include "check.h"

#define NPIPES 480

int main(void)
{
	static int p[NPIPES][2];
	struct rlimit rl;
	fd_set rd, wr;
	int maxfd = 0;

	/* Room for ~1000 descriptors under FD_SETSIZE (1024). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1000) {
		rl.rlim_cur = rl.rlim_max < 1000 ? rl.rlim_max : 1000;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < NPIPES; i++) {
		if (!CHECK_OK(pipe(p[i])))
			return check_done();
		if (p[i][1] > maxfd)
			maxfd = p[i][1];
	}
	if (!CHECK(maxfd < FD_SETSIZE))
		return check_done();
	/* Data in every 37th pipe. */
	for (int i = 0; i < NPIPES; i += 37)
		CHECK_EQ(write(p[i][1], "x", 1), 1);
	FD_ZERO(&rd);
	for (int i = 0; i < NPIPES; i++)
		FD_SET(p[i][0], &rd);
	struct timeval tv = { 0, 0 };
	int expect = (NPIPES + 36) / 37;
	CHECK_EQ(select(maxfd + 1, &rd, NULL, NULL, &tv), expect);
	for (int i = 0; i < NPIPES; i++)
		CHECK_EQ(!!FD_ISSET(p[i][0], &rd), i % 37 == 0);

	/* Write ends are all writable; reads and writes counted apart. */
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	for (int i = 0; i < NPIPES; i++) {
		FD_SET(p[i][0], &rd);
		FD_SET(p[i][1], &wr);
	}
	CHECK_EQ(select(maxfd + 1, &rd, &wr, NULL, &tv), expect + NPIPES);

	/* nfds cuts the set: the last pipe's ends are beyond it. */
	FD_ZERO(&rd);
	FD_SET(p[NPIPES - 1][0], &rd);
	CHECK_EQ(select(p[NPIPES - 1][0], &rd, NULL, NULL, &tv), 0);

	/* A closed descriptor in a set. */
	int last = p[NPIPES - 1][0];
	CHECK_OK(close(last));
	FD_ZERO(&rd);
	FD_SET(last, &rd);
	CHECK_ERR(select(last + 1, &rd, NULL, NULL, &tv), EBADF);

	/* A timeout with nothing ready: 0, and the fd sets are cleared. */
	FD_ZERO(&rd);
	FD_SET(p[1][0], &rd);
	tv.tv_usec = 20000;
	CHECK_EQ(select(p[1][0] + 1, &rd, NULL, NULL, &tv), 0);
	CHECK(!FD_ISSET(p[1][0], &rd));
	return check_done();
}
