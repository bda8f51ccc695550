/*
 * usermem.c: copying to and from application memory.
 *
 * The sentry maps the whole memory file, so a copy walks the range page by
 * page, looks each page up in the page map (backing it first if the VMA
 * allows the access, as a fault would), and copies through the sentry's own
 * mapping.  The protections checked are the application's: a copy_out to a
 * read-only page is -EFAULT just as copy_to_user would be.
 */
#include "mm/mm.h"
#include "mm/mm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pgalloc/pgalloc.h"
#include "util/util.h"

enum um_op { UM_READ, UM_WRITE, UM_ZERO, UM_FORCE_WRITE, UM_PROBE_WRITE };


static long um_copy(struct mm *mm, uint64_t addr, void *buf, size_t len,
		    enum um_op op)
{
	int access = op == UM_READ ? PROT_READ : PROT_WRITE;   /* UM_PROBE_WRITE: checks only */
	uint8_t *p = buf;
	struct map_run run = { 0 };
	long ret = 0;

	if (len == 0)
		return 0;
	if (addr + len < addr || addr + len > mm->task_size)
		return -EFAULT;
	pthread_mutex_lock(&mm->lock);
	while (len > 0) {
		size_t n = MIN(len, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));
		uint64_t off = mm_page_for_access(mm, addr, access, op == UM_FORCE_WRITE);
		if (off == PGALLOC_FAIL) {
			ret = -EFAULT;
			break;
		}
		uint8_t *host = pgalloc_ptr(off + (addr & (PAGE_SIZE - 1)));
		switch (op) {
		case UM_READ:
			memcpy(p, host, n);
			break;
		case UM_WRITE:
		case UM_FORCE_WRITE:
			memcpy(host, p, n);
			break;
		case UM_ZERO:
			memset(host, 0, n);
			break;
		case UM_PROBE_WRITE:
			break;
		}
		if (op != UM_READ && op != UM_PROBE_WRITE)
			mm_map_written(mm, addr, &run);
		if (p)
			p += n;
		addr += n;
		len -= n;
	}
	mm_map_run_end(mm, &run);
	pthread_mutex_unlock(&mm->lock);
	return ret;
}

long mm_access_ok(struct mm *mm, uint64_t addr, size_t len, int access)
{
	if (access != PROT_WRITE)
		return -EINVAL;           /* only writes are probed so far */
	return um_copy(mm, addr, NULL, len, UM_PROBE_WRITE);
}

long mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t len)
{
	return um_copy(mm, src, dst, len, UM_READ);
}

long mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t len)
{
	return um_copy(mm, dst, (void *)src, len, UM_WRITE);
}

long mm_copy_out_force(struct mm *mm, uint64_t dst, const void *src, size_t len)
{
	return um_copy(mm, dst, (void *)src, len, UM_FORCE_WRITE);
}

long mm_zero_out(struct mm *mm, uint64_t dst, size_t len)
{
	return um_copy(mm, dst, NULL, len, UM_ZERO);
}

long mm_copy_in_string(struct mm *mm, char *dst, uint64_t src, size_t max)
{
	size_t done = 0;
	long ret = -ENAMETOOLONG;

	pthread_mutex_lock(&mm->lock);
	while (done < max) {
		uint64_t addr = src + done;
		size_t n = MIN(max - done, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));
		uint64_t off;
		if (addr < src || addr >= mm->task_size) {
			ret = -EFAULT;
			break;
		}
		off = mm_page_for_access(mm, addr, PROT_READ, false);
		if (off == PGALLOC_FAIL) {
			ret = -EFAULT;
			break;
		}
		const char *host = pgalloc_ptr(off + (addr & (PAGE_SIZE - 1)));
		const char *nul = memchr(host, 0, n);
		if (nul) {
			size_t k = (size_t)(nul - host);
			memcpy(dst + done, host, k + 1);
			ret = (long)(done + k);
			break;
		}
		memcpy(dst + done, host, n);
		done += n;
	}
	pthread_mutex_unlock(&mm->lock);
	if (ret == -ENAMETOOLONG && max)
		dst[max - 1] = 0;
	return ret;
}

long mm_import_iovec(struct mm *mm, uint64_t uiov, uint64_t cnt,
		     struct iovec **iov_out, size_t *total)
{
	struct iovec *iov;
	size_t sum = 0;
	long err;

	*iov_out = NULL;
	*total = 0;
	if (cnt > 1024)                   /* UIO_MAXIOV */
		return -EINVAL;
	if (cnt == 0)
		return 0;
	iov = malloc(cnt * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	err = mm_copy_in(mm, iov, uiov, cnt * sizeof(*iov));
	if (err) {
		free(iov);
		return err;
	}
	/* Linux: lib/iov_iter.c, iovec_from_user and __import_iovec. */
	for (uint64_t i = 0; i < cnt; i++) {
		size_t len = iov[i].iov_len;
		uint64_t base = (uint64_t)iov[i].iov_base;
		if ((ssize_t)len < 0) {
			free(iov);
			return -EINVAL;
		}
		if (len && (base + len < base || base + len > mm->task_size)) {
			free(iov);
			return -EFAULT;
		}
		if (len > MAX_RW_COUNT - sum) {
			len = MAX_RW_COUNT - sum;
			iov[i].iov_len = len;
		}
		sum += len;
	}
	*iov_out = iov;
	*total = sum;
	return (long)cnt;
}

long mm_copy_iovec(struct mm *mm, const struct iovec *iov, int iovcnt, size_t skip,
		   void *buf, size_t n, bool in)
{
	for (int i = 0; i < iovcnt && n; i++) {
		size_t k = iov[i].iov_len;
		if (skip >= k) {
			skip -= k;
			continue;
		}
		size_t take = MIN(k - skip, n);
		uint64_t addr = (uint64_t)iov[i].iov_base + skip;
		if (in ? mm_copy_in(mm, buf, addr, take) : mm_copy_out(mm, addr, buf, take))
			return -EFAULT;
		buf = (char *)buf + take;
		n -= take;
		skip = 0;
	}
	return 0;
}
