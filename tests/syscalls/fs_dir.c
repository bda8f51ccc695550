/*
 * fs_dir.c - directories and the names in them: mkdir/mkdirat, rmdir,
 * getdents64 (whole listings, one entry per call through a tiny buffer,
 * EINVAL for a buffer too small, rewinding and seeking to a d_off, ENOTDIR
 * on a file), unlink/unlinkat, rename/renameat2 (replacing, EISDIR,
 * ENOTDIR, ENOTEMPTY, EINVAL for a dir moved under itself, NOREPLACE,
 * EXCHANGE), link/linkat, symlink/symlinkat, readlink/readlinkat,
 * chdir/fchdir/getcwd (ERANGE, a removed cwd), and FIFOs made by mknod and
 * mkfifo.
 *
 * Everything happens in a scratch directory made by mkdtemp under /tmp,
 * removed again at the end. Listings are compared as sets of names, never
 * in getdents order.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"


/* Create (or truncate) path with the given contents. */
static void put(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, data, strlen(data)), (long)strlen(data));
	CHECK_OK(close(fd));
}

/* 1 if path holds exactly data. */
static int has(const char *path, const char *data)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	long n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (long)strlen(data) && !memcmp(buf, data, (size_t)n);
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return 0;
	return st.st_ino;
}

static long getdents(int fd, void *buf, size_t len)
{
	return syscall(SYS_getdents64, fd, buf, len);
}

static void test_mkdir(void)
{
	struct stat st;
	int dfd;

	umask(022);
	CHECK_OK(mkdir(p("d"), 0777));
	CHECK_OK(stat(p("d"), &st));
	CHECK_EQ(st.st_mode, S_IFDIR | 0755);	/* umask applied */
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_uid, getuid());
	CHECK_ERR(mkdir(p("d"), 0755), EEXIST);
	CHECK_ERR(mkdir(p("missing/sub"), 0755), ENOENT);
	put(p("file"), "x");
	CHECK_ERR(mkdir(p("file"), 0755), EEXIST);
	CHECK_ERR(mkdir(p("file/sub"), 0755), ENOTDIR);
	CHECK_ERR(mkdir(p("file/missing/sub"), 0755), ENOTDIR);
	CHECK_ERR(mkdir((char *)1, 0755), EFAULT);
	CHECK_ERR(mkdir("", 0755), ENOENT);
	/* A trailing slash is fine for mkdir. */
	CHECK_OK(mkdir(p("d/sub/"), 0700));
	CHECK_OK(stat(p("d/sub"), &st));
	CHECK_EQ(st.st_mode, S_IFDIR | 0700);
	CHECK_OK(stat(p("d"), &st));
	CHECK_EQ(st.st_nlink, 3);		/* sub's ".." */

	/* mkdirat relative to a directory fd. */
	dfd = open(p("d"), O_RDONLY | O_DIRECTORY);
	if (!CHECK(dfd >= 0))
		return;
	CHECK_OK(mkdirat(dfd, "at", 0750));
	CHECK_OK(stat(p("d/at"), &st));
	CHECK_EQ(st.st_mode, S_IFDIR | 0750);
	CHECK_ERR(mkdirat(dfd, "at", 0750), EEXIST);
	CHECK_ERR(mkdirat(dfd, "x/y", 0750), ENOENT);
	CHECK_ERR(mkdirat(-1, "rel", 0750), EBADF);
	CHECK_ERR(mkdirat(999, "rel", 0750), EBADF);
	/* An absolute path ignores the dirfd, even a bad one. */
	CHECK_OK(mkdirat(-1, p("d/abs"), 0755));
	CHECK_OK(close(dfd));
	/* A file's fd as dirfd for a relative path: ENOTDIR. */
	dfd = open(p("file"), O_RDONLY);
	CHECK_ERR(mkdirat(dfd, "sub", 0755), ENOTDIR);
	CHECK_OK(close(dfd));
	CHECK_OK(rmdir(p("d/abs")));
	CHECK_OK(rmdir(p("d/at")));
	CHECK_OK(rmdir(p("d/sub")));
	CHECK_OK(stat(p("d"), &st));
	CHECK_EQ(st.st_nlink, 2);
}

