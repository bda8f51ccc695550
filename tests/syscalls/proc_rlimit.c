/*
 * proc_rlimit.c - resource limits: getrlimit/setrlimit/prlimit64 (libc and
 * raw; round trips, RLIM_INFINITY, EINVAL for soft > hard and a bad
 * resource, EFAULT, EPERM for raising a hard limit without privilege and
 * for RLIMIT_NOFILE above nr_open even as root; prlimit64 on a child, both
 * reading and setting, ESRCH for a pid no process has; limits inherited by
 * fork; every limit readable with soft <= hard). The limits in force:
 * RLIMIT_NOFILE (EMFILE from open, dup, pipe, fcntl(F_DUPFD); EBADF from
 * dup2/dup3 to an fd at or above the limit, EINVAL from F_DUPFD there;
 * fds above a lowered limit stay usable); RLIMIT_FSIZE (a write that
 * crosses the limit is cut short without a signal, the next one fails
 * with EFBIG and SIGXFSZ, which kills by default; ftruncate too; pipes
 * are not limited); RLIMIT_AS (mmap, mremap, malloc and sbrk past the
 * limit fail with ENOMEM, even PROT_NONE and MAP_NORESERVE mappings);
 * RLIMIT_CPU (a busy loop is killed by SIGXCPU after 1 s of CPU time).
 *
 * Each limit is set in a forked child that reports through its exit
 * status. The RLIMIT_CPU child runs while the others do. Uses a mkdtemp
 * scratch directory under /tmp, removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "scratch.h"

#define NOPID INT_MAX		/* above any pid_max: no process has it */
#define MiB (1024UL * 1024)

/* Raw prlimit64. */
static long prlimit64_(pid_t pid, int res, const struct rlimit *new,
		       struct rlimit *old)
{
	return syscall(SYS_prlimit64, pid, res, new, old);
}

static int set_lim(int res, rlim_t cur, rlim_t max)
{
	struct rlimit rl = { cur, max };

	return setrlimit(res, &rl);
}

