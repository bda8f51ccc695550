/*
 * proc_usertrap.c: syscalls from sites that moat patches (kernel/usertrap.c)
 * behave as syscall instructions do.  Each site runs several times: the
 * first run traps and gets patched, the later ones go through the patch.
 *
 * - every register but rax, rcx and r11 survives, and so do the flags and
 *   the SSE registers, at both kinds of site (mov $N,%eax and syscall(2)'s
 *   mov 0x8(%rsp),%r9);
 * - a signal handler that runs at the syscall's return, clobbering SSE
 *   registers, leaves the interrupted code's intact;
 * - a blocking read from such a site, interrupted by a signal, restarts
 *   with SA_RESTART and fails with EINTR without it;
 * - a handler's change to the interrupted code's SSE registers (in its
 *   ucontext) takes effect; a fork child starts with its parent's;
 * - the callee-saved registers (which the sentry reads only when it needs
 *   them, platform_ctx_regs) reach a handler's ucontext, a handler's change
 *   to them takes effect, and a fork child starts with them, with values
 *   that differ at every round;
 * - a fork child and threads run the patched sites too;
 * - threads racing through 200 fresh sites, which get patched while the
 *   others run them, all get the right results;
 * - the same for glibc's read sites, `xor %eax,%eax; syscall; cmp $-4096,
 *   %rax`, whose patch keeps the cmp after the syscall in place: its
 *   verdict is right, a blocked read there restarts or fails with EINTR,
 *   and 4 threads race through 16 fresh such sites.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

struct regs {
	uint64_t rbx, rdx, rsi, rdi, r8, r9, r10, r12, r13, r14, r15, rbp, flags;
};

/* getppid from a `mov $110, %eax; syscall` site with every register set;
 * the registers as they came back land in site_out (globals: nothing is
 * addressed through a register the asm changes). */
struct regs site_out __attribute__((used));
int site_carry __attribute__((used));

static long ppid_site(struct regs *out, int carry)
{
	long ret;

	site_carry = carry;
	__asm__ volatile(
		"push %%rbp\n\t"
		"movabs $0x1111111111111111, %%rbx\n\t"
		"lea 1(%%rbx), %%rdx\n\t"
		"lea 2(%%rbx), %%rsi\n\t"
		"lea 3(%%rbx), %%rdi\n\t"
		"lea 4(%%rbx), %%r8\n\t"
		"lea 5(%%rbx), %%r9\n\t"
		"lea 6(%%rbx), %%r10\n\t"
		"lea 7(%%rbx), %%r12\n\t"
		"lea 8(%%rbx), %%r13\n\t"
		"lea 9(%%rbx), %%r14\n\t"
		"lea 10(%%rbx), %%r15\n\t"
		"lea 11(%%rbx), %%rbp\n\t"
		"cmpl $0, site_carry(%%rip)\n\t"
		"clc\n\t"
		"je 1f\n\t"
		"stc\n"
		"1:\t.byte 0xb8, 110, 0, 0, 0\n\t"     /* mov $SYS_getppid, %eax */
		"syscall\n\t"
		"pushf\n\t"
		"pop %%rcx\n\t"
		"mov %%rbx, site_out+0(%%rip)\n\t"
		"mov %%rdx, site_out+8(%%rip)\n\t"
		"mov %%rsi, site_out+16(%%rip)\n\t"
		"mov %%rdi, site_out+24(%%rip)\n\t"
		"mov %%r8, site_out+32(%%rip)\n\t"
		"mov %%r9, site_out+40(%%rip)\n\t"
		"mov %%r10, site_out+48(%%rip)\n\t"
		"mov %%r12, site_out+56(%%rip)\n\t"
		"mov %%r13, site_out+64(%%rip)\n\t"
		"mov %%r14, site_out+72(%%rip)\n\t"
		"mov %%r15, site_out+80(%%rip)\n\t"
		"mov %%rbp, site_out+88(%%rip)\n\t"
		"mov %%rcx, site_out+96(%%rip)\n\t"
		"pop %%rbp\n\t"
		: "=a"(ret)
		:
		: "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12",
		  "r13", "r14", "r15", "memory", "cc");
	*out = site_out;
	return ret;
}

static void test_registers(void)
{
	for (int n = 0; n < 4; n++) {
		struct regs r;
		long ret = ppid_site(&r, n & 1);
		CHECK_EQ(ret, getppid());
		uint64_t b = 0x1111111111111111ULL;
		CHECK(r.rbx == b && r.rdx == b + 1 && r.rsi == b + 2 && r.rdi == b + 3);
		CHECK(r.r8 == b + 4 && r.r9 == b + 5 && r.r10 == b + 6 && r.r12 == b + 7);
		CHECK(r.r13 == b + 8 && r.r14 == b + 9 && r.r15 == b + 10 && r.rbp == b + 11);
		CHECK_EQ(r.flags & 1, (uint64_t)(n & 1));       /* CF as it was */
	}
}

