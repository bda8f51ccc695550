/*
 * fs_attr.c - changing and testing file attributes (run as root).
 *
 * Covers: chmod/fchmod/fchmodat/fchmodat2 (permission bits including
 * setuid/setgid/sticky, file-type bits ignored, AT_SYMLINK_NOFOLLOW on a
 * symlink = EOPNOTSUPP, AT_EMPTY_PATH, O_PATH fds), chown/fchown/lchown/
 * fchownat (uid 1234 gid 5678, -1 = unchanged, symlink handling, clearing
 * of set-ID bits on regular files only), utimensat (explicit times,
 * UTIME_NOW, UTIME_OMIT, NULL times, AT_SYMLINK_NOFOLLOW, NULL path with an
 * fd, errors), futimens, utimes, lutimes, futimes, futimesat, utime,
 * ctime updates, access/faccessat/faccessat2 (root's view of R/W/X, modes,
 * AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, errors) and umask.
 *
 * Everything happens in a scratch directory made with mkdtemp under /tmp
 * (the process chdir()s into it); it is removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "check.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

static char scratch[] = "/tmp/moat-fs-XXXXXX";
static char *badbuf;	/* one PROT_NONE page: any access faults */

/* Permission bits (incl. set-ID and sticky) of path, following links. */
static long mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return st.st_mode & 07777;
}

static long lmode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return -1;
	return st.st_mode;
}

static void make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, mode);

	if (CHECK(fd >= 0))
		CHECK_OK(close(fd));
	CHECK_OK(chmod(path, mode));	/* independent of the umask */
}

static int ts_le(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

static int ts_lt(struct timespec a, struct timespec b)
{
	return ts_le(a, b) && !(a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec);
}

/* Let the clock move on far enough for timestamps to differ. */
static void tick(void)
{
	struct timespec d = { 0, 15 * 1000 * 1000 };

	nanosleep(&d, NULL);
}

static void test_umask(void)
{
	struct stat st;
	int fd;

	umask(022);
	CHECK_EQ(umask(077), 022);			/* returns the old one */
	CHECK_EQ(umask(022), 077);
	CHECK_EQ(umask(07777), 022);			/* only 0777 is kept */
	CHECK_EQ(umask(022), 0777);
	CHECK_EQ(umask(022), 022);

	fd = open("um", O_CREAT | O_EXCL | O_RDWR, 0777);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0755);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("um"));
	CHECK_OK(mkdir("umd", 0777));
	CHECK_EQ(lmode_of("umd"), S_IFDIR | 0755);
	CHECK_OK(rmdir("umd"));

	umask(0);
	fd = open("um", O_CREAT | O_EXCL | O_RDWR, 0777);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0777);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("um"));
	umask(0777);
	fd = open("um", O_CREAT | O_EXCL | O_RDWR, 0777);
	CHECK(fd >= 0);					/* mode 0 yet RW fd */
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG);
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("um"));
	umask(027);
	CHECK_OK(mkdir("umd", 07777));	/* mkdir keeps sticky, not set-ID */
	CHECK_EQ(lmode_of("umd"), S_IFDIR | 01750);
	CHECK_OK(rmdir("umd"));
	umask(022);
}

