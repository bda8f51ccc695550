/*
 * proc_cred.c - credentials: user and group ids, supplementary groups and
 * capabilities.
 *
 *   - every id is 0 at the start (getuid ... getresgid, /proc/self/status);
 *   - setgroups/getgroups: the kernel keeps the list sorted, getgroups(0)
 *     gives the count, a too small buffer is EINVAL, a bigger one is fine,
 *     bad sizes and pointers, EPERM without CAP_SETGID;
 *   - setresuid/setresgid, setuid/setgid as root (all three ids), EPERM for
 *     going back once every uid is nonzero, and then no capabilities;
 *   - a saved uid of 0 (setresuid(-1, 1000, 0)) keeps the permitted set, so
 *     seteuid(0) works and the effective set comes back;
 *   - setreuid/setregid: when the saved id follows the effective one;
 *   - setfsuid/setfsgid return the previous value, ignore -1 and values a
 *     non-root may not take, drop the file-system capabilities from the
 *     effective set (and setfsuid(0) restores them), and new files and
 *     directories get the fs ids as owner;
 *   - permission checks for a non-root: owner class first, then group
 *     (supplementary groups count), then other;
 *   - PR_SET_KEEPCAPS keeps the permitted set across setresuid to nonzero;
 *     capset within the permitted set, EPERM beyond it;
 *   - PR_CAPBSET_READ/PR_CAPBSET_DROP (and CapBnd in /proc/self/status);
 *   - capget/capset versions; capset dropping CAP_CHOWN from the effective
 *     set makes chown to another owner EPERM;
 *   - the Uid:, Gid: and Groups: lines of /proc/self/status.
 *
 * Every credential change is made in a forked child that reports through
 * its exit status. Uses a mkdtemp scratch directory under /tmp (made mode
 * 0777 so that uid 1000 can work in it), removed at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "scratch.h"

#define BIT(c) (1ULL << (c))

static uint64_t init_eff, init_prm;

/* ------------------------------------------------------ helpers */

static int cap_get(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	if (inh)
		*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int cap_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

/* The effective set, or ~0 if capget failed (reported). */
static uint64_t eff_caps(void)
{
	uint64_t e, p;

	if (!CHECK_OK(cap_get(&e, &p, NULL)))
		return ~0ULL;
	return e;
}

static uint64_t prm_caps(void)
{
	uint64_t e, p;

	if (!CHECK_OK(cap_get(&e, &p, NULL)))
		return ~0ULL;
	return p;
}

/*
 * The /proc/self/status line starting with key (e.g. "Uid:"), without the
 * newline, into out; "" if there is none.
 */
static void status_line(const char *key, char *out, size_t outlen)
{
	char buf[8192], *s, *nl;
	size_t klen = strlen(key);
	ssize_t n, len = 0;
	int fd;

	out[0] = 0;
	fd = open("/proc/self/status", O_RDONLY);
	if (!CHECK(fd >= 0))
		return;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	for (s = buf; s && *s; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (strncmp(s, key, klen) == 0) {
			size_t l = nl ? (size_t)(nl - s) : strlen(s);

			if (l >= outlen)
				l = outlen - 1;
			memcpy(out, s, l);
			out[l] = 0;
			return;
		}
	}
}

/*
 * The numbers of the Groups: line into g (at most max); their count, or
 * -1 if the line is missing (reported). Linux ends the line with a blank.
 */
static int groups_line(gid_t *g, int max)
{
	char line[512], *s, *end;
	int n = 0;

	status_line("Groups:", line, sizeof(line));
	if (!CHECK_EQ(strncmp(line, "Groups:\t", 8), 0))
		return -1;
	for (s = line + 8; n < max; s = end) {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s)
			break;
		g[n++] = (gid_t)v;
	}
	return n;
}

#define CHECK_STATUS(key, want)                                              \
	({                                                                   \
		char line_[256];                                             \
		status_line(key, line_, sizeof(line_));                      \
		strcmp(line_, want) == 0                                     \
			? 1                                                  \
			: check_fail(__FILE__, __LINE__,                     \
				     "status line \"%s\" (want \"%s\")",     \
				     line_, want);                           \
	})

