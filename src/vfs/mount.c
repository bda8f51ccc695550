/*
 * mount.c: the mount table, paths, and per-task fs contexts.
 *
 * A mount stacks the root dentry of a file system on a dentry of its
 * parent mount (the mountpoint, whose `mounted` count tells the walk to
 * look here).  The sandbox has few mounts, so the table is a list.
 * A path is (mount, dentry), both referenced.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static struct mount *mounts;
static int next_mount_id = 20;

static void mntget(struct mount *m)
{
	if (m)
		__atomic_fetch_add(&m->refs, 1, __ATOMIC_RELAXED);
}

/* A mount goes away when it is unmounted and no path names it. */
static void mntput(struct mount *m)
{
	if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0 &&
	    __atomic_load_n(&m->detached, __ATOMIC_ACQUIRE)) {
		free(m->source);
		free(m);
	}
}

void path_get(const struct path *p)
{
	mntget(p->mnt);
	if (p->dentry)
		dget(p->dentry);
}

void path_get_locked(const struct path *p)
{
	mntget(p->mnt);
	if (p->dentry)
		dget_locked(p->dentry);
}

void path_put_locked(struct path *p)
{
	if (p->dentry)
		dput_locked(p->dentry);
	mntput(p->mnt);
	p->dentry = NULL;
	p->mnt = NULL;
}

void path_put(struct path *p)
{
	if (!p->dentry && !p->mnt)
		return;
	pthread_mutex_lock(&vfs_lock);
	path_put_locked(p);
	pthread_mutex_unlock(&vfs_lock);
}

struct mount *mount_lookup(struct mount *mnt, struct dentry *d)
{
	struct mount *found = NULL;

	if (!d->mounted)
		return NULL;
	/* The last mount stacked on a point is the visible one. */
	for (struct mount *m = mounts; m; m = m->next)
		if (m->parent == mnt && m->mountpoint == d)
			found = m;
	return found;
}

int vfs_mount(const struct path *mp, struct dentry *root, int flags,
	      const char *source, struct mount **out)
{
	struct mount *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->refs = 1;
	m->root = root;
	m->sb = root->inode->sb;
	m->flags = flags;
	m->source = strdup(source ? source : "none");
	pthread_mutex_lock(&vfs_lock);
	m->id = next_mount_id++;
	root->refs++;
	if (mp) {
		m->parent = mp->mnt;
		mntget(mp->mnt);
		m->mountpoint = mp->dentry;
		mp->dentry->refs++;
		mp->dentry->mounted++;
	}
	/* Appended: /proc/mounts lists mounts in the order they were made. */
	struct mount **pp = &mounts;
	while (*pp)
		pp = &(*pp)->next;
	*pp = m;
	pthread_mutex_unlock(&vfs_lock);
	if (out)
		*out = m;
	return 0;
}

int vfs_umount(struct mount *m)
{
	pthread_mutex_lock(&vfs_lock);
	for (struct mount *c = mounts; c; c = c->next) {
		if (c->parent == m) {
			pthread_mutex_unlock(&vfs_lock);
			return -EBUSY;
		}
	}
	/* The table holds one reference; the caller's path another. */
	if (m->refs > 2 || !m->parent) {
		pthread_mutex_unlock(&vfs_lock);
		return -EBUSY;
	}
	for (struct mount **pp = &mounts; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	m->mountpoint->mounted--;
	dput_locked(m->mountpoint);
	mntput(m->parent);
	dput_locked(m->root);
	__atomic_store_n(&m->detached, true, __ATOMIC_RELEASE);
	mntput(m);                /* the table's reference; the caller's path
				   * still holds one, and frees it */
	pthread_mutex_unlock(&vfs_lock);
	return 0;
}

void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg)
{
	pthread_mutex_lock(&vfs_lock);
	for (struct mount *m = mounts; m; m = m->next)
		fn(m, arg);
	pthread_mutex_unlock(&vfs_lock);
}

/*
 * Linux: fs/d_path.c prepend_path(): walk up to root, crossing mounts;
 * a path outside root (reached from the global root instead) is shown
 * from there, and an unlinked file gets " (deleted)".
 */
long vfs_path_name(const struct path *root, const struct path *p, char *buf, size_t size)
{
	struct mount *mnt = p->mnt;
	struct dentry *d = p->dentry;
	size_t pos = size;
	bool deleted;

	if (size < 2)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&vfs_lock);
	deleted = d->unhashed && d->parent && !d->uncached;
	buf[--pos] = '\0';
	while (!(mnt == root->mnt && d == root->dentry)) {
		if (d == mnt->root || !d->parent) {
			if (!mnt->parent)
				break;
			d = mnt->mountpoint;
			mnt = mnt->parent;
			continue;
		}
		size_t len = strlen(d->name);
		if (pos < len + 1 + 1) {
			pthread_mutex_unlock(&vfs_lock);
			return -ENAMETOOLONG;
		}
		pos -= len;
		memcpy(buf + pos, d->name, len);
		buf[--pos] = '/';
		d = d->parent;
	}
	pthread_mutex_unlock(&vfs_lock);
	if (pos == size - 1)
		buf[--pos] = '/';
	memmove(buf, buf + pos, size - pos);
	if (deleted) {
		size_t len = strlen(buf);
		if (len + sizeof(" (deleted)") > size)
			return -ENAMETOOLONG;
		strcpy(buf + len, " (deleted)");
	}
	return (long)strlen(buf);
}

/* ---- fs contexts ---- */

struct fs_context *fs_context_new(const struct path *root, mode_t umask)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->refs = 1;
	pthread_mutex_init(&fs->lock, NULL);
	fs->root = *root;
	fs->cwd = *root;
	path_get(root);
	path_get(root);
	fs->umask = umask;
	return fs;
}

struct fs_context *fs_context_copy(struct fs_context *old)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->refs = 1;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_lock(&vfs_lock);
	pthread_mutex_lock(&old->lock);
	fs->root = old->root;
	fs->cwd = old->cwd;
	path_get_locked(&fs->root);
	path_get_locked(&fs->cwd);
	fs->umask = old->umask;
	pthread_mutex_unlock(&old->lock);
	pthread_mutex_unlock(&vfs_lock);
	return fs;
}

void fs_context_put(struct fs_context *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	path_put(&fs->root);
	path_put(&fs->cwd);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

/* vfs_lock is taken outside fs->lock, so that the walk (which holds
 * vfs_lock) can read a task's root and cwd. */
void fs_context_get_root(struct fs_context *fs, struct path *root)
{
	pthread_mutex_lock(&vfs_lock);
	pthread_mutex_lock(&fs->lock);
	*root = fs->root;
	path_get_locked(root);
	pthread_mutex_unlock(&fs->lock);
	pthread_mutex_unlock(&vfs_lock);
}

void fs_context_get_cwd(struct fs_context *fs, struct path *cwd)
{
	pthread_mutex_lock(&vfs_lock);
	pthread_mutex_lock(&fs->lock);
	*cwd = fs->cwd;
	path_get_locked(cwd);
	pthread_mutex_unlock(&fs->lock);
	pthread_mutex_unlock(&vfs_lock);
}
