/*
 * sys_mm.c: memory syscalls.  Thin: mm/ does the work.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kernel/kernel.h"
#include "mm/memobj.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs.h"

long sys_brk(struct task *t, const uint64_t a[6])
{
	return mm_brk(t->mm, a[0]);
}

long sys_mmap(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[3], prot = (int)a[2];
	struct mm_backing b = { 0 };
	struct file *f;
	bool shared;
	long ret;

	if (flags & MAP_ANONYMOUS)
		return mm_mmap(t->mm, a[0], a[1], prot, flags, NULL, a[5]);
	/* Linux: ksys_mmap_pgoff() and do_mmap()'s file checks. */
	if (!(f = fget(t, a[4])))
		return -EBADF;
	shared = (flags & MAP_TYPE) == MAP_SHARED || (flags & MAP_TYPE) == MAP_SHARED_VALIDATE;
	ret = 0;
	if (f->flags & O_PATH)
		ret = -EBADF;
	else if (!f->ops->mmap)
		ret = -ENODEV;
	else if ((f->flags & O_ACCMODE) == O_WRONLY)
		ret = -EACCES;
	else if (shared && (prot & PROT_WRITE) &&
		 ((f->flags & O_ACCMODE) != O_RDWR || (f->flags & O_APPEND)))
		ret = -EACCES;
	if (ret == 0 && a[1] == 0)
		ret = -EINVAL;
	if (ret == 0)
		ret = f->ops->mmap(f, shared, &b.obj, &b.file);
	if (ret == 0) {
		if (b.file)
			file_name_mapping(t, f, b.file);
		b.no_write = shared && (f->flags & O_ACCMODE) != O_RDWR;
		ret = mm_mmap(t->mm, a[0], a[1], prot, flags, &b, a[5]);
	}
	if (b.obj)
		memobj_put(b.obj);
	if (b.file)
		mm_file_put(b.file);
	file_put(f);
	return ret;
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

long sys_msync(struct task *t, const uint64_t a[6])
{
	return mm_msync(t->mm, a[0], a[1], (int)a[2]);
}

long sys_mincore(struct task *t, const uint64_t a[6])
{
	uint8_t *vec;
	uint64_t n;
	long ret = mm_mincore(t->mm, a[0], a[1], &vec, &n);

	if (ret)
		return ret;
	if (mm_copy_out(t->mm, a[2], vec, n))
		ret = -EFAULT;
	free(vec);
	return ret;
}
