/*
 * One HTTPS connection: mbedTLS runs over buffers that libuv fills and drains (no blocking I/O
 * on the loop), then HTTP/1.1 requests are answered one after the other on the same connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/net_sockets.h>
#include "httpsd/alpn.h"
#include "httpsd/conn.h"
#include "httpsd/hello.h"
#include "httpsd/http.h"
#include "httpsd/intake.h"
#include "httpsd/intake_queue.h"
#include "httpsd/route.h"
#include "shared/tls/cert.h"
#include "shared/util/log.h"

#define CONN_RX_MAX 4096                 /* ciphertext read ahead of mbedTLS */
#define CONN_TX_MAX (16 * 1024 + 512)    /* ciphertext the socket did not take yet: a record */
#define CONN_LINGER_MS 2000              /* after our last answer: read and drop what still comes,
                                            so closing does not reset the answer away */
#define CONN_STEPS_MAX 65536             /* state machine steps per event: the buffers bound the
                                            work (a few thousand steps at most); more is a bug */
#define LOG_FIELD_MAX 128                /* bytes of a host or path in the access log */
#define DEFERRED_PER_TURN 1              /* strangers' handshake steps per loop turn: a trusted
                                            event waits for one at most (a signature, ~2 ms) */

enum state {
	ST_HELLO,         /* waiting for the first record: is there an SNI at all? */
	ST_HANDSHAKE,
	ST_REQUEST,       /* reading a request head */
	ST_BODY,          /* reading a report's body (POST /tlsrpt) */
	ST_WORK,          /* the report is checked and spooled off the loop (intake_queue.h) */
	ST_RESPOND,       /* writing an answer */
	ST_CLOSE_NOTIFY,  /* sending close_notify */
	ST_FLUSH,         /* waiting for the last bytes to leave */
	ST_LINGER,        /* write side shut; reading and dropping until EOF or the timer */
};

struct conn {
	struct worker_pool_conn link;    /* first: the worker's list of connections */
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	uv_shutdown_t sd;
	struct httpsd_worker *w;
	struct sockaddr_storage peer;
	char peer_text[DAEMON_PEER_TEXT_MAX];
	enum state state;
	mbedtls_ssl_context ssl;
	bool ssl_ready;
	struct certs_pair *pair;         /* the certificate, held while the handshake needs it */
	struct alpn_cert *alpn;          /* a tls-alpn-01 handshake's certificate (alpn.h) */
	char sni[CERT_HOST_MAX + 1];
	uint8_t rx[CONN_RX_MAX];
	size_t rx_off, rx_len;
	uint8_t *tx;                     /* allocated when the socket first pushes back */
	size_t tx_len, tx_busy;          /* bytes queued; the first tx_busy are being written */
	bool writing;
	char *req;                       /* request bytes in plaintext, max-header-size */
	size_t req_len;
	struct http_scan scan;
	uint8_t *body;                   /* a report's body, body_need bytes (tlsrpt.max-size) */
	size_t body_len, body_need;
	bool body_close;                 /* the request asked to close after its answer */
	const char *domain;              /* the report's domain: in sni, after the prefix */
	struct intake_job job;           /* the report's check and spool, off the loop */
	struct intake_settings intake;   /* a report's settings, from its head to its answer */
	uint8_t *resp;                   /* the answer being written */
	size_t resp_len, resp_off;
	bool idle;                       /* between requests: the idle timeout runs */
	bool close_after, eof, reading, counted, closing;
	bool sni_tried;                  /* the SNI callback ran: a failed handshake knows why */
	bool trusted;                    /* no limit, and handshake steps at once (limiter.h) */
	bool handshaking;                /* a handshake limiter_admit() counted, not done yet */
	bool turn;                       /* a stranger's handshake step may run now */
	struct conn *dnext, **dprevp;    /* in w->deferred while dprevp is set */
	uint64_t accepted_ms;
	int handles;
};

static void conn_run(struct conn *c);

