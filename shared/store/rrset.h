/* RRsets as stored: keys that sort in canonical order, and the tagged value format. */
#ifndef LS_RRSET_H
#define LS_RRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/dns/dname.h"

/* One record in wire form. Owner and rdata are borrowed from whoever made the record. */
struct rr {
	const uint8_t *owner;   /* absolute, lower case */
	const uint8_t *rdata;   /* names in canonical (lower case) form, RFC 4034 6.2 */
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	const char *file;       /* where it was read, for messages; NULL for none */
	unsigned line;
};

/* Key: zone id (4), owner relative to the apex in lookup format, 0, type (2). */
#define RRSET_KEY_MAX 511            /* LMDB's default key size limit */
#define RRSET_MAX_RECORDS 65535      /* the stored count is 16 bits */
#define RRSET_HDR 10
#define RRSET_TAG 'S'
#define RRSET_VERSION 1

/* Returns the key length, or -1 when owner is not at or below apex or the key is too long. */
int rrset_key(uint8_t out[RRSET_KEY_MAX], uint32_t zone_id, const uint8_t *owner,
              const uint8_t *apex, uint16_t type);
/* The key prefix of every RRset at owner (no type). */
int rrset_name_prefix(uint8_t out[RRSET_KEY_MAX], uint32_t zone_id, const uint8_t *owner,
                      const uint8_t *apex);
/* Splits a key back into owner and type; returns 0 or -1. */
int rrset_key_split(const uint8_t *key, size_t len, const uint8_t *apex,
                    uint8_t owner[DNAME_MAX], uint16_t *type);

/* A stored value, decoded in place (borrowed from the value's memory). */
struct rrset_view {
	uint32_t ttl;
	uint16_t count;
	const uint8_t *data;   /* count x { u16 length, rdata } */
	size_t len;
};
int rrset_decode(const void *val, size_t len, struct rrset_view *out);
/* Walks the records: *pos starts at 0; returns false at the end. */
bool rrset_next(const struct rrset_view *v, size_t *pos, const uint8_t **rdata, uint16_t *rdlen);

struct rdata {
	const uint8_t *p;
	const char *file;
	unsigned line;
	uint16_t len;
};
size_t rrset_encoded_size(const struct rdata *rd, size_t n);
void rrset_encode(uint8_t *out, uint32_t ttl, const struct rdata *rd, size_t n);
/* RFC 4034 6.3 order of canonical RDATA. */
int rdata_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* SOA RDATA: offset of the serial, or -1 when malformed. */
int soa_serial_offset(const uint8_t *rdata, size_t len);

#endif
