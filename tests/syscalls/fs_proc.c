/*
 * fs_proc.c - procfs as seen by a process about itself: /proc/self and
 * /proc/thread-self, /proc/self/exe, cmdline, stat (pid, "(comm)", state,
 * ppid), status (Name, State, Tgid, Pid, PPid, Uid), maps (the executable's
 * code and the [stack], containing main and a local variable), fd (a
 * listing of the open descriptors, readlink of a file, a deleted file, a
 * pipe), cwd; and the global files cpuinfo, meminfo, uptime,
 * sys/kernel/ostype, filesystems and mounts.
 *
 * Expects argv[0] to be the path the binary was started by (the test
 * runner gives an absolute one). Uses a mkdtemp scratch directory under
 * /tmp, removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

static char dir[64];
static char exe[PATH_MAX];	/* realpath of argv[0] */
static char comm[16];		/* basename of argv[0], at most 15 bytes */

/* Read all of path into buf (NUL-terminated); length, or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	long n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1 &&
	       (n = read(fd, buf + total, size - 1 - (size_t)total)) > 0)
		total += n;
	buf[total] = 0;
	close(fd);
	return total;
}

/* 1 if text has a line that starts with prefix. */
static int has_line(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : l)
		if (!strncmp(l, prefix, len))
			return 1;
	return 0;
}

