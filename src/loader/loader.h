/*
 * loader.h: execve's image loading: ELF executables, their interpreter,
 * the initial stack and registers.
 *
 * loader_load() reads the executable, replaces the task's address space
 * contents with the new image and leaves the task's registers ready to
 * start it.  Binary formats are tried in turn (binfmt_elf now; `#!`
 * scripts slot in beside it), each reading the file through the
 * struct exec_file interface so that the VFS can replace the temporary
 * host-file reader without touching the formats.
 */
#ifndef MOAT_LOADER_H
#define MOAT_LOADER_H

#include <stdint.h>
#include <sys/types.h>

struct task;

/* An executable being loaded: read with exec_file_read. */
struct exec_file {
	int host_fd;              /* TEMPORARY: host file until the VFS exists */
	uint64_t size;
	char *path;               /* as given to execve */
};

/*
 * Opens path for execution: ENOENT, EACCES (not a regular file, or no
 * execute permission) as execve(2) reports them.
 */
int exec_file_open(const char *path, struct exec_file *ef);
void exec_file_close(struct exec_file *ef);
/* Reads exactly len bytes at off, or returns -EIO. */
int exec_file_read(struct exec_file *ef, void *buf, size_t len, uint64_t off);

/*
 * Loads path into t->mm (which must be empty) with the given argument and
 * environment vectors, and sets t->regs to start it.  Returns 0 or -errno:
 * ENOENT, EACCES, ENOEXEC, EIO, E2BIG, ENOMEM.
 */
int loader_load(struct task *t, const char *path, char *const argv[],
		char *const envp[]);

#endif
