/*
 * vdso.c: maps moat's vDSO (built from loader/vdso/) into each new image.
 *
 * The image is embedded in the sentry (vdso_blob) and copied once into a
 * memory object; every process maps it privately ("[vdso]", r-x: a write
 * after mprotect copies the page, as on Linux) with the timekeeper's
 * parameter page one page below it ("[vvar]", shared and read-only for
 * good: mprotect cannot make it writable).  AT_SYSINFO_EHDR points at the
 * image.  Linux: arch/x86/entry/vdso/vma.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel/kernel.h"
#include "loader/loader.h"
#include "mm/memobj.h"
#include "mm/mm.h"
#include "util/util.h"

extern const char vdso_blob[], vdso_blob_end[];

static struct mm_file *vdso_file;
static uint64_t vdso_len;

int vdso_init(void)
{
	size_t size = (size_t)(vdso_blob_end - vdso_blob);
	struct memobj *obj;

	vdso_len = ALIGN_UP(size, PAGE_SIZE);
	obj = memobj_new(vdso_len >> PAGE_SHIFT);
	if (!obj)
		return -ENOMEM;
	if (memobj_rw(obj, 0, (void *)vdso_blob, size, true)) {
		memobj_put(obj);
		return -ENOMEM;
	}
	vdso_file = mm_file_new_memobj(obj);
	memobj_put(obj);
	return vdso_file ? 0 : -ENOMEM;
}

long vdso_map(struct mm *mm)
{
	struct mm_backing vvar = { .obj = clock_vvar(), .no_write = true, .vma_flags = VMA_VVAR };
	struct mm_backing vdso = { .file = vdso_file, .vma_flags = VMA_VDSO };
	long base, img;

	/* Both in one free range: [vvar] first, the image right above; a
	 * page above the stack's top if free (see mm_init_layout). */
	base = mm_mmap(mm, mm->stack_top + PAGE_SIZE, PAGE_SIZE + vdso_len, PROT_READ, MAP_SHARED,
		       &vvar, 0);
	if (base < 0)
		return base;
	img = mm_mmap(mm, (uint64_t)base + PAGE_SIZE, vdso_len, PROT_READ | PROT_EXEC,
		      MAP_PRIVATE | MAP_FIXED, &vdso, 0);
	/* Backed now, so that the program's first resume maps it (mm_premap):
	 * every libc reads the image's ELF header at start-up, and that fault
	 * took a round trip through the sentry per exec. */
	if (img >= 0)
		mm_populate(mm, (uint64_t)img, (uint64_t)img + vdso_len, vdso_len >> PAGE_SHIFT);
	return img;
}
