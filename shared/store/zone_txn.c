/* Zone edit transactions: a working set of RRsets over one LMDB write transaction. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "shared/util/arena.h"
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/store/journal.h"
#include "shared/dns/rrtext.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_hook.h"
#include "shared/store/zone_new.h"
#include "shared/store/zone_wset.h"
#include "shared/store/zone_txn.h"

struct zone_txn {
	struct store_txn t;
	struct zone_info zone;
	unsigned flags;
	bool creating, errors;
	char source[HISTORY_SOURCE_MAX];
	struct arena a;
	struct wset_map m;
	const char *file_in, *file_copy;   /* the last file name seen, and its copy */
	const char *last_file;      /* where the edit's records came from, for zone-wide errors */
	/* A new zone's records, grouped into RRsets by sorting when first needed: no hashing. */
	const struct rr **pend;
	size_t npend, pcap;
	struct diag *pend_d;        /* where their warnings go when grouping them */
	size_t last;                /* index + 1 of the RRset used last: files group records */
	const struct zone_hook *hooks;   /* run by commit, in order; NULL for none */
};

static int load_old(struct zone_txn *zt, struct wset *w)
{
	MDB_val v;
	struct rrset_view view;
	int rc = store_get(&zt->t, STORE_RRSETS, w->key, w->klen, &v);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (rrset_decode(v.mv_data, v.mv_size, &view))
		return store_fail(&zt->t, LS_ESTORE);
	w->old = arena_alloc(&zt->a, (view.count + 1u) * sizeof(struct rdata));
	if (w->old == NULL)
		return -ENOMEM;
	const uint8_t *rd;
	uint16_t len;
	size_t pos = 0;
	while (rrset_next(&view, &pos, &rd, &len)) {
		/* Copied: LMDB values are only valid until the next write. */
		struct rdata *r = &w->old[w->nold++];
		memset(r, 0, sizeof(*r));
		r->p = arena_dup(&zt->a, rd, len);
		r->len = len;
		if (r->p == NULL && len)
			return -ENOMEM;
	}
	w->old_exists = true;
	w->old_ttl = view.ttl;
	return 0;
}

/* The working RRset for key, loading the stored one on first use. */
static struct wset *get_key(struct zone_txn *zt, const uint8_t *key, size_t klen,
                            const uint8_t *owner, uint16_t type)
{
	bool created;
	struct wset *w = wset_map_get(&zt->m, &zt->a, key, klen, owner, type, &created);
	if (w == NULL || !created)
		return w;
	if (!zt->creating && load_old(zt, w))
		return NULL;
	if (!(zt->flags & ZONE_TXN_REPLACE) && w->old_exists) {
		w->rd = arena_dup(&zt->a, w->old, (w->nold + 1u) * sizeof(struct rdata));
		if (w->rd == NULL)
			return NULL;
		w->n = w->cap = w->nold;
		w->ttl = w->old_ttl;
	}
	return w;
}

static int flush_pending(struct zone_txn *zt, struct diag *d);

static struct wset *get(struct zone_txn *zt, const uint8_t *owner, uint16_t type)
{
	uint8_t key[RRSET_KEY_MAX];
	if (zt->npend && flush_pending(zt, zt->pend_d) != 0)
		return NULL;
	if (zt->last) {
		struct wset *w = &zt->m.v[zt->last - 1];
		if (w->type == type && dname_equal(w->owner, owner))
			return w;
	}
	int kl = rrset_key(key, zt->zone.id, owner, zt->zone.apex, type);
	struct wset *w = kl < 0 ? NULL : get_key(zt, key, (size_t)kl, owner, type);
	zt->last = w ? (size_t)(w - zt->m.v) + 1 : 0;
	return w;
}

/* A transaction of its own (parent NULL) or one nested in parent. */
static int begin(struct store *st, struct store_txn *parent, const uint8_t *apex,
                 unsigned flags, size_t hint, const char *source, struct zone_txn **out)
{
	struct zone_txn *zt = calloc(1, sizeof(*zt));
	if (zt == NULL)
		return -ENOMEM;
	arena_init(&zt->a);
	wset_map_init(&zt->m);
	zt->flags = flags;
	snprintf(zt->source, sizeof(zt->source), "%s", source ? source : "");
	int rc = parent ? store_begin_nested(parent, &zt->t) : store_begin(st, true, hint, &zt->t);
	if (rc)
		goto fail;
	rc = zone_get(&zt->t, apex, &zt->zone);
	if (rc == 0 && (flags & ZONE_TXN_EXCL)) {
		rc = LS_EEXIST;
	} else if (rc == LS_ENOZONE && (flags & ZONE_TXN_CREATE)) {
		uint64_t id;
		memset(&zt->zone, 0, sizeof(zt->zone));
		memcpy(zt->zone.apex, apex, (size_t)dname_wire_len(apex, DNAME_MAX));
		dname_lower(zt->zone.apex);
		rc = store_next_id(&zt->t, "zone_id", &id);
		if (rc == 0 && id > UINT32_MAX)
			rc = LS_ETOOBIG;
		zt->zone.id = (uint32_t)id;
		zt->creating = true;
	}
	if (rc)
		goto fail;
	*out = zt;
	return 0;
fail:
	zone_txn_free(zt);
	return rc;
}

