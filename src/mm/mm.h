/*
 * mm.h: application address spaces.
 *
 * A struct mm is one application address space: an ordered array of VMAs
 * (what the application asked for: ranges, protections, backing), a page map
 * from application page to memory-file page (what actually backs it), the
 * brk and layout, and the platform address space (the stub process) that the
 * backed pages get mapped into lazily, on fault.
 *
 * Every syscall reads and writes application memory only through the usermem
 * functions below; they check the VMA protections the way the hardware would
 * for the application, back pages on demand, and return -EFAULT instead of
 * touching anything they should not.
 *
 * Locking: mm->lock protects the VMAs, the page map and the layout.  It is
 * taken inside task locks and outside pgalloc's lock.
 */
#ifndef MOAT_MM_H
#define MOAT_MM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/uio.h>

#include "mm/pagemap.h"
#include "platform/platform.h"      /* struct platform_file_map */

struct platform_as;
struct memobj;

/*
 * A file that private mappings read their pages from: a host descriptor
 * (hostfs files, the loader's executables) or a memory object (tmpfs).
 */
struct mm_file {
	int refs;
	int host_fd;              /* owned, or -1 */
	uint64_t size;            /* host files: pages wholly past it raise SIGBUS */
	struct memobj *obj;       /* referenced, or NULL */
	char *name;               /* for /proc/pid/maps, or NULL */
	uint64_t ino;
	uint64_t dev;
};

/* Names the file for /proc/pid/maps (copies name). */
void mm_file_set_name(struct mm_file *f, const char *name, uint64_t dev, uint64_t ino);

/* Takes ownership of host_fd.  NULL on out of memory (fd closed). */
struct mm_file *mm_file_new(int host_fd);
/* Pages of obj (referenced by the new file), shared copy-on-write by
 * private mappings until written. */
struct mm_file *mm_file_new_memobj(struct memobj *obj);
/* A host descriptor reading f's bytes (its own, or its cache's), or -1. */
int mm_file_host_fd(struct mm_file *f);
void mm_file_get(struct mm_file *f);
void mm_file_put(struct mm_file *f);
uint64_t mm_file_size(struct mm_file *f);
/*
 * Fills len bytes of memory-file pages at mem_off with a host file's bytes
 * from file_off (copy_file_range, else pread); bytes past its end stay as
 * they were.  0 or -errno.
 */
int mm_fill_from_host(int host_fd, uint64_t file_off, uint64_t mem_off, uint64_t len);

/* What a file mapping maps: shared pages of obj, or private copies of
 * file's pages; neither (both NULL) is anonymous memory (/dev/zero). */
struct mm_backing {
	struct memobj *obj;
	struct mm_file *file;
	bool no_write;            /* MAP_SHARED of a file not open for writing */
	int vma_flags;            /* VMA_VDSO, VMA_VVAR: the loader's names */
};

/* vma->flags */
#define VMA_SHARED     0x1   /* MAP_SHARED: writes go to the object */
#define VMA_GROWSDOWN  0x2
#define VMA_NORESERVE  0x4
#define VMA_STACK      0x8   /* the initial stack: "[stack]" */
#define VMA_HEAP       0x10  /* brk area: "[heap]" */
#define VMA_NOWRITE    0x20  /* may never become writable (mprotect EACCES) */
#define VMA_DONTFORK   0x40  /* MADV_DONTFORK: not in a forked child */
#define VMA_WIPEONFORK 0x80  /* MADV_WIPEONFORK: zero-filled in a forked child */
#define VMA_VDSO       0x100 /* moat's vDSO image: "[vdso]" */
#define VMA_VVAR       0x200 /* its clock parameter page: "[vvar]" */
#define VMA_USERTRAP   0x400 /* patched syscall sites' trampolines: "[usertrap]" */
#define VMA_HOSTMAP    0x800 /* the stub may map its pages from the host file,
			      * apart from the page map (mm_host_map) */

struct vma {
	uint64_t start, end;      /* page aligned, end exclusive */
	int prot;                 /* PROT_READ | PROT_WRITE | PROT_EXEC */
	int flags;                /* VMA_* */
	struct memobj *obj;       /* shared anonymous object, or NULL (private) */
	uint64_t obj_pgoff;       /* page offset of start within obj */
	struct mm_file *file;     /* private file mapping: pages read from it */
	uint64_t file_off;        /* file offset of start */
	uint64_t file_end;        /* file offset past which pages read as zero */
	uint32_t fault_count;     /* grows the fault-around window */
};

#define USERTRAP_HOLD 16
#define MM_HOST_MAPS 4

