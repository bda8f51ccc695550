/*
 * util.c: logging and panics.  See util.h.
 */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int moat_log_fd = -1;

void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void vlog_to(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (n >= (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	if (buf[n - 1] != '\n')
		buf[n++] = '\n';
	write_all(fd, buf, (size_t)n);
}

void moat_log(const char *fmt, ...)
{
	va_list ap;

	if (moat_log_fd < 0)
		return;
	va_start(ap, fmt);
	vlog_to(moat_log_fd, "", fmt, ap);
	va_end(ap);
}

void moat_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_to(2, "moat: ", fmt, ap);
	va_end(ap);
	if (moat_log_fd >= 0 && moat_log_fd != 2) {
		va_start(ap, fmt);
		vlog_to(moat_log_fd, "warning: ", fmt, ap);
		va_end(ap);
	}
}

void moat_panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char prefix[256];

	snprintf(prefix, sizeof(prefix), "moat: panic at %s:%d: ", file, line);
	va_start(ap, fmt);
	vlog_to(2, prefix, fmt, ap);
	va_end(ap);
	/* Stubs die with us through PR_SET_PDEATHSIG. */
	kill(0, 0);
	abort();
}

void host_fds_reserve(void)
{
	struct rlimit rl;
	int fd, top;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	top = (int)MIN(rl.rlim_cur, (rlim_t)HOST_FDS_RESERVED) - 1;
	fd = open("/", O_PATH | O_CLOEXEC);
	if (fd < 0 || top <= fd) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (dup3(fd, top, O_CLOEXEC) == top)
		close(top);
	close(fd);
}

void prefault(void *addr, size_t len)
{
	uintptr_t lo = ALIGN_DOWN((uintptr_t)addr, PAGE_SIZE);
	uintptr_t hi = ALIGN_UP((uintptr_t)addr + len, PAGE_SIZE);

	if (len)
		madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
}

uint64_t host_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void *block_alloc(struct block_cache *c, bool zero)
{
	void *p;

	pthread_mutex_lock(&c->lock);
	p = c->free;
	if (p) {
		c->free = *(void **)p;
		c->n--;
	}
	pthread_mutex_unlock(&c->lock);
	if (!p)
		return zero ? calloc(1, c->size) : malloc(c->size);
	if (zero)
		memset(p, 0, c->size);
	return p;
}

void block_free(struct block_cache *c, void *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->n < c->max) {
		*(void **)p = c->free;
		c->free = p;
		c->n++;
		p = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	free(p);
}
