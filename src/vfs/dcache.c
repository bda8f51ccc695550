/*
 * dcache.c: the dentry cache.
 *
 * Every name the VFS has looked up is a dentry: (parent, name) -> inode,
 * or a negative dentry when the name does not exist (the dynamic loader
 * probes many missing paths; remembering them saves a host lookup each).
 * Dentries live in one hash table keyed by parent and name, which starts
 * small and doubles as it fills (a big table's scattered first touches
 * cost a page fault each: 30-40 of them at start-up).  A dentry
 * holds a reference on its parent and its inode; one that nobody uses
 * (refs == 0) stays cached on an LRU list, and the oldest are freed when
 * the list grows past DCACHE_UNUSED_MAX, which also bounds the host
 * descriptors hostfs inodes hold.  An unused dentry whose inode inotify
 * watches stays cached off the LRU, so that the name keeps leading to
 * the inode that has the watches (fs/inotify.c); and the last dentry of
 * an unlinked watched inode reports IN_DELETE_SELF as it goes.
 *
 * Everything here runs under vfs_lock.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

pthread_mutex_t vfs_lock = PTHREAD_MUTEX_INITIALIZER;

#define DHASH_FIRST 256
#define DHASH_MAX (1u << 20)
#define DCACHE_UNUSED_MAX 8192

static struct dentry *dhash_first[DHASH_FIRST];
static struct dentry **dhash = dhash_first;
static uint32_t dhash_size = DHASH_FIRST, dhash_count;
static struct dentry lru = { .lru_prev = &lru, .lru_next = &lru };
static unsigned lru_count;

static uint32_t name_hash(const struct dentry *parent, const char *name)
{
	uint64_t h = (uint64_t)(uintptr_t)parent * 0x9e3779b97f4a7c15ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static struct dentry **bucket(uint32_t hash)
{
	return &dhash[hash & (dhash_size - 1)];
}

/* Doubles the table once it holds as many dentries as buckets (if memory
 * allows: a full table is only slower). */
static void hash_grow(void)
{
	uint32_t size = dhash_size * 2;
	struct dentry **table;

	if (dhash_count < dhash_size || size > DHASH_MAX ||
	    !(table = calloc(size, sizeof(*table))))
		return;
	for (uint32_t i = 0; i < dhash_size; i++) {
		while (dhash[i]) {
			struct dentry *d = dhash[i];
			dhash[i] = d->hnext;
			d->hnext = table[d->hash & (size - 1)];
			table[d->hash & (size - 1)] = d;
		}
	}
	if (dhash != dhash_first)
		free(dhash);
	dhash = table;
	dhash_size = size;
}

static void hash_insert(struct dentry *d)
{
	hash_grow();
	d->hnext = *bucket(d->hash);
	*bucket(d->hash) = d;
	dhash_count++;
}

static void hash_remove(struct dentry *d)
{
	for (struct dentry **pp = bucket(d->hash); *pp; pp = &(*pp)->hnext) {
		if (*pp == d) {
			*pp = d->hnext;
			dhash_count--;
			break;
		}
	}
	d->hnext = NULL;
}

static void lru_remove(struct dentry *d)
{
	if (!d->lru_next)
		return;
	d->lru_prev->lru_next = d->lru_next;
	d->lru_next->lru_prev = d->lru_prev;
	d->lru_prev = d->lru_next = NULL;
	lru_count--;
}

static void lru_add(struct dentry *d)
{
	d->lru_prev = lru.lru_prev;
	d->lru_next = &lru;
	lru.lru_prev->lru_next = d;
	lru.lru_prev = d;
	lru_count++;
}

/* Kept cached while unused, off the LRU: a watched inode's dentry. */
static bool dentry_watched(const struct dentry *d)
{
	return fsnotify_active() && d->inode &&
	       __atomic_load_n(&d->inode->inotify_watches, __ATOMIC_RELAXED);
}

static struct dentry *dentry_alloc(const char *name)
{
	struct dentry *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->name = strdup(name);
	if (!d->name) {
		free(d);
		return NULL;
	}
	d->refs = 1;
	return d;
}

struct dentry *dentry_new_root(struct inode *inode)
{
	struct dentry *d = dentry_alloc("/");

	if (!d) {
		inode_put(inode);
		return NULL;
	}
	d->inode = inode;
	d->unhashed = true;       /* roots are found through their mounts */
	return d;
}

