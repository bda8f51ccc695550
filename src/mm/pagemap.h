/*
 * pagemap.h: a sparse map from page number to a 64-bit entry.
 *
 * A six-level radix tree (5 + 6 * 5 bits, covering the 35-bit page
 * numbers of a 47-bit address space) of 512-byte nodes.
 * Absent entries read as zero; interior nodes are allocated on first write
 * and kept until pagemap_free.  Not locked: the owner serialises access.
 */
#ifndef MOAT_PAGEMAP_H
#define MOAT_PAGEMAP_H

#include <stdbool.h>
#include <stdint.h>

#define PAGEMAP_BITS 35

struct pagemap {
	void **root;
};

/* The entry of page pn, or NULL when absent and !create (or no memory). */
uint64_t *pagemap_slot(struct pagemap *pm, uint64_t pn, bool create);

static inline uint64_t pagemap_get(struct pagemap *pm, uint64_t pn)
{
	uint64_t *e = pagemap_slot(pm, pn, false);
	return e ? *e : 0;
}

/*
 * Finds the first page >= pn and < end with a nonzero entry; returns its
 * number (and the entry in *val) or end when there is none.  Skips absent
 * subtrees whole, so walking a sparse range is cheap.
 */
uint64_t pagemap_next(struct pagemap *pm, uint64_t pn, uint64_t end,
		      uint64_t *val);

void pagemap_free(struct pagemap *pm);

#endif
