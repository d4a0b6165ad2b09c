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

#endif
