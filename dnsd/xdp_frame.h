/* AF_XDP frames: the Ethernet, IP and UDP headers around a DNS message, read and written. */
#ifndef DNSD_XDP_FRAME_H
#define DNSD_XDP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define XDP_FRAME_HDR_MAX (14 + 40 + 8)   /* Ethernet, IPv6, UDP */

/* A query frame's parts: where its DNS message lies and who sent it. */
struct xdp_frame_info {
	size_t hdr;                       /* bytes before the DNS message */
	size_t dns_len;                   /* the DNS message's length */
	struct sockaddr_storage peer;     /* the sender's address and port */
};

/*
 * Reads the frame f[0..len): Ethernet to this host's unicast address, IPv4 without options
 * nor fragments with a valid header checksum, or IPv6 without extension headers; then UDP.
 * Returns 0 and fills fi, or -1 for anything else (the frame is dropped: the XDP
 * program passes what it does not redirect to the kernel, so only damaged frames get here).
 */
int xdp_frame_parse(const uint8_t *f, size_t len, struct xdp_frame_info *fi);
/*
 * Writes the headers of the answer to query frame q (parsed into fi) into a[0..fi->hdr): the
 * DNS answer of dns_len bytes is already at a + fi->hdr. Addresses and ports are the query's,
 * swapped; checksums are computed. Returns the frame's length.
 */
size_t xdp_frame_reply(const uint8_t *q, const struct xdp_frame_info *fi, uint8_t *a,
                       size_t dns_len);

#endif
