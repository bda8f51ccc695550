/*
 * pgalloc.c: the memory file's page allocator.
 *
 * The file is created at its maximum size (sparse: tmpfs only stores pages
 * that have been written) and mapped whole, MAP_SHARED|MAP_NORESERVE.
 *
 * Free space is a sorted array of free extents below a high-water mark
 * ("top"); allocation is first fit, falling back to bumping top, so that
 * consecutive allocations tend to be contiguous (which lets one host mmap
 * map a whole fault-around window).  Freed extents are coalesced with their
 * neighbours and punched out of the file.
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
static struct extent *free_ext;
static size_t nfree, capfree;
static uint64_t top;                       /* pages below top are managed */
static size_t used;
static bool dying;

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
	return 0;
}

int pgalloc_fd(void) { return memfd; }

static void remove_extent(size_t i)
{
	memmove(&free_ext[i], &free_ext[i + 1], (nfree - i - 1) * sizeof(*free_ext));
	nfree--;
}

static uint64_t alloc_locked(size_t want, size_t min, size_t *got)
{
	size_t best = (size_t)-1;

	/* First fit for the whole request; else the largest extent >= min. */
	for (size_t i = 0; i < nfree; i++) {
		if (free_ext[i].npages >= want) {
			best = i;
			break;
		}
		if (free_ext[i].npages >= min &&
		    (best == (size_t)-1 || free_ext[i].npages > free_ext[best].npages))
			best = i;
	}
	if (best != (size_t)-1 && (free_ext[best].npages >= want || top + want > FILE_PAGES)) {
		struct extent *e = &free_ext[best];
		uint64_t start = e->start;
		size_t n = MIN(want, e->npages);
		e->start += n;
		e->npages -= n;
		if (e->npages == 0)
			remove_extent(best);
		*got = n;
		return start;
	}
	if (top + want <= FILE_PAGES) {
		uint64_t start = top;
		top += want;
		*got = want;
		return start;
	}
	return PGALLOC_FAIL;
}

static uint64_t do_alloc(size_t npages, size_t min, size_t *got)
{
	uint64_t start;

	if (npages == 0 || npages > FILE_PAGES)
		return PGALLOC_FAIL;
	pthread_mutex_lock(&lock);
	start = alloc_locked(npages, min, got);
	if (start != PGALLOC_FAIL)
		used += *got;
	pthread_mutex_unlock(&lock);
	if (start == PGALLOC_FAIL)
		return PGALLOC_FAIL;
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

/* Returns [start, start+n) to the free set and the host. */
static void free_range(uint64_t start, uint64_t n)
{
	size_t i, lo = 0, hi;

	if (!__atomic_load_n(&dying, __ATOMIC_RELAXED))
		fallocate(memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)(start << PAGE_SHIFT), (off_t)(n << PAGE_SHIFT));
	pthread_mutex_lock(&lock);
	used -= n;
	/* Binary search for the insertion point. */
	hi = nfree;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (free_ext[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	if (i > 0 && free_ext[i - 1].start + free_ext[i - 1].npages == start) {
		free_ext[i - 1].npages += n;
		if (i < nfree && free_ext[i - 1].start + free_ext[i - 1].npages == free_ext[i].start) {
			free_ext[i - 1].npages += free_ext[i].npages;
			remove_extent(i);
		}
	} else if (i < nfree && start + n == free_ext[i].start) {
		free_ext[i].start = start;
		free_ext[i].npages += n;
	} else {
		if (nfree == capfree) {
			capfree = capfree ? capfree * 2 : 64;
			free_ext = realloc(free_ext, capfree * sizeof(*free_ext));
			if (!free_ext)
				panic("out of memory for free extents");
		}
		memmove(&free_ext[i + 1], &free_ext[i], (nfree - i) * sizeof(*free_ext));
		free_ext[i] = (struct extent){ start, n };
		nfree++;
	}
	/* Give the top of the file back to the bump pointer. */
	if (nfree && free_ext[nfree - 1].start + free_ext[nfree - 1].npages == top) {
		top = free_ext[nfree - 1].start;
		nfree--;
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

void pgalloc_set_dying(void)
{
	__atomic_store_n(&dying, true, __ATOMIC_RELAXED);
}

size_t pgalloc_used_pages(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = used;
	pthread_mutex_unlock(&lock);
	return n;
}
