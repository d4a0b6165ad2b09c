/* UPDATE messages: framing checked by our own code, records decompressed and made canonical by ldns. */
#include <string.h>
#include <ldns/ldns.h>
#include "dnsd/pkt.h"
#include "dnsd/query.h"
#include "dnsd/update_msg.h"
#include "shared/dns/tsig.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"

#define META_TYPE_MIN 128             /* RFC 6895 3.1: 128-255 are QTYPEs and meta-types */

bool update_msg_is_update(const uint8_t *msg, size_t len)
{
	return len >= PKT_HDR && !(msg[PKT_FLAGS] & (PKT_F_QR >> 8)) &&
	       PKT_OPCODE(wire_get16(msg + PKT_FLAGS)) == PKT_OPCODE_UPDATE;
}

void update_msg_free(struct update_msg *m)
{
	arena_free(&m->a);
}

/* The record at *off, framing checked, into out (canonical). 0, or FORMERR. */
static int record(const uint8_t *msg, size_t len, size_t *off, struct update_msg *m,
                  struct update_rr *out)
{
	size_t at = *off, end = dname_skip(msg, len, at);
	memset(out, 0, sizeof(*out));      /* no file, no line: the arena does not clear */
	if (end == 0 || end + PKT_RR_TAIL > len ||
	    end + PKT_RR_TAIL + wire_get16(msg + end + PKT_RR_RDLEN) > len)
		return RCODE_FORMERR;
	*off = end + PKT_RR_TAIL + wire_get16(msg + end + PKT_RR_RDLEN);
	out->cls = wire_get16(msg + end + PKT_RR_CLASS);
	/* ldns decompresses the owner and the names in RDATA; the bounds are already ours. */
	ldns_rr *lrr = NULL;
	ldns_buffer *buf = NULL;
	size_t pos = at;
	int rc = RCODE_FORMERR;
	if (ldns_wire2rr(&lrr, msg, len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK ||
	    pos != *off || (buf = ldns_buffer_new(256)) == NULL)
		goto fail;
	ldns_rr2canonical(lrr);
	if (ldns_rr_rdata2buffer_wire(buf, lrr) != LDNS_STATUS_OK ||
	    ldns_buffer_position(buf) > UINT16_MAX)
		goto fail;
	const ldns_rdf *owner = ldns_rr_owner(lrr);
	out->rr.owner = arena_dup(&m->a, ldns_rdf_data(owner), ldns_rdf_size(owner));
	out->rr.rdlen = (uint16_t)ldns_buffer_position(buf);
	out->rr.rdata = arena_dup(&m->a, ldns_buffer_begin(buf), out->rr.rdlen ? out->rr.rdlen : 1);
	out->rr.type = wire_get16(msg + end);
	out->rr.ttl = wire_get32(msg + end + PKT_RR_TTL);
	if (out->rr.owner && out->rr.rdata && dname_wire_len(out->rr.owner, DNAME_MAX) > 0)
		rc = 0;
fail:
	ldns_buffer_free(buf);
	ldns_rr_free(lrr);
	return rc;
}

static bool meta_type(uint16_t type)
{
	return type >= META_TYPE_MIN && type <= T_ANY;
}

/* RFC 2136 3.2: what each prerequisite's class allows. */
static int prescan_prereq(const struct update_msg *m, const struct update_rr *u)
{
	if (!dname_is_sub(u->rr.owner, m->zone))
		return RCODE_NOTZONE;
	if (u->rr.ttl != 0)
		return RCODE_FORMERR;
	if (u->cls == UPDATE_CLASS_ANY || u->cls == UPDATE_CLASS_NONE)
		return u->rr.rdlen == 0 && (u->rr.type == T_ANY || !meta_type(u->rr.type))
		       ? 0 : RCODE_FORMERR;
	if (u->cls == m->zclass)
		return meta_type(u->rr.type) ? RCODE_FORMERR : 0;
	return RCODE_FORMERR;
}

/* RFC 2136 3.4.1.3: the update section's prescan. */
static int prescan_update(const struct update_msg *m, const struct update_rr *u)
{
	if (!dname_is_sub(u->rr.owner, m->zone))
		return RCODE_NOTZONE;
	if (u->cls == m->zclass)
		return meta_type(u->rr.type) ? RCODE_FORMERR : 0;
	if (u->cls == UPDATE_CLASS_ANY)
		return u->rr.ttl == 0 && u->rr.rdlen == 0 &&
		       (u->rr.type == T_ANY || !meta_type(u->rr.type)) ? 0 : RCODE_FORMERR;
	if (u->cls == UPDATE_CLASS_NONE)
		return u->rr.ttl == 0 && !meta_type(u->rr.type) ? 0 : RCODE_FORMERR;
	return RCODE_FORMERR;
}

/* n records of one section from *off into *out, each checked by prescan. */
static int section(const uint8_t *msg, size_t len, size_t *off, struct update_msg *m,
                   unsigned n, struct update_rr **out,
                   int (*prescan)(const struct update_msg *, const struct update_rr *))
{
	*out = n ? arena_alloc(&m->a, n * sizeof(**out)) : NULL;
	if (n && *out == NULL)
		return RCODE_SERVFAIL;
	for (unsigned i = 0; i < n; i++) {
		int rc = record(msg, len, off, m, &(*out)[i]);
		if (rc == 0)
			rc = prescan(m, &(*out)[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int update_msg_parse(const uint8_t *msg, size_t len, struct update_msg *m)
{
	memset(m, 0, sizeof(*m));
	arena_init(&m->a);
	if (len < PKT_HDR || (msg[PKT_FLAGS] & (PKT_F_QR >> 8)))
		return -1;
	m->id = wire_get16(msg + PKT_ID);
	m->flags = wire_get16(msg + PKT_FLAGS);
	uint16_t zo = wire_get16(msg + PKT_QDCOUNT), pr = wire_get16(msg + PKT_ANCOUNT),
	         up = wire_get16(msg + PKT_NSCOUNT), ad = wire_get16(msg + PKT_ARCOUNT);
	/* The zone: one, of type SOA, its name uncompressed (nothing precedes it). */
	int nl = zo == 1 ? dname_wire_len(msg + PKT_HDR, len - PKT_HDR) : -1;
	if (nl < 0 || PKT_HDR + (size_t)nl + PKT_QUESTION_TAIL > len)
		return RCODE_FORMERR;
	memcpy(m->zone, msg + PKT_HDR, (size_t)nl);
	dname_lower(m->zone);
	size_t off = PKT_HDR + (size_t)nl;
	m->zclass = wire_get16(msg + off + PKT_RR_CLASS);
	m->zone_end = off + PKT_QUESTION_TAIL;
	if (wire_get16(msg + off) != T_SOA)
		return RCODE_FORMERR;
	if (pr > UPDATE_MAX_PREREQS || up > UPDATE_MAX_CHANGES || ad > UPDATE_MAX_ADDITIONAL)
		return RCODE_FORMERR;
	if (m->zclass != PKT_CLASS_IN)
		return RCODE_NOTAUTH;      /* not a zone of ours: we serve class IN only */
	off = m->zone_end;
	int rc = section(msg, len, &off, m, pr, &m->pre, prescan_prereq);
	m->npre = pr;
	if (rc == 0)
		rc = section(msg, len, &off, m, up, &m->upd, prescan_update);
	m->nupd = up;
	/* Additional: framing only; a TSIG must be the last record (tsig_find reads it). */
	for (unsigned i = 0; rc == 0 && i < ad; i++) {
		size_t end = dname_skip(msg, len, off);
		if (end == 0 || end + PKT_RR_TAIL > len ||
		    end + PKT_RR_TAIL + wire_get16(msg + end + PKT_RR_RDLEN) > len ||
		    (wire_get16(msg + end) == TSIG_TYPE && i + 1 != ad))
			return RCODE_FORMERR;
		off = end + PKT_RR_TAIL + wire_get16(msg + end + PKT_RR_RDLEN);
	}
	return rc;
}
