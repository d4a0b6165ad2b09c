/* dnsd's server: listen addresses, workers (one libuv loop and socket set each), shutdown. */
#ifndef DNSD_SERVER_H
#define DNSD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include "dnsd/notify.h"
#include "dnsd/publisher.h"
#include "dnsd/watcher.h"
#include "dnsd/scrape.h"
#include "dnsd/worker.h"
#include "dnsd/xdp.h"
#include "shared/util/daemon.h"
#include "shared/util/listen_set.h"
#include "shared/util/metrics_http.h"
#include "shared/util/worker_pool.h"

#define DNSD_MAX_WORKERS WORKER_POOL_MAX

struct dnsd_server {
	struct dnsd_env env;             /* the store, the configuration, answer options */
	struct daemon_addr addrs[DAEMON_MAX_LISTEN];   /* the addresses at start */
	size_t naddrs;
	bool listen_fixed;               /* from --listen: SIGHUP keeps them */
	struct listen_set listen;        /* the addresses in force, as SIGHUP changes them */
	struct dnsd_worker *w;
	size_t nworkers;
	char *stats_path;
	struct worker_pool pool;
	uv_timer_t stats_timer;          /* on the main loop */
	struct publisher pub;
	struct watcher watch;
	bool abandoned;                /* a watch check still ran at the stop: exit with _exit */
	struct notifier notify;          /* NOTIFY out, on the main loop */
	struct config **reloaded;        /* every configuration SIGHUP read, freed at the end */
	size_t nreloaded;
	struct metrics_http metrics;     /* dnsd.metrics-listen, on the main loop */
	struct scrape scrape;            /* what it shows */
	struct dnsd_xdp xdp;             /* dnsd.xdp-listen's sockets (xdp.open false: off) */
};

/* Binds every worker's UDP and TCP sockets (SO_REUSEPORT) on addrs, and sets up
 * dnsd.xdp-listen's AF_XDP sockets; before dropping privileges. Returns 0, or a negative code
 * with the reason in err. */
int dnsd_server_bind(struct dnsd_server *s, char *err, size_t errlen);
/* Starts the workers and runs until SIGTERM or SIGINT; returns 0 after a clean stop. */
int dnsd_server_run(struct dnsd_server *s);
void dnsd_server_free(struct dnsd_server *s);

#endif