/* No core files from the children killed on purpose. */
static void no_core(void)
{
	set_lim(RLIMIT_CORE, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* ------------------------------------------------------ get/set */

static void test_read_all(void)
{
	struct rlimit rl, raw;

	for (int r = 0; r < RLIM_NLIMITS; r++) {
		memset(&rl, 0x5a, sizeof(rl));
		if (!CHECK_OK(getrlimit(r, &rl)))
			continue;
		CHECK(rl.rlim_cur <= rl.rlim_max);
		memset(&raw, 0x5a, sizeof(raw));
		CHECK_EQ(syscall(SYS_getrlimit, r, &raw), 0);
		CHECK(raw.rlim_cur == rl.rlim_cur && raw.rlim_max == rl.rlim_max);
		memset(&raw, 0x5a, sizeof(raw));
		CHECK_EQ(prlimit64_(0, r, NULL, &raw), 0);
		CHECK(raw.rlim_cur == rl.rlim_cur && raw.rlim_max == rl.rlim_max);
		memset(&raw, 0x5a, sizeof(raw));
		CHECK_EQ(prlimit64_(getpid(), r, NULL, &raw), 0);
		CHECK(raw.rlim_cur == rl.rlim_cur && raw.rlim_max == rl.rlim_max);
	}
	/* The stack limit in particular. */
	CHECK_OK(getrlimit(RLIMIT_STACK, &rl));
	CHECK(rl.rlim_max != 0);
	CHECK(rl.rlim_cur <= rl.rlim_max);

	/* Bad resources; bad pointers. */
	CHECK_ERR(getrlimit(RLIM_NLIMITS, &rl), EINVAL);
	CHECK_ERR(getrlimit(100, &rl), EINVAL);
	CHECK_ERR(getrlimit(-1, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_getrlimit, RLIM_NLIMITS, &rl), EINVAL);
	CHECK_ERR(prlimit64_(0, RLIM_NLIMITS, NULL, &rl), EINVAL);
	CHECK_ERR(prlimit64_(0, -1, NULL, &rl), EINVAL);
	CHECK_ERR(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8), EFAULT);
	CHECK_ERR(prlimit64_(0, RLIMIT_NOFILE, NULL, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, (void *)8), EFAULT);
	CHECK_ERR(prlimit64_(0, RLIMIT_NOFILE, (void *)8, NULL), EFAULT);
	CHECK_ERR(prlimit64_(NOPID, RLIMIT_NOFILE, NULL, &rl), ESRCH);
	CHECK_ERR(prlimit64_(-1, RLIMIT_NOFILE, NULL, &rl), ESRCH);
	/* Neither new nor old: nothing to do, but the pid is looked up. */
	CHECK_EQ(prlimit64_(0, RLIMIT_NOFILE, NULL, NULL), 0);
	CHECK_ERR(prlimit64_(NOPID, RLIMIT_NOFILE, NULL, NULL), ESRCH);
}

static void c_roundtrip(void)
{
	struct rlimit rl, old;

	CHECK_OK(set_lim(RLIMIT_NOFILE, 64, 128));
	memset(&rl, 0, sizeof(rl));
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(rl.rlim_cur, 64);
	CHECK_EQ(rl.rlim_max, 128);
	/* prlimit64 sets and returns the old value in one go. */
	rl.rlim_cur = 32;
	rl.rlim_max = 100;
	memset(&old, 0, sizeof(old));
	CHECK_EQ(prlimit64_(0, RLIMIT_NOFILE, &rl, &old), 0);
	CHECK_EQ(old.rlim_cur, 64);
	CHECK_EQ(old.rlim_max, 128);
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(rl.rlim_cur, 32);
	CHECK_EQ(rl.rlim_max, 100);
	/* The old setrlimit syscall, same layout. */
	rl.rlim_cur = 50;
	CHECK_EQ(syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl), 0);
	CHECK_EQ(prlimit(0, RLIMIT_NOFILE, NULL, &old), 0);
	CHECK_EQ(old.rlim_cur, 50);
	CHECK_EQ(old.rlim_max, 100);

	/* soft > hard. */
	CHECK_ERR(set_lim(RLIMIT_NOFILE, 101, 100), EINVAL);
	rl.rlim_cur = 200;
	rl.rlim_max = 199;
	CHECK_ERR(prlimit64_(0, RLIMIT_NOFILE, &rl, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl), EINVAL);
	CHECK_ERR(set_lim(RLIMIT_CORE, RLIM_INFINITY, 0), EINVAL);
	CHECK_ERR(set_lim(RLIM_NLIMITS, 1, 1), EINVAL);
	CHECK_ERR(set_lim(-1, 1, 1), EINVAL);
	/* A failed call changes nothing. */
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(rl.rlim_cur, 50);
	CHECK_EQ(rl.rlim_max, 100);

	/*
	 * Hard limits are only ever lowered or kept here: a root without
	 * CAP_SYS_RESOURCE (as in some containers) can't raise them.
	 * RLIMIT_CORE's own hard limit round trips, whatever it is.
	 */
	CHECK_OK(getrlimit(RLIMIT_CORE, &old));
	CHECK_OK(set_lim(RLIMIT_CORE, 0, old.rlim_max));
	CHECK_OK(getrlimit(RLIMIT_CORE, &rl));
	CHECK(rl.rlim_cur == 0 && rl.rlim_max == old.rlim_max);
	CHECK_OK(set_lim(RLIMIT_CORE, old.rlim_max, old.rlim_max));
	CHECK_OK(getrlimit(RLIMIT_CORE, &rl));
	CHECK(rl.rlim_cur == old.rlim_max && rl.rlim_max == old.rlim_max);
	if (old.rlim_max == RLIM_INFINITY) {
		/* The raw syscalls see RLIM_INFINITY as ~0UL. */
		CHECK_EQ(syscall(SYS_getrlimit, RLIMIT_CORE, &rl), 0);
		CHECK(rl.rlim_cur == ~0UL && rl.rlim_max == ~0UL);
		CHECK_EQ(prlimit64_(0, RLIMIT_CORE, NULL, &rl), 0);
		CHECK(rl.rlim_cur == ~0UL && rl.rlim_max == ~0UL);
	}
	CHECK_OK(set_lim(RLIMIT_CORE, 0, old.rlim_max));
	/* RLIMIT_NOFILE above fs.nr_open: EPERM, even for root. */
	CHECK_ERR(set_lim(RLIMIT_NOFILE, RLIM_INFINITY, RLIM_INFINITY), EPERM);
	CHECK_ERR(set_lim(RLIMIT_NOFILE, 50, RLIM_INFINITY), EPERM);
	CHECK_ERR(set_lim(RLIMIT_NOFILE, (rlim_t)1 << 40, (rlim_t)1 << 40),
		  EPERM);
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(rl.rlim_cur, 50);
	CHECK_EQ(rl.rlim_max, 100);

	/* Inherited by fork. */
	pid_t pid = xfork();

	if (pid == 0) {
		struct rlimit r;

		if (getrlimit(RLIMIT_NOFILE, &r) != 0)
			_exit(100);
		_exit(r.rlim_cur == 50 && r.rlim_max == 100 ? 0 : 1);
	}
	CHECK_EQ(reap(pid), 0);

	/* Without privilege: hard limits can only come down. */
	if (!CHECK_OK(setresgid(65534, 65534, 65534)) ||
	    !CHECK_OK(setresuid(65534, 65534, 65534)))
		return;
	CHECK_ERR(set_lim(RLIMIT_NOFILE, 50, 101), EPERM);
	CHECK_OK(set_lim(RLIMIT_CORE, 0, old.rlim_max));	/* hard kept */
	CHECK_OK(set_lim(RLIMIT_NOFILE, 100, 100));	/* soft up to hard */
	CHECK_OK(set_lim(RLIMIT_NOFILE, 20, 90));	/* hard down */
	CHECK_ERR(set_lim(RLIMIT_NOFILE, 20, 100), EPERM);
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(rl.rlim_cur, 20);
	CHECK_EQ(rl.rlim_max, 90);
}

