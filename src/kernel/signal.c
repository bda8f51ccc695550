/*
 * signal.c: sending, queueing and delivering signals.
 * Linux: kernel/signal.c, arch/x86/kernel/signal.c and signal_64.c.
 *
 * A signal is queued on a thread (tkill, faults) or on its process (kill);
 * standard signals coalesce, real-time ones queue in order.  Sending picks
 * a thread that does not block the signal and wakes it: out of task_block
 * if it sleeps in the sentry, out of application code through the
 * platform's interrupt if it runs.  Each task acts on its signals in
 * signals_deliver() before it returns to the application: default actions
 * (ignore, stop, continue, terminate) happen there, and a handler gets an
 * rt_sigframe on the application's stack exactly as Linux builds it, which
 * rt_sigreturn unwinds.  All queues and dispositions are under k->lock.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <asm/unistd.h>

#include "mm/mm.h"
#include "util/util.h"

/* ---- the frame (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h) ---- */

struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2, fpstate;
	uint64_t reserved1[8];
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct k_stack uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	siginfo_t info;
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext");
_Static_assert(sizeof(struct rt_sigframe) == 440, "rt_sigframe");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define EFLAGS_TF 0x100
#define EFLAGS_DF 0x400
#define EFLAGS_RF 0x10000
#define FIX_EFLAGS 0x50dd5         /* what sigreturn may change */
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

/* ---- signal classes ---- */

static bool sig_default_ignore(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT ||
	       sig >= NSIG_K + 1;
}

static bool sig_default_stop(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static bool sig_default_core(int sig)
{
	return sig == SIGQUIT || sig == SIGILL || sig == SIGTRAP || sig == SIGABRT ||
	       sig == SIGBUS || sig == SIGFPE || sig == SIGSEGV || sig == SIGXCPU ||
	       sig == SIGXFSZ || sig == SIGSYS;
}

#define STOP_SIGS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))

/* ---- queues ---- */

void sigpending_init(struct sigpending *p)
{
	p->set = 0;
	p->head = NULL;
	p->tail = &p->head;
}

void sigpending_flush(struct sigpending *p, uint64_t mask)
{
	struct sigq_entry **pp = &p->head;

	if (!p->tail)
		return;
	while (*pp) {
		struct sigq_entry *e = *pp;
		if (mask & SIGBIT(e->info.si_signo)) {
			*pp = e->next;
			free(e);
		} else {
			pp = &e->next;
		}
	}
	p->tail = pp;
	p->set &= ~mask;
}

static int sigq_add(struct sigpending *p, int sig, const siginfo_t *info)
{
	struct sigq_entry *e;

	if (sig < SIGRTMIN_K && (p->set & SIGBIT(sig)))
		return 0;                   /* standard signals coalesce */
	e = calloc(1, sizeof(*e));
	if (!e) {
		if (sig >= SIGRTMIN_K)
			return -EAGAIN;
		p->set |= SIGBIT(sig);      /* lost info, but not the signal */
		return 0;
	}
	if (info) {
		e->info = *info;
	} else {
		e->info.si_code = SI_KERNEL;
	}
	e->info.si_signo = sig;
	*p->tail = e;
	p->tail = &e->next;
	p->set |= SIGBIT(sig);
	return 0;
}

/* Takes the first queued instance of sig; returns whether it found one. */
static bool sigq_take(struct sigpending *p, int sig, siginfo_t *info)
{
	bool more = false, found = false;

	for (struct sigq_entry **pp = &p->head; *pp;) {
		struct sigq_entry *e = *pp;
		if (e->info.si_signo != sig) {
			pp = &e->next;
			continue;
		}
		if (found) {
			more = true;
			break;
		}
		found = true;
		*info = e->info;
		*pp = e->next;
		free(e);
		if (!*pp)
			p->tail = pp;
	}
	if (!found) {
		/* Coalesced without info (out of memory). */
		memset(info, 0, sizeof(*info));
		info->si_signo = sig;
		info->si_code = SI_KERNEL;
	}
	if (!more)
		p->set &= ~SIGBIT(sig);
	return true;
}

/* The next signal in mask: synchronous faults first, then the lowest. */
static int next_signal(uint64_t set)
{
	const uint64_t sync = SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) |
			      SIGBIT(SIGTRAP) | SIGBIT(SIGFPE) | SIGBIT(SIGSYS);

	if (!set)
		return 0;
	if (set & sync)
		set &= sync;
	return __builtin_ctzll(set) + 1;
}

