/*
 * mm.c: address spaces: the VMA array, mmap/munmap/mprotect/mremap/brk/
 * madvise, and page faults.
 *
 * VMAs live in a sorted array (binary search to find, memmove to insert);
 * real programs have tens to a few hundred of them, where an array beats a
 * tree on both speed and simplicity.  Adjacent private anonymous VMAs with
 * the same protections and flags are merged, as Linux does, so brk growth
 * and mprotect round trips do not fragment the set.
 *
 * Pages are backed lazily.  A fault in a VMA that allows the access backs
 * a whole window around the faulting page (fault-around: 16 KiB on a VMA's
 * first fault, 512 KiB for file mappings, doubling with each further fault
 * up to 2 MiB) from runs of
 * contiguous memory-file pages and maps each run into the stub with one
 * host mmap, so a program that touches a large buffer traps a few times
 * per megabyte rather than once per page.
 *
 * The stub's mappings are a cache of the page map: anything that removes
 * or narrows access to pages (munmap, mprotect, MADV_DONTNEED, mremap)
 * unmaps them from the stub, and the next fault maps them again with the
 * VMA's current protections.  Pages are only freed after the stub has let
 * go of them (platform_as_flush), so the application can never see a page
 * after it was recycled.
 *
 * Linux references: mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c.
 */
#include "mm/mm.h"

#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mm/memobj.h"
#include "mm/mm_internal.h"
#include "pgalloc/pgalloc.h"
#include "platform/platform.h"
#include "util/util.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

#define MMAP_MIN_ADDR   0x10000UL
#define STACK_GUARD_GAP (256UL << PAGE_SHIFT)
#define FAULT_MIN_PAGES 4
#define FAULT_MIN_FILE_PAGES 128
#define FAULT_MAX_PAGES 512
#define BRK_PREMAP_PAGES 64UL  /* of a grown break, mapped lazily at once */

/* ---- the VMA array ---- */

/* Index of the first VMA that ends above addr (nvmas if none). */
static size_t vma_index(struct mm *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->nvmas;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (mm->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct vma *vma_find(struct mm *mm, uint64_t addr)
{
	size_t i = vma_index(mm, addr);

	if (i < mm->nvmas && mm->vmas[i].start <= addr)
		return &mm->vmas[i];
	return NULL;
}

/*
 * VMA arrays: most address spaces have fewer than VMAS_SMALL, and every
 * fork and exec makes one: those come from a block cache (cap ==
 * VMAS_SMALL means the array is one of its blocks); bigger ones from
 * malloc, doubling as they fill.
 */
#define VMAS_SMALL 32
static struct block_cache small_vmas = BLOCK_CACHE(VMAS_SMALL * sizeof(struct vma), 64);

static int vmas_alloc(struct mm *mm, size_t n)
{
	size_t cap = VMAS_SMALL;

	while (cap < n)
		cap *= 2;
	mm->vmas = cap == VMAS_SMALL ? block_alloc(&small_vmas, false)
				     : malloc(cap * sizeof(struct vma));
	if (!mm->vmas)
		return -ENOMEM;
	mm->cap = cap;
	return 0;
}

static void vmas_free(struct mm *mm)
{
	if (mm->cap == VMAS_SMALL)
		block_free(&small_vmas, mm->vmas);
	else
		free(mm->vmas);
	mm->vmas = NULL;
	mm->cap = 0;
}

static int vma_insert(struct mm *mm, size_t i, const struct vma *v)
{
	if (!mm->vmas && vmas_alloc(mm, 1) != 0)
		return -ENOMEM;
	if (mm->nvmas == mm->cap) {
		size_t cap = mm->cap * 2;
		struct vma *n = malloc(cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memcpy(n, mm->vmas, mm->nvmas * sizeof(*n));
		vmas_free(mm);
		mm->vmas = n;
		mm->cap = cap;
	}
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof(*v));
	mm->vmas[i] = *v;
	mm->nvmas++;
	return 0;
}

/* A copy of a VMA (split, move, second view) takes its own references. */
static void vma_get_refs(const struct vma *v)
{
	if (v->obj)
		memobj_get(v->obj);
	if (v->file)
		mm_file_get(v->file);
}

static void vma_put_refs(const struct vma *v)
{
	if (v->obj)
		memobj_put(v->obj);
	if (v->file)
		mm_file_put(v->file);
}

/* Shared mappings of files write back what they hold on munmap (and
 * mm_write_back). */
static void vma_write_back(const struct vma *v)
{
	if (v->obj && (v->flags & VMA_SHARED))
		memobj_writeback(v->obj, v->obj_pgoff, (v->end - v->start) >> PAGE_SHIFT);
}

static void vma_remove(struct mm *mm, size_t i)
{
	struct vma *v = &mm->vmas[i];

	vma_write_back(v);
	vma_put_refs(v);
	memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->nvmas - i - 1) * sizeof(struct vma));
	mm->nvmas--;
}

/* Splits vmas[i] at addr (strictly inside it) into [start,addr) [addr,end). */
static int vma_split(struct mm *mm, size_t i, uint64_t addr)
{
	struct vma hi = mm->vmas[i];
	int err;

	hi.start = addr;
	hi.obj_pgoff += (addr - mm->vmas[i].start) >> PAGE_SHIFT;
	hi.file_off += addr - mm->vmas[i].start;
	vma_get_refs(&hi);
	err = vma_insert(mm, i + 1, &hi);
	if (err) {
		vma_put_refs(&hi);
		return err;
	}
	mm->vmas[i].end = addr;
	return 0;
}

/* Splits VMAs so that lo and hi fall on VMA boundaries. */
static int vma_split_range(struct mm *mm, uint64_t lo, uint64_t hi)
{
	size_t i = vma_index(mm, lo);
	int err;

	if (i < mm->nvmas && mm->vmas[i].start < lo) {
		err = vma_split(mm, i, lo);
		if (err)
			return err;
	}
	i = vma_index(mm, hi);
	if (i < mm->nvmas && mm->vmas[i].start < hi)
		return vma_split(mm, i, hi);
	return 0;
}

static bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       !a->obj && !b->obj && !a->file && !b->file;
}

/* Merges vmas[i] with its neighbours where Linux would. */
static void vma_merge_around(struct mm *mm, size_t i)
{
	if (i + 1 < mm->nvmas && vma_mergeable(&mm->vmas[i], &mm->vmas[i + 1])) {
		mm->vmas[i].end = mm->vmas[i + 1].end;
		vma_remove(mm, i + 1);
	}
	if (i > 0 && i < mm->nvmas && vma_mergeable(&mm->vmas[i - 1], &mm->vmas[i])) {
		mm->vmas[i - 1].end = mm->vmas[i].end;
		vma_remove(mm, i);
	}
}

static bool range_free(struct mm *mm, uint64_t lo, uint64_t hi)
{
	size_t i = vma_index(mm, lo);
	return i == mm->nvmas || mm->vmas[i].start >= hi;
}

/* True when [lo, hi) is covered by VMAs without holes. */
static bool range_mapped(struct mm *mm, uint64_t lo, uint64_t hi)
{
	size_t i = vma_index(mm, lo);

	for (uint64_t a = lo; a < hi; i++) {
		if (i == mm->nvmas || mm->vmas[i].start > a)
			return false;
		a = mm->vmas[i].end;
	}
	return true;
}

/*
 * Finds a free range of len bytes, highest first below mmap_base (Linux's
 * top-down layout), else anywhere from the bottom; keeps the stack guard
 * gap below grows-down VMAs.  Returns 0 when there is no room.
 */
