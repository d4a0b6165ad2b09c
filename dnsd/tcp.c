/* TCP per RFC 7766: length-framed, pipelined queries, idle timeout, connection limits. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dnsd/tcp.h"
#include "dnsd/tcp_frame.h"
#include "dnsd/update_msg.h"
#include "dnsd/updater.h"
#include "dnsd/xfr.h"
#include "shared/util/clock.h"
#include "shared/util/log.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"

#define TCP_BACKLOG 128          /* connections the kernel queues before we accept them */
#define TCP_MAX_BIG 32           /* 64 KiB UPDATE buffers at once, in the whole process */

static atomic_uint big_buffers;

struct tcp_conn {
	struct worker_pool_conn link;    /* first: the worker's list of connections */
	uv_tcp_t h;
	uv_timer_t idle;
	struct dnsd_worker *w;
	struct sockaddr_storage peer;
	uint8_t in[2 + TCP_MAX_QUERY];
	uint8_t *big;                    /* instead of in, while a long UPDATE is in it */
	size_t inlen;
	uint8_t *pending;                /* the part of an answer the socket did not take yet */
	size_t npending;
	uv_write_t wr;
	struct xfr *xfr;                 /* a zone transfer in progress */
	uint8_t *xbuf;                   /* its current message */
	char zone[DNAME_STR_MAX];
	uint64_t last_active;            /* loop time (ms) of the accept or the last answer */
	int open_handles;
	bool closing, writing;
	bool io_timer;                   /* the timer bounds a query that is arriving */
};

/* open_handles counts the two handles and an UPDATE in flight: the last one frees c. */
static void release(struct tcp_conn *c)
{
	if (--c->open_handles > 0)
		return;
	xfr_free(c->xfr);
	free(c->xbuf);
	if (c->big) {
		free(c->big);
		atomic_fetch_sub(&big_buffers, 1);
	}
	free(c->pending);
	free(c);
}

static void on_closed(uv_handle_t *h)
{
	release(h->data);
}

static void conn_close(struct tcp_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	worker_pool_conn_del(&c->w->t, &c->link);
	uv_close((uv_handle_t *)&c->idle, on_closed);
	uv_close((uv_handle_t *)&c->h, on_closed);
}

static void close_link(struct worker_pool_conn *l)
{
	conn_close((struct tcp_conn *)l);
}

static void on_idle(uv_timer_t *t)
{
	struct tcp_conn *c = t->data;
	atomic_fetch_add_explicit(&c->w->stats.tcp_timeout, 1, memory_order_relaxed);
	conn_close(c);
}

static uint8_t *inbuf(struct tcp_conn *c)
{
	return c->big ? c->big : c->in;
}

static size_t incap(const struct tcp_conn *c)
{
	return c->big ? 2 + TCP_FRAME_UPDATE_MAX : sizeof(c->in);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tcp_conn *c = h->data;
	(void)suggested;
	*buf = uv_buf_init((char *)inbuf(c) + c->inlen, (unsigned)(incap(c) - c->inlen));
}

/* Room for an UPDATE longer than a query; false when TCP_MAX_BIG are in use. */
static bool grow(struct tcp_conn *c)
{
	if (atomic_fetch_add(&big_buffers, 1) >= TCP_MAX_BIG) {
		atomic_fetch_sub(&big_buffers, 1);
		return false;
	}
	c->big = malloc(2 + TCP_FRAME_UPDATE_MAX);
	if (c->big == NULL) {
		atomic_fetch_sub(&big_buffers, 1);
		return false;
	}
	memcpy(c->big, c->in, c->inlen);
	return true;
}

