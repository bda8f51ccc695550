/*
 * fs_rw.c - opening regular files and moving bytes through them.
 *
 * Covers: open/openat/creat (O_CREAT mode & ~umask, O_EXCL, O_TRUNC,
 * O_APPEND, O_DIRECTORY, access-mode errors), read/write, pread64/pwrite64,
 * readv/writev, preadv/pwritev, preadv2/pwritev2 (offset -1 = the file
 * position), lseek (SEEK_SET/CUR/END/DATA/HOLE, errors, pipes), reads past
 * EOF, dup/dup2/dup3, fcntl F_DUPFD/F_DUPFD_CLOEXEC/F_GETFD/F_SETFD/F_GETFL/
 * F_SETFL, shared offsets of duplicated fds, close and close_range,
 * truncate/ftruncate, fallocate, fsync/fdatasync/syncfs/sync, sendfile and
 * copy_file_range between regular files, and EFAULT on bad user buffers.
 *
 * Everything happens in a scratch directory made with mkdtemp under /tmp
 * (the process chdir()s into it and uses relative names); it is removed at
 * the end, so the program can be run repeatedly.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <linux/close_range.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

/* The kernel's O_LARGEFILE, forced on for every open by a 64-bit process
 * (glibc defines O_LARGEFILE as 0 on x86-64). */
#define K_O_LARGEFILE 0100000

static char scratch[] = "/tmp/moat-fs-XXXXXX";
static char *badbuf;	/* one PROT_NONE page: any access faults */

/* Size of the file at path, or -1. */
static long fsize(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	return st.st_size;
}

/* Create path with exactly the given contents (mode 0644). */
static void make_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, data, len), len);
	CHECK_OK(close(fd));
}

/* Whole contents of path (up to cap bytes) into buf; returns the length. */
static long slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	long n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, cap, 0);
	close(fd);
	return n;
}

