/* dnsd's share of TLS reports, run by the maintenance thread every second: spooled reports
 * into the store, old ones pruned. */
#ifndef DNSD_REPORTS_H
#define DNSD_REPORTS_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/util/config.h"
#include "shared/store/store.h"

#define REPORTS_PRUNE_EVERY_S 3600   /* seconds between two prunings */
#define REPORTS_PRUNE_MAX 256        /* reports one pruning transaction deletes, at most */
#define REPORTS_IMPORT_MS 1000          /* an import's time in one tick: other work waits */
#define REPORTS_ALERT_DAYS 7             /* days an import looks back for alerts */
#define REPORTS_ALERTS_SEEN 1024         /* alerts remembered, so each is logged once */
#define REPORTS_ALERT_CODE "tlsrpt-failures"   /* the alert event's code */

struct reports {
	int64_t prune_at;                /* when to prune next (0: at the first tick) */
	int last_err;                    /* the last failure logged, so it is logged once */
	uint64_t seen[REPORTS_ALERTS_SEEN];  /* hashes of alerts logged, a ring */
	size_t nseen;
	const struct config *cfg;        /* of the tick in progress: the alerts: hooks */
};

/* One tick: imports the spool when new/ holds a file (cheap when it does not) and logs the
 * alerts of the last days (a new failure type, failures over tlsrpt.alert-percent) at warning
 * level, each once; prunes reports older than tlsrpt.keep-days once an hour. Logs what it did;
 * never fails the caller. An import stops taking batches after REPORTS_IMPORT_MS; returns true
 * when reports are left for the next tick, which should then come at once. */
bool reports_tick(struct reports *r, struct store *st, const struct config *cfg, int64_t now);

#endif
