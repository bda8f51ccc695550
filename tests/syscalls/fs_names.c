/*
 * fs_names.c: the name space: mkdir/rmdir, unlink, rename/renameat2, links
 * and symlinks, getdents64, chdir/getcwd, path resolution limits (ELOOP,
 * ENAMETOOLONG, ENOTDIR), O_PATH and O_NOFOLLOW, openat2's RESOLVE_*
 * flags, and FIFOs.  Runs in a scratch directory under /tmp.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"


static void touch(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd >= 0) {
		if (data)
			CHECK_EQ(write(fd, data, strlen(data)), (long)strlen(data));
		close(fd);
	}
}

static void test_mkdir_rmdir(void)
{
	struct stat st;

	CHECK_OK(mkdir(p("d"), 0755));
	CHECK_ERR(mkdir(p("d"), 0755), EEXIST);
	CHECK_ERR(mkdir(p("no/such"), 0755), ENOENT);
	touch(p("file"), "x");
	CHECK_ERR(mkdir(p("file/sub"), 0755), ENOTDIR);
	CHECK_OK(mkdir(p("d/sub/"), 0700));
	CHECK_OK(stat(p("d"), &st));
	CHECK_EQ(st.st_nlink, 3);
	CHECK_ERR(rmdir(p("d")), ENOTEMPTY);
	CHECK_ERR(rmdir(p("file")), ENOTDIR);
	CHECK_ERR(rmdir(p("d/sub/.")), EINVAL);
	CHECK_ERR(rmdir(p("missing")), ENOENT);
	CHECK_OK(rmdir(p("d/sub")));
	CHECK_OK(stat(p("d"), &st));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_ERR(unlink(p("d")), EISDIR);
	CHECK_ERR(unlink(p("file/")), ENOTDIR);
	CHECK_ERR(unlinkat(AT_FDCWD, p("d"), 0x1), EINVAL);
	CHECK_OK(unlinkat(AT_FDCWD, p("d"), AT_REMOVEDIR));
	CHECK_ERR(stat(p("d"), &st), ENOENT);
	CHECK_ERR(mkdir((char *)1, 0755), EFAULT);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_getdents(void)
{
	char buf[4096], *names[16];
	int n = 0, fd;
	long len;

	CHECK_OK(mkdir(p("list"), 0755));
	touch(p("list/a"), NULL);
	CHECK_OK(mkdir(p("list/sub"), 0755));
	CHECK_OK(symlink("a", p("list/ln")));
	fd = open(p("list"), O_RDONLY | O_DIRECTORY);
	/* One entry at a time, through a tiny buffer. */
	for (;;) {
		len = syscall(SYS_getdents64, fd, buf, 32);
		if (len <= 0)
			break;
		struct dirent64 *d = (struct dirent64 *)buf;
		CHECK_EQ(d->d_reclen, len);
		if (n < 16)
			names[n++] = strdup(d->d_name);
		if (!strcmp(d->d_name, "a"))
			CHECK_EQ(d->d_type, DT_REG);
		if (!strcmp(d->d_name, "sub"))
			CHECK_EQ(d->d_type, DT_DIR);
		if (!strcmp(d->d_name, "ln"))
			CHECK_EQ(d->d_type, DT_LNK);
	}
	CHECK_EQ(len, 0);
	CHECK_EQ(n, 5);
	qsort(names, (size_t)n, sizeof(char *), cmpstr);
	if (n == 5)
		CHECK(!strcmp(names[0], ".") && !strcmp(names[1], "..") && !strcmp(names[2], "a") &&
		      !strcmp(names[3], "ln") && !strcmp(names[4], "sub"));
	for (int i = 0; i < n; i++)
		free(names[i]);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, 8), 0);     /* at the end: 0 */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(syscall(SYS_getdents64, fd, buf, 8), EINVAL);
	len = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	int count = 0;
	for (long off = 0; off < len; off += ((struct dirent64 *)(buf + off))->d_reclen)
		count++;
	CHECK_EQ(count, 5);
	close(fd);
	fd = open(p("list/a"), O_RDONLY);
	CHECK_ERR(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
	close(fd);
	CHECK_ERR(syscall(SYS_getdents64, 999, buf, sizeof(buf)), EBADF);
}

