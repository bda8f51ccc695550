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
 *     xor %eax, %eax ; syscall ; cmp $-4096, %rax
 *                                      (31 c0 0f 05 48 3d 00 f0 ff ff: read)
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
 * Other threads may be running the seven bytes while they change.  The
 * byte that replaces the syscall instruction's first (0f) is 0x06, an
 * invalid opcode in 64-bit mode (the third byte of a table address
 * 0x0006xxxx), and it is written first; then the rest, the jump's opcode
 * last.  A thread caught between the old mov and the new bytes faults
 * with SIGILL at site + 5, and the sentry sends it back to the site's
 * start (usertrap_fixup); one that still ran the old syscall instruction
 * traps through SIGSYS, and its syscall counts as a patched site's for a
 * restart.  (gVisor does the same.)  A page shared copy-on-write with a
 * forked process is copied first (mm_write_code).
 *
 * The `xor` sites (glibc's read) have only four bytes before the return
 * address, and a thread blocked in read() returns to the cmp after them.
 * Their jump is `jmp *0x003d48XX` (ff 24 25 XX 48 3d 00): its last three
 * bytes are the cmp's first three, so the cmp stays whole and in place.
 * The pointer at 0x3d48XX (one of 32 on a read-only page the sentry maps
 * at XSITE_PAGE) leads to a table slot that runs `xor %eax, %eax` and
 * enters the stub with site+4 as the return address.  Only four bytes
 * change, in the order 0f->25, 05->XX, 31->ff, c0->24: a thread caught
 * between them runs `and $imm32, %eax` (or `inc %eax` first) into the
 * undefined `f0 ff ff` at site + 7 and takes SIGILL there, and is sent
 * back to the site's start, whose eax the trampoline sets again.
 *
 * The table and the
 * patched pages are inherited by fork; execve starts afresh.
 * Patching stops for an address space when the table is full or cannot be
 * placed (something already mapped there); --no-syscall-patching turns it
 * off altogether.
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/mman.h>

#include "mm/mm.h"
#include "util/util.h"

#define USERTRAP_BASE   0x60000UL
#define USERTRAP_SIZE   0x4000UL
#define USERTRAP_SLOT   64
#define USERTRAP_SLOTS  (USERTRAP_SIZE / USERTRAP_SLOT)
#define USERTRAP_OFF    UINT32_MAX
#define XSITE_PAGE      0x3d4000UL      /* jump pointers at 0x3d4800 + 8k */
#define XSITE_PTRS      (XSITE_PAGE + 0x800)
#define XSITE_MAX       32

bool usertrap_enabled = true;
static pthread_mutex_t usertrap_lock = PTHREAD_MUTEX_INITIALIZER;

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

/*
 * Fills a trampoline slot at table address at: its code pointer, then the
 * displaced bytes, `movabs $ret, %rcx`, `jmp *%gs:SM_ENTRY_RIP`; the site's
 * original bytes are kept at offset 40 for whoever reads the table.
 */
static void slot_fill(uint8_t slot[USERTRAP_SLOT], uint64_t at, const uint8_t *displaced,
		      size_t ndisplaced, uint64_t ret, const uint8_t *orig, size_t norig)
{
	uint64_t code = at + SLOT_CODE;
	uint8_t *p = slot + SLOT_CODE + ndisplaced;

	memset(slot, 0xcc, USERTRAP_SLOT);           /* int3 */
	memcpy(slot, &code, 8);
	memcpy(slot + SLOT_CODE, displaced, ndisplaced);
	p[0] = 0x48;
	p[1] = 0xb9;
	memcpy(p + 2, &ret, 8);
	put_jmp_gs_entry(p + 10);
	memcpy(slot + 40, orig, norig);
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

static const uint8_t xsite_code[10] = { 0x31, 0xc0, 0x0f, 0x05, 0x48, 0x3d, 0x00, 0xf0, 0xff, 0xff };

/* Is b (ten bytes) a patched `xor` site of mm? */
static bool is_xsite_patched(struct mm *mm, const uint8_t b[10])
{
	return mm->usertrap_xnext && mm->usertrap_xnext != USERTRAP_OFF &&
	       b[0] == 0xff && b[1] == 0x24 && b[2] == 0x25 && (b[3] & 7) == 0 &&
	       b[3] / 8 < XSITE_MAX && memcmp(b + 4, xsite_code + 4, 6) == 0;
}

/* Is b (seven bytes) a jump into mm's trampoline table? */
static bool is_patched(struct mm *mm, const uint8_t b[7])
{
	uint32_t abs;

	if (!mm->usertrap_base || b[0] != 0xff || b[1] != 0x24 || b[2] != 0x25)
		return false;
	memcpy(&abs, b + 3, 4);
	return abs >= mm->usertrap_base && abs < mm->usertrap_base + USERTRAP_SIZE;
}

/* Writes the jump over the site in the order described above. */
static int write_jump(struct mm *mm, uint64_t site, uint32_t abs)
{
	uint8_t jmp[7] = { 0xff, 0x24, 0x25 };

	memcpy(jmp + 3, &abs, 4);
	if (mm_write_code(mm, site + 5, jmp + 5, 1) ||
	    mm_write_code(mm, site + 1, jmp + 1, 4) ||
	    mm_write_code(mm, site + 6, jmp + 6, 1) ||
	    mm_write_code(mm, site, jmp, 1))
		return -EFAULT;
	return 0;
}

/* Maps the page of `xor` site pointers; false if it cannot be. */
static bool xsite_page_create(struct mm *mm)
{
	if (mm_map_anon_noreplace(mm, XSITE_PAGE, PAGE_SIZE, PROT_READ, VMA_USERTRAP) < 0)
		return false;
	mm->usertrap_xnext = 1;         /* pointer k lives at index k + 1 */
	return true;
}

/* Patches the `xor` site whose syscall returns to rip (usertrap_lock held). */
static void patch_xsite(struct task *t)
{
	struct mm *mm = t->mm;
	uint64_t site = t->regs.rip - 4;
	uint8_t slot[USERTRAP_SLOT];

	if (mm->usertrap_xnext == USERTRAP_OFF ||
	    (!mm->usertrap_xnext && !xsite_page_create(mm))) {
		mm->usertrap_xnext = USERTRAP_OFF;
		return;
	}
	if (mm->usertrap_xnext > XSITE_MAX || mm->usertrap_next >= USERTRAP_SLOTS)
		return;
	/* The slot: xor %eax, %eax; movabs $site+4, %rcx; jmp *%gs:SM_ENTRY_RIP. */
	uint64_t at = mm->usertrap_base + (uint64_t)mm->usertrap_next * USERTRAP_SLOT;
	uint64_t code = at + SLOT_CODE;
	uint64_t ptr = XSITE_PTRS + 8 * (mm->usertrap_xnext - 1);
	slot_fill(slot, at, xsite_code, 2, t->regs.rip, xsite_code, sizeof(xsite_code));
	if (mm_copy_out_force(mm, at, slot, sizeof(slot)) ||
	    mm_copy_out_force(mm, ptr, &code, 8))
		return;
	mm->usertrap_next++;
	mm->usertrap_xnext++;
	uint8_t b2 = 0x25, b3 = (uint8_t)(ptr & 0xff), b0 = 0xff, b1 = 0x24;
	if (mm_write_code(mm, site + 2, &b2, 1) || mm_write_code(mm, site + 3, &b3, 1) ||
	    mm_write_code(mm, site, &b0, 1) || mm_write_code(mm, site + 1, &b1, 1))
		return;
	t->syscall_patched = true;
}

void usertrap_maybe_patch(struct task *t)
{
	struct mm *mm = t->mm;
	uint64_t site = t->regs.rip - 7;
	uint8_t old[7], slot[USERTRAP_SLOT];

	if (!usertrap_enabled || t->regs.rip < 7 || t->regs.rip > mm->task_size ||
	    READ_ONCE(mm->usertrap_next) == USERTRAP_OFF)
		return;
	/* Calls that do not come back to this address space: a fork's
	 * child patched (copied, remapped) its execve site every time. */
	switch (t->regs.orig_rax) {
	case __NR_execve: case __NR_execveat: case __NR_exit: case __NR_exit_group:
		return;
	}
	/* Nor do the first few calls of a new program (its start-up: most
	 * sites run once) or of a fork's child (most exec at once): each
	 * patch costs a copy of a code page and of the trampoline table's
	 * page (10-40 us of sentry time) and splits the mappings. */
	uint32_t hold = READ_ONCE(mm->usertrap_hold);
	if (hold) {
		WRITE_ONCE(mm->usertrap_hold, hold - 1);
		return;
	}
	/* Most sites that still trap cannot be patched: remember them (a
	 * racy hint: at worst a site is looked at again, or not patched). */
	uint64_t *nope = &mm->usertrap_nope[(t->regs.rip >> 1) % ARRAY_SIZE(mm->usertrap_nope)];
	if (READ_ONCE(*nope) == t->regs.rip)
		return;
	/* A first look without the lock. */
	if (mm_copy_in(mm, old, site, sizeof(old)))
		return;
	uint8_t x[10];
	if (t->regs.orig_rax == 0 && mm_copy_in(mm, x, t->regs.rip - 4, sizeof(x)) == 0 &&
	    (memcmp(x, xsite_code, sizeof(x)) == 0 || is_xsite_patched(mm, x))) {
		pthread_mutex_lock(&usertrap_lock);
		if (mm->usertrap_next != USERTRAP_OFF &&
		    mm_copy_in(mm, x, t->regs.rip - 4, sizeof(x)) == 0) {
			if (is_xsite_patched(mm, x))
				t->syscall_patched = true;      /* patched meanwhile */
			else if (memcmp(x, xsite_code, sizeof(x)) == 0 &&
				 (mm->usertrap_base || table_create(mm)))
				patch_xsite(t);
		}
		pthread_mutex_unlock(&usertrap_lock);
		return;
	}
	if (!is_patched(mm, old) && !site_patchable(old, t->regs.orig_rax)) {
		WRITE_ONCE(*nope, t->regs.rip);
		return;
	}
	pthread_mutex_lock(&usertrap_lock);
	if (mm->usertrap_next == USERTRAP_OFF || mm_copy_in(mm, old, site, sizeof(old)))
		goto out;
	if (is_patched(mm, old)) {
		/* Another thread patched it while this one ran the old code:
		 * the syscall instruction is gone for a restart. */
		moat_log("task %d: syscall from a site patched meanwhile at %#lx",
			 t->tid, (unsigned long)site);
		t->syscall_patched = true;
		goto out;
	}
	if (!site_patchable(old, t->regs.orig_rax))
		goto out;
	if (!mm->usertrap_base && !table_create(mm)) {
		mm->usertrap_next = USERTRAP_OFF;
		goto out;
	}
	if (mm->usertrap_next >= USERTRAP_SLOTS) {
		mm->usertrap_next = USERTRAP_OFF;
		goto out;
	}

	/* The trampoline runs the displaced mov and returns to site+7. */
	uint64_t at = mm->usertrap_base + (uint64_t)mm->usertrap_next * USERTRAP_SLOT;
	slot_fill(slot, at, old, 5, t->regs.rip, old, sizeof(old));
	if (mm_copy_out_force(mm, at, slot, sizeof(slot)))
		goto out;
	mm->usertrap_next++;
	if (write_jump(mm, site, (uint32_t)at) == 0) {
		/* The syscall instruction is gone: a restart of this very
		 * call must go through the table too. */
		t->syscall_patched = true;
	}
out:
	pthread_mutex_unlock(&usertrap_lock);
}

bool usertrap_fixup(struct task *t, uint64_t addr)
{
	uint8_t b[7], x[10];
	uint64_t site = 0;

	if (!t->mm->usertrap_base || addr < 7)
		return false;
	pthread_mutex_lock(&usertrap_lock);
	if (mm_copy_in(t->mm, b, addr - 5, sizeof(b)) == 0 && is_patched(t->mm, b))
		site = addr - 5;
	else if (mm_copy_in(t->mm, x, addr - 7, sizeof(x)) == 0 && is_xsite_patched(t->mm, x))
		site = addr - 7;
	pthread_mutex_unlock(&usertrap_lock);
	if (site) {
		moat_log("task %d: SIGILL at %#lx inside a site patched meanwhile: rerun",
			 t->tid, (unsigned long)addr);
		t->regs.rip = site;
	}
	return site != 0;
}

void usertrap_restart(struct task *t)
{
	t->regs.rcx = t->regs.rip;
	t->regs.rip = t->mm->usertrap_base + SLOT_CODE;
}
