/* DNS message writing into a caller's buffer, with name compression (RFC 1035 4.1.4). */
#ifndef DNSD_PKT_H
#define DNSD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/dns/wire.h"

#define PKT_MAX_NAMES 64     /* names remembered for compression; later ones are written whole */

/* The header (RFC 1035 4.1.1): offsets of its fields, and the flag bits. */
#define PKT_HDR 12
#define PKT_ID 0
#define PKT_FLAGS 2
#define PKT_QDCOUNT 4
#define PKT_ANCOUNT 6
#define PKT_NSCOUNT 8
#define PKT_ARCOUNT 10
#define PKT_F_QR 0x8000
#define PKT_F_OPCODE 0x7800
#define PKT_F_AA 0x0400
#define PKT_F_TC 0x0200
#define PKT_F_RD 0x0100
#define PKT_F_RCODE 0x000f           /* the low four bits; EDNS keeps the rest in OPT */
#define PKT_OPCODE_SHIFT 11
#define PKT_OPCODE(flags) (((flags) & PKT_F_OPCODE) >> PKT_OPCODE_SHIFT)
#define PKT_OPCODE_QUERY 0
#define PKT_OPCODE_NOTIFY 4          /* RFC 1996 */

#define PKT_QUESTION_TAIL 4          /* QTYPE, QCLASS after the question's name */
#define PKT_RR_TAIL 10               /* TYPE, CLASS, TTL, RDLENGTH after a record's owner */
#define PKT_RR_CLASS 2               /* offsets in that tail */
#define PKT_RR_TTL 4
#define PKT_RR_RDLEN 8
#define PKT_PTR 0xc000               /* a compression pointer's top bits (RFC 1035 4.1.4) */
#define PKT_PTR_LABEL 0xc0           /* the same, seen in a label's length byte */
#define PKT_PTR_REACH 0x4000         /* offsets a pointer can reach */
#define PKT_PTR_HOPS 16              /* pointers followed when comparing names: loops end */
#define PKT_MAX 65535                /* a message's largest size (TCP's 16-bit length) */

#define PKT_CLASS_IN 1
#define PKT_CLASS_CH 3
#define PKT_CLASS_ANY 255

/* Types dnsd treats specially that shared/store/zone_check.h does not name. */
enum { PKT_T_PTR = 12, PKT_T_HINFO = 13, PKT_T_SRV = 33, PKT_T_DS = 43, PKT_T_MAILB = 253,
       PKT_T_MAILA = 254 };
#define PKT_MX_PREFERENCE 2          /* bytes before an MX's exchange name */
#define PKT_SRV_FIXED 6              /* priority, weight, port before an SRV's target */

struct pkt {
	uint8_t *buf;
	size_t cap, len;
	bool full;                   /* a write did not fit: len is unchanged since */
	uint16_t names[PKT_MAX_NAMES];   /* offsets of names (and suffixes) already written */
	unsigned nnames;
};

void pkt_init(struct pkt *p, uint8_t *buf, size_t cap);
/* The header with id and flags, all counts zero (set them with pkt_set16 at PKT_*COUNT). */
bool pkt_header(struct pkt *p, uint16_t id, uint16_t flags);
/* A record's TYPE, CLASS IN, TTL and an RDLENGTH of 0 (set it once the RDATA is written). */
bool pkt_put_rr_tail(struct pkt *p, uint16_t type, uint32_t ttl);
/*
 * Names inside RDATA that may be compressed (RFC 3597 4: only those of the RFC 1035 types):
 * how many there are, after how many bytes (*pre). 0 for every other type.
 */
int pkt_rdata_names(uint16_t type, size_t *pre);
bool pkt_put(struct pkt *p, const void *data, size_t n);
bool pkt_put16(struct pkt *p, uint16_t v);
bool pkt_put32(struct pkt *p, uint32_t v);
/* Writes an uncompressed wire name, compressed against names already in the message. */
bool pkt_put_name(struct pkt *p, const uint8_t *name);
/* Remembers a name already in the message at off (the question) for compression. */
void pkt_note_name(struct pkt *p, size_t off);
static inline void pkt_set16(struct pkt *p, size_t off, uint16_t v)
{
	wire_put16(p->buf + off, v);
}
/* Sets RDLENGTH, the two bytes before rdata (where the RDATA began), once it is written. */
static inline void pkt_end_rdata(struct pkt *p, size_t rdata)
{
	wire_put16(p->buf + rdata - 2, (uint16_t)(p->len - rdata));
}
/* Rewinds to len (dropping what came after), forgetting names written after it. */
void pkt_rewind(struct pkt *p, size_t len);

#endif
