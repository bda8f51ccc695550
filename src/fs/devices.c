/*
 * devices.c: the sentry's character devices, and devfs.
 *
 * A character device node anywhere (devfs, tmpfs, a host directory) opens
 * the sentry's implementation of its number, never a host device: null
 * (1:3), zero (1:5), full (1:7), random (1:8), urandom (1:9) and tty
 * (5:0, the controlling terminal: the sandbox's stdin when it is one).
 * devfs is a tmpfs populated with these nodes and the usual symlinks into
 * /proc/self/fd.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/util.h"

static long null_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	(void)f; (void)t; (void)buf; (void)len; (void)off;
	return 0;
}

static long null_write(struct file *f, struct task *t, const void *buf, size_t len, int64_t *off)
{
	(void)f; (void)t; (void)buf; (void)off;
	return (long)len;
}

static long zero_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	(void)f; (void)t; (void)off;
	memset(buf, 0, len);
	return (long)len;
}

static long full_write(struct file *f, struct task *t, const void *buf, size_t len, int64_t *off)
{
	(void)f; (void)t; (void)buf; (void)len; (void)off;
	return -ENOSPC;
}

static long random_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	size_t done = 0;

	(void)f; (void)t; (void)off;
	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done ? (long)done : -errno;
		}
		done += (size_t)n;
	}
	return (long)len;
}

static long dev_lseek(struct file *f, int64_t off, int whence)
{
	(void)off; (void)whence;
	f->pos = 0;               /* Linux: noop_llseek / null_lseek */
	return 0;
}

/* /dev/zero: mappings are anonymous memory, private or shared (Linux:
 * mmap_zero() and shmem_zero_setup()); mm_mmap makes a shared one its
 * own object of the mapping's size. */
static int zero_mmap(struct file *f, bool shared, struct memobj **obj, struct mm_file **mf)
{
	(void)f;
	(void)shared;
	(void)obj;
	(void)mf;
	return 0;
}

static const struct file_ops null_ops = {
	.read = null_read, .write = null_write, .lseek = dev_lseek, .discards_writes = true,
};
static const struct file_ops zero_ops = {
	.read = zero_read, .write = null_write, .lseek = dev_lseek, .mmap = zero_mmap,
	.discards_writes = true,
};
static const struct file_ops full_ops = {
	.read = zero_read, .write = full_write, .lseek = dev_lseek,
};
static const struct file_ops random_ops = {
	.read = random_read, .write = null_write, .lseek = dev_lseek,
};

int device_open(dev_t rdev, struct file *f)
{
	unsigned maj = major(rdev), min = minor(rdev);

	if (maj == 1) {
		switch (min) {
		case 3: f->ops = &null_ops; return 0;
		case 5: f->ops = &zero_ops; return 0;
		case 7: f->ops = &full_ops; return 0;
		case 8: case 9: f->ops = &random_ops; return 0;
		}
	}
	if (maj == 5 && min == 0 && isatty(0)) {
		/* The controlling terminal: the sandbox's stdin terminal. */
		struct file *tty = hostfd_file_new(0);
		if (!tty)
			return -ENOMEM;
		f->ops = tty->ops;
		f->priv = tty->priv;
		f->no_pos = true;
		tty->ops = NULL;      /* the host fd now belongs to f */
		file_put(tty);
		return 0;
	}
	return -ENXIO;
}

struct super_block *devfs_new(struct dentry **root)
{
	static const struct { const char *name; unsigned maj, min; } devs[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const struct { const char *name, *target; } links[] = {
		{ "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	struct super_block *sb = tmpfs_new(root, 0755);
	struct inode *dir, *inode;

	if (!sb)
		return NULL;
	sb->fstype = "devtmpfs";
	dir = (*root)->inode;
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		struct new_node nn = { .mode = S_IFCHR | 0666,
				       .rdev = makedev(devs[i].maj, devs[i].min) };
		if (dir->ops->create(dir, devs[i].name, &nn, &inode) == 0)
			inode_put(inode);
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		struct new_node nn = { .mode = S_IFLNK | 0777, .target = links[i].target };
		if (dir->ops->create(dir, links[i].name, &nn, &inode) == 0)
			inode_put(inode);
	}
	struct new_node shm = { .mode = S_IFDIR | 01777 };
	if (dir->ops->create(dir, "shm", &shm, &inode) == 0)
		inode_put(inode);
	struct new_node pts = { .mode = S_IFDIR | 0755 };
	if (dir->ops->create(dir, "pts", &pts, &inode) == 0)
		inode_put(inode);
	return sb;
}
