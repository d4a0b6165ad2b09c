/* The certificates in STATE/certs as Prometheus gauges: when each one expires. */
#ifndef LS_CERT_METRICS_H
#define LS_CERT_METRICS_H

#include <stdint.h>
#include "shared/util/metrics.h"

#define CERT_METRICS_TTL 30       /* seconds a listing is shown before the files are read again */

/* The last listing, kept between scrapes: reading and parsing every certificate each time would
 * cost a scrape interval's worth of work with thousands of names. */
struct cert_metrics {
	int64_t at;                   /* when it was made; 0: never */
	struct metrics_buf text;
};

/*
 * Appends two families to b: PREFIX_certificate_expiry_seconds{name="HOST"}, the Unix time at
 * which each usable certificate stops being valid, and PREFIX_certificates_unusable, how many
 * host directories hold files that cannot be served. The directory is listed again when the
 * kept listing is CERT_METRICS_TTL seconds older than now. Returns 0 or a negative code.
 */
int cert_metrics_write(struct cert_metrics *cm, struct metrics_buf *b, const char *prefix,
                       const char *state_dir, int64_t now);
void cert_metrics_free(struct cert_metrics *cm);

#endif
