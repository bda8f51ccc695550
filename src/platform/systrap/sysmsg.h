/*
 * sysmsg.h: the memory shared between the sentry and its stub processes.
 *
 * This header is compiled both into the sentry and into the freestanding
 * stub, so it uses nothing but fixed-size integer types.
 *
 * Each stub process occupies a region of STUB_REGION_SIZE bytes at the top of
 * the application's address space (the application's addresses all lie below
 * it).  The region is laid out as:
 *
 *   +0                 stub code and read-only data (the embedded blob)
 *   +STUB_PRIV_OFF     the boot page: the seccomp filter and the stack a
 *                      new stub uses until its filter is in place
 *   +STUB_GLOBAL_OFF   the global page: shared by the sentry and all stubs
 *   +STUB_CTRL_OFF     the control area: the control thread's request page
 *                      (read-only in the stub), reply page and stack
 *   +STUB_THREADS_OFF  one STUB_AREA_SIZE area per stub thread:
 *                        sysmsg page | FP save area | boot stack | altstack
 *
 * Everything but the code and the boot page comes from the memory file, so
 * the sentry reaches it through its own mapping of that file.  Everything
 * in the memory file is writable by the application (which can jump into
 * stub code and map any of it): the sentry reads each field once,
 * validates it, and kills the stub on nonsense.  The code and the boot
 * page are private memory the sentry prepares at start-up and every stub
 * inherits by fork: until a new stub has installed its seccomp filter it
 * runs on that stack and takes that filter, so that no application
 * (whose stubs can map the new stub's control area) can change either
 * while the stub is still unfiltered.
 *
 * The handoff protocol on sysmsg.state: the stub writes SM_TRAPPED when it
 * hands the thread to the sentry; the sentry writes SM_APP, SM_OPS or
 * SM_EXIT when it hands it back.  Whoever waits spins for a while, then sets
 * its *_waiting word and sleeps with FUTEX_WAIT on the state word; whoever
 * writes the state wakes the other side if its waiting word is set.
 *
 * A program's first STUB_EARLY_WAITS waits for the sentry that outlast the
 * spin (all its threads together, counted in ctrl_rep.early_waits) look
 * between sched_yield()s for up to STUB_EARLY_YIELD_US before they sleep,
 * unless the sentry said it blocks: a new program finds the sentry cold
 * (first-time paths, its own page faults), answers often take longer than
 * the spin, and a stub that sleeps lets its CPU halt, which on a virtual
 * machine costs 50-500 us to wake.
 */
#ifndef MOAT_SYSMSG_H
#define MOAT_SYSMSG_H

#define STUB_REGION_SIZE   0x20000000UL   /* 512 MiB reserved */
#define STUB_CODE_MAX      0x40000UL
#define STUB_PRIV_OFF      0x40000UL      /* the boot page(s), private */
#define STUB_PRIV_SIZE     0x10000UL      /* boot stack top at the end */
#define STUB_GLOBAL_OFF    0x80000UL
#define STUB_CTRL_OFF      0x100000UL
#define STUB_CTRL_SIZE     0x10000UL
/* Right after the control area: with the code, the boot and global pages
 * and the control area, the first thread's area shares one page-table
 * page (2 MiB of address space): page-table pages are dear to make and
 * to free on a machine with shadow paging (see mm_init_layout). */
#define STUB_THREADS_OFF   0x120000UL
#define STUB_AREA_SIZE     0x10000UL      /* 64 KiB, naturally aligned */
#define STUB_MAX_THREADS   4096
#define STUB_EARLY_WAITS   32
#define STUB_EARLY_YIELD_US 1000

/* Offsets within a thread area. */
#define AREA_SYSMSG_OFF    0x0
#define AREA_FP_OFF        0x1000
#define AREA_FP_SIZE       0x3000
#define AREA_BOOTSTACK_TOP 0x5000
#define AREA_ALTSTACK_OFF  0x5000
#define AREA_ALTSTACK_SIZE (STUB_AREA_SIZE - AREA_ALTSTACK_OFF)

/* Offsets within the control area. */
#define CTRL_REQ_OFF       0x0            /* read-only in the stub */
#define CTRL_REP_OFF       0x1000

/* The stub's copy of the memory file lives at this descriptor. */
#define STUB_MEMFD         0

/* A syscall number no filter allows: a new thread traps with it. */
#define STUB_NR_INIT_TRAP  0x3fff

/* Flags of the clone() that creates stub threads. */
#define STUB_CLONE_FLAGS   0x00050f00UL  /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */

#define SYSMSG_MAGIC       0x6d6f617473797331ULL  /* "moatsys1" */

/*
 * Patched syscall sites (kernel/usertrap.c) reach the stub without a
 * signal: a stub thread's GS base is its sysmsg page, and the trampoline
 * of a site jumps through %gs:SM_ENTRY_RIP with the return address in rcx.
 * Byte offsets of what entry.S and the trampolines touch (stub.c checks
 * them against the struct).
 */
