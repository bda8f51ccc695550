/*
 * vfs_test.c: the overlay over a real host directory, driven through the
 * inode operations and the dentry cache directly (no tasks): lookups
 * through both layers, copy-up keeping data and attributes, whiteouts,
 * opaque directories, merged listings, directory renames, and the dentry
 * cache's bound on unused dentries (and so on host descriptors).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mm/memobj.h"
#include "pgalloc/pgalloc.h"
#include "unit.h"
#include "util/util.h"
#include "vfs/vfs.h"

static char host[64];

static void host_file(const char *name, const char *data)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", host, name);
	FILE *f = fopen(path, "w");
	fputs(data, f);
	fclose(f);
}

static bool host_exists(const char *name)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", host, name);
	return lstat(path, &st) == 0;
}

/* Looks name up in dir through the dcache (vfs_lock taken here). */
static struct dentry *lookup(struct dentry *dir, const char *name)
{
	int err = 0;
	pthread_mutex_lock(&vfs_lock);
	struct dentry *d = d_lookup(dir, name, &err);
	pthread_mutex_unlock(&vfs_lock);
	return d;
}

struct names {
	struct dir_ctx ctx;
	char all[1024];
};

static bool collect(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
		    unsigned dtype)
{
	struct names *n = container_of(ctx, struct names, ctx);
	(void)ino;
	(void)dtype;
	if ((len == 1 && name[0] == '.') || (len == 2 && !strncmp(name, "..", 2)))
		return true;
	strncat(n->all, name, len);
	strcat(n->all, " ");
	return true;
}