int zone_txn_begin(struct store *st, const uint8_t *apex, unsigned flags, size_t hint,
                   const char *source, struct zone_txn **out)
{
	return begin(st, NULL, apex, flags, hint, source, out);
}

int zone_txn_begin_in(struct store_txn *parent, const uint8_t *apex, unsigned flags,
                      const char *source, struct zone_txn **out)
{
	return begin(parent->st, parent, apex, flags, 0, source, out);
}

const char *zone_txn_source(const struct zone_txn *zt)
{
	return zt->source;
}

bool zone_txn_creating(const struct zone_txn *zt)
{
	return zt->creating;
}

int zone_txn_serial(struct zone_txn *zt, uint32_t *serial)
{
	return zt->creating ? LS_ENOZONE : zone_serial(&zt->t, &zt->zone, serial);
}

void zone_txn_set_policy(struct zone_txn *zt, enum serial_policy policy)
{
	if (zt->creating)
		zt->zone.policy = policy;
}

const struct zone_info *zone_txn_zone(const struct zone_txn *zt)
{
	return &zt->zone;
}

struct store_txn *zone_txn_store(struct zone_txn *zt)
{
	return &zt->t;
}

int zone_txn_count(struct zone_txn *zt, const uint8_t *owner, uint16_t type, uint32_t *n)
{
	uint8_t key[RRSET_KEY_MAX];
	MDB_val v;
	struct rrset_view view;
	*n = 0;
	int kl = rrset_key(key, zt->zone.id, owner, zt->zone.apex, type);
	if (kl < 0)
		return 0;
	const struct wset *w = wset_map_find(&zt->m, key, (size_t)kl);
	if (w) {
		*n = w->n;
		return 0;
	}
	if (zt->creating)
		return 0;
	int rc = store_get(&zt->t, STORE_RRSETS, key, (size_t)kl, &v);
	if (rc == LS_ENOTFOUND)
		return 0;
	if (rc == 0 && rrset_decode(v.mv_data, v.mv_size, &view) == 0)
		*n = view.count;
	return rc;
}

void zone_txn_reserve(struct zone_txn *zt, size_t n)
{
	/* A new zone's borrowed records wait as pointers (zone_new.c); others fill the map. */
	if (zt->creating && (zt->flags & ZONE_TXN_BORROW) && zt->m.n == 0) {
		const struct rr **v = n > zt->pcap ? realloc(zt->pend, n * sizeof(*v)) : NULL;
		if (v) {
			zt->pend = v;
			zt->pcap = n;
		}
		return;
	}
	wset_map_reserve(&zt->m, n);    /* without the room, the map grows as it goes */
}

static const char *file_copy(struct zone_txn *zt, const char *file)
{
	if (file == NULL || (zt->flags & ZONE_TXN_BORROW))
		return file;
	if (file != zt->file_in) {
		zt->file_in = file;
		zt->file_copy = arena_dup(&zt->a, file, strlen(file) + 1);
	}
	return zt->file_copy;
}

/* Appends one record to its RRset, its TTL merged as wset_ttl says. */
static int append(struct zone_txn *zt, struct wset *w, const struct rr *rr, struct diag *d)
{
	wset_ttl(w, rr, w->old_exists && !(zt->flags & ZONE_TXN_REPLACE), d);
	if (w->n == w->cap) {
		uint32_t cap = w->cap ? w->cap * 2 : 1;
		struct rdata *rd = arena_alloc(&zt->a, cap * sizeof(*rd));
		if (rd == NULL)
			return -ENOMEM;
		if (w->n)
			memcpy(rd, w->rd, w->n * sizeof(*rd));
		w->rd = rd;
		w->cap = cap;
	}
	struct rdata *r = &w->rd[w->n];
	r->p = (zt->flags & ZONE_TXN_BORROW) ? rr->rdata : arena_dup(&zt->a, rr->rdata, rr->rdlen);
	if (r->p == NULL && rr->rdlen)
		return -ENOMEM;
	r->len = rr->rdlen;
	r->file = file_copy(zt, rr->file);
	r->line = rr->line;
	w->n++;
	return 0;
}

static void too_long(struct zone_txn *zt, const struct rr *rr, struct diag *d)
{
	char name[DNAME_STR_MAX];
	diag_add(d, DIAG_ERROR, rr->file, rr->line, "name %s is too long for the store",
	         dname_format(name, rr->owner));
	zt->errors = true;
}

