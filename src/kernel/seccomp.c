/*
 * seccomp.c: seccomp filters the application installs on itself, run by
 * the sentry on each of its syscalls.  Linux: kernel/seccomp.c,
 * net/core/filter.c (the classic BPF checks).
 *
 * A filter is a checked classic BPF program over struct seccomp_data; a
 * task holds a chain of them (newest first, shared with the tasks it
 * forks), and every one runs on each syscall: the action of highest
 * precedence (lowest signed value) wins.  These filters only ever narrow
 * what the sandbox allows; the stubs' own host filter is untouched.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <string.h>

#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#define BPF_MAXINSNS_K 4096
#define MAX_TOTAL_INSNS 32768       /* MAX_INSNS_PER_PATH */

struct seccomp_filter {
	int refs;
	struct seccomp_filter *prev;
	bool log;
	uint16_t len;
	struct sock_filter insns[];
};

void seccomp_get(struct seccomp_filter *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

int seccomp_count(const struct seccomp_filter *f)
{
	int n = 0;

	for (; f; f = f->prev)
		n++;
	return n;
}

void seccomp_put(struct seccomp_filter *f)
{
	while (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		struct seccomp_filter *prev = f->prev;
		free(f);
		f = prev;
	}
}

/* Linux's bpf_check_classic plus seccomp_check_filter: known opcodes,
 * loads only of aligned words inside seccomp_data, jumps forward and in
 * range, no division by a constant zero, a return at the end. */
static int check_filter(const struct sock_filter *p, unsigned len)
{
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &p[pc];
		uint16_t code = f->code;
		switch (code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k >= sizeof(struct seccomp_data) || (f->k & 3))
				return -EINVAL;
			break;
		case BPF_LD | BPF_W | BPF_LEN:
		case BPF_LDX | BPF_W | BPF_LEN:
		case BPF_LD | BPF_IMM:
		case BPF_LDX | BPF_IMM:
		case BPF_MISC | BPF_TAX:
		case BPF_MISC | BPF_TXA:
		case BPF_ALU | BPF_NEG:
		case BPF_RET | BPF_K:
		case BPF_RET | BPF_A:
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->k >= BPF_MEMWORDS)
				return -EINVAL;
			break;
		case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
		case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
		case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
		case BPF_ALU | BPF_DIV | BPF_X: case BPF_ALU | BPF_MOD | BPF_X:
		case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
		case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
		case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
		case BPF_ALU | BPF_LSH | BPF_X: case BPF_ALU | BPF_RSH | BPF_X:
			break;
		case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_MOD | BPF_K:
			if (f->k == 0)
				return -EINVAL;
			break;
		case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_K:
			if (f->k >= 32)
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JA:
			if (f->k >= len - pc - 1)
				return -EINVAL;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
			if (pc + f->jt + 1 >= len || pc + f->jf + 1 >= len)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	if (BPF_CLASS(p[len - 1].code) != BPF_RET)
		return -EINVAL;
	return 0;
}

/* Runs a checked program (forward jumps only: it terminates). */
static uint32_t run_filter(const struct seccomp_filter *flt, const struct seccomp_data *d)
{
	const uint8_t *data = (const uint8_t *)d;
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };

	for (unsigned pc = 0; pc < flt->len; pc++) {
		const struct sock_filter *f = &flt->insns[pc];
		uint32_t k = f->k;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS: memcpy(&A, data + k, 4); break;
		case BPF_LD | BPF_W | BPF_LEN: A = sizeof(*d); break;
		case BPF_LDX | BPF_W | BPF_LEN: X = sizeof(*d); break;
		case BPF_LD | BPF_IMM: A = k; break;
		case BPF_LDX | BPF_IMM: X = k; break;
		case BPF_LD | BPF_MEM: A = M[k]; break;
		case BPF_LDX | BPF_MEM: X = M[k]; break;
		case BPF_ST: M[k] = A; break;
		case BPF_STX: M[k] = X; break;
		case BPF_MISC | BPF_TAX: X = A; break;
		case BPF_MISC | BPF_TXA: A = X; break;
		case BPF_ALU | BPF_NEG: A = -A; break;
		case BPF_ALU | BPF_ADD | BPF_K: A += k; break;
		case BPF_ALU | BPF_ADD | BPF_X: A += X; break;
		case BPF_ALU | BPF_SUB | BPF_K: A -= k; break;
		case BPF_ALU | BPF_SUB | BPF_X: A -= X; break;
		case BPF_ALU | BPF_MUL | BPF_K: A *= k; break;
		case BPF_ALU | BPF_MUL | BPF_X: A *= X; break;
		case BPF_ALU | BPF_DIV | BPF_K: A /= k; break;
		case BPF_ALU | BPF_MOD | BPF_K: A %= k; break;
		case BPF_ALU | BPF_DIV | BPF_X: if (!X) return 0; A /= X; break;
		case BPF_ALU | BPF_MOD | BPF_X: if (!X) return 0; A %= X; break;
		case BPF_ALU | BPF_AND | BPF_K: A &= k; break;
		case BPF_ALU | BPF_AND | BPF_X: A &= X; break;
		case BPF_ALU | BPF_OR | BPF_K: A |= k; break;
		case BPF_ALU | BPF_OR | BPF_X: A |= X; break;
		case BPF_ALU | BPF_XOR | BPF_K: A ^= k; break;
		case BPF_ALU | BPF_XOR | BPF_X: A ^= X; break;
		case BPF_ALU | BPF_LSH | BPF_K: A <<= k; break;
		case BPF_ALU | BPF_LSH | BPF_X: A = X < 32 ? A << X : 0; break;
		case BPF_ALU | BPF_RSH | BPF_K: A >>= k; break;
		case BPF_ALU | BPF_RSH | BPF_X: A = X < 32 ? A >> X : 0; break;
		case BPF_JMP | BPF_JA: pc += k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += A == k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JEQ | BPF_X: pc += A == X ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += A >= k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_X: pc += A >= X ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += A > k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_X: pc += A > X ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (A & k) ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JSET | BPF_X: pc += (A & X) ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return k;
		case BPF_RET | BPF_A: return A;
		default: return 0;
		}
	}
	return 0;     /* unreachable: the check demands a final return */
}

