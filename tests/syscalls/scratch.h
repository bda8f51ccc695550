/*
 * scratch.h - the scratch directory the file-system tests work in.
 *
 * scratch_init() makes a fresh directory under /tmp (inside moat, /tmp is
 * the sandbox's in-memory layer); p("name") gives "dir/name" in one of a
 * few rotating buffers, so several can be used in one call; rmtree()
 * removes a tree, as the tests do at the end.
 */
#ifndef MOAT_TESTS_SCRATCH_H
#define MOAT_TESTS_SCRATCH_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

__attribute__((unused))
static void scratch_init(void)
{
	strcpy(dir, "/tmp/moat-fs-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
}

__attribute__((unused))
static const char *p(const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Removes path and everything below it. */
__attribute__((unused))
static void rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		char child[1024];

		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
			rmtree(child);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

#endif
