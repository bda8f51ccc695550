/*
 * overlay.c: a writable tmpfs upper layer over a read-only lower layer
 * (hostfs).  Linux: fs/overlayfs/, whose rules this follows.
 *
 * An overlay inode pairs the upper and lower inodes found under one name:
 * lookups search the upper directory first (a whiteout there, a 0:0
 * character device, hides the lower name), then, unless the upper
 * directory is opaque or the upper entry is not a directory, the lower.
 * Reads go to the upper inode when there is one, else the lower.  The
 * first change to a lower-only file copies it up: its parent directories
 * are copied up first (as empty directories that still merge with their
 * lower twins), then the file with its data, mode, owner and times.
 * Deleting a name that exists below leaves a whiteout; a directory made
 * where a deleted lower one was is opaque.  Directory listings merge both
 * layers into a snapshot taken at the start of a listing.  Renaming a
 * directory that exists below gives EXDEV, as overlayfs without
 * redirect_dir does (mv then copies), so lower trees never need moving.
 *
 * The host never sees a change: the lower layer is never written.
 */
#include "vfs/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "util/util.h"

struct ovl_node {
	struct inode *upper;      /* referenced, or NULL until copied up */
	struct inode *lower;      /* referenced, or NULL */
	struct inode *parent;     /* the overlay parent (referenced); NULL at the root */
	char *name;
};

static const struct inode_ops ovl_inode_ops;
static const struct file_ops ovl_dir_ops;

static struct ovl_node *node(struct inode *inode) { return inode->priv; }

static struct inode *top(struct inode *inode)
{
	struct ovl_node *n = node(inode);
	struct inode *up = __atomic_load_n(&n->upper, __ATOMIC_ACQUIRE);
	return up ? up : n->lower;
}

static void cache_attrs(struct inode *inode)
{
	struct inode *t = top(inode);

	inode->mode = t->mode;
	inode->uid = t->uid;
	inode->gid = t->gid;
	inode->rdev = t->rdev;
}

/* A new overlay inode (takes over the upper and lower references). */
static struct inode *ovl_inode_new(struct super_block *sb, struct inode *parent,
				   const char *name, struct inode *upper, struct inode *lower)
{
	struct ovl_node *n = calloc(1, sizeof(*n));
	struct inode *inode = n ? inode_new(sb, &ovl_inode_ops, 0) : NULL;

	if (!inode || !(n->name = strdup(name))) {
		free(n);
		if (inode)
			inode_put(inode);
		inode_put(upper);
		inode_put(lower);
		return NULL;
	}
	n->upper = upper;
	n->lower = lower;
	n->parent = parent;
	if (parent)
		inode_get(parent);
	inode->priv = n;
	inode->ino = lower ? lower->ino : upper->ino;
	cache_attrs(inode);
	return inode;
}

/* Does the lower layer under dir have name?  (Whiteouts are needed then.) */
static bool lower_has(struct inode *dir, const char *name)
{
	struct ovl_node *dn = node(dir);
	struct inode *l;

	if (!dn->lower || (dn->upper && tmpfs_opaque(dn->upper)))
		return false;
	if (dn->lower->ops->lookup(dn->lower, name, &l) != 0)
		return false;
	inode_put(l);
	return true;
}

static int ovl_lookup(struct inode *dir, const char *name, struct inode **res)
{
	struct ovl_node *dn = node(dir);
	struct inode *upper = NULL, *lower = NULL;
	int err;

	if (dn->upper) {
		err = dn->upper->ops->lookup(dn->upper, name, &upper);
		if (err && err != -ENOENT)
			return err;
		if (upper && tmpfs_is_whiteout(upper)) {
			inode_put(upper);
			return -ENOENT;
		}
	}
	if (dn->lower && !(dn->upper && tmpfs_opaque(dn->upper)) &&
	    (!upper || (S_ISDIR(upper->mode) && !tmpfs_opaque(upper)))) {
		err = dn->lower->ops->lookup(dn->lower, name, &lower);
		if (err && err != -ENOENT) {
			inode_put(upper);
			return err;
		}
		/* An upper directory merges only with a lower directory. */
		if (lower && upper && !S_ISDIR(lower->mode)) {
			inode_put(lower);
			lower = NULL;
		}
	}
	if (!upper && !lower)
		return -ENOENT;
	*res = ovl_inode_new(dir->sb, dir, name, upper, lower);
	return *res ? 0 : -ENOMEM;
}

