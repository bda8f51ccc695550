/*
 * malloc256.c - allocate 256 MiB with malloc, touch every page with a
 * position-dependent byte pattern, verify it, free it, and print a checksum.
 *
 * A 256 MiB malloc is served by mmap in glibc, so this exercises large
 * anonymous mappings, demand paging of every page and munmap. The checksum
 * depends only on the pattern, so it is identical natively and under moat.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define SIZE  (256UL << 20)

/* Byte stored at offset off: mixes the page number and the in-page offset. */
static inline unsigned char pattern(size_t off)
{
	return (unsigned char)((off >> 12) * 31 + (off & 0xfff) * 7 + 1);
}

int main(void)
{
	unsigned char *p = malloc(SIZE);
	uint64_t sum = 0;
	size_t bad = 0;

	if (!CHECK(p != NULL))
		return check_done();

	/* Fresh malloc'd memory of this size comes straight from mmap: zero. */
	for (size_t off = 0; off < SIZE; off += PAGE)
		if (p[off] != 0 || p[off + PAGE - 1] != 0)
			bad++;
	CHECK_EQ(bad, 0);

	/* Write a few bytes on every page (first, middle, last) ... */
	for (size_t off = 0; off < SIZE; off += PAGE) {
		p[off] = pattern(off);
		p[off + 2048] = pattern(off + 2048);
		p[off + PAGE - 1] = pattern(off + PAGE - 1);
	}
	/* ... and fill one page in every 64 completely. */
	for (size_t off = 0; off < SIZE; off += 64 * PAGE)
		for (size_t i = 0; i < PAGE; i++)
			p[off + i] = pattern(off + i);

	/* Verify everything written and accumulate a checksum. */
	bad = 0;
	for (size_t off = 0; off < SIZE; off += PAGE) {
		size_t idx[3] = { off, off + 2048, off + PAGE - 1 };
		for (int k = 0; k < 3; k++) {
			if (p[idx[k]] != pattern(idx[k]))
				bad++;
			sum = sum * 1099511628211ULL + p[idx[k]];
		}
	}
	for (size_t off = 0; off < SIZE; off += 64 * PAGE)
		for (size_t i = 0; i < PAGE; i++) {
			if (p[off + i] != pattern(off + i))
				bad++;
			sum += p[off + i];
		}
	CHECK_EQ(bad, 0);

	free(p);
	printf("malloc256 checksum %016llx\n", (unsigned long long)sum);
	return check_done();
}