static void test_open_create(void)
{
	struct stat st;
	int fd;

	umask(022);
	CHECK_ERR(open("nofile", O_RDONLY), ENOENT);
	CHECK_ERR(open("nodir/x", O_CREAT | O_RDWR, 0644), ENOENT);

	/* O_CREAT applies mode & ~umask. */
	fd = open("c1", O_CREAT | O_RDWR, 0777);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0755);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_OK(close(fd));

	umask(077);
	fd = open("c2", O_CREAT | O_WRONLY, 0666);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_OK(close(fd));
	umask(0);
	fd = open("c3", O_CREAT | O_WRONLY, 06777);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 06777);
	CHECK_OK(close(fd));
	umask(022);

	/* O_CREAT on an existing file opens it; its mode is not changed. */
	fd = open("c2", O_CREAT | O_RDWR, 0777);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0600);
	CHECK_OK(close(fd));

	/* O_EXCL */
	CHECK_ERR(open("c1", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
	CHECK_ERR(open(".", O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
	CHECK_ERR(open(".", O_CREAT | O_RDWR, 0644), EISDIR);
	fd = open("c4", O_CREAT | O_EXCL | O_RDWR, 0600);
	CHECK(fd >= 0);
	CHECK_OK(close(fd));

	/* openat relative to a directory fd and to AT_FDCWD. */
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	fd = openat(dfd, "c5", O_CREAT | O_EXCL | O_WRONLY, 0640);
	CHECK(fd >= 0);
	CHECK_OK(close(fd));
	CHECK_OK(stat("c5", &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	fd = openat(AT_FDCWD, "c5", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
	CHECK_OK(close(fd));
	CHECK_ERR(openat(-1, "c5", O_RDONLY), EBADF);
	CHECK_ERR(openat(999, "c5", O_RDONLY), EBADF);
	/* An absolute path ignores dirfd, even a bad one. */
	char abs[64];
	snprintf(abs, sizeof(abs), "%s/c5", scratch);
	fd = openat(-1, abs, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_OK(close(fd));
	CHECK_OK(close(dfd));

	/* creat = O_CREAT|O_WRONLY|O_TRUNC */
	make_file("c6", "0123456789", 10);
	fd = creat("c6", 0600);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_mode, S_IFREG | 0644);	/* existing: mode kept */
	char c;
	CHECK_ERR(read(fd, &c, 1), EBADF);
	CHECK_OK(close(fd));
	fd = creat("c7", 0750);
	CHECK(fd >= 0);
	CHECK_OK(close(fd));
	CHECK_OK(stat("c7", &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0750);

	/* O_TRUNC */
	make_file("c6", "0123456789", 10);
	fd = open("c6", O_RDWR | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_OK(close(fd));

	/* Directory-related errors. */
	CHECK_ERR(open("c1", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open("c1/", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("c1/x", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("c1/x", O_CREAT | O_RDWR, 0644), ENOTDIR);
	CHECK_ERR(open(".", O_WRONLY), EISDIR);
	CHECK_ERR(open(".", O_RDWR), EISDIR);
	CHECK_ERR(open(".", O_RDONLY | O_TRUNC), EISDIR);
	CHECK_ERR(open("newfile/", O_CREAT | O_RDWR, 0644), EISDIR);
	fd = open(".", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(read(fd, &c, 1), EISDIR);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_OK(close(fd));

	/* Access mode is enforced by read/write. */
	fd = open("c1", O_WRONLY);
	CHECK(fd >= 0);
	CHECK_ERR(read(fd, &c, 1), EBADF);
	CHECK_ERR(pread(fd, &c, 1, 0), EBADF);
	CHECK_EQ(write(fd, "w", 1), 1);
	CHECK_OK(close(fd));
	fd = open("c1", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_ERR(pwrite(fd, "x", 1, 0), EBADF);
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(c, 'w');
	CHECK_OK(close(fd));

	/* Bad path pointers and over-long names. */
	CHECK_ERR(open((char *)badbuf, O_RDONLY), EFAULT);
	CHECK_ERR(syscall(SYS_open, 1L, O_RDONLY), EFAULT);
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK_ERR(open(longname, O_CREAT | O_RDWR, 0644), ENAMETOOLONG);
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(open("c1", O_RDONLY | O_CREAT | O_DIRECTORY, 0644), EINVAL);

	const char *names[] = { "c1", "c2", "c3", "c4", "c5", "c6", "c7" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK_OK(unlink(names[i]));
}

static void test_append(void)
{
	char buf[32] = { 0 };
	int fd = open("ap", O_CREAT | O_TRUNC | O_RDWR | O_APPEND, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "def", 3), 3);		/* still at the end */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(lseek(fd, 1, SEEK_SET), 1);
	CHECK_EQ(read(fd, buf, 2), 2);			/* reads obey the offset */
	CHECK(!memcmp(buf, "bc", 2));
	struct iovec iov[2] = { { "gh", 2 }, { "i", 1 } };
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(writev(fd, iov, 2), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 9);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 9);
	CHECK(!memcmp(buf, "abcdefghi", 9));

	/* A second fd without O_APPEND writes at its own offset... */
	int fd2 = open("ap", O_WRONLY);
	CHECK(fd2 >= 0);
	CHECK_EQ(write(fd2, "X", 1), 1);
	CHECK_OK(close(fd2));
	/* ...and the O_APPEND fd keeps appending after the new end. */
	CHECK_EQ(write(fd, "j", 1), 1);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 10);
	CHECK(!memcmp(buf, "Xbcdefghij", 10));
	CHECK_OK(close(fd));

	/* O_APPEND opening a file with O_TRUNC: both apply. */
	fd = open("ap", O_WRONLY | O_APPEND | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "z", 1), 1);
	CHECK_OK(close(fd));
	CHECK_EQ(fsize("ap"), 1);
	CHECK_OK(unlink("ap"));
}

static void test_read_write(void)
{
	char buf[64];
	int fd = open("rw", O_CREAT | O_TRUNC | O_RDWR, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "hello world", 11), 11);
	CHECK_EQ(write(fd, "", 0), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);	/* at EOF */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(fd, buf, 5), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(read(fd, buf, 0), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 6);	/* short read at EOF */
	CHECK(!memcmp(buf, " world", 6));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);	/* past EOF */
	CHECK_EQ(fsize("rw"), 11);			/* seeking doesn't grow */

	/* Writing past EOF leaves a zero-filled gap. */
	CHECK_EQ(lseek(fd, 20, SEEK_SET), 20);
	CHECK_EQ(write(fd, "Z", 1), 1);
	CHECK_EQ(fsize("rw"), 21);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 21);
	CHECK(!memcmp(buf, "hello world\0\0\0\0\0\0\0\0\0Z", 21));

	/* pread/pwrite don't move the offset. */
	CHECK_EQ(lseek(fd, 3, SEEK_SET), 3);
	CHECK_EQ(pwrite(fd, "HE", 2, 0), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);
	CHECK_EQ(pread(fd, buf, 4, 1), 4);
	CHECK(!memcmp(buf, "Ello", 4));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);
	CHECK_EQ(pread(fd, buf, 4, 21), 0);
	CHECK_EQ(pread(fd, buf, 4, 1000), 0);
	CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
	CHECK_ERR(pwrite(fd, "x", 1, -1), EINVAL);
	CHECK_ERR(syscall(SYS_pread64, fd, buf, 1L, -4096L), EINVAL);
	CHECK_EQ(pwrite(fd, "end", 3, 30), 3);		/* pwrite can extend */
	CHECK_EQ(fsize("rw"), 33);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);

	/* Bad fds. */
	CHECK_ERR(read(-1, buf, 1), EBADF);
	CHECK_ERR(write(999, buf, 1), EBADF);
	CHECK_ERR(pread(999, buf, 1, 0), EBADF);
	CHECK_ERR(pwrite(-5, buf, 1, 0), EBADF);

	/* EFAULT on bad user buffers, through several entry points. */
	CHECK_ERR(read(fd, badbuf, 4), EFAULT);
	CHECK_ERR(syscall(SYS_read, fd, 1L, 4L), EFAULT);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);		/* nothing consumed */
	CHECK_ERR(pread(fd, badbuf, 4, 0), EFAULT);
	CHECK_ERR(write(fd, badbuf, 4), EFAULT);
	CHECK_ERR(syscall(SYS_write, fd, 1L, 4L), EFAULT);
	CHECK_ERR(pwrite(fd, badbuf, 4, 0), EFAULT);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);
	CHECK_EQ(fsize("rw"), 33);			/* nothing written */
	CHECK_ERR(readv(fd, (struct iovec *)badbuf, 1), EFAULT);
	struct iovec bad = { badbuf, 4 };
	CHECK_ERR(readv(fd, &bad, 1), EFAULT);
	CHECK_ERR(writev(fd, &bad, 1), EFAULT);
	/* A zero-length read needs no valid buffer at all. */
	CHECK_EQ(read(fd, badbuf, 0), 0);
	CHECK_EQ(write(fd, badbuf, 0), 0);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("rw"));
}

static void test_vectors(void)
{
	char a[4], b[8], buf[64];
	int fd = open("vec", O_CREAT | O_TRUNC | O_RDWR, 0644);

	if (!CHECK(fd >= 0))
		return;
	struct iovec w[3] = { { "ab", 2 }, { "", 0 }, { "cdefg", 5 } };
	CHECK_EQ(writev(fd, w, 3), 7);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7);
	CHECK_EQ(writev(fd, w, 0), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	struct iovec r[2] = { { a, 3 }, { b, 8 } };
	CHECK_EQ(readv(fd, r, 2), 7);			/* fills a, then b */
	CHECK(!memcmp(a, "abc", 3));
	CHECK(!memcmp(b, "defg", 4));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7);
	CHECK_EQ(readv(fd, r, 2), 0);

	/* preadv/pwritev: explicit offset, file position untouched. */
	CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
	struct iovec w2[2] = { { "XY", 2 }, { "Z", 1 } };
	CHECK_EQ(pwritev(fd, w2, 2, 5), 3);		/* extends to 8 */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_EQ(fsize("vec"), 8);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ(preadv(fd, r, 2, 1), 7);
	CHECK(!memcmp(a, "bcd", 3));
	CHECK(!memcmp(b, "eXYZ", 4));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_ERR(preadv(fd, r, 2, -1), EINVAL);	/* no -1 magic here */
	CHECK_ERR(pwritev(fd, w2, 2, -1), EINVAL);

	/* preadv2/pwritev2: offset -1 means "use and advance the position". */
	memset(a, 0, sizeof(a));
	CHECK_EQ(preadv2(fd, r, 1, -1, 0), 3);
	CHECK(!memcmp(a, "cde", 3));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	CHECK_EQ(pwritev2(fd, w2, 1, -1, 0), 2);	/* "XY" at 5 */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7);
	CHECK_EQ(pwritev2(fd, w2 + 1, 1, 0, 0), 1);	/* "Z" at 0 */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7);
	memset(a, 0, sizeof(a));
	CHECK_EQ(preadv2(fd, r, 1, 0, 0), 3);
	CHECK(!memcmp(a, "Zbc", 3));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 7);
	CHECK_ERR(preadv2(fd, r, 1, -2, 0), EINVAL);
	CHECK_ERR(preadv2(fd, r, 1, 0, 0x40000000), EOPNOTSUPP);
	CHECK_ERR(pwritev2(fd, w2, 1, 0, 0x40000000), EOPNOTSUPP);

	/* pwritev2 with RWF_APPEND writes at the end, offset ignored. */
	CHECK_EQ(pwritev2(fd, w2 + 1, 1, 0, RWF_APPEND), 1);
	CHECK_EQ(fsize("vec"), 9);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 9);
	CHECK(!memcmp(buf, "ZbcdeXYZZ", 9));

	/* iovec count limits. */
	CHECK_ERR(syscall(SYS_readv, fd, r, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_readv, fd, r, 1025L), EINVAL);	/* > IOV_MAX */
	CHECK_ERR(syscall(SYS_writev, fd, w, 1025L), EINVAL);
	struct iovec neg = { a, (size_t)-1 };
	CHECK_ERR(readv(fd, &neg, 1), EINVAL);		/* total > SSIZE_MAX */
	CHECK_ERR(readv(999, r, 1), EBADF);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("vec"));
}

