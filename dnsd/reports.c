/* dnsd's TLS report work: the spool's import and pruning, on the maintenance thread. */
#include <string.h>
#include "dnsd/reports.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_store.h"

#define DAY 86400

static void failed(struct reports *r, const char *what, int rc)
{
	if (rc != r->last_err)        /* once per kind of failure, not every second */
		log_error("tlsrpt: %s failed: %s", what, ls_strerror(rc));
	r->last_err = rc;
}

static void prune(struct reports *r, struct store *st, const struct config *cfg, int64_t now)
{
	int64_t before = now - (int64_t)cfg->tlsrpt_keep_days * DAY;
	size_t n = REPORTS_PRUNE_MAX, total = 0;
	int rc = 0;
	while (rc == 0 && n == REPORTS_PRUNE_MAX) {
		struct store_txn t;
		if ((rc = store_begin(st, true, 0, &t)) != 0)
			break;
		if ((rc = tlsrpt_store_prune(&t, before, REPORTS_PRUNE_MAX, &n)) == 0)
			rc = store_commit(&t);
		else
			store_abort(&t);
		total += rc == 0 ? n : 0;
	}
	if (rc)
		failed(r, "pruning", rc);
	else if (total)
		log_notice("tlsrpt: %zu report%s older than %u days pruned", total,
		           total == 1 ? "" : "s", cfg->tlsrpt_keep_days);
}

void reports_tick(struct reports *r, struct store *st, const struct config *cfg, int64_t now)
{
	const char *dir = store_dir(st);
	if (tlsrpt_spool_pending(dir)) {
		struct tlsrpt_spool_result res;
		int rc = tlsrpt_import_spool(st, dir, cfg->tlsrpt_max_size, cfg->tlsrpt_max_expanded,
		                             &res);
		if (res.imported || res.duplicates)
			log_info("tlsrpt: %zu report%s imported, %zu duplicate%s", res.imported,
			         res.imported == 1 ? "" : "s", res.duplicates,
			         res.duplicates == 1 ? "" : "s");
		if (res.rejected)
			log_warning("tlsrpt: %zu spooled report%s moved to %s/" TLSRPT_SPOOL_DIR
			            "/bad (last: %s)", res.rejected, res.rejected == 1 ? "" : "s", dir,
			            res.last_reject);
		if (rc)
			failed(r, "import (the reports stay in the spool)", rc);
		else
			r->last_err = 0;
	}
	if (now >= r->prune_at) {
		r->prune_at = now + REPORTS_PRUNE_EVERY_S;
		prune(r, st, cfg, now);
	}
}
