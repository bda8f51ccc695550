/*
 * vfs.h: the virtual file system: inodes, dentries, mounts, path
 * resolution, open file descriptions and fd tables.
 *
 * The shape is Linux's.  A file system (fs/) supplies inodes with an
 * operations table; the VFS caches the names it has looked up as dentries
 * (positive or negative) in one hash table, stacks mounts on dentries, and
 * resolves every application path itself, one component at a time
 * (vfs/namei.c): the host never resolves an application path.  Open files
 * are struct file: a path, an inode, an operations table, status flags and
 * an offset; fd tables point at them and dup'ed fds share one.
 *
 * Locking: one mutex, vfs_lock, protects the name space: the dentry hash
 * and tree, dentry reference counts and the LRU of unused dentries, the
 * mount table, and every inode_ops call (so file systems need no locks of
 * their own for lookups, creation, removal or renames).  File operations
 * (read, write, readdir, mmap, fsync) and getattr run without it; a file
 * system protects the data they touch with inode->lock.  vfs_lock is taken
 * outside the kernel's k->lock (procfs looks tasks up under it: nothing
 * may take or drop a path or dentry reference with k->lock held), outside
 * a task's fs->lock and outside mm->lock; it is never held across a block.
 */
#ifndef MOAT_VFS_H
#define MOAT_VFS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/inotify.h>

#include "util/compat.h"
#include <sys/stat.h>
#include <sys/types.h>

struct file;
struct task;
struct inode;
struct dentry;
struct mount;
struct super_block;
struct memobj;
struct mm_file;
struct statfs;
struct path;
struct sock_ops;

extern pthread_mutex_t vfs_lock;

/* ---- credentials ---- */

/* Who is asking: the fs uid/gid of the calling task. */
/* The credentials file access checks use: fs IDs and supplementary
 * groups (the task's, see kernel.h). */
struct cred {
	uint32_t uid, gid;
	int ngroups;
	uint32_t *groups;         /* malloc'ed, owned by the task */
	uint64_t caps;            /* effective capabilities (CAP_* bits) */
};

/* Whether cred has capability cap (linux/capability.h numbers). */
#define CRED_CAP(cred, cap) ((((cred)->caps) >> (cap)) & 1)
#define CRED_CAP_CHOWN 0
#define CRED_CAP_DAC_OVERRIDE 1
#define CRED_CAP_DAC_READ_SEARCH 2
#define CRED_CAP_FOWNER 3

/* Whether cred is in group gid (its fs GID or a supplementary group). */
bool cred_in_group(const struct cred *cred, uint32_t gid);

/* Permission bits asked for (Linux's MAY_*). */
#define MAY_EXEC  1
#define MAY_WRITE 2
#define MAY_READ  4

/* ---- inodes ---- */

/* Attribute changes for inode_ops->setattr (Linux's struct iattr). */
#define ATTR_MODE  0x1
#define ATTR_UID   0x2
#define ATTR_GID   0x4
#define ATTR_SIZE  0x8
#define ATTR_ATIME 0x10
#define ATTR_MTIME 0x20
#define ATTR_CTIME 0x40
#define ATTR_KILL_SUID 0x80      /* a chown: clear set-ID bits as Linux does */

struct iattr {
	unsigned valid;           /* ATTR_* */
	mode_t mode;              /* permission bits only */
	uint32_t uid, gid;
	uint64_t size;
	struct timespec atime, mtime;
};

/* What to create in inode_ops->create. */
struct new_node {
	mode_t mode;              /* S_IFREG/S_IFDIR/S_IFLNK/S_IFIFO/S_IFCHR/... | perms */
	dev_t rdev;
	uint32_t uid, gid;
	const char *target;       /* symlinks */
};

/* getdents: the fs calls emit for each entry from cookie f->pos on. */
struct dir_ctx {
	/* Returns false when the caller's buffer is full: stop, and leave
	 * f->pos at this entry's cookie. */
	bool (*emit)(struct dir_ctx *ctx, const char *name, size_t len,
		     uint64_t ino, unsigned dtype);
	uint64_t pos;             /* the fs keeps the cookie of the next entry here */
};

/*
 * Every op is called with vfs_lock held except getattr and readlink (which
 * may be called with or without it).  Directory ops get the directory
 * inode and a name that is not "." or ".."; the VFS has checked
 * permissions, types and emptiness rules that it can.
 */
