/* DNS over TCP framing (RFC 1035 4.2.2): each message comes after its two-byte length. */
#ifndef DNSD_TCP_FRAME_H
#define DNSD_TCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define TCP_FRAME_UPDATE_MAX 65535     /* an UPDATE's bytes: a two-byte length's limit */

enum tcp_frame {
	TCP_FRAME_MORE,      /* no whole message yet: read more */
	TCP_FRAME_MSG,       /* a whole message at in + 2, *mlen bytes long */
	TCP_FRAME_BAD,       /* a length of 0 or above max, or a full buffer: close */
};

/* What the first inlen bytes of in (a buffer of cap bytes, cap >= 2 + max) hold next. */
enum tcp_frame tcp_frame_next(const uint8_t *in, size_t inlen, size_t cap, size_t max,
                              size_t *mlen);

/*
 * RFC 2136 lets an UPDATE over TCP be as long as a TCP message can be, while a query stays
 * within max: 1 when the message at in is an UPDATE longer than max (make room for
 * TCP_FRAME_UPDATE_MAX bytes), -1 when its length is above max and its header has not arrived,
 * else 0.
 */
int tcp_frame_big_update(const uint8_t *in, size_t inlen, size_t max);

/* Drops the first message (mlen bytes after its length) from in; *inlen shrinks. */
void tcp_frame_drop(uint8_t *in, size_t *inlen, size_t mlen);

#endif