/* c's handles and work each hold it; the last to end frees it. */
static void release(struct conn *c)
{
	if (--c->handles > 0)
		return;
	certs_release(c->w->env->certs, c->pair);
	alpn_cert_free(c->alpn);
	if (c->ssl_ready)
		mbedtls_ssl_free(&c->ssl);
	free(c->tx);
	free(c->req);
	free(c->resp);
	free(c->body);
	free(c);
}

static void on_closed(uv_handle_t *h)
{
	release(h->data);
}

/* ---- strangers' handshake steps: queued, DEFERRED_PER_TURN per loop turn ---- */

static void undefer(struct conn *c)
{
	struct httpsd_worker *w = c->w;
	if (c->dprevp == NULL)
		return;
	*c->dprevp = c->dnext;
	if (c->dnext)
		c->dnext->dprevp = c->dprevp;
	else
		w->deferred_tail = c->dprevp;
	c->dnext = NULL;
	c->dprevp = NULL;
	if (w->deferred == NULL && w->deferred_ok)
		uv_idle_stop(&w->deferred_idle);
}

static void on_deferred(uv_idle_t *h)
{
	struct httpsd_worker *w = h->data;
	for (int i = 0; i < DEFERRED_PER_TURN && w->deferred; i++) {
		struct conn *c = w->deferred;
		undefer(c);
		c->turn = true;
		conn_run(c);      /* closing only frees c in a later callback */
		c->turn = false;
	}
}

/* Queues c's next handshake step; false when there is no queue (c steps at once). */
static bool defer(struct conn *c)
{
	struct httpsd_worker *w = c->w;
	if (!w->deferred_ok)
		return false;
	if (c->dprevp)
		return true;
	if (w->deferred == NULL) {
		w->deferred_tail = &w->deferred;
		uv_idle_start(&w->deferred_idle, on_deferred);
	}
	c->dprevp = w->deferred_tail;
	*w->deferred_tail = c;
	w->deferred_tail = &c->dnext;
	return true;
}

/* The handshake is over (done, failed, or the connection closes): uncount it. */
static void handshake_over(struct conn *c)
{
	if (c->handshaking)
		limiter_done(&c->w->env->limiter, (const struct sockaddr *)&c->peer);
	c->handshaking = false;
}

static void conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	undefer(c);
	handshake_over(c);
	worker_pool_conn_del(&c->w->t, &c->link);
	if (c->counted)
		clients_del(&c->w->env->clients, (const struct sockaddr *)&c->peer);
	c->counted = false;
	uv_close((uv_handle_t *)&c->timer, on_closed);
	uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void close_link(struct worker_pool_conn *l)
{
	conn_close((struct conn *)l);
}

static void on_timer(uv_timer_t *t)
{
	struct conn *c = t->data;
	if (c->state == ST_REQUEST && c->idle && c->req_len == 0) {
		/* A keep-alive connection that stayed quiet: end it politely. */
		c->state = ST_CLOSE_NOTIFY;
		uv_timer_start(&c->timer, on_timer, CONN_LINGER_MS, 0);
		conn_run(c);
		return;
	}
	if (c->state == ST_HELLO || c->state == ST_HANDSHAKE)
		COUNT(c->w->count.hs_failed[HS_TIMEOUT]);
	else if (c->state == ST_REQUEST || c->state == ST_BODY)
		COUNT(c->w->count.errors[ERR_HEADER_TIMEOUT]);
	else if (c->state == ST_RESPOND)
		COUNT(c->w->count.errors[ERR_WRITE_TIMEOUT]);
	if (!c->trusted && (c->state == ST_HELLO || c->state == ST_HANDSHAKE))
		atomic_fetch_add_explicit(&c->w->env->limiter.count.handshake_timeouts, 1,
		                          memory_order_relaxed);
	conn_close(c);     /* too slow with a handshake, a head or reading an answer; or lingering */
}

