/*
 * A new zone's records written RRset by RRset: grouped by sorting, each RRset and each name
 * checked as a zone commit checks them, then put in the store, so the zone is never held
 * as a whole working set beside the store's own pages (a 1M-record import).
 */
#ifndef LS_ZONE_NEW_H
#define LS_ZONE_NEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/util/diag.h"
#include "shared/store/rrset.h"
#include "shared/store/store.h"
#include "shared/store/zone.h"

/* What zone_new_write saw. */
struct zone_new {
	size_t records;         /* records after duplicates were dropped */
	bool soa, ns;           /* the apex holds a SOA / NS records */
	uint32_t serial;        /* the SOA's serial (soa) */
	const char *soa_file;   /* where the SOA was read, for zone-wide messages */
	unsigned soa_line;
	bool bad;               /* an error went to d (or a name was too long for the store) */
};

/*
 * Groups rr[0..n) (a new zone's records in file order, borrowed: they and their file names
 * outlive the transaction) into RRsets in key order; the last TTL of an RRset wins, as a
 * commit does. Checks every RRset, name and DNAME (messages to d); with write, puts each
 * RRset into t (MDB_APPEND: the new zone has the highest id) until the first error, after
 * which it only checks: the caller aborts t then, so nothing of the zone lands.
 * Returns 0 or an error (-ENOMEM, the store's).
 */
int zone_new_write(struct store_txn *t, const struct zone_info *z, const struct rr *const *rr,
                   size_t n, bool write, struct diag *d, struct zone_new *out);

#endif