#define CHECK_RESUID(r, e, s)                                                \
	({                                                                   \
		uid_t ir_ = 9, ie_ = 9, is_ = 9;                             \
		CHECK_OK(getresuid(&ir_, &ie_, &is_)) && CHECK_EQ(ir_, r) && \
			CHECK_EQ(ie_, e) && CHECK_EQ(is_, s);                \
	})

#define CHECK_RESGID(r, e, s)                                                \
	({                                                                   \
		gid_t ir_ = 9, ie_ = 9, is_ = 9;                             \
		CHECK_OK(getresgid(&ir_, &ie_, &is_)) && CHECK_EQ(ir_, r) && \
			CHECK_EQ(ie_, e) && CHECK_EQ(is_, s);                \
	})

/* A root-owned file with the given owner, group and mode. */
static void make_file(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (!CHECK(fd >= 0))
		return;
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_OK(fchown(fd, uid, gid));
	CHECK_OK(fchmod(fd, mode));
	CHECK_OK(close(fd));
}

/* ------------------------------------------------------ tests */

static void c_initial(void)
{
	CHECK_EQ(getuid(), 0);
	CHECK_EQ(geteuid(), 0);
	CHECK_EQ(getgid(), 0);
	CHECK_EQ(getegid(), 0);
	CHECK_RESUID(0, 0, 0);
	CHECK_RESGID(0, 0, 0);
	CHECK_EQ(syscall(SYS_getuid), 0);
	CHECK_EQ(syscall(SYS_geteuid), 0);
	CHECK_STATUS("Uid:", "Uid:\t0\t0\t0\t0");
	CHECK_STATUS("Gid:", "Gid:\t0\t0\t0\t0");
	/* Root starts with the same effective and permitted sets. */
	CHECK(init_eff == init_prm);
	CHECK((init_eff & (BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) |
			   BIT(CAP_FOWNER) | BIT(CAP_SETUID) |
			   BIT(CAP_SETGID) | BIT(CAP_SETPCAP))) ==
	      (BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FOWNER) |
	       BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_SETPCAP)));
	/* setfsuid(-1) changes nothing and returns the current fsuid. */
	CHECK_EQ(setfsuid(-1), 0);
	CHECK_EQ(setfsgid(-1), 0);
}

static void c_groups(void)
{
	gid_t set[] = { 7, 3, 5, 3 }, got[16];
	int n;

	CHECK_OK(setgroups(4, set));
	CHECK_EQ(getgroups(0, NULL), 4);
	CHECK_EQ(syscall(SYS_getgroups, 0, NULL), 4);
	memset(got, 0xff, sizeof(got));
	/* The kernel sorts the list; duplicates are kept. */
	n = getgroups(16, got);
	if (CHECK_EQ(n, 4)) {
		CHECK_EQ(got[0], 3);
		CHECK_EQ(got[1], 3);
		CHECK_EQ(got[2], 5);
		CHECK_EQ(got[3], 7);
		CHECK_EQ(got[4], (gid_t)-1);	/* untouched past the count */
	}
	memset(got, 0xff, sizeof(got));
	CHECK_EQ(getgroups(4, got), 4);
	CHECK_ERR(getgroups(3, got), EINVAL);
	CHECK_ERR(getgroups(1, got), EINVAL);
	CHECK_EQ(got[0], 3);
	CHECK_ERR(syscall(SYS_getgroups, -1, got), EINVAL);
	CHECK_ERR(syscall(SYS_getgroups, 4, (void *)8), EFAULT);
	/* /proc/self/status lists them in the same order. */
	if (CHECK_EQ(groups_line(got, 16), 4)) {
		CHECK_EQ(got[0], 3);
		CHECK_EQ(got[1], 3);
		CHECK_EQ(got[2], 5);
		CHECK_EQ(got[3], 7);
	}

	/* The real and effective gids are not part of the list. */
	CHECK_OK(setgroups(1, (gid_t[]){ 42 }));
	CHECK_EQ(getgroups(16, got), 1);
	CHECK_EQ(got[0], 42);
	CHECK_EQ(getgid(), 0);

	/* Emptied. */
	CHECK_OK(setgroups(0, NULL));
	CHECK_EQ(getgroups(0, NULL), 0);
	CHECK_EQ(getgroups(16, got), 0);
	CHECK_EQ(groups_line(got, 16), 0);

	/* Bad sizes and pointers. */
	CHECK_ERR(syscall(SYS_setgroups, -1, set), EINVAL);
	CHECK_ERR(syscall(SYS_setgroups, 65537, set), EINVAL);
	CHECK_ERR(syscall(SYS_setgroups, 1, (void *)8), EFAULT);
	CHECK_EQ(getgroups(0, NULL), 0);

	/* Without CAP_SETGID: EPERM, even to empty the list. */
	CHECK_OK(setgroups(2, set));
	if (!CHECK_OK(setresuid(1000, 1000, 1000)))
		return;
	CHECK_ERR(setgroups(1, set), EPERM);
	CHECK_ERR(setgroups(0, NULL), EPERM);
	CHECK_EQ(getgroups(16, got), 2);	/* kept */
	CHECK_EQ(got[0], 3);
	CHECK_EQ(got[1], 7);
}