static void arm(struct conn *c, uint64_t ms)
{
	uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* ---- ciphertext: mbedTLS's bio callbacks over rx and tx ---- */

static void start_write(struct conn *c);

static void on_written(uv_write_t *req, int status)
{
	struct conn *c = req->data;
	c->writing = false;
	if (status < 0 && !c->closing)
		COUNT(c->w->count.errors[ERR_IO]);
	if (status < 0 || c->closing) {
		conn_close(c);
		return;
	}
	memmove(c->tx, c->tx + c->tx_busy, c->tx_len - c->tx_busy);
	c->tx_len -= c->tx_busy;
	c->tx_busy = 0;
	start_write(c);
	if (c->state == ST_RESPOND)
		arm(c, c->w->env->lim.idle_ms);     /* the client reads: it has idle-timeout again */
	conn_run(c);
}

static void start_write(struct conn *c)
{
	if (c->writing || c->tx_len == 0)
		return;
	uv_buf_t b = uv_buf_init((char *)c->tx, (unsigned)c->tx_len);
	c->tx_busy = c->tx_len;
	c->wr.data = c;
	c->writing = true;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
		c->writing = false;
		conn_close(c);
	}
}

/* Straight to the socket when nothing waits; what it does not take is queued (one record). */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	size_t done = 0;
	if (c->closing)
		return MBEDTLS_ERR_NET_SEND_FAILED;
	if (c->tx_len == 0) {
		uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
		int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
		if (n < 0 && n != UV_EAGAIN)
			return MBEDTLS_ERR_NET_SEND_FAILED;
		done = n > 0 ? (size_t)n : 0;
		if (done == len)
			return (int)len;
	}
	if (c->tx == NULL && (c->tx = malloc(CONN_TX_MAX)) == NULL)
		return done ? (int)done : MBEDTLS_ERR_NET_SEND_FAILED;
	size_t n = CONN_TX_MAX - c->tx_len;
	if (n > len - done)
		n = len - done;
	if (n == 0 && done == 0)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	memcpy(c->tx + c->tx_len, buf + done, n);
	c->tx_len += n;
	start_write(c);
	return (int)(done + n);
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	size_t avail = c->rx_len - c->rx_off;
	if (avail == 0)
		return c->eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;
	if (len > avail)
		len = avail;
	memcpy(buf, c->rx + c->rx_off, len);
	c->rx_off += len;
	if (c->rx_off == c->rx_len)
		c->rx_off = c->rx_len = 0;
	return (int)len;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;
	(void)suggested;
	if (c->rx_off > 0) {
		memmove(c->rx, c->rx + c->rx_off, c->rx_len - c->rx_off);
		c->rx_len -= c->rx_off;
		c->rx_off = 0;
	}
	*buf = uv_buf_init((char *)c->rx + c->rx_len, (unsigned)(CONN_RX_MAX - c->rx_len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	(void)buf;
	if (nread == UV_ENOBUFS) {
		uv_read_stop(s);
		c->reading = false;
		return;
	}
	if (nread < 0) {
		uv_read_stop(s);
		c->reading = false;
		c->eof = true;
	} else {
		c->rx_len += (size_t)nread;
	}
	conn_run(c);
}

/* Reads while rx has room and the peer has not finished; libuv holds off otherwise. */
static void update_reading(struct conn *c)
{
	bool want = !c->eof && c->rx_len - c->rx_off < CONN_RX_MAX;
	if (want && !c->reading) {
		if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
			conn_close(c);
			return;
		}
		c->reading = true;
	} else if (!want && c->reading) {
		uv_read_stop((uv_stream_t *)&c->tcp);
		c->reading = false;
	}
}

/* ---- TLS: the certificate by name ---- */