#define SM_RAX   8
#define SM_RDI   16
#define SM_RSI   24
#define SM_RDX   32
#define SM_R10   40
#define SM_R8    48
#define SM_R9    56
#define SM_RIP   64
#define SM_RCX   72
#define SM_R11   80
#define SM_EFLAGS 88
#define SM_RSP   96
#define SM_RBX   128
#define SM_RBP   136
#define SM_R12   144
#define SM_R13   152
#define SM_R14   160
#define SM_R15   168
#define SM_APP_RSP      208
#define SM_INTR_PENDING 216
#define SM_ENTRY_RSP    264
#define SM_ENTRY_RIP    272

#ifndef __ASSEMBLER__
#include <stdint.h>

/* General registers, in the order of struct user_regs_struct. */
struct stub_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
	uint64_t fs_base, gs_base, ds, es, fs, gs;
};

enum sysmsg_state {
	SM_APP = 1,       /* sentry -> stub: run pending ops, resume the app */
	SM_OPS = 2,       /* sentry -> stub: run pending ops, report back */
	SM_TRAPPED = 3,   /* stub -> sentry: a trap (or ops done) to look at */
	SM_EXIT = 4,      /* sentry -> stub: the thread exits */
	SM_EXITED = 5,    /* stub -> sentry: the thread is about to exit */
	SM_DEAD = 6,      /* sentry's reaper: the stub process died */
	SM_FPSAVE = 7,    /* sentry -> stub: save the FP state, report back */
};

enum stub_trap {
	STUB_TRAP_INIT = 1,      /* a new thread is ready for its first run */
	STUB_TRAP_SYSCALL = 2,
	STUB_TRAP_FAULT = 3,
	STUB_TRAP_INTERRUPT = 4,
};
#define STUB_TRAP_PATCHED 0x100   /* flag: a syscall from a patched site */

#define STUB_MAX_OPS 32

struct stub_op {
	uint64_t nr;
	uint64_t args[6];
};

/*
 * The registers a stub thread carries in its sysmsg page: those of struct
 * stub_regs that the application owns (orig_rax and the segment bases are
 * the sentry's), in an order that puts a syscall's number and arguments
 * in the state word's cache line.  The sentry reads the eager ones at
 * every trap, the callee-saved ones (no syscall takes them as arguments)
 * only when it needs the whole set (platform_ctx_regs).
 */
#define SYSMSG_EAGER_REGS(X) \
	X(rax) X(rdi) X(rsi) X(rdx) X(r10) X(r8) X(r9) \
	X(rip) X(rcx) X(r11) X(eflags) X(rsp) X(cs) X(ss)
#define SYSMSG_LAZY_REGS(X) \
	X(rbx) X(rbp) X(r12) X(r13) X(r14) X(r15)

/*
 * Laid out by who writes what, one 64-byte cache line per group: a line
 * one CPU stores to must travel to the other CPU before it can read it
 * (30-100 ns on the machines seen), and a handoff is a chain of such
 * trips.
 *  - line 0 is a syscall's whole message: the stub fills in the trap and
 *    the registers, then the state; the sentry writes back rax (the
 *    result), then the state.  One trip each way.
 *  - line 1, the other registers the sentry reads at every trap: both
 *    sides store a field only if its value changed (they rarely do
 *    between two syscalls), so the line stays cached on both CPUs.
 *  - line 2, the callee-saved registers (which change all the time: loop
 *    counters) and a fault's details: the sentry reads it only when it
 *    needs them, so the stub's stores mostly stay in its own cache (a
 *    getppid round trip took 100 ns longer while the sentry read them at
 *    every trap).
 *  - line 3 is the stub's own, line 4 mostly the sentry's, written
 *    rarely; line 5 has the words that say a side sleeps; the op queue
 *    follows.
 */
struct sysmsg {
	uint32_t state;           /* futex word, enum sysmsg_state */
	uint32_t trap;            /* enum stub_trap | STUB_TRAP_PATCHED */
	uint64_t rax, rdi, rsi, rdx, r10, r8, r9;

	_Alignas(64) uint64_t rip;
	uint64_t rcx, r11, eflags, rsp, cs, ss;
	uint32_t syscall_arch;    /* AUDIT_ARCH_* of a syscall trap */
	/* FP state in the area's FP pages: saved by the stub at every trap
	 * but syscalls, where the sentry asks for it (SM_FPSAVE) only when it
	 * needs it; fp_size is 0 while it is not saved. */
	uint32_t fp_size;
	_Alignas(64) uint64_t rbx;
	uint64_t rbp, r12, r13, r14, r15;
	int32_t signo;            /* fault signal */
	int32_t si_code;
	uint64_t fault_addr;

