/* httpsd's server: listen addresses, workers (one libuv loop and socket set each), shutdown. */
#ifndef HTTPSD_SERVER_H
#define HTTPSD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>
#include "httpsd/certs.h"
#include "httpsd/clients.h"
#include "httpsd/tls.h"
#include "shared/config.h"
#include "shared/daemon.h"
#include "shared/store.h"

#define SERVER_MAX_LISTEN DAEMON_MAX_LISTEN
#define SERVER_MAX_WORKERS 64
#define SERVER_BACKLOG 511

struct conn;
struct server;

struct worker {
	struct server *srv;
	int index;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t stop;
	uv_tcp_t tcp[SERVER_MAX_LISTEN];
	int fd[SERVER_MAX_LISTEN];
	struct tls_worker tls;
	struct store_txn rt;             /* the read transaction, renewed per request */
	bool store_ok, loop_ok;
	struct conn *conns;              /* open connections */
	size_t nconns;
	bool stopping;
	int64_t date_sec;                /* the Date header, made once a second */
	char date[30];
};

/* Limits from the configuration, in the units the code uses. */
struct server_limits {
	uint64_t header_ms, idle_ms;
	size_t max_header, max_body;
	bool access_log;
};

struct server {
	struct store *st;
	struct server_limits lim;
	struct daemon_addr addrs[SERVER_MAX_LISTEN];
	size_t naddrs;
	struct worker *w;
	size_t nworkers;
	struct tls_shared tls;
	struct certs *certs;
	struct clients clients;
	bool clients_ok;
};

/* Binds every worker's sockets (SO_REUSEPORT); before dropping privileges. */
int server_bind(struct server *s, char *err, size_t errlen);
/* Starts the workers and runs until SIGTERM or SIGINT; returns 0 after a clean stop. */
int server_run(struct server *s);
void server_free(struct server *s);

/* The read transaction for one request: true when it is open. */
bool worker_txn(struct worker *w);
void worker_txn_done(struct worker *w);
/* The current Date header value. */
const char *worker_date(struct worker *w);

/* Per-connection parts (conn.c). */
int conn_listen(struct worker *w, size_t i);
void conn_close_all(struct worker *w);
/* The SNI callback of every worker's TLS configuration. */
int conn_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len);

#endif
