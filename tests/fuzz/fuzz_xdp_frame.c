/*
 * libFuzzer target: an Ethernet frame through dnsd's AF_XDP framing (xdp_frame_parse), as an
 * interface hands it to the socket. A frame that parses must lie inside its bytes; its answer
 * (xdp_frame_reply, with an answer length the input's first two bytes choose) must parse back
 * with the query's destination as its sender, the same length, and valid checksums.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "dnsd/xdp_frame.h"
#include "shared/dns/wire.h"

#define FUZZ_ANSWER_MAX 1500

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t a[XDP_FRAME_HDR_MAX + FUZZ_ANSWER_MAX];
	struct xdp_frame_info fi, back;
	if (size < 2)
		return 0;
	size_t alen = wire_get16(data) % FUZZ_ANSWER_MAX;
	const uint8_t *f = data + 2;
	size_t len = size - 2;
	uint8_t *copy = malloc(len ? len : 1);      /* exact size: ASan sees any read past it */
	memcpy(copy, f, len);
	if (xdp_frame_parse(copy, len, &fi) == 0) {
		if (fi.hdr + fi.dns_len > len || fi.hdr > XDP_FRAME_HDR_MAX)
			abort();
		memset(a + fi.hdr, 0x5a, alen);
		size_t n = xdp_frame_reply(copy, &fi, a, alen);
		if (n != fi.hdr + alen || xdp_frame_parse(a, n, &back) != 0 ||
		    back.hdr != fi.hdr || back.dns_len != alen ||
		    back.peer.ss_family != fi.peer.ss_family)
			abort();
		const uint8_t *ip = a + 14, *udp = a + fi.hdr - 8;
		size_t alen_ip = fi.peer.ss_family == AF_INET ? 4 : 16;
		const uint8_t *src = ip + (alen_ip == 4 ? 12 : 8);
		uint8_t ps[40];
		memcpy(ps, src, 2 * alen_ip);
		uint32_t p = (uint16_t)~sum16(ps, 2 * alen_ip, 0) + 17u + (uint32_t)(8 + alen);
		if (sum16(udp, 8 + alen, p) != 0)
			abort();
		/* The answer goes to the query's sender, from the address it asked. */
		const uint8_t *qsrc = copy + 14 + (alen_ip == 4 ? 12 : 8);
		if (memcmp(src, qsrc + alen_ip, alen_ip) != 0 || memcmp(src + alen_ip, qsrc, alen_ip))
			abort();
	}
	free(copy);
	return 0;
}