int httpsd_conn_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct httpsd_worker *w = arg;
	struct conn *c = ssl->p_bio;
	char text[CERT_HOST_MAX + 2], host[CERT_HOST_MAX + 1];
	c->sni_tried = true;
	if (len == 0 || len > CERT_HOST_MAX + 1 || memchr(name, 0, len))
		return -1;
	if (c->alpn) {
		if (alpn_cert_use(c->alpn, ssl, name, len) != 0)
			return -1;
		snprintf(c->sni, sizeof(c->sni), "%s", c->alpn->host);
		return 0;
	}
	memcpy(text, name, len);
	text[len] = '\0';
	/* Only mta-sts names are served: no other certificate is ever shown. */
	if (cert_host_norm(text, host) != 0 ||
	    strncmp(host, ROUTE_HOST_PREFIX, strlen(ROUTE_HOST_PREFIX)) != 0)
		return -1;
	struct certs_pair *p = certs_get(w->env->certs, host);
	if (p == NULL)
		return -1;
	certs_release(w->env->certs, c->pair);
	c->pair = p;
	snprintf(c->sni, sizeof(c->sni), "%s", host);
	return mbedtls_ssl_set_hs_own_cert(ssl, &p->chain, &p->key) == 0 ? 0 : -1;
}

/* ---- HTTP ---- */

/* Copies n bytes for a log line: printable ASCII only, cut at LOG_FIELD_MAX. */
static const char *clean(char *out, const char *p, size_t n)
{
	size_t k = 0;
	if (p == NULL || n == 0)
		return "-";
	for (size_t i = 0; i < n && k < LOG_FIELD_MAX; i++)
		out[k++] = p[i] > 0x20 && p[i] < 0x7f ? p[i] : '?';
	out[k] = '\0';
	return out;
}

static void log_access(struct conn *c, const struct http_req *req, int status, size_t bytes)
{
	char host[LOG_FIELD_MAX + 1], method[LOG_FIELD_MAX + 1], path[LOG_FIELD_MAX + 1];
	if (!c->w->env->lim.access_log)
		return;
	const char *h = req && req->host.len ? clean(host, req->host.p, req->host.len)
	                                     : clean(host, c->sni, strlen(c->sni));
	log_info("access: %s %s %s %s %d %zu", c->peer_text, h,
	 req ? clean(method, req->method_text.p, req->method_text.len) : "-",
	 req ? clean(path, req->path.p, req->path.len) : "-", status, bytes);
}

/* Queues answer a (its body copied) and moves on to ST_RESPOND; end bytes of c->req were the
 * head. head: a HEAD request (no body sent). req: for the access log, or NULL. */
static void respond(struct conn *c, const struct route_answer *a, bool close, bool head,
                    const struct http_req *req)
{
	struct httpsd_worker *w = c->w;
	size_t blen = head ? 0 : a->body_len;
	char hbuf[HTTP_MAX_HEAD_OUT];
	struct http_head h = { .status = a->status, .content_type = a->content_type,
	                       .content_length = a->body_len, .allow = a->allow,
	                       .date = httpsd_worker_date(w), .close = close };
	size_t hlen = http_format_head(hbuf, sizeof(hbuf), &h);
	c->resp = malloc(hlen + blen);
	if (c->resp) {
		memcpy(c->resp, hbuf, hlen);
		if (blen)
			memcpy(c->resp + hlen, a->body, blen);   /* borrowed: copy */
	}
	log_access(c, req, a->status, blen);
	counters_status(&w->count, a->status);
	if (c->resp == NULL)
		COUNT(w->count.errors[ERR_MEMORY]);
	if (c->resp == NULL || hlen == 0) {
		conn_close(c);
		return;
	}
	c->resp_len = hlen + blen;
	c->resp_off = 0;
	c->close_after = close;
	c->state = ST_RESPOND;
	arm(c, w->env->lim.idle_ms);
}

/* Drops the head of end bytes (0: all) from c->req; pipelined bytes after it wait. */
static void consume(struct conn *c, size_t end)
{
	if (end > 0 && end <= c->req_len) {
		memmove(c->req, c->req + end, c->req_len - end);
		c->req_len -= end;
	} else {
		c->req_len = 0;
	}
	memset(&c->scan, 0, sizeof(c->scan));
}