static uint64_t find_gap(struct mm *mm, uint64_t len, uint64_t floor,
			 uint64_t ceil)
{
	uint64_t top = ceil;

	for (size_t i = vma_index(mm, ceil); ; i--) {
		/* The gap between vmas[i-1].end and min(vmas[i].start, top). */
		uint64_t gap_hi = top;
		if (i < mm->nvmas) {
			uint64_t s = mm->vmas[i].start;
			if (mm->vmas[i].flags & VMA_GROWSDOWN)
				s = s > STACK_GUARD_GAP ? s - STACK_GUARD_GAP : 0;
			gap_hi = MIN(gap_hi, s);
		}
		uint64_t gap_lo = i > 0 ? mm->vmas[i - 1].end : floor;
		gap_lo = MAX(gap_lo, floor);
		if (gap_hi > gap_lo && gap_hi - gap_lo >= len)
			return gap_hi - len;
		if (i == 0)
			break;
		top = MIN(top, mm->vmas[i - 1].start);
		if (top <= floor)
			break;
	}
	return 0;
}

static uint64_t get_unmapped_area(struct mm *mm, uint64_t hint, uint64_t len,
				  int flags)
{
	uint64_t addr;

	if (flags & MAP_32BIT)
		return find_gap(mm, len, 0x40000000UL, 0x80000000UL);
	if (hint) {
		hint = ALIGN_UP(hint, PAGE_SIZE);
		if (hint >= MMAP_MIN_ADDR && hint <= mm->task_size - len &&
		    range_free(mm, hint, hint + len))
			return hint;
	}
	addr = find_gap(mm, len, MMAP_MIN_ADDR, mm->mmap_base);
	if (!addr)
		addr = find_gap(mm, len, MMAP_MIN_ADDR, mm->task_size);
	return addr;
}

/* ---- pages ---- */

/* Sets VMA_HOSTMAP on the VMAs meeting [lo, hi), or clears it. */
static void hostmap_flag(struct mm *mm, uint64_t lo, uint64_t hi, bool on)
{
	for (size_t i = vma_index(mm, lo); i < mm->nvmas && mm->vmas[i].start < hi; i++)
		mm->vmas[i].flags = on ? mm->vmas[i].flags | VMA_HOSTMAP
				       : mm->vmas[i].flags & ~VMA_HOSTMAP;
}

/* Whether a VMA in [lo, hi) may have host-file pages in the stub. */
static bool host_mapped(struct mm *mm, uint64_t lo, uint64_t hi)
{
	for (size_t i = vma_index(mm, lo); i < mm->nvmas && mm->vmas[i].start < hi; i++)
		if (mm->vmas[i].flags & VMA_HOSTMAP)
			return true;
	return false;
}

/* Removes [lo, hi) from the stub; pages stay backed.  Returns 0 or -errno. */
static int stub_unmap(struct mm *mm, uint64_t lo, uint64_t hi)
{
	uint64_t val, pn = lo >> PAGE_SHIFT, end = hi >> PAGE_SHIFT;
	bool mapped = host_mapped(mm, lo, hi);

	while ((pn = pagemap_next(&mm->pages, pn, end, &val)) < end) {
		if (val & PTE_MAPPED) {
			*pagemap_slot(&mm->pages, pn, false) = val & ~(uint64_t)PTE_MAPPED;
			mapped = true;
		}
		pn++;
	}
	if (!mapped || !mm->as)
		return 0;
	platform_as_unmap(mm->as, lo, hi - lo);
	return platform_as_flush(mm->as);
}

/* Unmaps [lo, hi) from the stub and drops the pages backing it. */
static void drop_pages(struct mm *mm, uint64_t lo, uint64_t hi)
{
	uint64_t val, pn = lo >> PAGE_SHIFT, end = hi >> PAGE_SHIFT;
	uint64_t run_off = 0, run_len = 0;

	stub_unmap(mm, lo, hi);
	while ((pn = pagemap_next(&mm->pages, pn, end, &val)) < end) {
		uint64_t off = val & PAGE_MASK;
		*pagemap_slot(&mm->pages, pn, false) = 0;
		if (run_len && run_off + (run_len << PAGE_SHIFT) == off) {
			run_len++;
		} else {
			if (run_len)
				pgalloc_put(run_off, run_len);
			run_off = off;
			run_len = 1;
		}
		pn++;
	}
	if (run_len)
		pgalloc_put(run_off, run_len);
}

/* Removes every VMA and page in [lo, hi). */
static int unmap_range(struct mm *mm, uint64_t lo, uint64_t hi)
{
	size_t i;
	int err;

	if (range_free(mm, lo, hi))
		return 0;
	err = vma_split_range(mm, lo, hi);
	if (err)
		return err;
	drop_pages(mm, lo, hi);
	i = vma_index(mm, lo);
	while (i < mm->nvmas && mm->vmas[i].end <= hi)
		vma_remove(mm, i);
	return 0;
}

/*
 * Gives pn a page of its own before a write (mm->lock held): the last
 * holder of a copy-on-write page just takes it over; otherwise the page is
 * copied.  A read-only stub mapping of the old page is dropped so the
 * next touch maps the new one.  Returns the new entry, or 0 on ENOMEM.
 */
/* Gives the stub's mappings in [lo, hi) protection prot, run by run (only
 * those of copy-on-write pages when cow_only).  prot has no write access
 * (see platform_as_protect) and grants nothing the mappings lack. */
static void stub_protect(struct mm *mm, uint64_t lo, uint64_t hi, int prot, bool cow_only)
{
	uint64_t val, pn = lo >> PAGE_SHIFT, end = hi >> PAGE_SHIFT, run = 0, run_len = 0;

	if (!mm->as)
		return;
	while ((pn = pagemap_next(&mm->pages, pn, end, &val)) <= end) {
		bool mapped = pn < end && (val & PTE_MAPPED) && ((val & PTE_COW) || !cow_only);
		if (mapped && run_len && run + run_len == pn) {
			run_len++;
		} else {
			if (run_len)
				platform_as_protect(mm->as, run << PAGE_SHIFT, run_len << PAGE_SHIFT, prot);
			run_len = 0;
			if (mapped) {
				run = pn;
				run_len = 1;
			}
		}
		if (pn >= end)
			break;
		pn++;
	}
}

static uint64_t break_cow(struct mm *mm, uint64_t pn, uint64_t *e)
{
	uint64_t old = *e & PAGE_MASK, page;

	if (*e & PTE_MAPPED)
		stub_unmap(mm, pn << PAGE_SHIFT, (pn + 1) << PAGE_SHIFT);
	if (pgalloc_refs(old) == 1) {
		*e = old | PTE_PRESENT;
		return *e;
	}
	page = pgalloc_alloc_exact(1);
	if (page == PGALLOC_FAIL)
		return 0;
	memcpy(pgalloc_ptr(page), pgalloc_ptr(old), PAGE_SIZE);
	pgalloc_put(old, 1);
	*e = page | PTE_PRESENT;
	return *e;
}

/* Whether vma v's pages come shared copy-on-write from a file's cache. */
static bool shares_cache(const struct vma *v)
{
	return v->file && v->file->obj && v->file->obj->ops && !(v->prot & PROT_WRITE);
}

/*
 * Backs page pn of vma if it is not yet backed.  Returns its entry, or 0
 * when memory ran out.  For private VMAs a run of up to `run` absent pages
 * starting at pn is backed from one contiguous allocation.
 */
