/* Unit test: the radix-tree page map (src/mm/pagemap.c). */
#include <stdlib.h>

#include "mm/pagemap.h"
#include "unit.h"

int main(void)
{
	struct pagemap pm = { 0 };
	uint64_t val, pn;
	static const uint64_t pages[] = { 0, 1, 511, 512, 1 << 20, (1ULL << 35) - 1 };

	EXPECT_EQ(pagemap_get(&pm, 5), 0);
	EXPECT(pagemap_slot(&pm, 5, false) == NULL);
	EXPECT(pagemap_slot(&pm, 1ULL << 35, true) == NULL);   /* out of range */

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		*pagemap_slot(&pm, pages[i], true) = (pages[i] << 12) | 1;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		EXPECT_EQ(pagemap_get(&pm, pages[i]), (pages[i] << 12) | 1);
	EXPECT_EQ(pagemap_get(&pm, 2), 0);

	/* pagemap_next visits exactly the set entries, in order. */
	pn = 0;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		pn = pagemap_next(&pm, pn, 1ULL << 35, &val);
		EXPECT_EQ(pn, pages[i]);
		EXPECT_EQ(val, (pages[i] << 12) | 1);
		pn++;
	}
	EXPECT_EQ(pagemap_next(&pm, pn, 1ULL << 35, &val), 1ULL << 35);
	/* A bounded walk stops at its end. */
	EXPECT_EQ(pagemap_next(&pm, 2, 511, &val), 511);
	EXPECT_EQ(pagemap_next(&pm, 2, 100, &val), 100);

	/* Random sets against a plain array. */
	enum { N = 4096 };
	uint64_t *shadow = calloc(N, sizeof(uint64_t));
	srand(1);
	for (int i = 0; i < 20000; i++) {
		uint64_t k = (uint64_t)rand() % N;
		uint64_t v = (uint64_t)rand();
		*pagemap_slot(&pm, (1ULL << 30) + k, true) = v;
		shadow[k] = v;
	}
	for (uint64_t k = 0; k < N; k++)
		EXPECT_EQ(pagemap_get(&pm, (1ULL << 30) + k), shadow[k]);
	free(shadow);
	pagemap_free(&pm);
	EXPECT(pm.root == NULL);
	return unit_done();
}