/* The sorted listing of an overlay directory, as "a b c ". */
static void listing(struct inode *dir, char *out)
{
	struct names n = { .ctx.emit = collect };
	struct file f = { .flags = O_RDONLY, .inode = dir };
	char *words[32];
	int k = 0;

	EXPECT_EQ(dir->ops->open(dir, &f), 0);
	EXPECT_EQ(f.ops->readdir(&f, &n.ctx), 0);
	f.ops->release(&f);
	for (char *w = strtok(n.all, " "); w && k < 32; w = strtok(NULL, " "))
		words[k++] = w;
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (strcmp(words[j], words[i]) < 0) {
				char *x = words[i];
				words[i] = words[j];
				words[j] = x;
			}
	out[0] = 0;
	for (int i = 0; i < k; i++) {
		strcat(out, words[i]);
		strcat(out, " ");
	}
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int main(void)
{
	struct dentry *lower, *upper, *root;
	struct inode *inode;
	char buf[256];

	EXPECT_EQ(pgalloc_init(), 0);
	strcpy(host, "/tmp/moat-vfs-unit-XXXXXX");
	EXPECT(mkdtemp(host) != NULL);
	host_file("keep", "lower data");
	host_file("doomed", "x");
	snprintf(buf, sizeof(buf), "%s/dir", host);
	mkdir(buf, 0755);
	host_file("dir/inner", "inner");

	EXPECT(hostfs_new(open(host, O_PATH | O_DIRECTORY), true, &lower) != NULL);
	EXPECT(tmpfs_new(&upper, 0755) != NULL);
	EXPECT(overlay_new(upper, lower, &root) != NULL);
	struct inode *r = root->inode;

	/* Lookups reach the lower layer. */
	listing(r, buf);
	EXPECT(!strcmp(buf, "dir doomed keep "));
	EXPECT_EQ(r->ops->lookup(r, "missing", &inode), -ENOENT);

	/* Copy-up on a change keeps the data; the host file is untouched. */
	struct dentry *keep = lookup(root, "keep");
	EXPECT(keep && keep->inode);
	struct iattr ia = { .valid = ATTR_MODE, .mode = 0600 };
	pthread_mutex_lock(&vfs_lock);
	EXPECT_EQ(keep->inode->ops->setattr(keep->inode, &ia), 0);
	pthread_mutex_unlock(&vfs_lock);
	struct statx stx;
	EXPECT_EQ(keep->inode->ops->getattr(keep->inode, &stx), 0);
	EXPECT_EQ(stx.stx_mode & 07777, 0600);
	EXPECT_EQ(stx.stx_size, 10);
	struct file f = { .flags = O_RDONLY, .inode = keep->inode };
	EXPECT_EQ(keep->inode->ops->open(keep->inode, &f), 0);
	int64_t off = 0;
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(f.ops->read(&f, NULL, buf, sizeof(buf), &off), 10);
	EXPECT(!strcmp(buf, "lower data"));
	if (f.ops->release)
		f.ops->release(&f);
	snprintf(buf, sizeof(buf), "%s/keep", host);
	struct stat st;
	EXPECT_EQ(stat(buf, &st), 0);
	EXPECT(st.st_mode & 0044);
	dput(keep);

	/* Deleting a lower file leaves a whiteout; the host keeps it. */
	struct dentry *doomed = lookup(root, "doomed");
	pthread_mutex_lock(&vfs_lock);
	EXPECT_EQ(r->ops->unlink(r, "doomed", doomed->inode), 0);
	d_drop(doomed);
	pthread_mutex_unlock(&vfs_lock);
	dput(doomed);
	EXPECT_EQ(r->ops->lookup(r, "doomed", &inode), -ENOENT);
	EXPECT(host_exists("doomed"));
	listing(r, buf);
	EXPECT(!strcmp(buf, "dir keep "));

	/* Renaming a lower directory copies its tree up. */
	struct dentry *dir = lookup(root, "dir");
	pthread_mutex_lock(&vfs_lock);
	EXPECT_EQ(r->ops->rename(r, "dir", dir->inode, r, "moved", NULL, 0), 0);
	d_move(dir, root, "moved");
	pthread_mutex_unlock(&vfs_lock);
	listing(r, buf);
	EXPECT(!strcmp(buf, "keep moved "));
	listing(dir->inode, buf);
	EXPECT(!strcmp(buf, "inner "));
	EXPECT(host_exists("dir/inner"));
	EXPECT(!host_exists("moved"));
	dput(dir);

	/* A directory made where a moved-away lower one was is opaque. */
	struct new_node nn = { .mode = S_IFDIR | 0700 };
	pthread_mutex_lock(&vfs_lock);
	EXPECT_EQ(r->ops->create(r, "dir", &nn, &inode), 0);
	pthread_mutex_unlock(&vfs_lock);
	listing(inode, buf);
	EXPECT(!strcmp(buf, ""));        /* opaque: the old lower dir is gone */
	inode_put(inode);
	EXPECT(!host_exists("moved"));

	/* The dentry cache keeps at most 8192 unused dentries, so looking
	 * up many host files does not keep a descriptor for each. */
	int before = count_fds();
	struct dentry *big, *hostroot;
	EXPECT(hostfs_new(open("/", O_PATH | O_DIRECTORY), true, &hostroot) != NULL);
	struct dentry *usr = lookup(hostroot, "usr");
	struct dentry *inc = usr ? lookup(usr, "include") : NULL;
	int seen = 0;
	if (inc && inc->inode) {
		for (int round = 0; round < 2; round++) {
			DIR *d = opendir("/usr/include");
			struct dirent *e;
			while ((e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				big = lookup(inc, e->d_name);
				dput(big);
				seen++;
			}
			closedir(d);
		}
		for (int i = 0; i < 9000; i++) {
			snprintf(buf, sizeof(buf), "missing-%d", i);
			dput(lookup(inc, buf));     /* negative dentries count too */
		}
	}
	EXPECT(seen > 0);
	EXPECT(count_fds() - before <= 8192 + 4);
	dput(inc);
	dput(usr);
	dput(hostroot);

	dput(root);
	dput(upper);
	dput(lower);
	snprintf(buf, sizeof(buf), "rm -rf %s", host);
	EXPECT_EQ(system(buf), 0);
	return unit_done();
}
