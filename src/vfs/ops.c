/*
 * ops.c: the work behind the path-based file syscalls (Linux: fs/namei.c
 * do_mkdirat, do_unlinkat, do_renameat2...; fs/open.c).
 *
 * Each vfs_* function resolves its path(s) with vfs_walk(), then takes
 * vfs_lock, looks up the last component, checks what Linux checks in the
 * order Linux checks it (so the error numbers agree), and calls the file
 * system's inode operation.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/sysmacros.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "util/util.h"

static bool path_readonly(const struct path *p)
{
	return (p->mnt->flags & MNT_RDONLY) || p->mnt->sb->readonly;
}

/* Linux: may_create()/may_delete() on the directory. */
static int may_modify_dir(const struct path *dir, const struct cred *cred)
{
	if (path_readonly(dir))
		return -EROFS;
	return inode_permission(dir->dentry->inode, MAY_WRITE | MAY_EXEC, cred);
}

/* Sticky directories: only the owner of the file or the dir may delete. */
static int check_sticky(struct inode *dir, struct inode *victim, const struct cred *cred)
{
	if (!(dir->mode & S_ISVTX) || CRED_CAP(cred, CRED_CAP_FOWNER))
		return 0;
	if (victim->uid == cred->uid || dir->uid == cred->uid)
		return 0;
	return -EPERM;
}

/* ---- open ---- */

static const struct file_ops path_file_ops;   /* O_PATH: no I/O at all */

int vfs_open_path(struct task *t, const struct path *p, int flags, struct file **out)
{
	struct inode *inode = p->dentry->inode;
	int acc = flags & O_ACCMODE, mask = 0, err;
	struct file *f;

	if (flags & O_PATH) {
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	} else {
		if (S_ISLNK(inode->mode))
			return -ELOOP;
		if (acc == O_RDONLY || acc == O_RDWR)
			mask |= MAY_READ;
		if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
			mask |= MAY_WRITE;
		if (acc == 3)
			mask |= MAY_READ | MAY_WRITE;
		if (S_ISDIR(inode->mode) && (mask & MAY_WRITE))
			return -EISDIR;
		err = (flags & O_CREAT) ? 0 : inode_permission(inode, mask, &t->cred);
		if (err)
			return err;
		if ((mask & MAY_WRITE) && path_readonly(p) &&
		    (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISLNK(inode->mode)))
			return -EROFS;
		if ((S_ISCHR(inode->mode) || S_ISBLK(inode->mode)) && (p->mnt->flags & MNT_NODEV))
			return -EACCES;
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode))
		return -ENOTDIR;

	f = file_new(NULL, (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) |
		     ((flags & O_PATH) ? 0 : K_O_LARGEFILE), NULL);
	if (!f)
		return -ENOMEM;
	f->path = *p;
	path_get(p);
	inode_get(inode);
	f->inode = inode;
	if (flags & O_PATH) {
		f->ops = &path_file_ops;
		*out = f;
		return 0;
	}
	if (S_ISCHR(inode->mode))
		err = device_open(inode->rdev, f);
	else if (S_ISFIFO(inode->mode))
		err = fifo_open(inode, f, t);
	else if (S_ISSOCK(inode->mode) || S_ISBLK(inode->mode))
		err = -ENXIO;
	else if (inode->ops->open)
		err = inode->ops->open(inode, f);
	else
		err = -ENXIO;
	if (err == 0) {
		/* Linux 6.8+: fsnotify_open() in do_dentry_open(), before
		 * handle_truncate(); IN_CLOSE_* follows even if that fails. */
		f->notify_close = true;
		fsnotify_file(f, IN_OPEN);
	}
	if (err == 0 && (flags & O_TRUNC) && S_ISREG(inode->mode)) {
		struct iattr ia = { .valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = 0 };
		clock_ts(CLOCK_REALTIME, &ia.mtime);
		err = inode->ops->setattr ? inode->ops->setattr(inode, &ia) : -EINVAL;
		if (err == 0)
			fsnotify_dentry(p->dentry, inode, IN_MODIFY, false);
	}
	if (err) {
		if (!f->ops)
			f->ops = &path_file_ops;
		file_put(f);
		return err;
	}
	*out = f;
	return 0;
}