static void c_setres(void)
{
	CHECK_OK(setresgid(1000, 1000, 1000));
	CHECK_RESGID(1000, 1000, 1000);
	CHECK_EQ(getgid(), 1000);
	CHECK_EQ(getegid(), 1000);
	CHECK_EQ(prm_caps(), init_prm);		/* gids don't touch caps */
	CHECK_OK(setresuid(1000, 1000, 1000));
	CHECK_RESUID(1000, 1000, 1000);
	CHECK_EQ(getuid(), 1000);
	CHECK_EQ(geteuid(), 1000);
	/* Every uid nonzero: no capabilities at all. */
	CHECK_EQ(eff_caps(), 0);
	CHECK_EQ(prm_caps(), 0);
	CHECK_ERR(setuid(0), EPERM);
	CHECK_ERR(seteuid(0), EPERM);
	CHECK_ERR(setresuid(0, -1, -1), EPERM);
	CHECK_ERR(setresuid(-1, -1, 0), EPERM);
	CHECK_ERR(setgid(0), EPERM);
	CHECK_ERR(setresgid(-1, 0, -1), EPERM);
	CHECK_OK(setresuid(-1, -1, -1));	/* no change is allowed */
	CHECK_OK(setuid(1000));
	CHECK_RESUID(1000, 1000, 1000);
	CHECK_RESGID(1000, 1000, 1000);
}

static void c_setuid(void)
{
	/* As root, setuid/setgid set all three ids. */
	CHECK_OK(setgid(1000));
	CHECK_RESGID(1000, 1000, 1000);
	CHECK_OK(setuid(1000));
	CHECK_RESUID(1000, 1000, 1000);
	CHECK_ERR(setuid(0), EPERM);
	CHECK_RESUID(1000, 1000, 1000);
	CHECK_EQ(eff_caps(), 0);
	CHECK_EQ(prm_caps(), 0);
	CHECK_STATUS("Uid:", "Uid:\t1000\t1000\t1000\t1000");
}

static void c_saved(void)
{
	/* The saved uid stays 0: permitted kept, effective dropped. */
	CHECK_OK(setresuid(-1, 1000, 0));
	CHECK_RESUID(0, 1000, 0);
	CHECK_EQ(geteuid(), 1000);
	CHECK_EQ(eff_caps(), 0);
	CHECK_EQ(prm_caps(), init_prm);
	CHECK_STATUS("Uid:", "Uid:\t0\t1000\t0\t1000");
	/* Without effective caps, a 0600 root file is out of reach. */
	CHECK_ERR(open(p("secret"), O_RDONLY), EACCES);
	CHECK_ERR(chown(dir, 0, 0), EPERM);
	/* Back to euid 0: the effective set is the permitted one again. */
	CHECK_OK(seteuid(0));
	CHECK_RESUID(0, 0, 0);
	CHECK_EQ(eff_caps(), init_prm);
	CHECK_EQ(prm_caps(), init_prm);
	CHECK_OK(chown(dir, 0, 0));
	/* seteuid from root leaves the saved uid alone. */
	CHECK_OK(seteuid(2000));
	CHECK_RESUID(0, 2000, 0);
	CHECK_OK(seteuid(0));
	CHECK_RESUID(0, 0, 0);
}