int signal_dequeue(struct task *t, uint64_t mask, siginfo_t *info)
{
	int sig = next_signal(t->pending.set & mask);

	if (sig) {
		sigq_take(&t->pending, sig, info);
		if (info->si_code == SI_TIMER)
			timer_dequeued(t->tg, info);
		return sig;
	}
	sig = next_signal(t->tg->shared.set & mask);
	if (sig)
		sigq_take(&t->tg->shared, sig, info);
	if (sig && info->si_code == SI_TIMER)
		timer_dequeued(t->tg, info);
	return sig;
}

uint64_t signals_pending_set(struct task *t)
{
	return t->pending.set | t->tg->shared.set;
}

/* ---- waking ---- */

bool signal_pending(struct task *t)
{
	return __atomic_load_n(&t->sig_flag, __ATOMIC_SEQ_CST) != 0;
}

void signal_wake(struct task *t)
{
	__atomic_store_n(&t->sig_flag, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&t->in_app, __ATOMIC_SEQ_CST) && t->ctx)
		platform_interrupt(t->ctx);
	task_wake(t);
}

void recalc_sigpending(struct task *t)
{
	struct thread_group *tg = t->tg;
	bool need = tg->group_exit || tg->stop_state == TG_STOPPED ||
		    (tg->exec_task && tg->exec_task != t) ||
		    (signals_pending_set(t) & ~t->sigmask);

	if (need)
		signal_wake(t);
	else
		__atomic_store_n(&t->sig_flag, 0, __ATOMIC_SEQ_CST);
}

/* ---- sending ---- */

static bool handler_is(struct task *t, int sig, void (*h)(int))
{
	return t->sighand->actions[sig - 1].handler == (uint64_t)(uintptr_t)h;
}

static bool sig_ignored(struct task *t, int sig)
{
	if (handler_is(t, sig, SIG_IGN))
		return true;
	return handler_is(t, sig, SIG_DFL) && sig_default_ignore(sig);
}

/* A thread of tg that would take sig now, or NULL. */
static struct task *pick_target(struct thread_group *tg, int sig)
{
	for (struct task *o = tg->tasks; o; o = o->tg_next)
		if (!(o->sigmask & SIGBIT(sig)) && !o->exiting)
			return o;
	return NULL;
}

static void group_kill(struct thread_group *tg, int status)
{
	if (tg->group_exit)
		return;
	tg->group_exit = true;
	tg->exit_status = status;
	tg->stop_state = TG_RUNNING;
	for (struct task *o = tg->tasks; o; o = o->tg_next)
		signal_wake(o);
}

static int core_status(struct thread_group *tg, int sig)
{
	/* The core bit says a dump was made, which Linux does only when
	 * RLIMIT_CORE allows one (moat writes none, but keeps the status). */
	if (sig_default_core(sig) && tg->rlimits[RLIMIT_CORE].rlim_cur != 0)
		return sig | 0x80;
	return sig;
}