/* A new regular file of t's: mode less the umask, t's IDs. */
static struct new_node regular_node(struct task *t, mode_t mode)
{
	return (struct new_node){ .mode = S_IFREG | (mode & 07777 & ~t->fs->umask),
				  .uid = t->cred.uid, .gid = t->cred.gid };
}

/* Creates (vfs_lock held) the negative dentry d in dir. */
static int create_locked(struct task *t, struct path *dir, struct dentry *d,
			 const struct new_node *nn)
{
	struct inode *dinode = dir->dentry->inode;
	struct inode *inode;
	int err = may_modify_dir(dir, &t->cred);

	if (err)
		return err;
	if (!dinode->ops->create)
		return -EPERM;
	err = dinode->ops->create(dinode, d->name, nn, &inode);
	if (err)
		return err;
	d_instantiate(d, inode);
	fsnotify_dirent(dinode, d->name, IN_CREATE | fsnotify_isdir(inode), 0);
	return 0;
}

/* Resolves the parent of path (from dirfd, or from start when it is set)
 * and looks up its last component (with vfs_lock held on success: the
 * caller unlocks). */
static int lookup_last_from(struct task *t, int dirfd, const struct path *start,
			    const char *path, unsigned wflags, struct walk_result *res,
			    struct dentry **d)
{
	int err = start ? vfs_walk_from(t, start, path, wflags | WALK_PARENT, res)
			: vfs_walk(t, dirfd, path, wflags | WALK_PARENT, res);

	if (err)
		return err;
	if (res->last_type != LAST_NORM) {
		path_put(&res->path);
		return 1;                 /* the caller picks the error */
	}
	pthread_mutex_lock(&vfs_lock);
	*d = d_lookup(res->path.dentry, res->last, &err);
	if (!*d) {
		path_put_locked(&res->path);
		pthread_mutex_unlock(&vfs_lock);
		return err;
	}
	return 0;
}

static int lookup_last(struct task *t, int dirfd, const char *path, unsigned wflags,
		       struct walk_result *res, struct dentry **d)
{
	return lookup_last_from(t, dirfd, NULL, path, wflags, res, d);
}

/*
 * open with O_CREAT.  An existing last component is opened as usual; a
 * dangling symlink there has its target created (Linux: open_last_lookups
 * follows it), unless O_EXCL or O_NOFOLLOW.  links counts the symlinks
 * followed so far.
 */
static int open_create(struct task *t, int dirfd, const struct path *start,
		       const char *path, int flags, mode_t mode, unsigned wflags,
		       int links, struct file **out)
{
	struct walk_result res;
	struct dentry *d;
	struct path p;
	int err = lookup_last_from(t, dirfd, start, path, wflags, &res, &d);

	if (err == 1)                     /* ".", "..", "/": they exist */
		return (flags & O_EXCL) ? -EEXIST : -EISDIR;
	if (err)
		return err;
	if (res.trailing_slash) {
		err = -EISDIR;
		goto out;
	}
	err = 0;
	if (d->mounted) {
		/* An existing mountpoint: open what is mounted there. */
		if (flags & O_EXCL)
			err = -EEXIST;
		goto out_reopen;
	}
	if (d->inode && S_ISLNK(d->inode->mode) && !(flags & (O_EXCL | O_NOFOLLOW)) &&
	    d->inode->ops->readlink && !d->inode->ops->get_link) {
		char target[PATH_MAX];
		long n = d->inode->ops->readlink(d->inode, t, target, sizeof(target) - 1);
		struct path dir = res.path;
		dput_locked(d);
		pthread_mutex_unlock(&vfs_lock);
		if (n <= 0 || links >= SYMLOOP_MAX || (wflags & WALK_NO_SYMLINKS)) {
			path_put(&dir);
			return n < 0 ? (int)n : n == 0 ? -ENOENT : -ELOOP;
		}
		target[n] = '\0';
		err = open_create(t, AT_FDCWD, &dir, target, flags, mode, wflags, links + 1, out);
		path_put(&dir);
		return err;
	}
	if (!d->inode) {
		struct new_node nn = regular_node(t, mode);
		err = create_locked(t, &res.path, d, &nn);
		if (err)
			goto out;
		p.mnt = res.path.mnt;
		p.dentry = d;
		path_get_locked(&p);
		dput_locked(d);
		path_put_locked(&res.path);
		pthread_mutex_unlock(&vfs_lock);
		/* A new file: its mode does not limit this open (Linux:
		 * do_open() with FMODE_CREATED). */
		err = vfs_open_path(t, &p, (flags & ~O_TRUNC) | O_CREAT, out);
		path_put(&p);
		return err;
	}
	if (flags & O_EXCL) {
		err = -EEXIST;
		goto out;
	}
	if (S_ISDIR(d->inode->mode)) {
		err = -EISDIR;
		goto out;
	}
out_reopen:
	p.mnt = res.path.mnt;
	p.dentry = d;
	if (err == 0 && !d->mounted && !S_ISLNK(d->inode->mode)) {
		/* It exists: open this very dentry. */
		path_get_locked(&p);
		dput_locked(d);
		path_put_locked(&res.path);
		pthread_mutex_unlock(&vfs_lock);
		err = vfs_open_path(t, &p, flags & ~O_CREAT, out);
		path_put(&p);
		return err;
	}
	dput_locked(d);
	path_put_locked(&res.path);
	pthread_mutex_unlock(&vfs_lock);
	if (err)
		return err;
	/* A mountpoint or a magic link: open it the ordinary way. */
	return start ? -ENOENT : vfs_open(t, dirfd, path, flags & ~O_CREAT, mode, wflags, out);
out:
	dput_locked(d);
	path_put_locked(&res.path);
	pthread_mutex_unlock(&vfs_lock);
	return err;
}

