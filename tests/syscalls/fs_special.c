/*
 * fs_special.c: pipes (pipe2 flags, capacity, F_GETPIPE_SZ/F_SETPIPE_SZ,
 * EPIPE, FIONREAD, ESPIPE), the devices (/dev/null, zero, full, urandom,
 * /dev/fd), /proc/self, flock and fcntl record locks, memfd_create.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

static void test_pipe(void)
{
	int p[2], n;
	char buf[70000];
	struct stat st;

	CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_NONBLOCK | O_WRONLY);
	CHECK_ERR(read(p[0], buf, 1), EAGAIN);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	memset(buf, 'p', sizeof(buf));
	CHECK_EQ(write(p[1], buf, sizeof(buf)), 65536);
	CHECK_ERR(write(p[1], buf, 1), EAGAIN);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 65536);
	CHECK_EQ(read(p[0], buf, 100), 100);
	CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE);
	CHECK_OK(fstat(p[0], &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 1000), EBUSY);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 65436);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 5000), 8192);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 100000), 131072);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 131072);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	close(p[1]);

	CHECK_ERR(pipe2(p, 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_pipe, (void *)1), EFAULT);
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "abc", 3), 3);
	close(p[1]);
	CHECK_EQ(read(p[0], buf, 10), 3);
	CHECK_EQ(read(p[0], buf, 10), 0);
	close(p[0]);
	int devnull = open("/dev/null", O_RDONLY);
	CHECK_ERR(fcntl(devnull, F_GETPIPE_SZ), EBADF);
	close(devnull);
}

static void test_devices(void)
{
	char buf[64];
	struct stat st;
	int fd;

	fd = open("/dev/null", O_RDWR);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 1, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 64);
	CHECK(buf[0] == 0 && buf[63] == 0);
	char *z = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (CHECK(z != MAP_FAILED)) {
		CHECK_EQ(z[100], 0);
		z[100] = 5;
		CHECK_EQ(z[100], 5);
	}
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	CHECK_ERR(write(fd, "x", 1), ENOSPC);
	close(fd);
	CHECK_OK(stat("/dev/zero", &st));
	CHECK_EQ(minor(st.st_rdev), 5);
	CHECK_OK(stat("/dev/full", &st));
	CHECK_EQ(minor(st.st_rdev), 7);
	CHECK_OK(stat("/dev/urandom", &st));
	CHECK_EQ(minor(st.st_rdev), 9);
	fd = open("/dev/urandom", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 64);
	int nonzero = 0;
	for (int i = 0; i < 64; i++)
		nonzero += buf[i] != 0;
	CHECK(nonzero > 32);
	close(fd);
	CHECK_OK(access("/dev/fd/1", F_OK));
	CHECK_OK(access("/dev/stdin", F_OK));
	fd = open("/dev/fd/0", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
}

static void test_proc(const char *argv0)
{
	char buf[4096], path[PATH_MAX], real[PATH_MAX];
	long n;
	int fd;

	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (CHECK(n > 0) && CHECK(realpath(argv0, real) != NULL)) {
		buf[n] = 0;
		CHECK(!strcmp(buf, real));
	}
	fd = open("/proc/self/cmdline", O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	CHECK_EQ(n, (long)strlen(argv0) + 1);
	CHECK(!strcmp(buf, argv0));
	fd = open("/proc/self/stat", O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		int pid = -1;
		char comm[64] = "";
		CHECK_EQ(sscanf(buf, "%d (%63[^)])", &pid, comm), 2);
		CHECK_EQ(pid, getpid());
		const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
		CHECK(!strncmp(comm, base, 15));
	}
	fd = open("/proc/self/status", O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		char want[32];
		snprintf(want, sizeof(want), "\nPid:\t%d\n", getpid());
		CHECK(strstr(buf, want) != NULL);
		CHECK(!strncmp(buf, "Name:\t", 6));
	}
	fd = open("/proc/self/maps", O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		CHECK(strstr(buf, real) != NULL);
	}
	CHECK(getcwd(path, sizeof(path)) != NULL);
	n = readlink("/proc/self/cwd", buf, sizeof(buf) - 1);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		CHECK(!strcmp(buf, path));
	}
	fd = open("/etc/hostname", O_RDONLY);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		CHECK(!strcmp(buf, "/etc/hostname"));
	}
	close(fd);
	CHECK_ERR(readlink(path, buf, sizeof(buf)), ENOENT);
	fd = open("/proc/cpuinfo", O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		CHECK(!strncmp(buf, "processor\t: 0", 13));
	}
	fd = open("/proc/meminfo", O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0 && !strncmp(buf, "MemTotal:", 9));
	fd = open("/proc/sys/kernel/ostype", O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	CHECK(n == 6 && !memcmp(buf, "Linux\n", 6));
	CHECK_OK(access("/proc/thread-self", F_OK));
	/* Listings of /proc/self name its files (readdir skips inode 0). */
	DIR *d = opendir("/proc/self");
	int found = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		found += !strcmp(e->d_name, "status") || !strcmp(e->d_name, "maps") ||
			 !strcmp(e->d_name, "fd");
	if (d)
		closedir(d);
	CHECK_EQ(found, 3);
	d = opendir("/proc/self/fd");
	found = 0;
	while (d && (e = readdir(d)))
		found += !strcmp(e->d_name, "0") || !strcmp(e->d_name, "1") || !strcmp(e->d_name, "2");
	if (d)
		closedir(d);
	CHECK_EQ(found, 3);
	CHECK_OK(access("/proc/self/fd/0", F_OK));
	fd = open("/proc/self/status", O_WRONLY);      /* root may open it... */
	CHECK(fd >= 0);
	CHECK_ERR(write(fd, "x", 1), EINVAL);          /* ...but not write it */
	close(fd);
}

