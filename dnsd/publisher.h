/* dnsd's MTA-STS publisher: the publish step every second, on its own thread; at start and
 * after each SIGHUP it also carries a changed service-address/service-cname to every domain. */
#ifndef DNSD_PUBLISHER_H
#define DNSD_PUBLISHER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "shared/util/config.h"
#include "shared/store/store.h"
#include "shared/acme/acme_problem.h"

#define PUBLISHER_INTERVAL_MS 1000
/* A round of this many rotations or fewer fetches them one at a time (sts_publisher.paced_max):
 * daily ids of 100,000 domains are about 1.2 a second. */
#define PUBLISHER_PACED_MAX 32
/* Upper bounds (seconds) of the publish latency buckets: a commit to its id published. */
#define PUBLISHER_LATENCY_BOUNDS 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600
#define PUBLISHER_LATENCY_N 11

/* What this dnsd's publish step did, for /metrics: written by the thread, read anywhere. */
struct publisher_counters {
	atomic_uint_fast64_t latency[PUBLISHER_LATENCY_N + 1];   /* new policies published */
	atomic_uint_fast64_t latency_sum;                        /* seconds */
	atomic_uint_fast64_t rotations, waits, failures;        /* ids rotated, tries that waited,
	                                                            runs the store failed */
	/* The ACME step's order runs here: new orders begun, runs ended issued or failed, and the
	 * failures by problem type (acme_problem_names). */
	atomic_uint_fast64_t acme_started, acme_issued, acme_failed;
	atomic_uint_fast64_t acme_problems[ACME_PROBLEM_N];
};
extern const double publisher_latency_bounds[PUBLISHER_LATENCY_N];

struct publisher {
	uv_thread_t thread;
	uv_mutex_t lock;
	uv_cond_t wake;
	bool stop, running;
	atomic_bool cancel;              /* set by publisher_stop(): ends a publish run early */
	struct store *st;
	const struct config *cfg;        /* under lock once the thread runs */
	unsigned gen;                    /* bumped by publisher_reload() */
	struct publisher_counters count;
};

/* Starts the thread when mta-sts.publisher is on; returns 0 or a libuv error. */
int publisher_start(struct publisher *p, struct store *st, const struct config *cfg);
/* SIGHUP: the thread takes cfg's mta-sts settings before its next run (cfg must outlive it). */
void publisher_reload(struct publisher *p, const struct config *cfg);
/* Asks the thread to stop and waits for it (a fetch in progress ends by its own timeout). */
void publisher_stop(struct publisher *p);

#endif