	_Alignas(64) uint64_t trapno;         /* from the signal context */
	uint64_t err;
	uint64_t app_rsp;         /* patched entry: the application's rsp */
	uint32_t intr_pending;    /* an interrupt came while in stub code */
	uint32_t stub_cpu;        /* the CPU the thread last trapped on */
	uint64_t stat_stub_spins, stat_stub_sleeps;   /* for --debug-log */

	_Alignas(64) uint64_t magic;
	uint64_t entry_rsp;       /* patched entry: the stack it switches to */
	uint64_t entry_rip;       /* patched entry: stub_syscall_entry */
	/* Spinning: the stub's budget in TSC cycles, set by the sentry; and a
	 * hint that the sentry is about to block, so the stub sleeps at once. */
	uint64_t stub_spin_cycles;
	uint64_t fs_base;         /* sentry -> stub, with fs_dirty */
	uint32_t sentry_blocking;
	uint32_t fp_dirty;        /* sentry -> stub: load FP from the area */
	uint32_t fs_dirty;        /* sentry -> stub: apply fs_base */
	uint32_t nops;            /* ops to run before resuming / reporting */

	/* Read by the other side after every handoff, written only by a side
	 * about to sleep. */
	_Alignas(64) uint32_t stub_waiting;
	uint32_t sentry_waiting;
	struct stub_op ops[STUB_MAX_OPS];
	int64_t op_ret[STUB_MAX_OPS];
};

/* The control thread's request (read-only in the stub) and reply pages. */
enum ctrl_kind {
	CTRL_SYSCALL = 1,        /* run ops[0..nops) */
	CTRL_NEW_THREAD = 2,     /* map area arg0 (file offset) as index arg1, start a thread */
};

struct ctrl_req {
	uint64_t magic;
	uint32_t seq;            /* futex word; bumped per request */
	uint32_t kind;
	uint32_t nops;
	uint32_t pad;
	uint64_t arg[2];
	struct stub_op ops[STUB_MAX_OPS];
	uint64_t global_off;     /* file offset of the global page */
	/* CPU placement (see platform_as_new): the stub waits for `pinned`,
	 * then takes the sentry's CPU mask (cpus_len bytes; 0: keep its own). */
	uint32_t pinned;
	uint32_t cpus_len;
	uint64_t cpus[16];
};

/* At STUB_PRIV_OFF: what every stub needs before its filter is in
 * place: the filter, the sentry's pid, and the rseq area of the sentry
 * thread that forks (the main thread the first stub, the kernel thread the
 * factory: their children inherit its registration and unregister it
 * before dropping its memory). */
/* Host-file pages the sandbox's first stub maps while it still holds the
 * sentry's descriptors (platform_as_give_files): fd indexes the
 * descriptors that came with the message. */
struct stub_file_map {
	uint64_t addr, len, off;
	int32_t prot, fd;
};

#define STUB_FILE_MAPS 4

struct stub_files {
	uint32_t n;
	uint32_t pad;
	struct stub_file_map maps[STUB_FILE_MAPS];
};

struct stub_boot {
	uint64_t filter_len;     /* in sock_filter units */
	uint64_t filter[128];    /* struct sock_filter[] */
	uint32_t sentry_pid;
	uint32_t rseq_len;
	uint64_t rseq_addr;
	uint32_t rseq_sig;
	int32_t files_sock;      /* >= 0: wait for a struct stub_files on it */
	int32_t files_peer;      /* the sentry's end, closed first */
	uint32_t early_gate;     /* EARLY_*: the first stub's first thread,
				  * made before the filter, waits for it */
};
#define EARLY_NONE 0
#define EARLY_SHUT 1
#define EARLY_OPEN 2

struct ctrl_rep {
	uint32_t done;           /* futex word: seq of the last finished request */
	uint32_t ctrl_waiting;
	uint32_t sentry_waiting;
	uint32_t early_waits;    /* the program's waits that outlasted the
				  * spin, up to STUB_EARLY_WAITS; reset by exec */
	int64_t ret[STUB_MAX_OPS];
};

/* The global page: shared by all stubs and the sentry. */
struct stub_global {
	uint64_t tsc_per_us;     /* for spin budgets */
	uint32_t spinners;       /* threads spinning now, sentry and stubs */
	uint32_t max_spinners;   /* number of host CPUs */
	/* XSAVE on this host (0: none): the features the kernel saves in
	 * signal frames (a task's permitted ones: xsave_probe) and the size of
	 * their standard-form image. */
	uint64_t xfeatures;
	uint32_t xsave_size;
	uint32_t pad;
};

/*
 * After a handoff's store: CLDEMOTE moves the line out of this CPU's own
 * caches toward the shared last level, where the peer spinning on it
 * finds it, instead of snooping it out of this core.  A getppid round
 * trip took 180 ns instead of 350-490 on a Sapphire Rapids guest.  A
 * hint: CPUs without it execute it as a NOP.
 */
static inline void sysmsg_push(const void *line)
{
	__asm__ volatile("cldemote %0" : : "m"(*(const char *)line));
}

#endif /* __ASSEMBLER__ */

#endif
