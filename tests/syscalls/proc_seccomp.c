/*
 * proc_seccomp.c - seccomp: classic BPF filters installed with
 * seccomp(SECCOMP_SET_MODE_FILTER) and prctl(PR_SET_SECCOMP): actions
 * ERRNO (the data is the errno; 0 makes the call return 0; values above
 * 4095 are capped at 4095), TRAP (SIGSYS with si_code SYS_SECCOMP,
 * si_syscall, si_arch, si_errno = the data; the interrupted syscall
 * "returns" its own number; a blocked SIGSYS kills), TRACE with no tracer
 * (ENOSYS), KILL_PROCESS and KILL_THREAD (death by SIGSYS, even with a
 * handler); filters on an argument (write to fd 2 denied, to fd 1
 * allowed); stacked filters (the most restrictive action wins whatever the
 * order; between equal actions the newest filter's data); PR_GET_SECCOMP
 * (0, then 2) and /proc/self/status; NO_NEW_PRIVS (not needed by root,
 * required once setuid has dropped the capabilities, can't be unset);
 * bad filters (EINVAL: length 0 or over 4096, bad opcode, no final RET,
 * jump out of range, misaligned, out-of-range and byte loads, bad flags
 * and operations; EFAULT: bad fprog and filter pointers);
 * SECCOMP_GET_ACTION_AVAIL; strict mode (read/write/_exit only, anything
 * else - exit_group too - is SIGKILL); filters kept across fork and
 * execve.
 *
 * Every filter is installed in a forked child, which reports through its
 * exit status; the exec'd image is this binary with argv[1] "exec-child".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1		/* si_code of a SECCOMP_RET_TRAP SIGSYS */
#endif

#define OK 42			/* exit code of the exec'd image when all is well */

#define LD_NR	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
			 offsetof(struct seccomp_data, nr))
#define LD_ARCH	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
			 offsetof(struct seccomp_data, arch))
#define RET(v)	BPF_STMT(BPF_RET | BPF_K, (v))

static long seccomp(unsigned int op, unsigned int flags, void *args)
{
	return syscall(SYS_seccomp, op, flags, args);
}

static long install(struct sock_filter *f, unsigned short len)
{
	struct sock_fprog prog = { .len = len, .filter = f };

	return seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* Install a filter: syscall nr gets action, everything else is allowed. */
static long filter_one(int nr, unsigned int action)
{
	struct sock_filter f[] = {
		LD_ARCH,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nr, 0, 1),
		RET(action),
		RET(SECCOMP_RET_ALLOW),
	};

	return install(f, sizeof(f) / sizeof(f[0]));
}

static long filter_allow_all(void)
{
	struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };

	return install(f, 1);
}

static int set_nnp(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* No core files from the children killed on purpose. */
static void no_core(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static int status_has(const char *line)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	long n, total = 0;

	if (fd < 0)
		return 0;
	while (total < (long)sizeof(buf) - 1 &&
	       (n = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = 0;
	return strstr(buf, line) != NULL;
}

/* ------------------------------------------------------ ERRNO */

static void c_errno(void)
{
	pid_t me = getpid();

	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	CHECK(status_has("\nSeccomp:\t0\n"));
	CHECK_OK(set_nnp());
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	CHECK(status_has("\nNoNewPrivs:\t1\n"));
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM), 0))
		return;
	CHECK_ERR(syscall(SYS_getppid), EPERM);
	CHECK_EQ(syscall(SYS_getpid), me);
	CHECK_EQ(getpid(), me);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
	CHECK(status_has("\nSeccomp:\t2\n"));
	/* NO_NEW_PRIVS can't be unset. */
	CHECK_ERR(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	/* Nor can the filter mode be swapped for strict. */
	CHECK_ERR(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_getppid), EPERM);
}