/* The report's body starts: what came with the head is its first part. */
static void start_body(struct conn *c, size_t end, const struct http_req *req)
{
	size_t need = (size_t)req->content_length;
	if ((c->body = malloc(need)) == NULL) {
		COUNT(c->w->count.errors[ERR_MEMORY]);
		conn_close(c);
		return;
	}
	c->body_need = need;
	c->body_len = c->req_len - end < need ? c->req_len - end : need;
	memcpy(c->body, c->req + end, c->body_len);
	consume(c, end + c->body_len);
	c->body_close = req->close || c->w->t.stopping;
	c->domain = c->sni + strlen(ROUTE_HOST_PREFIX);
	c->state = ST_BODY;
	arm(c, c->w->env->lim.header_ms);
}

/* Makes the answer to the head in req[0..end) (or to a limit hit: end 0, status given). */
static void answer(struct conn *c, size_t end, int status)
{
	struct httpsd_worker *w = c->w;
	struct httpsd_env *env = w->env;
	struct http_req req;
	struct route_answer a;
	bool txn = false, parsed = false;
	if (status == 0 && (status = http_parse(c->req, end, &req)) == 0)
		parsed = true;
	if (!parsed) {
		route_error(status, &a);
	} else if (!(txn = worker_pool_txn(&w->t))) {
		route_error(503, &a);
	} else if (intake_is(&req)) {
		c->intake = intake_live_get(&env->intake);
		if (route_tlsrpt(&w->t.rt, &req, c->sni, &c->intake, &a) == 0) {
			if (intake_rate_take(&env->rate, (const struct sockaddr *)&c->peer,
			                     (int64_t)time(NULL))) {
				worker_pool_txn_done(&w->t);
				start_body(c, end, &req);
				return;
			}
			route_error(429, &a);
			a.close = true;       /* its body is not read */
		}
	} else {
		route_request(&w->t.rt, &req, c->sni, env->lim.max_body, &a);
	}
	bool close = a.close || !parsed || req.close || w->t.stopping;
	respond(c, &a, close, parsed && req.method == HTTP_HEAD, parsed ? &req : NULL);
	if (txn)
		worker_pool_txn_done(&w->t);    /* after respond(): a.body is borrowed from it */
	if (!c->closing)
		consume(c, end);
}

/* ---- POST /tlsrpt: the body, then the disk work off the loop ---- */

/* The report is back from the queue (checked, and synced when it passed); on c's loop, or on
 * the main thread after the loop ended (mailbox_drain()), when c is closing. */
void httpsd_conn_report_back(struct mailbox_item *it)
{
	struct conn *c = (struct conn *)((char *)it - offsetof(struct conn, job.item));
	free(c->body);
	c->body = NULL;
	if (!c->closing) {
		static const char ok[] = "OK\n";
		char text[INTAKE_WHY_MAX + 1];
		struct route_answer a;
		int st = c->job.status;
		route_error(st, &a);
		if (st == 200) {
			a.body = (const uint8_t *)ok;
			a.body_len = sizeof(ok) - 1;
		} else if (c->job.why[0]) {
			int n = snprintf(text, sizeof(text), "%s\n", c->job.why);
			a.body = (const uint8_t *)text;
			a.body_len = n > 0 && (size_t)n < sizeof(text) ? (size_t)n : strlen(text);
		}
		/* The whole body was read: the stream is at a request boundary again. */
		a.close = st >= 500;
		struct http_req req = { .method_text = { "POST", 4 },
		                        .path = { INTAKE_PATH, strlen(INTAKE_PATH) } };
		respond(c, &a, a.close || c->body_close || c->w->t.stopping, false, &req);
		if (!c->closing)
			conn_run(c);
	}
	release(c);
}

