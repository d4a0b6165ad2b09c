/* TLS reports, their dedup keys and summary rows in STORE_TLSRPT. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/md.h>
#include "shared/util/err.h"
#include "shared/dns/wire.h"
#include "shared/rpt/tlsrpt_store.h"

#define REPORT_HDR 14          /* kind, version, received (8), facts length (4) */
#define ROW_KEY_MAX (1 + TLSRPT_DOMAIN_MAX + 4 + 8 + 2)
#define PRUNE_ROWS_MAX 4096    /* rows deleted per domain of one report, at most */

static void dedup_key(uint8_t key[33], const char *org, const char *report_id)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	mbedtls_md_context_t c;
	key[0] = 'K';
	mbedtls_md_init(&c);
	if (mbedtls_md_setup(&c, md, 0) != 0 || mbedtls_md_starts(&c) != 0 ||
	    mbedtls_md_update(&c, (const unsigned char *)org, strlen(org) + 1) != 0 ||
	    mbedtls_md_update(&c, (const unsigned char *)report_id, strlen(report_id)) != 0 ||
	    mbedtls_md_finish(&c, key + 1) != 0)
		memset(key + 1, 0, 32);    /* only without memory; the caller's put then fails too */
	mbedtls_md_free(&c);
}

static void report_key(uint8_t key[9], uint64_t id)
{
	key[0] = 'R';
	wire_put64(key + 1, id);
}

/* 'S' domain NUL [day]: the length written, 0 for a domain that does not fit. */
static size_t row_prefix(uint8_t *key, const char *domain)
{
	size_t n = strlen(domain);
	if (n >= TLSRPT_DOMAIN_MAX)
		return 0;
	key[0] = 'S';
	memcpy(key + 1, domain, n + 1);
	return n + 2;
}

int tlsrpt_store_find(struct store_txn *t, const char *org, const char *report_id, uint64_t *id)
{
	uint8_t key[33];
	MDB_val v;
	dedup_key(key, org, report_id);
	int rc = store_get(t, STORE_TLSRPT, key, sizeof(key), &v);
	if (rc)
		return rc;
	if (v.mv_size != 10 || ((const uint8_t *)v.mv_data)[0] != 'K')
		return store_fail(t, LS_ESTORE);
	*id = wire_get64((const uint8_t *)v.mv_data + 2);
	return 0;
}

static void report_put(struct store_txn *t, uint64_t id, int64_t received, json_t *facts,
                       const uint8_t *raw, size_t rawlen)
{
	uint8_t key[9];
	char *text = json_dumps(facts, JSON_COMPACT);
	size_t flen = text ? strlen(text) : 0;
	uint8_t *v = text ? malloc(REPORT_HDR + flen + rawlen) : NULL;
	if (v == NULL) {
		free(text);
		store_fail(t, -ENOMEM);
		return;
	}
	v[0] = 'R';
	v[1] = TLSRPT_STORE_VERSION;
	wire_put64(v + 2, (uint64_t)received);
	wire_put32(v + 10, (uint32_t)flen);
	memcpy(v + REPORT_HDR, text, flen);
	memcpy(v + REPORT_HDR + flen, raw, rawlen);
	report_key(key, id);
	store_put(t, STORE_TLSRPT, key, sizeof(key), v, REPORT_HDR + flen + rawlen, 0);
	free(v);
	free(text);
}

void tlsrpt_store_add(struct store_txn *t, const char *org, const char *report_id,
                      int64_t received, json_t *facts, const uint8_t *raw, size_t rawlen,
                      uint64_t *id)
{
	uint8_t key[33], v[10];
	if (store_next_id(t, "tlsrpt", id) != 0)
		return;
	report_put(t, *id, received, facts, raw, rawlen);
	dedup_key(key, org, report_id);
	v[0] = 'K';
	v[1] = TLSRPT_STORE_VERSION;
	wire_put64(v + 2, *id);
	store_put(t, STORE_TLSRPT, key, sizeof(key), v, sizeof(v), 0);
}

