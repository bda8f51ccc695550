/*
 * fs_stat.c - stat in all its forms, and statfs.
 *
 * Covers: stat/lstat/fstat/newfstatat (AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH,
 * "" without AT_EMPTY_PATH, dirfd-relative lookups, bad flags), statx
 * (mask, agreement with stat, AT_STATX_SYNC_* flags, AT_EMPTY_PATH, invalid
 * flags and mask bits), symlinks (lstat sees S_IFLNK with st_size = target
 * length, stat follows, dangling links, O_PATH|O_NOFOLLOW fds), hard-link
 * counts and inode identity, st_size after writes, directories and their
 * link counts, "/", trailing slashes, empty and over-long paths, EFAULT,
 * pipes, statfs/fstatfs, and /etc/passwd.
 *
 * Filesystem-specific values (st_dev, st_blksize, st_blocks, f_type) are not
 * checked. Everything happens in a scratch directory made with mkdtemp under
 * /tmp (the process chdir()s into it); it is removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

static char scratch[] = "/tmp/moat-fs-XXXXXX";
static char *badbuf;	/* one PROT_NONE page: any access faults */

static int same_ts(struct timespec a, struct statx_timestamp b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == (long)b.tv_nsec;
}

/* statx and stat describe the same file identically. */
static void check_statx_matches(const struct statx *x, const struct stat *st)
{
	CHECK_EQ(x->stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
	CHECK_EQ(x->stx_mode, st->st_mode);
	CHECK_EQ(x->stx_ino, st->st_ino);
	CHECK_EQ(x->stx_nlink, st->st_nlink);
	CHECK_EQ(x->stx_size, st->st_size);
	CHECK_EQ(x->stx_uid, st->st_uid);
	CHECK_EQ(x->stx_gid, st->st_gid);
	CHECK_EQ(x->stx_blocks, st->st_blocks);
	CHECK_EQ(x->stx_blksize, st->st_blksize);
	CHECK_EQ(makedev(x->stx_dev_major, x->stx_dev_minor), st->st_dev);
	CHECK_EQ(makedev(x->stx_rdev_major, x->stx_rdev_minor), st->st_rdev);
	CHECK(same_ts(st->st_atim, x->stx_atime));
	CHECK(same_ts(st->st_mtim, x->stx_mtime));
	CHECK(same_ts(st->st_ctim, x->stx_ctime));
}

static void test_regular(void)
{
	struct stat st, st2;
	int fd;

	umask(022);
	fd = open("f", O_CREAT | O_EXCL | O_RDWR, 0664);
	if (!CHECK(fd >= 0))
		return;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(st.st_gid, getegid());
	CHECK_EQ(st.st_rdev, 0);

	/* st_size follows writes, seeks past EOF and truncation. */
	CHECK_EQ(write(fd, "hello", 5), 5);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 5);
	CHECK_EQ(pwrite(fd, "x", 1, 9999), 1);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 10000);
	CHECK_EQ(lseek(fd, 20000, SEEK_SET), 20000);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 10000);			/* seeking alone: no */
	CHECK_OK(ftruncate(fd, 7));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 7);

	/* All the ways to stat one file agree. */
	CHECK_OK(stat("f", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_dev, st.st_dev);
	CHECK_EQ(st2.st_size, 7);
	CHECK_EQ(st2.st_mode, st.st_mode);
	CHECK_OK(lstat("f", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_mode, S_IFREG | 0644);
	CHECK_OK(fstatat(AT_FDCWD, "f", &st2, 0));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(fstatat(AT_FDCWD, "./f", &st2, AT_SYMLINK_NOFOLLOW));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(syscall(SYS_newfstatat, AT_FDCWD, "f", &st2, 0));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_size, 7);
	CHECK_OK(syscall(SYS_fstat, fd, &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	char abs[64];
	snprintf(abs, sizeof(abs), "%s/f", scratch);
	CHECK_OK(stat(abs, &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(fstatat(-1, abs, &st2, 0));	/* absolute: dirfd ignored */
	CHECK_EQ(st2.st_ino, st.st_ino);

	/* AT_EMPTY_PATH stats the fd itself. */
	CHECK_OK(fstatat(fd, "", &st2, AT_EMPTY_PATH));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_size, 7);
	CHECK_ERR(fstatat(fd, "", &st2, 0), ENOENT);
	CHECK_ERR(fstatat(AT_FDCWD, "", &st2, 0), ENOENT);
	CHECK_OK(fstatat(AT_FDCWD, "", &st2, AT_EMPTY_PATH));	/* the cwd */
	CHECK(S_ISDIR(st2.st_mode));
	CHECK_ERR(fstatat(999, "", &st2, AT_EMPTY_PATH), EBADF);
	/* A relative name under a non-directory fd. */
	CHECK_ERR(fstatat(fd, "x", &st2, 0), ENOTDIR);
	CHECK_ERR(fstatat(999, "f", &st2, 0), EBADF);
	CHECK_ERR(fstatat(AT_FDCWD, "f", &st2, 0x1), EINVAL);	/* bad flag */
	CHECK_ERR(fstatat(AT_FDCWD, "f", &st2, AT_REMOVEDIR), EINVAL);

	/* A duplicate fd and a second open see the same inode. */
	int fd2 = dup(fd), fd3 = open("f", O_RDONLY);
	CHECK_OK(fstat(fd2, &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(fstat(fd3, &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(close(fd2));
	CHECK_OK(close(fd3));

	/* Errors. */
	CHECK_ERR(stat("f/", &st2), ENOTDIR);		/* trailing slash */
	CHECK_ERR(lstat("f/", &st2), ENOTDIR);
	CHECK_ERR(stat("f/.", &st2), ENOTDIR);
	CHECK_ERR(stat("f/x", &st2), ENOTDIR);
	CHECK_ERR(stat("", &st2), ENOENT);
	CHECK_ERR(lstat("", &st2), ENOENT);
	CHECK_ERR(stat("missing", &st2), ENOENT);
	CHECK_ERR(stat("missing/x", &st2), ENOENT);
	CHECK_ERR(stat((char *)badbuf, &st2), EFAULT);
	CHECK_ERR(syscall(SYS_stat, 1L, &st2), EFAULT);
	CHECK_ERR(stat("f", (struct stat *)badbuf), EFAULT);
	CHECK_ERR(fstat(fd, (struct stat *)badbuf), EFAULT);
	CHECK_ERR(lstat("f", (struct stat *)badbuf), EFAULT);
	CHECK_ERR(fstat(999, &st2), EBADF);
	CHECK_ERR(fstat(-1, &st2), EBADF);
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK_ERR(stat(longname, &st2), ENAMETOOLONG);
	static char longpath[5000];
	for (size_t i = 0; i + 2 < sizeof(longpath); i += 2)
		memcpy(longpath + i, "./", 2);
	CHECK_ERR(stat(longpath, &st2), ENAMETOOLONG);	/* > PATH_MAX */

	/* An unlinked but open file still stats, with nlink 0. */
	CHECK_OK(unlink("f"));
	CHECK_OK(fstat(fd, &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_nlink, 0);
	CHECK_EQ(st2.st_size, 7);
	CHECK_ERR(stat("f", &st2), ENOENT);
	CHECK_OK(close(fd));
}

static void test_statx(void)
{
	struct statx x;
	struct stat st;
	int fd = open("sx", O_CREAT | O_EXCL | O_RDWR, 0640);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "0123456789abc", 13), 13);
	CHECK_OK(fstat(fd, &st));

	memset(&x, 0xff, sizeof(x));
	CHECK_OK(statx(AT_FDCWD, "sx", 0, STATX_BASIC_STATS, &x));
	check_statx_matches(&x, &st);
	CHECK_EQ(x.stx_mode, S_IFREG | 0640);
	CHECK_EQ(x.stx_size, 13);
	CHECK_EQ(x.stx_nlink, 1);

	memset(&x, 0, sizeof(x));
	CHECK_OK(statx(AT_FDCWD, "sx", AT_STATX_SYNC_AS_STAT, STATX_ALL, &x));
	check_statx_matches(&x, &st);
	memset(&x, 0, sizeof(x));
	CHECK_OK(statx(AT_FDCWD, "sx", AT_STATX_FORCE_SYNC, STATX_BASIC_STATS,
		       &x));
	check_statx_matches(&x, &st);
	memset(&x, 0, sizeof(x));
	CHECK_OK(statx(AT_FDCWD, "sx", AT_STATX_DONT_SYNC, STATX_BASIC_STATS,
		       &x));
	check_statx_matches(&x, &st);
	memset(&x, 0, sizeof(x));
	CHECK_OK(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x));
	check_statx_matches(&x, &st);
	memset(&x, 0, sizeof(x));
	CHECK_OK(statx(AT_FDCWD, "sx", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
		       &x));
	check_statx_matches(&x, &st);
	/* Asking for less is allowed; the basic fields still come back. */
	memset(&x, 0, sizeof(x));
	CHECK_OK(statx(AT_FDCWD, "sx", 0, STATX_SIZE, &x));
	CHECK(x.stx_mask & STATX_SIZE);
	CHECK_EQ(x.stx_size, 13);
	memset(&x, 0, sizeof(x));
	CHECK_OK(syscall(SYS_statx, AT_FDCWD, "sx", 0, STATX_BASIC_STATS, &x));
	check_statx_matches(&x, &st);
	memset(&x, 0, sizeof(x));
	CHECK_OK(statx(AT_FDCWD, ".", 0, STATX_BASIC_STATS, &x));
	CHECK(S_ISDIR(x.stx_mode));

	/* Errors. */
	CHECK_ERR(statx(AT_FDCWD, "sx", AT_STATX_FORCE_SYNC |
			AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &x), EINVAL);
	CHECK_ERR(statx(AT_FDCWD, "sx", 0x1, STATX_BASIC_STATS, &x), EINVAL);
	CHECK_ERR(statx(AT_FDCWD, "sx", AT_REMOVEDIR, STATX_BASIC_STATS, &x),
		  EINVAL);
	CHECK_ERR(statx(AT_FDCWD, "sx", 0, STATX__RESERVED, &x), EINVAL);
	CHECK_ERR(statx(fd, "", 0, STATX_BASIC_STATS, &x), ENOENT);
	CHECK_ERR(statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &x), ENOENT);
	CHECK_ERR(statx(AT_FDCWD, "nope", 0, STATX_BASIC_STATS, &x), ENOENT);
	CHECK_ERR(statx(AT_FDCWD, "sx/", 0, STATX_BASIC_STATS, &x), ENOTDIR);
	CHECK_ERR(statx(fd, "x", 0, STATX_BASIC_STATS, &x), ENOTDIR);
	CHECK_ERR(statx(999, "x", 0, STATX_BASIC_STATS, &x), EBADF);
	CHECK_ERR(statx(999, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x), EBADF);
	CHECK_ERR(statx(AT_FDCWD, "sx", 0, STATX_BASIC_STATS,
			(struct statx *)badbuf), EFAULT);
	CHECK_ERR(statx(AT_FDCWD, (char *)badbuf, 0, STATX_BASIC_STATS, &x),
		  EFAULT);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("sx"));
}

static void test_symlinks(void)
{
	struct stat st, lst, tst;
	struct statx x;
	int fd = open("target", O_CREAT | O_EXCL | O_WRONLY, 0600);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_OK(close(fd));
	CHECK_OK(fstat(fd = open("target", O_RDONLY), &tst));
	CHECK_OK(close(fd));
	CHECK_OK(symlink("target", "ln"));

	/* lstat sees the link itself; stat follows it. */
	CHECK_OK(lstat("ln", &lst));
	CHECK(S_ISLNK(lst.st_mode));
	CHECK_EQ(lst.st_mode, S_IFLNK | 0777);
	CHECK_EQ(lst.st_size, 6);			/* strlen("target") */
	CHECK_EQ(lst.st_nlink, 1);
	CHECK_NE(lst.st_ino, tst.st_ino);
	CHECK_OK(stat("ln", &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_EQ(st.st_ino, tst.st_ino);
	CHECK_EQ(st.st_size, 10);
	CHECK_OK(fstatat(AT_FDCWD, "ln", &st, AT_SYMLINK_NOFOLLOW));
	CHECK_EQ(st.st_ino, lst.st_ino);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(fstatat(AT_FDCWD, "ln", &st, 0));
	CHECK_EQ(st.st_ino, tst.st_ino);
	/* (Following the link may have updated its atime: stat it afresh.) */
	CHECK_OK(lstat("ln", &lst));
	CHECK_OK(statx(AT_FDCWD, "ln", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
		       &x));
	check_statx_matches(&x, &lst);
	CHECK_OK(statx(AT_FDCWD, "ln", 0, STATX_BASIC_STATS, &x));
	CHECK_EQ(x.stx_ino, tst.st_ino);
	CHECK_EQ(x.stx_size, 10);

	/* An O_PATH|O_NOFOLLOW fd refers to the link itself. */
	fd = open("ln", O_PATH | O_NOFOLLOW);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_ino, lst.st_ino);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(fstatat(fd, "", &st, AT_EMPTY_PATH));
	CHECK_EQ(st.st_ino, lst.st_ino);
	CHECK_OK(close(fd));
	/* A plain O_PATH fd follows it. */
	fd = open("ln", O_PATH);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_ino, tst.st_ino);
	CHECK_OK(close(fd));

	/* Long targets: st_size is the full target length. */
	char longt[200];
	memset(longt, 'L', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = 0;
	CHECK_OK(symlink(longt, "ln_long"));
	CHECK_OK(lstat("ln_long", &st));
	CHECK_EQ(st.st_size, 199);
	CHECK_ERR(stat("ln_long", &st), ENOENT);	/* dangling */

	/* Dangling link: stat fails, lstat works. */
	CHECK_OK(symlink("nowhere", "dangle"));
	CHECK_ERR(stat("dangle", &st), ENOENT);
	CHECK_OK(lstat("dangle", &st));
	CHECK_EQ(st.st_size, 7);
	CHECK(S_ISLNK(st.st_mode));

	/* Chains, and a link to a directory with a trailing slash. */
	CHECK_OK(symlink("ln", "ln2"));
	CHECK_OK(stat("ln2", &st));
	CHECK_EQ(st.st_ino, tst.st_ino);
	CHECK_OK(lstat("ln2", &st));
	CHECK_EQ(st.st_size, 2);
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(symlink("d", "dl"));
	struct stat dst;
	CHECK_OK(stat("d", &dst));
	CHECK_OK(lstat("dl", &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(lstat("dl/", &st));		/* the slash forces a follow */
	CHECK_EQ(st.st_ino, dst.st_ino);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(lstat("dl/.", &st));
	CHECK_EQ(st.st_ino, dst.st_ino);
	CHECK_ERR(lstat("ln/", &st), ENOTDIR);	/* link to a file */
	CHECK_ERR(stat("dangle/", &st), ENOENT);

	/* A loop. */
	CHECK_OK(symlink("loop", "loop"));
	CHECK_ERR(stat("loop", &st), ELOOP);
	CHECK_OK(lstat("loop", &st));
	CHECK(S_ISLNK(st.st_mode));

	const char *names[] = { "target", "ln", "ln_long", "dangle", "ln2",
				"dl", "loop" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK_OK(unlink(names[i]));
	CHECK_OK(rmdir("d"));
}

static void test_hardlinks(void)
{
	struct stat a, b;
	int fd = open("h1", O_CREAT | O_EXCL | O_WRONLY, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_OK(link("h1", "h2"));
	CHECK_OK(stat("h1", &a));
	CHECK_OK(stat("h2", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_EQ(a.st_nlink, 2);
	CHECK_EQ(b.st_nlink, 2);
	CHECK_EQ(b.st_size, 3);
	CHECK_OK(linkat(AT_FDCWD, "h2", AT_FDCWD, "h3", 0));
	CHECK_OK(fstat(fd, &a));
	CHECK_EQ(a.st_nlink, 3);
	/* Writes through one name show through the others. */
	CHECK_EQ(write(fd, "defg", 4), 4);
	CHECK_OK(stat("h3", &b));
	CHECK_EQ(b.st_size, 7);
	CHECK_EQ(b.st_ino, a.st_ino);
	CHECK_OK(unlink("h1"));
	CHECK_OK(stat("h2", &b));
	CHECK_EQ(b.st_nlink, 2);
	CHECK_OK(unlink("h3"));
	CHECK_OK(fstat(fd, &b));
	CHECK_EQ(b.st_nlink, 1);
	CHECK_OK(unlink("h2"));
	CHECK_OK(fstat(fd, &b));
	CHECK_EQ(b.st_nlink, 0);
	CHECK_OK(close(fd));
}

static void test_dirs(void)
{
	struct stat st, st2;

	CHECK_OK(mkdir("dd", 0750));
	CHECK_OK(stat("dd", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode, S_IFDIR | 0750);
	CHECK_EQ(st.st_nlink, 2);			/* "dd" and "dd/." */
	CHECK_OK(stat("dd/", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(stat("dd/.", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(stat("dd//", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(mkdir("dd/sub", 0755));
	CHECK_OK(stat("dd", &st));
	CHECK_EQ(st.st_nlink, 3);			/* + "sub/.." */
	CHECK_OK(stat("dd/sub/..", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(stat(".", &st2));
	CHECK_OK(stat("dd/..", &st));
	CHECK_EQ(st.st_ino, st2.st_ino);
	/* Files don't count towards a directory's nlink. */
	int fd = open("dd/file", O_CREAT | O_EXCL | O_WRONLY, 0644);
	CHECK(fd >= 0);
	CHECK_OK(close(fd));
	CHECK_OK(stat("dd", &st));
	CHECK_EQ(st.st_nlink, 3);
	CHECK_OK(unlink("dd/file"));
	CHECK_OK(rmdir("dd/sub"));
	CHECK_OK(stat("dd", &st));
	CHECK_EQ(st.st_nlink, 2);

	int dfd = open("dd", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_OK(fstat(dfd, &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK(S_ISDIR(st2.st_mode));
	CHECK_OK(fstatat(dfd, ".", &st2, 0));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(rmdir("dd"));
	CHECK_OK(fstat(dfd, &st2));			/* removed, still open */
	CHECK(S_ISDIR(st2.st_mode));
	CHECK_EQ(st2.st_nlink, 0);
	CHECK_OK(close(dfd));

	/* The root. */
	CHECK_OK(stat("/", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(stat("/..", &st2));			/* ".." of / is / */
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_dev, st.st_dev);
	CHECK_OK(lstat("//", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_OK(stat("/tmp", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(stat(scratch, &st));
	CHECK_EQ(st.st_mode, S_IFDIR | 0700);		/* mkdtemp's mode */

	/* /etc/passwd exists and is a non-empty regular file. */
	CHECK_OK(stat("/etc/passwd", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK(st.st_size > 0);
	CHECK_OK(lstat("/etc", &st));
	CHECK(S_ISDIR(st.st_mode));
}

static void test_pipe(void)
{
	int p[2];
	struct stat a, b;

	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_OK(fstat(p[0], &a));
	CHECK_OK(fstat(p[1], &b));
	CHECK(S_ISFIFO(a.st_mode));
	CHECK(S_ISFIFO(b.st_mode));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_nlink, 1);
	CHECK_EQ(a.st_size, 0);
	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
}

static void test_statfs(void)
{
	struct statfs a, b;
	int fd;

	memset(&a, 0, sizeof(a));
	CHECK_OK(statfs(".", &a));
	CHECK(a.f_bsize > 0);
	CHECK(a.f_namelen > 0);
	CHECK_OK(statfs(scratch, &b));
	CHECK_EQ(b.f_type, a.f_type);
	CHECK_EQ(b.f_bsize, a.f_bsize);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	memset(&b, 0, sizeof(b));
	CHECK_OK(fstatfs(fd, &b));
	CHECK_EQ(b.f_type, a.f_type);
	CHECK_EQ(b.f_bsize, a.f_bsize);
	CHECK_OK(close(fd));
	/* A file on the same filesystem. */
	fd = open("sf", O_CREAT | O_EXCL | O_RDWR, 0644);
	CHECK(fd >= 0);
	CHECK_OK(fstatfs(fd, &b));
	CHECK_EQ(b.f_type, a.f_type);
	CHECK_OK(statfs("sf", &b));
	CHECK_EQ(b.f_type, a.f_type);
	CHECK_ERR(statfs("sf/", &b), ENOTDIR);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("sf"));

	memset(&b, 0, sizeof(b));
	CHECK_OK(statfs("/", &b));
	CHECK(b.f_bsize > 0);
	CHECK(b.f_namelen > 0);
	fd = open("/", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_OK(fstatfs(fd, &b));
	CHECK_OK(close(fd));

	CHECK_ERR(statfs("missing", &b), ENOENT);
	CHECK_ERR(statfs("", &b), ENOENT);
	CHECK_ERR(statfs((char *)badbuf, &b), EFAULT);
	CHECK_ERR(statfs(".", (struct statfs *)badbuf), EFAULT);
	CHECK_ERR(fstatfs(999, &b), EBADF);
	CHECK_ERR(fstatfs(-1, &b), EBADF);
}

int main(void)
{
	badbuf = mmap(NULL, PAGE, PROT_NONE, ANON, -1, 0);
	if (badbuf == MAP_FAILED || !mkdtemp(scratch) || chdir(scratch) != 0) {
		printf("FAIL setup: %s\n", strerror(errno));
		return 1;
	}
	test_regular();
	test_statx();
	test_symlinks();
	test_hardlinks();
	test_dirs();
	test_pipe();
	test_statfs();
	umask(022);
	CHECK_OK(chdir("/"));
	CHECK_OK(rmdir(scratch));	/* fails if anything was left behind */
	return check_done();
}
