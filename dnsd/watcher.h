/* dnsd's watcher: the due watch checks and the queued alerts, on a thread of its own. */
#ifndef DNSD_WATCHER_H
#define DNSD_WATCHER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "shared/util/config.h"
#include "shared/store/store.h"

#define WATCHER_INTERVAL_MS 1000     /* queued events wait at most this (plus a running check) */
#define WATCHER_DUE_EVERY_S 5        /* seconds between two looks for due domains */
#define WATCHER_PRUNE_EVERY_S 3600
#define WATCHER_STOP_WAIT_MS 1500    /* how long stop waits for checks in flight */

struct watcher {
	uv_thread_t thread;
	uv_mutex_t lock;
	uv_cond_t wake;
	bool stop, running, done;
	atomic_bool cancel;              /* no store write once set; the checks' cancel flag */
	struct store *st;
	const struct config *cfg;        /* under lock once the thread runs */
};

/* Starts the thread (it idles while watch.enabled is off). 0 or a libuv error. */
int watcher_start(struct watcher *w, struct store *st, const struct config *cfg);
/* SIGHUP: the next tick uses cfg (which must outlive the thread). */
void watcher_reload(struct watcher *w, const struct config *cfg);
/* Stops the thread: cancels the checks in flight (check_opts.cancel ends their DNS, SMTP
 * and HTTPS waits) and waits WATCHER_STOP_WAIT_MS for them. Returns false when it had to
 * leave one running anyway: the process must then exit without freeing the store or the
 * configuration that check still reads (_exit). */
bool watcher_stop(struct watcher *w);

#endif