static bool action_known(uint32_t action)
{
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS: case SECCOMP_RET_KILL_THREAD: case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO: case SECCOMP_RET_USER_NOTIF: case SECCOMP_RET_TRACE:
	case SECCOMP_RET_LOG: case SECCOMP_RET_ALLOW:
		return true;
	default:
		return false;
	}
}

static long install_filter(struct task *t, unsigned flags, uint64_t uprog)
{
	struct { uint16_t len; uint16_t pad[3]; uint64_t filter; } prog;
	struct seccomp_filter *f;
	unsigned total = 0;
	long err;

	if (flags & ~(unsigned)(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
				SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_NEW_LISTENER |
				SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
				SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
		return -EINVAL;
	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		moat_log("seccomp: user notification listeners are not implemented: ENOSYS");
		return -ENOSYS;
	}
	if (mm_copy_in(t->mm, &prog, uprog, sizeof(prog)))
		return -EFAULT;
	if (prog.len == 0 || prog.len > BPF_MAXINSNS_K)
		return -EINVAL;
	if (!t->tg->no_new_privs && !capable(t, CAP_SYS_ADMIN))
		return -EACCES;
	for (struct seccomp_filter *p = t->seccomp; p; p = p->prev)
		total += p->len + 4u;
	if (total + prog.len > MAX_TOTAL_INSNS)
		return -ENOMEM;
	f = calloc(1, sizeof(*f) + prog.len * sizeof(struct sock_filter));
	if (!f)
		return -ENOMEM;
	f->refs = 1;
	f->len = prog.len;
	f->log = flags & SECCOMP_FILTER_FLAG_LOG;
	if (mm_copy_in(t->mm, f->insns, prog.filter, prog.len * sizeof(struct sock_filter))) {
		free(f);
		return -EFAULT;
	}
	err = check_filter(f->insns, f->len);
	if (err) {
		free(f);
		return err;
	}
	pthread_mutex_lock(&t->k->lock);
	if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
		/* Each other thread's chain must be part of ours. */
		for (struct task *o = t->tg->tasks; o; o = o->tg_next) {
			bool ok = o == t || !o->seccomp;
			for (struct seccomp_filter *p = t->seccomp; p && !ok; p = p->prev)
				ok = p == o->seccomp;
			if (!ok || o->seccomp_mode == SECCOMP_MODE_STRICT) {
				int tid = o->tid;
				pthread_mutex_unlock(&t->k->lock);
				free(f);
				return (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) ? -ESRCH : tid;
			}
		}
	}
	f->prev = t->seccomp;
	t->seccomp = f;
	t->seccomp_mode = SECCOMP_MODE_FILTER;
	if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
		for (struct task *o = t->tg->tasks; o; o = o->tg_next) {
			if (o == t)
				continue;
			seccomp_get(f);
			seccomp_put(o->seccomp);
			o->seccomp = f;
			o->seccomp_mode = SECCOMP_MODE_FILTER;
		}
	}
	pthread_mutex_unlock(&t->k->lock);
	return 0;
}

