/* Unit tests for the intake's check of a TLS report (tlsrpt_shape): what it accepts is what
 * the full parser needs at the top, what it refuses says why, and it never reads past len. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_gzip.h"
#include "shared/rpt/tlsrpt_parse.h"
#include "shared/rpt/tlsrpt_shape.h"

#define MIB (1u << 20)
#define HEAD "{\"organization-name\":\"o\",\"report-id\":\"r\",\"date-range\":" \
             "{\"start-datetime\":\"2026-01-01T00:00:00Z\"},"

static void expect(const char *json, int want, const char *why_part)
{
	char why[200];
	/* A copy exactly len long, so a read past the end shows under the sanitizers. */
	size_t len = strlen(json);
	char *copy = malloc(len ? len : 1);
	memcpy(copy, json, len);
	int rc = tlsrpt_shape_json(copy, len, why, sizeof(why));
	free(copy);
	if (rc != want)
		fail_msg("'%.60s': %d (%s), expected %d", json, rc, why, want);
	if (why_part && strstr(why, why_part) == NULL)
		fail_msg("'%.60s': why '%s' lacks '%s'", json, why, why_part);
}

static void test_samples(void **state)
{
	const char *names[] = { "google.json", "microsoft.json", "rfc8460.json", "small.json" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[256], *json, why[200];
		size_t len;
		struct tlsrpt_report *r;
		snprintf(path, sizeof(path), "tests/data/tlsrpt/%s", names[i]);
		assert_int_equal(file_read(path, MIB, 0, &json, &len), 0);
		assert_int_equal(tlsrpt_parse(json, len, &r, why, sizeof(why)), 0);
		tlsrpt_report_free(r);
		if (tlsrpt_shape_json(json, len, why, sizeof(why)) != 0)
			fail_msg("%s: %s", names[i], why);
		/* Cut anywhere: never accepted (the object is not closed). */
		for (size_t cut = 0; cut < len - 2; cut += 7)
			assert_int_equal(tlsrpt_shape_json(json, cut, why, sizeof(why)), LS_EPARSE);
		free(json);
	}
}

static void test_syntax(void **state)
{
	expect(HEAD "\"policies\":[{}]}", 0, NULL);
	expect(" \r\n" HEAD "\"policies\":[1, -0.5e+3, true, false, null, \"\\u00e9\\n\"]}\n", 0,
	       NULL);
	expect("", LS_EPARSE, "not a JSON object");
	expect("hello", LS_EPARSE, "not a JSON object");
	expect("[1]", LS_EPARSE, "not a JSON object");
	expect("{\"a\": tru", LS_EPARSE, "not JSON");
	expect(HEAD "\"policies\":[1]} x", LS_EPARSE, "text after");
	expect(HEAD "\"policies\":[1,]}", LS_EPARSE, "not JSON");
	expect(HEAD "\"policies\":[01]}", LS_EPARSE, "not JSON");
	expect(HEAD "\"policies\":[1.]}", LS_EPARSE, "bad number");
	expect(HEAD "\"policies\":[\"\\x\"]}", LS_EPARSE, "bad escape");
	expect(HEAD "\"policies\":[\"\\u12g4\"]}", LS_EPARSE, "\\u");
	expect(HEAD "\"policies\":[\"a\tb\"]}", LS_EPARSE, "control character");
	expect(HEAD "\"policies\":[\"abc", LS_EPARSE, "unterminated");
	expect(HEAD "\"policies\" [1]}", LS_EPARSE, "':'");
	expect("{\"organization-name\":\"o\" \"report-id\":\"r\"}", LS_EPARSE, "','");
}

/* Strings are passed 8 bytes at a time: a special byte at every place in and around a word is
 * still seen, and bytes of 0x80 and up (UTF-8), 0x7f and ' ' are plain content. */
