/*
 * proc_thread.c - threads and futexes.
 *
 *   - 64 pthreads alive at once: distinct gettid(), one getpid(), distinct
 *     return values through pthread_join, independent __thread variables
 *     (each starting from the TLS image, not from the creator's value);
 *   - a mutex + condvar bounded queue: 4 producers, 4 consumers, 100000
 *     items, every item consumed exactly once;
 *   - raw clone() with CLONE_PARENT_SETTID, CLONE_CHILD_SETTID and
 *     CLONE_CHILD_CLEARTID: the parent FUTEX_WAITs on the tid word until the
 *     kernel clears it at the child's exit;
 *   - the "Threads:" count of /proc/self/status going up and down;
 *   - exit(3)/exit_group from a non-main thread, pthread_exit from the main
 *     thread, and the status of a group whose threads all raw-exit with
 *     different codes: the last thread's since Linux 6.0 (each in a forked
 *     child);
 *   - futex: EAGAIN, relative and absolute timeouts, FUTEX_WAKE counts,
 *     FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
 *     argument errors;
 *   - a cross-process (non-private) futex and a process-shared pthread
 *     mutex + condvar in MAP_SHARED memory.
 *
 * Nothing depends on timing except that a thread which has announced that
 * it is about to FUTEX_WAIT is assumed to be asleep in the kernel 50 ms
 * later.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *ts, uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* For ops whose 4th argument is a count (val2) rather than a timeout. */
#define VAL2(n) ((const struct timespec *)(uintptr_t)(n))

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spin (with 1 ms naps) until *p >= want; gives up after ~2 s. */
static int wait_at_least(int *p, int want)
{
	for (int i = 0; i < 2000; i++) {
		if (__atomic_load_n(p, __ATOMIC_SEQ_CST) >= want)
			return 1;
		sleep_ms(1);
	}
	return __atomic_load_n(p, __ATOMIC_SEQ_CST) >= want;
}

/* ------------------------------------------------------------ 64 threads */

#define NTHREADS 64

static __thread int tls_var = 42;
static __thread char tls_buf[32];

static pthread_barrier_t many_barrier;

struct many {
	int idx;
	pid_t tid, pid;
	int *tls_addr;
	int tls_initial, buf_zero, tls_after;
};

static void *many_fn(void *arg)
{
	struct many *m = arg;
	int zero = 1;

	m->tid = my_tid();
	m->pid = getpid();
	m->tls_initial = tls_var;
	for (size_t i = 0; i < sizeof tls_buf; i++)
		zero &= tls_buf[i] == 0;
	m->buf_zero = zero;
	m->tls_addr = &tls_var;
	tls_var = 1000 + m->idx;
	memset(tls_buf, m->idx, sizeof tls_buf);
	/* Everyone alive at once, so tids cannot have been recycled. */
	pthread_barrier_wait(&many_barrier);
	pthread_barrier_wait(&many_barrier);
	m->tls_after = tls_var + (tls_buf[5] == (char)m->idx ? 0 : 100000);
	return (void *)(uintptr_t)(m->idx * 7 + 3);
}

static void test_many_threads(void)
{
	static struct many m[NTHREADS];
	pthread_t th[NTHREADS];
	pthread_attr_t attr;
	pid_t pid = getpid(), tid = my_tid();
	int created = 0;

	tls_var = -1;			/* must not leak into new threads */
	if (!CHECK_EQ(pthread_barrier_init(&many_barrier, NULL, NTHREADS + 1),
		      0))
		return;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < NTHREADS; i++) {
		m[i].idx = i;
		if (!CHECK_EQ(pthread_create(&th[i], &attr, many_fn, &m[i]), 0))
			break;
		created++;
	}
	pthread_attr_destroy(&attr);
	if (created != NTHREADS) {
		/* Cannot meet the barrier: give up without hanging. */
		printf("FAIL %s:%d: only %d threads created\n", __FILE__,
		       __LINE__, created);
		fflush(stdout);
		_exit(1);
	}
	pthread_barrier_wait(&many_barrier);
	/* All 64 are alive and parked at the second barrier. */
	for (int i = 0; i < NTHREADS; i++) {
		CHECK_EQ(m[i].pid, pid);
		CHECK(m[i].tid > 0);
		CHECK_NE(m[i].tid, tid);
		CHECK_NE(m[i].tid, pid);
		CHECK_EQ(m[i].tls_initial, 42);
		CHECK(m[i].buf_zero);
		CHECK(m[i].tls_addr != &tls_var);
		for (int j = 0; j < i; j++) {
			if (m[i].tid == m[j].tid)
				CHECK_NE(m[i].tid, m[j].tid);
			if (m[i].tls_addr == m[j].tls_addr)
				CHECK(m[i].tls_addr != m[j].tls_addr);
		}
	}
	CHECK_EQ(tls_var, -1);
	pthread_barrier_wait(&many_barrier);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = NULL;

		CHECK_EQ(pthread_join(th[i], &ret), 0);
		CHECK_EQ((uintptr_t)ret, i * 7 + 3);
		CHECK_EQ(m[i].tls_after, 1000 + i);
	}
	CHECK_EQ(tls_var, -1);
	CHECK_EQ(my_tid(), tid);
	CHECK_EQ(getpid(), pid);
	pthread_barrier_destroy(&many_barrier);
}

