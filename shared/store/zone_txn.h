/*
 * Zone edits: begin, add and delete records, commit. Commit validates the whole
 * result and applies all of it, with a new SOA serial, a journal entry and a
 * history entry, in one LMDB write transaction; or it changes nothing.
 */
#ifndef LS_ZONE_TXN_H
#define LS_ZONE_TXN_H

#include <stdbool.h>
#include "shared/util/diag.h"
#include "shared/store/rrset.h"
#include "shared/store/store.h"
#include "shared/store/zone.h"

#define ZONE_TXN_CREATE  1u  /* create the zone when it does not exist */
#define ZONE_TXN_EXCL    2u  /* with CREATE: fail with LS_EEXIST when it exists */
#define ZONE_TXN_REPLACE 4u  /* the edit is the whole zone: RRsets it does not add go away */
#define ZONE_TXN_CHECK   8u  /* commit only validates, then aborts (returns 0 when valid) */
#define ZONE_TXN_BORROW 16u  /* added records' RDATA and file names outlive the transaction */
#define ZONE_TXN_MANAGED 32u /* a derivation's own edit: may change the records it manages */

/* What a commit changed: records borrowed until zone_txn_free(). */
struct zone_diff {
	bool created;
	uint32_t old_serial, new_serial;
	struct rr *del, *add;   /* old SOA first / new SOA first, then in canonical order */
	size_t ndel, nadd;
	size_t records;         /* records in the zone after the commit */
};

struct zone_txn;

/*
 * Opens the write transaction (LMDB serialises writers: this waits for another
 * writer to finish). hint: bytes the edit may add, so the map can grow first.
 * source names the command for the history ("zonectl rr add").
 */
int zone_txn_begin(struct store *st, const uint8_t *apex, unsigned flags, size_t hint,
                   const char *source, struct zone_txn **out);
/* The same inside parent, a write transaction of several edits (zone_batch, zone_edit.h):
 * the edit runs in a nested transaction, so a refused one leaves parent as it was. */
int zone_txn_begin_in(struct store_txn *parent, const uint8_t *apex, unsigned flags,
                      const char *source, struct zone_txn **out);
bool zone_txn_creating(const struct zone_txn *zt);
/* The source the history names ("zonectl rr add"), for commit hooks: borrowed. */
const char *zone_txn_source(const struct zone_txn *zt);
/* The zone's stored serial, as this transaction sees it. */
int zone_txn_serial(struct zone_txn *zt, uint32_t *serial);
void zone_txn_set_policy(struct zone_txn *zt, enum serial_policy policy);
/* The zone (its id, apex) and the LMDB transaction the edit runs in, for writes that must
 * commit with it. Borrowed until zone_txn_free(). */
const struct zone_info *zone_txn_zone(const struct zone_txn *zt);
struct store_txn *zone_txn_store(struct zone_txn *zt);
/* Records owner/type would have if the edit committed now (the edit's view, else the store's). */
int zone_txn_count(struct zone_txn *zt, const uint8_t *owner, uint16_t type, uint32_t *n);

/* Whether owner would hold an RRset of a type match() accepts if the edit committed now. */
int zone_txn_name_has(struct zone_txn *zt, const uint8_t *owner, bool (*match)(uint16_t type),
                      bool *found);
/* Makes room for about n RRsets at once; a hint, so failure is not an error. */
void zone_txn_reserve(struct zone_txn *zt, size_t n);
/* Adds one record (copied). Errors go to d; returns 0 or LS_EINVAL_ZONE. */
int zone_txn_add(struct zone_txn *zt, const struct rr *rr, struct diag *d);
/* The TTL the RRset owner/type has in the edit so far; LS_ENOTFOUND when it is empty. */
int zone_txn_ttl(struct zone_txn *zt, const uint8_t *owner, uint16_t type, uint32_t *ttl);
/* Gives the RRset owner/type (not empty in the edit) the TTL ttl; LS_ENOTFOUND when empty. */
int zone_txn_set_ttl(struct zone_txn *zt, const uint8_t *owner, uint16_t type, uint32_t ttl);
/* Deletes one record (the TTL is ignored). LS_ENOTFOUND when it does not exist. */
int zone_txn_del_rr(struct zone_txn *zt, const struct rr *rr);
/* Deletes the RRset owner/type, or every RRset at owner when type is 0. */
int zone_txn_del_rrset(struct zone_txn *zt, const uint8_t *owner, uint16_t type);
/*
 * One RRset that the commit being made changes, as the commit hooks (zone_hook.h) see it.
 * Borrowed until the commit ends.
 */
struct zone_change {
	const uint8_t *owner;
	uint16_t type;
	const struct rdata *old, *rd;  /* as stored, and as the edit leaves it (both sorted) */
	uint32_t nold, n, old_ttl, ttl;
	const char *file;              /* where the edit's records came from, for messages */
	unsigned line;
	size_t slot;                   /* the transaction's own index */
};
struct zone_hook;
/* The hooks commit runs (a table ending with a NULL name, zone_hook.h); zone_edit_run()
 * gives every edit zone_hooks. Without, commit runs none. */
void zone_txn_set_hooks(struct zone_txn *zt, const struct zone_hook *hooks);
/* For commit hooks: the next changed RRset from *pos (start at 0); false after the last. */
bool zone_txn_next_change(struct zone_txn *zt, size_t *pos, struct zone_change *c);
/* For commit hooks: undoes change c; the RRset stays as stored. */
void zone_txn_keep_stored(struct zone_txn *zt, const struct zone_change *c);
unsigned zone_txn_flags(const struct zone_txn *zt);

/*
 * Validates, runs the commit hooks in order and commits. Returns 0, LS_ENOCHANGE (nothing written; with ZONE_TXN_MANAGED
 * the zone is unchanged but other writes made in the transaction are committed),
 * LS_EINVAL_ZONE (messages in d, nothing written) or a store error.
 */
int zone_txn_commit(struct zone_txn *zt, struct diag *d, struct zone_diff *diff);
/* Aborts when not committed; frees everything, including the diff. */
void zone_txn_free(struct zone_txn *zt);

#endif
