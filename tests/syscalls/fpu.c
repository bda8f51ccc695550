/*
 * fpu.c - system calls must preserve the user register state.
 *
 * Part 1: an assembly helper (fpu_sys below) loads every general-purpose
 * register that the syscall ABI preserves, the vector registers (xmm0-15
 * with SSE, ymm0-15 with AVX, zmm0-31 and k0-7 with AVX-512) and two x87
 * stack slots with pseudo-random values, executes one `syscall`, and stores
 * everything back. All registers except rax (the result), rcx and r11 must
 * come back unchanged. This is repeated thousands of times with a mix of
 * cheap, sleeping and failing system calls, for each vector width the CPU
 * and OS support.
 *
 * Part 2: the floating-point control state (MXCSR rounding mode, FTZ/DAZ,
 * sticky exception flags; x87 control word) must survive system calls, and
 * float/double arithmetic interleaved with system calls must give
 * bit-identical results to the same arithmetic without. The rounding mode is
 * set the way fesetround() does it (x87 control word and MXCSR), but with
 * inline asm, so that the test does not need to link libm.
 *
 * Part 3: a signal handler's frame describes the FP state as Linux's does:
 * the software bytes (magic, sizes, features: printed, so that the run
 * under moat must match the native one, AMX hosts included) and the
 * XSAVE header's features within them; and with AVX, a ymm register's
 * upper half survives a handler that clobbers it (the state goes through
 * the frame and back at sigreturn).
 */
#define _GNU_SOURCE
#include <fenv.h>
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* Register image exchanged with fpu_sys. Offsets are used by the asm. */
enum { RAX, RBX, RCX, RDX, RSI, RDI, RBP, R8, R9, R10, R11, R12, R13, R14,
       R15, NGP };

struct regs {
	uint64_t gp[16];		/* indexed by the enum above */
	uint8_t vec[32][64];		/* xmm/ymm/zmm images */
	uint16_t k[8];			/* AVX-512 opmask registers */
	uint8_t x87[2][16];		/* st(0), st(1): 10 bytes used */
};

#define OFF_VEC 128
#define OFF_K   (OFF_VEC + 32 * 64)
#define OFF_X87 (OFF_K + 16)
_Static_assert(offsetof(struct regs, vec) == OFF_VEC, "vec offset");
_Static_assert(offsetof(struct regs, k) == OFF_K, "k offset");
_Static_assert(offsetof(struct regs, x87) == OFF_X87, "x87 offset");

#define MODE_SSE    0
#define MODE_AVX    1
#define MODE_AVX512 2

/* void fpu_sys(const struct regs *in, struct regs *out, long mode) */
void fpu_sys(const struct regs *in, struct regs *out, long mode);

