/*
 * brk.c - program break semantics.
 *
 * The raw brk system call never fails with -1: it returns the new break on
 * success and the unchanged current break on failure. glibc's brk()/sbrk()
 * wrappers are tested separately at the end, after the raw tests have put
 * the break back where glibc last saw it (glibc caches the break).
 *
 * stdout gets a static buffer first so that printf never calls malloc, which
 * could otherwise move the break underneath the test.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define MIB  (1UL << 20)

static char outbuf[8192];
static char in_bss[PAGE];	/* must survive all the brk calls */

static uintptr_t raw_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

static uintptr_t page_up(uintptr_t a)
{
	return (a + PAGE - 1) & ~(PAGE - 1);
}

/* Number of non-zero bytes in [from, to). */
static size_t nonzero(uintptr_t from, uintptr_t to)
{
	size_t n = 0;

	for (const char *p = (char *)from; p < (char *)to; p++)
		n += *p != 0;
	return n;
}

int main(void)
{
	uintptr_t base, top, cur, a;
	char *blocker;
	void *old;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	in_bss[0] = 1;

	base = raw_brk(0);
	CHECK(base != 0 && base != (uintptr_t)-1);
	CHECK_EQ(raw_brk(0), base);		/* querying changes nothing */

	/* Grow by 1 MiB: fresh, zeroed, writable memory. */
	top = base + MIB;
	CHECK_EQ(raw_brk(top), top);
	CHECK_EQ(raw_brk(0), top);
	a = page_up(base);
	CHECK_EQ(nonzero(a, top), 0);
	memset((char *)base, 0x5a, top - base);
	CHECK_EQ(((char *)top)[-1], 0x5a);

	/* Shrink back; growing again yields zeroed pages once more. */
	CHECK_EQ(raw_brk(base), base);
	CHECK_EQ(raw_brk(top), top);
	CHECK_EQ(nonzero(a, top), 0);
	CHECK_EQ(raw_brk(base), base);

	/* The break need not be page aligned: it is returned as asked. */
	CHECK_EQ(raw_brk(base + 100), base + 100);
	((char *)base)[99] = 1;
	CHECK_EQ(raw_brk(base), base);

	/* Failures return the current break unchanged. */
	/*
	 * Below the start of the heap. (.bss precedes the heap in non-PIE
	 * binaries; in static PIE the kernel may put the heap below the binary,
	 * then moving the break up over .bss must fail as well.)
	 */
	CHECK_EQ(raw_brk(PAGE), base);
	CHECK_EQ(raw_brk((uintptr_t)in_bss), base);
	CHECK_EQ(raw_brk(base + (1UL << 50)), base);	/* absurdly large */
	CHECK_EQ(in_bss[0], 1);			/* .bss was not unmapped */

	/* The break cannot grow over an existing mapping. */
	a = page_up(base) + 2 * MIB;
	blocker = mmap((void *)a, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (blocker == (char *)a) {	/* the area behind the heap was free */
		blocker[0] = 'b';
		CHECK_EQ(raw_brk(a + MIB), base);
		CHECK_EQ(raw_brk(0), base);
		CHECK_EQ(blocker[0], 'b');
		CHECK_EQ(raw_brk(a - PAGE), a - PAGE);	/* up to it is fine */
		CHECK_EQ(raw_brk(base), base);
		CHECK_OK(munmap(blocker, PAGE));
	}
	CHECK_EQ(raw_brk(0), base);

	/* glibc wrappers: sbrk returns the old break, brk returns 0. */
	cur = (uintptr_t)sbrk(0);
	CHECK_EQ(cur, base);
	old = sbrk(64 * 1024);
	CHECK_EQ((uintptr_t)old, base);
	CHECK_EQ((uintptr_t)sbrk(0), base + 64 * 1024);
	CHECK_EQ(raw_brk(0), base + 64 * 1024);
	((char *)base)[64 * 1024 - 1] = 1;
	CHECK_EQ((uintptr_t)sbrk(-64 * 1024), base + 64 * 1024);
	CHECK_EQ((uintptr_t)sbrk(0), base);
	CHECK_OK(brk((void *)(base + PAGE)));
	CHECK_EQ(raw_brk(0), base + PAGE);
	CHECK_ERR(brk((void *)(base + (1UL << 50))), ENOMEM);
	CHECK_OK(brk((void *)base));
	CHECK_EQ(raw_brk(0), base);

	return check_done();
}