static void c_setreuid(void)
{
	/* Root: ruid set, so the saved uid follows the new euid. */
	CHECK_OK(setreuid(1000, 2000));
	CHECK_RESUID(1000, 2000, 2000);
	CHECK_EQ(eff_caps(), 0);
	CHECK_EQ(prm_caps(), 0);
	/* euid to the real uid: saved unchanged. */
	CHECK_OK(setreuid(-1, 1000));
	CHECK_RESUID(1000, 1000, 2000);
	/* euid to the saved uid is allowed. */
	CHECK_OK(setreuid(-1, 2000));
	CHECK_RESUID(1000, 2000, 2000);
	/* Neither real, effective nor saved: EPERM. */
	CHECK_ERR(setreuid(-1, 3000), EPERM);
	CHECK_ERR(setreuid(3000, -1), EPERM);
	/* setreuid may not set the real uid to the saved one... */
	CHECK_OK(setreuid(-1, 1000));
	CHECK_RESUID(1000, 1000, 2000);
	CHECK_ERR(setreuid(2000, -1), EPERM);
	/* ...but setresuid may. */
	CHECK_OK(setresuid(2000, -1, -1));
	CHECK_RESUID(2000, 1000, 2000);
	/* Real uid set to the effective: saved = effective. */
	CHECK_OK(setreuid(1000, -1));
	CHECK_RESUID(1000, 1000, 1000);
	CHECK_ERR(setreuid(-1, 2000), EPERM);
}

static void c_setreuid_root(void)
{
	/* Root, euid changed to something other than the real uid. */
	CHECK_OK(setreuid(-1, 1000));
	CHECK_RESUID(0, 1000, 1000);
	/* The real uid is still 0, so euid 0 is allowed again. */
	CHECK_OK(setreuid(-1, 0));
	CHECK_RESUID(0, 0, 1000);
	CHECK_EQ(eff_caps(), init_prm);
	/* Same for gids. */
	CHECK_OK(setregid(100, 200));
	CHECK_RESGID(100, 200, 200);
	CHECK_OK(setregid(-1, 100));
	CHECK_RESGID(100, 100, 200);
	CHECK_OK(setregid(-1, -1));
	CHECK_RESGID(100, 100, 200);
}

static void c_fsuid(void)
{
	const uint64_t fs = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) |
			    BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_FOWNER) |
			    BIT(CAP_FSETID);
	struct stat st;
	int fd;

	CHECK_EQ(setfsuid(1000), 0);
	CHECK_EQ(setfsuid(1000), 1000);
	CHECK_EQ(setfsuid(-1), 1000);		/* query */
	CHECK_EQ(setfsgid(1000), 0);
	CHECK_EQ(setfsgid(-1), 1000);
	CHECK_RESUID(0, 0, 0);			/* the others are untouched */
	CHECK_RESGID(0, 0, 0);
	CHECK_STATUS("Uid:", "Uid:\t0\t0\t0\t1000");
	CHECK_STATUS("Gid:", "Gid:\t0\t0\t0\t1000");
	/* A nonzero fsuid drops the file-system caps from the effective
	 * set only. */
	CHECK_EQ(eff_caps() & fs, 0);
	CHECK_EQ(eff_caps(), init_eff & ~(fs | BIT(CAP_LINUX_IMMUTABLE) |
					  BIT(CAP_MKNOD) |
					  BIT(CAP_MAC_OVERRIDE)));
	CHECK_EQ(prm_caps(), init_prm);

	/* New files and directories are owned by the fs ids. */
	fd = open(p("fsfile"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (CHECK(fd >= 0)) {
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_uid, 1000);
		CHECK_EQ(st.st_gid, 1000);
		CHECK_OK(close(fd));
	}
	CHECK_OK(stat(p("fsfile"), &st));
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_gid, 1000);
	CHECK_OK(mkdir(p("fsdir"), 0755));
	CHECK_OK(stat(p("fsdir"), &st));
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_gid, 1000);
	/* Permission checks use the fs ids too. */
	CHECK_ERR(open(p("secret"), O_RDONLY), EACCES);

	/* Back to fsuid 0: the caps return (from the permitted set). */
	CHECK_EQ(setfsuid(0), 1000);
	CHECK_EQ(eff_caps(), init_eff);
	fd = open(p("secret"), O_RDONLY);
	if (CHECK(fd >= 0))
		CHECK_OK(close(fd));
	CHECK_EQ(setfsgid(0), 1000);
	fd = open(p("fsfile2"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (CHECK(fd >= 0)) {
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_uid, 0);
		CHECK_EQ(st.st_gid, 0);
		CHECK_OK(close(fd));
	}

	/* setresuid sets the fsuid to the new euid. */
	CHECK_OK(setresuid(-1, 2000, -1));
	CHECK_EQ(setfsuid(-1), 2000);
	CHECK_STATUS("Uid:", "Uid:\t0\t2000\t0\t2000");
	/* A non-root may set the fsuid only to one of its ids. */
	CHECK_EQ(setfsuid(3000), 2000);		/* refused: unchanged */
	CHECK_EQ(setfsuid(-1), 2000);
	CHECK_EQ(setfsuid(0), 2000);		/* the real uid: fine */
	CHECK_EQ(setfsuid(-1), 0);
	CHECK_EQ(setfsuid(2000), 0);
	CHECK_EQ(setfsuid(-1), 2000);
}

