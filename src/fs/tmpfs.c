/*
 * tmpfs.c: a file system in memory.  Linux: mm/shmem.c, fs/libfs.c.
 *
 * Regular files keep their data in a memobj, pages of the memory file, so
 * a MAP_SHARED mapping of a tmpfs file and read/write of it see the same
 * bytes, and a MAP_PRIVATE one copies pages from it.  Directories are a
 * list of entries in creation order, each with a sequence number that is
 * its getdents cookie (stable while entries come and go).  Symlinks keep
 * their target.  The overlay uses tmpfs as its upper layer and marks
 * deletions of lower files with whiteouts (character devices 0:0) and
 * directories that hide their lower twin as opaque.
 *
 * Namespace changes run under vfs_lock (see vfs.h); a directory's entry
 * list and a file's size and data are also guarded by inode->lock, since
 * readdir, read and write run without vfs_lock.
 */
#include "kernel/kernel.h"
#include "vfs/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "mm/memobj.h"
#include "mm/mm.h"
#include "util/util.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

struct tmpfs_dirent {
	char *name;
	struct inode *inode;      /* referenced */
	uint64_t seq;             /* getdents cookie */
	struct tmpfs_dirent *next;
};

struct tmpfs_node {
	uint32_t nlink;
	struct timespec atime, mtime, ctime, btime;
	uint64_t size;
	struct memobj *obj;       /* regular files */
	char *target;             /* symlinks */
	struct tmpfs_dirent *entries;   /* directories */
	uint64_t next_seq;
	uint64_t parent_ino;      /* for ".." */
	bool opaque;
	unsigned seals;           /* F_SEAL_* (memfd) */
};

static const struct inode_ops tmpfs_inode_ops;
static const struct file_ops tmpfs_file_ops, tmpfs_dir_ops;

static struct tmpfs_node *node(struct inode *inode) { return inode->priv; }

static struct timespec now(void)
{
	struct timespec ts;
	clock_ts(CLOCK_REALTIME, &ts);
	return ts;
}

static void touch_dir(struct inode *dir)
{
	node(dir)->mtime = node(dir)->ctime = now();
}

static struct inode *tmpfs_inode_new(struct super_block *sb, const struct new_node *nn)
{
	struct inode *inode = inode_new(sb, &tmpfs_inode_ops, nn->mode);
	struct tmpfs_node *n = calloc(1, sizeof(*n));

	if (!inode || !n)
		goto fail;
	inode->priv = n;
	inode->uid = nn->uid;
	inode->gid = nn->gid;
	inode->rdev = nn->rdev;
	n->nlink = S_ISDIR(nn->mode) ? 2 : 1;
	n->seals = F_SEAL_SEAL;       /* only memfd_create(MFD_ALLOW_SEALING) lifts it */
	n->atime = n->mtime = n->ctime = n->btime = now();
	n->next_seq = 2;              /* 0 and 1 are "." and ".." */
	if (S_ISREG(nn->mode)) {
		n->obj = memobj_new(0);
		if (!n->obj)
			goto fail;
	} else if (S_ISLNK(nn->mode)) {
		n->target = strdup(nn->target);
		if (!n->target)
			goto fail;
		n->size = strlen(n->target);
	}
	return inode;
fail:
	free(n);
	if (inode)
		inode->priv = NULL;
	inode_put(inode);
	return NULL;
}

static struct tmpfs_dirent *find(struct inode *dir, const char *name)
{
	for (struct tmpfs_dirent *e = node(dir)->entries; e; e = e->next)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

/* Adds an entry (taking over the inode reference). */
static int add_entry(struct inode *dir, const char *name, struct inode *inode)
{
	struct tmpfs_dirent *e = calloc(1, sizeof(*e)), **pp;

	if (!e || !(e->name = strdup(name))) {
		free(e);
		return -ENOMEM;
	}
	e->inode = inode;
	pthread_mutex_lock(&dir->lock);
	e->seq = node(dir)->next_seq++;
	for (pp = &node(dir)->entries; *pp; pp = &(*pp)->next)
		;
	*pp = e;
	touch_dir(dir);
	pthread_mutex_unlock(&dir->lock);
	return 0;
}

/* Unlinks e from dir's list and frees it; returns its inode (referenced). */
static struct inode *remove_entry(struct inode *dir, struct tmpfs_dirent *victim)
{
	struct inode *inode = victim->inode;

