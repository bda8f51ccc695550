/*
 * mm_internal.h: what the files of mm/ share and nobody else uses.
 */
#ifndef MOAT_MM_INTERNAL_H
#define MOAT_MM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct mm;
struct mm_file;

/*
 * Pages going into the stub, gathered into runs contiguous both in the
 * address space and in the memory file, with one protection: one mmap
 * each.  lazy: without MAP_POPULATE (premapping what may not be touched).
 */
struct map_run {
	uint64_t addr, off, len;
	int prot;
	bool lazy;
};

/* The file offset of the page holding addr, backed if needed, when the
 * application may make the access there (any access when force), or
 * PGALLOC_FAIL.  mm->lock held. */
uint64_t mm_page_for_access(struct mm *mm, uint64_t addr, int access, bool force);

/* Copies len bytes of f at file_off into the memory file at mem_off;
 * past the end of f the pages stay zero.  0 or -errno. */
int mm_file_fill(struct mm_file *f, uint64_t file_off, uint64_t mem_off,
		 uint64_t len);

/*
 * After a write for the application to addr's page (mm->lock held): maps
 * the page into the stub as part of run r, when that rides along with the
 * trapped thread's return (platform_as_can_defer), so that the
 * application's next touch of it does not trap.  mm_map_run_end queues
 * what is left of r.
 */
void mm_map_written(struct mm *mm, uint64_t addr, struct map_run *r);
void mm_map_run_end(struct mm *mm, struct map_run *r);

#endif
