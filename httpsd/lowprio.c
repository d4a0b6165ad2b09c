/* CPU work at a low priority, so that it does not compete with the event loops (lowprio.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>
#include <sys/resource.h>
#include "httpsd/lowprio.h"

struct job {
	void (*fn)(void *arg);
	void *arg;
	bool done;
	pthread_cond_t cond;          /* its waiter's own: a job's end wakes only its thread */
	struct job *next;
};

/* One queue for the process, like libuv's own pool; the threads live as long as it does. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued = PTHREAD_COND_INITIALIZER;
static struct job *head, **tail = &head;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int running;

static void *thread_main(void *unused)
{
	(void)unused;
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), LOWPRIO_NICE);   /* this thread only */
	pthread_mutex_lock(&lock);
	for (;;) {
		while (head == NULL)
			pthread_cond_wait(&queued, &lock);
		struct job *j = head;
		if ((head = j->next) == NULL)
			tail = &head;
		pthread_mutex_unlock(&lock);
		j->fn(j->arg);
		pthread_mutex_lock(&lock);
		j->done = true;
		pthread_cond_signal(&j->cond);
	}
	return NULL;
}

static void start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < LOWPRIO_THREADS; i++)
		if (pthread_create(&t, &attr, thread_main, NULL) == 0)
			running++;
	pthread_attr_destroy(&attr);
}

/* Whether a thread may come back from LOWPRIO_NICE (RLIMIT_NICE or CAP_SYS_NICE), tried once on
 * a thread of its own, so that a refusal leaves no thread niced. */
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static atomic_bool can_return;

static void *probe_main(void *unused)
{
	(void)unused;
	id_t tid = (id_t)gettid();
	errno = 0;
	int before = getpriority(PRIO_PROCESS, tid);
	can_return = errno == 0 && before < LOWPRIO_NICE &&
	             setpriority(PRIO_PROCESS, tid, LOWPRIO_NICE) == 0 &&
	             setpriority(PRIO_PROCESS, tid, before) == 0;
	return NULL;
}

static void probe(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, probe_main, NULL) == 0)
		pthread_join(t, NULL);
}

/* The caller's thread runs fn niced and comes back: no hand-over, two wakeups fewer. */
static bool run_here(void (*fn)(void *arg), void *arg)
{
	id_t tid = (id_t)gettid();
	errno = 0;
	int before = getpriority(PRIO_PROCESS, tid);
	if (errno != 0)
		return false;
	if (before >= LOWPRIO_NICE) {
		fn(arg);                 /* started niced (nice httpsd): low enough already */
		return true;
	}
	pthread_once(&probe_once, probe);
	if (!can_return || setpriority(PRIO_PROCESS, tid, LOWPRIO_NICE) != 0)
		return false;
	fn(arg);
	/* The probe came back from the same step; were it refused now, only this thread would
	 * stay slow, so the next works go to the niced threads. */
	if (setpriority(PRIO_PROCESS, tid, before) != 0)
		can_return = false;
	return true;
}

void lowprio_allow_return(void)
{
	struct rlimit rl;
	if (geteuid() != 0 || getrlimit(RLIMIT_NICE, &rl) != 0 ||
	    (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= 20))
		return;
	rl.rlim_cur = 20;                            /* nice 0 may be reached again */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 20)
		rl.rlim_max = 20;
	(void)setrlimit(RLIMIT_NICE, &rl);           /* without it, the niced threads do the work */
}

void lowprio_run(void (*fn)(void *arg), void *arg)
{
	struct job j = { fn, arg, false, PTHREAD_COND_INITIALIZER, NULL };
	if (run_here(fn, arg))
		return;
	pthread_once(&once, start);
	if (running == 0) {
		fn(arg);
		return;
	}
	pthread_mutex_lock(&lock);
	*tail = &j;
	tail = &j.next;
	pthread_cond_signal(&queued);
	while (!j.done)
		pthread_cond_wait(&j.cond, &lock);
	pthread_mutex_unlock(&lock);
	pthread_cond_destroy(&j.cond);
}