static void test_lseek(void)
{
	char buf[8192];
	int fd = open("sk", O_CREAT | O_TRUNC | O_RDWR, 0644);

	if (!CHECK(fd >= 0))
		return;
	memset(buf, 'd', sizeof(buf));
	CHECK_EQ(write(fd, buf, 5000), 5000);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(lseek(fd, 10, SEEK_CUR), 10);
	CHECK_EQ(lseek(fd, -4, SEEK_CUR), 6);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 5000);
	CHECK_EQ(lseek(fd, -1000, SEEK_END), 4000);
	CHECK_EQ(lseek(fd, 1000, SEEK_END), 6000);	/* beyond EOF is fine */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6000);
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, -6001, SEEK_CUR), EINVAL);
	CHECK_ERR(lseek(fd, -5001, SEEK_END), EINVAL);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6000);		/* unchanged by errors */
	CHECK_ERR(lseek(fd, 0, 5), EINVAL);
	CHECK_ERR(lseek(fd, 0, -1), EINVAL);
	CHECK_ERR(lseek(999, 0, SEEK_SET), EBADF);

	/* SEEK_DATA / SEEK_HOLE on a dense file. */
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 5000);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5000);		/* they move the offset */
	CHECK_ERR(lseek(fd, 5000, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, 7000, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, 5000, SEEK_HOLE), ENXIO);
	CHECK_ERR(lseek(fd, -1, SEEK_DATA), ENXIO);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("sk"));

	/* An empty file has no data at all. */
	fd = open("sk0", O_CREAT | O_TRUNC | O_RDWR, 0644);
	CHECK(fd >= 0);
	CHECK_ERR(lseek(fd, 0, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, 0, SEEK_HOLE), ENXIO);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 0);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("sk0"));

	/* Pipes can't seek, not even to where they are. */
	int pfd[2];
	if (!CHECK_OK(pipe(pfd)))
		return;
	CHECK_ERR(lseek(pfd[0], 0, SEEK_CUR), ESPIPE);
	CHECK_ERR(lseek(pfd[1], 0, SEEK_SET), ESPIPE);
	CHECK_ERR(pread(pfd[0], buf, 1, 0), ESPIPE);
	CHECK_ERR(pwrite(pfd[1], "x", 1, 0), ESPIPE);
	struct iovec iov = { buf, 1 };
	CHECK_ERR(preadv(pfd[0], &iov, 1, 0), ESPIPE);
	CHECK_EQ(write(pfd[1], "p", 1), 1);
	CHECK_EQ(preadv2(pfd[0], &iov, 1, -1, 0), 1);	/* -1 is fine */
	CHECK_EQ(buf[0], 'p');
	CHECK_OK(close(pfd[0]));
	CHECK_OK(close(pfd[1]));
}

