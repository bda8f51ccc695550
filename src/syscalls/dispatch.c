/*
 * dispatch.c: from a trapped syscall to its handler and back.
 */
#include "syscalls/syscalls.h"

#include <errno.h>

#include "kernel/kernel.h"
#include "util/util.h"


/* One bit per syscall number: has its absence been logged yet? */
static uint64_t enosys_logged[SYSCALL_MAX / 64];

static long unimplemented(long nr)
{
	const char *name = syscall_name(nr);

	if (nr >= 0 && nr < SYSCALL_MAX) {
		uint64_t bit = 1ULL << (nr % 64);
		if (__atomic_fetch_or(&enosys_logged[nr / 64], bit, __ATOMIC_RELAXED) & bit)
			return -ENOSYS;
	} else {
		/* Numbers beyond the table: remember a few, then go quiet. */
		static long seen[16];
		static int nseen;
		int i, n = __atomic_load_n(&nseen, __ATOMIC_ACQUIRE);
		for (i = 0; i < n; i++)
			if (seen[i] == nr)
				return -ENOSYS;
		n = __atomic_fetch_add(&nseen, 1, __ATOMIC_ACQ_REL);
		if (n >= (int)ARRAY_SIZE(seen))
			return -ENOSYS;
		seen[n] = nr;
	}
	if (name)
		moat_log("unimplemented syscall %s (%ld): ENOSYS", name, nr);
	else
		moat_log("unknown syscall %ld: ENOSYS", nr);
	return -ENOSYS;
}

void syscall_dispatch(struct task *t)
{
	long nr = (long)t->regs.orig_rax;
	const uint64_t a[6] = { t->regs.rdi, t->regs.rsi, t->regs.rdx,
				t->regs.r10, t->regs.r8, t->regs.r9 };
	long ret;

	if (t->seccomp_mode && !seccomp_check(t, (int)nr, a, &ret))
		;       /* the application's own filter decided */
	else if (nr >= 0 && nr < SYSCALL_MAX && syscall_table[nr].handler)
		ret = syscall_table[nr].handler(t, a);
	else
		ret = unimplemented(nr);
	if (strace_enabled)
		strace_syscall(t->mm, t->tid, (int)nr, a, ret);
	t->regs.rax = (uint64_t)ret;
}
