/* Journal entries: header, then records as uncompressed wire RRs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/store/journal.h"
#include "shared/dns/wire.h"

#define META_TAG 'M'         /* the zone's journal summary, at sequence 0 */
#define META_VERSION 1
#define META_LEN 28
#define KEY_LEN 12

static struct {
	uint64_t max_size;
	uint32_t max_age;
} limits = { JOURNAL_DEFAULT_MAX_SIZE, JOURNAL_DEFAULT_MAX_AGE };

void journal_set_limits(uint64_t max_size, uint32_t max_age)
{
	limits.max_size = max_size;
	limits.max_age = max_age;
}

static size_t rr_size(const struct rr *rr)
{
	return (size_t)dname_wire_len(rr->owner, DNAME_MAX) + 10 + rr->rdlen;
}

static uint8_t *rr_write(uint8_t *p, const struct rr *rr)
{
	size_t ol = (size_t)dname_wire_len(rr->owner, DNAME_MAX);
	memcpy(p, rr->owner, ol);
	p += ol;
	wire_put16(p, rr->type);
	wire_put16(p + 2, 1);   /* class IN */
	wire_put32(p + 4, rr->ttl);
	wire_put16(p + 8, rr->rdlen);
	memcpy(p + 10, rr->rdata, rr->rdlen);
	return p + 10 + rr->rdlen;
}

static void key(uint8_t k[KEY_LEN], uint32_t zone_id, uint64_t seq)
{
	wire_put32(k, zone_id);
	wire_put64(k + 4, seq);
}

static void meta_put(struct store_txn *t, uint32_t zone_id, const struct journal_info *i)
{
	uint8_t k[KEY_LEN], v[META_LEN] = { META_TAG, META_VERSION };
	key(k, zone_id, 0);
	wire_put64(v + 4, i->first);
	wire_put64(v + 12, i->count);
	wire_put64(v + 20, i->bytes);
	store_put(t, STORE_JOURNAL, k, sizeof(k), v, sizeof(v), 0);
}

/* Stores written before the summary existed: count the entries once. */
static int scan(struct store_txn *t, uint32_t zone_id, struct journal_info *out)
{
	uint8_t k0[KEY_LEN];
	MDB_cursor *cur;
	MDB_val k = { sizeof(k0), k0 }, v;
	key(k0, zone_id, 1);
	memset(out, 0, sizeof(*out));
	int rc = store_cursor(t, STORE_JOURNAL, &cur);
	if (rc)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != KEY_LEN || wire_get32(k.mv_data) != zone_id)
			break;
		uint64_t seq = wire_get64((const uint8_t *)k.mv_data + 4);
		if (out->count == 0)
			out->first = seq;
		out->last = seq;
		out->count++;
		out->bytes += v.mv_size;
	}
	mdb_cursor_close(cur);
	if (out->count && out->last - out->first + 1 != out->count)
		return LS_ESTORE;        /* entries are only ever dropped oldest first */
	return rc == MDB_NOTFOUND ? 0 : store_errno(rc);
}

int journal_info(struct store_txn *t, uint32_t zone_id, struct journal_info *out)
{
	uint8_t k[KEY_LEN];
	MDB_val v;
	key(k, zone_id, 0);
	int rc = store_get(t, STORE_JOURNAL, k, sizeof(k), &v);
	if (rc == LS_ENOTFOUND)
		return scan(t, zone_id, out);
	if (rc)
		return rc;
	const uint8_t *p = v.mv_data;
	if (v.mv_size != META_LEN || p[0] != META_TAG || p[1] != META_VERSION)
		return LS_ESTORE;
	out->first = wire_get64(p + 4);
	out->count = wire_get64(p + 12);
	out->bytes = wire_get64(p + 20);
	out->last = out->count ? out->first + out->count - 1 : 0;
	return 0;
}