static void test_locks(void)
{
	char path[] = "/tmp/moat-lock-XXXXXX";
	int fd = mkstemp(path), fd2 = open(path, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };

	CHECK_OK(flock(fd, LOCK_EX | LOCK_NB));
	CHECK_ERR(flock(fd2, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_ERR(flock(fd2, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	CHECK_OK(flock(fd, LOCK_UN));
	CHECK_OK(flock(fd2, LOCK_SH | LOCK_NB));
	CHECK_OK(flock(fd, LOCK_SH | LOCK_NB));
	CHECK_ERR(flock(fd, LOCK_SH | LOCK_EX), EINVAL);
	/* POSIX locks of one process never conflict with each other. */
	CHECK_OK(fcntl(fd, F_SETLK, &fl));
	CHECK_OK(fcntl(fd2, F_SETLK, &fl));
	CHECK_OK(fcntl(fd, F_GETLK, &fl));
	CHECK_EQ(fl.l_type, F_UNLCK);
	/* ...but they do conflict with OFD locks. */
	struct flock ofd0 = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	CHECK_ERR(fcntl(fd, F_OFD_SETLK, &ofd0), EAGAIN);
	fl.l_type = F_UNLCK;
	CHECK_OK(fcntl(fd, F_SETLK, &fl));
	/* OFD locks belong to the open file description. */
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
	CHECK_OK(fcntl(fd, F_OFD_SETLK, &ofd));
	CHECK_ERR(fcntl(fd2, F_OFD_SETLK, &ofd), EAGAIN);
	CHECK_OK(fcntl(fd2, F_OFD_GETLK, &ofd));
	CHECK_EQ(ofd.l_type, F_WRLCK);
	CHECK_EQ(ofd.l_pid, -1);
	struct flock bad = { .l_type = 99 };
	CHECK_ERR(fcntl(fd, F_SETLK, &bad), EINVAL);
	close(fd);
	close(fd2);
	unlink(path);
}

static void test_memfd(void)
{
	int fd = memfd_create("moat-test", MFD_CLOEXEC);
	struct stat st;
	char buf[8] = { 0 };

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(write(fd, "memfd", 5), 5);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 5);
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (CHECK(m != MAP_FAILED)) {
		CHECK(!memcmp(m, "memfd", 5));
		m[0] = 'M';
		CHECK_EQ(pread(fd, buf, 5, 0), 5);
		CHECK(!memcmp(buf, "Memfd", 5));
	}
	close(fd);
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[299] = 0;
	CHECK_ERR(memfd_create(longname, 0), EINVAL);
	CHECK_ERR(memfd_create("x", 0x1000), EINVAL);
}

static void test_splice_seals_msync(void)
{
	int p1[2], p2[2], fd = memfd_create("sealed", MFD_ALLOW_SEALING);
	char buf[16] = { 0 };
	loff_t off = 1;

	CHECK_OK(pipe(p1));
	CHECK_OK(pipe(p2));
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_EQ(splice(fd, &off, p1[1], NULL, 4, 0), 4);
	CHECK_EQ(off, 5);
	CHECK_EQ(tee(p1[0], p2[1], 100, 0), 4);
	CHECK_EQ(read(p2[0], buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "1234", 4));
	CHECK_EQ(splice(p1[0], NULL, fd, NULL, 4, 0), 4);   /* at fd's position 10 */
	CHECK_EQ(pread(fd, buf, 16, 0), 14);
	CHECK(!memcmp(buf, "01234567891234", 14));
	CHECK_ERR(splice(fd, NULL, fd, NULL, 1, 0), EINVAL);
	CHECK_ERR(splice(p1[0], &off, fd, NULL, 1, 0), ESPIPE);
	CHECK_ERR(tee(fd, p2[1], 1, 0), EINVAL);

	CHECK_EQ(fcntl(fd, F_GET_SEALS), 0);
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
	CHECK_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK_ERR(ftruncate(fd, 2), EPERM);
	CHECK_ERR(ftruncate(fd, 100), EPERM);
	CHECK_ERR(pwrite(fd, "x", 1, 14), EPERM);
	CHECK_EQ(pwrite(fd, "x", 1, 0), 1);
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL));
	CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM);
	CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	int plain = memfd_create("plain", 0);
	CHECK_EQ(fcntl(plain, F_GET_SEALS), F_SEAL_SEAL);
	CHECK_ERR(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	int devnull = open("/dev/null", O_RDWR);
	CHECK_ERR(fcntl(devnull, F_GET_SEALS), EINVAL);
	close(devnull);
	close(plain);
	close(fd);
	for (int i = 0; i < 2; i++) {
		close(p1[i]);
		close(p2[i]);
	}

	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char vec[3];
	m[0] = 1;
	CHECK_OK(msync(m, 4096, MS_SYNC));
	CHECK_ERR(msync(m + 1, 4096, MS_SYNC), EINVAL);
	CHECK_ERR(msync(m, 4096, MS_SYNC | MS_ASYNC), EINVAL);
	CHECK_OK(mincore(m, 3 * 4096, vec));
	CHECK_EQ(vec[0] & 1, 1);
	munmap(m, 3 * 4096);
	CHECK_ERR(msync(m, 4096, MS_SYNC), ENOMEM);
	CHECK_ERR(mincore(m, 4096, vec), ENOMEM);
	CHECK_ERR(mincore(m + 1, 4096, vec), EINVAL);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_pipe();
	test_devices();
	test_proc(argv[0]);
	test_locks();
	test_memfd();
	test_splice_seals_msync();
	return check_done();
}
