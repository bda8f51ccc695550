/*
 * fs_file.c: open, read/write in their forms, lseek, dup, fcntl,
 * truncate, fallocate, stat, chmod/chown/utimensat, access, sendfile and
 * copy_file_range on regular files, with their error cases.  Runs in a
 * scratch directory under /tmp (inside moat: the sandbox's own /tmp).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"


static void test_open_flags(void)
{
	int fd;

	umask(022);
	CHECK_ERR(open(p("nope"), O_RDONLY), ENOENT);
	fd = open(p("f"), O_CREAT | O_EXCL | O_RDWR, 0777);
	CHECK(fd >= 0);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0755);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_ERR(open(p("f"), O_CREAT | O_EXCL | O_RDWR, 0600), EEXIST);
	CHECK_ERR(open(p("f/x"), O_RDONLY), ENOTDIR);
	CHECK_ERR(open(p("f"), O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open(dir, O_WRONLY), EISDIR);
	CHECK_ERR(open(dir, O_RDWR), EISDIR);
	CHECK_ERR(open((char *)1, O_RDONLY), EFAULT);
	CHECK_EQ(write(fd, "hello world", 11), 11);
	close(fd);

	fd = open(p("f"), O_RDONLY);
	char buf[32] = { 0 };
	CHECK_ERR(write(fd, "x", 1), EBADF);
	CHECK_EQ(read(fd, buf, 5), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 6);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_ERR(syscall(SYS_read, fd, 1L, 4L), EFAULT);
	close(fd);

	fd = open(p("f"), O_WRONLY);
	CHECK_ERR(read(fd, buf, 1), EBADF);
	close(fd);

	fd = open(p("f"), O_WRONLY | O_TRUNC);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	close(fd);

	fd = creat(p("c"), 0640);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	close(fd);
	CHECK_OK(stat(p("c"), &st));
	CHECK_EQ(st.st_mode & 07777, 0640);
}

static void test_append_and_positional(void)
{
	int fd = open(p("a"), O_CREAT | O_RDWR | O_APPEND, 0644);
	char buf[32] = { 0 };

	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "def", 3), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 6);
	CHECK(!memcmp(buf, "abcdef", 6));
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_APPEND | O_ACCMODE), O_APPEND | O_RDWR);
	CHECK_OK(fcntl(fd, F_SETFL, 0));
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_APPEND | O_ACCMODE), O_RDWR);
	CHECK_EQ(pwrite(fd, "XY", 2, 1), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(pread(fd, buf, 6, 0), 6);
	CHECK(!memcmp(buf, "aXYdef", 6));
	CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);

	struct iovec iov[2] = { { "12", 2 }, { "345", 3 } };
	CHECK_EQ(lseek(fd, 0, SEEK_END), 6);
	CHECK_EQ(writev(fd, iov, 2), 5);
	char a[4] = { 0 }, b[8] = { 0 };
	struct iovec riov[2] = { { a, 3 }, { b, 8 } };
	CHECK_EQ(preadv(fd, riov, 2, 0), 11);
	CHECK(!memcmp(a, "aXY", 3) && !memcmp(b, "def12345", 8));
	CHECK_EQ(pwritev(fd, iov, 1, 0), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(preadv2(fd, riov, 1, -1, 0), 3);   /* -1: the file position */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 3);
	CHECK(!memcmp(a, "12Y", 3));

	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	CHECK_ERR(lseek(fd, -200, SEEK_CUR), EINVAL);
	CHECK_ERR(lseek(fd, 0, 99), EINVAL);
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_HOLE), 11);
	CHECK_ERR(lseek(fd, 11, SEEK_DATA), ENXIO);
	close(fd);
}

