/*
 * mmap.c - anonymous mmap/munmap/madvise semantics.
 *
 * Only anonymous memory is used (no files exist in the sandbox yet). Where a
 * test needs a known-free address range, it reserves one with a PROT_NONE
 * mapping and unmaps it again, so it never relies on a particular layout.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"


/* Map npages of fresh private anonymous RW memory (NULL on failure). */
static char *map_pages(size_t npages)
{
	void *p = mmap(NULL, npages * PAGE, RW, ANON, -1, 0);

	if (p == MAP_FAILED) {
		CHECK(!"mmap of fresh anonymous pages failed");
		return NULL;
	}
	return p;
}

/* Find a free range of npages: map it PROT_NONE, then unmap it. */
static char *free_range(size_t npages)
{
	char *p = mmap(NULL, npages * PAGE, PROT_NONE, ANON, -1, 0);

	if (p == MAP_FAILED) {
		CHECK(!"mmap of PROT_NONE reservation failed");
		return NULL;
	}
	CHECK_OK(munmap(p, npages * PAGE));
	return p;
}

/* Number of non-zero bytes in [p, p+len). */
static size_t nonzero(const char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] != 0;
	return n;
}

/* Fill page i of p with byte value (tag + i); check_fill verifies it. */
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

static void test_private_anon(void)
{
	char *p = map_pages(4);

	if (!p)
		return;
	CHECK_EQ((uintptr_t)p % PAGE, 0);
	CHECK_EQ(nonzero(p, 4 * PAGE), 0);	/* fresh memory is zero */
	fill(p, 4, 'a');
	for (size_t i = 0; i < 4; i++)
		CHECK(page_is(p, i, 'a'));
	CHECK_OK(munmap(p, 4 * PAGE));
}

static void test_shared_anon(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (!CHECK(p != MAP_FAILED))
		return;
	CHECK_EQ(nonzero(p, 2 * PAGE), 0);
	fill(p, 2, 's');
	CHECK(page_is(p, 0, 's') && page_is(p, 1, 's'));
	/*
	 * Shared anonymous memory is backed by a shmem object: MADV_DONTNEED
	 * only drops the page table entries, the data survives.
	 */
	CHECK_OK(madvise(p, 2 * PAGE, MADV_DONTNEED));
	CHECK(page_is(p, 0, 's') && page_is(p, 1, 's'));
	CHECK_OK(munmap(p, 2 * PAGE));
}

/* MAP_FIXED replaces (part of) an existing mapping with fresh memory. */
static void test_map_fixed(void)
{
	char *p = map_pages(3), *q;

	if (!p)
		return;
	fill(p, 3, 'f');
	q = mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0);
	CHECK(q == p + PAGE);
	CHECK(page_is(p, 0, 'f'));
	CHECK_EQ(nonzero(p + PAGE, PAGE), 0);	/* replaced: zero again */
	CHECK(page_is(p, 2, 'f'));
	/* The new middle page is writable and independent. */
	memset(p + PAGE, 'x', PAGE);
	CHECK(page_is(p, 0, 'f') && page_is(p, 2, 'f'));
	CHECK_OK(munmap(p, 3 * PAGE));
}

