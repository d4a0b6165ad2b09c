/* Lookups on the canonical-order RRset keys: point gets for RRsets, cursor seeks for names. */
#include <string.h>
#include "dnsd/lookup.h"
#include "dnsd/pkt.h"
#include "shared/util/err.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"

int lookup_zone(struct store_txn *t, const uint8_t *qname, uint16_t qtype, struct zone_info *z)
{
	/* Longest suffix first; DS lives on the parent side of a cut (RFC 4035 3.1.4.1). */
	const uint8_t *s = qname;
	bool ds = qtype == PKT_T_DS && *s;
	if (ds)
		s += *s + 1;
	for (;;) {
		int rc = zone_get(t, s, z);
		if (rc != LS_ENOZONE)
			return rc;
		if (*s == 0)
			break;
		s += *s + 1;
	}
	/* DS at the apex of a zone whose parent is not ours: the child answers (NODATA). */
	return ds ? zone_get(t, qname, z) : LS_ENOZONE;
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

/* 1: some key starts with prefix (the name or a descendant exists); 0: none. */
static int has_prefix(MDB_cursor *cur, const uint8_t *prefix, size_t plen)
{
	MDB_val k = { plen, (void *)prefix }, v;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return store_errno(rc);
	if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
		return 0;
	return 1;
}

/* The name's key prefix without the 0 that precedes types: shared with its descendants. */
static int tree_prefix(uint8_t out[RRSET_KEY_MAX], const struct zone_info *z, const uint8_t *name)
{
	int n = rrset_name_prefix(out, z->id, name, z->apex);
	return n < 0 ? -1 : n - 1;
}

/*
 * One cursor seek to the name's first key answers most queries: its RRsets lie together in
 * type order (the asked type, CNAME, NS), and when it has none the key found is a
 * descendant's if it is an empty non-terminal.
 */
static int at_name(MDB_cursor *cur, const uint8_t *prefix, size_t plen, uint16_t type,
                   bool cut_possible, struct lookup *out, bool *exists)
{
	MDB_val k = { plen + 1, (void *)prefix }, v;
	bool own = false, cname = false, ns = false, found = false;
	struct rrset_view cv, nv;
	*exists = false;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const uint8_t *kb = k.mv_data;
		if (k.mv_size < plen || memcmp(kb, prefix, plen) != 0)
			break;                               /* past the name and its descendants */
		*exists = true;
		if (k.mv_size != plen + 3 || kb[plen] != 0)
			break;                               /* a descendant: nothing of its own */
		own = true;
		uint16_t t = wire_get16(kb + plen + 1);
		struct rrset_view view;
		if (t != type && t != T_CNAME && t != T_NS)
			continue;
		if (rrset_decode(v.mv_data, v.mv_size, &view))
			return LS_ESTORE;
		if (t == type) {
			out->rrset = view;
			found = true;
		}
		if (t == T_CNAME) {
			cv = view;
			cname = true;
		}
		if (t == T_NS) {
			nv = view;
			ns = true;
		}
	}
	if (rc && rc != MDB_NOTFOUND)
		return store_errno(rc);
	if (ns && cut_possible) {
		out->kind = LOOKUP_DELEGATION;
		out->rrset = nv;
	} else if (type == T_ANY && own && !cname) {
		out->kind = LOOKUP_FOUND;    /* the name has data; the answer says so minimally */
		memset(&out->rrset, 0, sizeof(out->rrset));
	} else if (found) {
		out->kind = LOOKUP_FOUND;
	} else if (cname) {
		out->kind = LOOKUP_CNAME;
		out->rrset = cv;
	} else {
		out->kind = *exists ? LOOKUP_NODATA : LOOKUP_NXDOMAIN;
	}
	return 0;
}

int lookup_name(struct store_txn *t, MDB_cursor *cur, const struct zone_info *z,
                const uint8_t *name, uint16_t type, struct lookup *out)
{
	uint8_t prefix[RRSET_KEY_MAX];
	bool exists;
	memset(out, 0, sizeof(*out));
	/* Delegations and DNAMEs above the name, from the apex down: the highest decides
	 * (nothing below a cut is ours; below a DNAME, names are rewritten, RFC 6672 2.3). */
	int depth = dname_labels(name) - dname_labels(z->apex);
	for (int d = 0; d < depth; d++) {
		const uint8_t *a = name;    /* the ancestor d labels below the apex */
		for (int i = d; i < depth; i++)
			a += *a + 1;
		int rc = d == 0 ? LS_ENOTFOUND : lookup_rrset(t, z, a, T_NS, &out->rrset);
		if (rc == 0)
			out->kind = LOOKUP_DELEGATION;
		else if (rc == LS_ENOTFOUND && (rc = lookup_rrset(t, z, a, T_DNAME, &out->rrset)) == 0)
			out->kind = LOOKUP_DNAME;
		if (rc == 0) {
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
	/* The name itself may be a cut, except at the apex and for DS (the parent's, RFC 4035). */
	int rc = at_name(cur, prefix, (size_t)pl, type, depth > 0 && type != 43, out, &exists);
	if (rc)
		return rc;
	if (out->kind == LOOKUP_DELEGATION)
		memcpy(out->cut, name, (size_t)dname_wire_len(name, DNAME_MAX));
	if (out->kind != LOOKUP_NXDOMAIN)
		return 0;
	/* RFC 4592: the closest encloser, then its wildcard. */
	const uint8_t *ce = name + *name + 1;
	for (; dname_labels(ce) > dname_labels(z->apex); ce += *ce + 1) {
		int cl = tree_prefix(prefix, z, ce);
		int e = cl < 0 ? 0 : has_prefix(cur, prefix, (size_t)cl);
		if (e < 0)
			return e;
		if (e)
			break;
	}
	uint8_t wild[DNAME_MAX];
	size_t cel = (size_t)dname_wire_len(ce, DNAME_MAX);
	if (cel + 2 > DNAME_MAX)
		return 0;
	wild[0] = 1;
	wild[1] = '*';
	memcpy(wild + 2, ce, cel);
	pl = tree_prefix(prefix, z, wild);
	prefix[pl] = 0;
	if ((rc = at_name(cur, prefix, (size_t)pl, type, false, out, &exists)) != 0)
		return rc;
	if (out->kind == LOOKUP_NODATA && !exists)
		out->kind = LOOKUP_NXDOMAIN;
	out->wildcard = out->kind != LOOKUP_NXDOMAIN;
	return 0;
}
