/* Answer assembly: sections from stored wire RDATA, compression, negative answers, referrals, TC. */
#include <string.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include "dnsd/answer.h"
#include "dnsd/lookup.h"
#include "dnsd/pkt.h"
#include "dnsd/query.h"
#include "dnsd/signer.h"
#include "dnsd/xfr.h"
#include "shared/util/err.h"
#include "shared/store/tsig_key.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"

#define OPT_LEN 11             /* root owner, type, class, TTL, empty RDATA */
#define OPT_COOKIE_LEN (4 + COOKIE_ANSWER_LEN)   /* the option's code, length and data */
#define OPT_RCODE_SHIFT 4      /* OPT's TTL holds the RCODE's bits above the header's four */
#define SOA_MINIMUM 16         /* the SOA minimum's offset from the serial */
#define ANY_TTL_DEFAULT 3600   /* the HINFO answer to ANY when the zone has no SOA */
#define TXT_STRING_MAX 255     /* one character-string (RFC 1035 3.3) */
#define QTYPE_RESERVED 0
#define RCODE_YXDOMAIN 6       /* a DNAME's rewrite too long for a name (RFC 6672 2.2) */

enum { AN, NS, AR };

struct build {
	struct store_txn *t;
	MDB_cursor *cur;
	struct answer_cache *cache;      /* NULL: every answer is built */
	const struct zone_info *z;
	struct pkt p;
	uint16_t count[3];
	uint16_t flags;
	uint8_t rcode;
	bool truncated;
	bool has_cookie;
	uint8_t cookie[COOKIE_ANSWER_LEN];    /* for the OPT when has_cookie */
};

/* Names in RDATA that may be compressed (RFC 3597 4: only the RFC 1035 types). */
static bool put_rdata(struct pkt *p, uint16_t type, const uint8_t *rd, uint16_t len)
{
	size_t pre;
	int names = pkt_rdata_names(type, &pre);
	if (names == 0 || len < pre)
		return pkt_put(p, rd, len);
	if (!pkt_put(p, rd, pre))
		return false;
	size_t off = pre;
	for (int i = 0; i < names; i++) {
		int nl = dname_wire_len(rd + off, len - off);
		if (nl < 0)
			return pkt_put(p, rd + off, len - off);   /* stored data is checked; be safe */
		if (!pkt_put_name(p, rd + off))
			return false;
		off += (size_t)nl;
	}
	return pkt_put(p, rd + off, len - off);
}

/* One RRset, whole or not at all (RFC 2181 9). */
static bool put_rrset(struct build *b, int section, const uint8_t *owner, uint16_t type,
                      const struct rrset_view *v, uint32_t ttl)
{
	size_t start = b->p.len, pos = 0;
	const uint8_t *rd;
	uint16_t rdlen, n = 0;
	while (rrset_next(v, &pos, &rd, &rdlen)) {
		if (!pkt_put_name(&b->p, owner) || !pkt_put_rr_tail(&b->p, type, ttl))
			break;
		size_t at = b->p.len;
		if (!put_rdata(&b->p, type, rd, rdlen))
			break;
		pkt_end_rdata(&b->p, at);
		n++;
	}
	if (b->p.full) {
		pkt_rewind(&b->p, start);
		return false;
	}
	b->count[section] += n;
	return true;
}

/* The SOA for a negative answer: its TTL is the lower of its own and its minimum (RFC 2308 3). */
static bool put_soa(struct build *b)
{
	struct rrset_view v;
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	if (lookup_rrset(b->t, b->z, b->z->apex, T_SOA, &v) || !rrset_next(&v, &pos, &rd, &rdlen))
		return true;
	int off = soa_serial_offset(rd, rdlen);
	uint32_t min = off < 0 ? v.ttl : wire_get32(rd + off + SOA_MINIMUM);
	return put_rrset(b, NS, b->z->apex, T_SOA, &v, min < v.ttl ? min : v.ttl);
}

/* A and AAAA of a name inside the zone, into additional; silently omitted when they do not fit. */
static void put_addresses(struct build *b, const uint8_t *name)
{
	static const uint16_t types[2] = { T_A, T_AAAA };
	struct rrset_view v;
	if (!dname_is_sub(name, b->z->apex))
		return;
	for (int i = 0; i < 2; i++)
		if (lookup_rrset(b->t, b->z, name, types[i], &v) == 0)
			put_rrset(b, AR, name, types[i], &v, v.ttl);
}