/* The SSE registers across syscalls from both kinds of site. */
static int sse_survives(int use_syscall_fn)
{
	double in[4] = { 1.5, -2.25, 3.125, 1e300 }, out[4];
	register double x12 __asm__("xmm12") = in[0];
	register double x13 __asm__("xmm13") = in[1];
	register double x14 __asm__("xmm14") = in[2];
	register double x15 __asm__("xmm15") = in[3];

	__asm__ volatile("" : "+x"(x12), "+x"(x13), "+x"(x14), "+x"(x15));
	if (use_syscall_fn)
		syscall(SYS_getppid);
	else
		getppid();
	__asm__ volatile("" : "+x"(x12), "+x"(x13), "+x"(x14), "+x"(x15));
	out[0] = x12;
	out[1] = x13;
	out[2] = x14;
	out[3] = x15;
	return memcmp(in, out, sizeof(in)) == 0;
}

static void test_sse(void)
{
	for (int n = 0; n < 6; n++) {
		CHECK(sse_survives(0));
		CHECK(sse_survives(1));
	}
}

static volatile int handled;

static void clobber_handler(int sig)
{
	(void)sig;
	register double x14 __asm__("xmm14") = 42.0;
	__asm__ volatile("" : "+x"(x14));
	handled++;
}

/* kill() to itself: the handler runs as the syscall returns. */
static void test_signal_at_return(void)
{
	struct sigaction sa = { .sa_handler = clobber_handler };

	sigaction(SIGUSR1, &sa, NULL);
	for (int n = 0; n < 4; n++) {
		double in = 7.75 + n;
		register double x14 __asm__("xmm14") = in;
		__asm__ volatile("" : "+x"(x14));
		CHECK_EQ(syscall(SYS_kill, getpid(), SIGUSR1), 0);
		__asm__ volatile("" : "+x"(x14));
		CHECK(x14 == in);
	}
	CHECK_EQ(handled, 4);
	signal(SIGUSR1, SIG_DFL);
}

static void edit_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	double v = 99.5;

	(void)sig;
	(void)si;
	memcpy(&uc->uc_mcontext.fpregs->_xmm[14], &v, sizeof(v));
	handled++;
}

static void test_handler_edits_fp(void)
{
	struct sigaction sa = { .sa_sigaction = edit_handler, .sa_flags = SA_SIGINFO };

	handled = 0;
	sigaction(SIGUSR2, &sa, NULL);
	for (int n = 0; n < 4; n++) {
		register double x14 __asm__("xmm14") = 1.25;
		__asm__ volatile("" : "+x"(x14));
		CHECK_EQ(syscall(SYS_kill, getpid(), SIGUSR2), 0);
		__asm__ volatile("" : "+x"(x14));
		CHECK(x14 == 99.5);
	}
	CHECK_EQ(handled, 4);
	signal(SIGUSR2, SIG_DFL);
	for (int n = 0; n < 3; n++) {
		register double x15 __asm__("xmm15") = 0.5 + n;
		__asm__ volatile("" : "+x"(x15));
		pid_t pid = fork();
		__asm__ volatile("" : "+x"(x15));
		if (pid == 0)
			_exit(x15 == 0.5 + n ? 0 : 1);
		CHECK(x15 == 0.5 + n);
		CHECK_EQ(reap_status(pid, 0), 0);
	}
}

/* kill(cs_pid, SIGUSR1) or fork() from a `mov $N, %eax; syscall` site with
 * rbx, rbp, r12-r15 set to cs_in; what they held after it lands in
 * cs_out.  CS_SITE's asm is duplicated per site: each needs its own
 * syscall instruction. */
