/*
 * pgalloc.c: the memory file's page allocator.
 *
 * The file is created at its maximum size (sparse: tmpfs only stores pages
 * that have been written) and mapped whole, MAP_SHARED|MAP_NORESERVE.
 *
 * Free space is two sorted arrays of free extents below a high-water mark
 * ("top"); allocation is first fit, falling back to bumping top, so that
 * consecutive allocations tend to be contiguous (which lets one host mmap
 * map a whole fault-around window).  Freed extents are coalesced with their
 * neighbours.  Up to DIRTY_MAX pages of them are kept as they are ("dirty":
 * still backed by host memory, still mapped by the sentry) and handed out
 * first, zeroed by the sentry; the rest are punched out of the file
 * ("clean": they read as zeros).  Punching costs the host a zap of every
 * mapping of the range with a TLB shootdown on each CPU, and a page that
 * comes back later costs a host page fault that allocates and zeroes it:
 * a process that exits and one that starts would pay both for the same
 * memory.
 *
 * Reference counts are one 32-bit word per page in a lazily-touched
 * anonymous array; they are changed atomically so that get/put need no lock.
 * A page whose count reaches zero is handed to the locked free path.
 */
#include "pgalloc/pgalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/util.h"

#define FILE_SIZE (64ULL << 30)            /* 64 GiB of address space */
#define FILE_PAGES (FILE_SIZE >> PAGE_SHIFT)

struct extent {
	uint64_t start, npages;                 /* in pages */
};

static int memfd = -1;
uint8_t *pgalloc_base;
static uint32_t *refs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* A sorted set of free extents, coalesced. */
struct extset {
	struct extent *ext;
	size_t n, cap;
};

#define DIRTY_MAX 8192                     /* pages: 32 MiB kept unpunched */
#define WARM_PAGES 64ULL                   /* populated at start (pgalloc_init) */

static struct extset clean, dirty;
static size_t dirty_pages;
static uint64_t top;                       /* pages below top are managed */
static size_t used;

int pgalloc_init(void)
{
	memfd = memfd_create("moat-memory", MFD_CLOEXEC);
	if (memfd < 0)
		return -errno;
	if (ftruncate(memfd, (off_t)FILE_SIZE) < 0)
		return -errno;
	pgalloc_base = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_NORESERVE, memfd, 0);
	if (pgalloc_base == MAP_FAILED)
		return -errno;
	refs = mmap(NULL, FILE_PAGES * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (refs == MAP_FAILED)
		return -errno;
	/* The first pages handed out are mostly written by the sentry itself
	 * at start-up: stub control pages and thread areas, the vDSO image,
	 * the program's data and stack.  One call maps them (and their
	 * reference counts) where each first touch would be a fault. */
	prefault(pgalloc_base, WARM_PAGES << PAGE_SHIFT);
	prefault(refs, WARM_PAGES * sizeof(uint32_t));
	return 0;
}

int pgalloc_fd(void) { return memfd; }

static void remove_extent(struct extset *set, size_t i)
{
	memmove(&set->ext[i], &set->ext[i + 1], (set->n - i - 1) * sizeof(*set->ext));
	set->n--;
}

/* Takes want pages (or the largest run >= min) from set; PGALLOC_FAIL if
 * none fits. */
static uint64_t take(struct extset *set, size_t want, size_t min, size_t *got)
{
	size_t best = (size_t)-1;

	/* First fit for the whole request; else the largest extent >= min. */
	for (size_t i = 0; i < set->n; i++) {
		if (set->ext[i].npages >= want) {
			best = i;
			break;
		}
		if (set->ext[i].npages >= min &&
		    (best == (size_t)-1 || set->ext[i].npages > set->ext[best].npages))
			best = i;
	}
	if (best == (size_t)-1)
		return PGALLOC_FAIL;
	struct extent *e = &set->ext[best];
	uint64_t start = e->start;
	size_t n = MIN(want, e->npages);
	e->start += n;
	e->npages -= n;
	if (e->npages == 0)
		remove_extent(set, best);
	*got = n;
	return start;
}

