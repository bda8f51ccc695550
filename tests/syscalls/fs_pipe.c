/*
 * fs_pipe.c - pipes: pipe and pipe2 (O_CLOEXEC, O_NONBLOCK, bad flags,
 * EFAULT), the access mode of each end, data flow and partial reads, EOF
 * once every writer is closed, EPIPE once every reader is (SIGPIPE
 * ignored), F_GETPIPE_SZ/F_SETPIPE_SZ and their rounding, filling a
 * non-blocking pipe to exactly its capacity, FIONREAD, fstat (S_IFIFO),
 * ESPIPE for lseek/pread/pwrite, and /proc/self/fd/N of a pipe.
 *
 * No fork, no threads: both ends live in this process.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static char big[1 << 20];

static void closep(int p[2])
{
	CHECK_OK(close(p[0]));
	CHECK_OK(close(p[1]));
}

static void test_create(void)
{
	int p[2];

	CHECK_OK(pipe(p));
	CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	CHECK_EQ(fcntl(p[1], F_GETFD), 0);
	CHECK_EQ(fcntl(p[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_WRONLY);
	closep(p);

	CHECK_OK(pipe2(p, 0));
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	closep(p);

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	closep(p);

	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ(fcntl(p[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	closep(p);

	/* Bad flags and pointers; nothing is created on failure. */
	p[0] = p[1] = -7;
	CHECK_ERR(pipe2(p, O_RDWR), EINVAL);
	CHECK_ERR(pipe2(p, O_APPEND), EINVAL);
	CHECK_ERR(pipe2(p, O_CREAT), EINVAL);
	CHECK_ERR(pipe2(p, 0x40000000), EINVAL);
	CHECK(p[0] == -7 && p[1] == -7);
	CHECK_ERR(syscall(SYS_pipe, (int *)1), EFAULT);
	CHECK_ERR(syscall(SYS_pipe2, (int *)1, O_CLOEXEC), EFAULT);
}

static void test_data(void)
{
	char buf[64];
	struct iovec iov[2];
	int p[2];

	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_EQ(write(p[1], "hello ", 6), 6);
	CHECK_EQ(write(p[1], "world", 5), 5);
	/* A read takes what is there, up to its size, in order. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(p[0], buf, 3), 3);
	CHECK(!strcmp(buf, "hel"));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 8);
	CHECK(!strcmp(buf, "lo world"));
	/* readv/writev. */
	iov[0].iov_base = "ab";
	iov[0].iov_len = 2;
	iov[1].iov_base = "cde";
	iov[1].iov_len = 3;
	CHECK_EQ(writev(p[1], iov, 2), 5);
	memset(buf, 0, sizeof(buf));
	iov[0].iov_base = buf;
	iov[0].iov_len = 1;
	iov[1].iov_base = buf + 10;
	iov[1].iov_len = 10;
	CHECK_EQ(readv(p[0], iov, 2), 5);
	CHECK(buf[0] == 'a' && !strcmp(buf + 10, "bcde"));
	/* Zero-length reads and writes return 0 at once. */
	CHECK_EQ(read(p[0], buf, 0), 0);
	CHECK_EQ(write(p[1], buf, 0), 0);
	/* The wrong end is EBADF; a bad buffer EFAULT. */
	CHECK_ERR(read(p[1], buf, 1), EBADF);
	CHECK_ERR(write(p[0], "x", 1), EBADF);
	CHECK_ERR(syscall(SYS_write, p[1], (void *)1, 1), EFAULT);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_ERR(syscall(SYS_read, p[0], (void *)1, 1), EFAULT);
	CHECK_EQ(read(p[0], buf, 1), 1);	/* the byte is still there */
	CHECK_EQ(buf[0], 'z');

	/* Writer gone: queued data first, then EOF, again and again. */
	CHECK_EQ(write(p[1], "tail", 4), 4);
	CHECK_OK(close(p[1]));
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 4);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	CHECK_OK(close(p[0]));

	/* A dup of the write end keeps the pipe open for writing. */
	CHECK_OK(pipe2(p, O_NONBLOCK));
	int w2 = dup(p[1]);
	CHECK(w2 >= 0);
	CHECK_OK(close(p[1]));
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	CHECK_OK(close(w2));
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	CHECK_OK(close(p[0]));
}

static void test_epipe(void)
{
	int p[2], r2;

	signal(SIGPIPE, SIG_IGN);
	if (!CHECK_OK(pipe(p)))
		return;
	r2 = dup(p[0]);
	CHECK_OK(close(p[0]));
	CHECK_EQ(write(p[1], "x", 1), 1);	/* a reader is still open */
	CHECK_OK(close(r2));
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(write(p[1], "", 0), 0);	/* empty: 0, no EPIPE */
	CHECK_OK(close(p[1]));

	/* Likewise when non-blocking, and with the pipe full. */
	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_EQ(write(p[1], big, 65536), 65536);
	CHECK_OK(close(p[0]));
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	CHECK_OK(close(p[1]));
}