	pthread_mutex_lock(&dir->lock);
	for (struct tmpfs_dirent **pp = &node(dir)->entries; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			break;
		}
	}
	touch_dir(dir);
	pthread_mutex_unlock(&dir->lock);
	free(victim->name);
	free(victim);
	return inode;
}

static int tmpfs_lookup(struct inode *dir, const char *name, struct inode **res)
{
	struct tmpfs_dirent *e = find(dir, name);

	if (!e)
		return -ENOENT;
	inode_get(e->inode);
	*res = e->inode;
	return 0;
}

/* A new inode for dir's file system, made in dir (named or not). */
static struct inode *tmpfs_inode_in(struct inode *dir, const struct new_node *nn)
{
	struct inode *inode = tmpfs_inode_new(dir->sb, nn);

	if (!inode)
		return NULL;
	if (S_ISDIR(nn->mode))
		node(inode)->parent_ino = dir->ino;
	/* Linux: a new file in a set-group-ID directory takes its group. */
	if (dir->mode & S_ISGID) {
		inode->gid = dir->gid;
		if (S_ISDIR(nn->mode))
			inode->mode |= S_ISGID;
	}
	return inode;
}

static int tmpfs_create(struct inode *dir, const char *name, const struct new_node *nn,
			struct inode **res)
{
	struct inode *inode = tmpfs_inode_in(dir, nn);
	int err;

	if (!inode)
		return -ENOMEM;
	inode_get(inode);
	err = add_entry(dir, name, inode);
	if (err) {
		inode_put(inode);
		inode_put(inode);
		return err;
	}
	if (S_ISDIR(nn->mode))
		node(dir)->nlink++;
	*res = inode;
	return 0;
}

static int tmpfs_tmpfile(struct inode *dir, const struct new_node *nn, struct inode **res)
{
	struct inode *inode = tmpfs_inode_in(dir, nn);

	if (!inode)
		return -ENOMEM;
	node(inode)->nlink = 0;
	*res = inode;
	return 0;
}

static int tmpfs_link(struct inode *dir, const char *name, struct inode *old)
{
	int err;

	if (old->sb != dir->sb)
		return -EXDEV;
	inode_get(old);
	err = add_entry(dir, name, old);
	if (err) {
		inode_put(old);
		return err;
	}
	node(old)->nlink++;
	node(old)->ctime = now();
	return 0;
}

static bool dir_empty(struct inode *dir)
{
	return node(dir)->entries == NULL;
}

/* The inode lost a name (or, for a directory, its only name). */
static void drop_link(struct inode *dir, struct inode *inode)
{
	if (S_ISDIR(inode->mode)) {
		node(inode)->nlink = 0;
		node(dir)->nlink--;
	} else {
		node(inode)->nlink--;
	}
	node(inode)->ctime = now();
}

static int tmpfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
	struct tmpfs_dirent *e = find(dir, name);

	if (!e || e->inode != victim)
		return -ENOENT;
	if (S_ISDIR(victim->mode) && !dir_empty(victim))
		return -ENOTEMPTY;
	drop_link(dir, victim);
	inode_put(remove_entry(dir, e));
	return 0;
}

