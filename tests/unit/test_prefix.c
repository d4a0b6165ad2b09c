/* Unit tests for shared/util/prefix.c: the accepted forms, the refusals, matching peers. */
#include "tests/unit/unit.h"
#include "shared/util/prefix.h"

static bool match(const char *prefix, const char *addr)
{
	struct prefix p;
	struct sockaddr_storage s = unit_sockaddr(addr);
	assert_int_equal(prefix_parse(prefix, &p), 0);
	return prefix_match(&p, (const struct sockaddr *)&s);
}

static void test_parse(void **state)
{
	(void)state;
	struct prefix p;
	assert_int_equal(prefix_parse("192.0.2.7", &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 32);
	assert_int_equal(prefix_parse("192.0.2.0/24", &p), 0);
	assert_int_equal(p.len, 24);
	assert_int_equal(prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(prefix_parse("2001:db8::/32", &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, 32);
	assert_int_equal(prefix_parse("::1", &p), 0);
	assert_int_equal(p.len, 128);
	static const char *const bad[] = {
		"", "/24", "192.0.2.1/24", "192.0.2.0/33", "192.0.2.0/", "192.0.2.0/2x",
		"192.0.2.0/0024", "2001:db8::1/32", "2001:db8::/129", "[::1]", "192.0.2.1:53",
		"example.com", "192.0.2.256", "192.0.2.0/-1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prefix_parse(bad[i], &p) == 0)
			fail_msg("'%s' accepted", bad[i]);
}

static void test_list(void **state)
{
	(void)state;
	struct prefix p[PREFIX_LIST_MAX];
	size_t n = 99;
	assert_int_equal(prefix_list_parse("", NULL, NULL, p, PREFIX_LIST_MAX, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(prefix_list_parse("  192.0.2.0/24\t2001:db8::/48 198.51.100.1 ", NULL, NULL, p,
	                                   PREFIX_LIST_MAX, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[2].len, 32);
	assert_int_equal(prefix_list_parse("192.0.2.0/24 nonsense", NULL, NULL, p, PREFIX_LIST_MAX, &n), -1);
	assert_int_equal(prefix_list_parse("192.0.2.1 192.0.2.2 192.0.2.3", NULL, NULL, p, 2, &n),
	                 -1);
	/* The one word besides prefixes, where the caller allows it. */
	bool seen = true;
	assert_int_equal(prefix_list_parse("192.0.2.1 local ::1", "local", &seen, p, 2, &n), 0);
	assert_true(seen);
	assert_int_equal(n, 2);
	assert_int_equal(prefix_list_parse("192.0.2.1", "local", &seen, p, 2, &n), 0);
	assert_false(seen);
	assert_int_equal(prefix_list_parse("local", NULL, NULL, p, 2, &n), -1);
	assert_int_equal(prefix_list_parse("locals", "local", &seen, p, 2, &n), -1);
	char text[2048] = "";
	for (int i = 0; i <= PREFIX_LIST_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "10.0.%d.0/24 ", i);
	assert_int_equal(prefix_list_parse(text, NULL, NULL, p, PREFIX_LIST_MAX, &n), -1);
}

static void test_match(void **state)
{
	(void)state;
	assert_true(match("192.0.2.0/24", "192.0.2.200"));
	assert_false(match("192.0.2.0/24", "192.0.3.1"));
	assert_true(match("192.0.2.128/25", "192.0.2.255"));
	assert_false(match("192.0.2.128/25", "192.0.2.127"));
	assert_true(match("192.0.2.7", "192.0.2.7"));
	assert_false(match("192.0.2.7", "192.0.2.6"));
	assert_true(match("0.0.0.0/0", "203.0.113.9"));
	assert_false(match("0.0.0.0/0", "2001:db8::1"));       /* families apart */
	assert_true(match("192.0.2.0/24", "::ffff:192.0.2.9")); /* IPv4-mapped is IPv4 */
	assert_false(match("::ffff:192.0.2.0/120", "192.0.2.9"));
	assert_true(match("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(match("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(match("2001:db8:0:1::/64", "2001:db8:0:1:a:b:c:d"));
	assert_false(match("::1", "::2"));
	struct prefix p;
	struct sockaddr sun = { .sa_family = AF_UNIX };
	assert_int_equal(prefix_parse("0.0.0.0/0", &p), 0);
	assert_false(prefix_match(&p, &sun));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
