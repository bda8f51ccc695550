/*
 * pagemap.c: see pagemap.h.
 */
#include "mm/pagemap.h"

#include <stdlib.h>

#include "util/util.h"

/*
 * Six levels of small nodes (a 5-bit root, then 6 bits a level: 64
 * entries, 512 bytes), not the hardware's four of 4 KiB: an address space
 * uses a few entries of each upper node, and every page the sentry
 * touches for the first time costs a 10-15 us fault on a virtual machine
 * with shadow paging (nodes come from malloc, unpredictably placed, so
 * not prefaulted).  A small
 * program's map took sixteen 4 KiB nodes, 270 us of its start-up; now a
 * few pages of malloc's.
 */
#define L0_BITS 5
#define LN_BITS 6
#define LN_SIZE (1u << LN_BITS)
#define PAGEMAP_LEVELS 6
#define LEAF (PAGEMAP_LEVELS - 1)
_Static_assert(L0_BITS + LEAF * LN_BITS == PAGEMAP_BITS, "levels cover the page numbers");

/* Every fork and exec makes and frees a few dozen nodes. */
static struct block_cache roots = BLOCK_CACHE((1u << L0_BITS) * sizeof(void *), 64);
static struct block_cache nodes = BLOCK_CACHE(LN_SIZE * sizeof(void *), 4096);

static inline unsigned idx(uint64_t pn, int level)
{
	/* level 0 is the root (top bits), LEAF the leaf. */
	int shift = LN_BITS * (LEAF - level);
	return (unsigned)((pn >> shift) & (level == 0 ? (1u << L0_BITS) - 1 : LN_SIZE - 1));
}

uint64_t *pagemap_slot(struct pagemap *pm, uint64_t pn, bool create)
{
	void **node;

	if (pn >> PAGEMAP_BITS)
		return NULL;
	if (!pm->root) {
		if (!create)
			return NULL;
		pm->root = block_alloc(&roots, true);
		if (!pm->root)
			return NULL;
	}
	node = pm->root;
	for (int level = 0; level < LEAF; level++) {
		void **next = node[idx(pn, level)];
		if (!next) {
			if (!create)
				return NULL;
			next = block_alloc(&nodes, true);   /* pointers or uint64_t */
			if (!next)
				return NULL;
			node[idx(pn, level)] = next;
		}
		node = next;
	}
	return &((uint64_t *)node)[idx(pn, LEAF)];
}

uint64_t pagemap_next(struct pagemap *pm, uint64_t pn, uint64_t end,
		      uint64_t *val)
{
	if (!pm->root)
		return end;
	while (pn < end) {
		void **node = pm->root;
		int level;
		for (level = 0; level < LEAF; level++) {
			void **next = node[idx(pn, level)];
			if (!next)
				break;
			node = next;
		}
		if (level < LEAF) {
			/* Skip the absent subtree under this level. */
			uint64_t span = 1ULL << (LN_BITS * (LEAF - level));
			pn = (pn & ~(span - 1)) + span;
			continue;
		}
		uint64_t *leaf = (uint64_t *)node;
		for (unsigned i = idx(pn, LEAF); i < LN_SIZE && pn < end; i++, pn++) {
			if (leaf[i]) {
				*val = leaf[i];
				return pn;
			}
		}
	}
	return end;
}

static void free_level(void **node, int level)
{
	unsigned n = level == 0 ? 1u << L0_BITS : LN_SIZE;

	if (level < LEAF)
		for (unsigned i = 0; i < n; i++)
			if (node[i])
				free_level(node[i], level + 1);
	block_free(level == 0 ? &roots : &nodes, node);
}

void pagemap_free(struct pagemap *pm)
{
	if (pm->root)
		free_level(pm->root, 0);
	pm->root = NULL;
}
