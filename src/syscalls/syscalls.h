/*
 * syscalls.h: the amd64 system-call table and its handlers.
 *
 * syscall_table[nr] gives each syscall's name, the kinds of its arguments
 * (for --strace), its handler and its support level.  A handler gets the
 * calling task and the six raw argument registers and returns >= 0 on
 * success or -errno, as Linux's do.  A syscall without a handler returns
 * -ENOSYS and is logged once by name.
 */
#ifndef MOAT_SYSCALLS_H
#define MOAT_SYSCALLS_H

#include <stdint.h>

struct task;
struct mm;

typedef long (*syscall_fn)(struct task *t, const uint64_t a[6]);

/* The kernel's struct rusage and struct sysinfo are filled as libc's,
 * whose layout matches up to these sizes (glibc's is the kernel's; musl's
 * adds reserved fields), and only these many bytes are copied out. */
#define K_RUSAGE_SIZE 144
#define K_SYSINFO_SIZE 112

/* How --strace shows an argument. */
enum sarg {
	SA_NONE = 0,
	SA_INT,       /* signed decimal (int-sized: truncate to 32 bits) */
	SA_LONG,      /* signed decimal, 64-bit */
	SA_ULONG,     /* unsigned decimal (sizes, counts) */
	SA_HEX,       /* 0x... */
	SA_OCT,       /* 0... (modes) */
	SA_FD,        /* file descriptor; AT_FDCWD shown by name */
	SA_PTR,       /* address: 0x..., or NULL */
	SA_STR,       /* NUL-terminated input string, shown quoted */
	SA_BUF_IN,    /* input buffer whose length is the next argument */
	SA_BUF_OUT,   /* output buffer; on success its length is the result */
	SA_OPEN_FLAGS,
	SA_PROT,      /* PROT_* */
	SA_MMAP_FLAGS,
	SA_SIGNUM,
	SA_CLOCKID,
	SA_TIMESPEC,  /* const struct timespec * shown {tv_sec=..., tv_nsec=...} */
	SA_MREMAP_FLAGS,
	SA_MADVISE,
	SA_ARCH_PRCTL,
	SA_SIGPROCMASK_HOW,
	SA_RLIMIT,    /* RLIMIT_* resource */
	SA_FUTEX_OP,
	SA_CLONE_FLAGS,
	SA_AT_FLAGS,
	SA_IOCTL,
	SA_FCNTL,
	SA_WHENCE,
};

enum support { SUP_NONE = 0, SUP_PARTIAL, SUP_FULL };

struct syscall_desc {
	const char *name;
	syscall_fn handler;
	uint8_t support;        /* enum support */
	uint8_t nargs;
	uint8_t args[6];        /* enum sarg */
	uint8_t ret_hex;        /* print the result in hex (mmap, brk) */
};

#define SYSCALL_MAX 512
extern const struct syscall_desc syscall_table[SYSCALL_MAX];

/* Dispatches the syscall in the task's registers; writes the result to rax. */
void syscall_dispatch(struct task *t);

/* --strace: one line per completed call, to the debug log or stderr. */
extern int strace_enabled;
void strace_syscall(struct mm *mm, int tid, int nr, const uint64_t a[6],
		    long ret);

/* The file at a syscall's fd argument, referenced, or NULL (EBADF). */
struct file;
struct file *fget(struct task *t, uint64_t fd);

/* read/write and their vector forms on a socket (sys_socket.c). */
#include <stdbool.h>
struct iovec;
long sock_rw(struct task *t, struct file *f, const struct iovec *iov, long cnt, bool write);

/* RLIMIT_FSIZE was exceeded: SIGXFSZ to t, and -EFBIG to return. */
long fsize_exceeded(struct task *t);

/* Returns the name of syscall nr, or NULL for numbers that have none. */
const char *syscall_name(long nr);