uint64_t cs_in[6] __attribute__((used)), cs_out[6] __attribute__((used));
int cs_pid __attribute__((used));
#define CS_SITE(nr)								\
	__asm__ volatile(							\
		"push %%rbp\n\t"						\
		"mov cs_in+0(%%rip), %%rbx\n\t"				\
		"mov cs_in+8(%%rip), %%rbp\n\t"				\
		"mov cs_in+16(%%rip), %%r12\n\t"				\
		"mov cs_in+24(%%rip), %%r13\n\t"				\
		"mov cs_in+32(%%rip), %%r14\n\t"				\
		"mov cs_in+40(%%rip), %%r15\n\t"				\
		"mov cs_pid(%%rip), %%edi\n\t"					\
		"mov $10, %%esi\n\t"						\
		".byte 0xb8, " #nr ", 0, 0, 0\n\t"				\
		"syscall\n\t"							\
		"mov %%rbx, cs_out+0(%%rip)\n\t"				\
		"mov %%rbp, cs_out+8(%%rip)\n\t"				\
		"mov %%r12, cs_out+16(%%rip)\n\t"				\
		"mov %%r13, cs_out+24(%%rip)\n\t"				\
		"mov %%r14, cs_out+32(%%rip)\n\t"				\
		"mov %%r15, cs_out+40(%%rip)\n\t"				\
		"pop %%rbp\n\t"							\
		: "=a"(ret)							\
		:								\
		: "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",	\
		  "r12", "r13", "r14", "r15", "memory", "cc")

static long kill_site(void)
{
	long ret;

	CS_SITE(62);
	return ret;
}

static long fork_site(void)
{
	long ret;

	CS_SITE(57);
	return ret;
}

static const int cs_greg[6] = { REG_RBX, REG_RBP, REG_R12, REG_R13, REG_R14, REG_R15 };
static volatile int cs_seen_ok;

static void cs_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	int ok = 1;

	(void)sig;
	(void)si;
	for (int i = 0; i < 6; i++)
		ok &= (uint64_t)uc->uc_mcontext.gregs[cs_greg[i]] == cs_in[i];
	cs_seen_ok += ok;
	uc->uc_mcontext.gregs[REG_R13] ^= 0x5a5a;
	uc->uc_mcontext.gregs[REG_RBX] = 0;
}

static void test_callee_saved(void)
{
	struct sigaction sa = { .sa_sigaction = cs_handler, .sa_flags = SA_SIGINFO };
	int rounds = 40;

	cs_pid = getpid();
	cs_seen_ok = 0;
	sigaction(SIGUSR1, &sa, NULL);
	for (int n = 0; n < rounds; n++) {
		for (int i = 0; i < 6; i++)
			cs_in[i] = 0x0101010101010101ULL * (uint64_t)(n + 1) + (uint64_t)i;
		CHECK_EQ(kill_site(), 0);
		for (int i = 0; i < 6; i++)
			CHECK_EQ(cs_out[i], i == 0 ? 0 : i == 3 ? cs_in[i] ^ 0x5a5a : cs_in[i]);
	}
	CHECK_EQ(cs_seen_ok, rounds);
	signal(SIGUSR1, SIG_DFL);
	for (int n = 0; n < 20; n++) {
		for (int i = 0; i < 6; i++)
			cs_in[i] = 0x0202020202020202ULL * (uint64_t)(n + 1) + (uint64_t)i;
		long pid = fork_site();
		int same = memcmp(cs_out, cs_in, sizeof(cs_in)) == 0;
		if (pid == 0)
			_exit(same ? 0 : 1);
		CHECK(same);
		if (CHECK(pid > 0))
			CHECK_EQ(reap_status((pid_t)pid, 0), 0);
	}
}

/* read(fd, buf, n) from a `mov $0, %eax; syscall` site. */
static long read_site(int fd, void *buf, long n)
{
	long ret;

	__asm__ volatile(".byte 0xb8, 0, 0, 0, 0\n\tsyscall"
			 : "=a"(ret)
			 : "D"((long)fd), "S"(buf), "d"(n)
			 : "rcx", "r11", "memory");
	return ret;
}

/* read from a site shaped as glibc's: *above gets the cmp's verdict. */
static long xread_site(int fd, void *buf, long n, int *above)
{
	long ret;
	unsigned char a;

	__asm__ volatile("xor %%eax, %%eax\n\tsyscall\n\tcmp $-4096, %%rax\n\tseta %1"
			 : "=a"(ret), "=r"(a)
			 : "D"((long)fd), "S"(buf), "d"(n)
			 : "rcx", "r11", "memory", "cc");
	*above = a;
	return ret;
}

/* 16 such sites in a row, each reading 1 byte of fd into buf: the sum of
 * what they return. */
static long many_xsites(int fd, char *buf)
{
	long sum = 0;

	__asm__ volatile(".rept 16\n\t"
			 "mov %1, %%edi\n\t"
			 "mov %2, %%rsi\n\t"
			 "mov $1, %%edx\n\t"
			 "xor %%eax, %%eax\n\t"
			 "syscall\n\t"
			 "cmp $-4096, %%rax\n\t"
			 "add %%rax, %0\n\t"
			 ".endr"
			 : "+r"(sum)
			 : "r"(fd), "r"(buf)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "memory", "cc");
	return sum;
}

static volatile int alarms;

static void alarm_handler(int sig)
{
	(void)sig;
	alarms++;
}