/* Drops the oldest entries while the journal is over a bound (all of them when all is set). */
static void trim(struct store_txn *t, uint32_t zone_id, struct journal_info *i, int64_t now,
                 bool all)
{
	uint8_t k0[KEY_LEN];
	MDB_cursor *cur;
	MDB_val k = { sizeof(k0), k0 }, v;
	/* 0 keeps entries for ever: only the size bounds the journal. */
	int64_t oldest_kept = limits.max_age ? now - (int64_t)limits.max_age : INT64_MIN;
	unsigned aged = 0;
	key(k0, zone_id, i->first);
	if (i->count == 0 || store_cursor(t, STORE_JOURNAL, &cur) != 0)
		return;
	int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	while (rc == 0 && i->count > 0) {
		const uint8_t *p = v.mv_data;
		if (k.mv_size != KEY_LEN || wire_get32(k.mv_data) != zone_id || v.mv_size < JOURNAL_HDR)
			break;
		bool old = (int64_t)wire_get64(p + 12) < oldest_kept;
		bool over = all || i->bytes > limits.max_size;
		/* Age alone deletes a bounded number per commit: a backlog goes over a few commits. */
		if (!over && (!old || aged++ >= JOURNAL_PRUNE_MAX))
			break;
		i->bytes -= i->bytes < v.mv_size ? i->bytes : v.mv_size;
		i->count--;
		i->first++;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
	}
	if (rc && rc != MDB_NOTFOUND && rc != EINVAL)
		store_fail(t, store_errno(rc));
	mdb_cursor_close(cur);
	if (i->count == 0)
		i->bytes = 0;
}

void journal_put(struct store_txn *t, uint32_t zone_id, uint64_t seq,
                 const struct journal_entry *e)
{
	struct journal_info info;
	size_t len = JOURNAL_HDR;
	for (size_t i = 0; i < e->ndel; i++)
		len += rr_size(&e->del[i]);
	for (size_t i = 0; i < e->nadd; i++)
		len += rr_size(&e->add[i]);
	int rc = journal_info(t, zone_id, &info);
	if (rc) {
		store_fail(t, rc);
		return;
	}
	/* An entry that cannot follow the ones kept (it is too big, or a gap) ends their use. */
	bool fits = len <= limits.max_size;
	if (!fits || (info.count && info.last + 1 != seq))
		trim(t, zone_id, &info, e->time, true);
	if (info.count == 0)
		info.first = fits ? seq : seq + 1;
	if (fits) {
		uint8_t *buf = malloc(len);
		if (buf == NULL) {
			store_fail(t, -ENOMEM);
			return;
		}
		buf[0] = JOURNAL_TAG;
		buf[1] = JOURNAL_VERSION;
		wire_put16(buf + 2, 0);
		wire_put32(buf + 4, e->from_serial);
		wire_put32(buf + 8, e->to_serial);
		wire_put64(buf + 12, (uint64_t)e->time);
		wire_put32(buf + 20, (uint32_t)e->ndel);
		wire_put32(buf + 24, (uint32_t)e->nadd);
		uint8_t *p = buf + JOURNAL_HDR;
		for (size_t i = 0; i < e->ndel; i++)
			p = rr_write(p, &e->del[i]);
		for (size_t i = 0; i < e->nadd; i++)
			p = rr_write(p, &e->add[i]);
		uint8_t k[KEY_LEN];
		key(k, zone_id, seq);
		store_put(t, STORE_JOURNAL, k, sizeof(k), buf, len, 0);
		free(buf);
		info.count++;
		info.bytes += len;
	}
	trim(t, zone_id, &info, e->time, false);
	if (info.count == 0)
		info.first = seq + 1;
	meta_put(t, zone_id, &info);
}

