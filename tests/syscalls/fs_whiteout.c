/*
 * fs_whiteout: renameat2 with RENAME_WHITEOUT on a tmpfs (/dev/shm): the
 * file moves and a 0/0 character device takes its old name; the flag
 * combinations Linux refuses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	char a[64], b[64];
	struct stat st;

	snprintf(a, sizeof(a), "/dev/shm/moat-wo-%d-a", (int)getpid());
	snprintf(b, sizeof(b), "/dev/shm/moat-wo-%d-b", (int)getpid());
	int fd = open(a, O_CREAT | O_WRONLY | O_EXCL, 0644);
	if (!CHECK(fd >= 0))
		return check_done();
	CHECK_EQ(write(fd, "moved", 5), 5);
	close(fd);

	CHECK_ERR(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_WHITEOUT | RENAME_EXCHANGE), EINVAL);
	CHECK_OK(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_WHITEOUT));
	CHECK_OK(stat(b, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 5);
	CHECK_OK(lstat(a, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0);
	CHECK_EQ(major(st.st_rdev), 0);
	CHECK_EQ(minor(st.st_rdev), 0);
	CHECK_EQ(st.st_uid, getuid());
	/* The whiteout is an ordinary name: it can be removed. */
	CHECK_OK(unlink(a));
	CHECK_OK(unlink(b));
	return check_done();
}
