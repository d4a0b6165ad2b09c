/* The change journal: each commit's diff, IXFR-shaped, keyed by zone id and sequence. */
#ifndef LS_JOURNAL_H
#define LS_JOURNAL_H

#include <stdint.h>
#include "shared/util/arena.h"
#include "shared/store/rrset.h"
#include "shared/store/store.h"

#define JOURNAL_TAG 'J'
#define JOURNAL_VERSION 1
#define JOURNAL_HDR 28
/* The defaults of zones.journal-max-size and zones.keep-journal (journal-max-age) in
 * lockstep.conf: two weeks, so a secondary a week behind still gets an IXFR. */
#define JOURNAL_DEFAULT_MAX_SIZE (16u << 20)      /* bytes of entries per zone */
#define JOURNAL_DEFAULT_MAX_AGE (14u * 86400)     /* seconds */
#define JOURNAL_PRUNE_MAX 64                      /* entries one commit drops for their age */

/* One commit: the removed records (old SOA first), then the added ones (new SOA first). */
struct journal_entry {
	uint32_t from_serial, to_serial;
	int64_t time;
	struct rr *del, *add;
	size_t ndel, nadd;
};

/*
 * The bounds every commit of this process keeps each zone's journal within (max_age 0: no
 * age bound). Process-wide, set once at start (zonectl, dnsd) from the configuration; the
 * defaults apply otherwise.
 */
void journal_set_limits(uint64_t max_size, uint32_t max_age);

/*
 * Writes the entry, then drops the zone's oldest entries until the journal is within the
 * size bound again, and up to JOURNAL_PRUNE_MAX more that are older than the age bound
 * (inside the same transaction): an IXFR from a dropped serial gets the full zone. An entry
 * larger than the size bound is not kept at all, nor anything before it.
 */
void journal_put(struct store_txn *t, uint32_t zone_id, uint64_t seq,
                 const struct journal_entry *e);
/* Reads one entry; records are allocated in a. Returns 0, LS_ENOTFOUND or an error. */
int journal_get(struct store_txn *t, uint32_t zone_id, uint64_t seq, struct arena *a,
                struct journal_entry *out);

/* What the zone's journal holds: sequences first..last (none when count is 0), bytes. */
struct journal_info {
	uint64_t first, last, count, bytes;
};
int journal_info(struct store_txn *t, uint32_t zone_id, struct journal_info *out);

/* One entry read in place: the value is borrowed until the transaction ends. */
struct journal_view {
	uint32_t from_serial, to_serial;
	int64_t time;
	uint32_t ndel, nadd;
	const uint8_t *p;
	size_t len;
};
int journal_view(struct store_txn *t, uint32_t zone_id, uint64_t seq, struct journal_view *out);
/*
 * The next record of a view, removed ones first, then added ones; *pos starts at
 * JOURNAL_HDR. Owner and RDATA point into the value. Returns 1, 0 at the end, or LS_ESTORE.
 */
int journal_view_next(const struct journal_view *v, size_t *pos, struct rr *rr);
/*
 * The entries that take the zone from serial from to serial to, one per commit: *first is
 * the sequence of the first of them, up to last. LS_ENOTFOUND when the journal does not
 * reach back that far (or the chain is broken).
 */
int journal_find(struct store_txn *t, uint32_t zone_id, uint64_t last, uint32_t from,
                 uint32_t to, uint64_t *first);

#endif
