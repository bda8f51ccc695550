/*
 * procfs.c: /proc, synthesised from the kernel's state.  Linux: fs/proc/.
 *
 * Nothing here is the host's: every file is generated when it is opened
 * (into a buffer that reads then serve, as Linux's seq_file does for small
 * files) from the sandbox's own tasks, address spaces, fd tables and
 * mounts, in Linux's formats.  Directories are tables of entries; the
 * per-process directories (/proc/<pid>, /proc/self) come from the task
 * list.  Their dentries are never cached (sb->uncached), since processes
 * and fds come and go.  exe, cwd, root and fd/<n> are magic links: the
 * walk jumps to the object they name rather than reading a path.
 */
#include "vfs/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "util/util.h"

struct proc_ctx {
	struct task *t;           /* the process's task (k->lock held) */
	FILE *out;
};

typedef void (*gen_fn)(struct proc_ctx *c);

enum pkind { P_DIR, P_FILE, P_SELF, P_THREAD_SELF, P_MAGIC, P_PIDDIR, P_FDDIR,
	     P_FDINFODIR, P_TASKDIR };

struct pentry {
	const char *name;
	enum pkind kind;
	gen_fn gen;               /* P_FILE */
	const struct pentry *dir; /* P_DIR: its entries */
	int magic;                /* P_MAGIC: which */
	/* Writable files: applies a write to the task (k->lock held). */
	long (*write)(struct task *t, const char *buf, size_t len);
};

enum { M_EXE, M_CWD, M_ROOT, M_FD };

struct pnode {
	enum pkind kind;
	const struct pentry *entry;   /* P_DIR/P_FILE/P_MAGIC */
	int pid;                  /* 0: not per-process */
	int fd;                   /* P_MAGIC M_FD, fdinfo files */
};

static struct super_block *proc_sb;
static const struct inode_ops proc_inode_ops, proc_magic_ops;
static const struct file_ops proc_file_ops, proc_dir_ops;

/* ---- finding tasks ---- */

/*
 * A zombie has no threads left; /proc shows it through a stand-in task
 * with its identity and nothing else (no memory, files or directories),
 * as Linux shows an exited leader.  Used under k->lock only.
 */
static struct mm zombie_mm = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct fdtable zombie_fdt = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct fs_context zombie_fs = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct sighand zombie_sighand;
static struct task zombie_view;

static bool is_zombie_view(const struct task *t) { return t == &zombie_view; }

static struct task *zombie_task(struct thread_group *tg)
{
	memset(&zombie_view, 0, sizeof(zombie_view));
	zombie_view.k = tg->k;
	zombie_view.tg = tg;
	zombie_view.tid = tg->tgid;
	zombie_view.sighand = &zombie_sighand;
	zombie_view.mm = &zombie_mm;
	zombie_view.fdt = &zombie_fdt;
	zombie_view.fs = &zombie_fs;
	zombie_view.ids = tg->exit_ids;
	zombie_view.cred.uid = tg->exit_ids.euid;
	zombie_view.cred.gid = tg->exit_ids.egid;
	memcpy(zombie_view.comm, tg->comm, sizeof(zombie_view.comm));
	return &zombie_view;
}

/* Returns the thread group leader with tgid pid, with k->lock held (the
 * caller unlocks), or NULL (unlocked). */
static struct task *find_task(int pid)
{
	struct kernel *k = kernel_current;

	if (!k)
		return NULL;
	pthread_mutex_lock(&k->lock);
	for (struct task *t = k->tasks; t; t = t->next)
		if (t->tg->tgid == pid && t->tid == pid && !t->exiting)
			return t;
	/* The leader thread is gone but others run: the process is still
	 * there, seen through one of them; or it is a zombie. */
	struct thread_group *tg = tg_by_pid(k, pid);
	if (tg && tg->tasks)
		return tg->tasks;
	if (tg && tg->zombie)
		return zombie_task(tg);
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

static void unlock_tasks(void)
{
	pthread_mutex_unlock(&kernel_current->lock);
}

/* ---- generators ---- */

static void gen_string(FILE *out, struct mm *mm, uint64_t start, uint64_t end)
{
	char buf[4096];

	while (start < end) {
		size_t n = MIN(end - start, sizeof(buf));
		if (mm_copy_in(mm, buf, start, n))
			break;
		fwrite(buf, 1, n, out);
		start += n;
	}
}

static void gen_cmdline(struct proc_ctx *c)
{
	gen_string(c->out, c->t->mm, c->t->mm->arg_start, c->t->mm->arg_end);
}

static void gen_environ(struct proc_ctx *c)
{
	gen_string(c->out, c->t->mm, c->t->mm->env_start, c->t->mm->env_end);
}

static void gen_comm(struct proc_ctx *c)
{
	fprintf(c->out, "%s\n", c->t->comm);
}

/* Linux: comm_write: the first 15 bytes become the name. */
static long write_comm(struct task *t, const char *buf, size_t len)
{
	size_t n = MIN(len, sizeof(t->comm) - 1);

	memset(t->comm, 0, sizeof(t->comm));
	memcpy(t->comm, buf, n);
	return (long)len;
}

static void gen_auxv(struct proc_ctx *c)
{
	fwrite(c->t->tg->auxv, 1, (size_t)c->t->tg->auxv_len, c->out);
}

static uint64_t vm_size(struct mm *mm, uint64_t *rss)
{
	uint64_t size = 0;

	*rss = 0;
	pthread_mutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++)
		size += mm->vmas[i].end - mm->vmas[i].start;
	pthread_mutex_unlock(&mm->lock);
	return size;
}

