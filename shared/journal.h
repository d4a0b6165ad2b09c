/* The change journal: each commit's diff, IXFR-shaped, keyed by zone id and sequence. */
#ifndef LS_JOURNAL_H
#define LS_JOURNAL_H

#include <stdint.h>
#include "shared/arena.h"
#include "shared/rrset.h"
#include "shared/store.h"

#define JOURNAL_TAG 'J'
#define JOURNAL_VERSION 1

/* One commit: the removed records (old SOA first), then the added ones (new SOA first). */
struct journal_entry {
	uint32_t from_serial, to_serial;
	int64_t time;
	struct rr *del, *add;
	size_t ndel, nadd;
};

void journal_put(struct store_txn *t, uint32_t zone_id, uint64_t seq,
                 const struct journal_entry *e);
/* Reads one entry; records are allocated in a. Returns 0, LS_ENOTFOUND or an error. */
int journal_get(struct store_txn *t, uint32_t zone_id, uint64_t seq, struct arena *a,
                struct journal_entry *out);

#endif
