/*
 * mm_internal.h: what the files of mm/ share and nobody else uses.
 */
#ifndef MOAT_MM_INTERNAL_H
#define MOAT_MM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct mm;
struct mm_file;

/* The file offset of the page holding addr, backed if needed, when the
 * application may make the access there (any access when force), or
 * PGALLOC_FAIL.  mm->lock held. */
uint64_t mm_page_for_access(struct mm *mm, uint64_t addr, int access, bool force);

/* Copies len bytes of f at file_off into the memory file at mem_off;
 * past the end of f the pages stay zero.  0 or -errno. */
int mm_file_fill(struct mm_file *f, uint64_t file_off, uint64_t mem_off,
		 uint64_t len);

#endif
