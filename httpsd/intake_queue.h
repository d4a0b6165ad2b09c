/*
 * POST /tlsrpt's work off the event loops: a report's check runs on a few threads of the
 * queue's own, at nice INTAKE_QUEUE_NICE for their whole life, so that policy fetches come
 * first; a report that passes is appended to the spool log, and the log's thread posts it back
 * to its worker's mailbox once the sync covers it. So a report costs one wakeup of a check
 * thread (none while they are busy) and its share of one sync and one eventfd write, where a
 * libuv work item cost a pool thread, a niced thread and a sync each with their wakeups.
 */
#ifndef HTTPSD_INTAKE_QUEUE_H
#define HTTPSD_INTAKE_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "httpsd/intake.h"
#include "httpsd/mailbox.h"
#include "shared/rpt/tlsrpt_spool_log.h"

#define INTAKE_QUEUE_NICE 10        /* reports take what the loops leave (a sender retries) */
#define INTAKE_QUEUE_THREADS_MAX 8
#define INTAKE_QUEUE_MAX 1024       /* reports waiting for a check thread; more get 503 at once
                                       (a sender retries) rather than wait for seconds */

/* One report's work: the caller's memory until it comes back through back. */
struct intake_job {
	struct mailbox_item item;       /* first: the mailbox hands this back */
	struct tlsrpt_spool_ticket ticket;
	struct intake_queue *q;
	struct mailbox *back;
	const struct intake_settings *s;
	const char *domain;             /* NULL: none known */
	const uint8_t *body;
	size_t len;
	int status;                     /* out: 200, or as intake_body() */
	char why[INTAKE_WHY_MAX];       /* out: a refusal's reason */
	struct intake_job *next;        /* in the queue */
};

struct intake_queue;

/* A queue with nthreads check threads (1 to INTAKE_QUEUE_THREADS_MAX), started on first use.
 * Returns 0 or -ENOMEM. */
int intake_queue_open(size_t nthreads, struct intake_queue **out);
/* Queues j (s, domain, body, len, back set); it comes back through j->back with status and why
 * set (503 at once when INTAKE_QUEUE_MAX wait already). */
void intake_queue_submit(struct intake_queue *q, struct intake_job *j);
/* Waits until every submitted job has been posted back, stops the threads and frees q (NULL:
 * nothing). Nothing may be submitted any more. */
void intake_queue_close(struct intake_queue *q);

#endif