int send_signal_locked(struct thread_group *tg, struct task *t, int sig,
		       const siginfo_t *info)
{
	struct task *target;
	struct task *any;

	if (!tg)
		tg = t->tg;
	if (sig < 1 || sig > NSIG_K)
		return -EINVAL;
	if (tg->zombie || tg->group_exit)
		return 0;
	any = t ? t : tg->tasks;
	if (!any)
		return 0;
	/* PID 1 gets only the signals it has handlers for (and the
	 * kernel's own), as an init in its namespace does; blocked ones
	 * wait, since a handler may come before they are unblocked. */
	if (tg == tg->k->init && (!info || info->si_code != SI_KERNEL) &&
	    handler_is(any, sig, SIG_DFL) && !((any->sigmask | any->real_blocked) & SIGBIT(sig)))
		return 0;

	if (sig_default_stop(sig)) {
		sigpending_flush(&tg->shared, SIGBIT(SIGCONT));
		for (struct task *o = tg->tasks; o; o = o->tg_next)
			sigpending_flush(&o->pending, SIGBIT(SIGCONT));
	} else if (sig == SIGCONT) {
		sigpending_flush(&tg->shared, STOP_SIGS);
		for (struct task *o = tg->tasks; o; o = o->tg_next)
			sigpending_flush(&o->pending, STOP_SIGS);
		if (tg->stop_state == TG_STOPPED) {
			tg->stop_state = TG_RUNNING;
			tg->wait_report = CLD_CONTINUED;
			notify_parent(tg, CLD_CONTINUED, SIGCONT);
			for (struct task *o = tg->tasks; o; o = o->tg_next) {
				recalc_sigpending(o);
				task_wake(o);
			}
		}
	}
	if (sig == SIGKILL) {
		group_kill(tg, SIGKILL);
		return 0;
	}
	/* Ignored signals are dropped unless blocked (then they wait). */
	if (sig_ignored(any, sig) && !((any->sigmask | any->real_blocked) & SIGBIT(sig)))
		return 0;

	int err = sigq_add(t ? &t->pending : &tg->shared, sig, info);
	if (err)
		return err;
	/* signalfd readers wait for any queued signal, blocked or not. */
	waitq_notify(&any->sighand->signalfd_wq, POLLIN);
	target = t ? (t->sigmask & SIGBIT(sig) ? NULL : t) : pick_target(tg, sig);
	if (!target)
		return 0;
	/* A fatal signal kills the whole group at once. */
	if (handler_is(target, sig, SIG_DFL) && !sig_default_ignore(sig) &&
	    !sig_default_stop(sig) && tg != tg->k->init) {
		group_kill(tg, core_status(tg, sig));
		return 0;
	}
	signal_wake(target);
	return 0;
}

void force_fault(struct task *t, int sig, int code, uint64_t addr, uint64_t trapno,
		 uint64_t err)
{
	t->fault_trapno = trapno;
	t->fault_err = err;
	force_signal(t, sig, code, addr);
}

void force_signal(struct task *t, int sig, int code, uint64_t addr)
{
	struct kernel *k = t->k;
	struct k_sigaction *sa = &t->sighand->actions[sig - 1];
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.si_addr = (void *)(uintptr_t)addr;
	moat_log("task %d: signal %d (code %d, addr %#lx) at rip %#lx",
		 t->tid, sig, code, (unsigned long)addr, (unsigned long)t->regs.rip);
	pthread_mutex_lock(&k->lock);
	/* Blocked or ignored, a fault cannot be handled: the default kills. */
	if ((t->sigmask & SIGBIT(sig)) || sa->handler == (uint64_t)(uintptr_t)SIG_IGN) {
		sa->handler = (uint64_t)(uintptr_t)SIG_DFL;
		t->sigmask &= ~SIGBIT(sig);
	}
	if (sa->handler == (uint64_t)(uintptr_t)SIG_DFL) {
		group_kill(t->tg, core_status(t->tg, sig));
		t->exiting = true;
	} else {
		sigq_add(&t->pending, sig, &info);
		recalc_sigpending(t);
	}
	pthread_mutex_unlock(&k->lock);
}

/* ---- delivery ---- */

static bool on_altstack(struct task *t, uint64_t sp)
{
	return t->altstack.ss_size && sp > t->altstack.ss_sp &&
	       sp - t->altstack.ss_sp <= t->altstack.ss_size;
}

static int altstack_flags(struct task *t, uint64_t sp)
{
	if (!t->altstack.ss_size)
		return SS_DISABLE;
	return on_altstack(t, sp) ? SS_ONSTACK : 0;
}