/* ----------------------------------------------- producer / consumer */

#define NITEMS 100000
#define QSIZE 64
#define NPROD 4
#define NCONS 4

static struct {
	pthread_mutex_t m;
	pthread_cond_t not_full, not_empty;
	int buf[QSIZE];
	int head, count, taken;
	unsigned char seen[NITEMS];
} q = { .m = PTHREAD_MUTEX_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER };

static void *producer(void *arg)
{
	int id = (int)(uintptr_t)arg;

	for (int i = id; i < NITEMS; i += NPROD) {
		pthread_mutex_lock(&q.m);
		while (q.count == QSIZE)
			pthread_cond_wait(&q.not_full, &q.m);
		q.buf[(q.head + q.count) % QSIZE] = i;
		q.count++;
		pthread_cond_signal(&q.not_empty);
		pthread_mutex_unlock(&q.m);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	long long sum = 0;

	(void)arg;
	for (;;) {
		int v;

		pthread_mutex_lock(&q.m);
		while (q.count == 0 && q.taken < NITEMS)
			pthread_cond_wait(&q.not_empty, &q.m);
		if (q.count == 0) {	/* everything taken */
			pthread_mutex_unlock(&q.m);
			break;
		}
		v = q.buf[q.head];
		q.head = (q.head + 1) % QSIZE;
		q.count--;
		q.taken++;
		q.seen[v]++;
		if (q.taken == NITEMS)
			pthread_cond_broadcast(&q.not_empty);
		pthread_cond_signal(&q.not_full);
		pthread_mutex_unlock(&q.m);
		sum += v;
	}
	return (void *)(intptr_t)sum;
}

static void test_prodcons(void)
{
	pthread_t p[NPROD], c[NCONS];
	long long total = 0;
	int bad = 0;

	for (int i = 0; i < NCONS; i++)
		CHECK_EQ(pthread_create(&c[i], NULL, consumer, NULL), 0);
	for (int i = 0; i < NPROD; i++)
		CHECK_EQ(pthread_create(&p[i], NULL, producer,
					(void *)(uintptr_t)i), 0);
	for (int i = 0; i < NPROD; i++)
		CHECK_EQ(pthread_join(p[i], NULL), 0);
	for (int i = 0; i < NCONS; i++) {
		void *r;

		CHECK_EQ(pthread_join(c[i], &r), 0);
		total += (intptr_t)r;
	}
	CHECK_EQ(q.taken, NITEMS);
	CHECK_EQ(q.count, 0);
	CHECK_EQ(total, (long long)NITEMS * (NITEMS - 1) / 2);
	for (int i = 0; i < NITEMS; i++)
		bad += q.seen[i] != 1;
	CHECK_EQ(bad, 0);
}

/* --------------------------------------------------------- raw clone */

static char clone_stack[64 * 1024] __attribute__((aligned(64)));
static volatile pid_t clone_seen_tid, clone_seen_ctid;
static volatile int clone_ran;
static pid_t *volatile clone_ctid_ptr;

/*
 * Runs on clone_stack with the creator's TLS (no CLONE_SETTLS), so it must
 * stay away from anything that uses TLS (errno included) and must leave
 * with a raw SYS_exit: exit_group would end the whole test.
 */
static int clone_fn(void *arg)
{
	(void)arg;
	clone_seen_tid = (pid_t)syscall(SYS_gettid);
	clone_seen_ctid = *clone_ctid_ptr;
	clone_ran = 1;
	syscall(SYS_exit, 0);
	return 0;			/* not reached */
}

static void wait_tid_cleared(pid_t *ctid)
{
	pid_t v;

	/*
	 * The kernel's wake at thread exit is a shared (non-private) FUTEX_WAKE,
	 * so wait with the shared op, as glibc's pthread_join does.
	 */
	while ((v = __atomic_load_n(ctid, __ATOMIC_SEQ_CST)) != 0) {
		long r = futex((uint32_t *)ctid, FUTEX_WAIT, (uint32_t)v, NULL,
			       NULL, 0);

		if (r == -1 && errno != EAGAIN && errno != EINTR) {
			CHECK_OK(r);
			return;
		}
	}
}

static void test_clone(void)
{
	const int base = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			 CLONE_THREAD | CLONE_SYSVSEM;
	pid_t ptid = 0, ctid = -1;
	long tid;

	/* PARENT_SETTID + CHILD_CLEARTID. */
	clone_ran = 0;
	clone_seen_tid = 0;
	clone_ctid_ptr = &ctid;
	tid = clone(clone_fn, clone_stack + sizeof clone_stack,
		    base | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, NULL,
		    &ptid, NULL, &ctid);
	if (!CHECK(tid > 0))
		return;
	CHECK_EQ(ptid, tid);		/* written before clone returns */
	CHECK_NE(tid, my_tid());
	wait_tid_cleared(&ctid);
	CHECK_EQ(ctid, 0);
	CHECK_EQ(clone_ran, 1);
	CHECK_EQ(clone_seen_tid, tid);
	CHECK_EQ(clone_seen_ctid, -1);	/* no CLONE_CHILD_SETTID */

	/* CHILD_SETTID + CHILD_CLEARTID, no PARENT_SETTID. */
	ptid = 0;
	ctid = -1;
	clone_ran = 0;
	tid = clone(clone_fn, clone_stack + sizeof clone_stack,
		    base | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID, NULL,
		    &ptid, NULL, &ctid);
	if (!CHECK(tid > 0))
		return;
	CHECK_EQ(ptid, 0);
	wait_tid_cleared(&ctid);
	CHECK_EQ(ctid, 0);
	CHECK_EQ(clone_ran, 1);
	CHECK_EQ(clone_seen_tid, tid);
	CHECK_EQ(clone_seen_ctid, tid);	/* set before the child ran */
}

/* ------------------------------------------------- Threads: in status */

static int threads_count(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n, len = 0;
	char *p;

	if (fd < 0)
		return -1;
	while (len < (ssize_t)sizeof buf - 1 &&
	       (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	p = strstr(buf, "\nThreads:");
	return p ? atoi(p + 9) : -2;
}

/*
 * pthread_join returns once the kernel cleared the tid word, which happens
 * slightly before the thread leaves the thread group: poll for the count.
 */
static int threads_settle(int want)
{
	int n = threads_count();

	for (int i = 0; i < 2000 && n != want; i++) {
		sleep_ms(1);
		n = threads_count();
	}
	return n;
}

static pthread_barrier_t tc_barrier;

static void *tc_fn(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&tc_barrier);
	return NULL;
}

static void test_threads_count(void)
{
	pthread_t th[8];

	CHECK_EQ(threads_settle(1), 1);
	pthread_barrier_init(&tc_barrier, NULL, 9);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(pthread_create(&th[i], NULL, tc_fn, NULL), 0);
		CHECK_EQ(threads_count(), i + 2);
	}
	pthread_barrier_wait(&tc_barrier);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	CHECK_EQ(threads_settle(1), 1);
	pthread_barrier_destroy(&tc_barrier);
}

/* ------------------------------------------------------ exit variants */

static void *exit_fn(void *arg)
{
	exit((int)(uintptr_t)arg);
}

static void *exit_group_fn(void *arg)
{
	syscall(SYS_exit_group, (int)(uintptr_t)arg);
	return NULL;
}

/*
 * The "late" threads first wait for the main thread to be gone: glibc
 * registered the main thread's tid word with set_tid_address, so the
 * kernel clears it at the main thread's exit and pthread_join works on it.
 */
static pthread_t main_th;

static void *late_exit_fn(void *arg)
{
	pthread_join(main_th, NULL);
	exit((int)(uintptr_t)arg);
}

static void *late_return_fn(void *arg)
{
	pthread_join(main_th, NULL);
	return arg;
}

static void *late_raw_exit_fn(void *arg)
{
	pthread_join(main_th, NULL);
	syscall(SYS_exit, (int)(uintptr_t)arg);
	return NULL;
}

static void *early_raw_exit_fn(void *arg)
{
	syscall(SYS_exit, (int)(uintptr_t)arg);
	return NULL;
}

/* Fork; the child runs `how`; return the child's wait status. */
static int run_child(int how)
{
	pthread_t t;
	int st = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		main_th = pthread_self();
		switch (how) {
		case 0:	/* exit(7) from a second thread */
			pthread_create(&t, NULL, exit_fn, (void *)7);
			for (;;)
				pause();
		case 1:	/* exit_group(8) from a second thread */
			pthread_create(&t, NULL, exit_group_fn, (void *)8);
			for (;;)
				pause();
		case 2:	/* main pthread_exits, the other thread exit(9)s */
			pthread_create(&t, NULL, late_exit_fn, (void *)9);
			pthread_exit(NULL);
		case 3:	/* main pthread_exits, the last thread returns */
			pthread_create(&t, NULL, late_return_fn, (void *)10);
			pthread_exit(NULL);
		case 4:
			/*
			 * Raw exit(3) of the leader, then raw exit(5) of the
			 * last thread: since Linux 6.0 the status is that of
			 * the last thread to exit (before, the leader's).
			 */
			pthread_create(&t, NULL, late_raw_exit_fn, (void *)5);
			syscall(SYS_exit, 3);
			break;
		case 5:	/* the other way round: the leader exits last */
			pthread_create(&t, NULL, early_raw_exit_fn, (void *)5);
			pthread_join(t, NULL);
			syscall(SYS_exit, 3);
			break;
		}
		_exit(99);
	}
	if (!CHECK(pid > 0))
		return -1;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_exits(void)
{
	int st;

	st = run_child(0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
	st = run_child(1);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 8);
	st = run_child(2);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9);
	st = run_child(3);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = run_child(4);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
	st = run_child(5);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
}

