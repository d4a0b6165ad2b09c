/* httpsd's server: listen addresses, workers (one libuv loop and socket set each), shutdown. */
#ifndef HTTPSD_SERVER_H
#define HTTPSD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "httpsd/tls.h"
#include "httpsd/worker.h"
#include "shared/util/daemon.h"
#include "shared/util/listen_set.h"
#include "shared/util/metrics_http.h"
#include "shared/store/store.h"
#include "shared/util/worker_pool.h"

#define HTTPSD_MAX_WORKERS WORKER_POOL_MAX

struct tlsrpt_spool_log;

struct httpsd_server {
	struct store *st;
	struct httpsd_env env;           /* limits, certificates, client counts */
	struct tlsrpt_spool_log *spool_log;   /* POST /tlsrpt's segment writer (env.intake uses it) */
	bool clients_ok;                 /* env's clients and limiter are set up */
	struct daemon_addr addrs[DAEMON_MAX_LISTEN];   /* the addresses at start */
	size_t naddrs;
	bool listen_fixed;               /* from --listen: SIGHUP keeps them */
	struct listen_set listen;        /* the addresses in force, as SIGHUP changes them */
	struct httpsd_worker *w;
	size_t nworkers;
	struct tls_shared tls;
	struct worker_pool pool;
	const struct config *cfg;        /* the configuration read at start, or SIGHUP's latest */
	struct config *reloaded;         /* SIGHUP's latest, owned */
	pid_t api_supervisor;            /* > 0: SIGHUP is passed on to the API process's */
	struct metrics_http metrics;     /* httpsd.metrics-listen, on the main loop */
	struct counters_page page;       /* what it shows */
};

/* Binds every worker's sockets (SO_REUSEPORT) on addrs; before dropping privileges. Returns
 * 0, or a negative code with the reason in err. */
int httpsd_server_bind(struct httpsd_server *s, char *err, size_t errlen);
/* Starts the workers and runs until SIGTERM or SIGINT; returns 0 after a clean stop. */
int httpsd_server_run(struct httpsd_server *s);
void httpsd_server_free(struct httpsd_server *s);

#endif
