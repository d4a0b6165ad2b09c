/* Zone walks over the RRsets database, and master-file export on top of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"
#include "shared/store/zone_walk.h"

static int emit(const MDB_val *k, const MDB_val *v, const struct zone_info *z,
                zone_walk_fn fn, void *ctx)
{
	uint8_t owner[DNAME_MAX];
	struct rr rr = { .owner = owner };
	struct rrset_view view;
	if (rrset_key_split(k->mv_data, k->mv_size, z->apex, owner, &rr.type) ||
	    rrset_decode(v->mv_data, v->mv_size, &view))
		return LS_ESTORE;
	rr.ttl = view.ttl;
	size_t pos = 0;
	while (rrset_next(&view, &pos, &rr.rdata, &rr.rdlen)) {
		int rc = fn(&rr, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int zone_walk(struct store_txn *t, const struct zone_info *z, const uint8_t *owner,
              uint16_t type, zone_walk_fn fn, void *ctx)
{
	uint8_t prefix[RRSET_KEY_MAX];
	int pl, rc;
	MDB_cursor *cur;
	MDB_val k, v;
	if (owner == NULL) {
		wire_put32(prefix, z->id);
		pl = 4;
	} else if (type != 0) {
		pl = rrset_key(prefix, z->id, owner, z->apex, type);
	} else {
		pl = rrset_name_prefix(prefix, z->id, owner, z->apex);
	}
	if (pl < 0)
		return LS_ENOTFOUND;
	/* The SOA leads a full walk, as in a zone file or an AXFR. */
	bool full = owner == NULL && type == 0;
	if (full || (owner == NULL && type == T_SOA)) {
		uint8_t key[RRSET_KEY_MAX];
		int kl = rrset_key(key, z->id, z->apex, z->apex, T_SOA);
		k.mv_size = (size_t)kl;
		k.mv_data = key;
		if ((rc = store_get(t, STORE_RRSETS, key, (size_t)kl, &v)) != 0)
			return rc;
		if ((rc = emit(&k, &v, z, fn, ctx)) != 0 || !full)
			return rc;
	}
	if ((rc = store_cursor(t, STORE_RRSETS, &cur)) != 0)
		return rc;
	k.mv_size = (size_t)pl;
	k.mv_data = prefix;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < (size_t)pl || memcmp(k.mv_data, prefix, (size_t)pl) != 0)
			break;
		const uint8_t *kb = k.mv_data;
		uint16_t ktype = wire_get16(kb + k.mv_size - 2);
		if (owner != NULL && type == 0 && k.mv_size != (size_t)pl + 2)
			continue;      /* a name below owner */
		if (owner == NULL && type != 0 && ktype != type)
			continue;
		if (full && ktype == T_SOA && k.mv_size == 4 + 1 + 2)
			continue;      /* already written first */
		if ((rc = emit(&k, &v, z, fn, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* A failed write's own reason (a full disk is ENOSPC), else EIO. */
static int write_error(void)
{
	return errno > 0 ? -errno : -EIO;
}

static int write_rr(const struct rr *rr, void *ctx)
{
	char *s = rr_format(rr);
	if (s == NULL)
		return LS_ESTORE;
	errno = 0;
	int rc = fprintf(ctx, "%s\n", s) < 0 ? write_error() : 0;
	free(s);
	return rc;
}

int zone_export(struct store_txn *t, const struct zone_info *z, FILE *out)
{
	char name[DNAME_STR_MAX];
	uint32_t serial;
	int rc = zone_serial(t, z, &serial);
	if (rc)
		return rc;
	fprintf(out, ";; zone %s serial %u, exported by Lockstep\n$ORIGIN %s\n",
	        dname_format(name, z->apex), serial, name);
	rc = zone_walk(t, z, NULL, 0, write_rr, out);
	errno = 0;
	if (rc == 0 && (fflush(out) != 0 || ferror(out)))
		rc = write_error();
	return rc;
}
