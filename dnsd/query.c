/* Query parsing: our own bounded code, before anything else sees the packet. */
#include <string.h>
#include "dnsd/query.h"
#include "dnsd/pkt.h"

#define OPCODE(flags) (((flags) >> 11) & 0xf)
#define QR 0x8000

enum query_verdict query_parse(const uint8_t *pkt, size_t len, struct query *q)
{
	memset(q, 0, sizeof(*q));
	if (len < PKT_HDR)
		return QUERY_DROP;
	q->id = wire_get16(pkt);
	q->flags = wire_get16(pkt + 2);
	if (q->flags & QR)
		return QUERY_DROP;          /* never answer an answer: no loops between servers */
	uint16_t qd = wire_get16(pkt + 4), an = wire_get16(pkt + 6), ns = wire_get16(pkt + 8),
	         ar = wire_get16(pkt + 10);
	if (OPCODE(q->flags) != 0)
		return QUERY_NOTIMP;
	if (qd != 1 || an != 0 || ns > 1 || ar > QUERY_MAX_ADDITIONAL)
		return QUERY_FORMERR;
	/* The question's name: uncompressed (nothing precedes it to point at), at most 255 bytes. */
	int nl = dname_wire_len(pkt + PKT_HDR, len - PKT_HDR);
	if (nl < 0 || PKT_HDR + (size_t)nl + 4 > len)
		return QUERY_FORMERR;
	memcpy(q->qname, pkt + PKT_HDR, (size_t)nl);
	dname_lower(q->qname);
	q->qname_len = (size_t)nl;
	size_t off = PKT_HDR + (size_t)nl;
	q->qtype = wire_get16(pkt + off);
	q->qclass = wire_get16(pkt + off + 2);
	off += 4;
	q->question_end = off;
	/* Only IXFR carries a record in authority: the client's SOA (RFC 1995 3). */
	if (ns == 1) {
		if (q->qtype != 251)
			return QUERY_FORMERR;
		off = dname_skip(pkt, len, off);
		if (off == 0 || off + 10 > len)
			return QUERY_FORMERR;
		uint16_t type = wire_get16(pkt + off), rdlen = wire_get16(pkt + off + 8);
		size_t rd = off + 10;
		if (rd + rdlen > len)
			return QUERY_FORMERR;
		size_t serial = dname_skip(pkt, rd + rdlen, rd);
		serial = serial ? dname_skip(pkt, rd + rdlen, serial) : 0;
		if (type == 6 && serial && serial + 20 == rd + rdlen) {
			q->ixfr_serial = (uint32_t)wire_get16(pkt + serial) << 16 | wire_get16(pkt + serial + 2);
			q->has_ixfr_serial = true;
		}
		off = rd + rdlen;
	}
	for (uint16_t i = 0; i < ar; i++) {
		size_t name = off;
		off = dname_skip(pkt, len, off);
		if (off == 0 || off + 10 > len)
			return QUERY_FORMERR;
		uint16_t type = wire_get16(pkt + off), rdlen = wire_get16(pkt + off + 8);
		if (off + 10 + rdlen > len)
			return QUERY_FORMERR;
		if (type == 250) {
			/* RFC 8945 5.1: the TSIG is the last record; tsig_find() reads it in full. */
			if (i + 1 != ar)
				return QUERY_FORMERR;
			q->has_tsig = true;
		}
		if (type == 41) {
			/* RFC 6891 6.1.1: one OPT, owned by the root. */
			if (q->edns || pkt[name] != 0)
				return QUERY_FORMERR;
			q->edns = true;
			uint16_t size = wire_get16(pkt + off + 2);
			q->edns_size = size < DNS_MAX_UDP_PLAIN ? DNS_MAX_UDP_PLAIN : size;
			q->edns_version = pkt[off + 5];
			q->do_bit = pkt[off + 6] & 0x80;
			/* Options are not used yet; their framing is checked all the same. */
			size_t o = off + 10, end = off + 10 + rdlen;
			while (o < end) {
				if (o + 4 > end || o + 4 + wire_get16(pkt + o + 2) > end)
					return QUERY_FORMERR;
				o += 4 + (size_t)wire_get16(pkt + o + 2);
			}
		}
		off += 10 + (size_t)rdlen;
	}
	return QUERY_OK;
}
