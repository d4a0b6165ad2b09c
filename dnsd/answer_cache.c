/* A worker's answers already built: the sections after the question, by question and snapshot. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "dnsd/answer_cache.h"
#include "shared/dns/dname.h"
#include "shared/dns/wire.h"

#define ENTRY_ALIGN 8
#define BYTES_PER_SLOT 64            /* index slots: one per this many arena bytes */
#define CLEAR_BY_MADVISE (64u << 10) /* a larger index is emptied by dropping its pages */

/* What the arena holds per answer, followed by the name and the body. */
struct stored {
	uint64_t hash;
	uint64_t rrl_name;
	uint16_t qtype, qclass, cap, name_len, body_len;
	uint16_t flags;
	uint16_t count[3];
	uint8_t rcode, rrl_class;
};

/* FNV-1a of the name folded to lower case, then type and class; the room is compared only,
 * so that a query can be hashed (and its slot prefetched) before it is parsed. */
static uint64_t question_hash(const uint8_t *qname, size_t len, uint16_t qtype, uint16_t qclass)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = qname[i];
		h = (h ^ (b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b)) * 0x100000001b3ULL;
	}
	h = (h ^ ((uint64_t)qtype << 16 | qclass)) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

int answer_cache_init(struct answer_cache *c, size_t kib)
{
	memset(c, 0, sizeof(*c));
	if (kib == 0)
		return 0;
	if (kib < ANSWER_CACHE_MIN)
		kib = ANSWER_CACHE_MIN;
	c->cap = kib * 1024;
	size_t slots = 1;
	while (slots < c->cap / BYTES_PER_SLOT)
		slots <<= 1;
	c->mask = slots - 1;
	/* Anonymous maps: zero pages cost no memory until answers fill them, so a server with
	 * one small zone stays small (no huge pages for the same reason). */
	size_t index_len = slots * sizeof(*c->index);
	void *index = mmap(NULL, index_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                   -1, 0);
	void *arena = mmap(NULL, c->cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	                   -1, 0);
	if (index == MAP_FAILED || arena == MAP_FAILED) {
		if (index != MAP_FAILED)
			munmap(index, index_len);
		if (arena != MAP_FAILED)
			munmap(arena, c->cap);
		memset(c, 0, sizeof(*c));
		return -ENOMEM;
	}
	c->index = index;
	c->arena = arena;
	return 0;
}

void answer_cache_free(struct answer_cache *c)
{
	if (c->index != NULL)
		munmap(c->index, (c->mask + 1) * sizeof(*c->index));
	if (c->arena != NULL)
		munmap(c->arena, c->cap);
	memset(c, 0, sizeof(*c));
}

static void clear(struct answer_cache *c)
{
	if (c->used == 0)
		return;
	/* Dropping the pages zeroes them and gives back what a burst of names took. */
	size_t len = (c->mask + 1) * sizeof(*c->index);
	if (len < CLEAR_BY_MADVISE || madvise(c->index, len, MADV_DONTNEED) != 0)
		memset(c->index, 0, len);
	c->used = 0;
	c->clears++;
}

void answer_cache_sync(struct answer_cache *c, uint64_t snapshot)
{
	if (c->snapshot != snapshot) {
		clear(c);
		c->snapshot = snapshot;
	}
}

static const struct stored *at(const struct answer_cache *c, uint64_t slot)
{
	return (const struct stored *)(void *)(c->arena + (uint32_t)slot - 1);
}