/* A non-root's access: owner bits first, then group, then other. */
static void c_access(void)
{
	char c = 0;
	int fd;

	CHECK_OK(setgroups(1, (gid_t[]){ 4242 }));
	if (!CHECK_OK(setresgid(1000, 1000, 1000)) ||
	    !CHECK_OK(setresuid(1000, 1000, 1000)))
		return;
	CHECK_ERR(open(p("secret"), O_RDONLY), EACCES);
	CHECK_ERR(access(p("secret"), R_OK), EACCES);
	CHECK_OK(access(p("secret"), F_OK));
	/* 0060 root:4242, and 4242 is a supplementary group. */
	fd = open(p("grp"), O_RDWR);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(read(fd, &c, 1), 1);
		CHECK_EQ(c, 'x');
		CHECK_OK(close(fd));
	}
	CHECK_OK(access(p("grp"), R_OK | W_OK));
	CHECK_ERR(access(p("grp"), X_OK), EACCES);
	/* 0066 1000:4242: we own it, so the owner bits (none) apply. */
	CHECK_ERR(open(p("own"), O_RDONLY), EACCES);
	CHECK_ERR(open(p("own"), O_WRONLY), EACCES);
	/* 0604 root:0: "other" may read, not write. */
	fd = open(p("other"), O_RDONLY);
	if (CHECK(fd >= 0))
		CHECK_OK(close(fd));
	CHECK_ERR(open(p("other"), O_WRONLY), EACCES);
	/* 0060 root:0: group bits for a group we lack; other has none. */
	CHECK_ERR(open(p("grp0"), O_RDONLY), EACCES);
}

/* Without the supplementary group the 0060 file is out of reach. */
static void c_access_nogroup(void)
{
	CHECK_OK(setgroups(0, NULL));
	if (!CHECK_OK(setresgid(1000, 1000, 1000)) ||
	    !CHECK_OK(setresuid(1000, 1000, 1000)))
		return;
	CHECK_ERR(open(p("grp"), O_RDONLY), EACCES);
	CHECK_ERR(access(p("grp"), R_OK), EACCES);
	/* A 0060 file whose group is our primary gid is fine. */
	CHECK_OK(access(p("grp1000"), R_OK | W_OK));
}