/* Builds the handler's frame; returns 0 or -EFAULT. */
static int setup_frame(struct task *t, int sig, const struct k_sigaction *ka,
		       const siginfo_t *info, uint64_t oldmask)
{
	struct stub_regs *r = &t->regs;
	struct rt_sigframe frame;
	uint64_t sp = r->rsp, fp_addr = 0, frame_addr;
	uint32_t fp_size = 0;
	uint8_t *fp = NULL;

	if (t->ctx) {
		platform_ctx_regs(t->ctx, r);
		fp = platform_ctx_fpstate(t->ctx, &fp_size);
	}

	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;     /* x86-64 has no default trampoline */
	if ((ka->flags & SA_ONSTACK) && t->altstack.ss_size && !on_altstack(t, sp))
		sp = t->altstack.ss_sp + t->altstack.ss_size;
	else
		sp -= 128;          /* the red zone */
	if (fp && fp_size >= 512) {
		sp = (sp - fp_size) & ~63ULL;
		fp_addr = sp;
		if (mm_copy_out(t->mm, fp_addr, fp, fp_size))
			return -EFAULT;
	}
	frame_addr = ((sp - sizeof(frame)) & ~15ULL) - 8;

	memset(&frame, 0, sizeof(frame));
	frame.pretcode = ka->restorer;
	frame.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	if (fp_size > 512 && *(uint32_t *)(fp + FPX_SW_OFF) == FPX_MAGIC1)
		frame.uc.uc_flags |= UC_FP_XSTATE;
	frame.uc.uc_stack.ss_sp = t->altstack.ss_sp;
	frame.uc.uc_stack.ss_size = t->altstack.ss_size;
	frame.uc.uc_stack.ss_flags = altstack_flags(t, r->rsp);
	if (t->altstack.ss_flags & SS_AUTODISARM && frame.uc.uc_stack.ss_flags == 0 &&
	    (ka->flags & SA_ONSTACK))
		frame.uc.uc_stack.ss_flags |= (int32_t)SS_AUTODISARM;
	struct k_sigcontext *sc = &frame.uc.uc_mcontext;
	sc->r8 = r->r8; sc->r9 = r->r9; sc->r10 = r->r10; sc->r11 = r->r11;
	sc->r12 = r->r12; sc->r13 = r->r13; sc->r14 = r->r14; sc->r15 = r->r15;
	sc->rdi = r->rdi; sc->rsi = r->rsi; sc->rbp = r->rbp; sc->rbx = r->rbx;
	sc->rdx = r->rdx; sc->rax = r->rax; sc->rcx = r->rcx; sc->rsp = r->rsp;
	sc->rip = r->rip; sc->eflags = r->eflags;
	sc->cs = 0x33;
	sc->ss = 0x2b;
	sc->oldmask = oldmask;
	sc->fpstate = fp_addr;
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP) {
		if (info->si_code > 0 && info->si_code != SI_KERNEL)
			sc->cr2 = (uint64_t)(uintptr_t)info->si_addr;
		sc->trapno = t->fault_trapno;
		sc->err = t->fault_err;
	}
	frame.uc.uc_sigmask = oldmask;
	frame.info = *info;
	if (mm_copy_out(t->mm, frame_addr, &frame, sizeof(frame)))
		return -EFAULT;

	if ((ka->flags & SA_ONSTACK) && (t->altstack.ss_flags & SS_AUTODISARM) &&
	    on_altstack(t, frame_addr + 1)) {
		t->altstack.ss_sp = 0;
		t->altstack.ss_size = 0;
		t->altstack.ss_flags = SS_DISABLE;
	}
	r->rdi = (uint64_t)sig;
	r->rsi = frame_addr + offsetof(struct rt_sigframe, info);
	r->rdx = frame_addr + offsetof(struct rt_sigframe, uc);
	r->rax = 0;
	r->rsp = frame_addr;
	r->rip = ka->handler;
	r->eflags &= ~(uint64_t)(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF);
	r->cs = 0x33;
	r->ss = 0x2b;
	/* The handler starts with the initial FP state, as on Linux. */
	if (t->ctx)
		platform_ctx_reset_fp(t->ctx);
	return 0;
}

