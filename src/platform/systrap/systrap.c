/*
 * systrap.c: the sentry's side of the systrap platform.
 *
 * Start-up (platform_init) reserves the stub region at a random address
 * near the top of the address space, copies the embedded stub blob there
 * (so every stub process, forked from the sentry, inherits it), allocates
 * the global page and assembles the stub's seccomp filter.
 *
 * An address space is a stub process forked from the sentry (see
 * stub_fork in the blob) or from the stub factory; its control thread changes the address space and clones stub
 * threads on request.  A context is one stub thread with its area of
 * memory-file pages; platform_switch() hands it the registers, waits for the
 * next trap and reads the trap back, once, validating what it reads.
 *
 * Waiting is adaptive spin-then-futex on both sides (see sysmsg.h): the
 * sentry spins for about as long as recent traps took to arrive, bounded by
 * SPIN_MAX_NS and by the number of host CPUs (no more spinners than CPUs),
 * so an idle or blocked sandbox costs no CPU.
 */
#include "platform/platform.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#ifdef __GLIBC__
#include <sys/rseq.h>
#endif
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "pgalloc/pgalloc.h"
#include "platform/systrap/stub_syms.h"
#include "util/util.h"

extern const char stub_blob[], stub_blob_end[];

#define SPIN_MAX_NS 20000      /* never spin longer than 20 us */
#define STUB_SPIN_NS 20000     /* stub spins this long for the sentry */
#define SPIN_QUICK_NS 2000     /* first part of a spin: no spinner count */
#define SPIN_WOKE_NS 50000     /* after a futex wake of the peer: longer than its wake-up */
#define YIELD_NS 200000        /* then yield the CPU between looks this long */
#define FIRST_REPLY_YIELD_NS 1000000  /* the first stub's start-up reply: this long */
#define CTRL_DEAD 0xffffffffU

struct platform_as {
	pid_t pid;
	int pidfd;                        /* readable when the stub dies */
	int files_sock;                   /* platform_as_give_files, or -1 */
	int refs;                         /* as_list_lock */
	int dead;
	int reaped;                       /* as_list_lock */
	uint64_t ctrl_off;
	struct ctrl_req *req;
	struct ctrl_rep *rep;
	pthread_mutex_t lock;             /* ctrl channel, thread slots, ctxs */
	uint32_t seq;
	/* The first thread, requested before the stub even starts. */
	struct platform_ctx *first;
	uint32_t first_seq;
	int first_pending;
	int64_t first_ret;
	/* Changes queued for the control thread. */
	struct stub_op pending[STUB_MAX_OPS];
	uint32_t npending;
	uint8_t slot_used[STUB_MAX_THREADS];
	int nctx;                         /* contexts in use (as->lock) */
	struct platform_ctx *ctxs;        /* list of live contexts */
	struct platform_ctx *idle;        /* parked for reuse (as->lock) */
	int nidle;
	/* Areas of stub threads that may still run: freed once reaped. */
	uint64_t *late_areas;
	int nlate, late_cap;
	struct platform_as *next;         /* in the list of all address spaces */
};

struct platform_ctx {
	struct platform_as *as;
	int idx;
	pid_t tid;
	uint64_t area_off;
	struct sysmsg *m;
	int trapped;                      /* the sentry owns the thread */
	uint64_t fs_base_applied;
	/* In TSC cycles (no division on a trap's way): */
	uint64_t spin_cycles;             /* adaptive sentry spin budget */
	uint64_t last_wait_cycles;        /* how long the last ctx_wait took */
	uint64_t stat_spins, stat_sleeps, stat_traps, stat_patched, stat_moves;
	/* What sysmsg's registers held when the sentry last read or wrote
	 * them (valid after the first trap): only changes are written back. */
	struct stub_regs last;
	int last_valid;
	int regs_fetched;                 /* platform_ctx_regs since the trap */
	/* Mappings queued to run as the thread resumes, kept to check. */
	struct stub_op deferred[STUB_MAX_OPS];
	uint32_t ndeferred;
	struct platform_ctx *next;
	struct platform_ctx *next_idle;
};

/* Exited threads' stub threads kept parked per address space, so that
 * the next thread starts without a round trip to the control thread. */
#define MAX_IDLE_CTX 8

static uint64_t region;               /* stub region base */
static uint64_t code_len;
static uint64_t global_off;
static struct stub_global *global;
static struct stub_boot *boot;         /* region + STUB_PRIV_OFF */
static cpu_set_t sentry_cpus;           /* the CPUs moat may use */
static int factory_fd = -1;             /* socket to the stub factory */
static bool factory_failed;
static bool placed_first;               /* the first stub was placed */
static pid_t sentry_pid;
static uint64_t tsc0, ns0;

/* The CPUs moat may use but cpu, in *set: whether there are any (none
 * either when cpu is not one of them). */
static bool cpus_without(int cpu, cpu_set_t *set)
{
	*set = sentry_cpus;
	if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, set))
		return false;
	CPU_CLR(cpu, set);
	return CPU_COUNT(set) > 0;
}

static pthread_mutex_t as_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct platform_as *as_list;

static __thread struct platform_ctx *current_ctx;

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

static struct platform_ctx *ctx_alloc(struct platform_as *as);

/* ---- the seccomp filter ---- */

/*
 * The filter lets a short list of syscalls through only when they are made
 * from stub code (the instruction pointer lies in the blob), with their
 * arguments pinned where that matters; everything else traps.  An
 * application that jumps into stub code can use these calls, so each one
 * is harmless to the host: mmap of a descriptor (a stub holds none but
 * the memory file once it has started), clone of stub threads only, futex
 * wait/wake, sched_yield, set the FS base, sigaltstack, exits and
 * rt_sigreturn, mprotect to any protection without write access, and the
 * two calls the first stub makes to map the program's read-only segments
 * from host files after its filter is on, before any application code
 * runs: recvmsg (with no socket left) and close_range (of its own
 * descriptors).
 */
static void build_filter(void)
{
	enum { TRAP_L = -1, ALLOW_L = -2 };
	struct { struct sock_filter f; int jt, jf; } p[64];
	int n = 0, i;
	const uint32_t ip_lo = (uint32_t)region, ip_hi = (uint32_t)(region >> 32);
#define OFF_NR 0
#define OFF_ARCH 4
#define OFF_IP_LO 8
#define OFF_IP_HI 12
#define OFF_ARG_LO(k) (16 + 8 * (k))
#define LD(off) p[n++] = (typeof(p[0])){ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off), 0, 0 }
	/* jt/jf: label (TRAP_L, ALLOW_L) or 0 = next instruction, or an
	 * absolute instruction index + 1000. */
#define J(op, k, t, f) p[n++] = (typeof(p[0])){ BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0), t, f }

	LD(OFF_ARCH);
	J(BPF_JEQ, AUDIT_ARCH_X86_64, 0, TRAP_L);
	LD(OFF_IP_HI);
	J(BPF_JEQ, ip_hi, 0, TRAP_L);
	LD(OFF_IP_LO);
	J(BPF_JGE, ip_lo, 0, TRAP_L);
	J(BPF_JGE, ip_lo + (uint32_t)code_len, TRAP_L, 0);
	LD(OFF_NR);
	J(BPF_JEQ, __NR_rt_sigreturn, ALLOW_L, 0);
	J(BPF_JEQ, __NR_munmap, ALLOW_L, 0);
	J(BPF_JEQ, __NR_exit, ALLOW_L, 0);
	J(BPF_JEQ, __NR_exit_group, ALLOW_L, 0);
	J(BPF_JEQ, __NR_sigaltstack, ALLOW_L, 0);
	J(BPF_JEQ, __NR_sched_yield, ALLOW_L, 0);
	/* the first stub's start-up, filtered already (stub_main) */
	J(BPF_JEQ, __NR_recvmsg, ALLOW_L, 0);
	J(BPF_JEQ, __NR_close_range, ALLOW_L, 0);
	int j_futex = n; J(BPF_JEQ, __NR_futex, 0, 0);
	int j_mmap = n; J(BPF_JEQ, __NR_mmap, 0, 0);
	int j_arch = n; J(BPF_JEQ, __NR_arch_prctl, 0, 0);
	int j_mprot = n; J(BPF_JEQ, __NR_mprotect, 0, 0);
	int j_clone = n; J(BPF_JEQ, __NR_clone, 0, TRAP_L);
	/* clone: exactly the stub-thread flags */
	LD(OFF_ARG_LO(0));
	J(BPF_JEQ, (uint32_t)STUB_CLONE_FLAGS, 0, TRAP_L);
	LD(OFF_ARG_LO(0) + 4);
	J(BPF_JEQ, 0, ALLOW_L, TRAP_L);
	p[j_futex].jt = 1000 + n;
	LD(OFF_ARG_LO(1));
	J(BPF_JEQ, FUTEX_WAIT, ALLOW_L, 0);
	J(BPF_JEQ, FUTEX_WAKE, ALLOW_L, TRAP_L);
	/* mmap: of a descriptor (a stub holds only the memory file once it
	 * has started; the first maps host files before that). */
	p[j_mmap].jt = 1000 + n;
	LD(OFF_ARG_LO(3));
	J(BPF_JSET, ~(uint32_t)(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_POPULATE),
	  TRAP_L, ALLOW_L);
	p[j_arch].jt = 1000 + n;
	LD(OFF_ARG_LO(0));
	J(BPF_JEQ, ARCH_SET_FS, ALLOW_L, 0);
	J(BPF_JEQ, ARCH_SET_GS, ALLOW_L, TRAP_L);   /* the sysmsg page */
	/* mprotect: never granting write access (copy-on-write pages,
	 * application mprotect calls that take access away). */
	p[j_mprot].jt = 1000 + n;
	LD(OFF_ARG_LO(2) + 4);
	J(BPF_JEQ, 0, 0, TRAP_L);
	LD(OFF_ARG_LO(2));
	J(BPF_JSET, ~(uint32_t)(PROT_READ | PROT_EXEC), TRAP_L, ALLOW_L);
	(void)j_clone;
	int trap_idx = n;
	p[n++] = (typeof(p[0])){ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP), 0, 0 };
	int allow_idx = n;
	p[n++] = (typeof(p[0])){ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), 0, 0 };