/* Back to the small buffer once what is left fits it. */
static void shrink(struct tcp_conn *c)
{
	if (c->big == NULL || c->inlen > sizeof(c->in))
		return;
	memcpy(c->in, c->big, c->inlen);
	free(c->big);
	c->big = NULL;
	atomic_fetch_sub(&big_buffers, 1);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_written(uv_write_t *req, int status)
{
	struct tcp_conn *c = req->data;
	free(c->pending);
	c->pending = NULL;
	c->npending = 0;
	c->writing = false;
	if (status < 0 || c->closing) {
		conn_close(c);
		return;
	}
	/* The answer is out: read (and answer) what was pipelined behind it. */
	if (uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) != 0)
		conn_close(c);
	else
		on_read((uv_stream_t *)&c->h, 0, NULL);
}

/* Sends len bytes; what the socket does not take now is copied and written in the background. */
static bool send_answer(struct tcp_conn *c, const uint8_t *data, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	int n = uv_try_write((uv_stream_t *)&c->h, &b, 1);
	if (n == (int)len)
		return true;
	if (n < 0 && n != UV_EAGAIN)
		return false;
	size_t done = n > 0 ? (size_t)n : 0;
	c->pending = malloc(len - done);
	if (c->pending == NULL)
		return false;
	memcpy(c->pending, data + done, len - done);
	c->npending = len - done;
	b = uv_buf_init((char *)c->pending, (unsigned)c->npending);
	c->wr.data = c;
	c->writing = true;
	uv_read_stop((uv_stream_t *)&c->h);    /* no new queries until this answer is out */
	return uv_write(&c->wr, (uv_stream_t *)&c->h, &b, 1, on_written) == 0;
}

static void process(struct tcp_conn *c);
static void arm_timer(struct tcp_conn *c);

/* Sends the transfer's next message, or ends it and goes back to reading queries. */
static void xfr_send(struct tcp_conn *c);

static void on_xfr_written(uv_write_t *req, int status)
{
	struct tcp_conn *c = req->data;
	if (status < 0 || c->closing) {
		conn_close(c);
		return;
	}
	uv_timer_again(&c->idle);
	xfr_send(c);
}

static void xfr_send(struct tcp_conn *c)
{
	size_t len = xfr_next(c->xfr, c->xbuf, 2 + XFR_MSG_LARGEST);
	if (len > 0) {
		uv_buf_t b = uv_buf_init((char *)c->xbuf, (unsigned)len);
		c->wr.data = c;
		if (uv_write(&c->wr, (uv_stream_t *)&c->h, &b, 1, on_xfr_written) != 0)
			conn_close(c);
		return;
	}
	char peer[DAEMON_PEER_TEXT_MAX];
	bool failed = xfr_failed(c->xfr);
	daemon_peer_text((const struct sockaddr *)&c->peer, peer);
	log_notice("%s: transfer to %s %s, %llu records", c->zone, peer,
	   failed ? "failed (store error)" : "done", (unsigned long long)xfr_records(c->xfr));
	xfr_free(c->xfr);
	if (failed) {
		atomic_fetch_add_explicit(&c->w->stats.xfr[SX_FAILED], 1, memory_order_relaxed);
		c->xfr = NULL;
		conn_close(c);           /* the client must not take a partial zone as complete */
		return;
	}
	c->xfr = NULL;
	c->writing = false;
	if (uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) != 0) {
		conn_close(c);
	} else {
		process(c);
		if (!c->closing)
			arm_timer(c);
	}
}

