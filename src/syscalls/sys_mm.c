/*
 * sys_mm.c: memory syscalls.  Thin: mm/ does the work.
 */
#include <errno.h>
#include <sys/mman.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs.h"

long sys_brk(struct task *t, const uint64_t a[6])
{
	return mm_brk(t->mm, a[0]);
}

long sys_mmap(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[3];

	/* Non-anonymous mappings need a file: check the fd first, as
	 * ksys_mmap_pgoff does. */
	if (!(flags & MAP_ANONYMOUS)) {
		if (a[4] > INT32_MAX || fdtable_get_flags(t->fdt, (int)a[4]) < 0)
			return -EBADF;
	}
	return mm_mmap(t->mm, a[0], a[1], (int)a[2], flags, (int)a[4], a[5]);
}

long sys_munmap(struct task *t, const uint64_t a[6])
{
	return mm_munmap(t->mm, a[0], a[1]);
}

long sys_mprotect(struct task *t, const uint64_t a[6])
{
	return mm_mprotect(t->mm, a[0], a[1], (int)a[2]);
}

long sys_mremap(struct task *t, const uint64_t a[6])
{
	return mm_mremap(t->mm, a[0], a[1], a[2], (int)a[3], a[4]);
}

long sys_madvise(struct task *t, const uint64_t a[6])
{
	return mm_madvise(t->mm, a[0], a[1], (int)a[2]);
}
