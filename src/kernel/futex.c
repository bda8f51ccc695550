/*
 * futex.c: futex wait and wake.  Linux: kernel/futex/.
 *
 * Waiters queue in one hash table keyed by (address space, address); a
 * wait checks the futex word (read through usermem) and queues itself
 * under the bucket lock, so a wake that follows a change of the word
 * cannot be missed, then sleeps in task_block.  Shared futexes are keyed
 * the same way for now: correct within one address space (cross-process
 * MAP_SHARED futexes come with fork, in the processes issue).
 */
#include "kernel/kernel.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>

#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "util/util.h"

#define FUTEX_BUCKETS 256

struct futex_waiter {
	struct futex_waiter *next;
	struct mm *mm;
	uint64_t addr;
	uint32_t bitset;
	struct task *task;
	bool woken;
};

static struct futex_bucket {
	pthread_mutex_t lock;
	struct futex_waiter *head;
} buckets[FUTEX_BUCKETS];

static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static void buckets_init(void)
{
	for (int i = 0; i < FUTEX_BUCKETS; i++)
		pthread_mutex_init(&buckets[i].lock, NULL);
}

static struct futex_bucket *bucket_of(struct mm *mm, uint64_t addr)
{
	uint64_t h = ((uint64_t)(uintptr_t)mm ^ addr) * 0x9e3779b97f4a7c15ULL;
	return &buckets[h >> 56];
}

static void unqueue(struct futex_bucket *b, struct futex_waiter *w)
{
	for (struct futex_waiter **pp = &b->head; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

static long futex_wait(struct task *t, uint64_t addr, uint32_t val, uint64_t deadline,
		       uint32_t bitset)
{
	struct futex_bucket *b = bucket_of(t->mm, addr);
	struct futex_waiter w = { .mm = t->mm, .addr = addr, .bitset = bitset, .task = t };
	uint32_t cur;
	long err;

	if (!bitset)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	if (mm_copy_in(t->mm, &cur, addr, sizeof(cur))) {
		pthread_mutex_unlock(&b->lock);
		return -EFAULT;
	}
	if (cur != val) {
		pthread_mutex_unlock(&b->lock);
		return -EAGAIN;
	}
	__atomic_store_n(&t->wake, 0, __ATOMIC_RELAXED);
	w.next = b->head;
	b->head = &w;
	pthread_mutex_unlock(&b->lock);
	for (;;) {
		err = task_block(t, deadline);
		pthread_mutex_lock(&b->lock);
		if (w.woken) {
			pthread_mutex_unlock(&b->lock);
			return 0;
		}
		if (err) {
			unqueue(b, &w);
			pthread_mutex_unlock(&b->lock);
			return err == -ETIMEDOUT ? -ETIMEDOUT : -EINTR;
		}
		pthread_mutex_unlock(&b->lock);   /* a stray wake: sleep on */
	}
}

/* Wakes up to n waiters on (mm, addr) matching bitset; with requeue,
 * moves up to n2 of the rest to addr2.  Returns the number woken (plus
 * requeued, for CMP_REQUEUE). */
static long futex_wake(struct mm *mm, uint64_t addr, int n, uint32_t bitset,
		       uint64_t addr2, int n2, bool requeue)
{
	struct futex_bucket *b = bucket_of(mm, addr), *b2 = requeue ? bucket_of(mm, addr2) : b;
	long woken = 0, moved = 0;

	if (!bitset)
		return -EINVAL;
	if (b2 != b && b2 < b) {
		pthread_mutex_lock(&b2->lock);
		pthread_mutex_lock(&b->lock);
	} else {
		pthread_mutex_lock(&b->lock);
		if (b2 != b)
			pthread_mutex_lock(&b2->lock);
	}
	for (struct futex_waiter **pp = &b->head; *pp;) {
		struct futex_waiter *w = *pp;
		if (w->mm != mm || w->addr != addr || !(w->bitset & bitset)) {
			pp = &w->next;
			continue;
		}
		if (woken < n) {
			*pp = w->next;
			w->woken = true;
			task_wake(w->task);
			woken++;
		} else if (requeue && moved < n2) {
			*pp = w->next;
			w->addr = addr2;
			w->next = b2->head;
			b2->head = w;
			moved++;
		} else {
			pp = &w->next;
		}
	}
	if (b2 != b)
		pthread_mutex_unlock(&b2->lock);
	pthread_mutex_unlock(&b->lock);
	return woken + moved;
}

long sys_futex(struct task *t, const uint64_t a[6])
{
	uint64_t addr = a[0];
	int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
	uint32_t val = (uint32_t)a[2];
	uint64_t deadline = 0;

	pthread_once(&buckets_once, buckets_init);
	if (addr & 3)
		return -EINVAL;
	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && a[3]) {
		struct timespec ts;
		if (mm_copy_in(t->mm, &ts, a[3], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		if (cmd == FUTEX_WAIT) {
			deadline = moat_now_ns() + ns;       /* relative */
		} else if (op & FUTEX_CLOCK_REALTIME) {
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			uint64_t rnow = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
			deadline = moat_now_ns() + (ns > rnow ? ns - rnow : 0);
		} else {
			deadline = ns;                       /* absolute monotonic */
		}
		if (!deadline)
			deadline = 1;
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(t, addr, val, deadline, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_wait(t, addr, val, deadline, (uint32_t)a[5]);
	case FUTEX_WAKE:
		return futex_wake(t->mm, addr, (int)MIN(val, (uint32_t)INT32_MAX),
				  FUTEX_BITSET_MATCH_ANY, 0, 0, false);
	case FUTEX_WAKE_BITSET:
		return futex_wake(t->mm, addr, (int)MIN(val, (uint32_t)INT32_MAX), (uint32_t)a[5],
				  0, 0, false);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE: {
		if ((int)val < 0 || (int)a[3] < 0)
			return -EINVAL;
		if (cmd == FUTEX_CMP_REQUEUE) {
			uint32_t cur;
			if (mm_copy_in(t->mm, &cur, addr, sizeof(cur)))
				return -EFAULT;
			if (cur != (uint32_t)a[5])
				return -EAGAIN;
		}
		if (a[4] & 3)
			return -EINVAL;
		return futex_wake(t->mm, addr, (int)val, FUTEX_BITSET_MATCH_ANY, a[4],
				  (int)a[3], true);
	}
	default:
		moat_log("futex op %d not implemented: ENOSYS", cmd);
		return -ENOSYS;
	}
}