/* Linux: do_tmpfile() and vfs_tmpfile(). */
int vfs_open_tmpfile(struct task *t, int dirfd, const char *path, int flags, mode_t mode,
		     unsigned wflags, struct file **out)
{
	struct walk_result res;
	struct inode *dir, *inode;
	struct dentry *d;
	struct path p;
	char name[32];
	int err = vfs_walk(t, dirfd, path, wflags | WALK_FOLLOW | WALK_DIRECTORY, &res);

	if (err)
		return err;
	if (res.file) {
		file_put(res.file);
		path_put(&res.path);
		return -ENOTDIR;
	}
	dir = res.path.dentry->inode;
	if (!S_ISDIR(dir->mode))
		err = -ENOTDIR;
	else if (!(err = may_modify_dir(&res.path, &t->cred)) && !dir->ops->tmpfile)
		err = -EOPNOTSUPP;
	if (!err) {
		struct new_node nn = regular_node(t, mode);
		err = dir->ops->tmpfile(dir, &nn, &inode);
	}
	if (err) {
		path_put(&res.path);
		return err;
	}
	/* Linux names it "#ino" under the directory, already deleted. */
	snprintf(name, sizeof(name), "#%lu", (unsigned long)inode->ino);
	pthread_mutex_lock(&vfs_lock);
	inode->linkable = !(flags & O_EXCL);
	d = d_alloc_unhashed(res.path.dentry, name, inode);
	pthread_mutex_unlock(&vfs_lock);
	if (!d) {
		path_put(&res.path);
		return -ENOMEM;
	}
	p.mnt = res.path.mnt;
	p.dentry = d;
	path_get(&p);
	dput(d);
	path_put(&res.path);
	/* A new file: its mode does not limit this open. */
	err = vfs_open_path(t, &p, (flags & ~(O_TMPFILE | O_EXCL | O_TRUNC)) | O_CREAT, out);
	path_put(&p);
	return err;
}

