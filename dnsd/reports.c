/* dnsd's TLS report work: the spool's import and pruning, on the maintenance thread. */
#include <string.h>
#include <time.h>
#include "dnsd/reports.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_store.h"
#include "shared/rpt/tlsrpt_summary.h"
#include "shared/util/siphash.h"
#include "shared/watch/watch_run.h"

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

static void alert(const char *domain, const char *day, const char *text, void *ctx)
{
	static const uint8_t key[SIPHASH_KEY_LEN];
	struct reports *r = ctx;
	char line[TLSRPT_ALERT_MAX + 2 * TLSRPT_DOMAIN_MAX];
	snprintf(line, sizeof(line), "%s: %s: %s", domain, day, text);
	uint64_t h = siphash24(key, line, strlen(line));
	for (size_t i = 0; i < REPORTS_ALERTS_SEEN && i < r->nseen; i++)
		if (r->seen[i] == h)
			return;
	r->seen[r->nseen++ % REPORTS_ALERTS_SEEN] = h;
	log_warning("tlsrpt: %s", line);
	/* And to the alerts: hooks, as a once event. */
	struct alert_event e;
	struct alert_hooks hooks;
	memset(&e, 0, sizeof(e));
	snprintf(e.domain, sizeof(e.domain), "%s", domain);
	snprintf(e.code, sizeof(e.code), REPORTS_ALERT_CODE);
	e.level = ALERT_WARN;
	e.state = ALERT_ONCE;
	snprintf(e.after, sizeof(e.after), "%s", day);
	snprintf(e.detail, sizeof(e.detail), "%s", text);
	e.time = (int64_t)time(NULL);
	watch_hooks(r->cfg, &hooks);
	alert_deliver(&hooks, &e);
}

/* The alerts of the days the reports just imported may have changed. */
static void alerts(struct reports *r, struct store *st, const struct config *cfg, int64_t now)
{
	struct store_txn t;
	json_t *sum = NULL;
	int32_t today = tlsrpt_summary_day(now);
	int rc = store_begin(st, false, 0, &t);
	if (rc == 0) {
		rc = tlsrpt_summary_get(&t, NULL, today - REPORTS_ALERT_DAYS - 1, &sum);
		store_abort(&t);
	}
	if (rc) {
		failed(r, "reading the summary for alerts", rc);
		return;
	}
	r->cfg = cfg;
	tlsrpt_summary_alerts(sum, cfg->tlsrpt_alert_percent, today - REPORTS_ALERT_DAYS, alert, r);
	json_decref(sum);
}

bool reports_tick(struct reports *r, struct store *st, const struct config *cfg, int64_t now)
{
	const char *dir = store_dir(st);
	bool more = false;
	if (tlsrpt_spool_pending(dir)) {
		struct tlsrpt_spool_result res;
		int rc = tlsrpt_import_spool_for(st, dir, cfg->tlsrpt_max_size,
		                                 cfg->tlsrpt_max_expanded, REPORTS_IMPORT_MS, &res);
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
		if (res.imported)
			alerts(r, st, cfg, now);
		more = rc == 0 && tlsrpt_spool_pending(dir);
	}
	if (now >= r->prune_at) {
		r->prune_at = now + REPORTS_PRUNE_EVERY_S;
		prune(r, st, cfg, now);
	}
	return more;
}
