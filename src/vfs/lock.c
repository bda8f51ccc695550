/*
 * lock.c: advisory file locks: POSIX record locks (fcntl F_SETLK...),
 * open-file-description locks (F_OFD_SETLK...) and flock().
 * Linux: fs/locks.c.
 *
 * Every lock is a record (inode, owner, type, byte range).  A POSIX lock's
 * owner is the fd table (Linux's current->files), so closing any fd of a
 * file drops the process's locks on it; an OFD or flock lock's owner is
 * the open file description, dropped when its last reference goes.
 * POSIX and OFD locks conflict with each other; flock locks only with
 * flock locks.  A lock conflicts with another owner's overlapping lock
 * when either is a write lock.  Blocked requests wait on one queue and
 * retry when any lock is released.  The sandbox holds few locks, so they
 * live in one list under one mutex.
 */
#include "vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>

#ifndef LOCK_MAND
#define LOCK_MAND 32
#endif

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "util/util.h"

enum lock_class { LK_POSIX, LK_OFD, LK_FLOCK };

struct lock {
	struct inode *inode;      /* not referenced: owners release first */
	void *owner;
	enum lock_class cls;
	int type;                 /* F_RDLCK / F_WRLCK */
	int pid;
	int64_t start, end;       /* inclusive */
	struct lock *next;
};

static pthread_mutex_t locks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lock *locks;
static struct waitq locks_wq = { PTHREAD_MUTEX_INITIALIZER, { &locks_wq.head, &locks_wq.head, 0, 0, 0 } };

static bool same_family(enum lock_class a, enum lock_class b)
{
	return (a == LK_FLOCK) == (b == LK_FLOCK);
}

static struct lock *find_conflict(struct inode *inode, void *owner, enum lock_class cls,
				  int type, int64_t start, int64_t end)
{
	for (struct lock *l = locks; l; l = l->next) {
		if (l->inode != inode || l->owner == owner || !same_family(l->cls, cls))
			continue;
		if (l->end < start || l->start > end)
			continue;
		if (l->type == F_WRLCK || type == F_WRLCK)
			return l;
	}
	return NULL;
}

/* Removes owner's locks of cls on inode within [start, end], splitting. */
static int remove_range(struct inode *inode, void *owner, enum lock_class cls,
			int64_t start, int64_t end)
{
	for (struct lock **pp = &locks; *pp;) {
		struct lock *l = *pp;
		if (l->inode != inode || l->owner != owner || l->cls != cls ||
		    l->end < start || l->start > end) {
			pp = &l->next;
			continue;
		}
		if (l->start < start && l->end > end) {
			struct lock *tail = malloc(sizeof(*tail));
			if (!tail)
				return -ENOLCK;
			*tail = *l;
			tail->start = end + 1;
			l->end = start - 1;
			tail->next = l->next;
			l->next = tail;
			return 0;
		}
		if (l->start < start) {
			l->end = start - 1;
		} else if (l->end > end) {
			l->start = end + 1;
		} else {
			*pp = l->next;
			free(l);
			continue;
		}
		pp = &l->next;
	}
	return 0;
}

/* Sets (or with F_UNLCK clears) a lock, waiting if asked to. */
static int set_lock(struct task *t, struct inode *inode, void *owner, enum lock_class cls,
		    int type, int64_t start, int64_t end, bool wait)
{
	int err = 0;

	pthread_mutex_lock(&locks_lock);
	while (type != F_UNLCK && find_conflict(inode, owner, cls, type, start, end)) {
		if (!wait) {
			err = -EAGAIN;
			goto out;
		}
		err = task_wait_queue(t, &locks_wq, &locks_lock, POLLIN, 0);
		if (err) {
			err = -ERESTARTSYS;     /* a signal: restart or EINTR */
			goto out;
		}
	}
	err = remove_range(inode, owner, cls, start, end);
	if (!err && type != F_UNLCK) {
		struct lock *l = malloc(sizeof(*l));
		if (!l) {
			err = -ENOLCK;
			goto out;
		}
		*l = (struct lock){ .inode = inode, .owner = owner, .cls = cls, .type = type,
				    .pid = cls == LK_POSIX ? t->tg->tgid : -1,
				    .start = start, .end = end, .next = locks };
		locks = l;
	}
out:
	pthread_mutex_unlock(&locks_lock);
	waitq_notify(&locks_wq, POLLIN);
	return err;
}