static void test_chmod(void)
{
	struct stat st;
	int fd;

	make_file("m", 0644);
	CHECK_OK(chmod("m", 0600));
	CHECK_EQ(mode_of("m"), 0600);
	CHECK_OK(chmod("m", 04755));			/* setuid */
	CHECK_EQ(mode_of("m"), 04755);
	CHECK_OK(chmod("m", 02755));			/* setgid */
	CHECK_EQ(mode_of("m"), 02755);
	CHECK_OK(chmod("m", 01644));			/* sticky on a file */
	CHECK_EQ(mode_of("m"), 01644);
	CHECK_OK(chmod("m", 07777));
	CHECK_EQ(mode_of("m"), 07777);
	CHECK_OK(chmod("m", 0));
	CHECK_EQ(lmode_of("m"), S_IFREG);
	/* File-type and other high bits are ignored, the type stays. */
	CHECK_OK(chmod("m", S_IFDIR | 0640));
	CHECK_EQ(lmode_of("m"), S_IFREG | 0640);
	CHECK_OK(chmod("m", 0170000 | 0604));
	CHECK_EQ(lmode_of("m"), S_IFREG | 0604);

	/* fchmod on an fd, whatever its access mode. */
	fd = open("m", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_OK(fchmod(fd, 0751));
	CHECK_EQ(mode_of("m"), 0751);
	CHECK_OK(fchmod(fd, 04711));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 04711);
	/* Root writing to a set-ID file keeps the bits (CAP_FSETID). */
	CHECK_OK(close(fd));
	CHECK_OK(chmod("m", 06755));
	fd = open("m", O_WRONLY);
	CHECK_EQ(write(fd, "data", 4), 4);
	CHECK_OK(close(fd));
	CHECK_EQ(mode_of("m"), 06755);

	/* Directories: sticky, setgid. */
	CHECK_OK(mkdir("dm", 0755));
	CHECK_OK(chmod("dm", 01777));
	CHECK_EQ(lmode_of("dm"), S_IFDIR | 01777);
	CHECK_OK(chmod("dm", 02755));
	CHECK_EQ(lmode_of("dm"), S_IFDIR | 02755);
	CHECK_OK(chmod("dm/", 0700));			/* trailing slash ok */
	CHECK_EQ(lmode_of("dm"), S_IFDIR | 0700);
	fd = open("dm", O_RDONLY | O_DIRECTORY);
	CHECK_OK(fchmod(fd, 0711));
	CHECK_EQ(lmode_of("dm"), S_IFDIR | 0711);
	/* fchmodat relative to a directory fd. */
	make_file("dm/in", 0644);
	CHECK_OK(fchmodat(fd, "in", 0444, 0));
	CHECK_EQ(mode_of("dm/in"), 0444);
	CHECK_OK(fchmodat(AT_FDCWD, "dm/in", 0440, 0));
	CHECK_EQ(mode_of("dm/in"), 0440);
	CHECK_ERR(fchmodat(fd, "missing", 0444, 0), ENOENT);
	CHECK_OK(unlink("dm/in"));
	CHECK_OK(close(fd));
	CHECK_OK(rmdir("dm"));

	/* Through a symlink: chmod changes the target, never the link. */
	CHECK_OK(chmod("m", 0644));
	CHECK_OK(symlink("m", "ml"));
	CHECK_OK(chmod("ml", 0640));
	CHECK_EQ(mode_of("m"), 0640);
	CHECK_EQ(lmode_of("ml"), S_IFLNK | 0777);
	CHECK_OK(fchmodat(AT_FDCWD, "ml", 0600, 0));
	CHECK_EQ(mode_of("m"), 0600);
	/* AT_SYMLINK_NOFOLLOW: links have no mode of their own to change. */
	CHECK_ERR(fchmodat(AT_FDCWD, "ml", 0644, AT_SYMLINK_NOFOLLOW),
		  EOPNOTSUPP);
	CHECK_EQ(mode_of("m"), 0600);
	CHECK_EQ(lmode_of("ml"), S_IFLNK | 0777);
	/* The kernel's fchmodat2 behaves the same, and accepts the flag on a
	 * non-link. */
	CHECK_ERR(syscall(SYS_fchmodat2, AT_FDCWD, "ml", 0644,
			  AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
	CHECK_OK(syscall(SYS_fchmodat2, AT_FDCWD, "m", 0604,
			 AT_SYMLINK_NOFOLLOW));
	CHECK_EQ(mode_of("m"), 0604);
	CHECK_OK(syscall(SYS_fchmodat2, AT_FDCWD, "ml", 0614, 0));
	CHECK_EQ(mode_of("m"), 0614);
	CHECK_ERR(syscall(SYS_fchmodat2, AT_FDCWD, "m", 0644, 0x1), EINVAL);
	/* The old fchmodat syscall has no flags argument: it follows. */
	CHECK_OK(syscall(SYS_fchmodat, AT_FDCWD, "ml", 0620,
			 AT_SYMLINK_NOFOLLOW));
	CHECK_EQ(mode_of("m"), 0620);
	CHECK_EQ(lmode_of("ml"), S_IFLNK | 0777);
	/* fchmodat2 with AT_EMPTY_PATH changes the fd's file, even O_PATH. */
	fd = open("m", O_PATH);
	CHECK(fd >= 0);
	CHECK_ERR(fchmod(fd, 0644), EBADF);		/* but fchmod can't */
	CHECK_OK(syscall(SYS_fchmodat2, fd, "", 0660, AT_EMPTY_PATH));
	CHECK_EQ(mode_of("m"), 0660);
	CHECK_ERR(syscall(SYS_fchmodat2, fd, "", 0644, 0), ENOENT);
	CHECK_OK(close(fd));

	/* Errors. */
	CHECK_ERR(chmod("missing", 0644), ENOENT);
	CHECK_ERR(chmod("", 0644), ENOENT);
	CHECK_ERR(chmod("m/", 0644), ENOTDIR);
	CHECK_ERR(chmod("m/x", 0644), ENOTDIR);
	CHECK_ERR(chmod((char *)badbuf, 0644), EFAULT);
	CHECK_ERR(fchmod(999, 0644), EBADF);
	CHECK_ERR(fchmod(-1, 0644), EBADF);
	CHECK_ERR(fchmodat(999, "m", 0644, 0), EBADF);
	CHECK_ERR(fchmodat(AT_FDCWD, "m", 0644, 0x1), EINVAL);
	CHECK_OK(symlink("nowhere", "dangle"));
	CHECK_ERR(chmod("dangle", 0644), ENOENT);
	CHECK_OK(unlink("dangle"));
	CHECK_OK(unlink("ml"));
	CHECK_OK(unlink("m"));
}

static void test_chown(void)
{
	struct stat st;
	int fd;

	make_file("o", 0644);
	CHECK_OK(chown("o", 1234, 5678));
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 5678);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	CHECK_OK(chown("o", -1, 42));			/* -1: unchanged */
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 42);
	CHECK_OK(chown("o", 77, -1));
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 77);
	CHECK_EQ(st.st_gid, 42);
	CHECK_OK(chown("o", -1, -1));
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 77);
	CHECK_EQ(st.st_gid, 42);
	CHECK_OK(chown("o", 0, 0));
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 0);
	CHECK_EQ(st.st_gid, 0);

	/* fchown works on any fd but O_PATH. */
	fd = open("o", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_OK(fchown(fd, 1234, 5678));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 5678);
	CHECK_OK(fchown(fd, -1, 1));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 1);
	CHECK_OK(close(fd));
	fd = open("o", O_PATH);
	CHECK_ERR(fchown(fd, 1, 1), EBADF);
	CHECK_OK(fchownat(fd, "", 2, 3, AT_EMPTY_PATH));	/* this works */
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 2);
	CHECK_EQ(st.st_gid, 3);
	CHECK_ERR(fchownat(fd, "", 2, 3, 0), ENOENT);
	CHECK_OK(close(fd));

	/* Symlinks: chown follows, lchown and AT_SYMLINK_NOFOLLOW don't. */
	CHECK_OK(symlink("o", "ol"));
	CHECK_OK(chown("ol", 1234, 5678));
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 5678);
	CHECK_OK(lstat("ol", &st));
	CHECK_EQ(st.st_uid, 0);
	CHECK_EQ(st.st_gid, 0);
	CHECK_OK(lchown("ol", 11, 12));
	CHECK_OK(lstat("ol", &st));
	CHECK_EQ(st.st_uid, 11);
	CHECK_EQ(st.st_gid, 12);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 5678);
	CHECK_OK(fchownat(AT_FDCWD, "ol", 21, -1, AT_SYMLINK_NOFOLLOW));
	CHECK_OK(lstat("ol", &st));
	CHECK_EQ(st.st_uid, 21);
	CHECK_EQ(st.st_gid, 12);
	CHECK_OK(fchownat(AT_FDCWD, "ol", -1, 31, 0));
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 31);
	CHECK_OK(lchown("o", 5, 6));			/* non-link: same as chown */
	CHECK_OK(stat("o", &st));
	CHECK_EQ(st.st_uid, 5);
	CHECK_EQ(st.st_gid, 6);
	CHECK_OK(symlink("nowhere", "dangle"));
	CHECK_ERR(chown("dangle", 1, 1), ENOENT);
	CHECK_OK(lchown("dangle", 1, 1));
	CHECK_OK(unlink("dangle"));

	/* chown of a regular file clears setuid, and setgid if group-exec,
	 * even for root and even when nothing changes. */
	CHECK_OK(chmod("o", 04755));
	CHECK_OK(chown("o", 1234, 5678));
	CHECK_EQ(mode_of("o"), 0755);
	CHECK_OK(chmod("o", 06755));
	CHECK_OK(chown("o", -1, -1));
	CHECK_EQ(mode_of("o"), 0755);
	CHECK_OK(chmod("o", 02745));	/* setgid without g+x: kept */
	CHECK_OK(chown("o", 1, -1));
	CHECK_EQ(mode_of("o"), 02745);
	CHECK_OK(chmod("o", 01755));	/* sticky: kept */
	CHECK_OK(chown("o", 1, 1));
	CHECK_EQ(mode_of("o"), 01755);
	/* Directories keep all of them. */
	CHECK_OK(mkdir("od", 0755));
	CHECK_OK(chmod("od", 07755));
	CHECK_OK(chown("od", 1234, 5678));
	CHECK_OK(stat("od", &st));
	CHECK_EQ(st.st_mode, S_IFDIR | 07755);
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 5678);
	/* A file in a directory owned by someone else: still root's to chown. */
	make_file("od/f", 0600);
	CHECK_OK(fchownat(AT_FDCWD, "od/f", 1234, 5678, 0));
	int dfd = open("od", O_RDONLY | O_DIRECTORY);
	CHECK_OK(fchownat(dfd, "f", 99, 98, 0));
	CHECK_OK(stat("od/f", &st));
	CHECK_EQ(st.st_uid, 99);
	CHECK_EQ(st.st_gid, 98);
	CHECK_OK(close(dfd));
	CHECK_OK(unlink("od/f"));
	CHECK_OK(rmdir("od"));

	/* Errors. */
	CHECK_ERR(chown("missing", 1, 1), ENOENT);
	CHECK_ERR(chown("", 1, 1), ENOENT);
	CHECK_ERR(chown("o/", 1, 1), ENOTDIR);
	CHECK_ERR(chown((char *)badbuf, 1, 1), EFAULT);
	CHECK_ERR(lchown("missing", 1, 1), ENOENT);
	CHECK_ERR(fchown(999, 1, 1), EBADF);
	CHECK_ERR(fchownat(999, "o", 1, 1, 0), EBADF);
	CHECK_ERR(fchownat(AT_FDCWD, "o", 1, 1, 0x1), EINVAL);
	CHECK_OK(unlink("ol"));
	CHECK_OK(unlink("o"));
}

