/*
 * futex.c: futex wait and wake.  Linux: kernel/futex/.
 *
 * Waiters queue in one hash table keyed by (address space, address); a
 * wait checks the futex word (read through usermem) and queues itself
 * under the bucket lock, so a wake that follows a change of the word
 * cannot be missed, then sleeps in task_block.  A shared futex on shared
 * memory is keyed by (memory object, offset) instead, so that processes
 * mapping the same memory meet on it (mm_futex_key).  Robust lists are
 * walked at thread exit; PI futexes get their uncontended-correct
 * semantics (the owner TID in the word, FUTEX_WAITERS handed over).
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
	const void *kobj;         /* key: mm or memory object */
	uint64_t addr;            /* key: address or offset */
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

static struct futex_bucket *bucket_of(const void *kobj, uint64_t addr)
{
	uint64_t h = ((uint64_t)(uintptr_t)kobj ^ addr) * 0x9e3779b97f4a7c15ULL;
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

static long futex_wait(struct task *t, uint64_t uaddr, bool shared, uint32_t val,
		       uint64_t deadline, uint32_t bitset)
{
	const void *kobj;
	uint64_t addr;
	mm_futex_key(t->mm, uaddr, shared, &kobj, &addr);
	struct futex_bucket *b = bucket_of(kobj, addr);
	struct futex_waiter w = { .kobj = kobj, .addr = addr, .bitset = bitset, .task = t };
	uint32_t cur;
	long err;

	if (!bitset)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	if (mm_copy_in(t->mm, &cur, uaddr, sizeof(cur))) {
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
			return err == -ETIMEDOUT ? -ETIMEDOUT : -ERESTARTSYS;
		}
		pthread_mutex_unlock(&b->lock);   /* a stray wake: sleep on */
	}
}

/* Wakes up to n waiters on (mm, addr) matching bitset; with requeue,
 * moves up to n2 of the rest to addr2.  Returns the number woken (plus
 * requeued, for CMP_REQUEUE). */
