/* DNS over TCP framing (RFC 1035 4.2.2): each message comes after its two-byte length. */
#ifndef DNSD_TCP_FRAME_H
#define DNSD_TCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum tcp_frame {
	TCP_FRAME_MORE,      /* no whole message yet: read more */
	TCP_FRAME_MSG,       /* a whole message at in + 2, *mlen bytes long */
	TCP_FRAME_BAD,       /* a length of 0 or above max, or a full buffer: close */
};

/* What the first inlen bytes of in (a buffer of cap bytes, cap >= 2 + max) hold next. */
enum tcp_frame tcp_frame_next(const uint8_t *in, size_t inlen, size_t cap, size_t max,
                              size_t *mlen);

/* Drops the first message (mlen bytes after its length) from in; *inlen shrinks. */
void tcp_frame_drop(uint8_t *in, size_t *inlen, size_t mlen);

#endif
