/*
 * clock.c: the sandbox's clocks and the timekeeper that keeps the vDSO's
 * parameter page true.  Linux: kernel/time/timekeeping.c, and gVisor's
 * pkg/sentry/time (a calibrated TSC, a parameter page, a sentry-side
 * updater).
 *
 * Every wall and monotonic clock a program can read, through the vDSO or
 * through the syscall, is one line over the TSC (loader/vdso/vvar.h):
 * monotonic = mono_base + (tsc - tsc_base) * mult, plus a per-clock
 * offset.  The sentry reads its own time (deadlines, timestamps,
 * moat_now_ns) from the same page, so the sandbox and the sentry never
 * disagree about what time it is.
 *
 * Keeping the line on the host's clock.  The host's CLOCK_MONOTONIC is
 * sampled together with the TSC (bracketed by two clock reads, the
 * narrowest of three tries) at start, when the first program starts, and
 * then after 2, 8, 32, 128 and 512 ms and every second (on a test machine
 * the line was then within 10 ns of its target at every update).  Each
 * update measures the TSC's rate over the last interval and restarts the
 * line at the value the old line had at that moment (so no reader ever
 * sees time go back), with a slope that brings it onto its target by the
 * next update, adjusted by at most 0.1%.
 *
 * The target is the host's monotonic clock plus CLOCK_LEAD_NS.  The lead
 * keeps the sandbox's clock at or ahead of the host's, so a deadline in
 * sandbox time that the sentry waits for on a host clock never fires
 * early; an update that finds the line behind the host steps it forward.
 * Realtime, TAI, boottime and the raw clock are monotonic plus the host's
 * offsets (realtime is the host's wall clock, without the lead); an offset
 * changes when the host's moves by more than a millisecond, i.e. when the
 * host's clock is set.
 *
 * Without an invariant TSC (CPUID 80000007h EDX bit 8) the page stays
 * unusable (ok == 0): the vDSO makes the syscalls and the sentry reads the
 * host's clocks directly.
 *
 * Writers: clock_init on the main thread before any application code
 * runs, clock_start on the kernel thread as it starts (readers see ok == 0
 * until then, through the sequence count), then clock_update as a lazy
 * timer (k->lock): on the kernel thread's idle loop, or the timer thread
 * once one runs.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <time.h>

#include "loader/vdso/vvar.h"
#include "mm/memobj.h"
#include "pgalloc/pgalloc.h"
#include "util/util.h"

#define NSEC_PER_SEC 1000000000LL
#define CLOCK_LEAD_NS 10000LL
#define CLOCK_PERIOD_MAX_NS 1000000000ULL
#define CLOCK_STEP_NS 1000000LL       /* further off than this: step, not slew */

struct sample {
	uint64_t tsc;
	int64_t mono;             /* host CLOCK_MONOTONIC at tsc */
};

static struct memobj *vvar_obj;
static volatile struct vvar *vv;  /* the page, in the sentry's mapping */
static struct sample last;
static uint64_t period_ns;
static struct ktimer update_timer;

static int64_t host_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static struct sample take_sample(void)
{
	struct sample s = { 0, 0 };
	int64_t best = INT64_MAX;

	for (int i = 0; i < 3; i++) {
		int64_t a = host_ns(CLOCK_MONOTONIC);
		uint64_t tsc = vvar_rdtsc();
		int64_t b = host_ns(CLOCK_MONOTONIC);
		if (b - a < best) {
			best = b - a;
			s.tsc = tsc;
			s.mono = a + (b - a) / 2;
		}
	}
	return s;
}

/* The host's offset of clock id from its CLOCK_MONOTONIC. */
static int64_t host_offset(clockid_t id)
{
	int64_t best = INT64_MAX, off = 0;

	for (int i = 0; i < 3; i++) {
		int64_t a = host_ns(CLOCK_MONOTONIC);
		int64_t c = host_ns(id);
		int64_t b = host_ns(CLOCK_MONOTONIC);
		if (b - a < best) {
			best = b - a;
			off = c - (a + (b - a) / 2);
		}
	}
	return off;
}

/*
 * The page's offsets from the sandbox's monotonic clock (which leads the
 * host's): wall clocks get the lead taken off again.  Keeps an old offset
 * that is within a millisecond of the new one, so that sampling noise
 * does not make the wall clock jitter.
 */
static void set_offsets(bool force)
{
	int64_t real = host_offset(CLOCK_REALTIME) - CLOCK_LEAD_NS;
	int64_t tai = host_offset(CLOCK_TAI) - CLOCK_LEAD_NS;
	int64_t boot = host_offset(CLOCK_BOOTTIME);
	int64_t raw = host_offset(CLOCK_MONOTONIC_RAW);
	int64_t want[VVAR_NCLOCKS] = {
		[CLOCK_REALTIME] = real, [CLOCK_REALTIME_COARSE] = real,
		[CLOCK_REALTIME_ALARM] = real, [CLOCK_TAI] = tai,
		[CLOCK_BOOTTIME] = boot, [CLOCK_BOOTTIME_ALARM] = boot,
		[CLOCK_MONOTONIC_RAW] = raw,
	};

	for (int i = 0; i < VVAR_NCLOCKS; i++) {
		int64_t d = want[i] - vv->off[i];
		if (force || d > CLOCK_STEP_NS || d < -CLOCK_STEP_NS)
			vv->off[i] = want[i];
	}
}

