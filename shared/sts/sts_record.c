/* MTA-STS domain records and policy bodies in STORE_MTASTS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/sts/sts_record.h"
#include "shared/dns/wire.h"

#define KEY_MAX (1 + DNAME_LF_MAX)
#define BODY_HDR 10     /* tag, version, policy version */

static const uint8_t root[1] = { 0 };

static int make_key(uint8_t *key, char kind, const uint8_t *domain)
{
	key[0] = (uint8_t)kind;
	int n = dname_lf(key + 1, domain, root);
	return n < 0 ? -1 : n + 1;
}

/* A writer that stops (and remembers) at the end of its buffer. */
struct out {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct out *o, const void *v, size_t n)
{
	if (o->len + n <= o->cap)
		memcpy(o->p + o->len, v, n);
	o->len += n;
}

static void put8(struct out *o, uint8_t v) { put(o, &v, 1); }
static void put32(struct out *o, uint32_t v) { uint8_t b[4]; wire_put32(b, v); put(o, b, 4); }
static void put64(struct out *o, uint64_t v) { uint8_t b[8]; wire_put64(b, v); put(o, b, 8); }

static void put_str(struct out *o, const char *s)
{
	size_t n = strnlen(s, STS_TEXT_MAX - 1);
	uint8_t b[2];
	wire_put16(b, (uint16_t)n);
	put(o, b, 2);
	put(o, s, n);
}

static void put_name(struct out *o, const uint8_t *name)
{
	int n = dname_wire_len(name, DNAME_MAX);
	put(o, name, n < 0 ? 1 : (size_t)n);
}

/* A reader that fails (sticky) instead of reading past the value. */
struct in {
	const uint8_t *p;
	size_t len, pos;
	bool bad;
};

static const uint8_t *take(struct in *i, size_t n)
{
	if (i->bad || i->len - i->pos < n) {
		i->bad = true;
		return NULL;
	}
	i->pos += n;
	return i->p + i->pos - n;
}

static uint8_t get8(struct in *i) { const uint8_t *p = take(i, 1); return p ? p[0] : 0; }
static uint32_t get32(struct in *i) { const uint8_t *p = take(i, 4); return p ? wire_get32(p) : 0; }
static uint64_t get64(struct in *i) { const uint8_t *p = take(i, 8); return p ? wire_get64(p) : 0; }

static void get_str(struct in *i, char *out, size_t cap)
{
	const uint8_t *p = take(i, 2);
	size_t n = p ? wire_get16(p) : 0;
	const uint8_t *s = n < cap ? take(i, n) : NULL;
	if (s == NULL)
		i->bad = true;
	if (i->bad) {
		out[0] = 0;
		return;
	}
	memcpy(out, s, n);
	out[n] = 0;
}

static void get_name(struct in *i, uint8_t *out)
{
	int n = i->bad ? -1 : dname_wire_len(i->p + i->pos, i->len - i->pos);
	const uint8_t *p = n < 0 ? NULL : take(i, (size_t)n);
	if (p == NULL) {
		i->bad = true;
		out[0] = 0;
		return;
	}
	memcpy(out, p, (size_t)n);
}

static void encode(struct out *o, const struct sts_domain *d)
{
	put8(o, STS_RECORD_TAG);
	put8(o, STS_RECORD_VERSION);
	put_name(o, d->domain);
	put32(o, d->zone_id);
	put8(o, (uint8_t)d->mode);
	put32(o, d->max_age);
	put32(o, d->txt_ttl);
	put8(o, (uint8_t)d->nextra);
	for (unsigned k = 0; k < d->nextra; k++)
		put_str(o, d->extra[k]);
	put8(o, (uint8_t)d->nrua);
	for (unsigned k = 0; k < d->nrua; k++)
		put_str(o, d->rua[k]);
	put8(o, (uint8_t)d->state);
	put64(o, d->version);
	put64(o, (uint64_t)d->version_time);
	put64(o, d->published);
	put_str(o, d->id);
	put64(o, (uint64_t)d->published_time);
	put32(o, d->max_age_served);
	put64(o, (uint64_t)d->removing_since);
	put64(o, (uint64_t)d->next_try);
	put32(o, d->tries);
	put_str(o, d->reason);
	put8(o, (uint8_t)d->ngrace);
	for (unsigned k = 0; k < d->ngrace; k++) {
		put_name(o, d->grace[k].name);
		put32(o, d->grace[k].hold);
		put64(o, (uint64_t)d->grace[k].until);
	}
	put8(o, (uint8_t)d->nfetch);
	for (unsigned k = 0; k < d->nfetch; k++) {
		put_str(o, d->fetch[k].endpoint);
		put64(o, (uint64_t)d->fetch[k].time);
		put8(o, d->fetch[k].ok);
		put_str(o, d->fetch[k].error);
	}
}