static void test_rename(void)
{
	char buf[8] = { 0 };
	int fd;

	touch(p("r1"), "one");
	touch(p("r2"), "two");
	CHECK_OK(rename(p("r1"), p("r2")));
	CHECK_ERR(access(p("r1"), F_OK), ENOENT);
	fd = open(p("r2"), O_RDONLY);
	CHECK_EQ(read(fd, buf, 8), 3);
	CHECK(!strcmp(buf, "one"));
	close(fd);
	CHECK_OK(mkdir(p("rd"), 0755));
	CHECK_OK(mkdir(p("rd/inner"), 0755));
	CHECK_ERR(rename(p("r2"), p("rd")), EISDIR);
	CHECK_ERR(rename(p("rd"), p("r2")), ENOTDIR);
	CHECK_ERR(rename(p("rd"), p("rd/inner/x")), EINVAL);
	CHECK_OK(mkdir(p("full"), 0755));
	touch(p("full/x"), NULL);
	CHECK_ERR(rename(p("rd"), p("full")), ENOTEMPTY);
	CHECK_OK(rename(p("r2"), p("r2")));
	CHECK_ERR(rename(p("nothere"), p("x")), ENOENT);
	touch(p("r3"), "three");
	CHECK_ERR(renameat2(AT_FDCWD, p("r3"), AT_FDCWD, p("r2"), RENAME_NOREPLACE), EEXIST);
	CHECK_OK(renameat2(AT_FDCWD, p("r3"), AT_FDCWD, p("r2"), RENAME_EXCHANGE));
	fd = open(p("r2"), O_RDONLY);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(fd, buf, 8), 5);
	CHECK(!strcmp(buf, "three"));
	close(fd);
	CHECK_ERR(renameat2(AT_FDCWD, p("r3"), AT_FDCWD, p("zz"), RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(renameat2(AT_FDCWD, p("r3"), AT_FDCWD, p("r2"), RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
	CHECK_ERR(renameat2(AT_FDCWD, p("r3"), AT_FDCWD, p("r2"), 0x80), EINVAL);
	/* A directory moves with its contents. */
	touch(p("rd/inner/deep"), "deep");
	CHECK_OK(rename(p("rd"), p("moved")));
	CHECK_OK(access(p("moved/inner/deep"), F_OK));
	CHECK_ERR(access(p("rd"), F_OK), ENOENT);
}

static void test_links(void)
{
	struct stat st, st2;
	char buf[64];

	touch(p("orig"), "data");
	CHECK_OK(link(p("orig"), p("hard")));
	CHECK_OK(stat(p("orig"), &st));
	CHECK_OK(stat(p("hard"), &st2));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_ino, st2.st_ino);
	CHECK_ERR(link(p("orig"), p("hard")), EEXIST);
	CHECK_ERR(link(p("moved"), p("dirlink")), EPERM);
	CHECK_ERR(link(p("none"), p("x")), ENOENT);
	CHECK_OK(unlink(p("orig")));
	CHECK_OK(stat(p("hard"), &st2));
	CHECK_EQ(st2.st_nlink, 1);

	CHECK_OK(symlink("hard", p("sym")));
	CHECK_OK(lstat(p("sym"), &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_size, 4);
	CHECK_OK(stat(p("sym"), &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(readlink(p("sym"), buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "hard", 4));
	CHECK_EQ(readlink(p("sym"), buf, 2), 2);
	CHECK_ERR(readlink(p("hard"), buf, sizeof(buf)), EINVAL);
	CHECK_ERR(readlink(p("sym"), buf, 0), EINVAL);
	CHECK_ERR(symlink("x", p("sym")), EEXIST);
	CHECK_ERR(symlink("", p("empty")), ENOENT);
	CHECK_OK(symlink("/nonexistent/target", p("dangling")));
	CHECK_ERR(stat(p("dangling"), &st), ENOENT);
	CHECK_OK(lstat(p("dangling"), &st));
	CHECK_OK(symlink(dir, p("abs")));
	CHECK_OK(stat(p("abs/hard"), &st));
	CHECK_OK(linkat(AT_FDCWD, p("sym"), AT_FDCWD, p("hard2"), AT_SYMLINK_FOLLOW));
	CHECK_OK(lstat(p("hard2"), &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_OK(linkat(AT_FDCWD, p("sym"), AT_FDCWD, p("symlink2"), 0));
	CHECK_OK(lstat(p("symlink2"), &st));
	CHECK(S_ISLNK(st.st_mode));
}

static void test_paths(void)
{
	char name[300], path[PATH_MAX + 10];
	struct stat st;
	int fd;

	/* 40 links resolve, 41 do not. */
	CHECK_OK(mkdir(p("chain"), 0755));
	touch(p("chain/end"), NULL);
	for (int i = 0; i <= 41; i++) {
		char from[32], to[32];
		snprintf(from, sizeof(from), "chain/l%d", i);
		if (i == 0)
			strcpy(to, "end");
		else
			snprintf(to, sizeof(to), "l%d", i - 1);
		CHECK_OK(symlink(to, p(from)));
	}
	CHECK_OK(stat(p("chain/l39"), &st));
	CHECK_ERR(stat(p("chain/l40"), &st), ELOOP);
	CHECK_OK(symlink("loop", p("loop")));
	CHECK_ERR(open(p("loop"), O_RDONLY), ELOOP);
	CHECK_ERR(open(p("sym"), O_RDONLY | O_NOFOLLOW), ELOOP);
	fd = open(p("sym"), O_PATH | O_NOFOLLOW);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISLNK(st.st_mode));
	close(fd);

	memset(name, 'n', 256);
	name[256] = 0;
	CHECK_ERR(stat(p(name), &st), ENAMETOOLONG);
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[PATH_MAX + 5] = 0;
	CHECK_ERR(stat(path, &st), ENAMETOOLONG);
	CHECK_ERR(stat(p("hard/x"), &st), ENOTDIR);
	CHECK_OK(stat("/..", &st));
	CHECK_OK(stat("/../../etc/passwd", &st));
	CHECK_OK(stat("//etc//./passwd", &st));

	/* O_PATH: a handle, no I/O. */
	fd = open(dir, O_PATH);
	CHECK(fd >= 0);
	char c;
	CHECK_ERR(read(fd, &c, 1), EBADF);
	CHECK_OK(fstatat(fd, "hard", &st, 0));
	int fd2 = openat(fd, "hard", O_RDONLY);
	CHECK(fd2 >= 0);
	close(fd2);
	close(fd);
}

static long openat2_(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static void test_openat2(void)
{
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	struct open_how how = { 0 };
	long fd;

	CHECK_OK(mkdir(p("jail"), 0755));
	CHECK_OK(mkdir(p("jail/etc"), 0755));
	CHECK_OK(symlink("/etc", p("jail/abs")));
	CHECK_OK(symlink("../..", p("jail/up")));
	int j = open(p("jail"), O_RDONLY | O_DIRECTORY);

	CHECK_ERR(syscall(SYS_openat2, d, "hard", &how, 8), EINVAL);
	char big[128] = { 0 };
	memcpy(big, &how, sizeof(how));
	big[100] = 1;
	CHECK_ERR(syscall(SYS_openat2, d, "hard", big, sizeof(big)), E2BIG);
	CHECK_ERR(openat2_(d, "hard", 0, 0x1000), EINVAL);
	how.mode = 0644;
	CHECK_ERR(syscall(SYS_openat2, d, "hard", &how, sizeof(how)), EINVAL);
	fd = openat2_(d, "hard", O_RDONLY, 0);
	CHECK(fd >= 0);
	close((int)fd);
	CHECK_ERR(openat2_(j, "../hard", O_RDONLY, RESOLVE_BENEATH), EXDEV);
	CHECK_ERR(openat2_(j, "/etc/passwd", O_RDONLY, RESOLVE_BENEATH), EXDEV);
	CHECK_ERR(openat2_(j, "abs/passwd", O_RDONLY, RESOLVE_BENEATH), EXDEV);
	fd = openat2_(j, "etc/../etc", O_RDONLY, RESOLVE_BENEATH);
	CHECK(fd >= 0);
	close((int)fd);
	/* IN_ROOT: "/" and ".." stop at the dirfd. */
	CHECK_ERR(openat2_(j, "abs/passwd", O_RDONLY, RESOLVE_IN_ROOT), ENOENT);
	CHECK_ERR(openat2_(j, "up/hard", O_RDONLY, RESOLVE_IN_ROOT), ENOENT);
	fd = openat2_(j, "/../../etc", O_RDONLY, RESOLVE_IN_ROOT);
	CHECK(fd >= 0);
	close((int)fd);
	CHECK_ERR(openat2_(d, "sym", O_RDONLY, RESOLVE_NO_SYMLINKS), ELOOP);
	CHECK_ERR(openat2_(AT_FDCWD, "/proc/self/status", O_RDONLY, RESOLVE_NO_XDEV), EXDEV);
	char fdpath[64];
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", d);
	CHECK_ERR(openat2_(AT_FDCWD, fdpath, O_RDONLY, RESOLVE_NO_MAGICLINKS), ELOOP);
	fd = openat2_(AT_FDCWD, fdpath, O_RDONLY, 0);
	CHECK(fd >= 0);
	close((int)fd);
	close(j);
	close(d);
}

static void test_cwd(void)
{
	char buf[256], saved[256];

	CHECK(getcwd(saved, sizeof(saved)) != NULL);
	CHECK_OK(chdir(dir));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(!strcmp(buf, dir));
	CHECK_ERR(syscall(SYS_getcwd, buf, 3), ERANGE);
	CHECK_OK(chdir("jail/etc"));
	CHECK_OK(chdir(".."));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(!strcmp(buf, p("jail")));
	CHECK_ERR(chdir("../hard"), ENOTDIR);
	CHECK_ERR(chdir("missing"), ENOENT);
	int fd = open(dir, O_RDONLY);
	CHECK_OK(fchdir(fd));
	close(fd);
	CHECK_OK(access("hard", F_OK));
	fd = open("hard", O_RDONLY);
	CHECK_ERR(fchdir(fd), ENOTDIR);
	close(fd);
	CHECK_OK(chdir(saved));
}

static void test_fifo(void)
{
	struct stat st;
	char buf[8] = { 0 };

	CHECK_OK(mkfifo(p("fifo"), 0600));
	CHECK_OK(stat(p("fifo"), &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_ERR(mknod(p("fifo"), S_IFIFO | 0600, 0), EEXIST);
	CHECK_ERR(open(p("fifo"), O_WRONLY | O_NONBLOCK), ENXIO);
	int r = open(p("fifo"), O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0);
	int w = open(p("fifo"), O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0);
	CHECK_EQ(write(w, "ping", 4), 4);
	CHECK_EQ(read(r, buf, sizeof(buf)), 4);
	CHECK(!strcmp(buf, "ping"));
	CHECK_ERR(read(r, buf, sizeof(buf)), EAGAIN);
	close(w);
	CHECK_EQ(read(r, buf, sizeof(buf)), 0);
	close(r);
	CHECK_OK(mknod(p("node"), S_IFREG | 0600, 0));
	CHECK_ERR(mknod(p("bad"), 0170000, 0), EINVAL);
}

int main(void)
{
	scratch_init();
	test_mkdir_rmdir();
	test_getdents();
	test_rename();
	test_links();
	test_paths();
	test_openat2();
	test_cwd();
	test_fifo();
	rmtree(dir);
	CHECK_ERR(access(dir, F_OK), ENOENT);
	return check_done();
}
