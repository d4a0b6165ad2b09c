/*
 * The metrics listener both daemons run (metrics-listen): plain HTTP/1.1, GET /metrics only,
 * one request per connection, on a libuv loop. Small limits: it is for a Prometheus server on
 * a trusted network, and must cost nothing when something else connects.
 */
#ifndef LS_METRICS_HTTP_H
#define LS_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "shared/util/daemon.h"
#include "shared/util/metrics.h"

#define METRICS_HTTP_PATH "/metrics"
#define METRICS_HTTP_MAX_REQUEST 4096    /* bytes of a request head; more gets 431 */
#define METRICS_HTTP_TIMEOUT_MS 5000     /* from accept to the whole request read */
#define METRICS_HTTP_WRITE_MS 30000      /* from the answer made to its last byte sent */
#define METRICS_HTTP_MAX_CONNS 16        /* open connections; more are closed at once */
#define METRICS_HTTP_LINGER_MS 500       /* after the answer: drain what still comes, then close */

/*
 * The head of a request in buf[0..len): 0 while it is not complete (and shorter than
 * METRICS_HTTP_MAX_REQUEST), else the status to answer: 200 for GET or HEAD of /metrics (*head
 * set for HEAD; a query string is ignored), 404 another path, 405 another method, 400 a bad
 * request line, 505 a version other than HTTP/1.0 and 1.1, 431 a head too large.
 */
int metrics_http_parse(const char *buf, size_t len, bool *head);

struct metrics_http_conn;

struct metrics_http {
	int fd[DAEMON_MAX_LISTEN];       /* bound by metrics_http_bind(); -1 once libuv owns it */
	size_t n;
	uv_tcp_t tcp[DAEMON_MAX_LISTEN];
	size_t nopen;                    /* listeners libuv has */
	uv_loop_t *loop;
	int (*render)(void *arg, struct metrics_buf *b);
	void *arg;
	struct metrics_http_conn *conns; /* open ones, closed by metrics_http_close() */
	size_t nconns;
	uint64_t served, refused;        /* answers sent; connections over the cap */
};

/* The addresses of option (dnsd.metrics-listen, say) as the configuration file wrote them:
 * n 0 when list is empty (metrics off). Returns 0, or -1 after logging why (file:option). */
int metrics_http_addrs(const char *list, const char *option, const char *file,
                       struct daemon_addr out[DAEMON_MAX_LISTEN], size_t *n);
/* Binds a[0..n) (before the privilege drop). Returns 0, or -errno with the address and why in
 * err (the sockets bound so far are closed). */
int metrics_http_bind(struct metrics_http *m, const struct daemon_addr *a, size_t n, char *err,
                      size_t errlen);
/* Listens on loop; each GET /metrics calls render(arg, page) there and sends the page (500
 * when render fails). Returns 0 or a libuv error. Nothing bound: nothing to do, 0. */
int metrics_http_start(struct metrics_http *m, uv_loop_t *loop,
                       int (*render)(void *arg, struct metrics_buf *b), void *arg);
/* Closes the listeners and connections (the loop runs their close callbacks) and the sockets
 * never started. Safe on a zeroed struct with n 0, and twice. */
void metrics_http_close(struct metrics_http *m);

#endif