/* ------------------------------------------------------------ futex */

struct waiter {
	uint32_t *addr;
	uint32_t val;
	int op;
	uint32_t bitset;
	long ret;
	int err;
	pthread_t th;
};

static int n_waiting, n_done;

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	__atomic_add_fetch(&n_waiting, 1, __ATOMIC_SEQ_CST);
	w->ret = futex(w->addr, w->op, w->val, NULL, NULL, w->bitset);
	w->err = errno;
	__atomic_add_fetch(&n_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start n waiters and give them time to be asleep in FUTEX_WAIT. */
static void start_waiters(struct waiter *w, int n, uint32_t *addr,
			  uint32_t val, int op, uint32_t bitset)
{
	n_waiting = n_done = 0;
	for (int i = 0; i < n; i++) {
		w[i].addr = addr;
		w[i].val = val;
		w[i].op = op;
		w[i].bitset = bitset;
		w[i].ret = -2;
		CHECK_EQ(pthread_create(&w[i].th, NULL, waiter_fn, &w[i]), 0);
	}
	CHECK(wait_at_least(&n_waiting, n));
	sleep_ms(50);
}

static void join_waiters(struct waiter *w, int n)
{
	for (int i = 0; i < n; i++) {
		CHECK_EQ(pthread_join(w[i].th, NULL), 0);
		CHECK_EQ(w[i].ret, 0);
	}
}

static void test_futex_basic(void)
{
	uint32_t word = 5;
	struct timespec ts = { 0, 50 * 1000000 };
	int64_t t0, dt;

	/* Value mismatch: EAGAIN at once (private and shared). */
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0), EAGAIN);
	CHECK_ERR(futex(&word, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN);
	/* No waiters: wake returns 0. */
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);

	/* Relative timeout. */
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0),
		  ETIMEDOUT);
	dt = now_ns(CLOCK_MONOTONIC) - t0;
	CHECK(dt >= 50 * 1000000LL);
	CHECK(dt < 1000 * 1000000LL);

	/* FUTEX_WAIT_BITSET: absolute CLOCK_MONOTONIC deadline. */
	{
		int64_t dl = now_ns(CLOCK_MONOTONIC) + 30 * 1000000LL;
		struct timespec abs = { dl / 1000000000, dl % 1000000000 };

		CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL,
				FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
		CHECK(now_ns(CLOCK_MONOTONIC) >= dl);
		/* A deadline in the past times out at once. */
		CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL,
				FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
	}
	/* ...and with FUTEX_CLOCK_REALTIME, a CLOCK_REALTIME deadline. */
	{
		int64_t dl = now_ns(CLOCK_REALTIME) + 30 * 1000000LL;
		struct timespec abs = { dl / 1000000000, dl % 1000000000 };

		CHECK_ERR(futex(&word,
				FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME,
				5, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
			  ETIMEDOUT);
		CHECK(now_ns(CLOCK_REALTIME) >= dl);
	}

	/* Argument errors. */
	ts.tv_nsec = 1000000000;
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0), EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0), EINVAL);
	CHECK_ERR(futex((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE,
			5, NULL, NULL, 0), EINVAL);
	CHECK_ERR(futex((uint32_t *)((char *)&word + 2), FUTEX_WAKE_PRIVATE,
			1, NULL, NULL, 0), EINVAL);
	CHECK_ERR(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0),
		  EINVAL);
	CHECK_ERR(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0),
		  EINVAL);
	CHECK_ERR(futex((uint32_t *)8, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0),
		  EFAULT);
	CHECK_ERR(futex(&word, 99, 0, NULL, NULL, 0), ENOSYS);
	CHECK_EQ(word, 5);
}

