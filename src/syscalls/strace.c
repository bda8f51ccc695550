/*
 * strace.c: --strace, one line per completed syscall in strace -f's format:
 *
 *   [pid    42] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   [pid    42] read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1187
 *   [pid    42] close(9) = -1 EBADF (Bad file descriptor)
 *
 * Each argument is shown according to its kind in syscall_table (enum
 * sarg).  A few calls whose arguments mean different things depending on
 * another argument (open's mode, fcntl's and futex's operands, clone's exit
 * signal) are reshaped first, as strace does.  Flags and enumerations are
 * all decoded by one printer driven by tables of struct sym.
 *
 * Application memory is read only through mm_copy_in and
 * mm_copy_in_string, so any argument value is safe: what cannot be read is
 * shown as the raw pointer.  Strings and buffers are cut at 32 bytes, like
 * strace's default -s 32.
 *
 * The line is built on the stack and written with a single write, so lines
 * from concurrent tasks do not interleave.
 */
#include "syscalls/syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <asm/prctl.h>
#include <asm/unistd.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "mm/mm.h"
#include "util/util.h"

int strace_enabled;

#define SHOW_MAX 32            /* bytes of a string or buffer shown */

/*
 * Kinds used only here, when reshaping a call's arguments; they continue
 * enum sarg in the same uint8_t.
 */
enum {
	SA_SKIP = 64,          /* not shown at all */
	SA_FD_FLAGS,           /* FD_CLOEXEC */
	SA_CLONE_SIG,          /* clone's flags: the low byte is the exit signal */
	SA_FUTEX_BITSET,
};
_Static_assert((int)SA_WHENCE < (int)SA_SKIP, "local kinds overlap enum sarg");

/* ---- the line buffer ---- */

struct line {
	size_t len;            /* always < sizeof(buf): room for the '\n' */
	char buf[1024];
};

static void put(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	size_t room = sizeof(l->buf) - l->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += MIN((size_t)n, room - 1);
}