static void remove_owner(void *owner, struct inode *inode)
{
	bool any = false;

	pthread_mutex_lock(&locks_lock);
	for (struct lock **pp = &locks; *pp;) {
		struct lock *l = *pp;
		if (l->owner == owner && (!inode || l->inode == inode)) {
			*pp = l->next;
			free(l);
			any = true;
		} else {
			pp = &l->next;
		}
	}
	pthread_mutex_unlock(&locks_lock);
	if (any)
		waitq_notify(&locks_wq, POLLIN);
}

void locks_remove_posix(struct fdtable *fdt, struct file *f)
{
	if (f->inode && __atomic_load_n(&locks, __ATOMIC_RELAXED))
		remove_owner(fdt, f->inode);
}

void locks_remove_file(struct file *f)
{
	if (__atomic_load_n(&locks, __ATOMIC_RELAXED))
		remove_owner(f, NULL);
}

/* Linux: fs/locks.c flock_to_posix_lock(). */
static int lock_range(struct file *f, const struct flock *fl, int64_t *start, int64_t *end)
{
	int64_t base;

	switch (fl->l_whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = f->pos; break;
	case SEEK_END: base = file_size(f); break;
	default: return -EINVAL;
	}
	if (__builtin_add_overflow(base, (int64_t)fl->l_start, start))
		return -EOVERFLOW;
	if (fl->l_len > 0) {
		if (__builtin_add_overflow(*start, (int64_t)fl->l_len - 1, end))
			return -EOVERFLOW;
	} else if (fl->l_len < 0) {
		*end = *start - 1;
		*start += fl->l_len;
	} else {
		*end = INT64_MAX;
	}
	return *start < 0 ? -EINVAL : 0;
}

long vfs_fcntl_lock(struct task *t, struct file *f, int cmd, uint64_t uarg)
{
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	enum lock_class cls = ofd ? LK_OFD : LK_POSIX;
	void *owner = ofd ? (void *)f : (void *)t->fdt;
	struct flock fl;
	int64_t start, end;
	int err;

	if (mm_copy_in(t->mm, &fl, uarg, sizeof(fl)))
		return -EFAULT;
	if (f->flags & O_PATH)
		return -EBADF;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
		return -EINVAL;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	err = lock_range(f, &fl, &start, &end);
	if (err)
		return err;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		pthread_mutex_lock(&locks_lock);
		struct lock *l = find_conflict(f->inode, owner, cls, fl.l_type, start, end);
		if (l) {
			fl.l_type = (short)l->type;
			fl.l_whence = SEEK_SET;
			fl.l_start = l->start;
			fl.l_len = l->end == INT64_MAX ? 0 : l->end - l->start + 1;
			fl.l_pid = l->pid;
		} else {
			fl.l_type = F_UNLCK;
		}
		pthread_mutex_unlock(&locks_lock);
		return mm_copy_out(t->mm, uarg, &fl, sizeof(fl)) ? -EFAULT : 0;
	}
	if (fl.l_type == F_RDLCK && (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (fl.l_type == F_WRLCK && (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	return set_lock(t, f->inode, owner, cls, fl.l_type, start, end,
			cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

long vfs_flock(struct task *t, struct file *f, int op)
{
	int type;

	if (op & LOCK_MAND) {
		/* Linux: ignored since 5.15 (with a warning), success. */
		moat_log("flock with LOCK_MAND: ignored, as Linux does");
		return 0;
	}
	switch (op & ~LOCK_NB) {
	case LOCK_SH: type = F_RDLCK; break;
	case LOCK_EX: type = F_WRLCK; break;
	case LOCK_UN: type = F_UNLCK; break;
	default: return -EINVAL;
	}
	if (f->flags & O_PATH)
		return -EBADF;
	return set_lock(t, f->inode, f, LK_FLOCK, type, 0, INT64_MAX, !(op & LOCK_NB));
}
