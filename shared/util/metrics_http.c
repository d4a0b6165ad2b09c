/* A tiny HTTP/1.1 server for GET /metrics: one request, one answer, close. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "shared/util/metrics_http.h"

struct metrics_http_conn {
	struct metrics_http_conn *next, **prevp;
	struct metrics_http *m;
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	uv_shutdown_t sd;
	char req[METRICS_HTTP_MAX_REQUEST];
	size_t len;
	bool answered, writing, closing;
	int handles;
	char head[256];                  /* the answer's head */
	struct metrics_buf page;         /* its body, for 200 */
};

/* The end of the head (the byte after its empty line), or 0. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* RFC 9110 5.6.2: a token's characters. */
static bool token(const char *p, size_t n)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != 0 && strchr(extra, c))))
			return false;
	}
	return true;
}

static bool is(const char *p, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(p, word, n) == 0;
}

int metrics_http_parse(const char *buf, size_t len, bool *head)
{
	*head = false;
	if (len > METRICS_HTTP_MAX_REQUEST)
		len = METRICS_HTTP_MAX_REQUEST;
	if (head_end(buf, len) == 0)
		return len == METRICS_HTTP_MAX_REQUEST ? 431 : 0;
	const char *eol = memchr(buf, '\n', len);
	size_t line = (size_t)(eol - buf);
	if (line > 0 && buf[line - 1] == '\r')
		line--;
	/* METHOD SP TARGET SP VERSION, nothing else. */
	const char *sp1 = memchr(buf, ' ', line);
	const char *target = sp1 ? sp1 + 1 : NULL;
	const char *sp2 = target ? memchr(target, ' ', line - (size_t)(target - buf)) : NULL;
	if (sp2 == NULL || !token(buf, (size_t)(sp1 - buf)) || sp2 == target)
		return 400;
	const char *version = sp2 + 1;
	size_t vlen = line - (size_t)(version - buf), tlen = (size_t)(sp2 - target);
	if (vlen < 5 || memcmp(version, "HTTP/", 5) != 0 || memchr(version, ' ', vlen))
		return 400;
	if (!is(version, vlen, "HTTP/1.1") && !is(version, vlen, "HTTP/1.0"))
		return 505;
	size_t mlen = (size_t)(sp1 - buf);
	if (is(buf, mlen, "HEAD"))
		*head = true;
	else if (!is(buf, mlen, "GET"))
		return 405;
	const char *q = memchr(target, '?', tlen);
	size_t plen = q ? (size_t)(q - target) : tlen;
	return is(target, plen, METRICS_HTTP_PATH) ? 200 : 404;
}

/* ---- connections ---- */

static void on_closed(uv_handle_t *h)
{
	struct metrics_http_conn *c = h->data;
	if (--c->handles > 0)
		return;
	metrics_buf_free(&c->page);
	free(c);
}

