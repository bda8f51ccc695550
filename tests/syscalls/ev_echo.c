/*
 * ev_echo: an epoll echo server on a named unix socket with 100 clients.
 * A child process runs the clients (each connects, sends its number,
 * expects it back); the parent's single epoll loop accepts and echoes.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#define NCLIENTS 100

static struct sockaddr_un addr;
static socklen_t addrlen;

/* The clients: all connect first, then each sends and reads back. */
static int clients(void)
{
	int fd[NCLIENTS];

	for (int i = 0; i < NCLIENTS; i++) {
		fd[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd[i] < 0 || connect(fd[i], (struct sockaddr *)&addr, addrlen) != 0)
			return 10;
	}
	for (int i = 0; i < NCLIENTS; i++)
		if (write(fd[i], &i, sizeof(i)) != sizeof(i))
			return 11;
	for (int i = 0; i < NCLIENTS; i++) {
		int v = -1;
		if (read(fd[i], &v, sizeof(v)) != sizeof(v) || v != i)
			return 12;
		close(fd[i]);
	}
	return 0;
}

int main(void)
{
	struct epoll_event ev, out[16];
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0), ep = epoll_create1(0);
	int served = 0, closed = 0;

	if (!CHECK(lfd >= 0) || !CHECK(ep >= 0))
		return check_done();
	/* An abstract name, unique per process. */
	addr.sun_family = AF_UNIX;
	int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "moat-ev-echo-%d", getpid());
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (!CHECK_OK(bind(lfd, (struct sockaddr *)&addr, addrlen)) || !CHECK_OK(listen(lfd, 128)))
		return check_done();
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));

	pid_t pid = xfork();
	if (pid == 0)
		_exit(clients());
	while (closed < NCLIENTS) {
		int k = epoll_wait(ep, out, 16, 5000);
		if (!CHECK(k > 0))
			break;
		for (int i = 0; i < k; i++) {
			int fd = out[i].data.fd;
			if (fd == lfd) {
				int c;
				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
					CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev));
				}
				CHECK_EQ(errno, EAGAIN);
				continue;
			}
			int v;
			ssize_t r = read(fd, &v, sizeof(v));
			if (r == sizeof(v)) {
				CHECK_EQ(write(fd, &v, sizeof(v)), (long)sizeof(v));
				served++;
			} else {
				CHECK_EQ(r, 0);          /* the client is done */
				CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
				close(fd);
				closed++;
			}
		}
	}
	CHECK_EQ(served, NCLIENTS);
	CHECK_EQ(reap(pid), 0);
	return check_done();
}
