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
#include <poll.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kernel/kernel.h"
#include "net/net.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"
#include "vfs/vfs.h"

struct file *fget(struct task *t, uint64_t fd)
{
	return fd > INT32_MAX ? NULL : fdtable_get(t->fdt, (int)fd);
}


/*
 * Moves data between the application iovec and f.  pos: NULL for the
 * file's own position, else a positional call's offset.
 */
/*
 * RLIMIT_FSIZE (Linux: generic_write_check_limits): how much of a write of
 * len bytes at pos a regular file takes; none past the limit, which
 * raises SIGXFSZ and fails with EFBIG.
 */
long fsize_exceeded(struct task *t)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = SIGXFSZ;
	info.si_code = SI_KERNEL;
	pthread_mutex_lock(&t->k->lock);
	send_signal_locked(t->tg, t, SIGXFSZ, &info);
	pthread_mutex_unlock(&t->k->lock);
	return -EFBIG;
}

static long fsize_limit(struct task *t, struct file *f, const int64_t *offp, uint64_t len,
			uint64_t *allowed)
{
	uint64_t limit = t->tg->rlimits[RLIMIT_FSIZE].rlim_cur, pos;
	struct statx stx;

	*allowed = len;
	if (limit == RLIM_INFINITY || !f->inode || !S_ISREG(f->inode->mode) || !len)
		return 0;
	if (offp && !(f->flags & O_APPEND)) {
		pos = (uint64_t)*offp;
	} else {
		if (vfs_getattr(f->inode, &stx))
			return 0;
		pos = stx.stx_size;
	}
	if (pos >= limit)
		return fsize_exceeded(t);
	*allowed = MIN(len, limit - pos);
	return 0;
}

static long do_rw(struct task *t, struct file *f, const struct iovec *iov,
		  long cnt, int64_t *pos, bool write)
{
	int64_t *offp = pos;
	long done = 0, err = 0;
	bool locked = false;
	uint64_t budget = UINT64_MAX;

	if (pos && *pos < 0)
		return -EINVAL;
	if (sock_of(f)) {
		if (pos)
			return -ESPIPE;
		return sock_rw(t, f, iov, cnt, write);
	}
	if (!pos && !f->no_pos) {
		pthread_mutex_lock(&f->pos_lock);
		locked = true;
		offp = &f->pos;
	}
	if (write && t->tg->rlimits[RLIMIT_FSIZE].rlim_cur != RLIM_INFINITY) {
		uint64_t total = 0;
		for (long i = 0; i < cnt; i++)
			total += iov[i].iov_len;
		err = fsize_limit(t, f, offp, total, &budget);
		if (err)
			goto out;
	}
	if (f->ops->sees_empty_io) {
		uint64_t total = 0;
		for (long i = 0; i < cnt; i++)
			total += iov[i].iov_len;
		if (!total) {
			/* Event files refuse short transfers, empty ones too. */
			err = write ? f->ops->write(f, t, t->iobuf, 0, offp)
				    : f->ops->read(f, t, t->iobuf, 0, offp);
			goto out;
		}
	}
	for (long i = 0; i < cnt && !err; i++) {
		uint64_t base = (uint64_t)iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left > 0) {
			size_t n = MIN(left, (size_t)TASK_IOBUF_SIZE);
			long r;
			if (write && n > budget - (uint64_t)done) {
				n = (size_t)(budget - (uint64_t)done);
				if (!n)
					goto out;
			}
			if (write) {
				/* /dev/null and friends never read the data. */
				if (!f->ops->discards_writes &&
				    mm_copy_in(t->mm, t->iobuf, base, n)) {
					err = -EFAULT;
					break;
				}
				r = f->ops->write(f, t, t->iobuf, n, offp);
			} else {
				/* A bad buffer must not cost data (a pipe's
				 * bytes, a file's offset): check it first. */
				if (mm_access_ok(t->mm, base, n, PROT_WRITE)) {
					err = -EFAULT;
					break;
				}
				r = f->ops->read(f, t, t->iobuf, n, offp);
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
			/* Event files move whole records in one call, and
			 * another could block with some already moved. */
			if (f->ops->sees_empty_io)
				goto out;
		}
	}
out:
	if (locked)
		pthread_mutex_unlock(&f->pos_lock);
	if (err == -EPIPE && !done)
		send_sigpipe(t);
	/* Linux: vfs_read()/vfs_write()'s fsnotify_access()/_modify(). */
	if (done > 0)
		fsnotify_file(f, write ? IN_MODIFY : IN_ACCESS);
	return done ? done : err;
}