/* ---- copy-up ---- */

/* Copies the lower file's data into the new upper file. */
static int copy_data(struct inode *lower, struct inode *upper)
{
	struct file tmp = { .flags = O_RDONLY };
	int64_t off = 0;
	char *buf;
	int err;

	err = lower->ops->open(lower, &tmp);
	if (err)
		return err;
	buf = malloc(1 << 16);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		int64_t at = off;
		long n = tmp.ops->read(&tmp, NULL, buf, 1 << 16, &off);
		if (n <= 0) {
			err = (int)n;
			break;
		}
		pthread_mutex_lock(&upper->lock);
		err = tmpfs_write_data(upper, buf, (size_t)n, (uint64_t)at);
		pthread_mutex_unlock(&upper->lock);
		if (err)
			break;
	}
	free(buf);
out:
	if (tmp.ops && tmp.ops->release)
		tmp.ops->release(&tmp);
	return err;
}

/* Linux: fs/overlayfs/copy_up.c.  vfs_lock held. */
static int copy_up(struct inode *inode)
{
	struct ovl_node *n = node(inode), *pn;
	struct inode *lower = n->lower, *up, *pu;
	struct new_node nn = { 0 };
	char target[4096];
	struct statx stx;
	int err;

	if (n->upper)
		return 0;
	err = copy_up(n->parent);
	if (err)
		return err;
	pn = node(n->parent);
	pu = pn->upper;
	/* Another overlay inode for the same name may have copied it up. */
	if (pu->ops->lookup(pu, n->name, &up) == 0) {
		if (!tmpfs_is_whiteout(up)) {
			__atomic_store_n(&n->upper, up, __ATOMIC_RELEASE);
			return 0;
		}
		inode_put(up);
	}
	err = lower->ops->getattr(lower, &stx);
	if (err)
		return err;
	nn.mode = stx.stx_mode;
	nn.uid = stx.stx_uid;
	nn.gid = stx.stx_gid;
	nn.rdev = makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
	if (S_ISLNK(nn.mode)) {
		long len = lower->ops->readlink(lower, NULL, target, sizeof(target) - 1);
		if (len < 0)
			return (int)len;
		target[len] = '\0';
		nn.target = target;
	}
	err = pu->ops->create(pu, n->name, &nn, &up);
	if (err)
		return err;
	if (S_ISREG(nn.mode) && stx.stx_size > 0)
		err = copy_data(lower, up);
	if (!err) {
		struct iattr ia = {
			.valid = ATTR_ATIME | ATTR_MTIME | ATTR_UID | ATTR_GID | ATTR_MODE,
			.mode = nn.mode & 07777, .uid = nn.uid, .gid = nn.gid,
			.atime = { stx.stx_atime.tv_sec, stx.stx_atime.tv_nsec },
			.mtime = { stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec },
		};
		err = up->ops->setattr(up, &ia);
	}
	if (err) {
		pu->ops->unlink(pu, n->name, up);
		inode_put(up);
		return err;
	}
	__atomic_store_n(&n->upper, up, __ATOMIC_RELEASE);
	return 0;
}

/* Removes a whiteout at name in upper dir du, if there is one; returns
 * whether there was. */
static bool remove_whiteout(struct inode *du, const char *name)
{
	struct inode *w;

	if (du->ops->lookup(du, name, &w) != 0)
		return false;
	bool was = tmpfs_is_whiteout(w);
	if (was)
		du->ops->unlink(du, name, w);
	inode_put(w);
	return was;
}

static int make_whiteout(struct inode *du, const char *name)
{
	struct new_node nn = { .mode = S_IFCHR, .rdev = 0 };
	struct inode *w;
	int err = du->ops->create(du, name, &nn, &w);

	if (!err)
		inode_put(w);
	return err;
}

