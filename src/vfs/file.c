/*
 * file.c: open file descriptions and fd tables (see vfs.h).
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct file *file_new(const struct file_ops *ops, int flags, void *priv)
{
	struct file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->ops = ops;
	f->flags = flags;
	f->priv = priv;
	pthread_mutex_init(&f->pos_lock, NULL);
	return f;
}

void file_get(struct file *f)
{
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (__atomic_load_n(&f->in_epoll, __ATOMIC_ACQUIRE))
		epoll_file_gone(f);
	/* Linux: __fput()'s fsnotify_close(); written to means opened
	 * with FMODE_WRITE. */
	if (f->notify_close) {
		int acc = f->flags & O_ACCMODE;
		fsnotify_file(f, acc == O_WRONLY || acc == O_RDWR ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
	}
	locks_remove_file(f);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	path_put(&f->path);
	inode_put(f->inode);
	pthread_mutex_destroy(&f->pos_lock);
	free(f);
}

int64_t file_size(struct file *f)
{
	struct statx stx;

	if (!f->inode || vfs_getattr(f->inode, &stx) < 0)
		return 0;
	return (int64_t)stx.stx_size;
}

/* Linux: fs/read_write.c generic_file_llseek_size(); f->pos_lock held. */
long generic_lseek(struct file *f, int64_t off, int whence)
{
	int64_t size, pos;

	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		if (__builtin_add_overflow(f->pos, off, &pos))
			return -EOVERFLOW;
		break;
	case SEEK_END:
		if (__builtin_add_overflow(file_size(f), off, &pos))
			return -EOVERFLOW;
		break;
	case SEEK_DATA:
		size = file_size(f);
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = off;               /* no holes known: all data */
		break;
	case SEEK_HOLE:
		size = file_size(f);
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = size;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}

