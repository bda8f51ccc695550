/*
 * sys_cred.c: user and group IDs, supplementary groups and capabilities.
 * Linux: kernel/sys.c, kernel/groups.c, kernel/capability.c,
 * security/commoncap.c (cap_emulate_setxuid).
 *
 * The sandbox is its own user namespace: the first program is root in it
 * with every capability, and may become any other user; nothing maps to
 * a host user (the sentry's host identity never changes).  File access
 * checks use the fs IDs and supplementary groups in task->cred.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#define CAP_ALL ((1ULL << (CAP_LAST_CAP + 1)) - 1)
#define NGROUPS_MAX_K 65536
#define NO_ID 0xffffffffU

void creds_init_root(struct task *t)
{
	memset(&t->ids, 0, sizeof(t->ids));
	t->ids.cap_eff = t->ids.cap_prm = t->ids.cap_bnd = CAP_ALL;
	t->cred.uid = t->cred.gid = 0;
	t->cred.ngroups = 0;
	t->cred.groups = NULL;
	t->cred.caps = t->ids.cap_eff;
}

int creds_copy(struct task *child, const struct task *t)
{
	child->ids = t->ids;
	child->cred = t->cred;
	child->cred.groups = NULL;
	if (t->cred.ngroups) {
		child->cred.groups = malloc((size_t)t->cred.ngroups * sizeof(uint32_t));
		if (!child->cred.groups) {
			child->cred.ngroups = 0;
			return -ENOMEM;
		}
		memcpy(child->cred.groups, t->cred.groups, (size_t)t->cred.ngroups * sizeof(uint32_t));
	}
	return 0;
}

void creds_free(struct task *t)
{
	free(t->cred.groups);
	t->cred.groups = NULL;
	t->cred.ngroups = 0;
}

bool capable(const struct task *t, int cap)
{
	return (t->ids.cap_eff >> cap) & 1;
}

const struct creds *tg_creds(const struct thread_group *tg)
{
	return tg->tasks ? &tg->tasks->ids : &tg->exit_ids;
}

bool same_ids_or_capable(const struct task *t, const struct thread_group *tg, int cap)
{
	const struct creds *c = tg_creds(tg), *me = &t->ids;

	if (tg == t->tg || capable(t, cap))
		return true;
	return c->ruid == me->ruid && c->euid == me->ruid && c->suid == me->ruid &&
	       c->rgid == me->rgid && c->egid == me->rgid && c->sgid == me->rgid;
}

/*
 * Capabilities follow UID changes as Linux's cap_emulate_setxuid does:
 * leaving UID 0 everywhere drops the permitted and effective sets (unless
 * PR_SET_KEEPCAPS), leaving effective UID 0 drops the effective set,
 * gaining it back restores the effective set from the permitted one; the
 * fs UID leaving or reaching 0 drops or restores the file capabilities.
 */
static void fixup_caps(struct task *t, const struct creds *old, uint32_t old_fsuid)
{
	struct creds *n = &t->ids;
	const uint64_t fs_caps = (1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) |
				 (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_FOWNER) |
				 (1ULL << CAP_FSETID) | (1ULL << CAP_LINUX_IMMUTABLE) |
				 (1ULL << CAP_MKNOD) | (1ULL << CAP_MAC_OVERRIDE);

	if ((old->ruid == 0 || old->euid == 0 || old->suid == 0) &&
	    n->ruid != 0 && n->euid != 0 && n->suid != 0 && !n->keep_caps) {
		n->cap_prm = 0;
		n->cap_eff = 0;
	}
	if (old->euid == 0 && n->euid != 0)
		n->cap_eff = 0;
	if (old->euid != 0 && n->euid == 0)
		n->cap_eff = n->cap_prm;
	if (old_fsuid == 0 && t->cred.uid != 0)
		n->cap_eff &= ~fs_caps;
	else if (old_fsuid != 0 && t->cred.uid == 0)
		n->cap_eff |= n->cap_prm & fs_caps;
	t->cred.caps = n->cap_eff;
}

static bool is_one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == a || id == b || id == c;
}

/* Sets the real, effective and saved IDs (NO_ID: unchanged) and the fs
 * ID to the effective one, without permission checks. */
static void set_res_ids(struct task *t, uint32_t r, uint32_t e, uint32_t s, bool gid)
{
	struct creds old = t->ids;
	uint32_t old_fsuid = t->cred.uid;
	uint32_t *cr = gid ? &t->ids.rgid : &t->ids.ruid;
	uint32_t *ce = gid ? &t->ids.egid : &t->ids.euid;
	uint32_t *cs = gid ? &t->ids.sgid : &t->ids.suid;

	if (r != NO_ID)
		*cr = r;
	if (e != NO_ID)
		*ce = e;
	if (s != NO_ID)
		*cs = s;
	if (gid) {
		t->cred.gid = *ce;
	} else {
		t->cred.uid = *ce;
		fixup_caps(t, &old, old_fsuid);
	}
}

