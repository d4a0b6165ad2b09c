/* Items handed back to an event loop from other threads (mailbox.h). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "httpsd/mailbox.h"

static struct mailbox_item *take(struct mailbox *mb)
{
	pthread_mutex_lock(&mb->lock);
	struct mailbox_item *all = mb->head;
	mb->head = NULL;
	mb->tail = &mb->head;
	pthread_mutex_unlock(&mb->lock);
	return all;
}

static void run_all(struct mailbox *mb, struct mailbox_item *it)
{
	while (it) {
		struct mailbox_item *next = it->next;
		mb->run(it);
		it = next;
	}
}

static void on_ready(uv_poll_t *h, int status, int events)
{
	struct mailbox *mb = h->data;
	uint64_t n;
	(void)status;
	(void)events;
	/* Read before taking: a post after the take writes again, so none is missed. */
	(void)read(mb->efd, &n, sizeof(n));
	run_all(mb, take(mb));
}

int mailbox_init(struct mailbox *mb, uv_loop_t *loop, void (*run)(struct mailbox_item *it))
{
	mb->head = NULL;
	mb->tail = &mb->head;
	mb->run = run;
	mb->ok = false;
	mb->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb->efd < 0)
		return uv_translate_sys_error(errno);
	int rc = uv_poll_init(loop, &mb->poll, mb->efd);
	if (rc == 0) {
		mb->poll.data = mb;
		if ((rc = uv_poll_start(&mb->poll, UV_READABLE, on_ready)) != 0)
			uv_close((uv_handle_t *)&mb->poll, NULL);
	}
	if (rc) {
		close(mb->efd);
		mb->efd = -1;
		return rc;
	}
	pthread_mutex_init(&mb->lock, NULL);
	mb->ok = true;
	return 0;
}

void mailbox_post(struct mailbox *mb, struct mailbox_item *it)
{
	it->next = NULL;
	pthread_mutex_lock(&mb->lock);
	bool first = mb->head == NULL;
	*mb->tail = it;
	mb->tail = &it->next;
	pthread_mutex_unlock(&mb->lock);
	if (first) {
		uint64_t one = 1;
		(void)write(mb->efd, &one, sizeof(one));   /* cannot fill: read at every wakeup */
	}
}

void mailbox_drain(struct mailbox *mb)
{
	if (mb->ok)
		run_all(mb, take(mb));
}

void mailbox_free(struct mailbox *mb)
{
	if (!mb->ok)
		return;
	pthread_mutex_destroy(&mb->lock);
	close(mb->efd);
	mb->efd = -1;
	mb->ok = false;
}