static void test_utimensat(void)
{
	struct stat st, lst, before_st;
	struct timespec before, after;
	int fd;

	make_file("t", 0644);
	/* Explicit times, to the nanosecond. */
	struct timespec ts[2] = { { 1000000000, 5 }, { 1200000000, 999999999 } };
	CHECK_OK(utimensat(AT_FDCWD, "t", ts, 0));
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_atim.tv_nsec, 5);
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 999999999);
	struct timespec zero[2] = { { 0, 0 }, { 0, 0 } };
	CHECK_OK(utimensat(AT_FDCWD, "t", zero, 0));
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_atim.tv_sec, 0);
	CHECK_EQ(st.st_mtim.tv_sec, 0);
	CHECK_EQ(st.st_mtim.tv_nsec, 0);

	/* UTIME_OMIT leaves one alone; tv_sec is then ignored. */
	CHECK_OK(utimensat(AT_FDCWD, "t", ts, 0));
	struct timespec omit_a[2] = { { 7, UTIME_OMIT }, { 1300000000, 1 } };
	CHECK_OK(utimensat(AT_FDCWD, "t", omit_a, 0));
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_atim.tv_nsec, 5);
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 1);
	struct timespec omit_m[2] = { { 1100000000, 2 }, { 0, UTIME_OMIT } };
	CHECK_OK(utimensat(AT_FDCWD, "t", omit_m, 0));
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1100000000);
	CHECK_EQ(st.st_atim.tv_nsec, 2);
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000);
	/* Both omitted: nothing at all changes, not even ctime. */
	before_st = st;
	tick();
	struct timespec omit2[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	CHECK_OK(utimensat(AT_FDCWD, "t", omit2, 0));
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1100000000);
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000);
	CHECK_EQ(st.st_ctim.tv_sec, before_st.st_ctim.tv_sec);
	CHECK_EQ(st.st_ctim.tv_nsec, before_st.st_ctim.tv_nsec);
	/* Setting times does change ctime, to now. */
	tick();
	clock_gettime(CLOCK_REALTIME_COARSE, &before);
	CHECK_OK(utimensat(AT_FDCWD, "t", ts, 0));
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK_OK(stat("t", &st));
	CHECK(ts_lt(before_st.st_ctim, st.st_ctim));
	CHECK(ts_le(before, st.st_ctim) && ts_le(st.st_ctim, after));

	/* UTIME_NOW, and NULL times, use the current time. */
	struct timespec now_a[2] = { { 5, UTIME_NOW }, { 0, UTIME_OMIT } };
	clock_gettime(CLOCK_REALTIME_COARSE, &before);
	CHECK_OK(utimensat(AT_FDCWD, "t", now_a, 0));
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK_OK(stat("t", &st));
	CHECK(ts_le(before, st.st_atim) && ts_le(st.st_atim, after));
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	CHECK_OK(utimensat(AT_FDCWD, "t", ts, 0));
	clock_gettime(CLOCK_REALTIME_COARSE, &before);
	CHECK_OK(utimensat(AT_FDCWD, "t", NULL, 0));
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK_OK(stat("t", &st));
	CHECK(ts_le(before, st.st_atim) && ts_le(st.st_atim, after));
	CHECK(ts_le(before, st.st_mtim) && ts_le(st.st_mtim, after));

	/* A symlink with AT_SYMLINK_NOFOLLOW: the link, not the target. */
	CHECK_OK(symlink("t", "tl"));
	CHECK_OK(utimensat(AT_FDCWD, "t", ts, 0));
	struct timespec lts[2] = { { 1400000000, 3 }, { 1500000000, 4 } };
	CHECK_OK(utimensat(AT_FDCWD, "tl", lts, AT_SYMLINK_NOFOLLOW));
	CHECK_OK(lstat("tl", &lst));
	CHECK_EQ(lst.st_atim.tv_sec, 1400000000);
	CHECK_EQ(lst.st_atim.tv_nsec, 3);
	CHECK_EQ(lst.st_mtim.tv_sec, 1500000000);
	CHECK_EQ(lst.st_mtim.tv_nsec, 4);
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	/* Without the flag it follows. */
	CHECK_OK(utimensat(AT_FDCWD, "tl", lts, 0));
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1500000000);

	/* An fd: futimens, utimensat(fd, NULL), AT_EMPTY_PATH. */
	fd = open("t", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_OK(futimens(fd, ts));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 999999999);
	CHECK_OK(syscall(SYS_utimensat, fd, NULL, lts, 0));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1500000000);
	CHECK_OK(utimensat(fd, "", ts, AT_EMPTY_PATH));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	CHECK_ERR(utimensat(fd, "", ts, 0), ENOENT);
	CHECK_ERR(syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW),
		  EINVAL);
	CHECK_ERR(syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0), EFAULT);
	CHECK_OK(close(fd));
	fd = open("t", O_PATH);
	CHECK_ERR(futimens(fd, ts), EBADF);		/* O_PATH: no */
	CHECK_OK(utimensat(fd, "", lts, AT_EMPTY_PATH));	/* but this */
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1500000000);
	CHECK_OK(close(fd));
	/* Relative to a directory fd. */
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK_OK(utimensat(dfd, "t", ts, 0));
	CHECK_OK(stat("t", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	CHECK_OK(close(dfd));

	/* Errors. */
	struct timespec bad1[2] = { { 0, 1000000000 }, { 0, 0 } };
	struct timespec bad2[2] = { { 0, 0 }, { 0, -1 } };
	CHECK_ERR(utimensat(AT_FDCWD, "t", bad1, 0), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, "t", bad2, 0), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, "t", ts, 0x1), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);
	CHECK_ERR(utimensat(AT_FDCWD, "t/", ts, 0), ENOTDIR);
	CHECK_ERR(utimensat(999, "t", ts, 0), EBADF);
	CHECK_ERR(futimens(999, ts), EBADF);
	CHECK_ERR(utimensat(AT_FDCWD, "t", (struct timespec *)badbuf, 0),
		  EFAULT);
	CHECK_ERR(utimensat(AT_FDCWD, (char *)badbuf, ts, 0), EFAULT);
	CHECK_OK(unlink("tl"));
	CHECK_OK(unlink("t"));
}