/* prlimit64 on another process: read and set a child's limits. */
static void test_prlimit_child(void)
{
	int ready[2], go[2];
	struct rlimit rl;
	pid_t pid;
	char c;

	if (!CHECK_OK(pipe(ready)) || !CHECK_OK(pipe(go)))
		return;
	pid = xfork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (set_lim(RLIMIT_NOFILE, 33, 77) != 0 ||
		    set_lim(RLIMIT_FSIZE, 12345, 23456) != 0)
			_exit(100);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(101);
		/* The parent has changed them. */
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(102);
		if (rl.rlim_cur != 20 || rl.rlim_max != 40)
			_exit(1);
		if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(103);
		if (rl.rlim_cur != 12345 || rl.rlim_max != 23456)
			_exit(2);
		_exit(0);
	}
	CHECK_OK(close(ready[1]));
	CHECK_OK(close(go[0]));
	CHECK_EQ(read(ready[0], &c, 1), 1);
	memset(&rl, 0, sizeof(rl));
	CHECK_EQ(prlimit64_(pid, RLIMIT_NOFILE, NULL, &rl), 0);
	CHECK_EQ(rl.rlim_cur, 33);
	CHECK_EQ(rl.rlim_max, 77);
	CHECK_EQ(prlimit(pid, RLIMIT_FSIZE, NULL, &rl), 0);
	CHECK_EQ(rl.rlim_cur, 12345);
	CHECK_EQ(rl.rlim_max, 23456);
	rl.rlim_cur = 50;
	rl.rlim_max = 40;
	CHECK_ERR(prlimit64_(pid, RLIMIT_NOFILE, &rl, NULL), EINVAL);
	rl.rlim_cur = 20;
	CHECK_EQ(prlimit64_(pid, RLIMIT_NOFILE, &rl, NULL), 0);
	CHECK_EQ(prlimit64_(pid, RLIMIT_NOFILE, NULL, &rl), 0);
	CHECK_EQ(rl.rlim_cur, 20);
	CHECK_EQ(rl.rlim_max, 40);
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(reap(pid), 0);
	CHECK_ERR(prlimit64_(pid, RLIMIT_NOFILE, NULL, &rl), ESRCH);
	CHECK_OK(close(ready[0]));
	CHECK_OK(close(go[1]));
}

/* ------------------------------------------------------ NOFILE */

