/*
 * entry.S: the stub's assembly entry points.
 *
 * stub_start is where a freshly forked stub process begins, still holding a
 * copy of the sentry's address space: it maps its control area from the
 * memory file, moves onto the private boot stack (sysmsg.h) and calls
 * stub_main, which throws the rest of the sentry's memory away.
 *
 * The blob is position independent and has no relocations: the sentry copies
 * it anywhere in the stub region.
 */
#include "../sysmsg.h"

	.text
	.globl stub_base
stub_base:

/* stub_start(memfd %rdi, ctrl file offset %rsi) */
	.globl stub_start
stub_start:
	mov %rdi, %r12
	mov %rsi, %r13
	lea stub_base(%rip), %r14
	/* mmap(base + STUB_CTRL_OFF, STUB_CTRL_SIZE, RW, SHARED|FIXED, memfd, off) */
	lea 0x100000(%r14), %rdi
	mov $0x10000, %rsi
	mov $3, %rdx
	mov $0x11, %r10
	mov %r12, %r8
	mov %r13, %r9
	mov $9, %eax
	syscall
	cmp %rdi, %rax
	jne 1f
	lea 0x50000(%r14), %rsp        /* STUB_PRIV_OFF + STUB_PRIV_SIZE */
	mov %r12, %rdi
	mov %r13, %rsi
	call stub_main
1:	mov $231, %eax
	mov $125, %edi
	syscall
	ud2

/*
 * stub_clone_thread(area %rdi): clone a stub thread whose boot stack is in
 * area, and start it in stub_thread_main(area).  Returns the new thread's
 * host tid (or -errno) in the parent.
 */
	.globl stub_clone_thread
stub_clone_thread:
	mov %rdi, %r9
	lea 0x5000(%rdi), %rsi          /* AREA_BOOTSTACK_TOP */
	mov $0x00050f00, %rdi           /* STUB_CLONE_FLAGS */
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $56, %eax
	syscall
	test %rax, %rax
	jnz 2f
	mov %r9, %rdi
	xor %ebp, %ebp
	call stub_thread_main
	ud2
2:	ret

/*
 * fork_keeping_args: a raw clone(SIGCHLD) that keeps the two arguments in
 * %r8 and %r9 (clone ignores r8, the TLS, without CLONE_SETTLS).  The
 * parent returns the child's pid or -errno; the child goes on below.
 */
.macro fork_keeping_args
	mov %rdi, %r8
	mov %rsi, %r9
	mov $17, %edi            /* SIGCHLD */
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	mov $56, %eax            /* clone */
	syscall
	test %rax, %rax
	jz 1f
	ret
1:
.endm

/*
 * stub_fork(memfd %rdi, ctrl file offset %rsi): called by the sentry.
 * Forks it and sends the child to stub_start.  It lives in the blob
 * because the child keeps no sentry memory at all (the sentry's mappings
 * are MADV_DONTFORK), so the clone must return into code the child still
 * has.
 */
	.globl stub_fork
stub_fork:
	fork_keeping_args
	mov %r8, %rdi
	mov %r9, %rsi
	jmp stub_start

/*
 * stub_fork_factory(memfd %rdi, socket %rsi): called by the sentry, as
 * stub_fork; the child runs stub_factory_main on the private boot stack.
 */
	.globl stub_fork_factory
stub_fork_factory:
	fork_keeping_args
	lea stub_base(%rip), %r14
	lea 0x50000(%r14), %rsp  /* STUB_PRIV_OFF + STUB_PRIV_SIZE */
	mov %r8, %rdi
	mov %r9, %rsi
	call stub_factory_main
	ud2

/*
 * stub_fork_child(ctrl file offset %rdi): the factory's fork of a new stub,
 * with CLONE_PARENT so that it is the sentry's child; it begins at
 * stub_start with the memory file (fd 0) and that control area.  Returns
 * the child's pid or -errno.
 */
	.globl stub_fork_child
