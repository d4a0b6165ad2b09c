/* DNS message writing into a caller's buffer, with name compression (RFC 1035 4.1.4). */
#ifndef DNSD_PKT_H
#define DNSD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/wire.h"

#define PKT_HDR 12
#define PKT_MAX_NAMES 64     /* names remembered for compression; later ones are written whole */

struct pkt {
	uint8_t *buf;
	size_t cap, len;
	bool full;                   /* a write did not fit: len is unchanged since */
	uint16_t names[PKT_MAX_NAMES];   /* offsets of names (and suffixes) already written */
	unsigned nnames;
};

void pkt_init(struct pkt *p, uint8_t *buf, size_t cap);
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
/* Rewinds to len (dropping what came after), forgetting names written after it. */
void pkt_rewind(struct pkt *p, size_t len);

#endif
