/*
 * ev_inotify.c - inotify_init, inotify_init1, inotify_add_watch,
 * inotify_rm_watch and reading events:
 *   - init1 flags (IN_NONBLOCK, IN_CLOEXEC; others EINVAL);
 *   - a watched directory hears IN_CREATE, IN_OPEN, IN_MODIFY, IN_ACCESS,
 *     IN_ATTRIB, IN_CLOSE_WRITE/NOWRITE, IN_DELETE with the child's name,
 *     IN_ISDIR for directories; a watched file hears the same without a
 *     name, after its directory;
 *   - rename: IN_MOVED_FROM and IN_MOVED_TO with one non-zero cookie, a
 *     new one per rename, across directories; IN_MOVE_SELF; a file
 *     renamed over gets IN_ATTRIB, IN_DELETE_SELF and IN_IGNORED;
 *   - unlink: IN_ATTRIB, IN_DELETE_SELF, IN_IGNORED, then the parent's
 *     IN_DELETE; an open file's IN_DELETE_SELF waits for its last close;
 *     rmdir; IN_EXCL_UNLINK drops events on unlinked children;
 *   - IN_ONESHOT, IN_MASK_ADD, replacing a mask, IN_MASK_CREATE (EEXIST),
 *     IN_ONLYDIR (ENOTDIR), IN_DONT_FOLLOW, the same inode by another
 *     path or a hard link giving the same wd, wds not reused;
 *   - inotify_rm_watch: IN_IGNORED, EINVAL for unknown wds and non-inotify
 *     fds; add_watch's EINVAL/EBADF/ENOENT cases;
 *   - read: EINVAL when the first event does not fit (and for 0 bytes),
 *     only whole events, EAGAIN when empty with IN_NONBLOCK; FIONREAD;
 *     identical consecutive events merged;
 *   - poll and epoll readiness; a blocking read woken by a change another
 *     process makes;
 *   - the queue limit: 16384 events, then one IN_Q_OVERFLOW (wd -1).
 *
 * Timing: the blocking-read child waits 50 ms before its change; the
 * result is the same if the parent is not asleep yet.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "scratch.h"

#define MAX_QUEUED 16384

struct ev {
	int wd;
	uint32_t mask;
	uint32_t cookie;
	const char *name;         /* NULL: none */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0644);

	if (CHECK(fd >= 0))
		close(fd);
}

/*
 * Reads every queued event of a non-blocking fd into got[] (names copied
 * into names[]); returns how many.  Also checks the record layout: len a
 * multiple of 16, the name NUL-padded.
 */
static char names[64][256];

static int drain(int fd, struct ev *got, int max)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int n = 0;

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			return n;
		}
		for (char *p = buf; p < buf + r;) {
			struct inotify_event *e = (struct inotify_event *)p;
			CHECK_EQ(e->len % sizeof(struct inotify_event), 0);
			if (n < max) {
				got[n].wd = e->wd;
				got[n].mask = e->mask;
				got[n].cookie = e->cookie;
				got[n].name = NULL;
				if (e->len && CHECK(strlen(e->name) < e->len)) {
					for (uint32_t i = strlen(e->name); i < e->len; i++)
						CHECK_EQ(e->name[i], 0);
					snprintf(names[n], sizeof(names[n]), "%s", e->name);
					got[n].name = names[n];
				}
			}
			n++;
			p += sizeof(*e) + e->len;
		}
	}
}

/* Checks that exactly want[] is queued (cookies: 0 must be 0, any other
 * value means "non-zero"; the real cookies are returned in got). */
static int expect_at(const char *file, int line, int fd, const struct ev *want, int nwant,
		     struct ev *got)
{
	struct ev tmp[64];
	int n, ok = 1;