long do_seccomp(struct task *t, unsigned op, unsigned flags, uint64_t uargs)
{
	switch (op) {
	case SECCOMP_SET_MODE_STRICT:
		if (flags || uargs)
			return -EINVAL;
		if (t->seccomp_mode == SECCOMP_MODE_FILTER)
			return -EINVAL;
		t->seccomp_mode = SECCOMP_MODE_STRICT;
		return 0;
	case SECCOMP_SET_MODE_FILTER:
		if (t->seccomp_mode == SECCOMP_MODE_STRICT)
			return -EINVAL;
		return install_filter(t, flags, uargs);
	case SECCOMP_GET_ACTION_AVAIL: {
		uint32_t action;
		if (flags)
			return -EINVAL;
		if (mm_copy_in(t->mm, &action, uargs, sizeof(action)))
			return -EFAULT;
		return action_known(action) ? 0 : -EOPNOTSUPP;
	}
	case SECCOMP_GET_NOTIF_SIZES: {
		struct seccomp_notif_sizes sz = { sizeof(struct seccomp_notif),
						  sizeof(struct seccomp_notif_resp),
						  sizeof(struct seccomp_data) };
		if (flags)
			return -EINVAL;
		return mm_copy_out(t->mm, uargs, &sz, sizeof(sz)) ? -EFAULT : 0;
	}
	default:
		return -EINVAL;
	}
}

long sys_seccomp(struct task *t, const uint64_t a[6])
{
	return do_seccomp(t, (unsigned)a[0], (unsigned)a[1], a[2]);
}

/* SIGSYS for SECCOMP_RET_TRAP (Linux: force_sig_seccomp). */
static void seccomp_trap(struct task *t, int nr, uint32_t data)
{
	struct k_sigaction *sa = &t->sighand->actions[SIGSYS - 1];
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	info.si_signo = SIGSYS;
	info.si_code = SYS_SECCOMP;
	info.si_call_addr = (void *)(uintptr_t)t->regs.rip;
	info.si_syscall = nr;
	info.si_arch = AUDIT_ARCH_X86_64;
	info.si_errno = (int)data;
	pthread_mutex_lock(&t->k->lock);
	if ((t->sigmask & SIGBIT(SIGSYS)) || sa->handler == (uint64_t)(uintptr_t)SIG_IGN) {
		sa->handler = (uint64_t)(uintptr_t)SIG_DFL;
		t->sigmask &= ~SIGBIT(SIGSYS);
	}
	send_signal_locked(t->tg, t, SIGSYS, &info);
	recalc_sigpending(t);
	pthread_mutex_unlock(&t->k->lock);
}

bool seccomp_check(struct task *t, int nr, const uint64_t a[6], long *ret)
{
	if (t->seccomp_mode == SECCOMP_MODE_STRICT) {
		if (nr == __NR_read || nr == __NR_write || nr == __NR_exit || nr == __NR_rt_sigreturn)
			return true;
		moat_log("seccomp strict mode: syscall %d kills task %d", nr, t->tid);
		kernel_group_exit(t, SIGKILL);
		*ret = 0;
		return false;
	}
	struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64,
				  .instruction_pointer = t->regs.rip };
	memcpy(d.args, a, sizeof(d.args));
	uint32_t best = SECCOMP_RET_ALLOW;
	for (struct seccomp_filter *f = t->seccomp; f; f = f->prev) {
		uint32_t r = run_filter(f, &d);
		if ((int32_t)(r & SECCOMP_RET_ACTION_FULL) < (int32_t)(best & SECCOMP_RET_ACTION_FULL))
			best = r;
	}
	uint32_t data = best & SECCOMP_RET_DATA;
	switch (best & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return true;
	case SECCOMP_RET_ERRNO:
		*ret = -(long)MIN(data, 4095u);
		return false;
	case SECCOMP_RET_TRAP:
		seccomp_trap(t, nr, data);
		*ret = (long)t->regs.orig_rax;    /* syscall_rollback */
		return false;
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		/* No tracer or listener here: the syscall fails as Linux
		 * makes it fail without one. */
		*ret = -ENOSYS;
		return false;
	case SECCOMP_RET_KILL_THREAD:
		/* Linux kills the whole process when it is the last thread,
		 * with a core-dumping SIGSYS either way for the status. */
		pthread_mutex_lock(&t->k->lock);
		bool alone = t->tg->nr_threads == 1;
		pthread_mutex_unlock(&t->k->lock);
		if (alone) {
			kernel_group_exit(t, SIGSYS);
		} else {
			t->exit_code = SIGSYS;
			t->exiting = true;
		}
		*ret = 0;
		return false;
	default:      /* SECCOMP_RET_KILL_PROCESS and unknown actions */
		kernel_group_exit(t, SIGSYS);
		*ret = 0;
		return false;
	}
}
