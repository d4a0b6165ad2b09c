/* The API's connections: read a head (bounded), then a body of Content-Length (bounded by
 * api.max-body: 413 before it is read), answer, keep alive; timers close slow clients. With
 * TLS, ciphertext goes through mbedTLS in memory: what it sends is collected and written with
 * one uv_write, so mbedtls_ssl_* never waits for the socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "httpsd/api/api_counters.h"
#include "httpsd/api/api_group.h"
#include "httpsd/api/api_server.h"
#include "shared/util/addr.h"
#include "shared/util/log.h"

enum conn_state { READ_HEAD, READ_BODY, QUEUED, WAITING, WRITING, CLOSING };

struct api_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	struct api_server *s;
	struct api_conn *next, *prev;
	struct api_conn *next_queued;    /* QUEUED: the next write of the group */
	struct sockaddr_storage peer;
	enum conn_state state;
	int open_handles;
	char *buf;                       /* max_header bytes: the head, then what follows it */
	size_t len, consumed;            /* bytes in buf; bytes of buf the request took */
	struct http_scan scan;
	char *body;
	size_t body_len, body_need;
	bool close_after;
	struct api_req req;
	struct api_call call;
	struct api_reply reply;
	char head[API_HEAD_MAX];
	/* TLS only */
	bool tls, handshaken;
	mbedtls_ssl_context ssl;
	char cipher[API_TLS_IN];         /* read, not yet taken by mbedTLS: [cpos, cin) */
	size_t cpos, cin;
	char *out;                       /* written by mbedTLS, not yet handed to libuv */
	size_t outlen, outcap;
};

/* One uv_write of TLS output; the answer's last one finishes the request (final). */
struct tls_write {
	uv_write_t req;
	struct api_conn *c;
	bool final;
	char data[];
};

static void process(struct api_conn *c);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b);
static void tls_pump(struct api_conn *c);
static void written(struct api_conn *c, int status);

static void on_closed(uv_handle_t *h)
{
	struct api_conn *c = h->data;
	if (--c->open_handles > 0)
		return;
	api_reply_free(&c->reply);
	if (c->tls)
		mbedtls_ssl_free(&c->ssl);
	free(c->out);
	free(c->buf);
	free(c->body);
	free(c);
}

static void unqueue(struct api_conn *c)
{
	for (struct api_conn **p = &c->s->queued; *p; p = &(*p)->next_queued)
		if (*p == c) {
			*p = c->next_queued;
			c->s->nqueued--;
			return;
		}
}

static void conn_close(struct api_conn *c)
{
	if (c->state == CLOSING)
		return;
	if (c->state == QUEUED)
		unqueue(c);
	c->state = CLOSING;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->s->nconns--;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_closed);
	uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_timeout(uv_timer_t *t);
static void on_group(uv_check_t *h);

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct api_conn *c = h->data;
	(void)hint;
	if (c->tls) {
		if (c->cpos == c->cin)
			c->cpos = c->cin = 0;
		*b = uv_buf_init(c->cipher + c->cin, (unsigned)(sizeof(c->cipher) - c->cin));
	} else if (c->state == READ_BODY)
		*b = uv_buf_init(c->body + c->body_len, (unsigned)(c->body_need - c->body_len));
	else
		*b = uv_buf_init(c->buf + c->len, (unsigned)(c->s->lim.max_header - c->len));
}

static void written(struct api_conn *c, int status)
{
	if (c->state == CLOSING)
		return;
	api_reply_free(&c->reply);
	free(c->body);
	c->body = NULL;
	c->body_len = c->body_need = 0;
	if (status < 0 || c->close_after || c->s->stopping) {
		conn_close(c);
		return;
	}
	/* What came after this request (pipelining) is the start of the next one. */
	memmove(c->buf, c->buf + c->consumed, c->len - c->consumed);
	c->len -= c->consumed;
	c->consumed = 0;
	memset(&c->scan, 0, sizeof(c->scan));
	c->state = READ_HEAD;
	uv_timer_start(&c->timer, on_timeout, c->len ? c->s->lim.header_ms : c->s->lim.idle_ms, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
		conn_close(c);
		return;
	}
	if (c->len)
		process(c);
	if (c->tls && (c->state == READ_HEAD || c->state == READ_BODY))
		tls_pump(c);     /* mbedTLS may hold plaintext already read */
}

static void on_written(uv_write_t *w, int status)
{
	written(w->data, status);
}

static void on_tls_written(uv_write_t *w, int status)
{
	struct tls_write *t = (struct tls_write *)w;
	struct api_conn *c = t->c;
	bool final = t->final;
	free(t);
	if (final)
		written(c, status);
	else if (status < 0)
		conn_close(c);
}