void tlsrpt_store_facts_put(struct store_txn *t, const struct tlsrpt_entry *e, json_t *facts)
{
	/* raw points into the old value, which the put replaces: copy it first. */
	uint8_t *raw = malloc(e->rawlen ? e->rawlen : 1);
	if (raw == NULL) {
		store_fail(t, -ENOMEM);
		return;
	}
	memcpy(raw, e->raw, e->rawlen);
	report_put(t, e->id, e->received, facts, raw, e->rawlen);
	free(raw);
}

static int decode(uint64_t id, const MDB_val *v, struct tlsrpt_entry *out)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size < REPORT_HDR || p[0] != 'R' || p[1] != TLSRPT_STORE_VERSION)
		return LS_ESTORE;
	size_t flen = wire_get32(p + 10);
	if (flen > v->mv_size - REPORT_HDR)
		return LS_ESTORE;
	out->id = id;
	out->received = (int64_t)wire_get64(p + 2);
	out->facts = json_loadb((const char *)p + REPORT_HDR, flen, 0, NULL);
	out->raw = p + REPORT_HDR + flen;
	out->rawlen = v->mv_size - REPORT_HDR - flen;
	return json_is_object(out->facts) ? 0 : (json_decref(out->facts), LS_ESTORE);
}

int tlsrpt_store_get(struct store_txn *t, uint64_t id, struct tlsrpt_entry *out)
{
	uint8_t key[9];
	MDB_val v;
	report_key(key, id);
	int rc = store_get(t, STORE_TLSRPT, key, sizeof(key), &v);
	if (rc)
		return rc;
	return (rc = decode(id, &v, out)) ? store_fail(t, rc) : 0;
}