struct mm {
	pthread_mutex_t lock;
	int refs;
	struct vma *vmas;         /* sorted by start, never overlapping */
	size_t nvmas, cap;
	struct pagemap pages;     /* app page number -> PTE (see pagemap.h) */

	uint64_t task_size;       /* highest application address + 1 */
	uint64_t mmap_base;       /* top of the top-down mmap area */
	uint64_t stack_top;
	uint64_t brk_start, brk;
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_stack, arg_start, arg_end, env_start, env_end;
	uint64_t stack_rlimit;    /* RLIMIT_STACK for stack growth */
	uint64_t as_limit;        /* RLIMIT_AS in bytes; 0: none */
	uint64_t usertrap_base;   /* trampoline table (kernel/usertrap.c), or 0 */
	uint32_t usertrap_next;   /* its next free slot; UINT32_MAX: no patching */
	uint32_t usertrap_xnext;  /* next free pointer for `xor` sites; 0: none
				   * mapped yet, UINT32_MAX: cannot be */
	uint64_t usertrap_nope[32]; /* sites seen not patchable (by rip), a
				     * hint kernel/usertrap.c keeps */
	struct mm *next_old;      /* in kernel->old_mms */
	uint32_t usertrap_hold;   /* unpatched syscalls a new program or a
				   * fork's child makes before its sites are
				   * patched (kernel/usertrap.c) */

	struct platform_as *as;   /* the stub process */

	/* The first program's read-only segments, mapped by its new stub
	 * from the host file (kernel_run); the loader fills these when
	 * host_maps_wanted. */
	bool host_maps_wanted;
	unsigned nhost_maps;
	struct platform_file_map host_maps[MM_HOST_MAPS];
	/* What the loader would read in now, left for mm_populate_later to
	 * do while the new stub starts up (when host_maps_wanted). */
	unsigned nlater;
	struct { uint64_t lo, hi, pages; } later[2 * MM_HOST_MAPS + 2];
	uint32_t later_pending;   /* futex word: mm_populate_later has work left */
};

/* Bits of a page-map entry besides the memory-file page number. */
#define PTE_PRESENT  0x1      /* backed by memory-file page pte >> 12 */
#define PTE_MAPPED   0x2      /* mapped into the stub (read-only if PTE_COW) */
#define PTE_COW      0x4      /* private page shared with a forked mm: copy
				 * before the first write */

struct mm *mm_new(void);
/*
 * fork: a new address space with old's VMAs and layout; private pages are
 * shared copy-on-write (both sides get PTE_COW, and old's writable
 * mappings are dropped from its stub so its next write faults), shared
 * pages are shared.  The caller sets the new mm's platform address space.
 */
struct mm *mm_fork(struct mm *old, size_t copy_budget);
void mm_get(struct mm *mm);
/*
 * Maps into the stub, ahead of any fault, pages the address space already
 * has (a fork child's share of its parent's memory, an exec's stack): up
 * to max_runs mappings of contiguous runs, those of the VMAs holding sp
 * and pc first.  Linux copies a forking parent's page tables for the same
 * reason: a fault is dear, here a round trip to the sentry.  A new
 * image's own pages are populated; a fork child's, and a file's shared
 * cache, fill in as they are touched (fork_child: the first).
 */
void mm_premap(struct mm *mm, uint64_t sp, uint64_t pc, unsigned max_runs, bool fork_child);
/*
 * Records that the stub about to be made maps [addr, addr + len) of a
 * private read-only file VMA from host descriptor fd at off itself, and
 * marks the VMAs there VMA_HOSTMAP (their pages are then not in the page
 * map until the sentry needs them, and unmapping them from the stub
 * cannot be skipped).  Returns false when no more fit.
 */
bool mm_host_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, int fd, uint64_t off);
/* The stub was made: mapped says whether it mapped the recorded ranges
 * (if not, they fault in as any other file pages). */
void mm_host_maps_done(struct mm *mm, bool mapped);

/*
 * Backs the first max_pages pages of the VMAs in [lo, hi) now, file pages read
 * in runs, without mapping them (mm_premap does): the loader's program
 * image, read while the stub starts up instead of at a fault per VMA.
 */
void mm_populate(struct mm *mm, uint64_t lo, uint64_t hi, uint64_t max_pages);
/* mm_populate, or, while host maps are wanted, noted for mm_populate_later. */
void mm_populate_soon(struct mm *mm, uint64_t lo, uint64_t hi, uint64_t max_pages);
void mm_populate_later(struct mm *mm);
/*
 * The key of a futex at addr: (mm, addr) for a private futex or private
 * memory, (memory object, offset) for a shared futex on shared memory, so
 * that processes sharing the memory meet on it.
 */
