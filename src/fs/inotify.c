/*
 * inotify.c: inotify instances and the notifications the VFS sends them.
 * Linux: fs/notify/inotify/inotify_user.c and inotify_fsnotify.c,
 * fs/notify/fsnotify.c and notification.c, include/linux/fsnotify.h;
 * man 7 inotify.
 *
 * An instance is an anonymous file with a queue of events, a wait queue
 * (so read blocks through task_wait_queue and poll, select and epoll see
 * it like any other file) and its watches.  A watch ties an instance to an
 * inode: the inode holds the list of its watches (inode->inotify_watches,
 * one per instance at most, so watching the same inode twice finds the
 * same wd), and the instance an array of them sorted by wd.  Watch
 * descriptors are allocated cyclically from 1 as Linux's idr_alloc_cyclic
 * does: a removed wd is not reused until the numbers wrap.
 *
 * Events come from hooks the VFS calls where Linux calls its fsnotify
 * hooks (vfs.h: fsnotify_dirent, fsnotify_inode, fsnotify_dentry,
 * fsnotify_file); each checks inotify_nr_watches first, so while nothing
 * is watched anywhere a file operation pays one load.  An event on an
 * object goes first to its parent directory's watches, with its name,
 * then to its own watches without one (Linux: fsnotify_handle_event).  A
 * queued event identical to the last one queued (mask, wd and name) is
 * merged into it, as inotify_merge does.  A queue holds at most
 * INOTIFY_MAX_QUEUED events; the next one becomes a single IN_Q_OVERFLOW
 * (wd -1), queued again only after it was read.  IN_ONESHOT watches and
 * inotify_rm_watch remove the watch and queue IN_IGNORED.
 *
 * Unlinking: Linux reports IN_DELETE_SELF when the dentry of an inode
 * without links is killed, which is at once when nobody else uses it
 * and at the last close otherwise.  moat does the same: vfs_unlink and
 * vfs_rename mark a watched inode whose last name they remove
 * (inode->inotify_unlinked), and dcache.c calls inotify_dentry_gone when
 * such a dentry is freed; its watches then get IN_DELETE_SELF and
 * IN_IGNORED and go.
 *
 * Identity: a watch follows the VFS inode object.  hostfs and the overlay
 * make a new inode object when a name is looked up again after its
 * dentry was freed, so a dentry whose inode is watched is kept cached off
 * the LRU (dcache.c) and later lookups find the same inode.  Names looked
 * up separately on hostfs (hard links there) are separate inodes.
 *
 * Limits: 16384 queued events per instance (max_queued_events), 128
 * instances and 8192 watches per sandbox (Linux counts the last two per
 * user; 8192 is its smallest max_user_watches: each watch pins an inode,
 * and a hostfs inode holds a host descriptor).
 *
 * Not reported: changes the host makes to host directories (--rw,
 * --mount), which the sandbox cannot see happen; IN_UNMOUNT (a watched
 * file system's unmount leaves its watches in place); IN_ACCESS for the
 * reads the sentry makes itself (loading a program).  A read returns at
 * most 64 KiB of events (do_rw's bounce buffer; Linux fills any buffer);
 * fdinfo lines have no file handles.
 *
 * Locking: vfs_lock (held by the name-space operations; a file's event
 * takes it to read the file's parent, name and whether it was unlinked,
 * unless neither the inode nor any directory is watched), then
 * inotify_lock, which guards every watch list (the inodes' and the
 * instances') and the wd cursors, then an instance's lock, which guards
 * its queue; an instance's wait queue is notified with inotify_lock held
 * and the instance lock released.  Readers take only the instance lock.
 * Watches that go are unlinked under inotify_lock and their inode
 * references dropped after it is released.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "util/util.h"
#include "vfs/vfs.h"

/* Linux: include/uapi/linux/inotify.h (not in glibc's header). */
#ifndef INOTIFY_IOC_SETNEXTWD
#define INOTIFY_IOC_SETNEXTWD _IOW('I', 0, int32_t)
#endif

#define INOTIFY_MAX_QUEUED    16384
#define INOTIFY_MAX_INSTANCES 128
#define INOTIFY_MAX_WATCHES   8192

