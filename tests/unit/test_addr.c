/* Unit tests for addresses with ports: every accepted form, the refusals, socket addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "tests/unit/unit.h"
#include "shared/util/addr.h"

struct addr_case {
	const char *text;
	int default_port;
	int rc;
	int family;
	const char *host;     /* as inet_ntop writes it */
	uint16_t port;
};

static const struct addr_case cases[] = {
	{ "192.0.2.1", 53, 0, AF_INET, "192.0.2.1", 53 },
	{ "192.0.2.1:5300", 53, 0, AF_INET, "192.0.2.1", 5300 },
	{ "192.0.2.1:0", 53, 0, AF_INET, "192.0.2.1", 0 },
	{ "192.0.2.1:65535", -1, 0, AF_INET, "192.0.2.1", 65535 },
	{ "2001:db8::1", 853, 0, AF_INET6, "2001:db8::1", 853 },
	{ "::1", 53, 0, AF_INET6, "::1", 53 },
	{ "[2001:db8::1]:443", 53, 0, AF_INET6, "2001:db8::1", 443 },
	{ "[::ffff:192.0.2.1]:53", -1, 0, AF_INET6, "::ffff:192.0.2.1", 53 },
	{ "[2001:db8::1]", 53, 0, AF_INET6, "2001:db8::1", 53 },
	/* Refusals. */
	{ "192.0.2.1", -1, -1, 0, NULL, 0 },          /* the port is required */
	{ "2001:db8::1", -1, -1, 0, NULL, 0 },        /* a bare IPv6 address has no port */
	{ "[2001:db8::1]", -1, -1, 0, NULL, 0 },
	{ "192.0.2.1:", 53, -1, 0, NULL, 0 },
	{ "192.0.2.1:65536", 53, -1, 0, NULL, 0 },
	{ "192.0.2.1:-1", 53, -1, 0, NULL, 0 },
	{ "192.0.2.1:53x", 53, -1, 0, NULL, 0 },
	{ "192.0.2.256", 53, -1, 0, NULL, 0 },
	{ "192.0.2", 53, -1, 0, NULL, 0 },
	{ "mail.example.com:25", 53, -1, 0, NULL, 0 },
	{ "", 53, -1, 0, NULL, 0 },
	{ "[2001:db8::1", 53, -1, 0, NULL, 0 },
	{ "[2001:db8::1]53", 53, -1, 0, NULL, 0 },
	{ "[2001:db8::1]:", 53, -1, 0, NULL, 0 },
	{ "[2001:db8::g]:53", 53, -1, 0, NULL, 0 },
	{ "[]:53", 53, -1, 0, NULL, 0 },
	{ "192.0.2.1: 53", 53, -1, 0, NULL, 0 },      /* ports are digits only */
	{ "192.0.2.1:+53", 53, -1, 0, NULL, 0 },
	{ "192.0.2.1:-0", 53, -1, 0, NULL, 0 },
	{ "192.0.2.1:000053", 53, -1, 0, NULL, 0 },
	{ "[192.0.2.1]:53", 53, -1, 0, NULL, 0 },     /* brackets are for IPv6 */
	{ "2001:db8::1:53:", 53, -1, 0, NULL, 0 },
	{ "1111111111111111111111111111111111111111111111111111111111111111111.1:53", 53, -1, 0,
	  NULL, 0 },
	{ "[1111:1111:1111:1111:1111:1111:1111:1111:1111:1111:1111:1111:1111:1111]:53", 53, -1, 0,
	  NULL, 0 },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct addr_case *c = &cases[i];
		uint8_t addr[16];
		char text[INET6_ADDRSTRLEN];
		int family = -7;
		uint16_t port = 7;
		int rc = addr_parse(c->text, c->default_port, &family, addr, &port);
		if (rc != c->rc)
			fail_msg("addr_parse(\"%s\", %d) = %d, want %d", c->text, c->default_port, rc, c->rc);
		if (rc != 0)
			continue;
		assert_int_equal(family, c->family);
		assert_int_equal(port, c->port);
		assert_non_null(inet_ntop(family, addr, text, sizeof(text)));
		assert_string_equal(text, c->host);
	}
	(void)state;
}

static void test_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	uint8_t addr[16];
	int family;
	uint16_t port;
	assert_int_equal(addr_parse("198.51.100.7:5353", -1, &family, addr, &port), 0);
	memset(&ss, 0xff, sizeof(ss));
	assert_int_equal(addr_sockaddr(family, addr, port, &ss), sizeof(struct sockaddr_in));
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
	assert_int_equal(a4->sin_family, AF_INET);
	assert_int_equal(ntohs(a4->sin_port), 5353);
	assert_int_equal(ntohl(a4->sin_addr.s_addr), 0xc6336407u);
	assert_int_equal(a4->sin_zero[0], 0);    /* the rest is cleared */

	assert_int_equal(addr_parse("[2001:db8::53]:53", -1, &family, addr, &port), 0);
	memset(&ss, 0xff, sizeof(ss));
	assert_int_equal(addr_sockaddr(family, addr, port, &ss), sizeof(struct sockaddr_in6));
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
	assert_int_equal(a6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(a6->sin6_port), 53);
	assert_memory_equal(&a6->sin6_addr, addr, 16);
	assert_int_equal(a6->sin6_addr.s6_addr[15], 0x53);
	assert_int_equal(a6->sin6_flowinfo, 0);
	assert_int_equal(a6->sin6_scope_id, 0);
	(void)state;
}

/* dnsd.xdp-listen's IFACE@PORT. */
static void test_ifport(void **state)
{
	static const char *const bad[] = { "", "eth0", "eth0@", "@53", "eth0@0", "eth0@65536",
	                                   "eth0@53x", "eth 0@53", "eth0/1@53",
	                                   "a-name-too-long0@53" };
	char ifname[16];
	uint16_t port;
	(void)state;
	assert_int_equal(addr_ifport_parse("eth0@53", ifname, &port), 0);
	assert_string_equal(ifname, "eth0");
	assert_int_equal(port, 53);
	assert_int_equal(addr_ifport_parse("enp1s0f1.100@5353", ifname, &port), 0);
	assert_string_equal(ifname, "enp1s0f1.100");
	assert_int_equal(port, 5353);
	assert_int_equal(addr_ifport_parse("fifteen-chars-x@1", ifname, &port), 0);
	assert_string_equal(ifname, "fifteen-chars-x");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(addr_ifport_parse(bad[i], ifname, &port), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_ifport),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