void mm_futex_key(struct mm *mm, uint64_t addr, bool shared, const void **obj,
		  uint64_t *off);
void mm_put(struct mm *mm);
/* Writes back what shared mappings of files hold, as releasing mm would:
 * for a sandbox that ends without releasing its last address space. */
void mm_write_back(struct mm *mm);

/* Layout set up by the loader: randomised mmap base and stack top. */
void mm_init_layout(struct mm *mm);

/* Syscall implementations; each returns >= 0 or -errno as Linux's do. */
/* b: a file's backing, or NULL for MAP_ANONYMOUS. */
long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
	     const struct mm_backing *b, uint64_t off);
long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
long mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len,
	       uint64_t new_len, int flags, uint64_t new_addr);
long mm_brk(struct mm *mm, uint64_t addr);
long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
long mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);
/* mincore: *vec_out (malloc'ed, one byte per page) for [addr, addr+len). */
long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint8_t **vec_out,
		uint64_t *npages_out);

/*
 * Maps an anonymous private region for the loader: like mmap with
 * MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS but with a VMA flag for naming.
 */
long mm_map_anon_fixed(struct mm *mm, uint64_t addr, uint64_t len, int prot,
		       int vma_flags);

/*
 * Maps an anonymous private region where nothing is mapped yet (-EEXIST
 * otherwise), with VMA flags for naming: the sentry's own pages in an
 * address space (kernel/usertrap.c).
 */
long mm_map_anon_noreplace(struct mm *mm, uint64_t addr, uint64_t len, int prot,
			   int vma_flags);

/*
 * Overwrites len bytes of code at addr, as a debugger's poke would: only
 * in private executable mappings (never a file through a shared one), a
 * page shared copy-on-write is copied first.  0, -EFAULT or -EACCES.
 */
long mm_write_code(struct mm *mm, uint64_t addr, const void *src, size_t len);

/*
 * Maps [addr, addr+len) privately from file (MAP_PRIVATE|MAP_FIXED):
 * pages are read from the file at off on first touch; bytes at file
 * offsets >= file_end read as zero (the loader's bss tail).
 */
long mm_map_file_fixed(struct mm *mm, uint64_t addr, uint64_t len, int prot,
		       struct mm_file *file, uint64_t off, uint64_t file_end);

/*
 * Resolves an application page fault at addr for the given access
 * (PROT_READ, PROT_WRITE or PROT_EXEC).  Returns 0 when the page is now
 * mapped and the application can retry; otherwise fills in the signal the
 * application must get (SIGSEGV with SEGV_MAPERR or SEGV_ACCERR, SIGBUS
 * with BUS_ADRERR) and returns 1.
 */
int mm_handle_fault(struct mm *mm, uint64_t addr, int access, int *signo,
		    int *code);

/*
 * usermem.  All return 0 (or a length) on success and -EFAULT when any byte
 * of the range is unmapped or lacks the needed protection, as copy_to_user
 * and copy_from_user do.  They may back pages but never map them into the
 * stub.  mm->lock must not be held.
 */
long mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t len);
/* Checks that the whole range allows access (PROT_WRITE only; backing its
 * pages), so that a read can refuse a bad buffer before it consumes data. */
long mm_access_ok(struct mm *mm, uint64_t addr, size_t len, int access);
long mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t len);
long mm_zero_out(struct mm *mm, uint64_t dst, size_t len);
/* Copies a NUL-terminated string of at most max-1 bytes; returns its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL is found within max bytes. */
long mm_copy_in_string(struct mm *mm, char *dst, uint64_t src, size_t max);
/* Writes regardless of protection (the loader filling read-only segments). */
long mm_copy_out_force(struct mm *mm, uint64_t dst, const void *src, size_t len);

/*
 * Reads an application iovec array (at most UIO_MAXIOV entries, else
 * -EINVAL), checks it as Linux's import_iovec does (negative lengths
 * -EINVAL, total clamped to MAX_RW_COUNT) and returns the count.  *iov_out
 * is malloc'ed by the callee and freed by the caller.
 */
long mm_import_iovec(struct mm *mm, uint64_t uiov, uint64_t cnt,
		     struct iovec **iov_out, size_t *total);

/*
 * Copies n bytes between an imported iovec (application addresses), from
 * its byte skip on, and buf: into buf when in, else out of it.  0 or
 * -EFAULT.
 */
long mm_copy_iovec(struct mm *mm, const struct iovec *iov, int iovcnt, size_t skip,
		   void *buf, size_t n, bool in);

/* Linux's cap on one read or write: INT_MAX rounded down to a page. */
#define MAX_RW_COUNT (0x7fffffffUL & PAGE_MASK)

#endif