/* Sort entry for pending records: key, then file order (so the last TTL still wins). */
struct pending {
	const uint8_t *key;
	uint16_t klen;
	uint32_t index;
};

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	int c = rdata_cmp(x->key, x->klen, y->key, y->klen);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Groups the pending records of a new zone into RRsets, appended in key order. */
static int flush_pending(struct zone_txn *zt, struct diag *d)
{
	uint8_t key[RRSET_KEY_MAX];
	int rc = 0;
	if (zt->npend == 0)
		return 0;
	struct pending *p = malloc(zt->npend * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < zt->npend; i++) {
		const struct rr *rr = zt->pend[i];
		int kl = rrset_key(key, zt->zone.id, rr->owner, zt->zone.apex, rr->type);
		if (kl < 0) {
			too_long(zt, rr, d);
			continue;
		}
		p[n] = (struct pending){ arena_dup(&zt->a, key, (size_t)kl), (uint16_t)kl, (uint32_t)i };
		if (p[n++].key == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	qsort(p, n, sizeof(*p), cmp_pending);
	if (wset_map_reserve(&zt->m, n) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, j; i < n; i = j) {
		/* One RRset: records i..j share the key; its array is sized once. */
		for (j = i + 1; j < n && p[j].klen == p[i].klen &&
		                memcmp(p[j].key, p[i].key, p[i].klen) == 0; j++)
			;
		const struct rr *rr = zt->pend[p[i].index];
		struct wset *w = wset_map_append(&zt->m, p[i].key, p[i].klen, rr->owner, rr->type);
		if (w == NULL || (w->rd = arena_alloc(&zt->a, (j - i) * sizeof(*w->rd))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		w->cap = (uint32_t)(j - i);
		for (size_t k = i; k < j; k++)
			if ((rc = append(zt, w, zt->pend[p[k].index], d)) != 0)
				goto out;
	}
out:
	free(p);
	free(zt->pend);
	zt->pend = NULL;
	zt->npend = zt->pcap = 0;
	return rc;
}

int zone_txn_add(struct zone_txn *zt, const struct rr *rr, struct diag *d)
{
	if (zone_check_rr(rr, zt->zone.apex, d)) {
		zt->errors = true;
		return LS_EINVAL_ZONE;
	}
	if (rr->file)
		zt->last_file = rr->file;
	/* A new zone filled from borrowed records is grouped by sorting, later, all at once. */
	if (zt->creating && (zt->flags & ZONE_TXN_BORROW) && zt->m.n == 0) {
		if (zt->npend == zt->pcap) {
			size_t cap = zt->pcap ? zt->pcap * 2 : 1024;
			const struct rr **v = realloc(zt->pend, cap * sizeof(*v));
			if (v == NULL)
				return -ENOMEM;
			zt->pend = v;
			zt->pcap = cap;
		}
		zt->pend[zt->npend++] = rr;
		zt->pend_d = d;
		return 0;
	}
	struct wset *w = get(zt, rr->owner, rr->type);
	if (w == NULL) {
		too_long(zt, rr, d);
		return zt->t.err ? zt->t.err : LS_EINVAL_ZONE;
	}
	return append(zt, w, rr, d);
}

int zone_txn_ttl(struct zone_txn *zt, const uint8_t *owner, uint16_t type, uint32_t *ttl)
{
	struct wset *w = get(zt, owner, type);
	if (w == NULL || w->n == 0)
		return zt->t.err ? zt->t.err : LS_ENOTFOUND;
	*ttl = w->ttl;
	return 0;
}

int zone_txn_set_ttl(struct zone_txn *zt, const uint8_t *owner, uint16_t type, uint32_t ttl)
{
	struct wset *w = get(zt, owner, type);
	if (w == NULL || w->n == 0)
		return zt->t.err ? zt->t.err : LS_ENOTFOUND;
	w->ttl = ttl;
	return 0;
}

int zone_txn_del_rr(struct zone_txn *zt, const struct rr *rr)
{
	struct wset *w = get(zt, rr->owner, rr->type);
	if (w == NULL)
		return zt->t.err ? zt->t.err : LS_ENOTFOUND;
	for (uint32_t i = 0; i < w->n; i++) {
		if (rdata_cmp(w->rd[i].p, w->rd[i].len, rr->rdata, rr->rdlen) == 0) {
			w->rd[i] = w->rd[--w->n];
			return 0;
		}
	}
	return LS_ENOTFOUND;
}

/* Every type stored at owner (outside this edit); *types malloc'ed. */
static int stored_types(struct zone_txn *zt, const uint8_t *owner, uint16_t **types, size_t *n)
{
	uint8_t prefix[RRSET_KEY_MAX];
	MDB_cursor *cur;
	size_t cap = 0;
	*types = NULL;
	*n = 0;
	int pl = rrset_name_prefix(prefix, zt->zone.id, owner, zt->zone.apex);
	if (pl < 0 || zt->creating)
		return 0;
	int rc = store_cursor(&zt->t, STORE_RRSETS, &cur);
	if (rc)
		return rc;
	MDB_val k = { (size_t)pl, prefix }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != (size_t)pl + 2 || memcmp(k.mv_data, prefix, (size_t)pl) != 0)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			uint16_t *t = realloc(*types, cap * sizeof(*t));
			if (t == NULL) {
				mdb_cursor_close(cur);
				return -ENOMEM;
			}
			*types = t;
		}
		(*types)[(*n)++] = wire_get16((uint8_t *)k.mv_data + pl);
	}
	mdb_cursor_close(cur);
	return 0;
}

int zone_txn_name_has(struct zone_txn *zt, const uint8_t *owner, bool (*match)(uint16_t type),
                      bool *found)
{
	uint16_t *types;
	size_t nt;
	uint32_t count = 0;
	*found = false;
	int rc = stored_types(zt, owner, &types, &nt);
	for (size_t i = 0; rc == 0 && i < nt && !*found; i++) {
		if (match(types[i]) && (rc = zone_txn_count(zt, owner, types[i], &count)) == 0)
			*found = count > 0;
	}
	free(types);
	/* RRsets the edit made that the store does not hold yet. */
	for (size_t i = 0; rc == 0 && i < zt->m.n && !*found; i++) {
		const struct wset *w = &zt->m.v[i];
		*found = w->n > 0 && match(w->type) && dname_equal(w->owner, owner);
	}
	return rc;
}

int zone_txn_del_rrset(struct zone_txn *zt, const uint8_t *owner, uint16_t type)
{
	bool found = false;
	if (type != 0) {
		struct wset *w = get(zt, owner, type);
		if (w == NULL)
			return zt->t.err ? zt->t.err : LS_ENOTFOUND;
		found = w->n > 0;
		w->n = 0;
		return found ? 0 : LS_ENOTFOUND;
	}
	uint16_t *types;
	size_t nt;
	int rc = stored_types(zt, owner, &types, &nt);
	if (rc)
		return rc;
	for (size_t i = 0; i < nt; i++)
		get(zt, owner, types[i]);    /* pulls them into the working set */
	free(types);
	for (size_t i = 0; i < zt->m.n; i++) {
		struct wset *w = &zt->m.v[i];
		if (w->n > 0 && dname_equal(w->owner, owner)) {
			w->n = 0;
			found = true;
		}
	}
	return found ? 0 : LS_ENOTFOUND;
}

/* In a full replacement, every stored RRset the edit did not mention is deleted. */
static int pull_unmentioned(struct zone_txn *zt)
{
	uint8_t id[4], owner[DNAME_MAX];
	uint16_t type;
	MDB_cursor *cur;
	wire_put32(id, zt->zone.id);
	int rc = store_cursor(&zt->t, STORE_RRSETS, &cur);
	if (rc)
		return rc;
	MDB_val k = { 4, id }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 4 || memcmp(k.mv_data, id, 4) != 0)
			break;
		if (wset_map_find(&zt->m, k.mv_data, k.mv_size))
			continue;
		if (rrset_key_split(k.mv_data, k.mv_size, zt->zone.apex, owner, &type)) {
			rc = LS_ESTORE;
			break;
		}
		if (get_key(zt, k.mv_data, k.mv_size, owner, type) == NULL) {
			rc = zt->t.err ? zt->t.err : -ENOMEM;
			break;
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* Checks between the RRsets of each name the edit touched. */
static int check_names(struct zone_txn *zt, const uint32_t *order, size_t n, struct diag *d)
{
	uint16_t *types = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < n;) {
		const struct wset *first = &zt->m.v[order[i]];
		size_t j = i;
		bool touched = false;
		const struct rdata *where = NULL;
		size_t nt = 0;
		for (; j < n; j++) {
			const struct wset *w = &zt->m.v[order[j]];
			if (w->klen != first->klen || memcmp(w->key, first->key, w->klen - 2u) != 0)
				break;
			touched |= w->changed && w->n > 0;
			if (w->n > 0 && (where == NULL || (w->type == T_CNAME && w->rd[0].file)))
				where = &w->rd[0];
		}
		if (touched) {
			uint16_t *stored;
			size_t ns;
			/* A full replacement has every stored RRset in the working set already. */
			stored = NULL;
			ns = 0;
			int rc = (zt->flags & ZONE_TXN_REPLACE) ? 0 : stored_types(zt, first->owner, &stored, &ns);
			if (rc)
				return rc;
			if (cap < (j - i) + ns) {
				cap = (j - i) + ns;
				uint16_t *t = realloc(types, cap * sizeof(*t));
				if (t == NULL) {
					free(stored);
					free(types);
					return -ENOMEM;
				}
				types = t;
			}
			for (size_t k = i; k < j; k++)
				if (zt->m.v[order[k]].n > 0)
					types[nt++] = zt->m.v[order[k]].type;
			for (size_t s = 0; s < ns; s++) {
				bool in_edit = false;
				for (size_t k = i; k < j; k++)
					in_edit |= zt->m.v[order[k]].type == stored[s];
				if (!in_edit)
					types[nt++] = stored[s];
			}
			free(stored);
			zone_check_name(first->owner, types, nt, where->file, where->line, d);
		}
		i = j;
	}
	free(types);
	return 0;
}

bool zone_txn_next_change(struct zone_txn *zt, size_t *pos, struct zone_change *c)
{
	for (; *pos < zt->m.n; (*pos)++) {
		const struct wset *w = &zt->m.v[*pos];
		if (!w->changed)
			continue;
		*c = (struct zone_change){ w->owner, w->type, w->old, w->rd, w->nold, w->n,
		                           w->old_ttl, w->ttl, w->n ? w->rd[0].file : zt->last_file,
		                           w->n ? w->rd[0].line : 0, *pos };
		(*pos)++;
		return true;
	}
	return false;
}

void zone_txn_keep_stored(struct zone_txn *zt, const struct zone_change *c)
{
	struct wset *w = &zt->m.v[c->slot];
	w->rd = w->old;
	w->n = w->cap = w->nold;
	w->ttl = w->old_ttl;
	w->changed = false;
}

unsigned zone_txn_flags(const struct zone_txn *zt)
{
	return zt->flags;
}

void zone_txn_set_hooks(struct zone_txn *zt, const struct zone_hook *hooks)
{
	zt->hooks = hooks;
}

/* The derivations in order: a refusal is collected like any other error. */
static int run_hooks(struct zone_txn *zt, struct diag *d)
{
	for (const struct zone_hook *h = zt->hooks; h && h->name; h++) {
		int rc = h->commit ? h->commit(zt, d) : 0;
		if (rc == LS_EINVAL_ZONE)
			zt->errors = true;
		else if (rc)
			return rc;
	}
	return 0;
}

/* Differences of one changed RRset, appended to the diff (or counted when out is NULL). */
static void diff_rrset(const struct wset *w, struct rr *del, size_t *ndel, struct rr *add,
                       size_t *nadd)
{
	bool ttl_changed = w->old_exists && w->n > 0 && w->ttl != w->old_ttl;
	uint32_t i = 0, j = 0;
	while (i < w->nold || j < w->n) {
		int c;
		if (i == w->nold)
			c = 1;
		else if (j == w->n)
			c = -1;
		else
			c = ttl_changed ? 0 : wset_rdata_cmp(&w->old[i], &w->rd[j]);
		if (c == 0 && !ttl_changed) {
			i++, j++;
			continue;
		}
		if (c <= 0 && i < w->nold) {
			if (del)
				del[*ndel] = (struct rr){ w->owner, w->old[i].p, w->old_ttl, w->type,
				                          w->old[i].len, NULL, 0 };
			(*ndel)++;
			i++;
		}
		if (c >= 0 && j < w->n) {
			if (add)
				add[*nadd] = (struct rr){ w->owner, w->rd[j].p, w->ttl, w->type,
				                          w->rd[j].len, w->rd[j].file, w->rd[j].line };
			(*nadd)++;
			j++;
		}
	}
}

static int build_diff(struct zone_txn *zt, const uint32_t *order, size_t n,
                      const struct wset *soa, struct zone_diff *diff)
{
	size_t ndel = 0, nadd = 0;
	diff_rrset(soa, NULL, &ndel, NULL, &nadd);
	for (size_t i = 0; i < n; i++)
		if (zt->m.v[order[i]].changed && &zt->m.v[order[i]] != soa)
			diff_rrset(&zt->m.v[order[i]], NULL, &ndel, NULL, &nadd);
	diff->del = arena_alloc(&zt->a, (ndel + 1) * sizeof(struct rr));
	diff->add = arena_alloc(&zt->a, (nadd + 1) * sizeof(struct rr));
	if (diff->del == NULL || diff->add == NULL)
		return -ENOMEM;
	diff->ndel = diff->nadd = 0;
	diff_rrset(soa, diff->del, &diff->ndel, diff->add, &diff->nadd);
	for (size_t i = 0; i < n; i++)
		if (zt->m.v[order[i]].changed && &zt->m.v[order[i]] != soa)
			diff_rrset(&zt->m.v[order[i]], diff->del, &diff->ndel, diff->add, &diff->nadd);
	return 0;
}

/* SOA RDATA equal apart from the serial. */
static bool soa_same_but_serial(const struct rdata *a, const struct rdata *b)
{
	int oa = soa_serial_offset(a->p, a->len), ob = soa_serial_offset(b->p, b->len);
	return oa >= 0 && oa == ob && a->len == b->len && memcmp(a->p, b->p, (size_t)oa) == 0 &&
	       memcmp(a->p + oa + 4, b->p + ob + 4, 16) == 0;
}

static int write_rrsets(struct zone_txn *zt, const uint32_t *order, size_t n)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < n && zt->t.err == 0; i++) {
		const struct wset *w = &zt->m.v[order[i]];
		if (!w->changed)
			continue;
		if (w->n == 0) {
			store_del(&zt->t, STORE_RRSETS, w->key, w->klen);
			continue;
		}
		size_t len = rrset_encoded_size(w->rd, w->n);
		if (len > cap) {
			cap = len * 2;
			uint8_t *b = realloc(buf, cap);
			if (b == NULL) {
				free(buf);
				return store_fail(&zt->t, -ENOMEM);
			}
			buf = b;
		}
		rrset_encode(buf, w->ttl, w->rd, w->n);
		/* A new zone has the highest id, so its keys, in order, append at the end. */
		store_put(&zt->t, STORE_RRSETS, w->key, w->klen, buf, len,
		          zt->creating ? MDB_APPEND : 0);
	}
	free(buf);
	return zt->t.err;
}