int clock_init(void)
{
	uint64_t off;

	vvar_obj = memobj_new(1);
	if (!vvar_obj)
		return -ENOMEM;
	off = memobj_page_get(vvar_obj, 0);
	if (off == PGALLOC_FAIL)
		return -ENOMEM;
	pgalloc_put(off, 1);      /* the object keeps its own reference */
	vv = pgalloc_ptr(off);
	last = take_sample();
	return 0;
}

struct memobj *clock_vvar(void)
{
	return vvar_obj;
}

/* The TSC's rate between two samples, in ns per tick times 2^32. */
static uint64_t rate_between(struct sample a, struct sample b)
{
	if (b.tsc <= a.tsc || b.mono <= a.mono)
		return 0;
	return (uint64_t)(((unsigned __int128)(b.mono - a.mono) << 32) / (b.tsc - a.tsc));
}

static void update_arm(void)
{
	timer_arm(&update_timer, moat_now_ns() + period_ns, 0);
}

/* Re-anchors the line (see the top of the file); k->lock held. */
static void clock_update(struct ktimer *tm)
{
	uint32_t seq = vv->seq;

	(void)tm;
	WRITE_ONCE(vv->seq, seq + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	struct sample s = take_sample();
	uint64_t rate = rate_between(last, s);
	int64_t cur = vvar_line(vv, s.tsc), want = s.mono + CLOCK_LEAD_NS;
	int64_t err = want - cur, off = err;

	period_ns = MIN(period_ns * 4, CLOCK_PERIOD_MAX_NS);   /* until the next update */
	if (rate) {
		if (cur < s.mono || err > CLOCK_STEP_NS) {
			cur = want;       /* behind the host: step forward */
			err = 0;
		}
		/* Reach the target in one period, changing the rate by at most
		 * 0.1% either way. */
		int64_t limit = (int64_t)(period_ns / 1000);
		err = err > limit ? limit : err < -limit ? -limit : err;
		vv->mult = rate + (uint64_t)((__int128)rate * err / (int64_t)period_ns);
		vv->tsc_base = s.tsc;
		vv->mono_base = cur;
		set_offsets(false);
		last = s;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	WRITE_ONCE(vv->seq, seq + 2);
	static int logged;
	if (logged < 2) {
		logged++;
		moat_log("clock: re-anchored after %lu ms, %ld ns off",
			 (unsigned long)(period_ns / 4 / 1000000), (long)off);
	}
	update_arm();
}

void clock_start(struct kernel *k)
{
	struct sample s;
	uint64_t rate;

	/* Two CPUIDs, VM exits of 7 us each: here, off the start-up's way. */
	if (!vv || !last.tsc || !cpu_has_invariant_tsc())
		return;
	/* A first rate over at least 200 us: sleep out the rest (the page
	 * stays unusable until then, and the vDSO makes the syscalls).  On
	 * the main thread this wait, a spin, was 90 us of every start-up. */
	int64_t left = last.mono + 200000 - host_ns(CLOCK_MONOTONIC);
	if (left > 0)
		nanosleep(&(struct timespec){ 0, left }, NULL);
	do
		s = take_sample();
	while (s.mono - last.mono < 200000);
	rate = rate_between(last, s);
	if (!rate)
		return;
	vv->seq = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vv->tsc_base = s.tsc;
	vv->mono_base = s.mono + CLOCK_LEAD_NS;
	vv->mult = rate;
	set_offsets(true);
	vv->ok = 1;
	last = s;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	WRITE_ONCE(vv->seq, 2);

	period_ns = 2000000;
	update_timer.id = -1;
	update_timer.fn = clock_update;
	update_timer.lazy = true;
	pthread_mutex_lock(&k->lock);
	update_arm();
	pthread_mutex_unlock(&k->lock);
}

static clockid_t host_id(clockid_t id)
{
	if (id == CLOCK_REALTIME_ALARM)
		return CLOCK_REALTIME;
	if (id == CLOCK_BOOTTIME_ALARM)
		return CLOCK_BOOTTIME;
	return id;
}

/* The clocks on the page: the vDSO's and the _ALARM ids. */
#define PAGE_CLOCKS (VVAR_FAST_CLOCKS | (1u << CLOCK_REALTIME_ALARM) | (1u << CLOCK_BOOTTIME_ALARM))

int64_t clock_ns(clockid_t id)
{
	int64_t ns;

	if (vv && (unsigned)id < VVAR_NCLOCKS && (PAGE_CLOCKS >> id & 1) &&
	    vvar_read(vv, (unsigned)id, &ns))
		return ns;
	return host_ns(host_id(id));
}

void clock_ts(clockid_t id, struct timespec *ts)
{
	int64_t ns = clock_ns(id);

	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
	if (ts->tv_nsec < 0) {
		ts->tv_nsec += NSEC_PER_SEC;
		ts->tv_sec--;
	}
}

uint64_t moat_now_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_MONOTONIC);
}
