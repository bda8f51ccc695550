/*
 * ev_signalfd.c - signalfd:
 *   - with SIGUSR1/SIGUSR2 blocked, kill/raise/tgkill to self show up in a
 *     read as struct signalfd_siginfo: ssi_signo, ssi_code (SI_USER for
 *     kill, SI_TKILL for tgkill and raise), ssi_pid, ssi_uid; the read
 *     consumes the signal (sigpending no longer shows it, the handler
 *     never runs);
 *   - EAGAIN with SFD_NONBLOCK when nothing in the mask is pending, and
 *     for signals pending outside the mask; EINVAL for a buffer smaller
 *     than one record; a bigger buffer takes several records in one read,
 *     lowest signal first; standard signals coalesce, real-time ones
 *     queue (sigqueue's ssi_int/ssi_ptr, SI_QUEUE);
 *   - signalfd(fd, newmask, 0) updates the mask; EINVAL for a non-signalfd
 *     fd, bad flags or sigsetsize; EBADF for a bad fd;
 *   - SFD_CLOEXEC / SFD_NONBLOCK; poll POLLIN while a masked signal is
 *     pending;
 *   - a reader blocked in read is woken by a signal from another thread
 *     (kill and pthread_kill) or from a child process (ssi_pid = child);
 *     a thread blocked in read is woken by the main thread;
 *   - SIGKILL and SIGSTOP in the mask are silently dropped (fdinfo's
 *     sigmask); a blocked, ignored signal is still queued and readable;
 *   - after fork, the inherited signalfd reads the child's own signals;
 *   - /proc/self/fd/N is "anon_inode:[signalfd]".
 *
 * The signals are blocked in every thread and caught by handlers that must
 * never run, so nothing depends on being PID 1 or not. Helpers that send
 * "later" wait 50 ms first; nothing fails if they are quicker.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define SI sizeof(struct signalfd_siginfo)

static volatile sig_atomic_t handled;
static void on_sig(int sig) { (void)sig; handled++; }

static sigset_t both;	/* SIGUSR1, SIGUSR2, SIGRTMIN */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static sigset_t set_of(int a, int b)
{
	sigset_t s;

	sigemptyset(&s);
	if (a)
		sigaddset(&s, a);
	if (b)
		sigaddset(&s, b);
	return s;
}

static int is_pending(int sig)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, sig);
}

/* Read one record, returning the byte count (or -1). */
static ssize_t read1(int fd, struct signalfd_siginfo *si)
{
	memset(si, 0xa5, sizeof(*si));
	return read(fd, si, sizeof(*si));
}

/* Throw away whatever of SIGUSR1, SIGUSR2, SIGRTMIN is pending. */
static void flush_pending(void)
{
	struct timespec zero = { 0, 0 };

	while (sigtimedwait(&both, NULL, &zero) > 0)
		;
}

static void test_basic(void)
{
	struct signalfd_siginfo si;
	sigset_t m = set_of(SIGUSR1, SIGUSR2);
	int fd;

	CHECK_EQ(SI, 128);
	fd = signalfd(-1, &m, 0);
	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR);

	/* kill: SI_USER. */
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK(is_pending(SIGUSR1));
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(si.ssi_code, SI_USER);
	CHECK_EQ(si.ssi_pid, getpid());
	CHECK_EQ(si.ssi_uid, getuid());
	CHECK_EQ(si.ssi_errno, 0);
	CHECK(!is_pending(SIGUSR1));

	/* raise and tgkill: SI_TKILL. */
	CHECK_OK(raise(SIGUSR2));
	CHECK(is_pending(SIGUSR2));
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR2);
	CHECK_EQ(si.ssi_code, SI_TKILL);
	CHECK_EQ(si.ssi_pid, getpid());
	CHECK_EQ(si.ssi_uid, getuid());
	CHECK(!is_pending(SIGUSR2));
	CHECK_OK(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1));
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(si.ssi_code, SI_TKILL);
	CHECK_EQ(si.ssi_pid, getpid());

	/* Nothing pending: EAGAIN without blocking. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read1(fd, &si), EAGAIN);
	/* Too small a buffer: EINVAL, and the signal stays pending. */
	char small[SI - 1];
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_ERR(read(fd, small, sizeof(small)), EINVAL);
	CHECK_ERR(read(fd, small, 0), EINVAL);
	CHECK(is_pending(SIGUSR1));
	/* A buffer of 1.5 records takes one. */
	char big[SI + SI / 2];
	CHECK_EQ(read(fd, big, sizeof(big)), SI);
	CHECK(!is_pending(SIGUSR1));
	/* Standard signals coalesce. */
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_ERR(read1(fd, &si), EAGAIN);
	/* Writes are not supported. */
	CHECK_ERR(write(fd, &si, sizeof(si)), EINVAL);

	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (CHECK(n > 0)) {
		buf[n] = 0;
		CHECK(strcmp(buf, "anon_inode:[signalfd]") == 0);
	}
	close(fd);
	CHECK_EQ(handled, 0);
}

