/*
 * fs_tmpfile: open(2) with O_TMPFILE: an unnamed regular file in the
 * directory's file system, usable for I/O, that linkat() may give a name
 * (through AT_EMPTY_PATH or /proc/self/fd) unless it was opened with
 * O_EXCL; its flag and path errors; and a file that lost its last name
 * cannot be linked again.  Runs in a scratch directory under /tmp (inside
 * moat: the overlay's upper layer) and in /dev/shm (a tmpfs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "scratch.h"

static void test_in(const char *where)
{
	struct stat st;
	char buf[64], link[256];
	int fd = open(where, O_TMPFILE | O_RDWR, 0640);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "tmpfile data", 12), 12);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 12);
	CHECK(memcmp(buf, "tmpfile data", 12) == 0);
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0640 & ~022);
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_size, 12);

	/* Its /proc/self/fd link: "<dir>/#<ino> (deleted)". */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, link, sizeof(link) - 1);
	if (CHECK(n > 0)) {
		link[n] = '\0';
		char want[128];
		snprintf(want, sizeof(want), "%s/#", where);
		CHECK(strncmp(link, want, strlen(want)) == 0);
		CHECK(n > 10 && strcmp(link + n - 10, " (deleted)") == 0);
	}

	/* A name through AT_EMPTY_PATH: the same file, one link. */
	char name[256];
	snprintf(name, sizeof(name), "%s/named", where);
	CHECK_OK(linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH));
	CHECK_OK(stat(name, &st));
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_size, 12);
	struct stat fst;
	CHECK_OK(fstat(fd, &fst));
	CHECK_EQ(fst.st_ino, st.st_ino);
	CHECK_EQ(fst.st_nlink, 1);
	int rfd = open(name, O_RDONLY);
	if (CHECK(rfd >= 0)) {
		CHECK_EQ(read(rfd, buf, sizeof(buf)), 12);
		close(rfd);
	}
	CHECK_OK(unlink(name));
	close(fd);

	/* Through the /proc/self/fd magic link, as glibc's users do. */
	fd = open(where, O_TMPFILE | O_WRONLY, 0600);
	if (CHECK(fd >= 0)) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		CHECK_OK(linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW));
		CHECK_OK(stat(name, &st));
		CHECK_EQ(st.st_mode & 07777, 0600);
		/* An existing name stays. */
		CHECK_ERR(linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH), EEXIST);
		CHECK_OK(unlink(name));
		close(fd);
	}

	/* O_EXCL: it never gets a name. */
	fd = open(where, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	if (CHECK(fd >= 0)) {
		CHECK_ERR(linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH), ENOENT);
		CHECK_ERR(stat(name, &st), ENOENT);
		close(fd);
	}
}

static void test_errors(void)
{
	int fd;

	/* Not for reading only; not with O_CREAT; not without O_DIRECTORY. */
	CHECK_ERR(open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL);
	CHECK_ERR(open(dir, O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL);
	CHECK_ERR(open(dir, (O_TMPFILE & ~O_DIRECTORY) | O_RDWR, 0600), EINVAL);
	/* The path must be an existing directory. */
	CHECK_ERR(open(p("nowhere"), O_TMPFILE | O_RDWR, 0600), ENOENT);
	fd = open(p("plain"), O_CREAT | O_WRONLY, 0600);
	if (CHECK(fd >= 0))
		close(fd);
	CHECK_ERR(open(p("plain"), O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	CHECK_OK(unlink(p("plain")));

	/* openat2: O_TMPFILE takes a mode; O_DIRECTORY alone does not. */
	struct open_how how = { .flags = O_TMPFILE | O_RDWR, .mode = 0600 };
	fd = (int)syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how));
	if (CHECK(fd >= 0))
		close(fd);
	how = (struct open_how){ .flags = O_DIRECTORY | O_RDONLY, .mode = 0755 };
	CHECK_ERR(syscall(SYS_openat2, AT_FDCWD, dir, &how, sizeof(how)), EINVAL);

	/* A file that lost its last name gets no new one. */
	fd = open(p("gone"), O_CREAT | O_RDWR, 0600);
	if (CHECK(fd >= 0)) {
		CHECK_OK(unlink(p("gone")));
		CHECK_ERR(linkat(fd, "", AT_FDCWD, p("back"), AT_EMPTY_PATH), ENOENT);
		close(fd);
	}
}

int main(void)
{
	umask(022);
	scratch_init();
	test_in(dir);
	if (mkdir(p("sub"), 0755) == 0 || errno == EEXIST)
		test_in(p("sub"));
	test_in("/dev/shm");
	test_errors();
	rmtree(dir);
	return check_done();
}