#define S_(x) #x
#define S(x)  S_(x)
__asm__(
	".text\n"
	".globl fpu_sys\n"
	".type fpu_sys, @function\n"
	"fpu_sys:\n"
	/* Save the callee-saved registers, then out and mode. */
	"	push %rbx\n	push %rbp\n	push %r12\n"
	"	push %r13\n	push %r14\n	push %r15\n"
	"	push %rsi\n"			/* 8(%rsp): out */
	"	push %rdx\n"			/* 0(%rsp): mode */
	"	mov %rdi, %r11\n"		/* r11: in */
	/* Load the vector registers for the requested width. */
	"	cmp $" S(MODE_AVX) ", %rdx\n"
	"	je 2f\n"
	"	jg 3f\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu " S(OFF_VEC) "+\\i*64(%r11), %xmm\\i\n"
	"	.endr\n"
	"	jmp 4f\n"
	"2:\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu " S(OFF_VEC) "+\\i*64(%r11), %ymm\\i\n"
	"	.endr\n"
	"	jmp 4f\n"
	"3:\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	vmovdqu64 " S(OFF_VEC) "+\\i*64(%r11), %zmm\\i\n"
	"	.endr\n"
	"	.irp i,0,1,2,3,4,5,6,7\n"
	"	kmovw " S(OFF_K) "+\\i*2(%r11), %k\\i\n"
	"	.endr\n"
	"4:\n"
	/* Two x87 stack slots: st(1) = x87[1], st(0) = x87[0]. */
	"	fldt " S(OFF_X87) "+16(%r11)\n"
	"	fldt " S(OFF_X87) "(%r11)\n"
	/* General-purpose registers, including the syscall number/args. */
	"	mov 0*8(%r11), %rax\n"
	"	mov 1*8(%r11), %rbx\n"
	"	mov 3*8(%r11), %rdx\n"
	"	mov 4*8(%r11), %rsi\n"
	"	mov 5*8(%r11), %rdi\n"
	"	mov 6*8(%r11), %rbp\n"
	"	mov 7*8(%r11), %r8\n"
	"	mov 8*8(%r11), %r9\n"
	"	mov 9*8(%r11), %r10\n"
	"	mov 11*8(%r11), %r12\n"
	"	mov 12*8(%r11), %r13\n"
	"	mov 13*8(%r11), %r14\n"
	"	mov 14*8(%r11), %r15\n"
	"	syscall\n"
	/* Store everything back; rbx becomes the out pointer. */
	"	push %rax\n"
	"	push %rbx\n"
	"	mov 24(%rsp), %rbx\n"		/* out */
	"	mov %rcx, 2*8(%rbx)\n"
	"	mov %rdx, 3*8(%rbx)\n"
	"	mov %rsi, 4*8(%rbx)\n"
	"	mov %rdi, 5*8(%rbx)\n"
	"	mov %rbp, 6*8(%rbx)\n"
	"	mov %r8, 7*8(%rbx)\n"
	"	mov %r9, 8*8(%rbx)\n"
	"	mov %r10, 9*8(%rbx)\n"
	"	mov %r11, 10*8(%rbx)\n"
	"	mov %r12, 11*8(%rbx)\n"
	"	mov %r13, 12*8(%rbx)\n"
	"	mov %r14, 13*8(%rbx)\n"
	"	mov %r15, 14*8(%rbx)\n"
	"	pop %rax\n"
	"	mov %rax, 1*8(%rbx)\n"		/* rbx */
	"	pop %rax\n"
	"	mov %rax, 0*8(%rbx)\n"		/* rax: result */
	"	fstpt " S(OFF_X87) "(%rbx)\n"
	"	fstpt " S(OFF_X87) "+16(%rbx)\n"
	"	mov (%rsp), %rdx\n"		/* mode */
	"	cmp $" S(MODE_AVX) ", %rdx\n"
	"	je 2f\n"
	"	jg 3f\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu %xmm\\i, " S(OFF_VEC) "+\\i*64(%rbx)\n"
	"	.endr\n"
	"	jmp 4f\n"
	"2:\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu %ymm\\i, " S(OFF_VEC) "+\\i*64(%rbx)\n"
	"	.endr\n"
	"	vzeroupper\n"
	"	jmp 4f\n"
	"3:\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
	"	vmovdqu64 %zmm\\i, " S(OFF_VEC) "+\\i*64(%rbx)\n"
	"	.endr\n"
	"	.irp i,0,1,2,3,4,5,6,7\n"
	"	kmovw %k\\i, " S(OFF_K) "+\\i*2(%rbx)\n"
	"	.endr\n"
	"	vzeroupper\n"
	"4:\n"
	"	add $16, %rsp\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n"
	"	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n"
	".size fpu_sys, .-fpu_sys\n");

/* Deterministic xorshift64 generator. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct timespec ts_out;
static const struct timespec ts_short = { 0, 1000 };	/* 1 us */

/*
 * Fill *in with random register contents and one system call chosen by i.
 * Returns the expected result in rax (or 1 for "any non-negative value").
 */
static long setup(struct regs *in, unsigned i)
{
	for (int r = 0; r < NGP; r++)
		in->gp[r] = rnd();
	for (int v = 0; v < 32; v++)
		for (int b = 0; b < 64; b += 8) {
			uint64_t x = rnd();
			memcpy(&in->vec[v][b], &x, 8);
		}
	for (int k = 0; k < 8; k++)
		in->k[k] = (uint16_t)rnd();
	for (int s = 0; s < 2; s++) {
		/* A finite long double; its 10-byte image round-trips. */
		long double x = (long double)(int64_t)rnd() / 12345.0L;
		memset(in->x87[s], 0, 16);
		memcpy(in->x87[s], &x, 10);
	}
	switch (i % 8) {
	case 0:
		in->gp[RAX] = SYS_getpid;
		return getpid();
	case 1:
		in->gp[RAX] = SYS_getppid;
		return getppid();
	case 2:
		in->gp[RAX] = SYS_gettid;
		return getpid();
	case 3:
		in->gp[RAX] = SYS_clock_gettime;
		in->gp[RDI] = CLOCK_MONOTONIC;
		in->gp[RSI] = (uintptr_t)&ts_out;
		return 0;
	case 4:
		in->gp[RAX] = SYS_sched_yield;
		return 0;
	case 5:
		in->gp[RAX] = 1000;		/* no such system call */
		return -ENOSYS;
	case 6:
		in->gp[RAX] = SYS_write;	/* zero-length write */
		in->gp[RDI] = 1;
		in->gp[RSI] = (uintptr_t)&ts_out;
		in->gp[RDX] = 0;
		return 0;
	default:
		if (i % 64 == 7) {		/* a real (short) sleep */
			in->gp[RAX] = SYS_nanosleep;
			in->gp[RDI] = (uintptr_t)&ts_short;
			in->gp[RSI] = 0;
			return 0;
		}
		in->gp[RAX] = SYS_getuid;
		return getuid();
	}
}