static void test_rmdir(void)
{
	char cwd[512];
	struct stat st;

	CHECK_OK(mkdir(p("rd"), 0755));
	CHECK_OK(mkdir(p("rd/sub"), 0755));
	CHECK_ERR(rmdir(p("rd")), ENOTEMPTY);
	put(p("rd/sub/f"), "x");
	CHECK_ERR(rmdir(p("rd/sub")), ENOTEMPTY);
	CHECK_ERR(rmdir(p("rd/sub/f")), ENOTDIR);
	CHECK_ERR(rmdir(p("rd/sub/f/x")), ENOTDIR);
	CHECK_ERR(rmdir(p("rd/missing")), ENOENT);
	CHECK_ERR(rmdir(p("rd/sub/.")), EINVAL);
	CHECK_ERR(rmdir(p("rd/sub/..")), ENOTEMPTY);
	CHECK_ERR(rmdir((char *)1), EFAULT);
	CHECK_OK(unlink(p("rd/sub/f")));

	/* Relative to the cwd. */
	if (!CHECK(getcwd(cwd, sizeof(cwd)) != NULL))
		return;
	CHECK_OK(chdir(p("rd")));
	CHECK_ERR(rmdir("."), EINVAL);
	CHECK_ERR(rmdir(".."), ENOTEMPTY);
	CHECK_OK(rmdir("sub"));
	CHECK_ERR(stat("sub", &st), ENOENT);
	CHECK_OK(mkdir("sub2", 0755));
	CHECK_OK(rmdir("./sub2/"));		/* trailing slash is fine */
	CHECK_OK(chdir(cwd));

	/* unlinkat(AT_REMOVEDIR) is rmdir; plain unlinkat is unlink. */
	CHECK_OK(mkdir(p("rd/u"), 0755));
	CHECK_ERR(unlinkat(AT_FDCWD, p("rd/u"), 0), EISDIR);
	CHECK_OK(unlinkat(AT_FDCWD, p("rd/u"), AT_REMOVEDIR));
	CHECK_ERR(unlinkat(AT_FDCWD, p("rd/u"), AT_REMOVEDIR), ENOENT);
	CHECK_OK(rmdir(p("rd")));
	CHECK_ERR(stat(p("rd"), &st), ENOENT);
}