static void c_uname(void)
{
	struct utsname u;

	CHECK_OK(set_nnp());
	CHECK_OK(uname(&u));
	if (!CHECK_EQ(filter_one(SYS_uname, SECCOMP_RET_ERRNO | ENOSYS), 0))
		return;
	CHECK_ERR(uname(&u), ENOSYS);
	CHECK_ERR(syscall(SYS_uname, &u), ENOSYS);
	/* The denied call is not made at all: a bad pointer goes unseen. */
	CHECK_ERR(syscall(SYS_uname, (void *)8), ENOSYS);
	CHECK_OK(syscall(SYS_getppid));
}

/* ERRNO data 0 makes the call "succeed" with 0; above 4095 is capped. */
static void c_errno_data(void)
{
	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | 0), 0) ||
	    !CHECK_EQ(filter_one(SYS_getuid, SECCOMP_RET_ERRNO | 5000), 0) ||
	    !CHECK_EQ(filter_one(SYS_getgid, SECCOMP_RET_ERRNO | 4095), 0))
		return;
	CHECK_EQ(syscall(SYS_getppid), 0);
	CHECK_EQ(syscall(SYS_getuid), -1);
	CHECK_EQ(errno, 4095);
	CHECK_EQ(syscall(SYS_getgid), -1);
	CHECK_EQ(errno, 4095);
}

/* prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) is the same thing. */
static void c_prctl(void)
{
	struct sock_filter f[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		RET(SECCOMP_RET_ERRNO | EXDEV),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };

	CHECK_OK(set_nnp());
	CHECK_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0), 0);
	CHECK_ERR(syscall(SYS_getppid), EXDEV);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
}

/* TRACE with no tracer attached: the call fails with ENOSYS. */
static void c_trace(void)
{
	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_TRACE | 7), 0))
		return;
	CHECK_ERR(syscall(SYS_getppid), ENOSYS);
}

/* ------------------------------------------------------ stacking */

static void c_stack_allow_first(void)
{
	CHECK_OK(set_nnp());
	CHECK_EQ(filter_allow_all(), 0);
	CHECK_OK(syscall(SYS_getppid));
	CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EACCES), 0);
	CHECK_ERR(syscall(SYS_getppid), EACCES);
	CHECK_OK(syscall(SYS_getpid));
}

static void c_stack_allow_last(void)
{
	CHECK_OK(set_nnp());
	CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EACCES), 0);
	CHECK_EQ(filter_allow_all(), 0);
	CHECK_ERR(syscall(SYS_getppid), EACCES);
	CHECK_OK(syscall(SYS_getpid));
}

/* Same action in both: the newest filter's data wins. */
static void c_stack_same_action(void)
{
	CHECK_OK(set_nnp());
	CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM), 0);
	CHECK_ERR(syscall(SYS_getppid), EPERM);
	CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EACCES), 0);
	CHECK_ERR(syscall(SYS_getppid), EACCES);
	CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EIO), 0);
	CHECK_ERR(syscall(SYS_getppid), EIO);
	/* Each filter counts for its own syscalls. */
	CHECK_EQ(filter_one(SYS_getuid, SECCOMP_RET_ERRNO | ENXIO), 0);
	CHECK_ERR(syscall(SYS_getppid), EIO);
	CHECK_ERR(syscall(SYS_getuid), ENXIO);
}

/* ------------------------------------------------------ TRAP */

static volatile int trap_count;
static volatile int trap_signo, trap_code, trap_syscall, trap_errno;
static volatile unsigned int trap_arch;
static void *volatile trap_addr;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	trap_count++;
	trap_signo = sig;
	trap_code = si->si_code;
	trap_syscall = si->si_syscall;
	trap_arch = si->si_arch;
	trap_errno = si->si_errno;
	trap_addr = si->si_call_addr;
}

static void catch_sigsys(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGSYS, &sa, NULL));
}

