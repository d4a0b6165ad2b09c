/* An httpsd worker thread: its listening sockets, its TLS configuration, the Date header. */
#ifndef HTTPSD_WORKER_H
#define HTTPSD_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "httpsd/certs.h"
#include "httpsd/clients.h"
#include "httpsd/counters.h"
#include "httpsd/intake_live.h"
#include "httpsd/intake_rate.h"
#include "httpsd/limiter.h"
#include "httpsd/mailbox.h"
#include "httpsd/tls.h"
#include "shared/util/daemon.h"
#include "shared/util/listen_set.h"
#include "shared/util/worker_pool.h"

/* Limits from the configuration, in the units the code uses. */
struct httpsd_limits {
	uint64_t header_ms, idle_ms;
	size_t max_header, max_body;
	bool access_log;
};

struct intake_queue;

/* What every worker uses: set up once by main, before the workers start. */
struct httpsd_env {
	struct httpsd_limits lim;
	struct certs *certs;             /* shared; locks itself */
	struct clients clients;          /* shared; locks itself */
	struct limiter limiter;          /* shared; locks itself */
	struct intake_live intake;       /* POST /tlsrpt; locks itself (SIGHUP changes it) */
	struct intake_rate rate;         /* shared; locks itself */
	struct intake_queue *queue;      /* POST /tlsrpt's checks; locks itself */
};

struct conn;

struct httpsd_worker {
	struct worker_pool_thread t;     /* loop, thread, read transaction, connections */
	struct httpsd_env *env;
	uv_tcp_t tcp[LISTEN_SET_SLOTS];  /* by listen slot (shared/util/listen_set.h) */
	int fd[LISTEN_SET_SLOTS];        /* handed to httpsd_conn_listen(); -1 once libuv owns it */
	struct tls_worker tls;
	struct mailbox reports;          /* reports back from env->queue */
	/* Strangers' handshake steps wait here and run a few per loop turn, after the turn's I/O,
	 * so trusted connections are never behind a flood (conn.c). */
	uv_idle_t deferred_idle;
	bool deferred_ok;
	struct conn *deferred, **deferred_tail;
	int64_t date_sec;                /* the Date header, made once a second */
	char date[30];
	struct counters count;           /* for /metrics */
};

/* The current Date header value; borrowed until the next call on the same worker. */
const char *httpsd_worker_date(struct httpsd_worker *w);

#endif
