/* Working-set RRsets: hash table by key, key-order sorting, record normalisation. */
#include <stdlib.h>
#include <string.h>
#include "shared/dns/rrtext.h"
#include "shared/store/zone_wset.h"
#include "shared/util/fnv.h"

/* A hash slot: the key's hash (to skip most key compares) and its index + 1 into v. */
struct wset_slot {
	uint32_t hash;
	uint32_t index;             /* 0: empty */
};

static uint32_t hash_key(const uint8_t *k, size_t len)
{
	uint64_t h = fnv1a(k, len);
	/* FNV's low bits cluster for keys that differ only at the end: mix before masking. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static size_t home(uint32_t hash, size_t scap)
{
	return (size_t)(hash * 0x9e3779b97f4a7c15ull >> 32) & (scap - 1);
}

/* Builds the hash table anew with scap slots, from every entry. */
static int rehash(struct wset_map *m, size_t scap)
{
	struct wset_slot *s = calloc(scap, sizeof(*s));
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < m->n; i++) {
		uint32_t hash = hash_key(m->v[i].key, m->v[i].klen);
		size_t k = home(hash, scap);
		while (s[k].index)
			k = (k + 1) & (scap - 1);
		s[k] = (struct wset_slot){ hash, (uint32_t)i + 1 };
	}
	free(m->slots);
	m->slots = s;
	m->scap = scap;
	m->sorted = false;
	return 0;
}

static int grow(struct wset_map *m)
{
	return rehash(m, m->scap ? m->scap * 2 : 1024);
}

static int room(struct wset_map *m, size_t n)
{
	if (n <= m->cap)
		return 0;
	struct wset *v = realloc(m->v, n * sizeof(*v));
	if (v == NULL)
		return -1;
	m->v = v;
	m->cap = n;
	return 0;
}

int wset_map_reserve(struct wset_map *m, size_t n)
{
	return room(m, n);
}

/* A sorted map (filled by wset_map_append) finds keys by binary search. */
static struct wset *search(const struct wset_map *m, const uint8_t *key, size_t klen)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = rdata_cmp(m->v[mid].key, m->v[mid].klen, key, klen);
		if (c == 0)
			return &m->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The slot holding key, or the free slot where it would go. */
static struct wset_slot *slot_of(const struct wset_map *m, const uint8_t *key, size_t klen,
                                 uint32_t hash)
{
	for (size_t k = home(hash, m->scap);; k = (k + 1) & (m->scap - 1)) {
		struct wset_slot *s = &m->slots[k];
		if (s->index == 0)
			return s;
		const struct wset *w = &m->v[s->index - 1];
		if (s->hash == hash && w->klen == klen && memcmp(w->key, key, klen) == 0)
			return s;
	}
}

void wset_map_init(struct wset_map *m)
{
	memset(m, 0, sizeof(*m));
}

void wset_map_free(struct wset_map *m)
{
	free(m->v);
	free(m->slots);
	wset_map_init(m);
}

struct wset *wset_map_find(struct wset_map *m, const uint8_t *key, size_t klen)
{
	if (m->sorted)
		return search(m, key, klen);
	if (m->scap == 0)
		return NULL;
	struct wset_slot *s = slot_of(m, key, klen, hash_key(key, klen));
	return s->index ? &m->v[s->index - 1] : NULL;
}

struct wset *wset_map_get(struct wset_map *m, struct arena *a, const uint8_t *key, size_t klen,
                          const uint8_t *owner, uint16_t type, bool *created)
{
	*created = false;
	if (m->sorted) {
		struct wset *w = search(m, key, klen);
		size_t scap = 1024;
		while (scap < 2 * (m->n + 1))
			scap *= 2;
		if (w || rehash(m, scap))    /* a new key ends the sorted mode */
			return w;
	}
	if ((m->n + 1) * 2 > m->scap && grow(m))
		return NULL;
	uint32_t hash = hash_key(key, klen);
	struct wset_slot *s = slot_of(m, key, klen, hash);
	if (s->index)
		return &m->v[s->index - 1];
	const uint8_t *k = arena_dup(a, key, klen);
	const uint8_t *o = arena_dup(a, owner, (size_t)dname_wire_len(owner, DNAME_MAX));
	struct wset *w = k && o ? wset_map_append(m, k, klen, o, type) : NULL;
	if (w == NULL)
		return NULL;
	m->sorted = false;
	s->hash = hash;
	s->index = (uint32_t)m->n;
	*created = true;
	return w;
}

