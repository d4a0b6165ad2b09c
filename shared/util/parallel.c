/* A bounded set of threads sharing one counter of items. */
#include <pthread.h>
#include <stdatomic.h>
#include "shared/util/parallel.h"

struct run {
	size_t n;
	atomic_size_t next;
	atomic_int rc;
	int (*fn)(size_t i, void *arg);
	void *arg;
};

static void *loop(void *arg)
{
	struct run *r = arg;
	while (atomic_load(&r->rc) == 0) {
		size_t i = atomic_fetch_add(&r->next, 1);
		if (i >= r->n)
			break;
		int rc = r->fn(i, r->arg);
		int zero = 0;
		if (rc)
			atomic_compare_exchange_strong(&r->rc, &zero, rc);
	}
	return NULL;
}

int parallel_run(size_t n, unsigned nthreads, int (*fn)(size_t i, void *arg), void *arg)
{
	pthread_t tid[PARALLEL_THREADS_MAX];
	struct run r = { .n = n, .fn = fn, .arg = arg };
	size_t started = 0;
	atomic_init(&r.next, 0);
	atomic_init(&r.rc, 0);
	if (nthreads > PARALLEL_THREADS_MAX)
		nthreads = PARALLEL_THREADS_MAX;
	if (nthreads > n)
		nthreads = (unsigned)n;
	/* The caller is one of the threads; one that cannot start leaves its share to the rest. */
	while (started + 1 < nthreads && pthread_create(&tid[started], NULL, loop, &r) == 0)
		started++;
	loop(&r);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return atomic_load(&r.rc);
}