static void c_trap(void)
{
	long r;

	catch_sigsys();
	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_TRAP | 0x1234), 0))
		return;
	r = syscall(SYS_getppid);
	CHECK_EQ(trap_count, 1);
	CHECK_EQ(trap_signo, SIGSYS);
	CHECK_EQ(trap_code, SYS_SECCOMP);
	CHECK_EQ(trap_syscall, SYS_getppid);
	CHECK_EQ(trap_arch, AUDIT_ARCH_X86_64);
	CHECK_EQ(trap_errno, 0x1234);
	CHECK(trap_addr != NULL);
	/* The call was not made; rax still holds the syscall number. */
	CHECK_EQ(r, SYS_getppid);
	CHECK_OK(syscall(SYS_getpid));
	CHECK_EQ(trap_count, 1);

	/* 16 bits of data; TRAP beats a newer filter's ERRNO. */
	if (!CHECK_EQ(filter_one(SYS_getuid, SECCOMP_RET_TRAP | 0xffff), 0) ||
	    !CHECK_EQ(filter_one(SYS_getuid, SECCOMP_RET_ERRNO | EPERM), 0))
		return;
	trap_count = 0;
	r = syscall(SYS_getuid);
	CHECK_EQ(trap_count, 1);
	CHECK_EQ(trap_syscall, SYS_getuid);
	CHECK_EQ(trap_errno, 0xffff);
	CHECK_EQ(r, SYS_getuid);
}

/* A blocked SIGSYS can't be delivered: the trap kills instead. */
static void c_trap_blocked(void)
{
	sigset_t set;

	no_core();
	catch_sigsys();
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_TRAP), 0))
		return;
	fflush(stdout);
	syscall(SYS_getppid);
	_exit(3);
}

/* ------------------------------------------------------ KILL */

static void c_kill_process(void)
{
	no_core();
	catch_sigsys();		/* a handler does not help */
	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_KILL_PROCESS), 0))
		return;
	fflush(stdout);
	syscall(SYS_getppid);
	_exit(3);
}

static void c_kill_thread(void)
{
	no_core();
	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_KILL_THREAD), 0))
		return;
	fflush(stdout);
	syscall(SYS_getppid);
	_exit(3);
}

/* ------------------------------------------------------ arguments */

static void c_args(void)
{
	struct sock_filter f[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
		RET(SECCOMP_RET_ERRNO | EACCES),
		RET(SECCOMP_RET_ALLOW),
	};
	int p[2];

	if (!CHECK_OK(pipe(p)))
		return;
	CHECK_OK(set_nnp());
	if (!CHECK_EQ(install(f, sizeof(f) / sizeof(f[0])), 0))
		return;
	/* Empty writes: nothing appears on stdout or stderr. */
	CHECK_ERR(syscall(SYS_write, 2, "", 0), EACCES);
	CHECK_EQ(syscall(SYS_write, 1, "", 0), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	/* A duplicate of fd 2 is a different number: allowed. */
	if (CHECK_EQ(dup2(p[1], 2), 2)) {
		CHECK_ERR(write(2, "cd", 2), EACCES);
		int d = fcntl(2, F_DUPFD, 10);

		if (CHECK(d >= 10))
			CHECK_EQ(write(d, "cd", 2), 2);
	}
	/* The filter sees only the low 32 bits here: 2 + 2^32 is denied
	 * (and the kernel would have used fd 2 anyway). */
	CHECK_ERR(syscall(SYS_write, 0x100000002L, "", 0), EACCES);
	{
		char buf[8];

		CHECK_EQ(read(p[0], buf, sizeof(buf)), 4);
		CHECK(!memcmp(buf, "abcd", 4));
	}
}

/* ------------------------------------------------------ privileges */

/* Root (CAP_SYS_ADMIN) needs no NO_NEW_PRIVS. */
static void c_root_no_nnp(void)
{
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM), 0);
	CHECK_ERR(syscall(SYS_getppid), EPERM);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
}

/* Without the capability, NO_NEW_PRIVS is required. */
static void c_nobody(void)
{
	struct sock_filter f[] = { RET(SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = f };

	if (!CHECK_OK(setresgid(65534, 65534, 65534)) ||
	    !CHECK_OK(setresuid(65534, 65534, 65534)))
		return;
	CHECK_ERR(filter_allow_all(), EACCES);
	CHECK_ERR(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0),
		  EACCES);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	/* Length is checked first. */
	prog.len = 0;
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog), EINVAL);
	CHECK_OK(set_nnp());
	CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM), 0);
	CHECK_ERR(syscall(SYS_getppid), EPERM);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
}