/* setresuid/setresgid: unprivileged, each new ID must be a current one. */
static long set_res(struct task *t, uint32_t r, uint32_t e, uint32_t s, bool gid)
{
	const struct creds *c = &t->ids;
	uint32_t cr = gid ? c->rgid : c->ruid, ce = gid ? c->egid : c->euid;
	uint32_t cs = gid ? c->sgid : c->suid;

	if (!capable(t, gid ? CAP_SETGID : CAP_SETUID) &&
	    ((r != NO_ID && !is_one_of(r, cr, ce, cs)) ||
	     (e != NO_ID && !is_one_of(e, cr, ce, cs)) ||
	     (s != NO_ID && !is_one_of(s, cr, ce, cs))))
		return -EPERM;
	set_res_ids(t, r, e, s, gid);
	return 0;
}

long sys_setresuid(struct task *t, const uint64_t a[6])
{
	return set_res(t, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], false);
}

long sys_setresgid(struct task *t, const uint64_t a[6])
{
	return set_res(t, (uint32_t)a[0], (uint32_t)a[1], (uint32_t)a[2], true);
}

/* setuid/setgid: all three IDs when privileged, else only the effective
 * one, to the real or saved ID. */
static long set_id(struct task *t, uint32_t id, bool gid)
{
	if (id == NO_ID)
		return -EINVAL;
	if (capable(t, gid ? CAP_SETGID : CAP_SETUID))
		return set_res(t, id, id, id, gid);
	uint32_t r = gid ? t->ids.rgid : t->ids.ruid, s = gid ? t->ids.sgid : t->ids.suid;
	if (id != r && id != s)
		return -EPERM;
	return set_res(t, NO_ID, id, NO_ID, gid);
}

long sys_setuid(struct task *t, const uint64_t a[6]) { return set_id(t, (uint32_t)a[0], false); }
long sys_setgid(struct task *t, const uint64_t a[6]) { return set_id(t, (uint32_t)a[0], true); }

/* setreuid/setregid: the saved ID follows the new effective one when the
 * real ID is set or the effective one differs from the old real ID. */
static long set_re(struct task *t, uint32_t r, uint32_t e, bool gid)
{
	uint32_t cr = gid ? t->ids.rgid : t->ids.ruid, ce = gid ? t->ids.egid : t->ids.euid;
	uint32_t cs = gid ? t->ids.sgid : t->ids.suid, s = NO_ID;

	if (!capable(t, gid ? CAP_SETGID : CAP_SETUID)) {
		if (r != NO_ID && r != cr && r != ce)
			return -EPERM;
		if (e != NO_ID && e != cr && e != ce && e != cs)
			return -EPERM;
	}
	if (r != NO_ID || (e != NO_ID && e != cr))
		s = e != NO_ID ? e : ce;
	set_res_ids(t, r, e, s, gid);
	return 0;
}

long sys_setreuid(struct task *t, const uint64_t a[6]) { return set_re(t, (uint32_t)a[0], (uint32_t)a[1], false); }
long sys_setregid(struct task *t, const uint64_t a[6]) { return set_re(t, (uint32_t)a[0], (uint32_t)a[1], true); }

/* setfsuid/setfsgid return the old value whether or not they change it. */
static long set_fs(struct task *t, uint32_t id, bool gid)
{
	uint32_t old = gid ? t->cred.gid : t->cred.uid;
	const struct creds *c = &t->ids;

	if (id == NO_ID)
		return old;
	if (capable(t, gid ? CAP_SETGID : CAP_SETUID) ||
	    (gid ? is_one_of(id, c->rgid, c->egid, c->sgid) : is_one_of(id, c->ruid, c->euid, c->suid)) ||
	    id == old) {
		if (gid) {
			t->cred.gid = id;
		} else {
			struct creds o = t->ids;
			t->cred.uid = id;
			fixup_caps(t, &o, old);
		}
	}
	return old;
}

long sys_setfsuid(struct task *t, const uint64_t a[6]) { return set_fs(t, (uint32_t)a[0], false); }
long sys_setfsgid(struct task *t, const uint64_t a[6]) { return set_fs(t, (uint32_t)a[0], true); }

long sys_getuid(struct task *t, const uint64_t a[6]) { (void)a; return t->ids.ruid; }
long sys_geteuid(struct task *t, const uint64_t a[6]) { (void)a; return t->ids.euid; }
long sys_getgid(struct task *t, const uint64_t a[6]) { (void)a; return t->ids.rgid; }
long sys_getegid(struct task *t, const uint64_t a[6]) { (void)a; return t->ids.egid; }

static long get_res(struct task *t, const uint64_t a[6], uint32_t r, uint32_t e, uint32_t s)
{
	if (mm_copy_out(t->mm, a[0], &r, sizeof(r)) || mm_copy_out(t->mm, a[1], &e, sizeof(e)) ||
	    mm_copy_out(t->mm, a[2], &s, sizeof(s)))
		return -EFAULT;
	return 0;
}

long sys_getresuid(struct task *t, const uint64_t a[6])
{
	return get_res(t, a, t->ids.ruid, t->ids.euid, t->ids.suid);
}

