/*
 * fs_dev.c - the character devices in /dev: /dev/null (reads EOF, swallows
 * writes), /dev/zero (reads zeros, mmap MAP_PRIVATE gives writable zeroed
 * memory), /dev/full (writes ENOSPC, reads zeros), /dev/urandom and
 * /dev/random (64 random bytes), their stat (S_IFCHR and the major:minor
 * numbers 1:3, 1:5, 1:7, 1:8, 1:9), and /dev/fd, /dev/stdin, /dev/stdout,
 * /dev/stderr (symlinks into /proc/self/fd).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static size_t count_nonzero(const unsigned char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] != 0;
	return n;
}

/* The device node at path is a character device major:minor. */
static void check_node(const char *path, unsigned int maj, unsigned int min)
{
	struct stat st;
	int fd;

	if (!CHECK_OK(stat(path, &st)))
		return;
	if (!CHECK(S_ISCHR(st.st_mode)))
		printf("  %s mode %o\n", path, st.st_mode);
	CHECK_EQ(major(st.st_rdev), maj);
	CHECK_EQ(minor(st.st_rdev), min);
	CHECK_EQ(st.st_mode & 0777, 0666);
	CHECK_EQ(st.st_size, 0);
	/* fstat of an open descriptor agrees. */
	fd = open(path, O_RDONLY);
	if (CHECK(fd >= 0)) {
		struct stat fst;

		CHECK_OK(fstat(fd, &fst));
		CHECK(S_ISCHR(fst.st_mode));
		CHECK_EQ(fst.st_rdev, st.st_rdev);
		CHECK_EQ(fst.st_ino, st.st_ino);
		close(fd);
	}
}

static void test_nodes(void)
{
	check_node("/dev/null", 1, 3);
	check_node("/dev/zero", 1, 5);
	check_node("/dev/full", 1, 7);
	check_node("/dev/random", 1, 8);
	check_node("/dev/urandom", 1, 9);
}

static void test_null(void)
{
	char buf[64];
	int fd = open("/dev/null", O_RDWR);

	if (!CHECK(fd >= 0))
		return;
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(buf[0], 'x');			/* nothing written */
	CHECK_EQ(write(fd, buf, sizeof(buf)), (long)sizeof(buf));
	CHECK_EQ(write(fd, buf, 0), 0);
	/* Writes succeed whatever their size, without touching memory. */
	CHECK_EQ(syscall(SYS_write, fd, (void *)1, 1 << 20), 1 << 20);
	CHECK_EQ(pwrite(fd, buf, 10, 12345), 10);
	CHECK_EQ(pread(fd, buf, 10, 12345), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 0);	/* always position 0 */
	CHECK_EQ(lseek(fd, 0, SEEK_END), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_OK(close(fd));
	/* Open for writing only: read is EBADF. */
	fd = open("/dev/null", O_WRONLY);
	if (CHECK(fd >= 0)) {
		CHECK_ERR(read(fd, buf, 1), EBADF);
		CHECK_EQ(write(fd, "abc", 3), 3);
		close(fd);
	}
	/* O_CREAT|O_TRUNC on an existing device is fine. */
	fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (CHECK(fd >= 0))
		close(fd);
	CHECK_ERR(open("/dev/null", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	CHECK_ERR(open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open("/dev/null/x", O_RDONLY), ENOTDIR);
}

static void test_zero(void)
{
	static unsigned char buf[100000];
	struct iovec iov[2];
	int fd = open("/dev/zero", O_RDWR);

	if (!CHECK(fd >= 0))
		return;
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(read(fd, buf, 100), 100);
	CHECK_EQ(count_nonzero(buf, 100), 0);
	CHECK_EQ(buf[100], 0xaa);
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), (long)sizeof(buf));
	CHECK_EQ(count_nonzero(buf, sizeof(buf)), 0);
	memset(buf, 0xaa, 64);
	iov[0].iov_base = buf;
	iov[0].iov_len = 10;
	iov[1].iov_base = buf + 20;
	iov[1].iov_len = 30;
	CHECK_EQ(readv(fd, iov, 2), 40);
	CHECK_EQ(count_nonzero(buf, 10), 0);
	CHECK_EQ(count_nonzero(buf + 10, 10), 10);
	CHECK_EQ(count_nonzero(buf + 20, 30), 0);
	CHECK_EQ(pread(fd, buf, 10, 999), 10);
	CHECK_EQ(write(fd, "data", 4), 4);	/* swallowed like /dev/null */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_ERR(syscall(SYS_read, fd, (void *)1, 10), EFAULT);
	CHECK_OK(close(fd));
}

static void test_zero_mmap(void)
{
	unsigned char *m, *s;
	int fd = open("/dev/zero", O_RDWR);

	if (!CHECK(fd >= 0))
		return;
	m = mmap(NULL, 3 * PAGE, RW, MAP_PRIVATE, fd, 0);
	if (CHECK(m != MAP_FAILED)) {
		CHECK_EQ(count_nonzero(m, 3 * PAGE), 0);
		memset(m, 0x5a, 3 * PAGE);		/* writable */
		CHECK_EQ(count_nonzero(m, 3 * PAGE), 3 * PAGE);
		CHECK_OK(munmap(m, 3 * PAGE));
	}
	/* A second mapping is zero again: private, not backed by a file. */
	m = mmap(NULL, PAGE, RW, MAP_PRIVATE, fd, 0);
	if (CHECK(m != MAP_FAILED)) {
		CHECK_EQ(count_nonzero(m, PAGE), 0);
		CHECK_OK(munmap(m, PAGE));
	}
	/* An offset is allowed and changes nothing. */
	m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 16 * PAGE);
	if (CHECK(m != MAP_FAILED)) {
		CHECK_EQ(count_nonzero(m, PAGE), 0);
		CHECK_OK(munmap(m, PAGE));
	}
	/* MAP_SHARED of /dev/zero is shared anonymous memory. */
	s = mmap(NULL, PAGE, RW, MAP_SHARED, fd, 0);
	if (CHECK(s != MAP_FAILED)) {
		CHECK_EQ(count_nonzero(s, PAGE), 0);
		s[0] = 1;
		CHECK_EQ(s[0], 1);
		CHECK_OK(munmap(s, PAGE));
	}
	CHECK_OK(close(fd));
	/* Reading /dev/zero into a fresh mapping works too. */
	m = mmap(NULL, PAGE, RW, ANON, -1, 0);
	fd = open("/dev/zero", O_RDONLY);
	if (CHECK(m != MAP_FAILED) && CHECK(fd >= 0)) {
		memset(m, 1, PAGE);
		CHECK_EQ(read(fd, m, PAGE), (long)PAGE);
		CHECK_EQ(count_nonzero(m, PAGE), 0);
	}
	if (fd >= 0)
		close(fd);
	if (m != MAP_FAILED)
		munmap(m, PAGE);
}

