/*
 * platform.h: "run this application context until it traps".
 *
 * The kernel sees the platform through this interface only.  An address
 * space (struct platform_as) is a stub process whose memory is mapped from
 * the memory file; a context (struct platform_ctx) is one stub thread that
 * runs one application thread.  The only implementation is systrap
 * (platform/systrap/), which traps syscalls with seccomp and SIGSYS.
 *
 * Changes to an address space (map/unmap) are queued and carried out by
 * the calling task's own stub thread when it is trapped in the sentry and
 * belongs to that address space (a fast, spinning handoff), otherwise by the
 * stub's control thread.  Callers serialise changes to one address space
 * (mm->lock) and call platform_as_flush() before they drop that lock, so
 * that queued changes are never reordered against another task's.
 */
#ifndef MOAT_PLATFORM_H
#define MOAT_PLATFORM_H

#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/systrap/sysmsg.h"

struct platform_as;
struct platform_ctx;

enum trap_kind {
	TRAP_SYSCALL = 1,
	TRAP_FAULT,
	TRAP_INTERRUPT,
	TRAP_DEAD,        /* the stub process died */
};

struct trap {
	enum trap_kind kind;
	/* TRAP_SYSCALL */
	uint32_t arch;            /* AUDIT_ARCH_X86_64 for normal syscalls */
	bool patched;             /* from a patched site (kernel/usertrap.c):
				   * no syscall instruction at rip - 2 */
	/* TRAP_FAULT */
	int signo, si_code;
	uint64_t addr;
	int access;               /* PROT_READ, PROT_WRITE or PROT_EXEC */
	uint64_t trapno, err;
};

/*
 * Checks that the host has what systrap needs (seccomp filters, memfd),
 * reserves the stub region and prepares the stub image.  Returns 0, or
 * -errno with a message in *why.
 */
int platform_init(const char **why);

/* Highest application address + 1: the start of the stub region. */
uint64_t platform_task_size(void);

/*
 * Creates an address space: forks a stub process.  Must be called on the
 * sentry's forking thread (the stub dies with the thread that forked it):
 * the thread that called platform_init, or since, platform_set_forker.
 * Returns NULL with errno set on failure.
 */
struct platform_as *platform_as_new(void);
/* The calling thread forks the stubs from now on (a forked stub undoes
 * what the kernel keeps of its forking thread: its rseq registration). */
void platform_set_forker(void);

/* A host file's pages mapped privately and read-only into a new stub. */
struct platform_file_map {
	uint64_t addr, len, off;
	int prot;                 /* PROT_READ, PROT_EXEC */
	int fd;                   /* the sentry's descriptor, for reading */
};
/*
 * platform_as_new; with files, the stub (if the sentry forks it itself, as
 * it does the sandbox's first) then waits, still holding the sentry's
 * descriptors, for platform_as_give_files before it starts serving.
 */
struct platform_as *platform_as_new_awaiting(bool files);
/*
 * Has such a stub map up to 4 host-file ranges privately, read-only,
 * straight from the host's page cache (nothing copied into the memory
 * file), and lets it go on.  Returns whether it was sent them all; ranges
 * not mapped stay unmapped (their first touch faults as usual).  n may be
 * 0.  Every other stub: false.
 */
bool platform_as_give_files(struct platform_as *as, const struct platform_file_map *maps,
			    unsigned n);
/* Kills the stub process; the reaper collects it. Drops the reference. */
void platform_as_release(struct platform_as *as);
/* The sandbox is over (moat exits next): the stubs still alive, which die
 * with moat, do so at a low priority (DYING_NICE, SCHED_BATCH), after
 * whoever waits for moat. */
void platform_end(void);
#define DYING_NICE 10
pid_t platform_as_pid(struct platform_as *as);
/* CPU time a context's stub thread has used, in ns (its process's when
 * the thread's own cannot be read). */
uint64_t platform_ctx_cpu_ns(struct platform_ctx *ctx);
/* CPU time the stub process (the application) has used, in ns. */
uint64_t platform_as_cpu_ns(struct platform_as *as);

/* With as == NULL these do nothing: an mm may live without a stub. */
int platform_as_map(struct platform_as *as, uint64_t addr, uint64_t len,
		    int prot, uint64_t file_off);
/* The same, leaving the host to fill in its page tables as the stub
 * touches the pages (host faults, far cheaper than traps, and none for
 * pages never touched). */
int platform_as_map_lazy(struct platform_as *as, uint64_t addr, uint64_t len,
			 int prot, uint64_t file_off);