long sys_getresgid(struct task *t, const uint64_t a[6])
{
	return get_res(t, a, t->ids.rgid, t->ids.egid, t->ids.sgid);
}

long sys_getgroups(struct task *t, const uint64_t a[6])
{
	int size = (int)a[0], n = t->cred.ngroups;

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return n;
	if (size < n)
		return -EINVAL;
	if (n && mm_copy_out(t->mm, a[1], t->cred.groups, (size_t)n * sizeof(uint32_t)))
		return -EFAULT;
	return n;
}

static int cmp_gid(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

long sys_setgroups(struct task *t, const uint64_t a[6])
{
	int n = (int)a[0];
	uint32_t *g = NULL;

	if (n < 0 || n > NGROUPS_MAX_K)
		return -EINVAL;
	if (!capable(t, CAP_SETGID))
		return -EPERM;
	if (n) {
		g = malloc((size_t)n * sizeof(uint32_t));
		if (!g)
			return -ENOMEM;
		if (mm_copy_in(t->mm, g, a[1], (size_t)n * sizeof(uint32_t))) {
			free(g);
			return -EFAULT;
		}
		qsort(g, (size_t)n, sizeof(uint32_t), cmp_gid);
	}
	free(t->cred.groups);
	t->cred.groups = g;
	t->cred.ngroups = n;
	return 0;
}

/* ---- capabilities ---- */

/* capget/capset header versions: v1 has one 32-bit word, v2 and v3 two. */
static long cap_header(struct task *t, uint64_t uhdr, int *words, bool set)
{
	struct __user_cap_header_struct h;

	if (mm_copy_in(t->mm, &h, uhdr, sizeof(h)))
		return -EFAULT;
	switch (h.version) {
	case _LINUX_CAPABILITY_VERSION_1:
		*words = 1;
		break;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		*words = 2;
		break;
	default:
		h.version = _LINUX_CAPABILITY_VERSION_3;
		if (mm_copy_out(t->mm, uhdr, &h, sizeof(h)))
			return -EFAULT;
		return -EINVAL;
	}
	if (set && h.pid != 0 && h.pid != t->tid)
		return -EPERM;      /* only one's own capabilities */
	if (h.pid < 0)
		return -EINVAL;
	if (h.pid != 0 && h.pid != t->tid && h.pid != t->tg->tgid) {
		moat_log("capget/capset of another task is not supported: ESRCH");
		return -ESRCH;
	}
	return 0;
}

/* execve: Linux's cap_bprm_creds_from_file without file capabilities. */
void creds_exec(struct task *t)
{
	struct creds *c = &t->ids;

	if (c->euid == 0 || c->ruid == 0)
		c->cap_prm = (c->cap_bnd | c->cap_inh) & CAP_ALL;
	else
		c->cap_prm = 0;
	c->cap_eff = c->euid == 0 ? c->cap_prm : 0;
	c->suid = c->euid;
	c->sgid = c->egid;
	c->keep_caps = false;
	t->cred.caps = c->cap_eff;
}

long sys_capget(struct task *t, const uint64_t a[6])
{
	struct __user_cap_data_struct d[2];
	int words;
	long ret = cap_header(t, a[0], &words, false);

	if (ret)
		return a[1] || ret != -EINVAL ? ret : 0;   /* probing the version */
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(t->ids.cap_eff >> (32 * i));
		d[i].permitted = (uint32_t)(t->ids.cap_prm >> (32 * i));
		d[i].inheritable = (uint32_t)(t->ids.cap_inh >> (32 * i));
	}
	if (a[1] && mm_copy_out(t->mm, a[1], d, (size_t)words * sizeof(d[0])))
		return -EFAULT;
	return 0;
}

long sys_capset(struct task *t, const uint64_t a[6])
{
	struct __user_cap_data_struct d[2] = { 0 };
	int words;
	long ret = cap_header(t, a[0], &words, true);
	uint64_t eff, prm, inh;

	if (ret)
		return ret;
	if (mm_copy_in(t->mm, d, a[1], (size_t)words * sizeof(d[0])))
		return -EFAULT;
	eff = d[0].effective | ((uint64_t)d[1].effective << 32);
	prm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	inh = d[0].inheritable | ((uint64_t)d[1].inheritable << 32);
	/* security/commoncap.c cap_capset. */
	if (!capable(t, CAP_SETPCAP) && (inh & ~(t->ids.cap_inh | t->ids.cap_prm)))
		return -EPERM;
	if (inh & ~(t->ids.cap_inh | t->ids.cap_bnd))
		return -EPERM;
	if (prm & ~t->ids.cap_prm)
		return -EPERM;
	if (eff & ~prm)
		return -EPERM;
	t->ids.cap_eff = eff & CAP_ALL;
	t->ids.cap_prm = prm & CAP_ALL;
	t->ids.cap_inh = inh & CAP_ALL;
	t->cred.caps = t->ids.cap_eff;
	return 0;
}