static int decode(const uint8_t *p, size_t len, struct sts_domain *d)
{
	struct in i = { p, len, 0, false };
	memset(d, 0, sizeof(*d));
	if (get8(&i) != STS_RECORD_TAG || get8(&i) != STS_RECORD_VERSION)
		return LS_ESTORE;
	get_name(&i, d->domain);
	d->zone_id = get32(&i);
	d->mode = (enum sts_mode)get8(&i);
	d->max_age = get32(&i);
	d->txt_ttl = get32(&i);
	d->nextra = get8(&i);
	for (unsigned k = 0; k < d->nextra && k < STS_EXTRA_MAX; k++)
		get_str(&i, d->extra[k], sizeof(d->extra[k]));
	d->nrua = get8(&i);
	for (unsigned k = 0; k < d->nrua && k < STS_RUA_MAX; k++)
		get_str(&i, d->rua[k], sizeof(d->rua[k]));
	d->state = (enum sts_state)get8(&i);
	d->version = get64(&i);
	d->version_time = (int64_t)get64(&i);
	d->published = get64(&i);
	get_str(&i, d->id, sizeof(d->id));
	d->published_time = (int64_t)get64(&i);
	d->max_age_served = get32(&i);
	d->removing_since = (int64_t)get64(&i);
	d->next_try = (int64_t)get64(&i);
	d->tries = get32(&i);
	get_str(&i, d->reason, sizeof(d->reason));
	d->ngrace = get8(&i);
	for (unsigned k = 0; k < d->ngrace && k < STS_GRACE_MAX; k++) {
		get_name(&i, d->grace[k].name);
		d->grace[k].hold = get32(&i);
		d->grace[k].until = (int64_t)get64(&i);
	}
	d->nfetch = get8(&i);
	for (unsigned k = 0; k < d->nfetch && k < STS_ENDPOINTS_MAX; k++) {
		get_str(&i, d->fetch[k].endpoint, sizeof(d->fetch[k].endpoint));
		d->fetch[k].time = (int64_t)get64(&i);
		d->fetch[k].ok = get8(&i) != 0;
		get_str(&i, d->fetch[k].error, sizeof(d->fetch[k].error));
	}
	/* Fields a newer version appends would follow here; this version knows none. */
	if (i.bad || d->nextra > STS_EXTRA_MAX || d->nrua > STS_RUA_MAX ||
	    d->ngrace > STS_GRACE_MAX || d->nfetch > STS_ENDPOINTS_MAX || d->mode > STS_MODE_NONE ||
	    d->state > STS_REMOVED)
		return LS_ESTORE;
	return 0;
}

int sts_record_get(struct store_txn *t, const uint8_t *domain, struct sts_domain *out)
{
	uint8_t key[KEY_MAX];
	MDB_val v;
	int kl = make_key(key, STS_RECORD_TAG, domain);
	if (kl < 0)
		return LS_ENOTFOUND;
	int rc = store_get(t, STORE_MTASTS, key, (size_t)kl, &v);
	if (rc)
		return rc;
	return decode(v.mv_data, v.mv_size, out);
}

void sts_record_put(struct store_txn *t, const struct sts_domain *d)
{
	uint8_t key[KEY_MAX];
	struct out o = { NULL, 0, 0 };
	int kl = make_key(key, STS_RECORD_TAG, d->domain);
	if (kl < 0) {
		store_fail(t, LS_EPARSE);
		return;
	}
	encode(&o, d);                     /* measures */
	o.p = malloc(o.len);
	if (o.p == NULL) {
		store_fail(t, -ENOMEM);
		return;
	}
	o.cap = o.len;
	o.len = 0;
	encode(&o, d);
	store_put(t, STORE_MTASTS, key, (size_t)kl, o.p, o.len, 0);
	free(o.p);
}