static bool step_body(struct conn *c)
{
	if (c->body_len == c->body_need) {
		uv_timer_stop(&c->timer);      /* the sender waits for the disk, not the other way */
		c->state = ST_WORK;
		c->handles++;                  /* the job holds c until it comes back */
		c->job.back = &c->w->reports;
		c->job.s = &c->intake;
		c->job.domain = c->domain;
		c->job.body = c->body;
		c->job.len = c->body_len;
		intake_queue_submit(c->w->env->queue, &c->job);
		return false;
	}
	int n = mbedtls_ssl_read(&c->ssl, c->body + c->body_len, c->body_need - c->body_len);
	if (n > 0) {
		c->body_len += (size_t)n;
		return true;
	}
	if (n == MBEDTLS_ERR_SSL_WANT_WRITE || (n == MBEDTLS_ERR_SSL_WANT_READ && !c->eof))
		return false;
	if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_WANT_READ ||
	    n == MBEDTLS_ERR_SSL_CONN_EOF) {
		conn_close(c);                 /* the sender gave up mid-body */
		return false;
	}
	COUNT(c->w->count.errors[ERR_TLS]);
	c->state = ST_FLUSH;
	return true;
}

/* ---- the state machine ---- */

/* A ClientHello asking for tls-alpn-01 for a name with a pending entry: the connection moves
 * to the worker's acme-tls/1 configuration, which mbedTLS has not read a byte with yet. Any
 * other goes on unchanged. -1 when the new configuration cannot be set up. */
static int take_alpn(struct conn *c)
{
	struct httpsd_worker *w = c->w;
	char host[CERT_HOST_MAX + 1];
	if (alpn_hello(c->rx + c->rx_off, c->rx_len - c->rx_off, host) != 0 ||
	    !worker_pool_txn(&w->t))
		return 0;
	int rc = alpn_cert_get(&w->t.rt, host, (int64_t)time(NULL), &c->alpn);
	worker_pool_txn_done(&w->t);
	if (rc != 0)
		return 0;
	mbedtls_ssl_free(&c->ssl);
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &w->tls.acme_conf) != 0)
		return -1;
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	return 0;
}

static bool step_hello(struct conn *c)
{
	switch (hello_peek_sni(c->rx + c->rx_off, c->rx_len - c->rx_off)) {
	case HELLO_MORE:
		if (c->eof) {
			COUNT(c->w->count.hs_failed[HS_CLOSED]);
			conn_close(c);
			return false;
		}
		if (c->rx_len - c->rx_off < CONN_RX_MAX)
			return false;
		/* A first record larger than rx: mbedTLS reads it in pieces and decides. */
		/* fall through */
	case HELLO_OTHER:
		c->state = ST_HANDSHAKE;
		return true;
	case HELLO_SNI:
		if (take_alpn(c) != 0) {
			conn_close(c);
			return false;
		}
		c->state = ST_HANDSHAKE;
		return true;
	case HELLO_NO_SNI:
		COUNT(c->w->count.hs_failed[HS_NO_SNI]);
		bio_send(c, hello_alert_unrecognized_name, sizeof(hello_alert_unrecognized_name));
		c->state = ST_FLUSH;
		return true;
	}
	return false;
}

static bool step_handshake(struct conn *c)
{
	if (!c->trusted && !c->turn && defer(c))
		return false;
	int rc = mbedtls_ssl_handshake(&c->ssl);
	if (rc == 0) {
		/* mbedTLS is done with our certificate once the handshake is. */
		certs_release(c->w->env->certs, c->pair);
		c->pair = NULL;
		c->state = ST_REQUEST;
		COUNT(c->w->count.handshakes);
		handshake_over(c);
		if (c->alpn) {
			/* RFC 8737 3: the validation is the handshake; nothing more is said. */
			if (c->w->env->lim.access_log)
				log_info("access: %s %s tls-alpn-01", c->peer_text, c->sni);
			alpn_cert_free(c->alpn);
			c->alpn = NULL;
			c->state = ST_CLOSE_NOTIFY;
			return true;
		}
		/* A stranger's timer ran for its handshake; header-timeout counts from accept. */
		uint64_t header_ms = c->w->env->lim.header_ms, spent = uv_now(&c->w->t.loop) -
		                                                      c->accepted_ms;
		if (!c->trusted)
			arm(c, spent < header_ms ? header_ms - spent : 1);
		return true;
	}
	if (rc == MBEDTLS_ERR_SSL_WANT_WRITE)
		return false;
	if (rc == MBEDTLS_ERR_SSL_WANT_READ && !c->eof)
		return false;
	if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_CONN_EOF) {
		COUNT(c->w->count.hs_failed[HS_CLOSED]);
		conn_close(c);
		return false;
	}
	COUNT(c->w->count.hs_failed[c->sni_tried && !c->sni[0] ? HS_UNKNOWN_NAME : HS_ERROR]);
	c->state = ST_FLUSH;     /* the alert mbedTLS queued goes out, then the connection ends */
	return true;
}