/* Run n system calls with register checks; returns the number of bad ones. */
static int check_registers(int mode, unsigned n)
{
	static const int preserved[] = { RBX, RDX, RSI, RDI, RBP, R8, R9, R10,
					 R12, R13, R14, R15 };
	static const char *const gpname[] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9",
		"r10", "r11", "r12", "r13", "r14", "r15" };
	int nvec = mode == MODE_AVX512 ? 32 : 16;
	size_t width = mode == MODE_SSE ? 16 : mode == MODE_AVX ? 32 : 64;
	static struct regs in, out;
	int bad = 0;

	for (unsigned i = 0; i < n && bad < 5; i++) {
		long want = setup(&in, i);
		int ok = 1;

		memset(&out, 0, sizeof(out));
		fpu_sys(&in, &out, mode);
		if ((long)out.gp[RAX] != want)
			ok = check_fail(__FILE__, __LINE__,
					"mode %d syscall %lu: result (got %ld, want %ld)",
					mode, (unsigned long)in.gp[RAX],
					(long)out.gp[RAX], want);
		for (size_t r = 0; r < sizeof(preserved) / sizeof(*preserved); r++) {
			int g = preserved[r];
			if (out.gp[g] != in.gp[g])
				ok = check_fail(__FILE__, __LINE__,
						"mode %d syscall %lu: %s (got %#lx, want %#lx)",
						mode, (unsigned long)in.gp[RAX],
						gpname[g], (unsigned long)out.gp[g],
						(unsigned long)in.gp[g]);
		}
		for (int v = 0; v < nvec; v++)
			if (memcmp(out.vec[v], in.vec[v], width) != 0)
				ok = check_fail(__FILE__, __LINE__,
						"mode %d syscall %lu: vector register %d changed",
						mode, (unsigned long)in.gp[RAX], v);
		if (mode == MODE_AVX512 && memcmp(out.k, in.k, sizeof(in.k)) != 0)
			ok = check_fail(__FILE__, __LINE__,
					"mode %d syscall %lu: opmask registers changed",
					mode, (unsigned long)in.gp[RAX]);
		if (memcmp(out.x87, in.x87, sizeof(in.x87)) != 0)
			ok = check_fail(__FILE__, __LINE__,
					"mode %d syscall %lu: x87 registers changed",
					mode, (unsigned long)in.gp[RAX]);
		bad += !ok;
	}
	return bad;
}

static unsigned read_mxcsr(void)
{
	return __builtin_ia32_stmxcsr();
}

static unsigned short read_x87cw(void)
{
	unsigned short cw;

	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

static void write_x87cw(unsigned short cw)
{
	__asm__ volatile("fldcw %0" : : "m"(cw));
}

/* Equivalent of fesetround(mode) for FE_TONEAREST/FE_UPWARD/...: */
static void set_round(unsigned mode)
{
	write_x87cw((unsigned short)((read_x87cw() & ~0x0c00) | mode));
	__builtin_ia32_ldmxcsr((read_mxcsr() & ~0x6000) | (mode << 3));
}

/* A float/double computation whose last bits depend on the rounding mode. */
static double compute(int with_syscalls, float *fout)
{
	volatile double d = 1.0;
	volatile float f = 1.0f;

	for (int i = 1; i <= 2000; i++) {
		d = d / 3.0 + 1.0 / i;
		f = f * 1.0001f + 1.0f / (float)i;
		if (with_syscalls) {
			syscall(SYS_getppid);
			if (i % 16 == 0)
				syscall(SYS_sched_yield);
		}
	}
	*fout = f;
	return d;
}

static void check_control_state(void)
{
	const unsigned ftz_daz = 0x8040;	/* MXCSR.FTZ | MXCSR.DAZ */
	unsigned mxcsr;
	unsigned short cw;
	double d_near, d_up, d_up2;
	float f_near, f_up, f_up2;
	int bad = 0;

	d_near = compute(0, &f_near);

	set_round(FE_UPWARD);
	/* Flush-to-zero on, sticky exception flags cleared. */
	__builtin_ia32_ldmxcsr((read_mxcsr() | ftz_daz) & ~FE_ALL_EXCEPT);
	{ volatile double x = 1.0, y = 3.0; x /= y; }	/* sets FE_INEXACT */
	mxcsr = read_mxcsr();
	cw = read_x87cw();
	CHECK_EQ(mxcsr & 0x6000, 0x4000);	/* RC = round up */
	CHECK_EQ(cw & 0x0c00, 0x0800);		/* x87 RC = round up */
	CHECK(mxcsr & FE_INEXACT);

	for (int i = 0; i < 3000 && bad < 5; i++) {
		struct timespec ts;

		switch (i % 3) {
		case 0: syscall(SYS_getpid); break;
		case 1: syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts); break;
		default: syscall(SYS_getppid); break;
		}
		if (read_mxcsr() != mxcsr)
			bad += !check_fail(__FILE__, __LINE__,
				"MXCSR after syscall (got %#x, want %#x)",
				read_mxcsr(), mxcsr);
		if (read_x87cw() != cw)
			bad += !check_fail(__FILE__, __LINE__,
				"x87 control word after syscall (got %#x, want %#x)",
				read_x87cw(), cw);
	}
	CHECK_EQ(read_mxcsr(), mxcsr);
	CHECK_EQ(read_x87cw(), cw);

	/* Same arithmetic with and without system calls in between. */
	d_up = compute(0, &f_up);
	d_up2 = compute(1, &f_up2);
	CHECK(memcmp(&d_up, &d_up2, sizeof(d_up)) == 0);
	CHECK(memcmp(&f_up, &f_up2, sizeof(f_up)) == 0);
	/* ... and the rounding mode really was in effect. */
	CHECK(d_up != d_near || f_up != f_near);

	__builtin_ia32_ldmxcsr(read_mxcsr() & ~ftz_daz);
	set_round(FE_TONEAREST);
	d_up = compute(1, &f_up);
	CHECK(memcmp(&d_up, &d_near, sizeof(d_up)) == 0);
	CHECK(memcmp(&f_up, &f_near, sizeof(f_up)) == 0);
}

