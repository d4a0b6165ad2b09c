/* DNS UPDATE policies stored per zone and key: tag, version, counts, patterns, types. */
#include <stdio.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/dns/wire.h"
#include "shared/store/update_policy.h"
#include "shared/store/zone_check.h"

#define VAL_FIXED 4                  /* tag, version, names, types */
#define KEY_ZONE 4                   /* the zone id before the key name */
#define VAL_MAX (VAL_FIXED + UPDATE_POLICY_MAX_NAMES * (1 + DNAME_MAX) + UPDATE_POLICY_MAX_TYPES * 2)

static const uint8_t root[1] = { 0 };

static size_t key_of(uint8_t k[KEY_ZONE + DNAME_LF_MAX], uint32_t zone_id, const uint8_t *name)
{
	wire_put32(k, zone_id);
	return KEY_ZONE + (size_t)dname_lf(k + KEY_ZONE, name, root);
}

int update_policy_pattern(const char *text, const uint8_t *apex, struct update_pattern *out)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(text, "*.", 2) == 0) {
		out->wild = true;
		text += 2;
	}
	if (*text == 0 || dname_parse(out->name, text, apex) < 0 || !dname_is_sub(out->name, apex))
		return -1;
	dname_lower(out->name);
	/* A "*" further in is a literal label, as in the zone; only the leading one is a pattern. */
	return 0;
}

const char *update_policy_pattern_text(const struct update_pattern *p, char *out)
{
	char name[DNAME_STR_MAX];
	dname_format(name, p->name);
	snprintf(out, DNAME_STR_MAX + 2, "%s%s", p->wild ? "*." : "", name);
	return out;
}

static bool name_allowed(const struct update_policy *p, const uint8_t *owner)
{
	if (p->nnames == 0)
		return true;
	for (unsigned i = 0; i < p->nnames; i++) {
		const struct update_pattern *n = &p->names[i];
		if (n->wild ? dname_is_sub(owner, n->name) && !dname_equal(owner, n->name)
		            : dname_equal(owner, n->name))
			return true;
	}
	return false;
}

bool update_policy_allows(const struct update_policy *p, const uint8_t *owner, uint16_t type)
{
	if (!name_allowed(p, owner))
		return false;
	if (p->ntypes == 0)
		return type != T_SOA;
	for (unsigned i = 0; i < p->ntypes; i++)
		if (p->types[i] == type)
			return true;
	return false;
}

static int decode(const MDB_val *k, const MDB_val *v, uint32_t *zone_id, struct update_policy *p)
{
	const uint8_t *b = v->mv_data, *end = b + v->mv_size;
	memset(p, 0, sizeof(*p));
	if (k->mv_size <= KEY_ZONE || k->mv_size > KEY_ZONE + DNAME_LF_MAX ||
	    v->mv_size < VAL_FIXED || b[0] != UPDATE_POLICY_TAG || b[1] != UPDATE_POLICY_VERSION ||
	    b[2] > UPDATE_POLICY_MAX_NAMES || b[3] > UPDATE_POLICY_MAX_TYPES ||
	    dname_from_lf(p->key, (const uint8_t *)k->mv_data + KEY_ZONE, k->mv_size - KEY_ZONE,
	                  root) < 0)
		return LS_ESTORE;
	*zone_id = wire_get32(k->mv_data);
	p->nnames = b[2];
	p->ntypes = b[3];
	b += VAL_FIXED;
	for (unsigned i = 0; i < p->nnames; i++) {
		int nl = end - b > 1 ? dname_wire_len(b + 1, (size_t)(end - b - 1)) : -1;
		if (nl < 0)
			return LS_ESTORE;
		p->names[i].wild = b[0] != 0;
		memcpy(p->names[i].name, b + 1, (size_t)nl);
		b += 1 + nl;
	}
	if (end - b != (ptrdiff_t)(2 * p->ntypes))
		return LS_ESTORE;
	for (unsigned i = 0; i < p->ntypes; i++)
		p->types[i] = wire_get16(b + 2 * i);
	return 0;
}

int update_policy_get(struct store_txn *t, uint32_t zone_id, const uint8_t *key,
                      struct update_policy *out)
{
	uint8_t k[KEY_ZONE + DNAME_LF_MAX];
	MDB_val mk = { key_of(k, zone_id, key), k }, v;
	uint32_t id;
	int rc = store_get(t, STORE_UPDATE, k, mk.mv_size, &v);
	return rc ? rc : decode(&mk, &v, &id, out);
}

void update_policy_put(struct store_txn *t, uint32_t zone_id, const struct update_policy *p)
{
	uint8_t k[KEY_ZONE + DNAME_LF_MAX], v[VAL_MAX], *b = v + VAL_FIXED;
	v[0] = UPDATE_POLICY_TAG;
	v[1] = UPDATE_POLICY_VERSION;
	v[2] = (uint8_t)p->nnames;
	v[3] = (uint8_t)p->ntypes;
	for (unsigned i = 0; i < p->nnames; i++) {
		size_t nl = (size_t)dname_wire_len(p->names[i].name, DNAME_MAX);
		*b++ = p->names[i].wild;
		memcpy(b, p->names[i].name, nl);
		b += nl;
	}
	for (unsigned i = 0; i < p->ntypes; i++, b += 2)
		wire_put16(b, p->types[i]);
	store_put(t, STORE_UPDATE, k, key_of(k, zone_id, p->key), v, (size_t)(b - v), 0);
}

int update_policy_del(struct store_txn *t, uint32_t zone_id, const uint8_t *key)
{
	uint8_t k[KEY_ZONE + DNAME_LF_MAX];
	size_t kl = key_of(k, zone_id, key);
	MDB_val v;
	int rc = store_get(t, STORE_UPDATE, k, kl, &v);
	if (rc)
		return rc;
	store_del(t, STORE_UPDATE, k, kl);
	return t->err;
}

int update_policy_list(struct store_txn *t, uint32_t zone_id,
                       int (*fn)(uint32_t zone_id, const struct update_policy *p, void *ctx),
                       void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t start[KEY_ZONE];
	struct update_policy p;
	uint32_t id;
	int rc = store_cursor(t, STORE_UPDATE, &cur), mrc;
	if (rc)
		return rc == LS_ENOTFOUND ? 0 : rc;
	wire_put32(start, zone_id);
	k.mv_size = sizeof(start);
	k.mv_data = start;
	for (int op = MDB_SET_RANGE; (mrc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		if ((rc = decode(&k, &v, &id, &p)) != 0 || (zone_id != 0 && id != zone_id) ||
		    (rc = fn(id, &p, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_errno(mrc);
	return rc;
}

/* Stops a listing at its first policy, keeping its key. */
static int first_key(uint32_t zone_id, const struct update_policy *p, void *ctx)
{
	(void)zone_id;
	memcpy(ctx, p->key, (size_t)dname_wire_len(p->key, DNAME_MAX));
	return 1;
}

int update_policy_zone_deleted(struct store_txn *t, uint32_t zone_id)
{
	/* One at a time: deleting under the listing's cursor would be unsafe. */
	uint8_t key[DNAME_MAX];
	int rc;
	while ((rc = update_policy_list(t, zone_id, first_key, key)) == 1)
		if ((rc = update_policy_del(t, zone_id, key)) != 0)
			return rc;
	return rc;
}