/* Additional-section addresses for the targets of MX, NS and SRV records (RFC 1035 3.3.9). */
static void put_targets(struct build *b, uint16_t type, const struct rrset_view *v)
{
	size_t skip = type == T_MX ? PKT_MX_PREFERENCE : type == T_NS ? 0
	              : type == PKT_T_SRV ? PKT_SRV_FIXED : SIZE_MAX;
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	if (skip == SIZE_MAX)
		return;
	for (int n = 0; n < ANSWER_MAX_TARGETS && rrset_next(v, &pos, &rd, &rdlen); n++)
		if (rdlen > skip && dname_wire_len(rd + skip, rdlen - skip) > 0)
			put_addresses(b, rd + skip);
}

/* RFC 8482: a minimal answer to ANY, one synthesized HINFO. */
static bool put_any(struct build *b, const uint8_t *owner)
{
	static const uint8_t hinfo[] = { 7, 'R', 'F', 'C', '8', '4', '8', '2', 0 };
	struct rrset_view v = { 0 };
	uint8_t rec[2 + sizeof(hinfo)];
	struct rrset_view soa;
	wire_put16(rec, sizeof(hinfo));
	memcpy(rec + 2, hinfo, sizeof(hinfo));
	v.count = 1;
	v.data = rec;
	v.len = sizeof(rec);
	uint32_t ttl = lookup_rrset(b->t, b->z, b->z->apex, T_SOA, &soa) == 0 ? soa.ttl
	                                                                      : ANY_TTL_DEFAULT;
	return put_rrset(b, AN, owner, PKT_T_HINFO, &v, ttl);
}

/* One record of type at owner with the given RDATA, as a one-record RRset. */
static bool put_one(struct build *b, int section, const uint8_t *owner, uint16_t type,
                    const uint8_t *rd, size_t rdlen, uint32_t ttl)
{
	uint8_t rec[2 + DNAME_MAX];
	struct rrset_view v = { 0 };
	if (rdlen > DNAME_MAX)
		return true;
	wire_put16(rec, (uint16_t)rdlen);
	memcpy(rec + 2, rd, rdlen);
	v.count = 1;
	v.data = rec;
	v.len = 2 + rdlen;
	return put_rrset(b, section, owner, type, &v, ttl);
}

/*
 * The name a DNAME at owner rewrites name into (RFC 6672 2.2): name's labels above owner, then
 * the DNAME's target. -1 when the result is longer than a name may be.
 */
static int dname_rewrite(uint8_t out[DNAME_MAX], const uint8_t *name, const uint8_t *owner,
                         const struct rrset_view *v)
{
	const uint8_t *rd;
	uint16_t rdlen;
	size_t pos = 0;
	if (!rrset_next(v, &pos, &rd, &rdlen))
		return -1;
	int tl = dname_wire_len(rd, rdlen);
	size_t pre = (size_t)(dname_wire_len(name, DNAME_MAX) - dname_wire_len(owner, DNAME_MAX));
	if (tl < 0 || pre + (size_t)tl > DNAME_MAX)
		return -1;
	memcpy(out, name, pre);
	memcpy(out + pre, rd, (size_t)tl);
	return (int)pre + tl;
}

/* Resolves the question inside the zone, following CNAMEs and DNAMEs; false when the answer
 * overflowed. */