static void test_self_links(void)
{
	char buf[PATH_MAX], want[64];
	struct stat st;
	long n;

	memset(buf, 0, sizeof(buf));
	n = readlink("/proc/self", buf, sizeof(buf));
	snprintf(want, sizeof(want), "%d", getpid());
	CHECK_EQ(n, (long)strlen(want));
	CHECK(!strcmp(buf, want));
	CHECK_OK(stat("/proc/self", &st));
	CHECK(S_ISDIR(st.st_mode));

	/* /proc/thread-self -> <pid>/task/<tid>. */
	CHECK_OK(lstat("/proc/thread-self", &st));
	CHECK(S_ISLNK(st.st_mode));
	memset(buf, 0, sizeof(buf));
	CHECK(readlink("/proc/thread-self", buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want), "%d/task/%ld", getpid(), syscall(SYS_gettid));
	CHECK(!strcmp(buf, want));
	CHECK_OK(stat("/proc/thread-self", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(stat("/proc/thread-self/stat", &st));

	/* /proc/self/exe is the binary we run. */
	memset(buf, 0, sizeof(buf));
	n = readlink("/proc/self/exe", buf, sizeof(buf));
	CHECK_EQ(n, (long)strlen(exe));
	if (!CHECK(!strcmp(buf, exe)))
		printf("  /proc/self/exe is \"%s\", want \"%s\"\n", buf, exe);
	{
		struct stat a, b;

		CHECK_OK(stat("/proc/self/exe", &a));
		CHECK_OK(stat(exe, &b));
		CHECK_EQ(a.st_ino, b.st_ino);
		CHECK(S_ISREG(a.st_mode));
	}
	/* readlink truncates silently, like any symlink. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink("/proc/self/exe", buf, 3), 3);
	CHECK(!strncmp(buf, exe, 3) && buf[3] == 0);
}

static void test_cmdline(int argc, char **argv)
{
	char buf[8192], want[8192], one[8192];
	size_t wlen = 0;
	long n, total = 0;
	int fd;

	for (int i = 0; i < argc && wlen + strlen(argv[i]) + 1 < sizeof(want); i++) {
		memcpy(want + wlen, argv[i], strlen(argv[i]) + 1);
		wlen += strlen(argv[i]) + 1;
	}
	n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	CHECK_EQ(n, (long)wlen);
	CHECK(n == (long)wlen && !memcmp(buf, want, wlen));
	/* The same bytes come out one at a time. */
	fd = open("/proc/self/cmdline", O_RDONLY);
	if (!CHECK(fd >= 0))
		return;
	while (total < (long)sizeof(one) && (n = read(fd, one + total, 1)) == 1)
		total++;
	CHECK_EQ(total, (long)wlen);
	CHECK(!memcmp(one, want, wlen));
	/* ...and from an offset with pread. */
	if (wlen > 2) {
		CHECK_EQ(pread(fd, one, sizeof(one), 2), (long)wlen - 2);
		CHECK(!memcmp(one, want + 2, wlen - 2));
	}
	close(fd);
}

static void test_stat(void)
{
	char buf[4096], path[64], want[64], state;
	long pid, ppid;
	char *open_paren, *close_paren;

	if (!CHECK(slurp("/proc/self/stat", buf, sizeof(buf)) > 0))
		return;
	CHECK(buf[strlen(buf) - 1] == '\n');
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!CHECK(open_paren && close_paren && close_paren > open_paren))
		return;
	/* Field 1: pid; field 2: (comm). */
	CHECK_EQ(sscanf(buf, "%ld ", &pid), 1);
	CHECK_EQ(pid, getpid());
	CHECK(open_paren == strchr(buf, ' ') + 1);
	*close_paren = 0;
	if (!CHECK(!strcmp(open_paren + 1, comm)))
		printf("  comm \"%s\", want \"%s\"\n", open_paren + 1, comm);
	/* Field 3: state (we are running); field 4: ppid. */
	CHECK_EQ(sscanf(close_paren + 1, " %c %ld", &state, &ppid), 2);
	CHECK_EQ(state, 'R');
	CHECK_EQ(ppid, getppid());
	/* /proc/<pid>/stat is the same process. */
	snprintf(path, sizeof(path), "/proc/%d/stat", getpid());
	CHECK(slurp(path, buf, sizeof(buf)) > 0);
	snprintf(want, sizeof(want), "%d (%s) R ", getpid(), comm);
	CHECK(!strncmp(buf, want, strlen(want)));
	/* /proc/thread-self/stat too (one thread: tid == pid). */
	CHECK(slurp("/proc/thread-self/stat", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, want, strlen(want)));
}

static void test_status(void)
{
	char buf[8192], line[128];

	if (!CHECK(slurp("/proc/self/status", buf, sizeof(buf)) > 0))
		return;
	CHECK(!strncmp(buf, "Name:\t", 6));
	snprintf(line, sizeof(line), "Name:\t%s\n", comm);
	CHECK(has_line(buf, line));
	CHECK(has_line(buf, "State:\tR (running)\n"));
	snprintf(line, sizeof(line), "Tgid:\t%d\n", getpid());
	CHECK(has_line(buf, line));
	snprintf(line, sizeof(line), "Pid:\t%d\n", getpid());
	CHECK(has_line(buf, line));
	snprintf(line, sizeof(line), "PPid:\t%d\n", getppid());
	CHECK(has_line(buf, line));
	snprintf(line, sizeof(line), "Uid:\t%d\t%d\t%d\t%d\n", getuid(),
		 geteuid(), getuid(), geteuid());
	CHECK(has_line(buf, line));
	CHECK(has_line(buf, "Threads:\t1\n"));
}

/* Find the maps line whose range holds addr; copy it to out. */
static int maps_line_for(const char *maps, uintptr_t addr, char *out, size_t size)
{
	for (const char *l = maps; *l;) {
		unsigned long lo, hi;
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		if (sscanf(l, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi) {
			if (len >= size)
				len = size - 1;
			memcpy(out, l, len);
			out[len] = 0;
			return 1;
		}
		if (!nl)
			break;
		l = nl + 1;
	}
	return 0;
}

static void test_maps(void)
{
	static char maps[65536];
	char line[512], *path, perms[8];
	int local = 0, exe_lines = 0;
	unsigned long lo, hi;

	if (!CHECK(slurp("/proc/self/maps", maps, sizeof(maps)) > 0))
		return;
	/* Every line: lo-hi perms offset dev inode [path], lo < hi. */
	for (char *l = maps; *l;) {
		char *nl = strchr(l, '\n');

		if (!CHECK(nl != NULL))
			break;
		*nl = 0;
		CHECK_EQ(sscanf(l, "%lx-%lx %4s", &lo, &hi, perms), 3);
		CHECK(lo < hi && lo % PAGE == 0 && hi % PAGE == 0);
		CHECK(strlen(perms) == 4 && (perms[3] == 'p' || perms[3] == 's'));
		path = strchr(l, '/');
		if (path && !strcmp(path, exe))
			exe_lines++;
		*nl = '\n';
		l = nl + 1;
	}
	CHECK(exe_lines >= 1);
	CHECK(strstr(maps, " [stack]\n") != NULL);

	/* main's code lies in an executable mapping of the binary. */
	if (CHECK(maps_line_for(maps, (uintptr_t)&test_maps, line, sizeof(line)))) {
		CHECK_EQ(sscanf(line, "%lx-%lx %4s", &lo, &hi, perms), 3);
		CHECK_EQ(perms[2], 'x');
		path = strchr(line, '/');
		CHECK(path && !strcmp(path, exe));
	}
	/* A local variable lies in [stack]. */
	if (CHECK(maps_line_for(maps, (uintptr_t)&local, line, sizeof(line)))) {
		size_t len = strlen(line);

		CHECK(len > 8 && !strcmp(line + len - 8, " [stack]"));
		CHECK_EQ(sscanf(line, "%lx-%lx %4s", &lo, &hi, perms), 3);
		CHECK(!strcmp(perms, "rw-p"));
	}
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_fd(void)
{
	char buf[4096], path[256], link[512], want[512];
	char *names[64];
	int n = 0, fd, dfd, pfd[2];
	long len;

	/* Open a file in the scratch dir; the listing shows it. */
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_RDWR, 0644);
	if (!CHECK(fd >= 0))
		return;
	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	if (!CHECK(dfd >= 0))
		return;
	while ((len = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < len;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (n < 64)
				names[n++] = strdup(d->d_name);
			off += d->d_reclen;
		}
	}
	CHECK_EQ(len, 0);
	qsort(names, (size_t)n, sizeof(char *), cmpstr);
	int seen0 = 0, seen1 = 0, seen2 = 0, seenfd = 0, seendfd = 0;
	for (int i = 0; i < n; i++) {
		char *end;
		long v;

		if (!strcmp(names[i], ".") || !strcmp(names[i], ".."))
			continue;
		v = strtol(names[i], &end, 10);
		/* Every other name is a decimal fd that is open. */
		if (CHECK(*end == 0 && v >= 0))
			CHECK_OK(fcntl((int)v, F_GETFD));
		seen0 |= v == 0;
		seen1 |= v == 1;
		seen2 |= v == 2;
		seenfd |= v == fd;
		seendfd |= v == dfd;
	}
	CHECK(n >= 2 && !strcmp(names[0], ".") && !strcmp(names[1], ".."));
	CHECK(seen0 && seen1 && seen2 && seenfd && seendfd);
	for (int i = 0; i < n; i++)
		free(names[i]);
	close(dfd);

	/* readlink of a file's fd gives its path; after unlink, " (deleted)". */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink(link, buf, sizeof(buf)), (long)strlen(path));
	CHECK(!strcmp(buf, path));
	CHECK_OK(unlink(path));
	memset(buf, 0, sizeof(buf));
	snprintf(want, sizeof(want), "%s (deleted)", path);
	CHECK_EQ(readlink(link, buf, sizeof(buf)), (long)strlen(want));
	CHECK(!strcmp(buf, want));
	CHECK_OK(close(fd));
	CHECK_ERR(readlink(link, buf, sizeof(buf)), ENOENT);

	/* A directory's fd; a pipe's fd. */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink(link, buf, sizeof(buf)), (long)strlen(dir));
	CHECK(!strcmp(buf, dir));
	close(fd);
	if (CHECK_OK(pipe(pfd))) {
		struct stat st;

		CHECK_OK(fstat(pfd[0], &st));
		snprintf(link, sizeof(link), "/proc/self/fd/%d", pfd[1]);
		snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
		memset(buf, 0, sizeof(buf));
		CHECK(readlink(link, buf, sizeof(buf)) > 0);
		CHECK(!strcmp(buf, want));
		close(pfd[0]);
		close(pfd[1]);
	}
}