/* Linux: fs/proc/array.c task_state_array. */
static const char *task_state(struct task *t)
{
	if (t->tg->zombie)
		return "Z (zombie)";
	if (t->tg->stop_state == TG_STOPPED)
		return "T (stopped)";
	if (__atomic_load_n(&t->sleeping, __ATOMIC_RELAXED))
		return "S (sleeping)";
	return "R (running)";
}

/* Linux: fs/proc/array.c do_task_stat(). */
static void gen_stat(struct proc_ctx *c)
{
	struct task *t = c->t;
	struct mm *mm = t->mm;
	uint64_t rss, vsize = vm_size(mm, &rss);
	uint64_t start = (t->tg->start_ns - t->k->boot_ns) / 10000000ULL;

	fprintf(c->out, "%d (%s) %c %d %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %" PRIu64
		" %" PRIu64 " %" PRIu64 " 18446744073709551615 %" PRIu64 " %" PRIu64 " %" PRIu64
		" 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		" %" PRIu64 " %" PRIu64 " %" PRIu64 " 0\n",
		t->tg->tgid, t->comm, task_state(t)[0], t->tg->parent ? t->tg->parent->tgid : 0,
		t->tg->pgid,
		t->tg->sid, start, vsize, rss, mm->start_code, mm->end_code, mm->start_stack,
		mm->start_data, mm->end_data, mm->brk_start, mm->arg_start, mm->arg_end,
		mm->env_start, mm->env_end);
}

static void gen_statm(struct proc_ctx *c)
{
	uint64_t rss, size = vm_size(c->t->mm, &rss);
	struct mm *mm = c->t->mm;

	fprintf(c->out, "%" PRIu64 " %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64 " 0\n",
		size / PAGE_SIZE, rss / PAGE_SIZE,
		(ALIGN_UP(mm->end_code, PAGE_SIZE) - ALIGN_DOWN(mm->start_code, PAGE_SIZE)) / PAGE_SIZE,
		(mm->brk - mm->brk_start) / PAGE_SIZE);
}

static void sigset_line(FILE *out, const char *name, uint64_t set)
{
	fprintf(out, "%s:\t%016" PRIx64 "\n", name, set);
}

/* Linux: fs/proc/array.c proc_pid_status(). */
static void gen_status(struct proc_ctx *c)
{
	struct task *t = c->t;
	uint64_t rss, size = vm_size(t->mm, &rss), ign = 0, cgt = 0;
	int threads = 0;

	threads = t->tg->nr_threads;
	char groups[1024] = "";
	for (int i = 0, len = 0; i < t->cred.ngroups && len < (int)sizeof(groups) - 12; i++)
		len += snprintf(groups + len, sizeof(groups) - (size_t)len, "%u ", t->cred.groups[i]);
	if (!t->cred.ngroups)
		strcpy(groups, " ");
	for (int i = 0; i < NSIG_K; i++) {
		if (t->sighand->actions[i].handler == (uint64_t)(uintptr_t)SIG_IGN)
			ign |= 1ULL << i;
		else if (t->sighand->actions[i].handler != (uint64_t)(uintptr_t)SIG_DFL)
			cgt |= 1ULL << i;
	}
	fprintf(c->out, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\n"
		"Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
		"FDSize:\t%d\nGroups:\t%s\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n"
		"VmPeak:\t%8" PRIu64 " kB\nVmSize:\t%8" PRIu64 " kB\nVmLck:\t       0 kB\n"
		"VmPin:\t       0 kB\nVmHWM:\t%8" PRIu64 " kB\nVmRSS:\t%8" PRIu64 " kB\n"
		"Threads:\t%d\nSigQ:\t0/%" PRIu64 "\n",
		t->comm, (unsigned)t->fs->umask, task_state(t), t->tg->tgid, t->tid,
		t->tg->parent ? t->tg->parent->tgid : 0,
		t->ids.ruid, t->ids.euid, t->ids.suid, t->cred.uid,
		t->ids.rgid, t->ids.egid, t->ids.sgid, t->cred.gid, t->fdt->nfds, groups, t->tg->tgid, t->tid,
		t->tg->pgid, t->tg->sid, size / 1024, size / 1024, rss / 1024, rss / 1024, threads,
		(uint64_t)t->tg->rlimits[RLIMIT_SIGPENDING].rlim_cur);
	sigset_line(c->out, "SigPnd", t->pending.set);
	sigset_line(c->out, "ShdPnd", t->tg->shared.set);
	sigset_line(c->out, "SigBlk", t->sigmask);
	sigset_line(c->out, "SigIgn", ign);
	sigset_line(c->out, "SigCgt", cgt);
	int nfilters = seccomp_count(t->seccomp);
	fprintf(c->out, "CapInh:\t%016" PRIx64 "\nCapPrm:\t%016" PRIx64 "\n"
		"CapEff:\t%016" PRIx64 "\nCapBnd:\t%016" PRIx64 "\n"
		"CapAmb:\t0000000000000000\nNoNewPrivs:\t%d\nSeccomp:\t%d\n"
		"Seccomp_filters:\t%d\nCpus_allowed_list:\t0-%ld\n",
		t->ids.cap_inh, t->ids.cap_prm, t->ids.cap_eff, t->ids.cap_bnd,
		t->tg->no_new_privs, t->seccomp_mode, nfilters,
		sysconf(_SC_NPROCESSORS_ONLN) - 1);
}