static void conn_close(struct metrics_http_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	*c->prevp = c->next;
	if (c->next)
		c->next->prevp = c->prevp;
	c->m->nconns--;
	uv_close((uv_handle_t *)&c->timer, on_closed);
	uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_timer(uv_timer_t *t)
{
	conn_close(t->data);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct metrics_http_conn *c = h->data;
	(void)suggested;
	if (c->answered)          /* draining: the bytes land where the request was */
		c->len = 0;
	*buf = uv_buf_init(c->req + c->len, (unsigned)(sizeof(c->req) - c->len));
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct metrics_http_conn *c = req->data;
	if (status < 0)
		conn_close(c);
}

static void on_written(uv_write_t *req, int status)
{
	struct metrics_http_conn *c = req->data;
	c->writing = false;
	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c);
		return;
	}
	c->m->served++;
	/* Shut our side, then read until the client closes, so that closing does not reset the
	 * answer away; the linger timer ends it otherwise. */
	c->sd.data = c;
	if (uv_shutdown(&c->sd, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timer, METRICS_HTTP_LINGER_MS, 0);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

static void answer(struct metrics_http_conn *c, int status, bool head_only)
{
	const char *body;
	size_t blen;
	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if (status == 200 && (c->m->render(c->m->arg, &c->page) != 0 || metrics_buf_error(&c->page)))
		status = 500;
	if (status == 200) {
		body = c->page.p ? c->page.p : "";
		blen = c->page.len;
	} else {
		body = reason(status);
		blen = strlen(body);
	}
	int n = snprintf(c->head, sizeof(c->head),
	                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
	                 "Cache-Control: no-store\r\nConnection: close\r\n\r\n", status,
	                 reason(status),
	                 status == 200 ? METRICS_CONTENT_TYPE : "text/plain; charset=utf-8", blen,
	                 status == 405 ? "Allow: GET, HEAD\r\n" : "");
	uv_buf_t b[2] = { uv_buf_init(c->head, (unsigned)n), uv_buf_init((char *)body, (unsigned)blen) };
	c->wr.data = c;
	/* A clock of its own for sending: the request's, run out while the page was made, would
	 * close the connection halfway through a large page. */
	uv_timer_start(&c->timer, on_timer, METRICS_HTTP_WRITE_MS, 0);
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, b, head_only ? 1 : 2, on_written) != 0) {
		conn_close(c);
		return;
	}
	c->writing = true;
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);     /* drain; EOF closes */
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct metrics_http_conn *c = s->data;
	bool head;
	(void)buf;
	if (nread < 0) {
		/* Before the answer: the client went away; after: it read it and closed. */
		if (!c->answered || !c->writing)
			conn_close(c);
		else
			uv_read_stop(s);
		return;
	}
	if (c->answered)
		return;
	c->len += (size_t)nread;
	int status = metrics_http_parse(c->req, c->len, &head);
	if (status)
		answer(c, status, head);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct metrics_http *m = server->data;
	if (status < 0)
		return;
	struct metrics_http_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return;
	c->m = m;
	c->handles = 2;
	uv_tcp_init(m->loop, &c->tcp);
	uv_timer_init(m->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->next = m->conns;
	if (c->next)
		c->next->prevp = &c->next;
	c->prevp = &m->conns;
	m->conns = c;
	m->nconns++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
		conn_close(c);
		return;
	}
	if (m->nconns > METRICS_HTTP_MAX_CONNS) {
		m->refused++;
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timer, METRICS_HTTP_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

/* ---- listeners ---- */

static int bind_one(const struct daemon_addr *a)
{
	int one = 1;
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (a->ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int metrics_http_addrs(const char *list, const char *option, const char *file,
                       struct daemon_addr out[DAEMON_MAX_LISTEN], size_t *n)
{
	struct daemon_args none = { 0 };
	*n = 0;
	if (list == NULL || list[strspn(list, " \t")] == '\0')
		return 0;
	return daemon_listen(&none, list, option, file, out, n);
}

int metrics_http_bind(struct metrics_http *m, const struct daemon_addr *a, size_t n, char *err,
                      size_t errlen)
{
	m->n = 0;
	for (size_t i = 0; i < n && i < DAEMON_MAX_LISTEN; i++) {
		int fd = bind_one(&a[i]);
		if (fd < 0) {
			snprintf(err, errlen, "cannot bind metrics-listen %s: %s", a[i].text,
			         strerror(-fd));
			metrics_http_close(m);
			return fd;
		}
		m->fd[m->n++] = fd;
	}
	return 0;
}

int metrics_http_start(struct metrics_http *m, uv_loop_t *loop,
                       int (*render)(void *arg, struct metrics_buf *b), void *arg)
{
	m->loop = loop;
	m->render = render;
	m->arg = arg;
	for (size_t i = 0; i < m->n; i++) {
		uv_tcp_t *h = &m->tcp[i];
		int rc = uv_tcp_init(loop, h);
		if (rc)
			return rc;
		m->nopen++;
		h->data = m;
		if ((rc = uv_tcp_open(h, m->fd[i])) != 0)
			return rc;
		m->fd[i] = -1;         /* libuv owns it now */
		if ((rc = uv_listen((uv_stream_t *)h, SOMAXCONN, on_connection)) != 0)
			return rc;
	}
	return 0;
}

void metrics_http_close(struct metrics_http *m)
{
	while (m->conns)
		conn_close(m->conns);
	for (size_t i = 0; i < m->nopen; i++)
		if (!uv_is_closing((uv_handle_t *)&m->tcp[i]))
			uv_close((uv_handle_t *)&m->tcp[i], NULL);
	for (size_t i = 0; i < m->n; i++)
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	m->n = 0;
}
