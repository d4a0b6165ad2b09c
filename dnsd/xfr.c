/* Transfers stream from their own snapshot: SOA, every RRset in key order (or the journal), SOA. */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/pkt.h"
#include "dnsd/xfr.h"
#include "shared/store/journal.h"
#include "shared/store/rrset.h"
#include "shared/store/secondary.h"
#include "shared/dns/serial.h"
#include "shared/store/tsig_key.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"

enum { X_SOA, X_RECORDS, X_JOURNAL, X_LAST_SOA, X_DONE };

#define OPT_LEN 11             /* root owner, type, class, TTL, empty RDATA */
#define XFR_EDNS_SIZE 1232     /* OPT's payload size in transfers: udp-max-size's default */

struct xfr {
	struct store_txn t;
	MDB_cursor *cur;
	struct zone_info z;
	struct signer sg;
	uint8_t question[DNAME_MAX + PKT_QUESTION_TAIL];
	size_t qlen;
	uint16_t id;
	uint16_t rd;                  /* the query's RD, copied (RFC 5936 2.2.1) */
	bool edns, do_bit;            /* the query had an OPT: the first message has one too */
	int state;
	bool incremental;             /* IXFR from the journal */
	bool failed;
	bool positioned;              /* cur is on the RRset being sent */
	size_t pos;                   /* next record inside it */
	uint8_t owner[DNAME_MAX];
	uint64_t seq, last_seq;       /* journal entries still to send */
	struct journal_view jv;
	size_t jpos;                  /* next record inside jv */
	bool jopen;
	uint64_t records, messages;
	struct rrset_view soa;
	char what[XFR_WHY_MAX];
	/* Owner compression inside the current message (see put_rr). */
	size_t apex_len, apex_off, prev_off, prev_len;
	uint8_t prev[DNAME_MAX];
};

static bool apex_soa(MDB_val *k)
{
	const uint8_t *b = k->mv_data;
	return k->mv_size == 7 && b[4] == 0 && wire_get16(b + 5) == T_SOA;
}

enum xfr_verdict xfr_acl(struct store_txn *t, const struct zone_info *z,
                         const struct sockaddr *client, const struct signer *sg, char *why,
                         size_t whylen)
{
	struct secondary s;
	uint8_t want[DNAME_MAX];
	char used[TSIG_KEY_TEXT_MAX];
	if (client == NULL || secondary_find(t, z->id, client, &s) != 0) {
		snprintf(why, whylen, "not a secondary of the zone");
		return XFR_REFUSE;
	}
	if (*s.key == 0)
		return XFR_ALLOW;
	if (!sg->present) {
		snprintf(why, whylen, "not signed: TSIG key %s required", s.key);
		return XFR_REFUSE;
	}
	if (tsig_key_name(s.key, want) != 0 || !dname_equal(want, sg->key.name)) {
		snprintf(why, whylen, "signed with TSIG key %s, not %s",
		         tsig_key_name_text(sg->key.name, used, sizeof(used)), s.key);
		return XFR_NOTAUTH;
	}
	return XFR_ALLOW;
}

/* The SOA's serial, or false when the stored SOA is malformed. */
static bool soa_serial(const struct rrset_view *soa, uint32_t *serial)
{
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	if (!rrset_next(soa, &pos, &rd, &rdlen) || soa_serial_offset(rd, rdlen) < 0)
		return false;
	*serial = wire_get32(rd + soa_serial_offset(rd, rdlen));
	return true;
}

/* AXFR, or IXFR: up to date (the SOA alone), from the journal, or the whole zone. */
static void plan(struct xfr *x, const struct query *q, uint32_t current)
{
	uint64_t first;
	snprintf(x->what, sizeof(x->what), "AXFR, serial %u", current);
	if (q->qtype != T_IXFR)
		return;
	uint32_t theirs = q->ixfr_serial;
	if (theirs == current || serial_gt(theirs, current)) {
		/* RFC 1995 2: the current SOA alone says "nothing newer". */
		x->state = X_LAST_SOA;
		snprintf(x->what, sizeof(x->what), "IXFR, up to date at serial %u", current);
	} else if (journal_find(&x->t, x->z.id, x->z.journal_seq, theirs, current, &first) == 0) {
		x->incremental = true;
		x->seq = first;
		x->last_seq = x->z.journal_seq;
		snprintf(x->what, sizeof(x->what), "IXFR, serial %u -> %u, %llu change%s", theirs,
		         current, (unsigned long long)(x->last_seq - first + 1),
		         x->last_seq == first ? "" : "s");
	} else {
		/* RFC 1995 4: the whole zone when the differences are not at hand. */
		snprintf(x->what, sizeof(x->what), "IXFR, full zone at serial %u (the journal does "
		         "not reach serial %u)", current, theirs);
	}
}