struct inode_ops {
	/* Looks up name in dir: 0 with *res referenced, or -ENOENT. */
	int (*lookup)(struct inode *dir, const char *name, struct inode **res);
	/* Creates a file, directory, symlink or special file named name
	 * (which does not exist); *res gets a reference. */
	int (*create)(struct inode *dir, const char *name, const struct new_node *nn,
		      struct inode **res);
	int (*link)(struct inode *dir, const char *name, struct inode *old);
	/* O_TMPFILE: a regular file in dir's fs with no name (nlink 0);
	 * *res gets a reference.  NULL: EOPNOTSUPP. */
	int (*tmpfile)(struct inode *dir, const struct new_node *nn, struct inode **res);
	/* Removes name (victim is its inode; rmdir when victim is a dir). */
	int (*unlink)(struct inode *dir, const char *name, struct inode *victim);
	/* src is oname's inode, target nname's (NULL if none). */
	int (*rename)(struct inode *odir, const char *oname, struct inode *src,
		      struct inode *ndir, const char *nname, struct inode *target,
		      unsigned flags);
	int (*getattr)(struct inode *inode, struct statx *stx);
	int (*setattr)(struct inode *inode, const struct iattr *ia);
	/* Reads a symlink's target (not NUL-terminated); returns its length.
	 * t is the reader (procfs's "self" depends on it), or NULL. */
	long (*readlink)(struct inode *inode, struct task *t, char *buf, size_t len);
	/* statfs(2) of the fs holding inode; NULL: an in-memory fs. */
	int (*statfs)(struct inode *inode, struct statfs *sf);
	/* Magic links (procfs): where the link leads: a referenced path, or
	 * (for files without one: pipes, host stdio) a referenced file in
	 * *file with out->dentry NULL.  Called with vfs_lock held. */
	int (*get_link)(struct inode *inode, struct task *t, struct path *out,
			struct file **file);
	/* Sets f->ops and f->priv for an open of this inode (called without
	 * vfs_lock).  File ops find their fs's state in f->priv, never in
	 * f->inode, which may be a stacking fs's (the overlay's) inode. */
	int (*open)(struct inode *inode, struct file *f);
	/* Frees the fs's part of the inode when its last reference goes. */
	void (*evict)(struct inode *inode);
};

struct inode {
	int refs;
	const struct inode_ops *ops;
	struct super_block *sb;
	uint64_t ino;
	/* Cached for permission checks and the walk; the fs keeps them
	 * current (its getattr is the authority for stat). */
	mode_t mode;
	uint32_t uid, gid;
	dev_t rdev;
	pthread_mutex_t lock;     /* the fs's data (file contents, entries) */
	void *priv;
	/* inotify (fs/inotify.c): the watches on this inode (inotify_lock),
	 * and whether its last name went while it was watched (vfs_lock; its
	 * watches get IN_DELETE_SELF when its last dentry goes). */
	struct inotify_watch *inotify_watches;
	bool inotify_unlinked;
	/* An O_TMPFILE file opened without O_EXCL: linkat may give it a name
	 * though it has none (Linux: I_LINKABLE; vfs_lock). */
	bool linkable;
};

/* A new inode with one reference (priv, ops and attributes set by the fs). */
struct inode *inode_new(struct super_block *sb, const struct inode_ops *ops, mode_t mode);
void inode_get(struct inode *inode);
void inode_put(struct inode *inode);
/* Linux's generic_permission(): 0 or -EACCES. */
int inode_permission(struct inode *inode, int mask, const struct cred *cred);
/* Fills *st (struct stat) from statx. */
void statx_to_stat(const struct statx *stx, struct stat *st);
unsigned mode_to_dtype(mode_t mode);

/* ---- super blocks and file system types ---- */

struct super_block {
	int refs;                 /* one per inode, plus the creator's */
	const char *fstype;       /* "tmpfs", "hostfs", ... for /proc/mounts */
	dev_t dev;
	bool readonly;            /* the fs itself refuses writes */
	long magic;               /* statfs f_type */
	bool uncached;            /* dentries are not cached (procfs) */
	void *priv;
	uint64_t next_ino;
};

/* A new super block with one reference (the creator's). */
struct super_block *super_new(const char *fstype, long magic);
void super_put(struct super_block *sb);
dev_t vfs_anon_dev(void);