/* ------------------------------------------------------ bad filters */

static void c_bad(void)
{
	struct sock_filter ok[] = { RET(SECCOMP_RET_ALLOW) };
	struct sock_filter big[4097];
	struct sock_filter no_ret[] = { LD_NR };
	struct sock_filter bad_op[] = {
		BPF_STMT(0xffff, 0), RET(SECCOMP_RET_ALLOW),
	};
	struct sock_filter far_jump[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_filter misaligned[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), RET(SECCOMP_RET_ALLOW),
	};
	struct sock_filter beyond[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, sizeof(struct seccomp_data)),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_filter byte_load[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), RET(SECCOMP_RET_ALLOW),
	};
	struct sock_filter div0[] = {
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET(SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 0, .filter = ok };
	unsigned int action;

	CHECK_OK(set_nnp());
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog), EINVAL);
	for (int i = 0; i < 4097; i++)
		big[i] = ok[0];
	CHECK_ERR(install(big, 4097), EINVAL);
	CHECK_ERR(install(no_ret, 1), EINVAL);
	CHECK_ERR(install(bad_op, 2), EINVAL);
	CHECK_ERR(install(far_jump, 3), EINVAL);
	CHECK_ERR(install(misaligned, 2), EINVAL);
	CHECK_ERR(install(beyond, 2), EINVAL);
	CHECK_ERR(install(byte_load, 2), EINVAL);
	CHECK_ERR(install(div0, 2), EINVAL);
	/* Bad pointers: to the fprog, to the instructions. */
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_FILTER, 0, (void *)8), EFAULT);
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_FILTER, 0, NULL), EFAULT);
	prog.len = 1;
	prog.filter = (struct sock_filter *)8;
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog), EFAULT);
	CHECK_ERR(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, (void *)8, 0, 0),
		  EFAULT);
	/* Bad flags and operations. */
	prog.filter = ok;
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_FILTER, 1u << 31, &prog), EINVAL);
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_FILTER, 0x100, &prog), EINVAL);
	CHECK_ERR(seccomp(99, 0, &prog), EINVAL);
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_STRICT, 1, NULL), EINVAL);
	CHECK_ERR(seccomp(SECCOMP_SET_MODE_STRICT, 0, &prog), EINVAL);
	CHECK_ERR(prctl(PR_SET_SECCOMP, 3, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_SET_SECCOMP, SECCOMP_MODE_DISABLED, 0, 0, 0),
		  EINVAL);
	action = SECCOMP_RET_ALLOW;
	CHECK_ERR(seccomp(SECCOMP_GET_ACTION_AVAIL, 1, &action), EINVAL);
	CHECK_ERR(seccomp(SECCOMP_GET_ACTION_AVAIL, 0, (void *)8), EFAULT);
	/* Nothing got installed. */
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	CHECK_OK(syscall(SYS_getppid));
	/* A good one still goes in. */
	CHECK_EQ(seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog), 0);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
}

/* Querying actions changes nothing: safe in the main process. */
static void test_action_avail(void)
{
	static const unsigned int avail[] = {
		SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
		SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW,
	};
	unsigned int action;

	for (unsigned i = 0; i < sizeof(avail) / sizeof(avail[0]); i++) {
		action = avail[i];
		if (!CHECK_EQ(seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action), 0))
			printf("  (action %#x)\n", avail[i]);
	}
	/* The whole value is compared: no data bits, no unknown actions. */
	action = SECCOMP_RET_ERRNO | EPERM;
	CHECK_ERR(seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action), EOPNOTSUPP);
	action = 0x00010000;
	CHECK_ERR(seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action), EOPNOTSUPP);
	action = 0x7fff0001;
	CHECK_ERR(seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action), EOPNOTSUPP);
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

/* ------------------------------------------------------ strict mode */

static int strict_pipe[2];

