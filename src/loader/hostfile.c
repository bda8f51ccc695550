/*
 * hostfile.c: TEMPORARY reader of executables from the host file system,
 * used until the VFS exists (the files issue replaces exec_file_open with a
 * lookup through the sandbox's own path resolution and file ops).  It only
 * ever opens the path the user named on moat's command line.
 */
#include "loader/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int exec_file_open(const char *path, struct exec_file *ef)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EACCES;
	}
	/* execve needs an execute bit even for root. */
	if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) || access(path, X_OK) < 0) {
		close(fd);
		return -EACCES;
	}
	ef->host_fd = fd;
	ef->size = (uint64_t)st.st_size;
	ef->path = strdup(path);
	return 0;
}

void exec_file_close(struct exec_file *ef)
{
	if (ef->host_fd >= 0)
		close(ef->host_fd);
	ef->host_fd = -1;
	free(ef->path);
	ef->path = NULL;
}

int exec_file_read(struct exec_file *ef, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(ef->host_fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}
