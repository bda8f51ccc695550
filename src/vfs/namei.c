/*
 * namei.c: path resolution.  Linux: fs/namei.c.
 *
 * vfs_walk() resolves an application path one component at a time from
 * the task's root, its cwd or a dirfd, entirely in the sentry: "." and
 * ".." (which never climb above the task's root, and cross mounts
 * upwards), mounts stacked on dentries (crossed downwards), and symlinks,
 * whose targets the sentry reads and splices in front of the rest of the
 * path, at most SYMLOOP_MAX (40) of them per walk.  Magic links of procfs
 * jump to the path they name.  openat2's RESOLVE_* flags restrict all
 * of this.  The whole walk runs under vfs_lock.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "util/util.h"

/* Longest path left to resolve after splicing in symlink targets. */
#define WALK_BUF_MAX (64 * 1024)

struct walk {
	struct path root;         /* ".." stops here; absolute symlinks start here */
	struct path cur;
	unsigned flags;
	int links;
	const struct cred *cred;
};

static void set_path(struct path *dst, struct mount *mnt, struct dentry *d)
{
	struct path old = *dst;

	dst->mnt = mnt;
	dst->dentry = d;
	path_get_locked(dst);
	path_put_locked(&old);
}

/* Linux: follow_dotdot(). */
static int walk_dotdot(struct walk *w)
{
	for (;;) {
		if (w->cur.mnt == w->root.mnt && w->cur.dentry == w->root.dentry)
			return (w->flags & WALK_BENEATH) ? -EXDEV : 0;
		if (w->cur.dentry == w->cur.mnt->root) {
			if (!w->cur.mnt->parent)
				return 0;
			if (w->flags & WALK_NO_XDEV)
				return -EXDEV;
			set_path(&w->cur, w->cur.mnt->parent, w->cur.mnt->mountpoint);
			continue;
		}
		set_path(&w->cur, w->cur.mnt, w->cur.dentry->parent);
		return 0;
	}
}

/* Crosses the mounts stacked on (mnt, d) into *out (referenced). */
static int cross_mounts(struct walk *w, struct mount *mnt, struct dentry *d,
			struct path *out)
{
	struct mount *m;

	out->mnt = mnt;
	out->dentry = d;
	while ((m = mount_lookup(out->mnt, out->dentry))) {
		if (w->flags & WALK_NO_XDEV)
			return -EXDEV;
		out->mnt = m;
		out->dentry = m->root;
	}
	path_get_locked(out);
	return 0;
}

/*
 * Replaces the unresolved rest of the path with target + "/" + rest.
 * *buf is reallocated; *p points at the new start.
 */
static int splice_link(char **buf, char **p, const char *target, size_t tlen)
{
	size_t rlen = strlen(*p);
	char *nb;

	if (tlen + 1 + rlen + 1 > WALK_BUF_MAX)
		return -ENAMETOOLONG;
	nb = malloc(tlen + 1 + rlen + 1);
	if (!nb)
		return -ENOMEM;
	memcpy(nb, target, tlen);
	if (rlen) {
		nb[tlen] = '/';
		memcpy(nb + tlen + 1, *p, rlen + 1);
	} else {
		nb[tlen] = '\0';   /* no '/': it would read as a trailing slash */
	}
	free(*buf);
	*buf = nb;
	*p = nb;
	return 0;
}

/* Returns 0, 1 when the link led to a pathless file (*magic_file), or
 * -errno. */
static int follow_link(struct walk *w, struct task *t, struct path *link,
		       char **buf, char **p, struct file **magic_file)
{
	struct inode *inode = link->dentry->inode;
	char target[PATH_MAX];
	long n;

	if (w->flags & WALK_NO_SYMLINKS)
		return -ELOOP;
	if (++w->links > SYMLOOP_MAX)
		return -ELOOP;
	if (inode->ops->get_link) {
		struct path target = { 0 };
		struct file *file = NULL;
		if (w->flags & WALK_NO_MAGICLINKS)
			return -ELOOP;
		int err = inode->ops->get_link(inode, t, &target, &file);
		if (err)
			return err;
		if (file) {
			/* Only a last component can lead to a pathless file. */
			if (**p) {
				file_put(file);
				return -ENOTDIR;
			}
			*magic_file = file;
			return 1;
		}
		struct path old = w->cur;
		w->cur = target;          /* get_link returned references */
		path_put_locked(&old);
		return 0;
	}
	if (!inode->ops->readlink)
		return -EINVAL;
	n = inode->ops->readlink(inode, t, target, sizeof(target));
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	if (target[0] == '/') {
		if (w->flags & WALK_BENEATH)
			return -EXDEV;
		set_path(&w->cur, w->root.mnt, w->root.dentry);
	}
	return splice_link(buf, p, target, (size_t)n);
}

