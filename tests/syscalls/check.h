/*
 * check.h - tiny assertion helpers for moat's syscall test programs.
 *
 * Every test program is a statically linked x86-64 Linux program that must
 * behave identically natively and under moat. Conventions:
 *   - success: exit status 0, nothing on stderr;
 *   - failure: one line per failed assertion on stdout,
 *       FAIL file:line: what (got X, want Y)
 *     and exit status 1 at the end (via check_done()).
 *
 * Checks do not abort on failure, so one run reports every broken assertion.
 * Every check evaluates to 1 if it holds and 0 if not, so a test can bail
 * out early, e.g. `if (!CHECK(p != MAP_FAILED)) return;`, where a failed
 * assertion would make the following checks meaningless or crash.
 *
 * Only stdio on stdout and raw syscalls are used here, in keeping with the
 * "static programs, fds 0-2 only" scope.
 */
#ifndef MOAT_TESTS_CHECK_H
#define MOAT_TESTS_CHECK_H

/* Shorthands the memory tests share (RW and ANON need <sys/mman.h>). */
#define PAGE 4096UL
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

/* Report one failure; always returns 0 so checks can be used as conditions. */
__attribute__((format(printf, 3, 4), unused))
static int check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	check_failures++;
	return 0;
}

/* CHECK(cond): boolean assertion. Evaluates to 1 if it holds, else 0. */
#define CHECK(cond)                                                          \
	((cond) ? 1 : check_fail(__FILE__, __LINE__, "%s", #cond))

/* CHECK_EQ(got, want): integer equality (compared as long). */
#define CHECK_EQ(got, want)                                                  \
	({                                                                   \
		long got_ = (long)(got), want_ = (long)(want);               \
		got_ == want_ ? 1                                            \
			      : check_fail(__FILE__, __LINE__,               \
					   "%s == %s (got %ld, want %ld)",   \
					   #got, #want, got_, want_);        \
	})

/* CHECK_NE(got, bad): integer inequality. */
#define CHECK_NE(got, bad)                                                   \
	({                                                                   \
		long got_ = (long)(got), bad_ = (long)(bad);                 \
		got_ != bad_ ? 1                                             \
			     : check_fail(__FILE__, __LINE__,                \
					  "%s != %s (got %ld)", #got, #bad,  \
					  got_);                             \
	})

/* CHECK_OK(call): call must not return -1; on failure report errno. */
#define CHECK_OK(call)                                                       \
	({                                                                   \
		errno = 0;                                                   \
		long r_ = (long)(call);                                      \
		int e_ = errno;                                              \
		r_ != -1 ? 1                                                 \
			 : check_fail(__FILE__, __LINE__,                    \
				      "%s (got -1 errno %d %s, want success)", \
				      #call, e_, strerror(e_));              \
	})

/*
 * CHECK_ERR(call, err): call must return -1 and set errno to err.
 * Works for libc wrappers and syscall(2), which both use -1/errno.
 */
#define CHECK_ERR(call, err)                                                 \
	({                                                                   \
		errno = 0;                                                   \
		long r_ = (long)(call);                                      \
		int e_ = errno;                                              \
		(r_ == -1 && e_ == (err))                                    \
			? 1                                                  \
			: check_fail(__FILE__, __LINE__,                     \
				     "%s (got %ld errno %d %s, want -1 errno " \
				     "%d %s)",                               \
				     #call, r_, r_ == -1 ? e_ : 0,           \
				     r_ == -1 ? strerror(e_) : "none", (err), \
				     strerror(err));                         \
	})

/*
 * CHECK_MAP_ERR(call, err): for mmap/mremap, which return MAP_FAILED
 * (a pointer) rather than -1 as a long; identical to CHECK_ERR otherwise.
 */
#define CHECK_MAP_ERR(call, err) CHECK_ERR((long)(call), err)

/* check_done(): final exit status of a test program. */
static inline int check_done(void)
{
	fflush(stdout);
	return check_failures ? 1 : 0;
}

#endif /* MOAT_TESTS_CHECK_H */