static int tmpfs_rename(struct inode *odir, const char *oname, struct inode *src,
			struct inode *ndir, const char *nname, struct inode *target,
			unsigned flags)
{
	struct tmpfs_dirent *oe = find(odir, oname), *ne = find(ndir, nname);
	struct inode *moved;
	int err;

	(void)src;
	(void)target;
	if (!oe)
		return -ENOENT;
	moved = oe->inode;
	if (flags & RENAME_EXCHANGE) {
		if (!ne)
			return -ENOENT;
		struct inode *other = ne->inode;
		pthread_mutex_lock(&odir->lock);
		oe->inode = other;
		pthread_mutex_unlock(&odir->lock);
		pthread_mutex_lock(&ndir->lock);
		ne->inode = moved;
		pthread_mutex_unlock(&ndir->lock);
		if (odir != ndir) {
			if (S_ISDIR(moved->mode)) {
				node(odir)->nlink--;
				node(ndir)->nlink++;
				node(moved)->parent_ino = ndir->ino;
			}
			if (S_ISDIR(other->mode)) {
				node(ndir)->nlink--;
				node(odir)->nlink++;
				node(other)->parent_ino = odir->ino;
			}
		}
		touch_dir(odir);
		touch_dir(ndir);
		node(moved)->ctime = node(other)->ctime = now();
		return 0;
	}
	if (ne) {
		if (S_ISDIR(ne->inode->mode) && !dir_empty(ne->inode))
			return -ENOTEMPTY;
		drop_link(ndir, ne->inode);
		inode_put(remove_entry(ndir, ne));
	}
	inode_get(moved);
	err = add_entry(ndir, nname, moved);
	if (err) {
		inode_put(moved);
		return err;
	}
	inode_put(remove_entry(odir, oe));
	if (S_ISDIR(moved->mode) && odir != ndir) {
		node(odir)->nlink--;
		node(ndir)->nlink++;
		node(moved)->parent_ino = ndir->ino;
	}
	node(moved)->ctime = now();
	if (flags & RENAME_WHITEOUT) {
		/* Linux (shmem_whiteout): a 0/0 character device, owned by
		 * the moved file's owner, where the name was. */
		struct new_node nn = { .mode = S_IFCHR, .rdev = makedev(0, 0),
				       .uid = moved->uid, .gid = moved->gid };
		struct inode *w;
		if (tmpfs_create(odir, oname, &nn, &w) == 0)
			inode_put(w);
	}
	return 0;
}

static void ts_to_statx(struct statx_timestamp *d, const struct timespec *s)
{
	d->tv_sec = s->tv_sec;
	d->tv_nsec = (uint32_t)s->tv_nsec;
}

static int tmpfs_getattr(struct inode *inode, struct statx *stx)
{
	struct tmpfs_node *n = node(inode);

	memset(stx, 0, sizeof(*stx));
	pthread_mutex_lock(&inode->lock);
	stx->stx_mask = STATX_BASIC_STATS | STATX_BTIME;
	stx->stx_mode = (uint16_t)inode->mode;
	stx->stx_nlink = n->nlink;
	stx->stx_uid = inode->uid;
	stx->stx_gid = inode->gid;
	stx->stx_ino = inode->ino;
	stx->stx_size = S_ISDIR(inode->mode) ? 4096 : n->size;
	stx->stx_blksize = 4096;
	stx->stx_blocks = S_ISREG(inode->mode) ? ALIGN_UP(n->size, PAGE_SIZE) / 512 : 0;
	ts_to_statx(&stx->stx_atime, &n->atime);
	ts_to_statx(&stx->stx_mtime, &n->mtime);
	ts_to_statx(&stx->stx_ctime, &n->ctime);
	ts_to_statx(&stx->stx_btime, &n->btime);
	stx->stx_rdev_major = major(inode->rdev);
	stx->stx_rdev_minor = minor(inode->rdev);
	stx->stx_dev_major = major(inode->sb->dev);
	stx->stx_dev_minor = minor(inode->sb->dev);
	pthread_mutex_unlock(&inode->lock);
	return 0;
}

static int set_size(struct inode *inode, uint64_t size)
{
	struct tmpfs_node *n = node(inode);

	if (size > (1ULL << 43))
		return -EFBIG;
	if ((size < n->size && (n->seals & F_SEAL_SHRINK)) ||
	    (size > n->size && (n->seals & F_SEAL_GROW)))
		return -EPERM;
	if (size < n->size)
		memobj_truncate(n->obj, size);
	else
		__atomic_store_n(&n->obj->npages, ALIGN_UP(size, PAGE_SIZE) >> PAGE_SHIFT,
				 __ATOMIC_RELAXED);
	n->size = size;
	return 0;
}

