/*
 * stub.c: the code that runs inside stub processes.
 *
 * Freestanding: no libc, no TLS, no stack protector, no writable globals.
 * Everything the stub needs is found from its own address (stub_base) and
 * the fixed layout in sysmsg.h.
 *
 * A stub process has two kinds of threads:
 *
 *  - the control thread (the process's first thread): it throws away the
 *    sentry memory inherited through fork, installs the signal handlers and
 *    the seccomp filter, then serves requests from the sentry on the control
 *    page: run a few address-space syscalls, or start a new stub thread;
 *
 *  - stub threads, one per application thread.  They run application code
 *    natively.  Every syscall the application makes outside stub code is
 *    turned into SIGSYS by the filter; faults raise their signals; the
 *    sentry interrupts a thread with SIGCHLD.  The handler (stub_handler),
 *    running on the thread's alternate stack inside its area, saves the
 *    registers and FP state into the sysmsg page, hands the thread to the
 *    sentry and waits; when the sentry hands it back it loads the
 *    (possibly changed) registers into the signal frame and returns, and
 *    rt_sigreturn resumes the application.
 *
 * Patched syscall sites (kernel/usertrap.c) come in without a signal:
 * their trampoline jumps to stub_syscall_entry (entry.S), which saves the
 * registers into the sysmsg page (found through GS) and calls
 * stub_patched_trap; back in entry.S the registers are loaded and the
 * thread jumps to the application.  What needs a signal frame there
 * (saving or loading the FP state: the kernel formats and checks it) goes
 * through a ud2 at a known address, whose SIGILL the handler serves.  An
 * interrupt (SIGCHLD) that finds the thread in stub code is remembered in
 * intr_pending and taken before the return, or, once the return has
 * started, the handler resumes the application from the sysmsg registers
 * itself.
 */
#include <stdint.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <asm/prctl.h>
#include <asm/unistd.h>
#include <asm/sigcontext.h>

#include "../sysmsg.h"

/* Everything is local to the blob: PC-relative addressing, no GOT. */
#pragma GCC visibility push(hidden)

/* Kernel ABI signal structures (asm/signal.h's sigaction is the old one). */
struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

struct k_stack {
	void *ss_sp;
	int ss_flags;
	uint64_t ss_size;
};

struct k_siginfo {
	int si_signo, si_errno, si_code, pad;
	union {
		struct { uint64_t addr; } fault;
		struct { uint64_t call_addr; int syscall; unsigned arch; } sys;
		char raw[112];
	};
};