/* Handlers (one sys_<area>.c per area). */
#define SYSCALL_HANDLERS(X) \
	X(read) X(write) X(readv) X(writev) X(pread64) X(pwrite64) \
	X(close) X(fstat) X(newfstatat) X(ioctl) X(fcntl) X(lseek) \
	X(exit) X(exit_group) \
	X(brk) X(mmap) X(munmap) X(mprotect) X(mremap) X(madvise) \
	X(arch_prctl) X(set_tid_address) X(set_robust_list) \
	X(get_robust_list) X(rseq) X(uname) \
	X(getpid) X(getppid) X(gettid) X(getuid) X(geteuid) X(getgid) \
	X(getegid) X(getpgrp) X(getpgid) X(getsid) X(getgroups) X(getresuid) X(getresgid) \
	X(clock_gettime) X(clock_getres) X(gettimeofday) X(time) \
	X(nanosleep) X(clock_nanosleep) X(getrandom) \
	X(prlimit64) X(getrlimit) X(setrlimit) X(sched_yield) \
	X(sched_getaffinity) X(rt_sigaction) X(rt_sigprocmask) \
	X(sigaltstack) X(umask) X(getcpu) X(sysinfo) X(getrusage) X(times) \
	X(prctl) X(futex) X(msync) X(mincore) X(splice) X(tee) X(fchmodat2) \
	X(open) X(openat) X(openat2) X(creat) X(close_range) X(stat) X(lstat) \
	X(statx) X(statfs) X(fstatfs) X(getdents) X(getdents64) X(mknod) \
	X(mknodat) X(mkdir) X(mkdirat) X(rmdir) X(unlink) X(unlinkat) X(rename) \
	X(renameat) X(renameat2) X(link) X(linkat) X(symlink) X(symlinkat) \
	X(readlink) X(readlinkat) X(access) X(faccessat) X(faccessat2) X(chmod) \
	X(fchmod) X(fchmodat) X(chown) X(lchown) X(fchown) X(fchownat) \
	X(utimensat) X(futimesat) X(utimes) X(utime) X(truncate) X(ftruncate) \
	X(fallocate) X(fsync) X(fdatasync) X(sync) X(syncfs) X(fadvise64) X(chdir) \
	X(chroot) X(fchdir) X(getcwd) X(dup) X(dup2) X(dup3) X(pipe) X(pipe2) \
	X(getxattr) X(lgetxattr) X(fgetxattr) X(setxattr) X(lsetxattr) \
	X(fsetxattr) X(removexattr) X(lremovexattr) X(fremovexattr) X(listxattr) \
	X(llistxattr) X(flistxattr) X(mount) X(umount2) X(preadv) X(pwritev) \
	X(preadv2) X(pwritev2) X(sendfile) X(copy_file_range) X(flock) \
	X(memfd_create) X(clone) X(fork) X(vfork) X(clone3) X(execve) X(execveat) \
	X(wait4) X(waitid) X(kill) X(tkill) X(tgkill) X(rt_sigqueueinfo) \
	X(rt_tgsigqueueinfo) X(rt_sigreturn) X(pause) X(rt_sigsuspend) \
	X(rt_sigpending) X(rt_sigtimedwait) X(restart_syscall) X(setpgid) X(setsid) \
	X(setuid) X(setgid) X(setreuid) X(setregid) X(setresuid) X(setresgid) \
	X(setfsuid) X(setfsgid) X(setgroups) X(capget) X(capset) \
	X(poll) X(ppoll) X(select) X(pselect6) X(alarm) X(getitimer) X(setitimer) \
	X(timer_create) X(timer_settime) X(timer_gettime) X(timer_getoverrun) X(timer_delete) \
	X(getpriority) X(setpriority) X(sched_getscheduler) X(sched_getparam) \
	X(sched_setscheduler) X(sched_setparam) X(sched_get_priority_max) \
	X(sched_get_priority_min) X(sched_rr_get_interval) X(sched_setaffinity) \
	X(pidfd_open) X(pidfd_send_signal) X(pidfd_getfd) X(seccomp) \
	X(epoll_create) X(epoll_create1) X(epoll_ctl) X(epoll_wait) X(epoll_pwait) \
	X(epoll_pwait2) X(eventfd) X(eventfd2) X(timerfd_create) X(timerfd_settime) \
	X(timerfd_gettime) X(signalfd) X(signalfd4) X(inotify_init) X(inotify_init1) \
	X(inotify_add_watch) X(inotify_rm_watch) X(socket) X(socketpair) \
	X(sendmsg) X(recvmsg) X(sendto) X(recvfrom) X(sendmmsg) X(recvmmsg) \
	X(shutdown) X(getsockopt) X(setsockopt) X(getsockname) X(getpeername) \
	X(bind) X(listen) X(connect) X(accept) X(accept4)

#define X(name) long sys_##name(struct task *t, const uint64_t a[6]);
SYSCALL_HANDLERS(X)
#undef X

#endif