static int tmpfs_setattr(struct inode *inode, const struct iattr *ia)
{
	struct tmpfs_node *n = node(inode);
	int err = 0;

	pthread_mutex_lock(&inode->lock);
	if (ia->valid & ATTR_SIZE) {
		err = set_size(inode, ia->size);
		if (err)
			goto out;
	}
	if (ia->valid & ATTR_MODE)
		inode->mode = (inode->mode & S_IFMT) | (ia->mode & 07777);
	if (ia->valid & ATTR_UID)
		inode->uid = ia->uid;
	if (ia->valid & ATTR_GID)
		inode->gid = ia->gid;
	if (ia->valid & ATTR_ATIME)
		n->atime = ia->atime;
	if (ia->valid & ATTR_MTIME)
		n->mtime = ia->mtime;
	if (ia->valid & ATTR_CTIME)
		n->ctime = now();
out:
	pthread_mutex_unlock(&inode->lock);
	return err;
}

static long tmpfs_readlink(struct inode *inode, struct task *t, char *buf, size_t len)
{
	(void)t;
	size_t n = MIN(len, node(inode)->size);

	memcpy(buf, node(inode)->target, n);
	return (long)n;
}

static int tmpfs_open(struct inode *inode, struct file *f)
{
	if (S_ISREG(inode->mode))
		f->ops = &tmpfs_file_ops;
	else if (S_ISDIR(inode->mode))
		f->ops = &tmpfs_dir_ops;
	else
		return -ENXIO;
	f->priv = inode;          /* the file holds f->inode, which holds this */
	return 0;
}

static void tmpfs_evict(struct inode *inode)
{
	struct tmpfs_node *n = node(inode);

	if (!n)
		return;
	while (n->entries) {
		struct tmpfs_dirent *e = n->entries;
		n->entries = e->next;
		inode_put(e->inode);
		free(e->name);
		free(e);
	}
	if (n->obj)
		memobj_put(n->obj);
	free(n->target);
	free(n);
}

static const struct inode_ops tmpfs_inode_ops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.link = tmpfs_link,
	.tmpfile = tmpfs_tmpfile,
	.unlink = tmpfs_unlink,
	.rename = tmpfs_rename,
	.getattr = tmpfs_getattr,
	.setattr = tmpfs_setattr,
	.readlink = tmpfs_readlink,
	.open = tmpfs_open,
	.evict = tmpfs_evict,
};

/* ---- regular files ---- */

static long tmpfs_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct inode *inode = f->priv;
	struct tmpfs_node *n = node(inode);
	long ret = 0;

	(void)t;
	pthread_mutex_lock(&inode->lock);
	if ((uint64_t)*off < n->size) {
		len = MIN(len, n->size - (uint64_t)*off);
		ret = memobj_rw(n->obj, (uint64_t)*off, buf, len, false);
		if (ret == 0) {
			ret = (long)len;
			*off += ret;
		}
	}
	n->atime = now();
	pthread_mutex_unlock(&inode->lock);
	return ret;
}

int tmpfs_write_data(struct inode *inode, const void *buf, size_t len, uint64_t off)
{
	struct tmpfs_node *n = node(inode);
	int err;

	if (off + len > (1ULL << 43))
		return -EFBIG;
	if (n->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
		return -EPERM;
	if (off + len > n->size && (n->seals & F_SEAL_GROW))
		return -EPERM;
	err = memobj_rw(n->obj, off, (void *)buf, len, true);
	if (err)
		return err;
	if (off + len > n->size)
		set_size(inode, off + len);
	n->mtime = n->ctime = now();
	return 0;
}

static long tmpfs_write(struct file *f, struct task *t, const void *buf, size_t len, int64_t *off)
{
	struct inode *inode = f->priv;
	long ret;

	(void)t;
	pthread_mutex_lock(&inode->lock);
	if (f->flags & O_APPEND)
		*off = (int64_t)node(inode)->size;
	ret = tmpfs_write_data(inode, buf, len, (uint64_t)*off);
	if (ret == 0) {
		ret = (long)len;
		*off += ret;
	}
	pthread_mutex_unlock(&inode->lock);
	return ret;
}

static int tmpfs_mmap(struct file *f, bool shared, struct memobj **obj, struct mm_file **mf)
{
	struct tmpfs_node *n = node((struct inode *)f->priv);

	if (shared) {
		memobj_get(n->obj);
		*obj = n->obj;
		return 0;
	}
	*mf = mm_file_new_memobj(n->obj);
	return *mf ? 0 : -ENOMEM;
}

static int tmpfs_fsync(struct file *f)
{
	(void)f;
	return 0;
}

static int tmpfs_fallocate(struct file *f, int mode, uint64_t off, uint64_t len)
{
	struct inode *inode = f->priv;
	int err = 0;

	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&inode->lock);
	if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > node(inode)->size)
		err = set_size(inode, off + len);
	if (!err)
		node(inode)->ctime = now();
	pthread_mutex_unlock(&inode->lock);
	return err;
}

