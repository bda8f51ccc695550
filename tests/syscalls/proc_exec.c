/*
 * proc_exec.c - execve and execveat: argv, envp, AT_EXECFN, comm and
 * cmdline of the new image; fds with close-on-exec (O_CLOEXEC, F_SETFD)
 * closed, others kept with their offsets; caught signals reset to SIG_DFL
 * while ignored ones stay ignored (flags and masks cleared), the signal
 * mask and pending signals kept, the alternate signal stack dropped; pid,
 * ppid, cwd, umask and rlimits kept; errors (ENOENT, ENOTDIR, EACCES for a
 * non-executable file and a directory, ENOEXEC for junk and an empty file,
 * ELOOP, E2BIG, EFAULT for the path, argv, envp and an argv string);
 * "#!" scripts (argv = interpreter, optional argument, script path, args;
 * the optional argument is one string with inner blanks kept; missing
 * interpreter is ENOENT); exec from a multi-threaded process and from a
 * non-leader thread (one thread left, with the process's pid); the FP
 * state starts afresh (MXCSR 0x1f80, x87 control word 0x37f) whatever the
 * old image had set.
 *
 * Every exec happens in a forked child, which execs this binary again
 * (via /proc/self/exe or its readlink) with argv[1] "child-MODE"; the new
 * image checks its side and exits 42 when all is well. Uses a mkdtemp
 * scratch directory under /tmp, removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "scratch.h"

#define OK 42			/* exit code of a successful child mode */

extern char **environ;

static char exe[PATH_MAX];	/* readlink("/proc/self/exe") */

/* ------------------------------------------------------------ helpers */

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

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (long)len) {
		close(fd);
		return -1;
	}
	close(fd);
	return chmod(path, mode);	/* whatever the umask */
}

/*
 * Like run() of child.h, but fn should exec and not return: if it does,
 * the child exits 99. Returns the child's exit code, or 128+N if it was
 * killed by signal N.
 */
static int run_exec(void (*fn)(void))
{
	pid_t pid = xfork();

	if (pid == 0) {
		fn();
		_exit(99);
	}
	return reap(pid);
}

static long num(const char *s)
{
	return strtol(s, NULL, 10);
}

static void check_one_thread(pid_t pid)
{
	char buf[4096];
	struct dirent *e;
	int n = 0;
	DIR *d;

	CHECK_EQ(getpid(), pid);
	CHECK_EQ(syscall(SYS_gettid), pid);
	if (CHECK(slurp("/proc/self/status", buf, sizeof(buf)) > 0))
		CHECK(strstr(buf, "\nThreads:\t1\n") != NULL);
	d = opendir("/proc/self/task");
	if (!CHECK(d != NULL))
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	CHECK_EQ(n, 1);
}

/* --------------------------------------------------- the new images */

static void child_args(int argc, char **argv)
{
	static const char cmdline[] =
		"argv0-name\0child-args\0one\0two three\0\0";
	char buf[256];
	int n = 0;

	if (!CHECK_EQ(argc, 5))
		return;
	CHECK(!strcmp(argv[0], "argv0-name"));
	CHECK(!strcmp(argv[2], "one"));
	CHECK(!strcmp(argv[3], "two three"));
	CHECK(!strcmp(argv[4], ""));
	CHECK(argv[5] == NULL);

	for (char **e = environ; *e; e++)
		n++;
	CHECK_EQ(n, 4);
	CHECK(getenv("FOO") && !strcmp(getenv("FOO"), "bar"));
	CHECK(getenv("EMPTY") && !strcmp(getenv("EMPTY"), ""));
	CHECK(getenv("X") && !strcmp(getenv("X"), "1=2"));
	CHECK(getenv("HOME") == NULL);
	if (!CHECK(n >= 4 && getenv("EXE")))
		return;
	CHECK(!strcmp(environ[0], "FOO=bar"));	/* in order */
	CHECK(!strcmp(environ[3], "X=1=2"));

	/* AT_EXECFN is the path given to execve; comm its last part. */
	CHECK(getauxval(AT_EXECFN) &&
	      !strcmp((char *)getauxval(AT_EXECFN), "/proc/self/exe"));
	CHECK_EQ(slurp("/proc/self/comm", buf, sizeof(buf)), 4);
	CHECK(!strcmp(buf, "exe\n"));
	CHECK_EQ(slurp("/proc/self/cmdline", buf, sizeof(buf)),
		 sizeof(cmdline) - 1);
	CHECK(!memcmp(buf, cmdline, sizeof(cmdline) - 1));
	n = (int)readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		CHECK(!strcmp(buf, getenv("EXE")));
	}
}