static void test_fixed_noreplace(void)
{
	char *p = map_pages(2), *hole;

	if (!p)
		return;
	fill(p, 2, 'n');
	/* Exactly over, and partially overlapping, an existing mapping. */
	CHECK_MAP_ERR(mmap(p, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
		      EEXIST);
	CHECK_MAP_ERR(mmap(p + PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE,
			   -1, 0), EEXIST);
	CHECK_MAP_ERR(mmap(p - PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE,
			   -1, 0), EEXIST);
	CHECK(page_is(p, 0, 'n') && page_is(p, 1, 'n'));	/* untouched */
	CHECK_OK(munmap(p, 2 * PAGE));

	/* Into a free range it maps at exactly the requested address. */
	hole = free_range(4);
	if (!hole)
		return;
	p = mmap(hole + PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(p == hole + PAGE);
	if (p != MAP_FAILED)
		CHECK_OK(munmap(p, 2 * PAGE));
}

/* A hint at a free address is honoured; an occupied one is not clobbered. */
static void test_hint(void)
{
	char *hole = free_range(16), *p, *q;

	if (!hole)
		return;
	p = mmap(hole + 4 * PAGE, 2 * PAGE, RW, ANON, -1, 0);
	CHECK(p == hole + 4 * PAGE);
	if (p == MAP_FAILED)
		return;
	fill(p, 2, 'h');
	q = mmap(p, PAGE, RW, ANON, -1, 0);
	CHECK(q != MAP_FAILED && q != p);
	CHECK(page_is(p, 0, 'h') && page_is(p, 1, 'h'));
	if (q != MAP_FAILED) {
		CHECK_EQ((uintptr_t)q % PAGE, 0);
		CHECK_EQ(nonzero(q, PAGE), 0);
		CHECK_OK(munmap(q, PAGE));
	}
	CHECK_OK(munmap(p, 2 * PAGE));
}

static void test_growsdown_noreserve_populate(void)
{
	char *p;

	p = mmap(NULL, 4 * PAGE, RW, ANON | MAP_GROWSDOWN, -1, 0);
	if (CHECK(p != MAP_FAILED)) {
		CHECK_EQ(nonzero(p, 4 * PAGE), 0);
		fill(p, 4, 'g');
		CHECK(page_is(p, 0, 'g') && page_is(p, 3, 'g'));
		CHECK_OK(munmap(p, 4 * PAGE));
	}
	/* Growing-down shared anonymous mappings are refused. */
	CHECK_MAP_ERR(mmap(NULL, PAGE, RW,
			   MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0),
		      EINVAL);

	/* 1 GiB without reservation; touch a few scattered pages. */
	p = mmap(NULL, 1UL << 30, RW, ANON | MAP_NORESERVE, -1, 0);
	if (CHECK(p != MAP_FAILED)) {
		for (size_t off = 0; off < (1UL << 30); off += 64UL << 20)
			p[off] = 1;
		p[(1UL << 30) - 1] = 2;
		CHECK_EQ(p[0] + p[64UL << 20] + p[(1UL << 30) - 1], 4);
		CHECK_OK(munmap(p, 1UL << 30));
	}

	p = mmap(NULL, 8 * PAGE, RW, ANON | MAP_POPULATE, -1, 0);
	if (CHECK(p != MAP_FAILED)) {
		CHECK_EQ(nonzero(p, 8 * PAGE), 0);
		CHECK_OK(munmap(p, 8 * PAGE));
	}
}

static void test_mmap_errors(void)
{
	char *p = map_pages(1);

	CHECK_MAP_ERR(mmap(NULL, 0, RW, ANON, -1, 0), EINVAL);
	CHECK_MAP_ERR(mmap(NULL, PAGE, RW, ANON, -1, 1), EINVAL);
	CHECK_MAP_ERR(mmap(NULL, PAGE, RW, ANON, -1, PAGE / 2), EINVAL);
	if (p)	/* unaligned MAP_FIXED address (inside a mapping of ours) */
		CHECK_MAP_ERR(mmap(p + 1, PAGE, RW, ANON | MAP_FIXED, -1, 0),
			      EINVAL);
	/* Both MAP_SHARED|MAP_PRIVATE, or neither, for anonymous memory. */
	CHECK_MAP_ERR(mmap(NULL, PAGE, RW,
			   MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		      EINVAL);
	CHECK_MAP_ERR(mmap(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0), EINVAL);
	/* Larger than the address space; and a length that wraps. */
	CHECK_MAP_ERR(mmap(NULL, 1UL << 60, RW, ANON, -1, 0), ENOMEM);
	CHECK_MAP_ERR(mmap(NULL, (size_t)-1, RW, ANON, -1, 0), ENOMEM);
	/* File mappings of descriptors that are not open. */
	CHECK_MAP_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	CHECK_MAP_ERR(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
	if (p)
		CHECK_OK(munmap(p, PAGE));
}

static void test_munmap(void)
{
	char *p = map_pages(1), *hole, *q;

	if (p) {
		CHECK_ERR(munmap(p + 1, PAGE), EINVAL);
		CHECK_ERR(munmap(p, 0), EINVAL);
		CHECK_OK(munmap(p, PAGE));
		/* Unmapping an already unmapped range succeeds. */
		CHECK_OK(munmap(p, PAGE));
	}
	hole = free_range(8);
	if (hole)
		CHECK_OK(munmap(hole, 8 * PAGE));

	/* Punch a hole into the middle of a 5-page mapping. */
	p = map_pages(5);
	if (!p)
		return;
	fill(p, 5, 'm');
	CHECK_OK(munmap(p + 2 * PAGE, PAGE));
	CHECK(page_is(p, 0, 'm') && page_is(p, 1, 'm'));
	CHECK(page_is(p, 3, 'm') && page_is(p, 4, 'm'));
	/* The remaining parts stay writable. */
	memset(p + PAGE, 'w', PAGE);
	memset(p + 3 * PAGE, 'w', PAGE);
	CHECK(page_is(p, 0, 'm') && page_is(p, 4, 'm'));
	/* The hole really is free: NOREPLACE succeeds exactly there. */
	q = mmap(p + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == p + 2 * PAGE);
	if (q != MAP_FAILED)
		CHECK_EQ(nonzero(q, PAGE), 0);
	/* Unmapping the whole (now 3-mapping) range in one call works. */
	CHECK_OK(munmap(p, 5 * PAGE));
	q = mmap(p, 5 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == p);
	if (q != MAP_FAILED)
		CHECK_OK(munmap(q, 5 * PAGE));
}

static void test_madvise(void)
{
	char *p = map_pages(3);

	if (!p)
		return;
	fill(p, 3, 'd');
	/* MADV_DONTNEED on private anonymous memory: zero-fill on next use. */
	CHECK_OK(madvise(p + PAGE, PAGE, MADV_DONTNEED));
	CHECK(page_is(p, 0, 'd'));
	CHECK_EQ(nonzero(p + PAGE, PAGE), 0);
	CHECK(page_is(p, 2, 'd'));
	/* Harmless hints keep the data. */
	CHECK_OK(madvise(p, 3 * PAGE, MADV_NORMAL));
	CHECK_OK(madvise(p, 3 * PAGE, MADV_WILLNEED));
	CHECK(page_is(p, 0, 'd') && page_is(p, 2, 'd'));
	CHECK_OK(madvise(p, 0, MADV_DONTNEED));		/* len 0: no-op */
	CHECK_ERR(madvise(p, PAGE, 12345), EINVAL);
	CHECK_ERR(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
	CHECK_OK(munmap(p, 3 * PAGE));
	CHECK_ERR(madvise(p, PAGE, MADV_DONTNEED), ENOMEM);	/* unmapped */
}

int main(void)
{
	test_private_anon();
	test_shared_anon();
	test_map_fixed();
	test_fixed_noreplace();
	test_hint();
	test_growsdown_noreserve_populate();
	test_mmap_errors();
	test_munmap();
	test_madvise();
	return check_done();
}
