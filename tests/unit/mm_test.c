/*
 * Unit test: address spaces (src/mm/) without a stub process: the VMA set,
 * Linux's mmap/munmap/mprotect/mremap/brk rules, and usermem.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/mm.h"
#include "pgalloc/pgalloc.h"
#include "unit.h"
#include "util/util.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static struct mm *new_mm(void)
{
	struct mm *mm = mm_new();
	mm->task_size = 0x7e0000000000ULL;
	mm_init_layout(mm);
	return mm;
}

int main(void)
{
	EXPECT_EQ(pgalloc_init(), 0);
	struct mm *mm = new_mm();
	char buf[64];

	EXPECT(mm->mmap_base < mm->stack_top && mm->stack_top < mm->task_size);

	/* Top-down placement, no overlap. */
	long a = mm_mmap(mm, 0, 3 * PAGE_SIZE, RW, ANON, NULL, 0);
	long b = mm_mmap(mm, 0, PAGE_SIZE, RW, ANON, NULL, 0);
	EXPECT(a > 0 && b > 0);
	EXPECT((uint64_t)a + 3 * PAGE_SIZE <= mm->mmap_base);
	EXPECT(b + (long)PAGE_SIZE <= a || b >= a + 3 * (long)PAGE_SIZE);

	/* Errors with Linux's codes. */
	EXPECT_EQ(mm_mmap(mm, 0, 0, RW, ANON, NULL, 0), -EINVAL);
	EXPECT_EQ(mm_mmap(mm, 0, PAGE_SIZE, RW, MAP_ANONYMOUS, NULL, 0), -EINVAL);
	EXPECT_EQ(mm_mmap(mm, a + 1, PAGE_SIZE, RW, ANON | MAP_FIXED, NULL, 0), -EINVAL);
	EXPECT_EQ(mm_mmap(mm, a, PAGE_SIZE, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0), -EEXIST);
	EXPECT_EQ(mm_mmap(mm, 0, 1ULL << 62, RW, ANON, NULL, 0), -ENOMEM);
	EXPECT_EQ(mm_munmap(mm, a + 1, PAGE_SIZE), -EINVAL);
	EXPECT_EQ(mm_mprotect(mm, 0x1000, PAGE_SIZE, PROT_READ), -ENOMEM);

	/* usermem: fresh memory reads zero; data round-trips. */
	memset(buf, 1, sizeof(buf));
	EXPECT_EQ(mm_copy_in(mm, buf, (uint64_t)a, sizeof(buf)), 0);
	EXPECT_EQ(buf[0] | buf[63], 0);
	EXPECT_EQ(mm_copy_out(mm, (uint64_t)a + PAGE_SIZE - 3, "hello", 6), 0);
	EXPECT_EQ(mm_copy_in_string(mm, buf, (uint64_t)a + PAGE_SIZE - 3, sizeof(buf)), 5);
	EXPECT(strcmp(buf, "hello") == 0);
	EXPECT_EQ(mm_copy_in_string(mm, buf, (uint64_t)a + PAGE_SIZE - 3, 4), -ENAMETOOLONG);
	EXPECT_EQ(mm_copy_in(mm, buf, 0x1000, 1), -EFAULT);
	EXPECT_EQ(mm_copy_in(mm, buf, (uint64_t)-8, 16), -EFAULT);

	/* Protections apply to usermem as to the application. */
	EXPECT_EQ(mm_mprotect(mm, (uint64_t)a + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	EXPECT_EQ(mm_copy_out(mm, (uint64_t)a + PAGE_SIZE, "x", 1), -EFAULT);
	EXPECT_EQ(mm_copy_out(mm, (uint64_t)a, "x", 1), 0);
	EXPECT_EQ(mm->nvmas, 3u);         /* b and a merged, split in three */
	EXPECT_EQ(mm_mprotect(mm, (uint64_t)a + PAGE_SIZE, PAGE_SIZE, RW), 0);
	EXPECT_EQ(mm->nvmas, 1u);         /* merged back */

	/* munmap of the middle splits the VMA and drops its pages. */
	size_t used = pgalloc_used_pages();
	EXPECT_EQ(mm_munmap(mm, (uint64_t)a + PAGE_SIZE, PAGE_SIZE), 0);
	EXPECT_EQ(pgalloc_used_pages(), used - 1);
	EXPECT_EQ(mm_copy_in(mm, buf, (uint64_t)a + PAGE_SIZE, 1), -EFAULT);
	EXPECT_EQ(mm_copy_in(mm, buf, (uint64_t)a + 2 * PAGE_SIZE, 1), 0);

	/* mremap: moving keeps contents (pages move, not copied). */
	long c = mm_mmap(mm, 0, 2 * PAGE_SIZE, RW, ANON, NULL, 0);
	EXPECT_EQ(mm_copy_out(mm, (uint64_t)c + 10, "moved", 6), 0);
	long d = mm_mremap(mm, (uint64_t)c, 2 * PAGE_SIZE, 64 * PAGE_SIZE, MREMAP_MAYMOVE, 0);
	EXPECT(d > 0);
	EXPECT_EQ(mm_copy_in_string(mm, buf, (uint64_t)d + 10, sizeof(buf)), 5);
	EXPECT_EQ(mm_copy_in(mm, buf, (uint64_t)c, 1), (d == c) ? 0 : -EFAULT);
	EXPECT_EQ(mm_mremap(mm, (uint64_t)d, PAGE_SIZE, PAGE_SIZE, MREMAP_FIXED, 0), -EINVAL);
	EXPECT_EQ(mm_mremap(mm, 0x10000, PAGE_SIZE, PAGE_SIZE, 0, 0), -EFAULT);

	/* MADV_DONTNEED zero-fills private memory. */
	EXPECT_EQ(mm_madvise(mm, (uint64_t)d, PAGE_SIZE, MADV_DONTNEED), 0);
	EXPECT_EQ(mm_copy_in(mm, buf, (uint64_t)d + 10, 1), 0);
	EXPECT_EQ(buf[0], 0);
	EXPECT_EQ(mm_madvise(mm, (uint64_t)d, PAGE_SIZE, 12345), -EINVAL);

	/* Shared anonymous memory: a second view sees the same pages. */
	long s = mm_mmap(mm, 0, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	EXPECT_EQ(mm_copy_out(mm, (uint64_t)s, "shared", 7), 0);
	long s2 = mm_mremap(mm, (uint64_t)s, 0, PAGE_SIZE, MREMAP_MAYMOVE, 0);
	EXPECT(s2 > 0 && s2 != s);
	EXPECT_EQ(mm_copy_in_string(mm, buf, (uint64_t)s2, sizeof(buf)), 6);

	/* brk: grows, zero-fills, shrinks, refuses to go below its start. */
	mm->brk_start = mm->brk = 0x10000000;
	EXPECT_EQ(mm_brk(mm, 0), 0x10000000);
	EXPECT_EQ(mm_brk(mm, 0x10000000 + 3 * PAGE_SIZE + 5), 0x10000000 + 3 * PAGE_SIZE + 5);
	EXPECT_EQ(mm_copy_out(mm, 0x10000000 + 3 * PAGE_SIZE, "b", 1), 0);
	EXPECT_EQ(mm_brk(mm, 0x10000000 + PAGE_SIZE), 0x10000000 + PAGE_SIZE);
	EXPECT_EQ(mm_copy_in(mm, buf, 0x10000000 + 3 * PAGE_SIZE, 1), -EFAULT);
	EXPECT_EQ(mm_brk(mm, 0x1000), 0x10000000 + PAGE_SIZE);

	/* Faults: outside any VMA, against protection, and a good one. */
	int signo = 0, code = 0;
	EXPECT_EQ(mm_handle_fault(mm, 0x2000, PROT_READ, &signo, &code), 1);
	EXPECT_EQ(code, SEGV_MAPERR);
	EXPECT_EQ(mm_mprotect(mm, (uint64_t)b, PAGE_SIZE, PROT_READ), 0);
	EXPECT_EQ(mm_handle_fault(mm, (uint64_t)b, PROT_WRITE, &signo, &code), 1);
	EXPECT_EQ(code, SEGV_ACCERR);
	EXPECT_EQ(mm_handle_fault(mm, (uint64_t)b, PROT_READ, &signo, &code), 0);

	/* fork: private pages are shared copy-on-write, shared ones shared. */
	long pa = mm_mmap(mm, 0, 2 * PAGE_SIZE, RW, ANON, NULL, 0);
	long sh = mm_mmap(mm, 0, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	EXPECT(pa > 0 && sh > 0);
	EXPECT_EQ(mm_copy_out(mm, pa, "parent", 7), 0);
	EXPECT_EQ(mm_copy_out(mm, sh, "shared", 7), 0);
	size_t before_fork = pgalloc_used_pages();
	struct mm *child = mm_fork(mm, 0);
	EXPECT(child != NULL);
	EXPECT_EQ(pgalloc_used_pages(), before_fork);     /* nothing copied */
	EXPECT_EQ(mm_copy_in(child, buf, pa, 7), 0);
	EXPECT(!memcmp(buf, "parent", 7));
	EXPECT_EQ(mm_copy_out(child, pa, "child!", 7), 0);  /* breaks the sharing */
	EXPECT_EQ(pgalloc_used_pages(), before_fork + 1);
	EXPECT_EQ(mm_copy_in(mm, buf, pa, 7), 0);
	EXPECT(!memcmp(buf, "parent", 7));
	EXPECT_EQ(mm_copy_in(child, buf, pa, 7), 0);
	EXPECT(!memcmp(buf, "child!", 7));
	/* The parent is now the page's only holder: it takes it over. */
	EXPECT_EQ(mm_copy_out(mm, pa, "again", 6), 0);
	EXPECT_EQ(pgalloc_used_pages(), before_fork + 1);
	EXPECT_EQ(mm_copy_out(child, sh, "SHARED", 7), 0);
	EXPECT_EQ(mm_copy_in(mm, buf, sh, 7), 0);
	EXPECT(!memcmp(buf, "SHARED", 7));
	/* A write fault on a copy-on-write page copies it too. */
	EXPECT_EQ(mm_copy_out(mm, pa + PAGE_SIZE, "x", 1), 0);
	struct mm *child2 = mm_fork(mm, 0);
	EXPECT_EQ(mm_handle_fault(child2, (uint64_t)pa + PAGE_SIZE, PROT_WRITE, &signo, &code), 0);
	EXPECT_EQ(mm_copy_in(child2, buf, pa + PAGE_SIZE, 1), 0);
	EXPECT_EQ(buf[0], 'x');
	mm_put(child2);
	mm_put(child);

	mm_put(mm);
	EXPECT_EQ(pgalloc_used_pages(), 0);
	return unit_done();
}
