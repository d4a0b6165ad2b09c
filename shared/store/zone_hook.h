/*
 * Commit hooks: the derivations that every zone edit runs inside its own write transaction,
 * whoever the writer. zone_edit_run() hands the table to each transaction; the transaction
 * layer sees only this struct, never a subsystem. Each hook lives with its subsystem (MTA-STS
 * today; ACME challenges and TLS-RPT records plug in the same way).
 */
#ifndef LS_ZONE_HOOK_H
#define LS_ZONE_HOOK_H

#include <stdint.h>
#include "shared/util/diag.h"
#include "shared/store/store.h"

struct zone_txn;

struct zone_hook {
	const char *name;
	/*
	 * Inside zone_txn_commit(), after the RRsets are validated and before the serial: sees
	 * the changes (zone_txn_next_change), may keep some as stored, may write its own state
	 * in the same transaction. Returns 0, LS_EINVAL_ZONE to refuse the edit (messages in d,
	 * the commit still collects every other error) or an error that aborts it. A new zone
	 * (zone_txn_creating) has no derived state yet: its commit may stream the records
	 * (zone_new.h) and list no changes, so a hook returns at once for it.
	 */
	int (*commit)(struct zone_txn *zt, struct diag *d);
	/* Inside the deletion of zone zone_id, before it commits. */
	int (*zone_deleted)(struct store_txn *t, uint32_t zone_id);
};

/* Every hook in the order they run; the last entry has a NULL name (zone_hooks.c). */
extern const struct zone_hook zone_hooks[];

#endif