	if (!got)
		got = tmp;
	n = drain(fd, got, 64);
	if (n != nwant) {
		check_fail(file, line, "%d events queued, want %d", n, nwant);
		for (int i = 0; i < n && i < 64; i++)
			printf("  got wd=%d mask=%#x name=%s\n", got[i].wd, got[i].mask,
			       got[i].name ? got[i].name : "-");
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const struct ev *w = &want[i], *g = &got[i];
		if (g->wd != w->wd || g->mask != w->mask || !g->cookie != !w->cookie ||
		    !g->name != !w->name || (g->name && strcmp(g->name, w->name))) {
			ok = check_fail(file, line, "event %d: wd=%d mask=%#x cookie%s0 name=%s, "
					"want wd=%d mask=%#x cookie%s0 name=%s", i, g->wd, g->mask,
					g->cookie ? "!=" : "==", g->name ? g->name : "-", w->wd,
					w->mask, w->cookie ? "!=" : "==", w->name ? w->name : "-");
		}
	}
	return ok;
}

#define EXPECT(fd, ...)                                                      \
	({                                                                   \
		const struct ev want_[] = { __VA_ARGS__ };                   \
		expect_at(__FILE__, __LINE__, fd, want_, (int)ARRAY_LEN(want_), NULL); \
	})
#define EXPECT_NONE(fd) expect_at(__FILE__, __LINE__, fd, NULL, 0, NULL)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int queued_bytes(int fd)
{
	int n = -1;

	if (!CHECK_OK(ioctl(fd, FIONREAD, &n)))
		return -1;
	return n;
}

static void test_init(void)
{
	int fd;

	fd = inotify_init1(0);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), 0);
		CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY);
		close(fd);
	}
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY | O_NONBLOCK);
		/* Empty: EAGAIN, and nothing to poll. */
		char buf[64];
		CHECK_ERR(read(fd, buf, sizeof(buf)), EAGAIN);
		CHECK_EQ(queued_bytes(fd), 0);
		CHECK_ERR(write(fd, buf, 1), EBADF);
		CHECK_ERR(pread(fd, buf, sizeof(buf), 0), ESPIPE);
		CHECK_EQ(lseek(fd, 5, SEEK_SET), 0);
		close(fd);
	}
	CHECK_ERR(inotify_init1(O_RDWR), EINVAL);
	CHECK_ERR(inotify_init1(IN_NONBLOCK | 1), EINVAL);
	fd = (int)syscall(SYS_inotify_init);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), 0);
		CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		close(fd);
	}
}

