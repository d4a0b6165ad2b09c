/* dnsd's /metrics page: the workers' counters summed, NOTIFY, the publish step, certificates. */
#ifndef DNSD_SCRAPE_H
#define DNSD_SCRAPE_H

#include <stddef.h>
#include <stdint.h>
#include "dnsd/notify.h"
#include "dnsd/publisher.h"
#include "dnsd/worker.h"
#include "dnsd/xdp.h"
#include "shared/store/store.h"
#include "shared/tls/cert_metrics.h"
#include "shared/util/metrics.h"

/* What the page is made from; everything borrowed from the server, read on the main loop. */
struct scrape {
	const struct dnsd_worker *w;
	size_t nworkers;
	const struct notifier *notify;
	const struct publisher *pub;
	struct store *st;
	const char *version;
	int64_t start_time;              /* Unix time */
	const struct dnsd_xdp *xdp;      /* dnsd.xdp-listen's sockets */
	struct cert_metrics certs;       /* owned: free with scrape_free() */
};

/* metrics_http's render callback (arg: a struct scrape). Returns 0 or a negative code. */
int scrape_render(void *arg, struct metrics_buf *b);
void scrape_free(struct scrape *s);

#endif