/* ---- dentries ---- */

struct dentry {
	int refs;                 /* under vfs_lock */
	char *name;
	uint32_t hash;
	struct dentry *parent;    /* referenced; NULL for a root */
	struct inode *inode;      /* referenced; NULL: negative */
	int mounted;              /* mounts stacked on it */
	bool unhashed;            /* removed from the name space */
	bool uncached;            /* synthesised (procfs): never cached, not "deleted" */
	struct dentry *hnext;     /* hash chain */
	struct dentry *lru_prev, *lru_next;   /* unused dentries */
};

/* A root dentry for a new file system (takes over the inode reference). */
struct dentry *dentry_new_root(struct inode *inode);
void dget(struct dentry *d);
void dput(struct dentry *d);
void dput_locked(struct dentry *d);     /* vfs_lock held */
/* Finds or looks up name in dir (vfs_lock held); returns a referenced,
 * possibly negative, dentry or -errno in *err. */
struct dentry *d_lookup(struct dentry *dir, const char *name, int *err);
/* Makes a negative dentry positive (takes over the inode reference). */
void d_instantiate(struct dentry *d, struct inode *inode);
/* Removes a dentry from the name space (after unlink): later lookups miss. */
void d_drop(struct dentry *d);
/* A dentry for inode (taken over) under parent that no lookup finds:
 * an O_TMPFILE file's.  vfs_lock held. */
struct dentry *d_alloc_unhashed(struct dentry *parent, const char *name, struct inode *inode);
/* Moves d to (newparent, newname) after a rename. */
void d_move(struct dentry *d, struct dentry *newparent, const char *newname);

/* ---- mounts and paths ---- */

#define MNT_RDONLY  0x1
#define MNT_NOSUID  0x2
#define MNT_NODEV   0x4
#define MNT_NOEXEC  0x8

struct mount {
	int refs;
	struct mount *parent;     /* NULL for the root mount */
	struct dentry *mountpoint;/* in parent */
	struct dentry *root;
	struct super_block *sb;
	int flags;                /* MNT_* */
	int id;
	char *source;             /* for /proc/mounts */
	bool detached;            /* unmounted: freed with its last reference */
	struct mount *next;       /* the mount table */
};

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

void path_get(const struct path *p);
void path_get_locked(const struct path *p);
void dget_locked(struct dentry *d);
void path_put(struct path *p);
void path_put_locked(struct path *p);
/* The mount stacked on (mnt, d), or NULL (vfs_lock held). */
struct mount *mount_lookup(struct mount *mnt, struct dentry *d);
/* Mounts root (of sb) on mp; mp == NULL makes it the root mount. */
int vfs_mount(const struct path *mp, struct dentry *root, int flags,
	      const char *source, struct mount **out);
int vfs_umount(struct mount *m);
/* Every mount, for /proc/mounts: calls fn under vfs_lock. */
void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg);
/* Writes the path of p as seen from root into buf (NUL-terminated);
 * returns its length or -ENAMETOOLONG.  Unreachable paths get Linux's
 * " (deleted)" suffix or are shown from their mount's root. */
long vfs_path_name(const struct path *root, const struct path *p, char *buf, size_t size);

/* ---- per-task file system context ---- */

struct fs_context {
	int refs;
	pthread_mutex_t lock;
	struct path root, cwd;
	mode_t umask;
};

struct fs_context *fs_context_new(const struct path *root, mode_t umask);
struct fs_context *fs_context_copy(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);
void fs_context_get_root(struct fs_context *fs, struct path *root);
void fs_context_get_cwd(struct fs_context *fs, struct path *cwd);

/* ---- path resolution (namei.c) ---- */

/* walk flags */
#define WALK_FOLLOW      0x1     /* follow a symlink in the last component */
#define WALK_DIRECTORY   0x2     /* the result must be a directory */
#define WALK_PARENT      0x4     /* stop at the parent of the last component */
#define WALK_EMPTY       0x8     /* AT_EMPTY_PATH: "" means the start */
#define WALK_NEGATIVE    0x10    /* a missing last component is not an error */
#define WALK_BENEATH     0x100   /* openat2 RESOLVE_* */
#define WALK_IN_ROOT     0x200
#define WALK_NO_SYMLINKS 0x400
#define WALK_NO_XDEV     0x800
#define WALK_NO_MAGICLINKS 0x1000