/* Hands what mbedTLS wrote to libuv; final: it ends the answer. Returns 0 or -1 (closed). */
static int tls_flush(struct api_conn *c, bool final)
{
	if (c->outlen == 0 && !final)
		return 0;
	struct tls_write *t = malloc(sizeof(*t) + c->outlen);
	if (t == NULL) {
		conn_close(c);
		return -1;
	}
	t->c = c;
	t->final = final;
	memcpy(t->data, c->out, c->outlen);
	uv_buf_t b = uv_buf_init(t->data, (unsigned)c->outlen);
	c->outlen = 0;
	if (uv_write(&t->req, (uv_stream_t *)&c->tcp, &b, 1, on_tls_written) != 0) {
		free(t);
		conn_close(c);
		return -1;
	}
	return 0;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct api_conn *c = ctx;
	if (c->outlen + len > c->outcap) {
		size_t cap = (c->outlen + len) * 2;
		char *p = realloc(c->out, cap);
		if (p == NULL)
			return MBEDTLS_ERR_SSL_ALLOC_FAILED;
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	return (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct api_conn *c = ctx;
	size_t n = c->cin - c->cpos;
	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	memcpy(buf, c->cipher + c->cpos, n);
	c->cpos += n;
	return (int)n;
}

/* Writes all of p through TLS into c->out. Returns 0 or -1. */
static int tls_write_all(struct api_conn *c, const char *p, size_t len)
{
	while (len) {
		int n = mbedtls_ssl_write(&c->ssl, (const unsigned char *)p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void respond(struct api_conn *c)
{
	uv_buf_t b[2];
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	api_counters_request(c->s->env->counters, &c->req, c->reply.status);
	size_t hl = api_reply_head(&c->reply, c->close_after, c->head, sizeof(c->head));
	if (hl == 0) {
		conn_close(c);
		return;
	}
	b[0] = uv_buf_init(c->head, (unsigned)hl);
	b[1] = uv_buf_init(c->reply.body, (unsigned)c->reply.len);
	unsigned nb = c->req.method == API_HEAD || c->reply.len == 0 ? 1 : 2;
	c->state = WRITING;
	c->wr.data = c;
	/* A client that does not read its answer still has the idle time, then goes. */
	uv_timer_start(&c->timer, on_timeout, c->s->lim.idle_ms, 0);
	if (c->tls) {
		if (tls_write_all(c, b[0].base, b[0].len) != 0 ||
		    (nb == 2 && tls_write_all(c, b[1].base, b[1].len) != 0))
			conn_close(c);
		else
			tls_flush(c, true);
		return;
	}
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, b, nb, on_written) != 0)
		conn_close(c);
}

/* Answers status with a one-line reason and closes after it: the stream may be out of step. */
static void refuse(struct api_conn *c, int status, const char *why)
{
	c->close_after = true;
	api_reply_error(&c->reply, status, "%s", why);
	respond(c);
}

/* The answer now, or with ?wait= later. */
static void answer(struct api_conn *c)
{
	if (c->call.wait) {
		c->state = WAITING;
		uv_timer_start(&c->timer, on_timeout, API_WAIT_POLL_MS, API_WAIT_POLL_MS);
		return;
	}
	respond(c);
}

/* The oldest API_GROUP_MAX queued writes, in arrival order, answered as one group. */
static void group_once(struct api_server *s)
{
	struct api_conn *c, *conns[API_GROUP_MAX];
	struct api_call *calls[API_GROUP_MAX];
	struct api_reply *replies[API_GROUP_MAX];
	size_t n = s->nqueued, skip = n > API_GROUP_MAX ? n - API_GROUP_MAX : 0, k = 0;
	struct api_conn **link = &s->queued;     /* newest first */
	for (size_t i = 0; i < skip; i++)
		link = &(*link)->next_queued;
	n -= skip;
	for (c = *link; c; c = c->next_queued, k++) {
		conns[n - 1 - k] = c;
		calls[n - 1 - k] = &c->call;
		replies[n - 1 - k] = &c->reply;
		c->call.now = (int64_t)time(NULL);
	}
	*link = NULL;
	s->nqueued = skip;
	api_group_run(calls, replies, n, s->env->counters);
	for (size_t i = 0; i < n; i++)
		answer(conns[i]);
}

/* After the loop's poll: every write that became ready in it. */
static void on_group(uv_check_t *h)
{
	struct api_server *s = h->data;
	uv_check_stop(h);
	while (s->nqueued)
		group_once(s);
}

static void dispatch(struct api_conn *c)
{
	uv_read_stop((uv_stream_t *)&c->tcp);
	uv_timer_stop(&c->timer);
	c->close_after = c->req.h.close;
	memset(&c->call, 0, sizeof(c->call));
	c->call.env = c->s->env;
	c->call.req = &c->req;
	c->call.body = c->body;
	c->call.body_len = c->body_len;
	c->call.peer = (const struct sockaddr *)&c->peer;
	c->call.now = (int64_t)time(NULL);
	memset(&c->reply, 0, sizeof(c->reply));
	if (c->req.method != API_GET && c->req.method != API_HEAD && !c->s->stopping) {
		/* A write waits for the others ready in this turn of the loop: one group commit. */
		c->state = QUEUED;
		c->next_queued = c->s->queued;
		c->s->queued = c;
		if (c->s->nqueued++ == 0)
			uv_check_start(&c->s->group, on_group);
		return;
	}
	api_route(&c->call, &c->reply);
	answer(c);
}

static void on_timeout(uv_timer_t *t)
{
	struct api_conn *c = t->data;
	if (c->state == WAITING) {
		c->call.now = (int64_t)time(NULL);
		if (api_route_wait(&c->call, &c->reply))
			respond(c);
		return;
	}
	conn_close(c);     /* too slow a head or body, or idle too long */
}

static void process(struct api_conn *c)
{
	size_t hl = http_head_end(c->buf, c->len, &c->scan);
	if (hl == 0) {
		if (c->len >= c->s->lim.max_header)
			refuse(c, 431, "request head over api.max-header-size");
		return;
	}
	int rc = api_request_parse(c->buf, hl, &c->req);
	if (rc) {
		c->req.path[0] = 0;     /* counted as "other", not as the last request's kind */
		refuse(c, rc, rc == 431 ? "too many header fields" : "malformed request head");
		return;
	}
	if (!c->req.h.length_known) {
		refuse(c, 411, "a body needs Content-Length (no chunked bodies)");
		return;
	}
	if (c->req.h.content_length > c->s->lim.max_body) {
		char why[128];
		snprintf(why, sizeof(why), "body over api.max-body (%zu bytes)", c->s->lim.max_body);
		refuse(c, 413, why);
		return;
	}
	size_t need = (size_t)c->req.h.content_length, extra = c->len - hl;
	c->consumed = hl;
	if (need) {
		size_t take = extra < need ? extra : need;
		if ((c->body = malloc(need)) == NULL) {
			refuse(c, 503, "out of memory");
			return;
		}
		memcpy(c->body, c->buf + hl, take);
		c->body_len = take;
		c->body_need = need;
		c->consumed += take;
		if (take < need) {
			c->state = READ_BODY;
			if (c->req.expect_continue) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
				uv_buf_t b = uv_buf_init((char *)cont, sizeof(cont) - 1);
				if (!c->tls)
					uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
				else if (tls_write_all(c, cont, sizeof(cont) - 1) == 0)
					tls_flush(c, false);
			}
			return;
		}
	}
	dispatch(c);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
	struct api_conn *c = st->data;
	(void)b;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	if (c->tls) {
		c->cin += (size_t)nread;
		tls_pump(c);
		return;
	}
	if (c->state == READ_BODY) {
		c->body_len += (size_t)nread;
		if (c->body_len == c->body_need)
			dispatch(c);
		return;
	}
	if (c->state != READ_HEAD)
		return;
	if (c->len == 0)     /* the first byte of a request: the head has header-timeout */
		uv_timer_start(&c->timer, on_timeout, c->s->lim.header_ms, 0);
	c->len += (size_t)nread;
	process(c);
}

/* The handshake, then plaintext into the head or the body, as far as mbedTLS has it. */
static void tls_pump(struct api_conn *c)
{
	if (!c->handshaken) {
		int rc = mbedtls_ssl_handshake(&c->ssl);
		if (tls_flush(c, false) != 0)
			return;
		if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
			return;
		if (rc) {
			conn_close(c);
			return;
		}
		c->handshaken = true;
	}
	while (c->state == READ_HEAD || c->state == READ_BODY) {
		bool head = c->state == READ_HEAD;
		size_t room = head ? c->s->lim.max_header - c->len : c->body_need - c->body_len;
		if (room == 0) {
			process(c);     /* a full head buffer: 431 */
			return;
		}
		int n = mbedtls_ssl_read(&c->ssl, (unsigned char *)(head ? c->buf + c->len
		                                                          : c->body + c->body_len), room);
		if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE)
			return;
		if (n <= 0) {
			conn_close(c);     /* close_notify, EOF or a TLS error */
			return;
		}
		if (head) {
			if (c->len == 0)
				uv_timer_start(&c->timer, on_timeout, c->s->lim.header_ms, 0);
			c->len += (size_t)n;
			process(c);
		} else if ((c->body_len += (size_t)n) == c->body_need) {
			dispatch(c);
		}
	}
}

static size_t same_address(struct api_server *s, const struct sockaddr *peer)
{
	uint8_t a[16] = { 0 }, b[16];
	size_t al = addr_bytes(peer, a), n = 0;
	for (struct api_conn *c = s->conns; c; c = c->next) {
		memset(b, 0, sizeof(b));
		if (addr_bytes((const struct sockaddr *)&c->peer, b) == al && memcmp(a, b, al) == 0)
			n++;
	}
	return n;
}

static void on_connection(uv_stream_t *server, int status)
{
	struct api_server *s = server->data;
	if (status < 0)
		return;
	struct api_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->buf = malloc(s->lim.max_header)) == NULL) {
		free(c);
		return;     /* the kernel keeps it queued; the next accept takes it */
	}
	c->s = s;
	uv_tcp_init(s->loop, &c->tcp);
	uv_timer_init(s->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	int len = sizeof(c->peer);
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&c->peer, &len) != 0 ||
	    s->nconns > s->lim.max_conns ||
	    same_address(s, (const struct sockaddr *)&c->peer) > s->lim.max_per_address) {
		conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (s->tls) {
		c->tls = true;
		mbedtls_ssl_init(&c->ssl);
		if (mbedtls_ssl_setup(&c->ssl, &s->tls->conf) != 0) {
			conn_close(c);
			return;
		}
		mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	}
	/* A TLS handshake has the time of a head. */
	uv_timer_start(&c->timer, on_timeout, s->tls ? s->lim.header_ms : s->lim.idle_ms, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

/* Stops accepting; SIGTERM and SIGINT close every connection now. SIGHUP (a reload: the next
 * API process already listens on the same sockets) lets each connection finish the request it
 * has begun: idle ones close now, ?wait= ones are answered now with the state they have, the
 * others close after their answer (written()) or at their timeout. The loop ends with the
 * last one. */
static void on_signal(uv_signal_t *h, int sig)
{
	struct api_server *s = h->data;
	if (s->stopping)
		return;
	s->stopping = true;
	for (size_t i = 0; i < s->ntcp; i++)
		uv_close((uv_handle_t *)&s->tcp[i], NULL);
	uv_close((uv_handle_t *)&s->group, NULL);
	for (size_t i = 0; i < API_SIGNALS; i++)
		uv_close((uv_handle_t *)&s->sig[i], NULL);
	struct api_conn *c = s->conns, *next;
	for (; c; c = next) {
		next = c->next;
		if (sig != SIGHUP || (c->state == READ_HEAD && c->len == 0)) {
			conn_close(c);
		} else if (c->state == QUEUED) {
			unqueue(c);
			api_route(&c->call, &c->reply);     /* alone: the group's handle is closing */
			answer(c);
		} else if (c->state == WAITING) {
			c->call.wait_until = c->call.now = (int64_t)time(NULL);
			api_route_wait(&c->call, &c->reply);
			respond(c);
		}
	}
	if (sig == SIGHUP)
		log_notice("api: API process %d finishes %zu connection%s and ends (SIGHUP)",
		           (int)getpid(), s->nconns, s->nconns == 1 ? "" : "s");
}

int api_server_run(struct api_server *s, struct api_env *env, const int *fds, size_t n)
{
	s->env = env;
	s->loop = uv_default_loop();
	for (size_t i = 0; i < n; i++) {
		uv_tcp_init(s->loop, &s->tcp[i]);
		s->tcp[i].data = s;
		s->ntcp++;
		int rc = uv_tcp_open(&s->tcp[i], fds[i]);
		if (rc == 0)
			rc = uv_listen((uv_stream_t *)&s->tcp[i], API_BACKLOG, on_connection);
		if (rc) {
			log_error("api: cannot listen: %s", uv_strerror(rc));
			return -1;
		}
	}
	uv_check_init(s->loop, &s->group);
	s->group.data = s;
	int sigs[API_SIGNALS] = { SIGTERM, SIGINT, SIGHUP };
	for (size_t i = 0; i < API_SIGNALS; i++) {
		uv_signal_init(s->loop, &s->sig[i]);
		s->sig[i].data = s;
		uv_signal_start(&s->sig[i], on_signal, sigs[i]);
	}
	uv_run(s->loop, UV_RUN_DEFAULT);
	uv_loop_close(s->loop);
	return 0;
}