#undef LD
#undef J
	struct sock_filter *filter = (struct sock_filter *)boot->filter;
	_Static_assert(sizeof(boot->filter) >= sizeof(p[0].f) * ARRAY_SIZE(p), "filter size");
	for (i = 0; i < n; i++) {
		filter[i] = p[i].f;
		if (BPF_CLASS(p[i].f.code) != BPF_JMP)
			continue;
		int t[2] = { p[i].jt, p[i].jf };
		uint8_t *out[2] = { &filter[i].jt, &filter[i].jf };
		for (int k = 0; k < 2; k++) {
			int target = t[k] == TRAP_L ? trap_idx
				     : t[k] == ALLOW_L ? allow_idx
				     : t[k] >= 1000 ? t[k] - 1000 : i + 1;
			int rel = target - (i + 1);
			if (rel < 0 || rel > 255)
				panic("seccomp filter jump out of range");
			*out[k] = (uint8_t)rel;
		}
	}
	boot->filter_len = (uint64_t)n;
}

/* ---- start-up ---- */

static uint64_t random_u64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = rdtsc() * 0x9e3779b97f4a7c15ULL;
	return v;
}

/*
 * The patched syscall path saves and loads FP state with XSAVE itself
 * when the host has it, in the standard format of the features Linux
 * puts in a signal frame: a task's permitted ones (ARCH_GET_XCOMP_PERM,
 * Linux 5.16 on), else XCR0's but Linux's one dynamic feature, AMX tile
 * data, which it leaves out until a task asks for it.  Without this the
 * FP state of every signal went through a ud2 and a host signal frame on
 * AMX hosts (a raise() cost 26 us instead of 7; 1.1 natively).  Few
 * CPUIDs: each is a VM exit, 7 us here.
 */
#define XFEATURE_XTILE_DATA 18

static void xsave_probe(struct stub_global *g)
{
	unsigned a, b, c, d;
	uint32_t lo, hi, size = 576;          /* legacy area and header */
	uint64_t features = 0;

	/* More than x87 and SSE permitted: the kernel uses XSAVE. */
	if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &features) != 0 || features <= 3) {
		if (!cpu_has_osxsave())
			return;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		features = ((uint64_t)hi << 32 | lo) & ~(1ULL << XFEATURE_XTILE_DATA);
	}
	/* The highest feature's offset and size. */
	int last = 63 - __builtin_clzll(features | 1);
	if (last >= 2) {
		__cpuid_count(0xd, (unsigned)last, a, b, c, d);
		size = MAX(size, a + b);      /* size, offset */
	}
	if (size + 4 > AREA_FP_SIZE)
		return;
	g->xfeatures = features;
	g->xsave_size = size;
}

int platform_init(const char **why)
{
	int err;

	sentry_pid = getpid();
	if (sched_getaffinity(0, sizeof(sentry_cpus), &sentry_cpus) != 0)
		CPU_ZERO(&sentry_cpus);
	if (prctl(PR_GET_SECCOMP) < 0 && errno == EINVAL) {
		*why = "the host kernel has no seccomp support";
		return -ENOSYS;
	}
	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0,
		    &(uint32_t){ SECCOMP_RET_TRAP }) != 0) {
		*why = "the host kernel has no seccomp filters with SECCOMP_RET_TRAP";
		return -ENOSYS;
	}
	err = pgalloc_init();
	if (err) {
		*why = "cannot create the memory file (memfd_create)";
		return err;
	}

	code_len = ALIGN_UP((uint64_t)(stub_blob_end - stub_blob), PAGE_SIZE);
	if (code_len > STUB_CODE_MAX)
		panic("stub blob too large");

	/* The upper half of a random 1 GiB slot in [0x7e0000000000,
	 * 0x7f0000000000): the application's stack and vDSO go just below
	 * it, in the same GiB (mm_init_layout). */
	for (int tries = 0;; tries++) {
		uint64_t slot = 0x7e0000000000ULL + ((random_u64() % 1024) << 30) +
				(1ULL << 30) - STUB_REGION_SIZE;
		void *p = mmap((void *)slot, STUB_REGION_SIZE, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				       MAP_FIXED_NOREPLACE, -1, 0);
		if (p == (void *)slot) {
			region = slot;
			break;
		}
		if (p != MAP_FAILED)
			munmap(p, STUB_REGION_SIZE);
		if (tries > 64) {
			*why = "cannot reserve the stub region";
			return -ENOMEM;
		}
	}
	/* Populated: written at once, and a fault costs ~10 us here. */
	if (mmap((void *)region, code_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0) != (void *)region) {
		*why = "cannot map the stub code";
		return -errno;
	}
	memcpy((void *)region, stub_blob, (size_t)(stub_blob_end - stub_blob));
	if (mprotect((void *)region, code_len, PROT_READ | PROT_EXEC) != 0) {
		*why = "cannot protect the stub code";
		return -errno;
	}

	/* The boot page: private, so every stub forks its own copy. */
	boot = mmap((void *)(region + STUB_PRIV_OFF), STUB_PRIV_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (boot != (void *)(region + STUB_PRIV_OFF)) {
		*why = "cannot map the stub's boot page";
		return -ENOMEM;
	}
	boot->sentry_pid = (uint32_t)sentry_pid;
	boot->files_sock = -1;
	platform_set_forker();

	global_off = pgalloc_alloc_exact(1);
	if (global_off == PGALLOC_FAIL) {
		*why = "out of memory";
		return -ENOMEM;
	}
	global = pgalloc_ptr(global_off);
	global->tsc_per_us = 2000;            /* refined by platform_calibrate */
	xsave_probe(global);
	global->max_spinners = (uint32_t)CPU_COUNT(&sentry_cpus);   /* the CPUs moat may use */
	if (global->max_spinners < 2)
		global->max_spinners = 0;     /* never spin on one CPU */
	tsc0 = rdtsc();
	ns0 = host_now_ns();

	build_filter();
	return 0;
}

void platform_set_forker(void)
{
#ifdef __GLIBC__
	if (__rseq_size) {
		/* glibc registers at least the original 32-byte area. */
		boot->rseq_addr = (uint64_t)__builtin_thread_pointer() + (uint64_t)__rseq_offset;
		boot->rseq_len = (uint32_t)ALIGN_UP(MAX(__rseq_size, 32u), 32u);
		boot->rseq_sig = RSEQ_SIG;
	}
#endif
}