/* The RRset owner/type exists after the edit: in the working set, else stored. 1, 0 or < 0. */
static int present(struct zone_txn *zt, const uint8_t *owner, uint16_t type)
{
	uint8_t key[RRSET_KEY_MAX];
	MDB_val v;
	int kl = rrset_key(key, zt->zone.id, owner, zt->zone.apex, type);
	if (kl < 0)
		return 0;
	const struct wset *w = wset_map_find(&zt->m, key, (size_t)kl);
	if (w != NULL)
		return w->n > 0;
	if (zt->creating || (zt->flags & ZONE_TXN_REPLACE))
		return 0;
	int rc = store_get(&zt->t, STORE_RRSETS, key, (size_t)kl, &v);
	return rc == LS_ENOTFOUND ? 0 : rc ? rc : 1;
}

/* A stored name below owner that the edit leaves in place: 1, 0 or < 0. */
static int stored_below(struct zone_txn *zt, const uint8_t *owner)
{
	uint8_t prefix[RRSET_KEY_MAX];
	MDB_cursor *cur;
	int pl = rrset_name_prefix(prefix, zt->zone.id, owner, zt->zone.apex), found = 0;
	if (pl < 0 || zt->creating || (zt->flags & ZONE_TXN_REPLACE))
		return 0;
	int rc = store_cursor(&zt->t, STORE_RRSETS, &cur);
	if (rc)
		return rc;
	MDB_val k = { (size_t)pl - 1, prefix }, v;    /* without the 0 before the types */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !found;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < (size_t)pl || memcmp(k.mv_data, prefix, (size_t)pl - 1) != 0)
			break;
		if (k.mv_size == (size_t)pl + 2 && ((uint8_t *)k.mv_data)[pl - 1] == 0)
			continue;                               /* owner's own RRsets */
		const struct wset *w = wset_map_find(&zt->m, k.mv_data, k.mv_size);
		found = w == NULL || w->n > 0;
	}
	mdb_cursor_close(cur);
	return rc && rc != MDB_NOTFOUND && !found ? store_errno(rc) : found;
}

