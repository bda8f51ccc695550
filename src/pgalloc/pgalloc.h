/*
 * pgalloc.h: the memory file.
 *
 * All application memory, and the pages the sentry shares with stubs, live
 * in one memfd.  The sentry maps the whole file once, so application memory
 * is reached by pointer arithmetic (pgalloc_ptr), never by a syscall.  Page
 * ranges are handed out with a reference count per page; when a page's
 * count drops to zero its range is kept for reuse (up to 32 MiB, zeroed
 * when handed out again) or punched out of the file, returning the memory
 * to the host.
 */
#ifndef MOAT_PGALLOC_H
#define MOAT_PGALLOC_H

#include <stdint.h>
#include <stddef.h>

#define PGALLOC_FAIL ((uint64_t)-1)

/* Creates the memory file.  Returns 0 or -errno. */
int pgalloc_init(void);
int pgalloc_fd(void);

/*
 * Allocates between 1 and npages contiguous zeroed pages, as many as can be
 * had in one piece up to npages; *got says how many.  Each page starts with
 * one reference.  Returns the file offset or PGALLOC_FAIL (out of memory).
 */
uint64_t pgalloc_alloc(size_t npages, size_t *got);
/* Allocates exactly npages contiguous pages, or PGALLOC_FAIL. */
uint64_t pgalloc_alloc_exact(size_t npages);

/* Takes / drops one reference on each page of [off, off + npages pages). */
void pgalloc_get(uint64_t off, size_t npages);
void pgalloc_put(uint64_t off, size_t npages);
/* The reference count of the page at off. */
uint32_t pgalloc_refs(uint64_t off);

/* The sentry's address of file offset off. */
extern uint8_t *pgalloc_base;
static inline void *pgalloc_ptr(uint64_t off) { return pgalloc_base + off; }

/* Pages currently allocated, for statistics and tests. */
size_t pgalloc_used_pages(void);

#endif
