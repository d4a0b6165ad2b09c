/* dnsd's share of TLS reports, run by the maintenance thread every second: spooled reports
 * into the store, old ones pruned. */
#ifndef DNSD_REPORTS_H
#define DNSD_REPORTS_H

#include <stdint.h>
#include "shared/util/config.h"
#include "shared/store/store.h"

#define REPORTS_PRUNE_EVERY_S 3600   /* seconds between two prunings */
#define REPORTS_PRUNE_MAX 256        /* reports one pruning transaction deletes, at most */

struct reports {
	int64_t prune_at;                /* when to prune next (0: at the first tick) */
	int last_err;                    /* the last failure logged, so it is logged once */
};

/* One tick: imports the spool when new/ holds a file (cheap when it does not), prunes reports
 * older than tlsrpt.keep-days once an hour. Logs what it did; never fails the caller. */
void reports_tick(struct reports *r, struct store *st, const struct config *cfg, int64_t now);

#endif
