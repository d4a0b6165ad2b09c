/* Transfers stream the zone from their own snapshot: SOA, every RRset in key order, SOA. */
#include <stdlib.h>
#include <string.h>
#include "dnsd/pkt.h"
#include "dnsd/xfr.h"
#include "shared/rrset.h"
#include "shared/secondary.h"
#include "shared/wire.h"
#include "shared/zone.h"
#include "shared/zone_check.h"

enum { X_SOA, X_RECORDS, X_LAST_SOA, X_DONE };

struct xfr {
	struct store_txn t;
	MDB_cursor *cur;
	struct zone_info z;
	uint8_t question[DNAME_MAX + 4];
	size_t qlen;
	uint16_t id;
	int state;
	bool positioned;              /* cur is on the RRset being sent */
	size_t pos;                   /* next record inside it */
	uint8_t owner[DNAME_MAX];
	uint64_t records;
	struct rrset_view soa;
};

static bool apex_soa(MDB_val *k)
{
	const uint8_t *b = k->mv_data;
	return k->mv_size == 7 && b[4] == 0 && wire_get16(b + 5) == T_SOA;
}

struct xfr *xfr_start(struct store *st, const uint8_t *msg, const struct query *q,
                      const struct sockaddr *client, const char **why)
{
	struct xfr *x = calloc(1, sizeof(*x));
	*why = "out of memory";
	if (x == NULL)
		return NULL;
	if (store_begin(st, false, 0, &x->t) != 0) {
		*why = "the store cannot be read";
		goto fail;
	}
	if (zone_get(&x->t, q->qname, &x->z) != 0) {
		*why = "not a zone here";
		goto fail;
	}
	if (!secondary_allowed(&x->t, x->z.id, client)) {
		*why = "not a secondary of the zone";
		goto fail;
	}
	uint8_t key[RRSET_KEY_MAX];
	int kl = rrset_key(key, x->z.id, x->z.apex, x->z.apex, T_SOA);
	MDB_val v;
	if (store_get(&x->t, STORE_RRSETS, key, (size_t)kl, &v) != 0 ||
	    rrset_decode(v.mv_data, v.mv_size, &x->soa) != 0 ||
	    store_cursor(&x->t, STORE_RRSETS, &x->cur) != 0) {
		*why = "the zone has no SOA";
		goto fail;
	}
	x->qlen = q->question_end - PKT_HDR;
	memcpy(x->question, msg + PKT_HDR, x->qlen);
	x->id = q->id;
	/* An IXFR from the current serial needs only the SOA (RFC 1995 2); otherwise the whole
	 * zone, which RFC 1995 4 allows in place of the differences. */
	if (q->qtype == T_IXFR && q->has_ixfr_serial) {
		const uint8_t *rd;
		uint16_t rdlen;
		size_t pos = 0;
		if (rrset_next(&x->soa, &pos, &rd, &rdlen) && soa_serial_offset(rd, rdlen) >= 0 &&
		    wire_get32(rd + soa_serial_offset(rd, rdlen)) == q->ixfr_serial)
			x->state = X_LAST_SOA;
	}
	return x;
fail:
	xfr_free(x);
	return NULL;
}

static bool put_rr(struct pkt *p, const uint8_t *owner, uint16_t type, uint32_t ttl,
                   const uint8_t *rd, uint16_t rdlen)
{
	size_t start = p->len;
	if (!pkt_put_name(p, owner) || !pkt_put16(p, type) || !pkt_put16(p, 1) ||
	    !pkt_put32(p, ttl) || !pkt_put16(p, rdlen) || !pkt_put(p, rd, rdlen)) {
		pkt_rewind(p, start);
		return false;
	}
	return true;
}

static bool put_soa(struct xfr *x, struct pkt *p)
{
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	return rrset_next(&x->soa, &pos, &rd, &rdlen) &&
	       put_rr(p, x->z.apex, T_SOA, x->soa.ttl, rd, rdlen);
}

size_t xfr_next(struct xfr *x, uint8_t *out, size_t cap)
{
	struct pkt p;
	uint16_t an = 0;
	if (x->state == X_DONE)
		return 0;
	pkt_init(&p, out + 2, (cap - 2 < XFR_MSG_MAX ? cap - 2 : XFR_MSG_MAX));
	uint8_t hdr[PKT_HDR] = { 0 };
	pkt_put(&p, hdr, PKT_HDR);
	pkt_set16(&p, 0, x->id);
	pkt_set16(&p, 2, 0x8400);    /* QR, AA */
	if (x->records == 0) {       /* the question goes in the first message only */
		pkt_put(&p, x->question, x->qlen);
		pkt_note_name(&p, PKT_HDR);
		pkt_set16(&p, 4, 1);
	}
	if (x->state == X_SOA) {
		if (!put_soa(x, &p))
			goto done;
		an++;
		x->records++;
		x->state = X_RECORDS;
	}
	while (x->state == X_RECORDS) {
		MDB_val k, v;
		int rc;
		if (!x->positioned) {
			uint8_t id[4];
			wire_put32(id, x->z.id);
			k.mv_size = 4;
			k.mv_data = id;
			rc = mdb_cursor_get(x->cur, &k, &v, MDB_SET_RANGE);
			x->positioned = true;
			x->pos = 0;
		} else {
			rc = mdb_cursor_get(x->cur, &k, &v, MDB_GET_CURRENT);
		}
		struct rrset_view view;
		uint16_t type;
		if (rc != 0 || k.mv_size < 4 || wire_get32(k.mv_data) != x->z.id) {
			x->state = X_LAST_SOA;
			break;
		}
		if (apex_soa(&k) || rrset_decode(v.mv_data, v.mv_size, &view) != 0 ||
		    rrset_key_split(k.mv_data, k.mv_size, x->z.apex, x->owner, &type) != 0) {
			mdb_cursor_get(x->cur, &k, &v, MDB_NEXT);   /* the SOA goes first and last only */
			continue;
		}
		const uint8_t *rd;
		uint16_t rdlen;
		size_t pos = x->pos;
		bool full = false;
		while (rrset_next(&view, &pos, &rd, &rdlen)) {
			if (!put_rr(&p, x->owner, type, view.ttl, rd, rdlen)) {
				full = true;
				break;
			}
			x->pos = pos;
			an++;
			x->records++;
		}
		if (full)
			goto done;
		x->pos = 0;
		if (mdb_cursor_get(x->cur, &k, &v, MDB_NEXT) != 0)
			x->state = X_LAST_SOA;
	}
	if (x->state == X_LAST_SOA && put_soa(x, &p)) {
		an++;
		x->records++;
		x->state = X_DONE;
	}
done:
	if (an == 0 && x->state != X_DONE) {
		x->state = X_DONE;       /* one record larger than a message: cannot happen */
		return 0;
	}
	pkt_set16(&p, 6, an);
	wire_put16(out, (uint16_t)p.len);
	return p.len + 2;
}

uint64_t xfr_records(const struct xfr *x)
{
	return x->records;
}

void xfr_free(struct xfr *x)
{
	if (x == NULL)
		return;
	if (x->cur)
		mdb_cursor_close(x->cur);
	store_abort(&x->t);
	free(x);
}
