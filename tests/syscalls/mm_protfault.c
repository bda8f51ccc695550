/*
 * mm_protfault.c - protections as the application's own loads and stores
 * meet them (mprotect.c probes through the kernel instead): pages the
 * program already touched, pages a syscall filled for it, a forked child's
 * copy-on-write pages, and a break that grows, shrinks and grows again.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, 1);
}

/* 1 if the store went through; 0 after SIGSEGV (SEGV_ACCERR at p). */
static int store(volatile char *p, char v)
{
	fault_addr = NULL;
	if (sigsetjmp(jb, 1)) {
		CHECK(fault_addr == (void *)p);
		CHECK_EQ(fault_code, SEGV_ACCERR);
		return 0;
	}
	*p = v;
	return 1;
}

/* The byte at p, or -1 after SIGSEGV (SEGV_ACCERR at p). */
static int load(volatile char *p)
{
	fault_addr = NULL;
	if (sigsetjmp(jb, 1)) {
		CHECK(fault_addr == (void *)p);
		CHECK_EQ(fault_code, SEGV_ACCERR);
		return -1;
	}
	return (unsigned char)*p;
}

static void test_touched(void)
{
	char *p = mmap(NULL, 4 * PAGE, RW, ANON, -1, 0);

	if (!CHECK(p != MAP_FAILED))
		return;
	for (int i = 0; i < 4; i++)
		memset(p + i * PAGE, 'a' + i, PAGE);
	CHECK_OK(mprotect(p + PAGE, 2 * PAGE, PROT_READ));
	CHECK_EQ(load(p + PAGE + 7), 'b');
	CHECK_EQ(store(p + PAGE + 7, 'x'), 0);
	CHECK_EQ(store(p + 2 * PAGE, 'x'), 0);
	CHECK_EQ(store(p + 3 * PAGE, 'x'), 1);   /* outside the range */
	CHECK_EQ(store(p, 'x'), 1);
	CHECK_OK(mprotect(p + PAGE, PAGE, PROT_NONE));
	CHECK_EQ(load(p + PAGE), -1);
	CHECK_EQ(load(p + 2 * PAGE), 'c');
	CHECK_OK(mprotect(p, 4 * PAGE, RW));
	CHECK_EQ(load(p + PAGE + 7), 'b');        /* contents survive */
	CHECK_EQ(store(p + PAGE + 7, 'y'), 1);
	CHECK_EQ(store(p + 2 * PAGE, 'y'), 1);
	CHECK_EQ(load(p + PAGE + 7), 'y');
	CHECK_EQ(load(p + 2 * PAGE + 1), 'c');
	CHECK_OK(munmap(p, 4 * PAGE));
}

/* Pages a read() filled before the program ever touched them. */
static void test_filled_by_syscall(void)
{
	int fds[2];
	char *p = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
	char buf[3 * PAGE];

	if (!CHECK(p != MAP_FAILED) || !CHECK_OK(pipe(fds)))
		return;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('0' + i % 61);
	CHECK_EQ(write(fds[1], buf, 2 * PAGE + 100), 2 * PAGE + 100);
	CHECK_EQ(read(fds[0], p + 50, 2 * PAGE + 100), 2 * PAGE + 100);
	CHECK(memcmp(p + 50, buf, 2 * PAGE + 100) == 0);
	CHECK_EQ(load(p), 0);
	CHECK_EQ(load(p + 3 * PAGE - 1), 0);
	CHECK_EQ(store(p + PAGE, 'z'), 1);
	CHECK_EQ(load(p + PAGE), 'z');
	CHECK_OK(mprotect(p, 3 * PAGE, PROT_READ));
	CHECK_EQ(store(p + 2 * PAGE + 5, 'z'), 0);
	CHECK_EQ(load(p + 2 * PAGE + 5), (unsigned char)buf[2 * PAGE + 5 - 50]);
	CHECK_OK(mprotect(p, 3 * PAGE, PROT_READ | PROT_WRITE));
	CHECK_EQ(store(p + 2 * PAGE + 5, 'z'), 1);
	CHECK_EQ(load(p + 2 * PAGE + 5), 'z');
	close(fds[0]);
	close(fds[1]);
	CHECK_OK(munmap(p, 3 * PAGE));
}

/* A forked child's pages are copy-on-write; taking write access away and
 * giving it back must leave the parent's copy alone. */
static void test_fork(void)
{
	char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);

	if (!CHECK(p != MAP_FAILED))
		return;
	memset(p, 'p', 2 * PAGE);
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		bad |= mprotect(p, 2 * PAGE, PROT_READ) != 0;
		bad |= load(p + 3) != 'p';
		bad |= store(p + 3, 'c') != 0;
		bad |= mprotect(p, 2 * PAGE, RW) != 0;
		bad |= store(p + 3, 'c') != 1;
		bad |= store(p + PAGE, 'c') != 1;
		bad |= load(p + 3) != 'c';
		_exit(bad);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(load(p + 3), 'p');
	CHECK_EQ(load(p + PAGE), 'p');
	CHECK_OK(mprotect(p, 2 * PAGE, PROT_READ));
	CHECK_EQ(store(p, 'x'), 0);
	CHECK_OK(munmap(p, 2 * PAGE));
}

/* The break: what it gives back and takes again reads as zero. */
static void test_brk(void)
{
	char *base = sbrk(0);
	size_t len = 100 * PAGE;

	if (!CHECK(sbrk((intptr_t)len) == base))
		return;
	for (size_t i = 0; i < len; i += PAGE / 2)
		CHECK_EQ(load(base + i), 0);
	memset(base, 'k', len);
	CHECK(sbrk(-(intptr_t)len) != (void *)-1);
	CHECK(sbrk(0) == base);
	if (!CHECK(sbrk((intptr_t)len) == base))
		return;
	int zero = 1;
	for (size_t i = 0; i < len; i++)
		zero &= base[i] == 0;
	CHECK(zero);
	CHECK(sbrk(-(intptr_t)len) != (void *)-1);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };

	sigaction(SIGSEGV, &sa, NULL);
	test_touched();
	test_filled_by_syscall();
	test_fork();
	test_brk();
	return check_done();
}