static void test_full(void)
{
	unsigned char buf[256];
	int fd = open("/dev/full", O_RDWR);

	if (!CHECK(fd >= 0))
		return;
	CHECK_ERR(write(fd, "x", 1), ENOSPC);
	CHECK_ERR(write(fd, buf, sizeof(buf)), ENOSPC);
	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), (long)sizeof(buf));
	CHECK_EQ(count_nonzero(buf, sizeof(buf)), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_OK(close(fd));
}

static void test_random(const char *path)
{
	unsigned char a[64], b[64];
	int fd = open(path, O_RDONLY);

	if (!CHECK(fd >= 0))
		return;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ(read(fd, a, sizeof(a)), 64);
	CHECK_EQ(read(fd, b, sizeof(b)), 64);
	/* 64 zero bytes, or two equal reads, would be a 2^-512 event. */
	CHECK(count_nonzero(a, sizeof(a)) > 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK_OK(close(fd));
	/* Writing adds entropy; it is allowed for anyone (0666). */
	fd = open(path, O_WRONLY);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(write(fd, "seed", 4), 4);
		close(fd);
	}
}

static void test_fd_links(void)
{
	char path[64], buf[256], want[64];
	struct stat st, st2;
	long n;
	int fd, fd2;

	/* /dev/fd -> /proc/self/fd; /dev/std* -> /proc/self/fd/0..2. */
	CHECK_OK(lstat("/dev/stdin", &st));
	CHECK(S_ISLNK(st.st_mode));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink("/dev/stdin", buf, sizeof(buf)), 15);
	CHECK(!strcmp(buf, "/proc/self/fd/0"));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink("/dev/stdout", buf, sizeof(buf)), 15);
	CHECK(!strcmp(buf, "/proc/self/fd/1"));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink("/dev/stderr", buf, sizeof(buf)), 15);
	CHECK(!strcmp(buf, "/proc/self/fd/2"));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink("/dev/fd", buf, sizeof(buf)), 13);
	CHECK(!strcmp(buf, "/proc/self/fd"));
	CHECK_OK(stat("/dev/fd", &st));
	CHECK(S_ISDIR(st.st_mode));

	/* /dev/fd/1 is whatever stdout is. */
	n = readlink("/dev/fd/1", buf, sizeof(buf));
	CHECK(n > 0);
	CHECK_OK(stat("/dev/fd/1", &st));
	CHECK_OK(fstat(1, &st2));
	CHECK_EQ(st.st_ino, st2.st_ino);
	CHECK_EQ(st.st_mode, st2.st_mode);

	/* A descriptor of our own: readlink names the file, open reopens it. */
	fd = open("/dev/zero", O_RDONLY);
	if (!CHECK(fd >= 0))
		return;
	snprintf(path, sizeof(path), "/dev/fd/%d", fd);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink(path, buf, sizeof(buf)), 9);
	CHECK(!strcmp(buf, "/dev/zero"));
	fd2 = open(path, O_RDONLY);
	if (CHECK(fd2 >= 0)) {
		CHECK(fd2 != fd);
		CHECK_OK(fstat(fd2, &st));
		CHECK(S_ISCHR(st.st_mode));
		CHECK_EQ(minor(st.st_rdev), 5);
		close(fd2);
	}
	snprintf(want, sizeof(want), "/proc/self/fd/%d", fd);
	CHECK_OK(lstat(want, &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(close(fd));
	CHECK_ERR(stat(path, &st), ENOENT);	/* closed: gone */
	CHECK_ERR(readlink(path, buf, sizeof(buf)), ENOENT);
	CHECK_ERR(open("/dev/fd/100000", O_RDONLY), ENOENT);
}

int main(void)
{
	test_nodes();
	test_null();
	test_zero();
	test_zero_mmap();
	test_full();
	test_random("/dev/urandom");
	test_random("/dev/random");
	test_fd_links();
	return check_done();
}
