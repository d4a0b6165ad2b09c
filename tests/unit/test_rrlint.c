/* Unit tests for the record text checks: splitting, periods, class/TTL order, plain reasons
 * for ldns refusals, and the ranges ldns would wrap. */
#include <ldns/ldns.h>
#include "tests/unit/unit.h"
#include "shared/dns/rrlint.h"

static void test_split(void **state)
{
	static const struct {
		const char *text;
		int n, owner, ttl, class, type;
	} cases[] = {
		{ "www 300 IN A 192.0.2.1", 5, 0, 1, 2, 3 },
		{ "www IN 300 A 192.0.2.1", 5, 0, 2, 1, 3 },
		{ "www A 192.0.2.1", 3, 0, -1, -1, 1 },
		{ " 300 A 192.0.2.1", 3, -1, 0, -1, 1 },
		{ "\tch TXT x", 3, -1, -1, 0, 1 },
		{ "www CLASS1 1h A x", 5, 0, 2, 1, 3 },
		{ "www 300 IN", 3, 0, 1, 2, -1 },
		{ "www", 1, 0, -1, -1, -1 },
		{ "", 0, -1, -1, -1, -1 },
		{ "x TXT \"a b\\\" c\" d", 4, 0, -1, -1, 1 },
	};
	struct rr_fields f;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(rrlint_split(cases[i].text, &f));
		if (f.n != cases[i].n || f.owner != cases[i].owner || f.ttl != cases[i].ttl ||
		    f.class != cases[i].class || f.type != cases[i].type)
			fail_msg("\"%s\": n %d owner %d ttl %d class %d type %d", cases[i].text, f.n,
			         f.owner, f.ttl, f.class, f.type);
	}
	assert_true(rrlint_split("x TXT \"a b\\\" c\" d", &f));
	assert_int_equal(f.len[2], 9);         /* the quoted string is one token, quotes kept */
	assert_memory_equal(f.tok[2], "\"a b\\\" c\"", 9);
	/* More tokens than are kept: false, and the checks stay silent. */
	char many[3 * RRLINT_TOKENS + 16] = "x TXT";
	for (int i = 0; i < RRLINT_TOKENS; i++)
		strcat(many, " a");
	assert_false(rrlint_split(many, &f));
	(void)state;
}

static void test_period(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		uint32_t v;
	} cases[] = {
		{ "0", true, 0 }, { "300", true, 300 }, { "1h30m", true, 5400 }, { "1W", true, 604800 },
		{ "2d3s", true, 172803 }, { "1h2", true, 3602 }, { "4294967295", true, 4294967295u },
		{ "4294967295s", true, 4294967295u }, { "7101w", true, 4294684800u },
		{ "4294967296", false, 0 }, { "7102w", false, 0 }, { "99999999999", false, 0 },
		{ "", false, 0 }, { "h", false, 0 }, { "1x", false, 0 }, { "1hh", false, 0 },
		{ "-1", false, 0 }, { "1 h", false, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 12345;
		bool ok = rrlint_period(cases[i].s, strlen(cases[i].s), &v);
		if (ok != cases[i].ok || (ok && v != cases[i].v))
			fail_msg("\"%s\": %d %u", cases[i].s, ok, v);
	}
	uint32_t v;
	assert_true(rrlint_period("12junk", 2, &v));   /* only len bytes are read */
	assert_int_equal(v, 12);
	(void)state;
}

static void test_reorder(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "www IN 300 A 192.0.2.1", "www 300 IN A 192.0.2.1" },
		{ " IN 1h TXT \"a  b\"", " 1h IN TXT \"a  b\"" },
		{ "www\tIN\t300\tMX 10 mx", "www 300 IN MX 10 mx" },
		{ "www 300 IN A 192.0.2.1", NULL },
		{ "www IN A 192.0.2.1", NULL },
		{ "www 300 A 192.0.2.1", NULL },
	};
	struct rr_fields f;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(rrlint_split(cases[i].in, &f));
		char *s = rrlint_reorder(cases[i].in, &f);
		if (cases[i].out == NULL) {
			assert_null(s);
			continue;
		}
		assert_non_null(s);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	(void)state;
}

static void test_explain(void **state)
{
	char label64[65], long_name[300];
	memset(label64, 'a', 64);
	label64[64] = 0;
	/* 4 x 61 + 4 = 248 octets alone; 261 behind example.com. */
	snprintf(long_name, sizeof(long_name), "%.61s.%.61s.%.61s.%.61s", label64, label64, label64,
	         label64);
	char l1[400], l2[400], l3[400], l4[400];
	snprintf(l1, sizeof(l1), "%s A 192.0.2.1", label64);
	snprintf(l2, sizeof(l2), "%s A 192.0.2.1", long_name);
	snprintf(l3, sizeof(l3), "%s. A 192.0.2.1", long_name);
	snprintf(l4, sizeof(l4), "@ MX 10 %s", label64);
	static const char *const no_reason = NULL;
	const struct {
		const char *text;
		const char *reason;
	} cases[] = {
		{ l1, "is longer than 63 octets" },
		{ l2, "is longer than 255 octets with the origin" },
		{ l3, no_reason },                        /* absolute: fits */
		{ l4, "is longer than 63 octets" },
		{ "www 300 IN", "no record type" },
		{ "www 300 IN FOO 1", "unknown record type 'FOO'" },
		{ "www 300 IN TYPE999 \\# 0", no_reason },
		{ "www A 192.0.2.1", no_reason },
		{ "@ A 192.0.2.1", no_reason },
	};
	struct rr_fields f;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		assert_true(rrlint_split(cases[i].text, &f));
		bool found = rrlint_explain(&f, N("example.com."), err, sizeof(err));
		if (found != (cases[i].reason != NULL) ||
		    (found && strstr(err, cases[i].reason) == NULL))
			fail_msg("\"%.50s\": %d \"%s\"", cases[i].text, found, err);
	}
	(void)state;
}

/* Checks text as ldns read it; NULL when it passes, else the reason. */
static const char *ranges(const char *text)
{
	static char err[256];
	struct rr_fields f;
	ldns_rr *rr = NULL;
	assert_true(rrlint_split(text, &f));
	assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
	err[0] = 0;
	bool ok = rrlint_ranges(&f, rr, err, sizeof(err));
	ldns_rr_free(rr);
	return ok ? NULL : err;
}

static void test_ranges(void **state)
{
	assert_null(ranges("x. 300 IN MX 65535 mx."));
	assert_string_equal(ranges("x. 300 IN MX 65536 mx."), "value 65536 is out of range (0-65535)");
	assert_string_equal(ranges("x. 300 IN MX 70000 mx."), "value 70000 is out of range (0-65535)");
	assert_null(ranges("x. 300 IN CAA 255 issue \"ca\""));
	assert_string_equal(ranges("x. 300 IN CAA 256 issue \"ca\""), "value 256 is out of range (0-255)");
	assert_null(ranges("x. 300 IN SOA a. b. 4294967295 1 2 3 4"));
	assert_string_equal(ranges("x. 300 IN SOA a. b. 1 1 2 3 4294967296"),
	                    "time value 4294967296 is out of range");
	assert_string_equal(ranges("x. 4294967296 IN A 192.0.2.1"), "TTL 4294967296 is out of range");
	assert_null(ranges("x. 1w IN A 192.0.2.1"));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_period),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
