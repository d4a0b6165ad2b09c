/* Reading a zone's records back from the store in canonical order. */
#ifndef LS_ZONE_WALK_H
#define LS_ZONE_WALK_H

#include <stdio.h>
#include "shared/store/rrset.h"
#include "shared/store/store.h"
#include "shared/store/zone.h"

/* Called per record; the record is borrowed for the call. Non-zero stops the walk. */
typedef int (*zone_walk_fn)(const struct rr *rr, void *ctx);

/*
 * Every record of the zone, the SOA first and then canonical order; only those at
 * owner when owner is not NULL, and only of type when type is not 0.
 */
int zone_walk(struct store_txn *t, const struct zone_info *z, const uint8_t *owner,
              uint16_t type, zone_walk_fn fn, void *ctx);

/* Writes the zone as a master file that reads back to the same zone. */
int zone_export(struct store_txn *t, const struct zone_info *z, FILE *out);

#endif