static void test_dup_fcntl(void)
{
	int fd = open(p("a"), O_RDONLY), fd2, fd3;

	fd2 = dup(fd);
	CHECK(fd2 > fd);
	CHECK_EQ(lseek(fd, 4, SEEK_SET), 4);
	CHECK_EQ(lseek(fd2, 0, SEEK_CUR), 4);       /* shared offset */
	CHECK_EQ(dup2(fd, fd), fd);
	CHECK_ERR(dup2(999, 50), EBADF);
	CHECK_ERR(dup3(fd, fd, 0), EINVAL);
	CHECK_ERR(dup3(fd, 50, O_RDONLY | 0x4), EINVAL);
	fd3 = dup3(fd, 50, O_CLOEXEC);
	CHECK_EQ(fd3, 50);
	CHECK_EQ(fcntl(50, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_DUPFD, 60), 60);
	CHECK_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 60), 61);
	CHECK_EQ(fcntl(61, F_GETFD), FD_CLOEXEC);
	CHECK_OK(syscall(SYS_close_range, 60, 61, 0));
	CHECK_ERR(close(60), EBADF);
	CHECK_OK(syscall(SYS_close_range, 50, 50, CLOSE_RANGE_CLOEXEC));
	CHECK_EQ(fcntl(50, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(syscall(SYS_close_range, 5, 4, 0), EINVAL);
	close(50);
	close(fd2);
	close(fd);
	CHECK_ERR(close(fd), EBADF);
	CHECK_ERR(fcntl(fd, F_GETFD), EBADF);
}

static void test_truncate(void)
{
	int fd = open(p("t"), O_CREAT | O_RDWR, 0644);
	struct stat st;
	char buf[8];

	CHECK_EQ(write(fd, "abcdef", 6), 6);
	CHECK_OK(ftruncate(fd, 3));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 3);
	CHECK_OK(truncate(p("t"), 8192));
	CHECK_EQ(pread(fd, buf, 8, 4000), 8);
	CHECK(!memcmp(buf, "\0\0\0\0\0\0\0\0", 8));
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	CHECK_ERR(truncate(dir, 0), EISDIR);
	CHECK_ERR(truncate(p("missing"), 0), ENOENT);
	CHECK_OK(fallocate(fd, 0, 0, 10000));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 10000);
	CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	CHECK_OK(fsync(fd));
	CHECK_OK(fdatasync(fd));
	close(fd);
	fd = open(p("t"), O_RDONLY);
	CHECK_ERR(ftruncate(fd, 0), EINVAL);
	CHECK_ERR(fallocate(fd, 0, 0, 10), EBADF);
	close(fd);
}

static void test_attrs(void)
{
	struct stat st;
	struct timespec ts[2] = { { 1000000000, 5 }, { 1200000000, 7 } };

	CHECK_OK(chmod(p("t"), 04711));
	CHECK_OK(stat(p("t"), &st));
	CHECK_EQ(st.st_mode & 07777, 04711);
	CHECK_OK(chown(p("t"), 1234, 5678));
	CHECK_OK(stat(p("t"), &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 5678);
	CHECK_EQ(st.st_mode & 07777, 0711);        /* chown clears set-user-ID */
	CHECK_OK(chown(p("t"), -1, 42));
	CHECK_OK(stat(p("t"), &st));
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 42);
	CHECK_OK(utimensat(AT_FDCWD, p("t"), ts, 0));
	CHECK_OK(stat(p("t"), &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_atim.tv_nsec, 5);
	CHECK_EQ(st.st_mtim.tv_sec, 1200000000);
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 5, 0 } };
	CHECK_OK(utimensat(AT_FDCWD, p("t"), omit, 0));
	CHECK_OK(stat(p("t"), &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_mtim.tv_sec, 5);
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	CHECK_ERR(utimensat(AT_FDCWD, p("t"), bad, 0), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, p("t"), NULL, 0x4000), EINVAL);

	CHECK_OK(chmod(p("t"), 0));
	CHECK_OK(access(p("t"), R_OK | W_OK));     /* root */
	CHECK_ERR(access(p("t"), X_OK), EACCES);
	CHECK_OK(access(dir, X_OK));
	CHECK_ERR(access(p("t"), 0x10), EINVAL);
	CHECK_ERR(access(p("missing"), F_OK), ENOENT);
	CHECK_OK(faccessat(AT_FDCWD, p("t"), F_OK, AT_EACCESS));
	CHECK_OK(chmod(p("t"), 0644));
	CHECK_EQ(umask(077), 022);
	CHECK_EQ(umask(022), 077);
}