static uint64_t back_pages(struct mm *mm, struct vma *v, uint64_t pn,
			   uint64_t run)
{
	uint64_t *e = pagemap_slot(&mm->pages, pn, true);
	uint64_t off;
	size_t got;

	if (!e)
		return 0;
	if (*e)
		return *e;
	if (v->obj) {
		off = memobj_page_get(v->obj, v->obj_pgoff + pn - (v->start >> PAGE_SHIFT));
		if (off == PGALLOC_FAIL)
			return 0;
		*e = off | PTE_PRESENT;
		return *e;
	}
	if (shares_cache(v)) {
		/* A page of a cached host file: shared with the cache (and
		 * every other mapping of it) until written, as Linux maps the
		 * page cache.  Not in writable mappings (data, relocations),
		 * where it would cost a copy-on-write fault per page; nor the
		 * page holding the loader's file_end, whose tail must read as
		 * zero. */
		uint64_t foff = v->file_off + ((pn << PAGE_SHIFT) - v->start);
		if (foff < v->file_end && v->file_end - foff >= PAGE_SIZE) {
			if (foff >= ALIGN_UP(mm_file_size(v->file), PAGE_SIZE))
				return 0;       /* wholly past the end: SIGBUS */
			off = memobj_page_get_ahead(v->file->obj, foff >> PAGE_SHIFT, run);
			if (off == PGALLOC_FAIL)
				return 0;
			*e = off | PTE_PRESENT | PTE_COW;
			return *e;
		}
	}
	/* Only the absent prefix of the run can share one allocation. */
	uint64_t n = 1;
	while (n < run && !pagemap_get(&mm->pages, pn + n))
		n++;
	off = pgalloc_alloc(n, &got);
	if (off == PGALLOC_FAIL)
		return 0;
	if (v->file) {
		/* Private file pages start as a copy of the file. */
		uint64_t foff = v->file_off + ((pn << PAGE_SHIFT) - v->start);
		uint64_t len = got << PAGE_SHIFT;
		if (foff >= ALIGN_UP(mm_file_size(v->file), PAGE_SIZE)) {
			/* Wholly past the end of the file: SIGBUS. */
			pgalloc_put(off, got);
			return 0;
		}
		if (foff >= v->file_end)
			len = 0;
		else if (v->file_end - foff < len)
			len = v->file_end - foff;
		if (len && mm_file_fill(v->file, foff, off, len) != 0) {
			pgalloc_put(off, got);
			return 0;
		}
	}
	for (uint64_t k = 0; k < got; k++) {
		uint64_t *ek = k ? pagemap_slot(&mm->pages, pn + k, true) : e;
		if (!ek) {
			pgalloc_put(off + (k << PAGE_SHIFT), got - k);
			break;
		}
		*ek = (off + (k << PAGE_SHIFT)) | PTE_PRESENT;
	}
	return *e;
}

static bool access_ok_prot(int prot, int access)
{
	switch (access) {
	case PROT_WRITE:
		return prot & PROT_WRITE;
	case PROT_EXEC:
		return prot & PROT_EXEC;
	default:
		return prot != PROT_NONE;
	}
}

/* Extends a grows-down VMA at index i down to addr, if Linux would. */
static bool expand_stack(struct mm *mm, size_t i, uint64_t addr)
{
	struct vma *v = &mm->vmas[i];
	uint64_t start = ALIGN_DOWN(addr, PAGE_SIZE);

	if (!(v->flags & VMA_GROWSDOWN) || start < MMAP_MIN_ADDR)
		return false;
	if (v->end - start > mm->stack_rlimit)
		return false;
	if (i > 0 && mm->vmas[i - 1].end + STACK_GUARD_GAP > start &&
	    !(mm->vmas[i - 1].flags & VMA_GROWSDOWN))
		return false;
	if (i > 0 && mm->vmas[i - 1].end > start)
		return false;
	v->start = start;
	return true;
}

/* Adds page pn (memory-file offset off) if it continues the run. */
static bool run_grow(struct map_run *r, uint64_t pn, uint64_t off, int prot)
{
	if (!r->len || r->addr + r->len != pn << PAGE_SHIFT || r->off + r->len != off ||
	    r->prot != prot)
		return false;
	r->len += PAGE_SIZE;
	return true;
}

static void run_start(struct map_run *r, uint64_t pn, uint64_t off, int prot)
{
	r->addr = pn << PAGE_SHIFT;
	r->off = off;
	r->len = PAGE_SIZE;
	r->prot = prot;
}

/* Queues the run's mmap (if any) and empties it. */
static void run_flush(struct mm *mm, struct map_run *r)
{
	if (!r->len)
		return;
	if (r->lazy)
		platform_as_map_lazy(mm->as, r->addr, r->len, r->prot, r->off);
	else
		platform_as_map(mm->as, r->addr, r->len, r->prot, r->off);
	r->len = 0;
}

/* Adds page pn to run r, or starts a new run with it after queuing r,
 * when that rides along with the trapped thread's return; false when it
 * would not (the page stays unmapped). */
static bool run_add_deferred(struct mm *mm, struct map_run *r, uint64_t pn, uint64_t off,
			     int prot)
{
	if (run_grow(r, pn, off, prot))
		return true;
	run_flush(mm, r);
	if (!platform_as_can_defer(mm->as, 1))
		return false;
	run_start(r, pn, off, prot);
	return true;
}

void mm_map_written(struct mm *mm, uint64_t addr, struct map_run *r)
{
	uint64_t pn = addr >> PAGE_SHIFT, *e;
	struct vma *v;
	int prot;

	if (!mm->as)
		return;
	e = pagemap_slot(&mm->pages, pn, false);
	if (!e || !*e || (*e & PTE_MAPPED))
		return;
	v = vma_find(mm, addr);
	if (!v || v->prot == PROT_NONE)
		return;
	prot = (*e & PTE_COW) ? v->prot & ~PROT_WRITE : v->prot;
	if (run_add_deferred(mm, r, pn, *e & PAGE_MASK, prot))
		*e |= PTE_MAPPED;
}

void mm_map_run_end(struct mm *mm, struct map_run *r)
{
	run_flush(mm, r);
}

/*
 * Backs and maps [lo, hi) of a private anonymous VMA lazily (mm->lock
 * held), if that rides along with the trapped thread's return: the host
 * then fills in the stub's page tables for the pages the application
 * touches, at a host fault each (a few us) rather than a trap (tens).
 */
static void premap_new(struct mm *mm, uint64_t lo, uint64_t hi)
{
	struct vma *v = vma_find(mm, lo);
	struct map_run r = { .lazy = true };

	if (!v || v->obj || v->file || !platform_as_can_defer(mm->as, 1))
		return;
	hi = MIN(hi, v->end);
	for (uint64_t pn = lo >> PAGE_SHIFT; pn < hi >> PAGE_SHIFT; pn++) {
		uint64_t e = back_pages(mm, v, pn, (hi >> PAGE_SHIFT) - pn);
		uint64_t *slot = pagemap_slot(&mm->pages, pn, false);
		if (!e || (e & PTE_MAPPED) || !slot ||
		    !run_add_deferred(mm, &r, pn, e & PAGE_MASK, v->prot))
			break;
		*slot = e | PTE_MAPPED;
	}
	run_flush(mm, &r);
}

