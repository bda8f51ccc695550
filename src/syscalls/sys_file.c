/*
 * sys_file.c: the path-based and per-fd file syscalls: open in all its
 * forms, stat, directories, links, attributes, the cwd and root, dup,
 * pipes, mounts.
 *
 * Each handler copies its arguments in from application memory, checks
 * what Linux checks before any lookup (flags, sizes), and calls the vfs_*
 * function that does the work.  Linux reference: fs/open.c, fs/namei.c,
 * fs/stat.c, fs/readdir.c, fs/utimes.c, fs/d_path.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <utime.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"
#include "vfs/vfs.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define O_NOTIFICATION_PIPE O_EXCL    /* include/uapi/linux/watch_queue.h */

/* The kernel's directory entry records (fs/readdir.c). */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

struct linux_dirent {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	char d_name[];            /* then a NUL, padding, and d_type last */
};

#define DIRFD(x) ((int)(x))      /* dirfds are ints: the upper half is ignored */

/* Copies a path in: -EFAULT, -ENAMETOOLONG (>= PATH_MAX). */
static long get_path(struct task *t, uint64_t uaddr, char *buf)
{
	long n = mm_copy_in_string(t->mm, buf, uaddr, PATH_MAX);
	return n < 0 ? n : 0;
}

static uint64_t nofile_limit(struct task *t)
{
	return t->tg->rlimits[RLIMIT_NOFILE].rlim_cur;
}

static long install(struct task *t, struct file *f, int flags)
{
	long fd = fdtable_install(t->fdt, f, 0, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0,
				  nofile_limit(t));
	if (fd < 0)
		file_put(f);
	return fd;
}

/* ---- open ---- */

/* The kernel's __O_TMPFILE bit (glibc's __O_TMPFILE includes O_DIRECTORY). */
#define K_O_TMPFILE 020000000

/* Linux: build_open_flags(): what open(2) quietly ignores or refuses. */
static long do_open(struct task *t, int dirfd, uint64_t upath, int flags, mode_t mode,
		    unsigned wflags)
{
	char path[PATH_MAX];
	struct file *f;
	long err = get_path(t, upath, path);

	if (err)
		return err;
	/* Linux 6.4+: build_open_flags() refuses the ambiguous pair. */
	if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY) &&
	    (flags & O_TMPFILE) != O_TMPFILE)
		return -EINVAL;
	if (flags & K_O_TMPFILE) {
		/* Linux: build_open_flags(): with O_DIRECTORY, without
		 * O_CREAT, for writing. */
		if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE ||
		    (flags & O_ACCMODE) == O_RDONLY || (flags & O_PATH))
			return -EINVAL;
		err = vfs_open_tmpfile(t, dirfd, path, flags & ~O_CLOEXEC, mode, wflags, &f);
	} else {
		err = vfs_open(t, dirfd, path, flags & ~O_CLOEXEC, mode, wflags, &f);
	}
	if (err)
		return err;
	return install(t, f, flags);
}

long sys_open(struct task *t, const uint64_t a[6])
{
	return do_open(t, AT_FDCWD, a[0], (int)a[1], (mode_t)a[2], 0);
}

long sys_openat(struct task *t, const uint64_t a[6])
{
	return do_open(t, DIRFD(a[0]), a[1], (int)a[2], (mode_t)a[3], 0);
}

long sys_creat(struct task *t, const uint64_t a[6])
{
	return do_open(t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t)a[1], 0);
}

/* Linux: fs/open.c do_sys_openat2() and build_open_flags(). */
long sys_openat2(struct task *t, const uint64_t a[6])
{
	struct open_how how = { 0 };
	uint64_t size = a[3];
	unsigned wflags = 0;
	const uint64_t valid = O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_NOCTTY |
		O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | O_ASYNC | O_DIRECT | O_LARGEFILE |
		O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_SYNC | O_TMPFILE;

	if (size < sizeof(struct open_how))   /* OPEN_HOW_SIZE_VER0 */
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	if (mm_copy_in(t->mm, &how, a[2], sizeof(how)))
		return -EFAULT;
	/* Bytes past what we know must be zero (copy_struct_from_user). */
	for (uint64_t off = sizeof(how); off < size; off++) {
		uint8_t b;
		if (mm_copy_in(t->mm, &b, a[2] + off, 1))
			return -EFAULT;
		if (b)
			return -E2BIG;
	}
	if (how.flags & ~valid)
		return -EINVAL;
	if (how.resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
				      RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
				      RESOLVE_IN_ROOT | RESOLVE_CACHED))
		return -EINVAL;
	if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	if (how.resolve & RESOLVE_CACHED)
		return -EAGAIN;           /* nothing is "cached" in Linux's sense */
	if ((how.flags & (O_CREAT | K_O_TMPFILE)) ? how.mode & ~07777ULL : how.mode != 0)
		return -EINVAL;
	if ((how.flags & O_PATH) && (how.flags & ~(uint64_t)(O_PATH | O_DIRECTORY |
							     O_NOFOLLOW | O_CLOEXEC)))
		return -EINVAL;
	if (how.resolve & RESOLVE_NO_XDEV)
		wflags |= WALK_NO_XDEV;
	if (how.resolve & RESOLVE_NO_MAGICLINKS)
		wflags |= WALK_NO_MAGICLINKS;
	if (how.resolve & RESOLVE_NO_SYMLINKS)
		wflags |= WALK_NO_SYMLINKS | WALK_NO_MAGICLINKS;
	if (how.resolve & RESOLVE_BENEATH)
		wflags |= WALK_BENEATH;
	if (how.resolve & RESOLVE_IN_ROOT)
		wflags |= WALK_IN_ROOT;
	return do_open(t, DIRFD(a[0]), a[1], (int)how.flags, (mode_t)how.mode, wflags);
}

