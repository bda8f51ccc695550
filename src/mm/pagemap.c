/*
 * pagemap.c: see pagemap.h.
 */
#include "mm/pagemap.h"

#include <stdlib.h>

#include "util/util.h"

#define L0_BITS 8
#define LN_BITS 9
#define LN_SIZE (1u << LN_BITS)

/* Every fork and exec makes and frees a few dozen nodes. */
static struct block_cache roots = BLOCK_CACHE((1u << L0_BITS) * sizeof(void *), 64);
static struct block_cache nodes = BLOCK_CACHE(LN_SIZE * sizeof(void *), 1024);

static inline unsigned idx(uint64_t pn, int level)
{
	/* level 0 is the root (top 8 bits), level 3 the leaf. */
	int shift = LN_BITS * (3 - level);
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
	for (int level = 0; level < 3; level++) {
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
	return &((uint64_t *)node)[idx(pn, 3)];
}

uint64_t pagemap_next(struct pagemap *pm, uint64_t pn, uint64_t end,
		      uint64_t *val)
{
	if (!pm->root)
		return end;
	while (pn < end) {
		void **node = pm->root;
		int level;
		for (level = 0; level < 3; level++) {
			void **next = node[idx(pn, level)];
			if (!next)
				break;
			node = next;
		}
		if (level < 3) {
			/* Skip the absent subtree under this level. */
			uint64_t span = 1ULL << (LN_BITS * (3 - level));
			pn = (pn & ~(span - 1)) + span;
			continue;
		}
		uint64_t *leaf = (uint64_t *)node;
		for (unsigned i = idx(pn, 3); i < LN_SIZE && pn < end; i++, pn++) {
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

	if (level < 3)
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
