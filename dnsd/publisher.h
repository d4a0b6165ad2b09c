/* dnsd's MTA-STS publisher: the publish step every second, on its own thread; at start and
 * after each SIGHUP it also carries a changed service-address/service-cname to every domain. */
#ifndef DNSD_PUBLISHER_H
#define DNSD_PUBLISHER_H

#include <stdbool.h>
#include <uv.h>
#include "shared/util/config.h"
#include "shared/store/store.h"

#define PUBLISHER_INTERVAL_MS 1000

struct publisher {
	uv_thread_t thread;
	uv_mutex_t lock;
	uv_cond_t wake;
	bool stop, running;
	struct store *st;
	const struct config *cfg;        /* under lock once the thread runs */
	unsigned gen;                    /* bumped by publisher_reload() */
};

/* Starts the thread when mta-sts.publisher is on; returns 0 or a libuv error. */
int publisher_start(struct publisher *p, struct store *st, const struct config *cfg);
/* SIGHUP: the thread takes cfg's mta-sts settings before its next run (cfg must outlive it). */
void publisher_reload(struct publisher *p, const struct config *cfg);
/* Asks the thread to stop and waits for it (a fetch in progress ends by its own timeout). */
void publisher_stop(struct publisher *p);

#endif