int vfs_open(struct task *t, int dirfd, const char *path, int flags, mode_t mode,
	     unsigned wflags, struct file **out)
{
	struct walk_result res;
	int err;

	if ((flags & O_CREAT) && !(flags & O_PATH))
		return open_create(t, dirfd, NULL, path, flags, mode, wflags, 0, out);
	if (!(flags & O_NOFOLLOW))
		wflags |= WALK_FOLLOW;
	if (flags & O_DIRECTORY)
		wflags |= WALK_DIRECTORY;
	err = vfs_walk(t, dirfd, path, wflags, &res);
	if (err)
		return err;
	if (res.file) {
		/* /proc/self/fd/N of a pipe or host stdio: the same open
		 * file (Linux reopens the object; the data is the same). */
		path_put(&res.path);
		if ((flags & O_ACCMODE) != (res.file->flags & O_ACCMODE) &&
		    (res.file->flags & O_ACCMODE) != O_RDWR && !(flags & O_PATH)) {
			file_put(res.file);
			return -EACCES;
		}
		*out = res.file;
		return 0;
	}
	err = vfs_open_path(t, &res.path, flags, out);
	path_put(&res.path);
	return err;
}

/* ---- creating names ---- */

static int make_node(struct task *t, int dirfd, const char *path, struct new_node *nn)
{
	struct walk_result res;
	struct dentry *d;
	int err = lookup_last(t, dirfd, path, 0, &res, &d);

	if (err == 1)
		return -EEXIST;
	if (err)
		return err;
	if (d->inode) {
		err = -EEXIST;
	} else if (res.trailing_slash && !S_ISDIR(nn->mode)) {
		err = -ENOENT;
	} else {
		nn->uid = t->cred.uid;
		nn->gid = t->cred.gid;
		err = create_locked(t, &res.path, d, nn);
	}
	dput_locked(d);
	path_put_locked(&res.path);
	pthread_mutex_unlock(&vfs_lock);
	return err;
}

int vfs_mknod(struct task *t, int dirfd, const char *path, mode_t mode, dev_t rdev)
{
	struct new_node nn = { .mode = (mode & S_IFMT) | (mode & 07777 & ~t->fs->umask),
			       .rdev = rdev };

	/* Linux: vfs_mkdir() keeps the sticky bit, never set-ID bits. */
	if (S_ISDIR(mode))
		nn.mode = S_IFDIR | (mode & (0777 | S_ISVTX) & ~t->fs->umask);
	return make_node(t, dirfd, path, &nn);
}

int vfs_symlink(struct task *t, const char *target, int dirfd, const char *path)
{
	struct new_node nn = { .mode = S_IFLNK | 0777, .target = target };

	if (!target[0])
		return -ENOENT;
	return make_node(t, dirfd, path, &nn);
}

/* Linux (vfs_link): a file that lost its last name gets no new one
 * (linkat with AT_EMPTY_PATH on a descriptor), except an O_TMPFILE file
 * opened without O_EXCL, once. */
static int unnamed_unlinkable(struct inode *inode)
{
	struct statx stx;

	if (inode->linkable || !inode->ops->getattr || inode->ops->getattr(inode, &stx) != 0)
		return 0;
	return stx.stx_nlink == 0 ? -ENOENT : 0;
}

int vfs_link(struct task *t, int odirfd, const char *opath, int ndirfd,
	     const char *npath, unsigned wflags)
{
	struct walk_result old, res;
	struct dentry *d;
	struct inode *dir;
	int err = vfs_walk(t, odirfd, opath, wflags, &old);

	if (err)
		return err;
	err = lookup_last(t, ndirfd, npath, 0, &res, &d);
	if (err) {
		path_put(&old.path);
		return err == 1 ? -EEXIST : err;
	}
	dir = res.path.dentry->inode;
	if (d->inode)
		err = -EEXIST;
	else if (old.path.mnt != res.path.mnt)
		err = -EXDEV;
	else if (S_ISDIR(old.path.dentry->inode->mode))
		err = -EPERM;
	else if (res.trailing_slash)
		err = -ENOENT;
	else if (!(err = may_modify_dir(&res.path, &t->cred)) &&
		 !(err = unnamed_unlinkable(old.path.dentry->inode))) {
		err = dir->ops->link ? dir->ops->link(dir, d->name, old.path.dentry->inode) : -EPERM;
		if (!err) {
			old.path.dentry->inode->linkable = false;
			inode_get(old.path.dentry->inode);
			d_instantiate(d, old.path.dentry->inode);
			/* Linux: fsnotify_link(). */
			fsnotify_inode(old.path.dentry->inode, IN_ATTRIB);
			fsnotify_dirent(dir, d->name, IN_CREATE, 0);
		}
	}
	dput_locked(d);
	path_put_locked(&res.path);
	path_put_locked(&old.path);
	pthread_mutex_unlock(&vfs_lock);
	return err;
}

