/* The API process's HTTP/1.1 server: libuv, bounded heads, bodies, times and connections. */
#ifndef HTTPSD_API_SERVER_H
#define HTTPSD_API_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "httpsd/api/api_route.h"
#include "httpsd/api/api_tls.h"
#include "shared/util/daemon.h"

#define API_BACKLOG 128
#define API_SIGNALS 3
#define API_WAIT_POLL_MS 200         /* how often a ?wait= request looks at the store */

struct api_limits {
	size_t max_header, max_body;
	uint64_t header_ms, idle_ms;
	size_t max_conns, max_per_address;
};

struct api_conn;

struct api_server {
	uv_loop_t *loop;
	uv_tcp_t tcp[DAEMON_MAX_LISTEN];
	size_t ntcp;
	uv_signal_t sig[API_SIGNALS];    /* SIGTERM, SIGINT: stop; SIGHUP: finish, then stop */
	struct api_limits lim;
	struct api_env *env;
	struct api_tls *tls;             /* NULL: plain HTTP (loopback only) */
	struct api_conn *conns;          /* open ones */
	size_t nconns;
	uv_check_t group;                /* runs the queued writes after each poll */
	struct api_conn *queued;         /* writes waiting for their group, newest first */
	size_t nqueued;
	bool stopping;
};

/* Runs the server on the listening sockets fds[0..n) until SIGTERM or SIGINT, or until the
 * requests begun are answered after SIGHUP. Returns 0 after a clean stop, or -1 after logging
 * why it could not start. */
int api_server_run(struct api_server *s, struct api_env *env, const int *fds, size_t n);

#endif