#define SYMLOOP_MAX 40

/* Linux's LAST_* kinds of the last component. */
enum { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

struct walk_result {
	struct path path;         /* referenced; dentry negative with WALK_NEGATIVE */
	char last[256];           /* WALK_PARENT: the last component */
	struct file *file;        /* a magic link to a file without a path
				   * (then path is the link's own) */
	bool trailing_slash;      /* the path ended in '/' */
	int last_type;            /* WALK_PARENT: LAST_* */
};

/*
 * Resolves path for task t starting at dirfd (AT_FDCWD: the cwd; ignored
 * for absolute paths unless WALK_IN_ROOT/BENEATH).  Returns 0 with
 * res->path referenced, or -errno.
 */
int vfs_walk(struct task *t, int dirfd, const char *path, unsigned flags,
	     struct walk_result *res);
/* The same, relative paths starting at start instead of a dirfd. */
int vfs_walk_from(struct task *t, const struct path *start, const char *path,
		  unsigned flags, struct walk_result *res);

/* ---- waiter queues ---- */

/*
 * A file's readiness waiters (gVisor's waiter.Queue): whoever waits adds
 * an entry with the events it cares about and a callback; whoever makes
 * the file ready calls waitq_notify with the events that happened.  The
 * callback runs under the queue's lock and must not block.
 */
struct waiter {
	struct waiter *prev, *next;
	unsigned events;          /* POLLIN | POLLOUT | ... */
	void (*notify)(struct waiter *w, unsigned events);
	void *arg;
};

struct waitq {
	pthread_mutex_t lock;
	struct waiter head;       /* circular list */
};

void waitq_init(struct waitq *q);
void waitq_add(struct waitq *q, struct waiter *w);
void waitq_remove(struct waitq *q, struct waiter *w);
void waitq_notify(struct waitq *q, unsigned events);

/* ---- files ---- */

struct file_ops {
	/* Read/write at most len bytes at *off (NULL: stream, no offset);
	 * buf is a sentry buffer.  Return bytes or -errno.  t is the
	 * calling task (for blocking), or NULL inside the sentry. */
	long (*read)(struct file *f, struct task *t, void *buf, size_t len, int64_t *off);
	long (*write)(struct file *f, struct task *t, const void *buf, size_t len, int64_t *off);
	long (*ioctl)(struct file *f, struct task *t, unsigned cmd, uint64_t arg);
	/* Returns the new position (f->pos_lock held); NULL: generic. */
	long (*lseek)(struct file *f, int64_t off, int whence);
	int (*readdir)(struct file *f, struct dir_ctx *ctx);
	/* Backing for a mapping: *obj (shared pages) or *mf (private). */
	int (*mmap)(struct file *f, bool shared, struct memobj **obj, struct mm_file **mf);
	int (*fsync)(struct file *f);
	int (*fallocate)(struct file *f, int mode, uint64_t off, uint64_t len);
	/* Readiness for poll (POLLIN...); NULL means always ready. */
	unsigned (*poll)(struct file *f);
	/* The queue notified when readiness changes; NULL: none (poll
	 * looks again now and then). */
	struct waitq *(*waitq)(struct file *f);
	void (*release)(struct file *f);
	/* Extra /proc/PID/fdinfo lines. */
	void (*show_fdinfo)(struct file *f, FILE *out);
	bool discards_writes;     /* write never looks at the data (/dev/null) */
	bool sees_empty_io;       /* read/write of 0 bytes reach the op */
	/* An anonymous inode's name in /proc/PID/fd ("[pidfd]"). */
	const char *anon_name;
	/* A socket's family operations (net/net.h); NULL: not a socket. */
	const struct sock_ops *sock;
};

struct file {
	int refs;
	const struct file_ops *ops;
	int flags;                /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH ... */
	int64_t pos;
	pthread_mutex_t pos_lock;
	/* O_LARGEFILE as the kernel stores it (glibc's is 0 on x86-64): open()
	 * sets it on 64-bit, and F_GETFL shows it. */
#define K_O_LARGEFILE 0100000
	bool no_pos;              /* the ops keep the offset (host stdio):
				   * plain read/write pass off == NULL */
	bool in_epoll;            /* registered with an epoll at some time */
	bool notify_close;        /* opened by vfs_open_path for I/O: its last
				   * reference reports IN_CLOSE_WRITE/NOWRITE */
	struct path path;         /* referenced; {NULL, NULL} for anonymous files */
	struct inode *inode;      /* referenced */
	void *priv;
};

/* A file on inode (referenced by the caller, taken over). */
struct file *file_new(const struct file_ops *ops, int flags, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);
/* stat of an open file. */
int vfs_getattr(struct inode *inode, struct statx *stx);
/* The file's size (for SEEK_END, mmap). */
int64_t file_size(struct file *f);
/* generic lseek over file_size (SEEK_SET/CUR/END/DATA/HOLE). */
long generic_lseek(struct file *f, int64_t off, int whence);
/* Reads exactly len bytes at off through f's ops; -EIO on short. */
int kernel_read_exact(struct file *f, void *buf, size_t len, uint64_t off);

/* Names mf after f's path as t sees it, for /proc/pid/maps. */
void file_name_mapping(struct task *t, struct file *f, struct mm_file *mf);

/* Anonymous inodes (pipes, host stdio): one super block, no names. */
struct inode *anon_inode_new(mode_t mode, const struct inode_ops *ops);

/* ---- operations (ops.c): the work behind the file syscalls ---- */

/* Opens a resolved path; flags are open(2)'s (O_CREAT: the file was
 * just created, so its mode does not limit this open). */
int vfs_open_path(struct task *t, const struct path *p, int flags, struct file **out);
/* open(2) with O_TMPFILE: path names the directory. */
int vfs_open_tmpfile(struct task *t, int dirfd, const char *path, int flags, mode_t mode,
		     unsigned wflags, struct file **out);
int vfs_open(struct task *t, int dirfd, const char *path, int flags, mode_t mode,
	     unsigned walk_flags, struct file **out);
int vfs_mknod(struct task *t, int dirfd, const char *path, mode_t mode, dev_t rdev);
int vfs_symlink(struct task *t, const char *target, int dirfd, const char *path);
int vfs_link(struct task *t, int odirfd, const char *opath, int ndirfd,
	     const char *npath, unsigned walk_flags);
int vfs_unlink(struct task *t, int dirfd, const char *path, bool rmdir);
int vfs_rename(struct task *t, int odirfd, const char *opath, int ndirfd,
	       const char *npath, unsigned flags);
int vfs_stat(struct task *t, int dirfd, const char *path, unsigned walk_flags,
	     struct statx *stx);
int vfs_setattr_path(struct task *t, int dirfd, const char *path, unsigned walk_flags,
		     struct iattr *ia);
int vfs_setattr(struct path *p, struct inode *inode, struct iattr *ia,
		const struct cred *cred);
long vfs_readlink(struct task *t, int dirfd, const char *path, char *buf, size_t len);
int vfs_access(struct task *t, int dirfd, const char *path, int mode, unsigned walk_flags);
int vfs_truncate_file(struct file *f, int64_t len);

/* ---- advisory locks (lock.c) ---- */

long vfs_fcntl_lock(struct task *t, struct file *f, int cmd, uint64_t uarg);
long vfs_flock(struct task *t, struct file *f, int op);
struct fdtable;
/* Drops the POSIX locks fdt's process holds on f's inode (any close). */
void locks_remove_posix(struct fdtable *fdt, struct file *f);
/* Drops f's OFD and flock locks (its last reference went). */
void locks_remove_file(struct file *f);

/* ---- fd tables ---- */

#define FD_CLOEXEC_BIT 1

struct fdtable {
	pthread_mutex_t lock;
	int refs;
	int nfds;                 /* capacity */
	struct file **files;
	uint8_t *fdflags;         /* FD_CLOEXEC */
};

struct fdtable *fdtable_new(void);
/* fork without CLONE_FILES: the same open files, flags and numbers. */
struct fdtable *fdtable_copy(struct fdtable *old);
/* execve: closes every FD_CLOEXEC descriptor. */
void fdtable_close_on_exec(struct fdtable *fdt);
void fdtable_put(struct fdtable *fdt);
/* Returns the file at fd with a reference, or NULL. */
struct file *fdtable_get(struct fdtable *fdt, int fd);
/* Installs f (taking over the caller's reference) at the lowest free fd
 * >= minfd below limit.  Returns the fd or -EMFILE. */
int fdtable_install(struct fdtable *fdt, struct file *f, int minfd,
		    int fdflags, uint64_t limit);
/* Installs f at exactly fd, closing what was there (dup2). */
int fdtable_install_at(struct fdtable *fdt, struct file *f, int fd,
		       int fdflags, uint64_t limit);
int fdtable_close(struct fdtable *fdt, int fd);
int fdtable_get_flags(struct fdtable *fdt, int fd);
int fdtable_set_flags(struct fdtable *fdt, int fd, int fdflags);
/* close_range(2) on [first, last]; cloexec: set FD_CLOEXEC instead. */
void fdtable_close_range(struct fdtable *fdt, unsigned first, unsigned last, bool cloexec);

/* ---- file systems (fs/) ---- */

/* epoll (fs/epoll.c). */
struct epoll_event;
struct file *epoll_new(int flags);
bool file_is_epoll(struct file *f);
long epoll_ctl_file(struct file *epf, int op, int fd, struct file *f,
		    const struct epoll_event *ev);
long epoll_wait_file(struct task *t, struct file *epf, struct epoll_event *out, int max,
		     uint64_t deadline);
/* f's last reference is going: its epoll registrations go too. */
void epoll_file_gone(struct file *f);

/*
 * inotify (fs/inotify.c).  The VFS reports what happens to names and
 * files through the fsnotify_* hooks below, called where Linux's
 * include/linux/fsnotify.h hooks are; each costs one load while no watch
 * exists anywhere.  mask is IN_* events; the hooks add IN_ISDIR from the
 * inode's type.  Locks: vfs_lock, then inotify_lock, then an instance's.
 */
struct inotify_watch;
extern int inotify_nr_watches;            /* all instances' watches */
/* Every bit inotify_add_watch(2) accepts (Linux: ALL_INOTIFY_BITS). */
#define ALL_INOTIFY_BITS (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | \
			  IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | \
			  IN_MASK_ADD | IN_ISDIR | IN_ONESHOT)