uint64_t platform_task_size(void) { return region; }

/* Refines the TSC rate from the time elapsed since start-up. */
static void calibrate(void)
{
	uint64_t ns = host_now_ns() - ns0;

	/* Over half a millisecond the rate is good to 1e-4, plenty for
	 * spin budgets; the first trap comes later than that. */
	if (ns > 500000) {
		uint64_t rate = (rdtsc() - tsc0) * 1000 / ns;
		if (rate > 100 && rate < 20000)
			WRITE_ONCE(global->tsc_per_us, rate);
	}
}

/* ---- the control channel ---- */

/* Posts a request to the control thread; as->lock held (or no other
 * user yet).  Returns its sequence number. */
static uint32_t ctrl_post(struct platform_as *as, uint32_t kind, uint64_t a0,
			  uint64_t a1, const struct stub_op *ops, uint32_t nops)
{
	struct ctrl_req *req = as->req;
	uint32_t seq;

	req->kind = kind;
	req->arg[0] = a0;
	req->arg[1] = a1;
	req->nops = nops;
	if (nops)
		memcpy(req->ops, ops, nops * sizeof(*ops));
	seq = ++as->seq;
	__atomic_store_n(&req->seq, seq, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&as->rep->ctrl_waiting, __ATOMIC_SEQ_CST))
		futex(&req->seq, FUTEX_WAKE, 1, NULL);
	return seq;
}

/* Waits for request seq to finish and reads n results.  0 or -ESRCH. */
static int ctrl_wait(struct platform_as *as, uint32_t seq, int64_t *ret, uint32_t n)
{
	struct ctrl_rep *rep = as->rep;
	uint64_t start = host_now_ns();
	uint32_t done;

	for (;;) {
		done = __atomic_load_n(&rep->done, __ATOMIC_ACQUIRE);
		if (done == seq || done == CTRL_DEAD)
			break;
		uint64_t waited = host_now_ns() - start;
		if (waited < 20000) {
			__asm__ volatile("pause");
			continue;
		}
		/* Then yield between looks, as ctx_wait does, rather than let
		 * this CPU halt: waking it took 300-500 us here. */
		if (waited < (as->first_pending && seq == as->first_seq ? FIRST_REPLY_YIELD_NS : YIELD_NS)) {
			sched_yield();
			continue;
		}
		__atomic_store_n(&rep->sentry_waiting, 1, __ATOMIC_SEQ_CST);
		done = __atomic_load_n(&rep->done, __ATOMIC_SEQ_CST);
		if (done != seq && done != CTRL_DEAD)
			futex(&rep->done, FUTEX_WAIT, done,
			      &(struct timespec){ 0, 100000000 });
		__atomic_store_n(&rep->sentry_waiting, 0, __ATOMIC_RELAXED);
		/* The reaper may be this very thread (start-up): look. */
		siginfo_t si = { 0 };
		if (!as->dead && waitid(P_PID, (id_t)as->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == as->pid) {
			moat_log("stub %d died while starting", as->pid);
			as->dead = 1;
		}
		if (as->dead)
			return -ESRCH;
	}
	if (done == CTRL_DEAD)
		return -ESRCH;
	for (uint32_t i = 0; i < n; i++)
		ret[i] = READ_ONCE(rep->ret[i]);
	return 0;
}

/* Collects the reply to the first thread's request, posted at fork. */
static int ctrl_wait_first(struct platform_as *as)
{
	int err = 0;

	if (as->first_pending) {
		err = ctrl_wait(as, as->first_seq, &as->first_ret, 1);
		if (err)
			as->first_ret = err;
		as->first_pending = 0;
	}
	return err;
}

/* One request, one reply; as->lock held. */
static int ctrl_call(struct platform_as *as, uint32_t kind, uint64_t a0,
		     uint64_t a1, const struct stub_op *ops, uint32_t nops,
		     int64_t *ret)
{
	if (as->dead)
		return -ESRCH;
	ctrl_wait_first(as);
	return ctrl_wait(as, ctrl_post(as, kind, a0, a1, ops, nops), ret, nops ? nops : 1);
}

/* ---- address spaces ---- */

/* dontfork_sentry's part of [lo, hi), less keep's page. */
static void dontfork_range(uint64_t lo, uint64_t hi, uint64_t keep)
{
	uint64_t k = ALIGN_DOWN(keep, PAGE_SIZE);

	if (keep && k >= lo && k < hi) {
		if (k > lo)
			madvise((void *)lo, k - lo, MADV_DONTFORK);
		lo = k + PAGE_SIZE;
	}
	/* Holes make it fail with ENOMEM, yet every mapping in the range is
	 * marked: no need to read /proc/self/maps (~50 us) to find them. */
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_DONTFORK);
}

/*
 * Marks every sentry mapping but the stub region MADV_DONTFORK, so that
 * forking a stub copies no page tables and leaves the sentry no pages to
 * copy on write afterwards (each such fault is dear on this class of
 * machine), and the stub has next to nothing to unmap.  The child never
 * touches sentry memory: stub_fork returns into stub code, which moves
 * onto its own stack before using one.  The one exception is the page
 * holding the forking thread's rseq area, which the kernel touches on the
 * child's way back from clone (the stub unregisters it at once).
 */
static void dontfork_sentry(uint64_t keep)
{
	dontfork_range(0, region, keep);
	dontfork_range(region + STUB_REGION_SIZE, 1UL << 47, keep);
}

/*
 * The stub factory (stub_factory_main): started with the second stub, so
 * that the first, which the sandbox waits for, comes straight from the
 * sentry.  Any failure and stubs come from the sentry again.
 */
static void factory_start(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		factory_failed = true;
		return;
	}
	dontfork_sentry(boot->rseq_addr);
	long pid = ((long (*)(long, long))(region + STUB_SYM_stub_fork_factory))(pgalloc_fd(), sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		factory_failed = true;
		return;
	}
	factory_fd = sv[0];
}

/* Forks a stub with control area ctrl_off; returns its pid or -errno. */
static long stub_spawn(uint64_t ctrl_off)
{
	if (factory_fd < 0 && !factory_failed && placed_first)
		factory_start();
	if (factory_fd >= 0) {
		long pid;
		if (send(factory_fd, &ctrl_off, sizeof(ctrl_off), MSG_NOSIGNAL) == sizeof(ctrl_off) &&
		    recv(factory_fd, &pid, sizeof(pid), MSG_WAITALL) == sizeof(pid))
			return pid;
		moat_log("the stub factory is gone: stubs fork from the sentry");
		close(factory_fd);
		factory_fd = -1;
		factory_failed = true;
	}
	dontfork_sentry(boot->rseq_addr);
	return ((long (*)(long, uint64_t))(region + STUB_SYM_stub_fork))(pgalloc_fd(), ctrl_off);
}

struct platform_as *platform_as_new(void)
{
	return platform_as_new_awaiting(false);
}

struct platform_as *platform_as_new_awaiting(bool files)
{
	struct platform_as *as = calloc(1, sizeof(*as));
	int sv[2] = { -1, -1 };
	long pid;

	if (!as) {
		errno = ENOMEM;
		return NULL;
	}
	as->ctrl_off = pgalloc_alloc_exact(STUB_CTRL_SIZE / PAGE_SIZE);
	if (as->ctrl_off == PGALLOC_FAIL) {
		free(as);
		errno = ENOMEM;
		return NULL;
	}
	as->req = pgalloc_ptr(as->ctrl_off + CTRL_REQ_OFF);
	as->rep = pgalloc_ptr(as->ctrl_off + CTRL_REP_OFF);
	as->req->magic = SYSMSG_MAGIC;
	as->req->global_off = global_off;
	as->refs = 1;
	pthread_mutex_init(&as->lock, NULL);
	/*
	 * The sandbox's first stub starts up on another CPU than the sentry's
	 * main thread, which goes on loading the program meanwhile: a forked
	 * child otherwise waits its turn on its parent's CPU.  The stub then
	 * takes moat's whole CPU mask back.  Later stubs are forked ahead of
	 * need (kernel_new_as's spare) and are left where Linux puts them.
	 */
	cpu_set_t away;
	bool place = !placed_first && cpus_without(sched_getcpu(), &away);
	as->req->pinned = !place;
	as->req->cpus_len = place ? (uint32_t)MIN(sizeof(sentry_cpus), sizeof(as->req->cpus)) : 0;
	memcpy(as->req->cpus, &sentry_cpus, as->req->cpus_len);

