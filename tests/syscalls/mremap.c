/*
 * mremap.c - mremap semantics on anonymous memory.
 *
 * Known-free address ranges are found by mapping a PROT_NONE reservation
 * and unmapping (parts of) it; "range is free" is verified by mapping it
 * again with MAP_FIXED_NOREPLACE, which fails with EEXIST if anything is
 * still there.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"


/* Reserve npages of address space (PROT_NONE); NULL on failure. */
static char *reserve(size_t npages)
{
	char *p = mmap(NULL, npages * PAGE, PROT_NONE, ANON, -1, 0);

	return CHECK(p != MAP_FAILED) ? p : NULL;
}

/* Map npages RW at exactly addr, which must be free. */
static char *map_at(char *addr, size_t npages, int flags)
{
	char *p = mmap(addr, npages * PAGE, RW,
		       flags | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	return CHECK(p == addr) ? p : NULL;
}

/* 1 if [addr, addr+npages) is unmapped (checked by mapping it). */
static int is_free(char *addr, size_t npages)
{
	char *p = mmap(addr, npages * PAGE, PROT_NONE,
		       ANON | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	munmap(p, npages * PAGE);
	return p == addr;
}

static void fill(char *p, size_t npages, int tag)
{
	for (size_t i = 0; i < npages; i++)
		memset(p + i * PAGE, tag + (int)i, PAGE);
}

static int page_is(const char *p, size_t i, int tag)
{
	for (size_t j = 0; j < PAGE; j++)
		if (p[i * PAGE + j] != (char)(tag + (int)i))
			return 0;
	return 1;
}

static int page_zero(const char *p)
{
	for (size_t j = 0; j < PAGE; j++)
		if (p[j])
			return 0;
	return 1;
}

static void test_grow_shrink_in_place(void)
{
	char *r = reserve(4), *p, *q;

	if (!r)
		return;
	CHECK_OK(munmap(r, 4 * PAGE));
	if (!(p = map_at(r, 2, MAP_PRIVATE)))
		return;
	fill(p, 2, 'g');
	/* Grow into the free pages behind it: stays in place. */
	q = mremap(p, 2 * PAGE, 4 * PAGE, 0);
	CHECK(q == p);
	if (q != p)
		return;
	CHECK(page_is(p, 0, 'g') && page_is(p, 1, 'g'));
	CHECK(page_zero(p + 2 * PAGE) && page_zero(p + 3 * PAGE));
	fill(p + 2 * PAGE, 2, 'G');		/* the new part is writable */

	/* Shrink: stays in place, the tail becomes free. */
	q = mremap(p, 4 * PAGE, PAGE, 0);
	CHECK(q == p);
	CHECK(page_is(p, 0, 'g'));
	CHECK(is_free(p + PAGE, 3));
	CHECK_OK(munmap(p, PAGE));
}

static void test_move(void)
{
	char *r = reserve(3), *p, *q;

	if (!r)
		return;
	/* p = r[0..2) RW; r[2] stays reserved so p cannot grow in place. */
	CHECK_OK(munmap(r, 2 * PAGE));
	if (!(p = map_at(r, 2, MAP_PRIVATE)))
		return;
	fill(p, 2, 'm');

	CHECK_MAP_ERR(mremap(p, 2 * PAGE, 3 * PAGE, 0), ENOMEM);
	CHECK(page_is(p, 0, 'm') && page_is(p, 1, 'm'));

	q = mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	if (!CHECK(q != MAP_FAILED))
		return;
	CHECK(q != p);
	CHECK(page_is(q, 0, 'm') && page_is(q, 1, 'm'));
	for (size_t i = 2; i < 8; i++)
		CHECK(page_zero(q + i * PAGE));
	CHECK(is_free(p, 2));			/* the old range is gone */
	CHECK_OK(munmap(q, 8 * PAGE));
	CHECK_OK(munmap(r + 2 * PAGE, PAGE));
}

static void test_fixed(void)
{
	char *src = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
	char *dst = reserve(8), *q;

	if (!CHECK(src != MAP_FAILED) || !dst)
		return;
	fill(src, 2, 'x');
	/* MREMAP_FIXED onto an existing (reserved) mapping replaces it. */
	q = mremap(src, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		   dst + PAGE);
	CHECK(q == dst + PAGE);
	if (q != dst + PAGE)
		return;
	CHECK(page_is(q, 0, 'x') && page_is(q, 1, 'x'));
	CHECK(is_free(src, 2));
	/* Move it again, growing, to a fresh spot; contents follow. */
	CHECK_OK(munmap(dst, 8 * PAGE));
	CHECK(q = map_at(dst, 2, MAP_PRIVATE));
	if (!q)
		return;
	fill(q, 2, 'y');
	src = mremap(q, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
		     dst + 5 * PAGE);
	if (CHECK(src == dst + 5 * PAGE)) {
		CHECK(page_is(src, 0, 'y') && page_is(src, 1, 'y'));
		CHECK(page_zero(src + 2 * PAGE));
		CHECK_OK(munmap(src, 3 * PAGE));
	}

	/* Errors: FIXED needs MAYMOVE; overlap; unaligned new address. */
	q = mmap(NULL, 4 * PAGE, RW, ANON, -1, 0);
	if (!CHECK(q != MAP_FAILED))
		return;
	CHECK_MAP_ERR(mremap(q, PAGE, PAGE, MREMAP_FIXED, q + 2 * PAGE),
		      EINVAL);
	CHECK_MAP_ERR(mremap(q, 2 * PAGE, 2 * PAGE,
			     MREMAP_MAYMOVE | MREMAP_FIXED, q + PAGE), EINVAL);
	CHECK_MAP_ERR(mremap(q, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			     q + 2 * PAGE + 1), EINVAL);
	CHECK_OK(munmap(q, 4 * PAGE));
}

/* old_len 0 duplicates a shared mapping (and is refused for private). */
static void test_old_len_zero(void)
{
	char *p = mmap(NULL, PAGE, RW, ANON, -1, 0), *s, *d;

	if (CHECK(p != MAP_FAILED)) {
		CHECK_MAP_ERR(mremap(p, 0, PAGE, MREMAP_MAYMOVE), EINVAL);
		CHECK_OK(munmap(p, PAGE));
	}
	s = mmap(NULL, PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(s != MAP_FAILED))
		return;
	s[0] = 'A';
	d = mremap(s, 0, PAGE, MREMAP_MAYMOVE);
	if (CHECK(d != MAP_FAILED)) {
		CHECK(d != s);
		CHECK_EQ(d[0], 'A');
		d[1] = 'B';			/* both views share pages */
		CHECK_EQ(s[1], 'B');
		CHECK_OK(munmap(d, PAGE));
	}
	CHECK_OK(munmap(s, PAGE));
}

static void test_errors(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);

	if (!CHECK(p != MAP_FAILED))
		return;
	p[0] = 'e';
	CHECK_MAP_ERR(mremap(p + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EINVAL);
	CHECK_MAP_ERR(mremap(p, PAGE, 0, MREMAP_MAYMOVE), EINVAL);
	CHECK_MAP_ERR(mremap(p, PAGE, PAGE, 0x80), EINVAL);	/* bad flag */
	/* old range extends past the end of the mapping. */
	CHECK_OK(munmap(p + PAGE, PAGE));
	CHECK_MAP_ERR(mremap(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE), EFAULT);
	CHECK_EQ(p[0], 'e');
	CHECK_OK(munmap(p, PAGE));
	/* Nothing mapped there at all. */
	CHECK_MAP_ERR(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT);
	CHECK_MAP_ERR(mremap(p, PAGE, PAGE, 0), EFAULT);
}

int main(void)
{
	test_grow_shrink_in_place();
	test_move();
	test_fixed();
	test_old_len_zero();
	test_errors();
	return check_done();
}