static void c_keepcaps(void)
{
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	CHECK_ERR(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	if (!CHECK_OK(setresuid(1000, 1000, 1000)))
		return;
	/* The effective set is still cleared, the permitted one kept. */
	CHECK_EQ(eff_caps(), 0);
	CHECK_EQ(prm_caps(), init_prm);
	CHECK_ERR(setuid(0), EPERM);
	/* Raise CAP_SETUID into the effective set: then setuid works. */
	CHECK_OK(cap_set(BIT(CAP_SETUID), init_prm, 0));
	CHECK_EQ(eff_caps(), BIT(CAP_SETUID));
	/* Narrow the permitted set; it can't be widened again. */
	CHECK_OK(cap_set(BIT(CAP_SETUID), BIT(CAP_SETUID), 0));
	CHECK_EQ(prm_caps(), BIT(CAP_SETUID));
	CHECK_ERR(cap_set(BIT(CAP_SETUID), BIT(CAP_SETUID) | BIT(CAP_CHOWN),
			  0), EPERM);
	CHECK_ERR(cap_set(BIT(CAP_SETUID) | BIT(CAP_CHOWN), BIT(CAP_SETUID),
			  0), EPERM);
	CHECK_OK(setresuid(0, 0, 0));
	CHECK_RESUID(0, 0, 0);
	/* Root again, but with only what was permitted. */
	CHECK_EQ(eff_caps(), BIT(CAP_SETUID));
	CHECK_EQ(prm_caps(), BIT(CAP_SETUID));
	CHECK_ERR(chown(p("secret"), 1000, -1), EPERM);
	CHECK_ERR(setgroups(0, NULL), EPERM);
}

/* Without PR_SET_KEEPCAPS, even the permitted set goes. */
static void c_nokeepcaps(void)
{
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	if (!CHECK_OK(setresuid(1000, 1000, 1000)))
		return;
	CHECK_EQ(prm_caps(), 0);
	CHECK_ERR(cap_set(BIT(CAP_SETUID), BIT(CAP_SETUID), 0), EPERM);
}

static void c_bounding(void)
{
	char line[256];
	unsigned long long bnd;

	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 1);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0), 1);
	CHECK_ERR(prctl(PR_CAPBSET_READ, 1000, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_CAPBSET_READ, -1, 0, 0, 0), EINVAL);
	CHECK_ERR(prctl(PR_CAPBSET_DROP, 1000, 0, 0, 0), EINVAL);
	status_line("CapBnd:", line, sizeof(line));
	bnd = strtoull(line + 7, NULL, 16);
	CHECK_EQ(bnd & BIT(CAP_CHOWN), BIT(CAP_CHOWN));

	CHECK_EQ(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0), 1);
	CHECK_EQ(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0), 0); /* again */
	status_line("CapBnd:", line, sizeof(line));
	bnd = strtoull(line + 7, NULL, 16);
	CHECK_EQ(bnd & BIT(CAP_CHOWN), 0);
	CHECK_EQ(bnd & BIT(CAP_SETUID), BIT(CAP_SETUID));
	/* The bounding set limits what execve grants; the current
	 * effective and permitted sets keep CAP_CHOWN. */
	CHECK_EQ(eff_caps(), init_eff);
	CHECK_EQ(prm_caps(), init_prm);

	/* Inherited by fork. */
	pid_t pid = xfork();

	if (pid == 0)
		_exit(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) == 0 ? 0 : 1);
	CHECK_EQ(reap(pid), 0);

	/* Dropping needs CAP_SETPCAP. */
	CHECK_OK(cap_set(init_eff & ~BIT(CAP_SETPCAP), init_prm, 0));
	CHECK_ERR(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), EPERM);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 1);
}

