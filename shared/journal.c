/* Journal entries: header, then records as uncompressed wire RRs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "shared/err.h"
#include "shared/journal.h"
#include "shared/wire.h"

#define JOURNAL_HDR 28

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

static void key(uint8_t k[12], uint32_t zone_id, uint64_t seq)
{
	wire_put32(k, zone_id);
	wire_put64(k + 4, seq);
}

void journal_put(struct store_txn *t, uint32_t zone_id, uint64_t seq,
                 const struct journal_entry *e)
{
	size_t len = JOURNAL_HDR;
	for (size_t i = 0; i < e->ndel; i++)
		len += rr_size(&e->del[i]);
	for (size_t i = 0; i < e->nadd; i++)
		len += rr_size(&e->add[i]);
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
	uint8_t k[12];
	key(k, zone_id, seq);
	store_put(t, STORE_JOURNAL, k, sizeof(k), buf, len, 0);
	free(buf);
}

static int rr_read(const uint8_t *p, size_t len, size_t *pos, struct arena *a, struct rr *rr)
{
	int ol = dname_wire_len(p + *pos, len - *pos);
	if (ol < 0 || *pos + (size_t)ol + 10 > len)
		return -1;
	const uint8_t *h = p + *pos + ol;
	rr->type = wire_get16(h);
	rr->ttl = wire_get32(h + 4);
	rr->rdlen = wire_get16(h + 8);
	if (*pos + (size_t)ol + 10 + rr->rdlen > len)
		return -1;
	rr->owner = arena_dup(a, p + *pos, (size_t)ol);
	rr->rdata = arena_dup(a, h + 10, rr->rdlen);
	rr->file = NULL;
	rr->line = 0;
	*pos += (size_t)ol + 10 + rr->rdlen;
	return rr->owner && (rr->rdata || rr->rdlen == 0) ? 0 : -1;
}

int journal_get(struct store_txn *t, uint32_t zone_id, uint64_t seq, struct arena *a,
                struct journal_entry *out)
{
	uint8_t k[12];
	MDB_val v;
	key(k, zone_id, seq);
	int rc = store_get(t, STORE_JOURNAL, k, sizeof(k), &v);
	if (rc)
		return rc;
	const uint8_t *p = v.mv_data;
	if (v.mv_size < JOURNAL_HDR || p[0] != JOURNAL_TAG || p[1] != JOURNAL_VERSION)
		return LS_ESTORE;
	out->from_serial = wire_get32(p + 4);
	out->to_serial = wire_get32(p + 8);
	out->time = (int64_t)wire_get64(p + 12);
	out->ndel = wire_get32(p + 20);
	out->nadd = wire_get32(p + 24);
	/* Each record takes at least 11 bytes: bound the counts by the value size. */
	if (out->ndel + out->nadd > v.mv_size / 11)
		return LS_ESTORE;
	out->del = arena_alloc(a, (out->ndel + 1) * sizeof(struct rr));
	out->add = arena_alloc(a, (out->nadd + 1) * sizeof(struct rr));
	if (out->del == NULL || out->add == NULL)
		return -ENOMEM;
	size_t pos = JOURNAL_HDR;
	for (size_t i = 0; i < out->ndel; i++)
		if (rr_read(p, v.mv_size, &pos, a, &out->del[i]))
			return LS_ESTORE;
	for (size_t i = 0; i < out->nadd; i++)
		if (rr_read(p, v.mv_size, &pos, a, &out->add[i]))
			return LS_ESTORE;
	return pos == v.mv_size ? 0 : LS_ESTORE;
}