static void test_multi(void)
{
	struct signalfd_siginfo si[4];
	sigset_t m = set_of(SIGUSR1, SIGUSR2);
	int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	/* Sent high first; read lowest first, both in one read. */
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_OK(kill(getpid(), SIGUSR1));
	memset(si, 0, sizeof(si));
	CHECK_EQ(read(fd, si, sizeof(si)), 2 * SI);
	CHECK_EQ(si[0].ssi_signo, SIGUSR1);
	CHECK_EQ(si[1].ssi_signo, SIGUSR2);
	CHECK_EQ(si[1].ssi_code, SI_USER);
	CHECK(!is_pending(SIGUSR1) && !is_pending(SIGUSR2));
	/* A buffer for one leaves the other pending. */
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(read(fd, si, SI), SI);
	CHECK_EQ(si[0].ssi_signo, SIGUSR1);
	CHECK(is_pending(SIGUSR2));
	CHECK_EQ(read(fd, si, sizeof(si)), SI);
	CHECK_EQ(si[0].ssi_signo, SIGUSR2);
	close(fd);
}

static void test_mask_update(void)
{
	struct signalfd_siginfo si;
	struct pollfd p;
	sigset_t m1 = set_of(SIGUSR1, 0), m2 = set_of(SIGUSR2, 0);
	int fd = signalfd(-1, &m1, SFD_NONBLOCK), pp[2];

	if (!CHECK(fd >= 0) || !CHECK_OK(pipe(pp)))
		return;
	p.fd = fd;
	p.events = POLLIN;
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* Pending but not in the mask: invisible. */
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_ERR(read1(fd, &si), EAGAIN);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	/* Switch the mask: now only SIGUSR2 is seen. */
	CHECK_EQ(signalfd(fd, &m2, 0), fd);
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR2);
	CHECK_ERR(read1(fd, &si), EAGAIN);
	CHECK(is_pending(SIGUSR1));
	/* The update keeps the fd's flags (it stays non-blocking). */
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ(signalfd(fd, &m1, 0), fd);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(poll(&p, 1, 0), 0);

	/* Errors. */
	CHECK_ERR(signalfd(pp[0], &m1, 0), EINVAL);
	CHECK_ERR(signalfd(9999, &m1, 0), EBADF);
	CHECK_ERR(signalfd(-1, &m1, 1), EINVAL);
	CHECK_ERR(signalfd(-1, &m1, O_RDWR), EINVAL);
	CHECK_ERR(signalfd(fd, &m1, 0x40000000), EINVAL);
	CHECK_ERR(syscall(SYS_signalfd4, -1, &m1, 4, 0), EINVAL);
	CHECK_ERR(syscall(SYS_signalfd4, -1, &m1, 16, 0), EINVAL);
	CHECK_ERR(syscall(SYS_signalfd4, -1, (void *)8, 8, 0), EFAULT);
	/* The old signalfd syscall: no flags. */
	int fd2 = (int)syscall(SYS_signalfd, -1, &m1, 8);
	if (CHECK(fd2 >= 0)) {
		CHECK_EQ(fcntl(fd2, F_GETFD), 0);
		CHECK_EQ(fcntl(fd2, F_GETFL) & O_NONBLOCK, 0);
		close(fd2);
	}
	close(pp[0]);
	close(pp[1]);
	close(fd);
	CHECK_EQ(handled, 0);
}