/* ---- removing names ---- */

int vfs_unlink(struct task *t, int dirfd, const char *path, bool rmdir)
{
	struct walk_result res;
	struct dentry *d;
	struct inode *dir, *victim;
	uint32_t isdir = 0;
	int err = lookup_last(t, dirfd, path, 0, &res, &d);

	if (err == 1) {
		if (!rmdir)
			return -EISDIR;
		return res.last_type == LAST_DOT ? -EINVAL :
		       res.last_type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
	}
	if (err)
		return err;
	dir = res.path.dentry->inode;
	victim = d->inode;
	if (!victim)
		err = -ENOENT;
	else if ((err = may_modify_dir(&res.path, &t->cred)))
		;
	else if ((err = check_sticky(dir, victim, &t->cred)))
		;
	else if (rmdir && !S_ISDIR(victim->mode))
		err = -ENOTDIR;
	else if (!rmdir && S_ISDIR(victim->mode))
		err = -EISDIR;
	else if (!rmdir && res.trailing_slash)
		err = -ENOTDIR;
	else if (d->mounted)
		err = -EBUSY;
	else if (!dir->ops->unlink)
		err = -EPERM;
	else {
		bool last = fsnotify_last_name(victim);
		err = dir->ops->unlink(dir, d->name, victim);
		if (!err) {
			/* Linux: vfs_unlink()'s fsnotify_link_count() and
			 * d_delete_notify(): IN_ATTRIB, then IN_DELETE_SELF
			 * when the dentry goes (at the dput below unless
			 * the file is still open), then IN_DELETE. */
			if (!rmdir)
				fsnotify_inode(victim, IN_ATTRIB);
			fsnotify_unlinked(victim, last);
			isdir = fsnotify_isdir(victim);
			d_drop(d);
		}
	}
	dput_locked(d);
	if (!err)
		fsnotify_dirent(dir, res.last, IN_DELETE | isdir, 0);
	path_put_locked(&res.path);
	pthread_mutex_unlock(&vfs_lock);
	return err;
}

/*
 * Linux: fsnotify_move(): moved went from odir/oname to ndir/nname, over
 * target (NULL: none, or an exchange).  One cookie pairs IN_MOVED_FROM
 * with IN_MOVED_TO.  vfs_lock held.
 */
static void notify_move(struct inode *odir, const char *oname, struct inode *ndir,
			const char *nname, struct inode *moved, struct inode *target)
{
	uint32_t cookie, isdir = fsnotify_isdir(moved);

	if (!fsnotify_active())
		return;
	cookie = inotify_next_cookie();
	fsnotify_dirent(odir, oname, IN_MOVED_FROM | isdir, cookie);
	fsnotify_dirent(ndir, nname, IN_MOVED_TO | isdir, cookie);
	if (target)
		fsnotify_inode(target, IN_ATTRIB);
	fsnotify_inode(moved, IN_MOVE_SELF);
}

/* Is d (the same as or) below anc? */
static bool is_subdir(struct dentry *d, struct dentry *anc)
{
	for (; d; d = d->parent)
		if (d == anc)
			return true;
	return false;
}

