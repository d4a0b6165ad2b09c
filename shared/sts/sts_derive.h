/*
 * MTA-STS's part of a zone commit (DESIGN.md "Zone edits and the MTA-STS derivation"):
 * an MX change recomputes the domain's policy in the same transaction, and the records
 * MTA-STS manages are kept out of other hands.
 */
#ifndef LS_STS_DERIVE_H
#define LS_STS_DERIVE_H

#include <stdbool.h>
#include "shared/util/diag.h"
#include "shared/store/rrset.h"
#include "shared/sts/sts_record.h"
#include "shared/store/zone_txn.h"

/*
 * The commit hook (zone_hook.h): the records MTA-STS manages change only through its own
 * edits (ZONE_TXN_MANAGED; a whole-zone import keeps them), and each changed MX RRset whose
 * owner has MTA-STS is checked against the mode, its departed names join the grace list and
 * a changed policy body is stored as the next version, all in the edit's transaction.
 */
int sts_derive_commit(struct zone_txn *zt, struct diag *d);
/* The hook for a zone's deletion: its domains stop being served (records kept as REMOVED,
 * so their ids never repeat). */
int sts_derive_zone_deleted(struct store_txn *t, uint32_t zone_id);
/* Checks that MX RDATA mx[0..n) can carry mode; the reason in why. Returns 0 or LS_EINVAL_ZONE. */
int sts_derive_check_mx(struct zone_txn *zt, enum sts_mode mode, const struct rdata *mx,
                        uint32_t n, char *why, size_t cap);
/*
 * Recomputes d's body from its MX targets mx[0..n), extra patterns and grace list, and when
 * the body differs from the served one, stores it as version d->version + 1. Writes d.
 */
int sts_derive_body(struct store_txn *t, struct sts_domain *d, const struct rdata *mx,
                    uint32_t n, int64_t now);
/*
 * The stored MX RDATA of name in zone: copies in *mx (malloc'ed, one block: free(*mx)),
 * so that they outlive writes in t. Also the RRset's TTL (0 when there is none).
 */
int sts_derive_load_mx(struct store_txn *t, const struct zone_info *z, const uint8_t *name,
                       struct rdata **mx, uint32_t *n, uint32_t *ttl);

#endif