static void test_dup(void)
{
	int fd = open("dp", O_CREAT | O_TRUNC | O_RDWR, 0644), fd2, fd3;

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "0123456789", 10), 10);

	fd2 = dup(fd);
	CHECK(fd2 >= 0 && fd2 != fd);
	/* Duplicates share one open file description: offset and flags. */
	CHECK_EQ(lseek(fd, 4, SEEK_SET), 4);
	CHECK_EQ(lseek(fd2, 0, SEEK_CUR), 4);
	char c;
	CHECK_EQ(read(fd2, &c, 1), 1);
	CHECK_EQ(c, '4');
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	CHECK_OK(fcntl(fd, F_SETFL, O_APPEND));
	CHECK_EQ(fcntl(fd2, F_GETFL) & O_APPEND, O_APPEND);
	CHECK_OK(fcntl(fd, F_SETFL, 0));
	CHECK_EQ(fcntl(fd2, F_GETFL) & O_APPEND, 0);
	/* ...but not the close-on-exec flag. */
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(fd2, F_GETFD), 0);
	CHECK_OK(fcntl(fd, F_SETFD, 0));
	/* dup picks the lowest free number. */
	CHECK_OK(close(fd2));
	CHECK_EQ(dup(fd), fd2);
	CHECK_OK(close(fd2));
	CHECK_ERR(dup(999), EBADF);
	CHECK_ERR(dup(-1), EBADF);

	/* dup2 */
	CHECK_EQ(dup2(fd, fd), fd);			/* valid fd: returns it */
	CHECK_ERR(dup2(200, 200), EBADF);		/* invalid: EBADF */
	CHECK_ERR(dup2(999, 50), EBADF);
	CHECK_ERR(dup2(fd, -1), EBADF);
	CHECK_ERR(dup2(fd, 1 << 30), EBADF);		/* beyond RLIMIT_NOFILE */
	CHECK_EQ(dup2(fd, 50), 50);
	CHECK_EQ(fcntl(50, F_GETFD), 0);
	CHECK_EQ(lseek(50, 0, SEEK_CUR), 5);
	/* dup2 onto an open fd closes it first, silently. */
	int other = open(".", O_RDONLY);
	CHECK(other >= 0);
	CHECK_EQ(dup2(other, 50), 50);
	char c2;
	CHECK_ERR(read(50, &c2, 1), EISDIR);		/* now the directory */
	CHECK_OK(close(other));
	CHECK_OK(close(50));

	/* dup3 */
	CHECK_ERR(dup3(fd, fd, 0), EINVAL);
	CHECK_ERR(dup3(fd, fd, O_CLOEXEC), EINVAL);
	CHECK_ERR(dup3(fd, 51, O_NONBLOCK), EINVAL);	/* only O_CLOEXEC */
	CHECK_ERR(dup3(999, 51, 0), EBADF);
	fd3 = dup3(fd, 51, O_CLOEXEC);
	CHECK_EQ(fd3, 51);
	CHECK_EQ(fcntl(51, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_EQ(dup3(fd, 51, 0), 51);			/* replaces, clears flag */
	CHECK_EQ(fcntl(51, F_GETFD), 0);
	CHECK_OK(close(51));

	/* fcntl F_DUPFD / F_DUPFD_CLOEXEC: lowest free >= minimum. */
	CHECK_EQ(fcntl(fd, F_DUPFD, 60), 60);
	CHECK_EQ(fcntl(fd, F_DUPFD, 60), 61);
	CHECK_EQ(fcntl(60, F_GETFD), 0);
	CHECK_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 60), 62);
	CHECK_EQ(fcntl(62, F_GETFD), FD_CLOEXEC);
	CHECK_OK(close(61));
	CHECK_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 55), 55);
	CHECK_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 56), 56);
	CHECK_EQ(fcntl(fd, F_DUPFD, 57), 57);
	CHECK_EQ(fcntl(fd, F_DUPFD, 58), 58);
	CHECK_EQ(fcntl(fd, F_DUPFD, 59), 59);
	CHECK_EQ(fcntl(fd, F_DUPFD, 55), 61);		/* the hole at 61 */
	CHECK_EQ(lseek(61, 0, SEEK_CUR), 5);
	CHECK_ERR(fcntl(fd, F_DUPFD, -1), EINVAL);
	CHECK_ERR(fcntl(fd, F_DUPFD, 1 << 30), EINVAL);
	CHECK_ERR(fcntl(999, F_DUPFD, 0), EBADF);

	/* close_range */
	CHECK_OK(syscall(SYS_close_range, 60, 61, 0));
	CHECK_ERR(close(60), EBADF);
	CHECK_ERR(close(61), EBADF);
	CHECK_EQ(fcntl(62, F_GETFD), FD_CLOEXEC);	/* outside the range */
	CHECK_OK(syscall(SYS_close_range, 57, 58, CLOSE_RANGE_CLOEXEC));
	CHECK_EQ(fcntl(57, F_GETFD), FD_CLOEXEC);	/* still open */
	CHECK_EQ(fcntl(58, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(59, F_GETFD), 0);
	CHECK_ERR(syscall(SYS_close_range, 5, 4, 0), EINVAL);
	CHECK_ERR(syscall(SYS_close_range, 55, 62, 0x80), EINVAL);
	CHECK_EQ(fcntl(55, F_GETFD), FD_CLOEXEC);	/* errors close nothing */
	/* Ranges may include unopened fds and run past the table. */
	CHECK_OK(syscall(SYS_close_range, 55, ~0U, 0));
	for (int i = 55; i <= 62; i++)
		CHECK_ERR(fcntl(i, F_GETFD), EBADF);
	CHECK_OK(syscall(SYS_close_range, 1000, 2000, 0));

	/* close */
	fd2 = dup(fd);
	CHECK_OK(close(fd2));
	CHECK_ERR(close(fd2), EBADF);
	CHECK_ERR(close(-1), EBADF);
	CHECK_ERR(close(999), EBADF);
	CHECK_OK(close(fd));
	CHECK_ERR(close(fd), EBADF);
	CHECK_ERR(fcntl(fd, F_GETFD), EBADF);
	CHECK_ERR(read(fd, &c, 1), EBADF);
	CHECK_OK(unlink("dp"));
}

