/* Query parsing: our own bounded code, before anything else sees the packet. */
#include <string.h>
#include "dnsd/query.h"
#include "dnsd/pkt.h"
#include "shared/dns/tsig.h"
#include "shared/store/zone_check.h"

#define SOA_TIMERS 20          /* serial, refresh, retry, expire, minimum after SOA's names */
/* OPT (RFC 6891 6.1.2): CLASS is the payload size, TTL the extended RCODE, version, flags. */
#define OPT_VERSION (PKT_RR_TTL + 1)
#define OPT_FLAGS (PKT_RR_TTL + 2)
#define OPT_OPTION_HDR 4       /* an option's code and length */
#define OPT_OPTION_LEN 2

/* The client's SOA in an IXFR query's authority section at off: returns the offset after it,
 * 0 when it is malformed. A record that is not a well-formed SOA gives no serial. */
static size_t ixfr_soa(const uint8_t *pkt, size_t len, size_t off, struct query *q)
{
	off = dname_skip(pkt, len, off);
	if (off == 0 || off + PKT_RR_TAIL > len)
		return 0;
	uint16_t type = wire_get16(pkt + off), rdlen = wire_get16(pkt + off + PKT_RR_RDLEN);
	size_t rd = off + PKT_RR_TAIL;
	if (rd + rdlen > len)
		return 0;
	size_t serial = dname_skip(pkt, rd + rdlen, rd);
	serial = serial ? dname_skip(pkt, rd + rdlen, serial) : 0;
	if (type == T_SOA && serial && serial + SOA_TIMERS == rd + rdlen) {
		q->ixfr_serial = wire_get32(pkt + serial);
		q->has_ixfr_serial = true;
	}
	return rd + rdlen;
}

/* The OPT record whose fixed part starts at rr (RDATA of rdlen bytes follows, in bounds). */
static bool opt(const uint8_t *rr, uint16_t rdlen, struct query *q, bool *cookie_malformed)
{
	uint16_t size = wire_get16(rr + PKT_RR_CLASS);
	q->edns_size = size < DNS_MAX_UDP_PLAIN ? DNS_MAX_UDP_PLAIN : size;
	q->edns_version = rr[OPT_VERSION];
	q->do_bit = rr[OPT_FLAGS] & EDNS_DO;
	/* Every option's framing is checked; the first COOKIE is kept, others are ignored. */
	const uint8_t *o = rr + PKT_RR_TAIL, *end = o + rdlen;
	while (o < end) {
		if (end - o < OPT_OPTION_HDR ||
		    end - o - OPT_OPTION_HDR < wire_get16(o + OPT_OPTION_LEN))
			return false;
		uint16_t code = wire_get16(o), olen = wire_get16(o + OPT_OPTION_LEN);
		if (code == COOKIE_OPTION && q->cookie_len == 0 && !*cookie_malformed) {
			if (cookie_len_ok(olen)) {
				memcpy(q->cookie, o + OPT_OPTION_HDR, olen);
				q->cookie_len = (uint8_t)olen;
			} else {
				*cookie_malformed = true;    /* RFC 7873 5.2.2: FORMERR */
			}
		}
		o += OPT_OPTION_HDR + olen;
	}
	q->edns = true;
	return true;
}

/* Skips n records from off: the offset after them, 0 when one runs past the end. */
static size_t skip_records(const uint8_t *pkt, size_t len, size_t off, unsigned n)
{
	for (; n > 0 && off; n--) {
		off = dname_skip(pkt, len, off);
		if (off == 0 || off + PKT_RR_TAIL > len ||
		    off + PKT_RR_TAIL + wire_get16(pkt + off + PKT_RR_RDLEN) > len)
			return 0;
		off += PKT_RR_TAIL + wire_get16(pkt + off + PKT_RR_RDLEN);
	}
	return off;
}