static void test_rt(void)
{
	struct signalfd_siginfo si[4];
	sigset_t m = set_of(SIGUSR1, SIGRTMIN);
	union sigval v;
	int fd = signalfd(-1, &m, SFD_NONBLOCK);

	if (!CHECK(fd >= 0))
		return;
	v.sival_ptr = (void *)0x123456789abcULL;
	CHECK_OK(sigqueue(getpid(), SIGRTMIN, v));
	v.sival_int = 42;
	CHECK_OK(sigqueue(getpid(), SIGRTMIN, v));
	CHECK_OK(kill(getpid(), SIGUSR1));
	memset(si, 0, sizeof(si));
	CHECK_EQ(read(fd, si, sizeof(si)), 3 * SI);
	CHECK_EQ(si[0].ssi_signo, SIGUSR1);
	CHECK_EQ(si[1].ssi_signo, SIGRTMIN);
	CHECK_EQ(si[1].ssi_code, SI_QUEUE);
	CHECK_EQ(si[1].ssi_pid, getpid());
	CHECK_EQ(si[1].ssi_uid, getuid());
	CHECK(si[1].ssi_ptr == 0x123456789abcULL);
	CHECK(si[1].ssi_int == 0x56789abcU);
	CHECK_EQ(si[2].ssi_signo, SIGRTMIN);
	CHECK_EQ(si[2].ssi_code, SI_QUEUE);
	CHECK_EQ(si[2].ssi_int, 42);
	CHECK_ERR(read(fd, si, sizeof(si)), EAGAIN);
	close(fd);
}

static void test_kill_stop(void)
{
	char path[64], buf[512];
	sigset_t m;
	int fd;

	sigemptyset(&m);
	sigaddset(&m, SIGKILL);
	sigaddset(&m, SIGSTOP);
	sigaddset(&m, SIGUSR1);
	fd = signalfd(-1, &m, SFD_NONBLOCK);
	if (!CHECK(fd >= 0))
		return;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	int f = open(path, O_RDONLY);
	if (CHECK(f >= 0)) {
		ssize_t n = read(f, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		char *s = strstr(buf, "sigmask:");
		if (CHECK(s != NULL))
			CHECK_EQ(strtoull(s + 8, NULL, 16),
				 1ULL << (SIGUSR1 - 1));
		close(f);
	}
	/* A mask of only those: accepted, and sees nothing. */
	sigemptyset(&m);
	sigaddset(&m, SIGKILL);
	sigaddset(&m, SIGSTOP);
	int fd2 = signalfd(-1, &m, SFD_NONBLOCK);
	if (CHECK(fd2 >= 0)) {
		struct signalfd_siginfo si;
		CHECK_OK(kill(getpid(), SIGUSR1));
		CHECK_ERR(read1(fd2, &si), EAGAIN);
		CHECK_EQ(read1(fd, &si), SI);
		CHECK_EQ(si.ssi_signo, SIGUSR1);
		close(fd2);
	}
	close(fd);
}

static void test_ignored(void)
{
	struct signalfd_siginfo si;
	sigset_t m = set_of(SIGUSR2, 0);
	int fd = signalfd(-1, &m, SFD_NONBLOCK);

	if (!CHECK(fd >= 0))
		return;
	/* Blocked signals are queued even if ignored... */
	signal(SIGUSR2, SIG_IGN);
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK(is_pending(SIGUSR2));
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR2);
	/* ... but setting SIG_IGN discards a pending one. */
	signal(SIGUSR2, on_sig);
	CHECK_OK(kill(getpid(), SIGUSR2));
	signal(SIGUSR2, SIG_IGN);
	CHECK(!is_pending(SIGUSR2));
	CHECK_ERR(read1(fd, &si), EAGAIN);
	signal(SIGUSR2, on_sig);
	close(fd);
}