stub_fork_child:
	mov %rdi, %r9
	mov $0x8011, %edi        /* CLONE_PARENT | SIGCHLD */
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $56, %eax            /* clone */
	syscall
	test %rax, %rax
	jz 1f
	ret
1:	xor %edi, %edi           /* STUB_MEMFD */
	mov %r9, %rsi
	jmp stub_start

/* The signal restorer: rt_sigreturn from stub code, which the filter allows. */
	.globl stub_restorer
stub_restorer:
	mov $15, %eax
	syscall
	ud2

/* The thread trap: a new thread's first trip into the handler. */
	.globl stub_init_trap
stub_init_trap:
	mov $0x3fff, %eax               /* STUB_NR_INIT_TRAP */
	syscall
	ud2

/* put REG, OFF: store REG at %gs:OFF unless it holds that value already. */
.macro put reg, off
	cmp \reg, %gs:\off
	je .Lput\@
	mov \reg, %gs:\off
.Lput\@:
.endm

/*
 * stub_syscall_entry: a patched syscall site's way in, without a signal.
 * The site's trampoline (kernel/usertrap.c) ran the instruction the patch
 * displaced and jumped here through %gs:SM_ENTRY_RIP with rax = the
 * syscall number and rcx = the return address, as the syscall instruction
 * leaves them; r11 gets the flags, as it would.  Everything else is the
 * application's.  GS base is this thread's sysmsg page.
 */
	.globl stub_syscall_entry
stub_syscall_entry:
	mov %rsp, %gs:SM_APP_RSP
	mov %gs:SM_ENTRY_RSP, %rsp
	pushfq
	pop %r11
	test $0x40500, %r11d    /* AC, DF or TF set: clear them for C */
	jz 3f
	push $0x202
	popfq
3:
	/* The other registers' lines are written only where a value
	 * changed, so that they stay in the cache of whoever last read
	 * them; the syscall's line (sysmsg.h) is written whole, last, just
	 * before the state. */
	put %rcx, SM_RIP
	put %rcx, SM_RCX
	put %r11, SM_R11
	put %r11, SM_EFLAGS
	put %rbx, SM_RBX
	put %rbp, SM_RBP
	put %r12, SM_R12
	put %r13, SM_R13
	put %r14, SM_R14
	put %r15, SM_R15
	mov %gs:SM_APP_RSP, %rcx
	put %rcx, SM_RSP
	mov %rax, %gs:SM_RAX
	mov %rdi, %gs:SM_RDI
	mov %rsi, %gs:SM_RSI
	mov %rdx, %gs:SM_RDX
	mov %r10, %gs:SM_R10
	mov %r8, %gs:SM_R8
	mov %r9, %gs:SM_R9
	xor %edi, %edi
1:	call stub_patched_trap
/*
 * Back to the application with the registers the sentry left in sysmsg.
 * An interrupt that came after the C code last looked is taken first;
 * one that comes from here on finds the thread in [stub_patched_return,
 * stub_patched_end) and the handler resumes the application itself.
 */
	.globl stub_patched_return
stub_patched_return:
	cmpl $0, %gs:SM_INTR_PENDING
	jne 2f
	pushq %gs:SM_EFLAGS
	popfq
	mov %gs:SM_R15, %r15
	mov %gs:SM_R14, %r14
	mov %gs:SM_R13, %r13
	mov %gs:SM_R12, %r12
	mov %gs:SM_RBP, %rbp
	mov %gs:SM_RBX, %rbx
	mov %gs:SM_R11, %r11
	mov %gs:SM_R10, %r10
	mov %gs:SM_R9, %r9
	mov %gs:SM_R8, %r8
	mov %gs:SM_RAX, %rax
	mov %gs:SM_RCX, %rcx
	mov %gs:SM_RDX, %rdx
	mov %gs:SM_RSI, %rsi
	mov %gs:SM_RDI, %rdi
	mov %gs:SM_RSP, %rsp
	jmp *%gs:SM_RIP
	.globl stub_patched_end
stub_patched_end:
2:	mov $1, %edi            /* an interrupt trap */
	jmp 1b

	.section .note.GNU-stack,"",@progbits
