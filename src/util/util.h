/*
 * util.h: small helpers every subsystem may use: logging, panics, alignment
 * and the READ_ONCE/WRITE_ONCE accessors for memory shared with stubs.
 *
 * Logging: moat_log() writes to the debug log (--debug-log FILE), or nowhere
 * when none was given; moat_warn() always writes to stderr with the "moat:"
 * prefix as well.  panic() is only for broken sentry invariants: it prints
 * where it happened and kills the whole sandbox.
 */
#ifndef MOAT_UTIL_H
#define MOAT_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "util/compat.h"

#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The debug log: a host fd, or -1. */
extern int moat_log_fd;

void moat_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void moat_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void moat_panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
#define panic(...) moat_panic_at(__FILE__, __LINE__, __VA_ARGS__)

/*
 * Grows the sentry's descriptor table to HOST_FDS_RESERVED entries (and
 * the soft RLIMIT_NOFILE to the hard one) while the sentry has one thread:
 * hostfs holds a host descriptor per cached inode, and Linux grows a
 * table that threads share only after a synchronize_rcu(), which stalls
 * for 10-20 ms on this class of machine (`ls -la /usr/bin` hit it three
 * times, at descriptors 256, 512 and 1024).
 */
#define HOST_FDS_RESERVED 16384
void host_fds_reserve(void);

/* The host's CLOCK_MONOTONIC in ns, for the sentry's own measurements
 * (spin budgets); the sandbox's time is kernel/clock.c's moat_now_ns. */
uint64_t host_now_ns(void);

/*
 * A cache of freed blocks of one size, for allocations made and freed at a
 * high rate (page-map nodes, I/O buffers): up to max blocks are kept for
 * reuse instead of going back to malloc, whose freed large blocks may go
 * back to the host at once (an mmap and a munmap per use).  Thread-safe.
 */
struct block_cache {
	pthread_mutex_t lock;
	size_t size;
	unsigned max, n;
	void *free;
};
#define BLOCK_CACHE(sz, mx) { PTHREAD_MUTEX_INITIALIZER, (sz), (mx), 0, NULL }
/* A block of c->size bytes, zeroed if zero; NULL when out of memory. */
void *block_alloc(struct block_cache *c, bool zero);
void block_free(struct block_cache *c, void *p);

/*
 * Faults in the pages holding [addr, addr + len) for writing, in one call
 * (MADV_POPULATE_WRITE; nothing on kernels without it): for sentry memory
 * about to be written.  On a virtual machine with shadow page tables a
 * page fault costs 10-15 us and a populated page about 1 us (measured on
 * anonymous and memory-file pages alike).
 */
void prefault(void *addr, size_t len);

/* Writes all of buf to a host fd, retrying on EINTR and short writes. */
void write_all(int fd, const void *buf, size_t len);

#endif
