/* Reports checked on niced threads and spooled through the group commit (intake_queue.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include "httpsd/intake_queue.h"

struct intake_queue {
	pthread_mutex_t lock;
	pthread_cond_t queued;          /* a job waits, or stop */
	pthread_cond_t idle;            /* outstanding reached 0 */
	struct intake_job *head, **tail;
	size_t outstanding;             /* submitted, not posted back yet */
	size_t waiting;                 /* in the list */
	size_t want, running;
	bool stop;
	pthread_t thread[INTAKE_QUEUE_THREADS_MAX];
};

static void finish(struct intake_job *j)
{
	struct intake_queue *q = j->q;
	mailbox_post(j->back, &j->item);
	pthread_mutex_lock(&q->lock);
	if (--q->outstanding == 0)
		pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
}

/* On the spool log's thread, once the report's sync is over. */
static void synced(struct tlsrpt_spool_ticket *t, int rc)
{
	struct intake_job *j = (struct intake_job *)((char *)t - offsetof(struct intake_job, ticket));
	if (rc)
		j->status = intake_spool_status(rc, j->why, sizeof(j->why));
	finish(j);
}

static void work(struct intake_job *j)
{
	j->status = intake_check(j->s, j->body, j->len, j->why, sizeof(j->why));
	if (j->status == 0 && j->s->log) {
		/* Set first: once appended, j is the log thread's (synced() may run before the
		 * call returns). */
		j->status = 200;
		int rc = tlsrpt_spool_log_append(j->s->log, j->domain, j->body, j->len, &j->ticket);
		if (rc == 0)
			return;                 /* synced() finishes it */
		j->status = intake_spool_status(rc, j->why, sizeof(j->why));
	} else if (j->status == 0) {
		j->status = intake_spool(j->s, j->domain, j->body, j->len, j->why, sizeof(j->why));
	}
	finish(j);
}

static void *thread_main(void *arg)
{
	struct intake_queue *q = arg;
	/* This thread only (Linux: nice is per thread); lowering needs no privilege. */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), INTAKE_QUEUE_NICE);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->head == NULL && !q->stop)
			pthread_cond_wait(&q->queued, &q->lock);
		if (q->head == NULL)
			break;
		struct intake_job *j = q->head;
		if ((q->head = j->next) == NULL)
			q->tail = &q->head;
		q->waiting--;
		pthread_mutex_unlock(&q->lock);
		work(j);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int intake_queue_open(size_t nthreads, struct intake_queue **out)
{
	struct intake_queue *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->queued, NULL);
	pthread_cond_init(&q->idle, NULL);
	q->tail = &q->head;
	q->want = nthreads < 1 ? 1 : nthreads > INTAKE_QUEUE_THREADS_MAX ? INTAKE_QUEUE_THREADS_MAX
	                                                                  : nthreads;
	*out = q;
	return 0;
}

void intake_queue_submit(struct intake_queue *q, struct intake_job *j)
{
	j->q = q;
	j->ticket.done = synced;
	j->next = NULL;
	j->why[0] = '\0';
	pthread_mutex_lock(&q->lock);
	if (q->waiting >= INTAKE_QUEUE_MAX) {
		pthread_mutex_unlock(&q->lock);
		j->status = 503;
		snprintf(j->why, sizeof(j->why), "too many reports wait to be checked; retry later");
		mailbox_post(j->back, &j->item);
		return;
	}
	while (q->running < q->want &&
	       pthread_create(&q->thread[q->running], NULL, thread_main, q) == 0)
		q->running++;
	if (q->running == 0) {          /* no thread at all: the work runs here, unniced */
		q->outstanding++;
		pthread_mutex_unlock(&q->lock);
		work(j);
		return;
	}
	q->want = q->running;           /* a refused thread is not tried again */
	q->outstanding++;
	q->waiting++;
	*q->tail = j;
	q->tail = &j->next;
	pthread_cond_signal(&q->queued);
	pthread_mutex_unlock(&q->lock);
}

void intake_queue_close(struct intake_queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	while (q->outstanding > 0)
		pthread_cond_wait(&q->idle, &q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->queued);
	pthread_mutex_unlock(&q->lock);
	for (size_t i = 0; i < q->running; i++)
		pthread_join(q->thread[i], NULL);
	pthread_cond_destroy(&q->queued);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
