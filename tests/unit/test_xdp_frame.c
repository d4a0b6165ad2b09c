/* Unit tests for dnsd's AF_XDP framing: queries read from Ethernet frames, answers framed. */
#include "tests/unit/unit.h"
#include "dnsd/xdp_frame.h"
#include "shared/dns/wire.h"

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t their_mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t dns[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                               3, 'w', 'w', 'w', 0, 0, 1, 0, 1 };

/* The ones' complement checksum of p[0..n) plus sum, computed the plain way. */
static uint16_t checksum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i++)
		sum += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(const uint8_t *src, const uint8_t *dst, size_t alen, size_t ulen)
{
	uint8_t b[40];
	memcpy(b, src, alen);
	memcpy(b + alen, dst, alen);
	return (uint16_t)~checksum(b, 2 * alen, 0) + 17u + (uint32_t)ulen;
}

/* An IPv4 query frame from 192.0.2.2:40000 to 192.0.2.1:53 with dns[]; returns its length. */
static size_t ip4_query(uint8_t *f)
{
	static const uint8_t src[4] = { 192, 0, 2, 2 }, dst[4] = { 192, 0, 2, 1 };
	size_t ulen = 8 + sizeof(dns);
	memset(f, 0, 128);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, their_mac, 6);
	wire_put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *udp = ip + 20;
	ip[0] = 0x45;
	wire_put16(ip + 2, (uint16_t)(20 + ulen));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	wire_put16(ip + 10, checksum(ip, 20, 0));
	wire_put16(udp, 40000);
	wire_put16(udp + 2, 53);
	wire_put16(udp + 4, (uint16_t)ulen);
	memcpy(udp + 8, dns, sizeof(dns));
	wire_put16(udp + 6, checksum(udp, ulen, pseudo_sum(src, dst, 4, ulen)));
	return 14 + 20 + ulen;
}

/* An IPv6 query frame from 2001:db8::2 port 40000 to 2001:db8::1 port 53; its length. */
static size_t ip6_query(uint8_t *f)
{
	uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8 }, dst[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	size_t ulen = 8 + sizeof(dns);
	src[15] = 2;
	dst[15] = 1;
	memset(f, 0, 160);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, their_mac, 6);
	wire_put16(f + 12, 0x86dd);
	uint8_t *ip = f + 14, *udp = ip + 40;
	ip[0] = 0x60;
	wire_put16(ip + 4, (uint16_t)ulen);
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	wire_put16(udp, 40000);
	wire_put16(udp + 2, 53);
	wire_put16(udp + 4, (uint16_t)ulen);
	memcpy(udp + 8, dns, sizeof(dns));
	wire_put16(udp + 6, checksum(udp, ulen, pseudo_sum(src, dst, 16, ulen)));
	return 14 + 40 + ulen;
}

static void test_ip4_query_and_answer(void **state)
{
	uint8_t f[128], a[256];
	struct xdp_frame_info fi;
	char text[INET_ADDRSTRLEN];
	(void)state;
	size_t len = ip4_query(f);
	assert_int_equal(xdp_frame_parse(f, len, &fi), 0);
	assert_int_equal(fi.hdr, 42);
	assert_int_equal(fi.dns_len, sizeof(dns));
	assert_memory_equal(f + fi.hdr, dns, sizeof(dns));
	const struct sockaddr_in *sa = (const struct sockaddr_in *)&fi.peer;
	assert_int_equal(sa->sin_family, AF_INET);
	assert_int_equal(ntohs(sa->sin_port), 40000);
	assert_string_equal(inet_ntop(AF_INET, &sa->sin_addr, text, sizeof(text)), "192.0.2.2");
	/* The answer: 30 bytes after the headers. */
	memset(a + fi.hdr, 0xab, 30);
	size_t n = xdp_frame_reply(f, &fi, a, 30);
	assert_int_equal(n, 42 + 30);
	assert_memory_equal(a, their_mac, 6);
	assert_memory_equal(a + 6, our_mac, 6);
	assert_int_equal(wire_get16(a + 12), 0x0800);
	const uint8_t *ip = a + 14, *udp = ip + 20;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(wire_get16(ip + 2), 20 + 8 + 30);
	assert_int_equal(ip[9], 17);
	assert_memory_equal(ip + 12, f + 14 + 16, 4);    /* from the query's destination */
	assert_memory_equal(ip + 16, f + 14 + 12, 4);
	assert_int_equal(checksum(ip, 20, 0), 0);
	assert_int_equal(wire_get16(udp), 53);
	assert_int_equal(wire_get16(udp + 2), 40000);
	assert_int_equal(wire_get16(udp + 4), 8 + 30);
	assert_int_not_equal(wire_get16(udp + 6), 0);
	assert_int_equal(checksum(udp, 38, pseudo_sum(ip + 12, ip + 16, 4, 38)), 0);
}