/* AXFR and IXFR: streamed from a snapshot of their own when the client may have the zone. */
static bool try_xfr(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	struct query q;
	char peer[DAEMON_PEER_TEXT_MAX];
	if (query_parse(msg, len, &q) != QUERY_OK || q.qclass != 1 ||
	    (q.qtype != T_AXFR && q.qtype != T_IXFR))
		return false;
	/* Refusals go the ordinary way, which answers REFUSED or NOTAUTH and logs why. */
	c->xfr = xfr_start(c->w->env->st, msg, len, &q, (const struct sockaddr *)&c->peer,
	                   (uint64_t)time(NULL));
	if (c->xfr == NULL)
		return false;
	if (c->xbuf == NULL && (c->xbuf = malloc(2 + XFR_MSG_LARGEST)) == NULL) {
		xfr_free(c->xfr);
		c->xfr = NULL;
		return false;
	}
	atomic_fetch_add_explicit(&c->w->stats.xfr[q.qtype == T_AXFR ? SX_AXFR : SX_IXFR], 1,
	                          memory_order_relaxed);
	dname_format(c->zone, q.qname);
	daemon_peer_text((const struct sockaddr *)&c->peer, peer);
	log_notice("%s: transfer to %s: %s", c->zone, peer, xfr_describe(c->xfr));
	c->writing = true;
	uv_read_stop((uv_stream_t *)&c->h);
	return true;
}

/* An UPDATE's answer, back on this loop once its commit is durable: then the next query. */
static void on_update_done(void *arg, const struct sockaddr *peer, const uint8_t *answer,
                           size_t len)
{
	struct tcp_conn *c = arg;
	(void)peer;
	c->writing = false;
	if (!c->closing) {
		wire_put16(c->w->tcp_answer, (uint16_t)len);
		memcpy(c->w->tcp_answer + 2, answer, len);
		if (len == 0 || !send_answer(c, c->w->tcp_answer, len + 2)) {
			conn_close(c);
		} else {
			c->last_active = uv_now(&c->w->t.loop);
			uv_timer_again(&c->idle);
			if (!c->writing && uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) != 0)
				conn_close(c);
			else if (!c->writing)
				on_read((uv_stream_t *)&c->h, 0, NULL);
		}
	}
	release(c);
}

/* An UPDATE goes to the thread pool; reading waits for its answer, which keeps the order. */
static bool try_update(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	if (!update_msg_is_update(msg, len))
		return false;
	if (updater_submit(&c->w->t.loop, c->w->env->st, msg, len, (const struct sockaddr *)&c->peer,
	                   on_update_done, c) != 0) {
		conn_close(c);           /* too many pending: the client may try again */
		return true;
	}
	c->open_handles++;
	c->writing = true;
	uv_read_stop((uv_stream_t *)&c->h);
	return true;
}

/* Answers every complete query in the buffer, in order. */
static void process(struct tcp_conn *c)
{
	struct dnsd_worker *w = c->w;
	size_t mlen;
	while (!c->writing) {
		int big = tcp_frame_big_update(inbuf(c), c->inlen, TCP_MAX_QUERY);
		if (big < 0)
			return;            /* too few bytes yet to tell an UPDATE from a query */
		if (big > 0 && c->big == NULL && !grow(c)) {
			conn_close(c);
			return;
		}
		enum tcp_frame f = tcp_frame_next(inbuf(c), c->inlen, incap(c),
		                                  big ? TCP_FRAME_UPDATE_MAX : TCP_MAX_QUERY, &mlen);
		if (f == TCP_FRAME_BAD) {
			conn_close(c);     /* a bad length, or full and still no whole query */
			return;
		}
		if (f == TCP_FRAME_MORE)
			return;
		if (try_update(c, inbuf(c) + 2, mlen)) {
			tcp_frame_drop(inbuf(c), &c->inlen, mlen);
			shrink(c);
			return;
		}
		if (big) {
			conn_close(c);     /* only an UPDATE may be this long */
			return;
		}
		if (try_xfr(c, inbuf(c) + 2, mlen)) {
			tcp_frame_drop(inbuf(c), &c->inlen, mlen);
			shrink(c);
			xfr_send(c);
			return;
		}
		uint64_t t0 = clock_mono_ns();
		size_t len = dnsd_worker_answer(w, inbuf(c) + 2, mlen, w->tcp_answer + 2,
		                                sizeof(w->tcp_answer) - 2, true,
		                                (const struct sockaddr *)&c->peer);
		stats_latency(&w->stats, clock_mono_ns() - t0, 1);
		worker_pool_txn_done(&w->t);
		tcp_frame_drop(inbuf(c), &c->inlen, mlen);
		shrink(c);
		if (len == 0) {
			conn_close(c);     /* a message not worth an answer ends the stream */
			return;
		}
		wire_put16(w->tcp_answer, (uint16_t)len);
		if (!send_answer(c, w->tcp_answer, len + 2)) {
			conn_close(c);
			return;
		}
		c->last_active = uv_now(&w->t.loop);
		uv_timer_again(&c->idle);
	}
}

