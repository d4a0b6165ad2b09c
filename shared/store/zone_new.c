/* A new zone's records: sorted into RRsets, checked and written one RRset at a time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_wset.h"
#include "shared/store/zone_new.h"

/* Sort entry: the record's key in the key buffer, then file order (the last TTL wins). */
struct pending {
	uint32_t off, index;
	uint16_t klen;
};

/* What the walk over the sorted records carries from one RRset to the next. */
struct walk {
	struct store_txn *t;
	const struct zone_info *z;
	struct diag *d;
	size_t errors;              /* d->errors before the walk */
	bool write;
	struct zone_new *out;
	struct rdata *rd;           /* one RRset's records, reused */
	size_t rdcap;
	uint8_t *val;               /* one RRset's stored value, reused */
	size_t valcap;
	uint8_t dname[DNAME_MAX];   /* the last DNAME while names below it follow */
	bool in_dname;
};

static int cmp_pending(const void *a, const void *b, void *keys)
{
	const struct pending *x = a, *y = b;
	const uint8_t *k = keys;
	int c = rdata_cmp(k + x->off, x->klen, k + y->off, y->klen);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static bool failed(const struct walk *w)
{
	return w->out->bad || (w->d && w->d->errors > w->errors);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * size);
	if (q == NULL)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* Every record's key into one buffer, then sorted; names too long for a key are refused. */
static int sort_keys(struct walk *w, const struct rr *const *rr, size_t n, uint8_t **keys,
                     struct pending **out, size_t *np)
{
	uint8_t key[RRSET_KEY_MAX];
	size_t cap = 0, len = 0, k = 0;
	char name[DNAME_STR_MAX];
	struct pending *p = malloc((n ? n : 1) * sizeof(*p));
	*keys = NULL;
	if (p == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int kl = rrset_key(key, w->z->id, rr[i]->owner, w->z->apex, rr[i]->type);
		if (kl < 0) {
			diag_add(w->d, DIAG_ERROR, rr[i]->file, rr[i]->line,
			         "name %s is too long for the store", dname_format(name, rr[i]->owner));
			w->out->bad = true;
			continue;
		}
		if (len + (size_t)kl > UINT32_MAX || grow((void **)keys, &cap, len + (size_t)kl, 1)) {
			free(p);
			return -ENOMEM;
		}
		memcpy(*keys + len, key, (size_t)kl);
		p[k++] = (struct pending){ (uint32_t)len, (uint32_t)i, (uint16_t)kl };
		len += (size_t)kl;
	}
	qsort_r(p, k, sizeof(*p), cmp_pending, *keys);
	*out = p;
	*np = k;
	return 0;
}

/* No data below a DNAME (RFC 6672 2.3): the names of a new zone come in canonical order. */
static void check_dname(struct walk *w, const struct wset *s)
{
	char name[DNAME_STR_MAX], above[DNAME_STR_MAX];
	if (w->in_dname && !(dname_is_sub(s->owner, w->dname) && !dname_equal(s->owner, w->dname)))
		w->in_dname = false;
	if (w->in_dname) {
		diag_add(w->d, DIAG_ERROR, s->rd[0].file, s->rd[0].line,
		         "%s is below the DNAME at %s: no data is allowed there (RFC 6672 2.3)",
		         dname_format(name, s->owner), dname_format(above, w->dname));
		return;
	}
	if (s->type == T_DNAME) {
		memcpy(w->dname, s->owner, (size_t)dname_wire_len(s->owner, DNAME_MAX));
		w->in_dname = true;
	}
}

/* One RRset: its records merged, checked, and written while nothing failed. */
static int rrset(struct walk *w, const struct rr *const *rr, const struct pending *p,
                 size_t n, const uint8_t *keys, struct rdata *first_rd)
{
	const struct rr *first = rr[p[0].index];
	if (grow((void **)&w->rd, &w->rdcap, n, sizeof(*w->rd)))
		return -ENOMEM;
	struct wset s = { .key = keys + p[0].off, .owner = first->owner, .rd = w->rd,
	                  .cap = (uint32_t)n, .klen = p[0].klen, .type = first->type,
	                  .changed = true };
	for (size_t k = 0; k < n; k++) {
		const struct rr *r = rr[p[k].index];
		wset_ttl(&s, r, false, w->d);
		s.rd[s.n++] = (struct rdata){ r->rdata, r->file, r->line, r->rdlen };
	}
	wset_normalise(&s, w->d);
	*first_rd = s.rd[0];
	zone_check_rrset(s.owner, s.type, s.rd, s.n, w->d);
	check_dname(w, &s);
	w->out->records += s.n;
	if (dname_equal(s.owner, w->z->apex) && s.type == T_SOA) {
		int off = soa_serial_offset(s.rd[0].p, s.rd[0].len);
		w->out->soa = off >= 0;
		w->out->serial = off >= 0 ? wire_get32(s.rd[0].p + off) : 0;
		w->out->soa_file = s.rd[0].file;
		w->out->soa_line = s.rd[0].line;
	}
	w->out->ns |= dname_equal(s.owner, w->z->apex) && s.type == T_NS;
	if (!w->write || failed(w))
		return 0;
	size_t len = rrset_encoded_size(s.rd, s.n);
	if (grow((void **)&w->val, &w->valcap, len, 1))
		return -ENOMEM;
	rrset_encode(w->val, s.ttl, s.rd, s.n);
	store_put(w->t, STORE_RRSETS, s.key, s.klen, w->val, len, MDB_APPEND);
	return w->t->err;
}

/* The RRsets of one name (p[0..n), sorted), then the rules between them. */
static int name(struct walk *w, const struct rr *const *rr, const struct pending *p, size_t n,
                const uint8_t *keys)
{
	uint16_t types[64], *tv = types;
	size_t nt = 0;
	struct rdata where = { 0 }, rd0;
	const uint8_t *owner = rr[p[0].index]->owner;
	int rc = 0;
	if (n > sizeof(types) / sizeof(types[0]) && (tv = malloc(n * sizeof(*tv))) == NULL)
		return -ENOMEM;
	for (size_t i = 0, j; rc == 0 && i < n; i = j) {
		for (j = i + 1; j < n && p[j].klen == p[i].klen &&
		                memcmp(keys + p[j].off, keys + p[i].off, p[i].klen) == 0; j++)
			;
		uint16_t type = rr[p[i].index]->type;
		tv[nt++] = type;
		rc = rrset(w, rr, p + i, j - i, keys, &rd0);
		/* As a commit does: the message points at the CNAME, else the name's first RRset. */
		if (i == 0 || (type == T_CNAME && rd0.file))
			where = rd0;
	}
	if (rc == 0)
		zone_check_name(owner, tv, nt, where.file, where.line, w->d);
	if (tv != types)
		free(tv);
	return rc;
}

int zone_new_write(struct store_txn *t, const struct zone_info *z, const struct rr *const *rr,
                   size_t n, bool write, struct diag *d, struct zone_new *out)
{
	struct walk w = { .t = t, .z = z, .d = d, .errors = d ? d->errors : 0, .write = write,
	                  .out = out };
	struct pending *p = NULL;
	uint8_t *keys = NULL;
	size_t np = 0;
	memset(out, 0, sizeof(*out));
	int rc = sort_keys(&w, rr, n, &keys, &p, &np);
	if (rc)
		goto fail;
	for (size_t i = 0, j; rc == 0 && i < np; i = j) {
		/* A name's RRsets share the key but for the type (its last two bytes). */
		for (j = i + 1; j < np && p[j].klen == p[i].klen &&
		                memcmp(keys + p[j].off, keys + p[i].off, p[i].klen - 2u) == 0; j++)
			;
		rc = name(&w, rr, p + i, j - i, keys);
	}
	out->bad = failed(&w);
fail:
	free(w.rd);
	free(w.val);
	free(keys);
	free(p);
	return rc ? rc : t->err;
}