static void gen_limits(struct proc_ctx *c)
{
	static const struct { const char *name, *unit; } lim[RLIM_NLIMITS] = {
		{ "Max cpu time", "seconds" }, { "Max file size", "bytes" },
		{ "Max data size", "bytes" }, { "Max stack size", "bytes" },
		{ "Max core file size", "bytes" }, { "Max resident set", "bytes" },
		{ "Max processes", "processes" }, { "Max open files", "files" },
		{ "Max locked memory", "bytes" }, { "Max address space", "bytes" },
		{ "Max file locks", "locks" }, { "Max pending signals", "signals" },
		{ "Max msgqueue size", "bytes" }, { "Max nice priority", "" },
		{ "Max realtime priority", "" }, { "Max realtime timeout", "us" },
	};

	fprintf(c->out, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit *r = &c->t->tg->rlimits[i];
		char soft[32], hard[32];
		if (r->rlim_cur == RLIM_INFINITY)
			strcpy(soft, "unlimited");
		else
			snprintf(soft, sizeof(soft), "%" PRIu64, (uint64_t)r->rlim_cur);
		if (r->rlim_max == RLIM_INFINITY)
			strcpy(hard, "unlimited");
		else
			snprintf(hard, sizeof(hard), "%" PRIu64, (uint64_t)r->rlim_max);
		fprintf(c->out, "%-25s %-20s %-20s %-10s\n", lim[i].name, soft, hard, lim[i].unit);
	}
}

/* Linux: fs/proc/task_mmu.c show_map_vma(). */
static void gen_maps(struct proc_ctx *c)
{
	struct mm *mm = c->t->mm;

	pthread_mutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->nvmas; i++) {
		struct vma *v = &mm->vmas[i];
		const char *name = "";
		uint64_t off = 0, ino = 0;
		unsigned maj = 0, min = 0;
		if (v->flags & VMA_VDSO) {
			name = "[vdso]";
		} else if (v->flags & VMA_VVAR) {
			name = "[vvar]";
		} else if (v->flags & VMA_USERTRAP) {
			name = "[usertrap]";
		} else if (v->file && v->file->name) {
			name = v->file->name;
			off = v->file_off;
			ino = v->file->ino;
			maj = major(v->file->dev);
			min = minor(v->file->dev);
		} else if (v->flags & VMA_HEAP) {
			name = "[heap]";
		} else if (v->flags & VMA_STACK) {
			name = "[stack]";
		} else if (v->obj) {
			name = "/dev/zero (deleted)";
			off = v->obj_pgoff << PAGE_SHIFT;
		}
		int len = fprintf(c->out, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64
				  " %02x:%02x %" PRIu64 " ", v->start, v->end,
				  (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-',
				  (v->prot & PROT_EXEC) ? 'x' : '-', (v->flags & VMA_SHARED) ? 's' : 'p',
				  off, maj, min, ino);
		if (*name)
			fprintf(c->out, "%*s%s", MAX(0, 73 - len), "", name);
		fputc('\n', c->out);
	}
	pthread_mutex_unlock(&mm->lock);
}

struct mounts_ctx {
	FILE *out;
	struct path root;
	bool info;
};

