/*
 * hostfs.c: files of a host directory tree.
 *
 * Each inode holds an O_PATH descriptor of its host file, found with
 * openat(parent, name, O_PATH | O_NOFOLLOW), one component at a time: the
 * host never resolves an application path, and a symlink is only ever read
 * (the sentry's walk follows it inside the sandbox's root).  In a read-only
 * tree a lookup only stats the name (statx on the parent's descriptor, no
 * symlink followed) and the descriptor is opened when first needed, and
 * checked to be the file that was stat'ed: `ls -la` of a directory then
 * costs one host call per entry, not three (open, stat, close).  Opening for
 * I/O re-opens the O_PATH descriptor through /proc/self/fd, which names
 * the same file without resolving any path the application chose.
 *
 * A writable file mapped MAP_SHARED gets a page cache (see get_cache); a
 * mapped file of a read-only tree gets a read cache that all its mappings
 * share (see get_rcache).
 *
 * A read-only hostfs (the overlay's lower layer, `--mount ...:ro`) refuses
 * every change with EROFS; a writable one (--rw, --mount) applies changes
 * to the host with the *at() calls on the parent's descriptor.
 *
 * Character devices found on the host are never opened: the VFS routes
 * them to the sentry's own devices (fs/devices.c); FIFOs and sockets of the
 * host give ENXIO.
 */
#include "vfs/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mm/memobj.h"
#include "mm/mm.h"
#include "util/util.h"

struct hostfs_node {
	int fd;                   /* O_PATH; -1 until opened (read-only trees) */
	struct inode *parent;     /* until then: where to open it, and */
	char *name;               /* under which name (both NULL once open) */
	struct statx stx;         /* a read-only hostfs's attributes, fetched once */
	struct memobj *cache;     /* pages of a writable file mapped MAP_SHARED */
	struct memobj *rcache;    /* pages of a read-only tree's mapped file */
};

struct hostfs_open {
	int fd;                   /* opened for I/O */
	struct inode *inode;      /* the hostfs inode (f->inode may be another's) */
};

static const struct inode_ops hostfs_inode_ops;
static const struct file_ops hostfs_file_ops, hostfs_dir_ops;

static int node_fd(struct inode *inode);

/* Guards the lazy fields of every hostfs_node (fd, parent, name). */
static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

/* Where a lazily looked-up inode is: its parent (referenced) and a copy of
 * its name; false once it has its descriptor. */
static bool lazy_where(struct hostfs_node *n, struct inode **parent, char **name)
{
	pthread_mutex_lock(&lazy_lock);
	*parent = n->fd < 0 ? n->parent : NULL;
	*name = *parent ? strdup(n->name) : NULL;
	if (*parent)
		inode_get(*parent);
	pthread_mutex_unlock(&lazy_lock);
	if (*parent && !*name) {
		inode_put(*parent);
		*parent = NULL;
	}
	return *parent != NULL;
}

/*
 * Opens a lazily looked-up inode's descriptor, once: the same name under
 * the same parent must still be the same file (else -ESTALE: the host
 * changed the read-only tree under the sandbox).
 */
static int node_open(struct hostfs_node *n)
{
	struct inode *parent, *old_parent = NULL;
	char *name, *old_name = NULL;
	struct statx stx;
	int fd, pfd;

	if (!lazy_where(n, &parent, &name)) {
		fd = __atomic_load_n(&n->fd, __ATOMIC_ACQUIRE);
		return fd >= 0 ? fd : -ENOMEM;
	}
	pfd = node_fd(parent);
	fd = pfd < 0 ? pfd : openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd >= 0 && fd < 0)
		fd = -errno;
	if (fd >= 0 && (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_INO, &stx) < 0 ||
			stx.stx_ino != n->stx.stx_ino || stx.stx_dev_major != n->stx.stx_dev_major ||
			stx.stx_dev_minor != n->stx.stx_dev_minor)) {
		close(fd);
		fd = -ESTALE;
	}
	inode_put(parent);
	free(name);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&lazy_lock);
	if (n->fd >= 0) {
		close(fd);               /* another thread was first */
		fd = n->fd;
	} else {
		old_parent = n->parent;
		old_name = n->name;
		n->parent = NULL;
		n->name = NULL;
		__atomic_store_n(&n->fd, fd, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lazy_lock);
	if (old_parent)
		inode_put(old_parent);
	free(old_name);
	return fd;
}