int mm_handle_fault(struct mm *mm, uint64_t addr, int access, int *signo,
		    int *code)
{
	struct vma *v;
	size_t i;
	uint64_t win, lo, hi, pn;
	int err = 0;

	pthread_mutex_lock(&mm->lock);
	i = vma_index(mm, addr);
	if (i == mm->nvmas || (mm->vmas[i].start > addr && !expand_stack(mm, i, addr))) {
		*signo = SIGSEGV;
		*code = SEGV_MAPERR;
		goto fail;
	}
	v = &mm->vmas[i];
	if (!access_ok_prot(v->prot, access)) {
		*signo = SIGSEGV;
		*code = SEGV_ACCERR;
		goto fail;
	}
	if (v->obj && v->obj_pgoff + ((addr - v->start) >> PAGE_SHIFT) >= v->obj->npages) {
		*signo = SIGBUS;
		*code = BUS_ADRERR;
		goto fail;
	}

	/* The fault-around window, aligned to its size, clipped to the VMA. */
	/* File pages start with a larger window: programs touch their text
	 * all over, a trap costs far more than reading a page, and the
	 * window never goes past the mapping. */
	win = (uint64_t)(v->file ? FAULT_MIN_FILE_PAGES : FAULT_MIN_PAGES)
	      << MIN(v->fault_count, 7u);
	if (win > FAULT_MAX_PAGES)
		win = FAULT_MAX_PAGES;
	v->fault_count++;
	win <<= PAGE_SHIFT;
	lo = MAX(ALIGN_DOWN(addr, win), v->start);
	hi = MIN(ALIGN_DOWN(addr, win) + win, v->end);
	if (v->flags & VMA_HOSTMAP) {
		/* The stub maps the rest of this VMA from the host file (the
		 * page map does not know which pages): a window would copy
		 * the whole segment in and map it over them, for a fault on
		 * the one page left out, the last, partial one. */
		lo = ALIGN_DOWN(addr, PAGE_SIZE);
		hi = lo + PAGE_SIZE;
	}
	if (v->obj) {
		uint64_t obj_end = v->start + ((v->obj->npages - v->obj_pgoff) << PAGE_SHIFT);
		hi = MIN(hi, obj_end);
	}

	/* Back and map maximal runs of contiguous file pages with the same
	 * protection (copy-on-write pages map read-only, except the one a
	 * write fault is for, which gets a page of its own first). */
	struct map_run run = { 0 };
	for (pn = lo >> PAGE_SHIFT; pn < hi >> PAGE_SHIFT; pn++) {
		uint64_t e = back_pages(mm, v, pn, (hi >> PAGE_SHIFT) - pn);
		int prot = v->prot;
		if (e && (e & PTE_COW)) {
			if (access == PROT_WRITE && pn == addr >> PAGE_SHIFT)
				e = break_cow(mm, pn, pagemap_slot(&mm->pages, pn, false));
			else
				prot &= ~PROT_WRITE;
		}
		if (!e) {
			if (pn == addr >> PAGE_SHIFT)
				err = -ENOMEM;
			break;
		}
		if (e & PTE_MAPPED) {
			e = 0;
		} else {
			*pagemap_slot(&mm->pages, pn, false) = e | PTE_MAPPED;
		}
		if (e && run_grow(&run, pn, e & PAGE_MASK, prot))
			continue;
		run_flush(mm, &run);
		if (e)
			run_start(&run, pn, e & PAGE_MASK, prot);
	}
	run_flush(mm, &run);
	if (platform_as_flush(mm->as) != 0 && !err)
		err = -EFAULT;
	pthread_mutex_unlock(&mm->lock);
	if (err) {
		*signo = err == -ENOMEM ? SIGBUS : SIGSEGV;
		*code = err == -ENOMEM ? BUS_ADRERR : SEGV_MAPERR;
		return 1;
	}
	return 0;
fail:
	pthread_mutex_unlock(&mm->lock);
	return 1;
}

/* ---- life cycle and layout ---- */

struct mm *mm_new(void)
{
	struct mm *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	pthread_mutex_init(&mm->lock, NULL);
	mm->refs = 1;
	mm->task_size = platform_task_size();
	mm->stack_rlimit = 8UL << 20;
	mm->usertrap_hold = USERTRAP_HOLD;
	return mm;
}

void mm_get(struct mm *mm)
{
	__atomic_fetch_add(&mm->refs, 1, __ATOMIC_RELAXED);
}

void mm_put(struct mm *mm)
{
	if (__atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (mm->as) {
		platform_as_release(mm->as);
		mm->as = NULL;
	}
	drop_pages(mm, 0, mm->task_size);
	while (mm->nvmas)
		vma_remove(mm, mm->nvmas - 1);
	vmas_free(mm);
	pagemap_free(&mm->pages);
	pthread_mutex_destroy(&mm->lock);
	free(mm);
}

void mm_write_back(struct mm *mm)
{
	pthread_mutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++)
		vma_write_back(&mm->vmas[i]);
	pthread_mutex_unlock(&mm->lock);
}

void mm_futex_key(struct mm *mm, uint64_t addr, bool shared, const void **obj,
		  uint64_t *off)
{
	*obj = mm;
	*off = addr;
	if (!shared)
		return;
	pthread_mutex_lock(&mm->lock);
	struct vma *v = vma_find(mm, addr);
	if (v && v->obj) {
		*obj = v->obj;
		*off = (v->obj_pgoff << PAGE_SHIFT) + (addr - v->start);
	}
	pthread_mutex_unlock(&mm->lock);
}

struct mm *mm_fork(struct mm *old, size_t copy_budget)
{
	struct mm *mm = mm_new();
	uint64_t pn, val, end;

	if (!mm)
		return NULL;
	pthread_mutex_lock(&old->lock);
	if (vmas_alloc(mm, old->nvmas) != 0) {
		pthread_mutex_unlock(&old->lock);
		mm_put(mm);
		return NULL;
	}
	for (size_t i = 0; i < old->nvmas; i++) {
		if (old->vmas[i].flags & VMA_DONTFORK)
			continue;
		mm->vmas[mm->nvmas] = old->vmas[i];
		mm->vmas[mm->nvmas].flags &= ~VMA_HOSTMAP;   /* the child's stub has none */
		vma_get_refs(&mm->vmas[mm->nvmas++]);
	}
	mm->task_size = old->task_size;
	mm->mmap_base = old->mmap_base;
	mm->stack_top = old->stack_top;
	mm->brk_start = old->brk_start;
	mm->brk = old->brk;
	mm->start_code = old->start_code;
	mm->end_code = old->end_code;
	mm->start_data = old->start_data;
	mm->end_data = old->end_data;
	mm->start_stack = old->start_stack;
	mm->arg_start = old->arg_start;
	mm->arg_end = old->arg_end;
	mm->env_start = old->env_start;
	mm->env_end = old->env_end;
	mm->stack_rlimit = old->stack_rlimit;
	mm->as_limit = old->as_limit;
	mm->usertrap_base = old->usertrap_base;
	mm->usertrap_next = old->usertrap_next;
	mm->usertrap_xnext = old->usertrap_xnext;
	memcpy(mm->usertrap_nope, old->usertrap_nope, sizeof(mm->usertrap_nope));

	for (size_t i = 0; i < old->nvmas; i++) {
		struct vma *v = &old->vmas[i];
		bool private = !v->obj;
		if (v->flags & (VMA_DONTFORK | VMA_WIPEONFORK))
			continue;       /* the child gets no pages (or fresh ones) */
		pn = v->start >> PAGE_SHIFT;
		end = v->end >> PAGE_SHIFT;
		while ((pn = pagemap_next(&old->pages, pn, end, &val)) < end) {
			uint64_t *ne = pagemap_slot(&mm->pages, pn, true);
			if (!ne)
				goto nomem;
			/* The parent's working set (writable pages it has
			 * mapped) is copied for the child up to a budget: a
			 * fork followed by exec then costs the parent no
			 * copy-on-write faults at all. */
			if (private && copy_budget && (v->prot & PROT_WRITE) &&
			    (val & PTE_MAPPED) && !(val & PTE_COW)) {
				uint64_t page = pgalloc_alloc_exact(1);
				if (page != PGALLOC_FAIL) {
					memcpy(pgalloc_ptr(page), pgalloc_ptr(val & PAGE_MASK), PAGE_SIZE);
					*ne = page | PTE_PRESENT;
					copy_budget--;
					pn++;
					continue;
				}
			}
			pgalloc_get(val & PAGE_MASK, 1);
			*ne = (val & PAGE_MASK) | PTE_PRESENT | (private ? PTE_COW : 0);
			if (private)
				*pagemap_slot(&old->pages, pn, false) = val | PTE_COW;
			pn++;
		}
		/* The parent's next write to these pages must fault: its
		 * mapped runs become read-only (reads go on unhindered). */
		if (private && (v->prot & PROT_WRITE))
			stub_protect(old, v->start, v->end, v->prot & ~PROT_WRITE, true);
	}
	/* Before other threads of the parent write again. */
	platform_as_flush(old->as);
	pthread_mutex_unlock(&old->lock);
	return mm;
nomem:
	pthread_mutex_unlock(&old->lock);
	mm_put(mm);
	return NULL;
}