int kernel_read_exact(struct file *f, void *buf, size_t len, uint64_t off)
{
	int64_t pos = (int64_t)off;
	size_t done = 0;

	while (done < len) {
		long n = f->ops->read(f, NULL, (char *)buf + done, len - done, &pos);
		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

struct fdtable *fdtable_new(void)
{
	struct fdtable *fdt = calloc(1, sizeof(*fdt));

	if (!fdt)
		return NULL;
	pthread_mutex_init(&fdt->lock, NULL);
	fdt->refs = 1;
	return fdt;
}

struct fdtable *fdtable_copy(struct fdtable *old)
{
	struct fdtable *fdt = fdtable_new();

	if (!fdt)
		return NULL;
	pthread_mutex_lock(&old->lock);
	fdt->files = calloc((size_t)MAX(old->nfds, 1), sizeof(*fdt->files));
	fdt->fdflags = calloc((size_t)MAX(old->nfds, 1), 1);
	if (!fdt->files || !fdt->fdflags) {
		pthread_mutex_unlock(&old->lock);
		fdtable_put(fdt);
		return NULL;
	}
	fdt->nfds = old->nfds;
	for (int i = 0; i < old->nfds; i++) {
		if (!old->files[i])
			continue;
		fdt->files[i] = old->files[i];
		file_get(fdt->files[i]);
		fdt->fdflags[i] = old->fdflags[i];
	}
	pthread_mutex_unlock(&old->lock);
	return fdt;
}


void fdtable_put(struct fdtable *fdt)
{
	if (__atomic_sub_fetch(&fdt->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int i = 0; i < fdt->nfds; i++) {
		if (fdt->files[i]) {
			locks_remove_posix(fdt, fdt->files[i]);
			file_put(fdt->files[i]);
		}
	}
	free(fdt->files);
	free(fdt->fdflags);
	pthread_mutex_destroy(&fdt->lock);
	free(fdt);
}

struct file *fdtable_get(struct fdtable *fdt, int fd)
{
	struct file *f = NULL;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->nfds && fdt->files[fd]) {
		f = fdt->files[fd];
		file_get(f);
	}
	pthread_mutex_unlock(&fdt->lock);
	return f;
}

static int grow(struct fdtable *fdt, int want)
{
	int n = fdt->nfds ? fdt->nfds : 64;

	while (n <= want)
		n *= 2;
	struct file **files = realloc(fdt->files, (size_t)n * sizeof(*files));
	if (!files)
		return -ENOMEM;
	fdt->files = files;
	uint8_t *flags = realloc(fdt->fdflags, (size_t)n);
	if (!flags)
		return -ENOMEM;
	fdt->fdflags = flags;
	memset(&fdt->files[fdt->nfds], 0, (size_t)(n - fdt->nfds) * sizeof(*files));
	memset(&fdt->fdflags[fdt->nfds], 0, (size_t)(n - fdt->nfds));
	fdt->nfds = n;
	return 0;
}

int fdtable_install(struct fdtable *fdt, struct file *f, int minfd,
		    int fdflags, uint64_t limit)
{
	int fd;

	pthread_mutex_lock(&fdt->lock);
	for (fd = minfd; fd < fdt->nfds && fdt->files[fd]; fd++)
		;
	if ((uint64_t)fd >= limit) {
		pthread_mutex_unlock(&fdt->lock);
		return -EMFILE;
	}
	if (fd >= fdt->nfds && grow(fdt, fd) != 0) {
		pthread_mutex_unlock(&fdt->lock);
		return -ENOMEM;
	}
	fdt->files[fd] = f;
	fdt->fdflags[fd] = (uint8_t)fdflags;
	pthread_mutex_unlock(&fdt->lock);
	return fd;
}

int fdtable_install_at(struct fdtable *fdt, struct file *f, int fd,
		       int fdflags, uint64_t limit)
{
	struct file *old = NULL;

	if (fd < 0 || (uint64_t)fd >= limit)
		return -EBADF;
	pthread_mutex_lock(&fdt->lock);
	if (fd >= fdt->nfds && grow(fdt, fd) != 0) {
		pthread_mutex_unlock(&fdt->lock);
		return -ENOMEM;
	}
	old = fdt->files[fd];
	fdt->files[fd] = f;
	fdt->fdflags[fd] = (uint8_t)fdflags;
	pthread_mutex_unlock(&fdt->lock);
	if (old) {
		locks_remove_posix(fdt, old);
		file_put(old);
	}
	return fd;
}

int fdtable_close(struct fdtable *fdt, int fd)
{
	struct file *f = NULL;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->nfds) {
		f = fdt->files[fd];
		fdt->files[fd] = NULL;
	}
	pthread_mutex_unlock(&fdt->lock);
	if (!f)
		return -EBADF;
	locks_remove_posix(fdt, f);
	file_put(f);
	return 0;
}

/* Closes the descriptors in [first, last], or only the close-on-exec
 * ones among them. */
static void close_fds(struct fdtable *fdt, unsigned first, unsigned last, bool only_cloexec)
{
	for (;;) {
		struct file *f = NULL;
		pthread_mutex_lock(&fdt->lock);
		for (; first <= last && (int)first < fdt->nfds; first++) {
			if (!fdt->files[first] ||
			    (only_cloexec && !(fdt->fdflags[first] & FD_CLOEXEC)))
				continue;
			f = fdt->files[first];
			fdt->files[first] = NULL;
			fdt->fdflags[first] = 0;
			break;
		}
		pthread_mutex_unlock(&fdt->lock);
		if (!f)
			return;
		locks_remove_posix(fdt, f);
		file_put(f);
		if (first == last)
			return;
		first++;
	}
}

void fdtable_close_range(struct fdtable *fdt, unsigned first, unsigned last, bool cloexec)
{
	if (!cloexec) {
		close_fds(fdt, first, last, false);
		return;
	}
	pthread_mutex_lock(&fdt->lock);
	for (; first <= last && (int)first < fdt->nfds; first++)
		if (fdt->files[first])
			fdt->fdflags[first] |= FD_CLOEXEC;
	pthread_mutex_unlock(&fdt->lock);
}

void fdtable_close_on_exec(struct fdtable *fdt)
{
	close_fds(fdt, 0, UINT_MAX, true);
}

int fdtable_get_flags(struct fdtable *fdt, int fd)
{
	int ret = -EBADF;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->nfds && fdt->files[fd])
		ret = fdt->fdflags[fd];
	pthread_mutex_unlock(&fdt->lock);
	return ret;
}

int fdtable_set_flags(struct fdtable *fdt, int fd, int fdflags)
{
	int ret = -EBADF;

	pthread_mutex_lock(&fdt->lock);
	if (fd >= 0 && fd < fdt->nfds && fdt->files[fd]) {
		fdt->fdflags[fd] = (uint8_t)fdflags;
		ret = 0;
	}
	pthread_mutex_unlock(&fdt->lock);
	return ret;
}

/* ---- waiter queues ---- */

void waitq_init(struct waitq *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->head.next = q->head.prev = &q->head;
}

void waitq_add(struct waitq *q, struct waiter *w)
{
	pthread_mutex_lock(&q->lock);
	w->next = &q->head;
	w->prev = q->head.prev;
	q->head.prev->next = w;
	q->head.prev = w;
	pthread_mutex_unlock(&q->lock);
}

void waitq_remove(struct waitq *q, struct waiter *w)
{
	pthread_mutex_lock(&q->lock);
	if (w->next) {
		w->prev->next = w->next;
		w->next->prev = w->prev;
		w->next = w->prev = NULL;
	}
	pthread_mutex_unlock(&q->lock);
}

void waitq_notify(struct waitq *q, unsigned events)
{
	pthread_mutex_lock(&q->lock);
	for (struct waiter *w = q->head.next; w != &q->head; w = w->next)
		if (w->events & events)
			w->notify(w, events);
	pthread_mutex_unlock(&q->lock);
}
