/*
 * fs_path.c - path resolution: ".", ".." and repeated slashes, ".." at "/",
 * trailing slashes, relative and absolute symlinks (and ".." after one),
 * symlink loops and the limit of 40 symlinks per resolution, ENAMETOOLONG
 * for a component over 255 bytes and a path of 4096 bytes or more,
 * ENOTDIR, O_NOFOLLOW, O_PATH descriptors and AT_EMPTY_PATH, and openat2:
 * argument checks (size, unknown bits, mode) and RESOLVE_BENEATH,
 * RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV and
 * RESOLVE_NO_MAGICLINKS.
 *
 * Works in a scratch directory made by mkdtemp under /tmp, removed at the
 * end. RESOLVE_NO_XDEV relies only on /proc and /dev being mounts of
 * their own, as they are natively and inside moat.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"


static void put(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, data, strlen(data)), (long)strlen(data));
	CHECK_OK(close(fd));
}

/* 1 if the file open as fd holds exactly data (read from offset 0). */
static int fd_has(int fd, const char *data)
{
	char buf[256];
	long n = pread(fd, buf, sizeof(buf), 0);

	return n == (long)strlen(data) && !memcmp(buf, data, (size_t)n);
}

/* 1 if path holds exactly data. */
static int has(const char *path, const char *data)
{
	int fd = open(path, O_RDONLY);
	int ok;

	if (fd < 0)
		return 0;
	ok = fd_has(fd, data);
	close(fd);
	return ok;
}

/* 1 if a and b name the same inode (on the same device). */
static int same(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) != 0 || stat(b, &sb) != 0)
		return 0;
	return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static long openat2(int dfd, const char *path, uint64_t flags, uint64_t mode,
		    uint64_t resolve)
{
	struct open_how how = {
		.flags = flags, .mode = mode, .resolve = resolve,
	};

	return syscall(SYS_openat2, dfd, path, &how, sizeof(how));
}

static void test_dots_and_slashes(void)
{
	char saved[512], buf[512];
	struct stat st;

	CHECK_OK(mkdir(p("a"), 0755));
	CHECK_OK(mkdir(p("a/b"), 0755));
	put(p("a/f"), "F");

	CHECK(has(p("a/./f"), "F"));
	CHECK(has(p("a//f"), "F"));
	CHECK(has(p("a///.//./f"), "F"));
	CHECK(has(p("a/b/../f"), "F"));
	CHECK(has(p("a/b/../../a/b/./../f"), "F"));
	CHECK(same(p("a/b/.."), p("a")));
	CHECK(same(p("a/b/."), p("a/b")));
	CHECK(same(p("a/b/"), p("a/b")));
	CHECK(same(p("a/b//"), p("a/b")));
	CHECK(same("//", "/"));
	CHECK(same("///tmp//", "/tmp"));
	CHECK(same("/tmp/.", "/tmp"));

	/* ".." at "/" stays at "/". */
	CHECK(same("/..", "/"));
	CHECK(same("/../../..", "/"));
	CHECK(same("/../tmp/../../tmp", "/tmp"));
	if (CHECK(getcwd(saved, sizeof(saved)) != NULL)) {
		CHECK_OK(chdir("/"));
		CHECK_OK(chdir(".."));
		CHECK_OK(chdir("../.."));
		CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/"));
		CHECK(same("..", "/"));
		CHECK(same(".", "/"));
		CHECK_OK(chdir(saved));
	}

	/* A non-directory in the middle or with a trailing slash/dot. */
	CHECK_ERR(stat(p("a/f/x"), &st), ENOTDIR);
	CHECK_ERR(stat(p("a/f/"), &st), ENOTDIR);
	CHECK_ERR(stat(p("a/f/."), &st), ENOTDIR);
	CHECK_ERR(stat(p("a/f/.."), &st), ENOTDIR);
	CHECK_ERR(open(p("a/f/"), O_RDONLY), ENOTDIR);
	CHECK_ERR(open(p("a/f/x"), O_RDONLY | O_CREAT, 0644), ENOTDIR);
	CHECK_ERR(open(p("a/none/x"), O_RDONLY), ENOENT);
	CHECK_ERR(open(p("a/none/.."), O_RDONLY), ENOENT);
	/* O_CREAT of a name with a trailing slash. */
	CHECK_ERR(open(p("a/new/"), O_RDWR | O_CREAT, 0644), EISDIR);
	CHECK_ERR(stat(p("a/new"), &st), ENOENT);
	CHECK_ERR(open(p("a/b/"), O_RDWR | O_CREAT, 0644), EISDIR);
	CHECK_ERR(open(p("a/f/"), O_RDWR | O_CREAT, 0644), EISDIR);
	/* Empty paths and bad pointers. */
	CHECK_ERR(stat("", &st), ENOENT);
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(stat((char *)1, &st), EFAULT);
	CHECK_ERR(open((char *)1, O_RDONLY), EFAULT);
}