	/* Ask for the first thread now: the stub creates it as soon as it is
	 * up, while the sentry goes on loading the program. */
	as->first = ctx_alloc(as);
	if (as->first) {
		/* Any stub but the sandbox's first (which the start-up waits
		 * for) may wait long for its first task - kernel_new_as's
		 * spare, made ahead of a fork: its thread sleeps at once
		 * rather than yield for a new program's first waits
		 * (sysmsg.h), which kept a CPU busy for a millisecond per
		 * fork.  platform_ctx_new clears this as it collects it. */
		if (!files)
			as->first->m->sentry_blocking = 1;
		as->first_seq = ctrl_post(as, CTRL_NEW_THREAD, as->first->area_off,
					  (uint64_t)as->first->idx, NULL, 0);
		as->first_pending = 1;
	}

	pthread_mutex_lock(&as_list_lock);
	/* A stub forked right here (not by the factory) can be sent host
	 * files to map before it lets go of the sentry's descriptors: it
	 * waits on its end of a socket pair (platform_as_give_files). */
	as->files_sock = -1;
	if (files && factory_fd < 0 && (factory_failed || !placed_first) &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
		boot->files_sock = sv[1];
		boot->files_peer = sv[0];
	}
	pid = stub_spawn(as->ctrl_off);
	boot->files_sock = -1;
	placed_first = true;
	if (sv[1] >= 0) {
		close(sv[1]);
		if (pid >= 0)
			as->files_sock = sv[0];
		else
			close(sv[0]);
	}
	if (pid < 0) {
		pthread_mutex_unlock(&as_list_lock);
		if (as->first) {
			pgalloc_put(as->first->area_off, STUB_AREA_SIZE / PAGE_SIZE);
			free(as->first);
		}
		pgalloc_put(as->ctrl_off, STUB_CTRL_SIZE / PAGE_SIZE);
		free(as);
		errno = (int)-pid;
		return NULL;
	}
	as->pid = (pid_t)pid;
	if (place) {
		sched_setaffinity(as->pid, sizeof(away), &away);
		__atomic_store_n(&as->req->pinned, 1, __ATOMIC_RELEASE);
		futex(&as->req->pinned, FUTEX_WAKE, 1, NULL);
	}
	as->pidfd = (int)syscall(SYS_pidfd_open, as->pid, 0);
	as->next = as_list;
	as_list = as;
	pthread_mutex_unlock(&as_list_lock);
	return as;
}

pid_t platform_as_pid(struct platform_as *as) { return as->pid; }

