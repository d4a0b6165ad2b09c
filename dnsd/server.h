/* dnsd's server: listen addresses, workers (one libuv loop and socket set each), shutdown. */
#ifndef DNSD_SERVER_H
#define DNSD_SERVER_H

#include <stdbool.h>
#include <sys/socket.h>
#include <uv.h>
#include "dnsd/publisher.h"
#include "dnsd/answer.h"
#include "dnsd/notify.h"
#include "dnsd/stats.h"
#include "shared/config.h"
#include "shared/daemon.h"
#include "shared/store.h"

#define SERVER_MAX_LISTEN DAEMON_MAX_LISTEN
#define SERVER_MAX_WORKERS 64
#define UDP_BATCH 16                 /* datagrams per recvmmsg/sendmmsg */
#define UDP_SLOT 65536               /* libuv's buffer slot per datagram with recvmmsg */
#define UDP_ANSWER_MAX 4096          /* udp-max-size's upper bound */
#define TCP_MAX_QUERY 4096           /* larger TCP queries close the connection */

struct udp_out {
	uint8_t buf[UDP_ANSWER_MAX];
	size_t len;
	struct sockaddr_storage to;
	socklen_t tolen;
};

struct tcp_conn;
struct server;

struct worker {
	struct server *srv;
	int index;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t stop;
	uv_udp_t udp[SERVER_MAX_LISTEN];
	uv_tcp_t tcp[SERVER_MAX_LISTEN];
	int udp_fd[SERVER_MAX_LISTEN], tcp_fd[SERVER_MAX_LISTEN];
	struct store_txn rt;             /* the read transaction, renewed per batch */
	MDB_cursor *cur;
	bool renewed, store_ok;
	char *rxbuf;                     /* recvmmsg slots */
	struct udp_out *out;             /* answers waiting for sendmmsg */
	size_t nout;
	uv_udp_t *out_handle;
	uint8_t tcp_answer[2 + 65535];   /* scratch: TCP answers go out from here */
	struct tcp_conn *conns;          /* open TCP connections */
	size_t nconns;
	bool stopping;
	struct stats stats;
};

struct server {
	struct store *st;
	const struct config *cfg;
	struct answer_opts opts;
	struct daemon_addr addrs[SERVER_MAX_LISTEN];
	size_t naddrs;
	struct worker *w;
	size_t nworkers;
	char *stats_path;
	struct publisher pub;
	struct notifier notify;          /* NOTIFY out, on the main loop */
};

/* Binds every worker's UDP and TCP sockets (SO_REUSEPORT); before dropping privileges. */
int server_bind(struct server *s, char *err, size_t errlen);
/* Starts the workers and runs until SIGTERM or SIGINT; returns 0 after a clean stop. */
int server_run(struct server *s);
void server_free(struct server *s);

/* Per-transport parts, for the workers. */
int udp_start(struct worker *w, size_t i);
int tcp_start(struct worker *w, size_t i);
void tcp_close_all(struct worker *w);
/* One log line for a query, when query-log is on. */
void worker_log_query(struct worker *w, const struct sockaddr *peer, const struct answer_info *info,
                      bool tcp);
/* The log line of a refused transfer or a failed TSIG check (info->why), when there is one. */
void worker_log_refusal(const struct sockaddr *peer, const struct answer_info *info);
/* The read transaction for a batch of queries: renewed on first use, reset at the end. */
bool worker_txn(struct worker *w);
void worker_txn_done(struct worker *w);

#endif