static void test_fcntl_flags(void)
{
	int fd = open("fl", O_CREAT | O_TRUNC | O_RDWR | O_APPEND, 0644);

	if (!CHECK(fd >= 0))
		return;
	/* F_GETFL reports the access mode and status flags; the kernel adds
	 * O_LARGEFILE for 64-bit processes; creation flags are not kept. */
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_APPEND | K_O_LARGEFILE);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK | K_O_LARGEFILE);
	CHECK_OK(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	CHECK_EQ(fcntl(fd, F_GETFL),
		 O_RDWR | O_APPEND | O_NONBLOCK | K_O_LARGEFILE);
	/* The access mode can't be changed; other bits are ignored. */
	CHECK_OK(fcntl(fd, F_SETFL, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC));
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | K_O_LARGEFILE);
	CHECK_OK(fcntl(fd, F_SETFL, O_RDONLY));
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	/* FD_CLOEXEC is the only fd flag; others are dropped. */
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_OK(fcntl(fd, F_SETFD, 0xfe));
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_OK(fcntl(fd, F_SETFD, ~0));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_OK(close(fd));

	fd = open("fl", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDONLY | O_NONBLOCK | K_O_LARGEFILE);
	CHECK_OK(close(fd));
	fd = open("fl", O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFL), O_WRONLY | K_O_LARGEFILE);
	CHECK_ERR(fcntl(fd, 9999), EINVAL);
	CHECK_OK(close(fd));
	CHECK_ERR(fcntl(999, F_GETFL), EBADF);
	CHECK_ERR(fcntl(999, F_SETFL, 0), EBADF);
	CHECK_OK(unlink("fl"));
}

