/*
 * hostfd.c: files backed by a host descriptor the sentry was given: the
 * sandbox's stdin, stdout and stderr.
 *
 * Data moves with the host's read/write on the sentry's copy of the fd;
 * the offset is the host file's own (it is shared with whoever else holds
 * the fd, as it would be for a process started by a shell).  Terminal
 * ioctls that only read or set terminal state pass through; nothing that
 * could change host process state (process groups, controlling terminal,
 * O_NONBLOCK of the shared description) does.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "util/util.h"

/* The kernel's struct termios (asm-generic/termbits.h), not glibc's. */
#define KERNEL_TERMIOS_SIZE 36

static int host_fd(struct file *f) { return (int)(intptr_t)f->priv; }

static long hostfd_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	/* O_NONBLOCK lives in the sentry's description only: the host's is
	 * shared with the processes outside and stays as it was.  A blocking
	 * read waits here, looking for signals now and then, so that a
	 * signal can interrupt it. */
	for (;;) {
		struct pollfd pfd = { .fd = host_fd(f), .events = POLLIN };
		bool nonblock = (f->flags & O_NONBLOCK) || !t;
		int r = poll(&pfd, 1, nonblock ? 0 : 50);
		if (r > 0 || (r < 0 && errno != EINTR))
			break;
		if (nonblock)
			return -EAGAIN;
		if (signal_pending(t))
			return -ERESTARTSYS;
	}
	ssize_t n = off ? pread(host_fd(f), buf, len, *off) : read(host_fd(f), buf, len);

	if (n < 0)
		return -errno;
	if (off)
		*off += n;
	return n;
}

static long hostfd_write(struct file *f, struct task *t, const void *buf, size_t len,
			 int64_t *off)
{
	(void)t;
	ssize_t n = off ? pwrite(host_fd(f), buf, len, *off) : write(host_fd(f), buf, len);

	if (n < 0)
		return -errno;
	if (off)
		*off += n;
	return n;
}

/* The inode's priv is the host fd too: stat is the host file's. */
static int hostfd_getattr(struct inode *inode, struct statx *stx)
{
	int fd = (int)(intptr_t)inode->priv;
	return statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, stx) < 0 ? -errno : 0;
}

static const struct inode_ops hostfd_inode_ops = { .getattr = hostfd_getattr };

static long hostfd_lseek(struct file *f, int64_t off, int whence)
{
	off_t r = lseek(host_fd(f), off, whence);
	return r < 0 ? -errno : r;
}

static long hostfd_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	char buf[64] = { 0 };
	size_t size;
	bool in;

	switch (cmd) {
	case TCGETS:
		size = KERNEL_TERMIOS_SIZE; in = false; break;
	case TCSETS: case TCSETSW: case TCSETSF:
		size = KERNEL_TERMIOS_SIZE; in = true; break;
	case TIOCGWINSZ:
		size = sizeof(struct winsize); in = false; break;
	case TIOCSWINSZ:
		size = sizeof(struct winsize); in = true; break;
	case FIONREAD:
		size = sizeof(int); in = false; break;
	default:
		moat_log("ioctl %#x on a host stdio file: not supported", cmd);
		return -ENOTTY;
	}
	if (in && mm_copy_in(t->mm, buf, arg, size))
		return -EFAULT;
	if (ioctl(host_fd(f), cmd, buf) < 0)
		return -errno;
	if (!in && mm_copy_out(t->mm, arg, buf, size))
		return -EFAULT;
	return 0;
}

static unsigned hostfd_poll(struct file *f)
{
	struct pollfd pfd = { .fd = host_fd(f), .events = POLLIN | POLLOUT | POLLPRI };

	if (poll(&pfd, 1, 0) < 0)
		return POLLERR;
	return (unsigned)pfd.revents;
}

static void hostfd_release(struct file *f)
{
	close(host_fd(f));
}

static const struct file_ops hostfd_ops = {
	.read = hostfd_read,
	.write = hostfd_write,
	.ioctl = hostfd_ioctl,
	.lseek = hostfd_lseek,
	.poll = hostfd_poll,
	.release = hostfd_release,
};

struct file *hostfd_file_new(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	struct stat st;
	int mine = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	struct inode *inode;
	struct file *f;

	if (flags < 0 || mine < 0 || fstat(mine, &st) < 0)
		return NULL;
	inode = anon_inode_new(st.st_mode, &hostfd_inode_ops);
	f = inode ? file_new(&hostfd_ops, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK),
			     (void *)(intptr_t)mine) : NULL;
	if (!f) {
		inode_put(inode);
		close(mine);
		return NULL;
	}
	inode->priv = (void *)(intptr_t)mine;
	f->inode = inode;
	f->no_pos = true;
	return f;
}