int vfs_rename(struct task *t, int odirfd, const char *opath, int ndirfd,
	       const char *npath, unsigned flags)
{
	struct walk_result o, n;
	struct dentry *od = NULL, *nd = NULL;
	struct inode *odir, *ndir;
	bool target_last = false;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_WHITEOUT) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	/* Linux (do_renameat2): a whiteout is a device node. */
	if ((flags & RENAME_WHITEOUT) && !CRED_CAP(&t->cred, CAP_MKNOD))
		return -EPERM;
	err = vfs_walk(t, odirfd, opath, WALK_PARENT, &o);
	if (err)
		return err;
	err = vfs_walk(t, ndirfd, npath, WALK_PARENT, &n);
	if (err) {
		path_put(&o.path);
		return err;
	}
	pthread_mutex_lock(&vfs_lock);
	if (o.path.mnt != n.path.mnt) {
		err = -EXDEV;
		goto out;
	}
	if (o.last_type != LAST_NORM || n.last_type != LAST_NORM) {
		err = o.last_type == LAST_NORM && n.last_type == LAST_NORM ? 0 : -EBUSY;
		if (o.last_type == LAST_DOT || n.last_type == LAST_DOT ||
		    o.last_type == LAST_DOTDOT || n.last_type == LAST_DOTDOT)
			err = -EBUSY;
		goto out;
	}
	if ((err = may_modify_dir(&o.path, &t->cred)) ||
	    (err = may_modify_dir(&n.path, &t->cred)))
		goto out;
	od = d_lookup(o.path.dentry, o.last, &err);
	if (!od)
		goto out;
	if (!od->inode) {
		err = -ENOENT;
		goto out;
	}
	nd = d_lookup(n.path.dentry, n.last, &err);
	if (!nd)
		goto out;
	odir = o.path.dentry->inode;
	ndir = n.path.dentry->inode;
	err = 0;
	if (flags & RENAME_EXCHANGE) {
		if (!nd->inode)
			err = -ENOENT;
	} else if ((flags & RENAME_NOREPLACE) && nd->inode) {
		err = -EEXIST;
	}
	if (err)
		goto out;
	if ((o.trailing_slash || n.trailing_slash) && !S_ISDIR(od->inode->mode)) {
		err = -ENOTDIR;
		goto out;
	}
	if (od->inode == nd->inode)
		goto out;                 /* the same file: nothing to do */
	if (nd->inode && !(flags & RENAME_EXCHANGE)) {
		if (S_ISDIR(od->inode->mode) && !S_ISDIR(nd->inode->mode))
			err = -ENOTDIR;
		else if (!S_ISDIR(od->inode->mode) && S_ISDIR(nd->inode->mode))
			err = -EISDIR;
	}
	if (!err && S_ISDIR(od->inode->mode) && is_subdir(n.path.dentry, od))
		err = -EINVAL;            /* into itself */
	if (!err && nd->inode && S_ISDIR(nd->inode->mode) && is_subdir(o.path.dentry, nd))
		err = (flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
	if (!err && (od->mounted || nd->mounted))
		err = -EBUSY;
	if (!err)
		err = check_sticky(odir, od->inode, &t->cred);
	if (!err && nd->inode)
		err = check_sticky(ndir, nd->inode, &t->cred);
	if (err)
		goto out;
	target_last = nd->inode && !(flags & RENAME_EXCHANGE) && fsnotify_last_name(nd->inode);
	err = odir->ops->rename ? odir->ops->rename(odir, od->name, od->inode, ndir, nd->name,
					    nd->inode, flags)
				: -EPERM;
	if (err)
		goto out;
	if (flags & RENAME_EXCHANGE) {
		char *oname = strdup(od->name);
		struct dentry *oparent = od->parent;
		dget_locked(oparent);
		d_move(od, nd->parent, nd->name);
		if (oname)
			d_move(nd, oparent, oname);
		else
			d_drop(nd);
		dput_locked(oparent);
		free(oname);
	} else {
		d_drop(nd);
		d_move(od, n.path.dentry, n.last);
	}
	if (flags & RENAME_EXCHANGE) {
		notify_move(odir, o.last, ndir, n.last, od->inode, NULL);
		notify_move(ndir, n.last, odir, o.last, nd->inode, NULL);
	} else {
		notify_move(odir, o.last, ndir, n.last, od->inode, nd->inode);
		if (nd->inode)
			fsnotify_unlinked(nd->inode, target_last);
	}
out:
	if (od)
		dput_locked(od);
	if (nd)
		dput_locked(nd);
	path_put_locked(&o.path);
	path_put_locked(&n.path);
	pthread_mutex_unlock(&vfs_lock);
	return err;
}

/* ---- attributes ---- */