static void mount_line(struct mount *m, void *arg)
{
	struct mounts_ctx *mc = arg;
	struct path p = { m, m->root };
	char where[4096];
	const char *opts = (m->flags & MNT_RDONLY) || m->sb->readonly ? "ro" : "rw";

	/* vfs_lock is held: compute the path by hand. */
	size_t pos = sizeof(where) - 1;
	where[pos] = '\0';
	for (struct mount *x = m; x->parent; x = x->parent) {
		for (struct dentry *d = x->mountpoint; d && d != x->parent->root; d = d->parent) {
			size_t len = strlen(d->name);
			if (pos < len + 1)
				break;
			pos -= len;
			memcpy(where + pos, d->name, len);
			where[--pos] = '/';
		}
	}
	if (!where[pos])
		where[--pos] = '/';
	(void)p;
	if (mc->info)
		fprintf(mc->out, "%d %d %u:%u / %s %s%s%s%s - %s %s %s\n", m->id,
			m->parent ? m->parent->id : m->id, major(m->sb->dev), minor(m->sb->dev),
			where + pos, opts, (m->flags & MNT_NOSUID) ? ",nosuid" : "",
			(m->flags & MNT_NODEV) ? ",nodev" : "", (m->flags & MNT_NOEXEC) ? ",noexec" : "",
			m->sb->fstype, m->source, opts);
	else
		fprintf(mc->out, "%s %s %s %s%s%s%s 0 0\n", m->source, where + pos, m->sb->fstype,
			opts, (m->flags & MNT_NOSUID) ? ",nosuid" : "",
			(m->flags & MNT_NODEV) ? ",nodev" : "", (m->flags & MNT_NOEXEC) ? ",noexec" : "");
}

static void gen_mounts_common(struct proc_ctx *c, bool info)
{
	struct mounts_ctx mc = { .out = c->out, .info = info };
	vfs_for_each_mount(mount_line, &mc);
}

static void gen_mounts(struct proc_ctx *c) { gen_mounts_common(c, false); }
static void gen_mountinfo(struct proc_ctx *c) { gen_mounts_common(c, true); }

static void gen_fdinfo(struct proc_ctx *c, int fd)
{
	struct file *f = fdtable_get(c->t->fdt, fd);
	int flags = fdtable_get_flags(c->t->fdt, fd);

	if (!f)
		return;
	fprintf(c->out, "pos:\t%" PRId64 "\nflags:\t0%o\nmnt_id:\t%d\nino:\t%" PRIu64 "\n",
		f->pos, f->flags | ((flags & FD_CLOEXEC) ? O_CLOEXEC : 0),
		f->path.mnt ? f->path.mnt->id : 0, f->inode ? f->inode->ino : 0);
	if (f->ops && f->ops->show_fdinfo)
		f->ops->show_fdinfo(f, c->out);
	file_put(f);
}

/* ---- system-wide files ---- */

static void gen_host_file(FILE *out, const char *path)
{
	char buf[4096];
	size_t n;
	FILE *in = fopen(path, "re");

	if (!in)
		return;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
}

static void gen_cpuinfo(struct proc_ctx *c) { gen_host_file(c->out, "/proc/cpuinfo"); }

static void gen_meminfo(struct proc_ctx *c)
{
	struct sysinfo si;
	uint64_t unit, total, free_;

	sysinfo(&si);
	unit = si.mem_unit ? si.mem_unit : 1;
	total = (uint64_t)si.totalram * unit / 1024;
	free_ = (uint64_t)si.freeram * unit / 1024;
	fprintf(c->out, "MemTotal:       %8" PRIu64 " kB\nMemFree:        %8" PRIu64 " kB\n"
		"MemAvailable:   %8" PRIu64 " kB\nBuffers:        %8d kB\nCached:         %8d kB\n"
		"SwapCached:     %8d kB\nActive:         %8d kB\nInactive:       %8d kB\n"
		"SwapTotal:      %8d kB\nSwapFree:       %8d kB\nDirty:          %8d kB\n"
		"Shmem:          %8d kB\nCommitLimit:    %8" PRIu64 " kB\nCommitted_AS:   %8d kB\n"
		"VmallocTotal:   34359738367 kB\n",
		total, free_, free_, 0, 0, 0, 0, 0, 0, 0, 0, 0, total, 0);
	(void)unit;
}

/* Seconds since boot, as CLOCK_BOOTTIME (which the sandbox reads too). */
static uint64_t boot_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_BOOTTIME);
}

static void gen_uptime(struct proc_ctx *c)
{
	uint64_t up = boot_ns();
	uint64_t sec = up / 1000000000U, cs = up / 10000000U % 100;

	/* Idle time is not accounted: 0. */
	fprintf(c->out, "%" PRIu64 ".%02" PRIu64 " 0.00\n", sec, cs);
}

static void gen_loadavg(struct proc_ctx *c)
{
	int n = 0, last = 0;

	for (struct task *t = kernel_current->tasks; t; t = t->next) {
		n++;
		last = MAX(last, t->tid);
	}
	fprintf(c->out, "0.00 0.00 0.00 1/%d %d\n", n, last);
}