/* The inode's O_PATH descriptor, or -errno (which the host's *at() calls
 * refuse with EBADF). */
static int node_fd(struct inode *inode)
{
	struct hostfs_node *n = inode->priv;
	int fd = __atomic_load_n(&n->fd, __ATOMIC_ACQUIRE);

	return fd >= 0 ? fd : node_open(n);
}

static int open_fd(struct file *f)
{
	return ((struct hostfs_open *)f->priv)->fd;
}

/* A new inode for the O_PATH descriptor fd (taken over), or when fd is
 * -1 for name in directory parent, not opened yet. */
static int inode_from_fd(struct super_block *sb, int fd, struct inode *parent,
			 const char *name, struct inode **res)
{
	struct hostfs_node *n = calloc(1, sizeof(*n));
	struct inode *inode;
	int r = -1;

	if (n && fd >= 0)
		r = statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
			  STATX_BASIC_STATS | STATX_BTIME, &n->stx);
	else if (n)
		r = statx(node_fd(parent), name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
			  STATX_BASIC_STATS | STATX_BTIME, &n->stx);
	if (n && r == 0 && fd < 0 && !(n->name = strdup(name)))
		r = -1, errno = ENOMEM;
	if (!n || r < 0) {
		int err = n ? (errno == ELOOP ? -ENOENT : -errno) : -ENOMEM;
		free(n);
		if (fd >= 0)
			close(fd);
		return err;
	}
	inode = inode_new(sb, &hostfs_inode_ops, n->stx.stx_mode);
	if (!inode) {
		free(n->name);
		free(n);
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	n->fd = fd;
	if (fd < 0) {
		inode_get(parent);
		n->parent = parent;
	}
	inode->priv = n;
	inode->ino = n->stx.stx_ino;
	inode->uid = n->stx.stx_uid;
	inode->gid = n->stx.stx_gid;
	inode->rdev = makedev(n->stx.stx_rdev_major, n->stx.stx_rdev_minor);
	*res = inode;
	return 0;
}

/* Refreshes the cached attributes after a change. */
static void refresh(struct inode *inode)
{
	struct stat st;

	if (fstat(node_fd(inode), &st) == 0) {
		inode->mode = st.st_mode;
		inode->uid = st.st_uid;
		inode->gid = st.st_gid;
	}
}