/* argv: child-fds CLOEXEC SETFD DUP PIPE FILE */
static void child_fds(int argc, char **argv)
{
	char c = 0, buf[16];

	if (!CHECK_EQ(argc, 7))
		return;
	CHECK_ERR(fcntl(num(argv[2]), F_GETFD), EBADF);	/* O_CLOEXEC */
	CHECK_ERR(fcntl(num(argv[3]), F_GETFD), EBADF);	/* F_SETFD */
	CHECK_EQ(fcntl(num(argv[4]), F_GETFD), 0);	/* dup of CLOEXEC */
	CHECK_EQ(fcntl(num(argv[5]), F_GETFD), 0);
	CHECK_EQ(read(num(argv[5]), buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "hello", 5));
	/* The file keeps its offset. */
	CHECK_EQ(lseek(num(argv[6]), 0, SEEK_CUR), 4);
	CHECK_EQ(read(num(argv[6]), &c, 1), 1);
	CHECK_EQ(c, '4');
	/* 0-2 are still there. */
	CHECK_OK(fcntl(0, F_GETFD));
	CHECK_OK(fcntl(1, F_GETFD));
	CHECK_OK(fcntl(2, F_GETFD));
}

static void check_disposition(int sig, void (*want)(int))
{
	struct sigaction sa;

	memset(&sa, 0x5a, sizeof(sa));
	if (!CHECK_OK(sigaction(sig, NULL, &sa)))
		return;
	if (sa.sa_handler != want)
		check_fail(__FILE__, __LINE__, "signal %d: handler %ld, want %ld",
			   sig, (long)sa.sa_handler, (long)want);
	CHECK_EQ(sa.sa_flags, 0);
	CHECK(sigisemptyset(&sa.sa_mask));
}

static void child_signals(void)
{
	sigset_t set;
	stack_t ss;

	check_disposition(SIGUSR1, SIG_DFL);	/* was caught */
	check_disposition(SIGINT, SIG_DFL);	/* was caught */
	check_disposition(SIGUSR2, SIG_IGN);
	check_disposition(SIGPIPE, SIG_IGN);
	check_disposition(SIGCHLD, SIG_IGN);
	check_disposition(SIGTERM, SIG_DFL);	/* never touched */

	sigemptyset(&set);
	CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &set));
	CHECK(sigismember(&set, SIGHUP));
	CHECK(sigismember(&set, SIGWINCH));
	CHECK(!sigismember(&set, SIGUSR1));
	CHECK(!sigismember(&set, SIGINT));
	sigemptyset(&set);
	CHECK_OK(sigpending(&set));
	CHECK(sigismember(&set, SIGHUP));	/* raised while blocked */
	CHECK(!sigismember(&set, SIGWINCH));

	memset(&ss, 0x5a, sizeof(ss));
	CHECK_OK(sigaltstack(NULL, &ss));
	CHECK_EQ(ss.ss_flags, SS_DISABLE);
}

/* argv: child-inherit PID PPID CWD */
static void child_inherit(int argc, char **argv)
{
	char cwd[PATH_MAX];
	struct rlimit rl;

	if (!CHECK_EQ(argc, 5))
		return;
	CHECK_EQ(getpid(), num(argv[2]));
	CHECK_EQ(syscall(SYS_gettid), num(argv[2]));
	CHECK_EQ(getppid(), num(argv[3]));
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, argv[4]));
	CHECK_EQ(umask(0), 027);
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_EQ(rl.rlim_cur, 200);
}