static void test_truncate(void)
{
	char buf[16];
	struct stat st;
	int fd = open("tr", O_CREAT | O_TRUNC | O_RDWR, 0644);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "abcdefgh", 8), 8);
	/* Shrink: data past the new end is gone; the offset stays. */
	CHECK_OK(ftruncate(fd, 3));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	/* Grow: the new part reads as zeros, old data survives. */
	CHECK_OK(ftruncate(fd, 10));
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 10);
	CHECK(!memcmp(buf, "abc\0\0\0\0\0\0\0", 10));
	/* Shrink then grow must not resurrect old bytes. */
	CHECK_OK(ftruncate(fd, 1));
	CHECK_OK(ftruncate(fd, 4));
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	CHECK(!memcmp(buf, "a\0\0\0", 4));
	/* truncate by name. */
	CHECK_OK(truncate("tr", 100000));
	CHECK_EQ(fsize("tr"), 100000);
	CHECK_EQ(pread(fd, buf, 4, 99996), 4);
	CHECK(!memcmp(buf, "\0\0\0\0", 4));
	CHECK_OK(truncate("tr", 0));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_OK(ftruncate(fd, 0));			/* no-op is fine */

	/* Errors. */
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	CHECK_ERR(truncate("tr", -1), EINVAL);
	CHECK_ERR(truncate(".", 0), EISDIR);
	CHECK_ERR(truncate("missing", 0), ENOENT);
	CHECK_ERR(truncate("tr/", 0), ENOTDIR);
	CHECK_ERR(truncate("", 0), ENOENT);
	CHECK_ERR(truncate((char *)badbuf, 0), EFAULT);
	CHECK_ERR(ftruncate(999, 0), EBADF);
	int ro = open("tr", O_RDONLY);
	CHECK(ro >= 0);
	CHECK_ERR(ftruncate(ro, 0), EINVAL);		/* not open for writing */
	CHECK_OK(close(ro));
	int dfd = open(".", O_RDONLY);
	CHECK_ERR(ftruncate(dfd, 0), EINVAL);
	CHECK_OK(close(dfd));
	int pfd[2];
	CHECK_OK(pipe(pfd));
	CHECK_ERR(ftruncate(pfd[1], 0), EINVAL);
	CHECK_OK(close(pfd[0]));
	CHECK_OK(close(pfd[1]));

	/* fallocate mode 0 extends the size; the new range reads as zeros. */
	CHECK_EQ(write(fd, "q", 1), 1);		/* offset was 8: size 9 */
	CHECK_OK(fallocate(fd, 0, 0, 5000));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 5000);
	CHECK_EQ(pread(fd, buf, 10, 0), 10);
	CHECK(!memcmp(buf, "\0\0\0\0\0\0\0\0q\0", 10));
	CHECK_OK(fallocate(fd, 0, 100, 100));		/* inside: no change */
	CHECK_EQ(fsize("tr"), 5000);
	CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 20000));
	CHECK_EQ(fsize("tr"), 5000);
	CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	CHECK_ERR(fallocate(fd, 0, -1, 10), EINVAL);
	CHECK_ERR(fallocate(fd, 0, 0, -1), EINVAL);
	CHECK_ERR(fallocate(999, 0, 0, 10), EBADF);
	ro = open("tr", O_RDONLY);
	CHECK_ERR(fallocate(ro, 0, 0, 10), EBADF);
	CHECK_OK(close(ro));
	CHECK_OK(pipe(pfd));
	CHECK_ERR(fallocate(pfd[1], 0, 0, 10), ESPIPE);
	CHECK_OK(close(pfd[0]));
	CHECK_OK(close(pfd[1]));

	/* Syncing always succeeds on a regular file. */
	CHECK_OK(fsync(fd));
	CHECK_OK(fdatasync(fd));
	CHECK_OK(syncfs(fd));
	sync();
	CHECK_ERR(fsync(999), EBADF);
	CHECK_ERR(fdatasync(-1), EBADF);
	CHECK_ERR(syncfs(999), EBADF);
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK_OK(fsync(dfd));
	CHECK_OK(syncfs(dfd));
	CHECK_OK(close(dfd));
	CHECK_OK(close(fd));
	CHECK_OK(unlink("tr"));
}

