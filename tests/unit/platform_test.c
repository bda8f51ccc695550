/*
 * Unit test: the systrap platform on its own: a stub runs a few bytes of
 * machine code and every way back to the sentry is checked (a syscall, a
 * breakpoint, a page fault with its address, an interrupt of a thread
 * spinning in application code), plus registers surviving the round trip.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pgalloc/pgalloc.h"
#include "platform/platform.h"
#include "unit.h"
#include "util/util.h"

#define CODE 0x400000UL

static const unsigned char code[] = {
	0xb8, 0x27, 0x00, 0x00, 0x00,   /* 0: mov $39, %eax (getpid) */
	0x0f, 0x05,                     /* 5: syscall */
	0xcc,                           /* 7: int3 */
	0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, /* 8: mov 0x500000, %rax */
	0xeb, 0xfe,                     /* 16: jmp . */
};

static struct platform_ctx *ctx;

static void *interrupter(void *arg)
{
	(void)arg;
	usleep(50000);
	platform_interrupt(ctx);
	return NULL;
}

static void *reaper(void *arg)
{
	platform_reap_until(*(int *)arg, -1);
	return NULL;
}

int main(void)
{
	const char *why = NULL;
	struct stub_regs regs;
	struct trap trap;

	EXPECT_EQ(platform_init(&why), 0);
	struct platform_as *as = platform_as_new();
	EXPECT(as != NULL);
	ctx = platform_ctx_new(as);
	EXPECT(ctx != NULL);
	if (!as || !ctx)
		return unit_done();
	platform_set_current(ctx);

	uint64_t page = pgalloc_alloc_exact(1);
	memcpy(pgalloc_ptr(page), code, sizeof(code));
	EXPECT_EQ(platform_as_map(as, CODE, PAGE_SIZE, PROT_READ | PROT_EXEC, page), 0);
	EXPECT_EQ(platform_as_flush(as), 0);

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rsp = 0;
	regs.rbx = 0x1122334455667788ULL;
	regs.r15 = 42;
	regs.eflags = 0x202;
	platform_switch(ctx, &regs, &trap);
	EXPECT_EQ(trap.kind, TRAP_SYSCALL);
	EXPECT_EQ(regs.orig_rax, 39);
	EXPECT_EQ(regs.rip, CODE + 7);
	/* Callee-saved registers come only when asked for. */
	EXPECT_EQ(regs.rbx, REGS_UNFETCHED);
	platform_ctx_regs(ctx, &regs);
	EXPECT_EQ(regs.rbx, 0x1122334455667788ULL);
	EXPECT_EQ(regs.r15, 42);
	regs.r15 = 43;                  /* changed: applied */

	regs.rax = 1234;                /* the "result" */
	platform_switch(ctx, &regs, &trap);
	EXPECT_EQ(trap.kind, TRAP_FAULT);
	EXPECT_EQ(trap.signo, SIGTRAP);
	EXPECT_EQ(regs.rax, 1234);
	EXPECT_EQ(regs.rip, CODE + 8);
	EXPECT_EQ(regs.r15, REGS_UNFETCHED);
	platform_ctx_regs(ctx, &regs);
	EXPECT_EQ(regs.r15, 43);
	EXPECT_EQ(regs.rbx, 0x1122334455667788ULL);

	platform_switch(ctx, &regs, &trap);
	EXPECT_EQ(trap.kind, TRAP_FAULT);
	EXPECT_EQ(trap.signo, SIGSEGV);
	EXPECT_EQ(trap.addr, 0x500000);
	EXPECT_EQ(trap.access, PROT_READ);
	EXPECT_EQ(regs.rip, CODE + 8);

	/* Skip the load; the thread then spins until interrupted. */
	regs.rip = CODE + 16;
	pthread_t th;
	pthread_create(&th, NULL, interrupter, NULL);
	platform_switch(ctx, &regs, &trap);
	pthread_join(th, NULL);
	EXPECT_EQ(trap.kind, TRAP_INTERRUPT);
	EXPECT_EQ(regs.rip, CODE + 16);

	/* The FP state can be fetched and reset. */
	uint32_t fpsize = 0;
	EXPECT(platform_ctx_fpstate(ctx, &fpsize) != NULL);
	EXPECT(fpsize >= 512);

	/* A stub that dies is reported as dead, not waited for forever:
	 * the reaper collects it and wakes the context. */
	int efd = eventfd(0, 0);
	pthread_create(&th, NULL, reaper, &efd);
	regs.rip = CODE + 16;
	kill(platform_as_pid(as), SIGKILL);
	platform_switch(ctx, &regs, &trap);
	EXPECT_EQ(trap.kind, TRAP_DEAD);
	eventfd_write(efd, 1);
	pthread_join(th, NULL);
	return unit_done();
}