/* What a watch keeps of inotify_add_watch's mask (Linux: the mark's mask
 * and its FSNOTIFY_MARK_FLAG_EXCL_UNLINK / _IN_ONESHOT flags). */
#define WATCH_BITS (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)

static pthread_mutex_t inotify_lock = PTHREAD_MUTEX_INITIALIZER;
int inotify_nr_watches;                   /* written under inotify_lock */
static int nr_dir_watches;                /* of them, on directories */
static int nr_instances;

/* A queued event; the name is NUL-terminated, name_len without the NUL. */
struct inotify_qevent {
	struct inotify_qevent *next;
	int32_t wd;
	uint32_t mask, cookie;
	uint32_t name_len;
	char name[];
};

struct inotify {
	pthread_mutex_t lock;     /* the queue */
	struct inotify_qevent *head, *tail;
	unsigned nevents;         /* queued, the overflow event included */
	struct inotify_qevent *overflow;      /* preallocated IN_Q_OVERFLOW */
	bool overflow_queued;
	struct waitq wq;
	/* inotify_lock: */
	struct inotify_watch **watches;       /* sorted by wd */
	int nwatches, cap;
	int next_wd;              /* where the next wd search starts */
};

struct inotify_watch {
	struct inotify *in;
	struct inode *inode;      /* referenced */
	int wd;
	uint32_t mask;            /* WATCH_BITS */
	struct inotify_watch *inode_next;     /* inode->inotify_watches; the
					       * list of gone watches */
};

static const struct file_ops inotify_ops;

bool file_is_inotify(struct file *f)
{
	return f->ops == &inotify_ops;
}

uint32_t inotify_next_cookie(void)
{
	static uint32_t cookie;
	return __atomic_add_fetch(&cookie, 1, __ATOMIC_RELAXED);
}

/* What read(2) gives for e: the struct and the name padded with NULs to a
 * multiple of the struct's size (Linux: round_event_name_len). */
static size_t event_size(const struct inotify_qevent *e)
{
	size_t pad = e->name_len ? ALIGN_UP((size_t)e->name_len + 1, sizeof(struct inotify_event)) : 0;
	return sizeof(struct inotify_event) + pad;
}

/* ---- the queue ---- */

static void append(struct inotify *in, struct inotify_qevent *e)
{
	e->next = NULL;
	if (in->tail)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->nevents++;
}

/* Linux: inotify_merge / event_compare (the last event only, never an
 * IN_IGNORED). */
static bool merges(const struct inotify_qevent *last, int wd, uint32_t mask,
		   const char *name, size_t len)
{
	return last && !(last->mask & IN_IGNORED) && last->mask == mask && last->wd == wd &&
	       last->name_len == len && (!len || memcmp(last->name, name, len) == 0);
}

/*
 * Queues an event (Linux: inotify_handle_inode_event + fsnotify_add_event):
 * merged into an identical last one, or IN_Q_OVERFLOW when the queue is
 * full or memory is short.  inotify_lock held.
 */
static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie,
			const char *name)
{
	size_t len = name ? strlen(name) : 0;
	struct inotify_qevent *e = NULL;
	bool queued = false;

	pthread_mutex_lock(&in->lock);
	if (in->nevents < INOTIFY_MAX_QUEUED) {
		if (merges(in->tail, wd, mask, name, len))
			goto out;
		e = malloc(sizeof(*e) + len + 1);
	}
	if (e) {
		e->wd = wd;
		e->mask = mask;
		e->cookie = cookie;
		e->name_len = (uint32_t)len;
		memcpy(e->name, len ? name : "", len + 1);
		append(in, e);
		queued = true;
	} else if (!in->overflow_queued) {
		in->overflow_queued = true;
		append(in, in->overflow);
		queued = true;
	}
out:
	pthread_mutex_unlock(&in->lock);
	if (queued)
		waitq_notify(&in->wq, POLLIN | POLLRDNORM);
}

/* ---- watches (inotify_lock held) ---- */