int inotify_new(int flags, struct file **out);
bool file_is_inotify(struct file *f);
/* inotify_add_watch(2) on a resolved inode (mask checked, read access
 * too): the wd or -errno. */
long inotify_add_watch_inode(struct file *f, struct inode *inode, uint32_t mask);
long inotify_rm_watch_wd(struct file *f, int wd);

/* The slow paths behind the hooks. */
#define FSNOTIFY_VFS_LOCKED 0x1   /* the caller holds vfs_lock */
#define FSNOTIFY_PATH       0x2   /* an open file's event: IN_EXCL_UNLINK applies */
void inotify_event_dirent(struct inode *dir, const char *name, uint32_t mask,
			  uint32_t cookie);
void inotify_event_inode(struct inode *inode, uint32_t mask);
void inotify_event_dentry(struct dentry *d, struct inode *inode, uint32_t mask,
			  unsigned how);
bool inotify_last_name(struct inode *inode);
void inotify_unlinked(struct inode *inode);
void inotify_dentry_gone(struct inode *inode);
uint32_t inotify_next_cookie(void);

static inline bool fsnotify_active(void)
{
	return __atomic_load_n(&inotify_nr_watches, __ATOMIC_RELAXED) != 0;
}

static inline uint32_t fsnotify_isdir(const struct inode *inode)
{
	return S_ISDIR(inode->mode) ? IN_ISDIR : 0;
}