/* The inode an empty path with AT_EMPTY_PATH names: the dirfd's file. */
static int empty_path_inode(struct task *t, int dirfd, struct path *p, struct inode **inode)
{
	if (dirfd == AT_FDCWD) {
		fs_context_get_cwd(t->fs, p);
		*inode = p->dentry->inode;
		inode_get(*inode);
		return 0;
	}
	struct file *f = fdtable_get(t->fdt, dirfd);
	if (!f)
		return -EBADF;
	*p = f->path;
	if (p->dentry)
		path_get(p);
	*inode = f->inode;
	inode_get(*inode);
	file_put(f);
	return 0;
}

static int resolve_inode(struct task *t, int dirfd, const char *path, unsigned wflags,
			 struct path *p, struct inode **inode)
{
	struct walk_result res;
	int err;

	if (!path[0] && (wflags & WALK_EMPTY))
		return empty_path_inode(t, dirfd, p, inode);
	err = vfs_walk(t, dirfd, path, wflags, &res);
	if (err)
		return err;
	*p = res.path;
	if (res.file) {
		*inode = res.file->inode;
		inode_get(*inode);
		file_put(res.file);
		return 0;
	}
	*inode = p->dentry->inode;
	inode_get(*inode);
	return 0;
}

int vfs_stat(struct task *t, int dirfd, const char *path, unsigned wflags,
	     struct statx *stx)
{
	struct path p = { 0 };
	struct inode *inode;
	int err = resolve_inode(t, dirfd, path, wflags, &p, &inode);

	if (err)
		return err;
	err = vfs_getattr(inode, stx);
	inode_put(inode);
	path_put(&p);
	return err;
}

/* Linux: fsnotify_change(): what a change of attributes reports. */
static uint32_t setattr_events(unsigned valid)
{
	uint32_t mask = 0;

	if (valid & (ATTR_UID | ATTR_GID | ATTR_MODE))
		mask |= IN_ATTRIB;
	if (valid & ATTR_SIZE)
		mask |= IN_MODIFY;
	/* Both times: a utimes() call. */
	if ((valid & (ATTR_ATIME | ATTR_MTIME)) == (ATTR_ATIME | ATTR_MTIME))
		mask |= IN_ATTRIB;
	else if (valid & ATTR_ATIME)
		mask |= IN_ACCESS;
	else if (valid & ATTR_MTIME)
		mask |= IN_MODIFY;
	return mask;
}

int vfs_setattr(struct path *p, struct inode *inode, struct iattr *ia,
		const struct cred *cred)
{
	uint32_t mask;
	int err;

	if (p && p->mnt && path_readonly(p))
		return -EROFS;
	/* Linux: chown_ok, chgrp_ok and inode_owner_or_capable. */
	if ((ia->valid & (ATTR_UID | ATTR_GID)) && !CRED_CAP(cred, CRED_CAP_CHOWN)) {
		if ((ia->valid & ATTR_UID) && (ia->uid != inode->uid || cred->uid != inode->uid))
			return -EPERM;
		if ((ia->valid & ATTR_GID) && (cred->uid != inode->uid ||
		    (ia->gid != inode->gid && !cred_in_group(cred, ia->gid))))
			return -EPERM;
	}
	if ((ia->valid & ATTR_MODE) && !(ia->valid & (ATTR_UID | ATTR_GID)) &&
	    cred->uid != inode->uid && !CRED_CAP(cred, CRED_CAP_FOWNER))
		return -EPERM;
	if (ia->valid & ATTR_SIZE) {
		if (S_ISDIR(inode->mode))
			return -EISDIR;
		if (!S_ISREG(inode->mode))
			return -EINVAL;
	}
	/* chown clears set-user-ID and (group-executable) set-group-ID. */
	if ((ia->valid & (ATTR_UID | ATTR_GID | ATTR_KILL_SUID)) && !(ia->valid & ATTR_MODE) &&
	    !S_ISDIR(inode->mode) && (inode->mode & (S_ISUID | S_ISGID))) {
		ia->valid |= ATTR_MODE;
		ia->mode = inode->mode & 07777 & ~S_ISUID;
		if (inode->mode & S_IXGRP)
			ia->mode &= ~S_ISGID;
	}
	if (!inode->ops->setattr)
		return -EPERM;
	if (!(ia->valid & ATTR_CTIME)) {
		ia->valid |= ATTR_CTIME;
	}
	pthread_mutex_lock(&vfs_lock);
	err = inode->ops->setattr(inode, ia);
	if (!err && (mask = setattr_events(ia->valid)))
		fsnotify_dentry(p && p->dentry && p->dentry->inode == inode ? p->dentry : NULL,
				inode, mask, true);
	pthread_mutex_unlock(&vfs_lock);
	return err;
}

