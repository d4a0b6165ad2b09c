/* Parsing a query from the network: header, one question, the OPT record; every count bounded. */
#ifndef DNSD_QUERY_H
#define DNSD_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dnsd/cookie.h"
#include "shared/dns/dname.h"

#define DNS_MAX_UDP_PLAIN 512      /* without EDNS (RFC 1035 4.2.1) */
#define QUERY_MAX_ADDITIONAL 4     /* additional records read while looking for OPT */
#define EDNS_DO 0x80               /* DNSSEC OK: the top bit of OPT's flags (RFC 3225) */

enum { RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
       RCODE_NOTIMP = 4, RCODE_REFUSED = 5, RCODE_BADVERS = 16, RCODE_BADCOOKIE = 23 };

struct query {
	uint16_t id, flags;
	uint16_t qtype, qclass;
	uint8_t qname[DNAME_MAX];     /* lower case */
	size_t qname_len;             /* wire length, also in the packet at offset 12 */
	size_t question_end;          /* offset after the question */
	bool edns, do_bit;
	uint8_t edns_version;
	uint16_t edns_size;           /* the client's payload size, at least 512 */
	bool has_ixfr_serial;
	uint32_t ixfr_serial;         /* the client's SOA serial in an IXFR query */
	bool has_tsig;                /* a TSIG record in additional: see signer_check() */
	uint8_t cookie_len;           /* the first COOKIE option's length; 0: none */
	uint8_t cookie[COOKIE_MAX];
};

enum query_verdict {
	QUERY_OK,
	QUERY_DROP,       /* not worth an answer: too short, or a response */
	QUERY_FORMERR,    /* answer FORMERR (with the question when it parsed) */
	QUERY_NOTIMP,     /* an opcode other than QUERY */
	QUERY_NO_QUESTION, /* QDCOUNT 0: FORMERR, unless it asks for a server cookie (RFC 7873 5.4) */
};

/*
 * Parses a query. q->edns is set only for an OPT that parsed whole, also when the verdict
 * is FORMERR or NOTIMP, so that those answers carry an OPT too (as Knot's do).
 */

enum query_verdict query_parse(const uint8_t *pkt, size_t len, struct query *q);

#endif