static void c_nofile(void)
{
	int fds[32], n = 0, fd, p[2];

	if (!CHECK_OK(set_lim(RLIMIT_NOFILE, 10, 20)))
		return;
	for (;;) {
		errno = 0;
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0 || n == 32)
			break;
		fds[n++] = fd;
		CHECK(fd < 10);
	}
	CHECK_EQ(fd, -1);
	CHECK_EQ(errno, EMFILE);
	CHECK(n >= 1);
	/* Every number below the limit is in use now. */
	for (int i = 0; i < 10; i++)
		CHECK(fcntl(i, F_GETFD) >= 0);
	fd = fds[0];
	CHECK_ERR(open(dir, O_RDONLY | O_DIRECTORY), EMFILE);
	CHECK_ERR(dup(fd), EMFILE);
	CHECK_ERR(pipe(p), EMFILE);
	CHECK_ERR(fcntl(fd, F_DUPFD, 0), EMFILE);
	CHECK_ERR(fcntl(fd, F_DUPFD_CLOEXEC, 3), EMFILE);
	/* At or above the limit: EBADF for dup2/dup3, EINVAL for F_DUPFD. */
	CHECK_ERR(dup2(fd, 10), EBADF);
	CHECK_ERR(dup2(fd, 1000), EBADF);
	CHECK_ERR(dup3(fd, 10, O_CLOEXEC), EBADF);
	CHECK_ERR(fcntl(fd, F_DUPFD, 10), EINVAL);
	CHECK_ERR(fcntl(fd, F_DUPFD, 11), EINVAL);
	CHECK_EQ(dup2(fd, 9), 9);			/* below: fine */

	/* Free one and it can be had again. */
	CHECK_OK(close(9));
	CHECK_EQ(open(dir, O_RDONLY | O_DIRECTORY), 9);
	CHECK_OK(close(9));
	CHECK_EQ(dup(fd), 9);
	CHECK_ERR(dup(fd), EMFILE);

	/* Lowering the limit below open fds is allowed; they stay usable. */
	CHECK_OK(set_lim(RLIMIT_NOFILE, 5, 20));
	CHECK(fcntl(9, F_GETFD) >= 0);
	CHECK_OK(close(9));
	CHECK_OK(close(8));
	CHECK_ERR(dup(fd), EMFILE);			/* 8 is above 5 */
	CHECK_ERR(dup2(fd, 8), EBADF);
	if (fd != 3) {
		CHECK_OK(close(3));
		CHECK_EQ(dup(fd), 3);			/* 3 is below */
	}
	/* Raising it again. */
	CHECK_OK(set_lim(RLIMIT_NOFILE, 20, 20));
	CHECK_EQ(dup2(fd, 19), 19);
	CHECK_ERR(dup2(fd, 20), EBADF);
	CHECK_EQ(dup(fd), 8);
}

/* ------------------------------------------------------ FSIZE */

static void c_fsize_ignored(void)
{
	char buf[3000];
	struct stat st;
	int fd, pp[2];

	memset(buf, 'f', sizeof(buf));
	signal(SIGXFSZ, SIG_IGN);
	fd = open(p("ign"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!CHECK(fd >= 0) || !CHECK_OK(set_lim(RLIMIT_FSIZE, 4096, 4096)))
		return;
	CHECK_EQ(write(fd, buf, 3000), 3000);
	CHECK_EQ(write(fd, buf, 3000), 1096);		/* what fits */
	CHECK_ERR(write(fd, buf, 3000), EFBIG);
	CHECK_ERR(write(fd, buf, 1), EFBIG);
	CHECK_EQ(write(fd, buf, 0), 0);		/* nothing to write */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4096);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 4096);
	/* Within the limit is fine; positions, not sizes, are checked. */
	CHECK_EQ(pwrite(fd, buf, 100, 0), 100);
	CHECK_EQ(pwrite(fd, buf, 10, 4090), 6);
	CHECK_ERR(pwrite(fd, buf, 1, 4096), EFBIG);
	CHECK_ERR(pwrite(fd, buf, 1, 1 << 20), EFBIG);
	CHECK_EQ(lseek(fd, 1 << 20, SEEK_SET), 1 << 20);	/* lseek ok */
	CHECK_ERR(write(fd, buf, 1), EFBIG);
	/* ftruncate: up to the limit. */
	CHECK_OK(ftruncate(fd, 100));
	CHECK_OK(ftruncate(fd, 4096));
	CHECK_ERR(ftruncate(fd, 4097), EFBIG);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 4096);
	/* Appending to a full file. */
	CHECK_OK(close(fd));
	fd = open(p("ign"), O_WRONLY | O_APPEND);
	if (CHECK(fd >= 0)) {
		CHECK_ERR(write(fd, buf, 1), EFBIG);
		CHECK_OK(close(fd));
	}
	/* Pipes have no file size. */
	if (CHECK_OK(pipe(pp))) {
		char big[8192];

		memset(big, 'p', sizeof(big));
		CHECK_EQ(write(pp[1], big, sizeof(big)), sizeof(big));
		close(pp[0]);
		close(pp[1]);
	}
}