/* Add and remove: error cases, wds, masks. */
static void test_watch_calls(void)
{
	int fd = inotify_init1(IN_NONBLOCK), w1, w2, w3;

	if (!CHECK(fd >= 0))
		return;
	mkdir(p("w"), 0755);
	touch(p("w/f"));
	CHECK_OK(symlink("f", p("w/link")));

	CHECK_ERR(inotify_add_watch(fd, p("w"), 0), EINVAL);
	CHECK_ERR(inotify_add_watch(fd, p("w"), IN_CREATE | 0x00100000), EINVAL);
	CHECK_ERR(inotify_add_watch(fd, p("w"), IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
	CHECK_ERR(inotify_add_watch(999, p("w"), IN_CREATE), EBADF);
	CHECK_ERR(inotify_add_watch(1, p("w"), IN_CREATE), EINVAL);
	CHECK_ERR(inotify_add_watch(fd, p("w/none"), IN_CREATE), ENOENT);
	CHECK_ERR(inotify_add_watch(fd, "", IN_CREATE), ENOENT);
	CHECK_ERR(inotify_add_watch(fd, p("w/f"), IN_ATTRIB | IN_ONLYDIR), ENOTDIR);

	/* wds start at 1; a path to the same inode finds the same watch. */
	w1 = inotify_add_watch(fd, p("w"), IN_CREATE);
	CHECK_EQ(w1, 1);
	CHECK_EQ(inotify_add_watch(fd, p("w/."), IN_CREATE), w1);
	w2 = inotify_add_watch(fd, p("w/f"), IN_ATTRIB);
	CHECK_EQ(w2, 2);
	CHECK_EQ(inotify_add_watch(fd, p("w/../w/f"), IN_ATTRIB), w2);
	CHECK_EQ(inotify_add_watch(fd, p("w/link"), IN_ATTRIB), w2);
	CHECK_OK(link(p("w/f"), p("w/hard")));
	CHECK_EQ(inotify_add_watch(fd, p("w/hard"), IN_ATTRIB), w2);
	/* IN_DONT_FOLLOW watches the link itself. */
	w3 = inotify_add_watch(fd, p("w/link"), IN_ATTRIB | IN_DONT_FOLLOW);
	CHECK_EQ(w3, 3);
	/* IN_ONLYDIR on a directory is fine. */
	CHECK_EQ(inotify_add_watch(fd, p("w"), IN_CREATE | IN_ONLYDIR), w1);
	/* IN_MASK_CREATE: only new watches. */
	CHECK_ERR(inotify_add_watch(fd, p("w"), IN_DELETE | IN_MASK_CREATE), EEXIST);
	/* IN_EXCL_UNLINK is accepted. */
	CHECK_EQ(inotify_add_watch(fd, p("w"), IN_CREATE | IN_EXCL_UNLINK), w1);
	/* link(): the link count, then the new name. */
	EXPECT(fd, { w2, IN_ATTRIB, 0, NULL }, { w1, IN_CREATE, 0, "hard" });

	/* rm_watch: IN_IGNORED; then the wd is unknown. */
	CHECK_OK(inotify_rm_watch(fd, w3));
	EXPECT(fd, { w3, IN_IGNORED, 0, NULL });
	CHECK_ERR(inotify_rm_watch(fd, w3), EINVAL);
	CHECK_ERR(inotify_rm_watch(fd, 77), EINVAL);
	CHECK_ERR(inotify_rm_watch(fd, -1), EINVAL);
	CHECK_ERR(inotify_rm_watch(1, w1), EINVAL);
	CHECK_ERR(inotify_rm_watch(999, w1), EBADF);
	/* A removed wd is not handed out again. */
	w3 = inotify_add_watch(fd, p("w/link"), IN_ATTRIB | IN_DONT_FOLLOW | IN_MASK_CREATE);
	CHECK_EQ(w3, 4);

	/* Replacing and adding to a mask. */
	CHECK_EQ(inotify_add_watch(fd, p("w"), IN_DELETE | IN_MASK_ADD), w1);
	touch(p("w/a"));
	CHECK_OK(unlink(p("w/a")));
	EXPECT(fd, { w1, IN_CREATE, 0, "a" }, { w1, IN_DELETE, 0, "a" });
	CHECK_EQ(inotify_add_watch(fd, p("w"), IN_DELETE), w1);
	touch(p("w/a"));
	CHECK_OK(unlink(p("w/a")));
	EXPECT(fd, { w1, IN_DELETE, 0, "a" });
	close(fd);
}

/* The everyday events on a directory and a file in it. */
static void test_events(void)
{
	int fd = inotify_init1(IN_NONBLOCK), wd, wf, f;
	char c;

	if (!CHECK(fd >= 0))
		return;
	mkdir(p("e"), 0755);
	wd = inotify_add_watch(fd, p("e"), IN_ALL_EVENTS);
	if (!CHECK(wd > 0))
		return;
	f = open(p("e/f"), O_CREAT | O_WRONLY, 0644);
	CHECK(f >= 0);
	EXPECT(fd, { wd, IN_CREATE, 0, "f" }, { wd, IN_OPEN, 0, "f" });
	wf = inotify_add_watch(fd, p("e/f"), IN_ALL_EVENTS);
	CHECK(wf > 0 && wf != wd);
	CHECK_EQ(write(f, "xy", 2), 2);
	CHECK_OK(close(f));
	/* The directory hears first, with the name; the file without. */
	EXPECT(fd, { wd, IN_MODIFY, 0, "f" }, { wf, IN_MODIFY, 0, NULL },
	       { wd, IN_CLOSE_WRITE, 0, "f" }, { wf, IN_CLOSE_WRITE, 0, NULL });

	f = open(p("e/f"), O_RDONLY);
	CHECK_EQ(read(f, &c, 1), 1);
	CHECK_EQ(read(f, &c, 1), 1);
	CHECK_EQ(read(f, &c, 1), 0);        /* nothing read: no event */
	CHECK_OK(close(f));
	EXPECT(fd, { wd, IN_OPEN, 0, "f" }, { wf, IN_OPEN, 0, NULL },
	       { wd, IN_ACCESS, 0, "f" }, { wf, IN_ACCESS, 0, NULL },
	       { wd, IN_ACCESS, 0, "f" }, { wf, IN_ACCESS, 0, NULL },
	       { wd, IN_CLOSE_NOWRITE, 0, "f" }, { wf, IN_CLOSE_NOWRITE, 0, NULL });

	/* Attributes. */
	CHECK_OK(chmod(p("e/f"), 0600));
	CHECK_OK(chown(p("e/f"), 0, 0));
	CHECK_OK(truncate(p("e/f"), 1));
	CHECK_OK(utimensat(AT_FDCWD, p("e/f"), NULL, 0));
	EXPECT(fd, { wd, IN_ATTRIB, 0, "f" }, { wf, IN_ATTRIB, 0, NULL },
	       { wd, IN_ATTRIB, 0, "f" }, { wf, IN_ATTRIB, 0, NULL },
	       { wd, IN_MODIFY, 0, "f" }, { wf, IN_MODIFY, 0, NULL },
	       { wd, IN_ATTRIB, 0, "f" }, { wf, IN_ATTRIB, 0, NULL });

	/* Directories carry IN_ISDIR; a symlink and a FIFO are created too. */
	CHECK_OK(mkdir(p("e/sub"), 0755));
	CHECK_OK(symlink("f", p("e/sl")));
	CHECK_OK(mknod(p("e/fifo"), S_IFIFO | 0644, 0));
	CHECK_OK(rmdir(p("e/sub")));
	CHECK_OK(unlink(p("e/sl")));
	CHECK_OK(unlink(p("e/fifo")));
	EXPECT(fd, { wd, IN_CREATE | IN_ISDIR, 0, "sub" }, { wd, IN_CREATE, 0, "sl" },
	       { wd, IN_CREATE, 0, "fifo" }, { wd, IN_DELETE | IN_ISDIR, 0, "sub" },
	       { wd, IN_DELETE, 0, "sl" }, { wd, IN_DELETE, 0, "fifo" });

	/* unlink: the file's link count, then its end, then the name. */
	CHECK_OK(unlink(p("e/f")));
	EXPECT(fd, { wf, IN_ATTRIB, 0, NULL }, { wf, IN_DELETE_SELF, 0, NULL },
	       { wf, IN_IGNORED, 0, NULL }, { wd, IN_DELETE, 0, "f" });
	CHECK_ERR(inotify_rm_watch(fd, wf), EINVAL);

	/* rmdir of the watched directory itself. */
	CHECK_OK(rmdir(p("e")));
	EXPECT(fd, { wd, IN_DELETE_SELF, 0, NULL }, { wd, IN_IGNORED, 0, NULL });
	close(fd);
}

/* Renames: cookies, IN_MOVE_SELF, a file replaced. */
static void test_rename(void)
{
	int fd = inotify_init1(IN_NONBLOCK), wa, wb, wf, wg;
	struct ev got[64];

	if (!CHECK(fd >= 0))
		return;
	mkdir(p("ra"), 0755);
	mkdir(p("rb"), 0755);
	touch(p("ra/f"));
	touch(p("rb/g"));
	wa = inotify_add_watch(fd, p("ra"), IN_MOVE | IN_DELETE);
	wb = inotify_add_watch(fd, p("rb"), IN_MOVE | IN_DELETE);
	wf = inotify_add_watch(fd, p("ra/f"), IN_MOVE_SELF | IN_ATTRIB | IN_DELETE_SELF);
	wg = inotify_add_watch(fd, p("rb/g"), IN_MOVE_SELF | IN_ATTRIB | IN_DELETE_SELF);
	if (!CHECK(wa > 0 && wb > 0 && wf > 0 && wg > 0))
		return;

	CHECK_OK(rename(p("ra/f"), p("ra/f2")));
	CHECK_OK(rename(p("ra/f2"), p("rb/f3")));
	{
		const struct ev want[] = {
			{ wa, IN_MOVED_FROM, 1, "f" }, { wa, IN_MOVED_TO, 1, "f2" },
			{ wf, IN_MOVE_SELF, 0, NULL },
			{ wa, IN_MOVED_FROM, 1, "f2" }, { wb, IN_MOVED_TO, 1, "f3" },
			{ wf, IN_MOVE_SELF, 0, NULL },
		};
		if (expect_at(__FILE__, __LINE__, fd, want, 6, got)) {
			CHECK_EQ(got[0].cookie, got[1].cookie);
			CHECK_EQ(got[3].cookie, got[4].cookie);
			CHECK_NE(got[0].cookie, got[3].cookie);
		}
	}
	/* The watch followed the file: it is still there by its new name. */
	CHECK_EQ(inotify_add_watch(fd, p("rb/f3"), IN_MOVE_SELF | IN_ATTRIB | IN_DELETE_SELF), wf);

	/* Over an existing file: that one loses its last link. */
	CHECK_OK(rename(p("rb/f3"), p("rb/g")));
	{
		const struct ev want[] = {
			{ wb, IN_MOVED_FROM, 1, "f3" }, { wb, IN_MOVED_TO, 1, "g" },
			{ wg, IN_ATTRIB, 0, NULL }, { wf, IN_MOVE_SELF, 0, NULL },
			{ wg, IN_DELETE_SELF, 0, NULL }, { wg, IN_IGNORED, 0, NULL },
		};
		if (expect_at(__FILE__, __LINE__, fd, want, 6, got))
			CHECK_EQ(got[0].cookie, got[1].cookie);
	}
	/* Directories move with IN_ISDIR; not on IN_MOVE_SELF. */
	mkdir(p("ra/d"), 0755);
	int wdd = inotify_add_watch(fd, p("ra/d"), IN_MOVE_SELF);
	CHECK_OK(rename(p("ra/d"), p("rb/d")));
	EXPECT(fd, { wa, IN_MOVED_FROM | IN_ISDIR, 1, "d" }, { wb, IN_MOVED_TO | IN_ISDIR, 1, "d" },
	       { wdd, IN_MOVE_SELF, 0, NULL });
	close(fd);
}

/* IN_DELETE_SELF of an open file waits for the close; IN_EXCL_UNLINK. */
static void test_unlink_open(void)
{
	int fd = inotify_init1(IN_NONBLOCK), wd, wf, f;
	char c = 'x';

	if (!CHECK(fd >= 0))
		return;
	mkdir(p("u"), 0755);
	touch(p("u/f"));
	wd = inotify_add_watch(fd, p("u"), IN_DELETE | IN_CLOSE);
	wf = inotify_add_watch(fd, p("u/f"), IN_DELETE_SELF | IN_CLOSE);
	f = open(p("u/f"), O_RDWR);
	CHECK(f >= 0);
	CHECK_OK(unlink(p("u/f")));
	EXPECT(fd, { wd, IN_DELETE, 0, "f" });
	CHECK_OK(close(f));
	EXPECT(fd, { wd, IN_CLOSE_WRITE, 0, "f" }, { wf, IN_CLOSE_WRITE, 0, NULL },
	       { wf, IN_DELETE_SELF, 0, NULL }, { wf, IN_IGNORED, 0, NULL });

	/* With IN_EXCL_UNLINK the directory stops hearing about it. */
	CHECK_EQ(inotify_add_watch(fd, p("u"), IN_DELETE | IN_MODIFY | IN_EXCL_UNLINK), wd);
	touch(p("u/g"));
	f = open(p("u/g"), O_WRONLY);
	CHECK_EQ(write(f, &c, 1), 1);
	CHECK_OK(unlink(p("u/g")));
	CHECK_EQ(write(f, &c, 1), 1);
	CHECK_OK(close(f));
	EXPECT(fd, { wd, IN_MODIFY, 0, "g" }, { wd, IN_DELETE, 0, "g" });
	close(fd);
}

/* IN_ONESHOT and the merging of identical events. */
static void test_oneshot_merge(void)
{
	int fd = inotify_init1(IN_NONBLOCK), w1, w2, f, g;
	char c = 'x';

	if (!CHECK(fd >= 0))
		return;
	touch(p("o1"));
	touch(p("o2"));
	w1 = inotify_add_watch(fd, p("o1"), IN_ATTRIB | IN_ONESHOT);
	CHECK_OK(chmod(p("o1"), 0600));
	CHECK_OK(chmod(p("o1"), 0644));
	EXPECT(fd, { w1, IN_ATTRIB, 0, NULL }, { w1, IN_IGNORED, 0, NULL });
	CHECK_ERR(inotify_rm_watch(fd, w1), EINVAL);

	w1 = inotify_add_watch(fd, p("o1"), IN_MODIFY);
	w2 = inotify_add_watch(fd, p("o2"), IN_MODIFY);
	f = open(p("o1"), O_WRONLY);
	g = open(p("o2"), O_WRONLY);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(write(f, &c, 1), 1);
	/* One event for three writes; FIONREAD counts it once. */
	CHECK_EQ(queued_bytes(fd), sizeof(struct inotify_event));
	CHECK_EQ(write(g, &c, 1), 1);
	CHECK_EQ(write(f, &c, 1), 1);
	CHECK_EQ(write(f, &c, 1), 1);
	EXPECT(fd, { w1, IN_MODIFY, 0, NULL }, { w2, IN_MODIFY, 0, NULL },
	       { w1, IN_MODIFY, 0, NULL });
	/* Nothing is merged with an event already read. */
	CHECK_EQ(write(f, &c, 1), 1);
	EXPECT(fd, { w1, IN_MODIFY, 0, NULL });
	close(f);
	close(g);
	close(fd);
}

/* read's rules, FIONREAD, poll and epoll. */
static void test_read_poll(void)
{
	int fd = inotify_init1(IN_NONBLOCK), wd, ep;
	char buf[256] __attribute__((aligned(8)));
	struct pollfd pfd;
	struct epoll_event ee = { .events = EPOLLIN, .data.u32 = 7 };
	struct inotify_event *e = (struct inotify_event *)buf;

	if (!CHECK(fd >= 0))
		return;
	mkdir(p("r"), 0755);
	wd = inotify_add_watch(fd, p("r"), IN_CREATE);
	ep = epoll_create1(0);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee));
	pfd = (struct pollfd){ fd, POLLIN, 0 };
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 0);

	touch(p("r/abc"));
	touch(p("r/a-name-longer-than-16"));
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLIN);
	ee.data.u32 = 0;
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	CHECK_EQ(ee.data.u32, 7);
	/* "abc" pads to 16, the long name to 32. */
	CHECK_EQ(queued_bytes(fd), 16 + 16 + 16 + 32);
	CHECK_ERR(read(fd, buf, 0), EINVAL);
	CHECK_ERR(read(fd, buf, 16), EINVAL);
	CHECK_ERR(read(fd, buf, 31), EINVAL);
	/* Room for one and a half: one. */
	CHECK_EQ(read(fd, buf, 32 + 40), 32);
	CHECK_EQ(e->wd, wd);
	CHECK_EQ(e->mask, IN_CREATE);
	CHECK_EQ(e->cookie, 0);
	CHECK_EQ(e->len, 16);
	CHECK(!strcmp(e->name, "abc"));
	CHECK_EQ(queued_bytes(fd), 48);
	CHECK_ERR(read(fd, buf, 47), EINVAL);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 48);
	CHECK_EQ(e->len, 32);
	CHECK(!strcmp(e->name, "a-name-longer-than-16"));
	CHECK_ERR(read(fd, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 0);
	CHECK_EQ(queued_bytes(fd), 0);
	/* Two events in one read. */
	touch(p("r/x"));
	touch(p("r/y"));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 64);
	close(ep);
	close(fd);
}

