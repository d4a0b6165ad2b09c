/*
 * Running watch checks: one domain now, or every due domain with at most watch.concurrency
 * checks at once; each result becomes a stored row, the diff with the row before becomes
 * events, and the events go to the alert hooks. dnsd's watcher thread and `zonectl watch
 * run` both call these, so both send the same events.
 */
#ifndef LS_WATCH_RUN_H
#define LS_WATCH_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "shared/check/check.h"
#include "shared/store/store.h"
#include "shared/util/alert.h"
#include "shared/util/config.h"
#include "shared/watch/watch_row.h"
#include "shared/watch/watch_store.h"

#define WATCH_DUE_MAX 4096          /* domains one due run takes, at most */
#define WATCH_OUTBOX_BATCH 256      /* queued events one delivery sends, at most */
#define WATCH_FIRST_RUN_S 60        /* a new domain's first run comes within this */
#define WATCH_PRUNE_MAX 1024        /* rows one pruning transaction deletes */

typedef int watch_check_fn(const char *domain, const struct check_opts *o,
                           struct check_result *out, char *err, size_t errlen);

struct watch_ctx {
	struct store *st;
	const struct config *cfg;       /* watch.* defaults and alerts.* hooks */
	watch_check_fn *check;          /* check_run, or a test's own */
	void (*check_free)(struct check_result *r);
	atomic_bool *cancel;            /* NULL, or set to end a run early (no write after it) */
	/* What a run did, for its caller. */
	atomic_uint ran, failed;
	atomic_int worst;               /* the highest check level of the domains run, -1: none */
};

/* The hooks of cfg's alerts: section (strings borrowed from cfg). */
void watch_hooks(const struct config *cfg, struct alert_hooks *h);

/* When a domain that ran at now runs next: its interval (entry, else watch.every) plus a
 * fixed offset of at most 10% of it that the domain's name picks. */
int64_t watch_next_run(const struct watch_entry *e, const struct config *cfg, int64_t now);
/* When a new domain runs first: within WATCH_FIRST_RUN_S, by its name. */
int64_t watch_first_run(const char *domain, int64_t now);

/* The row a check result makes. */
void watch_row_from_check(const struct check_result *r, int64_t now, struct watch_row *out);

/* True when domain (text) is one of ours with MTA-STS enabled. */
bool watch_is_own(struct store_txn *t, const char *domain);

/*
 * Checks domain now with its stored options (watch.* defaults when it is not watched),
 * stores the row, updates the open problems, schedules the next run and sends the events.
 * Returns 0 (the check's level in ctx->worst) or a negative code with the reason in err.
 */
int watch_run_domain(struct watch_ctx *ctx, const char *domain, char *err, size_t errlen);

/*
 * Brings the implicit entries up to date (every enabled MTA-STS domain when watch.own is
 * on, none otherwise), then runs every due domain, watch.concurrency at a time. Returns 0
 * or a store error; failures of single checks are logged and counted in ctx->failed.
 */
int watch_run_due(struct watch_ctx *ctx, int64_t now);

/* Sends the events other writers queued (mx-changed) and deletes them. *n says how many. */
int watch_outbox_deliver(struct watch_ctx *ctx, size_t *n);

/* Deletes rows older than watch.keep-days. */
int watch_prune(struct watch_ctx *ctx, int64_t now, size_t *n);

#endif