static int ovl_create(struct inode *dir, const char *name, const struct new_node *nn,
		      struct inode **res)
{
	struct inode *du, *up;
	bool had_whiteout;
	int err = copy_up(dir);

	if (err)
		return err;
	du = node(dir)->upper;
	had_whiteout = remove_whiteout(du, name);
	err = du->ops->create(du, name, nn, &up);
	if (err) {
		if (had_whiteout)
			make_whiteout(du, name);
		return err;
	}
	if (S_ISDIR(nn->mode) && (had_whiteout || lower_has(dir, name)))
		tmpfs_set_opaque(up, true);
	*res = ovl_inode_new(dir->sb, dir, name, up, NULL);
	return *res ? 0 : -ENOMEM;
}

/* Linux 6.6+ (ovl_tmpfile): made in the upper layer, the directory
 * copied up first; the file has nothing below it. */
static int ovl_tmpfile(struct inode *dir, const struct new_node *nn, struct inode **res)
{
	struct inode *du, *up;
	int err = copy_up(dir);

	if (err)
		return err;
	du = node(dir)->upper;
	if (!du->ops->tmpfile)
		return -EOPNOTSUPP;
	err = du->ops->tmpfile(du, nn, &up);
	if (err)
		return err;
	*res = ovl_inode_new(dir->sb, dir, "", up, NULL);
	return *res ? 0 : -ENOMEM;
}

static int ovl_link(struct inode *dir, const char *name, struct inode *old)
{
	struct inode *du;
	int err;

	if (old->sb != dir->sb)
		return -EXDEV;
	if ((err = copy_up(old)) || (err = copy_up(dir)))
		return err;
	du = node(dir)->upper;
	remove_whiteout(du, name);
	return du->ops->link(du, name, node(old)->upper);
}

/* ---- merged directory contents ---- */

struct ovl_entry {
	char *name;
	uint64_t ino;
	unsigned char dtype;
};

struct ovl_dir {
	struct ovl_entry *e;
	size_t n, cap;
	bool built;
};

static int dir_add(struct ovl_dir *d, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ovl_entry *e = realloc(d->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		d->e = e;
		d->cap = cap;
	}
	d->e[d->n].name = strndup(name, len);
	if (!d->e[d->n].name)
		return -ENOMEM;
	d->e[d->n].ino = ino;
	d->e[d->n].dtype = (unsigned char)dtype;
	d->n++;
	return 0;
}

static void dir_free(struct ovl_dir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->e[i].name);
	free(d->e);
	memset(d, 0, sizeof(*d));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct merge {
	struct ovl_dir *d;
	char **hidden;            /* sorted names the upper layer has (incl. whiteouts) */
	size_t nhidden, cap;
	int err;
	struct dir_ctx ctx;
};

static void collect_upper(void *arg, const char *name, struct inode *inode)
{
	struct merge *m = arg;

	if (m->nhidden == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;
		char **h = realloc(m->hidden, cap * sizeof(*h));
		if (!h) {
			m->err = -ENOMEM;
			return;
		}
		m->hidden = h;
		m->cap = cap;
	}
	m->hidden[m->nhidden++] = (char *)name;
	if (!tmpfs_is_whiteout(inode) && !m->err)
		m->err = dir_add(m->d, name, strlen(name), inode->ino, mode_to_dtype(inode->mode));
}

static bool collect_lower(struct dir_ctx *ctx, const char *name, size_t len,
			  uint64_t ino, unsigned dtype)
{
	struct merge *m = container_of(ctx, struct merge, ctx);
	char key[256];

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	memcpy(key, name, MIN(len, sizeof(key) - 1));
	key[MIN(len, sizeof(key) - 1)] = '\0';
	char *k = key;
	if (m->nhidden && bsearch(&k, m->hidden, m->nhidden, sizeof(char *), cmp_names))
		return true;
	if (!m->err)
		m->err = dir_add(m->d, name, len, ino, dtype);
	return m->err == 0;
}

