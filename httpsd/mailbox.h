/*
 * Work finished on another thread comes back to a worker's event loop here. Any thread may
 * post, at any priority: a post is a push under a mutex and, when the box was empty, one
 * eventfd write. No libuv call: a niced thread in uv_async_send() can be preempted by the loop
 * it wakes, and libuv 1.44's loop then spins in sched_yield() until the sender runs again.
 */
#ifndef HTTPSD_MAILBOX_H
#define HTTPSD_MAILBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <uv.h>

/* Embedded in what is posted. */
struct mailbox_item {
	struct mailbox_item *next;
};

struct mailbox {
	pthread_mutex_t lock;
	struct mailbox_item *head, **tail;
	int efd;
	uv_poll_t poll;                   /* closed with the loop's other handles */
	bool ok;
	void (*run)(struct mailbox_item *it);
};

/* Items posted to mb are passed to run on loop's thread, in the order posted. Returns 0 or a
 * libuv error. */
int mailbox_init(struct mailbox *mb, uv_loop_t *loop, void (*run)(struct mailbox_item *it));
void mailbox_post(struct mailbox *mb, struct mailbox_item *it);
/* Once the loop has ended: runs what is still in mb on the calling thread. */
void mailbox_drain(struct mailbox *mb);
/* After mailbox_drain() and the loop's close (nothing may post any more). */
void mailbox_free(struct mailbox *mb);

#endif
