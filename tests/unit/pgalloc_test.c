/* Unit test: the memory-file page allocator (src/pgalloc/pgalloc.c). */
#include <string.h>

#include "pgalloc/pgalloc.h"
#include "unit.h"
#include "util/util.h"

int main(void)
{
	size_t got;

	EXPECT_EQ(pgalloc_init(), 0);
	uint64_t a = pgalloc_alloc_exact(4);
	uint64_t b = pgalloc_alloc_exact(4);
	EXPECT(a != PGALLOC_FAIL && b != PGALLOC_FAIL);
	EXPECT(a % PAGE_SIZE == 0);
	EXPECT(b >= a + 4 * PAGE_SIZE || a >= b + 4 * PAGE_SIZE);   /* disjoint */
	EXPECT_EQ(pgalloc_used_pages(), 8);
	EXPECT_EQ(pgalloc_refs(a), 1);

	/* Pages start zeroed and are shared with the file. */
	EXPECT_EQ(((char *)pgalloc_ptr(a))[100], 0);
	memset(pgalloc_ptr(a), 0xab, 4 * PAGE_SIZE);

	/* References: get/put keep the page until the last put. */
	pgalloc_get(a, 4);
	EXPECT_EQ(pgalloc_refs(a + PAGE_SIZE), 2);
	pgalloc_put(a, 4);
	EXPECT_EQ(pgalloc_used_pages(), 8);
	EXPECT_EQ(((unsigned char *)pgalloc_ptr(a))[5], 0xab);
	pgalloc_put(a, 4);
	EXPECT_EQ(pgalloc_used_pages(), 4);

	/* Freed pages come back zeroed (kept, then cleared by the
	 * allocator) and are reused first. */
	uint64_t c = pgalloc_alloc(4, &got);
	EXPECT_EQ(got, 4);
	EXPECT_EQ(c, a);
	EXPECT_EQ(((char *)pgalloc_ptr(c))[5], 0);

	/* Partial frees coalesce back into one extent. */
	pgalloc_put(c + PAGE_SIZE, 1);
	pgalloc_put(c + 2 * PAGE_SIZE, 1);
	pgalloc_put(c, 1);
	pgalloc_put(c + 3 * PAGE_SIZE, 1);
	uint64_t d = pgalloc_alloc_exact(4);
	EXPECT_EQ(d, a);

	/* pgalloc_alloc returns what it can in one piece. */
	pgalloc_put(d, 4);
	pgalloc_put(b, 4);
	EXPECT_EQ(pgalloc_used_pages(), 0);
	uint64_t e = pgalloc_alloc(1000, &got);
	EXPECT(e != PGALLOC_FAIL);
	EXPECT_EQ(got, 1000);
	pgalloc_put(e, 1000);
	EXPECT_EQ(pgalloc_used_pages(), 0);

	/* More than the allocator keeps unpunched: the rest is punched out;
	 * either way every byte reads zero when the pages come back. */
	uint64_t f = pgalloc_alloc_exact(20000);
	EXPECT(f != PGALLOC_FAIL);
	memset(pgalloc_ptr(f), 0x5a, 20000 * PAGE_SIZE);
	pgalloc_put(f, 20000);
	uint64_t g = pgalloc_alloc_exact(20000);
	EXPECT(g != PGALLOC_FAIL);
	size_t nonzero = 0;
	for (size_t i = 0; i < 20000 * PAGE_SIZE; i += 509)
		nonzero += ((unsigned char *)pgalloc_ptr(g))[i] != 0;
	EXPECT_EQ(nonzero, 0);
	for (int k = 0; k < 40; k++) {      /* small runs reuse kept pages */
		uint64_t h = pgalloc_alloc_exact(3);
		EXPECT_EQ(((unsigned char *)pgalloc_ptr(h))[PAGE_SIZE + 7], 0);
		memset(pgalloc_ptr(h), 0x77, 3 * PAGE_SIZE);
		pgalloc_put(h, 3);
	}
	pgalloc_put(g, 20000);
	EXPECT_EQ(pgalloc_used_pages(), 0);
	return unit_done();
}
