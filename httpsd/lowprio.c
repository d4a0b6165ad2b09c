/* Niced threads for CPU work that must not compete with the event loops (lowprio.h). */
#include <pthread.h>
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

void lowprio_run(void (*fn)(void *arg), void *arg)
{
	struct job j = { fn, arg, false, PTHREAD_COND_INITIALIZER, NULL };
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