static void test_symlinks(void)
{
	struct stat st;
	char abs[256];

	CHECK_OK(mkdir(p("s"), 0755));
	CHECK_OK(mkdir(p("s/x"), 0755));
	CHECK_OK(mkdir(p("s/x/y"), 0755));
	put(p("s/x/y/f"), "deep");
	put(p("s/top"), "top");

	/* Relative targets resolve from the link's directory, not the cwd. */
	CHECK_OK(symlink("../top", p("s/x/up")));
	CHECK(has(p("s/x/up"), "top"));
	CHECK_OK(symlink("y/f", p("s/x/down")));
	CHECK(has(p("s/x/down"), "deep"));
	CHECK_OK(symlink("x/y", p("s/dirlink")));
	CHECK(has(p("s/dirlink/f"), "deep"));
	/* ".." after a symlink to a directory is the target's parent. */
	CHECK(same(p("s/dirlink/.."), p("s/x")));
	CHECK(has(p("s/dirlink/../up"), "top"));
	/* Absolute targets. */
	snprintf(abs, sizeof(abs), "%s/s/x/y/f", dir);
	CHECK_OK(symlink(abs, p("s/abs")));
	CHECK(has(p("s/abs"), "deep"));
	CHECK_OK(symlink("/", p("s/root")));
	CHECK(same(p("s/root/tmp"), "/tmp"));
	CHECK(same(p("s/root/.."), "/"));
	/* Chains, and links in the middle of a path. */
	CHECK_OK(symlink("dirlink", p("s/chain")));
	CHECK(has(p("s/chain/f"), "deep"));
	CHECK_OK(symlink("chain/", p("s/slash")));
	CHECK(same(p("s/slash"), p("s/x/y")));
	/* A symlink to a file with a trailing slash: ENOTDIR. */
	CHECK_ERR(stat(p("s/abs/"), &st), ENOTDIR);
	CHECK_OK(lstat(p("s/dirlink/"), &st));	/* trailing "/" follows */
	CHECK(S_ISDIR(st.st_mode));
	/* Dangling. */
	CHECK_OK(symlink("nothing", p("s/dangle")));
	CHECK_ERR(stat(p("s/dangle"), &st), ENOENT);
	CHECK_ERR(stat(p("s/dangle/x"), &st), ENOENT);

	/* Loops. */
	CHECK_OK(symlink("self", p("s/self")));
	CHECK_ERR(stat(p("s/self"), &st), ELOOP);
	CHECK_ERR(open(p("s/self"), O_RDONLY), ELOOP);
	CHECK_ERR(open(p("s/self"), O_RDONLY | O_CREAT, 0644), ELOOP);
	CHECK_ERR(stat(p("s/self/x"), &st), ELOOP);
	CHECK_OK(lstat(p("s/self"), &st));
	CHECK_OK(symlink("pong", p("s/ping")));
	CHECK_OK(symlink("ping", p("s/pong")));
	CHECK_ERR(stat(p("s/ping"), &st), ELOOP);
	CHECK_ERR(chdir(p("s/pong")), ELOOP);
	CHECK_OK(symlink(".", p("s/dot")));	/* fine: no loop */
	CHECK(has(p("s/dot/dot/dot/dot/top"), "top"));
}

