/* RRset keys and the stored RRset value. */
#include <string.h>
#include "shared/store/rrset.h"
#include "shared/dns/wire.h"

int rrset_name_prefix(uint8_t out[RRSET_KEY_MAX], uint32_t zone_id, const uint8_t *owner,
                      const uint8_t *apex)
{
	uint8_t lf[DNAME_LF_MAX];
	if (!dname_is_sub(owner, apex))
		return -1;
	int n = dname_lf(lf, owner, apex);
	if (n < 0 || 4 + n + 1 + 2 > RRSET_KEY_MAX)
		return -1;
	wire_put32(out, zone_id);
	memcpy(out + 4, lf, (size_t)n);
	/* 0 sorts before any label byte, so a name's RRsets precede its children. */
	out[4 + n] = 0;
	return 4 + n + 1;
}

int rrset_key(uint8_t out[RRSET_KEY_MAX], uint32_t zone_id, const uint8_t *owner,
              const uint8_t *apex, uint16_t type)
{
	int n = rrset_name_prefix(out, zone_id, owner, apex);
	if (n < 0)
		return -1;
	wire_put16(out + n, type);
	return n + 2;
}

int rrset_key_split(const uint8_t *key, size_t len, const uint8_t *apex,
                    uint8_t owner[DNAME_MAX], uint16_t *type)
{
	if (len < 4 + 1 + 2 || key[len - 3] != 0)
		return -1;
	*type = wire_get16(key + len - 2);
	return dname_from_lf(owner, key + 4, len - 4 - 3, apex) < 0 ? -1 : 0;
}

int rrset_decode(const void *val, size_t len, struct rrset_view *out)
{
	const uint8_t *p = val;
	if (len < RRSET_HDR || p[0] != RRSET_TAG || p[1] != RRSET_VERSION)
		return -1;
	out->ttl = wire_get32(p + 4);
	out->count = wire_get16(p + 8);
	out->data = p + RRSET_HDR;
	out->len = len - RRSET_HDR;
	/* Check the framing once so readers can trust it. */
	size_t pos = 0;
	for (uint16_t i = 0; i < out->count; i++) {
		if (pos + 2 > out->len)
			return -1;
		pos += 2 + wire_get16(out->data + pos);
		if (pos > out->len)
			return -1;
	}
	return pos == out->len ? 0 : -1;
}

bool rrset_next(const struct rrset_view *v, size_t *pos, const uint8_t **rdata, uint16_t *rdlen)
{
	if (*pos + 2 > v->len)
		return false;
	*rdlen = wire_get16(v->data + *pos);
	*rdata = v->data + *pos + 2;
	*pos += 2 + (size_t)*rdlen;
	return true;
}

size_t rrset_encoded_size(const struct rdata *rd, size_t n)
{
	size_t len = RRSET_HDR;
	for (size_t i = 0; i < n; i++)
		len += 2 + rd[i].len;
	return len;
}

void rrset_encode(uint8_t *out, uint32_t ttl, const struct rdata *rd, size_t n)
{
	out[0] = RRSET_TAG;
	out[1] = RRSET_VERSION;
	wire_put16(out + 2, 0);
	wire_put32(out + 4, ttl);
	wire_put16(out + 8, (uint16_t)n);
	uint8_t *p = out + RRSET_HDR;
	for (size_t i = 0; i < n; i++) {
		wire_put16(p, rd[i].len);
		if (rd[i].len)      /* empty RDATA (RFC 3597 \# 0) may have no bytes at all */
			memcpy(p + 2, rd[i].p, rd[i].len);
		p += 2 + rd[i].len;
	}
}

int rdata_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int soa_serial_offset(const uint8_t *rdata, size_t len)
{
	int m = dname_wire_len(rdata, len);
	if (m < 0)
		return -1;
	int r = dname_wire_len(rdata + m, len - (size_t)m);
	if (r < 0 || (size_t)(m + r) + 20 != len)
		return -1;
	return m + r;
}
