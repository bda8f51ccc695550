/*
 * sys_io.c: read and write in all their forms, and the per-fd calls
 * (close, fstat, ioctl, fcntl, lseek).
 *
 * read, pread64, readv, preadv and their write twins all come down to
 * do_rw(), which walks an iovec through the task's bounce buffer: data is
 * copied between application memory and the buffer with usermem, and
 * moved between the buffer and the file with the file's ops.
 * Linux reference: fs/read_write.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"
#include "vfs/vfs.h"

static struct file *get_file(struct task *t, uint64_t fd)
{
	if (fd > INT32_MAX)
		return NULL;
	return fdtable_get(t->fdt, (int)fd);
}

/*
 * Moves data between the application iovec and f.  pos: NULL for the
 * file's own position, else a positional call's offset.
 */
static long do_rw(struct task *t, struct file *f, const struct iovec *iov,
		  long cnt, int64_t *pos, bool write)
{
	int64_t *offp = pos;
	long done = 0, err = 0;
	bool locked = false;

	if (pos && *pos < 0)
		return -EINVAL;
	if (!pos && !f->no_pos) {
		pthread_mutex_lock(&f->pos_lock);
		locked = true;
		offp = &f->pos;
	}
	for (long i = 0; i < cnt && !err; i++) {
		uint64_t base = (uint64_t)iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left > 0) {
			size_t n = MIN(left, (size_t)TASK_IOBUF_SIZE);
			long r;
			if (write) {
				if (mm_copy_in(t->mm, t->iobuf, base, n)) {
					err = -EFAULT;
					break;
				}
				r = f->ops->write(f, t->iobuf, n, offp);
			} else {
				r = f->ops->read(f, t->iobuf, n, offp);
				if (r > 0 && mm_copy_out(t->mm, base, t->iobuf, (size_t)r)) {
					err = -EFAULT;
					break;
				}
			}
			if (r < 0) {
				err = r;
				break;
			}
			done += r;
			base += (uint64_t)r;
			left -= (size_t)r;
			if ((size_t)r < n)
				goto out;    /* short transfer: stop here */
		}
	}
out:
	if (locked)
		pthread_mutex_unlock(&f->pos_lock);
	return done ? done : err;
}

/* vfs_read/vfs_write's first checks: opened for it, and able to. */
static long rw_check(struct file *f, bool write)
{
	if ((f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	if (write ? !f->ops->write : !f->ops->read)
		return -EINVAL;
	return 0;
}

/* Checks one buffer as Linux's access_ok and clamps it to MAX_RW_COUNT. */
static long one_iovec(struct task *t, uint64_t buf, uint64_t len, struct iovec *iov)
{
	if (buf + len < buf || buf + len > t->mm->task_size)
		return -EFAULT;
	iov->iov_base = (void *)buf;
	iov->iov_len = MIN(len, MAX_RW_COUNT);
	return 0;
}

static long rw_single(struct task *t, const uint64_t a[6], bool write, bool positional)
{
	struct file *f = get_file(t, a[0]);
	struct iovec iov;
	int64_t pos = (int64_t)a[3];
	long ret;

	if (!f)
		return -EBADF;
	ret = rw_check(f, write);
	if (ret == 0)
		ret = one_iovec(t, a[1], a[2], &iov);
	if (ret == 0)
		ret = do_rw(t, f, &iov, 1, positional ? &pos : NULL, write);
	file_put(f);
	return ret;
}

static long rw_vector(struct task *t, const uint64_t a[6], bool write, bool positional)
{
	struct file *f = get_file(t, a[0]);
	struct iovec *iov;
	size_t total;
	int64_t pos = (int64_t)a[3];
	long ret;

	if (!f)
		return -EBADF;
	iov = NULL;
	ret = rw_check(f, write);
	if (ret == 0)
		ret = mm_import_iovec(t->mm, a[1], a[2], &iov, &total);
	if (ret >= 0)
		ret = do_rw(t, f, iov, ret, positional ? &pos : NULL, write);
	free(iov);
	file_put(f);
	return ret;
}

long sys_read(struct task *t, const uint64_t a[6]) { return rw_single(t, a, false, false); }
long sys_write(struct task *t, const uint64_t a[6]) { return rw_single(t, a, true, false); }
long sys_pread64(struct task *t, const uint64_t a[6]) { return rw_single(t, a, false, true); }
long sys_pwrite64(struct task *t, const uint64_t a[6]) { return rw_single(t, a, true, true); }
long sys_readv(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, false, false); }
long sys_writev(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, true, false); }