static void test_cwd(void)
{
	char saved[PATH_MAX], buf[PATH_MAX], cwd[PATH_MAX];

	if (!CHECK(getcwd(saved, sizeof(saved)) != NULL))
		return;
	memset(buf, 0, sizeof(buf));
	CHECK(readlink("/proc/self/cwd", buf, sizeof(buf)) > 0);
	CHECK(!strcmp(buf, saved));
	CHECK_OK(chdir(dir));
	memset(buf, 0, sizeof(buf));
	CHECK(readlink("/proc/self/cwd", buf, sizeof(buf)) > 0);
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(buf, cwd));
	CHECK(!strcmp(buf, dir));
	CHECK_OK(chdir("/"));
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink("/proc/self/cwd", buf, sizeof(buf)), 1);
	CHECK(!strcmp(buf, "/"));
	CHECK_OK(chdir(saved));
	/* /proc/self/root is "/". */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(readlink("/proc/self/root", buf, sizeof(buf)), 1);
	CHECK(!strcmp(buf, "/"));
}

static void test_global(void)
{
	static char buf[1 << 18];
	double up, idle;
	char *l;
	int fields;

	CHECK(slurp("/proc/cpuinfo", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "processor\t: 0\n", 14));

	CHECK(slurp("/proc/meminfo", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "MemTotal:", 9));
	CHECK(has_line(buf, "MemFree:"));
	CHECK(has_line(buf, "MemAvailable:"));

	CHECK(slurp("/proc/uptime", buf, sizeof(buf)) > 0);
	up = idle = -1;
	CHECK_EQ(sscanf(buf, "%lf %lf", &up, &idle), 2);
	CHECK(up > 0 && idle >= 0);
	CHECK(buf[strlen(buf) - 1] == '\n');
	CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1);

	CHECK_EQ(slurp("/proc/sys/kernel/ostype", buf, sizeof(buf)), 6);
	CHECK(!strcmp(buf, "Linux\n"));

	CHECK(slurp("/proc/filesystems", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\ttmpfs\n") != NULL);
	CHECK(strstr(buf, "nodev\tproc\n") != NULL);

	/* mounts: "dev dir type opts 0 0" lines. */
	CHECK(slurp("/proc/self/mounts", buf, sizeof(buf)) > 0);
	l = strchr(buf, '\n');
	if (CHECK(l != NULL)) {
		char f[6][256];

		*l = 0;
		fields = sscanf(buf, "%255s %255s %255s %255s %255s %255s",
				f[0], f[1], f[2], f[3], f[4], f[5]);
		CHECK_EQ(fields, 6);
		CHECK(fields == 6 && !strcmp(f[4], "0") && !strcmp(f[5], "0"));
	}
	CHECK(slurp("/proc/mounts", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, " /proc proc ") != NULL);
	CHECK(slurp("/proc/self/mountinfo", buf, sizeof(buf)) > 0);
}

int main(int argc, char **argv)
{
	const char *base;
	struct stat st;

	(void)argc;
	if (!realpath(argv[0], exe)) {
		printf("FAIL %s: realpath(argv[0]) failed\n", __FILE__);
		return 1;
	}
	base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	snprintf(comm, sizeof(comm), "%s", base);
	strcpy(dir, "/tmp/moat-fs-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_self_links();
	test_cmdline(argc, argv);
	test_stat();
	test_status();
	test_maps();
	test_fd();
	test_cwd();
	test_global();
	CHECK_OK(rmdir(dir));
	CHECK_ERR(stat(dir, &st), ENOENT);
	return check_done();
}