static void test_unlink(void)
{
	struct stat st;
	int fd, dfd;
	char buf[8];

	CHECK_OK(mkdir(p("ud"), 0755));
	CHECK_ERR(unlink(p("ud")), EISDIR);
	CHECK_ERR(unlink(p("ud/")), EISDIR);
	CHECK_ERR(unlink(p("ud/missing")), ENOENT);
	CHECK_ERR(unlink((char *)1), EFAULT);
	put(p("ud/f"), "data");
	CHECK_ERR(unlink(p("ud/f/")), ENOTDIR);
	CHECK_ERR(unlink(p("ud/f/x")), ENOTDIR);

	/* An open file survives its unlink. */
	fd = open(p("ud/f"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK_OK(unlink(p("ud/f")));
	CHECK_ERR(stat(p("ud/f"), &st), ENOENT);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "data", 4));
	CHECK_OK(close(fd));

	/* unlinkat relative to a dirfd; bad flags; wrong kind. */
	dfd = open(p("ud"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	put(p("ud/g"), "g");
	CHECK_OK(mkdir(p("ud/sub"), 0755));
	CHECK_ERR(unlinkat(dfd, "g", 0x1), EINVAL);
	CHECK_ERR(unlinkat(dfd, "g", AT_REMOVEDIR), ENOTDIR);
	CHECK_ERR(unlinkat(dfd, "sub", 0), EISDIR);
	CHECK_OK(unlinkat(dfd, "g", 0));
	CHECK_OK(unlinkat(dfd, "sub", AT_REMOVEDIR));
	CHECK_ERR(unlinkat(dfd, "g", 0), ENOENT);
	CHECK_ERR(unlinkat(999, "g", 0), EBADF);
	CHECK_OK(close(dfd));

	/* Unlinking a symlink removes the link, not its target. */
	put(p("ud/t"), "t");
	CHECK_OK(symlink("t", p("ud/l")));
	CHECK_OK(unlink(p("ud/l")));
	CHECK(has(p("ud/t"), "t"));
	CHECK_OK(symlink(".", p("ud/dl")));	/* a symlink to a directory */
	CHECK_ERR(rmdir(p("ud/dl")), ENOTDIR);
	CHECK_OK(unlink(p("ud/dl")));
	CHECK_OK(unlink(p("ud/t")));
	CHECK_OK(rmdir(p("ud")));
}

/* What one getdents64 pass saw. */
struct listing {
	int n;
	char names[16][32];
	unsigned char types[16];
	uint64_t inos[16];
};

static int cmpname(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* Append every entry in buf[0..len) to l; returns how many were added. */
static int collect(struct listing *l, const char *buf, long len)
{
	int added = 0;

	for (long off = 0; off < len;) {
		const struct dirent64 *d = (const void *)(buf + off);

		if (!CHECK(d->d_reclen > 0 && off + d->d_reclen <= len))
			break;
		CHECK_EQ(d->d_reclen % 8, 0);
		if (l->n < 16) {
			size_t len = strnlen(d->d_name, 31);

			memcpy(l->names[l->n], d->d_name, len);
			l->names[l->n][len] = 0;
			l->types[l->n] = d->d_type;
			l->inos[l->n] = d->d_ino;
			l->n++;
		}
		added++;
		off += d->d_reclen;
	}
	return added;
}

static int find(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return i;
	return -1;
}

/* Sorted names joined by spaces, for comparing listings as sets. */
static void joined(const struct listing *l, char *out, size_t outlen)
{
	char sorted[16][32];

	memcpy(sorted, l->names, sizeof(sorted));
	qsort(sorted, (size_t)l->n, 32, cmpname);
	out[0] = 0;
	for (int i = 0; i < l->n; i++) {
		strncat(out, sorted[i], outlen - strlen(out) - 1);
		strncat(out, " ", outlen - strlen(out) - 1);
	}
}

static void test_getdents(void)
{
	static const char want[] = ". .. file link subdir ";
	char buf[4096], got[256];
	struct listing l;
	int fd, i, calls;
	long n;

	CHECK_OK(mkdir(p("ls"), 0755));
	put(p("ls/file"), "f");
	CHECK_OK(mkdir(p("ls/subdir"), 0755));
	CHECK_OK(symlink("file", p("ls/link")));
	fd = open(p("ls"), O_RDONLY | O_DIRECTORY);
	if (!CHECK(fd >= 0))
		return;

	/* Everything in one call, then 0 at the end. */
	memset(&l, 0, sizeof(l));
	n = getdents(fd, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_EQ(collect(&l, buf, n), 5);
	CHECK_EQ(getdents(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(getdents(fd, buf, sizeof(buf)), 0);
	joined(&l, got, sizeof(got));
	if (!CHECK(!strcmp(got, want)))
		printf("  listing was \"%s\"\n", got);
	if ((i = find(&l, ".")) >= 0) {
		CHECK_EQ(l.types[i], DT_DIR);
		CHECK_EQ(l.inos[i], ino_of(p("ls")));
	}
	if ((i = find(&l, "..")) >= 0)
		CHECK_EQ(l.types[i], DT_DIR);
	if ((i = find(&l, "file")) >= 0) {
		CHECK_EQ(l.types[i], DT_REG);
		CHECK_EQ(l.inos[i], ino_of(p("ls/file")));
	}
	if ((i = find(&l, "subdir")) >= 0) {
		CHECK_EQ(l.types[i], DT_DIR);
		CHECK_EQ(l.inos[i], ino_of(p("ls/subdir")));
	}
	if ((i = find(&l, "link")) >= 0) {
		CHECK_EQ(l.types[i], DT_LNK);
		CHECK_EQ(l.inos[i], ino_of(p("ls/link")));
	}

	/* Rewind; a buffer too small for the next entry is EINVAL. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(getdents(fd, buf, 0), EINVAL);
	CHECK_ERR(getdents(fd, buf, 1), EINVAL);
	CHECK_ERR(getdents(fd, buf, 8), EINVAL);
	CHECK_ERR(getdents(fd, buf, 19), EINVAL);

	/*
	 * A 32-byte buffer holds exactly one entry for names up to 12 bytes
	 * (d_reclen = 19 + namelen + 1 rounded up to 8): one entry per call.
	 */
	memset(&l, 0, sizeof(l));
	calls = 0;
	while ((n = getdents(fd, buf, 32)) > 0) {
		const struct dirent64 *d = (const void *)buf;

		CHECK_EQ(d->d_reclen, n);
		CHECK_EQ(d->d_reclen, (19 + strlen(d->d_name) + 1 + 7) & ~7UL);
		CHECK_EQ(collect(&l, buf, n), 1);
		if (++calls > 10)
			break;
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(calls, 5);
	joined(&l, got, sizeof(got));
	CHECK(!strcmp(got, want));

	/* A 64-byte buffer: several calls, same set of names. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	memset(&l, 0, sizeof(l));
	calls = 0;
	while ((n = getdents(fd, buf, 64)) > 0 && ++calls < 10)
		collect(&l, buf, n);
	CHECK_EQ(n, 0);
	CHECK(calls >= 3);
	joined(&l, got, sizeof(got));
	CHECK(!strcmp(got, want));

	/* The d_off of an entry is a position to resume after it. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	n = getdents(fd, buf, 32);
	if (CHECK(n > 0)) {
		int64_t resume = ((const struct dirent64 *)buf)->d_off;
		struct listing rest1, rest2;
		char a[256], b[256];

		memset(&rest1, 0, sizeof(rest1));
		memset(&rest2, 0, sizeof(rest2));
		n = getdents(fd, buf, sizeof(buf));
		collect(&rest1, buf, n);
		CHECK_EQ(rest1.n, 4);
		CHECK_EQ(lseek(fd, resume, SEEK_SET), resume);
		n = getdents(fd, buf, sizeof(buf));
		collect(&rest2, buf, n);
		joined(&rest1, a, sizeof(a));
		joined(&rest2, b, sizeof(b));
		CHECK(!strcmp(a, b));
	}

	/* Bad buffers and fds. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(getdents(fd, (void *)1, sizeof(buf)), EFAULT);
	CHECK_ERR(getdents(999, buf, sizeof(buf)), EBADF);
	CHECK_OK(close(fd));
	fd = open(p("ls/file"), O_RDONLY);
	CHECK_ERR(getdents(fd, buf, sizeof(buf)), ENOTDIR);
	CHECK_OK(close(fd));

	/* An empty directory lists just "." and "..". */
	fd = open(p("ls/subdir"), O_RDONLY | O_DIRECTORY);
	memset(&l, 0, sizeof(l));
	n = getdents(fd, buf, sizeof(buf));
	CHECK_EQ(collect(&l, buf, n), 2);
	joined(&l, got, sizeof(got));
	CHECK(!strcmp(got, ". .. "));
	if ((i = find(&l, "..")) >= 0)
		CHECK_EQ(l.inos[i], ino_of(p("ls")));
	CHECK_OK(close(fd));

	/* Entries removed and added show up in a fresh listing. */
	CHECK_OK(unlink(p("ls/link")));
	put(p("ls/new"), "n");
	fd = open(p("ls"), O_RDONLY | O_DIRECTORY);
	memset(&l, 0, sizeof(l));
	n = getdents(fd, buf, sizeof(buf));
	collect(&l, buf, n);
	joined(&l, got, sizeof(got));
	CHECK(!strcmp(got, ". .. file new subdir "));
	CHECK_OK(close(fd));
}

static void test_rename(void)
{
	struct stat st;
	ino_t ino;

	CHECK_OK(mkdir(p("rn"), 0755));
	/* File over file: the target is replaced, the source name gone. */
	put(p("rn/a"), "aaa");
	put(p("rn/b"), "bbbbb");
	ino = ino_of(p("rn/a"));
	CHECK_OK(rename(p("rn/a"), p("rn/b")));
	CHECK_ERR(stat(p("rn/a"), &st), ENOENT);
	CHECK(has(p("rn/b"), "aaa"));
	CHECK_EQ(ino_of(p("rn/b")), ino);
	CHECK_ERR(rename(p("rn/a"), p("rn/c")), ENOENT);

	/* Rename to the same name, or between two links of one inode. */
	CHECK_OK(rename(p("rn/b"), p("rn/b")));
	CHECK(has(p("rn/b"), "aaa"));
	CHECK_OK(link(p("rn/b"), p("rn/b2")));
	CHECK_OK(rename(p("rn/b"), p("rn/b2")));	/* no-op */
	CHECK_OK(stat(p("rn/b"), &st));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_OK(unlink(p("rn/b2")));

	/* File over directory and directory over file. */
	CHECK_OK(mkdir(p("rn/d"), 0755));
	CHECK_ERR(rename(p("rn/b"), p("rn/d")), EISDIR);
	CHECK_ERR(rename(p("rn/d"), p("rn/b")), ENOTDIR);
	CHECK_ERR(rename(p("rn/b"), p("rn/b/x")), ENOTDIR);
	CHECK_ERR(rename(p("rn/b/"), p("rn/c")), ENOTDIR);

	/* Directory over an empty directory, and over a non-empty one. */
	CHECK_OK(mkdir(p("rn/e"), 0755));
	put(p("rn/d/inner"), "i");
	CHECK_OK(rename(p("rn/d"), p("rn/e")));
	CHECK(has(p("rn/e/inner"), "i"));
	CHECK_ERR(stat(p("rn/d"), &st), ENOENT);
	CHECK_OK(mkdir(p("rn/d"), 0755));
	CHECK_ERR(rename(p("rn/d"), p("rn/e")), ENOTEMPTY);
	CHECK_OK(rename(p("rn/d/"), p("rn/d2/")));	/* slashes ok for dirs */
	CHECK_OK(rename(p("rn/d2"), p("rn/d")));

	/* A directory into its own subtree; "." and ".." are refused. */
	CHECK_OK(mkdir(p("rn/e/sub"), 0755));
	CHECK_ERR(rename(p("rn/e"), p("rn/e/sub/x")), EINVAL);
	CHECK_ERR(rename(p("rn/e"), p("rn/e/x")), EINVAL);
	CHECK_ERR(rename(p("rn/e/sub"), p("rn/e/sub/x")), EINVAL);
	CHECK_ERR(rename(p("rn/e/sub/."), p("rn/x")), EBUSY);
	/* The "." target is refused before the source is even looked up. */
	CHECK_ERR(rename(p("rn/x"), p("rn/e/sub/.")), EBUSY);
	CHECK_ERR(rename(p("rn/d"), p("rn/e/sub/.")), EBUSY);
	CHECK_ERR(rename((char *)1, p("rn/x")), EFAULT);
	CHECK_ERR(rename(p("rn/b"), (char *)1), EFAULT);

	/* Moving a directory elsewhere updates its ".." and link counts. */
	CHECK_OK(rename(p("rn/e/sub"), p("rn/d/sub")));
	CHECK_OK(stat(p("rn/e"), &st));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_OK(stat(p("rn/d"), &st));
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(ino_of(p("rn/d/sub/..")), ino_of(p("rn/d")));

	/* A symlink is renamed itself, not its target. */
	CHECK_OK(symlink("b", p("rn/sl")));
	CHECK_OK(rename(p("rn/sl"), p("rn/sl2")));
	CHECK_OK(lstat(p("rn/sl2"), &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK(has(p("rn/b"), "aaa"));

	/* renameat with directory fds. */
	int d1 = open(p("rn/d"), O_RDONLY | O_DIRECTORY);
	int d2 = open(p("rn/e"), O_RDONLY | O_DIRECTORY);

	CHECK_OK(renameat(d1, "sub", d2, "moved"));
	CHECK_OK(stat(p("rn/e/moved"), &st));
	CHECK_ERR(renameat(999, "x", d2, "y"), EBADF);
	CHECK_OK(close(d1));
	CHECK_OK(close(d2));
}

static void test_renameat2(void)
{
	struct stat st;

	CHECK_OK(mkdir(p("r2"), 0755));
	put(p("r2/a"), "AAA");
	put(p("r2/b"), "B");
	CHECK_OK(mkdir(p("r2/d"), 0755));
	put(p("r2/d/in"), "in");

	/* NOREPLACE. */
	CHECK_ERR(renameat2(AT_FDCWD, p("r2/a"), AT_FDCWD, p("r2/b"),
			    RENAME_NOREPLACE), EEXIST);
	CHECK_ERR(renameat2(AT_FDCWD, p("r2/a"), AT_FDCWD, p("r2/d"),
			    RENAME_NOREPLACE), EEXIST);
	CHECK(has(p("r2/a"), "AAA"));
	CHECK_OK(renameat2(AT_FDCWD, p("r2/a"), AT_FDCWD, p("r2/c"),
			   RENAME_NOREPLACE));
	CHECK(has(p("r2/c"), "AAA"));
	CHECK_ERR(stat(p("r2/a"), &st), ENOENT);

	/* EXCHANGE: two files, then a file and a directory. */
	CHECK_OK(renameat2(AT_FDCWD, p("r2/b"), AT_FDCWD, p("r2/c"),
			   RENAME_EXCHANGE));
	CHECK(has(p("r2/b"), "AAA"));
	CHECK(has(p("r2/c"), "B"));
	CHECK_OK(renameat2(AT_FDCWD, p("r2/c"), AT_FDCWD, p("r2/d"),
			   RENAME_EXCHANGE));
	CHECK(has(p("r2/c/in"), "in"));
	CHECK(has(p("r2/d"), "B"));
	CHECK_ERR(renameat2(AT_FDCWD, p("r2/b"), AT_FDCWD, p("r2/none"),
			    RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(renameat2(AT_FDCWD, p("r2/c"), AT_FDCWD, p("r2/c/in"),
			    RENAME_EXCHANGE), EINVAL);
	CHECK_OK(renameat2(AT_FDCWD, p("r2/b"), AT_FDCWD, p("r2/b"),
			   RENAME_EXCHANGE));
	CHECK(has(p("r2/b"), "AAA"));

	/* Bad flag combinations. */
	CHECK_ERR(renameat2(AT_FDCWD, p("r2/b"), AT_FDCWD, p("r2/x"),
			    RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
	CHECK_ERR(renameat2(AT_FDCWD, p("r2/b"), AT_FDCWD, p("r2/x"),
			    0x100), EINVAL);
	CHECK_ERR(renameat2(AT_FDCWD, p("r2/b"), AT_FDCWD, p("r2/x"),
			    RENAME_WHITEOUT | RENAME_EXCHANGE), EINVAL);
	CHECK(has(p("r2/b"), "AAA"));
	CHECK_ERR(stat(p("r2/x"), &st), ENOENT);
	/* flags 0 behaves like renameat. */
	CHECK_OK(renameat2(AT_FDCWD, p("r2/b"), AT_FDCWD, p("r2/d"), 0));
	CHECK(has(p("r2/d"), "AAA"));
}

static void test_link(void)
{
	struct stat st;
	int dfd;

	CHECK_OK(mkdir(p("ln"), 0755));
	put(p("ln/f"), "F");
	CHECK_OK(link(p("ln/f"), p("ln/g")));
	CHECK_OK(stat(p("ln/f"), &st));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(ino_of(p("ln/g")), st.st_ino);
	CHECK(has(p("ln/g"), "F"));
	put(p("ln/g"), "G");			/* same inode: shared data */
	CHECK(has(p("ln/f"), "G"));
	CHECK_ERR(link(p("ln/f"), p("ln/g")), EEXIST);
	CHECK_ERR(link(p("ln/none"), p("ln/h")), ENOENT);
	CHECK_ERR(link(p("ln/f"), p("ln/none/h")), ENOENT);
	CHECK_ERR(link(p("ln/f"), p("ln/f/h")), ENOTDIR);
	CHECK_ERR(link(p("ln/f/"), p("ln/h")), ENOTDIR);
	CHECK_OK(mkdir(p("ln/d"), 0755));
	CHECK_ERR(link(p("ln/d"), p("ln/d2")), EPERM);
	CHECK_ERR(link(p("ln/f"), p("ln/d")), EEXIST);
	CHECK_OK(unlink(p("ln/g")));
	CHECK_OK(stat(p("ln/f"), &st));
	CHECK_EQ(st.st_nlink, 1);

	/* linkat: symlinks are not followed unless AT_SYMLINK_FOLLOW. */
	CHECK_OK(symlink("f", p("ln/s")));
	dfd = open(p("ln"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_OK(linkat(dfd, "s", dfd, "s_nofollow", 0));
	CHECK_OK(lstat(p("ln/s_nofollow"), &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_ino, ino_of(p("ln/s")));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_OK(linkat(dfd, "s", dfd, "s_follow", AT_SYMLINK_FOLLOW));
	CHECK_OK(lstat(p("ln/s_follow"), &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_ino, ino_of(p("ln/f")));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_ERR(linkat(dfd, "f", dfd, "bad", 0x1), EINVAL);
	CHECK_ERR(linkat(999, "f", dfd, "bad", 0), EBADF);
	CHECK_ERR(linkat(dfd, "", dfd, "bad", 0), ENOENT);
	CHECK_OK(close(dfd));
}

static void test_symlink(void)
{
	char buf[64];
	struct stat st;
	int dfd;

	CHECK_OK(mkdir(p("sy"), 0755));
	put(p("sy/target"), "T");
	CHECK_OK(symlink("target", p("sy/rel")));
	CHECK_OK(lstat(p("sy/rel"), &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0777);
	CHECK_EQ(st.st_size, 6);		/* strlen("target") */
	CHECK(has(p("sy/rel"), "T"));
	CHECK_ERR(symlink("x", p("sy/rel")), EEXIST);
	CHECK_ERR(symlink("x", p("sy/target")), EEXIST);
	CHECK_ERR(symlink("x", p("sy/none/l")), ENOENT);
	CHECK_ERR(symlink("", p("sy/empty")), ENOENT);
	CHECK_ERR(symlink((char *)1, p("sy/l")), EFAULT);

	/* A dangling symlink: lstat works, stat and open fail ENOENT. */
	CHECK_OK(symlink("nowhere", p("sy/dangling")));
	CHECK_OK(lstat(p("sy/dangling"), &st));
	CHECK_ERR(stat(p("sy/dangling"), &st), ENOENT);
	CHECK_ERR(open(p("sy/dangling"), O_RDONLY), ENOENT);
	/* O_CREAT through a dangling symlink creates its target... */
	int fd = open(p("sy/dangling"), O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK_OK(stat(p("sy/nowhere"), &st));
	/* ...but not with O_EXCL. */
	CHECK_OK(unlink(p("sy/nowhere")));
	CHECK_ERR(open(p("sy/dangling"), O_CREAT | O_EXCL | O_WRONLY, 0644),
		  EEXIST);
	CHECK_ERR(stat(p("sy/nowhere"), &st), ENOENT);

	/* symlinkat / readlinkat relative to a directory fd. */
	dfd = open(p("sy"), O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_OK(symlinkat("/some/absolute/path", dfd, "abs"));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlinkat(dfd, "abs", buf, sizeof(buf)), 19);
	CHECK(!strcmp(buf, "/some/absolute/path"));
	CHECK_ERR(symlinkat("x", 999, "l"), EBADF);

	/* readlink: no NUL added, truncated silently to bufsiz. */
	memset(buf, 'z', sizeof(buf));
	CHECK_EQ(readlink(p("sy/rel"), buf, sizeof(buf)), 6);
	CHECK(!memcmp(buf, "targetz", 7));
	memset(buf, 'z', sizeof(buf));
	CHECK_EQ(readlink(p("sy/rel"), buf, 3), 3);
	CHECK(!memcmp(buf, "tarz", 4));
	CHECK_EQ(readlink(p("sy/rel"), buf, 1), 1);
	CHECK_ERR(readlink(p("sy/rel"), buf, 0), EINVAL);
	CHECK_ERR(readlink(p("sy/target"), buf, sizeof(buf)), EINVAL);
	CHECK_ERR(readlink(p("sy"), buf, sizeof(buf)), EINVAL);
	CHECK_ERR(readlink(p("sy/none"), buf, sizeof(buf)), ENOENT);
	CHECK_ERR(readlink(p("sy/target/x"), buf, sizeof(buf)), ENOTDIR);
	CHECK_ERR(syscall(SYS_readlink, p("sy/rel"), (char *)1, 64), EFAULT);
	CHECK_ERR(readlink((char *)1, buf, sizeof(buf)), EFAULT);
	/* Only the last component is not followed. */
	CHECK_OK(symlink(".", p("sy/self")));
	CHECK_EQ(readlink(p("sy/self/rel"), buf, sizeof(buf)), 6);
	/* readlinkat with an empty path on an O_PATH fd of the link. */
	fd = openat(dfd, "rel", O_PATH | O_NOFOLLOW);
	CHECK(fd >= 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlinkat(fd, "", buf, sizeof(buf)), 6);
	CHECK(!strcmp(buf, "target"));
	CHECK_OK(close(fd));
	CHECK_ERR(readlinkat(dfd, "", buf, sizeof(buf)), ENOENT);
	CHECK_OK(close(dfd));
}

static void test_cwd(void)
{
	char buf[512], saved[512];
	struct stat st;
	int fd;

	if (!CHECK(getcwd(saved, sizeof(saved)) != NULL))
		return;
	CHECK_OK(mkdir(p("cw"), 0755));
	CHECK_OK(mkdir(p("cw/sub"), 0755));
	put(p("cw/file"), "f");

	CHECK_OK(chdir(dir));
	CHECK(getcwd(buf, sizeof(buf)) != NULL && !strcmp(buf, dir));
	/* The raw syscall returns the length including the NUL. */
	CHECK_EQ(syscall(SYS_getcwd, buf, sizeof(buf)), (long)strlen(dir) + 1);
	CHECK_ERR(syscall(SYS_getcwd, buf, strlen(dir)), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, buf, 1), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, buf, 0), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, (char *)1, sizeof(buf)), EFAULT);
	errno = 0;
	CHECK(getcwd(buf, 5) == NULL && errno == ERANGE);

	/* Relative paths now resolve against the scratch dir. */
	CHECK_OK(chdir("cw"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL && !strcmp(buf, p("cw")));
	CHECK(has("file", "f"));
	CHECK_OK(chdir("sub/.."));
	CHECK(getcwd(buf, sizeof(buf)) != NULL && !strcmp(buf, p("cw")));
	CHECK_ERR(chdir("file"), ENOTDIR);
	CHECK_ERR(chdir("none"), ENOENT);
	CHECK_ERR(chdir(""), ENOENT);
	CHECK_ERR(chdir((char *)1), EFAULT);
	CHECK_OK(symlink("sub", "slink"));
	CHECK_OK(chdir("slink"));		/* getcwd shows the real path */
	CHECK(getcwd(buf, sizeof(buf)) != NULL && !strcmp(buf, p("cw/sub")));
	CHECK_OK(chdir(".."));

	/* fchdir. */
	fd = open(p("cw/sub"), O_RDONLY | O_DIRECTORY);
	CHECK_OK(fchdir(fd));
	CHECK(getcwd(buf, sizeof(buf)) != NULL && !strcmp(buf, p("cw/sub")));
	CHECK_OK(close(fd));
	fd = open(p("cw/file"), O_RDONLY);
	CHECK_ERR(fchdir(fd), ENOTDIR);
	CHECK_OK(close(fd));
	CHECK_ERR(fchdir(999), EBADF);
	fd = open(p("cw"), O_PATH | O_DIRECTORY);	/* O_PATH is enough */
	CHECK_OK(fchdir(fd));
	CHECK(getcwd(buf, sizeof(buf)) != NULL && !strcmp(buf, p("cw")));
	CHECK_OK(close(fd));

	/* A cwd that has been removed: getcwd ENOENT, creating fails. */
	CHECK_OK(chdir("sub"));
	CHECK_OK(rmdir(p("cw/sub")));
	CHECK_ERR(syscall(SYS_getcwd, buf, sizeof(buf)), ENOENT);
	CHECK_ERR(open("new", O_CREAT | O_WRONLY, 0644), ENOENT);
	CHECK_ERR(mkdir("newdir", 0755), ENOENT);
	CHECK_OK(stat(".", &st));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_OK(chdir(".."));			/* ".." still leads back */
	CHECK(getcwd(buf, sizeof(buf)) != NULL && !strcmp(buf, p("cw")));

	CHECK_OK(chdir(saved));
}

static void test_fifo(void)
{
	struct stat st;
	char buf[16];
	int r, w;

	CHECK_OK(mkdir(p("ff"), 0755));
	CHECK_OK(mknod(p("ff/node"), S_IFIFO | 0644, 0));
	CHECK_OK(stat(p("ff/node"), &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_size, 0);
	CHECK_OK(mkfifo(p("ff/fifo"), 0600));
	CHECK_OK(lstat(p("ff/fifo"), &st));
	CHECK_EQ(st.st_mode, S_IFIFO | 0600);
	CHECK_ERR(mkfifo(p("ff/fifo"), 0600), EEXIST);
	CHECK_ERR(mknod(p("ff/fifo"), S_IFIFO | 0600, 0), EEXIST);
	CHECK_ERR(mkfifo(p("ff/none/fifo"), 0600), ENOENT);
	CHECK_OK(mkfifoat(AT_FDCWD, p("ff/at"), 0600));

	/* mknod of a regular file; of a bad type. */
	CHECK_OK(mknod(p("ff/reg"), S_IFREG | 0600, 0));
	CHECK_OK(stat(p("ff/reg"), &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_OK(mknod(p("ff/reg0"), 0600, 0));	/* type 0 is regular */
	CHECK_OK(stat(p("ff/reg0"), &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_ERR(mknod(p("ff/bad"), 0170000 | 0600, 0), EINVAL);
	CHECK_ERR(mknod(p("ff/dirnode"), S_IFDIR | 0600, 0), EPERM);

	/* No reader: a non-blocking open for writing is ENXIO. */
	CHECK_ERR(open(p("ff/fifo"), O_WRONLY | O_NONBLOCK), ENXIO);
	r = open(p("ff/fifo"), O_RDONLY | O_NONBLOCK);
	if (!CHECK(r >= 0))
		return;
	/* No writer yet: a read returns EOF rather than blocking. */
	CHECK_EQ(read(r, buf, sizeof(buf)), 0);
	w = open(p("ff/fifo"), O_WRONLY | O_NONBLOCK);
	if (CHECK(w >= 0)) {
		CHECK_ERR(read(r, buf, sizeof(buf)), EAGAIN);
		CHECK_EQ(write(w, "hello", 5), 5);
		CHECK_OK(fstat(w, &st));
		CHECK(S_ISFIFO(st.st_mode));
		CHECK_ERR(lseek(w, 0, SEEK_SET), ESPIPE);
		memset(buf, 0, sizeof(buf));
		CHECK_EQ(read(r, buf, sizeof(buf)), 5);
		CHECK(!strcmp(buf, "hello"));
		CHECK_ERR(read(r, buf, sizeof(buf)), EAGAIN);
		CHECK_EQ(write(w, "bye", 3), 3);
		CHECK_OK(close(w));
		/* Data written before the close is still read, then EOF. */
		CHECK_EQ(read(r, buf, sizeof(buf)), 3);
		CHECK_EQ(read(r, buf, sizeof(buf)), 0);
	}
	CHECK_OK(close(r));
	/* O_RDWR on a FIFO never blocks and gives both ends. */
	r = open(p("ff/node"), O_RDWR);
	if (CHECK(r >= 0)) {
		CHECK_EQ(write(r, "xy", 2), 2);
		CHECK_EQ(read(r, buf, sizeof(buf)), 2);
		CHECK(!memcmp(buf, "xy", 2));
		CHECK_OK(close(r));
	}
	/* The FIFO keeps no data once closed; it unlinks like a file. */
	CHECK_OK(stat(p("ff/fifo"), &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_OK(unlink(p("ff/fifo")));
}

int main(void)
{
	struct stat st;

	scratch_init();
	test_mkdir();
	test_rmdir();
	test_unlink();
	test_getdents();
	test_rename();
	test_renameat2();
	test_link();
	test_symlink();
	test_cwd();
	test_fifo();
	rmtree(dir);
	CHECK_ERR(stat(dir, &st), ENOENT);
	return check_done();
}
