/*
 * memobj.h: a memory object: pages of the memory file indexed by page
 * offset, shared by every mapping of it.  MAP_SHARED|MAP_ANONYMOUS mappings
 * are backed by one (and later tmpfs files and memfds will be).
 *
 * The object holds one reference on each of its pages; a page map entry
 * that maps one of them holds another.
 */
#ifndef MOAT_MEMOBJ_H
#define MOAT_MEMOBJ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/pagemap.h"

struct memobj;

/* A memory object caching a file (a host file mapped MAP_SHARED): its
 * pages are read from the file when first needed and written back. */
struct memobj_ops {
	/* Fills a new page (zeroed) with the file's bytes at pgoff. */
	void (*fill)(struct memobj *obj, uint64_t pgoff, void *page);
	/* Optional: fills npages new, zeroed, contiguous pages at memory-file
	 * offset mem_off with the file's bytes from page pgoff on, in one go
	 * (0 or -errno). */
	int (*fill_range)(struct memobj *obj, uint64_t pgoff, uint64_t mem_off,
			  uint64_t npages);
	/* Writes one present page back to the file. */
	void (*writeback)(struct memobj *obj, uint64_t pgoff, const void *page);
	void (*release)(struct memobj *obj);
	/* Optional: a host descriptor whose bytes are the object's and never
	 * change (a read-only tree's file), for mapping it directly. */
	int (*host_fd)(struct memobj *obj);
};

struct memobj {
	pthread_mutex_t lock;
	int refs;
	uint64_t npages;          /* size: pages at or beyond it raise SIGBUS */
	struct pagemap pages;     /* pgoff -> file offset | 1 */
	const struct memobj_ops *ops;   /* NULL: anonymous memory */
	void *priv;
};

struct memobj *memobj_new(uint64_t npages);
void memobj_get(struct memobj *obj);
void memobj_put(struct memobj *obj);

/*
 * Returns the file offset of page pgoff, allocating a zeroed page when it
 * has none, with one extra reference taken for the caller; PGALLOC_FAIL on
 * out of memory.
 */
uint64_t memobj_page_get(struct memobj *obj, uint64_t pgoff);
/*
 * The same, reading ahead: when page pgoff is absent, up to `ahead` absent
 * pages from it on (within the object's size) are read in together into
 * contiguous memory-file pages, so that they also map as one run.
 */
uint64_t memobj_page_get_ahead(struct memobj *obj, uint64_t pgoff, uint64_t ahead);
/* Page pgoff with a reference taken if the object has it, else
 * PGALLOC_FAIL (nothing is allocated or read). */
uint64_t memobj_page_peek(struct memobj *obj, uint64_t pgoff);

/* Drops the object's pages in [pgoff, pgoff + n) (MADV_REMOVE). */
void memobj_punch(struct memobj *obj, uint64_t pgoff, uint64_t n);

/*
 * Copies len bytes between buf and the object at byte offset off.  Reads
 * of pages the object lacks give zeros; writes allocate them.  Returns 0
 * or -ENOMEM.
 */
int memobj_rw(struct memobj *obj, uint64_t off, void *buf, size_t len, bool write);

/* Writes the present pages in [pgoff, pgoff + n) back (ops->writeback). */
void memobj_writeback(struct memobj *obj, uint64_t pgoff, uint64_t n);

/* Drops everything past size bytes (a tmpfs truncate) and sets npages. */
void memobj_truncate(struct memobj *obj, uint64_t size);

#endif