static void test_empty_nonblock(void)
{
	char buf[8];
	int p[2];

	if (!CHECK_OK(pipe2(p, O_NONBLOCK)))
		return;
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	/* O_NONBLOCK can be toggled with F_SETFL. */
	CHECK_OK(fcntl(p[0], F_SETFL, 0));
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	closep(p);
}

static void test_size(void)
{
	int p[2], n;

	if (!CHECK_OK(pipe2(p, O_NONBLOCK)))
		return;
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536);

	/* Capacity: exactly 64 KiB go in, then EAGAIN. */
	CHECK_EQ(write(p[1], big, sizeof(big)), 65536);
	CHECK_ERR(write(p[1], "x", 1), EAGAIN);
	CHECK_ERR(write(p[1], big, 4096), EAGAIN);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 65536);
	CHECK_OK(ioctl(p[1], FIONREAD, &n));	/* either end */
	CHECK_EQ(n, 65536);
	/* Draining a page makes room for a page. */
	CHECK_EQ(read(p[0], big, 4096), 4096);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 61440);
	CHECK_EQ(write(p[1], big, 8192), 4096);
	CHECK_ERR(write(p[1], big, 1), EAGAIN);
	CHECK_EQ(read(p[0], big, sizeof(big)), 65536);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_ERR(read(p[0], big, 1), EAGAIN);

	/* Filled in page-sized writes it holds the same. */
	for (n = 0; n < 16; n++)
		CHECK_EQ(write(p[1], big, 4096), 4096);
	CHECK_ERR(write(p[1], big, 4096), EAGAIN);
	CHECK_EQ(read(p[0], big, sizeof(big)), 65536);

	/* F_SETPIPE_SZ rounds up to a power-of-two number of pages. */
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 8192);
	CHECK_EQ(write(p[1], big, sizeof(big)), 8192);
	CHECK_ERR(write(p[1], "x", 1), EAGAIN);
	/* Shrinking below what is queued is EBUSY. */
	CHECK_ERR(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
	CHECK_EQ(read(p[0], big, sizeof(big)), 8192);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 4097), 8192);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 100000), 131072);
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 131072);
	CHECK_EQ(write(p[1], big, sizeof(big)), 131072);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 131072);
	CHECK_EQ(read(p[0], big, sizeof(big)), 131072);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 65536), 65536);
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, -1), EINVAL);
	closep(p);

	/* Not a pipe: EBADF. */
	CHECK_ERR(fcntl(0x7fff, F_GETPIPE_SZ), EBADF);
}

static void test_pipe_buf_atomic(void)
{
	int p[2];

	/* Nearly full: a write of <= PIPE_BUF bytes that does not fit goes
	 * in whole or not at all. */
	if (!CHECK_OK(pipe2(p, O_NONBLOCK)))
		return;
	CHECK_EQ(write(p[1], big, 65536 - 100), 65536 - 100);
	CHECK_ERR(write(p[1], big, 512), EAGAIN);
	CHECK_ERR(write(p[1], big, 4096), EAGAIN);
	closep(p);
}

static void test_not_seekable(void)
{
	char buf[64], link[64];
	struct stat st, st1;
	int p[2];
	long n;

	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_OK(fstat(p[0], &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, getuid());
	CHECK_OK(fstat(p[1], &st1));
	CHECK(S_ISFIFO(st1.st_mode));
	CHECK_EQ(st1.st_ino, st.st_ino);	/* one inode, two ends */
	CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERR(lseek(p[1], 0, SEEK_CUR), ESPIPE);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE);
	CHECK_ERR(pwrite(p[1], "x", 1, 0), ESPIPE);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);	/* nothing consumed */
	CHECK_ERR(ftruncate(p[1], 0), EINVAL);

	/* /proc/self/fd/N reads "pipe:[<ino>]". */
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", p[0]);
	snprintf(link, sizeof(link), "pipe:[%lu]", (unsigned long)st.st_ino);
	memset(buf + 32, 0, 32);
	n = readlink(buf, buf + 32, 31);
	CHECK_EQ(n, (long)strlen(link));
	CHECK(n > 0 && !strcmp(buf + 32, link));
	closep(p);
}

int main(void)
{
	test_create();
	test_data();
	test_epipe();
	test_empty_nonblock();
	test_size();
	test_pipe_buf_atomic();
	test_not_seekable();
	return check_done();
}