static bool resolve(struct build *b, const uint8_t *qname, uint16_t qtype)
{
	uint8_t names[ANSWER_MAX_CHAIN + 1][DNAME_MAX];
	const uint8_t *name = qname;
	for (int hop = 0; hop <= ANSWER_MAX_CHAIN; hop++) {
		struct lookup l;
		if (lookup_name(b->t, b->cur, b->z, name, qtype, &l) != 0) {
			b->rcode = RCODE_SERVFAIL;
			return true;
		}
		switch (l.kind) {
		case LOOKUP_FOUND:
			if (qtype == T_ANY)
				return put_any(b, name);
			if (!put_rrset(b, AN, name, qtype, &l.rrset, l.rrset.ttl))
				return false;
			put_targets(b, qtype, &l.rrset);
			return true;
		case LOOKUP_NODATA:
			return put_soa(b);
		case LOOKUP_NXDOMAIN:
			b->rcode = RCODE_NXDOMAIN;    /* of the last name in a chain (RFC 6604) */
			return put_soa(b);
		case LOOKUP_DELEGATION:
			/* Not ours: a referral, after the chain that led here (AA stays for it). */
			if (hop == 0)
				b->flags &= (uint16_t)~PKT_F_AA;
			if (!put_rrset(b, NS, l.cut, T_NS, &l.rrset, l.rrset.ttl))
				return false;
			put_targets(b, T_NS, &l.rrset);   /* glue */
			return true;
		case LOOKUP_DNAME: {
			/* The DNAME, then a CNAME synthesized with its TTL (RFC 6672 3.1). */
			int nl = dname_rewrite(names[hop], name, l.cut, &l.rrset);
			if (!put_rrset(b, AN, l.cut, T_DNAME, &l.rrset, l.rrset.ttl))
				return false;
			if (nl < 0) {
				b->rcode = RCODE_YXDOMAIN;
				return true;
			}
			if (!put_one(b, AN, name, T_CNAME, names[hop], (size_t)nl, l.rrset.ttl))
				return false;
			break;
		}
		case LOOKUP_CNAME: {
			const uint8_t *rd;
			uint16_t rdlen;
			size_t pos = 0;
			if (!put_rrset(b, AN, name, T_CNAME, &l.rrset, l.rrset.ttl))
				return false;
			if (qtype == T_ANY)
				return true;              /* ANY at a CNAME: the CNAME, as Knot and NSD */
			if (!rrset_next(&l.rrset, &pos, &rd, &rdlen) || dname_wire_len(rd, rdlen) < 0)
				return true;
			memcpy(names[hop], rd, (size_t)dname_wire_len(rd, rdlen));
			break;
		}
		}
		name = names[hop];
		if (!dname_is_sub(name, b->z->apex))
			return true;              /* out of the zone: the resolver goes on */
		for (int i = 0; i < hop; i++)
			if (dname_equal(names[i], name))
				return true;          /* a loop */
		if (dname_equal(name, qname))
			return true;
	}
	return true;
}

/* CH TXT version.bind / id.server, when the operator allows them. */
static void put_chaos(struct build *b, const struct query *q, const struct answer_opts *o)
{
	static const uint8_t version_bind[] = "\7version\4bind", version_server[] = "\7version\6server",
	                     id_server[] = "\2id\6server", hostname_bind[] = "\10hostname\4bind";
	const char *text = NULL;
	if (dname_equal(q->qname, version_bind) || dname_equal(q->qname, version_server))
		text = o->version;
	else if (dname_equal(q->qname, id_server) || dname_equal(q->qname, hostname_bind))
		text = o->identity;
	if (!o->chaos || text == NULL || (q->qtype != T_TXT && q->qtype != T_ANY)) {
		b->rcode = RCODE_REFUSED;
		return;
	}
	size_t n = strlen(text) > TXT_STRING_MAX ? TXT_STRING_MAX : strlen(text);
	b->flags |= PKT_F_AA;
	/* Owner: a pointer to the question's name; class CH, TTL 0. */
	if (!pkt_put16(&b->p, PKT_PTR | PKT_HDR) || !pkt_put16(&b->p, T_TXT) ||
	    !pkt_put16(&b->p, PKT_CLASS_CH) || !pkt_put32(&b->p, 0) ||
	    !pkt_put16(&b->p, (uint16_t)(n + 1)) ||
	    !pkt_put(&b->p, (uint8_t[]){ (uint8_t)n }, 1) || !pkt_put(&b->p, text, n))
		return;
	b->count[AN] = 1;
}

/* The room an answer keeps for its OPT. */
static size_t opt_room(const struct build *b, const struct query *q)
{
	return q->edns ? OPT_LEN + (b->has_cookie ? OPT_COOKIE_LEN : 0) : 0;
}

static void put_opt(struct build *b, const struct query *q, const struct answer_opts *o)
{
	b->p.cap += opt_room(b, q);    /* the room kept for it */
	pkt_put(&b->p, "", 1);                 /* the root */
	pkt_put16(&b->p, T_OPT);
	pkt_put16(&b->p, o->udp_max);           /* CLASS: our payload size */
	/* TTL: the RCODE's upper bits, version 0, flags with DO as the client sent it. */
	pkt_put(&b->p, (uint8_t[]){ (uint8_t)(b->rcode >> OPT_RCODE_SHIFT), 0,
	                            (uint8_t)(q->do_bit ? EDNS_DO : 0), 0 }, 4);
	if (!b->has_cookie) {
		pkt_put16(&b->p, 0);                /* no options */
	} else {
		pkt_put16(&b->p, OPT_COOKIE_LEN);
		pkt_put16(&b->p, COOKIE_OPTION);
		pkt_put16(&b->p, COOKIE_ANSWER_LEN);
		pkt_put(&b->p, b->cookie, COOKIE_ANSWER_LEN);
	}
	b->count[AR]++;
}