struct wset *wset_map_append(struct wset_map *m, const uint8_t *key, size_t klen,
                             const uint8_t *owner, uint16_t type)
{
	if (m->n == m->cap && room(m, m->cap ? m->cap * 2 : 256))
		return NULL;
	struct wset *w = &m->v[m->n];
	memset(w, 0, sizeof(*w));
	w->key = key;
	w->owner = owner;
	w->klen = (uint16_t)klen;
	w->type = type;
	m->sorted = m->scap == 0;    /* appends to a map with no hash table keep it sorted */
	m->n++;
	return w;
}

/* Sort entry: the key's first bytes after the zone id as a number, so most compares stay in cache. */
struct order {
	uint64_t prefix;
	uint32_t index;
};

static int cmp_order(const void *a, const void *b, void *base)
{
	const struct order *x = a, *y = b;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	const struct wset *v = base, *wx = &v[x->index], *wy = &v[y->index];
	return rdata_cmp(wx->key, wx->klen, wy->key, wy->klen);
}

uint32_t *wset_map_order(const struct wset_map *m)
{
	uint32_t *order = malloc((m->n + 1) * sizeof(*order));
	if (order && m->sorted) {
		for (size_t i = 0; i < m->n; i++)
			order[i] = (uint32_t)i;
		return order;
	}
	struct order *sorted = malloc((m->n + 1) * sizeof(*sorted));
	if (sorted == NULL || order == NULL) {
		free(sorted);
		free(order);
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct wset *w = &m->v[i];
		uint64_t p = 0;
		for (size_t k = 4; k < 12; k++)
			p = p << 8 | (k < w->klen ? w->key[k] : 0);
		sorted[i] = (struct order){ p, (uint32_t)i };
	}
	qsort_r(sorted, m->n, sizeof(*sorted), cmp_order, m->v);
	for (size_t i = 0; i < m->n; i++)
		order[i] = sorted[i].index;
	free(sorted);
	return order;
}

int wset_rdata_cmp(const struct rdata *x, const struct rdata *y)
{
	return rdata_cmp(x->p, x->len, y->p, y->len);
}

static int cmp_rdata(const void *a, const void *b)
{
	return wset_rdata_cmp(a, b);
}

/* RFC 2181 5: an RRset holds each record once. */
void wset_normalise(struct wset *w, struct diag *d)
{
	char name[DNAME_STR_MAX], tn[16];
	if (w->n > 1)
		qsort(w->rd, w->n, sizeof(*w->rd), cmp_rdata);
	uint32_t out = 0;
	for (uint32_t i = 0; i < w->n; i++) {
		if (out > 0 && cmp_rdata(&w->rd[out - 1], &w->rd[i]) == 0) {
			if (w->rd[i].file)
				diag_add(d, DIAG_WARNING, w->rd[i].file, w->rd[i].line,
				         "duplicate %s record at %s ignored", rr_type_name(w->type, tn, sizeof(tn)),
				         dname_format(name, w->owner));
			continue;
		}
		w->rd[out++] = w->rd[i];
	}
	w->n = out;
	if (w->nold > 1)
		qsort(w->old, w->nold, sizeof(*w->old), cmp_rdata);
}

bool wset_same(const struct wset *w)
{
	if (w->n != w->nold)
		return false;
	for (uint32_t i = 0; i < w->n; i++)
		if (cmp_rdata(&w->rd[i], &w->old[i]) != 0)
			return false;
	return true;
}

void wset_ttl(struct wset *w, const struct rr *rr, bool stored, struct diag *d)
{
	char name[DNAME_STR_MAX], tn[16];
	if (w->n == 0) {
		w->ttl = rr->ttl;
	} else if (rr->ttl != w->ttl && stored) {
		diag_add(d, DIAG_WARNING, rr->file, rr->line,
		         "TTL %u differs from the TTL %u of the other %s records at %s; using %u",
		         rr->ttl, w->ttl, rr_type_name(rr->type, tn, sizeof(tn)),
		         dname_format(name, rr->owner), w->ttl);
	} else if (rr->ttl != w->ttl) {
		diag_add(d, DIAG_WARNING, rr->file, rr->line,
		         "TTL %u differs from the TTL %u of the earlier %s records at %s; the RRset "
		         "gets %u (the last TTL wins, as in Knot)", rr->ttl, w->ttl,
		         rr_type_name(rr->type, tn, sizeof(tn)), dname_format(name, rr->owner), rr->ttl);
		w->ttl = rr->ttl;
	}
}