/*
 * No data below a DNAME (RFC 6672 2.3, as nsd-checkzone): the names the edit adds under a
 * DNAME, and a DNAME the edit adds above names that exist. order: the working set in
 * canonical order, where a name's descendants follow it.
 */
static int check_dnames(struct zone_txn *zt, const uint32_t *order, size_t n, struct diag *d)
{
	char name[DNAME_STR_MAX], above[DNAME_STR_MAX];
	const struct wset *dn = NULL;    /* the last DNAME of the edit, while names are below it */
	bool stored = !zt->creating && !(zt->flags & ZONE_TXN_REPLACE);
	for (size_t i = 0; i < n; i++) {
		const struct wset *w = &zt->m.v[order[i]];
		if (w->n == 0)
			continue;
		if (dn && !(dname_is_sub(w->owner, dn->owner) && !dname_equal(w->owner, dn->owner)))
			dn = NULL;
		const uint8_t *a = NULL;
		if (dn) {
			a = dn->owner;
		} else if (stored && w->changed) {
			/* A stored DNAME above the name: its ancestors up to the apex. */
			for (const uint8_t *p = w->owner; *p && !dname_equal(p, zt->zone.apex) && !a;) {
				p += *p + 1;
				int rc = present(zt, p, T_DNAME);
				if (rc < 0)
					return rc;
				a = rc ? p : NULL;
			}
		}
		if (a) {
			diag_add(d, DIAG_ERROR, w->rd[0].file, w->rd[0].line,
			         "%s is below the DNAME at %s: no data is allowed there (RFC 6672 2.3)",
			         dname_format(name, w->owner), dname_format(above, a));
			continue;
		}
		if (w->type != T_DNAME)
			continue;
		dn = w;
		int rc = w->changed ? stored_below(zt, w->owner) : 0;
		if (rc < 0)
			return rc;
		if (rc)
			diag_add(d, DIAG_ERROR, w->rd[0].file, w->rd[0].line,
			         "DNAME at %s has data below it (RFC 6672 2.3)", dname_format(name, w->owner));
	}
	return 0;
}