struct helper {
	pthread_t target;
	int how;	/* 0: kill, 1: pthread_kill of target */
	int fd;		/* for reader(): the signalfd */
	ssize_t ret;
	struct signalfd_siginfo si;
};

static void *sender(void *arg)
{
	struct helper *h = arg;

	sleep_ms(50);
	if (h->how == 0)
		kill(getpid(), SIGUSR1);
	else
		pthread_kill(h->target, SIGUSR2);
	return NULL;
}

static void *reader(void *arg)
{
	struct helper *h = arg;

	h->ret = read1(h->fd, &h->si);
	return NULL;
}

static void test_wakeups(void)
{
	struct signalfd_siginfo si;
	struct helper h;
	pthread_t t;
	sigset_t m = set_of(SIGUSR1, SIGUSR2);
	int st, fd = signalfd(-1, &m, 0);

	if (!CHECK(fd >= 0))
		return;
	/* Another thread kill()s the process. */
	memset(&h, 0, sizeof(h));
	h.target = pthread_self();
	if (!CHECK_EQ(pthread_create(&t, NULL, sender, &h), 0))
		return;
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(si.ssi_code, SI_USER);
	CHECK_EQ(si.ssi_pid, getpid());
	CHECK_EQ(pthread_join(t, NULL), 0);

	/* Another thread pthread_kill()s this one. */
	h.how = 1;
	if (!CHECK_EQ(pthread_create(&t, NULL, sender, &h), 0))
		return;
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_signo, SIGUSR2);
	CHECK_EQ(si.ssi_code, SI_TKILL);
	CHECK_EQ(si.ssi_pid, getpid());
	CHECK_EQ(pthread_join(t, NULL), 0);

	/* A thread blocks in read; the main thread kill()s the process. */
	memset(&h, 0, sizeof(h));
	h.fd = fd;
	if (!CHECK_EQ(pthread_create(&t, NULL, reader, &h), 0))
		return;
	sleep_ms(50);
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(h.ret, SI);
	CHECK_EQ(h.si.ssi_signo, SIGUSR2);
	CHECK_EQ(h.si.ssi_pid, getpid());

	/* A child process signals the parent, blocked in read. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	if (CHECK(pid > 0)) {
		CHECK_EQ(read1(fd, &si), SI);
		CHECK_EQ(si.ssi_signo, SIGUSR1);
		CHECK_EQ(si.ssi_code, SI_USER);
		CHECK_EQ(si.ssi_pid, pid);
		CHECK_EQ(si.ssi_uid, getuid());
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	close(fd);
	CHECK_EQ(handled, 0);
}

static void test_fork(void)
{
	sigset_t m = set_of(SIGUSR1, 0);
	int st, fd = signalfd(-1, &m, SFD_NONBLOCK);

	if (!CHECK(fd >= 0))
		return;
	/* The parent's pending signal is not the child's. */
	CHECK_OK(kill(getpid(), SIGUSR1));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct signalfd_siginfo si;

		if (read1(fd, &si) != -1 || errno != EAGAIN)
			_exit(2);
		raise(SIGUSR1);
		if (read1(fd, &si) != SI || si.ssi_signo != SIGUSR1 ||
		    si.ssi_pid != (uint32_t)getpid())
			_exit(3);
		_exit(0);
	}
	if (!CHECK(pid > 0))
		return;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Still pending here. */
	struct signalfd_siginfo si;
	CHECK_EQ(read1(fd, &si), SI);
	CHECK_EQ(si.ssi_pid, getpid());
	close(fd);
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGRTMIN, &sa, NULL);
	sigemptyset(&both);
	sigaddset(&both, SIGUSR1);
	sigaddset(&both, SIGUSR2);
	sigaddset(&both, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &both, NULL);

	test_basic();
	flush_pending();
	test_multi();
	flush_pending();
	test_mask_update();
	flush_pending();
	test_rt();
	flush_pending();
	test_kill_stop();
	flush_pending();
	test_ignored();
	flush_pending();
	test_wakeups();
	flush_pending();
	test_fork();
	flush_pending();
	CHECK_EQ(handled, 0);
	return check_done();
}
