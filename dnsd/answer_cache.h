/* A worker's answers already built: the sections after the question, by question and snapshot. */
#ifndef DNSD_ANSWER_CACHE_H
#define DNSD_ANSWER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANSWER_CACHE_PROBES 8        /* index slots looked at per question */
#define ANSWER_CACHE_BODY_MAX 1232   /* larger answers are built each time */
#define ANSWER_CACHE_MIN 64          /* KiB: a smaller cache is no cache */
#define ANSWER_CACHE_QNAME 12        /* the question's name in a query: after the header */

/*
 * One cached answer: what follows the question (answer, authority and additional records,
 * compressed against the question at offset 12, whose case the query supplies), the header's
 * AA bit and RCODE, the section counts and the rate limit's class of the answer.
 */
struct answer_cache_entry {
	uint16_t flags;              /* PKT_F_AA or 0 */
	uint8_t rcode;
	uint8_t rrl_class;
	uint16_t count[3];
	uint16_t body_len;
	uint64_t rrl_name;
	const uint8_t *body;         /* borrowed until the next answer_cache_put or _sync */
};

struct answer_cache {
	uint64_t snapshot;           /* the LMDB transaction id every entry was built from */
	uint64_t *index;             /* the hash's top half << 32 | entry offset + 1; 0: empty */
	size_t mask;                 /* index slots - 1 */
	uint8_t *arena;
	size_t cap, used;
	uint64_t hint;               /* the next lookup's hash, already taken (0: none) */
	uint64_t hits, misses, clears;
};

/*
 * A cache of about kib KiB (0: none; answer_cache_get then always misses). Free with
 * answer_cache_free(). -ENOMEM when it cannot be allocated.
 */
int answer_cache_init(struct answer_cache *c, size_t kib);
void answer_cache_free(struct answer_cache *c);
/*
 * The snapshot the next answers read: entries of another one are dropped. Any commit to the
 * store makes a new snapshot, so no answer outlives the data it was built from.
 */
void answer_cache_sync(struct answer_cache *c, uint64_t snapshot);
/*
 * The answer to qname (lower case, wire form) / qtype / qclass, built with room for cap bytes
 * in all. True when found (*e filled).
 */
bool answer_cache_get(struct answer_cache *c, const uint8_t *qname, size_t qname_len,
                      uint16_t qtype, uint16_t qclass, uint16_t cap,
                      struct answer_cache_entry *e);
/*
 * A batch of queries looks its answers up faster when their memory is asked for first: the
 * hash of the query pkt[0..len) (0 when its question does not parse), then a prefetch of its
 * index slot (entry false) and, once that has arrived, of the entry it names (entry true).
 * Hints only: nothing is read that the lookup would not read.
 */
uint64_t answer_cache_hash(const uint8_t *pkt, size_t len);
void answer_cache_prefetch(const struct answer_cache *c, uint64_t h, bool entry);
/*
 * The hash of the query the next answer_cache_get looks up, as answer_cache_hash gave it:
 * not taken twice. A wrong hint costs a miss, never a wrong answer (the lookup compares the
 * question itself); 0 clears it.
 */
void answer_cache_hint(struct answer_cache *c, uint64_t h);
/* Keeps e (its body copied) for that question; the cache empties itself when it is full. */
void answer_cache_put(struct answer_cache *c, const uint8_t *qname, size_t qname_len,
                      uint16_t qtype, uint16_t qclass, uint16_t cap,
                      const struct answer_cache_entry *e);

#endif