static void test_sendfile(void)
{
	char buf[32];
	int in, out;

	make_file("sf_in", "0123456789", 10);
	in = open("sf_in", O_RDONLY);
	out = open("sf_out", O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (!CHECK(in >= 0 && out >= 0))
		return;

	/* Without an offset pointer: uses and advances in's position. */
	CHECK_EQ(lseek(in, 3, SEEK_SET), 3);
	CHECK_EQ(sendfile(out, in, NULL, 4), 4);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 7);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 4);
	CHECK_EQ(sendfile(out, in, NULL, 100), 3);	/* short at EOF */
	CHECK_EQ(sendfile(out, in, NULL, 100), 0);
	CHECK_EQ(slurp("sf_out", buf, sizeof(buf)), 7);
	CHECK(!memcmp(buf, "3456789", 7));

	/* With one: *off advances, in's position doesn't. */
	off_t off = 1;
	CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
	CHECK_EQ(sendfile(out, in, &off, 2), 2);
	CHECK_EQ(off, 3);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 0);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 9);
	off = 8;
	CHECK_EQ(sendfile(out, in, &off, 10), 2);
	CHECK_EQ(off, 10);
	CHECK_EQ(sendfile(out, in, &off, 10), 0);
	CHECK_EQ(off, 10);
	CHECK_EQ(slurp("sf_out", buf, sizeof(buf)), 11);
	CHECK(!memcmp(buf, "34567891289", 11));
	CHECK_EQ(sendfile(out, in, NULL, 0), 0);

	/* Errors. */
	off = -1;
	CHECK_ERR(sendfile(out, in, &off, 1), EINVAL);
	CHECK_ERR(sendfile(out, in, (off_t *)badbuf, 1), EFAULT);
	CHECK_ERR(sendfile(out, 999, NULL, 1), EBADF);
	CHECK_ERR(sendfile(999, in, NULL, 1), EBADF);
	CHECK_ERR(sendfile(in, out, NULL, 1), EBADF);	/* in not writable */
	int wo = open("sf_in", O_WRONLY);
	CHECK_ERR(sendfile(out, wo, NULL, 1), EBADF);	/* wo not readable */
	CHECK_OK(close(wo));
	CHECK_OK(close(in));
	CHECK_OK(close(out));
	CHECK_OK(unlink("sf_in"));
	CHECK_OK(unlink("sf_out"));
}