/* Builds the merged listing of dir (without "." and ".."). */
static int build_dir(struct inode *dir, struct ovl_dir *d)
{
	struct ovl_node *dn = node(dir);
	struct inode *up = __atomic_load_n(&dn->upper, __ATOMIC_ACQUIRE);
	struct merge m = { .d = d, .ctx.emit = collect_lower };

	if (up)
		tmpfs_for_each(up, collect_upper, &m);
	if (!m.err && dn->lower && !(up && tmpfs_opaque(up))) {
		struct file tmp = { .flags = O_RDONLY | O_DIRECTORY };
		if (m.nhidden)
			qsort(m.hidden, m.nhidden, sizeof(char *), cmp_names);
		m.err = dn->lower->ops->open(dn->lower, &tmp);
		if (!m.err) {
			int r = tmp.ops->readdir(&tmp, &m.ctx);
			if (r && !m.err)
				m.err = r;
		}
		if (tmp.ops && tmp.ops->release)
			tmp.ops->release(&tmp);
	}
	free(m.hidden);
	d->built = true;
	return m.err;
}

static bool merged_empty(struct inode *dir, int *err)
{
	struct ovl_dir d = { 0 };
	bool empty;

	*err = build_dir(dir, &d);
	empty = d.n == 0;
	dir_free(&d);
	return empty;
}

/* Removes the whiteouts left in an (otherwise empty) upper directory,
 * in batches of up to 64 names. */
struct whiteouts {
	char *names[64];
	size_t n;
};

static void collect_whiteout(void *arg, const char *name, struct inode *inode)
{
	struct whiteouts *w = arg;

	if (w->n < 64 && tmpfs_is_whiteout(inode))
		w->names[w->n++] = strdup(name);
}

static void purge_whiteouts(struct inode *du)
{
	struct whiteouts w;

	do {
		w.n = 0;
		tmpfs_for_each(du, collect_whiteout, &w);
		for (size_t i = 0; i < w.n; i++) {
			struct inode *wi;
			if (w.names[i] && du->ops->lookup(du, w.names[i], &wi) == 0) {
				du->ops->unlink(du, w.names[i], wi);
				inode_put(wi);
			}
			free(w.names[i]);
		}
	} while (w.n == 64);
}

static int ovl_unlink(struct inode *dir, const char *name, struct inode *victim)
{
	struct ovl_node *vn = node(victim);
	struct inode *du;
	int err = 0;

	if (S_ISDIR(victim->mode) && !merged_empty(victim, &err))
		return err ? err : -ENOTEMPTY;
	if (err)
		return err;
	if ((err = copy_up(dir)))
		return err;
	du = node(dir)->upper;
	bool below = lower_has(dir, name);
	if (vn->upper) {
		if (S_ISDIR(victim->mode))
			purge_whiteouts(vn->upper);
		err = du->ops->unlink(du, name, vn->upper);
		if (err)
			return err;
	}
	if (below)
		err = make_whiteout(du, name);
	return err;
}

/*
 * Copies a directory and everything below it up (vfs_lock held), for a
 * rename of a directory that exists below: Linux's overlayfs refuses
 * those with EXDEV unless redirect_dir is on; moat moves the tree instead,
 * so rename(2) works as it does on an ordinary file system.
 */
static int copy_up_tree(struct inode *dir)
{
	struct ovl_dir d = { 0 };
	int err = copy_up(dir);

	if (!err)
		err = build_dir(dir, &d);
	for (size_t i = 0; !err && i < d.n; i++) {
		struct inode *child;
		err = ovl_lookup(dir, d.e[i].name, &child);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (err)
			break;
		err = S_ISDIR(child->mode) ? copy_up_tree(child) : copy_up(child);
		inode_put(child);
	}
	dir_free(&d);
	return err;
}