/* fn for every record whose key starts with prefix[0..plen). */
static int each_prefix(struct store_txn *t, const uint8_t *prefix, size_t plen,
                       int (*fn)(const struct sts_domain *d, void *ctx), void *ctx)
{
	MDB_cursor *cur;
	struct sts_domain *d = malloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	int rc = store_cursor(t, STORE_MTASTS, &cur);
	if (rc) {
		free(d);
		return rc;
	}
	MDB_val k = { plen, (void *)prefix }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if ((rc = decode(v.mv_data, v.mv_size, d)) != 0 || (rc = fn(d, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	free(d);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int sts_record_each(struct store_txn *t, int (*fn)(const struct sts_domain *d, void *ctx),
                    void *ctx)
{
	static const uint8_t tag = STS_RECORD_TAG;
	return each_prefix(t, &tag, 1, fn, ctx);
}

int sts_record_each_under(struct store_txn *t, const uint8_t *apex,
                          int (*fn)(const struct sts_domain *d, void *ctx), void *ctx)
{
	uint8_t key[KEY_MAX];
	int kl = make_key(key, STS_RECORD_TAG, apex);
	return kl < 0 ? LS_ENOTFOUND : each_prefix(t, key, (size_t)kl, fn, ctx);
}

int sts_record_body(struct store_txn *t, const uint8_t *domain, const uint8_t **body,
                    size_t *len, uint64_t *version)
{
	uint8_t key[KEY_MAX];
	MDB_val v;
	int kl = make_key(key, STS_BODY_TAG, domain);
	if (kl < 0)
		return LS_ENOTFOUND;
	int rc = store_get(t, STORE_MTASTS, key, (size_t)kl, &v);
	if (rc)
		return rc;
	const uint8_t *p = v.mv_data;
	if (v.mv_size < BODY_HDR || p[0] != STS_BODY_TAG || p[1] != STS_RECORD_VERSION)
		return store_fail(t, LS_ESTORE);
	if (version)
		*version = wire_get64(p + 2);
	*body = p + BODY_HDR;
	*len = v.mv_size - BODY_HDR;
	return 0;
}

void sts_record_body_put(struct store_txn *t, const uint8_t *domain, uint64_t version,
                         const uint8_t *body, size_t len)
{
	uint8_t key[KEY_MAX + 8], v[BODY_HDR + STS_BODY_MAX];
	int kl = make_key(key, STS_BODY_TAG, domain);
	if (kl < 0 || len > STS_BODY_MAX) {
		store_fail(t, kl < 0 ? LS_EPARSE : LS_ETOOBIG);
		return;
	}
	v[0] = STS_BODY_TAG;
	v[1] = STS_RECORD_VERSION;
	wire_put64(v + 2, version);
	if (len)
		memcpy(v + BODY_HDR, body, len);
	store_put(t, STORE_MTASTS, key, (size_t)kl, v, BODY_HDR + len, 0);
	/* The same body under its version, kept for TLS reports that name an older policy. */
	key[0] = STS_POLICY_TAG;
	v[0] = STS_POLICY_TAG;
	wire_put64(key + kl, version);
	store_put(t, STORE_MTASTS, key, (size_t)kl + 8, v, BODY_HDR + len, 0);
}

int sts_record_policies(struct store_txn *t, const uint8_t *domain,
                        int (*fn)(uint64_t version, const uint8_t *body, size_t len, void *ctx),
                        void *ctx)
{
	uint8_t key[KEY_MAX + 8];
	MDB_cursor *cur;
	int kl = make_key(key, STS_POLICY_TAG, domain);
	if (kl < 0)
		return 0;
	int rc = store_cursor(t, STORE_MTASTS, &cur);
	if (rc)
		return rc;
	MDB_val k = { (size_t)kl, key }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		if (k.mv_size < (size_t)kl || memcmp(k.mv_data, key, (size_t)kl) != 0)
			break;
		if (k.mv_size != (size_t)kl + 8)
			continue;          /* a longer name below this one */
		if (v.mv_size < BODY_HDR || p[0] != STS_POLICY_TAG) {
			rc = LS_ESTORE;
			break;
		}
		if ((rc = fn(wire_get64(p + 2), p + BODY_HDR, v.mv_size - BODY_HDR, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

void sts_record_body_del(struct store_txn *t, const uint8_t *domain)
{
	uint8_t key[KEY_MAX];
	int kl = make_key(key, STS_BODY_TAG, domain);
	if (kl >= 0)
		store_del(t, STORE_MTASTS, key, (size_t)kl);
}

static const char *const mode_names[] = { "testing", "enforce", "none" };

const char *sts_mode_name(enum sts_mode m)
{
	return (unsigned)m <= STS_MODE_NONE ? mode_names[m] : "?";
}

int sts_mode_parse(const char *text, enum sts_mode *out)
{
	for (unsigned k = 0; k <= STS_MODE_NONE; k++) {
		if (strcmp(text, mode_names[k]) == 0) {
			*out = (enum sts_mode)k;
			return 0;
		}
	}
	return LS_EPARSE;
}