/*
 * AXFR and IXFR that did not become a transfer: refused (why, for the log), NOTAUTH for a
 * key the secondary may not use, or over UDP an allowed IXFR's current SOA (RFC 1995 2).
 */
static void transfer(struct build *b, const struct query *q, const struct sockaddr *client,
                     bool tcp, struct signer *sg, struct zone_info *z, struct answer_info *info)
{
	char why[XFR_WHY_MAX];
	struct rrset_view v;
	/* As Knot: NOTIMP for AXFR over UDP (RFC 5936 4.2), NOTAUTH for a zone not ours or a
	 * client that may not have it. */
	b->rcode = RCODE_NOTAUTH;
	if (q->qtype == T_IXFR && !q->has_ixfr_serial) {
		b->rcode = RCODE_FORMERR;    /* RFC 1995 3: the client's SOA is in authority */
		snprintf(info->why, sizeof(info->why), "IXFR without the client's SOA");
		return;
	}
	if (!tcp && q->qtype == T_AXFR) {
		b->rcode = RCODE_NOTIMP;
		snprintf(info->why, sizeof(info->why), "AXFR over UDP");
		return;
	}
	if (zone_get(b->t, q->qname, z) != 0) {
		snprintf(info->why, sizeof(info->why), "not a zone here");
		return;
	}
	switch (xfr_acl(b->t, z, client, sg, why, sizeof(why))) {
	case XFR_REFUSE:
		snprintf(info->why, sizeof(info->why), "%s", why);
		return;
	case XFR_NOTAUTH:
		snprintf(info->why, sizeof(info->why), "%s", why);
		b->rcode = RCODE_NOTAUTH;
		sg->error = TSIG_BADKEY;
		return;
	case XFR_ALLOW:
		break;
	}
	if (tcp) {
		b->rcode = RCODE_SERVFAIL;   /* allowed, yet xfr_start could not read the zone */
		snprintf(info->why, sizeof(info->why), "the zone cannot be read");
		return;
	}
	b->rcode = RCODE_NOERROR;
	b->z = z;
	b->flags |= PKT_F_AA;
	if (lookup_rrset(b->t, z, z->apex, T_SOA, &v) == 0)
		put_rrset(b, AN, z->apex, T_SOA, &v, v.ttl);
}

/* A TSIG that failed the check: NOTAUTH, or FORMERR for a malformed record (RFC 8945 5.2). */
static void tsig_failed(struct build *b, const struct signer *sg, struct answer_info *info)
{
	char key[TSIG_KEY_TEXT_MAX];
	b->rcode = sg->error == SIGNER_FORMERR ? RCODE_FORMERR : RCODE_NOTAUTH;
	snprintf(info->why, sizeof(info->why), "TSIG %s, key %s", signer_error_text(sg->error),
	         sg->error == SIGNER_FORMERR ? "?" : tsig_key_name_text(sg->key.name, key,
	                                                                   sizeof(key)));
}

/* The largest answer: TCP's limit, else the client's EDNS size capped by ours, else 512. */
static size_t answer_max(const struct query *q, const struct answer_opts *o, bool tcp,
                         size_t outcap)
{
	size_t max = tcp ? PKT_MAX : q->edns ? (q->edns_size < o->udp_max ? q->edns_size : o->udp_max)
	                                     : DNS_MAX_UDP_PLAIN;
	return max < outcap ? max : outcap;
}

/* The header and, for a query that parsed, the question with its case kept. */
static void put_question(struct build *b, const struct query *q, enum query_verdict v,
                         const uint8_t *in)
{
	pkt_header(&b->p, q->id, 0);
	b->flags = PKT_F_QR | (q->flags & (PKT_F_OPCODE | PKT_F_RD));   /* opcode and RD copied */
	if (v != QUERY_OK)
		return;
	pkt_put(&b->p, in + PKT_HDR, q->question_end - PKT_HDR);
	pkt_note_name(&b->p, PKT_HDR);
	pkt_set16(&b->p, PKT_QDCOUNT, 1);
}

/*
 * A signed query's TSIG, checked before anything else; the answer keeps room for its own.
 * False when the check failed (the answer is then the TSIG error).
 */
