/*
 * The ACME step, run like the publish step by dnsd's maintenance thread and by zonectl:
 * certificate names kept in line with the MTA-STS domains (a name whose certificate is
 * missing, demo-issued or due is queued; a removed domain's state and certificate go),
 * then the names that are due run their orders, oldest first, at most acme.orders-per-hour
 * new orders an hour (the rest wait, with a queue position). Everything is in STORE_ACME,
 * so any process may run it at any time and a crash resumes.
 */
#ifndef LS_ACME_RUN_H
#define LS_ACME_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/store/store.h"
#include "shared/util/config.h"
#include "shared/acme/acme_client.h"
#include "shared/acme/acme_record.h"

#define ACME_LEASE_S 300          /* a name being worked on is left alone this long */
#define ACME_URGENT_S (14 * 86400) /* a failing renewal this close to expiry is an error */
#define ACME_URGENT_EVERY_S 86400 /* and logged as one this often */
#define ACME_DUE_MAX 4096         /* names taken per run */

struct acme_run {
	struct acme_client *client;
	struct store *st;
	const struct config *cfg;
	const char *state_dir;
};

/* What became of one name in a run (for the caller's log). */
struct acme_outcome {
	const struct acme_cert *rec;
	int rc;                       /* 0: issued; else rec->problem_* says why */
	bool new_order;               /* the run began with a new order (none to resume) */
	bool urgent;                  /* a failing renewal under ACME_URGENT_S: log as an error
	                               * (once a day) */
};

/* Opens the client for cfg (acme.directory set). 0 or LS_ECONFIG with the reason in err. */
int acme_run_open(struct acme_run *r, struct store *st, const struct config *cfg,
                  const char *state_dir, char *err, size_t errlen);
void acme_run_close(struct acme_run *r);
/*
 * Queues host (no-op when its order already waits or runs); force: renew now, due or not.
 * take: the caller runs the order itself next (acme_run_due with host), so the lease is
 * set here, in the same transaction; LS_ECONFLICT when another process holds one (unless
 * force).
 */
int acme_run_queue(struct store *st, const char *host, bool force, bool take, int64_t now);
/* The sync described above. *queued counts the names it queued. */
int acme_run_sync(struct store *st, const char *state_dir, int64_t now, unsigned *queued);
/*
 * Runs due names (only one when host is not NULL, then due or not) until budget_ms has
 * passed; fn (may be NULL) hears each outcome. Returns 0 or a store error.
 */
int acme_run_due(struct acme_run *r, int64_t now, const char *host, int budget_ms,
                 void (*fn)(const struct acme_outcome *o, void *ctx), void *ctx);
/* Whether a new order fits under acme.orders-per-hour now. */
bool acme_run_may_order(struct store *st, const struct config *cfg, int64_t now);
/* host's place in the queue (1 = next), 0 when it does not wait for orders-per-hour. */
uint32_t acme_run_position(struct store_txn *t, const char *host);
/* Whether a failed run of rec at now is to be logged as an error: a renewal, the
 * certificate expiring within ACME_URGENT_S, none logged for ACME_URGENT_EVERY_S. */
bool acme_run_urgent(const struct acme_cert *rec, int64_t now);
/* Whether rec is due at now (an order to run). */
bool acme_run_is_due(const struct acme_cert *rec, int64_t now);
/* For the status lines: why host has no certificate from the CA yet, or "" when it has
 * one (or ACME does not handle it). */
void acme_run_why(const struct acme_cert *rec, uint32_t position, char *out, size_t len);

#endif