bool platform_as_give_files(struct platform_as *as, const struct platform_file_map *maps,
			    unsigned n)
{
	struct stub_files files = { 0 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * STUB_FILE_MAPS)];
	} cm = { 0 };
	struct iovec iov = { &files, sizeof(files) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	bool sent = false;

	if (as->files_sock < 0)
		return false;
	/* Always a message (maybe empty): the stub waits for one. */
	for (unsigned i = 0; i < n && files.n < STUB_FILE_MAPS; i++) {
		if ((maps[i].prot & ~(PROT_READ | PROT_EXEC)) || maps[i].fd < 0 ||
		    maps[i].addr < 0x10000 || maps[i].addr + maps[i].len > region ||
		    maps[i].addr + maps[i].len < maps[i].addr)
			continue;
		files.maps[files.n] = (struct stub_file_map){
			.addr = maps[i].addr, .len = maps[i].len, .off = maps[i].off,
			.prot = maps[i].prot, .fd = (int32_t)files.n,
		};
		((int *)CMSG_DATA(&cm.h))[files.n++] = maps[i].fd;
	}
	if (files.n != n)
		files.n = 0;          /* all or nothing */
	if (files.n) {
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm.h.cmsg_level = SOL_SOCKET;
		cm.h.cmsg_type = SCM_RIGHTS;
		cm.h.cmsg_len = CMSG_LEN(sizeof(int) * n);
	}
	sent = sendmsg(as->files_sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof(files) && files.n;
	/* Even without a message, the stub sees the end of the socket. */
	close(as->files_sock);
	as->files_sock = -1;
	return sent;
}

/* Frees as once it is both released and reaped; as_list_lock held. */
static void as_maybe_free(struct platform_as *as)
{
	if (as->refs > 0 || !as->reaped)
		return;
	if (as->pidfd >= 0)
		close(as->pidfd);
	if (as->files_sock >= 0)
		close(as->files_sock);
	for (int i = 0; i < as->nlate; i++)
		pgalloc_put(as->late_areas[i], STUB_AREA_SIZE / PAGE_SIZE);
	free(as->late_areas);
	pgalloc_put(as->ctrl_off, STUB_CTRL_SIZE / PAGE_SIZE);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

/*
 * A stub about to die gives way: SCHED_BATCH (its wake-up to die preempts
 * no one) at nice 10 (a tenth of a normal thread's share while they
 * compete).  Dying (the host unmapping its address space) is work nobody
 * waits for, and it used to take the CPU from what comes next: the program
 * an exec started, or, at the end of the sandbox, moat's parent waking up
 * and the next sandbox starting (150-200 us between moat's exit and its
 * parent's wait returning).  SCHED_IDLE did no better, and under a
 * saturated CPU it would leave dead sandboxes' memory to be freed at a
 * three-hundredth of a CPU.
 */
static void demote_thread(pid_t tid)
{
	sched_setscheduler(tid, SCHED_BATCH, &(struct sched_param){ 0 });
	setpriority(PRIO_PROCESS, (id_t)tid, DYING_NICE);
}

static void demote(struct platform_as *as)
{
	demote_thread(as->pid);
	pthread_mutex_lock(&as->lock);
	for (struct platform_ctx *c = as->ctxs; c; c = c->next)
		if (c->tid > 0)
			demote_thread(c->tid);
	for (struct platform_ctx *c = as->idle; c; c = c->next_idle)
		if (c->tid > 0)
			demote_thread(c->tid);
	pthread_mutex_unlock(&as->lock);
}

void platform_end(void)
{
	pthread_mutex_lock(&as_list_lock);
	for (struct platform_as *as = as_list; as; as = as->next)
		if (as->pid > 0 && !as->dead)
			demote(as);
	pthread_mutex_unlock(&as_list_lock);
}

void platform_as_release(struct platform_as *as)
{
	if (!as->dead)
		demote(as);
	/* Nothing runs in the address space any more: parked threads go. */
	for (;;) {
		pthread_mutex_lock(&as->lock);
		struct platform_ctx *c = as->idle;
		if (c) {
			as->idle = c->next_idle;
			as->nidle--;
			as->nctx++;
		}
		pthread_mutex_unlock(&as->lock);
		if (!c)
			break;
		c->trapped = 0;       /* no exit handshake: the stub dies */
		platform_ctx_release(c);
	}
	if (as->first) {
		/* Never collected (the program failed to load). */
		struct platform_ctx *first = as->first;
		as->first = NULL;
		platform_ctx_release(first);
	}
	/* Nothing waits on it any more: no handshakes with a dying stub. */
	if (!as->dead) {
		as->dead = 1;
		kill(as->pid, SIGKILL);
	}
	/* The reaper unlinks it once the stub is collected. */
	pthread_mutex_lock(&as_list_lock);
	as->refs--;
	as_maybe_free(as);
	pthread_mutex_unlock(&as_list_lock);
}

static void mark_dead(struct platform_as *as)
{
	as->dead = 1;
	__atomic_store_n(&as->rep->done, CTRL_DEAD, __ATOMIC_SEQ_CST);
	futex(&as->rep->done, FUTEX_WAKE, INT32_MAX, NULL);
	pthread_mutex_lock(&as->lock);
	for (struct platform_ctx *c = as->ctxs; c; c = c->next) {
		__atomic_store_n(&c->m->state, SM_DEAD, __ATOMIC_SEQ_CST);
		futex(&c->m->state, FUTEX_WAKE, INT32_MAX, NULL);
	}
	pthread_mutex_unlock(&as->lock);
}

static int child_exited(pid_t pid, int status)
{
	struct platform_as *as, **pp;

	pthread_mutex_lock(&as_list_lock);
	for (pp = &as_list; (as = *pp); pp = &as->next)
		if (as->pid == pid)
			break;
	if (!as) {
		pthread_mutex_unlock(&as_list_lock);
		return 0;
	}
	*pp = as->next;
	pthread_mutex_unlock(&as_list_lock);
	if (!as->dead && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		moat_log("stub %d died: signal %d", pid, WTERMSIG(status));
	else if (!as->dead && WIFEXITED(status))
		moat_log("stub %d exited with status %d", pid, WEXITSTATUS(status));
	mark_dead(as);
	pthread_mutex_lock(&as_list_lock);
	as->reaped = 1;
	as_maybe_free(as);
	pthread_mutex_unlock(&as_list_lock);
	return 1;
}

bool platform_reap_until(int wake_fd, int timeout_ms)
{
	uint64_t end = timeout_ms >= 0 ? host_now_ns() + (uint64_t)timeout_ms * 1000000 : 0;

	for (;;) {
		struct pollfd fds[64];
		int n = 1;

		fds[0] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		pthread_mutex_lock(&as_list_lock);
		for (struct platform_as *as = as_list; as && n < 64; as = as->next)
			if (as->pidfd >= 0)
				fds[n++] = (struct pollfd){ .fd = as->pidfd, .events = POLLIN };
		pthread_mutex_unlock(&as_list_lock);
		/* More stubs than fit: fall back to looking every 10 ms. */
		int wait_ms = n == 64 ? 10 : -1;
		if (end) {
			uint64_t now = host_now_ns();
			if (now >= end)
				return false;
			wait_ms = (int)MIN((uint64_t)(wait_ms < 0 ? INT32_MAX : wait_ms),
					   (end - now + 999999) / 1000000);
		}
		if (poll(fds, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
			panic("poll: %s", strerror(errno));
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
			if (pid <= 0)
				break;
			child_exited(pid, status);
		}
		if (fds[0].revents & POLLIN)
			return true;
	}
}

/* Queues one change; carries the queue out when it is full. */
static int queue_op(struct platform_as *as, const struct stub_op *op)
{
	struct platform_ctx *ctx = current_ctx;
	int err = 0;

	if (ctx && ctx->as == as && ctx->trapped) {
		struct sysmsg *m = ctx->m;
		if (m->nops == STUB_MAX_OPS)
			err = platform_as_flush(as);
		m->ops[m->nops++] = *op;
		return err;
	}
	if (as->npending == STUB_MAX_OPS)
		err = platform_as_flush(as);
	as->pending[as->npending++] = *op;
	return err;
}

/* Waits until the stub hands ctx back: state leaves `cur`. */
static uint32_t ctx_wait(struct platform_ctx *ctx, uint32_t cur, bool woke);

static int check_op_results(const struct stub_op *ops, const int64_t *ret,
			    uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		int64_t r = ret[i];
		if (ops[i].nr == __NR_mmap ? r != (int64_t)ops[i].args[0] : r != 0) {
			moat_log("stub op %lu(%#lx, %#lx) failed: %ld",
				 (unsigned long)ops[i].nr, (unsigned long)ops[i].args[0],
				 (unsigned long)ops[i].args[1], (long)r);
			return r < 0 ? (int)r : -EFAULT;
		}
	}
	return 0;
}

/*
 * Whether ctx's queued ops may wait until the thread resumes (saving a
 * round trip per fault): only new mappings, which no one can be waiting
 * for, and only when ctx is the address space's one thread, so that no
 * other task can unmap and recycle those pages in between.
 */
static bool can_defer(struct platform_ctx *ctx)
{
	struct sysmsg *m = ctx->m;

	if (ctx->as->nctx != 1)
		return false;
	for (uint32_t i = 0; i < m->nops; i++)
		if (m->ops[i].nr != __NR_mmap)
			return false;
	return true;
}

/*
 * Hands a trapped stub thread a new state: a compare-and-swap from
 * SM_TRAPPED, never a plain store, for the reaper may have marked the
 * stub dead (SM_DEAD, mark_dead) just before; overwriting that, the
 * sentry waited forever for a thread that was gone.  False when the
 * state was not SM_TRAPPED: the stub is dead (or its application wrote
 * nonsense there).
 */
static bool hand_to_stub(struct sysmsg *m, uint32_t to)
{
	uint32_t was = SM_TRAPPED;
	bool ok = __atomic_compare_exchange_n(&m->state, &was, to, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);

	sysmsg_push(&m->state);
	return ok;
}

/* Has trapped ctx's stub thread carry out its queued ops now. */
static int ctx_run_ops(struct platform_ctx *ctx)
{
	struct sysmsg *m = ctx->m;
	uint32_t n = m->nops, st;
	struct stub_op ops[STUB_MAX_OPS];
	int64_t ret[STUB_MAX_OPS];

	memcpy(ops, m->ops, n * sizeof(ops[0]));
	if (!hand_to_stub(m, SM_OPS))
		return -ESRCH;
	if (__atomic_load_n(&m->stub_waiting, __ATOMIC_SEQ_CST))
		futex(&m->state, FUTEX_WAKE, 1, NULL);
	st = ctx_wait(ctx, SM_OPS, false);
	if (st != SM_TRAPPED)
		return -ESRCH;
	for (uint32_t i = 0; i < n; i++)
		ret[i] = READ_ONCE(m->op_ret[i]);
	m->nops = 0;
	return check_op_results(ops, ret, n);
}

bool platform_as_can_defer(struct platform_as *as, unsigned nops)
{
	struct platform_ctx *ctx = current_ctx;

	return as && ctx && ctx->as == as && ctx->trapped &&
	       ctx->m->nops + nops < STUB_MAX_OPS && can_defer(ctx);
}

int platform_as_flush(struct platform_as *as)
{
	struct platform_ctx *ctx = current_ctx;
	int64_t ret[STUB_MAX_OPS];
	int err;

	if (!as)
		return 0;
	if (ctx && ctx->as == as && ctx->trapped && ctx->m->nops &&
	    !(ctx->m->nops < STUB_MAX_OPS && can_defer(ctx))) {
		err = ctx_run_ops(ctx);
		if (err)
			return err;
	}
	if (as->npending) {
		uint32_t n = as->npending;
		as->npending = 0;
		pthread_mutex_lock(&as->lock);
		err = ctrl_call(as, CTRL_SYSCALL, 0, 0, as->pending, n, ret);
		pthread_mutex_unlock(&as->lock);
		if (err)
			return err;
		return check_op_results(as->pending, ret, n);
	}
	return 0;
}

unsigned platform_as_batch(void)
{
	return STUB_MAX_OPS - 1;      /* can_defer wants room for one more */
}

static int as_map(struct platform_as *as, uint64_t addr, uint64_t len,
		  int prot, uint64_t file_off, int populate)
{
	if (!as)
		return 0;       /* an address space without a stub (unit tests) */
	struct stub_op op = { .nr = __NR_mmap,
			      .args = { addr, len, (uint64_t)prot,
					MAP_SHARED | MAP_FIXED | populate,
					STUB_MEMFD, file_off } };

	if (addr + len > region || addr + len < addr)
		panic("mapping %#lx+%#lx outside the application range",
		      (unsigned long)addr, (unsigned long)len);
	return queue_op(as, &op);
}

int platform_as_map(struct platform_as *as, uint64_t addr, uint64_t len,
		    int prot, uint64_t file_off)
{
	return as_map(as, addr, len, prot, file_off, MAP_POPULATE);
}

int platform_as_map_lazy(struct platform_as *as, uint64_t addr, uint64_t len,
			 int prot, uint64_t file_off)
{
	return as_map(as, addr, len, prot, file_off, 0);
}

int platform_as_protect(struct platform_as *as, uint64_t addr, uint64_t len, int prot)
{
	struct stub_op op = { .nr = __NR_mprotect, .args = { addr, len, (uint64_t)prot } };

	if (!as)
		return 0;
	if (addr + len > region || addr + len < addr || (prot & ~(PROT_READ | PROT_EXEC)))
		panic("bad protection change %#lx+%#lx", (unsigned long)addr, (unsigned long)len);
	return queue_op(as, &op);
}

int platform_as_unmap(struct platform_as *as, uint64_t addr, uint64_t len)
{
	struct stub_op op = { .nr = __NR_munmap, .args = { addr, len } };

	if (!as)
		return 0;

	if (addr + len > region || addr + len < addr)
		panic("unmapping %#lx+%#lx outside the application range",
		      (unsigned long)addr, (unsigned long)len);
	return queue_op(as, &op);
}

int platform_as_reset(struct platform_as *as)
{
	/* The start-up placeholder again, over everything (stub_main). */
	struct stub_op op = {
		.nr = __NR_mmap,
		.args = { 0x10000, region - 0x10000, PROT_NONE, MAP_SHARED | MAP_FIXED, STUB_MEMFD, 0 },
	};
	int err = queue_op(as, &op);

	if (!err)
		err = platform_as_flush(as);
	/* A new program: its first waits yield again (sysmsg.h). */
	if (!err)
		__atomic_store_n(&as->rep->early_waits, 0, __ATOMIC_RELAXED);
	return err;
}

/* ---- contexts ---- */

void platform_set_current(struct platform_ctx *ctx) { current_ctx = ctx; }

uint64_t platform_ctx_cpu_ns(struct platform_ctx *ctx)
{
	char path[64], buf[128];
	unsigned long long ns;
	int fd;

	if (!ctx)
		return 0;
	/* schedstat's first field: nanoseconds on a CPU. */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", ctx->as->pid, ctx->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			if (sscanf(buf, "%llu", &ns) == 1)
				return ns;
		}
	}
	return platform_as_cpu_ns(ctx->as);
}

uint64_t platform_as_cpu_ns(struct platform_as *as)
{
	struct timespec ts = { 0, 0 };
	/* MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) */
	clockid_t c = (clockid_t)((~(unsigned)as->pid << 3) | 2);

	if (as->dead || clock_gettime(c, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * The stub thread waits for this thread's answer without spinning: it
 * slept, or it yields between looks (a new program's first waits).  If it
 * runs on this thread's CPU, the two take turns on one CPU while the other
 * CPU idles: every handoff costs two spin budgets and a wake-up, or two
 * trips through sched_yield (ls ran 1.5-3x slower, a Unix socket stream
 * between two threads 3-10x, and a static program's start-up 60-70 us a
 * syscall instead of ~10).  Linux's scheduler leaves such a pair together
 * (only one of the two is ever runnable for long), so this thread moves
 * itself: it leaves the CPU, then takes its whole CPU mask back.
 */
static void leave_stub_cpu(struct platform_ctx *ctx)
{
	int cpu = sched_getcpu();
	cpu_set_t away;

	if (cpu < 0 || (uint32_t)cpu != READ_ONCE(ctx->m->stub_cpu) || !cpus_without(cpu, &away))
		return;
	ctx->stat_moves++;
	if (sched_setaffinity(0, sizeof(away), &away) == 0)
		sched_setaffinity(0, sizeof(sentry_cpus), &sentry_cpus);
}

/* Spins on m->state until it leaves cur or until the TSC passes end. */
static int spin_until(struct sysmsg *m, uint32_t cur, uint64_t end, uint32_t *st)
{
	for (unsigned i = 0;; i++) {
		*st = __atomic_load_n(&m->state, __ATOMIC_ACQUIRE);
		if (*st != cur)
			return 1;
		__asm__ volatile("pause");
		if ((i & 31) == 31 && rdtsc() >= end)
			return 0;
	}
}

/*
 * Waits for the stub to leave state cur.  woke: the stub was asleep and
 * has just been woken, so its answer comes a futex wake-up later: spin
 * past that, or both sides keep sleeping on each other.
 */
static uint32_t ctx_wait(struct platform_ctx *ctx, uint32_t cur, bool woke)
{
	struct sysmsg *m = ctx->m;
	uint32_t st;
	uint64_t start = rdtsc(), budget = ctx->spin_cycles, waited;
	uint64_t per_us = READ_ONCE(global->tsc_per_us);
#define CYCLES(ns) ((uint64_t)(ns) * per_us / 1000)
	int spun = 0;

	if (woke)
		budget = MAX(budget, CYCLES(SPIN_WOKE_NS));

	/* A short first spin without registering as a spinner: most
	 * handoffs end within it, and the shared counter's cache line
	 * would cost every one of them two trips between CPUs. */
	if (budget && global->max_spinners) {
		uint64_t quick = MIN(budget, CYCLES(SPIN_QUICK_NS));
		spun = spin_until(m, cur, start + quick, &st);
		if (!spun && budget > quick &&
		    __atomic_load_n(&global->spinners, __ATOMIC_RELAXED) <
		    __atomic_load_n(&global->max_spinners, __ATOMIC_RELAXED)) {
			__atomic_fetch_add(&global->spinners, 1, __ATOMIC_RELAXED);
			spun = spin_until(m, cur, start + budget, &st);
			__atomic_fetch_sub(&global->spinners, 1, __ATOMIC_RELAXED);
		}
	}
	/*
	 * Then look between sched_yield()s for a while, unless the last wait
	 * was longer than that: the CPU goes to whatever else can run, yet
	 * stays out of the idle state, from which waking this thread costs
	 * 50-500 us on a virtual machine (an idle vCPU halts; the host must
	 * schedule it again).  Exec'ing shells live on such waits: a loop
	 * running /bin/true ran 40% faster.
	 */
	if (!spun && global->max_spinners && ctx->last_wait_cycles < CYCLES(YIELD_NS)) {
		leave_stub_cpu(ctx);
		uint64_t until = rdtsc() + CYCLES(YIELD_NS);
		do {
			sched_yield();
			st = __atomic_load_n(&m->state, __ATOMIC_ACQUIRE);
			spun = st != cur;
		} while (!spun && rdtsc() < until);
	}
	if (spun) {
		ctx->stat_spins++;
	} else {
		ctx->stat_sleeps++;
		for (;;) {
			__atomic_store_n(&m->sentry_waiting, 1, __ATOMIC_SEQ_CST);
			st = __atomic_load_n(&m->state, __ATOMIC_SEQ_CST);
			if (st != cur)
				break;
			futex(&m->state, FUTEX_WAIT, cur, NULL);
		}
		__atomic_store_n(&m->sentry_waiting, 0, __ATOMIC_RELAXED);
	}

	/* Adapt: spin about twice as long as traps take to arrive, but give
	 * up spinning on threads that compute for long stretches. */
	waited = rdtsc() - start;
	ctx->last_wait_cycles = waited;
	if (spun)
		budget = MAX(budget, 2 * waited);
	else if (waited < CYCLES(SPIN_MAX_NS))
		budget = 2 * waited + CYCLES(1000);
	else
		budget /= 2;
	ctx->spin_cycles = MIN(budget, CYCLES(SPIN_MAX_NS));
#undef CYCLES
	return st;
}

static uint64_t ns_to_tsc(uint64_t ns)
{
	return ns * READ_ONCE(global->tsc_per_us) / 1000;
}

/* Allocates a context and its thread area; as->lock held. */
static struct platform_ctx *ctx_alloc(struct platform_as *as)
{
	struct platform_ctx *ctx = calloc(1, sizeof(*ctx));
	int idx;

	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	for (idx = 0; idx < STUB_MAX_THREADS && as->slot_used[idx]; idx++)
		;
	if (idx == STUB_MAX_THREADS) {
		free(ctx);
		errno = EAGAIN;
		return NULL;
	}
	ctx->area_off = pgalloc_alloc_exact(STUB_AREA_SIZE / PAGE_SIZE);
	if (ctx->area_off == PGALLOC_FAIL) {
		free(ctx);
		errno = ENOMEM;
		return NULL;
	}
	as->slot_used[idx] = 1;
	as->nctx++;
	ctx->as = as;
	pthread_mutex_lock(&as_list_lock);
	as->refs++;                       /* dropped by platform_ctx_release */
	pthread_mutex_unlock(&as_list_lock);
	ctx->idx = idx;
	ctx->m = pgalloc_ptr(ctx->area_off);
	ctx->m->magic = SYSMSG_MAGIC;
	/* The patched syscall path: stub_syscall_entry on the altstack. */
	ctx->m->entry_rsp = region + STUB_THREADS_OFF + (uint64_t)idx * STUB_AREA_SIZE + STUB_AREA_SIZE;
	ctx->m->entry_rip = region + STUB_SYM_stub_syscall_entry;
	ctx->m->stub_spin_cycles = ns_to_tsc(STUB_SPIN_NS);
	ctx->spin_cycles = ns_to_tsc(SPIN_MAX_NS);
	ctx->next = as->ctxs;
	as->ctxs = ctx;
	return ctx;
}

/* Waits for a new context's stub thread to report in (its INIT trap). */
static struct platform_ctx *ctx_finish(struct platform_ctx *ctx, int err, int64_t ret)
{
	if (err == 0 && ret < 0)
		err = (int)ret;
	if (err == 0) {
		ctx->tid = (pid_t)ret;
		if (ctx_wait(ctx, 0, false) != SM_TRAPPED || READ_ONCE(ctx->m->trap) != STUB_TRAP_INIT)
			err = -ESRCH;
	}
	if (err) {
		platform_ctx_release(ctx);
		errno = -err;
		return NULL;
	}
	ctx->trapped = 1;
	return ctx;
}

struct platform_ctx *platform_ctx_new(struct platform_as *as)
{
	struct platform_ctx *ctx, *cur = current_ctx;
	int64_t ret = 0;
	int err;

	/* Mappings deferred to the calling thread's resume (can_defer)
	 * cannot wait for it once a second thread may touch the pages. */
	if (cur && cur->as == as && cur->trapped && cur->m->nops &&
	    (err = ctx_run_ops(cur)) != 0) {
		errno = -err;
		return NULL;
	}

	pthread_mutex_lock(&as->lock);
	if (as->idle && !as->dead) {
		/* A parked stub thread, waiting in its trap handler. */
		ctx = as->idle;
		as->idle = ctx->next_idle;
		as->nidle--;
		as->nctx++;
		pthread_mutex_unlock(&as->lock);
		ctx->next_idle = NULL;
		platform_ctx_blocking(ctx, 0);
		ctx->spin_cycles = ns_to_tsc(SPIN_MAX_NS);
		ctx->stat_spins = ctx->stat_sleeps = ctx->stat_traps = ctx->stat_patched = 0;
		return ctx;
	}
	if (as->first) {
		/* Requested at fork time; the stub made it while we loaded. */
		ctx = as->first;
		as->first = NULL;
		err = ctrl_wait_first(as);
		ret = as->first_ret;
	} else {
		ctx = ctx_alloc(as);
		if (!ctx) {
			pthread_mutex_unlock(&as->lock);
			return NULL;
		}
		err = ctrl_call(as, CTRL_NEW_THREAD, ctx->area_off, (uint64_t)ctx->idx, NULL, 0, &ret);
	}
	pthread_mutex_unlock(&as->lock);
	ctx = ctx_finish(ctx, err, ret);
	if (ctx)
		platform_ctx_blocking(ctx, 0);
	return ctx;
}

void platform_ctx_release(struct platform_ctx *ctx)
{
	struct platform_as *as = ctx->as;
	struct platform_ctx **pp;

	if (current_ctx == ctx)
		current_ctx = NULL;
	if (ctx->tid > 0 && ctx->trapped && !as->dead && !ctx->m->nops) {
		pthread_mutex_lock(&as->lock);
		if (as->nidle < MAX_IDLE_CTX && !as->dead) {
			ctx->next_idle = as->idle;
			as->idle = ctx;
			as->nidle++;
			as->nctx--;
			pthread_mutex_unlock(&as->lock);
			/* Parked: it may sleep rather than spin for the sentry. */
			platform_ctx_blocking(ctx, 1);
			return;
		}
		pthread_mutex_unlock(&as->lock);
	}
	bool exited = false;
	if (ctx->tid > 0 && ctx->trapped && !as->dead && hand_to_stub(ctx->m, SM_EXIT)) {
		futex(&ctx->m->state, FUTEX_WAKE, 1, NULL);
		uint32_t st;
		while ((st = __atomic_load_n(&ctx->m->state, __ATOMIC_ACQUIRE)) == SM_EXIT)
			futex(&ctx->m->state, FUTEX_WAIT, SM_EXIT,
			      &(struct timespec){ 0, 10000000 });
		exited = st == SM_EXITED;
	}
	pthread_mutex_lock(&as->lock);
	for (pp = &as->ctxs; *pp; pp = &(*pp)->next)
		if (*pp == ctx) {
			*pp = ctx->next;
			break;
		}
	as->slot_used[ctx->idx] = 0;
	as->nctx--;
	/* The area stays mapped in the stub; a later thread in this slot
	 * maps its own area over it.  A stub thread that did not exit on
	 * request (never started by us, parked, or in a dying stub) may
	 * still write to it until the stub is reaped: its pages wait. */
	bool freed = exited;
	if (!exited) {
		if (as->nlate == as->late_cap) {
			int cap = as->late_cap ? 2 * as->late_cap : 8;
			uint64_t *n = realloc(as->late_areas, (size_t)cap * sizeof(*n));
			if (n) {
				as->late_areas = n;
				as->late_cap = cap;
			}
		}
		if (as->nlate < as->late_cap)
			as->late_areas[as->nlate++] = ctx->area_off;
		else
			freed = false;   /* out of memory: leak them rather than risk them */
	}
	pthread_mutex_unlock(&as->lock);
	if (freed)
		pgalloc_put(ctx->area_off, STUB_AREA_SIZE / PAGE_SIZE);
	free(ctx);
	pthread_mutex_lock(&as_list_lock);
	as->refs--;
	as_maybe_free(as);
	pthread_mutex_unlock(&as_list_lock);
}

void platform_ctx_blocking(struct platform_ctx *ctx, int blocking)
{
	WRITE_ONCE(ctx->m->sentry_blocking, (uint32_t)blocking);
}

int platform_ctx_set_affinity(struct platform_ctx *ctx, const cpu_set_t *set)
{
	cpu_set_t s = sentry_cpus;

	if (set)
		CPU_AND(&s, &s, set);
	if (ctx->tid <= 0 || ctx->as->dead || CPU_COUNT(&s) == 0)
		return -EINVAL;
	return sched_setaffinity(ctx->tid, sizeof(s), &s) ? -errno : 0;
}

int platform_ctx_cpu(struct platform_ctx *ctx)
{
	uint32_t cpu = READ_ONCE(ctx->m->stub_cpu);
	return cpu < CPU_SETSIZE ? (int)cpu : -1;
}

void platform_cpus(cpu_set_t *set)
{
	*set = sentry_cpus;
}

void *platform_ctx_fpstate(struct platform_ctx *ctx, uint32_t *size)
{
	struct sysmsg *m = ctx->m;

	if (ctx->trapped && READ_ONCE(m->fp_size) == 0 && !ctx->as->dead &&
	    hand_to_stub(m, SM_FPSAVE)) {
		if (__atomic_load_n(&m->stub_waiting, __ATOMIC_SEQ_CST))
			futex(&m->state, FUTEX_WAKE, 1, NULL);
		ctx_wait(ctx, SM_FPSAVE, false);
	}
	uint32_t n = READ_ONCE(m->fp_size);
	*size = n > AREA_FP_SIZE ? AREA_FP_SIZE : n;
	return (uint8_t *)ctx->m + AREA_FP_OFF;
}

void *platform_ctx_fp_replace(struct platform_ctx *ctx, uint32_t *size)
{
	struct sysmsg *m = ctx->m;
	uint8_t *a = (uint8_t *)m + AREA_FP_OFF;
	uint32_t n = READ_ONCE(global->xsave_size), magic2 = FPX_MAGIC2;
	uint64_t features = READ_ONCE(global->xfeatures);
	/* The software bytes as the stub's xsave_area writes them (struct
	 * _fpx_sw_bytes: magic1, extended_size, xfeatures, xstate_size). */
	uint32_t sw[12] = { FPX_MAGIC1, n + 4, (uint32_t)features, (uint32_t)(features >> 32), n };

	if (!ctx->trapped || READ_ONCE(m->fp_size) || !n || n + 4 > AREA_FP_SIZE)
		return platform_ctx_fpstate(ctx, size);
	memcpy(a + FPX_SW_OFF, sw, sizeof(sw));
	memset(a + 512, 0, 64);              /* the XSAVE header */
	memcpy(a + n, &magic2, 4);
	WRITE_ONCE(m->fp_size, n + 4);
	*size = n + 4;
	return a;
}

void platform_ctx_copy_fp(struct platform_ctx *to, struct platform_ctx *from)
{
	uint32_t size;
	void *src = platform_ctx_fpstate(from, &size);

	/* Same machine, same xsave layout: no need to ask the other stub
	 * thread for an image of its own first. */
	memcpy((uint8_t *)to->m + AREA_FP_OFF, src, size);
	WRITE_ONCE(to->m->fp_size, size);
	to->m->fp_dirty = 1;
}

void platform_ctx_set_fp_dirty(struct platform_ctx *ctx)
{
	ctx->m->fp_dirty = 1;
}

void platform_ctx_reset_fp(struct platform_ctx *ctx)
{
	uint32_t size;
	/* Nothing of the old state is kept: no need to have it saved. */
	uint8_t *fp = platform_ctx_fp_replace(ctx, &size);

	if (size < 512)
		return;
	/* Legacy area: FCW 0x37f, MXCSR 0x1f80, registers zero. */
	memset(fp, 0, 24);
	*(uint16_t *)fp = 0x37f;
	*(uint32_t *)(fp + 24) = 0x1f80;
	memset(fp + 32, 0, 416 - 32);
	/* XSAVE header: only x87 and SSE from the legacy area, the rest in
	 * its initial state. */
	if (size >= 576)
		*(uint64_t *)(fp + 512) &= 0x3;
	ctx->m->fp_dirty = 1;
}

void platform_switch(struct platform_ctx *ctx, struct stub_regs *regs,
		     struct trap *trap)
{
	struct sysmsg *m = ctx->m;
	uint32_t st, kind;
	uint64_t fs_base = regs->fs_base;

	/* Queued changes run before the application does: deferred ones
	 * as the stub resumes it (checked at the next trap). */
	if (m->nops && !can_defer(ctx)) {
		if (platform_as_flush(ctx->as) != 0)
			goto dead;
	}
	ctx->ndeferred = m->nops;
	if (ctx->ndeferred)
		memcpy(ctx->deferred, m->ops, ctx->ndeferred * sizeof(ctx->deferred[0]));
	/* Only the registers that changed (a syscall: rax): every store takes
	 * a cache line away from the stub, which reads them all next. */
#define X(r) if (!ctx->last_valid || regs->r != ctx->last.r) m->r = regs->r;
	SYSMSG_EAGER_REGS(X)
	SYSMSG_LAZY_REGS(X)
#undef X
	if (fs_base != ctx->fs_base_applied) {
		m->fs_base = fs_base;
		m->fs_dirty = 1;
		ctx->fs_base_applied = fs_base;
	}
	ctx->trapped = 0;
	/* Spin budgets are in TSC cycles: refine the rate at a context's
	 * first trap (short programs never reach the 1024th) and then every
	 * 1024 traps. */
	if ((++ctx->stat_traps & 1023) == 1) {
		calibrate();
		m->stub_spin_cycles = ns_to_tsc(STUB_SPIN_NS);
	}
	if (!hand_to_stub(m, SM_APP))
		goto dead;
	bool woke = __atomic_load_n(&m->stub_waiting, __ATOMIC_SEQ_CST);
	if (woke) {
		futex(&m->state, FUTEX_WAKE, 1, NULL);
		leave_stub_cpu(ctx);
	}
	st = ctx_wait(ctx, SM_APP, woke);
	ctx->trapped = 1;
	if (st != SM_TRAPPED)
		goto dead;
	if (ctx->ndeferred) {
		int64_t ret[STUB_MAX_OPS];
		for (uint32_t i = 0; i < ctx->ndeferred; i++)
			ret[i] = READ_ONCE(m->op_ret[i]);
		if (check_op_results(ctx->deferred, ret, ctx->ndeferred) != 0) {
			kill(ctx->as->pid, SIGKILL);
			goto dead;
		}
		ctx->ndeferred = 0;
	}

	/* Read everything once; never trust it further than its type.  The
	 * registers the stub does not carry keep the sentry's values. */
	kind = READ_ONCE(m->trap);
#define X(r) regs->r = READ_ONCE(m->r);
	SYSMSG_EAGER_REGS(X)
#undef X
#define X(r) regs->r = REGS_UNFETCHED;
	SYSMSG_LAZY_REGS(X)
#undef X
	ctx->last = *regs;
	ctx->last_valid = 1;
	ctx->regs_fetched = 0;
	/* A syscall's number is eax at entry, as Linux's orig_ax (which the
	 * syscall table indexes with its low 32 bits). */
	regs->orig_rax = (kind & 0xff) == STUB_TRAP_SYSCALL ? (uint64_t)(int64_t)(int32_t)regs->rax
							    : (uint64_t)-1;
	memset(trap, 0, sizeof(*trap));
	switch (kind & ~(uint32_t)STUB_TRAP_PATCHED) {
	case STUB_TRAP_SYSCALL:
		trap->kind = TRAP_SYSCALL;
		trap->arch = READ_ONCE(m->syscall_arch);
		trap->patched = (kind & STUB_TRAP_PATCHED) != 0;
		ctx->stat_patched += trap->patched;
		return;
	case STUB_TRAP_INTERRUPT:
		trap->kind = TRAP_INTERRUPT;
		return;
	case STUB_TRAP_FAULT:
		trap->kind = TRAP_FAULT;
		trap->signo = READ_ONCE(m->signo);
		trap->si_code = READ_ONCE(m->si_code);
		trap->addr = READ_ONCE(m->fault_addr);
		trap->trapno = READ_ONCE(m->trapno);
		trap->err = READ_ONCE(m->err);
		/* Page-fault error code: bit 1 write, bit 4 instruction fetch. */
		if (trap->trapno == 14)
			trap->access = (trap->err & 0x10) ? PROT_EXEC
				       : (trap->err & 0x2) ? PROT_WRITE : PROT_READ;
		else
			trap->access = PROT_READ;
		return;
	default:
		moat_log("stub thread %d reported nonsense trap %u; killing it",
			 ctx->tid, kind);
		kill(ctx->as->pid, SIGKILL);
		break;
	}
dead:
	memset(trap, 0, sizeof(*trap));
	trap->kind = TRAP_DEAD;
}

void platform_ctx_regs(struct platform_ctx *ctx, struct stub_regs *regs)
{
	struct sysmsg *m = ctx->m;

	if (!ctx->trapped || !ctx->last_valid || ctx->regs_fetched)
		return;
	/* Read once: from now on ctx->last is what the stub holds. */
#define X(r) regs->r = ctx->last.r = READ_ONCE(m->r);
	SYSMSG_LAZY_REGS(X)
#undef X
	ctx->regs_fetched = 1;
}

void platform_interrupt(struct platform_ctx *ctx)
{
	if (ctx->tid > 0 && !ctx->as->dead)
		syscall(SYS_tgkill, ctx->as->pid, ctx->tid, SIGCHLD);
}

void platform_log_stats(struct platform_ctx *ctx)
{
	moat_log("ctx %d: %lu traps (%lu from patched sites); sentry spins %lu sleeps %lu "
		 "moves %lu; stub spins %lu sleeps %lu; tsc/us %lu",
		 ctx->tid, (unsigned long)ctx->stat_traps, (unsigned long)ctx->stat_patched,
		 (unsigned long)ctx->stat_spins, (unsigned long)ctx->stat_sleeps,
		 (unsigned long)ctx->stat_moves,
		 (unsigned long)ctx->m->stat_stub_spins,
		 (unsigned long)ctx->m->stat_stub_sleeps,
		 (unsigned long)global->tsc_per_us);
}