static bool check_tsig(struct build *b, struct signer *sg, const uint8_t *in, size_t inlen,
                       const struct answer_opts *o, uint64_t *now, struct answer_info *info)
{
	*now = o->now ? o->now : (uint64_t)time(NULL);
	signer_check(sg, b->t, in, inlen, *now);
	size_t room = signer_room(sg);
	b->p.cap = b->p.cap - b->p.len > room ? b->p.cap - room : b->p.len;
	if (sg->error == TSIG_NOERROR)
		return true;
	tsig_failed(b, sg, info);
	return false;
}

/* FNV-1a over a name in wire form (already lower case): cheap, and keyed later by rrl.c. */
static uint64_t name_hash(const uint8_t *name, uint64_t h)
{
	size_t len = (size_t)dname_wire_len(name, DNAME_MAX);
	for (size_t i = 0; i < len; i++)
		h = (h ^ name[i]) * 0x100000001b3ULL;
	return h;
}

/* The kind of answer resolve() made, for the rate limit: data by name and type, the rest
 * by zone, so that random names under one zone share one limit. */
static void classify(const struct build *b, const struct query *q, struct answer_info *info)
{
	uint64_t seed = 0xcbf29ce484222325ULL;
	if (b->rcode == RCODE_NXDOMAIN)
		info->rrl_class = RRL_NXDOMAIN;
	else if (b->rcode != RCODE_NOERROR)
		return;
	else if (!(b->flags & PKT_F_AA))
		info->rrl_class = RRL_REFERRAL;
	else if (b->count[AN] == 0)
		info->rrl_class = RRL_NODATA;
	else
		info->rrl_class = RRL_ANSWER;
	if (info->rrl_class == RRL_ANSWER)
		info->rrl_name = name_hash(q->qname, seed ^ q->qtype);
	else
		info->rrl_name = name_hash(b->z->apex, seed);
}

/* A cached answer for the question (built for the same room): the sections after it. */
static bool from_cache(struct build *b, const struct query *q, struct answer_info *info)
{
	struct answer_cache_entry e;
	if (b->cache == NULL ||
	    !answer_cache_get(b->cache, q->qname, q->qname_len, q->qtype, q->qclass,
	                      (uint16_t)b->p.cap, &e) ||
	    b->p.cap - b->p.len < e.body_len)
		return false;
	/* Its compression pointers aim at the question, which sits where it did. */
	pkt_put(&b->p, e.body, e.body_len);
	b->flags |= e.flags;
	b->rcode = e.rcode;
	memcpy(b->count, e.count, sizeof(b->count));
	info->rrl_class = (enum rrl_class)e.rrl_class;
	info->rrl_name = e.rrl_name;
	info->cached = true;
	return true;
}

/* Keeps an answer that fitted whole; failures (SERVFAIL) are built again each time. */
static void to_cache(struct build *b, const struct query *q, const struct answer_info *info)
{
	if (b->cache == NULL || (b->rcode != RCODE_NOERROR && b->rcode != RCODE_NXDOMAIN))
		return;
	struct answer_cache_entry e = {
		.flags = b->flags & PKT_F_AA, .rcode = b->rcode, .rrl_class = (uint8_t)info->rrl_class,
		.rrl_name = info->rrl_name, .body_len = (uint16_t)(b->p.len - q->question_end),
		.body = b->p.buf + q->question_end,
	};
	memcpy(e.count, b->count, sizeof(e.count));
	answer_cache_put(b->cache, q->qname, q->qname_len, q->qtype, q->qclass, (uint16_t)b->p.cap,
	                 &e);
}

/* The question answered: refusals by class and type, CHAOS, transfers, then the zone's data. */
static void answer_question(struct build *b, const struct query *q, const struct answer_opts *o,
                            bool tcp, const struct sockaddr *client, struct signer *sg,
                            struct answer_info *info)
{
	struct zone_info z;
	if (q->edns && q->edns_version > 0) {
		b->rcode = RCODE_BADVERS;    /* RFC 6891 6.1.3 */
		return;
	}
	if (q->qclass == PKT_CLASS_CH) {
		put_chaos(b, q, o);
		return;
	}
	if (q->qclass != PKT_CLASS_IN && q->qclass != PKT_CLASS_ANY) {
		b->rcode = RCODE_REFUSED;
		return;
	}
	if (q->qtype == T_OPT || q->qtype == QTYPE_RESERVED) {
		b->rcode = RCODE_FORMERR;
		return;
	}
	if (q->qtype == PKT_T_MAILB || q->qtype == PKT_T_MAILA) {
		b->rcode = RCODE_NOTIMP;
		return;
	}
	if (q->qtype == T_AXFR || q->qtype == T_IXFR) {
		transfer(b, q, client, tcp, sg, &z, info);
		return;
	}
	if (!sg->present && from_cache(b, q, info))
		return;
	if (lookup_zone(b->t, q->qname, q->qtype, &z) != 0) {
		b->rcode = RCODE_REFUSED;    /* not ours */
		return;
	}
	b->z = &z;
	b->flags |= PKT_F_AA;
	bool fits = resolve(b, q->qname, q->qtype);
	if (o->rrl || b->cache)
		classify(b, q, info);
	if (fits && !sg->present)
		to_cache(b, q, info);
	if (!fits) {
		/* Too large for this transport: the question alone, with TC (RFC 2181 9). */
		pkt_rewind(&b->p, q->question_end);
		memset(b->count, 0, sizeof(b->count));
		b->flags |= PKT_F_TC;
		info->truncated = true;
	}
	b->z = NULL;                     /* z ends here */
}

