/* Worker threads with a libuv loop each, stopped through uv_async; signals on the main loop. */
#include <signal.h>
#include <string.h>
#include "shared/util/log.h"
#include "shared/util/worker_pool.h"

static void close_handle(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Every handle closed and its callbacks run, then the loop itself. */
static void close_loop(uv_loop_t *loop)
{
	uv_walk(loop, close_handle, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
}

static void on_signal(uv_signal_t *h, int signum)
{
	struct worker_pool *p = h->data;
	p->stop_signal = signum;
	uv_stop(&p->loop);
}

/* logrotate moved the log file away: the workers' lines go to a new one from the next on. */
static void on_reopen(uv_signal_t *h, int signum)
{
	(void)h;
	(void)signum;
	int rc = log_reopen();
	if (log_file() == NULL)
		log_info("SIGUSR1: no log file to reopen");
	else if (rc)
		log_error("cannot reopen the log file %s: %s (still writing to the old one)", log_file(),
		          uv_strerror(rc));
	else
		log_notice("log file %s reopened (SIGUSR1)", log_file());
}

static void on_hup(uv_signal_t *h, int signum)
{
	struct worker_pool *p = h->data;
	(void)signum;
	if (p->reload)
		p->reload(p->reload_arg);
	else
		log_notice("SIGHUP: nothing to reload");
}

void worker_pool_on_reload(struct worker_pool *p, void (*fn)(void *arg), void *arg)
{
	p->reload = fn;
	p->reload_arg = arg;
}

int worker_pool_init(struct worker_pool *p, size_t n, int (*init)(void *arg, size_t i),
                     void *arg)
{
	memset(p, 0, sizeof(*p));
	int rc = uv_loop_init(&p->loop);
	if (rc)
		return rc;
	p->loop_ok = true;
	p->term.data = p->intr.data = p->hup.data = p;
	if ((rc = uv_signal_init(&p->loop, &p->term)) != 0 ||
	    (rc = uv_signal_init(&p->loop, &p->intr)) != 0 ||
	    (rc = uv_signal_init(&p->loop, &p->reopen)) != 0 ||
	    (rc = uv_signal_init(&p->loop, &p->hup)) != 0 ||
	    (rc = uv_signal_start(&p->term, on_signal, SIGTERM)) != 0 ||
	    (rc = uv_signal_start(&p->intr, on_signal, SIGINT)) != 0 ||
	    (rc = uv_signal_start(&p->reopen, on_reopen, SIGUSR1)) != 0 ||
	    (rc = uv_signal_start(&p->hup, on_hup, SIGHUP)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = init(arg, i)) != 0)
			return rc;
	return 0;
}

/* On the thread: connections end first, then every handle, and the loop runs out. */
static void on_stop(uv_async_t *a)
{
	struct worker_pool_thread *t = a->data;
	t->stopping = true;
	while (t->conns)
		t->conns->close(t->conns);
	uv_walk(&t->loop, close_handle, NULL);
}

int worker_pool_add(struct worker_pool *p, struct worker_pool_thread *t, struct store *st,
                    bool cursor)
{
	if (p->n == WORKER_POOL_MAX)
		return UV_EINVAL;
	t->index = (int)p->n;
	p->t[p->n++] = t;
	int rc = uv_loop_init(&t->loop);
	if (rc)
		return rc;
	t->loop_ok = true;
	/* A read transaction (and cursor) kept for the thread's life, reset between batches. */
	if (store_begin(st, false, 0, &t->rt) == 0 &&
	    (!cursor || store_cursor(&t->rt, STORE_RRSETS, &t->cur) == 0)) {
		store_reset(&t->rt);
		t->store_ok = true;
	}
	t->stop.data = t;
	return uv_async_init(&t->loop, &t->stop, on_stop);
}

static void thread_main(void *arg)
{
	struct worker_pool_thread *t = arg;
	uv_run(&t->loop, UV_RUN_DEFAULT);
}

int worker_pool_start(struct worker_pool *p)
{
	for (; p->started < p->n; p->started++) {
		struct worker_pool_thread *t = p->t[p->started];
		int rc = uv_thread_create(&t->thread, thread_main, t);
		if (rc)
			return rc;
	}
	return 0;
}

int worker_pool_wait(struct worker_pool *p)
{
	uv_run(&p->loop, UV_RUN_DEFAULT);
	return p->stop_signal;
}

void worker_pool_stop(struct worker_pool *p)
{
	/* Threads finish the batch in hand, close their sockets and connections, and end. */
	for (size_t i = 0; i < p->started; i++)
		uv_async_send(&p->t[i]->stop);
	for (size_t i = 0; i < p->started; i++)
		uv_thread_join(&p->t[i]->thread);
	p->started = 0;
}

void worker_pool_free(struct worker_pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct worker_pool_thread *t = p->t[i];
		if (t->cur)
			mdb_cursor_close(t->cur);
		t->cur = NULL;
		store_abort(&t->rt);
		/* Handles a failed start left open are closed before the loop goes. */
		if (t->loop_ok)
			close_loop(&t->loop);
		t->loop_ok = false;
	}
	p->n = 0;
	if (p->loop_ok)
		close_loop(&p->loop);
	p->loop_ok = false;
}

bool worker_pool_txn(struct worker_pool_thread *t)
{
	if (!t->store_ok)
		return false;
	if (!t->renewed) {
		if (store_renew(&t->rt, t->cur) != 0)
			return false;
		t->renewed = true;
	}
	return true;
}

void worker_pool_txn_done(struct worker_pool_thread *t)
{
	if (t->renewed) {
		store_reset(&t->rt);
		t->renewed = false;
	}
}

int worker_pool_accept(struct worker_pool_thread *t, uv_stream_t *server, uv_tcp_t *tcp,
                       uv_timer_t *timer, void *data, struct sockaddr_storage *peer)
{
	int len = sizeof(*peer);
	tcp->data = timer->data = data;
	uv_tcp_init(&t->loop, tcp);
	uv_timer_init(&t->loop, timer);
	int rc = uv_accept(server, (uv_stream_t *)tcp);
	if (rc == 0)
		uv_tcp_getpeername(tcp, (struct sockaddr *)peer, &len);   /* gone already: family 0 */
	return rc;
}

void worker_pool_conn_add(struct worker_pool_thread *t, struct worker_pool_conn *c,
                          void (*close)(struct worker_pool_conn *c))
{
	c->close = close;
	c->next = t->conns;
	if (c->next)
		c->next->prevp = &c->next;
	c->prevp = &t->conns;
	t->conns = c;
	t->nconns++;
}

void worker_pool_conn_del(struct worker_pool_thread *t, struct worker_pool_conn *c)
{
	if (c->prevp == NULL)
		return;
	*c->prevp = c->next;
	if (c->next)
		c->next->prevp = c->prevp;
	c->prevp = NULL;
	t->nconns--;
}