static void test_futex_wake_count(void)
{
	static uint32_t word;
	struct waiter w[5];

	word = 0;
	start_waiters(w, 5, &word, 0, FUTEX_WAIT_PRIVATE, 0);
	CHECK_EQ(n_done, 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, 3, NULL, NULL, 0), 3);
	CHECK(wait_at_least(&n_done, 3));
	sleep_ms(20);
	CHECK_EQ(n_done, 3);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 2);
	join_waiters(w, 5);
	CHECK_EQ(n_done, 5);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
}

static void test_futex_bitset(void)
{
	static uint32_t word;
	struct waiter w[1];

	word = 0;
	start_waiters(w, 1, &word, 0, FUTEX_WAIT_BITSET_PRIVATE, 0x1);
	/* Disjoint bitset: nobody woken. */
	CHECK_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL,
		       0x6), 0);
	sleep_ms(20);
	CHECK_EQ(n_done, 0);
	/* Overlapping bitset: woken. */
	CHECK_EQ(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL,
		       0x3), 1);
	join_waiters(w, 1);

	/* Plain FUTEX_WAKE is FUTEX_WAKE_BITSET with all bits. */
	start_waiters(w, 1, &word, 0, FUTEX_WAIT_BITSET_PRIVATE, 0x80000000);
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	join_waiters(w, 1);
}

