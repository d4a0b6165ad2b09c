/*
 * MTA-STS's part of a zone commit (DESIGN.md "Zone edits and the MTA-STS derivation"):
 * an MX change recomputes the domain's policy in the same transaction, and the records
 * MTA-STS manages are kept out of other hands.
 */
#ifndef LS_STS_DERIVE_H
#define LS_STS_DERIVE_H

#include <stdbool.h>
#include "shared/diag.h"
#include "shared/rrset.h"
#include "shared/sts_record.h"
#include "shared/zone_txn.h"

/*
 * True when owner/type is a record MTA-STS manages for an enabled domain (mta-sts.D and
 * _mta-sts.D, any type; _smtp._tls.D TXT when Lockstep writes its TLS-RPT record); the
 * domain's name goes to domain.
 */
bool sts_derive_managed(struct store_txn *t, const uint8_t *owner, uint16_t type,
                        uint8_t domain[DNAME_MAX]);
/*
 * The MX RRset at owner goes from old (nold records, TTL old_ttl) to rd (n records) in
 * the commit of zt. When owner has MTA-STS: refuses (messages in d at file:line,
 * LS_EINVAL_ZONE) an RRset that cannot carry the domain's mode, moves MX names that left
 * to the grace list, and stores the next policy version when the body changes.
 */
int sts_derive_mx(struct zone_txn *zt, const uint8_t *owner, const struct rdata *old,
                  uint32_t nold, uint32_t old_ttl, const struct rdata *rd, uint32_t n,
                  const char *file, unsigned line, struct diag *d);
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
