/*
 * usertrap.c: syscall sites patched to enter the sentry without a signal.
 * gVisor: pkg/sentry/platform/systrap/usertrap.
 *
 * A syscall normally reaches the sentry through seccomp's SIGSYS: the host
 * kernel builds a signal frame, runs the stub's handler, and rt_sigreturn
 * takes it down again, some 1.5-2 us of host kernel work on a machine with
 * page-table isolation.  When a site traps that way and looks like
 *
 *     mov $NR, %eax ; syscall          (b8 imm32 0f 05: libc's wrappers)
 *     mov 0x8(%rsp), %r9 ; syscall     (4c 8b 4c 24 08 0f 05: syscall(2))
 *
 * its seven bytes become `jmp *ABS32` (ff 24 25 abs32), an indirect jump
 * through a slot of a trampoline table that the sentry maps at USERTRAP_BASE
 * (below 2 GiB, so that an absolute 32-bit address reaches it).  The slot's
 * trampoline runs the displaced instruction, puts the return address in rcx
 * (as the syscall instruction would) and jumps through %gs:SM_ENTRY_RIP to
 * the stub's stub_syscall_entry, which hands the registers to the sentry
 * through the sysmsg page with no host syscall at all when both sides spin.
 *
 * The trampoline is application code: an interrupt there is an ordinary
 * interrupt of the application, and it uses no stack (the red zone below
 * the application's rsp stays untouched).
 *
 * Restarting a patched syscall cannot step back over a 2-byte syscall
 * instruction: the task resumes at slot 0 instead, which enters the stub
 * with rax (the number) and rcx (the return address) as they are.
 *
 * When a site is patched: only while its process is single-threaded and
 * owns its address space alone, so that no other thread can be executing
 * the seven bytes while they change (a forked child sharing the page gets
 * its own copy: mm_write_code copies pages shared copy-on-write).  The
 * table and the patched pages are inherited by fork; execve starts afresh.
 * Patching stops for an address space when the table is full or cannot be
 * placed (something already mapped there); --no-syscall-patching turns it
 * off altogether.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/mm.h"
#include "util/util.h"

#define USERTRAP_BASE   0x60000UL
#define USERTRAP_SIZE   0x4000UL
#define USERTRAP_SLOT   64
#define USERTRAP_SLOTS  (USERTRAP_SIZE / USERTRAP_SLOT)
#define USERTRAP_OFF    UINT32_MAX

bool usertrap_enabled = true;

/* Slot layout: the jump's target pointer, then the code. */
#define SLOT_CODE 8

static void put_jmp_gs_entry(uint8_t *p)
{
	/* jmp *%gs:SM_ENTRY_RIP */
	p[0] = 0x65;
	p[1] = 0xff;
	p[2] = 0x24;
	p[3] = 0x25;
	uint32_t off = SM_ENTRY_RIP;
	memcpy(p + 4, &off, 4);
}

/* Maps the table with its slot 0 (the restart entry); false if it cannot. */
static bool table_create(struct mm *mm)
{
	uint8_t slot[USERTRAP_SLOT];
	uint64_t code = USERTRAP_BASE + SLOT_CODE;

	if (mm_map_anon_noreplace(mm, USERTRAP_BASE, USERTRAP_SIZE, PROT_READ | PROT_EXEC,
				  VMA_USERTRAP) < 0)
		return false;
	memset(slot, 0xcc, sizeof(slot));            /* int3 */
	memcpy(slot, &code, 8);
	put_jmp_gs_entry(slot + SLOT_CODE);
	if (mm_copy_out_force(mm, USERTRAP_BASE, slot, sizeof(slot)))
		return false;
	mm->usertrap_base = USERTRAP_BASE;
	mm->usertrap_next = 1;
	return true;
}

/* The displaced instruction, if the site is one the trampolines know. */
static bool site_patchable(const uint8_t b[7], uint64_t nr)
{
	static const uint8_t mov_r9[5] = { 0x4c, 0x8b, 0x4c, 0x24, 0x08 };
	uint32_t imm;

	if (b[5] != 0x0f || b[6] != 0x05)
		return false;
	if (b[0] == 0xb8) {
		memcpy(&imm, b + 1, 4);
		return imm == nr;
	}
	return memcmp(b, mov_r9, 5) == 0;
}

void usertrap_maybe_patch(struct task *t)
{
	struct mm *mm = t->mm;
	uint64_t site = t->regs.rip - 7;
	uint8_t old[7], slot[USERTRAP_SLOT], jmp[7];

	if (!usertrap_enabled || mm->usertrap_next == USERTRAP_OFF)
		return;
	if (__atomic_load_n(&t->tg->nr_threads, __ATOMIC_RELAXED) != 1 ||
	    __atomic_load_n(&mm->refs, __ATOMIC_RELAXED) != 1)
		return;
	if (t->regs.rip < 7 || t->regs.rip > mm->task_size ||
	    mm_copy_in(mm, old, site, sizeof(old)) || !site_patchable(old, t->regs.orig_rax))
		return;
	if (!mm->usertrap_base && !table_create(mm)) {
		mm->usertrap_next = USERTRAP_OFF;
		return;
	}
	if (mm->usertrap_next >= USERTRAP_SLOTS) {
		mm->usertrap_next = USERTRAP_OFF;
		return;
	}

	/* The trampoline: <displaced instruction>; movabs $site+7, %rcx;
	 * jmp *%gs:SM_ENTRY_RIP; then the site's original bytes, kept for
	 * whoever reads the table. */
	uint64_t at = mm->usertrap_base + (uint64_t)mm->usertrap_next * USERTRAP_SLOT;
	uint64_t code = at + SLOT_CODE, ret = t->regs.rip;
	memset(slot, 0xcc, sizeof(slot));
	memcpy(slot, &code, 8);
	memcpy(slot + SLOT_CODE, old, 5);
	slot[SLOT_CODE + 5] = 0x48;
	slot[SLOT_CODE + 6] = 0xb9;
	memcpy(slot + SLOT_CODE + 7, &ret, 8);
	put_jmp_gs_entry(slot + SLOT_CODE + 15);
	memcpy(slot + 40, old, sizeof(old));
	if (mm_copy_out_force(mm, at, slot, sizeof(slot)))
		return;

	/* The site: jmp *at (ff 24 25 abs32). */
	uint32_t abs = (uint32_t)at;
	jmp[0] = 0xff;
	jmp[1] = 0x24;
	jmp[2] = 0x25;
	memcpy(jmp + 3, &abs, 4);
	if (mm_write_code(mm, site, jmp, sizeof(jmp)) == 0) {
		mm->usertrap_next++;
		/* The syscall instruction is gone: a restart of this very
		 * call must go through the table too. */
		t->syscall_patched = true;
	}
}

void usertrap_restart(struct task *t)
{
	t->regs.rcx = t->regs.rip;
	t->regs.rip = t->mm->usertrap_base + SLOT_CODE;
}
