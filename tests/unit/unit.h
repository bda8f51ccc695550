/*
 * unit.h: a minimal harness for the sentry's unit tests.  EXPECT records a
 * failure and goes on; unit_done() turns the count into the exit status.
 */
#ifndef MOAT_UNIT_H
#define MOAT_UNIT_H

#include <stdio.h>

static int unit_failures;

#define EXPECT(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			unit_failures++;                                       \
		}                                                              \
	} while (0)

#define EXPECT_EQ(got, want)                                                   \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		if (g_ != w_) {                                                \
			printf("FAIL %s:%d: %s (got %lld, want %lld)\n",       \
			       __FILE__, __LINE__, #got, g_, w_);              \
			unit_failures++;                                       \
		}                                                              \
	} while (0)

static inline int unit_done(void)
{
	return unit_failures ? 1 : 0;
}

#endif