struct xfr *xfr_start(struct store *st, const uint8_t *msg, size_t len, const struct query *q,
                      const struct sockaddr *client, uint64_t now)
{
	struct xfr *x = calloc(1, sizeof(*x));
	char why[XFR_WHY_MAX];
	uint32_t current;
	if (x == NULL)
		return NULL;
	/* An IXFR without the client's SOA is malformed: answered FORMERR the ordinary way. */
	if ((q->qtype == T_IXFR && !q->has_ixfr_serial) || store_begin(st, false, 0, &x->t) != 0 ||
	    zone_get(&x->t, q->qname, &x->z) != 0)
		goto fail;
	if (q->has_tsig) {
		signer_check(&x->sg, &x->t, msg, len, now);
		if (x->sg.error != TSIG_NOERROR)
			goto fail;
	}
	if (xfr_acl(&x->t, &x->z, client, &x->sg, why, sizeof(why)) != XFR_ALLOW)
		goto fail;
	uint8_t key[RRSET_KEY_MAX];
	int kl = rrset_key(key, x->z.id, x->z.apex, x->z.apex, T_SOA);
	MDB_val v;
	if (store_get(&x->t, STORE_RRSETS, key, (size_t)kl, &v) != 0 ||
	    rrset_decode(v.mv_data, v.mv_size, &x->soa) != 0 || !soa_serial(&x->soa, &current) ||
	    store_cursor(&x->t, STORE_RRSETS, &x->cur) != 0)
		goto fail;
	x->qlen = q->question_end - PKT_HDR;
	memcpy(x->question, msg + PKT_HDR, x->qlen);
	x->id = q->id;
	x->rd = q->flags & PKT_F_RD;
	x->edns = q->edns;
	x->do_bit = q->do_bit;
	x->apex_len = (size_t)dname_wire_len(x->z.apex, DNAME_MAX);
	plan(x, q, current);
	return x;
fail:
	xfr_free(x);
	return NULL;
}

/* RDATA; names in it of the RFC 1035 types (RFC 3597 4) that lie below the apex point to it. */
static bool put_rdata(struct xfr *x, struct pkt *p, uint16_t type, const uint8_t *rd,
                      uint16_t len)
{
	size_t pre, off;
	int names = pkt_rdata_names(type, &pre);
	if (names == 0 || x->apex_off == 0 || len < pre)
		return pkt_put(p, rd, len);
	if (!pkt_put(p, rd, pre))
		return false;
	for (off = pre; names > 0; names--) {
		int nl = dname_wire_len(rd + off, len - off);
		if (nl < 0)
			break;               /* stored data is checked; should it not be, copy it as is */
		bool below = (size_t)nl >= x->apex_len && dname_is_sub(rd + off, x->z.apex);
		size_t head = below ? (size_t)nl - x->apex_len : (size_t)nl;
		if (!pkt_put(p, rd + off, head) ||
		    (below && !pkt_put16(p, (uint16_t)(PKT_PTR | x->apex_off))))
			return false;
		off += (size_t)nl;
	}
	return pkt_put(p, rd + off, len - off);
}

/*
 * One record. Names are compressed the cheap way a transfer allows, records coming name by
 * name: the previous owner again is a pointer to it; any other owner, and names in RDATA, are
 * their labels below the apex and a pointer to the apex (the question's name, or the first
 * owner in full). General suffix matching (pkt_put_name) costs more than all the rest of a
 * transfer.
 */
static bool put_rr(struct xfr *x, struct pkt *p, const uint8_t *owner, uint16_t type,
                   uint32_t ttl, const uint8_t *rd, uint16_t rdlen)
{
	size_t start = p->len, ol = (size_t)dname_wire_len(owner, DNAME_MAX), head = ol, target = 0;
	bool below = ol >= x->apex_len && dname_is_sub(owner, x->z.apex);
	if (x->prev_off && ol == x->prev_len && memcmp(owner, x->prev, ol) == 0) {
		head = 0;
		target = x->prev_off;
	} else if (x->apex_off && below) {
		head = ol - x->apex_len;
		target = x->apex_off;
	}
	if (!pkt_put(p, owner, head) || (target && !pkt_put16(p, (uint16_t)(PKT_PTR | target))) ||
	    !pkt_put_rr_tail(p, type, ttl)) {
		pkt_rewind(p, start);
		return false;
	}
	size_t at = p->len;          /* RDLENGTH is known once the RDATA is written */
	if (!put_rdata(x, p, type, rd, rdlen)) {
		pkt_rewind(p, start);
		return false;
	}
	pkt_end_rdata(p, at);
	if (head > 0 && start < PKT_PTR_REACH) {
		x->prev_off = start;
		x->prev_len = ol;
		memcpy(x->prev, owner, ol);
	}
	if (!target && below && x->apex_off == 0 && start + ol - x->apex_len < PKT_PTR_REACH)
		x->apex_off = start + ol - x->apex_len;
	return true;
}

/* One record into the message; the first record of a message may take it up to 64 KiB. */
static bool emit(struct xfr *x, struct pkt *p, size_t largest, uint16_t *an,
                 const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
                 uint16_t rdlen)
{
	if (!put_rr(x, p, owner, type, ttl, rd, rdlen)) {
		if (*an > 0 || p->cap >= largest)
			return false;
		p->cap = largest;
		if (!put_rr(x, p, owner, type, ttl, rd, rdlen))
			return false;
	}
	(*an)++;
	return true;
}