static bool step_request(struct conn *c)
{
	const struct httpsd_limits *lim = &c->w->env->lim;
	if (c->req == NULL && (c->req = malloc(lim->max_header)) == NULL) {
		conn_close(c);
		return false;
	}
	size_t end = http_head_end(c->req, c->req_len, &c->scan);
	if (end > 0) {
		answer(c, end, 0);
		return !c->closing;
	}
	if (c->req_len == lim->max_header) {
		answer(c, 0, 431);
		return !c->closing;
	}
	int n = mbedtls_ssl_read(&c->ssl, (unsigned char *)c->req + c->req_len,
	                         lim->max_header - c->req_len);
	if (n > 0) {
		if (c->idle) {
			c->idle = false;
			arm(c, lim->header_ms);     /* the head has header-timeout from its first byte */
		}
		c->req_len += (size_t)n;
		return true;
	}
	if (n == MBEDTLS_ERR_SSL_WANT_WRITE || (n == MBEDTLS_ERR_SSL_WANT_READ && !c->eof))
		return false;
	if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
		c->state = ST_CLOSE_NOTIFY;
		return true;
	}
	if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_CONN_EOF) {
		conn_close(c);
		return false;
	}
	COUNT(c->w->count.errors[ERR_TLS]);
	c->state = ST_FLUSH;     /* a bad record: mbedTLS queued its alert */
	return true;
}

static bool step_respond(struct conn *c)
{
	const struct httpsd_limits *lim = &c->w->env->lim;
	if (c->resp_off < c->resp_len) {
		int n = mbedtls_ssl_write(&c->ssl, c->resp + c->resp_off, c->resp_len - c->resp_off);
		if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ)
			return false;
		if (n < 0) {
			COUNT(c->w->count.errors[ERR_IO]);
			conn_close(c);
			return false;
		}
		c->resp_off += (size_t)n;
		return true;
	}
	free(c->resp);
	c->resp = NULL;
	if (c->close_after) {
		c->state = ST_CLOSE_NOTIFY;
		return true;
	}
	c->state = ST_REQUEST;
	c->idle = c->req_len == 0;
	arm(c, c->idle ? lim->idle_ms : lim->header_ms);
	return true;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->data;
	if (status < 0)
		conn_close(c);
}

