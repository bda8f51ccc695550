/*
 * vfs.h: open file descriptions and file descriptor tables.
 *
 * A struct file is an open file description: an operations table, status
 * flags, an offset and a reference count; fd tables point at them, and
 * dup'ed fds share one.  This is the part of the VFS the foundation needs;
 * mounts, dentries and path resolution come with the files issue and plug
 * in behind the same file operations.
 */
#ifndef MOAT_VFS_H
#define MOAT_VFS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct file;
struct task;

struct file_ops {
	/* Read/write at most len bytes at *off (NULL: stream, no offset);
	 * buf is a sentry buffer.  Return bytes or -errno. */
	long (*read)(struct file *f, void *buf, size_t len, int64_t *off);
	long (*write)(struct file *f, const void *buf, size_t len, int64_t *off);
	long (*fstat)(struct file *f, struct stat *st);
	long (*ioctl)(struct file *f, struct task *t, unsigned cmd, uint64_t arg);
	long (*lseek)(struct file *f, int64_t off, int whence);
	void (*release)(struct file *f);
};

struct file {
	int refs;
	const struct file_ops *ops;
	int flags;                /* O_ACCMODE | O_APPEND | O_NONBLOCK ... */
	int64_t pos;
	pthread_mutex_t pos_lock;
	bool no_pos;              /* the ops keep the offset (host stdio):
				   * plain read/write pass off == NULL */
	void *priv;
};

struct file *file_new(const struct file_ops *ops, int flags, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);

#define FD_CLOEXEC_BIT 1

struct fdtable {
	pthread_mutex_t lock;
	int refs;
	int nfds;                 /* capacity */
	struct file **files;
	uint8_t *fdflags;         /* FD_CLOEXEC */
};

struct fdtable *fdtable_new(void);
void fdtable_put(struct fdtable *fdt);
/* Returns the file at fd with a reference, or NULL. */
struct file *fdtable_get(struct fdtable *fdt, int fd);
/* Installs f (taking over the caller's reference) at the lowest free fd
 * >= minfd below limit.  Returns the fd or -EMFILE. */
int fdtable_install(struct fdtable *fdt, struct file *f, int minfd,
		    int fdflags, uint64_t limit);
/* Installs f at exactly fd, closing what was there (dup2). */
int fdtable_install_at(struct fdtable *fdt, struct file *f, int fd,
		       int fdflags, uint64_t limit);
int fdtable_close(struct fdtable *fdt, int fd);
int fdtable_get_flags(struct fdtable *fdt, int fd);
int fdtable_set_flags(struct fdtable *fdt, int fd, int fdflags);

/* Host stdio passthrough (fs/hostfd.c): wraps a host fd the sentry owns. */
struct file *hostfd_file_new(int host_fd);

#endif
