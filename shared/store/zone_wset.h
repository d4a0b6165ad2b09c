/* The working set of a zone edit: RRsets by key, each next to what the store held. */
#ifndef LS_ZONE_WSET_H
#define LS_ZONE_WSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/util/arena.h"
#include "shared/util/diag.h"
#include "shared/store/rrset.h"

/* One RRset as the edit leaves it (rd), and as the store had it (old). */
struct wset {
	const uint8_t *key;
	const uint8_t *owner;
	struct rdata *old, *rd;     /* arrays in the edit's arena */
	uint32_t nold, n, cap;
	uint32_t old_ttl, ttl;
	uint16_t klen, type;
	bool old_exists, changed;
};

struct wset_slot;

/*
 * RRsets by key: an array (indexes stay valid, pointers do not) and a hash table; or,
 * while filled only by wset_map_append in key order, no table and binary search.
 */
struct wset_map {
	struct wset *v;
	size_t n, cap;
	struct wset_slot *slots;    /* open addressing, load at most 1/2 */
	size_t scap;
	bool sorted;                /* v is in key order and there is no table */
};

void wset_map_init(struct wset_map *m);
void wset_map_free(struct wset_map *m);
/*
 * Appends a new entry whose key and owner the caller keeps alive as long as the map.
 * Keys appended in increasing order to a map without a table keep it sorted (a new
 * zone's records, grouped after sorting, need no hash table).
 */
struct wset *wset_map_append(struct wset_map *m, const uint8_t *key, size_t klen,
                             const uint8_t *owner, uint16_t type);
/* Makes room for n entries at once (a large import knows its size): 0 or -1. */
int wset_map_reserve(struct wset_map *m, size_t n);
/* The entry for key, or NULL. */
struct wset *wset_map_find(struct wset_map *m, const uint8_t *key, size_t klen);
/*
 * The entry for key; a new empty one (key and owner copied into a) when there was
 * none, with *created set. NULL when out of memory.
 */
struct wset *wset_map_get(struct wset_map *m, struct arena *a, const uint8_t *key, size_t klen,
                          const uint8_t *owner, uint16_t type, bool *created);
/* Indexes of every entry in key order (canonical order of names); malloc'ed. */
uint32_t *wset_map_order(const struct wset_map *m);

/* Sorts the records, drops duplicates (warning for those read from a file), sorts old. */
void wset_normalise(struct wset *w, struct diag *d);
/* True when rd and old hold the same records (both normalised). */
bool wset_same(const struct wset *w);
int wset_rdata_cmp(const struct rdata *a, const struct rdata *b);
/*
 * The TTL of w as rr joins it (before w->n counts rr): in a file or a batch the last TTL
 * wins, with a warning for each record that changes it, as Knot loads a zone; a record
 * added to a stored RRset takes the stored TTL (rr set changes it).
 */
void wset_ttl(struct wset *w, const struct rr *rr, bool stored, struct diag *d);

#endif