/* vfs_read/vfs_write's first checks: opened for it, and able to. */
static long rw_check(struct file *f, bool write)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	if (sock_of(f))
		return 0;           /* sockets go through sock_rw */
	if (write ? !f->ops->write : !f->ops->read)
		return S_ISDIR(f->inode->mode) ? -EISDIR : -EINVAL;
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
	struct file *f = fget(t, a[0]);
	struct iovec iov;
	int64_t pos = (int64_t)a[3];
	long ret;

	if (!f)
		return -EBADF;
	ret = rw_check(f, write);
	if (ret == 0 && positional && !f->ops->lseek)
		ret = -ESPIPE;
	if (ret == 0)
		ret = one_iovec(t, a[1], a[2], &iov);
	if (ret == 0)
		ret = do_rw(t, f, &iov, 1, positional ? &pos : NULL, write);
	file_put(f);
	return ret;
}

/* How rw_vector finds the offset. */
enum vec_pos {
	VEC_STREAM,               /* readv/writev: the file position */
	VEC_OFFSET,               /* preadv/pwritev: a[3] */
	VEC_OFFSET2,              /* preadv2/pwritev2: a[3], -1 meaning the
				   * file position; RWF_* flags in a[5] */
};

static long rw_vector(struct task *t, const uint64_t a[6], bool write, enum vec_pos how)
{
	struct file *f = fget(t, a[0]);
	struct iovec *iov = NULL;
	size_t total;
	int64_t pos = how == VEC_STREAM ? -1 : (int64_t)a[3];
	bool positional = how == VEC_OFFSET || (how == VEC_OFFSET2 && pos != -1);
	long ret;

	if (!f)
		return -EBADF;
	ret = rw_check(f, write);
	if (ret == 0 && how == VEC_OFFSET2 &&
	    (a[5] & ~(uint64_t)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND)))
		ret = -EOPNOTSUPP;
	if (ret == 0 && positional && !f->ops->lseek)
		ret = -ESPIPE;
	if (ret == 0 && how == VEC_OFFSET2 && write && (a[5] & RWF_APPEND)) {
		/* RWF_APPEND: this write goes to the end, offset ignored. */
		positional = true;
		pos = file_size(f);
	}
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
long sys_readv(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, false, VEC_STREAM); }
long sys_writev(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, true, VEC_STREAM); }
long sys_preadv(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, false, VEC_OFFSET); }
long sys_pwritev(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, true, VEC_OFFSET); }
long sys_preadv2(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, false, VEC_OFFSET2); }
long sys_pwritev2(struct task *t, const uint64_t a[6]) { return rw_vector(t, a, true, VEC_OFFSET2); }

/*
 * Copies up to len bytes from in (at *inpos, or its position) to out (at
 * *outpos, or its position) through the task's buffer: sendfile,
 * copy_file_range and splice share it.
 */
static long copy_between(struct task *t, struct file *in, int64_t *inpos,
			 struct file *out, int64_t *outpos, size_t len)
{
	long done = 0, err = 0;

	len = MIN(len, (size_t)MAX_RW_COUNT);
	while ((size_t)done < len) {
		size_t n = MIN(len - (size_t)done, (size_t)TASK_IOBUF_SIZE);
		int64_t *ip = inpos, *op = outpos;
		/* Into a pipe: no more input is taken than the pipe has room
		 * for (a pipe without readers fails before any is used). */
		if (file_is_pipe(out)) {
			bool nb = t->io_nonblock;
			if (done)
				t->io_nonblock = true;   /* some moved: stop, not wait */
			long room = pipe_room(out, t);
			t->io_nonblock = nb;
			if (room < 0) {
				if (!done)
					err = room;
				break;
			}
			n = MIN(n, (size_t)room);
		}
		if (!ip && !in->no_pos) {
			pthread_mutex_lock(&in->pos_lock);
			ip = &in->pos;
		}
		long r = in->ops->read(in, t, t->iobuf, n, ip);
		if (ip == &in->pos)
			pthread_mutex_unlock(&in->pos_lock);
		if (r <= 0) {
			err = r;
			break;
		}
		if (!op && !out->no_pos) {
			pthread_mutex_lock(&out->pos_lock);
			op = &out->pos;
		}
		long w = out->ops->write(out, t, t->iobuf, (size_t)r, op);
		if (op == &out->pos)
			pthread_mutex_unlock(&out->pos_lock);
		if (w < 0) {
			err = w;
			break;
		}
		done += w;
		if (w < r) {
			/* Give back what was read but not written. */
			if (ip)
				*ip -= r - w;
			break;
		}
		if ((size_t)r < n)
			break;
	}
	if (!done && err == -EPIPE)
		send_sigpipe(t);     /* sendfile and splice into a closed pipe */
	if (done > 0) {
		fsnotify_file(in, IN_ACCESS);
		fsnotify_file(out, IN_MODIFY);
	}
	return done ? done : err;
}