/* A read blocked on a pipe, interrupted by SIGALRM; a child writes after
 * 150 ms.  xor: from the glibc-shaped site. */
static void blocked_read(int restart, long *ret, char *c, int xor)
{
	struct sigaction sa = { .sa_handler = alarm_handler, .sa_flags = restart ? SA_RESTART : 0 };
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	int fds[2];

	sigaction(SIGALRM, &sa, NULL);
	if (!CHECK_EQ(pipe(fds), 0))
		return;
	pid_t pid = xfork();
	if (pid == 0) {
		usleep(150000);
		_exit(write(fds[1], "x", 1) == 1 ? 0 : 1);
	}
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	int above = 0;
	*ret = xor ? xread_site(fds[0], c, 1, &above) : read_site(fds[0], c, 1);
	if (xor)
		CHECK_EQ(above, *ret < 0);
	CHECK_EQ(reap_status(pid, 0), 0);
	close(fds[0]);
	close(fds[1]);
	signal(SIGALRM, SIG_DFL);
}

static void test_restart(void)
{
	char c = 0;
	long ret;

	/* Warm the site up: patched from here on. */
	int fds[2], above;
	char two[2];
	if (CHECK_EQ(pipe(fds), 0)) {
		for (int n = 0; n < 3; n++) {
			CHECK_EQ(write(fds[1], "ab", 2), 2);
			CHECK_EQ(read_site(fds[0], two, 2), 2);
			CHECK_EQ(write(fds[1], "cd", 2), 2);
			CHECK_EQ(xread_site(fds[0], two, 2, &above), 2);
			CHECK_EQ(above, 0);
			CHECK_EQ(two[1], 'd');
			CHECK_EQ(xread_site(-1, two, 2, &above), -EBADF);
			CHECK_EQ(above, 1);
		}
		close(fds[0]);
		close(fds[1]);
	}
	for (int xor = 0; xor < 2; xor++) {
		c = 0;
		blocked_read(1, &ret, &c, xor);
		CHECK_EQ(ret, 1);
		CHECK_EQ(c, 'x');
		CHECK_EQ(alarms, 1);
		blocked_read(0, &ret, &c, xor);
		CHECK_EQ(ret, -EINTR);
		CHECK_EQ(alarms, 1);
	}
}

static void *thread_fn(void *arg)
{
	struct regs r;
	long ok = 1;

	(void)arg;
	for (int n = 0; n < 100; n++)
		ok &= ppid_site(&r, 0) == getppid() && r.r12 == 0x1111111111111118ULL &&
		      sse_survives(n & 1);
	return (void *)ok;
}

static void test_fork_and_threads(void)
{
	pid_t pid = xfork();

	if (pid == 0) {
		test_registers();
		test_sse();
		_exit(check_failures ? 1 : 0);
	}
	CHECK_EQ(reap_status(pid, 0), 0);
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, thread_fn, NULL), 0);
	for (int i = 0; i < 3; i++) {
		void *ok = NULL;
		pthread_join(th[i], &ok);
		CHECK(ok == (void *)1);
	}
}

/* 200 distinct `mov $SYS_getppid, %eax; syscall` sites in a row. */
static long many_sites(void)
{
	long sum = 0;

	__asm__ volatile(".rept 200\n\t"
			 "mov $110, %%eax\n\t"
			 "syscall\n\t"
			 "add %%rax, %0\n\t"
			 ".endr"
			 : "+r"(sum) : : "rax", "rcx", "r11", "memory");
	return sum;
}

static pthread_barrier_t race_barrier;

static int zero_fd;

static void *race_thread(void *arg)
{
	long ok = 1, want = 200L * getppid();
	char buf = 1;

	(void)arg;
	pthread_barrier_wait(&race_barrier);
	for (int n = 0; n < 3; n++) {
		ok &= many_sites() == want;
		ok &= many_xsites(zero_fd, &buf) == 16 && buf == 0;
	}
	return (void *)ok;
}

static void test_concurrent_patching(void)
{
	pthread_t th[4];

	zero_fd = open("/dev/zero", O_RDONLY);
	CHECK(zero_fd >= 0);
	pthread_barrier_init(&race_barrier, NULL, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, race_thread, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *ok = NULL;
		pthread_join(th[i], &ok);
		CHECK(ok == (void *)1);
	}
	pthread_barrier_destroy(&race_barrier);
	close(zero_fd);
}

int main(void)
{
	test_registers();
	test_sse();
	test_signal_at_return();
	test_handler_edits_fp();
	test_callee_saved();
	test_restart();
	test_fork_and_threads();
	test_concurrent_patching();
	return check_done();
}
