/* Message writer: bounds-checked appends and suffix compression of names. */
#include <string.h>
#include "dnsd/pkt.h"
#include "shared/store/zone_check.h"

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

void pkt_init(struct pkt *p, uint8_t *buf, size_t cap)
{
	p->buf = buf;
	p->cap = cap;
	p->len = 0;
	p->full = false;
	p->nnames = 0;
}

bool pkt_header(struct pkt *p, uint16_t id, uint16_t flags)
{
	uint8_t hdr[PKT_HDR] = { 0 };
	wire_put16(hdr + PKT_ID, id);
	wire_put16(hdr + PKT_FLAGS, flags);
	return pkt_put(p, hdr, PKT_HDR);
}

bool pkt_put_rr_tail(struct pkt *p, uint16_t type, uint32_t ttl)
{
	return pkt_put16(p, type) && pkt_put16(p, PKT_CLASS_IN) && pkt_put32(p, ttl) &&
	       pkt_put16(p, 0);
}

int pkt_rdata_names(uint16_t type, size_t *pre)
{
	*pre = 0;
	switch (type) {
	case T_NS: case T_CNAME: case PKT_T_PTR:
		return 1;
	case T_MX:
		*pre = PKT_MX_PREFERENCE;
		return 1;
	case T_SOA:
		return 2;     /* MNAME, RNAME */
	default:
		return 0;
	}
}

bool pkt_put(struct pkt *p, const void *data, size_t n)
{
	if (p->full || p->cap - p->len < n) {
		p->full = true;
		return false;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	return true;
}

bool pkt_put16(struct pkt *p, uint16_t v)
{
	uint8_t b[2];
	wire_put16(b, v);
	return pkt_put(p, b, 2);
}

bool pkt_put32(struct pkt *p, uint32_t v)
{
	uint8_t b[4];
	wire_put32(b, v);
	return pkt_put(p, b, 4);
}

void pkt_note_name(struct pkt *p, size_t off)
{
	/* Every label start of the name is a suffix later names may point at. */
	while (off < p->len && off < PKT_PTR_REACH && p->buf[off] != 0 &&
	       p->buf[off] < PKT_PTR_LABEL) {
		if (p->nnames < PKT_MAX_NAMES)
			p->names[p->nnames++] = (uint16_t)off;
		off += (size_t)p->buf[off] + 1;
	}
}

void pkt_rewind(struct pkt *p, size_t len)
{
	p->len = len;
	p->full = false;
	while (p->nnames > 0 && p->names[p->nnames - 1] >= len)
		p->nnames--;
}

/* True when the name written at off in the message equals the wire name s. */
static bool same(const struct pkt *p, size_t off, const uint8_t *s)
{
	for (int hops = 0; hops < PKT_PTR_HOPS;) {
		uint8_t l = p->buf[off];
		if (l >= PKT_PTR_LABEL) {
			off = wire_get16(p->buf + off) & (PKT_PTR_REACH - 1);
			hops++;
			continue;
		}
		if (l != *s)
			return false;
		if (l == 0)
			return true;
		for (uint8_t i = 1; i <= l; i++)
			if (lower(p->buf[off + i]) != lower(s[i]))
				return false;
		off += (size_t)l + 1;
		s += l + 1;
	}
	return false;
}

bool pkt_put_name(struct pkt *p, const uint8_t *name)
{
	size_t start = p->len;
	unsigned before = p->nnames;
	const uint8_t *s = name;
	while (*s) {
		for (unsigned i = 0; i < before; i++) {
			if (same(p, p->names[i], s)) {
				size_t head = (size_t)(s - name);
				if (!pkt_put(p, name, head) ||
				    !pkt_put16(p, (uint16_t)(PKT_PTR | p->names[i]))) {
					pkt_rewind(p, start);
					p->full = true;
					return false;
				}
				pkt_note_name(p, start);
				return true;
			}
		}
		s += *s + 1;
	}
	if (!pkt_put(p, name, (size_t)(s - name) + 1)) {
		pkt_rewind(p, start);
		p->full = true;
		return false;
	}
	pkt_note_name(p, start);
	return true;
}
