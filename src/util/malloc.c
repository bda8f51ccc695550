/*
 * malloc.c: the sentry's allocator when moat is linked with musl (the
 * release build; glibc builds keep glibc's).  musl's own (mallocng) maps
 * and unmaps small groups of blocks as they fill and empty: during an
 * `ls -la /usr/bin` the sentry made 239 mmaps and 37 munmaps of 4-16 KiB,
 * and on a virtual machine whose TLB shootdowns are hypercalls (~90 us
 * each once the sentry has run on two CPUs) that made the run 15% slower
 * than with glibc.  This one never gives memory back below 1 MiB: blocks
 * of 60 size classes (16-byte steps to 128, then four per power of two)
 * are carved from 1 MiB chunks and kept on per-class free lists; larger
 * blocks are mapped and unmapped whole.  One lock: the sentry allocates
 * little on its hot paths (they have block caches, util.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/util.h"

#ifndef __GLIBC__

#define HDR 16                        /* header before every block */
#define NCLASS 60
#define CLASS_MAX (1UL << 20)         /* larger: mapped whole */
#define CHUNK (1UL << 20)
#define MAPPED 0xffffffffU            /* header class of a mapped block */
#define ALIGNED 0xfffffffeU           /* header of an over-aligned block */

struct hdr {
	uint32_t cls;
	uint32_t pad;
	uint64_t size;                    /* mapped: length; aligned: offset */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *free_list[NCLASS];
static char *chunk_next, *chunk_end;

/* The class of n bytes (1 <= n <= CLASS_MAX) and its block size. */
static unsigned size_class(size_t n, size_t *size)
{
	if (n <= 128) {
		unsigned i = (unsigned)((n + 15) / 16);
		*size = i * 16;
		return i - 1;
	}
	unsigned e = 63 - (unsigned)__builtin_clzl(n - 1);   /* 2^e < n <= 2^(e+1) */
	size_t step = 1UL << (e - 2);
	unsigned q = (unsigned)((n - (1UL << e) + step - 1) / step);  /* 1..4 */
	*size = (1UL << e) + q * step;
	return 8 + (e - 7) * 4 + (q - 1);
}

/* The block size of class c (size_class's inverse). */
static size_t class_size(unsigned c)
{
	if (c < 8)
		return (c + 1) * 16;
	unsigned e = (c - 8) / 4 + 7, q = (c - 8) % 4 + 1;
	return (1UL << e) + q * (1UL << (e - 2));
}

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* malloc under another name: GCC turns malloc+memset into a call to
 * calloc, which here would call itself. */
static void *alloc(size_t n)
{
	struct hdr *h;
	size_t size;

	if (n == 0)
		n = 1;
	if (n > CLASS_MAX) {
		if (n > SIZE_MAX - HDR - 4096) {
			errno = ENOMEM;
			return NULL;
		}
		size = (n + HDR + 4095) & ~4095UL;
		h = map(size);
		if (!h) {
			errno = ENOMEM;
			return NULL;
		}
		h->cls = MAPPED;
		h->size = size;
		return h + 1;
	}
	unsigned c = size_class(n, &size);
	pthread_mutex_lock(&lock);
	h = free_list[c];
	if (h) {
		free_list[c] = *(void **)(h + 1);
	} else {
		if ((size_t)(chunk_end - chunk_next) < size + HDR) {
			size_t len = size + HDR > CHUNK ? (size + HDR + 4095) & ~4095UL : CHUNK;
			char *p = map(len);
			if (!p) {
				pthread_mutex_unlock(&lock);
				errno = ENOMEM;
				return NULL;
			}
			/* The first chunk's first 128 KiB: what a sandbox's
			 * start-up writes (with glibc, warm_sentry_pages
			 * populates its heap), one call for ~30 faults. */
			if (!chunk_end)
				prefault(p, 128 << 10);
			chunk_next = p;
			chunk_end = p + len;
		}
		h = (struct hdr *)chunk_next;
		chunk_next += size + HDR;
		h->cls = c;
	}
	pthread_mutex_unlock(&lock);
	return h + 1;
}

void *malloc(size_t n)
{
	return alloc(n);
}

static struct hdr *header(void *p)
{
	struct hdr *h = (struct hdr *)p - 1;

	if (h->cls == ALIGNED)
		h = (struct hdr *)((char *)p - h->size) - 1;
	return h;
}

void free(void *p)
{
	if (!p)
		return;
	struct hdr *h = header(p);
	if (h->cls == MAPPED) {
		munmap(h, h->size);
		return;
	}
	/* The link lives in the block, the header stays. */
	pthread_mutex_lock(&lock);
	*(void **)(h + 1) = free_list[h->cls];
	free_list[h->cls] = h;
	pthread_mutex_unlock(&lock);
}

size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	struct hdr *h = header(p);
	if (h->cls == MAPPED)
		return h->size - HDR - (size_t)((char *)p - (char *)(h + 1));
	/* The class's block size, less what an alignment skipped. */
	return class_size(h->cls) - (size_t)((char *)p - (char *)(h + 1));
}

void *calloc(size_t a, size_t b)
{
	size_t n;

	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = alloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	size_t have = malloc_usable_size(p);
	if (n <= have && n > have / 2)
		return p;
	void *q = malloc(n);
	if (q) {
		memcpy(q, p, have < n ? have : n);
		free(p);
	}
	return q;
}

void *aligned_alloc(size_t align, size_t n)
{
	if (align <= HDR)
		return malloc(n);
	if (align & (align - 1) || n > SIZE_MAX - align - HDR) {
		errno = EINVAL;
		return NULL;
	}
	char *raw = malloc(n + align + HDR);
	if (!raw)
		return NULL;
	char *p = (char *)(((uintptr_t)raw + HDR + align - 1) & ~(uintptr_t)(align - 1));
	struct hdr *h = (struct hdr *)p - 1;
	h->cls = ALIGNED;
	h->size = (uint64_t)(p - raw);
	return p;
}

int posix_memalign(void **res, size_t align, size_t n)
{
	if (align < sizeof(void *) || align & (align - 1))
		return EINVAL;
	void *p = aligned_alloc(align, n);
	if (!p)
		return ENOMEM;
	*res = p;
	return 0;
}

void *memalign(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}
#endif