static const struct file_ops tmpfs_file_ops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.lseek = generic_lseek,
	.mmap = tmpfs_mmap,
	.fsync = tmpfs_fsync,
	.fallocate = tmpfs_fallocate,
};

/* ---- directories ---- */

static int tmpfs_readdir(struct file *f, struct dir_ctx *ctx)
{
	struct inode *dir = f->priv;
	struct tmpfs_node *n = node(dir);

	pthread_mutex_lock(&dir->lock);
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR))
			goto out;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		if (!ctx->emit(ctx, "..", 2, n->parent_ino ? n->parent_ino : dir->ino, DT_DIR))
			goto out;
		ctx->pos = 2;
	}
	for (struct tmpfs_dirent *e = n->entries; e; e = e->next) {
		if (e->seq < ctx->pos || tmpfs_is_whiteout(e->inode))
			continue;
		if (!ctx->emit(ctx, e->name, strlen(e->name), e->inode->ino,
			       mode_to_dtype(e->inode->mode)))
			break;
		ctx->pos = e->seq + 1;
	}
out:
	pthread_mutex_unlock(&dir->lock);
	return 0;
}

static const struct file_ops tmpfs_dir_ops = {
	.readdir = tmpfs_readdir,
	.lseek = generic_lseek,
	.fsync = tmpfs_fsync,
};

/* ---- for the overlay ---- */

bool tmpfs_is_whiteout(struct inode *inode)
{
	return inode->ops == &tmpfs_inode_ops && S_ISCHR(inode->mode) && inode->rdev == 0;
}

/* Linux: mm/memfd.c memfd_fcntl(). */
long tmpfs_seals(struct file *f, bool add, unsigned seals)
{
	struct inode *inode = f->priv;
	struct tmpfs_node *n;
	long ret = 0;

	if (f->ops != &tmpfs_file_ops)
		return -EINVAL;
	n = node(inode);
	pthread_mutex_lock(&inode->lock);
	if (!add) {
		ret = n->seals;
	} else if (seals & ~(unsigned)(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
					F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		ret = -EINVAL;
	} else if ((f->flags & O_ACCMODE) == O_RDONLY) {
		ret = -EPERM;
	} else if (n->seals & F_SEAL_SEAL) {
		ret = -EPERM;
	} else {
		n->seals |= seals;
	}
	pthread_mutex_unlock(&inode->lock);
	return ret;
}

void tmpfs_allow_sealing(struct inode *inode)
{
	node(inode)->seals &= ~(unsigned)F_SEAL_SEAL;
}

void tmpfs_for_each(struct inode *dir, void (*fn)(void *arg, const char *name,
						  struct inode *inode), void *arg)
{
	pthread_mutex_lock(&dir->lock);
	for (struct tmpfs_dirent *e = node(dir)->entries; e; e = e->next)
		fn(arg, e->name, e->inode);
	pthread_mutex_unlock(&dir->lock);
}

bool tmpfs_opaque(struct inode *inode)
{
	return node(inode)->opaque;
}

void tmpfs_set_opaque(struct inode *inode, bool opaque)
{
	node(inode)->opaque = opaque;
}

struct super_block *tmpfs_new(struct dentry **root, mode_t root_mode)
{
	struct super_block *sb = super_new("tmpfs", TMPFS_MAGIC);
	struct new_node nn = { .mode = S_IFDIR | root_mode };
	struct inode *inode;

	if (!sb)
		return NULL;
	inode = tmpfs_inode_new(sb, &nn);
	if (!inode) {
		super_put(sb);
		return NULL;
	}
	*root = dentry_new_root(inode);
	super_put(sb);            /* the root inode holds it now */
	return *root ? sb : NULL;
}