static void c_capset_chown(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];
	uint64_t e = 0, pm = 0, in = 1;
	struct stat st;

	/* Version probing. */
	h.version = 0;
	h.pid = 0;
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = 0x12345678;
	CHECK_EQ(syscall(SYS_capget, &h, NULL), 0);	/* probe only */
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = 0;
	CHECK_EQ(syscall(SYS_capget, &h, NULL), 0);
	/* capset on another process: EPERM. */
	memset(d, 0, sizeof(d));
	h.pid = INT_MAX;
	CHECK_ERR(syscall(SYS_capset, &h, d), EPERM);
	h.pid = -1;
	CHECK_ERR(syscall(SYS_capset, &h, d), EPERM);
	/* capget of our own pid works like pid 0. */
	h.version = _LINUX_CAPABILITY_VERSION_3;
	h.pid = getpid();
	memset(d, 0, sizeof(d));
	CHECK_EQ(syscall(SYS_capget, &h, d), 0);
	CHECK_EQ(d[0].effective | (uint64_t)d[1].effective << 32, init_eff);
	CHECK_OK(cap_get(&e, &pm, &in));
	CHECK_EQ(in, 0);

	/* Drop CAP_CHOWN from the effective set only. */
	make_file(p("ch"), 0, 0, 0644);
	CHECK_OK(cap_set(init_eff & ~BIT(CAP_CHOWN), init_prm, 0));
	CHECK_EQ(eff_caps(), init_eff & ~BIT(CAP_CHOWN));
	CHECK_EQ(prm_caps(), init_prm);
	CHECK_ERR(chown(p("ch"), 1000, -1), EPERM);
	CHECK_ERR(chown(p("ch"), -1, 4242), EPERM);	/* not our group */
	CHECK_ERR(lchown(p("ch"), 1000, 1000), EPERM);
	/* To what it already is, and to one of our groups: fine. */
	CHECK_OK(chown(p("ch"), 0, 0));
	CHECK_OK(chown(p("ch"), -1, -1));
	CHECK_OK(stat(p("ch"), &st));
	CHECK_EQ(st.st_uid, 0);
	/* Back into the effective set: chown works. */
	CHECK_OK(cap_set(init_eff, init_prm, 0));
	CHECK_OK(chown(p("ch"), 1000, 1000));
	CHECK_OK(stat(p("ch"), &st));
	CHECK_EQ(st.st_uid, 1000);
	CHECK_EQ(st.st_gid, 1000);
}

static void c_status(void)
{
	gid_t g[4];
	int n;

	CHECK_OK(setgroups(2, (gid_t[]){ 20, 10 }));
	CHECK_OK(setresgid(100, 200, 300));
	CHECK_STATUS("Gid:", "Gid:\t100\t200\t300\t200");
	CHECK_OK(setresuid(1000, 2000, 3000));
	CHECK_STATUS("Uid:", "Uid:\t1000\t2000\t3000\t2000");
	CHECK_EQ(setfsuid(3000), 2000);
	CHECK_EQ(setfsgid(300), 200);
	CHECK_STATUS("Uid:", "Uid:\t1000\t2000\t3000\t3000");
	CHECK_STATUS("Gid:", "Gid:\t100\t200\t300\t300");
	CHECK_EQ(setfsuid(5000), 3000);		/* refused */
	CHECK_STATUS("Uid:", "Uid:\t1000\t2000\t3000\t3000");
	n = groups_line(g, 4);
	if (CHECK_EQ(n, 2)) {
		CHECK_EQ(g[0], 10);
		CHECK_EQ(g[1], 20);
	}
	CHECK_STATUS("CapEff:", "CapEff:\t0000000000000000");
	CHECK_STATUS("CapPrm:", "CapPrm:\t0000000000000000");
}

int main(void)
{
	sigset_t none;

	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	umask(022);
	if (cap_get(&init_eff, &init_prm, NULL) != 0) {
		CHECK_OK(-1);
		return check_done();
	}
	scratch_init();
	CHECK_OK(chmod(dir, 0777));
	make_file(p("secret"), 0, 0, 0600);
	make_file(p("grp"), 0, 4242, 0060);
	make_file(p("own"), 1000, 4242, 0066);
	make_file(p("other"), 0, 0, 0604);
	make_file(p("grp0"), 0, 0, 0060);
	make_file(p("grp1000"), 0, 1000, 0060);

	CHECK_EQ(run(c_initial), 0);
	CHECK_EQ(run(c_groups), 0);
	CHECK_EQ(run(c_setres), 0);
	CHECK_EQ(run(c_setuid), 0);
	CHECK_EQ(run(c_saved), 0);
	CHECK_EQ(run(c_setreuid), 0);
	CHECK_EQ(run(c_setreuid_root), 0);
	CHECK_EQ(run(c_fsuid), 0);
	CHECK_EQ(run(c_access), 0);
	CHECK_EQ(run(c_access_nogroup), 0);
	CHECK_EQ(run(c_keepcaps), 0);
	CHECK_EQ(run(c_nokeepcaps), 0);
	CHECK_EQ(run(c_bounding), 0);
	CHECK_EQ(run(c_capset_chown), 0);
	CHECK_EQ(run(c_status), 0);

	/* None of it leaked into the parent. */
	CHECK_RESUID(0, 0, 0);
	CHECK_RESGID(0, 0, 0);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 1);

	rmtree(dir);
	return check_done();
}