/*
 * c1 -> top, c2 -> c1, ..., c41 -> c40: resolving cN follows N links.
 * Linux allows 40 (MAXSYMLINKS) in one resolution, counted over the whole
 * path, not per component.
 */
static void test_symlink_limit(void)
{
	char name[32], target[32];
	struct stat st;

	CHECK_OK(mkdir(p("lim"), 0755));
	put(p("lim/top"), "T");
	CHECK_OK(mkdir(p("lim/d"), 0755));
	put(p("lim/d/f"), "D");
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof(name), "lim/c%d", i);
		if (i == 1)
			snprintf(target, sizeof(target), "top");
		else
			snprintf(target, sizeof(target), "c%d", i - 1);
		CHECK_OK(symlink(target, p(name)));
	}
	CHECK(has(p("lim/c1"), "T"));
	CHECK(has(p("lim/c39"), "T"));
	CHECK(has(p("lim/c40"), "T"));
	CHECK_OK(stat(p("lim/c40"), &st));
	CHECK_ERR(open(p("lim/c41"), O_RDONLY), ELOOP);
	CHECK_ERR(stat(p("lim/c41"), &st), ELOOP);
	CHECK_OK(lstat(p("lim/c41"), &st));
	/*
	 * The count spans the whole path: eK leads to d through K links and
	 * d/toN -> ../cN takes N + 1, so eK/toN takes K + N + 1 in all.
	 */
	CHECK_OK(symlink("d", p("lim/e1")));
	for (int i = 2; i <= 21; i++) {
		snprintf(name, sizeof(name), "lim/e%d", i);
		snprintf(target, sizeof(target), "e%d", i - 1);
		CHECK_OK(symlink(target, p(name)));
	}
	CHECK_OK(symlink("../c20", p("lim/d/to20")));
	CHECK_OK(symlink("../c19", p("lim/d/to19")));
	CHECK(has(p("lim/e21/f"), "D"));
	CHECK(has(p("lim/e19/to20"), "T"));	/* 40 */
	CHECK(has(p("lim/e20/to19"), "T"));	/* 40 */
	CHECK_ERR(open(p("lim/e20/to20"), O_RDONLY), ELOOP);	/* 41 */
	CHECK_ERR(open(p("lim/e21/to19"), O_RDONLY), ELOOP);	/* 41 */
	CHECK_ERR(stat(p("lim/e20/to20"), &st), ELOOP);
}

/* A path of exactly len bytes naming dir/a/f, padded with "/." (and one
 * extra "/" if needed) between dir/a and /f. */
static char *long_path(size_t len)
{
	char *s = malloc(len + 1);
	size_t n;

	if (!s)
		return NULL;
	n = (size_t)sprintf(s, "%s/a", dir);
	while (n + 2 + 2 <= len) {
		memcpy(s + n, "/.", 2);
		n += 2;
	}
	if (n + 2 < len)
		s[n++] = '/';
	memcpy(s + n, "/f", 3);
	return s;
}