long signal_return(struct task *t)
{
	struct stub_regs *r = &t->regs;
	uint64_t frame_addr = r->rsp - 8;
	struct rt_sigframe frame;
	struct k_sigcontext *sc = &frame.uc.uc_mcontext;

	/* Every register is set below: against the values the stub holds
	 * (a restored value that happened to equal REGS_UNFETCHED would
	 * otherwise look unchanged). */
	platform_ctx_regs(t->ctx, r);

	if (mm_copy_in(t->mm, &frame, frame_addr, sizeof(frame))) {
		force_signal(t, SIGSEGV, SI_KERNEL, 0);
		return 0;
	}
	r->r8 = sc->r8; r->r9 = sc->r9; r->r10 = sc->r10; r->r11 = sc->r11;
	r->r12 = sc->r12; r->r13 = sc->r13; r->r14 = sc->r14; r->r15 = sc->r15;
	r->rdi = sc->rdi; r->rsi = sc->rsi; r->rbp = sc->rbp; r->rbx = sc->rbx;
	r->rdx = sc->rdx; r->rax = sc->rax; r->rcx = sc->rcx; r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->eflags = (r->eflags & ~(uint64_t)FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	r->orig_rax = (uint64_t)-1;

	/* The FP state, sanitised so that the stub's own sigreturn takes it. */
	if (sc->fpstate && t->ctx) {
		uint32_t size;
		uint8_t *fp = platform_ctx_fp_replace(t->ctx, &size);
		uint8_t buf[4096];
		if (size > sizeof(buf) || size < 512 ||
		    mm_copy_in(t->mm, buf, sc->fpstate, size)) {
			force_signal(t, SIGSEGV, SI_KERNEL, 0);
			return 0;
		}
		uint32_t mxcsr;
		memcpy(&mxcsr, buf + 24, 4);
		if (mxcsr & 0xffff0000U) {
			force_signal(t, SIGSEGV, SI_KERNEL, 0);
			return 0;
		}
		/* Keep the software-reserved bytes and the xsave header's
		 * layout words as the stub knows them; take the state. */
		memcpy(fp, buf, FPX_SW_OFF);
		if (size >= 576) {
			uint64_t xfeatures;
			memcpy(&xfeatures, buf + 512, 8);
			uint64_t allowed = *(uint64_t *)(fp + FPX_SW_OFF + 8);
			xfeatures &= allowed;
			memcpy(fp + 512, &xfeatures, 8);
			memcpy(fp + 576, buf + 576, size - 576 - 4);
		}
		platform_ctx_set_fp_dirty(t->ctx);
	}

	pthread_mutex_lock(&t->k->lock);
	t->sigmask = frame.uc.uc_sigmask & ~SIG_UNBLOCKABLE;
	/* restore_altstack: only a valid setting, and not while on it. */
	struct k_stack ss = frame.uc.uc_stack;
	int mode = ss.ss_flags & ~(int32_t)SS_AUTODISARM;
	if (!on_altstack(t, r->rsp) && (mode == 0 || mode == SS_DISABLE || mode == SS_ONSTACK)) {
		if (mode == SS_DISABLE || ss.ss_size == 0) {
			t->altstack = (struct k_stack){ .ss_flags = SS_DISABLE };
		} else if (ss.ss_size >= (uint64_t)MINSIGSTKSZ) {
			t->altstack.ss_sp = ss.ss_sp;
			t->altstack.ss_size = ss.ss_size;
			t->altstack.ss_flags = ss.ss_flags & (int32_t)SS_AUTODISARM;
		}
	}
	recalc_sigpending(t);
	pthread_mutex_unlock(&t->k->lock);
	return (long)r->rax;
}

/*
 * Whether process group pgid is orphaned (Linux: will_become_orphaned_pgrp):
 * no member has a parent in another group of the same session.  k->lock.
 */
bool pgrp_orphaned(struct kernel *k, int pgid)
{
	for (struct thread_group *tg = k->groups; tg; tg = tg->next) {
		if (tg->pgid != pgid || tg->zombie)
			continue;
		struct thread_group *p = tg->parent;
		if (p && p->pgid != pgid && p->sid == tg->sid)
			return false;
	}
	return true;
}

/* Sleeps while the group is stopped; k->lock held (dropped meanwhile). */
static void stop_wait(struct task *t)
{
	struct thread_group *tg = t->tg;
	struct kernel *k = t->k;

	if (t->ctx)
		platform_ctx_blocking(t->ctx, 1);
	while (tg->stop_state == TG_STOPPED && !tg->group_exit) {
		__atomic_store_n(&t->wake, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&k->lock);
		syscall(__NR_futex, &t->wake, 128 /* FUTEX_WAIT_PRIVATE */, 0, NULL, NULL, 0);
		pthread_mutex_lock(&k->lock);
	}
	if (t->ctx)
		platform_ctx_blocking(t->ctx, 0);
}

/* The syscall's result after a signal: restart it, or EINTR. */
static void syscall_restart(struct task *t, const struct k_sigaction *ka)
{
	struct stub_regs *r = &t->regs;
	long ret = (long)r->rax;

	switch (ret) {
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		if (ka) {
			r->rax = (uint64_t)-EINTR;
			return;
		}
		break;
	case -ERESTARTSYS:
		if (ka && !(ka->flags & SA_RESTART)) {
			r->rax = (uint64_t)-EINTR;
			return;
		}
		break;
	case -ERESTARTNOINTR:
		break;
	default:
		return;
	}
	if (ret == -ERESTART_RESTARTBLOCK) {
		r->rax = __NR_restart_syscall;
	} else {
		r->rax = r->orig_rax;
	}
	if (t->syscall_patched)
		usertrap_restart(t);
	else
		r->rip -= 2;        /* back over the syscall instruction */
}

void signals_deliver(struct task *t, bool after_syscall)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	struct k_sigaction ka;
	siginfo_t info;
	int sig;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		if (tg->group_exit || (tg->exec_task && tg->exec_task != t)) {
			t->exiting = true;
			break;
		}
		if (tg->stop_state == TG_STOPPED) {
			stop_wait(t);
			continue;
		}
		sig = signal_dequeue(t, ~t->sigmask, &info);
		if (!sig)
			break;
		ka = t->sighand->actions[sig - 1];
		if (ka.handler == (uint64_t)(uintptr_t)SIG_IGN)
			continue;
		if (ka.handler == (uint64_t)(uintptr_t)SIG_DFL) {
			if (sig_default_ignore(sig))
				continue;
			if (sig_default_stop(sig)) {
				/* The terminal's stop signals do nothing to an
				 * orphaned process group: nobody could resume it. */
				if (sig != SIGSTOP && pgrp_orphaned(k, tg->pgid))
					continue;
				tg->stop_state = TG_STOPPED;
				tg->stop_sig = sig;
				tg->wait_report = CLD_STOPPED;
				for (struct task *o = tg->tasks; o; o = o->tg_next)
					if (o != t)
						signal_wake(o);
				notify_parent(tg, CLD_STOPPED, sig);
				continue;
			}
			if (tg == k->init && info.si_code != SI_KERNEL)
				continue;
			group_kill(tg, core_status(tg, sig));
			t->exiting = true;
			break;
		}

		/* A handler. */
		uint64_t oldmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
		t->restore_sigmask = false;
		if (ka.flags & SA_RESETHAND)
			t->sighand->actions[sig - 1].handler = (uint64_t)(uintptr_t)SIG_DFL;
		pthread_mutex_unlock(&k->lock);
		if (after_syscall) {
			syscall_restart(t, &ka);
			after_syscall = false;
		}
		int err = setup_frame(t, sig, &ka, &info, oldmask);
		pthread_mutex_lock(&k->lock);
		if (err) {
			/* No room for the frame: SIGSEGV, which must kill. */
			pthread_mutex_unlock(&k->lock);
			force_signal(t, SIGSEGV, SI_KERNEL, 0);
			pthread_mutex_lock(&k->lock);
			continue;
		}
		t->sigmask = oldmask | ka.mask;
		if (!(ka.flags & SA_NODEFER))
			t->sigmask |= SIGBIT(sig);
		t->sigmask &= ~SIG_UNBLOCKABLE;
		break;
	}
	if (after_syscall && !t->exiting)
		syscall_restart(t, NULL);
	if (t->restore_sigmask) {
		t->restore_sigmask = false;
		t->sigmask = t->saved_sigmask;
	}
	bool need = tg->group_exit || tg->stop_state == TG_STOPPED ||
		    (tg->exec_task && tg->exec_task != t) ||
		    (signals_pending_set(t) & ~t->sigmask);
	__atomic_store_n(&t->sig_flag, need ? 1 : 0, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&k->lock);
}

