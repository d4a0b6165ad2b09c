/* Unit tests for a summary row's JSON text (tlsrpt_row): equal details summed in the order
 * they first appear, strings escaped so jansson reads back what was written, text that is not
 * UTF-8 never written. */
#include "tests/unit/unit.h"
#include <jansson.h>
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_row.h"

static void detail(struct tlsrpt_policy *p, const char *type, const char *mx, const char *ip,
                   uint64_t n)
{
	struct tlsrpt_detail *d = &p->details[p->ndetails++];
	memset(d, 0, sizeof(*d));
	snprintf(d->result_type, sizeof(d->result_type), "%s", type);
	snprintf(d->receiving_mx, sizeof(d->receiving_mx), "%s", mx);
	snprintf(d->sending_ip, sizeof(d->sending_ip), "%s", ip);
	d->count = n;
}

static json_t *format(const char *org, struct tlsrpt_policy *p, int64_t version)
{
	char *text;
	size_t len;
	assert_int_equal(tlsrpt_row_format(org, p, version, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	json_error_t err;
	json_t *row = json_loadb(text, len, 0, &err);
	if (row == NULL)
		fail_msg("'%s': %s", text, err.text);
	free(text);
	return row;
}

static void test_sums_in_first_order(void **state)
{
	struct tlsrpt_detail v[8];
	struct tlsrpt_policy p = { .type = "sts", .success = 7, .failure = 9, .details = v };
	detail(&p, "validation-failure", "mx2.example.com", "192.0.2.2", 2);
	detail(&p, "certificate-expired", "mx1.example.com", "192.0.2.1", 0);
	detail(&p, "validation-failure", "mx2.example.com", "192.0.2.2", 3);
	detail(&p, "validation-failure", "mx2.example.com", "192.0.2.9", 1);
	detail(&p, "certificate-expired", "mx1.example.com", "192.0.2.1", 4);
	json_t *row = format("Org", &p, 3);
	char *text = json_dumps(row, JSON_COMPACT);
	assert_string_equal(text, "{\"org\":\"Org\",\"type\":\"sts\",\"version\":3,\"success\":7,"
	                    "\"failure\":9,\"details\":["
	                    "{\"type\":\"validation-failure\",\"mx\":\"mx2.example.com\","
	                    "\"ip\":\"192.0.2.2\",\"count\":5},"
	                    "{\"type\":\"certificate-expired\",\"mx\":\"mx1.example.com\","
	                    "\"ip\":\"192.0.2.1\",\"count\":4},"
	                    "{\"type\":\"validation-failure\",\"mx\":\"mx2.example.com\","
	                    "\"ip\":\"192.0.2.9\",\"count\":1}]}");
	free(text);
	json_decref(row);
}

static void test_unknown_version_no_details(void **state)
{
	struct tlsrpt_policy p = { .type = "no-policy-found", .success = 1 };
	json_t *row = format("o", &p, -1);
	assert_true(json_is_null(json_object_get(row, "version")));
	assert_int_equal(json_array_size(json_object_get(row, "details")), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "success")), 1);
	json_decref(row);
}

static void test_escapes(void **state)
{
	struct tlsrpt_detail v[2];
	struct tlsrpt_policy p = { .type = "sts", .details = v };
	const char *org = "A \"quoted\" \\ org\twith\x01 control, caf\xc3\xa9 / \xf0\x9f\x93\xa7";
	detail(&p, "x\ny", "mx.example", "\x7f", 1);
	json_t *row = format(org, &p, 0);
	assert_string_equal(json_string_value(json_object_get(row, "org")), org);
	json_t *d = json_array_get(json_object_get(row, "details"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "type")), "x\ny");
	assert_string_equal(json_string_value(json_object_get(d, "ip")), "\x7f");
	json_decref(row);
}

static void test_not_utf8(void **state)
{
	struct tlsrpt_detail v[4];
	struct tlsrpt_policy p = { .type = "sts", .details = v };
	char *text;
	size_t len;
	/* A multi-byte character cut by the parser's fixed fields is left out, as jansson did. */
	detail(&p, "ok", "mx.example", "192.0.2.1", 1);
	detail(&p, "cut\xc3", "mx.example", "192.0.2.1", 1);
	detail(&p, "ok", "mx.example", "\xed\xa0\x80", 1);        /* a surrogate */
	detail(&p, "ok", "\xc0\xaf", "192.0.2.1", 1);             /* overlong */
	json_t *row = format("o", &p, 1);
	assert_int_equal(json_array_size(json_object_get(row, "details")), 1);
	json_decref(row);
	assert_int_equal(tlsrpt_row_format("o\xff", &p, 1, &text, &len), LS_EPARSE);
	strcpy(p.type, "st\xe2\x82");
	assert_int_equal(tlsrpt_row_format("o", &p, 1, &text, &len), LS_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sums_in_first_order),
		cmocka_unit_test(test_unknown_version_no_details),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_not_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