bool answer_cache_get(struct answer_cache *c, const uint8_t *qname, size_t qname_len,
                      uint16_t qtype, uint16_t qclass, uint16_t cap,
                      struct answer_cache_entry *e)
{
	if (c->index == NULL)
		return false;
	uint64_t h = c->hint ? c->hint : question_hash(qname, qname_len, qtype, qclass);
	c->hint = 0;
	for (size_t i = 0; i < ANSWER_CACHE_PROBES; i++) {
		uint64_t slot = c->index[(h + i) & c->mask];
		if (slot == 0)
			break;
		if (slot >> 32 != h >> 32)
			continue;              /* told apart without touching the arena */
		const struct stored *s = at(c, slot);
		if (s->hash != h || s->qtype != qtype || s->qclass != qclass || s->cap != cap ||
		    s->name_len != qname_len || memcmp(s + 1, qname, qname_len) != 0)
			continue;
		e->flags = s->flags;
		e->rcode = s->rcode;
		e->rrl_class = s->rrl_class;
		e->rrl_name = s->rrl_name;
		memcpy(e->count, s->count, sizeof(e->count));
		e->body_len = s->body_len;
		e->body = (const uint8_t *)(s + 1) + qname_len;
		c->hits++;
		return true;
	}
	c->misses++;
	return false;
}

void answer_cache_put(struct answer_cache *c, const uint8_t *qname, size_t qname_len,
                      uint16_t qtype, uint16_t qclass, uint16_t cap,
                      const struct answer_cache_entry *e)
{
	if (c->index == NULL || e->body_len > ANSWER_CACHE_BODY_MAX)
		return;
	size_t need = (sizeof(struct stored) + qname_len + e->body_len + ENTRY_ALIGN - 1) &
	              ~(size_t)(ENTRY_ALIGN - 1);
	if (need > c->cap)
		return;
	if (c->cap - c->used < need)
		clear(c);        /* full: start again, the answers asked for come back first */
	uint64_t h = question_hash(qname, qname_len, qtype, qclass);
	size_t slot = h & c->mask;
	for (size_t i = 0; i < ANSWER_CACHE_PROBES; i++) {
		if (c->index[(h + i) & c->mask] == 0) {
			slot = (h + i) & c->mask;
			break;
		}
	}
	struct stored *s = (struct stored *)(void *)(c->arena + c->used);
	*s = (struct stored){ .hash = h, .rrl_name = e->rrl_name, .qtype = qtype, .qclass = qclass,
	                      .cap = cap, .name_len = (uint16_t)qname_len, .body_len = e->body_len,
	                      .flags = e->flags, .rcode = e->rcode, .rrl_class = e->rrl_class };
	memcpy(s->count, e->count, sizeof(s->count));
	memcpy(s + 1, qname, qname_len);
	memcpy((uint8_t *)(s + 1) + qname_len, e->body, e->body_len);
	/* A slot overwritten leaves its entry unreachable in the arena until the next clear. */
	c->index[slot] = (h >> 32) << 32 | (uint32_t)(c->used + 1);
	c->used += need;
}

uint64_t answer_cache_hash(const uint8_t *pkt, size_t len)
{
	if (len < ANSWER_CACHE_QNAME)
		return 0;
	int nl = dname_wire_len(pkt + ANSWER_CACHE_QNAME, len - ANSWER_CACHE_QNAME);
	if (nl < 0 || len - ANSWER_CACHE_QNAME - (size_t)nl < 4)
		return 0;
	const uint8_t *t = pkt + ANSWER_CACHE_QNAME + nl;
	return question_hash(pkt + ANSWER_CACHE_QNAME, (size_t)nl, wire_get16(t), wire_get16(t + 2));
}

void answer_cache_prefetch(const struct answer_cache *c, uint64_t h, bool entry)
{
	if (c->index == NULL || h == 0)
		return;
	const uint64_t *slot = &c->index[h & c->mask];
	if (!entry) {
		__builtin_prefetch(slot);
		return;
	}
	if (*slot != 0 && *slot >> 32 == h >> 32) {
		/* The name the lookup compares starts 40 bytes in: mostly on the next line. */
		const uint8_t *s = (const uint8_t *)at(c, *slot);
		__builtin_prefetch(s);
		__builtin_prefetch(s + 64);
	}
}

void answer_cache_hint(struct answer_cache *c, uint64_t h)
{
	c->hint = h;
}