static bool put_soa(struct xfr *x, struct pkt *p, size_t largest, uint16_t *an)
{
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	return rrset_next(&x->soa, &pos, &rd, &rdlen) &&
	       emit(x, p, largest, an, x->z.apex, T_SOA, x->soa.ttl, rd, rdlen);
}

/* RRsets in key order from the cursor; false when the message is full. */
static bool put_records(struct xfr *x, struct pkt *p, size_t largest, uint16_t *an)
{
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
			if (mdb_cursor_get(x->cur, &k, &v, MDB_NEXT) != 0)   /* the SOA goes first and last */
				x->state = X_LAST_SOA;
			continue;
		}
		const uint8_t *rd;
		uint16_t rdlen;
		size_t pos = x->pos;
		while (rrset_next(&view, &pos, &rd, &rdlen)) {
			if (!emit(x, p, largest, an, x->owner, type, view.ttl, rd, rdlen))
				return false;
			x->pos = pos;
			x->records++;
		}
		x->pos = 0;
		if (mdb_cursor_get(x->cur, &k, &v, MDB_NEXT) != 0)
			x->state = X_LAST_SOA;
	}
	return true;
}

/* The journal's entries in order, each: old SOA, removed records, new SOA, added records. */
static bool put_journal(struct xfr *x, struct pkt *p, size_t largest, uint16_t *an)
{
	while (x->state == X_JOURNAL) {
		if (!x->jopen) {
			if (x->seq > x->last_seq) {
				x->state = X_LAST_SOA;
				break;
			}
			if (journal_view(&x->t, x->z.id, x->seq, &x->jv) != 0) {
				x->failed = true;
				return false;
			}
			x->jpos = JOURNAL_HDR;
			x->jopen = true;
		}
		struct rr rr;
		size_t pos = x->jpos;
		int rc = journal_view_next(&x->jv, &pos, &rr);
		if (rc < 0) {
			x->failed = true;
			return false;
		}
		if (rc == 0) {
			x->jopen = false;
			x->seq++;
			continue;
		}
		if (!emit(x, p, largest, an, rr.owner, rr.type, rr.ttl, rr.rdata, rr.rdlen))
			return false;
		x->jpos = pos;
		x->records++;
	}
	return true;
}

size_t xfr_next(struct xfr *x, uint8_t *out, size_t cap)
{
	struct pkt p;
	uint16_t an = 0;
	if (x->state == X_DONE || x->failed)
		return 0;
	size_t room = signer_room(&x->sg);
	size_t limit = cap - 2 < XFR_MSG_MAX ? cap - 2 : XFR_MSG_MAX;
	size_t largest = (cap - 2 < XFR_MSG_LARGEST ? cap - 2 : XFR_MSG_LARGEST) - room;
	size_t opt = x->messages == 0 && x->edns ? OPT_LEN : 0;
	pkt_init(&p, out + 2, limit - room - opt);
	pkt_header(&p, x->id, PKT_F_QR | PKT_F_AA | x->rd);
	x->apex_off = x->prev_off = 0;
	if (x->messages == 0) {      /* the question goes in the first message only */
		pkt_put(&p, x->question, x->qlen);
		pkt_set16(&p, PKT_QDCOUNT, 1);
		x->apex_off = PKT_HDR;   /* its name is the apex */
	}
	if (x->state == X_SOA) {
		if (!put_soa(x, &p, largest, &an))
			goto done;
		x->records++;
		x->state = x->incremental ? X_JOURNAL : X_RECORDS;
	}
	if (!put_records(x, &p, largest, &an) || !put_journal(x, &p, largest, &an))
		goto done;
	if (x->state == X_LAST_SOA && put_soa(x, &p, largest, &an)) {
		x->records++;
		x->state = X_DONE;
	}
done:
	if (x->failed || (an == 0 && x->state != X_DONE)) {
		x->failed = true;        /* a store error, or a record that fits no message */
		return 0;
	}
	pkt_set16(&p, PKT_ANCOUNT, an);
	if (opt) {
		/* As Knot and NSD: an OPT in the first message to a query with one (RFC 6891). */
		p.cap += opt;
		pkt_put(&p, "", 1);
		pkt_put16(&p, T_OPT);
		pkt_put16(&p, XFR_EDNS_SIZE);
		pkt_put(&p, (uint8_t[]){ 0, 0, (uint8_t)(x->do_bit ? EDNS_DO : 0), 0 }, 4);
		pkt_put16(&p, 0);
		pkt_set16(&p, PKT_ARCOUNT, 1);
	}
	/* Every message is signed (RFC 8945 5.3.1 asks for one in 100 at least). */
	size_t len = signer_finish(&x->sg, p.buf, p.len, p.cap + room, (uint64_t)time(NULL));
	if (len == 0) {
		x->failed = true;
		return 0;
	}
	x->messages++;
	wire_put16(out, (uint16_t)len);
	return len + 2;
}

const char *xfr_describe(const struct xfr *x)
{
	return x->what;
}

bool xfr_failed(const struct xfr *x)
{
	return x->failed;
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
	tsig_key_wipe(&x->sg.key);
	free(x);
}