void send_sigpipe(struct task *t)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = SIGPIPE;
	info.si_code = SI_USER;
	info.si_pid = t->tg->tgid;
	info.si_uid = t->ids.ruid;
	pthread_mutex_lock(&t->k->lock);
	send_signal_locked(t->tg, t, SIGPIPE, &info);
	pthread_mutex_unlock(&t->k->lock);
}

long sigmask_for_wait(struct task *t, uint64_t umask, uint64_t size)
{
	uint64_t set;

	if (!umask)
		return 0;
	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (mm_copy_in(t->mm, &set, umask, sizeof(set)))
		return -EFAULT;
	pthread_mutex_lock(&t->k->lock);
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = set & ~SIG_UNBLOCKABLE;
	recalc_sigpending(t);
	pthread_mutex_unlock(&t->k->lock);
	return 0;
}

void sigmask_wait_done(struct task *t, long ret)
{
	/* Interrupted: signals_deliver restores it after the handler. */
	if (!t->restore_sigmask || ret == -ERESTARTNOHAND || ret == -EINTR)
		return;
	pthread_mutex_lock(&t->k->lock);
	t->restore_sigmask = false;
	t->sigmask = t->saved_sigmask;
	recalc_sigpending(t);
	pthread_mutex_unlock(&t->k->lock);
}