long sys_close_range(struct task *t, const uint64_t a[6])
{
	unsigned first = (unsigned)a[0], last = (unsigned)a[1], flags = (unsigned)a[2];

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	fdtable_close_range(t->fdt, first, last, flags & CLOSE_RANGE_CLOEXEC);
	return 0;
}

/* ---- stat ---- */

static long stat_out(struct task *t, const struct statx *stx, uint64_t ubuf)
{
	struct stat st;

	statx_to_stat(stx, &st);
	return mm_copy_out(t->mm, ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

static long do_stat(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, unsigned wflags)
{
	char path[PATH_MAX];
	struct statx stx;
	long err = get_path(t, upath, path);

	if (!err)
		err = vfs_stat(t, dirfd, path, wflags, &stx);
	return err ? err : stat_out(t, &stx, ubuf);
}

long sys_stat(struct task *t, const uint64_t a[6])
{
	return do_stat(t, AT_FDCWD, a[0], a[1], WALK_FOLLOW);
}

long sys_lstat(struct task *t, const uint64_t a[6])
{
	return do_stat(t, AT_FDCWD, a[0], a[1], 0);
}

long sys_fstat(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	struct statx stx;
	long err;

	if (!f)
		return -EBADF;
	err = vfs_getattr(f->inode, &stx);
	file_put(f);
	return err ? err : stat_out(t, &stx, a[1]);
}

static unsigned at_flags_to_walk(int flags)
{
	return ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW) |
	       ((flags & AT_EMPTY_PATH) ? WALK_EMPTY : 0);
}

long sys_newfstatat(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[3];

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	return do_stat(t, DIRFD(a[0]), a[1], a[2], at_flags_to_walk(flags));
}

long sys_statx(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[2];
	unsigned mask = (unsigned)a[3];
	char path[PATH_MAX];
	struct statx stx;
	long err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	err = get_path(t, a[1], path);
	if (!err)
		err = vfs_stat(t, DIRFD(a[0]), path, at_flags_to_walk(flags), &stx);
	if (err)
		return err;
	return mm_copy_out(t->mm, a[4], &stx, sizeof(stx)) ? -EFAULT : 0;
}

static long statfs_out(struct task *t, struct inode *inode, uint64_t ubuf)
{
	struct statfs sf = { 0 };

	int err = inode->ops->statfs ? inode->ops->statfs(inode, &sf) : -ENOSYS;
	if (err && err != -ENOSYS)
		return err;
	if (err) {
		sf.f_type = inode->sb->magic;
		sf.f_bsize = 4096;
		sf.f_frsize = 4096;
		sf.f_namelen = NAME_MAX;
		if (inode->sb->magic == TMPFS_MAGIC) {
			/* Memory-backed: the room is the memory file's. */
			sf.f_blocks = sf.f_bfree = sf.f_bavail = (64ULL << 30) / 4096;
			sf.f_files = sf.f_ffree = 1 << 20;
		}
	}
	sf.f_fsid.__val[0] = (int)major(inode->sb->dev);
	sf.f_fsid.__val[1] = (int)minor(inode->sb->dev);
	return mm_copy_out(t->mm, ubuf, &sf, sizeof(sf)) ? -EFAULT : 0;
}

long sys_statfs(struct task *t, const uint64_t a[6])
{
	char path[PATH_MAX];
	struct walk_result res;
	long err = get_path(t, a[0], path);

	if (!err)
		err = vfs_walk(t, AT_FDCWD, path, WALK_FOLLOW, &res);
	if (err)
		return err;
	err = statfs_out(t, res.path.dentry->inode, a[1]);
	path_put(&res.path);
	return err;
}

long sys_fstatfs(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	long err;

	if (!f)
		return -EBADF;
	err = statfs_out(t, f->inode, a[1]);
	file_put(f);
	return err;
}

/* ---- directories ---- */

struct getdents_ctx {
	struct dir_ctx ctx;
	char *buf;
	size_t used, size;
	int64_t *prev_off;        /* d_off of the last entry, set when known */
	bool old;                 /* getdents (linux_dirent) rather than getdents64 */
	bool overflow;
};

/* Linux: fs/readdir.c filldir64() and filldir(). */
static bool getdents_emit(struct dir_ctx *ctx, const char *name, size_t len,
			  uint64_t ino, unsigned dtype)
{
	struct getdents_ctx *g = container_of(ctx, struct getdents_ctx, ctx);
	size_t reclen = g->old ? ALIGN_UP(offsetof(struct linux_dirent, d_name) + len + 2, 8)
			       : ALIGN_UP(offsetof(struct linux_dirent64, d_name) + len + 1, 8);
	char *p;

	if (g->used + reclen > g->size) {
		g->overflow = true;
		return false;
	}
	if (g->prev_off)
		*g->prev_off = (int64_t)ctx->pos;
	p = g->buf + g->used;
	memset(p, 0, reclen);
	if (g->old) {
		struct linux_dirent *d = (struct linux_dirent *)p;
		d->d_ino = ino;
		d->d_reclen = (uint16_t)reclen;
		memcpy(d->d_name, name, len);
		p[reclen - 1] = (char)dtype;
		g->prev_off = &d->d_off;
	} else {
		struct linux_dirent64 *d = (struct linux_dirent64 *)p;
		d->d_ino = ino;
		d->d_reclen = (uint16_t)reclen;
		d->d_type = (uint8_t)dtype;
		memcpy(d->d_name, name, len);
		g->prev_off = &d->d_off;
	}
	g->used += reclen;
	return true;
}

static long do_getdents(struct task *t, const uint64_t a[6], bool old)
{
	struct file *f = fget(t, a[0]);
	struct getdents_ctx g = { .ctx.emit = getdents_emit, .old = old };
	long err;

	if (!f)
		return -EBADF;
	if (!f->ops->readdir) {
		file_put(f);
		return (f->flags & O_PATH) ? -EBADF : -ENOTDIR;
	}
	g.buf = t->iobuf;
	g.size = MIN(a[2], (uint64_t)TASK_IOBUF_SIZE);
	pthread_mutex_lock(&f->pos_lock);
	g.ctx.pos = (uint64_t)f->pos;
	err = f->ops->readdir(f, &g.ctx);
	if (g.prev_off)
		*g.prev_off = (int64_t)g.ctx.pos;
	f->pos = (int64_t)g.ctx.pos;
	pthread_mutex_unlock(&f->pos_lock);
	fsnotify_file(f, IN_ACCESS);      /* Linux: iterate_dir() */
	file_put(f);
	if (err)
		return err;
	if (g.used == 0 && g.overflow)
		return -EINVAL;
	if (g.used && mm_copy_out(t->mm, a[1], g.buf, g.used))
		return -EFAULT;
	return (long)g.used;
}

long sys_getdents64(struct task *t, const uint64_t a[6]) { return do_getdents(t, a, false); }
long sys_getdents(struct task *t, const uint64_t a[6]) { return do_getdents(t, a, true); }

static long do_mknod(struct task *t, int dirfd, uint64_t upath, mode_t mode, dev_t dev)
{
	char path[PATH_MAX];
	long err;

	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG: case S_IFIFO: case S_IFSOCK: case S_IFCHR: case S_IFBLK:
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	err = get_path(t, upath, path);
	return err ? err : vfs_mknod(t, dirfd, path, mode, S_ISCHR(mode) || S_ISBLK(mode) ? dev : 0);
}

long sys_mknod(struct task *t, const uint64_t a[6])
{
	return do_mknod(t, AT_FDCWD, a[0], (mode_t)a[1], (dev_t)a[2]);
}

long sys_mknodat(struct task *t, const uint64_t a[6])
{
	return do_mknod(t, DIRFD(a[0]), a[1], (mode_t)a[2], (dev_t)a[3]);
}

static long do_mkdir(struct task *t, int dirfd, uint64_t upath, mode_t mode)
{
	char path[PATH_MAX];
	long err = get_path(t, upath, path);

	return err ? err : vfs_mknod(t, dirfd, path, S_IFDIR | (mode & 07777), 0);
}

long sys_mkdir(struct task *t, const uint64_t a[6]) { return do_mkdir(t, AT_FDCWD, a[0], (mode_t)a[1]); }
long sys_mkdirat(struct task *t, const uint64_t a[6]) { return do_mkdir(t, DIRFD(a[0]), a[1], (mode_t)a[2]); }

static long do_unlink(struct task *t, int dirfd, uint64_t upath, bool rmdir)
{
	char path[PATH_MAX];
	long err = get_path(t, upath, path);

	return err ? err : vfs_unlink(t, dirfd, path, rmdir);
}

long sys_rmdir(struct task *t, const uint64_t a[6]) { return do_unlink(t, AT_FDCWD, a[0], true); }
long sys_unlink(struct task *t, const uint64_t a[6]) { return do_unlink(t, AT_FDCWD, a[0], false); }

long sys_unlinkat(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[2];

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	return do_unlink(t, DIRFD(a[0]), a[1], flags & AT_REMOVEDIR);
}

static long do_rename(struct task *t, int odirfd, uint64_t uold, int ndirfd, uint64_t unew,
		      unsigned flags)
{
	char oldp[PATH_MAX], newp[PATH_MAX];
	long err = get_path(t, uold, oldp);

	if (!err)
		err = get_path(t, unew, newp);
	return err ? err : vfs_rename(t, odirfd, oldp, ndirfd, newp, flags);
}

long sys_rename(struct task *t, const uint64_t a[6])
{
	return do_rename(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

long sys_renameat(struct task *t, const uint64_t a[6])
{
	return do_rename(t, DIRFD(a[0]), a[1], DIRFD(a[2]), a[3], 0);
}

long sys_renameat2(struct task *t, const uint64_t a[6])
{
	return do_rename(t, DIRFD(a[0]), a[1], DIRFD(a[2]), a[3], (unsigned)a[4]);
}

static long do_link(struct task *t, int odirfd, uint64_t uold, int ndirfd, uint64_t unew,
		    int flags)
{
	char oldp[PATH_MAX], newp[PATH_MAX];
	long err;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = get_path(t, uold, oldp);
	if (!err)
		err = get_path(t, unew, newp);
	if (err)
		return err;
	return vfs_link(t, odirfd, oldp, ndirfd, newp,
			((flags & AT_SYMLINK_FOLLOW) ? WALK_FOLLOW : 0) |
			((flags & AT_EMPTY_PATH) ? WALK_EMPTY : 0));
}

long sys_link(struct task *t, const uint64_t a[6])
{
	return do_link(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

long sys_linkat(struct task *t, const uint64_t a[6])
{
	return do_link(t, DIRFD(a[0]), a[1], DIRFD(a[2]), a[3], (int)a[4]);
}

static long do_symlink(struct task *t, uint64_t utarget, int dirfd, uint64_t upath)
{
	char target[PATH_MAX], path[PATH_MAX];
	long err = get_path(t, utarget, target);

	if (!err)
		err = get_path(t, upath, path);
	return err ? err : vfs_symlink(t, target, dirfd, path);
}

long sys_symlink(struct task *t, const uint64_t a[6]) { return do_symlink(t, a[0], AT_FDCWD, a[1]); }
long sys_symlinkat(struct task *t, const uint64_t a[6]) { return do_symlink(t, a[0], DIRFD(a[1]), a[2]); }

static long do_readlink(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, int64_t size)
{
	char path[PATH_MAX], buf[PATH_MAX];
	long n;

	if (size <= 0)
		return -EINVAL;
	n = get_path(t, upath, path);
	if (n)
		return n;
	n = vfs_readlink(t, dirfd, path, buf, MIN((size_t)size, sizeof(buf)));
	if (n > 0 && mm_copy_out(t->mm, ubuf, buf, (size_t)n))
		return -EFAULT;
	return n;
}

long sys_readlink(struct task *t, const uint64_t a[6])
{
	return do_readlink(t, AT_FDCWD, a[0], a[1], (int)a[2]);
}

long sys_readlinkat(struct task *t, const uint64_t a[6])
{
	return do_readlink(t, DIRFD(a[0]), a[1], a[2], (int)a[3]);
}

/* Linux: fs/open.c do_faccessat(). */
static long do_access(struct task *t, int dirfd, uint64_t upath, int mode, int flags)
{
	char path[PATH_MAX];
	long err;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = get_path(t, upath, path);
	return err ? err : vfs_access(t, dirfd, path, mode, at_flags_to_walk(flags));
}

long sys_access(struct task *t, const uint64_t a[6]) { return do_access(t, AT_FDCWD, a[0], (int)a[1], 0); }
long sys_faccessat(struct task *t, const uint64_t a[6]) { return do_access(t, DIRFD(a[0]), a[1], (int)a[2], 0); }
long sys_faccessat2(struct task *t, const uint64_t a[6])
{
	return do_access(t, DIRFD(a[0]), a[1], (int)a[2], (int)a[3]);
}

/* ---- attributes ---- */

static long setattr_fd(struct task *t, uint64_t fd, struct iattr *ia)
{
	struct file *f = fget(t, fd);
	long err;

	if (!f)
		return -EBADF;
	err = (f->flags & O_PATH) ? -EBADF
	      : vfs_setattr(f->path.dentry ? &f->path : NULL, f->inode, ia, &t->cred);
	file_put(f);
	return err;
}

static long setattr_path(struct task *t, int dirfd, uint64_t upath, unsigned wflags,
			 struct iattr *ia)
{
	char path[PATH_MAX];
	long err = get_path(t, upath, path);

	return err ? err : vfs_setattr_path(t, dirfd, path, wflags, ia);
}

long sys_chmod(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { .valid = ATTR_MODE, .mode = (mode_t)a[1] & 07777 };
	return setattr_path(t, AT_FDCWD, a[0], WALK_FOLLOW, &ia);
}

long sys_fchmod(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { .valid = ATTR_MODE, .mode = (mode_t)a[1] & 07777 };
	return setattr_fd(t, a[0], &ia);
}

long sys_fchmodat(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { .valid = ATTR_MODE, .mode = (mode_t)a[2] & 07777 };
	return setattr_path(t, DIRFD(a[0]), a[1], WALK_FOLLOW, &ia);
}

/* Linux 6.6: fchmodat with flags; symlinks have no mode to change. */
long sys_fchmodat2(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { .valid = ATTR_MODE, .mode = (mode_t)a[2] & 07777 };
	int flags = (int)a[3];
	char path[PATH_MAX];
	struct statx stx;
	long err;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = get_path(t, a[1], path);
	if (err)
		return err;
	if (flags & AT_SYMLINK_NOFOLLOW) {
		err = vfs_stat(t, DIRFD(a[0]), path, at_flags_to_walk(flags), &stx);
		if (err)
			return err;
		if (S_ISLNK(stx.stx_mode))
			return -EOPNOTSUPP;
	}
	return vfs_setattr_path(t, DIRFD(a[0]), path, at_flags_to_walk(flags), &ia);
}

static void chown_attr(struct iattr *ia, uint64_t uid, uint64_t gid)
{
	ia->valid |= ATTR_KILL_SUID;
	if ((uint32_t)uid != (uint32_t)-1) {
		ia->valid |= ATTR_UID;
		ia->uid = (uint32_t)uid;
	}
	if ((uint32_t)gid != (uint32_t)-1) {
		ia->valid |= ATTR_GID;
		ia->gid = (uint32_t)gid;
	}
}

long sys_chown(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { 0 };
	chown_attr(&ia, a[1], a[2]);
	return setattr_path(t, AT_FDCWD, a[0], WALK_FOLLOW, &ia);
}

long sys_lchown(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { 0 };
	chown_attr(&ia, a[1], a[2]);
	return setattr_path(t, AT_FDCWD, a[0], 0, &ia);
}

long sys_fchown(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { 0 };
	chown_attr(&ia, a[1], a[2]);
	return setattr_fd(t, a[0], &ia);
}

long sys_fchownat(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[4];
	struct iattr ia = { 0 };

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	chown_attr(&ia, a[2], a[3]);
	return setattr_path(t, DIRFD(a[0]), a[1], at_flags_to_walk(flags), &ia);
}

/* Linux: fs/utimes.c.  times: NULL for "now"; UTIME_NOW/UTIME_OMIT. */
static long do_utimes(struct task *t, int dirfd, uint64_t upath, const struct timespec *times,
		      int flags)
{
	struct iattr ia = { .valid = ATTR_ATIME | ATTR_MTIME };
	struct timespec now;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	clock_ts(CLOCK_REALTIME, &now);
	ia.atime = ia.mtime = now;
	if (times) {
		for (int i = 0; i < 2; i++) {
			if (times[i].tv_nsec == UTIME_NOW || times[i].tv_nsec == UTIME_OMIT)
				continue;
			if (times[i].tv_nsec < 0 || times[i].tv_nsec >= 1000000000L)
				return -EINVAL;
		}
		if (times[0].tv_nsec == UTIME_OMIT)
			ia.valid &= ~ATTR_ATIME;
		else if (times[0].tv_nsec != UTIME_NOW)
			ia.atime = times[0];
		if (times[1].tv_nsec == UTIME_OMIT)
			ia.valid &= ~ATTR_MTIME;
		else if (times[1].tv_nsec != UTIME_NOW)
			ia.mtime = times[1];
		if (!(ia.valid & (ATTR_ATIME | ATTR_MTIME)))
			return 0;
	}
	if (!upath) {
		if (dirfd == AT_FDCWD)
			return -EFAULT;   /* Linux: the NULL name is read */
		return setattr_fd(t, (uint64_t)(int64_t)dirfd, &ia);
	}
	return setattr_path(t, dirfd, upath, at_flags_to_walk(flags), &ia);
}

long sys_utimensat(struct task *t, const uint64_t a[6])
{
	struct timespec ts[2];

	if (a[2] && mm_copy_in(t->mm, ts, a[2], sizeof(ts)))
		return -EFAULT;
	if (!a[1] && (a[3] & ~(uint64_t)AT_EMPTY_PATH))
		return -EINVAL;
	return do_utimes(t, DIRFD(a[0]), a[1], a[2] ? ts : NULL, (int)a[3]);
}

static long timeval_times(struct task *t, uint64_t utv, struct timespec ts[2])
{
	struct timeval tv[2];

	if (mm_copy_in(t->mm, tv, utv, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return 0;
}

long sys_futimesat(struct task *t, const uint64_t a[6])
{
	struct timespec ts[2];
	long err = a[2] ? timeval_times(t, a[2], ts) : 0;

	return err ? err : do_utimes(t, DIRFD(a[0]), a[1] ? a[1] : 0, a[2] ? ts : NULL, 0);
}

long sys_utimes(struct task *t, const uint64_t a[6])
{
	struct timespec ts[2];
	long err = a[1] ? timeval_times(t, a[1], ts) : 0;

	return err ? err : do_utimes(t, AT_FDCWD, a[0], a[1] ? ts : NULL, 0);
}

long sys_utime(struct task *t, const uint64_t a[6])
{
	struct utimbuf ub;
	struct timespec ts[2];

	if (a[1]) {
		if (mm_copy_in(t->mm, &ub, a[1], sizeof(ub)))
			return -EFAULT;
		ts[0] = (struct timespec){ ub.actime, 0 };
		ts[1] = (struct timespec){ ub.modtime, 0 };
	}
	return do_utimes(t, AT_FDCWD, a[0], a[1] ? ts : NULL, 0);
}

/* RLIMIT_FSIZE for truncate and fallocate (Linux: inode_newsize_ok). */
static long fsize_ok(struct task *t, uint64_t size)
{
	uint64_t limit = t->tg->rlimits[RLIMIT_FSIZE].rlim_cur;

	return limit != RLIM_INFINITY && size > limit ? fsize_exceeded(t) : 0;
}

long sys_truncate(struct task *t, const uint64_t a[6])
{
	struct iattr ia = { .valid = ATTR_SIZE | ATTR_MTIME, .size = a[1] };

	if ((int64_t)a[1] < 0)
		return -EINVAL;
	long err = fsize_ok(t, a[1]);
	if (err)
		return err;
	clock_ts(CLOCK_REALTIME, &ia.mtime);
	return setattr_path(t, AT_FDCWD, a[0], WALK_FOLLOW, &ia);
}

long sys_ftruncate(struct task *t, const uint64_t a[6])
{
	struct file *f;
	long err;

	if ((int64_t)a[1] < 0)
		return -EINVAL;
	f = fget(t, a[0]);
	if (!f)
		return -EBADF;
	if ((f->flags & O_PATH))
		err = -EBADF;
	else if (!S_ISREG(f->inode->mode) || (f->flags & O_ACCMODE) == O_RDONLY)
		err = -EINVAL;
	else if (!(err = fsize_ok(t, a[1])))
		err = vfs_truncate_file(f, (int64_t)a[1]);
	file_put(f);
	return err;
}

long sys_fallocate(struct task *t, const uint64_t a[6])
{
	int64_t off = (int64_t)a[2], len = (int64_t)a[3];
	struct file *f;
	long err;

	if (off < 0 || len <= 0)
		return -EINVAL;
	f = fget(t, a[0]);
	if (!f)
		return -EBADF;
	if ((f->flags & O_PATH) || (f->flags & O_ACCMODE) == O_RDONLY)
		err = -EBADF;
	else if (S_ISFIFO(f->inode->mode))
		err = -ESPIPE;
	else if (S_ISDIR(f->inode->mode))
		err = -EISDIR;
	else if (!S_ISREG(f->inode->mode) || !f->ops->fallocate)
		err = -ENODEV;
	else if (off + len < off)
		err = -EFBIG;
	else if (((int)a[1] & FALLOC_FL_KEEP_SIZE) || !(err = fsize_ok(t, (uint64_t)(off + len))))
		err = f->ops->fallocate(f, (int)a[1], (uint64_t)off, (uint64_t)len);
	if (err == 0)
		fsnotify_file(f, IN_MODIFY);  /* Linux: vfs_fallocate() */
	file_put(f);
	return err;
}

static long do_fsync(struct task *t, uint64_t fd)
{
	struct file *f = fget(t, fd);
	long err;

	if (!f)
		return -EBADF;
	err = (f->flags & O_PATH) ? -EBADF : f->ops->fsync ? f->ops->fsync(f) : -EINVAL;
	file_put(f);
	return err;
}

long sys_fsync(struct task *t, const uint64_t a[6]) { return do_fsync(t, a[0]); }
long sys_fdatasync(struct task *t, const uint64_t a[6]) { return do_fsync(t, a[0]); }

long sys_sync(struct task *t, const uint64_t a[6])
{
	(void)t; (void)a;
	return 0;                 /* the overlay lives in memory; the host syncs its own */
}

long sys_syncfs(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);

	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

long sys_fadvise64(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	long err = 0;

	if (!f)
		return -EBADF;
	if (S_ISFIFO(f->inode->mode))
		err = -ESPIPE;
	else if (a[3] > 5 || (int64_t)a[2] < 0)
		err = -EINVAL;
	file_put(f);
	return err;               /* advice only: nothing to do */
}

/* ---- cwd and root ---- */

static long set_fs_path(struct task *t, struct path *p, bool root)
{
	struct path old;
	int err = inode_permission(p->dentry->inode, MAY_EXEC, &t->cred);

	if (err) {
		path_put(p);
		return err;
	}
	pthread_mutex_lock(&t->fs->lock);
	old = root ? t->fs->root : t->fs->cwd;
	if (root)
		t->fs->root = *p;
	else
		t->fs->cwd = *p;
	pthread_mutex_unlock(&t->fs->lock);
	path_put(&old);
	return 0;
}

static long do_chdir(struct task *t, uint64_t upath, bool root)
{
	char path[PATH_MAX];
	struct walk_result res;
	long err = get_path(t, upath, path);

	if (!err)
		err = vfs_walk(t, AT_FDCWD, path, WALK_FOLLOW | WALK_DIRECTORY, &res);
	return err ? err : set_fs_path(t, &res.path, root);
}

long sys_chdir(struct task *t, const uint64_t a[6]) { return do_chdir(t, a[0], false); }
long sys_chroot(struct task *t, const uint64_t a[6]) { return do_chdir(t, a[0], true); }

long sys_fchdir(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	struct path p;

	if (!f)
		return -EBADF;
	if (!f->path.dentry || !S_ISDIR(f->inode->mode)) {
		file_put(f);
		return -ENOTDIR;
	}
	p = f->path;
	path_get(&p);
	file_put(f);
	return set_fs_path(t, &p, false);
}

/* Linux: fs/d_path.c getcwd(). */
long sys_getcwd(struct task *t, const uint64_t a[6])
{
	char buf[PATH_MAX];
	struct path root, cwd;
	long n;

	fs_context_get_root(t->fs, &root);
	fs_context_get_cwd(t->fs, &cwd);
	n = cwd.dentry->unhashed && cwd.dentry->parent ? -ENOENT
	    : vfs_path_name(&root, &cwd, buf, sizeof(buf));
	path_put(&root);
	path_put(&cwd);
	if (n < 0)
		return n;
	if ((uint64_t)n + 1 > a[1])
		return -ERANGE;
	if (mm_copy_out(t->mm, a[0], buf, (size_t)n + 1))
		return -EFAULT;
	return n + 1;
}

/* ---- dup and pipes ---- */

long sys_dup(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);

	if (!f)
		return -EBADF;
	return install(t, f, 0);
}

static long do_dup3(struct task *t, uint64_t oldfd, uint64_t newfd, int flags)
{
	struct file *f = fget(t, oldfd);
	long ret;

	if (!f)
		return -EBADF;
	if (newfd >= nofile_limit(t) || newfd > INT32_MAX) {
		file_put(f);
		return -EBADF;
	}
	ret = fdtable_install_at(t->fdt, f, (int)newfd, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0,
				 nofile_limit(t));
	if (ret < 0)
		file_put(f);
	return ret;
}

long sys_dup2(struct task *t, const uint64_t a[6])
{
	if (a[0] == a[1]) {
		/* Linux: dup2 of an fd to itself checks it and returns it. */
		if (a[0] > INT32_MAX || fdtable_get_flags(t->fdt, (int)a[0]) < 0)
			return -EBADF;
		return (long)a[0];
	}
	return do_dup3(t, a[0], a[1], 0);
}

long sys_dup3(struct task *t, const uint64_t a[6])
{
	if ((int)a[2] & ~O_CLOEXEC)
		return -EINVAL;
	if (a[0] == a[1])
		return -EINVAL;
	return do_dup3(t, a[0], a[1], (int)a[2]);
}

static long do_pipe(struct task *t, uint64_t ufds, int flags)
{
	struct file *rd, *wr;
	int fds[2];
	long err;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE))
		return -EINVAL;
	if (flags & (O_DIRECT | O_NOTIFICATION_PIPE)) {
		moat_log("pipe2 with O_DIRECT or O_NOTIFICATION_PIPE: not supported, EINVAL");
		return -EINVAL;
	}
	err = pipe_create(flags, &rd, &wr);
	if (err)
		return err;
	fds[0] = (int)install(t, rd, flags);
	if (fds[0] < 0) {
		file_put(wr);
		return fds[0];
	}
	fds[1] = (int)install(t, wr, flags);
	if (fds[1] < 0) {
		fdtable_close(t->fdt, fds[0]);
		return fds[1];
	}
	if (mm_copy_out(t->mm, ufds, fds, sizeof(fds))) {
		fdtable_close(t->fdt, fds[0]);
		fdtable_close(t->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(struct task *t, const uint64_t a[6]) { return do_pipe(t, a[0], 0); }
long sys_pipe2(struct task *t, const uint64_t a[6]) { return do_pipe(t, a[0], (int)a[1]); }

/* ---- extended attributes: none of moat's file systems keep any ---- */

static long xattr_path(struct task *t, uint64_t upath, unsigned wflags, bool list)
{
	char path[PATH_MAX];
	struct statx stx;
	long err = get_path(t, upath, path);

	if (!err)
		err = vfs_stat(t, AT_FDCWD, path, wflags, &stx);
	return err ? err : list ? 0 : -EOPNOTSUPP;
}

static long xattr_fd(struct task *t, uint64_t fd, bool list)
{
	struct file *f = fget(t, fd);

	if (!f)
		return -EBADF;
	file_put(f);
	return list ? 0 : -EOPNOTSUPP;
}

long sys_getxattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], WALK_FOLLOW, false); }
long sys_lgetxattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], 0, false); }
long sys_fgetxattr(struct task *t, const uint64_t a[6]) { return xattr_fd(t, a[0], false); }
long sys_setxattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], WALK_FOLLOW, false); }
long sys_lsetxattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], 0, false); }
long sys_fsetxattr(struct task *t, const uint64_t a[6]) { return xattr_fd(t, a[0], false); }
long sys_removexattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], WALK_FOLLOW, false); }
long sys_lremovexattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], 0, false); }
long sys_fremovexattr(struct task *t, const uint64_t a[6]) { return xattr_fd(t, a[0], false); }
long sys_listxattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], WALK_FOLLOW, true); }
long sys_llistxattr(struct task *t, const uint64_t a[6]) { return xattr_path(t, a[0], 0, true); }
long sys_flistxattr(struct task *t, const uint64_t a[6]) { return xattr_fd(t, a[0], true); }

