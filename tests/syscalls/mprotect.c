/*
 * mprotect.c - mprotect semantics on anonymous memory.
 *
 * Signal handlers are out of scope, so protections are probed through the
 * kernel instead of by faulting: a raw syscall that copies to user memory
 * fails with EFAULT when the page is not writable, and one that copies from
 * user memory fails with EFAULT when it is not readable. Raw syscall() is
 * used on purpose: glibc's clock_gettime would go through the vDSO and fault
 * in user space instead.
 *
 * Each test page keeps its first SLOT bytes zero ("probe slot"), so that the
 * read probe, nanosleep(slot), always sees a zero timespec and returns at
 * once; the rest of the page holds a per-page pattern.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define SLOT 16

/* 1 if the kernel can read the probe slot of page p, 0 on EFAULT. */
static int kread(char *p)
{
	long r = syscall(SYS_nanosleep, (struct timespec *)p, NULL);

	if (r == 0)
		return 1;
	if (errno != EFAULT)
		CHECK(!"nanosleep probe failed with an unexpected errno");
	return 0;
}

/* 1 if the kernel can write the probe slot of page p, 0 on EFAULT. */
static int kwrite(char *p)
{
	long r = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p);

	if (r == 0) {
		memset(p, 0, SLOT);	/* restore the zero slot */
		return 1;
	}
	if (errno != EFAULT)
		CHECK(!"clock_gettime probe failed with an unexpected errno");
	return 0;
}

/* Pattern: page i holds byte tag+i after its zero probe slot. */
static void fill(char *p, size_t npages, int tag)
{
	for (size_t i = 0; i < npages; i++) {
		memset(p + i * PAGE, 0, SLOT);
		memset(p + i * PAGE + SLOT, tag + (int)i, PAGE - SLOT);
	}
}

static int page_is(const char *p, size_t i, int tag)
{
	const char *q = p + i * PAGE;

	for (size_t j = 0; j < PAGE; j++)
		if (q[j] != (j < SLOT ? 0 : (char)(tag + (int)i)))
			return 0;
	return 1;
}

static char *map_pages(size_t npages)
{
	char *p = mmap(NULL, npages * PAGE, RW, ANON, -1, 0);

	if (!CHECK(p != MAP_FAILED))
		return NULL;
	fill(p, npages, 'a');
	return p;
}

static void test_read_only(void)
{
	char *p = map_pages(2);

	if (!p)
		return;
	CHECK(kread(p) && kwrite(p));
	CHECK_OK(mprotect(p, 2 * PAGE, PROT_READ));
	CHECK(page_is(p, 0, 'a') && page_is(p, 1, 'a'));
	CHECK_EQ(kread(p), 1);
	CHECK_EQ(kwrite(p), 0);
	CHECK_EQ(kwrite(p + PAGE), 0);
	CHECK_OK(mprotect(p, 2 * PAGE, RW));
	CHECK(page_is(p, 0, 'a') && page_is(p, 1, 'a'));
	CHECK_EQ(kwrite(p + PAGE), 1);
	fill(p, 2, 'b');		/* user space can write again */
	CHECK(page_is(p, 0, 'b') && page_is(p, 1, 'b'));
	CHECK_OK(munmap(p, 2 * PAGE));
}

static void test_prot_none(void)
{
	char *p = map_pages(1);

	if (!p)
		return;
	CHECK_OK(mprotect(p, PAGE, PROT_NONE));
	CHECK_EQ(kread(p), 0);
	CHECK_EQ(kwrite(p), 0);
	CHECK_OK(mprotect(p, PAGE, RW));
	CHECK(kread(p) && kwrite(p));
	CHECK(page_is(p, 0, 'a'));	/* contents survive PROT_NONE */
	CHECK_OK(munmap(p, PAGE));

	/* A mapping created PROT_NONE can be made accessible; it is zero. */
	p = mmap(NULL, PAGE, PROT_NONE, ANON, -1, 0);
	if (!CHECK(p != MAP_FAILED))
		return;
	CHECK_EQ(kread(p), 0);
	CHECK_OK(mprotect(p, PAGE, PROT_READ));
	CHECK_EQ(kread(p), 1);
	CHECK_EQ(p[0] | p[PAGE - 1], 0);
	CHECK_OK(munmap(p, PAGE));
}