static void test_stat(void)
{
	struct stat st, st2;
	struct statx stx;
	int fd = open(p("t"), O_RDONLY);

	CHECK_OK(fstatat(fd, "", &st, AT_EMPTY_PATH));
	CHECK_OK(stat(p("t"), &st2));
	CHECK_EQ(st.st_ino, st2.st_ino);
	CHECK_EQ(st.st_size, 10000);
	CHECK_ERR(fstatat(fd, "", &st, 0), ENOENT);
	CHECK_ERR(fstatat(AT_FDCWD, p("t"), &st, 0x1), EINVAL);
	CHECK_ERR(stat(p("t/"), &st), ENOTDIR);
	CHECK_ERR(stat("", &st), ENOENT);
	CHECK_ERR(stat(p("t"), (void *)8), EFAULT);
	CHECK_OK(statx(AT_FDCWD, p("t"), 0, STATX_BASIC_STATS, &stx));
	CHECK_EQ(stx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
	CHECK_EQ(stx.stx_size, 10000);
	CHECK_EQ(stx.stx_ino, st2.st_ino);
	CHECK_ERR(statx(AT_FDCWD, p("t"), AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, 0, &stx), EINVAL);
	CHECK_ERR(statx(AT_FDCWD, p("t"), 0, 0x80000000U, &stx), EINVAL);
	CHECK_OK(stat("/", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(stat("/etc/passwd", &st));
	CHECK(S_ISREG(st.st_mode) && st.st_size > 0);
	close(fd);
}

static void test_copies(void)
{
	int in = open(p("src"), O_CREAT | O_RDWR, 0644), out = open(p("dst"), O_CREAT | O_RDWR, 0644);
	char buf[16] = { 0 };
	off_t off = 2;
	loff_t ioff = 1, ooff = 0;

	CHECK_EQ(write(in, "0123456789", 10), 10);
	CHECK_EQ(sendfile(out, in, &off, 4), 4);
	CHECK_EQ(off, 6);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 10);        /* untouched with an offset */
	CHECK_EQ(pread(out, buf, 16, 0), 4);
	CHECK(!memcmp(buf, "2345", 4));
	CHECK_EQ(copy_file_range(in, &ioff, out, &ooff, 3, 0), 3);
	CHECK_EQ(ioff, 4);
	CHECK_EQ(pread(out, buf, 16, 0), 4);
	CHECK(!memcmp(buf, "1235", 4));
	CHECK_ERR(copy_file_range(in, &ioff, out, &ooff, 3, 1), EINVAL);
	CHECK_ERR(sendfile(out, 999, NULL, 1), EBADF);
	close(in);
	close(out);
}

static void test_mmap_file(void)
{
	int fd = open(p("m"), O_CREAT | O_RDWR, 0644);
	char *a, *b;

	CHECK_OK(ftruncate(fd, 8192));
	a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	b = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
	if (!CHECK(a != MAP_FAILED && b != MAP_FAILED))
		return;
	memcpy(a + 4096, "shared", 6);
	char buf[8] = { 0 };
	CHECK_EQ(pread(fd, buf, 6, 4096), 6);
	CHECK(!memcmp(buf, "shared", 6));
	CHECK_EQ(pwrite(fd, "w", 1, 0), 1);
	CHECK_EQ(a[0], 'w');
	munmap(a, 8192);
	munmap(b, 8192);
	int ro = open(p("m"), O_RDONLY);
	CHECK_MAP_ERR(mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	char *c = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	CHECK(c != MAP_FAILED);
	CHECK_ERR(mprotect(c, 4096, PROT_READ | PROT_WRITE), EACCES);
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0) != MAP_FAILED);
	close(ro);
	close(fd);
	int wo = open(p("m"), O_WRONLY);
	CHECK_MAP_ERR(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
	close(wo);
	CHECK_MAP_ERR(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
}

static void cleanup(void)
{
	const char *names[] = { "f", "c", "a", "t", "src", "dst", "m" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(p(names[i]));
	rmdir(dir);
}

int main(void)
{
	scratch_init();
	test_open_flags();
	test_append_and_positional();
	test_dup_fcntl();
	test_truncate();
	test_attrs();
	test_stat();
	test_copies();
	test_mmap_file();
	cleanup();
	return check_done();
}
