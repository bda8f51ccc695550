/*
 * memobj.c: see memobj.h.
 */
#include "mm/memobj.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pgalloc/pgalloc.h"
#include "util/util.h"

struct memobj *memobj_new(uint64_t npages)
{
	struct memobj *obj = calloc(1, sizeof(*obj));

	if (!obj)
		return NULL;
	pthread_mutex_init(&obj->lock, NULL);
	obj->refs = 1;
	obj->npages = npages;
	return obj;
}

void memobj_get(struct memobj *obj)
{
	__atomic_fetch_add(&obj->refs, 1, __ATOMIC_RELAXED);
}

void memobj_put(struct memobj *obj)
{
	if (__atomic_sub_fetch(&obj->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (obj->ops) {
		memobj_writeback(obj, 0, 1ULL << PAGEMAP_BITS);
		if (obj->ops->release)
			obj->ops->release(obj);
	}
	memobj_punch(obj, 0, 1ULL << PAGEMAP_BITS);
	pagemap_free(&obj->pages);
	pthread_mutex_destroy(&obj->lock);
	free(obj);
}

/* Reads absent pages [pgoff, pgoff + n) of a file's object in at once;
 * obj->lock held.  Returns false when that could not be done (the caller
 * then fills page by page). */
static bool fill_ahead(struct memobj *obj, uint64_t pgoff, uint64_t n)
{
	uint64_t off, k;
	size_t got;

	n = MIN(n, obj->npages > pgoff ? obj->npages - pgoff : 0);
	for (k = 1; k < n && !pagemap_get(&obj->pages, pgoff + k); k++)
		;
	if (k < 2)
		return false;
	off = pgalloc_alloc(k, &got);
	if (off == PGALLOC_FAIL)
		return false;
	for (k = 0; k < got; k++)
		if (!pagemap_slot(&obj->pages, pgoff + k, true))
			break;
	if (k < got || obj->ops->fill_range(obj, pgoff, off, got) != 0) {
		pgalloc_put(off, got);
		return false;
	}
	for (k = 0; k < got; k++)
		*pagemap_slot(&obj->pages, pgoff + k, false) = (off + (k << PAGE_SHIFT)) | 1;
	return true;
}

uint64_t memobj_page_get(struct memobj *obj, uint64_t pgoff)
{
	return memobj_page_get_ahead(obj, pgoff, 1);
}

uint64_t memobj_page_get_ahead(struct memobj *obj, uint64_t pgoff, uint64_t ahead)
{
	uint64_t *e, off;

	pthread_mutex_lock(&obj->lock);
	e = pagemap_slot(&obj->pages, pgoff, true);
	if (!e) {
		pthread_mutex_unlock(&obj->lock);
		return PGALLOC_FAIL;
	}
	if (!*e && ahead > 1 && obj->ops && obj->ops->fill_range &&
	    fill_ahead(obj, pgoff, ahead))
		e = pagemap_slot(&obj->pages, pgoff, false);
	if (!*e) {
		off = pgalloc_alloc_exact(1);
		if (off == PGALLOC_FAIL) {
			pthread_mutex_unlock(&obj->lock);
			return PGALLOC_FAIL;
		}
		*e = off | 1;
		if (obj->ops)
			obj->ops->fill(obj, pgoff, pgalloc_ptr(off));
	}
	off = *e & PAGE_MASK;
	pgalloc_get(off, 1);
	pthread_mutex_unlock(&obj->lock);
	return off;
}

uint64_t memobj_page_peek(struct memobj *obj, uint64_t pgoff)
{
	uint64_t e;

	pthread_mutex_lock(&obj->lock);
	e = pagemap_get(&obj->pages, pgoff);
	if (e)
		pgalloc_get(e & PAGE_MASK, 1);
	pthread_mutex_unlock(&obj->lock);
	return e ? e & PAGE_MASK : PGALLOC_FAIL;
}

void memobj_punch(struct memobj *obj, uint64_t pgoff, uint64_t n)
{
	uint64_t val, end = pgoff + n;

	pthread_mutex_lock(&obj->lock);
	while ((pgoff = pagemap_next(&obj->pages, pgoff, end, &val)) < end) {
		pgalloc_put(val & PAGE_MASK, 1);
		*pagemap_slot(&obj->pages, pgoff, false) = 0;
		pgoff++;
	}
	pthread_mutex_unlock(&obj->lock);
}

int memobj_rw(struct memobj *obj, uint64_t off, void *buf, size_t len, bool write)
{
	uint8_t *p = buf;
	int err = 0;

	pthread_mutex_lock(&obj->lock);
	while (len > 0) {
		uint64_t pgoff = off >> PAGE_SHIFT, in = off & ~PAGE_MASK;
		size_t n = MIN(len, PAGE_SIZE - in);
		uint64_t *e = pagemap_slot(&obj->pages, pgoff, write || obj->ops);

		if (obj->ops && e && !*e) {
			/* A file's page: read it in before using it. */
			uint64_t page = pgalloc_alloc_exact(1);
			if (page == PGALLOC_FAIL) {
				err = -ENOMEM;
				break;
			}
			*e = page | 1;
			obj->ops->fill(obj, pgoff, pgalloc_ptr(page));
		}
		if (write) {
			if (!e) {
				err = -ENOMEM;
				break;
			}
			if (!*e) {
				uint64_t page = pgalloc_alloc_exact(1);
				if (page == PGALLOC_FAIL) {
					err = -ENOMEM;
					break;
				}
				*e = page | 1;
			}
			memcpy((uint8_t *)pgalloc_ptr(*e & PAGE_MASK) + in, p, n);
		} else if (e && *e) {
			memcpy(p, (uint8_t *)pgalloc_ptr(*e & PAGE_MASK) + in, n);
		} else {
			memset(p, 0, n);
		}
		p += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&obj->lock);
	return err;
}

void memobj_truncate(struct memobj *obj, uint64_t size)
{
	uint64_t keep = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;

	if (size & ~PAGE_MASK) {
		/* Zero the tail of the last page, as truncate does. */
		uint64_t e;
		pthread_mutex_lock(&obj->lock);
		e = pagemap_get(&obj->pages, size >> PAGE_SHIFT);
		if (e)
			memset((uint8_t *)pgalloc_ptr(e & PAGE_MASK) + (size & ~PAGE_MASK), 0,
			       PAGE_SIZE - (size & ~PAGE_MASK));
		pthread_mutex_unlock(&obj->lock);
	}
	memobj_punch(obj, keep, (1ULL << PAGEMAP_BITS) - keep);
	__atomic_store_n(&obj->npages, keep, __ATOMIC_RELAXED);
}

void memobj_writeback(struct memobj *obj, uint64_t pgoff, uint64_t n)
{
	uint64_t val, end = pgoff + n < pgoff ? UINT64_MAX : pgoff + n;

	if (!obj->ops || !obj->ops->writeback)
		return;
	pthread_mutex_lock(&obj->lock);
	while ((pgoff = pagemap_next(&obj->pages, pgoff, end, &val)) < end) {
		obj->ops->writeback(obj, pgoff, pgalloc_ptr(val & PAGE_MASK));
		pgoff++;
	}
	pthread_mutex_unlock(&obj->lock);
}
