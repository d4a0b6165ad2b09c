/* TCP framing without sockets, so that tcp.c's reading and the fuzzer share it. */
#include <string.h>
#include "dnsd/tcp_frame.h"
#include "dnsd/pkt.h"
#include "dnsd/update_msg.h"
#include "shared/dns/wire.h"

enum tcp_frame tcp_frame_next(const uint8_t *in, size_t inlen, size_t cap, size_t max,
                              size_t *mlen)
{
	if (inlen >= 2) {
		*mlen = wire_get16(in);
		if (*mlen == 0 || *mlen > max)
			return TCP_FRAME_BAD;
		if (inlen >= 2 + *mlen)
			return TCP_FRAME_MSG;
	}
	/* Full and still no whole message: it cannot fit (only when cap < 2 + max). */
	return inlen >= cap ? TCP_FRAME_BAD : TCP_FRAME_MORE;
}

int tcp_frame_big_update(const uint8_t *in, size_t inlen, size_t max)
{
	if (inlen < 2 || wire_get16(in) <= max)
		return 0;
	if (inlen < 2 + PKT_FLAGS + 2)
		return -1;
	return PKT_OPCODE(wire_get16(in + 2 + PKT_FLAGS)) == PKT_OPCODE_UPDATE &&
	       !(in[2 + PKT_FLAGS] & (PKT_F_QR >> 8));
}

void tcp_frame_drop(uint8_t *in, size_t *inlen, size_t mlen)
{
	memmove(in, in + 2 + mlen, *inlen - 2 - mlen);
	*inlen -= 2 + mlen;
}