static int hostfs_lookup(struct inode *dir, const char *name, struct inode **res)
{
	int fd;

	if (dir->sb->readonly)
		return inode_from_fd(dir->sb, -1, dir, name, res);
	fd = openat(node_fd(dir), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ENOENT : -errno;
	return inode_from_fd(dir->sb, fd, NULL, NULL, res);
}

/* Reopens the O_PATH fd of inode for I/O with flags. */
static int reopen(struct inode *inode, int flags)
{
	char proc[40];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", node_fd(inode));
	fd = open(proc, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

static int hostfs_create(struct inode *dir, const char *name, const struct new_node *nn,
			 struct inode **res)
{
	int dfd = node_fd(dir), fd, r = 0;
	mode_t perm = nn->mode & 07777;

	if (dir->sb->readonly)
		return -EROFS;
	switch (nn->mode & S_IFMT) {
	case S_IFREG:
		fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, perm);
		if (fd < 0)
			return -errno;
		close(fd);
		break;
	case S_IFDIR:
		r = mkdirat(dfd, name, perm);
		break;
	case S_IFLNK:
		r = symlinkat(nn->target, dfd, name);
		break;
	case S_IFIFO:
	case S_IFSOCK:
		r = mknodat(dfd, name, nn->mode, 0);
		break;
	default:
		return -EPERM;           /* device nodes: not on the host */
	}
	if (r < 0)
		return -errno;
	/* The umask of the sentry must not have trimmed the mode. */
	if (!S_ISLNK(nn->mode))
		fchmodat(dfd, name, perm, 0);
	fchownat(dfd, name, nn->uid, nn->gid, AT_SYMLINK_NOFOLLOW);
	return hostfs_lookup(dir, name, res);
}

static int hostfs_link(struct inode *dir, const char *name, struct inode *old)
{
	if (dir->sb->readonly)
		return -EROFS;
	if (old->sb != dir->sb)
		return -EXDEV;
	if (linkat(node_fd(old), "", node_fd(dir), name, AT_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int hostfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
	if (dir->sb->readonly)
		return -EROFS;
	if (unlinkat(node_fd(dir), name, S_ISDIR(victim->mode) ? AT_REMOVEDIR : 0) < 0)
		return -errno;
	return 0;
}

static int hostfs_rename(struct inode *odir, const char *oname, struct inode *src,
			 struct inode *ndir, const char *nname, struct inode *target,
			 unsigned flags)
{
	(void)src;
	(void)target;
	if (odir->sb->readonly)
		return -EROFS;
	if (syscall(SYS_renameat2, node_fd(odir), oname, node_fd(ndir), nname, flags) < 0)
		return -errno;
	return 0;
}

static int hostfs_getattr(struct inode *inode, struct statx *stx)
{
	/* Nobody in the sandbox can change a read-only tree; the host's
	 * later changes to it are not tracked (as a page cache would not). */
	if (inode->sb->readonly) {
		*stx = ((struct hostfs_node *)inode->priv)->stx;
		return 0;
	}
	if (statx(node_fd(inode), "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_BASIC_STATS | STATX_BTIME, stx) < 0)
		return -errno;
	return 0;
}

static int hostfs_setattr(struct inode *inode, const struct iattr *ia)
{
	char proc[40];
	int fd = node_fd(inode);

	if (inode->sb->readonly)
		return -EROFS;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((ia->valid & ATTR_SIZE) && truncate(proc, (off_t)ia->size) < 0)
		return -errno;
	struct memobj *cache = ((struct hostfs_node *)inode->priv)->cache;
	if ((ia->valid & ATTR_SIZE) && cache)
		memobj_truncate(cache, ia->size);
	if ((ia->valid & (ATTR_UID | ATTR_GID)) &&
	    fchownat(fd, "", (ia->valid & ATTR_UID) ? ia->uid : (uid_t)-1,
		     (ia->valid & ATTR_GID) ? ia->gid : (gid_t)-1,
		     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if ((ia->valid & ATTR_MODE) && !S_ISLNK(inode->mode) && chmod(proc, ia->mode) < 0)
		return -errno;
	if (ia->valid & (ATTR_ATIME | ATTR_MTIME)) {
		struct timespec ts[2] = {
			(ia->valid & ATTR_ATIME) ? ia->atime : (struct timespec){ .tv_nsec = UTIME_OMIT },
			(ia->valid & ATTR_MTIME) ? ia->mtime : (struct timespec){ .tv_nsec = UTIME_OMIT },
		};
		if (!S_ISLNK(inode->mode) && utimensat(AT_FDCWD, proc, ts, 0) < 0)
			return -errno;
	}
	refresh(inode);
	return 0;
}

static int hostfs_statfs(struct inode *inode, struct statfs *sf)
{
	return fstatfs(node_fd(inode), sf) < 0 ? -errno : 0;
}

static long hostfs_readlink(struct inode *inode, struct task *t, char *buf, size_t len)
{
	struct inode *parent;
	char *name;
	ssize_t n;

	(void)t;
	/* Not opened yet (a read-only tree, which does not change): the
	 * link is read by its name, the host following nothing. */
	if (lazy_where(inode->priv, &parent, &name)) {
		n = readlinkat(node_fd(parent), name, buf, len);
		n = n < 0 ? -errno : n;
		inode_put(parent);
		free(name);
		return n;
	}
	n = readlinkat(node_fd(inode), "", buf, len);
	return n < 0 ? -errno : n;
}

/*
 * MAP_SHARED of a writable host file: the file's pages are cached in a
 * memobj (read in on first touch), which mappings share; read and write
 * go through it while it exists (writes also go straight to the host
 * file), and mapped changes are written back on msync, munmap and when
 * the last reference goes.  The memobj owns its own descriptor.
 */
/* Reads page pgoff of host file fd; zeros past its end. */
static void read_page(int fd, uint64_t pgoff, void *page)
{
	ssize_t n = pread(fd, page, PAGE_SIZE, (off_t)(pgoff << PAGE_SHIFT));

	if (n < (ssize_t)PAGE_SIZE)
		memset((char *)page + MAX(n, 0), 0, PAGE_SIZE - (size_t)MAX(n, 0));
}

static void cache_fill(struct memobj *obj, uint64_t pgoff, void *page)
{
	read_page((int)(intptr_t)obj->priv, pgoff, page);
}

static void cache_writeback(struct memobj *obj, uint64_t pgoff, const void *page)
{
	int fd = (int)(intptr_t)obj->priv;
	uint64_t off = pgoff << PAGE_SHIFT;
	struct stat st;

	/* Only bytes inside the file: a mapping never extends it. */
	if (fstat(fd, &st) < 0 || off >= (uint64_t)st.st_size)
		return;
	if (pwrite(fd, page, MIN(PAGE_SIZE, (uint64_t)st.st_size - off), (off_t)off) < 0)
		moat_log("hostfs: writing back a shared mapping: %s", strerror(errno));
}

static void cache_release(struct memobj *obj)
{
	close((int)(intptr_t)obj->priv);
}

static const struct memobj_ops cache_ops = {
	.fill = cache_fill, .writeback = cache_writeback, .release = cache_release,
};

/* Returns the inode's page cache (created if needed), referenced. */
static struct memobj *get_cache(struct inode *inode, int *err)
{
	struct hostfs_node *n = inode->priv;
	struct memobj *obj;
	struct stat st;

	pthread_mutex_lock(&inode->lock);
	if (!n->cache) {
		int fd = reopen(inode, O_RDWR);
		if (fd < 0 || fstat(fd, &st) < 0) {
			*err = fd < 0 ? fd : -errno;
			if (fd >= 0)
				close(fd);
			pthread_mutex_unlock(&inode->lock);
			return NULL;
		}
		n->cache = memobj_new(ALIGN_UP((uint64_t)st.st_size, PAGE_SIZE) >> PAGE_SHIFT);
		if (!n->cache) {
			close(fd);
			*err = -ENOMEM;
			pthread_mutex_unlock(&inode->lock);
			return NULL;
		}
		n->cache->ops = &cache_ops;
		n->cache->priv = (void *)(intptr_t)fd;
	}
	obj = n->cache;
	memobj_get(obj);
	pthread_mutex_unlock(&inode->lock);
	return obj;
}

/*
 * A read-only tree's files do not change, so a mapped one's pages are read
 * once into a cache that every mapping shares copy-on-write: running the
 * same program or library again reads nothing and copies nothing.  The
 * caches hold at most RCACHE_MAX_PAGES pages together; past that, newly
 * mapped files get private copies of their pages as before.
 */
#define RCACHE_MAX_PAGES ((512UL << 20) >> PAGE_SHIFT)

static uint64_t rcache_pages;     /* atomic: pages in all read caches */

struct rcache {
	int fd;                   /* opened for reading */
	uint64_t pages;           /* pages read in (obj->lock) */
};

static void rcache_fill(struct memobj *obj, uint64_t pgoff, void *page)
{
	struct rcache *rc = obj->priv;

	read_page(rc->fd, pgoff, page);
	rc->pages++;
	__atomic_add_fetch(&rcache_pages, 1, __ATOMIC_RELAXED);
}

static int rcache_fill_range(struct memobj *obj, uint64_t pgoff, uint64_t mem_off,
			     uint64_t npages)
{
	struct rcache *rc = obj->priv;
	int err = mm_fill_from_host(rc->fd, pgoff << PAGE_SHIFT, mem_off, npages << PAGE_SHIFT);

	if (err)
		return err;
	rc->pages += npages;
	__atomic_add_fetch(&rcache_pages, npages, __ATOMIC_RELAXED);
	return 0;
}

static void rcache_release(struct memobj *obj)
{
	struct rcache *rc = obj->priv;

	__atomic_sub_fetch(&rcache_pages, rc->pages, __ATOMIC_RELAXED);
	close(rc->fd);
	free(rc);
}

static int rcache_host_fd(struct memobj *obj)
{
	return ((struct rcache *)obj->priv)->fd;
}

static const struct memobj_ops rcache_ops = {
	.fill = rcache_fill, .fill_range = rcache_fill_range, .release = rcache_release,
	.host_fd = rcache_host_fd,
};

/* Returns the read cache of a read-only tree's inode, referenced, or NULL
 * when there is none to be had (the caches are full, or no memory). */
static struct memobj *get_rcache(struct inode *inode)
{
	struct hostfs_node *n = inode->priv;
	struct memobj *obj = NULL;

	pthread_mutex_lock(&inode->lock);
	if (!n->rcache && __atomic_load_n(&rcache_pages, __ATOMIC_RELAXED) < RCACHE_MAX_PAGES) {
		struct rcache *rc = malloc(sizeof(*rc));
		int fd = reopen(inode, O_RDONLY);
		obj = rc && fd >= 0 ? memobj_new(ALIGN_UP(n->stx.stx_size, PAGE_SIZE) >> PAGE_SHIFT) : NULL;
		if (obj) {
			rc->fd = fd;
			rc->pages = 0;
			obj->ops = &rcache_ops;
			obj->priv = rc;
			n->rcache = obj;
		} else {
			free(rc);
			if (fd >= 0)
				close(fd);
		}
	}
	obj = n->rcache;
	if (obj)
		memobj_get(obj);
	pthread_mutex_unlock(&inode->lock);
	return obj;
}

static struct memobj *cache_of(struct file *f)
{
	struct hostfs_open *o = f->priv;
	return __atomic_load_n(&((struct hostfs_node *)o->inode->priv)->cache, __ATOMIC_ACQUIRE);
}

static int hostfs_open(struct inode *inode, struct file *f)
{
	struct hostfs_open *o;
	int acc = f->flags & O_ACCMODE, fd;

	if (!S_ISREG(inode->mode) && !S_ISDIR(inode->mode))
		return -ENXIO;
	if (acc != O_RDONLY && inode->sb->readonly)
		return -EROFS;
	fd = reopen(inode, S_ISDIR(inode->mode) ? O_RDONLY | O_DIRECTORY :
			   acc == 3 ? O_RDWR : acc);
	if (fd < 0)
		return fd;
	o = malloc(sizeof(*o));
	if (!o) {
		close(fd);
		return -ENOMEM;
	}
	o->fd = fd;
	o->inode = inode;
	f->priv = o;
	f->ops = S_ISDIR(inode->mode) ? &hostfs_dir_ops : &hostfs_file_ops;
	return 0;
}

static void hostfs_evict(struct inode *inode)
{
	struct hostfs_node *n = inode->priv;

	if (n) {
		if (n->cache)
			memobj_put(n->cache);     /* writes back what is left */
		if (n->rcache)
			memobj_put(n->rcache);
		if (n->fd >= 0)
			close(n->fd);
		if (n->parent)
			inode_put(n->parent);
		free(n->name);
		free(n);
	}
}

static const struct inode_ops hostfs_inode_ops = {
	.lookup = hostfs_lookup,
	.create = hostfs_create,
	.link = hostfs_link,
	.unlink = hostfs_unlink,
	.rename = hostfs_rename,
	.getattr = hostfs_getattr,
	.setattr = hostfs_setattr,
	.readlink = hostfs_readlink,
	.statfs = hostfs_statfs,
	.open = hostfs_open,
	.evict = hostfs_evict,
};

/* ---- open files ---- */

static long hostfs_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct memobj *cache = cache_of(f);
	ssize_t n;

	(void)t;
	if (cache) {
		struct stat st;
		if (fstat(open_fd(f), &st) < 0)
			return -errno;
		if (*off >= st.st_size)
			return 0;
		len = MIN(len, (uint64_t)(st.st_size - *off));
		int err = memobj_rw(cache, (uint64_t)*off, buf, len, false);
		if (err)
			return err;
		*off += (int64_t)len;
		return (long)len;
	}
	do
		n = pread(open_fd(f), buf, len, *off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	*off += n;
	return n;
}

static long hostfs_write(struct file *f, struct task *t, const void *buf, size_t len, int64_t *off)
{
	ssize_t n;

	(void)t;
	if (f->flags & O_APPEND) {
		struct stat st;
		if (fstat(open_fd(f), &st) < 0)
			return -errno;
		*off = st.st_size;
	}
	do
		n = pwrite(open_fd(f), buf, len, *off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	struct memobj *cache = cache_of(f);
	if (cache && n > 0) {
		/* Keep the mapped pages in step with the file. */
		memobj_rw(cache, (uint64_t)*off, (void *)buf, (size_t)n, true);
		uint64_t pages = ALIGN_UP((uint64_t)(*off + n), PAGE_SIZE) >> PAGE_SHIFT;
		if (pages > __atomic_load_n(&cache->npages, __ATOMIC_RELAXED))
			__atomic_store_n(&cache->npages, pages, __ATOMIC_RELAXED);
	}
	*off += n;
	return n;
}

static long hostfs_lseek(struct file *f, int64_t off, int whence)
{
	/* The host knows where the data and holes are. */
	if (whence == SEEK_DATA || whence == SEEK_HOLE) {
		off_t r = lseek(open_fd(f), off, whence);
		return r < 0 ? -errno : r;
	}
	return generic_lseek(f, off, whence);
}

static int hostfs_mmap(struct file *f, bool shared, struct memobj **obj, struct mm_file **mf)
{
	struct hostfs_open *o = f->priv;
	struct memobj *cache = cache_of(f);
	int fd, err = 0;

	/* A read-only tree never changes under a mapping: its pages are
	 * shared copy-on-write from the read cache, or else copied in. */
	if (shared && !o->inode->sb->readonly) {
		*obj = get_cache(o->inode, &err);
		return *obj ? 0 : err;
	}
	if (o->inode->sb->readonly && S_ISREG(o->inode->mode)) {
		struct memobj *rc = get_rcache(o->inode);
		if (rc) {
			*mf = mm_file_new_memobj(rc);
			memobj_put(rc);
			return *mf ? 0 : -ENOMEM;
		}
	}
	if (cache) {
		*mf = mm_file_new_memobj(cache);
		return *mf ? 0 : -ENOMEM;
	}
	fd = fcntl(open_fd(f), F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	*mf = mm_file_new(fd);
	return *mf ? 0 : -ENOMEM;
}

static int hostfs_fsync(struct file *f)
{
	return fsync(open_fd(f)) < 0 ? -errno : 0;
}

static int hostfs_fallocate(struct file *f, int mode, uint64_t off, uint64_t len)
{
	return fallocate(open_fd(f), mode, (off_t)off, (off_t)len) < 0 ? -errno : 0;
}

static void hostfs_release(struct file *f)
{
	struct hostfs_open *o = f->priv;

	if (o) {
		close(o->fd);
		free(o);
	}
}

static const struct file_ops hostfs_file_ops = {
	.read = hostfs_read,
	.write = hostfs_write,
	.lseek = hostfs_lseek,
	.mmap = hostfs_mmap,
	.fsync = hostfs_fsync,
	.fallocate = hostfs_fallocate,
	.release = hostfs_release,
};

/*
 * Directories: the host's getdents64 from the cookie in ctx->pos (the
 * host's d_off values), so the position survives across calls.
 */
static int hostfs_readdir(struct file *f, struct dir_ctx *ctx)
{
	char buf[8192];
	int fd = open_fd(f);

	for (;;) {
		if (lseek(fd, (off_t)ctx->pos, SEEK_SET) < 0)
			return -errno;
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (long i = 0; i < n;) {
			struct dirent64 *de = (struct dirent64 *)(buf + i);
			if (!ctx->emit(ctx, de->d_name, strlen(de->d_name), de->d_ino, de->d_type))
				return 0;
			ctx->pos = (uint64_t)de->d_off;
			i += de->d_reclen;
		}
	}
}

static const struct file_ops hostfs_dir_ops = {
	.readdir = hostfs_readdir,
	.lseek = generic_lseek,
	.fsync = hostfs_fsync,
	.release = hostfs_release,
};

struct super_block *hostfs_new(int dirfd, bool readonly, struct dentry **root)
{
	struct super_block *sb = super_new("hostfs", 0);
	struct inode *inode;
	struct stat st;

	if (!sb) {
		close(dirfd);
		return NULL;
	}
	sb->readonly = readonly;
	if (fstat(dirfd, &st) == 0)
		sb->dev = st.st_dev;
	if (inode_from_fd(sb, dirfd, NULL, NULL, &inode) < 0) {
		super_put(sb);
		return NULL;
	}
	*root = dentry_new_root(inode);
	super_put(sb);            /* the root inode holds it now */
	return *root ? sb : NULL;
}