/* "#!EXE child-script": EXE child-script SCRIPT a1 a2 */
static void child_script(int argc, char **argv)
{
	const char *script = getenv("SCRIPT");
	char buf[PATH_MAX];
	long n;

	if (!CHECK(script != NULL) || !CHECK_EQ(argc, 5))
		return;
	CHECK(!strcmp(argv[0], exe));		/* as written after "#!" */
	CHECK(!strcmp(argv[2], script));	/* as given to execve */
	CHECK(!strcmp(argv[3], "a1"));
	CHECK(!strcmp(argv[4], "a2"));
	CHECK(argv[5] == NULL);
	/* The program is the interpreter; comm is the script's name. */
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		CHECK(!strcmp(buf, exe));
	}
	CHECK_EQ(slurp("/proc/self/comm", buf, sizeof(buf)), 9);
	CHECK(!strcmp(buf, "myscript\n"));
	CHECK(getauxval(AT_EXECFN) &&
	      !strcmp((char *)getauxval(AT_EXECFN), script));
}

/* "#! \tEXE \t child-scriptsp \t x  y \t \n": one argument, blanks kept. */
static void child_scriptsp(int argc, char **argv)
{
	const char *script = getenv("SCRIPT");

	if (!CHECK(script != NULL) || !CHECK_EQ(argc, 3))
		return;
	CHECK(!strcmp(argv[0], exe));
	CHECK(!strcmp(argv[1], "child-scriptsp \t x  y"));
	CHECK(!strcmp(argv[2], script));
}

/* "#!EXE" with no argument: EXE SCRIPT child-noarg */
static void child_noarg(int argc, char **argv)
{
	const char *script = getenv("SCRIPT");

	if (!CHECK(script != NULL) || !CHECK_EQ(argc, 3))
		return;
	CHECK(!strcmp(argv[0], exe));
	CHECK(!strcmp(argv[1], script));
}

static void child_fpreset(void)
{
	uint32_t mxcsr;
	uint16_t fcw;

	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(fcw));
	CHECK_EQ(mxcsr, 0x1f80);
	CHECK_EQ(fcw, 0x37f);
}

static int child_main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (argc >= 3 && !strcmp(argv[2], "child-noarg"))
		child_noarg(argc, argv);
	else if (!strncmp(m, "child-scriptsp", 14))
		child_scriptsp(argc, argv);
	else if (!strcmp(m, "child-args"))
		child_args(argc, argv);
	else if (!strcmp(m, "child-fds"))
		child_fds(argc, argv);
	else if (!strcmp(m, "child-signals"))
		child_signals();
	else if (!strcmp(m, "child-inherit"))
		child_inherit(argc, argv);
	else if (!strcmp(m, "child-script"))
		child_script(argc, argv);
	else if (!strcmp(m, "child-onethread") && argc == 3)
		check_one_thread((pid_t)num(argv[2]));
	else if (!strcmp(m, "child-plain") && argc == 2)
		;
	else if (!strcmp(m, "child-fpreset"))
		child_fpreset();
	else
		CHECK(!"known child mode");
	return check_done() ? 1 : OK;
}

/* ------------------------------------------- the exec'ing children */

static void exec_self(char **argv)
{
	execv("/proc/self/exe", argv);
}

static void do_args(void)
{
	char exe_env[PATH_MAX + 8];
	char *argv[] = { "argv0-name", "child-args", "one", "two three", "",
			 NULL };
	char *envp[] = { "FOO=bar", "EMPTY=", exe_env, "X=1=2", NULL };

	snprintf(exe_env, sizeof(exe_env), "EXE=%s", exe);
	execve("/proc/self/exe", argv, envp);
}