struct frame_fp {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint64_t xstate_bv;
};
static struct frame_fp frame_fp;

static void fp_handler(int sig, siginfo_t *si, void *ctx)
{
	const uint8_t *fp = (const uint8_t *)((ucontext_t *)ctx)->uc_mcontext.fpregs;

	(void)sig;
	(void)si;
	memcpy(&frame_fp.magic1, fp + 464, 4);
	memcpy(&frame_fp.extended_size, fp + 468, 4);
	memcpy(&frame_fp.xfeatures, fp + 472, 8);
	memcpy(&frame_fp.xstate_size, fp + 480, 4);
	if (frame_fp.magic1 == 0x46505853)      /* FP_XSTATE_MAGIC1 */
		memcpy(&frame_fp.xstate_bv, fp + 512, 8);
}

static void check_signal_frame(void)
{
	struct sigaction sa = { .sa_sigaction = fp_handler, .sa_flags = SA_SIGINFO };

	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	CHECK_EQ(raise(SIGUSR1), 0);
	printf("signal frame: magic1 %#x extended_size %u xfeatures %#llx xstate_size %u\n",
	       frame_fp.magic1, frame_fp.extended_size, (unsigned long long)frame_fp.xfeatures,
	       frame_fp.xstate_size);
	if (frame_fp.magic1 == 0x46505853) {
		CHECK_EQ(frame_fp.extended_size, frame_fp.xstate_size + 4);
		CHECK_EQ(frame_fp.xstate_bv & ~frame_fp.xfeatures, 0);
	}
}

static void clobber_ymm8(int sig)
{
	(void)sig;
	__asm__ volatile("vpcmpeqb %%ymm8, %%ymm8, %%ymm8" ::: "xmm8");
}

static void check_signal_keeps_avx(void)
{
	long pid = getpid(), ret;
	int bad = 0;

	CHECK_EQ(signal(SIGUSR2, clobber_ymm8) != SIG_ERR, 1);
	for (int n = 0; n < 500; n++) {
		unsigned char in[32], out[32];
		for (int i = 0; i < 32; i++)
			in[i] = (unsigned char)(i * 7 + n);
		/* kill(pid, SIGUSR2) with ymm8 set: the handler runs as the
		 * syscall returns. */
		__asm__ volatile("vmovdqu %2, %%ymm8\n\t"
				 "syscall\n\t"
				 "vmovdqu %%ymm8, %0"
				 : "=m"(out), "=a"(ret)
				 : "m"(in), "a"(SYS_kill), "D"(pid), "S"(SIGUSR2)
				 : "rcx", "r11", "memory", "xmm8");
		bad += ret != 0 || memcmp(in, out, sizeof(in)) != 0;
	}
	CHECK_EQ(bad, 0);
	signal(SIGUSR2, SIG_DFL);
}

int main(void)
{
	check_registers(MODE_SSE, 3000);
	if (__builtin_cpu_supports("avx"))
		check_registers(MODE_AVX, 3000);
	if (__builtin_cpu_supports("avx512f"))
		check_registers(MODE_AVX512, 3000);
	check_control_state();
	check_signal_frame();
	if (__builtin_cpu_supports("avx"))
		check_signal_keeps_avx();
	return check_done();
}