/* Maps the present pages of vma v in [lo, hi) into the stub in runs
 * (mm->lock held): read-only where copy-on-write.  Stops once *ops runs
 * are used up.  lazy: the host fills in the stub's page tables as the
 * application touches the pages (a host fault, ~10 us here, each);
 * otherwise at once (MAP_POPULATE, under 1 us a page), for pages it is
 * about to touch. */
static void premap_range(struct mm *mm, struct vma *v, uint64_t lo, uint64_t hi,
			 unsigned *ops, bool lazy)
{
	uint64_t pn = MAX(lo, v->start) >> PAGE_SHIFT, end = MIN(hi, v->end) >> PAGE_SHIFT, val;
	struct map_run run = { .lazy = lazy };

	if (v->prot == PROT_NONE)
		return;
	if (shares_cache(v) && !(v->flags & VMA_HOSTMAP)) {
		/* What the file's cache already holds (another process
		 * mapped it) is backed now too, as a fault would. */
		uint64_t size = ALIGN_UP(mm_file_size(v->file), PAGE_SIZE);
		for (uint64_t p = pn; p < end; p++) {
			uint64_t foff = v->file_off + ((p << PAGE_SHIFT) - v->start), off;
			if (foff >= size || foff >= v->file_end || v->file_end - foff < PAGE_SIZE)
				break;
			if (pagemap_get(&mm->pages, p))
				continue;
			off = memobj_page_peek(v->file->obj, foff >> PAGE_SHIFT);
			uint64_t *e = off == PGALLOC_FAIL ? NULL : pagemap_slot(&mm->pages, p, true);
			if (!e) {
				if (off != PGALLOC_FAIL)
					pgalloc_put(off, 1);
				continue;
			}
			*e = off | PTE_PRESENT | PTE_COW;
		}
	}
	while (*ops && (pn = pagemap_next(&mm->pages, pn, end, &val)) < end) {
		uint64_t *e = pagemap_slot(&mm->pages, pn, false);
		int prot = (val & PTE_COW) ? v->prot & ~PROT_WRITE : v->prot;
		if (val & PTE_MAPPED) {
			pn++;
			continue;
		}
		if (!run_grow(&run, pn, val & PAGE_MASK, prot)) {
			if (run.len) {
				run_flush(mm, &run);
				if (!--*ops)
					return;
			}
			run_start(&run, pn, val & PAGE_MASK, prot);
		}
		*e = val | PTE_MAPPED;
		pn++;
	}
	if (run.len && *ops) {
		run_flush(mm, &run);
		--*ops;
	}
}

bool mm_host_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, int fd, uint64_t off)
{
	if (mm->nhost_maps == MM_HOST_MAPS || fd < 0 || !len || (prot & PROT_WRITE))
		return false;
	pthread_mutex_lock(&mm->lock);
	mm->host_maps[mm->nhost_maps++] = (struct platform_file_map){
		.addr = addr, .len = len, .off = off, .prot = prot, .fd = fd,
	};
	hostmap_flag(mm, addr, addr + len, true);
	pthread_mutex_unlock(&mm->lock);
	return true;
}

void mm_host_maps_done(struct mm *mm, bool mapped)
{
	pthread_mutex_lock(&mm->lock);
	for (unsigned k = 0; k < mm->nhost_maps && !mapped; k++)
		hostmap_flag(mm, mm->host_maps[k].addr, mm->host_maps[k].addr + mm->host_maps[k].len,
			     false);
	mm->nhost_maps = 0;
	mm->host_maps_wanted = false;
	pthread_mutex_unlock(&mm->lock);
}

void mm_populate(struct mm *mm, uint64_t lo, uint64_t hi, uint64_t max_pages)
{
	pthread_mutex_lock(&mm->lock);
	for (size_t i = vma_index(mm, lo); i < mm->nvmas && max_pages; i++) {
		struct vma *v = &mm->vmas[i];
		uint64_t end = MIN(hi, v->end) >> PAGE_SHIFT;
		if (v->start >= hi)
			break;
		if (v->prot == PROT_NONE)
			continue;
		for (uint64_t pn = MAX(lo, v->start) >> PAGE_SHIFT; pn < end && max_pages;
		     pn++, max_pages--) {
			if (!pagemap_get(&mm->pages, pn) &&
			    !back_pages(mm, v, pn, MIN(end - pn, max_pages)))
				break;
		}
	}
	pthread_mutex_unlock(&mm->lock);
}

void mm_populate_soon(struct mm *mm, uint64_t lo, uint64_t hi, uint64_t max_pages)
{
	if (mm->host_maps_wanted && mm->nlater < ARRAY_SIZE(mm->later)) {
		mm->later[mm->nlater].lo = lo;
		mm->later[mm->nlater].hi = hi;
		mm->later[mm->nlater++].pages = max_pages;
		__atomic_store_n(&mm->later_pending, 1, __ATOMIC_RELEASE);
		return;
	}
	mm_populate(mm, lo, hi, max_pages);
}

