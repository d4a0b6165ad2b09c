/* History entries keyed by a global sequence number. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/dns/wire.h"

#define HISTORY_HDR 28

static uint32_t keep = HISTORY_DEFAULT_KEEP;
/* Per thread: the API process names a different token for each request it runs. */
static _Thread_local char actor[HISTORY_SOURCE_MAX];

const char *history_actor(void)
{
	return actor;
}

void history_set_actor(const char *who)
{
	snprintf(actor, sizeof(actor), "%s", who ? who : "");
}

void history_set_keep(uint32_t seconds)
{
	keep = seconds;
}

/* The oldest entries, while older than cutoff, at most HISTORY_PRUNE_MAX of them. */
static void prune(struct store_txn *t, int64_t cutoff)
{
	MDB_cursor *cur;
	MDB_val k, v;
	if (store_cursor(t, STORE_HISTORY, &cur) != 0)
		return;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (int n = 0; rc == 0 && n < HISTORY_PRUNE_MAX; n++) {
		/* The time sits at the same place in every version-1 value. */
		if (v.mv_size < HISTORY_HDR || (int64_t)wire_get64((const uint8_t *)v.mv_data + 4) >= cutoff)
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0) {
			store_fail(t, store_errno(rc));
			break;
		}
		/* After a delete LMDB's MDB_NEXT gives the entry that followed it. */
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
}

void history_put(struct store_txn *t, struct history_entry *e)
{
	uint8_t k[8], v[HISTORY_HDR + DNAME_MAX + HISTORY_SOURCE_MAX];
	if (store_next_id(t, "history_seq", &e->seq))
		return;
	wire_put64(k, e->seq);
	size_t used = strnlen(e->source, HISTORY_SOURCE_MAX - 1);
	if (actor[0] && !strstr(e->source, " by "))
		snprintf(e->source + used, HISTORY_SOURCE_MAX - used, " by %s", actor);
	size_t al = (size_t)dname_wire_len(e->apex, DNAME_MAX);
	size_t sl = strnlen(e->source, HISTORY_SOURCE_MAX - 1);
	v[0] = HISTORY_TAG;
	v[1] = HISTORY_VERSION;
	wire_put16(v + 2, (uint16_t)sl);
	wire_put64(v + 4, (uint64_t)e->time);
	wire_put32(v + 12, e->old_serial);
	wire_put32(v + 16, e->new_serial);
	wire_put32(v + 20, e->ndel);
	wire_put32(v + 24, e->nadd);
	memcpy(v + HISTORY_HDR, e->apex, al);
	memcpy(v + HISTORY_HDR + al, e->source, sl);
	store_put(t, STORE_HISTORY, k, sizeof(k), v, HISTORY_HDR + al + sl, 0);
	if (keep && e->time > (int64_t)keep)
		prune(t, e->time - (int64_t)keep);
}

static int decode(const MDB_val *k, const MDB_val *v, struct history_entry *e)
{
	const uint8_t *p = v->mv_data;
	if (k->mv_size != 8 || v->mv_size < HISTORY_HDR + 1 || p[0] != HISTORY_TAG ||
	    p[1] != HISTORY_VERSION)
		return LS_ESTORE;
	e->seq = wire_get64(k->mv_data);
	size_t sl = wire_get16(p + 2);
	e->time = (int64_t)wire_get64(p + 4);
	e->old_serial = wire_get32(p + 12);
	e->new_serial = wire_get32(p + 16);
	e->ndel = wire_get32(p + 20);
	e->nadd = wire_get32(p + 24);
	int al = dname_wire_len(p + HISTORY_HDR, v->mv_size - HISTORY_HDR);
	if (al < 0 || HISTORY_HDR + (size_t)al + sl != v->mv_size || sl >= HISTORY_SOURCE_MAX)
		return LS_ESTORE;
	memcpy(e->apex, p + HISTORY_HDR, (size_t)al);
	memcpy(e->source, p + HISTORY_HDR + al, sl);
	e->source[sl] = 0;
	return 0;
}

int history_list(struct store_txn *t, const uint8_t *apex,
                 int (*fn)(const struct history_entry *e, void *ctx), void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct history_entry e;
	int rc = store_cursor(t, STORE_HISTORY, &cur);
	if (rc)
		return rc;
	for (int op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		rc = decode(&k, &v, &e);
		if (rc)
			break;
		if (apex && !dname_equal(apex, e.apex))
			continue;
		rc = fn(&e, ctx);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int history_since(struct store_txn *t, uint64_t after, size_t max,
                  int (*fn)(const struct history_entry *e, void *ctx), void *ctx)
{
	MDB_cursor *cur;
	uint8_t start[8];
	MDB_val k = { sizeof(start), start }, v;
	struct history_entry e;
	size_t n = 0;
	wire_put64(start, after + 1);
	int rc = store_cursor(t, STORE_HISTORY, &cur);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && n < max;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++)
		if ((rc = decode(&k, &v, &e)) != 0 || (rc = fn(&e, ctx)) != 0)
			break;
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int history_last(struct store_txn *t, uint64_t *seq)
{
	MDB_cursor *cur;
	MDB_val k, v;
	*seq = 0;
	int rc = store_cursor(t, STORE_HISTORY, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		*seq = wire_get64(k.mv_data);
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : store_errno(rc);
}