/* Where the SOA and apex NS RRsets sit in the working set (indexes: get() may move it). */
struct apex_sets {
	size_t soa, ns;
};

/*
 * Everything a commit checks, hooks included: every error goes to d, so one run shows them
 * all. Returns 0, LS_EINVAL_ZONE (or when d gained errors since errors_before) or an
 * error; counts the changed RRsets in *nchanged.
 */
static int validate(struct zone_txn *zt, struct diag *d, size_t errors_before,
                    const uint32_t *order, const struct apex_sets *ap, size_t *nchanged)
{
	char zone[DNAME_STR_MAX];
	size_t n = zt->m.n;
	int rc;
	*nchanged = 0;
	for (size_t i = 0; i < n; i++) {
		struct wset *w = &zt->m.v[i];
		wset_normalise(w, d);
		w->changed = (w->n > 0) != w->old_exists ||
		             (w->n > 0 && (w->ttl != w->old_ttl || !wset_same(w)));
		if (w->changed && w->n > 0)
			zone_check_rrset(w->owner, w->type, w->rd, w->n, d);
		*nchanged += w->changed;
	}
	if ((rc = run_hooks(zt, d)) || (rc = check_names(zt, order, n, d)) ||
	    (rc = check_dnames(zt, order, n, d)))
		return rc;
	/* Zone-wide errors name the file (and the SOA's line) the edit came from. */
	const struct wset *soa = &zt->m.v[ap->soa];
	dname_format(zone, zt->zone.apex);
	if (soa->n == 0)
		diag_add(d, DIAG_ERROR, zt->last_file, 0, "zone %s: no SOA record at the apex", zone);
	if (zt->m.v[ap->ns].n == 0)
		diag_add(d, DIAG_ERROR, soa->n && soa->rd[0].file ? soa->rd[0].file : zt->last_file,
		         soa->n ? soa->rd[0].line : 0, "zone %s: no NS records at the apex", zone);
	return zt->errors || (d && d->errors > errors_before) ? LS_EINVAL_ZONE : 0;
}