void mm_populate_later(struct mm *mm)
{
	for (unsigned i = 0; i < mm->nlater; i++)
		mm_populate(mm, mm->later[i].lo, mm->later[i].hi, mm->later[i].pages);
	mm->nlater = 0;
	if (__atomic_exchange_n(&mm->later_pending, 0, __ATOMIC_ACQ_REL))
		syscall(SYS_futex, &mm->later_pending, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* A new image's own pages (stack, data, bss, the loader's copies) it
 * touches at once; of a file's cache that other processes read, it may
 * run far less; and a fork child mostly execs after touching a few of its
 * parent's pages. */
static bool premap_lazy(const struct vma *v, bool fork_child)
{
	return fork_child || shares_cache(v);
}

void mm_premap(struct mm *mm, uint64_t sp, uint64_t pc, unsigned max_runs, bool fork_child)
{
	size_t i, first[2];

	/* The pages mm_populate_later is still reading in are worth the
	 * wait (the first program's data segments): each one left out
	 * would be a fault through the sentry. */
	while (__atomic_load_n(&mm->later_pending, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &mm->later_pending, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
	pthread_mutex_lock(&mm->lock);
	/* The stack and the code the thread starts in come first. */
	first[0] = vma_index(mm, sp);
	first[1] = vma_index(mm, pc);
	for (int k = 0; k < 2; k++)
		if (first[k] < mm->nvmas && mm->vmas[first[k]].start <= (k ? pc : sp))
			premap_range(mm, &mm->vmas[first[k]], 0, UINT64_MAX, &max_runs,
				     premap_lazy(&mm->vmas[first[k]], fork_child));
	for (i = 0; i < mm->nvmas && max_runs; i++)
		premap_range(mm, &mm->vmas[i], 0, UINT64_MAX, &max_runs,
			     premap_lazy(&mm->vmas[i], fork_child));
	platform_as_flush(mm->as);
	pthread_mutex_unlock(&mm->lock);
}

static uint64_t rand_pages(uint64_t max_bytes)
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = 0;
	return (r % (max_bytes >> PAGE_SHIFT)) << PAGE_SHIFT;
}

/*
 * The stack top lies at a random page in the 256 MiB below the stub
 * region (Linux x86-64 spreads it over 16 GiB below the task size), and
 * the vDSO goes just above it (vdso_map), as Linux placed it until 6.x:
 * the stack's top, the vDSO and the stub region (the upper half of its
 * GiB, see platform_init) then share their upper page-table pages, and
 * the stack and vDSO most often one page-table page.  On a virtual
 * machine with shadow paging each page-table page costs 20-100 us to make
 * and 10-40 us to free (measured here); this saves four of a small
 * program's twelve.  The addresses keep the region's 10 bits of
 * randomness plus 16 of their own; the mmap base keeps Linux's 28.
 */
#define STACK_RANDOM_BYTES (256ULL << 20)
#define VDSO_ROOM (16 * PAGE_SIZE)      /* above the stack's top: [vvar][vdso] */

void mm_init_layout(struct mm *mm)
{
	uint64_t gap;

	mm->stack_top = mm->task_size - VDSO_ROOM - rand_pages(STACK_RANDOM_BYTES);
	gap = MAX(mm->stack_rlimit, 128UL << 20) + STACK_GUARD_GAP;
	mm->mmap_base = ALIGN_DOWN(mm->stack_top - gap, PAGE_SIZE) - rand_pages(1ULL << 40);
}

/* ---- syscalls ---- */

/*
 * RLIMIT_AS (Linux: may_expand_vm): whether mapping [addr, addr + len),
 * which replaces what is mapped there, keeps the total under the limit.
 */
static bool may_expand(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t total = 0;

	if (!mm->as_limit)
		return true;
	for (size_t i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		uint64_t lo = MAX(v->start, addr), hi = MIN(v->end, addr + len);
		total += v->end - v->start;
		if (lo < hi)
			total -= hi - lo;
	}
	return total + len <= mm->as_limit;
}

static long insert_vma(struct mm *mm, uint64_t addr, uint64_t len, int prot,
		       int flags, struct memobj *obj)
{
	struct vma v = {
		.start = addr, .end = addr + len, .prot = prot, .flags = flags,
		.obj = obj,
	};
	size_t i = vma_index(mm, addr);
	int err = vma_insert(mm, i, &v);

	if (err)
		return err;
	vma_merge_around(mm, i);
	return (long)addr;
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
	     const struct mm_backing *b, uint64_t off)
{
	struct memobj *obj = NULL;
	int vflags = 0;
	long ret;

	if (off & ~PAGE_MASK)
		return -EINVAL;
	switch (flags & MAP_TYPE) {
	case MAP_PRIVATE:
	case MAP_SHARED:
		break;
	case MAP_SHARED_VALIDATE:
		if (flags & ~(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT |
			      MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE |
			      MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |
			      MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |
			      MAP_FIXED_NOREPLACE | MAP_SYNC))
			return -EOPNOTSUPP;
		break;
	default:
		return -EINVAL;
	}
	/* Anonymous memory takes plain MAP_SHARED or MAP_PRIVATE only, and
	 * shared memory cannot grow down (do_mmap). */
	if (!b && (flags & MAP_TYPE) == MAP_SHARED_VALIDATE)
		return -EINVAL;
	if ((flags & MAP_TYPE) != MAP_PRIVATE && (flags & MAP_GROWSDOWN))
		return -EINVAL;
	if (len == 0)
		return -EINVAL;
	if (len > mm->task_size)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	if ((off >> PAGE_SHIFT) + (len >> PAGE_SHIFT) < (off >> PAGE_SHIFT))
		return -EOVERFLOW;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (flags & MAP_GROWSDOWN)
		vflags |= VMA_GROWSDOWN;
	if (flags & MAP_NORESERVE)
		vflags |= VMA_NORESERVE;

	pthread_mutex_lock(&mm->lock);
	if (flags & MAP_FIXED) {
		ret = -EINVAL;
		if (addr & ~PAGE_MASK)
			goto out;
		ret = -ENOMEM;
		if (addr > mm->task_size - len)
			goto out;
		ret = -EPERM;
		if (addr < MMAP_MIN_ADDR)
			goto out;
		if (flags & MAP_FIXED_NOREPLACE) {
			ret = -EEXIST;
			if (!range_free(mm, addr, addr + len))
				goto out;
		}
	} else {
		addr = get_unmapped_area(mm, addr, len, flags);
		ret = -ENOMEM;
		if (!addr)
			goto out;
	}
	ret = -ENOMEM;
	if (!may_expand(mm, addr, len))
		goto out;
	if (b && b->no_write)
		vflags |= VMA_NOWRITE;
	if (b)
		vflags |= b->vma_flags & (VMA_VDSO | VMA_VVAR);
	if (b && b->obj) {
		vflags |= VMA_SHARED;
		obj = b->obj;
		memobj_get(obj);
	} else if ((flags & MAP_TYPE) != MAP_PRIVATE && !(b && b->file)) {
		vflags |= VMA_SHARED;
		obj = memobj_new(len >> PAGE_SHIFT);
		ret = -ENOMEM;
		if (!obj)
			goto out;
	}
	ret = unmap_range(mm, addr, addr + len);
	if (ret == 0 && b && (b->obj || b->file)) {
		struct vma v = {
			.start = addr, .end = addr + len,
			.prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
			.flags = vflags, .obj = obj, .obj_pgoff = off >> PAGE_SHIFT,
			.file = b->file, .file_off = off, .file_end = UINT64_MAX,
		};
		if (b->file)
			mm_file_get(b->file);
		ret = vma_insert(mm, vma_index(mm, addr), &v);
		if (ret) {
			if (b->file)
				mm_file_put(b->file);
		} else {
			ret = (long)addr;
			obj = NULL;         /* the VMA holds the reference now */
			/* What other processes already read of the file maps
			 * now, rather than at one fault per mapping later. */
			struct vma *nv = &mm->vmas[vma_index(mm, addr)];
			if (shares_cache(nv)) {
				unsigned ops = 8;
				premap_range(mm, nv, addr, addr + len, &ops, true);
				platform_as_flush(mm->as);
			}
		}
	} else if (ret == 0) {
		ret = insert_vma(mm, addr, len, prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
				 vflags, obj);
		if (ret >= 0)
			obj = NULL;
	}
	if (obj)
		memobj_put(obj);
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_map_anon_fixed(struct mm *mm, uint64_t addr, uint64_t len, int prot,
		       int vma_flags)
{
	long ret;

	if ((addr | len) & ~PAGE_MASK || addr + len > mm->task_size || addr + len < addr)
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	ret = unmap_range(mm, addr, addr + len);
	if (ret == 0)
		ret = insert_vma(mm, addr, len, prot, vma_flags, NULL);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_map_anon_noreplace(struct mm *mm, uint64_t addr, uint64_t len, int prot,
			   int vma_flags)
{
	long ret;

	if ((addr | len) & ~PAGE_MASK || addr + len > mm->task_size || addr + len < addr ||
	    addr < MMAP_MIN_ADDR)
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	ret = -EEXIST;
	if (range_free(mm, addr, addr + len))
		ret = insert_vma(mm, addr, len, prot, vma_flags, NULL);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_write_code(struct mm *mm, uint64_t addr, const void *src, size_t len)
{
	pthread_mutex_lock(&mm->lock);
	for (uint64_t a = addr; a < addr + len; a = ALIGN_DOWN(a, PAGE_SIZE) + PAGE_SIZE) {
		size_t i = vma_index(mm, a);
		if (i == mm->nvmas || mm->vmas[i].start > a) {
			pthread_mutex_unlock(&mm->lock);
			return -EFAULT;
		}
		if ((mm->vmas[i].flags & VMA_SHARED) || !(mm->vmas[i].prot & PROT_EXEC)) {
			pthread_mutex_unlock(&mm->lock);
			return -EACCES;
		}
	}
	pthread_mutex_unlock(&mm->lock);
	long ret = mm_copy_out_force(mm, addr, src, len);
	if (ret < 0)
		return ret;
	/* A page copied for the write left the stub: map the copy now
	 * rather than at the next fault. */
	unsigned ops = 2;
	pthread_mutex_lock(&mm->lock);
	size_t i = vma_index(mm, addr);
	if (i < mm->nvmas && mm->vmas[i].start <= addr)
		premap_range(mm, &mm->vmas[i], ALIGN_DOWN(addr, PAGE_SIZE),
			     ALIGN_UP(addr + len, PAGE_SIZE), &ops, false);
	platform_as_flush(mm->as);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_map_file_fixed(struct mm *mm, uint64_t addr, uint64_t len, int prot,
		       struct mm_file *file, uint64_t off, uint64_t file_end)
{
	struct vma v = {
		.start = addr, .end = addr + len, .prot = prot, .file = file,
		.file_off = off, .file_end = file_end,
	};
	long ret;

	if ((addr | len | off) & ~PAGE_MASK || addr + len > mm->task_size || addr + len < addr)
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	ret = unmap_range(mm, addr, addr + len);
	if (ret == 0) {
		mm_file_get(file);
		ret = vma_insert(mm, vma_index(mm, addr), &v);
		if (ret)
			mm_file_put(file);
		else
			ret = (long)addr;
	}
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	long ret;

	if (addr & ~PAGE_MASK || len == 0)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (len == 0 || addr > mm->task_size || len > mm->task_size - addr)
		return -EINVAL;
	pthread_mutex_lock(&mm->lock);
	ret = unmap_range(mm, addr, addr + len);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	uint64_t end, a;
	size_t i;
	long ret = 0;
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);

	prot &= ~grows;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = ALIGN_UP(len, PAGE_SIZE);
	end = addr + len;
	if (end <= addr)
		return -ENOMEM;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;

	pthread_mutex_lock(&mm->lock);
	i = vma_index(mm, addr);
	if (i == mm->nvmas || mm->vmas[i].start >= end) {
		ret = -ENOMEM;
		goto out;
	}
	if (grows & PROT_GROWSDOWN) {
		if (!(mm->vmas[i].flags & VMA_GROWSDOWN)) {
			ret = -EINVAL;
			goto out;
		}
		addr = mm->vmas[i].start;
	} else if (mm->vmas[i].start > addr) {
		ret = -ENOMEM;
		goto out;
	}
	/* Apply up to the first hole, which fails with ENOMEM as in Linux. */
	for (a = addr; a < end;) {
		i = vma_index(mm, a);
		if (i == mm->nvmas || mm->vmas[i].start > a) {
			ret = -ENOMEM;
			break;
		}
		uint64_t seg_end = MIN(end, mm->vmas[i].end);
		if ((prot & PROT_WRITE) && (mm->vmas[i].flags & VMA_NOWRITE)) {
			ret = -EACCES;   /* a shared mapping of a read-only file */
			break;
		}
		if (mm->vmas[i].prot != prot) {
			ret = vma_split_range(mm, a, seg_end);
			if (ret)
				break;
			i = vma_index(mm, a);
			if (!(prot & ~mm->vmas[i].prot) && !(prot & PROT_WRITE) &&
			    !host_mapped(mm, a, seg_end)) {
				/* Access taken away, write access with it
				 * (RELRO, guard pages, W^X code): the stub's
				 * mappings keep their pages. */
				stub_protect(mm, a, seg_end, prot, false);
				ret = platform_as_flush(mm->as);
			} else {
				/* Granted: pages map again, as they fault. */
				ret = stub_unmap(mm, a, seg_end);
			}
			mm->vmas[i].prot = prot;
			if (ret)
				break;
			vma_merge_around(mm, i);
		}
		a = seg_end;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

/* Moves the pages of [old, old+len) to new; both ranges are unmapped from
 * the stub first. */
static void move_pages(struct mm *mm, uint64_t old, uint64_t len, uint64_t new)
{
	uint64_t val, pn = old >> PAGE_SHIFT, end = (old + len) >> PAGE_SHIFT;

	stub_unmap(mm, old, old + len);
	while ((pn = pagemap_next(&mm->pages, pn, end, &val)) < end) {
		uint64_t *dst = pagemap_slot(&mm->pages, pn - (old >> PAGE_SHIFT) + (new >> PAGE_SHIFT), true);
		if (!dst)
			panic("out of memory moving pages");
		*dst = val;
		*pagemap_slot(&mm->pages, pn, false) = 0;
		pn++;
	}
}

/*
 * Inserts a VMA like v (its view from src_addr on) at [new_addr,
 * new_addr + len), with its own references.  The range must be free.
 * Returns new_addr or -errno.
 */
static long insert_vma_copy(struct mm *mm, const struct vma *v, uint64_t src_addr,
			    uint64_t new_addr, uint64_t len)
{
	struct vma copy = *v;
	int err;

	copy.start = new_addr;
	copy.end = new_addr + len;
	copy.obj_pgoff += (src_addr - v->start) >> PAGE_SHIFT;
	copy.file_off += src_addr - v->start;
	copy.fault_count = 0;
	vma_get_refs(&copy);
	err = vma_insert(mm, vma_index(mm, new_addr), &copy);
	if (err) {
		vma_put_refs(&copy);
		return err;
	}
	return (long)new_addr;
}

/* Where a mapping that may move goes: a fresh area, or 0 (ENOMEM). */
static uint64_t mremap_area(struct mm *mm, int flags, uint64_t len)
{
	if (!(flags & MREMAP_MAYMOVE))
		return 0;
	return get_unmapped_area(mm, 0, len, 0);
}

long mm_mremap(struct mm *mm, uint64_t addr, uint64_t old_len,
	       uint64_t new_len, int flags, uint64_t new_addr)
{
	struct vma *v, moved;
	size_t i;
	long ret;

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) &&
	    (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (new_len == 0)
		return -EINVAL;

	pthread_mutex_lock(&mm->lock);
	ret = -ENOMEM;
	if (new_len > old_len && !may_expand(mm, 0, new_len - old_len))
		goto out;
	v = vma_find(mm, addr);
	ret = -EFAULT;
	if (!v)
		goto out;
	/* old_len == 0 duplicates a shared mapping; private ones refuse. */
	ret = -EINVAL;
	if (old_len == 0 && !(v->flags & VMA_SHARED))
		goto out;
	if (old_len == 0) {
		/* A second view of the same shared object. */
		if (flags & MREMAP_FIXED) {
			ret = -EINVAL;
			if (new_addr & ~PAGE_MASK || new_len > mm->task_size ||
			    new_addr > mm->task_size - new_len)
				goto out;
			ret = unmap_range(mm, new_addr, new_addr + new_len);
			if (ret)
				goto out;
			v = vma_find(mm, addr);
			ret = -EFAULT;
			if (!v)
				goto out;
		} else {
			ret = -ENOMEM;
			new_addr = mremap_area(mm, flags, new_len);
			if (!new_addr)
				goto out;
		}
		ret = insert_vma_copy(mm, v, addr, new_addr, new_len);
		goto out;
	}
	ret = -EFAULT;
	if (old_len > v->end - addr)
		goto out;

	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		if (flags & MREMAP_FIXED) {
			ret = -EINVAL;
			if (new_addr & ~PAGE_MASK)
				goto out;
			if (new_len > mm->task_size || new_addr > mm->task_size - new_len)
				goto out;
			if (new_addr < addr + old_len && addr < new_addr + new_len)
				goto out;
			ret = unmap_range(mm, new_addr, new_addr + new_len);
			if (ret)
				goto out;
		}
		if (old_len > new_len) {
			ret = unmap_range(mm, addr + new_len, addr + old_len);
			if (ret)
				goto out;
			old_len = new_len;
		}
		v = vma_find(mm, addr);
		if (!(flags & MREMAP_FIXED)) {
			new_addr = get_unmapped_area(mm, 0, new_len, 0);
			ret = -ENOMEM;
			if (!new_addr)
				goto out;
		}
		goto move;
	}

	if (old_len >= new_len) {
		ret = unmap_range(mm, addr + new_len, addr + old_len);
		if (ret == 0)
			ret = (long)addr;
		goto out;
	}

	/* Grow in place when the VMA ends here and the space after is free. */
	i = (size_t)(v - mm->vmas);
	if (addr + old_len == v->end && new_len - old_len <= mm->task_size - v->end &&
	    (i + 1 == mm->nvmas || mm->vmas[i + 1].start >= addr + new_len)) {
		/* Shared anonymous memory keeps its object's size: pages
		 * past it raise SIGBUS (mm_handle_fault), as on Linux. */
		v->end = addr + new_len;
		ret = (long)addr;
		goto out;
	}
	ret = -ENOMEM;
	new_addr = mremap_area(mm, flags, new_len);
	if (!new_addr)
		goto out;

move:
	/* [addr, addr+old_len) moves to new_addr and grows to new_len. */
	ret = vma_split_range(mm, addr, addr + old_len);
	if (ret)
		goto out;
	v = vma_find(mm, addr);
	moved = *v;                       /* v moves in the array below */
	ret = insert_vma_copy(mm, &moved, addr, new_addr, new_len);
	if (ret < 0)
		goto out;
	move_pages(mm, addr, old_len, new_addr);
	/* With MREMAP_DONTUNMAP the old range stays, empty: private pages
	 * were moved. */
	if (!(flags & MREMAP_DONTUNMAP))
		vma_remove(mm, vma_index(mm, addr));
	vma_merge_around(mm, vma_index(mm, new_addr));
	ret = (long)new_addr;
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_brk(struct mm *mm, uint64_t brk)
{
	uint64_t oldbrk, newbrk;
	long ret;

	pthread_mutex_lock(&mm->lock);
	if (brk < mm->brk_start)
		goto out;
	newbrk = ALIGN_UP(brk, PAGE_SIZE);
	oldbrk = ALIGN_UP(mm->brk, PAGE_SIZE);
	if (oldbrk == newbrk) {
		mm->brk = brk;
		goto out;
	}
	if (brk <= mm->brk) {
		if (unmap_range(mm, newbrk, oldbrk) == 0)
			mm->brk = brk;
		goto out;
	}
	/* Linux keeps a page between the break and the next mapping (and
	 * the stack guard gap below a grows-down one). */
	if (newbrk > mm->task_size - PAGE_SIZE || !range_free(mm, oldbrk, newbrk + PAGE_SIZE) ||
	    !may_expand(mm, oldbrk, newbrk - oldbrk))
		goto out;
	size_t next = vma_index(mm, newbrk);
	if (next < mm->nvmas && (mm->vmas[next].flags & VMA_GROWSDOWN) &&
	    newbrk + PAGE_SIZE + STACK_GUARD_GAP > mm->vmas[next].start)
		goto out;
	ret = insert_vma(mm, oldbrk, newbrk - oldbrk, PROT_READ | PROT_WRITE, VMA_HEAP, NULL);
	if (ret >= 0) {
		mm->brk = brk;
		/* malloc writes there next. */
		premap_new(mm, oldbrk, MIN(newbrk, oldbrk + (BRK_PREMAP_PAGES << PAGE_SHIFT)));
	}
out:
	ret = (long)mm->brk;
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	uint64_t end, a;
	long ret = 0;

	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
	case MADV_WILLNEED: case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE:
	case MADV_DONTFORK: case MADV_DOFORK: case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_WIPEONFORK: case MADV_KEEPONFORK: case MADV_COLD:
	case MADV_PAGEOUT: case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
	case MADV_DONTNEED_LOCKED:
		break;
	default:
		return -EINVAL;
	}
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (len && end == addr)
		return -EINVAL;
	if (end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;

	pthread_mutex_lock(&mm->lock);
	if (!range_mapped(mm, addr, end))
		ret = -ENOMEM;
	for (a = addr; a < end;) {
		struct vma *v = vma_find(mm, a);
		if (!v) {
			size_t i = vma_index(mm, a);
			if (i == mm->nvmas)
				break;
			a = mm->vmas[i].start;
			continue;
		}
		uint64_t seg_end = MIN(end, v->end);
		switch (advice) {
		case MADV_DONTNEED:
		case MADV_DONTNEED_LOCKED:
		case MADV_FREE:
			/* Private pages go (zero-fill on next touch); shared
			 * ones stay in their object, only this view drops. */
			drop_pages(mm, a, seg_end);
			break;
		case MADV_REMOVE:
			if (!(v->flags & VMA_SHARED)) {
				ret = -EINVAL;
				goto out;
			}
			drop_pages(mm, a, seg_end);
			memobj_punch(v->obj, v->obj_pgoff + ((a - v->start) >> PAGE_SHIFT),
				     (seg_end - a) >> PAGE_SHIFT);
			break;
		case MADV_DONTFORK: case MADV_DOFORK:
		case MADV_WIPEONFORK: case MADV_KEEPONFORK: {
			int flag = (advice == MADV_DONTFORK || advice == MADV_DOFORK)
				   ? VMA_DONTFORK : VMA_WIPEONFORK;
			bool set = advice == MADV_DONTFORK || advice == MADV_WIPEONFORK;
			/* Linux: only private anonymous memory is wiped. */
			if (advice == MADV_WIPEONFORK && (v->obj || v->file)) {
				ret = -EINVAL;
				goto out;
			}
			if (!!(v->flags & flag) == set)
				break;
			if (vma_split_range(mm, a, seg_end)) {
				ret = -ENOMEM;
				goto out;
			}
			v = vma_find(mm, a);
			if (set)
				v->flags |= flag;
			else
				v->flags &= ~flag;
			vma_merge_around(mm, vma_index(mm, a));
			break;
		}
		default:
			/* Hints about caching, huge pages and dumps change
			 * nothing an application can observe here. */
			break;
		}
		a = seg_end;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

/* See mm_internal.h.  Touching below a grows-down stack extends it, as a
 * fault would. */
uint64_t mm_page_for_access(struct mm *mm, uint64_t addr, int access, bool force)
{
	size_t i = vma_index(mm, addr);
	struct vma *v;
	uint64_t e;

	if (i == mm->nvmas || (mm->vmas[i].start > addr && !expand_stack(mm, i, addr)))
		return PGALLOC_FAIL;
	v = &mm->vmas[i];
	if (!force && !access_ok_prot(v->prot, access))
		return PGALLOC_FAIL;
	if (v->obj && v->obj_pgoff + ((addr - v->start) >> PAGE_SHIFT) >= v->obj->npages)
		return PGALLOC_FAIL;
	e = back_pages(mm, v, addr >> PAGE_SHIFT, 1);
	if (!e)
		return PGALLOC_FAIL;
	if ((e & PTE_COW) && access == PROT_WRITE) {
		e = break_cow(mm, addr >> PAGE_SHIFT, pagemap_slot(&mm->pages, addr >> PAGE_SHIFT, false));
		if (!e)
			return PGALLOC_FAIL;
	}
	return e & PAGE_MASK;
}

/* Linux: mm/msync.c.  Shared pages live in memory-file objects that
 * read() and write() use too, so there is nothing to write back; the
 * checks are Linux's. */
long mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
	uint64_t end;
	long ret = 0;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	pthread_mutex_lock(&mm->lock);
	if (!range_mapped(mm, addr, end))
		ret = -ENOMEM;
	for (size_t i = vma_index(mm, addr); i < mm->nvmas && mm->vmas[i].start < end; i++) {
		struct vma *v = &mm->vmas[i];
		if (!v->obj || !(v->flags & VMA_SHARED))
			continue;
		uint64_t lo = MAX(addr, v->start), hi = MIN(end, v->end);
		memobj_writeback(v->obj, v->obj_pgoff + ((lo - v->start) >> PAGE_SHIFT),
				 (hi - lo) >> PAGE_SHIFT);
	}
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

/* Linux: mm/mincore.c.  A page is "resident" when moat has backed it. */
long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint8_t **vec_out,
		uint64_t *npages_out)
{
	uint64_t end, n;
	uint8_t *vec;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end < addr || end > mm->task_size)
		return -ENOMEM;
	n = (end - addr) >> PAGE_SHIFT;
	vec = calloc(n ? n : 1, 1);
	if (!vec)
		return -EAGAIN;
	pthread_mutex_lock(&mm->lock);
	if (!range_mapped(mm, addr, end)) {
		pthread_mutex_unlock(&mm->lock);
		free(vec);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < n; i++)
		vec[i] = (pagemap_get(&mm->pages, (addr >> PAGE_SHIFT) + i) & PTE_PRESENT) ? 1 : 0;
	pthread_mutex_unlock(&mm->lock);
	*vec_out = vec;
	*npages_out = n;
	return 0;
}