int vfs_setattr_path(struct task *t, int dirfd, const char *path, unsigned wflags,
		     struct iattr *ia)
{
	struct path p = { 0 };
	struct inode *inode;
	int err = resolve_inode(t, dirfd, path, wflags, &p, &inode);

	if (err)
		return err;
	if ((ia->valid & ATTR_SIZE) && !err)
		err = inode_permission(inode, MAY_WRITE, &t->cred);
	if (!err)
		err = vfs_setattr(p.dentry ? &p : NULL, inode, ia, &t->cred);
	inode_put(inode);
	path_put(&p);
	return err;
}

long vfs_readlink(struct task *t, int dirfd, const char *path, char *buf, size_t len)
{
	struct path p = { 0 };
	struct inode *inode;
	long err = resolve_inode(t, dirfd, path, WALK_EMPTY, &p, &inode);

	if (err)
		return err;
	if (!S_ISLNK(inode->mode))
		err = path[0] ? -EINVAL : -ENOENT;   /* Linux: do_readlinkat() */
	else if (inode->ops->get_link) {
		/* procfs magic links read as the path they lead to. */
		struct path target = { 0 }, root;
		struct file *file = NULL;
		pthread_mutex_lock(&vfs_lock);
		err = inode->ops->get_link(inode, t, &target, &file);
		pthread_mutex_unlock(&vfs_lock);
		if (!err && file) {
			file_put(file);
			err = inode->ops->readlink ? inode->ops->readlink(inode, t, buf, len) : -EINVAL;
		} else if (!err) {
			char *tmp = malloc(PATH_MAX);
			fs_context_get_root(t->fs, &root);
			err = tmp ? vfs_path_name(&root, &target, tmp, PATH_MAX) : -ENOMEM;
			if (err >= 0) {
				err = MIN((size_t)err, len);
				memcpy(buf, tmp, (size_t)err);
			}
			free(tmp);
			path_put(&root);
			path_put(&target);
		}
	} else if (inode->ops->readlink)
		err = inode->ops->readlink(inode, t, buf, len);
	else
		err = -EINVAL;
	inode_put(inode);
	path_put(&p);
	return err;
}

int vfs_access(struct task *t, int dirfd, const char *path, int mode, unsigned wflags)
{
	struct path p = { 0 };
	struct inode *inode;
	int err = resolve_inode(t, dirfd, path, wflags, &p, &inode);

	if (err)
		return err;
	if ((mode & W_OK) && p.mnt && path_readonly(&p) &&
	    (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISLNK(inode->mode)))
		err = -EROFS;
	else
		err = inode_permission(inode, ((mode & R_OK) ? MAY_READ : 0) |
				       ((mode & W_OK) ? MAY_WRITE : 0) |
				       ((mode & X_OK) ? MAY_EXEC : 0), &t->cred);
	inode_put(inode);
	path_put(&p);
	return err;
}

int vfs_truncate_file(struct file *f, int64_t len)
{
	struct iattr ia = { .valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = (uint64_t)len };
	struct cred root = { .caps = ~0ULL };

	clock_ts(CLOCK_REALTIME, &ia.mtime);
	return vfs_setattr(f->path.dentry ? &f->path : NULL, f->inode, &ia, &root);
}

void file_name_mapping(struct task *t, struct file *f, struct mm_file *mf)
{
	struct path root;
	char *buf;
	struct statx stx;

	if (!f->path.dentry || !(buf = malloc(PATH_MAX)))
		return;
	fs_context_get_root(t->fs, &root);
	if (vfs_path_name(&root, &f->path, buf, PATH_MAX) >= 0 && vfs_getattr(f->inode, &stx) == 0)
		mm_file_set_name(mf, buf, makedev(stx.stx_dev_major, stx.stx_dev_minor), stx.stx_ino);
	path_put(&root);
	free(buf);
}