static void test_name_limits(void)
{
	char name[300], *path;
	struct stat st;
	int fd;

	/* 255-byte components are fine; 256 is ENAMETOOLONG. */
	memset(name, 0, sizeof(name));
	strcpy(name, dir);
	strcat(name, "/");
	memset(name + strlen(name), 'n', 255);
	CHECK_ERR(stat(name, &st), ENOENT);
	fd = open(name, O_CREAT | O_WRONLY, 0644);
	if (CHECK(fd >= 0))
		close(fd);
	CHECK_OK(stat(name, &st));
	CHECK_OK(unlink(name));
	strcat(name, "n");
	CHECK_ERR(stat(name, &st), ENAMETOOLONG);
	CHECK_ERR(open(name, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	CHECK_ERR(mkdir(name, 0755), ENAMETOOLONG);
	CHECK_ERR(symlink("x", name), ENAMETOOLONG);
	strcat(name, "/x");				/* even mid-path */
	CHECK_ERR(stat(name, &st), ENAMETOOLONG);

	/* Whole paths: 4095 bytes (+ NUL) resolve, 4096 do not. */
	path = long_path(4095);
	if (CHECK(path != NULL)) {
		CHECK_EQ(strlen(path), 4095);
		CHECK(has(path, "F"));
		free(path);
	}
	path = long_path(4096);
	if (CHECK(path != NULL)) {
		CHECK_EQ(strlen(path), 4096);
		CHECK_ERR(stat(path, &st), ENAMETOOLONG);
		CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
		free(path);
	}
	path = long_path(10000);
	if (CHECK(path != NULL)) {
		CHECK_ERR(stat(path, &st), ENAMETOOLONG);
		free(path);
	}
	/* A symlink target may not be PATH_MAX or longer either. */
	path = long_path(4096);
	if (CHECK(path != NULL)) {
		CHECK_ERR(symlink(path, p("toolong")), ENAMETOOLONG);
		free(path);
	}
}

static void test_nofollow_opath(void)
{
	struct stat st, st2;
	char buf[16];
	int fd, dfd, f2;

	CHECK_OK(mkdir(p("o"), 0755));
	put(p("o/f"), "file");
	CHECK_OK(symlink("f", p("o/l")));
	CHECK_OK(symlink(".", p("o/dl")));

	/* O_NOFOLLOW refuses a final symlink but follows earlier ones. */
	CHECK_ERR(open(p("o/l"), O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERR(open(p("o/l"), O_RDONLY | O_NOFOLLOW | O_CREAT, 0644), ELOOP);
	fd = open(p("o/dl/f"), O_RDONLY | O_NOFOLLOW);
	CHECK(fd >= 0);
	close(fd);

	/* O_PATH|O_NOFOLLOW opens the symlink itself. */
	fd = open(p("o/l"), O_PATH | O_NOFOLLOW);
	if (CHECK(fd >= 0)) {
		CHECK_OK(fstat(fd, &st));
		CHECK(S_ISLNK(st.st_mode));
		CHECK_OK(lstat(p("o/l"), &st2));
		CHECK_EQ(st.st_ino, st2.st_ino);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
		memset(buf, 0, sizeof(buf));
		CHECK_EQ(readlinkat(fd, "", buf, sizeof(buf)), 1);
		CHECK(!strcmp(buf, "f"));
		CHECK_ERR(read(fd, buf, 1), EBADF);
		CHECK_OK(fstatat(fd, "", &st2, AT_EMPTY_PATH));
		CHECK(S_ISLNK(st2.st_mode));
		/* AT_EMPTY_PATH never follows the fd's symlink. */
		CHECK_OK(fstatat(fd, "", &st2, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW));
		CHECK(S_ISLNK(st2.st_mode));
		close(fd);
	}
	/* Plain O_PATH follows the link. */
	fd = open(p("o/l"), O_PATH);
	if (CHECK(fd >= 0)) {
		CHECK_OK(fstat(fd, &st));
		CHECK(S_ISREG(st.st_mode));
		close(fd);
	}

	/* An O_PATH file: no I/O, but fstat and friends work. */
	fd = open(p("o/f"), O_PATH);
	if (CHECK(fd >= 0)) {
		CHECK_ERR(read(fd, buf, 1), EBADF);
		CHECK_ERR(write(fd, "x", 1), EBADF);
		CHECK_ERR(pread(fd, buf, 1, 0), EBADF);
		CHECK_ERR(fchmod(fd, 0600), EBADF);
		CHECK_ERR(ftruncate(fd, 0), EBADF);
		CHECK_ERR(ioctl(fd, FIONREAD, &f2), EBADF);
		CHECK_MAP_ERR(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0), EBADF);
		CHECK_OK(fstat(fd, &st));
		CHECK(S_ISREG(st.st_mode));
		CHECK_EQ(st.st_size, 4);
		CHECK_ERR(fstatat(fd, "", &st, 0), ENOENT);
		CHECK_OK(fstatat(fd, "", &st, AT_EMPTY_PATH));
		CHECK_EQ(st.st_size, 4);
		/* A file is no dirfd. */
		CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
		CHECK_ERR(fchdir(fd), ENOTDIR);
		f2 = dup(fd);
		CHECK(f2 >= 0);
		CHECK_EQ(fcntl(f2, F_GETFL) & O_PATH, O_PATH);
		close(f2);
		/* Reopen through /proc/self/fd for real I/O. */
		snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
		f2 = open(buf, O_RDONLY);
		if (CHECK(f2 >= 0)) {
			CHECK(fd_has(f2, "file"));
			close(f2);
		}
		CHECK_OK(close(fd));
	}

	/* An O_PATH directory works as a dirfd. */
	dfd = open(p("o"), O_PATH | O_DIRECTORY);
	if (CHECK(dfd >= 0)) {
		char dents[256];

		fd = openat(dfd, "f", O_RDONLY);
		if (CHECK(fd >= 0)) {
			CHECK(fd_has(fd, "file"));
			close(fd);
		}
		CHECK_OK(fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW));
		CHECK(S_ISLNK(st.st_mode));
		CHECK_OK(mkdirat(dfd, "sub", 0755));
		CHECK_ERR(syscall(SYS_getdents64, dfd, dents, sizeof(dents)), EBADF);
		/* open with an empty path is ENOENT, O_PATH or not. */
		CHECK_ERR(openat(dfd, "", O_RDONLY), ENOENT);
		CHECK_ERR(openat(dfd, "", O_PATH), ENOENT);
		CHECK_OK(fstatat(dfd, "", &st, AT_EMPTY_PATH));
		CHECK(S_ISDIR(st.st_mode));
		close(dfd);
	}
	CHECK_OK(fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH));	/* the cwd */
	CHECK_OK(stat(".", &st2));
	CHECK_EQ(st.st_ino, st2.st_ino);
	CHECK_ERR(fstatat(999, "", &st, AT_EMPTY_PATH), EBADF);
	CHECK_ERR(open(p("o/f"), O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open(p("o/f"), O_PATH | O_DIRECTORY), ENOTDIR);
}

static void test_openat2_args(void)
{
	struct {
		struct open_how how;
		uint64_t tail[3];
	} big;
	struct open_how how;
	int dfd, fd;

	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (!CHECK(dfd >= 0))
		return;
	put(p("g"), "g");

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY;
	fd = (int)syscall(SYS_openat2, dfd, "g", &how, sizeof(how));
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "g"));
		close(fd);
	}
	/* Size: smaller than version 0 is EINVAL; a larger struct is fine
	 * if its tail is zero, E2BIG if not. */
	CHECK_ERR(syscall(SYS_openat2, dfd, "g", &how, 0), EINVAL);
	CHECK_ERR(syscall(SYS_openat2, dfd, "g", &how, 16), EINVAL);
	CHECK_ERR(syscall(SYS_openat2, dfd, "g", &how, sizeof(how) - 1), EINVAL);
	memset(&big, 0, sizeof(big));
	fd = (int)syscall(SYS_openat2, dfd, "g", &big, sizeof(big));
	if (CHECK(fd >= 0))
		close(fd);
	big.tail[2] = 1;
	CHECK_ERR(syscall(SYS_openat2, dfd, "g", &big, sizeof(big)), E2BIG);
	big.tail[2] = 0;
	big.tail[0] = 1;
	CHECK_ERR(syscall(SYS_openat2, dfd, "g", &big, sizeof(big)), E2BIG);
	CHECK_ERR(syscall(SYS_openat2, dfd, "g", (void *)1, sizeof(how)), EFAULT);
	CHECK_ERR(syscall(SYS_openat2, dfd, (char *)1, &how, sizeof(how)), EFAULT);

	/* Unknown bits are rejected, unlike open(2). */
	CHECK_ERR(openat2(dfd, "g", O_RDONLY, 0, 1ULL << 40), EINVAL);
	CHECK_ERR(openat2(dfd, "g", O_RDONLY, 0, 0x80), EINVAL);
	CHECK_ERR(openat2(dfd, "g", 1ULL << 40, 0, 0), EINVAL);
	CHECK_ERR(openat2(dfd, "g", O_RDONLY | 0x4000000, 0, 0), EINVAL);
	fd = openat(dfd, "g", O_RDONLY | 0x4000000);	/* open ignores them */
	if (CHECK(fd >= 0))
		close(fd);
	/* A mode needs O_CREAT (or O_TMPFILE) and may only have 07777. */
	CHECK_ERR(openat2(dfd, "g", O_RDONLY, 0644, 0), EINVAL);
	CHECK_ERR(openat2(dfd, "h", O_RDWR | O_CREAT, 010644, 0), EINVAL);
	CHECK_ERR(openat2(dfd, "h", O_RDWR | O_CREAT, 1ULL << 33, 0), EINVAL);
	fd = (int)openat2(dfd, "h", O_RDWR | O_CREAT | O_EXCL, 07640, 0);
	if (CHECK(fd >= 0)) {
		struct stat st;

		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_mode & 07777, 07640 & ~022);
		close(fd);
	}
	/* O_PATH takes only O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC. */
	CHECK_ERR(openat2(dfd, "g", O_PATH | O_CREAT, 0644, 0), EINVAL);
	CHECK_ERR(openat2(dfd, "g", O_PATH | O_RDWR, 0, 0), EINVAL);
	fd = (int)openat2(dfd, "g", O_PATH | O_CLOEXEC | O_NOFOLLOW, 0, 0);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		close(fd);
	}
	/* Contradictory resolve flags. */
	CHECK_ERR(openat2(dfd, "g", O_RDONLY, 0,
			  RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
	CHECK_ERR(openat2(999, "g", O_RDONLY, 0, 0), EBADF);
	close(dfd);
}

static void test_openat2_beneath(void)
{
	char abs[256];
	int root, fd;

	/* The tree: jail/{f, sub/g, up -> .., abs -> <dir>/outside,
	 * inner -> sub/g, etc -> /etc}, and <dir>/outside. */
	CHECK_OK(mkdir(p("jail"), 0755));
	CHECK_OK(mkdir(p("jail/sub"), 0755));
	put(p("jail/f"), "jail-f");
	put(p("jail/sub/g"), "jail-g");
	put(p("outside"), "outside");
	CHECK_OK(symlink("..", p("jail/up")));
	snprintf(abs, sizeof(abs), "%s/outside", dir);
	CHECK_OK(symlink(abs, p("jail/abs")));
	CHECK_OK(symlink("sub/g", p("jail/inner")));
	CHECK_OK(symlink("../f", p("jail/sub/back")));
	CHECK_OK(symlink("/etc/passwd", p("jail/pw")));
	CHECK_OK(symlink("/f", p("jail/rootf")));
	CHECK_OK(symlink("../../../../f", p("jail/sub/far")));
	root = open(p("jail"), O_PATH | O_DIRECTORY);
	if (!CHECK(root >= 0))
		return;

	/* RESOLVE_BENEATH: anything that leaves the dirfd is EXDEV. */
	fd = (int)openat2(root, "sub/g", O_RDONLY, 0, RESOLVE_BENEATH);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "jail-g"));
		close(fd);
	}
	fd = (int)openat2(root, "sub/../f", O_RDONLY, 0, RESOLVE_BENEATH);
	if (CHECK(fd >= 0))
		close(fd);
	fd = (int)openat2(root, "inner", O_RDONLY, 0, RESOLVE_BENEATH);
	if (CHECK(fd >= 0))
		close(fd);
	fd = (int)openat2(root, "sub/back", O_RDONLY, 0, RESOLVE_BENEATH);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "jail-f"));
		close(fd);
	}
	CHECK_ERR(openat2(root, "..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERR(openat2(root, "../outside", O_RDONLY, 0, RESOLVE_BENEATH),
		  EXDEV);
	CHECK_ERR(openat2(root, "sub/../../outside", O_RDONLY, 0,
			  RESOLVE_BENEATH), EXDEV);
	CHECK_ERR(openat2(root, abs, O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERR(openat2(root, "/", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERR(openat2(root, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERR(openat2(root, "up/outside", O_RDONLY, 0, RESOLVE_BENEATH),
		  EXDEV);
	CHECK_ERR(openat2(root, "pw", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	/* O_NOFOLLOW|O_PATH on an escaping link is fine: not followed. */
	fd = (int)openat2(root, "abs", O_PATH | O_NOFOLLOW, 0, RESOLVE_BENEATH);
	if (CHECK(fd >= 0))
		close(fd);
	/* With AT_FDCWD, the cwd is the boundary. */
	CHECK_ERR(openat2(AT_FDCWD, "/tmp", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);

	/* RESOLVE_IN_ROOT: "/" and ".." stop at the dirfd. */
	fd = (int)openat2(root, "/f", O_RDONLY, 0, RESOLVE_IN_ROOT);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "jail-f"));
		close(fd);
	}
	fd = (int)openat2(root, "../../../f", O_RDONLY, 0, RESOLVE_IN_ROOT);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "jail-f"));
		close(fd);
	}
	fd = (int)openat2(root, "up/up/sub/g", O_RDONLY, 0, RESOLVE_IN_ROOT);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "jail-g"));
		close(fd);
	}
	fd = (int)openat2(root, "rootf", O_RDONLY, 0, RESOLVE_IN_ROOT);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "jail-f"));
		close(fd);
	}
	fd = (int)openat2(root, "sub/far", O_RDONLY, 0, RESOLVE_IN_ROOT);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "jail-f"));
		close(fd);
	}
	/* An absolute link to /etc/passwd looks for jail/etc/passwd. */
	CHECK_ERR(openat2(root, "pw", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
	CHECK_ERR(openat2(root, "/etc/passwd", O_RDONLY, 0, RESOLVE_IN_ROOT),
		  ENOENT);
	CHECK_ERR(openat2(root, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
	CHECK_OK(mkdir(p("jail/etc"), 0755));
	put(p("jail/etc/passwd"), "fake");
	fd = (int)openat2(root, "pw", O_RDONLY, 0, RESOLVE_IN_ROOT);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "fake"));
		close(fd);
	}
	/* Creation inside the root too. */
	fd = (int)openat2(root, "/made", O_WRONLY | O_CREAT | O_EXCL, 0600,
			  RESOLVE_IN_ROOT);
	if (CHECK(fd >= 0))
		close(fd);
	CHECK(has(p("jail/made"), ""));

	/* Without any RESOLVE flag, the same links escape as usual. */
	fd = (int)openat2(root, "abs", O_RDONLY, 0, 0);
	if (CHECK(fd >= 0)) {
		CHECK(fd_has(fd, "outside"));
		close(fd);
	}
	fd = (int)openat2(root, "../outside", O_RDONLY, 0, 0);
	if (CHECK(fd >= 0))
		close(fd);
	close(root);
}

