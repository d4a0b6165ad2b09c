/* Zone records: one per zone, keyed by the apex in lookup format. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/store/rrset.h"
#include "shared/dns/wire.h"
#include "shared/store/zone.h"

#define ZONE_FIXED 44   /* tag .. records; the apex follows */

static int zone_key(uint8_t out[DNAME_LF_MAX], const uint8_t *apex)
{
	static const uint8_t root[1] = { 0 };
	int n = dname_lf(out, apex, root);
	if (n == 0)
		out[n++] = 0;   /* the root's key would be empty, which LMDB refuses */
	return n;
}

static int decode(const MDB_val *v, struct zone_info *z)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size < ZONE_FIXED + 1 || p[0] != ZONE_TAG || p[1] != ZONE_VERSION)
		return LS_ESTORE;
	memset(z, 0, sizeof(*z));
	z->id = wire_get32(p + 4);
	z->policy = p[8];
	z->created = (int64_t)wire_get64(p + 12);
	z->modified = (int64_t)wire_get64(p + 20);
	z->journal_seq = wire_get64(p + 28);
	z->records = wire_get64(p + 36);
	int n = dname_wire_len(p + ZONE_FIXED, v->mv_size - ZONE_FIXED);
	if (n < 0)
		return LS_ESTORE;
	memcpy(z->apex, p + ZONE_FIXED, (size_t)n);
	return 0;
}

int zone_get(struct store_txn *t, const uint8_t *apex, struct zone_info *out)
{
	uint8_t key[DNAME_LF_MAX];
	int kl = zone_key(key, apex);
	MDB_val v;
	int rc = store_get(t, STORE_ZONES, key, (size_t)kl, &v);
	if (rc == LS_ENOTFOUND)
		return LS_ENOZONE;
	return rc ? rc : decode(&v, out);
}

int zone_enclosing(struct store_txn *t, const uint8_t *name, struct zone_info *out)
{
	for (const uint8_t *s = name;; s += *s + 1) {
		int rc = zone_get(t, s, out);
		if (rc != LS_ENOZONE || *s == 0)
			return rc;
	}
}

void zone_put(struct store_txn *t, const struct zone_info *z)
{
	uint8_t key[DNAME_LF_MAX], val[ZONE_FIXED + DNAME_MAX];
	int kl = zone_key(key, z->apex);
	memset(val, 0, ZONE_FIXED);
	val[0] = ZONE_TAG;
	val[1] = ZONE_VERSION;
	wire_put32(val + 4, z->id);
	val[8] = (uint8_t)z->policy;
	wire_put64(val + 12, (uint64_t)z->created);
	wire_put64(val + 20, (uint64_t)z->modified);
	wire_put64(val + 28, z->journal_seq);
	wire_put64(val + 36, z->records);
	int al = dname_wire_len(z->apex, DNAME_MAX);
	memcpy(val + ZONE_FIXED, z->apex, (size_t)al);
	store_put(t, STORE_ZONES, key, (size_t)kl, val, ZONE_FIXED + (size_t)al, 0);
}

int zone_list(struct store_txn *t, struct zone_info **out, size_t *n)
{
	MDB_cursor *cur;
	MDB_val k, v;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	int rc = store_cursor(t, STORE_ZONES, &cur);
	if (rc)
		return rc;
	for (int op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct zone_info *z = realloc(*out, cap * sizeof(*z));
			if (z == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			*out = z;
		}
		rc = decode(&v, &(*out)[*n]);
		if (rc)
			goto fail;
		(*n)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_fail(t, store_errno(rc));
fail:
	mdb_cursor_close(cur);
	free(*out);
	*out = NULL;
	*n = 0;
	return rc;
}

int zone_serial(struct store_txn *t, const struct zone_info *z, uint32_t *serial)
{
	uint8_t key[RRSET_KEY_MAX];
	int kl = rrset_key(key, z->id, z->apex, z->apex, 6 /* SOA */);
	MDB_val v;
	struct rrset_view view;
	int rc = store_get(t, STORE_RRSETS, key, (size_t)kl, &v);
	if (rc)
		return rc == LS_ENOTFOUND ? LS_ESTORE : rc;   /* a stored zone always has a SOA */
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	if (rrset_decode(v.mv_data, v.mv_size, &view) || !rrset_next(&view, &pos, &rd, &rdlen))
		return LS_ESTORE;
	int off = soa_serial_offset(rd, rdlen);
	if (off < 0)
		return LS_ESTORE;
	*serial = wire_get32(rd + off);
	return 0;
}

/* Deletes every key of db that starts with prefix. */
static void del_range(struct store_txn *t, enum store_db db, const uint8_t *prefix, size_t plen)
{
	MDB_cursor *cur;
	if (store_cursor(t, db, &cur))
		return;
	MDB_val k = { plen, (void *)prefix }, v;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
		rc = mdb_cursor_del(cur, 0);
		if (rc)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
	}
	if (rc && rc != MDB_NOTFOUND && rc != EINVAL)
		store_fail(t, store_errno(rc));
	mdb_cursor_close(cur);
}

int zone_delete(struct store_txn *t, const struct zone_info *z)
{
	uint8_t key[DNAME_LF_MAX], id[4];
	int kl = zone_key(key, z->apex);
	wire_put32(id, z->id);
	del_range(t, STORE_RRSETS, id, 4);
	del_range(t, STORE_JOURNAL, id, 4);
	del_range(t, STORE_SECONDARIES, id, 4);
	store_del(t, STORE_ZONES, key, (size_t)kl);
	return t->err;
}