/* ---- mounts inside the sandbox ---- */

long sys_mount(struct task *t, const uint64_t a[6])
{
	char source[PATH_MAX], target[PATH_MAX], fstype[64] = "";
	unsigned long flags = a[3];
	struct walk_result mp, src;
	struct dentry *root = NULL;
	long err;

	if ((err = get_path(t, a[1], target)))
		return err;
	if (a[2] && mm_copy_in_string(t->mm, fstype, a[2], sizeof(fstype)) < 0)
		return -EFAULT;
	if (flags & (MS_REMOUNT | MS_MOVE | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) {
		moat_log("mount flags %#lx: not supported yet, EINVAL", flags);
		return -EINVAL;
	}
	err = vfs_walk(t, AT_FDCWD, target, WALK_FOLLOW | WALK_DIRECTORY, &mp);
	if (err)
		return err;
	if (flags & MS_BIND) {
		if (!(err = get_path(t, a[0], source)) &&
		    !(err = vfs_walk(t, AT_FDCWD, source, WALK_FOLLOW, &src))) {
			root = src.path.dentry;
			dget(root);
			path_put(&src.path);
		}
	} else if (!strcmp(fstype, "tmpfs")) {
		err = tmpfs_new(&root, 01777) ? 0 : -ENOMEM;
	} else if (!strcmp(fstype, "proc")) {
		err = procfs_new(&root) ? 0 : -ENOMEM;
	} else {
		moat_log("mount of file system type '%s': not supported, ENODEV", fstype);
		err = -ENODEV;
	}
	if (!err) {
		int mflags = ((flags & MS_RDONLY) ? MNT_RDONLY : 0) |
			     ((flags & MS_NOSUID) ? MNT_NOSUID : 0) |
			     ((flags & MS_NODEV) ? MNT_NODEV : 0) |
			     ((flags & MS_NOEXEC) ? MNT_NOEXEC : 0);
		err = vfs_mount(&mp.path, root, mflags, (flags & MS_BIND) ? source : fstype, NULL);
	}
	dput(root);
	path_put(&mp.path);
	return err;
}

long sys_umount2(struct task *t, const uint64_t a[6])
{
	char target[PATH_MAX];
	struct walk_result res;
	long err;

	if (a[1] & ~(uint64_t)(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((err = get_path(t, a[0], target)))
		return err;
	err = vfs_walk(t, AT_FDCWD, target, (a[1] & UMOUNT_NOFOLLOW) ? 0 : WALK_FOLLOW, &res);
	if (err)
		return err;
	if (res.path.dentry != res.path.mnt->root)
		err = -EINVAL;
	else
		err = vfs_umount(res.path.mnt);
	path_put(&res.path);
	return err;
}

/* ---- flock and memfd ---- */

long sys_flock(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	long err;

	if (!f)
		return -EBADF;
	err = vfs_flock(t, f, (int)a[1]);
	file_put(f);
	return err;
}

static struct dentry *memfd_root;
static void memfd_init(void) { tmpfs_new(&memfd_root, 01777); }

/* Linux: mm/memfd.c.  A tmpfs file that no directory names. */
long sys_memfd_create(struct task *t, const uint64_t a[6])
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static unsigned long seq;
	unsigned flags = (unsigned)a[1];
	char name[256], tmpname[64];
	struct inode *dir, *inode;
	struct file *f;
	long err;

	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL;
	if (flags & MFD_HUGETLB) {
		moat_log("memfd_create with MFD_HUGETLB: not supported, EINVAL");
		return -EINVAL;
	}
	err = mm_copy_in_string(t->mm, name, a[0], 250);
	if (err == -ENAMETOOLONG)
		return -EINVAL;
	if (err < 0)
		return err;
	pthread_once(&once, memfd_init);
	if (!memfd_root)
		return -ENOMEM;
	dir = memfd_root->inode;
	snprintf(tmpname, sizeof(tmpname), "memfd-%lu",
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	struct new_node nn = { .mode = S_IFREG | 0777, .uid = t->cred.uid, .gid = t->cred.gid };
	pthread_mutex_lock(&vfs_lock);
	err = dir->ops->create(dir, tmpname, &nn, &inode);
	if (!err)
		dir->ops->unlink(dir, tmpname, inode);
	pthread_mutex_unlock(&vfs_lock);
	if (err)
		return err;
	f = file_new(NULL, O_RDWR | K_O_LARGEFILE, NULL);
	if (!f) {
		inode_put(inode);
		return -ENOMEM;
	}
	f->inode = inode;
	if (flags & MFD_ALLOW_SEALING)
		tmpfs_allow_sealing(inode);
	err = inode->ops->open(inode, f);
	if (err) {
		file_put(f);
		return err;
	}
	return install(t, f, (flags & MFD_CLOEXEC) ? O_CLOEXEC : 0);
}
