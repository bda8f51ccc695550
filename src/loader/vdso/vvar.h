/*
 * vvar.h: the clock parameter page that moat's vDSO reads.
 *
 * One page of the memory file, mapped read-only into every address space
 * just below the vDSO ("[vvar]") and written only by the sentry's
 * timekeeper (kernel/clock.c).  A clock reads the TSC and turns it into
 * nanoseconds with the page's line:
 *
 *     monotonic = mono_base + ((tsc - tsc_base) * mult) >> 32
 *     clock id  = monotonic + off[id]
 *
 * The sentry answers clock_gettime with this same function, so a program
 * sees one clock whether its libc asks the vDSO or makes the syscall.
 *
 * seq is a sequence count: odd while the sentry rewrites the page; a
 * reader retries when it changed under it.  With ok == 0 (no invariant
 * TSC on this host) every vDSO call makes the real syscall instead.
 *
 * This header is shared by the freestanding vDSO and the sentry.
 */
#ifndef MOAT_VVAR_H
#define MOAT_VVAR_H

#include <stdbool.h>
#include <stdint.h>

#define VVAR_NCLOCKS 12

/* The clock ids the vDSO answers itself, as Linux's vDSO does:
 * REALTIME, MONOTONIC, MONOTONIC_RAW, REALTIME_COARSE, MONOTONIC_COARSE,
 * BOOTTIME and TAI. */
#define VVAR_FAST_CLOCKS ((1u << 0) | (1u << 1) | (1u << 4) | (1u << 5) | \
			  (1u << 6) | (1u << 7) | (1u << 11))

struct vvar {
	uint32_t seq;
	uint32_t ok;
	uint64_t tsc_base;
	int64_t mono_base;        /* monotonic ns at tsc_base */
	uint64_t mult;            /* ns per TSC tick, times 2^32 */
	int64_t off[VVAR_NCLOCKS]; /* per clock id, added to monotonic */
};

static inline uint64_t vvar_rdtsc(void)
{
	uint32_t lo, hi;

	/* Not before the loads above it (Linux: rdtsc_ordered). */
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

/* The monotonic time at tsc on the page's line. */
static inline int64_t vvar_line(const volatile struct vvar *v, uint64_t tsc)
{
	uint64_t d = tsc > v->tsc_base ? tsc - v->tsc_base : 0;

	return v->mono_base + (int64_t)(((unsigned __int128)d * v->mult) >> 32);
}

/*
 * Reads clock id (< VVAR_NCLOCKS) into *ns.  False when the page says
 * the TSC cannot be used (the caller asks the sentry).
 */
static inline bool vvar_read(const volatile struct vvar *v, unsigned id, int64_t *ns)
{
	uint32_t seq;
	int64_t t;

	for (;;) {
		seq = v->seq;
		if (seq & 1) {
			__asm__ volatile("pause" ::: "memory");
			continue;
		}
		if (!v->ok)
			return false;
		t = vvar_line(v, vvar_rdtsc()) + v->off[id];
		if (v->seq == seq)
			break;
	}
	*ns = t;
	return true;
}

#endif