static long futex_wake(struct mm *mm, uint64_t uaddr, bool shared, int n, uint32_t bitset,
		       uint64_t uaddr2, int n2, bool requeue)
{
	const void *kobj, *kobj2 = NULL;
	uint64_t addr, addr2 = 0;
	mm_futex_key(mm, uaddr, shared, &kobj, &addr);
	if (requeue)
		mm_futex_key(mm, uaddr2, shared, &kobj2, &addr2);
	struct futex_bucket *b = bucket_of(kobj, addr), *b2 = requeue ? bucket_of(kobj2, addr2) : b;
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
		if (w->kobj != kobj || w->addr != addr || !(w->bitset & bitset)) {
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
			w->kobj = kobj2;
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

void futex_wake_addr(struct mm *mm, uint64_t addr, int n)
{
	pthread_once(&buckets_once, buckets_init);
	futex_wake(mm, addr, true, n, FUTEX_BITSET_MATCH_ANY, 0, 0, false);
}

/* FUTEX_WAKE_OP: *uaddr2 = op(*uaddr2, oparg); wake on uaddr, and on
 * uaddr2 too if the old value passes the comparison. */
static long futex_wake_op(struct task *t, uint64_t uaddr, bool shared, int n,
			  uint64_t uaddr2, int n2, uint32_t encoded)
{
	static pthread_mutex_t op_lock = PTHREAD_MUTEX_INITIALIZER;
	int op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = (int32_t)(encoded << 8) >> 20, cmparg = (int32_t)(encoded << 20) >> 20;
	uint32_t old, new;
	bool hit;
	long woken;

	if (encoded & (8U << 28))
		oparg = (oparg < 0 || oparg > 31) ? -1 : 1 << oparg;
	if (oparg == -1 && (encoded & (8U << 28)))
		return -EINVAL;
	/* Atomic against other WAKE_OPs; the application's own atomics on
	 * the word race as they would with a slow kernel. */
	pthread_mutex_lock(&op_lock);
	if (mm_copy_in(t->mm, &old, uaddr2, sizeof(old))) {
		pthread_mutex_unlock(&op_lock);
		return -EFAULT;
	}
	switch (op) {
	case FUTEX_OP_SET: new = (uint32_t)oparg; break;
	case FUTEX_OP_ADD: new = old + (uint32_t)oparg; break;
	case FUTEX_OP_OR: new = old | (uint32_t)oparg; break;
	case FUTEX_OP_ANDN: new = old & ~(uint32_t)oparg; break;
	case FUTEX_OP_XOR: new = old ^ (uint32_t)oparg; break;
	default:
		pthread_mutex_unlock(&op_lock);
		return -ENOSYS;
	}
	if (mm_copy_out(t->mm, uaddr2, &new, sizeof(new))) {
		pthread_mutex_unlock(&op_lock);
		return -EFAULT;
	}
	pthread_mutex_unlock(&op_lock);
	switch (cmp) {
	case FUTEX_OP_CMP_EQ: hit = (int32_t)old == cmparg; break;
	case FUTEX_OP_CMP_NE: hit = (int32_t)old != cmparg; break;
	case FUTEX_OP_CMP_LT: hit = (int32_t)old < cmparg; break;
	case FUTEX_OP_CMP_LE: hit = (int32_t)old <= cmparg; break;
	case FUTEX_OP_CMP_GT: hit = (int32_t)old > cmparg; break;
	case FUTEX_OP_CMP_GE: hit = (int32_t)old >= cmparg; break;
	default: return -ENOSYS;
	}
	woken = futex_wake(t->mm, uaddr, shared, n, FUTEX_BITSET_MATCH_ANY, 0, 0, false);
	if (hit)
		woken += futex_wake(t->mm, uaddr2, shared, n2, FUTEX_BITSET_MATCH_ANY, 0, 0, false);
	return woken;
}

/*
 * PI futexes, without priority inheritance (all tasks are equal here):
 * LOCK takes a free word (0 -> TID) or sets FUTEX_WAITERS and sleeps until
 * the owner's UNLOCK hands the word over; TRYLOCK never sleeps.
 */
static long futex_lock_pi(struct task *t, uint64_t uaddr, bool shared, uint64_t deadline,
			  bool try)
{
	static pthread_mutex_t pi_lock = PTHREAD_MUTEX_INITIALIZER;

	for (;;) {
		uint32_t cur, new;
		pthread_mutex_lock(&pi_lock);
		if (mm_copy_in(t->mm, &cur, uaddr, sizeof(cur))) {
			pthread_mutex_unlock(&pi_lock);
			return -EFAULT;
		}
		if ((cur & FUTEX_TID_MASK) == (uint32_t)t->tid) {
			pthread_mutex_unlock(&pi_lock);
			return -EDEADLK;
		}
		if ((cur & FUTEX_TID_MASK) == 0 || (cur & FUTEX_OWNER_DIED)) {
			new = (uint32_t)t->tid | (cur & FUTEX_WAITERS);
			long r = mm_copy_out(t->mm, uaddr, &new, sizeof(new)) ? -EFAULT : 0;
			pthread_mutex_unlock(&pi_lock);
			return r;
		}
		if (try) {
			pthread_mutex_unlock(&pi_lock);
			return -EAGAIN;
		}
		new = cur | FUTEX_WAITERS;
		if (mm_copy_out(t->mm, uaddr, &new, sizeof(new))) {
			pthread_mutex_unlock(&pi_lock);
			return -EFAULT;
		}
		pthread_mutex_unlock(&pi_lock);
		long r = futex_wait(t, uaddr, shared, new, deadline, FUTEX_BITSET_MATCH_ANY);
		if (r == -ETIMEDOUT || r == -ERESTARTSYS || r == -EFAULT)
			return r == -ERESTARTSYS ? -ERESTARTNOINTR : r;
	}
}

static long futex_unlock_pi(struct task *t, uint64_t uaddr, bool shared)
{
	uint32_t cur, zero = 0;

	if (mm_copy_in(t->mm, &cur, uaddr, sizeof(cur)))
		return -EFAULT;
	if ((cur & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return -EPERM;
	if (mm_copy_out(t->mm, uaddr, &zero, sizeof(zero)))
		return -EFAULT;
	/* The waiters retry; the first to run takes it (and re-marks
	 * FUTEX_WAITERS if others still sleep). */
	if (cur & FUTEX_WAITERS)
		futex_wake(t->mm, uaddr, shared, INT32_MAX, FUTEX_BITSET_MATCH_ANY, 0, 0, false);
	return 0;
}

/*
 * Robust futexes at thread exit (Linux: handle_futex_death): every lock
 * in the list still owned by the thread gets FUTEX_OWNER_DIED and one
 * waiter is woken.
 */
void robust_list_exit(struct task *t)
{
	struct { uint64_t next; int64_t offset; uint64_t pending; } head;
	uint64_t entry;
	int limit = 2048;

	if (!t->robust_list || !t->mm)
		return;
	pthread_once(&buckets_once, buckets_init);
	if (mm_copy_in(t->mm, &head, t->robust_list, sizeof(head)))
		return;
	entry = head.next;
	while (entry != t->robust_list && limit-- > 0) {
		uint64_t next;
		if (mm_copy_in(t->mm, &next, entry, sizeof(next)))
			break;
		if (entry != head.pending)
			futex_owner_died(t, entry + (uint64_t)head.offset);
		entry = next;
	}
	if (head.pending)
		futex_owner_died(t, head.pending + (uint64_t)head.offset);
}

void futex_owner_died(struct task *t, uint64_t uaddr)
{
	uint32_t cur, new;

	if (uaddr & 3 || mm_copy_in(t->mm, &cur, uaddr, sizeof(cur)))
		return;
	if ((cur & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return;
	new = (cur & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (mm_copy_out(t->mm, uaddr, &new, sizeof(new)))
		return;
	if (cur & FUTEX_WAITERS)
		futex_wake(t->mm, uaddr, true, 1, FUTEX_BITSET_MATCH_ANY, 0, 0, false);
}

long sys_futex(struct task *t, const uint64_t a[6])
{
	uint64_t addr = a[0];
	int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
	bool shared = !(op & FUTEX_PRIVATE_FLAG);
	uint32_t val = (uint32_t)a[2];
	uint64_t deadline = 0;

	pthread_once(&buckets_once, buckets_init);
	if (addr & 3)
		return -EINVAL;
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
	     cmd == FUTEX_LOCK_PI2) && a[3]) {
		struct timespec ts;
		if (mm_copy_in(t->mm, &ts, a[3], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		if (cmd == FUTEX_WAIT) {
			deadline = moat_now_ns() + ns;       /* relative */
		} else if ((op & FUTEX_CLOCK_REALTIME) || cmd == FUTEX_LOCK_PI) {
			struct timespec now;
			clock_ts(CLOCK_REALTIME, &now);
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
		return futex_wait(t, addr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_wait(t, addr, shared, val, deadline, (uint32_t)a[5]);
	case FUTEX_WAKE:
		return futex_wake(t->mm, addr, shared, (int)MIN(val, (uint32_t)INT32_MAX),
				  FUTEX_BITSET_MATCH_ANY, 0, 0, false);
	case FUTEX_WAKE_BITSET:
		return futex_wake(t->mm, addr, shared, (int)MIN(val, (uint32_t)INT32_MAX),
				  (uint32_t)a[5], 0, 0, false);
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
		return futex_wake(t->mm, addr, shared, (int)val, FUTEX_BITSET_MATCH_ANY, a[4],
				  (int)a[3], true);
	}
	case FUTEX_WAKE_OP:
		if (a[4] & 3)
			return -EINVAL;
		return futex_wake_op(t, addr, shared, (int)MIN(val, (uint32_t)INT32_MAX), a[4],
				     (int)MIN((uint32_t)a[3], (uint32_t)INT32_MAX), (uint32_t)a[5]);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
		return futex_lock_pi(t, addr, shared, deadline, false);
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(t, addr, shared, 0, true);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(t, addr, shared);
	default:
		moat_log("futex op %d not implemented: ENOSYS", cmd);
		return -ENOSYS;
	}
}
