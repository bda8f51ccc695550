/*
 * compat.h: what the sentry uses that glibc and musl spell differently or
 * that older C libraries lack: statx, the newer madvise advice and
 * close_range/RWF flags, the thread ID field of struct sigevent.  The
 * release build links musl (no CPUID-probing start-up: see Makefile), the
 * AddressSanitizer build glibc; both include this through util.h.
 */
#ifndef MOAT_COMPAT_H
#define MOAT_COMPAT_H

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* musl's <limits.h> has its own PAGE_SIZE (util.h defines moat's). */
#include <limits.h>
#undef PAGE_SIZE

#ifndef STATX__RESERVED
#define STATX__RESERVED 0x80000000U
#endif

#ifndef __GLIBC__
#include <sched.h>
static inline int getcpu(unsigned int *cpu, unsigned int *node)
{
	return (int)syscall(SYS_getcpu, cpu, node, NULL);
}
#endif

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef RWF_HIPRI
#define RWF_HIPRI 0x00000001
#define RWF_DSYNC 0x00000002
#define RWF_SYNC 0x00000004
#define RWF_NOWAIT 0x00000008
#endif
#ifndef RWF_APPEND
#define RWF_APPEND 0x00000010
#endif

/* The kernel's statx (include/uapi/linux/stat.h), where libc has none. */
#ifndef STATX_TYPE
#define STATX_TYPE 0x00000001U
#define STATX_MODE 0x00000002U
#define STATX_NLINK 0x00000004U
#define STATX_UID 0x00000008U
#define STATX_GID 0x00000010U
#define STATX_ATIME 0x00000020U
#define STATX_MTIME 0x00000040U
#define STATX_CTIME 0x00000080U
#define STATX_INO 0x00000100U
#define STATX_SIZE 0x00000200U
#define STATX_BLOCKS 0x00000400U
#define STATX_BASIC_STATS 0x000007ffU
#define STATX_BTIME 0x00000800U
#define STATX_ALL 0x00000fffU
#define STATX_MNT_ID 0x00001000U
#define STATX_ATTR_COMPRESSED 0x00000004
#define STATX_ATTR_IMMUTABLE 0x00000010
#define STATX_ATTR_APPEND 0x00000020
#define STATX_ATTR_NODUMP 0x00000040
#define STATX_ATTR_ENCRYPTED 0x00000800
#define STATX_ATTR_AUTOMOUNT 0x00001000
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#define STATX_ATTR_VERITY 0x00100000
#define STATX_ATTR_DAX 0x00200000
struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t __reserved;
};
struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t __spare0[1];
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major;
	uint32_t stx_rdev_minor;
	uint32_t stx_dev_major;
	uint32_t stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align;
	uint32_t stx_dio_offset_align;
	uint64_t __spare3[12];
};
static inline int statx(int dfd, const char *path, int flags, unsigned int mask,
			struct statx *buf)
{
	return (int)syscall(SYS_statx, dfd, path, flags, mask, buf);
}
#endif

/* CPU features: glibc has them from its start-up; elsewhere CPUID (a
 * VM exit, ~7 us on a virtual machine) answers. */
#ifdef __GLIBC__
#include <sys/platform/x86.h>
#define cpu_has_osxsave() CPU_FEATURE_ACTIVE(OSXSAVE)
#define cpu_has_invariant_tsc() CPU_FEATURE_PRESENT(INVARIANT_TSC)
#else
#include <cpuid.h>
static inline int cpu_has_osxsave(void)
{
	unsigned int a, b, c, d;
	__cpuid(1, a, b, c, d);          /* every x86-64 CPU has leaf 1 */
	return (c & bit_OSXSAVE) != 0;
}
static inline int cpu_has_invariant_tsc(void)
{
	unsigned int a, b, c, d;
	return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
}
#endif

/* struct sigevent's SIGEV_THREAD_ID target. */
#ifdef sigev_notify_thread_id
#define SIGEV_TID(ev) ((ev).sigev_notify_thread_id)
#else
#define SIGEV_TID(ev) ((ev)._sigev_un._tid)
#endif

#ifndef __GLIBC__
/* compat.c */
const char *strerrorname_np(int err);
const char *strerrordesc_np(int err);
const char *sigabbrev_np(int sig);
#endif

#endif
