/*
 * file.c: open file descriptions and fd tables (see vfs.h).
 */
#include "vfs/vfs.h"

#include <errno.h>
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
	if (f->ops->release)
		f->ops->release(f);
	pthread_mutex_destroy(&f->pos_lock);
	free(f);
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

void fdtable_put(struct fdtable *fdt)
{
	if (__atomic_sub_fetch(&fdt->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int i = 0; i < fdt->nfds; i++)
		if (fdt->files[i])
			file_put(fdt->files[i]);
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
	if (old)
		file_put(old);
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
	file_put(f);
	return 0;
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