/* The index of the first watch with wd >= wd. */
static int wd_index(struct inotify *in, int wd)
{
	int lo = 0, hi = in->nwatches;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (in->watches[mid]->wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct inotify_watch *find_wd(struct inotify *in, int wd)
{
	int i = wd_index(in, wd);
	return i < in->nwatches && in->watches[i]->wd == wd ? in->watches[i] : NULL;
}

/* The lowest free wd from the cursor up, else from 1 (Linux:
 * idr_alloc_cyclic(idr, mark, 1, 0)); sets *pos to where it goes. */
static int alloc_wd(struct inotify *in, int *pos)
{
	int start = in->next_wd, wd = start, i = wd_index(in, start);

	for (;;) {
		while (i < in->nwatches && in->watches[i]->wd == wd) {
			if (wd == INT32_MAX)
				break;
			wd++;
			i++;
		}
		if (i >= in->nwatches || in->watches[i]->wd != wd) {
			*pos = i;
			return wd;
		}
		if (start == 1)
			return -ENOSPC;
		/* Everything from the cursor up is taken: wrap around. */
		start = wd = 1;
		i = 0;
	}
}

static struct inotify_watch *find_watch(struct inode *inode, struct inotify *in)
{
	for (struct inotify_watch *w = inode->inotify_watches; w; w = w->inode_next)
		if (w->in == in)
			return w;
	return NULL;
}

/*
 * Removes w from its inode and instance, queueing IN_IGNORED unless the
 * instance is going; w joins *gone, whose inode references are dropped
 * by free_gone() once inotify_lock is released.
 */
static void watch_remove(struct inotify_watch *w, bool ignored, struct inotify_watch **gone)
{
	struct inotify *in = w->in;
	int i = wd_index(in, w->wd);

	if (ignored)
		queue_event(in, w->wd, IN_IGNORED, 0, NULL);
	for (struct inotify_watch **pp = &w->inode->inotify_watches; *pp; pp = &(*pp)->inode_next) {
		if (*pp == w) {
			*pp = w->inode_next;
			break;
		}
	}
	memmove(&in->watches[i], &in->watches[i + 1],
		(size_t)(in->nwatches - i - 1) * sizeof(*in->watches));
	in->nwatches--;
	if (S_ISDIR(w->inode->mode))
		__atomic_sub_fetch(&nr_dir_watches, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&inotify_nr_watches, 1, __ATOMIC_RELAXED);
	w->inode_next = *gone;
	*gone = w;
}

static void free_gone(struct inotify_watch *gone)
{
	while (gone) {
		struct inotify_watch *next = gone->inode_next;
		inode_put(gone->inode);
		free(gone);
		gone = next;
	}
}

/*
 * Delivers an event to inode's watches that want it (Linux:
 * send_to_group / fsnotify_handle_inode_event): name for a directory's
 * watches hearing about a child; excl: an open file's event on an
 * unlinked name, which IN_EXCL_UNLINK watches do not want.
 */
static void deliver(struct inode *inode, uint32_t mask, const char *name, uint32_t cookie,
		    bool excl, struct inotify_watch **gone)
{
	struct inotify_watch *w, *next;

	/* inotify never reports IN_ISDIR with these (inotify_fsnotify.c). */
	if (mask & (IN_MOVE_SELF | IN_DELETE_SELF))
		mask &= ~IN_ISDIR;
	for (w = inode->inotify_watches; w; w = next) {
		next = w->inode_next;
		if (!(mask & w->mask & IN_ALL_EVENTS))
			continue;
		if (excl && (w->mask & IN_EXCL_UNLINK))
			continue;
		queue_event(w->in, w->wd, mask, cookie, name);
		if (w->mask & IN_ONESHOT)
			watch_remove(w, true, gone);
	}
}

static bool watched(struct inode *inode)
{
	return __atomic_load_n(&inode->inotify_watches, __ATOMIC_RELAXED) != NULL;
}

/* ---- the hooks' slow paths (vfs.h) ---- */

void inotify_event_dirent(struct inode *dir, const char *name, uint32_t mask, uint32_t cookie)
{
	struct inotify_watch *gone = NULL;

	if (!watched(dir))
		return;
	pthread_mutex_lock(&inotify_lock);
	deliver(dir, mask, name, cookie, false, &gone);
	pthread_mutex_unlock(&inotify_lock);
	free_gone(gone);
}

void inotify_event_inode(struct inode *inode, uint32_t mask)
{
	struct inotify_watch *gone = NULL;

	if (!watched(inode))
		return;
	pthread_mutex_lock(&inotify_lock);
	deliver(inode, mask, NULL, 0, false, &gone);
	pthread_mutex_unlock(&inotify_lock);
	free_gone(gone);
}

/*
 * Linux: fsnotify_parent() and fsnotify(): the parent directory's watches
 * hear about the child by name, then the inode's own without one.  The
 * parent, the name and whether it was unlinked are read under vfs_lock
 * (a rename moves them), which is taken only when the inode or some
 * directory is watched.
 */
void inotify_event_dentry(struct dentry *d, struct inode *inode, uint32_t mask, unsigned how)
{
	struct inotify_watch *gone = NULL;
	bool parent = d && __atomic_load_n(&nr_dir_watches, __ATOMIC_RELAXED);
	bool lock_vfs = d && !(how & FSNOTIFY_VFS_LOCKED);
	bool excl;

	if (!parent && !watched(inode))
		return;
	if (lock_vfs)
		pthread_mutex_lock(&vfs_lock);
	/* Linux: d_unlinked() (roots and procfs's dentries are unhashed
	 * without having been unlinked). */
	excl = (how & FSNOTIFY_PATH) && d && d->unhashed && !d->uncached && d->parent;
	pthread_mutex_lock(&inotify_lock);
	if (parent && d->parent && d->parent->inode && d->parent->inode->inotify_watches)
		deliver(d->parent->inode, mask, d->name, 0, excl, &gone);
	if (inode->inotify_watches)
		deliver(inode, mask, NULL, 0, excl, &gone);
	pthread_mutex_unlock(&inotify_lock);
	if (lock_vfs)
		pthread_mutex_unlock(&vfs_lock);
	free_gone(gone);
}

/* Whether removing a name of inode removes its last one (directories have
 * one); asked only of watched inodes.  vfs_lock held. */
bool inotify_last_name(struct inode *inode)
{
	struct statx stx;

	if (!watched(inode))
		return false;
	if (S_ISDIR(inode->mode))
		return true;
	return vfs_getattr(inode, &stx) != 0 || stx.stx_nlink <= 1;
}

void inotify_unlinked(struct inode *inode)
{
	inode->inotify_unlinked = true;
}

/*
 * The last dentry of an unlinked inode is going (Linux:
 * dentry_unlink_inode -> fsnotify_inoderemove): IN_DELETE_SELF, then
 * every watch goes with IN_IGNORED.  vfs_lock held; the dentry still
 * holds its inode reference.
 */
void inotify_dentry_gone(struct inode *inode)
{
	struct inotify_watch *gone = NULL;

	inode->inotify_unlinked = false;
	pthread_mutex_lock(&inotify_lock);
	deliver(inode, IN_DELETE_SELF, NULL, 0, false, &gone);
	while (inode->inotify_watches)
		watch_remove(inode->inotify_watches, true, &gone);
	pthread_mutex_unlock(&inotify_lock);
	free_gone(gone);
}

/* ---- the instance's file ---- */

/* Linux: inotify_read(): whole events only; EINVAL when the first does
 * not fit; blocks (unless O_NONBLOCK) only while nothing was copied. */
static long inotify_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	struct inotify *in = f->priv;
	size_t done = 0;
	long err = 0;

	if (off)
		return -ESPIPE;           /* pread: no FMODE_PREAD */
	pthread_mutex_lock(&in->lock);
	for (;;) {
		struct inotify_qevent *e = in->head;
		if (e) {
			size_t size = event_size(e);
			struct inotify_event ev = {
				.wd = e->wd, .mask = e->mask, .cookie = e->cookie,
				.len = (uint32_t)(size - sizeof(ev)),
			};
			if (size > len - done) {
				err = -EINVAL;
				break;
			}
			memcpy((char *)buf + done, &ev, sizeof(ev));
			memset((char *)buf + done + sizeof(ev), 0, ev.len);
			memcpy((char *)buf + done + sizeof(ev), e->name, e->name_len);
			done += size;
			in->head = e->next;
			if (!in->head)
				in->tail = NULL;
			in->nevents--;
			if (e == in->overflow)
				in->overflow_queued = false;
			else
				free(e);
			continue;
		}
		if (done)
			break;
		if ((f->flags & O_NONBLOCK) || !t) {
			err = -EAGAIN;
			break;
		}
		if (task_wait_queue(t, &in->wq, &in->lock, POLLIN, 0) == -EINTR) {
			err = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&in->lock);
	return done ? (long)done : err;
}

/* Linux: noop_llseek. */
static long inotify_lseek(struct file *f, int64_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return 0;
}

static unsigned inotify_poll(struct file *f)
{
	struct inotify *in = f->priv;
	unsigned ev;

	pthread_mutex_lock(&in->lock);
	ev = in->head ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&in->lock);
	return ev;
}

static struct waitq *inotify_waitq(struct file *f)
{
	return &((struct inotify *)f->priv)->wq;
}

/* Linux: inotify_ioctl(): FIONREAD (the bytes a read could return) and
 * INOTIFY_IOC_SETNEXTWD (the next wd to try). */
static long inotify_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct inotify *in = f->priv;
	size_t bytes = 0;
	int n;

	switch (cmd) {
	case FIONREAD:
		pthread_mutex_lock(&in->lock);
		for (struct inotify_qevent *e = in->head; e; e = e->next)
			bytes += event_size(e);
		pthread_mutex_unlock(&in->lock);
		n = (int)bytes;
		return mm_copy_out(t->mm, arg, &n, sizeof(n)) ? -EFAULT : 0;
	case INOTIFY_IOC_SETNEXTWD:
		if (arg < 1 || arg > INT32_MAX)
			return -EINVAL;
		pthread_mutex_lock(&inotify_lock);
		in->next_wd = (int)arg;
		pthread_mutex_unlock(&inotify_lock);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* Linux: inotify_show_fdinfo() (without the file handles). */
static void inotify_show_fdinfo(struct file *f, FILE *out)
{
	struct inotify *in = f->priv;

	pthread_mutex_lock(&inotify_lock);
	for (int i = 0; i < in->nwatches; i++) {
		struct inotify_watch *w = in->watches[i];
		dev_t dev = w->inode->sb ? w->inode->sb->dev : 0;
		fprintf(out, "inotify wd:%x ino:%llx sdev:%x mask:%x ignored_mask:0\n", w->wd,
			(unsigned long long)w->inode->ino, (major(dev) << 20) | minor(dev), w->mask);
	}
	pthread_mutex_unlock(&inotify_lock);
}

/* The last reference: every watch goes, silently (Linux:
 * fsnotify_destroy_group). */
static void inotify_release(struct file *f)
{
	struct inotify *in = f->priv;
	struct inotify_watch *gone = NULL;

	pthread_mutex_lock(&inotify_lock);
	while (in->nwatches)
		watch_remove(in->watches[in->nwatches - 1], false, &gone);
	pthread_mutex_unlock(&inotify_lock);
	free_gone(gone);
	while (in->head) {
		struct inotify_qevent *e = in->head;
		in->head = e->next;
		if (e != in->overflow)
			free(e);
	}
	free(in->overflow);
	free(in->watches);
	pthread_mutex_destroy(&in->lock);
	free(in);
	__atomic_sub_fetch(&nr_instances, 1, __ATOMIC_RELAXED);
}

static const struct file_ops inotify_ops = {
	.sees_empty_io = true,
	.read = inotify_read, .lseek = inotify_lseek, .ioctl = inotify_ioctl,
	.poll = inotify_poll, .waitq = inotify_waitq, .show_fdinfo = inotify_show_fdinfo,
	.release = inotify_release, .anon_name = "inotify",
};

/* inotify_init1: a new instance in *out; flags may have IN_NONBLOCK (the
 * caller sees to IN_CLOEXEC).  0 or -errno. */
int inotify_new(int flags, struct file **out)
{
	struct inotify *in;
	struct inode *inode;
	struct file *f;

	if (__atomic_add_fetch(&nr_instances, 1, __ATOMIC_RELAXED) > INOTIFY_MAX_INSTANCES) {
		__atomic_sub_fetch(&nr_instances, 1, __ATOMIC_RELAXED);
		return -EMFILE;       /* Linux: max_user_instances */
	}
	in = calloc(1, sizeof(*in));
	if (in)
		in->overflow = calloc(1, sizeof(*in->overflow) + 1);
	/* Linux's anon inodes have no file type: fstat shows mode 0600. */
	inode = in && in->overflow ? anon_inode_new(0600, NULL) : NULL;
	f = inode ? file_new(&inotify_ops, O_RDONLY | (flags & O_NONBLOCK), in) : NULL;
	if (!f) {
		if (inode)
			inode_put(inode);
		if (in)
			free(in->overflow);
		free(in);
		__atomic_sub_fetch(&nr_instances, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	pthread_mutex_init(&in->lock, NULL);
	waitq_init(&in->wq);
	in->overflow->wd = -1;
	in->overflow->mask = IN_Q_OVERFLOW;
	in->next_wd = 1;
	f->inode = inode;
	f->no_pos = true;
	*out = f;
	return 0;
}

/*
 * Linux: inotify_update_watch(): the watch this instance has on inode gets
 * the new mask (or adds to it with IN_MASK_ADD; IN_MASK_CREATE refuses it
 * with EEXIST), or a new watch is made.  Returns the wd.
 */
long inotify_add_watch_inode(struct file *f, struct inode *inode, uint32_t mask)
{
	struct inotify *in = f->priv;
	struct inotify_watch *w, **grown;
	long ret;
	int pos;

	pthread_mutex_lock(&inotify_lock);
	w = find_watch(inode, in);
	if (w) {
		if (mask & IN_MASK_CREATE) {
			ret = -EEXIST;
		} else {
			w->mask = (mask & IN_MASK_ADD ? w->mask : 0) | (mask & WATCH_BITS);
			ret = w->wd;
		}
		goto out;
	}
	ret = -ENOSPC;
	if (inotify_nr_watches >= INOTIFY_MAX_WATCHES)
		goto out;
	ret = alloc_wd(in, &pos);
	if (ret < 0)
		goto out;
	if (in->nwatches == in->cap) {
		int cap = in->cap ? in->cap * 2 : 8;
		grown = realloc(in->watches, (size_t)cap * sizeof(*grown));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		in->watches = grown;
		in->cap = cap;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		ret = -ENOMEM;
		goto out;
	}
	w->in = in;
	w->inode = inode;
	inode_get(inode);
	w->wd = (int)ret;
	w->mask = mask & WATCH_BITS;
	memmove(&in->watches[pos + 1], &in->watches[pos],
		(size_t)(in->nwatches - pos) * sizeof(*in->watches));
	in->watches[pos] = w;
	in->nwatches++;
	in->next_wd = w->wd == INT32_MAX ? 1 : w->wd + 1;
	w->inode_next = inode->inotify_watches;
	__atomic_store_n(&inode->inotify_watches, w, __ATOMIC_RELAXED);
	if (S_ISDIR(inode->mode))
		__atomic_add_fetch(&nr_dir_watches, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&inotify_nr_watches, 1, __ATOMIC_RELAXED);
out:
	pthread_mutex_unlock(&inotify_lock);
	return ret;
}

/* Linux: inotify_rm_watch(): IN_IGNORED, or EINVAL for an unknown wd. */
long inotify_rm_watch_wd(struct file *f, int wd)
{
	struct inotify *in = f->priv;
	struct inotify_watch *w, *gone = NULL;

	pthread_mutex_lock(&inotify_lock);
	w = find_wd(in, wd);
	if (w)
		watch_remove(w, true, &gone);
	pthread_mutex_unlock(&inotify_lock);
	free_gone(gone);
	return w ? 0 : -EINVAL;
}