/* An event on a directory entry (IN_CREATE, IN_DELETE, IN_MOVED_*): to
 * dir's watches, with the entry's name.  vfs_lock held. */
static inline void fsnotify_dirent(struct inode *dir, const char *name, uint32_t mask,
				   uint32_t cookie)
{
	if (fsnotify_active())
		inotify_event_dirent(dir, name, mask, cookie);
}

/* An event for the inode's own watches only (IN_ATTRIB for a link
 * count, IN_MOVE_SELF). */
static inline void fsnotify_inode(struct inode *inode, uint32_t mask)
{
	if (fsnotify_active())
		inotify_event_inode(inode, mask | fsnotify_isdir(inode));
}

/* An event on what d names (a changed attribute): to the parent
 * directory's watches with d's name, then to inode's own.  d NULL: a
 * file without a name, inode's watches only. */
static inline void fsnotify_dentry(struct dentry *d, struct inode *inode, uint32_t mask,
				   bool vfs_locked)
{
	if (fsnotify_active())
		inotify_event_dentry(d, inode, mask | fsnotify_isdir(inode),
				     vfs_locked ? FSNOTIFY_VFS_LOCKED : 0);
}

/* The same for an open file (IN_OPEN, IN_ACCESS, IN_MODIFY, IN_CLOSE_*);
 * vfs_lock not held. */