int journal_get(struct store_txn *t, uint32_t zone_id, uint64_t seq, struct arena *a,
                struct journal_entry *out)
{
	struct journal_view v;
	int rc = journal_view(t, zone_id, seq, &v);
	if (rc)
		return rc;
	out->from_serial = v.from_serial;
	out->to_serial = v.to_serial;
	out->time = v.time;
	out->ndel = v.ndel;
	out->nadd = v.nadd;
	/* Each record takes at least 11 bytes: bound the counts by the value size. */
	if (out->ndel + out->nadd > v.len / 11)
		return LS_ESTORE;
	out->del = arena_alloc(a, (out->ndel + 1) * sizeof(struct rr));
	out->add = arena_alloc(a, (out->nadd + 1) * sizeof(struct rr));
	if (out->del == NULL || out->add == NULL)
		return -ENOMEM;
	size_t pos = JOURNAL_HDR;
	for (size_t i = 0; i < out->ndel + out->nadd; i++) {
		struct rr *rr = i < out->ndel ? &out->del[i] : &out->add[i - out->ndel];
		if (journal_view_next(&v, &pos, rr) != 1)
			return LS_ESTORE;
		/* Copies: the caller keeps them past the transaction. */
		rr->owner = arena_dup(a, rr->owner, (size_t)dname_wire_len(rr->owner, DNAME_MAX));
		rr->rdata = rr->rdlen ? arena_dup(a, rr->rdata, rr->rdlen) : rr->rdata;
		if (rr->owner == NULL || rr->rdata == NULL)
			return -ENOMEM;
	}
	return pos == v.len ? 0 : LS_ESTORE;
}

int journal_view(struct store_txn *t, uint32_t zone_id, uint64_t seq, struct journal_view *out)
{
	uint8_t k[KEY_LEN];
	MDB_val v;
	key(k, zone_id, seq);
	int rc = store_get(t, STORE_JOURNAL, k, sizeof(k), &v);
	if (rc)
		return rc;
	const uint8_t *p = v.mv_data;
	if (seq == 0 || v.mv_size < JOURNAL_HDR || p[0] != JOURNAL_TAG || p[1] != JOURNAL_VERSION)
		return LS_ESTORE;
	out->from_serial = wire_get32(p + 4);
	out->to_serial = wire_get32(p + 8);
	out->time = (int64_t)wire_get64(p + 12);
	out->ndel = wire_get32(p + 20);
	out->nadd = wire_get32(p + 24);
	out->p = p;
	out->len = v.mv_size;
	return 0;
}

int journal_view_next(const struct journal_view *v, size_t *pos, struct rr *rr)
{
	if (*pos >= v->len)
		return 0;
	int ol = dname_wire_len(v->p + *pos, v->len - *pos);
	if (ol < 0 || *pos + (size_t)ol + 10 > v->len)
		return LS_ESTORE;
	const uint8_t *h = v->p + *pos + ol;
	rr->owner = v->p + *pos;
	rr->type = wire_get16(h);
	rr->ttl = wire_get32(h + 4);
	rr->rdlen = wire_get16(h + 8);
	rr->rdata = h + 10;
	rr->file = NULL;
	rr->line = 0;
	if (*pos + (size_t)ol + 10 + rr->rdlen > v->len)
		return LS_ESTORE;
	*pos += (size_t)ol + 10 + rr->rdlen;
	return 1;
}

int journal_find(struct store_txn *t, uint32_t zone_id, uint64_t last, uint32_t from,
                 uint32_t to, uint64_t *first)
{
	struct journal_info info;
	struct journal_view v;
	int rc = journal_info(t, zone_id, &info);
	if (rc)
		return rc;
	if (info.count == 0 || last != info.last)
		return LS_ENOTFOUND;
	/* Newest first: each entry must end where the next one began, back to the client's. */
	uint32_t want = to;
	for (uint64_t seq = last; seq >= info.first && seq > 0; seq--) {
		if ((rc = journal_view(t, zone_id, seq, &v)) != 0)
			return rc;
		if (v.to_serial != want)
			return LS_ENOTFOUND;
		if (v.from_serial == from) {
			*first = seq;
			return 0;
		}
		want = v.from_serial;
	}
	return LS_ENOTFOUND;
}