static void test_futex_requeue(void)
{
	static uint32_t a, b;
	struct waiter w[4];

	a = 0;
	b = 100;
	start_waiters(w, 4, &a, 0, FUTEX_WAIT_PRIVATE, 0);
	/* Compare value mismatch: nothing happens. */
	CHECK_ERR(futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(2), &b, 1),
		  EAGAIN);
	/* Wake 1, move 2 to b: returns woken + requeued. */
	CHECK_EQ(futex(&a, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(2), &b, 0), 3);
	CHECK(wait_at_least(&n_done, 1));
	sleep_ms(20);
	CHECK_EQ(n_done, 1);
	/* One left on a, two now on b (which holds a different value). */
	CHECK_EQ(futex(&a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1);
	CHECK(wait_at_least(&n_done, 2));
	CHECK_EQ(futex(&b, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 2);
	join_waiters(w, 4);
	CHECK_EQ(a, 0);
	CHECK_EQ(b, 100);
}

static void test_futex_wake_op(void)
{
	static uint32_t a, b;
	struct waiter wa[1], wb[1];

	/* The operation on *uaddr2, with nobody waiting. */
	a = 0;
	b = 10;
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 10)), 0);
	CHECK_EQ(b, 15);
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP(FUTEX_OP_SET, 0x300, FUTEX_OP_CMP_GT, 100)), 0);
	CHECK_EQ(b, 0x300);
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP(FUTEX_OP_OR, 0x5, FUTEX_OP_CMP_NE, 0)), 0);
	CHECK_EQ(b, 0x305);
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP(FUTEX_OP_ANDN, 0x101, FUTEX_OP_CMP_LT, 0)), 0);
	CHECK_EQ(b, 0x204);
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP(FUTEX_OP_XOR, 0x6, FUTEX_OP_CMP_GE, 0)), 0);
	CHECK_EQ(b, 0x202);
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4,
				FUTEX_OP_CMP_LE, 0)), 0);
	CHECK_EQ(b, 0x212);
	CHECK_EQ(a, 0);

	/* Condition true: wakes on both words. */
	b = 10;
	start_waiters(wa, 1, &a, 0, FUTEX_WAIT_PRIVATE, 0);
	start_waiters(wb, 1, &b, 10, FUTEX_WAIT_PRIVATE, 0);
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 10)), 2);
	CHECK_EQ(b, 15);
	join_waiters(wa, 1);
	join_waiters(wb, 1);

	/* Condition false: only uaddr1's waiter is woken. */
	b = 15;
	start_waiters(wa, 1, &a, 0, FUTEX_WAIT_PRIVATE, 0);
	start_waiters(wb, 1, &b, 15, FUTEX_WAIT_PRIVATE, 0);
	CHECK_EQ(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &b,
		       FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 10)), 1);
	CHECK_EQ(b, 16);
	join_waiters(wa, 1);
	sleep_ms(20);
	CHECK_EQ(n_done, 1);		/* wa's only: wb still asleep */
	CHECK_EQ(futex(&b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	join_waiters(wb, 1);
}

/* ------------------------------------------------ across processes */

struct shared {
	uint32_t word;
	int ready;
	pthread_mutex_t m;
	pthread_cond_t c;
	int turn;
	int counter;
};

#define ROUNDS 1000

static void test_futex_shared(void)
{
	struct shared *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st = -1;

	if (!CHECK(s != MAP_FAILED))
		return;
	s->word = 0;
	s->ready = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		__atomic_store_n(&s->ready, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&s->word, __ATOMIC_SEQ_CST) == 0)
			if (futex(&s->word, FUTEX_WAIT, 0, NULL, NULL, 0) == -1 &&
			    errno != EAGAIN && errno != EINTR)
				_exit(10);
		_exit(s->word == 1 ? 0 : 11);
	}
	if (!CHECK(pid > 0))
		return;
	CHECK(wait_at_least(&s->ready, 1));
	sleep_ms(50);
	__atomic_store_n(&s->word, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ(futex(&s->word, FUTEX_WAKE, 1, NULL, NULL, 0), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_OK(munmap(s, PAGE));
}

static void pingpong(struct shared *s, int me)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&s->m);
		while (s->turn != me)
			pthread_cond_wait(&s->c, &s->m);
		s->counter++;
		s->turn = !me;
		pthread_cond_broadcast(&s->c);
		pthread_mutex_unlock(&s->m);
	}
}

static void test_pshared(void)
{
	struct shared *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pid_t pid;
	int st = -1;

	if (!CHECK(s != MAP_FAILED))
		return;
	pthread_mutexattr_init(&ma);
	CHECK_EQ(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED), 0);
	CHECK_EQ(pthread_mutex_init(&s->m, &ma), 0);
	pthread_condattr_init(&ca);
	CHECK_EQ(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED), 0);
	CHECK_EQ(pthread_cond_init(&s->c, &ca), 0);
	s->turn = 0;
	s->counter = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pingpong(s, 1);
		_exit(0);
	}
	if (!CHECK(pid > 0))
		return;
	pingpong(s, 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(s->counter, 2 * ROUNDS);
	CHECK_EQ(s->turn, 0);
	pthread_mutex_destroy(&s->m);
	pthread_cond_destroy(&s->c);
	CHECK_OK(munmap(s, PAGE));
}

int main(void)
{
	test_many_threads();
	test_prodcons();
	test_clone();
	test_threads_count();
	test_exits();
	test_futex_basic();
	test_futex_wake_count();
	test_futex_bitset();
	test_futex_requeue();
	test_futex_wake_op();
	test_futex_shared();
	test_pshared();
	return check_done();
}