long sys_close(struct task *t, const uint64_t a[6])
{
	if (a[0] > INT32_MAX)
		return -EBADF;
	return fdtable_close(t->fdt, (int)a[0]);
}

static long do_fstat(struct task *t, int fd, uint64_t ubuf)
{
	struct file *f = fdtable_get(t->fdt, fd);
	struct stat st;
	long ret;

	if (!f)
		return -EBADF;
	ret = f->ops->fstat ? f->ops->fstat(f, &st) : -EINVAL;
	file_put(f);
	if (ret == 0 && mm_copy_out(t->mm, ubuf, &st, sizeof(st)))
		ret = -EFAULT;
	return ret;
}

long sys_fstat(struct task *t, const uint64_t a[6])
{
	if (a[0] > INT32_MAX)
		return -EBADF;
	return do_fstat(t, (int)a[0], a[1]);
}

long sys_newfstatat(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[3];
	char path[2];
	long n;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -EINVAL;
	n = mm_copy_in_string(t->mm, path, a[1], sizeof(path));
	if (n == -EFAULT)
		return -EFAULT;
	if (n == 0 && (flags & AT_EMPTY_PATH))
		return do_fstat(t, (int)a[0], a[2]);
	/* TODO(files issue): path lookup through the VFS. */
	moat_log("newfstatat with a path: no VFS yet, ENOSYS");
	return -ENOSYS;
}

long sys_ioctl(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, a[0]);
	unsigned cmd = (unsigned)a[1];
	long ret;
	int one;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		ret = fdtable_set_flags(t->fdt, (int)a[0], cmd == FIOCLEX ? FD_CLOEXEC : 0);
		break;
	case FIONBIO:
		ret = mm_copy_in(t->mm, &one, a[2], sizeof(one));
		if (ret == 0)
			__atomic_store_n(&f->flags, one ? (f->flags | O_NONBLOCK)
						       : (f->flags & ~O_NONBLOCK), __ATOMIC_RELAXED);
		break;
	default:
		ret = f->ops->ioctl ? f->ops->ioctl(f, t, cmd, a[2]) : -ENOTTY;
	}
	file_put(f);
	return ret;
}

long sys_fcntl(struct task *t, const uint64_t a[6])
{
	int fd = a[0] > INT32_MAX ? -1 : (int)a[0];
	struct file *f = get_file(t, a[0]);
	long ret;

	if (!f)
		return -EBADF;
	switch ((int)a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		uint64_t limit = t->tg->rlimits[RLIMIT_NOFILE].rlim_cur;
		if (a[2] >= limit || a[2] > INT32_MAX) {
			ret = -EINVAL;
			break;
		}
		file_get(f);
		ret = fdtable_install(t->fdt, f, (int)a[2],
				      (int)a[1] == F_DUPFD_CLOEXEC ? FD_CLOEXEC : 0, limit);
		if (ret < 0)
			file_put(f);
		break;
	}
	case F_GETFD:
		ret = fdtable_get_flags(t->fdt, fd);
		break;
	case F_SETFD:
		ret = fdtable_set_flags(t->fdt, fd, (int)(a[2] & FD_CLOEXEC));
		break;
	case F_GETFL:
		ret = f->flags;
		break;
	case F_SETFL: {
		/* Linux: fs/fcntl.c setfl(); the access mode never changes. */
		const int settable = O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT | O_NOATIME | O_ASYNC;
		int nf = (f->flags & ~settable) | ((int)a[2] & settable);
		__atomic_store_n(&f->flags, nf, __ATOMIC_RELAXED);
		ret = 0;
		break;
	}
	default:
		moat_log("fcntl cmd %d not implemented: EINVAL", (int)a[1]);
		ret = -EINVAL;
	}
	file_put(f);
	return ret;
}

long sys_lseek(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, a[0]);
	long ret;

	if (!f)
		return -EBADF;
	if (a[2] > SEEK_HOLE)
		ret = -EINVAL;
	else
		ret = f->ops->lseek ? f->ops->lseek(f, (int64_t)a[1], (int)a[2]) : -ESPIPE;
	file_put(f);
	return ret;
}
