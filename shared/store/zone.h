/* Zones in the store: the zone record, listing, the SOA, deletion. */
#ifndef LS_ZONE_H
#define LS_ZONE_H

#include <stdint.h>
#include "shared/dns/dname.h"
#include "shared/dns/serial.h"
#include "shared/store/store.h"

#define ZONE_TAG 'Z'
#define ZONE_VERSION 1

struct zone_info {
	uint32_t id;                 /* prefix of the zone's RRset and journal keys */
	uint8_t apex[DNAME_MAX];     /* lower case */
	enum serial_policy policy;
	int64_t created, modified;   /* unix seconds */
	uint64_t journal_seq;        /* sequence of the newest journal entry, 0 for none */
	uint64_t records;            /* records in the zone, kept by each commit */
};

/* Returns 0, LS_ENOZONE or a store error. */
int zone_get(struct store_txn *t, const uint8_t *apex, struct zone_info *out);
/* The zone holding name: its closest enclosing apex. Returns 0, LS_ENOZONE or a store error. */
int zone_enclosing(struct store_txn *t, const uint8_t *name, struct zone_info *out);
void zone_put(struct store_txn *t, const struct zone_info *z);
/* Every zone in canonical order; *out is malloc'ed, free() it. */
int zone_list(struct store_txn *t, struct zone_info **out, size_t *n);
/* The zone's current SOA serial. */
int zone_serial(struct store_txn *t, const struct zone_info *z, uint32_t *serial);
/* Removes the zone record, every RRset and the journal. */
int zone_delete(struct store_txn *t, const struct zone_info *z);

#endif