static void test_copy_file_range(void)
{
	char buf[32];
	int in, out;

	make_file("cf_in", "abcdefghij", 10);
	in = open("cf_in", O_RDWR);
	out = open("cf_out", O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (!CHECK(in >= 0 && out >= 0))
		return;

	/* NULL offsets: both file positions are used and advanced. */
	CHECK_EQ(lseek(in, 2, SEEK_SET), 2);
	CHECK_EQ(copy_file_range(in, NULL, out, NULL, 3, 0), 3);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 3);
	CHECK_EQ(slurp("cf_out", buf, sizeof(buf)), 3);
	CHECK(!memcmp(buf, "cde", 3));

	/* Explicit offsets: they advance, the positions don't. */
	loff_t ioff = 7, ooff = 1;
	CHECK_EQ(copy_file_range(in, &ioff, out, &ooff, 100, 0), 3);
	CHECK_EQ(ioff, 10);
	CHECK_EQ(ooff, 4);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 3);
	CHECK_EQ(slurp("cf_out", buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "chij", 4));
	CHECK_EQ(copy_file_range(in, &ioff, out, &ooff, 5, 0), 0);  /* EOF */
	ooff = 8;
	ioff = 0;
	CHECK_EQ(copy_file_range(in, &ioff, out, &ooff, 2, 0), 2);  /* gap */
	CHECK_EQ(slurp("cf_out", buf, sizeof(buf)), 10);
	CHECK(!memcmp(buf, "chij\0\0\0\0ab", 10));
	CHECK_EQ(copy_file_range(in, NULL, out, NULL, 0, 0), 0);

	/* Within one file, non-overlapping ranges are fine. */
	ioff = 0;
	ooff = 5;
	CHECK_EQ(copy_file_range(in, &ioff, in, &ooff, 3, 0), 3);
	CHECK_EQ(slurp("cf_in", buf, sizeof(buf)), 10);
	CHECK(!memcmp(buf, "abcdeabcij", 10));

	/* Errors. */
	ioff = 0;
	ooff = 2;
	CHECK_ERR(copy_file_range(in, &ioff, in, &ooff, 4, 0), EINVAL);
	CHECK_ERR(copy_file_range(in, NULL, out, NULL, 1, 1), EINVAL);
	ioff = -1;	/* a negative offset "wraps": EOVERFLOW, not EINVAL */
	CHECK_ERR(copy_file_range(in, &ioff, out, NULL, 1, 0), EOVERFLOW);
	CHECK_ERR(copy_file_range(999, NULL, out, NULL, 1, 0), EBADF);
	CHECK_ERR(copy_file_range(in, NULL, 999, NULL, 1, 0), EBADF);
	int ro = open("cf_out", O_RDONLY);
	CHECK_ERR(copy_file_range(in, NULL, ro, NULL, 1, 0), EBADF);
	CHECK_OK(close(ro));
	int wo = open("cf_in", O_WRONLY);
	CHECK_ERR(copy_file_range(wo, NULL, out, NULL, 1, 0), EBADF);
	CHECK_OK(close(wo));
	int dfd = open(".", O_RDONLY);
	CHECK_ERR(copy_file_range(dfd, NULL, out, NULL, 1, 0), EISDIR);
	CHECK_OK(close(dfd));
	CHECK_ERR(copy_file_range(in, (loff_t *)badbuf, out, NULL, 1, 0),
		  EFAULT);
	CHECK_OK(close(in));
	CHECK_OK(close(out));
	CHECK_OK(unlink("cf_in"));
	CHECK_OK(unlink("cf_out"));
}

int main(void)
{
	badbuf = mmap(NULL, PAGE, PROT_NONE, ANON, -1, 0);
	if (badbuf == MAP_FAILED || !mkdtemp(scratch) || chdir(scratch) != 0) {
		printf("FAIL setup: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	test_open_create();
	test_append();
	test_read_write();
	test_vectors();
	test_lseek();
	test_dup();
	test_fcntl_flags();
	test_truncate();
	test_sendfile();
	test_copy_file_range();
	umask(022);
	CHECK_OK(chdir("/"));
	CHECK_OK(rmdir(scratch));	/* fails if anything was left behind */
	return check_done();
}
