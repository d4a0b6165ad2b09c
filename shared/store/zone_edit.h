/*
 * One zone edit, the same for every writer (zonectl, the publish step, later the API, DNS
 * UPDATE and transfers in): begin, the writer's changes, commit with the hooks; run again
 * from the start when the map had to grow. Publishing is not part of it: callers run the
 * publish step (sts_publish.h) after a commit, explicitly.
 */
#ifndef LS_ZONE_EDIT_H
#define LS_ZONE_EDIT_H

#include "shared/util/diag.h"
#include "shared/store/store.h"
#include "shared/store/zone_txn.h"
#include "shared/dns/zonefile.h"

/* A committed edit: the diff stays readable until zone_result_free(). */
struct zone_result {
	struct zone_txn *zt;     /* NULL when the edit changed nothing of the zone */
	struct zone_diff diff;
	struct zonefile *zf;     /* records the diff points into, when the operation made them */
};
void zone_result_free(struct zone_result *r);

/*
 * The writer's part: changes made in zt (and writes of its own in zone_txn_store(zt)).
 * Returns 0 to commit, or any other code (LS_ENOCHANGE too) that aborts the edit and is
 * returned as it is. It may run more than once: it must start from what the transaction
 * shows each time.
 */
typedef int (*zone_edit_fn)(struct zone_txn *zt, void *arg, struct diag *d);

struct zone_edit {
	const uint8_t *apex;     /* the zone, or NULL for the zone holding `within` */
	const uint8_t *within;   /* a name: the edit is made in its closest enclosing zone */
	unsigned flags;          /* ZONE_TXN_* */
	size_t hint;             /* bytes the edit may add, so the map can grow first */
	const char *source;      /* for the history: "zonectl rr add" */
	zone_edit_fn fn;
	void *arg;
};

/*
 * Runs e: 0 (res holds the diff), LS_ENOCHANGE (the zone is as it was; with
 * ZONE_TXN_MANAGED, the writer's own writes are committed), LS_ENOZONE, or fn's or the
 * commit's error (nothing written, the transaction ended, res->zt NULL; messages in d,
 * which may be NULL).
 */
int zone_edit_run(struct store *st, const struct zone_edit *e, struct diag *d,
                  struct zone_result *res);

/*
 * Several edits (of one zone or many) in one LMDB write transaction, made durable by the
 * one sync of zone_batch_commit(): bulk imports and bulk enables. Each edit runs in a
 * transaction nested in the batch's, with the same hooks as zone_edit_run(), so a refused
 * edit leaves the batch as it was and the others still land. Nothing is visible to readers
 * before the commit. The map cannot grow inside a transaction: LS_EMAPFULL from an edit or
 * the commit means zone_batch_abort(), store_grow() and the whole batch again.
 */
struct zone_batch {
	struct store *st;
	struct store_txn t;
	size_t edits;       /* edits folded into the batch so far (changed or not) */
};
/* hint: bytes every edit of the batch may add together, so the map can grow first. */
int zone_batch_begin(struct store *st, size_t hint, struct zone_batch *b);
/* zone_edit_run() inside the batch, run once (LS_EMAPFULL is returned, not retried). */
int zone_batch_run(struct zone_batch *b, const struct zone_edit *e, struct diag *d,
                   struct zone_result *res);
/* Commits every edit of the batch with one durable sync; the batch is ended either way. */
int zone_batch_commit(struct zone_batch *b);
/* Drops every edit of the batch. Harmless on a batch already ended. */
void zone_batch_abort(struct zone_batch *b);

#define ZONE_BATCH_HINT_MAX (128u << 20)   /* hinted bytes that end a batch early */
#define ZONE_BATCH_RETRIES 8               /* map growths one batch may need */

/*
 * A bulk run: items 0..n staged size to a transaction (or all in one with all_or_nothing),
 * each batch committed with one sync, its outcomes reported only after it committed. When
 * the map fills, the batch is dropped (forget), the map grown and the batch staged again.
 */
struct zone_batch_plan {
	size_t n, size;
	bool all_or_nothing;     /* one transaction, committed only when every item is good */
	/* Bytes item i may add (the map grows first); a batch ends early past HINT_MAX. */
	size_t (*hint)(size_t i, void *arg);
	/* Stages item i (slot: its place in this batch) with zone_batch_run(); returns 0 with
	 * *good set, or a store error that ends the run. */
	int (*stage)(struct zone_batch *b, size_t i, size_t slot, bool *good, void *arg);
	/* Item i's outcome once its batch ended: committed, or dropped as all or nothing. */
	void (*report)(size_t i, size_t slot, bool committed, void *arg);
	/* Forget what stage() kept in slot (after report, or before the batch is staged again). */
	void (*forget)(size_t slot, void *arg);
	void *arg;
};
/* Runs the plan: 0, or the store error that stopped it (earlier batches stay committed). */
int zone_batch_each(struct store *st, const struct zone_batch_plan *p);

#endif
