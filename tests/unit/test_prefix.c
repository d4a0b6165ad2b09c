/* Unit tests for shared/util/prefix: parsing address prefixes and matching clients. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "tests/unit/unit.h"
#include "shared/util/prefix.h"

static void test_parse(void **state)
{
	struct prefix p;
	assert_int_equal(prefix_parse("192.0.2.0/24", &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.bits, 24);
	assert_int_equal(prefix_parse("192.0.2.7", &p), 0);
	assert_int_equal(p.bits, 32);
	assert_int_equal(prefix_parse("2001:db8::/32", &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(prefix_parse("::1", &p), 0);
	assert_int_equal(p.bits, 128);
	assert_int_equal(prefix_parse("0.0.0.0/0", &p), 0);
	/* Host bits set, a length too long, junk: refused. */
	assert_int_equal(prefix_parse("192.0.2.1/24", &p), -1);
	assert_int_equal(prefix_parse("192.0.2.0/33", &p), -1);
	assert_int_equal(prefix_parse("2001:db8::/129", &p), -1);
	assert_int_equal(prefix_parse("192.0.2.0/", &p), -1);
	assert_int_equal(prefix_parse("192.0.2.0/-1", &p), -1);
	assert_int_equal(prefix_parse("192.0.2.0/24x", &p), -1);
	assert_int_equal(prefix_parse("example.com", &p), -1);
	assert_int_equal(prefix_parse("", &p), -1);
	assert_int_equal(prefix_parse("/8", &p), -1);
	(void)state;
}

static void test_list_match(void **state)
{
	struct prefix l[PREFIX_LIST_MAX];
	size_t n;
	assert_int_equal(prefix_list_parse(" 127.0.0.0/8  ::1 10.1.2.128/25 ", l, PREFIX_LIST_MAX,
	                                   &n), 0);
	assert_int_equal(n, 3);
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr_in6 b = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET, "127.9.9.9", &a.sin_addr);
	assert_true(prefix_list_match(l, n, (struct sockaddr *)&a));
	inet_pton(AF_INET, "10.1.2.200", &a.sin_addr);
	assert_true(prefix_list_match(l, n, (struct sockaddr *)&a));
	inet_pton(AF_INET, "10.1.2.100", &a.sin_addr);
	assert_false(prefix_list_match(l, n, (struct sockaddr *)&a));
	inet_pton(AF_INET6, "::1", &b.sin6_addr);
	assert_true(prefix_list_match(l, n, (struct sockaddr *)&b));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &b.sin6_addr);    /* mapped: an IPv4 client */
	assert_true(prefix_list_match(l, n, (struct sockaddr *)&b));
	inet_pton(AF_INET6, "2001:db8::1", &b.sin6_addr);
	assert_false(prefix_list_match(l, n, (struct sockaddr *)&b));
	assert_false(prefix_list_match(l, n, NULL));
	assert_int_equal(prefix_list_parse("", l, PREFIX_LIST_MAX, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(prefix_list_parse("127.0.0.0/8 bogus", l, PREFIX_LIST_MAX, &n), -1);
	assert_int_equal(prefix_list_parse("1.0.0.0/8 2.0.0.0/8 3.0.0.0/8", l, 2, &n), -1);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_list_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
