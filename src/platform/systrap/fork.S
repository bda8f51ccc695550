/*
 * fork.S: systrap_fork_stub(entry, memfd, ctrl_off)
 *
 * Forks the calling sentry thread with a raw clone(SIGCHLD) and sends the
 * child straight to the stub's entry point, so the child never runs a
 * line of sentry C code (no libc fork handlers, no sanitizer hooks).
 * Returns the child's pid, or -errno, in the parent.
 */
	.text
	.globl systrap_fork_stub
	.type systrap_fork_stub, @function
systrap_fork_stub:
	push %r12
	push %r13
	mov %rdi, %r9
	mov %rsi, %r12
	mov %rdx, %r13
	mov $17, %edi            /* SIGCHLD */
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $56, %eax            /* clone */
	syscall
	test %rax, %rax
	jz 1f
	pop %r13
	pop %r12
	ret
1:	mov %r12, %rdi
	mov %r13, %rsi
	jmp *%r9
	.size systrap_fork_stub, .-systrap_fork_stub

	.section .note.GNU-stack,"",@progbits
