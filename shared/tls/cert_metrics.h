/* The certificates in STATE/certs as Prometheus gauges: when each one expires. */
#ifndef LS_CERT_METRICS_H
#define LS_CERT_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "shared/tls/cert.h"
#include "shared/util/metrics.h"

#define CERT_METRICS_TTL 30           /* seconds between two looks at STATE/certs */
#define CERT_METRICS_SOON_DAYS 14     /* "expiring": fewer days than this left */
#define CERT_METRICS_NAMES_DEFAULT 1000

/* What one host's files said when they had this stamp. */
struct cert_fact {
	char *host;
	struct cert_stamp stamp;
	int64_t not_after;
	bool usable;
};

/*
 * Facts about every certificate, kept by a thread of their own: parsing 100,000 certificates
 * takes minutes, which no event loop may spend. Each refresh re-reads only the hosts whose
 * files' stamp (inode, size, mtime, ctime) changed; a scrape renders from the facts.
 */
struct cert_metrics {
	char *state_dir;
	uint32_t max_names;           /* per-name series shown; the rest only counted */
	pthread_mutex_t mu;           /* guards facts, n, at */
	pthread_cond_t cv;
	bool ready, running, stop;
	pthread_t thread;
	struct cert_fact *facts;      /* sorted by host */
	size_t n;
	int64_t at;                   /* Unix time of the last refresh; 0: none yet */
	uint64_t reads;               /* hosts whose files were parsed, over all refreshes */
};

/* Sets cm up without a thread (refresh by hand). Returns 0 or a negative code. */
int cert_metrics_init(struct cert_metrics *cm, const char *state_dir, uint32_t max_names);
/* cert_metrics_init() and a thread refreshing now and every CERT_METRICS_TTL seconds. */
int cert_metrics_start(struct cert_metrics *cm, const char *state_dir, uint32_t max_names);
/* Looks at STATE/certs once, parsing only what changed. Not on an event loop. 0 or negative. */
int cert_metrics_refresh(struct cert_metrics *cm, int64_t now);
/*
 * Appends, from the facts only: PREFIX_certificate_expiry_seconds{name="HOST"} for the first
 * max_names usable hosts by name, PREFIX_certificate_names_omitted (the usable ones left out),
 * PREFIX_certificates (usable), PREFIX_certificates_unusable, PREFIX_certificate_expiry_
 * earliest_seconds, PREFIX_certificates_expiring (within CERT_METRICS_SOON_DAYS),
 * PREFIX_certificates_expired and PREFIX_certificates_refresh_time_seconds. Before the first
 * refresh, only the last (0). Returns 0 or a negative code.
 */
int cert_metrics_write(struct cert_metrics *cm, struct metrics_buf *b, const char *prefix,
                       int64_t now);
/* Stops the thread and frees everything; a zeroed cm is fine. */
void cert_metrics_free(struct cert_metrics *cm);

#endif
