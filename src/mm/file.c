/*
 * file.c: files that private mappings page in from (see mm.h), and the
 * copy of their contents into memory-file pages.
 *
 * Pages are filled with copy_file_range() from the file straight into the
 * memory file, so neither the sentry nor the stub touches them on the way
 * (every page fault is dear on this class of machine).  Hosts refuse it
 * across file systems (EXDEV); then with sendfile() into the memory file,
 * which is as direct: the host copies from its page cache into new
 * memory-file pages without zeroing them first, as a write fills them
 * (650 KiB: ~200 us, against ~350 us to populate and pread).  Where
 * neither works, the sentry's view of the pages is populated with one
 * madvise and filled with pread().
 */
#include "mm/mm.h"
#include "mm/mm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mm/memobj.h"
#include "pgalloc/pgalloc.h"
#include "util/util.h"

struct mm_file *mm_file_new(int host_fd)
{
	struct mm_file *f = calloc(1, sizeof(*f));
	struct stat st;

	if (!f) {
		close(host_fd);
		return NULL;
	}
	f->refs = 1;
	f->host_fd = host_fd;
	if (fstat(host_fd, &st) == 0)
		f->size = (uint64_t)st.st_size;
	return f;
}

struct mm_file *mm_file_new_memobj(struct memobj *obj)
{
	struct mm_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->refs = 1;
	f->host_fd = -1;
	memobj_get(obj);
	f->obj = obj;
	return f;
}

void mm_file_set_name(struct mm_file *f, const char *name, uint64_t dev, uint64_t ino)
{
	free(f->name);
	f->name = strdup(name);
	f->dev = dev;
	f->ino = ino;
}

uint64_t mm_file_size(struct mm_file *f)
{
	if (f->obj)
		return __atomic_load_n(&f->obj->npages, __ATOMIC_RELAXED) << PAGE_SHIFT;
	return f->size;
}

int mm_file_host_fd(struct mm_file *f)
{
	if (f->host_fd >= 0)
		return f->host_fd;
	if (f->obj && f->obj->ops && f->obj->ops->host_fd)
		return f->obj->ops->host_fd(f->obj);
	return -1;
}

void mm_file_get(struct mm_file *f)
{
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

void mm_file_put(struct mm_file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->host_fd >= 0)
		close(f->host_fd);
	if (f->obj)
		memobj_put(f->obj);
	free(f->name);
	free(f);
}

int mm_file_fill(struct mm_file *f, uint64_t file_off, uint64_t mem_off,
		 uint64_t len)
{
	if (f->obj)
		return memobj_rw(f->obj, file_off, pgalloc_ptr(mem_off), len, false);
	return mm_fill_from_host(f->host_fd, file_off, mem_off, len);
}

/*
 * Copies with sendfile() from host_fd at file_off + *done into the memory
 * file at mem_off + *done until len or the end of the file.  sendfile()
 * writes at the output's file position, so it goes through a description
 * of the memory file of its own, under a lock.  Returns 0, or 1 if
 * sendfile() cannot do it here (nothing was copied by this call then),
 * or -errno.
 */
static int fill_by_sendfile(int host_fd, uint64_t file_off, uint64_t mem_off,
			    uint64_t len, uint64_t *done)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int out_fd = -1;          /* -2: sendfile() is no use here */
	int ret = 0;

	pthread_mutex_lock(&lock);
	if (out_fd == -1) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", pgalloc_fd());
		out_fd = open(path, O_RDWR | O_CLOEXEC);
		if (out_fd < 0)
			out_fd = -2;
	}
	if (out_fd < 0 || lseek(out_fd, (off_t)(mem_off + *done), SEEK_SET) < 0) {
		pthread_mutex_unlock(&lock);
		return 1;
	}
	while (*done < len) {
		off_t in = (off_t)(file_off + *done);
		ssize_t n = sendfile(out_fd, host_fd, &in, len - *done);
		if (n == 0)
			break;               /* end of file: the rest stays zero */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
				out_fd = -2;
				ret = 1;
			} else {
				ret = -errno;
			}
			break;
		}
		*done += (uint64_t)n;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

int mm_fill_from_host(int host_fd, uint64_t file_off, uint64_t mem_off, uint64_t len)
{
	static int no_copy_range;
	loff_t in = (loff_t)file_off, out = (loff_t)mem_off;
	uint64_t done = 0;
	int err;

	while (done < len && !__atomic_load_n(&no_copy_range, __ATOMIC_RELAXED)) {
		ssize_t n = copy_file_range(host_fd, &in, pgalloc_fd(), &out,
					    len - done, 0);
		if (n == 0)
			return 0;            /* end of file: the rest stays zero */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			    errno == EOPNOTSUPP) {
				__atomic_store_n(&no_copy_range, 1, __ATOMIC_RELAXED);
				break;
			}
			return -errno;
		}
		done += (uint64_t)n;
	}
	if (done < len && (err = fill_by_sendfile(host_fd, file_off, mem_off, len, &done)) <= 0)
		return err;
	/* Back the sentry's view of the pages in one call, not one page
	 * fault per page inside pread. */
	if (done < len)
		prefault(pgalloc_ptr(mem_off + done), len - done);
	while (done < len) {
		ssize_t n = pread(host_fd, pgalloc_ptr(mem_off + done),
				  len - done, (off_t)(file_off + done));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (uint64_t)n;
	}
	return 0;
}
