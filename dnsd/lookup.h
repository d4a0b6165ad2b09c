/* Finding what answers a name: the zone, delegations, the name, empty non-terminals, wildcards. */
#ifndef DNSD_LOOKUP_H
#define DNSD_LOOKUP_H

#include <stdbool.h>
#include <lmdb.h>
#include "shared/store/rrset.h"
#include "shared/store/store.h"
#include "shared/store/zone.h"

enum lookup_kind {
	LOOKUP_FOUND,       /* rrset holds the asked type at the name (or its wildcard); for ANY
	                     * the name has data and rrset is empty */
	LOOKUP_CNAME,       /* rrset holds the CNAME at the name (or its wildcard) */
	LOOKUP_NODATA,      /* the name (or an empty non-terminal, or its wildcard) has no such type */
	LOOKUP_NXDOMAIN,    /* no such name and no wildcard */
	LOOKUP_DELEGATION,  /* cut names the delegation point; rrset holds its NS */
	LOOKUP_DNAME,       /* cut names an ancestor of the name that owns rrset, a DNAME
	                     * (RFC 6672): the answer is synthesized from it */
};

struct lookup {
	enum lookup_kind kind;
	struct rrset_view rrset;     /* borrowed until the read transaction ends */
	uint8_t cut[DNAME_MAX];      /* the delegation point, or the DNAME's owner */
	bool wildcard;               /* the answer came from a wildcard (RFC 4592) */
};

/* The zone to answer qname from: the closest enclosing one; for DS at an apex, its parent
 * when that is ours too, else the zone itself (which answers NODATA, as Knot does). */
int lookup_zone(struct store_txn *t, const uint8_t *qname, uint16_t qtype, struct zone_info *z);
/* What the zone holds for name/type. cur: a cursor on STORE_RRSETS in t. */
int lookup_name(struct store_txn *t, MDB_cursor *cur, const struct zone_info *z,
                const uint8_t *name, uint16_t type, struct lookup *out);
/* One RRset at name; LS_ENOTFOUND when absent. */
int lookup_rrset(struct store_txn *t, const struct zone_info *z, const uint8_t *name,
                 uint16_t type, struct rrset_view *out);

#endif