/*
 * The new serial: the policy's next one, or the edit's own when that is further ahead.
 * LS_ENOCHANGE when nothing but (at most) an older serial was edited. Patches the SOA.
 */
static int new_serial(struct zone_txn *zt, struct wset *soa, size_t nchanged, time_t now,
                      uint32_t *old_out, uint32_t *serial_out)
{
	static const uint8_t no_serial[4];
	const uint8_t *old_soa = soa->nold ? soa->old[0].p : no_serial;
	int off = soa_serial_offset(soa->rd[0].p, soa->rd[0].len);
	uint32_t user = wire_get32(soa->rd[0].p + off);
	uint32_t old = soa->nold ? wire_get32(old_soa + soa_serial_offset(old_soa, soa->old[0].len)) : 0;
	bool soa_edit = soa->changed && !(soa->nold && soa->ttl == soa->old_ttl &&
	                                   soa_same_but_serial(&soa->rd[0], &soa->old[0]));
	if (!zt->creating && nchanged - soa->changed == 0 && !soa_edit && !serial_gt(user, old))
		return LS_ENOCHANGE;
	uint32_t serial = user;
	if (!zt->creating) {
		uint32_t next = serial_next(old, zt->zone.policy, now);
		serial = serial_gt(user, old) && serial_gt(user, next) ? user : next;
	}
	uint8_t *patched = arena_dup(&zt->a, soa->rd[0].p, soa->rd[0].len);
	if (patched == NULL)
		return -ENOMEM;
	wire_put32(patched + off, serial);
	soa->rd[0].p = patched;
	soa->changed = true;
	*old_out = old;
	*serial_out = serial;
	return 0;
}

/* The zone record and the history entry, once the RRsets (and journal) are written. */
static int write_zone(struct zone_txn *zt, time_t now, struct zone_diff *diff)
{
	zt->zone.records = zt->creating ? diff->records
	                                : zt->zone.records + diff->nadd - diff->ndel;
	diff->records = zt->zone.records;
	zt->zone.modified = (int64_t)now;
	zone_put(&zt->t, &zt->zone);
	struct history_entry h = { .time = now, .old_serial = diff->old_serial,
	                           .new_serial = diff->new_serial, .ndel = (uint32_t)diff->ndel,
	                           .nadd = (uint32_t)(zt->creating ? diff->records : diff->nadd) };
	memcpy(h.apex, zt->zone.apex, sizeof(h.apex));
	snprintf(h.source, sizeof(h.source), "%s", zt->source);
	history_put(&zt->t, &h);
	return zt->t.err;
}

