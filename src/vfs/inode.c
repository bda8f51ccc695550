/*
 * inode.c: inodes, super blocks, permission checks and stat conversion.
 *
 * An inode is a file system's object (a file, directory, symlink, device
 * node); the fs allocates it with inode_new(), fills in its cached
 * attributes and ops, and frees its own part in ops->evict when the last
 * reference goes.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "util/util.h"

struct inode *inode_new(struct super_block *sb, const struct inode_ops *ops, mode_t mode)
{
	struct inode *inode = calloc(1, sizeof(*inode));

	if (!inode)
		return NULL;
	inode->refs = 1;
	inode->ops = ops;
	inode->sb = sb;
	inode->mode = mode;
	if (sb) {
		inode->ino = __atomic_add_fetch(&sb->next_ino, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&sb->refs, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_init(&inode->lock, NULL);
	return inode;
}

void inode_get(struct inode *inode)
{
	__atomic_fetch_add(&inode->refs, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *inode)
{
	if (!inode || __atomic_sub_fetch(&inode->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (inode->ops && inode->ops->evict)
		inode->ops->evict(inode);
	super_put(inode->sb);
	pthread_mutex_destroy(&inode->lock);
	free(inode);
}

void super_put(struct super_block *sb)
{
	if (sb && __atomic_sub_fetch(&sb->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(sb);
}

/*
 * Linux: fs/namei.c generic_permission() and capable_wrt_inode_uidgid():
 * the owner class, the group class, then others; CAP_DAC_OVERRIDE may
 * read and write anything and search any directory, and execute a file
 * when at least one execute bit is set; CAP_DAC_READ_SEARCH may read any
 * file and read and search any directory.
 */
bool cred_in_group(const struct cred *cred, uint32_t gid)
{
	if (cred->gid == gid)
		return true;
	for (int i = 0; i < cred->ngroups; i++)
		if (cred->groups[i] == gid)
			return true;
	return false;
}

int inode_permission(struct inode *inode, int mask, const struct cred *cred)
{
	mode_t mode = inode->mode;
	int allowed;

	if (cred->uid == inode->uid)
		allowed = (mode >> 6) & 7;
	else if (cred_in_group(cred, inode->gid))
		allowed = (mode >> 3) & 7;
	else
		allowed = mode & 7;
	if (!(mask & ~allowed))
		return 0;
	/* Linux: capable_wrt_inode_uidgid in generic_permission. */
	if (CRED_CAP(cred, CRED_CAP_DAC_OVERRIDE)) {
		if (!(mask & MAY_EXEC) || S_ISDIR(mode) ||
		    (mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
			return 0;
		return -EACCES;
	}
	if (CRED_CAP(cred, CRED_CAP_DAC_READ_SEARCH) &&
	    (mask == MAY_READ || (S_ISDIR(mode) && !(mask & MAY_WRITE))))
		return 0;
	return -EACCES;
}

void statx_to_stat(const struct statx *stx, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	st->st_ino = stx->stx_ino;
	st->st_nlink = stx->stx_nlink;
	st->st_mode = stx->stx_mode;
	st->st_uid = stx->stx_uid;
	st->st_gid = stx->stx_gid;
	st->st_rdev = makedev(stx->stx_rdev_major, stx->stx_rdev_minor);
	st->st_size = (off_t)stx->stx_size;
	st->st_blksize = stx->stx_blksize;
	st->st_blocks = (blkcnt_t)stx->stx_blocks;
	st->st_atim.tv_sec = stx->stx_atime.tv_sec;
	st->st_atim.tv_nsec = stx->stx_atime.tv_nsec;
	st->st_mtim.tv_sec = stx->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = stx->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = stx->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = stx->stx_ctime.tv_nsec;
}

unsigned mode_to_dtype(mode_t mode)
{
	return (mode & S_IFMT) >> 12;     /* DT_* are S_IF* >> 12 */
}

dev_t vfs_anon_dev(void)
{
	static unsigned next_minor = 16;   /* Linux's anonymous devices: 0:N */
	return makedev(0, __atomic_fetch_add(&next_minor, 1, __ATOMIC_RELAXED));
}

struct super_block *super_new(const char *fstype, long magic)
{
	struct super_block *sb = calloc(1, sizeof(*sb));

	if (!sb)
		return NULL;
	sb->refs = 1;
	sb->fstype = fstype;
	sb->magic = magic;
	sb->dev = vfs_anon_dev();
	return sb;
}

/* ---- anonymous inodes ---- */

static int anon_getattr(struct inode *inode, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_mode = (uint16_t)inode->mode;
	stx->stx_nlink = 1;
	stx->stx_uid = inode->uid;
	stx->stx_gid = inode->gid;
	stx->stx_ino = inode->ino;
	stx->stx_blksize = 4096;
	stx->stx_dev_major = major(inode->sb->dev);
	stx->stx_dev_minor = minor(inode->sb->dev);
	return 0;
}

static const struct inode_ops anon_inode_ops = { .getattr = anon_getattr };

static struct super_block *anon_sb;
static void anon_sb_init(void) { anon_sb = super_new("anon_inodefs", 0x09041934); }

struct inode *anon_inode_new(mode_t mode, const struct inode_ops *ops)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, anon_sb_init);
	if (!anon_sb)
		return NULL;
	return inode_new(anon_sb, ops ? ops : &anon_inode_ops, mode);
}

int vfs_getattr(struct inode *inode, struct statx *stx)
{
	if (!inode->ops || !inode->ops->getattr)
		return anon_getattr(inode, stx);
	return inode->ops->getattr(inode, stx);
}