long sys_sendfile(struct task *t, const uint64_t a[6])
{
	struct file *out = fget(t, a[0]), *in = fget(t, a[1]);
	int64_t off;
	long ret = 0;

	if (!out || !in)
		ret = -EBADF;
	else if ((in->flags & O_PATH) || (in->flags & O_ACCMODE) == O_WRONLY ||
		 (out->flags & O_PATH) || (out->flags & O_ACCMODE) == O_RDONLY)
		ret = -EBADF;
	else if (!in->ops->read || !out->ops->write || (a[2] && !in->ops->lseek))
		ret = -EINVAL;
	else if (out->flags & O_APPEND)
		ret = -EINVAL;
	else if (a[2] && mm_copy_in(t->mm, &off, a[2], sizeof(off)))
		ret = -EFAULT;
	else if (a[2] && off < 0)
		ret = -EINVAL;
	if (ret == 0) {
		ret = copy_between(t, in, a[2] ? &off : NULL, out, NULL, a[3]);
		if (a[2] && ret >= 0 && mm_copy_out(t->mm, a[2], &off, sizeof(off)))
			ret = -EFAULT;
	}
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return ret;
}

/* An optional loff_t * argument: 0 when absent or valid, else -errno
 * (negative offsets: neg, which differs between splice and
 * copy_file_range). */
static long get_offset(struct task *t, uint64_t uaddr, int64_t *off, long neg)
{
	if (!uaddr)
		return 0;
	if (mm_copy_in(t->mm, off, uaddr, sizeof(*off)))
		return -EFAULT;
	return *off < 0 ? neg : 0;
}

/*
 * copy_between with splice's and copy_file_range's optional offset
 * pointers: read, used instead of the files' positions, written back.
 */
static long copy_user_offsets(struct task *t, struct file *in, uint64_t uin,
			      struct file *out, uint64_t uout, size_t len, long neg)
{
	int64_t inoff, outoff;
	long ret;

	if ((ret = get_offset(t, uin, &inoff, neg)) || (ret = get_offset(t, uout, &outoff, neg)))
		return ret;
	if (!len)
		return 0;
	ret = copy_between(t, in, uin ? &inoff : NULL, out, uout ? &outoff : NULL, len);
	if (ret >= 0 && uin && mm_copy_out(t->mm, uin, &inoff, sizeof(inoff)))
		ret = -EFAULT;
	if (ret >= 0 && uout && mm_copy_out(t->mm, uout, &outoff, sizeof(outoff)))
		ret = -EFAULT;
	return ret;
}

/*
 * splice: one side must be a pipe (which takes no offset); the data goes
 * through the task's buffer.  Linux: fs/splice.c.
 */
long sys_splice(struct task *t, const uint64_t a[6])
{
	struct file *in = fget(t, a[0]), *out = fget(t, a[2]);
	long ret = 0;

	if (!in || !out)
		ret = -EBADF;
	else if (a[5] & ~(uint64_t)(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT))
		ret = -EINVAL;
	else if ((in->flags & O_PATH) || (in->flags & O_ACCMODE) == O_WRONLY ||
		 (out->flags & O_PATH) || (out->flags & O_ACCMODE) == O_RDONLY)
		ret = -EBADF;
	else if (!file_is_pipe(in) && !file_is_pipe(out))
		ret = -EINVAL;
	else if ((a[1] && file_is_pipe(in)) || (a[3] && file_is_pipe(out)))
		ret = -ESPIPE;
	else if (out->flags & O_APPEND)
		ret = -EINVAL;
	else {
		/* Linux: SPLICE_F_NONBLOCK makes the pipe (and socket) side
		 * not block; a file still may. */
		t->io_nonblock = a[5] & SPLICE_F_NONBLOCK;
		ret = copy_user_offsets(t, in, a[1], out, a[3], a[4], -EINVAL);
		t->io_nonblock = false;
	}
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return ret;
}