static void put_char(struct line *l, char c)
{
	if (l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = c;
}

/*
 * Quotes n bytes as strace does: C escapes for the usual control
 * characters, octal for other unprintable bytes (three digits only when a
 * digit follows, so that the escape stays unambiguous), and "..." after the
 * closing quote when the data went on.
 */
static void put_quoted(struct line *l, const unsigned char *s, size_t n,
		       bool more)
{
	static const char from[] = "\"\\\n\t\r\v\f", to[] = "\"\\ntrvf";

	put_char(l, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		const char *e = c ? memchr(from, c, sizeof(from) - 1) : NULL;

		if (e)
			put(l, "\\%c", to[e - from]);
		else if (c >= ' ' && c < 0x7f)
			put_char(l, (char)c);
		else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
			put(l, "\\%03o", c);
		else
			put(l, "\\%o", c);
	}
	put_char(l, '"');
	if (more)
		put(l, "...");
}

static void put_ptr(struct line *l, uint64_t v)
{
	if (v)
		put(l, "%#lx", v);
	else
		put(l, "NULL");
}

/* ---- flags and enumerations ---- */

/*
 * One name of a flag set or enumeration: it applies when (v & mask) == val.
 * A plain flag is its own mask; a named value of a multi-bit field (the
 * O_ACCMODE or MAP_TYPE bits) has the field as mask; a whole-value
 * enumeration has all bits.  Entries are tried in order and each bit is
 * explained at most once, so multi-bit flags (O_SYNC includes O_DSYNC) must
 * come before their parts.
 */
struct sym {
	uint64_t val, mask;
	const char *name;
};

#define BIT(x)      { (x), (x), #x }
#define FIELD(x, m) { (x), (m), #x }
#define VAL(x)      { (x), ~0ULL, #x }

/* glibc defines O_LARGEFILE as 0 on 64-bit; the kernel's bit still shows. */
#define KERNEL_O_LARGEFILE 0100000

static const struct sym open_flags[] = {
	FIELD(O_RDONLY, O_ACCMODE), FIELD(O_WRONLY, O_ACCMODE),
	FIELD(O_RDWR, O_ACCMODE),
	BIT(O_CREAT), BIT(O_EXCL), BIT(O_NOCTTY), BIT(O_TRUNC), BIT(O_APPEND),
	BIT(O_NONBLOCK), BIT(O_SYNC), BIT(O_DSYNC), BIT(O_DIRECT),
	{ KERNEL_O_LARGEFILE, KERNEL_O_LARGEFILE, "O_LARGEFILE" },
	BIT(O_NOFOLLOW), BIT(O_NOATIME), BIT(O_CLOEXEC), BIT(O_PATH),
	BIT(O_TMPFILE), BIT(O_DIRECTORY), BIT(FASYNC),
};

static const struct sym prot_flags[] = {
	VAL(PROT_NONE), BIT(PROT_READ), BIT(PROT_WRITE), BIT(PROT_EXEC),
	BIT(PROT_GROWSDOWN), BIT(PROT_GROWSUP),
};

static const struct sym mmap_flags[] = {
	FIELD(MAP_SHARED, MAP_TYPE), FIELD(MAP_PRIVATE, MAP_TYPE),
	FIELD(MAP_SHARED_VALIDATE, MAP_TYPE),
	BIT(MAP_FIXED), BIT(MAP_ANONYMOUS), BIT(MAP_32BIT), BIT(MAP_NORESERVE),
	BIT(MAP_POPULATE), BIT(MAP_NONBLOCK), BIT(MAP_GROWSDOWN),
	BIT(MAP_DENYWRITE), BIT(MAP_EXECUTABLE), BIT(MAP_LOCKED),
	BIT(MAP_STACK), BIT(MAP_HUGETLB), BIT(MAP_SYNC),
	BIT(MAP_FIXED_NOREPLACE),
};

static const struct sym mremap_flags[] = {
	BIT(MREMAP_MAYMOVE), BIT(MREMAP_FIXED), BIT(MREMAP_DONTUNMAP),
};

static const struct sym madvise_advice[] = {
	VAL(MADV_NORMAL), VAL(MADV_RANDOM), VAL(MADV_SEQUENTIAL),
	VAL(MADV_WILLNEED), VAL(MADV_DONTNEED), VAL(MADV_FREE),
	VAL(MADV_REMOVE), VAL(MADV_DONTFORK), VAL(MADV_DOFORK),
	VAL(MADV_MERGEABLE), VAL(MADV_UNMERGEABLE), VAL(MADV_HUGEPAGE),
	VAL(MADV_NOHUGEPAGE), VAL(MADV_DONTDUMP), VAL(MADV_DODUMP),
	VAL(MADV_WIPEONFORK), VAL(MADV_KEEPONFORK), VAL(MADV_COLD),
	VAL(MADV_PAGEOUT), VAL(MADV_POPULATE_READ), VAL(MADV_POPULATE_WRITE),
	VAL(MADV_DONTNEED_LOCKED), VAL(MADV_HWPOISON),
};

static const struct sym arch_prctl_codes[] = {
	VAL(ARCH_SET_GS), VAL(ARCH_SET_FS), VAL(ARCH_GET_FS), VAL(ARCH_GET_GS),
	VAL(ARCH_GET_CPUID), VAL(ARCH_SET_CPUID), VAL(ARCH_GET_XCOMP_SUPP),
	VAL(ARCH_GET_XCOMP_PERM), VAL(ARCH_REQ_XCOMP_PERM),
	VAL(ARCH_GET_XCOMP_GUEST_PERM), VAL(ARCH_REQ_XCOMP_GUEST_PERM),
	VAL(ARCH_MAP_VDSO_X32), VAL(ARCH_MAP_VDSO_32), VAL(ARCH_MAP_VDSO_64),
};

static const struct sym sigprocmask_hows[] = {
	VAL(SIG_BLOCK), VAL(SIG_UNBLOCK), VAL(SIG_SETMASK),
};

static const struct sym rlimits[] = {
	VAL(RLIMIT_CPU), VAL(RLIMIT_FSIZE), VAL(RLIMIT_DATA),
	VAL(RLIMIT_STACK), VAL(RLIMIT_CORE), VAL(RLIMIT_RSS),
	VAL(RLIMIT_NPROC), VAL(RLIMIT_NOFILE), VAL(RLIMIT_MEMLOCK),
	VAL(RLIMIT_AS), VAL(RLIMIT_LOCKS), VAL(RLIMIT_SIGPENDING),
	VAL(RLIMIT_MSGQUEUE), VAL(RLIMIT_NICE), VAL(RLIMIT_RTPRIO),
	VAL(RLIMIT_RTTIME),
};

static const struct sym clockids[] = {
	VAL(CLOCK_REALTIME), VAL(CLOCK_MONOTONIC),
	VAL(CLOCK_PROCESS_CPUTIME_ID), VAL(CLOCK_THREAD_CPUTIME_ID),
	VAL(CLOCK_MONOTONIC_RAW), VAL(CLOCK_REALTIME_COARSE),
	VAL(CLOCK_MONOTONIC_COARSE), VAL(CLOCK_BOOTTIME),
	VAL(CLOCK_REALTIME_ALARM), VAL(CLOCK_BOOTTIME_ALARM), VAL(CLOCK_TAI),
};

/*
 * A command and its _PRIVATE variant (strace's names): everything but
 * FUTEX_CLOCK_REALTIME, which is shown as a flag.
 */
#define FUTEX_CMD_BITS (~(uint64_t)FUTEX_CLOCK_REALTIME)
#define FUTEX_CMD(op) \
	FIELD(FUTEX_##op, FUTEX_CMD_BITS), \
	FIELD(FUTEX_##op##_PRIVATE, FUTEX_CMD_BITS)

static const struct sym futex_ops[] = {
	FUTEX_CMD(WAIT), FUTEX_CMD(WAKE), FIELD(FUTEX_FD, FUTEX_CMD_BITS),
	FUTEX_CMD(REQUEUE), FUTEX_CMD(CMP_REQUEUE), FUTEX_CMD(WAKE_OP),
	FUTEX_CMD(LOCK_PI), FUTEX_CMD(UNLOCK_PI), FUTEX_CMD(TRYLOCK_PI),
	FUTEX_CMD(WAIT_BITSET), FUTEX_CMD(WAKE_BITSET),
	FUTEX_CMD(WAIT_REQUEUE_PI), FUTEX_CMD(CMP_REQUEUE_PI),
	FUTEX_CMD(LOCK_PI2),
	BIT(FUTEX_CLOCK_REALTIME),
};

static const struct sym futex_bitsets[] = {
	VAL(FUTEX_BITSET_MATCH_ANY),
};

/* CLONE_NEWTIME shares the exit-signal byte: it only shows for unshare. */
static const struct sym clone_flags[] = {
	BIT(CLONE_NEWTIME), BIT(CLONE_VM), BIT(CLONE_FS), BIT(CLONE_FILES),
	BIT(CLONE_SIGHAND), BIT(CLONE_PIDFD), BIT(CLONE_PTRACE),
	BIT(CLONE_VFORK), BIT(CLONE_PARENT), BIT(CLONE_THREAD),
	BIT(CLONE_NEWNS), BIT(CLONE_SYSVSEM), BIT(CLONE_SETTLS),
	BIT(CLONE_PARENT_SETTID), BIT(CLONE_CHILD_CLEARTID),
	BIT(CLONE_UNTRACED), BIT(CLONE_CHILD_SETTID), BIT(CLONE_NEWCGROUP),
	BIT(CLONE_NEWUTS), BIT(CLONE_NEWIPC), BIT(CLONE_NEWUSER),
	BIT(CLONE_NEWPID), BIT(CLONE_NEWNET), BIT(CLONE_IO),
};

static const struct sym at_flags[] = {
	BIT(AT_SYMLINK_NOFOLLOW), BIT(AT_REMOVEDIR), BIT(AT_SYMLINK_FOLLOW),
	BIT(AT_NO_AUTOMOUNT), BIT(AT_EMPTY_PATH), BIT(AT_STATX_FORCE_SYNC),
	BIT(AT_STATX_DONT_SYNC), BIT(AT_RECURSIVE),
};

static const struct sym ioctl_reqs[] = {
	VAL(TCGETS), VAL(TCSETS), VAL(TCSETSW), VAL(TCSETSF), VAL(TCSBRK),
	VAL(TCXONC), VAL(TCFLSH), VAL(TIOCEXCL), VAL(TIOCNXCL),
	VAL(TIOCSCTTY), VAL(TIOCGPGRP), VAL(TIOCSPGRP), VAL(TIOCOUTQ),
	VAL(TIOCSTI), VAL(TIOCGWINSZ), VAL(TIOCSWINSZ), VAL(TIOCMGET),
	VAL(TIOCMSET), VAL(FIONREAD), VAL(TIOCCONS), VAL(FIONBIO),
	VAL(TIOCNOTTY), VAL(TIOCGSID), VAL(TIOCGPTN), VAL(TIOCSPTLCK),
	VAL(TIOCGPTPEER), VAL(FIONCLEX), VAL(FIOCLEX), VAL(FIOASYNC),
};

static const struct sym fcntl_cmds[] = {
	VAL(F_DUPFD), VAL(F_GETFD), VAL(F_SETFD), VAL(F_GETFL), VAL(F_SETFL),
	VAL(F_GETLK), VAL(F_SETLK), VAL(F_SETLKW), VAL(F_SETOWN),
	VAL(F_GETOWN), VAL(F_SETSIG), VAL(F_GETSIG), VAL(F_SETOWN_EX),
	VAL(F_GETOWN_EX), VAL(F_OFD_GETLK), VAL(F_OFD_SETLK),
	VAL(F_OFD_SETLKW), VAL(F_SETLEASE), VAL(F_GETLEASE), VAL(F_NOTIFY),
	VAL(F_DUPFD_CLOEXEC), VAL(F_SETPIPE_SZ), VAL(F_GETPIPE_SZ),
	VAL(F_ADD_SEALS), VAL(F_GET_SEALS), VAL(F_GET_RW_HINT),
	VAL(F_SET_RW_HINT), VAL(F_GET_FILE_RW_HINT), VAL(F_SET_FILE_RW_HINT),
};

static const struct sym fd_flags[] = {
	BIT(FD_CLOEXEC),
};

static const struct sym whences[] = {
	VAL(SEEK_SET), VAL(SEEK_CUR), VAL(SEEK_END), VAL(SEEK_DATA),
	VAL(SEEK_HOLE),
};

struct symset {
	const struct sym *syms;
	uint8_t n;
	bool dec;              /* an unnamed value alone is shown in decimal */
	bool wide;             /* 64-bit argument (else an int: low 32 bits) */
};

#define SET(t, ...) { (t), ARRAY_SIZE(t), __VA_ARGS__ }

static const struct symset symsets[] = {
	[SA_OPEN_FLAGS]      = SET(open_flags),
	[SA_PROT]            = SET(prot_flags),
	[SA_MMAP_FLAGS]      = SET(mmap_flags),
	[SA_MREMAP_FLAGS]    = SET(mremap_flags),
	[SA_MADVISE]         = SET(madvise_advice, .dec = true),
	[SA_ARCH_PRCTL]      = SET(arch_prctl_codes),
	[SA_SIGPROCMASK_HOW] = SET(sigprocmask_hows, .dec = true),
	[SA_RLIMIT]          = SET(rlimits, .dec = true),
	[SA_CLOCKID]         = SET(clockids, .dec = true),
	[SA_FUTEX_OP]        = SET(futex_ops),
	[SA_CLONE_FLAGS]     = SET(clone_flags, .wide = true),
	[SA_CLONE_SIG]       = SET(clone_flags, .wide = true),
	[SA_AT_FLAGS]        = SET(at_flags),
	[SA_IOCTL]           = SET(ioctl_reqs),
	[SA_FCNTL]           = SET(fcntl_cmds),
	[SA_WHENCE]          = SET(whences, .dec = true),
	[SA_FD_FLAGS]        = SET(fd_flags),
	[SA_FUTEX_BITSET]    = SET(futex_bitsets),
};

/* Names what it can of v, '|'-separated; what is left is shown as a number. */
static void put_syms(struct line *l, const struct symset *set, uint64_t v)
{
	uint64_t covered = 0;
	bool any = false;

	if (!set->wide)
		v = (uint32_t)v;
	for (size_t i = 0; i < set->n; i++) {
		const struct sym *s = &set->syms[i];

		if ((s->mask & covered) || (v & s->mask) != s->val)
			continue;
		put(l, "%s%s", any ? "|" : "", s->name);
		covered |= s->mask;
		any = true;
	}
	v &= ~covered;
	if (any && v)
		put(l, "|%#lx", v);
	else if (!any && set->dec)
		put(l, "%d", (int)v);
	else if (!any)
		put(l, "%#lx", v);
}

static void put_signal(struct line *l, int sig)
{
	/* glibc calls 29 SIGPOLL; strace and most people say SIGIO. */
	const char *name = sig == SIGIO ? "IO" : sigabbrev_np(sig);

	if (name)
		put(l, "SIG%s", name);
	else if (sig == 32)        /* the kernel's SIGRTMIN, not glibc's */
		put(l, "SIGRTMIN");
	else if (sig > 32 && sig <= 64)
		put(l, "SIGRT_%d", sig - 32);
	else
		put(l, "%d", sig);
}

/* ---- arguments ---- */

static void put_string(struct line *l, struct mm *mm, uint64_t p)
{
	char s[SHOW_MAX + 1];
	long n;

	if (!p || !mm) {
		put_ptr(l, p);
		return;
	}
	n = mm_copy_in_string(mm, s, p, sizeof(s));
	if (n >= 0) {
		put_quoted(l, (unsigned char *)s, (size_t)n, false);
		return;
	}
	/* Longer than we show: all SHOW_MAX + 1 bytes were readable. */
	if (n == -ENAMETOOLONG && mm_copy_in(mm, s, p, SHOW_MAX) == 0)
		put_quoted(l, (unsigned char *)s, SHOW_MAX, true);
	else
		put_ptr(l, p);
}

static void put_buffer(struct line *l, struct mm *mm, uint64_t p,
		       uint64_t len)
{
	unsigned char b[SHOW_MAX];
	size_t n = MIN(len, (uint64_t)SHOW_MAX);

	if (mm && p && mm_copy_in(mm, b, p, n) == 0)
		put_quoted(l, b, n, len > n);
	else
		put_ptr(l, p);
}

static void put_timespec(struct line *l, struct mm *mm, uint64_t p)
{
	struct timespec ts;

	if (mm && p && mm_copy_in(mm, &ts, p, sizeof(ts)) == 0)
		put(l, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts.tv_sec,
		    (long)ts.tv_nsec);
	else
		put_ptr(l, p);
}

static void put_arg(struct line *l, struct mm *mm, int kind,
		    const uint64_t a[6], int i, long ret)
{
	uint64_t v = a[i];

	switch (kind) {
	case SA_INT:
		put(l, "%d", (int)v);
		break;
	case SA_LONG:
		put(l, "%ld", (long)v);
		break;
	case SA_ULONG:
		put(l, "%lu", v);
		break;
	case SA_OCT:
		put(l, "%#03o", (unsigned int)v);
		break;
	case SA_FD:
		if ((int)v == AT_FDCWD)
			put(l, "AT_FDCWD");
		else
			put(l, "%d", (int)v);
		break;
	case SA_PTR:
		put_ptr(l, v);
		break;
	case SA_STR:
		put_string(l, mm, v);
		break;
	case SA_BUF_IN:         /* the length is the next argument */
		put_buffer(l, mm, v, i < 5 ? a[i + 1] : 0);
		break;
	case SA_BUF_OUT:        /* filled with as many bytes as returned */
		if (ret >= 0)
			put_buffer(l, mm, v, (uint64_t)ret);
		else
			put_ptr(l, v);
		break;
	case SA_TIMESPEC:
		put_timespec(l, mm, v);
		break;
	case SA_SIGNUM:
		put_signal(l, (int)v);
		break;
	case SA_CLONE_SIG: {
		uint64_t flags = v & ~(uint64_t)CSIGNAL;
		int sig = (int)(v & CSIGNAL);

		if (flags || !sig)
			put_syms(l, &symsets[kind], flags);
		if (flags && sig)
			put_char(l, '|');
		if (sig)
			put_signal(l, sig);
		break;
	}
	default:
		if ((size_t)kind < ARRAY_SIZE(symsets) && symsets[kind].syms)
			put_syms(l, &symsets[kind], v);
		else
			put(l, "%#lx", v);     /* SA_HEX */
		break;
	}
}

/* ---- per-call reshaping ---- */

static int reshape_fcntl(int cmd, uint8_t k[6])
{
	switch (cmd) {
	case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG:
	case F_GETLEASE: case F_GETPIPE_SZ: case F_GET_SEALS:
		return 2;
	case F_SETFD:
		k[2] = SA_FD_FLAGS;
		break;
	case F_SETFL:
		k[2] = SA_OPEN_FLAGS;
		break;
	case F_DUPFD: case F_DUPFD_CLOEXEC: case F_SETOWN: case F_SETSIG:
	case F_SETPIPE_SZ: case F_SETLEASE:
		k[2] = SA_INT;
		break;
	case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK:
	case F_OFD_SETLK: case F_OFD_SETLKW: case F_GETOWN_EX:
	case F_SETOWN_EX: case F_GET_RW_HINT: case F_SET_RW_HINT:
	case F_GET_FILE_RW_HINT: case F_SET_FILE_RW_HINT:
		k[2] = SA_PTR;
		break;
	}
	return 3;
}

/* futex(uaddr, op, val, timeout or val2, uaddr2, val3): as strace shows it. */
static int reshape_futex(int op, uint8_t k[6])
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_UNLOCK_PI: case FUTEX_TRYLOCK_PI:
		return 2;
	case FUTEX_WAKE: case FUTEX_FD:
		return 3;
	case FUTEX_WAIT:
		return 4;
	case FUTEX_LOCK_PI: case FUTEX_LOCK_PI2:
		k[2] = SA_SKIP;
		return 4;
	case FUTEX_WAIT_REQUEUE_PI:
		return 5;
	case FUTEX_WAIT_BITSET:
		k[4] = SA_SKIP;
		k[5] = SA_FUTEX_BITSET;
		return 6;
	case FUTEX_WAKE_BITSET:
		k[3] = k[4] = SA_SKIP;
		k[5] = SA_FUTEX_BITSET;
		return 6;
	case FUTEX_REQUEUE:
		k[3] = SA_INT;
		return 5;
	case FUTEX_CMP_REQUEUE: case FUTEX_CMP_REQUEUE_PI:
		k[3] = SA_INT;
		k[5] = SA_INT;
		return 6;
	case FUTEX_WAKE_OP:
		k[3] = SA_INT;
		return 6;
	default:
		k[3] = SA_PTR;
		return 6;
	}
}

/*
 * Adjusts the kinds k (a copy of the table's) for calls whose arguments
 * depend on one another; returns how many arguments to show.
 */
static int reshape(int nr, const uint64_t a[6], uint8_t k[6], int n)
{
	switch (nr) {
	case __NR_open:
	case __NR_mq_open:
	case __NR_openat: {
		int fl = nr == __NR_openat ? 2 : 1;   /* the mode follows */

		if ((a[fl] & O_CREAT) || (a[fl] & O_TMPFILE) == O_TMPFILE)
			return n;
		return fl + 1;
	}
	case __NR_clone:
		k[0] = SA_CLONE_SIG;
		return n;
	case __NR_fcntl:
		return reshape_fcntl((int)a[1], k);
	case __NR_futex:
		return reshape_futex((int)a[1], k);
	}
	return n;
}

/* ---- the result ---- */

/* Kernel-internal errnos that strace names; glibc does not know them. */
static const struct {
	int err;
	const char *name, *desc;
} restart_errnos[] = {
	{ 512, "ERESTARTSYS", "To be restarted if SA_RESTART is set" },
	{ 513, "ERESTARTNOINTR", "To be restarted" },
	{ 514, "ERESTARTNOHAND", "To be restarted if no handler" },
	{ 516, "ERESTART_RESTARTBLOCK", "Interrupted by signal" },
};

static void put_result(struct line *l, long ret, bool hex)
{
	if (ret < 0 && ret >= -4095) {
		int err = (int)-ret;
		const char *name = strerrorname_np(err);
		const char *desc = strerrordesc_np(err);

		if (name) {
			put(l, " = -1 %s (%s)", name, desc);
			return;
		}
		for (size_t i = 0; i < ARRAY_SIZE(restart_errnos); i++) {
			if (restart_errnos[i].err == err) {
				put(l, " = ? %s (%s)", restart_errnos[i].name,
				    restart_errnos[i].desc);
				return;
			}
		}
		put(l, " = -1 ERRNO_%d (Unknown error %d)", err, err);
	} else if (hex) {
		put(l, " = %#lx", (unsigned long)ret);
	} else {
		put(l, " = %ld", ret);
	}
}

void strace_syscall(struct mm *mm, int tid, int nr, const uint64_t a[6],
		    long ret)
{
	const char *name = syscall_name(nr);
	struct line l = { .len = 0 };

	put(&l, "[pid %5d] ", tid);
	if (name) {
		const struct syscall_desc *d = &syscall_table[nr];
		uint8_t k[6];
		int n;
		bool first = true;

		memcpy(k, d->args, sizeof(k));
		n = reshape(nr, a, k, MIN(d->nargs, 6));
		put(&l, "%s(", name);
		for (int i = 0; i < n; i++) {
			if (k[i] == SA_SKIP)
				continue;
			if (!first)
				put(&l, ", ");
			put_arg(&l, mm, k[i], a, i, ret);
			first = false;
		}
		put(&l, ")");
		put_result(&l, ret, d->ret_hex);
	} else {
		put(&l, "syscall_%#x(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)",
		    (unsigned int)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		put_result(&l, ret, false);
	}
	l.buf[l.len++] = '\n';
	write_all(moat_log_fd >= 0 ? moat_log_fd : 2, l.buf, l.len);
}
