/*
 * A spool segment: many TLS reports in one append-only file, so that httpsd makes a flood of
 * reports durable with one file and one sync for several reports instead of a file and two
 * syncs each (tlsrpt_spool_log.h writes them, tlsrpt_spool.c reads them).
 *
 * Layout: TLSRPT_SEG_MAGIC, then records. A record: body length (u32), received time (s64,
 * seconds since the epoch), domain length (u8; 0 when none is known), the domain, the body as
 * received, and a CRC-32 (zlib) of all that. Integers are little-endian. A record cut short or
 * with a wrong CRC ends the segment: it was being written when the writer stopped, and no
 * sender was told it was received.
 */
#ifndef LS_TLSRPT_SEG_H
#define LS_TLSRPT_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSRPT_SEG_MAGIC "LSTRSEG1"
#define TLSRPT_SEG_MAGIC_LEN 8
#define TLSRPT_SEG_HEAD_MAX (4 + 8 + 1 + 255)   /* a record's bytes before its body */
#define TLSRPT_SEG_TAIL 4                       /* the CRC after the body */
#define TLSRPT_SEG_RECORDS_MAX 64               /* records in one segment */
#define TLSRPT_SEG_BYTES (4u << 20)             /* a segment takes no record past this size
                                                   (but its first, however large) */
#define TLSRPT_SEG_SUFFIX ".seg"                /* a segment's file name ends so */

/* One record as tlsrpt_seg_next() reads it; body points into the segment. */
struct tlsrpt_seg_record {
	const uint8_t *body;
	size_t len;
	int64_t received;
	char domain[256];                           /* "" when none was known */
};

/* True when data starts with TLSRPT_SEG_MAGIC. */
bool tlsrpt_seg_is(const uint8_t *data, size_t len);
/* The bytes a record of a body of len bytes for domain (NULL: none) takes. */
size_t tlsrpt_seg_size(const char *domain, size_t len);
/* Writes a record's head into head (TLSRPT_SEG_HEAD_MAX bytes); returns its length. domain is
 * NULL or at most 255 bytes; len at most UINT32_MAX. */
size_t tlsrpt_seg_head(uint8_t *head, const char *domain, size_t len, int64_t received);
/* The record's CRC-32 trailer (TLSRPT_SEG_TAIL bytes) for its head and body. */
void tlsrpt_seg_tail(uint8_t *tail, const uint8_t *head, size_t hlen, const uint8_t *body,
                     size_t len);
/*
 * Reads the record at *off of seg (len bytes, starting with the magic: *off 0 skips it) into
 * r and moves *off past it. Returns 1 for a record, 0 at the end (or at a record cut short or
 * damaged: see above).
 */
int tlsrpt_seg_next(const uint8_t *seg, size_t len, size_t *off, struct tlsrpt_seg_record *r);

#endif