long sys_tee(struct task *t, const uint64_t a[6])
{
	struct file *in = fget(t, a[0]), *out = fget(t, a[1]);
	long ret = 0;

	if (!in || !out)
		ret = -EBADF;
	else if (a[3] & ~(uint64_t)(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT))
		ret = -EINVAL;
	else if (!file_is_pipe(in) || !file_is_pipe(out) ||
		 (in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		ret = -EINVAL;
	else if (a[2])
		ret = pipe_tee(t, in, out, MIN(a[2], (uint64_t)MAX_RW_COUNT), a[3] & SPLICE_F_NONBLOCK);
	if (ret == -EPIPE)
		send_sigpipe(t);
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return ret;
}

/* Linux: fs/read_write.c generic_copy_file_checks(). */
long sys_copy_file_range(struct task *t, const uint64_t a[6])
{
	struct file *in = fget(t, a[0]), *out = fget(t, a[2]);
	int64_t ip, op;
	long ret = 0;

	if (a[5])
		ret = -EINVAL;
	else if (!in || !out)
		ret = -EBADF;
	else if ((in->flags & O_PATH) || (in->flags & O_ACCMODE) == O_WRONLY ||
		 (out->flags & O_PATH) || (out->flags & O_ACCMODE) == O_RDONLY ||
		 (out->flags & O_APPEND))
		ret = -EBADF;
	else if (S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode))
		ret = -EISDIR;
	else if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode))
		ret = -EINVAL;
	if (ret == 0 && in->inode == out->inode) {
		/* Overlapping ranges of one file are refused. */
		ip = in->pos;
		op = out->pos;
		if (!(ret = get_offset(t, a[1], &ip, -EOVERFLOW)) &&
		    !(ret = get_offset(t, a[3], &op, -EOVERFLOW)) &&
		    ip < op + (int64_t)a[4] && op < ip + (int64_t)a[4])
			ret = -EINVAL;
	}
	if (ret == 0)
		ret = copy_user_offsets(t, in, a[1], out, a[3], a[4], -EOVERFLOW);
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return ret;
}

long sys_close(struct task *t, const uint64_t a[6])
{
	if (a[0] > INT32_MAX)
		return -EBADF;
	return fdtable_close(t->fdt, (int)a[0]);
}

long sys_ioctl(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	unsigned cmd = (unsigned)a[1];
	long ret;
	int one;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) {
		file_put(f);
		return -EBADF;
	}
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
	case FIONREAD:
		if (S_ISREG(f->inode->mode)) {
			int n = (int)MAX(0, file_size(f) - f->pos);
			ret = mm_copy_out(t->mm, a[2], &n, sizeof(n)) ? -EFAULT : 0;
			break;
		}
		/* fall through */
	default:
		ret = f->ops->ioctl ? f->ops->ioctl(f, t, cmd, a[2]) : -ENOTTY;
	}
	file_put(f);
	return ret;
}

long sys_fcntl(struct task *t, const uint64_t a[6])
{
	int fd = a[0] > INT32_MAX ? -1 : (int)a[0];
	struct file *f = fget(t, a[0]);
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
	case F_GETPIPE_SZ:
		ret = pipe_fcntl_size(f, false, 0);
		break;
	case F_SETPIPE_SZ:
		ret = pipe_fcntl_size(f, true, a[2]);
		break;
	case F_ADD_SEALS:
	case F_GET_SEALS:
		ret = tmpfs_seals(f, (int)a[1] == F_ADD_SEALS, (unsigned)a[2]);
		break;
	case F_GETLK: case F_SETLK: case F_SETLKW:
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		ret = vfs_fcntl_lock(t, f, (int)a[1], a[2]);
		break;
	default:
		moat_log("fcntl cmd %d not implemented: EINVAL", (int)a[1]);
		ret = -EINVAL;
	}
	file_put(f);
	return ret;
}

long sys_lseek(struct task *t, const uint64_t a[6])
{
	struct file *f = fget(t, a[0]);
	long ret;

	if (!f)
		return -EBADF;
	if (a[2] > SEEK_HOLE)
		ret = -EINVAL;
	else if (f->flags & O_PATH)
		ret = -EBADF;
	else if (!f->ops->lseek)
		ret = -ESPIPE;
	else if (f->no_pos)
		ret = f->ops->lseek(f, (int64_t)a[1], (int)a[2]);
	else {
		pthread_mutex_lock(&f->pos_lock);
		ret = f->ops->lseek(f, (int64_t)a[1], (int)a[2]);
		pthread_mutex_unlock(&f->pos_lock);
	}
	file_put(f);
	return ret;
}