static void test_string_words(void **state)
{
	static const struct {
		const char *at;
		int want;
		const char *why;
	} cases[] = {
		{ "\x01", LS_EPARSE, "control character" }, { "\x1f", LS_EPARSE, "control character" },
		{ "\\\"", 0, NULL }, { "\\u00e9", 0, NULL }, { "\\q", LS_EPARSE, "bad escape" },
		{ "\xc3\xa9\x7f \xff", 0, NULL },
	};
	char json[256];
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int before = 0; before < 20; before++)
			for (int after = 0; after < 10; after += 3) {
				snprintf(json, sizeof(json), HEAD "\"policies\":[\"%.*s%s%.*s\"]}", before,
				         "abcdefghijklmnopqrstuvwxyz", cases[c].at, after, "0123456789");
				expect(json, cases[c].want, cases[c].why);
			}
	/* An unterminated string ending at each place of a word. */
	for (int n = 0; n < 20; n++) {
		snprintf(json, sizeof(json), HEAD "\"policies\":[\"%.*s", n,
		         "abcdefghijklmnopqrstuvwxyz");
		expect(json, LS_EPARSE, "unterminated");
	}
}

static void test_members(void **state)
{
	expect("{\"report-id\":\"r\"}", LS_EPARSE, "no organization-name");
	expect("{\"organization-name\":\"\",\"report-id\":\"r\",\"date-range\":{},"
	       "\"policies\":[1]}", LS_EPARSE, "no organization-name");
	expect("{\"organization-name\":\"o\",\"report-id\":7,\"date-range\":{},"
	       "\"policies\":[1]}", LS_EPARSE, "no report-id");
	expect("{\"organization-name\":\"o\",\"report-id\":\"r\",\"date-range\":\"x\","
	       "\"policies\":[1]}", LS_EPARSE, "no date-range");
	expect(HEAD "\"policies\":[ ]}", LS_EPARSE, "no policies");
	expect(HEAD "\"policies\":{}}", LS_EPARSE, "no policies");
	/* Only the top level counts: the same names deeper down do not. */
	expect("{\"x\":{\"organization-name\":\"o\",\"report-id\":\"r\",\"date-range\":{},"
	       "\"policies\":[1]}}", LS_EPARSE, "no organization-name");
}

static void test_deep(void **state)
{
	char why[200];
	size_t n = 10000;
	char *deep = malloc(2 * n + 2);
	/* An object holding 10,000 levels of arrays: refused at the limit, no stack overflow. */
	deep[0] = '{';
	memcpy(deep + 1, "\"a\":", 4);
	memset(deep + 5, '[', n - 5);
	memset(deep + n, ']', n - 5);
	deep[2 * n - 5] = '}';
	assert_int_equal(tlsrpt_shape_json(deep, 2 * n - 4, why, sizeof(why)), LS_EPARSE);
	assert_non_null(strstr(why, "nested deeper"));
	free(deep);
}

static void test_gzip_body(void **state)
{
	const char *json = HEAD "\"policies\":[{}]}";
	uint8_t *gz, *zeros;
	size_t glen, zlen;
	char why[200];
	assert_int_equal(tlsrpt_gzip_deflate((const uint8_t *)json, strlen(json), &gz, &glen), 0);
	assert_int_equal(tlsrpt_shape_check(gz, glen, MIB, why, sizeof(why)), 0);
	assert_int_equal(tlsrpt_shape_check(gz, glen - 4, MIB, why, sizeof(why)), LS_EPARSE);
	assert_non_null(strstr(why, "gzip"));
	free(gz);
	/* 4 MiB of zeros: over 100 times its compressed size, stopped. */
	assert_non_null(zeros = calloc(1, 4 * MIB));
	assert_int_equal(tlsrpt_gzip_deflate(zeros, 4 * MIB, &gz, &glen), 0);
	assert_int_equal(tlsrpt_shape_check(gz, glen, 32 * MIB, why, sizeof(why)), LS_ETOOBIG);
	free(gz);
	free(zeros);
	zlen = strlen(json);
	assert_int_equal(tlsrpt_shape_check((const uint8_t *)json, zlen, zlen - 1, why, sizeof(why)),
	                 LS_ETOOBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_string_words),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_gzip_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