static inline void fsnotify_file(struct file *f, uint32_t mask)
{
	if (fsnotify_active() && f->inode)
		inotify_event_dentry(f->path.dentry, f->inode, mask | fsnotify_isdir(f->inode),
				     FSNOTIFY_PATH);
}

/*
 * Removing a name (vfs_unlink, vfs_rename over a file; vfs_lock held):
 * before the fs is asked, whether inode is watched and this is its last
 * name; once the fs removed it, fsnotify_unlinked() with that answer, and
 * the watches get IN_DELETE_SELF and IN_IGNORED when the dentry goes
 * (dcache.c calls inotify_dentry_gone).
 */
static inline bool fsnotify_last_name(struct inode *inode)
{
	return fsnotify_active() && inotify_last_name(inode);
}

static inline void fsnotify_unlinked(struct inode *inode, bool last_name)
{
	if (last_name)
		inotify_unlinked(inode);
}

/* The PID a /proc/PID directory file names, or -1 (fs/procfs.c). */
int procfs_pid_of_dir(struct file *f);

/* Host stdio passthrough (fs/hostfd.c): wraps a host fd the sentry owns. */
struct file *hostfd_file_new(int host_fd);
/* hostfs over a host directory fd (taken over). */
struct super_block *hostfs_new(int dirfd, bool readonly, struct dentry **root);
struct super_block *tmpfs_new(struct dentry **root, mode_t root_mode);
/* overlay of upper (tmpfs) over lower (hostfs) roots. */
struct super_block *overlay_new(struct dentry *upper, struct dentry *lower,
				struct dentry **root);
struct super_block *devfs_new(struct dentry **root);
struct super_block *procfs_new(struct dentry **root);
/* Opens a character device by number (fs/devices.c). */
int device_open(dev_t rdev, struct file *f);
/* A pipe: two files sharing a buffer (fs/pipe.c). */
int pipe_create(int flags, struct file **rd, struct file **wr);
/* FIFO opens (fs/pipe.c): the inode's pipe, opened for f->flags. */
int fifo_open(struct inode *inode, struct file *f, struct task *t);
bool file_is_pipe(struct file *f);
long pipe_tee(struct task *t, struct file *in, struct file *out, size_t len, bool nonblock);
/* Waits until the pipe f writes to has room (not with O_NONBLOCK or
 * t->io_nonblock: -EAGAIN); returns the free bytes, -EPIPE without
 * readers, or -ERESTARTSYS.  Linux: fs/splice.c wait_for_space. */
long pipe_room(struct file *f, struct task *t);
/* F_GETPIPE_SZ (set false) and F_SETPIPE_SZ; -EBADF if f is no pipe. */
long pipe_fcntl_size(struct file *f, bool set, uint64_t size);

/* The sandbox's tree (fs/rootfs.c). */
struct bind_mount {
	const char *host, *sandbox;
	bool readonly;
};

struct rootfs_config {
	const char *root;         /* host directory; NULL: "/" */
	bool rw;                  /* write through to it (no overlay) */
	const struct bind_mount *binds;
	int nbinds;
};

/* Builds the mounts; *root gets the root path (referenced). */
int rootfs_setup(const struct rootfs_config *cfg, struct path *root);

/* tmpfs internals other file systems use (the overlay's copy-up). */
bool tmpfs_is_whiteout(struct inode *inode);
bool tmpfs_opaque(struct inode *inode);
void tmpfs_set_opaque(struct inode *inode, bool opaque);
/* Writes into a tmpfs regular file (inode->lock held), growing it. */
int tmpfs_write_data(struct inode *inode, const void *buf, size_t len, uint64_t off);
/* F_ADD_SEALS (add) and F_GET_SEALS of a tmpfs file; EINVAL for others. */
long tmpfs_seals(struct file *f, bool add, unsigned seals);
void tmpfs_allow_sealing(struct inode *inode);
/* Calls fn for every entry of a tmpfs directory, whiteouts included. */
void tmpfs_for_each(struct inode *dir, void (*fn)(void *arg, const char *name,
						  struct inode *inode), void *arg);

#endif