static int ovl_rename(struct inode *odir, const char *oname, struct inode *src,
		      struct inode *ndir, const char *nname, struct inode *target,
		      unsigned flags)
{
	struct inode *odu, *ndu;
	bool src_below, dst_below;
	int err = 0;

	if (flags & RENAME_WHITEOUT)
		return -EINVAL;           /* as Linux's overlayfs */
	if (S_ISDIR(src->mode) && node(src)->lower && !(flags & RENAME_EXCHANGE)) {
		/* The whole tree moves up, so the upper copy stands alone
		 * (opaque) wherever it goes. */
		err = copy_up_tree(src);
		if (err)
			return err;
		tmpfs_set_opaque(node(src)->upper, true);
	}
	if ((flags & RENAME_EXCHANGE) && (node(src)->lower || node(target)->lower ||
					  lower_has(odir, oname) || lower_has(ndir, nname)))
		return -EXDEV;
	if (target && S_ISDIR(target->mode) && !(flags & RENAME_EXCHANGE)) {
		if (!merged_empty(target, &err))
			return err ? err : -ENOTEMPTY;
	}
	if ((err = copy_up(src)) || (err = copy_up(odir)) || (err = copy_up(ndir)))
		return err;
	odu = node(odir)->upper;
	ndu = node(ndir)->upper;
	src_below = lower_has(odir, oname);
	dst_below = lower_has(ndir, nname);
	if (target && node(target)->upper && S_ISDIR(target->mode))
		purge_whiteouts(node(target)->upper);
	if (!target)
		remove_whiteout(ndu, nname);
	err = odu->ops->rename(odu, oname, node(src)->upper, ndu, nname,
			       target ? node(target)->upper : NULL, flags);
	if (err)
		return err;
	if (S_ISDIR(src->mode) && dst_below)
		tmpfs_set_opaque(node(src)->upper, true);
	if (src_below && !(flags & RENAME_EXCHANGE))
		err = make_whiteout(odu, oname);
	/* The moved inode is known by its new name from now on. */
	char *name = strdup(nname);
	if (name) {
		struct ovl_node *sn = node(src);
		free(sn->name);
		sn->name = name;
		inode_get(ndir);
		inode_put(sn->parent);
		sn->parent = ndir;
	}
	return err;
}

/* ---- attributes and opening ---- */

static int ovl_getattr(struct inode *inode, struct statx *stx)
{
	struct ovl_node *n = node(inode);
	struct inode *up = __atomic_load_n(&n->upper, __ATOMIC_ACQUIRE);
	int err;

	if (!up)
		return n->lower->ops->getattr(n->lower, stx);
	if (n->lower && S_ISDIR(up->mode)) {
		/* A merged directory: the lower one's identity, link count and
		 * size, with the attributes changes go to (kept above). */
		struct statx ustx;
		err = n->lower->ops->getattr(n->lower, stx);
		if (!err)
			err = up->ops->getattr(up, &ustx);
		if (!err) {
			stx->stx_mode = ustx.stx_mode;
			stx->stx_uid = ustx.stx_uid;
			stx->stx_gid = ustx.stx_gid;
			stx->stx_atime = ustx.stx_atime;
			stx->stx_mtime = ustx.stx_mtime;
			stx->stx_ctime = ustx.stx_ctime;
		}
		return err;
	}
	err = up->ops->getattr(up, stx);
	if (!err && n->lower) {
		/* Keep the identity a copied-up file had below. */
		stx->stx_ino = n->lower->ino;
		stx->stx_dev_major = major(n->lower->sb->dev);
		stx->stx_dev_minor = minor(n->lower->sb->dev);
	}
	return err;
}

static int ovl_setattr(struct inode *inode, const struct iattr *ia)
{
	int err = copy_up(inode);

	if (err)
		return err;
	err = node(inode)->upper->ops->setattr(node(inode)->upper, ia);
	cache_attrs(inode);
	return err;
}

static long ovl_readlink(struct inode *inode, struct task *t, char *buf, size_t len)
{
	struct inode *top_inode = top(inode);
	return top_inode->ops->readlink(top_inode, t, buf, len);
}

/* df of the overlay: the room of the tree below (as Docker's overlay
 * shows its host disk), with the overlay's own type. */
static int ovl_statfs(struct inode *inode, struct statfs *sf)
{
	struct inode *lower = node(inode)->lower;
	int err;

	if (!lower || !lower->ops->statfs)
		return -ENOSYS;
	err = lower->ops->statfs(lower, sf);
	if (!err)
		sf->f_type = OVERLAYFS_SUPER_MAGIC;
	return err;
}