static void gen_stat_sys(struct proc_ctx *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = 0;

	for (struct task *t = kernel_current->tasks; t; t = t->next)
		n++;
	fprintf(c->out, "cpu  0 0 0 0 0 0 0 0 0 0\n");
	for (long i = 0; i < ncpu; i++)
		fprintf(c->out, "cpu%ld 0 0 0 0 0 0 0 0 0 0\n", i);
	fprintf(c->out, "intr 0\nctxt 0\nbtime %" PRIu64 "\nprocesses %d\nprocs_running 1\n"
		"procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		(uint64_t)(clock_ns(CLOCK_REALTIME) / 1000000000) - boot_ns() / 1000000000U, n);
}

static void gen_version(struct proc_ctx *c)
{
	struct utsname u;

	uname(&u);
	fprintf(c->out, "Linux version %s (moat) (gcc) %s\n", u.release, u.version);
}

static void gen_filesystems(struct proc_ctx *c)
{
	fputs("nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tpipefs\n"
	      "nodev\toverlay\nnodev\tdevpts\n\text4\n", c->out);
}

static void gen_hostname(struct proc_ctx *c)
{
	struct utsname u;
	uname(&u);
	fprintf(c->out, "%s\n", u.nodename);
}

static void gen_osrelease(struct proc_ctx *c)
{
	struct utsname u;
	uname(&u);
	fprintf(c->out, "%s\n", u.release);
}

static void gen_ostype(struct proc_ctx *c) { fputs("Linux\n", c->out); }
static void gen_pid_max(struct proc_ctx *c) { fputs("4194304\n", c->out); }
static void gen_zero(struct proc_ctx *c) { fputs("0\n", c->out); }
static void gen_pipe_max(struct proc_ctx *c) { fputs("1048576\n", c->out); }
static void gen_nr_open(struct proc_ctx *c) { fputs("1048576\n", c->out); }
static void gen_ngroups(struct proc_ctx *c) { fputs("65536\n", c->out); }
static void gen_randomize(struct proc_ctx *c) { fputs("2\n", c->out); }

/* ---- tables ---- */

#define PF(n, g) { .name = n, .kind = P_FILE, .gen = g }
#define PFW(n, g, w) { .name = n, .kind = P_FILE, .gen = g, .write = w }
#define PD(n, t) { .name = n, .kind = P_DIR, .dir = t }
#define PK(n, k) { .name = n, .kind = k }
#define PM(n, m) { .name = n, .kind = P_MAGIC, .magic = m }
#define PEND { .name = NULL }

static const struct pentry sys_kernel_entries[] = {
	PF("hostname", gen_hostname), PF("ngroups_max", gen_ngroups),
	PF("osrelease", gen_osrelease), PF("ostype", gen_ostype), PF("pid_max", gen_pid_max),
	PF("randomize_va_space", gen_randomize), PEND
};
static const struct pentry sys_vm_entries[] = {
	PF("overcommit_memory", gen_zero), PEND
};
static const struct pentry sys_fs_entries[] = {
	PF("nr_open", gen_nr_open), PF("pipe-max-size", gen_pipe_max), PEND
};
static const struct pentry sys_entries[] = {
	PD("fs", sys_fs_entries), PD("kernel", sys_kernel_entries), PD("vm", sys_vm_entries), PEND
};
static const struct pentry root_entries[] = {
	PF("cpuinfo", gen_cpuinfo), PF("filesystems", gen_filesystems),
	PF("loadavg", gen_loadavg), PF("meminfo", gen_meminfo), PK("mounts", P_SELF),
	PK("self", P_SELF), PF("stat", gen_stat_sys), PD("sys", sys_entries),
	PK("thread-self", P_THREAD_SELF), PF("uptime", gen_uptime), PF("version", gen_version),
	PEND
};
static const struct pentry pid_entries[] = {
	PF("auxv", gen_auxv), PF("cmdline", gen_cmdline), PFW("comm", gen_comm, write_comm),
	PM("cwd", M_CWD), PF("environ", gen_environ), PM("exe", M_EXE), PK("fd", P_FDDIR),
	PK("fdinfo", P_FDINFODIR), PF("limits", gen_limits), PF("maps", gen_maps),
	PF("mountinfo", gen_mountinfo), PF("mounts", gen_mounts), PM("root", M_ROOT),
	PF("stat", gen_stat), PF("statm", gen_statm), PF("status", gen_status),
	PK("task", P_TASKDIR), PEND
};

static mode_t kind_mode(enum pkind k)
{
	switch (k) {
	case P_FILE: return S_IFREG | 0444;
	case P_SELF: case P_THREAD_SELF: case P_MAGIC: return S_IFLNK | 0777;
	default: return S_IFDIR | 0555;
	}
}

static struct inode *pinode(enum pkind kind, const struct pentry *e, int pid, int fd)
{
	struct pnode *n = calloc(1, sizeof(*n));
	mode_t mode = kind_mode(kind) | (kind == P_FILE && e && e->write ? 0200 : 0);
	struct inode *inode = n ? inode_new(proc_sb, kind == P_MAGIC ? &proc_magic_ops : &proc_inode_ops,
						 mode) : NULL;

	if (!inode) {
		free(n);
		return NULL;
	}
	n->kind = kind;
	n->entry = e;
	n->pid = pid;
	n->fd = fd;
	inode->priv = n;
	if (kind == P_MAGIC && e && e->magic == M_FD)
		inode->mode = S_IFLNK | 0700;
	if (kind == P_FILE && e && (e->gen == gen_environ || e->gen == gen_auxv))
		inode->mode = S_IFREG | 0400;
	/* Stable numbers: per-process entries from the pid, others from the table. */
	inode->ino = ((uint64_t)pid << 16) + (e ? (uint64_t)(e - root_entries) & 0xff : 0) +
		     ((uint64_t)kind << 8) + (uint64_t)(fd + 1) * 0x100000000ULL;
	return inode;
}

static struct pnode *pn(struct inode *inode) { return inode->priv; }

int procfs_pid_of_dir(struct file *f)
{
	if (!f->inode || f->inode->sb != proc_sb || !S_ISDIR(f->inode->mode))
		return -1;
	struct pnode *n = pn(f->inode);
	return n->kind == P_PIDDIR && n->pid > 0 ? n->pid : -1;
}

static const struct pentry *dir_table(struct pnode *n)
{
	if (n->kind == P_PIDDIR)
		return pid_entries;
	if (n->kind == P_DIR)
		return n->entry ? n->entry->dir : root_entries;
	return NULL;
}

static bool parse_num(const char *name, int *out)
{
	char *end;
	long v = strtol(name, &end, 10);

	if (!*name || *end || v < 0 || v > INT32_MAX || (name[0] == '0' && name[1]))
		return false;
	*out = (int)v;
	return true;
}

static int proc_lookup(struct inode *dir, const char *name, struct inode **res)
{
	struct pnode *n = pn(dir);
	const struct pentry *table = dir_table(n);
	int num;

	if (table) {
		for (const struct pentry *e = table; e->name; e++) {
			if (strcmp(e->name, name))
				continue;
			if (e->kind == P_SELF && n->kind == P_PIDDIR)
				continue;
			if (table == root_entries && !strcmp(name, "mounts")) {
				/* /proc/mounts -> self/mounts */
				*res = pinode(P_SELF, e, 0, -1);
			} else if (e->kind == P_FDDIR || e->kind == P_FDINFODIR || e->kind == P_TASKDIR) {
				*res = pinode(e->kind, e, n->pid, -1);
			} else {
				*res = pinode(e->kind, e, n->pid, -1);
			}
			return *res ? 0 : -ENOMEM;
		}
	}
	if (n->kind == P_DIR && !n->entry && parse_num(name, &num)) {
		struct task *t = find_task(num);
		if (!t)
			return -ENOENT;
		unlock_tasks();
		*res = pinode(P_PIDDIR, NULL, num, -1);
		return *res ? 0 : -ENOMEM;
	}
	if (n->kind == P_TASKDIR && parse_num(name, &num)) {
		struct task *t = find_task(n->pid);
		bool found = false;
		if (t) {
			for (struct task *o = t->k->tasks; o; o = o->next)
				found |= o->tg == t->tg && o->tid == num;
			unlock_tasks();
		}
		if (!found)
			return -ENOENT;
		*res = pinode(P_PIDDIR, NULL, n->pid, -1);
		return *res ? 0 : -ENOMEM;
	}
	if ((n->kind == P_FDDIR || n->kind == P_FDINFODIR) && parse_num(name, &num)) {
		struct task *t = find_task(n->pid);
		bool ok = false;
		if (t) {
			ok = fdtable_get_flags(t->fdt, num) >= 0;
			unlock_tasks();
		}
		if (!ok)
			return -ENOENT;
		static const struct pentry fd_entry = PM("fd", M_FD);
		static const struct pentry fdinfo_entry = PF("fdinfo", NULL);
		*res = n->kind == P_FDDIR ? pinode(P_MAGIC, &fd_entry, n->pid, num)
					  : pinode(P_FILE, &fdinfo_entry, n->pid, num);
		return *res ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static int proc_getattr(struct inode *inode, struct statx *stx)
{
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS;
	stx->stx_mode = (uint16_t)inode->mode;
	stx->stx_nlink = S_ISDIR(inode->mode) ? 2 : 1;
	stx->stx_ino = inode->ino;
	stx->stx_blksize = 1024;
	stx->stx_dev_major = major(inode->sb->dev);
	stx->stx_dev_minor = minor(inode->sb->dev);
	uint64_t boot = (uint64_t)time(NULL);
	stx->stx_atime.tv_sec = stx->stx_mtime.tv_sec = stx->stx_ctime.tv_sec = (int64_t)boot;
	return 0;
}

/* "self" and "thread-self": the reader's own process. */
static long proc_readlink(struct inode *inode, struct task *t, char *buf, size_t len)
{
	struct pnode *n = pn(inode);
	char tmp[64];
	int k;

	if (!t)
		return -EINVAL;
	if (n->kind == P_SELF && n->entry && !strcmp(n->entry->name, "mounts"))
		k = snprintf(tmp, sizeof(tmp), "self/mounts");
	else if (n->kind == P_SELF)
		k = snprintf(tmp, sizeof(tmp), "%d", t->tg->tgid);
	else if (n->kind == P_THREAD_SELF)
		k = snprintf(tmp, sizeof(tmp), "%d/task/%d", t->tg->tgid, t->tid);
	else if (n->kind == P_MAGIC && n->entry->magic == M_FD) {
		/* A file without a path: Linux's "pipe:[ino]" style name. */
		struct task *target = find_task(n->pid);
		struct file *f = NULL;
		if (target) {
			f = fdtable_get(target->fdt, n->fd);
			unlock_tasks();
		}
		if (!f)
			return -ENOENT;
		if (S_ISFIFO(f->inode->mode))
			k = snprintf(tmp, sizeof(tmp), "pipe:[%" PRIu64 "]", f->inode->ino);
		else if (f->ops && f->ops->anon_name)
			k = snprintf(tmp, sizeof(tmp), "anon_inode:%s", f->ops->anon_name);
		else
			k = snprintf(tmp, sizeof(tmp), "anon_inode:[%" PRIu64 "]", f->inode->ino);
		file_put(f);
	} else
		return -EINVAL;
	k = MIN(k, (int)len);
	memcpy(buf, tmp, (size_t)k);
	return k;
}

static int proc_get_link(struct inode *inode, struct task *t, struct path *out,
			 struct file **file)
{
	struct pnode *n = pn(inode);
	struct task *target = find_task(n->pid);
	int err = 0;

	(void)t;
	if (!target)
		return -ENOENT;
	if (is_zombie_view(target)) {
		unlock_tasks();
		return -ENOENT;   /* a zombie has no executable, cwd or root */
	}
	switch (n->entry->magic) {
	case M_EXE:
		*out = target->tg->exe;
		if (!out->dentry)
			err = -ENOENT;
		break;
	case M_CWD:
	case M_ROOT:
		pthread_mutex_lock(&target->fs->lock);
		*out = n->entry->magic == M_CWD ? target->fs->cwd : target->fs->root;
		pthread_mutex_unlock(&target->fs->lock);
		break;
	case M_FD: {
		struct file *f = fdtable_get(target->fdt, n->fd);
		if (!f) {
			err = -ENOENT;
		} else if (!f->path.dentry) {
			*file = f;
			out->dentry = NULL;
			unlock_tasks();
			return 0;
		} else {
			*out = f->path;
			path_get_locked(out);
			file_put(f);
			unlock_tasks();
			return 0;
		}
		break;
	}
	}
	if (!err)
		path_get_locked(out);
	unlock_tasks();
	return err;
}

/* ---- files: generated at open ---- */

struct proc_buf {
	char *data;
	size_t len;
};

static int proc_open(struct inode *inode, struct file *f)
{
	struct pnode *n = pn(inode);
	struct proc_buf *b;
	struct proc_ctx c = { 0 };

	if (n->kind != P_FILE) {
		if (!S_ISDIR(inode->mode))
			return -ENXIO;
		f->ops = &proc_dir_ops;
		return 0;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	c.out = open_memstream(&b->data, &b->len);
	if (!c.out) {
		free(b);
		return -ENOMEM;
	}
	if (n->pid) {
		c.t = find_task(n->pid);
		if (!c.t) {
			fclose(c.out);
			free(b->data);
			free(b);
			return -ENOENT;
		}
		if (n->fd >= 0)
			gen_fdinfo(&c, n->fd);
		else
			n->entry->gen(&c);
		unlock_tasks();
	} else {
		pthread_mutex_lock(&kernel_current->lock);
		n->entry->gen(&c);
		pthread_mutex_unlock(&kernel_current->lock);
	}
	fclose(c.out);
	f->priv = b;
	f->ops = &proc_file_ops;
	return 0;
}

static long proc_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct proc_buf *b = f->priv;

	(void)t;
	if ((uint64_t)*off >= b->len)
		return 0;
	len = MIN(len, b->len - (size_t)*off);
	memcpy(buf, b->data + *off, len);
	*off += (int64_t)len;
	return (long)len;
}

static void proc_release(struct file *f)
{
	struct proc_buf *b = f->priv;

	if (b) {
		free(b->data);
		free(b);
	}
}

static long proc_lseek(struct file *f, int64_t off, int whence)
{
	struct proc_buf *b = f->priv;
	int64_t pos = whence == SEEK_SET ? off : whence == SEEK_CUR ? f->pos + off :
		      whence == SEEK_END ? (int64_t)b->len + off : -1;

	if (pos < 0)
		return -EINVAL;
	f->pos = pos;
	return pos;
}

static long proc_write(struct file *f, struct task *t, const void *buf, size_t len, int64_t *off)
{
	struct pnode *n = pn(f->inode);
	struct task *target;
	long ret;
	char tmp[64];

	(void)t;
	(void)off;
	if (!n->entry || !n->entry->write)
		return -EINVAL;
	len = MIN(len, sizeof(tmp));
	memcpy(tmp, buf, len);
	target = n->pid ? find_task(n->pid) : NULL;
	if (!target)
		return -ESRCH;
	ret = n->entry->write(target, tmp, len);
	unlock_tasks();
	return ret;
}

static const struct file_ops proc_file_ops = {
	.read = proc_read, .write = proc_write, .lseek = proc_lseek, .release = proc_release,
};

/* ---- directories ---- */

static int proc_readdir(struct file *f, struct dir_ctx *ctx)
{
	struct pnode *n = pn(f->inode);
	const struct pentry *table = dir_table(n);
	uint64_t i = 2;
	char name[32];

	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, f->inode->ino, DT_DIR))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		if (!ctx->emit(ctx, "..", 2, f->inode->ino, DT_DIR))
			return 0;
		ctx->pos = 2;
	}
	if (table) {
		for (const struct pentry *e = table; e->name; e++, i++) {
			if (i < ctx->pos)
				continue;
			/* glibc's readdir skips entries whose inode number is 0. */
			uint64_t ino = ((uint64_t)n->pid << 16) + ((uint64_t)e->kind << 8) + i;
			if (!ctx->emit(ctx, e->name, strlen(e->name), ino, mode_to_dtype(kind_mode(e->kind))))
				return 0;
			ctx->pos = i + 1;
		}
	}
	/* Numbered entries: cookies 1000+number, in order. */
	struct kernel *k = kernel_current;
	int want_pid = n->kind == P_DIR && !n->entry;
	if (!want_pid && n->kind != P_FDDIR && n->kind != P_FDINFODIR && n->kind != P_TASKDIR)
		return 0;
	for (;;) {
		int next = -1;
		uint64_t from = ctx->pos < 1000 ? 0 : ctx->pos - 1000;
		pthread_mutex_lock(&k->lock);
		if (want_pid) {
			for (struct thread_group *tg = k->groups; tg; tg = tg->next)
				if ((uint64_t)tg->tgid >= from && (next < 0 || tg->tgid < next))
					next = tg->tgid;
		} else if (n->kind == P_TASKDIR) {
			for (struct task *t = k->tasks; t; t = t->next) {
				if (t->tg->tgid != n->pid)
					continue;
				if ((uint64_t)t->tid >= from && (next < 0 || t->tid < next))
					next = t->tid;
			}
		} else {
			struct task *t = NULL;
			for (struct task *o = k->tasks; o; o = o->next)
				if (o->tg->tgid == n->pid && o->tid == n->pid)
					t = o;
			if (t) {
				pthread_mutex_lock(&t->fdt->lock);
				for (int fd = (int)from; fd < t->fdt->nfds; fd++)
					if (t->fdt->files[fd]) {
						next = fd;
						break;
					}
				pthread_mutex_unlock(&t->fdt->lock);
			}
		}
		pthread_mutex_unlock(&k->lock);
		if (next < 0)
			return 0;
		int len = snprintf(name, sizeof(name), "%d", next);
		unsigned dtype = n->kind == P_FDDIR ? DT_LNK : n->kind == P_FDINFODIR ? DT_REG : DT_DIR;
		if (!ctx->emit(ctx, name, (size_t)len, (uint64_t)next + 1000, dtype))
			return 0;
		ctx->pos = 1000 + (uint64_t)next + 1;
	}
}

static const struct file_ops proc_dir_ops = {
	.readdir = proc_readdir, .lseek = generic_lseek,
};

static void proc_evict(struct inode *inode)
{
	free(inode->priv);
}

static const struct inode_ops proc_inode_ops = {
	.lookup = proc_lookup,
	.getattr = proc_getattr,
	.readlink = proc_readlink,
	.open = proc_open,
	.evict = proc_evict,
};

/* The ops of magic links add get_link. */
static const struct inode_ops proc_magic_ops = {
	.getattr = proc_getattr,
	.readlink = proc_readlink,
	.get_link = proc_get_link,
	.evict = proc_evict,
};

struct super_block *procfs_new(struct dentry **root)
{
	struct inode *inode;

	if (!proc_sb) {
		proc_sb = super_new("proc", PROC_SUPER_MAGIC);
		if (!proc_sb)
			return NULL;
		proc_sb->uncached = true;
	}
	inode = pinode(P_DIR, NULL, 0, -1);
	if (!inode)
		return NULL;
	*root = dentry_new_root(inode);
	return *root ? proc_sb : NULL;
}