/* mprotect of the middle page splits one mapping into three. */
static void test_split(void)
{
	char *p = map_pages(3);

	if (!p)
		return;
	CHECK_OK(mprotect(p + PAGE, PAGE, PROT_READ));
	CHECK_EQ(kwrite(p), 1);
	CHECK_EQ(kwrite(p + PAGE), 0);
	CHECK_EQ(kwrite(p + 2 * PAGE), 1);
	CHECK(page_is(p, 0, 'a') && page_is(p, 1, 'a') && page_is(p, 2, 'a'));
	/* The outer parts stay writable from user space. */
	memset(p + SLOT, 'x', PAGE - SLOT);
	memset(p + 2 * PAGE + SLOT, 'y', PAGE - SLOT);
	CHECK(page_is(p, 1, 'a'));
	/* One call spanning all three pieces. */
	CHECK_OK(mprotect(p, 3 * PAGE, PROT_NONE));
	CHECK(!kread(p) && !kread(p + PAGE) && !kread(p + 2 * PAGE));
	CHECK_OK(mprotect(p, 3 * PAGE, RW));
	CHECK(kwrite(p) && kwrite(p + PAGE) && kwrite(p + 2 * PAGE));
	CHECK_EQ(p[SLOT], 'x');
	CHECK(page_is(p, 1, 'a'));
	CHECK_EQ(p[2 * PAGE + SLOT], 'y');
	/* Unmapping across the former split points leaves nothing behind. */
	CHECK_OK(munmap(p, 3 * PAGE));
	CHECK(mmap(p, 3 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0) == p);
	CHECK_OK(munmap(p, 3 * PAGE));
}

/* Make a page executable and run code copied into it. */
static void test_exec(void)
{
	/* mov eax, 42; ret */
	static const unsigned char code[] = { 0xb8, 42, 0, 0, 0, 0xc3 };
	char *p = map_pages(1);
	int (*fn)(void);

	if (!p)
		return;
	memcpy(p, code, sizeof(code));
	CHECK_OK(mprotect(p, PAGE, PROT_READ | PROT_EXEC));
	fn = (int (*)(void))(uintptr_t)p;
	CHECK_EQ(fn(), 42);
	CHECK_OK(munmap(p, PAGE));
}

static void test_errors(void)
{
	char *p = map_pages(2), *hole;

	if (!p)
		return;
	CHECK_ERR(mprotect(p + 1, PAGE, PROT_READ), EINVAL);
	CHECK_ERR(mprotect(p + 100, PAGE, PROT_READ), EINVAL);
	CHECK_ERR(mprotect(p, PAGE, 0x1000 | PROT_READ), EINVAL);
	CHECK_ERR(mprotect(p, PAGE, 0x80 | PROT_READ), EINVAL);
	/* PROT_GROWSDOWN on a mapping that is not MAP_GROWSDOWN. */
	CHECK_ERR(mprotect(p, PAGE, PROT_GROWSDOWN | PROT_READ), EINVAL);
	CHECK_ERR(mprotect(p, PAGE, PROT_GROWSDOWN | PROT_GROWSUP | PROT_READ),
		  EINVAL);
	CHECK_OK(mprotect(p, 0, PROT_READ));		/* len 0: no-op */
	CHECK_ERR(mprotect(p, (size_t)-PAGE, PROT_READ), ENOMEM); /* wraps */
	CHECK(kwrite(p));	/* none of the failures changed anything */
	CHECK_OK(munmap(p, 2 * PAGE));
	/* Entirely unmapped range. */
	CHECK_ERR(mprotect(p, 2 * PAGE, PROT_READ), ENOMEM);

	/* Mapped start followed by a hole. */
	hole = mmap(NULL, 3 * PAGE, PROT_NONE, ANON, -1, 0);
	if (!CHECK(hole != MAP_FAILED))
		return;
	CHECK_OK(munmap(hole + 2 * PAGE, PAGE));
	CHECK_ERR(mprotect(hole, 3 * PAGE, PROT_READ), ENOMEM);
	CHECK_OK(munmap(hole, 2 * PAGE));
}

int main(void)
{
	test_read_only();
	test_prot_none();
	test_split();
	test_exec();
	test_errors();
	return check_done();
}