/* write is allowed, and the exit syscall (not exit_group). */
static void c_strict_ok(void)
{
	CHECK_EQ(prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0), 0);
	if (write(strict_pipe[1], "s", 1) != 1)
		syscall(SYS_exit, 1);
	syscall(SYS_exit, 7);
}

static void c_strict_getpid(void)
{
	no_core();
	CHECK_EQ(seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL), 0);
	syscall(SYS_getpid);
	syscall(SYS_exit, 3);
}

static void c_strict_exit_group(void)
{
	no_core();
	CHECK_EQ(seccomp(SECCOMP_SET_MODE_STRICT, 0, NULL), 0);
	syscall(SYS_exit_group, 3);
	syscall(SYS_exit, 4);
}

static void test_strict(void)
{
	char c = 0;

	if (!CHECK_OK(pipe(strict_pipe)))
		return;
	CHECK_EQ(run(c_strict_ok), 7);
	CHECK_EQ(read(strict_pipe[0], &c, 1), 1);
	CHECK_EQ(c, 's');
	CHECK_EQ(run(c_strict_getpid), 128 + SIGKILL);
	CHECK_EQ(run(c_strict_exit_group), 128 + SIGKILL);
	close(strict_pipe[0]);
	close(strict_pipe[1]);
}

/* ------------------------------------------------------ fork, exec */

static void c_fork(void)
{
	pid_t g;
	int st = -1;

	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM), 0))
		return;
	fflush(stdout);
	g = fork();
	if (g == 0) {
		check_failures = 0;
		CHECK_ERR(syscall(SYS_getppid), EPERM);
		CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
		CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
		_exit(check_done());
	}
	CHECK(g > 0);
	CHECK_EQ(waitpid(g, &st, 0), g);
	CHECK_EQ(st, 0);
}

static void c_exec(void)
{
	char *argv[] = { "x", "exec-child", NULL };
	char *envp[] = { NULL };

	CHECK_OK(set_nnp());
	if (!CHECK_EQ(filter_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM), 0) ||
	    !CHECK_EQ(filter_one(SYS_uname, SECCOMP_RET_ERRNO | ENOSYS), 0))
		return;
	fflush(stdout);
	execve("/proc/self/exe", argv, envp);
	CHECK_OK(-1);
}

/* The exec'd image: the filters are still in force. */
static int exec_child(void)
{
	struct utsname u;

	CHECK_ERR(syscall(SYS_getppid), EPERM);
	CHECK_ERR(uname(&u), ENOSYS);
	CHECK_OK(syscall(SYS_getpid));
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 2);
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	return check_done() ? 1 : OK;
}

int main(int argc, char **argv)
{
	sigset_t none;

	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child();

	signal(SIGCHLD, SIG_DFL);
	signal(SIGSYS, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	test_action_avail();
	CHECK_EQ(run(c_errno), 0);
	CHECK_EQ(run(c_uname), 0);
	CHECK_EQ(run(c_errno_data), 0);
	CHECK_EQ(run(c_prctl), 0);
	CHECK_EQ(run(c_trace), 0);
	CHECK_EQ(run(c_stack_allow_first), 0);
	CHECK_EQ(run(c_stack_allow_last), 0);
	CHECK_EQ(run(c_stack_same_action), 0);
	CHECK_EQ(run(c_trap), 0);
	CHECK_EQ(run(c_trap_blocked), 128 + SIGSYS);
	CHECK_EQ(run(c_kill_process), 128 + SIGSYS);
	CHECK_EQ(run(c_kill_thread), 128 + SIGSYS);
	CHECK_EQ(run(c_args), 0);
	CHECK_EQ(run(c_root_no_nnp), 0);
	CHECK_EQ(run(c_nobody), 0);
	CHECK_EQ(run(c_bad), 0);
	test_strict();
	CHECK_EQ(run(c_fork), 0);
	CHECK_EQ(run(c_exec), OK);

	/* None of it leaked into this process. */
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	CHECK_OK(syscall(SYS_getppid));
	return check_done();
}