/* OPT, the flags and counts into the header, then the TSIG for a signed query. */
static size_t finish(struct build *b, const struct query *q, const struct answer_opts *o,
                     struct signer *sg, size_t max, uint64_t now, struct answer_info *info)
{
	if (q->edns) {
		info->opt_off = b->p.len;
		put_opt(b, q, o);
		info->opt_len = b->p.len - info->opt_off;
	}
	b->flags |= b->rcode & PKT_F_RCODE;
	pkt_set16(&b->p, PKT_FLAGS, b->flags);
	pkt_set16(&b->p, PKT_ANCOUNT, b->count[AN]);
	pkt_set16(&b->p, PKT_NSCOUNT, b->count[NS]);
	pkt_set16(&b->p, PKT_ARCOUNT, b->count[AR]);
	if (!sg->present)
		return b->p.len;
	size_t len = signer_finish(sg, b->p.buf, b->p.len, max, now);
	tsig_key_wipe(&sg->key);
	return len;
}

size_t answer_query(struct store_txn *t, MDB_cursor *cur, struct answer_cache *cache,
                    const struct answer_opts *o, const uint8_t *in, size_t inlen, uint8_t *out,
                    size_t outcap, bool tcp, const struct sockaddr *client,
                    struct answer_info *info)
{
	struct query q;
	struct build b = { .t = t, .cur = cur, .cache = cache };
	struct signer sg;
	uint64_t now = 0;
	sg.present = false;
	memset(info, 0, offsetof(struct answer_info, why));    /* why: only its first byte */
	info->why[0] = 0;
	enum query_verdict v = query_parse(in, inlen, &q);
	if (v == QUERY_DROP) {
		info->dropped = true;
		return 0;
	}
	size_t max = answer_max(&q, o, tcp, outcap);
	if (q.cookie_len && o->cookies && (v == QUERY_OK || v == QUERY_NO_QUESTION)) {
		uint32_t when = (uint32_t)(o->now ? o->now : (uint64_t)time(NULL));
		info->cookie = cookie_answer(o->cookies, q.cookie, q.cookie_len, client, when, b.cookie);
		b.has_cookie = true;
	}
	pkt_init(&b.p, out, max - opt_room(&b, &q));
	put_question(&b, &q, v, in);
	info->qtype = q.qtype;
	info->qname = v == QUERY_OK ? in + PKT_HDR : NULL;
	info->edns = q.edns;
	info->transfer = v == QUERY_OK && (q.qtype == T_AXFR || q.qtype == T_IXFR);
	info->rrl_class = RRL_ERROR;
	info->question_end = v == QUERY_OK ? q.question_end : PKT_HDR;
	if (v == QUERY_NO_QUESTION && b.has_cookie) {
		/* RFC 7873 5.4: asking for a server cookie alone; BADCOOKIE until it is ours. */
		b.rcode = info->cookie == COOKIE_VALID ? RCODE_NOERROR : RCODE_BADCOOKIE;
	} else if (v != QUERY_OK) {
		b.rcode = v == QUERY_NOTIMP ? RCODE_NOTIMP : RCODE_FORMERR;
		info->malformed = v == QUERY_FORMERR;
	} else if (q.has_tsig && !check_tsig(&b, &sg, in, inlen, o, &now, info)) {
		q.edns = false;              /* the answer is the TSIG error */
		b.has_cookie = false;
	} else {
		answer_question(&b, &q, o, tcp, client, &sg, info);
	}
	info->rcode = b.rcode;
	info->signed_answer = sg.present;
	return finish(&b, &q, o, &sg, max, now, info);
}
