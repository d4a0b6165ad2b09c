/* The API's counters: requests by route kind and status class, failed authentications,
 * 429s, write commits and their latency. They live in memory shared by httpsd and its API
 * processes (mapped before the fork), so httpsd's /metrics shows them and they outlive a
 * restart or a reload of the API process. */
#ifndef HTTPSD_API_COUNTERS_H
#define HTTPSD_API_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "httpsd/api/api_request.h"
#include "shared/util/metrics.h"

/* What a request asked for, by its path and method. */
enum api_kind {
	API_KIND_SERVER,      /* /api, servers, servers/localhost */
	API_KIND_ZONES,       /* the zone list, a zone read, created, deleted, notify, export */
	API_KIND_RRSETS,      /* PATCH of a zone's rrsets */
	API_KIND_MTASTS,      /* the mta-sts resource */
	API_KIND_SEARCH,      /* search-data and statistics */
	API_KIND_STATIC,      /* /ui/ and /api/openapi.json */
	API_KIND_OTHER,       /* anything else (404s, bad heads) */
	API_KIND_N
};

#define API_CLASSES 5                /* 1xx to 5xx */
#define API_COMMIT_BUCKETS 9         /* upper bounds of the commit latency histogram */

struct api_counters {
	atomic_uint_fast64_t requests[API_KIND_N][API_CLASSES];
	atomic_uint_fast64_t auth_failures;      /* 401: no token, or not a valid one */
	atomic_uint_fast64_t rate_limited;       /* 429: failed authentications over the limit */
	atomic_uint_fast64_t commits;            /* durable write commits (one per group) */
	atomic_uint_fast64_t committed;          /* write requests those commits carried */
	atomic_uint_fast64_t commit_us;          /* microseconds in them, from begin to sync */
	atomic_uint_fast64_t commit_hist[API_COMMIT_BUCKETS + 1];
	atomic_uint_fast64_t reloads;            /* API processes started by SIGHUP */
};

/* Zeroed counters in memory shared with the processes forked later; NULL when it cannot be
 * mapped (then nothing is counted). */
struct api_counters *api_counters_map(void);
void api_counters_unmap(struct api_counters *k);
enum api_kind api_counters_kind(const struct api_req *req);
/* One answer (k may be NULL). */
void api_counters_request(struct api_counters *k, const struct api_req *req, int status);
/* One durable commit of requests writes that took seconds (k may be NULL). */
void api_counters_commit(struct api_counters *k, double seconds, size_t requests);
/* The httpsd_api_* families into b (for httpsd's /metrics). */
void api_counters_render(const struct api_counters *k, struct metrics_buf *b);
/* The same as PowerDNS statistics items ({name, type, value}) appended to out. */
void api_counters_statistics(const struct api_counters *k, json_t *out);

#endif