struct k_ucontext {
	unsigned long uc_flags;
	struct k_ucontext *uc_link;
	struct k_stack uc_stack;
	struct sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGSEGV 11
#define SIGCHLD 17
#define SIGSYS 31
#define SA_SIGINFO 0x4
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000
#define AUDIT_ARCH_X86_64 0xc000003e

extern char stub_base[], stub_end[];
extern char stub_patched_return[], stub_patched_end[];
extern char stub_fpsave_trap[], stub_fpload_trap[];
extern void stub_syscall_entry(void);
extern void stub_restorer(void);
extern void stub_init_trap(void) __attribute__((noreturn));
extern long stub_clone_thread(uint64_t area);
void stub_main(long memfd, uint64_t ctrl_off) __attribute__((noreturn));
void stub_factory_main(long memfd, long sock) __attribute__((noreturn));
long stub_fork_child(uint64_t ctrl_off);
void stub_thread_main(uint64_t area) __attribute__((noreturn));
void stub_patched_trap(int interrupt);

#define SM_CHECK(field, off) _Static_assert(offsetof(struct sysmsg, field) == off, #off)
SM_CHECK(rax, SM_RAX); SM_CHECK(rdi, SM_RDI); SM_CHECK(rsi, SM_RSI);
SM_CHECK(rdx, SM_RDX); SM_CHECK(r10, SM_R10); SM_CHECK(r8, SM_R8);
SM_CHECK(r9, SM_R9); SM_CHECK(rip, SM_RIP); SM_CHECK(rcx, SM_RCX);
SM_CHECK(r11, SM_R11); SM_CHECK(eflags, SM_EFLAGS); SM_CHECK(rsp, SM_RSP);
SM_CHECK(rbx, SM_RBX); SM_CHECK(rbp, SM_RBP); SM_CHECK(r12, SM_R12);
SM_CHECK(r13, SM_R13); SM_CHECK(r14, SM_R14); SM_CHECK(r15, SM_R15);
SM_CHECK(app_rsp, SM_APP_RSP); SM_CHECK(intr_pending, SM_INTR_PENDING);
SM_CHECK(entry_rsp, SM_ENTRY_RSP); SM_CHECK(entry_rip, SM_ENTRY_RIP);
_Static_assert(offsetof(struct sysmsg, rip) == 64 && offsetof(struct sysmsg, rbx) == 128 &&
	       offsetof(struct sysmsg, trapno) == 192 &&
	       offsetof(struct sysmsg, magic) == 256, "sysmsg cache lines");
_Static_assert(sizeof(struct sysmsg) <= AREA_FP_OFF, "sysmsg fits its page");
_Static_assert(sizeof(struct ctrl_req) <= CTRL_REP_OFF, "ctrl_req fits its page");
_Static_assert(sizeof(struct stub_boot) + 0x1000 <= STUB_PRIV_SIZE, "boot page and stack");
_Static_assert(STUB_PRIV_OFF + STUB_PRIV_SIZE == 0x50000 && STUB_CODE_MAX <= STUB_PRIV_OFF &&
	       STUB_PRIV_OFF + STUB_PRIV_SIZE <= STUB_GLOBAL_OFF, "entry.S's boot stack top");

static inline long sys6(long nr, long a1, long a2, long a3, long a4, long a5,
			long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static __attribute__((noreturn)) void die(int code)
{
	for (;;)
		sys1(__NR_exit_group, code);
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

static inline uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static void copy(void *dst, const void *src, uint64_t n)
{
	__asm__ volatile("rep movsb"
			 : "+D"(dst), "+S"(src), "+c"(n)
			 :
			 : "memory");
}

static inline uint64_t region(void) { return (uint64_t)stub_base; }

static inline struct stub_global *global(void)
{
	return (struct stub_global *)(region() + STUB_GLOBAL_OFF);
}

static void futex_wait(uint32_t *word, uint32_t val)
{
	sys4(__NR_futex, word, FUTEX_WAIT, val, 0);
}

static void futex_wake(uint32_t *word)
{
	sys3(__NR_futex, word, FUTEX_WAKE, 1);
}

/*
 * Waits until *word != cur: spins for at most budget TSC cycles (and only
 * while fewer threads spin than there are CPUs, and the sentry has not said
 * it is about to block), then sleeps on the futex with *waiting set.  An
 * application thread's wait (the one that counts spins; the control
 * thread's counts nothing) may yield first (sysmsg.h: early waits).
 */
static uint32_t wait_change(uint32_t *word, uint32_t cur, uint32_t *waiting,
			    uint64_t budget, const uint32_t *no_spin,
			    uint64_t *spins, uint64_t *sleeps)
{
	struct stub_global *g = global();
	uint32_t v;

	/* A short first spin (2 us) without registering as a spinner: most
	 * handoffs end within it, and the shared counter's cache line would
	 * cost every one of them two trips between CPUs. */
	if (budget && g->max_spinners) {
		uint64_t start = rdtsc(), quick = 2 * g->tsc_per_us;
		int counted = 0;
		if (quick > budget)
			quick = budget;
		for (;;) {
			v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
			if (v != cur) {
				if (counted)
					__atomic_fetch_sub(&g->spinners, 1, __ATOMIC_RELAXED);
				if (spins)
					(*spins)++;
				return v;
			}
			if (no_spin && __atomic_load_n(no_spin, __ATOMIC_RELAXED))
				break;
			cpu_relax();
			uint64_t spent = rdtsc() - start;
			if (spent >= budget)
				break;
			if (!counted && spent >= quick) {
				if (__atomic_load_n(&g->spinners, __ATOMIC_RELAXED) >=
				    __atomic_load_n(&g->max_spinners, __ATOMIC_RELAXED))
					break;
				__atomic_fetch_add(&g->spinners, 1, __ATOMIC_RELAXED);
				counted = 1;
			}
		}
		if (counted)
			__atomic_fetch_sub(&g->spinners, 1, __ATOMIC_RELAXED);
		/* An application thread of a program still starting up:
		 * yield, rather than halt the CPU (sysmsg.h). */
		uint32_t *early = &((struct ctrl_rep *)(region() + STUB_CTRL_OFF + CTRL_REP_OFF))->early_waits;
		if (spins && __atomic_load_n(early, __ATOMIC_RELAXED) < STUB_EARLY_WAITS) {
			__atomic_fetch_add(early, 1, __ATOMIC_RELAXED);
			uint64_t ystart = rdtsc(), ybudget = STUB_EARLY_YIELD_US * g->tsc_per_us;
			while (!(no_spin && __atomic_load_n(no_spin, __ATOMIC_RELAXED)) &&
			       rdtsc() - ystart < ybudget) {
				sys1(__NR_sched_yield, 0);
				v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
				if (v != cur) {
					(*spins)++;
					return v;
				}
			}
		}
	}
	if (sleeps)
		(*sleeps)++;
	for (;;) {
		__atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
		v = __atomic_load_n(word, __ATOMIC_SEQ_CST);
		if (v != cur)
			break;
		futex_wait(word, cur);
	}
	__atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
	return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

/* Publishes a new state and wakes the sentry if it sleeps on it;
 * returns whether it had to. */
static int set_state(uint32_t *word, uint32_t v, uint32_t *waiting)
{
	__atomic_store_n(word, v, __ATOMIC_SEQ_CST);
	sysmsg_push(word);
	if (!__atomic_load_n(waiting, __ATOMIC_SEQ_CST))
		return 0;
	futex_wake(word);
	return 1;
}

static void run_ops(const struct stub_op *ops, int64_t *ret, uint32_t n)
{
	if (n > STUB_MAX_OPS)
		n = STUB_MAX_OPS;
	for (uint32_t i = 0; i < n; i++) {
		const struct stub_op *op = &ops[i];
		ret[i] = sys6((long)op->nr, (long)op->args[0], (long)op->args[1],
			      (long)op->args[2], (long)op->args[3],
			      (long)op->args[4], (long)op->args[5]);
	}
}

/* ---- stub threads ---- */

static inline struct sysmsg *current_msg(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	return (struct sysmsg *)(sp & ~(STUB_AREA_SIZE - 1));
}

/* Stores that leave a line alone when the value is already there: the
 * sentry has the line cached and reads it at every trap. */
static inline void put64(uint64_t *p, uint64_t v)
{
	if (*p != v)
		*p = v;
}

static inline void put32(uint32_t *p, uint32_t v)
{
	if (*p != v)
		*p = v;
}

static void save_regs(struct sysmsg *m, const struct sigcontext *sc)
{
	m->rax = sc->rax; m->rdi = sc->rdi; m->rsi = sc->rsi; m->rdx = sc->rdx;
	m->r10 = sc->r10; m->r8 = sc->r8; m->r9 = sc->r9;
	put64(&m->rip, sc->rip); put64(&m->rcx, sc->rcx); put64(&m->r11, sc->r11);
	put64(&m->eflags, sc->eflags); put64(&m->rsp, sc->rsp);
	put64(&m->rbx, sc->rbx); put64(&m->rbp, sc->rbp); put64(&m->r12, sc->r12);
	put64(&m->r13, sc->r13); put64(&m->r14, sc->r14); put64(&m->r15, sc->r15);
	put64(&m->cs, sc->cs); put64(&m->ss, sc->ss);
}

static void load_regs(struct sigcontext *sc, const struct sysmsg *m)
{
	sc->r8 = m->r8; sc->r9 = m->r9; sc->r10 = m->r10; sc->r11 = m->r11;
	sc->r12 = m->r12; sc->r13 = m->r13; sc->r14 = m->r14; sc->r15 = m->r15;
	sc->rdi = m->rdi; sc->rsi = m->rsi; sc->rbp = m->rbp; sc->rbx = m->rbx;
	sc->rdx = m->rdx; sc->rax = m->rax; sc->rcx = m->rcx; sc->rsp = m->rsp;
	sc->rip = m->rip; sc->eflags = m->eflags;
}

/* Bytes of the FP area in a signal frame (legacy fxsave area if no xsave). */
static uint32_t frame_fp_size(const struct _fpstate_64 *fp)
{
	const struct _fpx_sw_bytes *sw = &fp->sw_reserved;

	if (sw->magic1 == FP_XSTATE_MAGIC1 && sw->extended_size <= AREA_FP_SIZE)
		return sw->extended_size;
	return 512;
}

/*
 * The patched path's FP state, without a signal frame: XSAVE into the
 * area in the kernel's signal-frame format (the software bytes that
 * describe it, FP_XSTATE_MAGIC2 after it), and XRSTOR from it after the
 * checks that keep XRSTOR from faulting (header, MXCSR); an image that
 * fails them goes through a signal frame, where the kernel judges it.
 */
static int xsave_area(struct sysmsg *m)
{
	struct stub_global *g = global();
	uint8_t *a = (uint8_t *)m + AREA_FP_OFF;
	uint32_t size = g->xsave_size;
	uint64_t xfeatures = g->xfeatures;

	if (!size || size + 4 > AREA_FP_SIZE)
		return 0;
	for (int i = 512; i < 576; i++)
		a[i] = 0;
	__asm__ volatile("xsave64 %0" : "+m"(*(uint8_t (*)[AREA_FP_SIZE])a)
			 : "a"((uint32_t)xfeatures), "d"((uint32_t)(xfeatures >> 32)));
	struct _fpx_sw_bytes *sw = (struct _fpx_sw_bytes *)(a + 464);
	sw->magic1 = FP_XSTATE_MAGIC1;
	sw->extended_size = size + 4;
	sw->xfeatures = xfeatures;
	sw->xstate_size = size;
	for (int i = 0; i < 7; i++)
		sw->padding[i] = 0;
	*(uint32_t *)(a + size) = FP_XSTATE_MAGIC2;
	m->fp_size = size + 4;
	return 1;
}

static int xrstor_area(struct sysmsg *m)
{
	struct stub_global *g = global();
	uint8_t *a = (uint8_t *)m + AREA_FP_OFF;
	uint64_t xfeatures = g->xfeatures;
	const uint64_t *hdr = (const uint64_t *)(a + 512);

	if (!g->xsave_size || m->fp_size < 576)
		return 0;
	if ((hdr[0] & ~xfeatures) || hdr[1])
		return 0;
	for (int i = 2; i < 8; i++)
		if (hdr[i])
			return 0;
	if (*(const uint32_t *)(a + 24) & 0xffff0000u)   /* MXCSR reserved bits */
		return 0;
	__asm__ volatile("xrstor64 %0" :: "m"(*(const uint8_t (*)[AREA_FP_SIZE])a),
			 "a"((uint32_t)xfeatures), "d"((uint32_t)(xfeatures >> 32)));
	return 1;
}

/* Copies the frame's FP state into the area. */
static void save_fp(struct sysmsg *m, const struct _fpstate_64 *fp)
{
	put32(&m->fp_size, fp ? frame_fp_size(fp) : 0);
	if (fp)
		copy((uint8_t *)m + AREA_FP_OFF, fp, m->fp_size);
}

/*
 * Hands the trapped thread to the sentry (m->trap and the registers are
 * filled in) and serves it until it says SM_APP; fp is the signal frame's
 * FP state, or NULL on the patched path (which saves it through a ud2).
 * Runs the ops queued for the return and applies a new FS base.
 */
static __attribute__((noinline)) void sentry_round_trip(struct sysmsg *m,
							const struct _fpstate_64 *fp)
{
	uint32_t st;
	/* Where this thread runs, for the sentry's leave_stub_cpu: the limit
	 * of Linux's per-CPU segment 0x7b is node << 12 | cpu (what its vDSO
	 * reads without RDPID; RDTSCP's TSC_AUX may be hidden by a
	 * hypervisor). */
	uint32_t cpunode;
	__asm__ volatile("lsl %1, %0" : "=r"(cpunode) : "r"(0x7bu));
	put32(&m->stub_cpu, cpunode & 0xfff);
	/* The sentry was asleep: its answer comes a wake-up later, so spin
	 * past that, or both sides keep missing each other. */
	uint64_t budget = m->stub_spin_cycles;
	if (set_state(&m->state, SM_TRAPPED, &m->sentry_waiting))
		budget = max_u64(budget, 50 * global()->tsc_per_us);

	for (;;) {
		st = wait_change(&m->state, SM_TRAPPED, &m->stub_waiting,
				 budget, &m->sentry_blocking,
				 &m->stat_stub_spins, &m->stat_stub_sleeps);
		budget = m->stub_spin_cycles;
		if (st == SM_OPS) {
			run_ops(m->ops, m->op_ret, m->nops);
			m->nops = 0;
			set_state(&m->state, SM_TRAPPED, &m->sentry_waiting);
			continue;
		}
		if (st == SM_FPSAVE) {
			if (fp)
				save_fp(m, fp);
			else if (!xsave_area(m))
				__asm__ volatile(".globl stub_fpsave_trap\nstub_fpsave_trap: ud2" ::: "memory");
			set_state(&m->state, SM_TRAPPED, &m->sentry_waiting);
			continue;
		}
		if (st == SM_APP)
			break;
		if (st == SM_EXIT) {
			/* Nothing below touches the area after the store. */
			__atomic_store_n(&m->state, SM_EXITED, __ATOMIC_SEQ_CST);
			futex_wake(&m->state);
			for (;;)
				sys1(__NR_exit, 0);
		}
		/* Anything else is nonsense written by the application. */
		die(126);
	}
	if (m->nops) {
		run_ops(m->ops, m->op_ret, m->nops);
		m->nops = 0;
	}
	if (m->fs_dirty) {
		sys2(__NR_arch_prctl, ARCH_SET_FS, m->fs_base);
		m->fs_dirty = 0;
	}
}

/* Makes the frame resume the application with the sysmsg registers and,
 * if the sentry changed it, its FP state. */
static void resume_from_msg(struct sysmsg *m, struct sigcontext *sc, struct _fpstate_64 *fp)
{
	load_regs(sc, m);
	if (m->fp_dirty && fp) {
		uint32_t n = m->fp_size;
		if (n > frame_fp_size(fp))
			n = frame_fp_size(fp);
		copy(fp, (uint8_t *)m + AREA_FP_OFF, n);
		m->fp_dirty = 0;
	}
}

static int in_range(uint64_t x, const char *lo, const char *hi)
{
	return x >= (uint64_t)lo && x < (uint64_t)hi;
}

void stub_handler(int sig, struct k_siginfo *si, struct k_ucontext *uc)
{
	struct sysmsg *m = current_msg();
	struct sigcontext *sc = &uc->uc_mcontext;
	struct _fpstate_64 *fp = (struct _fpstate_64 *)sc->fpstate;
	uint64_t rip = sc->rip;
	uint32_t trap;

	if (m->magic != SYSMSG_MAGIC)
		die(126);

	/* The patched path's signals, which find the thread in stub code. */
	int fpload = sig == SIGILL && rip == (uint64_t)stub_fpload_trap;
	int returning = sig == SIGCHLD && in_range(rip, stub_patched_return, stub_patched_end);
	if (sig == SIGILL && rip == (uint64_t)stub_fpsave_trap) {
		save_fp(m, fp);
		sc->rip += 2;
		return;
	}
	if (fpload && !m->intr_pending) {
		resume_from_msg(m, sc, fp);
		return;
	}
	if (sig == SIGCHLD && in_range(rip, stub_base, stub_end) && !returning) {
		m->intr_pending = 1;      /* taken before the return */
		return;
	}
	if (fpload || returning) {
		/* The return had begun: report the interrupt with the
		 * registers the application is to resume with. */
		m->intr_pending = 0;
		put32(&m->fp_size, 0);
		m->trap = STUB_TRAP_INTERRUPT;
		sentry_round_trip(m, fp);
		resume_from_msg(m, sc, fp);
		return;
	}

	if (sig == SIGSYS) {
		int in_stub = si->sys.call_addr >= region() &&
			      si->sys.call_addr < (uint64_t)stub_end;
		trap = (in_stub && si->sys.syscall == STUB_NR_INIT_TRAP)
			       ? STUB_TRAP_INIT : STUB_TRAP_SYSCALL;
		put32(&m->syscall_arch, si->sys.arch);
	} else if (sig == SIGCHLD) {
		trap = STUB_TRAP_INTERRUPT;
	} else {
		trap = STUB_TRAP_FAULT;
		put32((uint32_t *)&m->signo, (uint32_t)sig);
		put32((uint32_t *)&m->si_code, (uint32_t)si->si_code);
		put64(&m->fault_addr, si->fault.addr);
	}
	put64(&m->trapno, sc->trapno);
	put64(&m->err, sc->err);
	save_regs(m, sc);
	/* Syscalls rarely need the FP state (a 2-3 KiB copy with AVX-512):
	 * the sentry asks for it with SM_FPSAVE when it does. */
	put32(&m->fp_size, 0);
	if (trap != STUB_TRAP_SYSCALL)
		save_fp(m, fp);
	m->trap = trap;
	sentry_round_trip(m, fp);
	resume_from_msg(m, sc, fp);
}

/*
 * The patched path (entry.S saved the registers): a syscall, or with
 * interrupt set an interrupt that came while the thread was in stub code.
 * Returns to entry.S, which resumes the application, unless the FP state
 * must be loaded: then the ud2 at stub_fpload_trap makes a signal frame
 * for the handler to resume it from.
 */
void stub_patched_trap(int interrupt)
{
	struct sysmsg *m = current_msg();

	if (m->magic != SYSMSG_MAGIC)
		die(126);
	put32(&m->intr_pending, 0);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (interrupt) {
		m->trap = STUB_TRAP_INTERRUPT;
	} else {
		put32(&m->syscall_arch, AUDIT_ARCH_X86_64);
		m->trap = STUB_TRAP_SYSCALL | STUB_TRAP_PATCHED;
	}
	put64(&m->trapno, 0);
	put64(&m->err, 0);
	put32(&m->fp_size, 0);
	sentry_round_trip(m, 0);
	if (m->eflags & 0x100)
		m->eflags &= ~0x100UL;   /* no single-stepping into stub code */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (m->fp_dirty) {
		if (xrstor_area(m))
			m->fp_dirty = 0;
		else
			__asm__ volatile(".globl stub_fpload_trap\nstub_fpload_trap: ud2" ::: "memory");
	}
}

void stub_thread_main(uint64_t area)
{
	struct k_stack ss = {
		.ss_sp = (void *)(area + AREA_ALTSTACK_OFF),
		.ss_flags = 0,
		.ss_size = AREA_ALTSTACK_SIZE,
	};

	if (sys2(__NR_sigaltstack, &ss, 0) != 0)
		die(125);
	if (sys2(__NR_arch_prctl, ARCH_SET_GS, area) != 0)
		die(125);
	/* The first stub's first thread is made before the stub has closed
	 * the descriptors it inherited (stub_main): its init trap waits. */
	uint32_t *gate = &((struct stub_boot *)(region() + STUB_PRIV_OFF))->early_gate;
	while (__atomic_load_n(gate, __ATOMIC_ACQUIRE) == EARLY_SHUT)
		futex_wait(gate, EARLY_SHUT);
	stub_init_trap();
}

/* ---- the control thread ---- */

static void install_handlers(void)
{
	static const int sigs[] = { SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL,
				    SIGTRAP, SIGCHLD };
	struct k_sigaction sa = {
		.handler = (void *)stub_handler,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.restorer = (void *)stub_restorer,
		.mask = ~0ULL,
	};
	uint64_t unblock = 0;

	/* The sentry installs no handlers of its own (bar the sanitizers',
	 * on the fault signals replaced here), so every other signal is
	 * still at its default action. */
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sys4(__NR_rt_sigaction, sigs[i], &sa, 0, 8) != 0)
			die(125);
		unblock |= 1ULL << (sigs[i] - 1);
	}
	uint64_t mask = ~unblock;
	sys4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &mask, 0, 8);
}

/* Kernel ABI socket message structures. */
struct k_iovec {
	void *base;
	uint64_t len;
};

struct k_msghdr {
	void *name;
	int namelen;
	struct k_iovec *iov;
	uint64_t iovlen;
	void *control;
	uint64_t controllen;
	unsigned flags;
};

struct k_cmsghdr {
	uint64_t len;
	int level, type;
	int fds[STUB_FILE_MAPS];
};

/* Receives a struct stub_files and its descriptors on sock and maps each
 * entry (privately, read-only: the sentry checked the list); errors leave
 * the placeholder.  The descriptors are closed with the rest.  A segment
 * of up to 1 MiB is populated from the page cache as it is mapped: one
 * call rather than a fault (~10 us on a virtual machine) per 64 KiB the
 * program touches; a larger one faults in as the program runs. */
static void map_files(long sock)
{
	struct stub_files files;
	struct k_cmsghdr cm;
	struct k_iovec iov = { &files, sizeof(files) };
	struct k_msghdr msg = { .iov = &iov, .iovlen = 1, .control = &cm,
				.controllen = sizeof(cm) };
	long n;

	do
		n = sys3(__NR_recvmsg, sock, &msg, 0x40000000 /* MSG_CMSG_CLOEXEC */);
	while (n == -4 /* EINTR */);
	if (n != (long)sizeof(files) || msg.controllen < 16 || cm.level != 1 /* SOL_SOCKET */ ||
	    cm.type != 1 /* SCM_RIGHTS */)
		return;
	uint32_t nfds = (uint32_t)((cm.len - 16) / sizeof(int));
	for (uint32_t i = 0; i < files.n && i < STUB_FILE_MAPS; i++) {
		const struct stub_file_map *fm = &files.maps[i];
		if (fm->fd < 0 || (uint32_t)fm->fd >= nfds || (fm->prot & ~5))
			continue;
		long flags = 0x12;     /* MAP_PRIVATE | MAP_FIXED */
		if (fm->len <= (1UL << 20))
			flags |= 0x8000;   /* MAP_POPULATE */
		sys6(__NR_mmap, (long)fm->addr, (long)fm->len, fm->prot, flags,
		     cm.fds[fm->fd], (long)fm->off);
	}
}

/*
 * Ties a freshly forked stub or factory to the sentry: it dies with the
 * sentry (and dies at once if the sentry is already gone and it was
 * re-parented), and the rseq area a child of the sentry's main thread
 * inherited is unregistered, for the sentry's memory is about to go and
 * the kernel would fault on it at every return to user (in a child of the
 * factory, which has none, the call fails harmlessly).
 */
static void leave_sentry(const struct stub_boot *boot)
{
	sys2(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL);
	if (sys0(__NR_getppid) != boot->sentry_pid)
		die(125);
	if (boot->rseq_len)
		sys4(__NR_rseq, boot->rseq_addr, boot->rseq_len, 1 /* UNREGISTER */,
		     boot->rseq_sig);
}

/*
 * The stub factory (systrap.c): forked once from the sentry with the
 * memory file and one end of a socket pair, it forks every later stub on
 * request, an 8-byte control-area offset in and the new stub's pid (or
 * -errno) out.  Forking this small process is cheaper than forking the
 * sentry, and interrupts no CPU the sentry runs on (a fork flushes the
 * forking process's TLB everywhere it is active).  It installs no filter,
 * as its children must still make the calls of stub_main: it never runs
 * application code, reads nothing but its socket, and its code and stack
 * are private memory no application can map.
 */
void stub_factory_main(long memfd, long sock)
{
	const struct stub_boot *boot = (const struct stub_boot *)(region() + STUB_PRIV_OFF);
	uint64_t base = region();

	leave_sentry(boot);
	long m = sys3(__NR_fcntl, memfd, 0 /* F_DUPFD */, 100);
	long s = sys3(__NR_fcntl, sock, 0 /* F_DUPFD */, 100);
	if (m < 0 || s < 0 || sys2(__NR_dup2, m, STUB_MEMFD) != STUB_MEMFD ||
	    sys2(__NR_dup2, s, 1) != 1)
		die(125);
	sys3(__NR_close_range, 2, ~0U, 0);
	sys2(__NR_munmap, 0, base);
	sys2(__NR_munmap, base + STUB_REGION_SIZE,
	     0x7ffffffff000UL - (base + STUB_REGION_SIZE));
	for (;;) {
		uint64_t off;
		long pid;
		if (sys3(__NR_read, 1, &off, sizeof(off)) != (long)sizeof(off))
			die(0);
		pid = stub_fork_child(off);
		if (sys3(__NR_write, 1, &pid, sizeof(pid)) != (long)sizeof(pid))
			die(0);
	}
}

void stub_main(long memfd, uint64_t ctrl_off)
{
	uint64_t base = region();
	struct ctrl_req *req = (struct ctrl_req *)(base + STUB_CTRL_OFF + CTRL_REQ_OFF);
	struct ctrl_rep *rep = (struct ctrl_rep *)(base + STUB_CTRL_OFF + CTRL_REP_OFF);
	const struct stub_boot *boot = (const struct stub_boot *)(base + STUB_PRIV_OFF);
	uint32_t done;

	/* Placed on another CPU by the sentry, then free to go anywhere. */
	while (!__atomic_load_n(&req->pinned, __ATOMIC_ACQUIRE))
		sys4(__NR_futex, &req->pinned, FUTEX_WAIT, 0, 0);
	if (req->cpus_len)
		sys3(__NR_sched_setaffinity, 0, req->cpus_len, (long)req->cpus);

	leave_sentry(boot);

	/* The request page becomes read-only; the global page is shared.
	 * Both are read at once: populated (0x8011: MAP_SHARED | MAP_FIXED |
	 * MAP_POPULATE), as a fault costs ~10 us on a virtual machine. */
	if (sys6(__NR_mmap, (long)req, 4096, 1 /* PROT_READ */, 0x8011,
		 memfd, (long)ctrl_off) != (long)req)
		die(125);
	if (sys6(__NR_mmap, (long)global(), 4096, 3, 0x8011, memfd,
		 (long)req->global_off) != (long)global())
		die(125);

	/* Drop every page of the sentry: below the region and above it.
	 * Below, the application's range gets one PROT_NONE placeholder
	 * mapping instead of nothing: the sentry's later mappings split it,
	 * and unmapping a piece leaves the page tables around it in place.
	 * Allocating and freeing page tables on every mmap/munmap is what
	 * makes them dear on this class of (virtualised) machine: 90 us
	 * against 25 us for a 16 KiB map, touch, unmap. */
	sys2(__NR_munmap, 0, base);
	sys6(__NR_mmap, 0x10000, (long)(base - 0x10000), 0 /* PROT_NONE */,
	     0x11 /* MAP_SHARED|MAP_FIXED */, memfd, 0);
	sys2(__NR_munmap, base + STUB_REGION_SIZE,
	     0x7ffffffff000UL - (base + STUB_REGION_SIZE));

	install_handlers();
	if (sys2(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1) != 0)
		die(125);
	/* The memory file takes its number now (moving the socket off it, if
	 * moat started without a standard input); a file to map cannot. */
	long files = boot->files_sock;
	if (files >= 0) {
		sys1(__NR_close, boot->files_peer);   /* so that the sentry's close ends the wait */
		if (files == STUB_MEMFD)
			files = sys3(__NR_fcntl, files, 0 /* F_DUPFD */, STUB_MEMFD + 1);
	}
	if (memfd != STUB_MEMFD && sys2(__NR_dup2, memfd, STUB_MEMFD) != STUB_MEMFD)
		die(125);

	/* The filter goes on while the stub has one thread, before anything
	 * below reads the (shared) request page: every thread made from here
	 * on inherits it.  Compiling it takes the kernel ~100 us here, which
	 * the first stub spends while the sentry still loads the program. */
	struct sock_fprog prog = {
		.len = (unsigned short)boot->filter_len,
		.filter = (struct sock_filter *)boot->filter,
	};
	if (sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		die(125);

	/* The sandbox's first stub, forked while the sentry sets up, waits
	 * here for the program's read-only segments and maps them straight
	 * from the host files' page cache, before its descriptors go: no
	 * copy into the memory file.  No application runs anywhere yet.  A
	 * map that fails (or no message) leaves the placeholder; the first
	 * touch then faults and the sentry maps its copy as usual. */
	/* Meanwhile it makes the thread the sentry asked for as it forked
	 * the stub (request 1), rather than on the way to the program's
	 * first instruction: ~110 us.  The thread waits at the gate until
	 * the descriptors are closed: no application code runs in a process
	 * holding any but the memory file. */
	uint32_t served = 0;
	long early_tid = 0;
	uint32_t *gate = &((struct stub_boot *)boot)->early_gate;
	if (files >= 0 && __atomic_load_n(&req->seq, __ATOMIC_ACQUIRE) == 1 &&
	    req->kind == CTRL_NEW_THREAD && req->arg[1] < STUB_MAX_THREADS) {
		uint64_t area = base + STUB_THREADS_OFF + req->arg[1] * STUB_AREA_SIZE;
		__atomic_store_n(gate, EARLY_SHUT, __ATOMIC_RELEASE);
		early_tid = sys6(__NR_mmap, (long)area, STUB_AREA_SIZE, 3, 0x11, STUB_MEMFD,
				 (long)req->arg[0]);
		if (early_tid == (long)area)
			early_tid = stub_clone_thread(area);
		else if (early_tid >= 0)
			early_tid = -12;
		served = 1;
	}
	if (files >= 0)
		map_files(files);
	if (sys3(__NR_close_range, STUB_MEMFD + 1, ~0U, 0) != 0)
		die(125);
	if (early_tid > 0) {
		__atomic_store_n(gate, EARLY_OPEN, __ATOMIC_RELEASE);
		futex_wake(gate);
	}

	/* Ready: answer request 0 (and 1, if served above), then serve. */
	done = served;
	if (served)
		rep->ret[0] = early_tid;
	rep->done = done;
	set_state(&rep->done, done, &rep->sentry_waiting);
	for (;;) {
		uint32_t seq = wait_change(&req->seq, done, &rep->ctrl_waiting,
					   0, 0, 0, 0);
		switch (req->kind) {
		case CTRL_SYSCALL:
			run_ops(req->ops, rep->ret, req->nops);
			break;
		case CTRL_NEW_THREAD: {
			uint64_t idx = req->arg[1];
			uint64_t area = base + STUB_THREADS_OFF + idx * STUB_AREA_SIZE;
			long r = -22;
			if (idx < STUB_MAX_THREADS) {
				r = sys6(__NR_mmap, (long)area, STUB_AREA_SIZE, 3,
					 0x11, STUB_MEMFD, (long)req->arg[0]);
				if (r == (long)area)
					r = stub_clone_thread(area);
				else if (r >= 0)
					r = -12;
			}
			rep->ret[0] = r;
			break;
		}
		default:
			rep->ret[0] = -22;
		}
		done = seq;
		set_state(&rep->done, done, &rep->sentry_waiting);
	}
}
