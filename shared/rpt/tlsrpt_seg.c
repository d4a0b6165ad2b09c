/* The spool segment's record format (tlsrpt_seg.h). */
#include <string.h>
#include <libdeflate.h>
#include "shared/rpt/tlsrpt_seg.h"

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

bool tlsrpt_seg_is(const uint8_t *data, size_t len)
{
	return len >= TLSRPT_SEG_MAGIC_LEN && memcmp(data, TLSRPT_SEG_MAGIC, TLSRPT_SEG_MAGIC_LEN) == 0;
}

size_t tlsrpt_seg_size(const char *domain, size_t len)
{
	return 4 + 8 + 1 + (domain ? strlen(domain) : 0) + len + TLSRPT_SEG_TAIL;
}

size_t tlsrpt_seg_head(uint8_t *head, const char *domain, size_t len, int64_t received)
{
	size_t dlen = domain ? strlen(domain) : 0;
	put_le(head, len, 4);
	put_le(head + 4, (uint64_t)received, 8);
	head[12] = (uint8_t)dlen;
	memcpy(head + 13, domain ? domain : "", dlen);
	return 13 + dlen;
}

/* The gzip CRC-32 (as zlib's crc32()), from libdeflate: carry-less multiply where the CPU has
 * it, several times zlib's speed over a report. */
static uint32_t crc(const uint8_t *head, size_t hlen, const uint8_t *body, size_t len)
{
	return libdeflate_crc32(libdeflate_crc32(0, head, hlen), body, len);
}

void tlsrpt_seg_tail(uint8_t *tail, const uint8_t *head, size_t hlen, const uint8_t *body,
                     size_t len)
{
	put_le(tail, crc(head, hlen, body, len), 4);
}

int tlsrpt_seg_next(const uint8_t *seg, size_t len, size_t *off, struct tlsrpt_seg_record *r)
{
	size_t o = *off < TLSRPT_SEG_MAGIC_LEN ? TLSRPT_SEG_MAGIC_LEN : *off;
	if (o > len || len - o < 13)
		return 0;
	const uint8_t *h = seg + o;
	size_t blen = (size_t)get_le(h, 4), dlen = h[12];
	if (len - o - 13 < dlen || len - o - 13 - dlen < blen ||
	    len - o - 13 - dlen - blen < TLSRPT_SEG_TAIL)
		return 0;
	const uint8_t *body = h + 13 + dlen;
	if ((uint32_t)get_le(body + blen, 4) != crc(h, 13 + dlen, body, blen))
		return 0;
	r->body = body;
	r->len = blen;
	r->received = (int64_t)get_le(h + 4, 8);
	memcpy(r->domain, h + 13, dlen);
	r->domain[dlen] = 0;
	*off = o + 13 + dlen + blen + TLSRPT_SEG_TAIL;
	return 1;
}
