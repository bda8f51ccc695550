/*
 * loader.h: execve's image loading: ELF executables, their interpreter,
 * the initial stack and registers.
 *
 * loader_load() reads the executable, replaces the task's address space
 * contents with the new image and leaves the task's registers ready to
 * start it.  Binary formats are tried in turn (`#!` scripts, then ELF),
 * each reading the file through the VFS (struct exec_file).
 */
#ifndef MOAT_LOADER_H
#define MOAT_LOADER_H

#include <stdint.h>
#include <sys/types.h>

struct task;

/* An executable being loaded: read with exec_file_read. */
struct exec_file {
	struct file *f;           /* opened O_RDONLY through the VFS */
	uint64_t size;
};

/*
 * Opens path (resolved by t's VFS view) for execution: ENOENT, ENOTDIR,
 * ELOOP..., EACCES (not a regular file, no execute permission, a noexec
 * mount) as execve(2) reports them.
 */
int exec_file_open(struct task *t, const char *path, struct exec_file *ef);
void exec_file_close(struct exec_file *ef);
/* Reads exactly len bytes at off, or returns -EIO. */
int exec_file_read(struct exec_file *ef, void *buf, size_t len, uint64_t off);

/*
 * Loads path into t->mm (which must be empty) with the given argument and
 * environment vectors, and sets t->regs to start it.  `#!` scripts run
 * their interpreter (nested up to 4 deep, then ELOOP).  Returns 0 or
 * -errno: ENOENT, EACCES, ENOEXEC, EIO, E2BIG, ENOMEM, ELOOP.
 */
int loader_load(struct task *t, const char *path, char *const argv[],
		char *const envp[]);

/*
 * moat's vDSO (vdso.c).  vdso_init copies the image into the memory file
 * once; vdso_map maps it and its parameter page into mm and returns the
 * image's address (AT_SYSINFO_EHDR) or -errno.
 */
struct mm;
int vdso_init(void);
long vdso_map(struct mm *mm);

#endif