static void test_openat2_no_symlinks_xdev(void)
{
	char path[64];
	struct stat st;
	int dfd, fd, slash, proc;

	dfd = open(dir, O_PATH | O_DIRECTORY);
	if (!CHECK(dfd >= 0))
		return;
	CHECK_OK(mkdir(p("ns"), 0755));
	put(p("ns/f"), "ns-f");
	CHECK_OK(symlink("f", p("ns/l")));
	CHECK_OK(symlink("ns", p("nsl")));

	/* RESOLVE_NO_SYMLINKS: any symlink on the way is ELOOP. */
	fd = (int)openat2(dfd, "ns/f", O_RDONLY, 0, RESOLVE_NO_SYMLINKS);
	if (CHECK(fd >= 0))
		close(fd);
	CHECK_ERR(openat2(dfd, "ns/l", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	CHECK_ERR(openat2(dfd, "nsl/f", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	CHECK_ERR(openat2(dfd, "ns/l", O_PATH, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	/* ...unless a final one is not followed at all. */
	fd = (int)openat2(dfd, "ns/l", O_PATH | O_NOFOLLOW, 0,
			  RESOLVE_NO_SYMLINKS);
	if (CHECK(fd >= 0)) {
		CHECK_OK(fstat(fd, &st));
		CHECK(S_ISLNK(st.st_mode));
		close(fd);
	}
	CHECK_ERR(openat2(dfd, "ns/l", O_RDONLY | O_NOFOLLOW, 0,
			  RESOLVE_NO_SYMLINKS), ELOOP);

	/* RESOLVE_NO_XDEV: crossing a mount point either way is EXDEV. */
	slash = open("/", O_PATH | O_DIRECTORY);
	proc = open("/proc", O_PATH | O_DIRECTORY);
	if (CHECK(slash >= 0) && CHECK(proc >= 0)) {
		fd = (int)openat2(slash, ".", O_PATH, 0, RESOLVE_NO_XDEV);
		if (CHECK(fd >= 0))
			close(fd);
		CHECK_ERR(openat2(slash, "proc/self", O_PATH, 0, RESOLVE_NO_XDEV),
			  EXDEV);
		CHECK_ERR(openat2(slash, "proc", O_PATH, 0, RESOLVE_NO_XDEV),
			  EXDEV);
		CHECK_ERR(openat2(slash, "dev/null", O_RDONLY, 0, RESOLVE_NO_XDEV),
			  EXDEV);
		CHECK_ERR(openat2(AT_FDCWD, "/dev/null", O_RDONLY, 0,
				  RESOLVE_NO_XDEV), EXDEV);
		CHECK_ERR(openat2(proc, "..", O_PATH, 0, RESOLVE_NO_XDEV), EXDEV);
		CHECK_ERR(openat2(proc, "../tmp", O_PATH, 0, RESOLVE_NO_XDEV),
			  EXDEV);
		fd = (int)openat2(proc, "version", O_RDONLY, 0, RESOLVE_NO_XDEV);
		if (CHECK(fd >= 0))
			close(fd);
		fd = (int)openat2(dfd, "ns/l", O_RDONLY, 0, RESOLVE_NO_XDEV);
		if (CHECK(fd >= 0))
			close(fd);
		/* A symlink to another mount is refused too. */
		CHECK_OK(symlink("/proc/version", p("ns/pv")));
		CHECK_ERR(openat2(dfd, "ns/pv", O_RDONLY, 0, RESOLVE_NO_XDEV),
			  EXDEV);
	}
	if (slash >= 0)
		close(slash);
	if (proc >= 0)
		close(proc);

	/* RESOLVE_NO_MAGICLINKS: /proc/self/fd/N is refused, /proc/self
	 * (an ordinary symlink) is not. */
	fd = open(p("ns/f"), O_RDONLY);
	if (CHECK(fd >= 0)) {
		int f2;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		f2 = (int)openat2(AT_FDCWD, path, O_RDONLY, 0, 0);
		if (CHECK(f2 >= 0)) {
			CHECK(fd_has(f2, "ns-f"));
			close(f2);
		}
		CHECK_ERR(openat2(AT_FDCWD, path, O_RDONLY, 0,
				  RESOLVE_NO_MAGICLINKS), ELOOP);
		CHECK_ERR(openat2(AT_FDCWD, path, O_PATH, 0,
				  RESOLVE_NO_MAGICLINKS), ELOOP);
		CHECK_ERR(openat2(AT_FDCWD, path, O_RDONLY, 0,
				  RESOLVE_NO_SYMLINKS), ELOOP);
		f2 = (int)openat2(AT_FDCWD, path, O_PATH | O_NOFOLLOW, 0,
				  RESOLVE_NO_MAGICLINKS);
		if (CHECK(f2 >= 0)) {
			CHECK_OK(fstat(f2, &st));
			CHECK(S_ISLNK(st.st_mode));
			close(f2);
		}
		f2 = (int)openat2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0,
				  RESOLVE_NO_MAGICLINKS);
		if (CHECK(f2 >= 0))
			close(f2);
		close(fd);
	}
	close(dfd);
}

int main(void)
{
	struct stat st;

	umask(022);
	scratch_init();
	test_dots_and_slashes();
	test_symlinks();
	test_symlink_limit();
	test_name_limits();
	test_nofollow_opath();
	test_openat2_args();
	test_openat2_beneath();
	test_openat2_no_symlinks_xdev();
	rmtree(dir);
	CHECK_ERR(stat(dir, &st), ENOENT);
	return check_done();
}