static void test_ip6_query_and_answer(void **state)
{
	uint8_t f[160], a[256];
	struct xdp_frame_info fi;
	char text[INET6_ADDRSTRLEN];
	(void)state;
	size_t len = ip6_query(f);
	assert_int_equal(xdp_frame_parse(f, len, &fi), 0);
	assert_int_equal(fi.hdr, 62);
	assert_int_equal(fi.dns_len, sizeof(dns));
	const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)&fi.peer;
	assert_int_equal(sa->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sa->sin6_port), 40000);
	assert_string_equal(inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof(text)), "2001:db8::2");
	memset(a + fi.hdr, 0xcd, 101);       /* odd: the checksum's last byte is padded */
	size_t n = xdp_frame_reply(f, &fi, a, 101);
	assert_int_equal(n, 62 + 101);
	const uint8_t *ip = a + 14, *udp = ip + 40;
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(wire_get16(ip + 4), 8 + 101);
	assert_int_equal(ip[6], 17);
	assert_memory_equal(ip + 8, f + 14 + 24, 16);
	assert_memory_equal(ip + 24, f + 14 + 8, 16);
	assert_int_equal(wire_get16(udp), 53);
	assert_int_equal(wire_get16(udp + 2), 40000);
	assert_int_equal(checksum(udp, 109, pseudo_sum(ip + 8, ip + 24, 16, 109)), 0);
}

/* A short query in a frame padded to Ethernet's 60 bytes: the IP length says what is data. */
static void test_padding(void **state)
{
	uint8_t f[160];
	struct xdp_frame_info fi;
	(void)state;
	size_t len = ip4_query(f);
	assert_true(len < 80);
	assert_int_equal(xdp_frame_parse(f, 80, &fi), 0);
	assert_int_equal(fi.dns_len, sizeof(dns));
}

/* Each damage to a good frame, and the frame is refused. */
static void test_refusals(void **state)
{
	uint8_t f[160];
	struct xdp_frame_info fi;
	size_t len;
	(void)state;
#define REFUSED(change, n) do { \
		len = ip4_query(f); \
		change; \
		assert_int_equal(xdp_frame_parse(f, (n), &fi), -1); \
	} while (0)
	REFUSED(f[0] = 0xff, len);                          /* to a group (broadcast) address */
	REFUSED(f[6] |= 1, len);                            /* from a group address */
	REFUSED(wire_put16(f + 12, 0x8100), len);           /* VLAN tag: the kernel's */
	REFUSED(wire_put16(f + 12, 0x0806), len);           /* ARP */
	REFUSED(f[14] = 0x46, len);                         /* IPv4 options */
	REFUSED(f[14 + 9] = 6, len);                        /* TCP */
	REFUSED(wire_put16(f + 14 + 6, 0x2000), len);       /* a first fragment (MF) */
	REFUSED(wire_put16(f + 14 + 6, 0x0001), len);       /* a later fragment */
	REFUSED(f[14 + 10] ^= 1, len);                      /* a bad header checksum */
	REFUSED((void)0, len - 1);                          /* cut short of the IP length */
	REFUSED((void)0, 14 + 20 + 7);                      /* no whole UDP header */
	REFUSED((void)0, 10);                               /* no whole Ethernet header */
	REFUSED(wire_put16(f + 34 + 4, 7), len);            /* UDP length under its header */
	REFUSED(wire_put16(f + 34 + 4, (uint16_t)(len - 34 + 1)), len);   /* past the IP packet */
	REFUSED(wire_put16(f + 34, 0), len);                /* from port 0 */
	REFUSED(wire_put16(f + 34 + 2, 0), len);            /* to port 0 */
#undef REFUSED
	len = ip6_query(f);
	f[14 + 6] = 0;                                      /* an extension header first */
	assert_int_equal(xdp_frame_parse(f, len, &fi), -1);
	len = ip6_query(f);
	assert_int_equal(xdp_frame_parse(f, len - 1, &fi), -1);   /* cut short of the payload */
	len = ip6_query(f);
	f[14] = 0x40;                                       /* version 4 in an IPv6 frame */
	assert_int_equal(xdp_frame_parse(f, len, &fi), -1);
}

/* The UDP checksum is not checked: a sender on the same host leaves it to an offload. */
static void test_checksum_left_to_offload(void **state)
{
	uint8_t f[160];
	struct xdp_frame_info fi;
	(void)state;
	size_t len = ip4_query(f);
	wire_put16(f + 34 + 6, 0x1234);
	assert_int_equal(xdp_frame_parse(f, len, &fi), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_query_and_answer),
		cmocka_unit_test(test_ip6_query_and_answer),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_checksum_left_to_offload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