/* The question at PKT_HDR; false when it is malformed. */
static bool question(const uint8_t *pkt, size_t len, struct query *q)
{
	/* The name: uncompressed (nothing precedes it to point at), at most 255 bytes. */
	int nl = dname_wire_len(pkt + PKT_HDR, len - PKT_HDR);
	if (nl < 0 || PKT_HDR + (size_t)nl + PKT_QUESTION_TAIL > len)
		return false;
	memcpy(q->qname, pkt + PKT_HDR, (size_t)nl);
	dname_lower(q->qname);
	q->qname_len = (size_t)nl;
	size_t off = PKT_HDR + (size_t)nl;
	q->qtype = wire_get16(pkt + off);
	q->qclass = wire_get16(pkt + off + PKT_RR_CLASS);    /* TYPE, CLASS as in a record */
	q->question_end = off + PKT_QUESTION_TAIL;
	return true;
}

/* The additional section's ar records from off: OPT and TSIG. */
static enum query_verdict additional(const uint8_t *pkt, size_t len, size_t off, uint16_t ar,
                                     struct query *q)
{
	bool cookie_malformed = false;
	for (uint16_t i = 0; i < ar; i++) {
		size_t name = off;
		off = dname_skip(pkt, len, off);
		if (off == 0 || off + PKT_RR_TAIL > len)
			return QUERY_FORMERR;
		uint16_t type = wire_get16(pkt + off), rdlen = wire_get16(pkt + off + PKT_RR_RDLEN);
		if (off + PKT_RR_TAIL + rdlen > len)
			return QUERY_FORMERR;
		if (type == TSIG_TYPE) {
			/* RFC 8945 5.1: the TSIG is the last record; tsig_find() reads it in full. */
			if (i + 1 != ar)
				return QUERY_FORMERR;
			q->has_tsig = true;
		}
		/* RFC 6891 6.1.1: one OPT, owned by the root. */
		if (type == T_OPT && (q->edns || pkt[name] != 0 ||
		                      !opt(pkt + off, rdlen, q, &cookie_malformed)))
			return QUERY_FORMERR;
		off += PKT_RR_TAIL + (size_t)rdlen;
	}
	return cookie_malformed ? QUERY_FORMERR : QUERY_OK;
}

enum query_verdict query_parse(const uint8_t *pkt, size_t len, struct query *q)
{
	memset(q, 0, sizeof(*q));
	if (len < PKT_HDR)
		return QUERY_DROP;
	q->id = wire_get16(pkt + PKT_ID);
	q->flags = wire_get16(pkt + PKT_FLAGS);
	if (q->flags & PKT_F_QR)
		return QUERY_DROP;          /* never answer an answer: no loops between servers */
	uint16_t qd = wire_get16(pkt + PKT_QDCOUNT), an = wire_get16(pkt + PKT_ANCOUNT),
	         ns = wire_get16(pkt + PKT_NSCOUNT), ar = wire_get16(pkt + PKT_ARCOUNT);
	enum query_verdict v = QUERY_OK;
	if (PKT_OPCODE(q->flags) != PKT_OPCODE_QUERY)
		v = QUERY_NOTIMP;
	else if (an != 0 || ns > 1)
		v = QUERY_FORMERR;
	else if (qd == 0)
		v = QUERY_NO_QUESTION;
	if (qd > 1 || ar > QUERY_MAX_ADDITIONAL || (qd == 1 && !question(pkt, len, q)))
		return v == QUERY_NOTIMP ? v : QUERY_FORMERR;    /* no OPT looked for */
	size_t off = qd == 1 ? q->question_end : PKT_HDR;
	/* Only IXFR carries a record in authority: the client's SOA (RFC 1995 3). */
	if (v == QUERY_OK && ns == 1) {
		if (q->qtype != T_IXFR || (off = ixfr_soa(pkt, len, off, q)) == 0)
			return QUERY_FORMERR;
	} else if ((off = skip_records(pkt, len, off, (unsigned)an + ns)) == 0) {
		return v == QUERY_NOTIMP ? v : QUERY_FORMERR;
	}
	enum query_verdict av = additional(pkt, len, off, ar, q);
	if (v == QUERY_OK || (v == QUERY_NO_QUESTION && av != QUERY_OK))
		return av;
	return v;
}
