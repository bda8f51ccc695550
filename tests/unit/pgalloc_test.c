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

	/* Freed pages come back punched (zero) and are reused first. */
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
	return unit_done();
}
