/*
 * Ethernet + IPv4/IPv6 + UDP around DNS messages, for the AF_XDP path (no kernel stack).
 * The UDP checksum of a query is not checked: a sender on the same host (veth, a container)
 * leaves it to an offload that never happens, and the kernel trusts such frames; on a wire,
 * the Ethernet FCS has checked the frame. The IPv4 header checksum is always real, so it is.
 */
#include <netinet/in.h>
#include <string.h>
#include "dnsd/xdp_frame.h"
#include "shared/dns/wire.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define IP_TTL_OUT 64

/* The ones' complement sum of p[0..n) added to sum (RFC 1071), not yet folded. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum's start: the pseudo-header of addresses at addr (src then dst, alen bytes
 * each) and the UDP length. */
static uint32_t pseudo(const uint8_t *addr, size_t alen, size_t udp_len)
{
	return csum_add(0, addr, 2 * alen) + IPPROTO_UDP + (uint32_t)udp_len;
}

static int parse_ip4(const uint8_t *f, size_t len, struct xdp_frame_info *fi)
{
	const uint8_t *ip = f + ETH_LEN, *udp = ip + IP4_LEN;
	if (len < ETH_LEN + IP4_LEN + UDP_LEN || ip[0] != 0x45 || ip[9] != IPPROTO_UDP ||
	    (wire_get16(ip + 6) & 0x3fff) != 0 || csum_fold(csum_add(0, ip, IP4_LEN)) != 0)
		return -1;
	/* Short frames carry Ethernet padding: the IP length, not the frame's, says what is data. */
	size_t tot = wire_get16(ip + 2), ulen = wire_get16(udp + 4);
	if (tot < IP4_LEN + UDP_LEN || ETH_LEN + tot > len || ulen < UDP_LEN ||
	    ulen > tot - IP4_LEN)
		return -1;
	struct sockaddr_in *sa = (struct sockaddr_in *)&fi->peer;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	memcpy(&sa->sin_addr, ip + 12, 4);
	memcpy(&sa->sin_port, udp, 2);
	fi->hdr = ETH_LEN + IP4_LEN + UDP_LEN;
	fi->dns_len = ulen - UDP_LEN;
	return 0;
}

static int parse_ip6(const uint8_t *f, size_t len, struct xdp_frame_info *fi)
{
	const uint8_t *ip = f + ETH_LEN, *udp = ip + IP6_LEN;
	if (len < ETH_LEN + IP6_LEN + UDP_LEN || ip[0] >> 4 != 6 || ip[6] != IPPROTO_UDP)
		return -1;
	size_t plen = wire_get16(ip + 4), ulen = wire_get16(udp + 4);
	if (ETH_LEN + IP6_LEN + plen > len || ulen < UDP_LEN || ulen > plen)
		return -1;
	struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&fi->peer;
	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	memcpy(&sa->sin6_addr, ip + 8, 16);
	memcpy(&sa->sin6_port, udp, 2);
	fi->hdr = ETH_LEN + IP6_LEN + UDP_LEN;
	fi->dns_len = ulen - UDP_LEN;
	return 0;
}

int xdp_frame_parse(const uint8_t *f, size_t len, struct xdp_frame_info *fi)
{
	/* Group addresses (broadcast, multicast) as destination or source get no answer. */
	if (len < ETH_LEN || (f[0] & 1) || (f[6] & 1))
		return -1;
	int rc;
	switch (wire_get16(f + 12)) {
	case ETHERTYPE_IP4:
		rc = parse_ip4(f, len, fi);
		break;
	case ETHERTYPE_IP6:
		rc = parse_ip6(f, len, fi);
		break;
	default:
		return -1;
	}
	/* Port 0, from or to, is no query's (and an answer cannot go to it). */
	const uint8_t *udp = f + fi->hdr - UDP_LEN;
	if (rc == 0 && (wire_get16(udp) == 0 || wire_get16(udp + 2) == 0))
		return -1;
	return rc;
}

size_t xdp_frame_reply(const uint8_t *q, const struct xdp_frame_info *fi, uint8_t *a,
                       size_t dns_len)
{
	size_t ulen = UDP_LEN + dns_len;
	memcpy(a, q + 6, 6);                /* back to the sender's MAC, from ours */
	memcpy(a + 6, q, 6);
	memcpy(a + 12, q + 12, 2);
	uint8_t *ip = a + ETH_LEN;
	const uint8_t *qip = q + ETH_LEN;
	uint8_t *udp;
	uint32_t sum;
	if (fi->peer.ss_family == AF_INET) {
		udp = ip + IP4_LEN;
		ip[0] = 0x45;
		ip[1] = 0;
		wire_put16(ip + 2, (uint16_t)(IP4_LEN + ulen));
		wire_put16(ip + 4, 0);
		wire_put16(ip + 6, 0x4000);      /* DF: answers are cut to the link, never fragmented */
		ip[8] = IP_TTL_OUT;
		ip[9] = IPPROTO_UDP;
		wire_put16(ip + 10, 0);
		memcpy(ip + 12, qip + 16, 4);
		memcpy(ip + 16, qip + 12, 4);
		wire_put16(ip + 10, csum_fold(csum_add(0, ip, IP4_LEN)));
		sum = pseudo(ip + 12, 4, ulen);
	} else {
		udp = ip + IP6_LEN;
		wire_put32(ip, 0x60000000);
		wire_put16(ip + 4, (uint16_t)ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = IP_TTL_OUT;
		memcpy(ip + 8, qip + 24, 16);
		memcpy(ip + 24, qip + 8, 16);
		sum = pseudo(ip + 8, 16, ulen);
	}
	const uint8_t *qudp = q + fi->hdr - UDP_LEN;
	memcpy(udp, qudp + 2, 2);
	memcpy(udp + 2, qudp, 2);
	wire_put16(udp + 4, (uint16_t)ulen);
	wire_put16(udp + 6, 0);
	uint16_t c = csum_fold(csum_add(sum, udp, ulen));
	wire_put16(udp + 6, c ? c : 0xffff);   /* 0 would mean "no checksum" */
	return fi->hdr + dns_len;
}