int platform_as_unmap(struct platform_as *as, uint64_t addr, uint64_t len);
/* Changes the protection of mapped pages to prot, without write access
 * (the stub may never grant it: the filter lets its mprotect through
 * only so), nor any access their mapping lacks; [addr, addr + len) must
 * be wholly mapped. */
int platform_as_protect(struct platform_as *as, uint64_t addr, uint64_t len, int prot);
/* Carries out queued changes; returns 0 or the first error. */
int platform_as_flush(struct platform_as *as);
/* Whether nops more mappings queued now would ride along with the calling
 * thread's return to its application thread, at no cost of their own (it
 * is trapped, and its address space's only thread). */
bool platform_as_can_defer(struct platform_as *as, unsigned nops);
/* How many mappings an address space's one thread can take along when it
 * resumes, with no round trip of their own. */
unsigned platform_as_batch(void);
/* Unmaps the whole application range at once (execve reusing the stub),
 * synchronously; 0 or -errno. */
int platform_as_reset(struct platform_as *as);

/* Creates a context (a stub thread) in as.  NULL with errno on failure. */
struct platform_ctx *platform_ctx_new(struct platform_as *as);
/* Ends the stub thread and frees the context. */
void platform_ctx_release(struct platform_ctx *ctx);

/* Declares ctx as the one the calling sentry thread runs (see above). */
void platform_set_current(struct platform_ctx *ctx);

/*
 * Runs the application thread with the given registers until it traps.
 * On return, *regs holds its registers at the trap (fs_base and gs_base
 * are the caller's: set regs->fs_base and the platform applies it) but
 * for the callee-saved ones (rbx, rbp, r12-r15), which hold
 * REGS_UNFETCHED until platform_ctx_regs reads them: whoever needs the
 * whole set (a signal frame, a clone, sigreturn) asks for it first.  A
 * register set to a new value is applied either way.
 */
void platform_switch(struct platform_ctx *ctx, struct stub_regs *regs,
		     struct trap *trap);
/* Fills in regs' callee-saved registers of the last trap (see above). */
void platform_ctx_regs(struct platform_ctx *ctx, struct stub_regs *regs);
/* Not canonical: an unfetched register used as an address faults. */
#define REGS_UNFETCHED 0xdeadbeefdeadbeefULL

/* Makes a running context trap with TRAP_INTERRUPT soon. Any thread. */
void platform_interrupt(struct platform_ctx *ctx);

/*
 * Tells the context's stub thread that the sentry is about to block for a
 * while (it stops spinning), or that it is back.
 */
void platform_ctx_blocking(struct platform_ctx *ctx, int blocking);
/* Runs ctx's stub thread on the CPUs of set (NULL: all of moat's). */
int platform_ctx_set_affinity(struct platform_ctx *ctx, const cpu_set_t *set);
/* The CPU ctx's stub thread last trapped on, or -1. */
int platform_ctx_cpu(struct platform_ctx *ctx);
/* The CPUs moat may use. */
void platform_cpus(cpu_set_t *set);

/*
 * FP state of a trapped context (the xsave image of its last trap), in
 * the format of a Linux signal frame: the fxsave area, whose software
 * bytes at FPX_SW_OFF (magic1, extended size, features, xstate size)
 * describe the XSAVE header and components after it and FPX_MAGIC2 at
 * the end; just the 512-byte fxsave area without XSAVE.
 */
#define FPX_SW_OFF 464
#define FPX_MAGIC1 0x46505853U
#define FPX_MAGIC2 0x46505845U
void *platform_ctx_fpstate(struct platform_ctx *ctx, uint32_t *size);
/* The same area for a caller about to replace the image whole (sigreturn):
 * the stub is not asked to save its state first; the software bytes and
 * XSAVE header are those a save would leave. */
void *platform_ctx_fp_replace(struct platform_ctx *ctx, uint32_t *size);
/* A new thread's FP state is its creator's (clone, fork). */
void platform_ctx_copy_fp(struct platform_ctx *to, struct platform_ctx *from);
/* The caller changed the image platform_ctx_fpstate gave: load it. */
void platform_ctx_set_fp_dirty(struct platform_ctx *ctx);
/* Resets the FP state to the x86 initial state (execve). */
void platform_ctx_reset_fp(struct platform_ctx *ctx);

/*
 * The reaper: waits until wake_fd (an eventfd) is readable, or at most
 * timeout_ms (-1: no limit), collecting stub processes that die meanwhile
 * (their address spaces are marked dead and whoever waits on them woken).
 * Returns whether wake_fd is readable.  Runs on the kernel thread.
 */
bool platform_reap_until(int wake_fd, int timeout_ms);

/* Spin statistics for the debug log. */
void platform_log_stats(struct platform_ctx *ctx);

#endif