static void do_fds(void)
{
	char a[5][16];
	char *argv[] = { "x", "child-fds", a[0], a[1], a[2], a[3], a[4],
			 NULL };
	int c1, c2, d, pp[2], f;

	c1 = open("/dev/null", O_RDONLY | O_CLOEXEC);
	c2 = open("/dev/null", O_RDONLY);
	d = dup(c1);			/* dup clears FD_CLOEXEC */
	if (c1 < 0 || c2 < 0 || d < 0 || pipe(pp) != 0)
		_exit(98);
	if (fcntl(c2, F_SETFD, FD_CLOEXEC) != 0)
		_exit(97);
	if (write(pp[1], "hello", 5) != 5)
		_exit(96);
	close(pp[1]);
	f = open(p("digits"), O_RDONLY);
	if (f < 0 || lseek(f, 4, SEEK_SET) != 4)
		_exit(95);
	snprintf(a[0], 16, "%d", c1);
	snprintf(a[1], 16, "%d", c2);
	snprintf(a[2], 16, "%d", d);
	snprintf(a[3], 16, "%d", pp[0]);
	snprintf(a[4], 16, "%d", f);
	exec_self(argv);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void do_signals(void)
{
	static char altstack[1 << 16];
	char *argv[] = { "x", "child-signals", NULL };
	struct sigaction sa;
	sigset_t set;
	stack_t ss;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NODEFER | SA_ONSTACK;
	sigaddset(&sa.sa_mask, SIGALRM);
	if (sigaction(SIGUSR1, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		_exit(98);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGUSR2, &sa, NULL) || sigaction(SIGPIPE, &sa, NULL) ||
	    sigaction(SIGCHLD, &sa, NULL))
		_exit(97);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		_exit(96);
	raise(SIGHUP);			/* stays pending */
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL))
		_exit(95);
	exec_self(argv);
}

static void do_inherit(void)
{
	char pid[16], ppid[16];
	char *argv[] = { "x", "child-inherit", pid, ppid, dir, NULL };
	struct rlimit rl;

	snprintf(pid, sizeof(pid), "%d", getpid());
	snprintf(ppid, sizeof(ppid), "%d", getppid());
	if (chdir(dir))
		_exit(98);
	umask(027);
	if (getrlimit(RLIMIT_NOFILE, &rl))
		_exit(97);
	rl.rlim_cur = 200;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		_exit(96);
	exec_self(argv);
}

static void do_fpreset(void)
{
	char *argv[] = { "x", "child-fpreset", NULL };
	uint32_t mxcsr = 0x7f80 | 0x8040;       /* round to zero, FTZ, DAZ */
	uint16_t fcw = 0x0f7f;                  /* round to zero */

	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(fcw));
	exec_self(argv);
}

static void do_fexecve(void)
{
	char *argv[] = { "x", "child-plain", NULL };
	int fd = open(exe, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		_exit(98);
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
}

static void do_script(void)
{
	char *argv[] = { "dropped", "a1", "a2", NULL };

	setenv("SCRIPT", p("myscript"), 1);
	execv(p("myscript"), argv);
}

static void do_scriptsp(void)
{
	char *argv[] = { "dropped", NULL };

	setenv("SCRIPT", p("spaces"), 1);
	execv(p("spaces"), argv);
}

static void do_noarg(void)
{
	char *argv[] = { "dropped", "child-noarg", NULL };

	setenv("SCRIPT", p("noarg"), 1);
	execv(p("noarg"), argv);
}

static void *block_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void do_threads(void)
{
	char pid[16];
	char *argv[] = { "x", "child-onethread", pid, NULL };
	pthread_t t;

	snprintf(pid, sizeof(pid), "%d", getpid());
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, block_forever, NULL))
			_exit(98);
	exec_self(argv);
}

static char leader_pid[16];

static void *exec_thread(void *arg)
{
	char *argv[] = { "x", "child-onethread", leader_pid, NULL };

	(void)arg;
	exec_self(argv);
	_exit(97);
}

static void do_nonleader(void)
{
	pthread_t t;

	snprintf(leader_pid, sizeof(leader_pid), "%d", getpid());
	if (pthread_create(&t, NULL, block_forever, NULL))
		_exit(98);
	if (pthread_create(&t, NULL, exec_thread, NULL))
		_exit(98);
	block_forever(NULL);
}