static bool step(struct conn *c)
{
	switch (c->state) {
	case ST_HELLO:
		return step_hello(c);
	case ST_HANDSHAKE:
		return step_handshake(c);
	case ST_REQUEST:
		return step_request(c);
	case ST_BODY:
		return step_body(c);
	case ST_WORK:
		return false;                  /* work_done() comes back */
	case ST_RESPOND:
		return step_respond(c);
	case ST_CLOSE_NOTIFY:
		if (mbedtls_ssl_close_notify(&c->ssl) == MBEDTLS_ERR_SSL_WANT_WRITE)
			return false;
		c->state = ST_FLUSH;
		return true;
	case ST_FLUSH:
		if (c->tx_len > 0)
			return false;   /* on_written comes back here */
		if (c->eof) {
			conn_close(c);
			return false;
		}
		c->state = ST_LINGER;
		c->sd.data = c;
		if (uv_shutdown(&c->sd, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
			conn_close(c);
			return false;
		}
		arm(c, CONN_LINGER_MS);
		return true;
	case ST_LINGER:
		c->rx_off = c->rx_len = 0;
		if (c->eof)
			conn_close(c);
		return false;
	}
	return false;
}

static void conn_run(struct conn *c)
{
	static struct log_limit bug_lines = LOG_LIMIT_INIT(1, 60 * 1000);
	int i = 0;
	while (!c->closing && step(c))
		if (++i == CONN_STEPS_MAX) {
			log_limited(&bug_lines, LOG_LEVEL_ERROR,
			            "%s: connection closed after %d steps in one event (a bug)",
			            c->peer_text, i);
			conn_close(c);
		}
	if (!c->closing)
		update_reading(c);
}

/* ---- accepting ---- */

/* The limiter's verdict on c: 0 to go on, or -1 with c closed (a refusal, logged a few times
 * a second at most). */
static int admit(struct conn *c)
{
	static struct log_limit refusals = LOG_LIMIT_INIT(5, 1000);
	struct sockaddr_storage local;
	int len = sizeof(local);
	bool have_local = uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&local, &len) == 0;
	c->accepted_ms = uv_now(&c->w->t.loop);
	enum limiter_verdict v = limiter_admit(&c->w->env->limiter,
	                                       (const struct sockaddr *)&c->peer,
	                                       have_local ? (const struct sockaddr *)&local : NULL,
	                                       c->accepted_ms);
	c->trusted = v == LIMITER_TRUSTED;
	c->handshaking = v == LIMITER_ADMIT;
	if (v == LIMITER_TRUSTED || v == LIMITER_ADMIT)
		return 0;
	log_limited(&refusals, LOG_LEVEL_NOTICE, "%s: connection closed (%s)", c->peer_text,
	            limiter_reason(v));
	conn_close(c);
	return -1;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct httpsd_worker *w = server->data;
	struct httpsd_env *env = w->env;
	if (status < 0)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->w = w;
	c->handles = 2;
	if (worker_pool_accept(&w->t, server, &c->tcp, &c->timer, c, &c->peer) != 0) {
		conn_close(c);
		return;
	}
	const struct sockaddr *a = (const struct sockaddr *)&c->peer;
	daemon_peer_text(a, c->peer_text);
	/* Over a limit: closed before any TLS work or memory is spent on it. Trusted clients
	 * are not counted: this host's publish step opens fetch-concurrency connections. */
	struct sockaddr_storage local;
	int llen = sizeof(local);
	bool have_local = uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&local, &llen) == 0;
	bool trust = limiter_trusted(&env->limiter, a,
	                             have_local ? (const struct sockaddr *)&local : NULL);
	if (w->t.stopping || (!trust && !clients_add(&env->clients, a))) {
		COUNT(w->count.refused);
		conn_close(c);
		return;
	}
	c->counted = !trust;
	if (admit(c) != 0)
		return;
	COUNT(w->count.accepted);
	worker_pool_conn_add(&w->t, &c->link, close_link);
	mbedtls_ssl_init(&c->ssl);
	c->ssl_ready = true;
	if (mbedtls_ssl_setup(&c->ssl, &w->tls.conf) != 0) {
		conn_close(c);
		return;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	uv_tcp_nodelay(&c->tcp, 1);
	c->state = ST_HELLO;
	/* The handshake and the first head share header-timeout; a stranger's handshake alone
	 * has handshake-timeout. */
	uint64_t ms = env->lim.header_ms, hs_ms = limiter_handshake_ms(&env->limiter);
	arm(c, c->trusted || hs_ms >= ms ? ms : hs_ms);
	update_reading(c);
}

int httpsd_conn_listen(struct httpsd_worker *w, size_t i)
{
	uv_tcp_t *h = &w->tcp[i];
	int rc;
	if (!w->deferred_ok) {
		if ((rc = uv_idle_init(&w->t.loop, &w->deferred_idle)) != 0)
			return rc;
		w->deferred_idle.data = w;
		w->deferred_ok = true;
	}
	if ((rc = uv_tcp_init(&w->t.loop, h)) != 0)
		return rc;
	if ((rc = uv_tcp_open(h, w->fd[i])) != 0)
		return rc;
	w->fd[i] = -1;          /* libuv owns it now */
	h->data = w;
	return uv_listen((uv_stream_t *)h, CONN_BACKLOG, on_connection);
}