static void test_fsize_default(void)
{
	int rep[2], n = -1;
	struct stat st;
	pid_t pid;

	if (!CHECK_OK(pipe(rep)))
		return;
	pid = xfork();
	if (pid == 0) {
		static char buf[5000];
		int fd, r;

		close(rep[0]);
		no_core();
		signal(SIGXFSZ, SIG_DFL);
		fd = open(p("dfl"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || set_lim(RLIMIT_FSIZE, 4096, 4096) != 0)
			_exit(100);
		/* Crossing the limit: cut short, no signal. */
		r = (int)write(fd, buf, sizeof(buf));
		if (write(rep[1], &r, sizeof(r)) != sizeof(r))
			_exit(101);
		/* At the limit: SIGXFSZ. */
		write(fd, buf, 1);
		_exit(3);
	}
	CHECK_OK(close(rep[1]));
	CHECK_EQ(read(rep[0], &n, sizeof(n)), sizeof(n));
	CHECK_EQ(n, 4096);
	CHECK_EQ(reap(pid), 128 + SIGXFSZ);
	CHECK_OK(stat(p("dfl"), &st));
	CHECK_EQ(st.st_size, 4096);
	CHECK_OK(close(rep[0]));
}

/* ------------------------------------------------------ AS */

static void c_as(void)
{
	struct rlimit old;
	void *a, *b;

	/* Soft limit only: the hard one is kept (no CAP_SYS_RESOURCE
	 * needed to raise the soft limit again). */
	if (!CHECK_OK(getrlimit(RLIMIT_AS, &old)) ||
	    !CHECK(old.rlim_max >= 64 * MiB) ||
	    !CHECK_OK(set_lim(RLIMIT_AS, 64 * MiB, old.rlim_max)))
		return;
	CHECK_MAP_ERR(mmap(NULL, 128 * MiB, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	CHECK_MAP_ERR(mmap(NULL, 128 * MiB, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	CHECK_MAP_ERR(mmap(NULL, 128 * MiB, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
		      ENOMEM);
	CHECK_MAP_ERR(mmap(NULL, 128 * MiB, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0), ENOMEM);
	errno = 0;
	a = malloc(128 * MiB);
	CHECK(a == NULL);
	CHECK_EQ(errno, ENOMEM);
	free(a);
	errno = 0;
	CHECK(sbrk(128 * MiB) == (void *)-1);
	CHECK_EQ(errno, ENOMEM);

	/* Small ones still work, up to the limit in total. */
	a = mmap(NULL, 16 * MiB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(a != MAP_FAILED))
		return;
	((char *)a)[0] = 1;
	b = malloc(1 * MiB);
	CHECK(b != NULL);
	free(b);
	CHECK_MAP_ERR(mremap(a, 16 * MiB, 128 * MiB, MREMAP_MAYMOVE), ENOMEM);
	CHECK_MAP_ERR(mmap(NULL, 56 * MiB, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
	CHECK_OK(munmap(a, 16 * MiB));
	/* Raising it again. */
	CHECK_OK(set_lim(RLIMIT_AS, old.rlim_max, old.rlim_max));
	if (old.rlim_max == RLIM_INFINITY) {
		a = mmap(NULL, 128 * MiB, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (CHECK(a != MAP_FAILED))
			CHECK_OK(munmap(a, 128 * MiB));
	}
}

/* ------------------------------------------------------ CPU */

static long mono_ns(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Started first and reaped last: it burns 1 s of CPU meanwhile. */
static pid_t start_cpu(void)
{
	pid_t pid = xfork();

	if (pid == 0) {
		struct rlimit rl;
		volatile unsigned long x = 0;
		long t0 = mono_ns();

		no_core();
		signal(SIGXCPU, SIG_DFL);
		if (getrlimit(RLIMIT_CPU, &rl) != 0)
			_exit(100);
		rl.rlim_cur = 1;
		if (rl.rlim_max < 1)
			_exit(101);
		if (setrlimit(RLIMIT_CPU, &rl) != 0)
			_exit(102);
		if (getrlimit(RLIMIT_CPU, &rl) != 0 || rl.rlim_cur != 1)
			_exit(103);
		/* Spin; SIGXCPU should end this after 1 s of CPU time. */
		while (mono_ns() - t0 < 20000000000L)
			for (int i = 0; i < 100000; i++)
				x += (unsigned long)i * x + 1;
		_exit(3);
	}
	return pid;
}

int main(void)
{
	sigset_t none;
	pid_t cpu;

	signal(SIGCHLD, SIG_DFL);
	signal(SIGXFSZ, SIG_DFL);
	signal(SIGXCPU, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	scratch_init();

	cpu = start_cpu();
	test_read_all();
	CHECK_EQ(run(c_roundtrip), 0);
	test_prlimit_child();
	CHECK_EQ(run(c_nofile), 0);
	CHECK_EQ(run(c_fsize_ignored), 0);
	test_fsize_default();
	CHECK_EQ(run(c_as), 0);
	CHECK_EQ(reap(cpu), 128 + SIGXCPU);

	rmtree(dir);
	return check_done();
}
