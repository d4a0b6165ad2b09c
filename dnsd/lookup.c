/* Lookups on the canonical-order RRset keys: point gets for RRsets, cursor seeks for names. */
#include <string.h>
#include "dnsd/lookup.h"
#include "shared/err.h"
#include "shared/zone_check.h"

int lookup_zone(struct store_txn *t, const uint8_t *qname, uint16_t qtype, struct zone_info *z)
{
	/* Longest suffix first; DS lives on the parent side of a cut (RFC 4035 3.1.4.1). */
	const uint8_t *s = qname;
	if (qtype == 43 /* DS */ && *s)
		s += *s + 1;
	for (;;) {
		int rc = zone_get(t, s, z);
		if (rc != LS_ENOZONE)
			return rc;
		if (*s == 0)
			return LS_ENOZONE;
		s += *s + 1;
	}
}

int lookup_rrset(struct store_txn *t, const struct zone_info *z, const uint8_t *name,
                 uint16_t type, struct rrset_view *out)
{
	uint8_t key[RRSET_KEY_MAX];
	MDB_val v;
	int kl = rrset_key(key, z->id, name, z->apex, type);
	if (kl < 0)
		return LS_ENOTFOUND;
	int rc = store_get(t, STORE_RRSETS, key, (size_t)kl, &v);
	if (rc)
		return rc;
	return rrset_decode(v.mv_data, v.mv_size, out) ? LS_ESTORE : 0;
}

/* 1: some key starts with prefix (own data with own = true); 0: none. */
static int has_prefix(MDB_cursor *cur, const uint8_t *prefix, size_t plen, bool own)
{
	MDB_val k = { plen, (void *)prefix }, v;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_errno(rc);
	if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
		return 0;
	return !own || k.mv_size == plen + 2;
}

/* The name's key prefix without the 0 that precedes types: shared with its descendants. */
static int tree_prefix(uint8_t out[RRSET_KEY_MAX], const struct zone_info *z, const uint8_t *name)
{
	int n = rrset_name_prefix(out, z->id, name, z->apex);
	return n < 0 ? -1 : n - 1;
}

/* RRset type at name, or CNAME there, or nothing (rc LS_ENOTFOUND): for found names. */
static int at_name(struct store_txn *t, const struct zone_info *z, const uint8_t *name,
                   uint16_t type, struct lookup *out)
{
	if (type == T_ANY) {
		out->kind = LOOKUP_FOUND;    /* the name has data; the answer says so minimally */
		memset(&out->rrset, 0, sizeof(out->rrset));
		return 0;
	}
	int rc = lookup_rrset(t, z, name, type, &out->rrset);
	if (rc == 0) {
		out->kind = LOOKUP_FOUND;
		return 0;
	}
	if (rc != LS_ENOTFOUND)
		return rc;
	if (type != T_CNAME) {
		rc = lookup_rrset(t, z, name, T_CNAME, &out->rrset);
		if (rc == 0) {
			out->kind = LOOKUP_CNAME;
			return 0;
		}
		if (rc != LS_ENOTFOUND)
			return rc;
	}
	out->kind = LOOKUP_NODATA;
	return 0;
}

int lookup_name(struct store_txn *t, MDB_cursor *cur, const struct zone_info *z,
                const uint8_t *name, uint16_t type, struct lookup *out)
{
	uint8_t prefix[RRSET_KEY_MAX];
	memset(out, 0, sizeof(*out));
	/* Delegations first, from the apex down: nothing below a cut is ours (RFC 1034 4.3.2). */
	int depth = dname_labels(name) - dname_labels(z->apex);
	for (int d = 1; d <= depth; d++) {
		const uint8_t *a = name;    /* the ancestor d labels below the apex */
		for (int i = d; i < depth; i++)
			a += *a + 1;
		if (d == depth && type == 43)
			break;                  /* DS at the cut is the parent's to answer */
		int rc = lookup_rrset(t, z, a, T_NS, &out->rrset);
		if (rc == 0) {
			out->kind = LOOKUP_DELEGATION;
			memcpy(out->cut, a, (size_t)dname_wire_len(a, DNAME_MAX));
			return 0;
		}
		if (rc != LS_ENOTFOUND)
			return rc;
	}
	int pl = tree_prefix(prefix, z, name);
	if (pl < 0) {
		out->kind = LOOKUP_NXDOMAIN;
		return 0;
	}
	prefix[pl] = 0;
	int own = has_prefix(cur, prefix, (size_t)pl + 1, true);
	if (own < 0)
		return own;
	if (own)
		return at_name(t, z, name, type, out);
	int tree = has_prefix(cur, prefix, (size_t)pl, false);
	if (tree < 0)
		return tree;
	if (tree) {
		out->kind = LOOKUP_NODATA;      /* an empty non-terminal */
		return 0;
	}
	/* RFC 4592: the closest encloser, then its wildcard. */
	const uint8_t *ce = name + *name + 1;
	for (; dname_labels(ce) > dname_labels(z->apex); ce += *ce + 1) {
		int cl = tree_prefix(prefix, z, ce);
		int e = cl < 0 ? 0 : has_prefix(cur, prefix, (size_t)cl, false);
		if (e < 0)
			return e;
		if (e)
			break;
	}
	uint8_t wild[DNAME_MAX];
	size_t cel = (size_t)dname_wire_len(ce, DNAME_MAX);
	if (cel + 2 > DNAME_MAX) {
		out->kind = LOOKUP_NXDOMAIN;
		return 0;
	}
	wild[0] = 1;
	wild[1] = '*';
	memcpy(wild + 2, ce, cel);
	pl = tree_prefix(prefix, z, wild);
	prefix[pl] = 0;
	int w = has_prefix(cur, prefix, (size_t)pl + 1, true);
	if (w < 0)
		return w;
	if (!w) {
		out->kind = LOOKUP_NXDOMAIN;
		return 0;
	}
	out->wildcard = true;
	return at_name(t, z, wild, type, out);
}