int tlsrpt_store_each(struct store_txn *t,
                      int (*fn)(const struct tlsrpt_entry *e, void *ctx), void *ctx)
{
	MDB_cursor *cur;
	uint8_t first = 'R';
	int rc = store_cursor(t, STORE_TLSRPT, &cur);
	if (rc)
		return rc == LS_ENOTFOUND ? 0 : rc;      /* a reader of a store older than the table */
	MDB_val k = { 1, &first }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		struct tlsrpt_entry e;
		if (kp[0] != 'R')
			break;
		if (k.mv_size != 9 || (rc = decode(wire_get64(kp + 1), &v, &e)) != 0) {
			rc = LS_ESTORE;
			break;
		}
		rc = fn(&e, ctx);
		json_decref(e.facts);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

void tlsrpt_store_row_put(struct store_txn *t, const char *domain, int32_t day, uint64_t id,
                          uint16_t idx, const char *text, size_t tl)
{
	uint8_t key[ROW_KEY_MAX];
	size_t kl = row_prefix(key, domain);
	uint8_t *v = malloc(tl + 2);
	if (kl == 0 || v == NULL) {
		store_fail(t, kl == 0 ? LS_EPARSE : -ENOMEM);
		free(v);
		return;
	}
	wire_put32(key + kl, (uint32_t)day ^ 0x80000000u);   /* sorts like the signed day */
	wire_put64(key + kl + 4, id);
	wire_put16(key + kl + 12, idx);
	v[0] = 'S';
	v[1] = TLSRPT_STORE_VERSION;
	memcpy(v + 2, text, tl);
	store_put(t, STORE_TLSRPT, key, kl + 14, v, tl + 2, 0);
	free(v);
}

int tlsrpt_store_rows(struct store_txn *t, const char *domain, int32_t from_day,
                      int (*fn)(const char *domain, int32_t day, uint64_t id, json_t *row,
                                void *ctx),
                      void *ctx)
{
	uint8_t key[ROW_KEY_MAX] = { 'S' };
	size_t kl = domain ? row_prefix(key, domain) : 1;
	MDB_cursor *cur;
	if (kl == 0)
		return 0;
	int rc = store_cursor(t, STORE_TLSRPT, &cur);
	if (rc)
		return rc == LS_ENOTFOUND ? 0 : rc;      /* a reader of a store older than the table */
	MDB_val k = { kl, key }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data, *vp = v.mv_data;
		if (k.mv_size < kl || memcmp(kp, key, kl) != 0)
			break;
		const uint8_t *nul = memchr(kp + 1, 0, k.mv_size - 1);
		if (nul == NULL || (size_t)(kp + k.mv_size - nul) != 15 || v.mv_size < 2 ||
		    vp[0] != 'S') {
			rc = LS_ESTORE;
			break;
		}
		int32_t day = (int32_t)(wire_get32(nul + 1) ^ 0x80000000u);
		if (day < from_day)
			continue;
		json_t *row = json_loadb((const char *)vp + 2, v.mv_size - 2, 0, NULL);
		if (!json_is_object(row)) {
			json_decref(row);
			rc = LS_ESTORE;
			break;
		}
		rc = fn((const char *)kp + 1, day, wire_get64(nul + 5), row, ctx);
		json_decref(row);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The first key under prefix (plen bytes) into key; false when there is none. */
static bool first_under(struct store_txn *t, const uint8_t *prefix, size_t plen, uint8_t *key,
                        size_t *klen)
{
	MDB_cursor *cur;
	if (store_cursor(t, STORE_TLSRPT, &cur) != 0)
		return false;
	MDB_val k = { plen, (void *)prefix }, v;
	bool found = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE) == 0 && k.mv_size <= ROW_KEY_MAX &&
	             k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0;
	if (found) {
		memcpy(key, k.mv_data, k.mv_size);
		*klen = k.mv_size;
	}
	mdb_cursor_close(cur);
	return found;
}

void tlsrpt_store_rows_del(struct store_txn *t, const struct tlsrpt_entry *e)
{
	json_t *domains = json_object_get(e->facts, "domains");
	int32_t day = (int32_t)json_integer_value(json_object_get(e->facts, "day"));
	size_t i;
	json_t *d;
	json_array_foreach(domains, i, d) {
		uint8_t prefix[ROW_KEY_MAX], key[ROW_KEY_MAX];
		size_t kl = json_is_string(d) ? row_prefix(prefix, json_string_value(d)) : 0, len;
		if (kl == 0)
			continue;
		wire_put32(prefix + kl, (uint32_t)day ^ 0x80000000u);
		wire_put64(prefix + kl + 4, e->id);
		for (int n = 0; n < PRUNE_ROWS_MAX && first_under(t, prefix, kl + 12, key, &len); n++)
			store_del(t, STORE_TLSRPT, key, len);
	}
}

struct prune {
	struct store_txn *t;
	int64_t before;
	size_t max, n;
	uint64_t ids[64];
	size_t nids;
};

static int prune_one(const struct tlsrpt_entry *e, void *ctx)
{
	struct prune *p = ctx;
	if (e->received >= p->before || p->nids == p->max || p->nids == 64)
		return 1;
	p->ids[p->nids++] = e->id;
	return 0;
}

int tlsrpt_store_prune(struct store_txn *t, int64_t before, size_t max, size_t *n)
{
	struct prune p = { t, before, max, 0, { 0 }, 0 };
	int rc = tlsrpt_store_each(t, prune_one, &p);
	*n = 0;
	if (rc < 0)
		return rc;
	/* Deleted after the walk: a cursor does not follow deletes under it. */
	for (size_t i = 0; i < p.nids; i++) {
		struct tlsrpt_entry e;
		uint8_t key[33], rkey[9];
		if ((rc = tlsrpt_store_get(t, p.ids[i], &e)) != 0)
			return rc;
		tlsrpt_store_rows_del(t, &e);
		dedup_key(key, json_string_value(json_object_get(e.facts, "org")) ?: "",
		          json_string_value(json_object_get(e.facts, "report_id")) ?: "");
		store_del(t, STORE_TLSRPT, key, sizeof(key));
		report_key(rkey, p.ids[i]);
		store_del(t, STORE_TLSRPT, rkey, sizeof(rkey));
		json_decref(e.facts);
		(*n)++;
	}
	return t->err;
}