/* A blocking read sleeps until another process changes the directory. */
static void test_blocking(void)
{
	int fd = inotify_init1(0), wd, n;
	char buf[256] __attribute__((aligned(8)));
	struct inotify_event *e = (struct inotify_event *)buf;
	pid_t pid;

	if (!CHECK(fd >= 0))
		return;
	mkdir(p("b"), 0755);
	wd = inotify_add_watch(fd, p("b"), IN_CREATE);
	pid = xfork();
	if (pid == 0) {
		sleep_ms(50);
		touch(p("b/from-child"));
		_exit(check_done());
	}
	n = (int)read(fd, buf, sizeof(buf));
	CHECK_EQ(n, 32);
	CHECK_EQ(e->wd, wd);
	CHECK_EQ(e->mask, IN_CREATE);
	CHECK(n > 0 && !strcmp(e->name, "from-child"));
	CHECK_EQ(reap(pid), 0);
	close(fd);
}

/* 16384 events fit; the next one is IN_Q_OVERFLOW, once. */
static void test_overflow(void)
{
	int fd = inotify_init1(IN_NONBLOCK), wf, f, count = 0, last_wd = 0;
	uint32_t last_mask = 0, last_len = 1;
	char buf[4096] __attribute__((aligned(8)));
	ssize_t r;

	if (!CHECK(fd >= 0))
		return;
	touch(p("q"));
	wf = inotify_add_watch(fd, p("q"), IN_OPEN | IN_CLOSE);
	/* OPEN and CLOSE_NOWRITE alternate, so nothing merges. */
	for (int i = 0; i < MAX_QUEUED / 2 + 10; i++) {
		f = open(p("q"), O_RDONLY);
		if (!CHECK(f >= 0))
			break;
		close(f);
	}
	CHECK_EQ(queued_bytes(fd), (MAX_QUEUED + 1) * (int)sizeof(struct inotify_event));
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (char *q = buf; q < buf + r;) {
			struct inotify_event *e = (struct inotify_event *)q;
			if (count < MAX_QUEUED)
				CHECK_EQ(e->wd, wf);
			last_wd = e->wd;
			last_mask = e->mask;
			last_len = e->len;
			count++;
			q += sizeof(*e) + e->len;
		}
	}
	CHECK_EQ(count, MAX_QUEUED + 1);
	CHECK_EQ(last_wd, -1);
	CHECK_EQ(last_mask, IN_Q_OVERFLOW);
	CHECK_EQ(last_len, 0);
	/* Room again. */
	f = open(p("q"), O_RDONLY);
	close(f);
	EXPECT(fd, { wf, IN_OPEN, 0, NULL }, { wf, IN_CLOSE_NOWRITE, 0, NULL });
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	scratch_init();
	test_init();
	test_watch_calls();
	test_events();
	test_rename();
	test_unlink_open();
	test_oneshot_merge();
	test_read_poll();
	test_blocking();
	test_overflow();
	rmtree(dir);
	return check_done();
}