void dget_locked(struct dentry *d)
{
	if (d->refs++ == 0)
		lru_remove(d);
}

void dget(struct dentry *d)
{
	pthread_mutex_lock(&vfs_lock);
	if (d->refs++ == 0)
		lru_remove(d);
	pthread_mutex_unlock(&vfs_lock);
}

/* Frees d and walks up: the parent loses a reference too. */
static void dentry_kill(struct dentry *d)
{
	while (d) {
		struct dentry *parent = d->parent;
		if (!d->unhashed)
			hash_remove(d);
		lru_remove(d);
		if (d->inode && d->inode->inotify_unlinked)
			inotify_dentry_gone(d->inode);
		if (d->inode)
			inode_put(d->inode);
		free(d->name);
		free(d);
		if (!parent || --parent->refs > 0)
			return;
		if (!parent->unhashed && !parent->mounted) {
			if (!dentry_watched(parent))
				lru_add(parent);
			return;
		}
		d = parent;
	}
}

static void lru_shrink(void)
{
	while (lru_count > DCACHE_UNUSED_MAX) {
		struct dentry *d = lru.lru_next;
		lru_remove(d);
		if (!dentry_watched(d))
			dentry_kill(d);
	}
}

void dput_locked(struct dentry *d)
{
	if (!d || --d->refs > 0)
		return;
	if (d->unhashed || !d->parent) {
		/* Unlinked, or a root nobody mounts any more. */
		dentry_kill(d);
		return;
	}
	if (dentry_watched(d))
		return;
	lru_add(d);
	lru_shrink();
}

void dput(struct dentry *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&vfs_lock);
	dput_locked(d);
	pthread_mutex_unlock(&vfs_lock);
}

static struct dentry *hash_find(struct dentry *dir, const char *name, uint32_t hash)
{
	for (struct dentry *d = *bucket(hash); d; d = d->hnext)
		if (d->hash == hash && d->parent == dir && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

struct dentry *d_lookup(struct dentry *dir, const char *name, int *err)
{
	uint32_t hash = name_hash(dir, name);
	struct dentry *d = hash_find(dir, name, hash);
	struct inode *inode = NULL;
	int r;

	if (d) {
		if (d->refs++ == 0)
			lru_remove(d);
		return d;
	}
	if (dir->unhashed && dir->parent && !dir->uncached) {
		*err = -ENOENT;          /* a removed directory has no entries */
		return NULL;
	}
	if (!dir->inode->ops->lookup) {
		*err = -ENOTDIR;
		return NULL;
	}
	r = dir->inode->ops->lookup(dir->inode, name, &inode);
	if (r < 0 && r != -ENOENT) {
		*err = r;
		return NULL;
	}
	d = dentry_alloc(name);
	if (!d) {
		inode_put(inode);
		*err = -ENOMEM;
		return NULL;
	}
	d->inode = r == 0 ? inode : NULL;
	d->parent = dir;
	dir->refs++;                  /* dir is in use by the caller: not on the LRU */
	if (dir->inode->sb->uncached) {
		/* Synthesised entries come and go: look them up every time. */
		d->unhashed = d->uncached = true;
		return d;
	}
	d->hash = hash;
	hash_insert(d);
	return d;
}

void d_instantiate(struct dentry *d, struct inode *inode)
{
	if (d->inode)
		inode_put(d->inode);
	d->inode = inode;
}

struct dentry *d_alloc_unhashed(struct dentry *parent, const char *name, struct inode *inode)
{
	struct dentry *d = dentry_alloc(name);

	if (!d) {
		inode_put(inode);
		return NULL;
	}
	d->inode = inode;
	d->parent = parent;
	dget_locked(parent);
	d->unhashed = true;
	return d;
}

void d_drop(struct dentry *d)
{
	if (d->unhashed)
		return;
	hash_remove(d);
	d->unhashed = true;
}

void d_move(struct dentry *d, struct dentry *newparent, const char *newname)
{
	char *name = strdup(newname);

	if (!name) {
		d_drop(d);               /* it will be looked up afresh */
		return;
	}
	if (!d->unhashed)
		hash_remove(d);
	free(d->name);
	d->name = name;
	if (d->parent != newparent) {
		newparent->refs++;
		dput_locked(d->parent);
		d->parent = newparent;
	}
	d->hash = name_hash(newparent, name);
	d->unhashed = false;
	hash_insert(d);
}