static int ovl_open(struct inode *inode, struct file *f)
{
	int err = 0;

	if (S_ISDIR(inode->mode)) {
		struct ovl_dir *d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		f->priv = d;
		f->ops = &ovl_dir_ops;
		return 0;
	}
	if ((f->flags & O_ACCMODE) != O_RDONLY || (f->flags & O_TRUNC)) {
		pthread_mutex_lock(&vfs_lock);
		err = copy_up(inode);
		pthread_mutex_unlock(&vfs_lock);
		if (err)
			return err;
	}
	struct inode *t = top(inode);
	return t->ops->open ? t->ops->open(t, f) : -ENXIO;
}

static void ovl_evict(struct inode *inode)
{
	struct ovl_node *n = node(inode);

	if (!n)
		return;
	inode_put(n->upper);
	inode_put(n->lower);
	inode_put(n->parent);
	free(n->name);
	free(n);
}

static const struct inode_ops ovl_inode_ops = {
	.lookup = ovl_lookup,
	.create = ovl_create,
	.link = ovl_link,
	.tmpfile = ovl_tmpfile,
	.unlink = ovl_unlink,
	.rename = ovl_rename,
	.getattr = ovl_getattr,
	.setattr = ovl_setattr,
	.readlink = ovl_readlink,
	.statfs = ovl_statfs,
	.open = ovl_open,
	.evict = ovl_evict,
};

/* getdents on a merged directory: a snapshot from offset 0, cookies are
 * indexes (0 and 1 are "." and ".."). */
static int ovl_readdir(struct file *f, struct dir_ctx *ctx)
{
	struct ovl_dir *d = f->priv;
	int err;

	if (ctx->pos == 0 || !d->built) {
		dir_free(d);
		err = build_dir(f->inode, d);
		if (err)
			return err;
	}
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, f->inode->ino, DT_DIR))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct inode *p = node(f->inode)->parent;
		if (!ctx->emit(ctx, "..", 2, p ? p->ino : f->inode->ino, DT_DIR))
			return 0;
		ctx->pos = 2;
	}
	for (; ctx->pos - 2 < d->n; ctx->pos++) {
		struct ovl_entry *e = &d->e[ctx->pos - 2];
		if (!ctx->emit(ctx, e->name, strlen(e->name), e->ino, e->dtype))
			return 0;
	}
	return 0;
}

static void ovl_dir_release(struct file *f)
{
	dir_free(f->priv);
	free(f->priv);
}

static int ovl_dir_fsync(struct file *f)
{
	(void)f;
	return 0;                 /* the upper layer lives in memory */
}

static const struct file_ops ovl_dir_ops = {
	.readdir = ovl_readdir,
	.lseek = generic_lseek,
	.fsync = ovl_dir_fsync,
	.release = ovl_dir_release,
};

struct super_block *overlay_new(struct dentry *upper, struct dentry *lower,
				struct dentry **root)
{
	struct super_block *sb = super_new("overlay", OVERLAYFS_SUPER_MAGIC);
	struct inode *inode;

	if (!sb)
		return NULL;
	struct statx stx;
	if (lower->inode->ops->getattr(lower->inode, &stx) == 0) {
		/* The upper root starts as a copy of the lower root's attributes. */
		struct iattr ia = {
			.valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME,
			.mode = stx.stx_mode & 07777, .uid = stx.stx_uid, .gid = stx.stx_gid,
			.atime = { stx.stx_atime.tv_sec, stx.stx_atime.tv_nsec },
			.mtime = { stx.stx_mtime.tv_sec, stx.stx_mtime.tv_nsec },
		};
		upper->inode->ops->setattr(upper->inode, &ia);
	}
	inode_get(upper->inode);
	inode_get(lower->inode);
	inode = ovl_inode_new(sb, NULL, "/", upper->inode, lower->inode);
	if (!inode) {
		super_put(sb);
		return NULL;
	}
	*root = dentry_new_root(inode);
	super_put(sb);            /* the root inode holds it now */
	return *root ? sb : NULL;
}