/* Exec errors, checked in a child in case an exec wrongly succeeds. */
static void do_errors(void)
{
	static char huge[200000];
	char *argv[] = { "x", "child-plain", NULL };
	char *bad_str[] = { "x", (char *)1, NULL };
	char *too_long[] = { "x", huge, NULL };
	int before = check_failures;

	CHECK_ERR(execv(p("missing"), argv), ENOENT);
	CHECK_ERR(execv("", argv), ENOENT);
	CHECK_ERR(execv(p("digits/x"), argv), ENOTDIR);
	CHECK_ERR(execv(p("noexec"), argv), EACCES);
	CHECK_ERR(execv(dir, argv), EACCES);
	CHECK_ERR(execv(p("junk"), argv), ENOEXEC);
	CHECK_ERR(execv(p("empty"), argv), ENOEXEC);
	CHECK_ERR(execv(p("loop"), argv), ELOOP);
	CHECK_ERR(execv(p("badinterp"), argv), ENOENT);
	CHECK_ERR(syscall(SYS_execve, (char *)1, argv, environ), EFAULT);
	CHECK_ERR(syscall(SYS_execve, exe, (char **)1, environ), EFAULT);
	CHECK_ERR(syscall(SYS_execve, exe, argv, (char **)1), EFAULT);
	CHECK_ERR(syscall(SYS_execve, exe, bad_str, environ), EFAULT);
	/* One string longer than MAX_ARG_STRLEN (32 pages). */
	memset(huge, 'h', sizeof(huge) - 1);
	CHECK_ERR(execv(exe, too_long), E2BIG);
	/* execveat: a relative path against a dirfd, and AT_EMPTY_PATH's
	 * absence with "". */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	CHECK(dfd >= 0);
	CHECK_ERR(syscall(SYS_execveat, dfd, "missing", argv, environ, 0),
		  ENOENT);
	CHECK_ERR(syscall(SYS_execveat, dfd, "", argv, environ, 0), ENOENT);
	CHECK_ERR(syscall(SYS_execveat, dfd, "junk", argv, environ, 0x1),
		  EINVAL);		/* unknown flag */
	close(dfd);
	fflush(stdout);
	_exit(check_failures != before);
}

static void setup_files(void)
{
	char text[PATH_MAX + 64];

	CHECK_OK(write_file(p("digits"), "0123456789", 0644));
	CHECK_OK(write_file(p("noexec"), "#!/bin/sh\nexit 0\n", 0644));
	CHECK_OK(write_file(p("junk"), "this is not a program\n", 0755));
	CHECK_OK(write_file(p("empty"), "", 0755));
	CHECK_OK(symlink("loop", p("loop")));
	CHECK_OK(write_file(p("badinterp"), "#!/nonexistent/interp\n", 0755));
	snprintf(text, sizeof(text), "#!%s child-script\n", exe);
	CHECK_OK(write_file(p("myscript"), text, 0755));
	snprintf(text, sizeof(text),
		 "#! \t%s \t child-scriptsp \t x  y \t \n# more\n", exe);
	CHECK_OK(write_file(p("spaces"), text, 0755));
	snprintf(text, sizeof(text), "#!%s\n", exe);
	CHECK_OK(write_file(p("noarg"), text, 0755));
}

int main(int argc, char **argv)
{
	long n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0 || n > 200) {	/* a "#!" line is at most 255 bytes */
		printf("FAIL readlink /proc/self/exe\n");
		return 1;
	}
	exe[n] = 0;
	if (argc > 1 && (!strncmp(argv[1], "child-", 6) ||
			 (argc > 2 && !strcmp(argv[2], "child-noarg"))))
		return child_main(argc, argv);

	signal(SIGCHLD, SIG_DFL);
	strcpy(dir, "/tmp/moat-test-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setup_files();

	CHECK_EQ(run_exec(do_args), OK);
	CHECK_EQ(run_exec(do_fds), OK);
	CHECK_EQ(run_exec(do_signals), OK);
	CHECK_EQ(run_exec(do_inherit), OK);
	CHECK_EQ(run_exec(do_fexecve), OK);
	CHECK_EQ(run_exec(do_fpreset), OK);
	CHECK_EQ(run_exec(do_script), OK);
	CHECK_EQ(run_exec(do_scriptsp), OK);
	CHECK_EQ(run_exec(do_noarg), OK);
	CHECK_EQ(run_exec(do_threads), OK);
	CHECK_EQ(run_exec(do_nonleader), OK);
	CHECK_EQ(run_exec(do_errors), 0);

	rmtree(dir);
	return check_done();
}