/* The diff, the RRsets, the journal entry (IXFR), the zone record and the history entry. */
static int write_edit(struct zone_txn *zt, const uint32_t *order, struct wset *soa, time_t now,
                      struct zone_diff *diff)
{
	size_t n = zt->m.n;
	int rc;
	if (zt->creating) {
		for (size_t i = 0; i < n; i++)
			diff->records += zt->m.v[i].n;
	} else if ((rc = build_diff(zt, order, n, soa, diff))) {
		return rc;
	}
	if ((rc = write_rrsets(zt, order, n)))
		return rc;
	if (!zt->creating) {
		struct journal_entry e = { diff->old_serial, diff->new_serial, (int64_t)now, diff->del,
		                           diff->add, diff->ndel, diff->nadd };
		journal_put(&zt->t, zt->zone.id, ++zt->zone.journal_seq, &e);
	} else {
		zt->zone.created = (int64_t)now;
	}
	return write_zone(zt, now, diff);
}

/*
 * A new zone whose records all wait unsorted (a file import): hooks first (a new zone has no
 * derived state yet, so they see no changes), then zone_new_write checks and writes RRset by
 * RRset, never building the working set. Any error: nothing is committed.
 */
static int commit_new(struct zone_txn *zt, struct diag *d, size_t errors_before, time_t now,
                      struct zone_diff *diff)
{
	char zone[DNAME_STR_MAX];
	struct zone_new nz;
	int rc = run_hooks(zt, d);
	if (rc)
		return rc;
	bool write = !(zt->flags & ZONE_TXN_CHECK) && !zt->errors &&
	             !(d && d->errors > errors_before);
	rc = zone_new_write(&zt->t, &zt->zone, zt->pend, zt->npend, write, d, &nz);
	free(zt->pend);
	zt->pend = NULL;
	zt->npend = zt->pcap = 0;
	if (rc)
		return rc;
	dname_format(zone, zt->zone.apex);
	if (!nz.soa)
		diag_add(d, DIAG_ERROR, zt->last_file, 0, "zone %s: no SOA record at the apex", zone);
	if (!nz.ns)
		diag_add(d, DIAG_ERROR, nz.soa && nz.soa_file ? nz.soa_file : zt->last_file,
		         nz.soa ? nz.soa_line : 0, "zone %s: no NS records at the apex", zone);
	if (nz.bad || zt->errors || (d && d->errors > errors_before))
		return LS_EINVAL_ZONE;
	if (zt->flags & ZONE_TXN_CHECK)
		return 0;
	diff->created = true;
	diff->new_serial = nz.serial;
	diff->records = nz.records;
	zt->zone.created = (int64_t)now;
	return write_zone(zt, now, diff);
}

int zone_txn_commit(struct zone_txn *zt, struct diag *d, struct zone_diff *diff)
{
	uint32_t *order = NULL;
	struct apex_sets ap = { 0, 0 };
	size_t nchanged;
	time_t now = time(NULL);
	size_t errors_before = d ? d->errors : 0;
	int rc;
	memset(diff, 0, sizeof(*diff));
	if ((rc = zt->t.err) != 0)
		goto fail;
	if (zt->npend && zt->m.n == 0) {
		rc = commit_new(zt, d, errors_before, now, diff);
		if (rc != 0 || (zt->flags & ZONE_TXN_CHECK))
			goto fail;
		return store_commit(&zt->t);
	}
	if (zt->npend && (rc = flush_pending(zt, d)) != 0)
		goto fail;
	if ((zt->flags & ZONE_TXN_REPLACE) && !zt->creating && (rc = pull_unmentioned(zt)))
		goto fail;
	struct wset *w = get(zt, zt->zone.apex, T_SOA);
	ap.soa = w ? (size_t)(w - zt->m.v) : 0;
	w = w ? get(zt, zt->zone.apex, T_NS) : NULL;
	ap.ns = w ? (size_t)(w - zt->m.v) : 0;
	if (w == NULL || (order = wset_map_order(&zt->m)) == NULL) {
		rc = zt->t.err ? zt->t.err : -ENOMEM;
		goto fail;
	}
	if ((rc = validate(zt, d, errors_before, order, &ap, &nchanged)) != 0)
		goto fail;
	if (zt->flags & ZONE_TXN_CHECK)
		goto fail;     /* rc is 0: valid, and nothing is written */
	struct wset *soa = &zt->m.v[ap.soa];
	rc = new_serial(zt, soa, nchanged, now, &diff->old_serial, &diff->new_serial);
	if (rc == LS_ENOCHANGE) {
		/* A derivation's own edits may still have state of theirs to commit. */
		if ((zt->flags & ZONE_TXN_MANAGED) && (rc = store_commit(&zt->t)) == 0)
			rc = LS_ENOCHANGE;
		goto fail;
	}
	diff->created = zt->creating;
	if (rc != 0 || (rc = write_edit(zt, order, soa, now, diff)) != 0)
		goto fail;
	free(order);
	return store_commit(&zt->t);
fail:
	free(order);
	store_abort(&zt->t);
	return rc;
}

void zone_txn_free(struct zone_txn *zt)
{
	if (zt == NULL)
		return;
	store_abort(&zt->t);
	arena_free(&zt->a);
	wset_map_free(&zt->m);
	free(zt->pend);
	free(zt);
}
