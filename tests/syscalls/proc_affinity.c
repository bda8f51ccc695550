/*
 * proc_affinity: sched_setaffinity is per thread and real: the mask reads
 * back, the thread then runs (sched_getcpu) only on those CPUs, and new
 * threads and forked children inherit it; the errors Linux gives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static int want_cpu;

/* Whether this thread's mask is exactly {cpu} and it runs there. */
static int pinned_to(int cpu)
{
	cpu_set_t s;

	if (sched_getaffinity(0, sizeof(s), &s) != 0 || CPU_COUNT(&s) != 1 || !CPU_ISSET(cpu, &s))
		return 0;
	for (int i = 0; i < 50; i++) {
		if (sched_getcpu() != cpu)
			return 0;
		/* The syscall says so too, not only the vDSO. */
		unsigned c = ~0u;
		if (syscall(SYS_getcpu, &c, NULL, NULL) != 0 || c != (unsigned)cpu)
			return 0;
		sched_yield();
	}
	return 1;
}

static void *thread_fn(void *arg)
{
	(void)arg;
	return (void *)(long)pinned_to(want_cpu);
}

int main(void)
{
	cpu_set_t all, one, got;

	CHECK_OK(sched_getaffinity(0, sizeof(all), &all));
	CHECK(CPU_COUNT(&all) >= 1);
	CPU_ZERO(&one);
	CHECK_ERR(sched_setaffinity(0, sizeof(one), &one), EINVAL);
	CHECK_ERR(sched_setaffinity(0, sizeof(one), (cpu_set_t *)8), EFAULT);
	CHECK_ERR(sched_getaffinity(0, sizeof(got), (cpu_set_t *)8), EFAULT);
	CHECK_ERR(sched_setaffinity(999999, sizeof(all), &all), ESRCH);
	CHECK_ERR(sched_getaffinity(999999, sizeof(got), &got), ESRCH);

	/* Pin to the highest CPU we may use. */
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			want_cpu = c;
	CPU_SET(want_cpu, &one);
	CHECK_OK(sched_setaffinity(0, sizeof(one), &one));
	CHECK(pinned_to(want_cpu));
	/* By thread ID too. */
	CHECK_OK(sched_setaffinity((pid_t)syscall(SYS_gettid), sizeof(one), &one));
	CHECK_OK(sched_getaffinity((pid_t)syscall(SYS_gettid), sizeof(got), &got));
	CHECK(CPU_EQUAL(&got, &one));

	/* Inherited by a new thread and by a forked child. */
	pthread_t th;
	void *ret = NULL;
	if (CHECK_OK(pthread_create(&th, NULL, thread_fn, NULL))) {
		CHECK_OK(pthread_join(th, &ret));
		CHECK_EQ((long)ret, 1);
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(pinned_to(want_cpu) ? 0 : 1);
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* Back to every CPU. */
	CHECK_OK(sched_setaffinity(0, sizeof(all), &all));
	CHECK_OK(sched_getaffinity(0, sizeof(got), &got));
	CHECK(CPU_EQUAL(&got, &all));
	return check_done();
}
