/*
 * rootfs.c: assembles the sandbox's file system tree.
 *
 *   /          the host's / (or --root DIR): by default a read-only hostfs
 *              under an in-memory tmpfs upper layer (overlay), so programs
 *              may write anywhere and the host sees nothing; with --rw, the
 *              host directory itself, writable
 *   /proc      procfs            /dev      devfs
 *   /dev/shm   tmpfs             /tmp      writable, in memory: the overlay's
 *                                          upper layer, or with --rw a tmpfs
 *   --mount HOST:SANDBOX[:ro]    host directories bound in, writable
 *                                unless :ro
 *
 * A mountpoint the root lacks is made as a directory in the overlay's
 * upper layer (never on the host).
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

/* Finds (or, on a writable root, makes) the directory at path below root. */
static int mountpoint(struct path *root, const char *path, struct path *out)
{
	struct path cur = *root;
	char buf[4096], *save = NULL;
	int err = 0;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	path_get(&cur);
	pthread_mutex_lock(&vfs_lock);
	for (char *name = strtok_r(buf, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		struct dentry *d = d_lookup(cur.dentry, name, &err);
		if (!d)
			break;
		if (!d->inode) {
			struct inode *dir = cur.dentry->inode, *inode;
			struct new_node nn = { .mode = S_IFDIR | 0755 };
			err = (cur.mnt->flags & MNT_RDONLY) || !dir->ops->create ? -EROFS
			      : dir->ops->create(dir, name, &nn, &inode);
			if (err) {
				dput_locked(d);
				break;
			}
			d_instantiate(d, inode);
		}
		struct mount *m;
		struct path next = { cur.mnt, d };
		while ((m = mount_lookup(next.mnt, next.dentry))) {
			next.mnt = m;
			next.dentry = m->root;
		}
		path_get_locked(&next);
		dput_locked(d);
		path_put_locked(&cur);
		cur = next;
		if (!S_ISDIR(cur.dentry->inode->mode)) {
			err = -ENOTDIR;
			break;
		}
	}
	pthread_mutex_unlock(&vfs_lock);
	if (err) {
		path_put(&cur);
		return err;
	}
	*out = cur;
	return 0;
}

static int mount_at(struct path *root, const char *where, struct dentry *fsroot,
		    int flags, const char *source)
{
	struct path mp;
	int err = mountpoint(root, where, &mp);

	if (err) {
		moat_log("cannot mount %s on %s: %s", source, where, strerror(-err));
		dput(fsroot);
		return err;
	}
	err = vfs_mount(&mp, fsroot, flags, source, NULL);
	dput(fsroot);
	path_put(&mp);
	return err;
}

int rootfs_setup(const struct rootfs_config *cfg, struct path *root)
{
	const char *host_root = cfg->root ? cfg->root : "/";
	struct dentry *lower, *upper, *top, *d;
	struct mount *m;
	int fd, err;

	fd = open(host_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!hostfs_new(fd, !cfg->rw, &lower))
		return -ENOMEM;
	if (cfg->rw) {
		top = lower;
	} else {
		if (!tmpfs_new(&upper, 0755) || !overlay_new(upper, lower, &top))
			return -ENOMEM;
		dput(upper);
		dput(lower);
	}
	err = vfs_mount(NULL, top, 0, cfg->rw ? host_root : "overlay", &m);
	dput(top);
	if (err)
		return err;
	root->mnt = m;
	root->dentry = m->root;
	path_get(root);

	if (procfs_new(&d))
		mount_at(root, "/proc", d, MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, "proc");
	if (devfs_new(&d))
		mount_at(root, "/dev", d, MNT_NOSUID, "devtmpfs");
	if (tmpfs_new(&d, 01777))
		mount_at(root, "/dev/shm", d, MNT_NOSUID | MNT_NODEV, "tmpfs");
	/* /tmp is writable and in memory either way: the overlay's upper
	 * layer already is (and keeps the host's files visible below); a
	 * --rw root gets a tmpfs. */
	if (cfg->rw && tmpfs_new(&d, 01777))
		mount_at(root, "/tmp", d, MNT_NOSUID | MNT_NODEV, "tmpfs");
	for (int i = 0; i < cfg->nbinds; i++) {
		const struct bind_mount *b = &cfg->binds[i];
		fd = open(b->host, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (!hostfs_new(fd, b->readonly, &d))
			return -ENOMEM;
		err = mount_at(root, b->sandbox, d, b->readonly ? MNT_RDONLY : 0, b->host);
		if (err)
			return err;
	}
	return 0;
}