static int start_path(struct task *t, int dirfd, const struct path *start,
		      const char *path, unsigned flags, struct walk *w)
{
	fs_context_get_root(t->fs, &w->root);
	if (path[0] == '/' && !(flags & (WALK_BENEATH | WALK_IN_ROOT))) {
		w->cur = w->root;
		path_get(&w->cur);
		return 0;
	}
	if (start) {
		w->cur = *start;
		path_get(&w->cur);
	} else if (dirfd == AT_FDCWD) {
		fs_context_get_cwd(t->fs, &w->cur);
	} else {
		struct file *f = fdtable_get(t->fdt, dirfd);
		if (!f)
			return -EBADF;
		if (!f->path.dentry) {
			file_put(f);
			return -ENOTDIR;
		}
		w->cur = f->path;
		path_get(&w->cur);
		file_put(f);
		if (path[0] && !S_ISDIR(w->cur.dentry->inode->mode))
			return -ENOTDIR;
	}
	if (flags & (WALK_BENEATH | WALK_IN_ROOT)) {
		if (path[0] == '/' && (flags & WALK_BENEATH))
			return -EXDEV;
		path_put(&w->root);
		w->root = w->cur;
		path_get(&w->root);
	}
	return 0;
}

static int walk_common(struct task *t, int dirfd, const struct path *start,
		       const char *path, unsigned flags, struct walk_result *res)
{
	struct walk w = { .flags = flags, .cred = &t->cred };
	char *buf = NULL, *p;
	int err;

	memset(res, 0, sizeof(*res));
	if (!path[0] && !(flags & WALK_EMPTY))
		return -ENOENT;
	err = start_path(t, dirfd, start, path, flags, &w);
	if (err)
		goto out_nolock;
	buf = strdup(path);
	if (!buf) {
		err = -ENOMEM;
		goto out_nolock;
	}
	p = buf;
	res->last_type = LAST_ROOT;
	pthread_mutex_lock(&vfs_lock);
	for (;;) {
		char *name, *end;
		struct dentry *child;
		struct path next;
		bool last, slash;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		name = p;
		end = strchrnul(p, '/');
		slash = *end == '/';
		p = end;
		while (*p == '/')
			p++;
		last = !*p;
		if (end - name > NAME_MAX) {
			err = -ENAMETOOLONG;
			goto out;
		}
		*end = '\0';
		if (last && slash)
			res->trailing_slash = true;
		if (!S_ISDIR(w.cur.dentry->inode->mode)) {
			err = -ENOTDIR;
			goto out;
		}
		if (last && (flags & WALK_PARENT)) {
			strcpy(res->last, name);
			res->last_type = !strcmp(name, ".") ? LAST_DOT :
					 !strcmp(name, "..") ? LAST_DOTDOT : LAST_NORM;
			break;
		}
		err = inode_permission(w.cur.dentry->inode, MAY_EXEC, w.cred);
		if (err)
			goto out;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			err = walk_dotdot(&w);
			if (err)
				goto out;
			continue;
		}
		child = d_lookup(w.cur.dentry, name, &err);
		if (!child)
			goto out;
		err = cross_mounts(&w, w.cur.mnt, child, &next);
		dput_locked(child);
		if (err)
			goto out;
		if (!next.dentry->inode) {
			if (last && (flags & WALK_NEGATIVE)) {
				path_put_locked(&w.cur);
				w.cur = next;
				break;
			}
			path_put_locked(&next);
			err = -ENOENT;
			goto out;
		}
		if (S_ISLNK(next.dentry->inode->mode) &&
		    (!last || slash || (flags & WALK_FOLLOW))) {
			err = follow_link(&w, t, &next, &buf, &p, &res->file);
			if (err == 1) {
				/* The result is the link itself, with the file. */
				path_put_locked(&w.cur);
				w.cur = next;
				err = 0;
				goto out;
			}
			path_put_locked(&next);
			if (err)
				goto out;
			continue;
		}
		path_put_locked(&w.cur);
		w.cur = next;
	}
	err = 0;
	if (w.cur.dentry->inode && !(flags & WALK_PARENT) &&
	    ((flags & WALK_DIRECTORY) || res->trailing_slash) &&
	    !S_ISDIR(w.cur.dentry->inode->mode))
		err = -ENOTDIR;
out:
	if (err == 0) {
		res->path = w.cur;
		w.cur.mnt = NULL;
		w.cur.dentry = NULL;
	}
	path_put_locked(&w.cur);
	path_put_locked(&w.root);
	pthread_mutex_unlock(&vfs_lock);
	free(buf);
	return err;
out_nolock:
	path_put(&w.cur);
	path_put(&w.root);
	return err;
}

int vfs_walk(struct task *t, int dirfd, const char *path, unsigned flags,
	     struct walk_result *res)
{
	return walk_common(t, dirfd, NULL, path, flags, res);
}

int vfs_walk_from(struct task *t, const struct path *start, const char *path,
		  unsigned flags, struct walk_result *res)
{
	return walk_common(t, AT_FDCWD, start, path, flags, res);
}