static void test_old_utimes(void)
{
	struct stat st, lst;
	struct timeval tv[2] = { { 1000000000, 123456 }, { 1100000000, 7 } };
	struct timespec before, after;

	make_file("u", 0644);
	/* utimes: microseconds become nanoseconds. */
	CHECK_OK(utimes("u", tv));
	CHECK_OK(stat("u", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_atim.tv_nsec, 123456000);
	CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 7000);
	clock_gettime(CLOCK_REALTIME_COARSE, &before);
	CHECK_OK(utimes("u", NULL));
	clock_gettime(CLOCK_REALTIME, &after);
	CHECK_OK(stat("u", &st));
	CHECK(ts_le(before, st.st_mtim) && ts_le(st.st_mtim, after));
	struct timeval badtv[2] = { { 0, 1000000 }, { 0, 0 } };
	CHECK_ERR(utimes("u", badtv), EINVAL);
	CHECK_ERR(utimes("missing", tv), ENOENT);

	/* futimesat: relative to a dirfd. */
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	struct timeval tv2[2] = { { 1200000000, 1 }, { 1300000000, 2 } };
	CHECK_OK(futimesat(dfd, "u", tv2));
	CHECK_OK(stat("u", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1200000000);
	CHECK_EQ(st.st_atim.tv_nsec, 1000);
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 2000);
	CHECK_OK(futimesat(AT_FDCWD, "u", tv));
	CHECK_OK(stat("u", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
	CHECK_ERR(futimesat(999, "u", tv), EBADF);
	CHECK_ERR(futimesat(dfd, "missing", tv), ENOENT);
	CHECK_OK(close(dfd));

	/* futimes on an fd, lutimes on a link. */
	int fd = open("u", O_RDONLY);
	CHECK_OK(futimes(fd, tv2));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000);
	CHECK_OK(close(fd));
	CHECK_OK(symlink("u", "ul"));
	CHECK_OK(lutimes("ul", tv));
	CHECK_OK(lstat("ul", &lst));
	CHECK_EQ(lst.st_mtim.tv_sec, 1100000000);
	CHECK_EQ(lst.st_mtim.tv_nsec, 7000);
	CHECK_OK(stat("u", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1300000000);	/* target untouched */

	/* utime(2): whole seconds. */
	struct utimbuf ub = { 1234567890, 1234567891 };
	CHECK_OK(utime("ul", &ub));			/* follows */
	CHECK_OK(stat("u", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1234567890);
	CHECK_EQ(st.st_atim.tv_nsec, 0);
	CHECK_EQ(st.st_mtim.tv_sec, 1234567891);
	CHECK_EQ(st.st_mtim.tv_nsec, 0);
	CHECK_ERR(utime("missing", &ub), ENOENT);
	CHECK_OK(unlink("ul"));
	CHECK_OK(unlink("u"));
}

static void test_ctime(void)
{
	struct stat a, b;

	make_file("ct", 0644);
	CHECK_OK(stat("ct", &a));
	tick();
	CHECK_OK(chmod("ct", 0600));
	CHECK_OK(stat("ct", &b));
	CHECK(ts_lt(a.st_ctim, b.st_ctim));
	CHECK_EQ(b.st_mtim.tv_sec, a.st_mtim.tv_sec);	/* mtime untouched */
	CHECK_EQ(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
	a = b;
	tick();
	CHECK_OK(chown("ct", 1234, 5678));
	CHECK_OK(stat("ct", &b));
	CHECK(ts_lt(a.st_ctim, b.st_ctim));
	CHECK_EQ(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
	a = b;
	tick();
	CHECK_OK(link("ct", "ct2"));			/* link count changes */
	CHECK_OK(stat("ct", &b));
	CHECK(ts_lt(a.st_ctim, b.st_ctim));
	CHECK_OK(unlink("ct2"));
	CHECK_OK(unlink("ct"));
}

static void test_access(void)
{
	make_file("a0", 0);
	make_file("a644", 0644);
	make_file("a010", 010);
	CHECK_OK(mkdir("ad", 0));

	/* Root may read and write anything... */
	CHECK_OK(access("a0", F_OK));
	CHECK_OK(access("a0", R_OK));
	CHECK_OK(access("a0", W_OK));
	CHECK_OK(access("a0", R_OK | W_OK));
	/* ...but execute only if some x bit is set. */
	CHECK_ERR(access("a0", X_OK), EACCES);
	CHECK_ERR(access("a644", X_OK), EACCES);
	CHECK_ERR(access("a644", R_OK | X_OK), EACCES);
	CHECK_OK(access("a010", X_OK));
	CHECK_OK(access("a010", R_OK | W_OK | X_OK));
	/* Directories are always searchable for root. */
	CHECK_OK(access("ad", X_OK));
	CHECK_OK(access("ad", R_OK | W_OK | X_OK));
	CHECK_OK(access(".", X_OK));
	/* Ownership doesn't matter to root. */
	CHECK_OK(chown("a0", 1234, 5678));
	CHECK_OK(access("a0", R_OK | W_OK));

	/* faccessat: dirfd, AT_EACCESS, AT_SYMLINK_NOFOLLOW. */
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK_OK(faccessat(dfd, "a0", R_OK | W_OK, 0));
	CHECK_ERR(faccessat(dfd, "a644", X_OK, 0), EACCES);
	CHECK_OK(faccessat(AT_FDCWD, "a0", F_OK, AT_EACCESS));
	CHECK_OK(faccessat(AT_FDCWD, "a0", R_OK | W_OK, AT_EACCESS));
	CHECK_ERR(faccessat(AT_FDCWD, "a644", X_OK, AT_EACCESS), EACCES);
	CHECK_OK(faccessat(AT_FDCWD, "ad", X_OK, AT_EACCESS));
	CHECK_OK(symlink("nowhere", "dangle"));
	CHECK_ERR(access("dangle", F_OK), ENOENT);
	CHECK_OK(faccessat(AT_FDCWD, "dangle", F_OK, AT_SYMLINK_NOFOLLOW));
	CHECK_ERR(faccessat(AT_FDCWD, "dangle", F_OK, 0), ENOENT);
	CHECK_ERR(faccessat(dfd, "missing", F_OK, 0), ENOENT);
	CHECK_ERR(faccessat(999, "a0", F_OK, 0), EBADF);
	CHECK_ERR(faccessat(AT_FDCWD, "a0", F_OK, 0x1), EINVAL);

	/* The raw faccessat (no flags) and faccessat2 syscalls. */
	CHECK_OK(syscall(SYS_faccessat, dfd, "a0", R_OK | W_OK));
	CHECK_ERR(syscall(SYS_faccessat, dfd, "a644", X_OK), EACCES);
	CHECK_ERR(syscall(SYS_faccessat, dfd, "a0", 8), EINVAL);
	CHECK_OK(syscall(SYS_faccessat2, dfd, "a0", R_OK | W_OK, AT_EACCESS));
	CHECK_OK(syscall(SYS_faccessat2, AT_FDCWD, "dangle", F_OK,
			 AT_SYMLINK_NOFOLLOW));
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "a644", X_OK, 0), EACCES);
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "a0", F_OK, 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "a0", 8, 0), EINVAL);
	int fd = open("a644", O_RDONLY);
	CHECK_OK(syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
	CHECK_ERR(syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH), EACCES);
	CHECK_ERR(syscall(SYS_faccessat2, fd, "", R_OK, 0), ENOENT);
	CHECK_ERR(syscall(SYS_faccessat, fd, "", R_OK), ENOENT);
	CHECK_OK(close(fd));
	CHECK_OK(close(dfd));

	/* Errors; a bad mode is caught before the lookup. */
	CHECK_ERR(access("a0", 8), EINVAL);
	CHECK_ERR(access("a0", -1), EINVAL);
	CHECK_ERR(access("missing", 8), EINVAL);
	CHECK_ERR(access("missing", F_OK), ENOENT);
	CHECK_ERR(access("missing/x", F_OK), ENOENT);
	CHECK_ERR(access("", F_OK), ENOENT);
	CHECK_ERR(access("a0/", F_OK), ENOTDIR);
	CHECK_ERR(access("a0/x", F_OK), ENOTDIR);
	CHECK_ERR(access((char *)badbuf, F_OK), EFAULT);
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK_ERR(access(longname, F_OK), ENAMETOOLONG);

	CHECK_OK(unlink("dangle"));
	CHECK_OK(unlink("a0"));
	CHECK_OK(unlink("a644"));
	CHECK_OK(unlink("a010"));
	CHECK_OK(rmdir("ad"));
}

int main(void)
{
	badbuf = mmap(NULL, PAGE, PROT_NONE, ANON, -1, 0);
	if (badbuf == MAP_FAILED || !mkdtemp(scratch) || chdir(scratch) != 0) {
		printf("FAIL setup: %s\n", strerror(errno));
		return 1;
	}
	test_umask();
	test_chmod();
	test_chown();
	test_utimensat();
	test_old_utimes();
	test_ctime();
	test_access();
	umask(022);
	CHECK_OK(chdir("/"));
	CHECK_OK(rmdir(scratch));	/* fails if anything was left behind */
	return check_done();
}