static void insert(struct extset *set, uint64_t start, uint64_t n)
{
	size_t i, lo = 0, hi = set->n;

	while (lo < hi) {         /* binary search for the insertion point */
		size_t mid = (lo + hi) / 2;
		if (set->ext[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	if (i > 0 && set->ext[i - 1].start + set->ext[i - 1].npages == start) {
		set->ext[i - 1].npages += n;
		if (i < set->n && set->ext[i - 1].start + set->ext[i - 1].npages == set->ext[i].start) {
			set->ext[i - 1].npages += set->ext[i].npages;
			remove_extent(set, i);
		}
	} else if (i < set->n && start + n == set->ext[i].start) {
		set->ext[i].start = start;
		set->ext[i].npages += n;
	} else {
		if (set->n == set->cap) {
			set->cap = set->cap ? set->cap * 2 : 64;
			set->ext = realloc(set->ext, set->cap * sizeof(*set->ext));
			if (!set->ext)
				panic("out of memory for free extents");
		}
		memmove(&set->ext[i + 1], &set->ext[i], (set->n - i) * sizeof(*set->ext));
		set->ext[i] = (struct extent){ start, n };
		set->n++;
	}
}

static uint64_t take_dirty(size_t want, size_t min, size_t *got, bool *was_dirty)
{
	uint64_t start = take(&dirty, want, min, got);

	if (start != PGALLOC_FAIL) {
		dirty_pages -= *got;
		*was_dirty = true;
	}
	return start;
}

/*
 * Dirty pages first, in runs of at least 16 (or the whole request): a
 * fault-around window wants contiguous memory more than reused memory.
 * Then a clean extent that fits, the bump pointer, and what is left.
 * *was_dirty: the pages hold old contents the caller must clear.
 */
static uint64_t alloc_locked(size_t want, size_t min, size_t *got, bool *was_dirty)
{
	uint64_t start;

	*was_dirty = false;
	start = take_dirty(want, MAX(min, MIN(want, 16)), got, was_dirty);
	if (start != PGALLOC_FAIL)
		return start;
	start = take(&clean, want, want, got);
	if (start != PGALLOC_FAIL)
		return start;
	if (top + want <= FILE_PAGES) {
		start = top;
		top += want;
		*got = want;
		return start;
	}
	start = take(&clean, want, min, got);
	if (start != PGALLOC_FAIL)
		return start;
	return take_dirty(want, min, got, was_dirty);
}

static uint64_t do_alloc(size_t npages, size_t min, size_t *got)
{
	uint64_t start;

	if (npages == 0 || npages > FILE_PAGES)
		return PGALLOC_FAIL;
	bool was_dirty;

	pthread_mutex_lock(&lock);
	start = alloc_locked(npages, min, got, &was_dirty);
	if (start != PGALLOC_FAIL)
		used += *got;
	pthread_mutex_unlock(&lock);
	if (start == PGALLOC_FAIL)
		return PGALLOC_FAIL;
	if (was_dirty)
		memset(pgalloc_base + (start << PAGE_SHIFT), 0, *got << PAGE_SHIFT);
	for (size_t i = 0; i < *got; i++)
		__atomic_store_n(&refs[start + i], 1, __ATOMIC_RELAXED);
	return start << PAGE_SHIFT;
}

uint64_t pgalloc_alloc(size_t npages, size_t *got)
{
	return do_alloc(npages, 1, got);
}

uint64_t pgalloc_alloc_exact(size_t npages)
{
	size_t got;
	return do_alloc(npages, npages, &got);
}

/* Returns [start, start+n) to a free set: the dirty one while it has
 * room, else the clean one (punched out of the file). */
static void free_range(uint64_t start, uint64_t n)
{
	pthread_mutex_lock(&lock);
	used -= n;
	if (dirty_pages + n <= DIRTY_MAX) {
		insert(&dirty, start, n);
		dirty_pages += n;
		pthread_mutex_unlock(&lock);
		return;
	}
	pthread_mutex_unlock(&lock);
	fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)(start << PAGE_SHIFT), (off_t)(n << PAGE_SHIFT));
	pthread_mutex_lock(&lock);
	insert(&clean, start, n);
	/* Give the top of the file back to the bump pointer. */
	if (clean.n && clean.ext[clean.n - 1].start + clean.ext[clean.n - 1].npages == top) {
		top = clean.ext[clean.n - 1].start;
		clean.n--;
	}
	pthread_mutex_unlock(&lock);
}

void pgalloc_get(uint64_t off, size_t npages)
{
	uint64_t pg = off >> PAGE_SHIFT;

	for (size_t i = 0; i < npages; i++)
		__atomic_fetch_add(&refs[pg + i], 1, __ATOMIC_RELAXED);
}

void pgalloc_put(uint64_t off, size_t npages)
{
	uint64_t pg = off >> PAGE_SHIFT;
	uint64_t run = 0, run_start = 0;

	/* Free maximal runs of pages that dropped to zero in one go. */
	for (size_t i = 0; i < npages; i++) {
		uint32_t old = __atomic_fetch_sub(&refs[pg + i], 1, __ATOMIC_ACQ_REL);
		if (old == 0)
			panic("page %#lx freed twice", (unsigned long)(pg + i));
		if (old == 1) {
			if (run == 0)
				run_start = pg + i;
			run++;
		} else if (run) {
			free_range(run_start, run);
			run = 0;
		}
	}
	if (run)
		free_range(run_start, run);
}

uint32_t pgalloc_refs(uint64_t off)
{
	return __atomic_load_n(&refs[off >> PAGE_SHIFT], __ATOMIC_RELAXED);
}

size_t pgalloc_used_pages(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = used;
	pthread_mutex_unlock(&lock);
	return n;
}
