/* Unit tests for the MTA-STS policy body: exact text, order, duplicates, limits, patterns. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/sts/sts_policy.h"

static void test_format(void **state)
{
	struct sts_policy p = { .mode = STS_MODE_ENFORCE, .max_age = 604800 };
	char out[512];
	assert_int_equal(sts_policy_add(&p, "MX2.Example.com."), 0);
	assert_int_equal(sts_policy_add(&p, "*.mail.example.net"), 0);
	assert_int_equal(sts_policy_add(&p, "mx1.example.com"), 0);
	assert_int_equal(sts_policy_add(&p, "mx2.example.com"), 0);    /* the same as the first */
	const char want[] = "version: STSv1\r\nmode: enforce\r\n"
	                    "mx: *.mail.example.net\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\n"
	                    "max_age: 604800\r\n";
	int n = sts_policy_format(&p, out, sizeof(out));
	assert_int_equal(n, sizeof(want) - 1);
	assert_string_equal(out, want);
	/* The same inputs in another order give the same bytes. */
	struct sts_policy q = { .mode = STS_MODE_ENFORCE, .max_age = 604800 };
	sts_policy_add(&q, "mx2.example.com");
	sts_policy_add(&q, "mx1.EXAMPLE.com");
	sts_policy_add(&q, "*.mail.example.net.");
	char again[512];
	assert_int_equal(sts_policy_format(&q, again, sizeof(again)), n);
	assert_string_equal(again, out);
	/* Exactly fitting: the length and a NUL need cap > length. */
	assert_int_equal(sts_policy_format(&p, out, (size_t)n + 1), n);
	assert_int_equal(sts_policy_format(&p, out, (size_t)n), LS_ETOOBIG);
	assert_int_equal(sts_policy_format(&p, out, 40), LS_ETOOBIG);
	assert_int_equal(sts_policy_format(&p, out, 0), LS_ETOOBIG);
	(void)state;
}

static void test_modes(void **state)
{
	static const struct { enum sts_mode mode; const char *text; } modes[] = {
		{ STS_MODE_TESTING, "version: STSv1\r\nmode: testing\r\nmax_age: 86400\r\n" },
		{ STS_MODE_ENFORCE, "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\n" },
		{ STS_MODE_NONE, "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n" },
	};
	char out[256];
	for (size_t i = 0; i < 3; i++) {
		struct sts_policy p = { .mode = modes[i].mode, .max_age = 86400 };
		assert_int_equal(sts_policy_format(&p, out, sizeof(out)), (int)strlen(modes[i].text));
		assert_string_equal(out, modes[i].text);
	}
	struct sts_policy p = { .mode = STS_MODE_TESTING, .max_age = STS_MAX_AGE_MAX };
	sts_policy_format(&p, out, sizeof(out));
	assert_non_null(strstr(out, "max_age: 31557600\r\n"));
	(void)state;
}

static void test_limits(void **state)
{
	struct sts_policy p = { .mode = STS_MODE_TESTING, .max_age = 1 };
	char out[256];
	for (int i = 0; i < STS_POLICY_MX_MAX; i++)
		assert_int_equal(sts_policy_add(&p, "mx.example.com"), 0);
	assert_int_equal(sts_policy_add(&p, "mx.example.com"), LS_ETOOBIG);
	assert_int_equal(p.nmx, STS_POLICY_MX_MAX);
	/* 256 copies of one pattern are one line. */
	assert_int_equal(sts_policy_format(&p, out, sizeof(out)),
	                 (int)strlen("version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 1\r\n"));
	/* One pattern that is not one spoils the body. */
	p.mx[100] = "mx..example.com";
	assert_int_equal(sts_policy_format(&p, out, sizeof(out)), LS_EPARSE);
	(void)state;
}

static void test_patterns(void **state)
{
	char l63[64], l64[65], long_name[300], name253[300], name254[300];
	memset(l63, 'a', 63);
	l63[63] = 0;
	memset(l64, 'a', 64);
	l64[64] = 0;
	snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s.com", l63, l63, l63, l63);
	/* A host name's text is at most 253 characters (255 octets on the wire). */
	snprintf(name253, sizeof(name253), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	snprintf(name254, sizeof(name254), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	assert_int_equal(strlen(name253), 253);
	const char *const ok[] = { "mx.example.com", "MX.EXAMPLE.COM.", "*.example.com", "a",
	                           "xn--bcher-kva.example", "1.2.3.4", "a-b.c-d", l63, name253 };
	const char *const bad[] = { "", ".", "*", "*.", "**.example.com", "*example.com",
	                            "mx.*.example.com", "a..b", ".a", "-a.b", "a-.b", "a.b-",
	                            "a_b.c", "bücher.example", "a b", "a.b..", l64, long_name,
	                            name254 };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (sts_policy_pattern_check(ok[i]) != 0)
			fail_msg("\"%s\" refused", ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sts_policy_pattern_check(bad[i]) != LS_EPARSE)
			fail_msg("\"%.40s\" accepted", bad[i]);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_patterns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