/*
 * A query that has begun to arrive must arrive whole within tcp-io-timeout, however slowly
 * its bytes come; between queries, tcp-idle-timeout applies.
 */
static void arm_timer(struct tcp_conn *c)
{
	const struct config *cfg = dnsd_env_cfg(c->w->env);
	bool partial = c->inlen > 0 && !c->writing;
	if (partial == c->io_timer)
		return;
	c->io_timer = partial;
	uint64_t ms = (uint64_t)(partial ? cfg->tcp_io_timeout : cfg->tcp_idle_timeout) * 1000;
	uv_timer_start(&c->idle, on_idle, ms, ms);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *c = s->data;
	(void)buf;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)nread;
	process(c);
	if (!c->closing)
		arm_timer(c);
}

static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return a->ss_family == AF_INET6 &&
	       memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	              &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

/*
 * Room for the new connection c: refused when its address holds tcp-max-per-address already;
 * when the table is full, the connection idle longest makes way (never one in a transfer),
 * so that slow clients holding every slot cannot lock new ones out. False: refuse c.
 */
static bool admit(struct dnsd_worker *w, const struct tcp_conn *c, const struct config *cfg)
{
	size_t same = 0;
	struct tcp_conn *oldest = NULL;
	for (struct worker_pool_conn *l = w->t.conns; l; l = l->next) {
		struct tcp_conn *o = (struct tcp_conn *)l;
		same += same_address(&o->peer, &c->peer);
		if (o->xfr == NULL && !o->closing && (oldest == NULL || o->last_active < oldest->last_active))
			oldest = o;
	}
	if (same >= cfg->tcp_max_per_address)
		return false;
	if (w->t.nconns < cfg->tcp_max_clients)
		return true;
	if (oldest == NULL)
		return false;
	atomic_fetch_add_explicit(&w->stats.tcp_evicted, 1, memory_order_relaxed);
	conn_close(oldest);
	return true;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct dnsd_worker *w = server->data;
	const struct config *cfg = dnsd_env_cfg(w->env);
	if (status < 0)
		return;
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->w = w;
	c->open_handles = 2;
	if (worker_pool_accept(&w->t, server, &c->h, &c->idle, c, &c->peer) != 0) {
		conn_close(c);
		return;
	}
	if (!admit(w, c, cfg)) {
		atomic_fetch_add_explicit(&w->stats.tcp_refused, 1, memory_order_relaxed);
		conn_close(c);
		return;
	}
	c->last_active = uv_now(&w->t.loop);
	worker_pool_conn_add(&w->t, &c->link, close_link);
	uint64_t ms = (uint64_t)cfg->tcp_idle_timeout * 1000;
	uv_timer_start(&c->idle, on_idle, ms, ms);
	if (uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read) != 0)
		conn_close(c);
}

int dnsd_tcp_start(struct dnsd_worker *w, size_t i, int fd, uv_handle_t **out)
{
	uv_tcp_t *h = &w->tcp[i];
	int rc = uv_tcp_init(&w->t.loop, h);
	if (rc) {
		close(fd);
		return rc;
	}
	h->data = w;
	*out = (uv_handle_t *)h;
	if ((rc = uv_tcp_open(h, fd)) != 0) {
		close(fd);
		return rc;
	}
	return uv_listen((uv_stream_t *)h, TCP_BACKLOG, on_connection);
}
