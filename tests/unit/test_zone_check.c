/* Unit tests for the zone validation rules: per record, per RRset and per name. */
#include "tests/unit/unit.h"
#include "shared/store/zone_check.h"

/*
 * Checks text (relative to example.com.) with zone_check_rr, with the TTL and type replaced
 * when ttl and type are not 0 and -1; returns the result, the message in msg.
 */
static int check_rr(const char *text, uint32_t ttl, int type, char *msg, size_t len)
{
	struct arena a;
	struct rr_parser p;
	struct rr rr;
	struct diag d;
	char err[256];
	unit_parser(&p, &a, "example.com.");
	if (rr_parse(&p, text, &rr, err, sizeof(err)) != 0)
		fail_msg("\"%s\": %s", text, err);
	if (ttl)
		rr.ttl = ttl;
	if (type >= 0)
		rr.type = (uint16_t)type;
	rr.file = "z.zone";
	rr.line = 7;
	diag_init(&d);
	int rc = zone_check_rr(&rr, N("example.com."), &d);
	assert_int_equal(d.n, rc ? 1 : 0);
	assert_int_equal(d.errors, d.n);
	snprintf(msg, len, "%s", d.n ? d.v[0].text : "");
	if (d.n) {
		assert_string_equal(d.v[0].file, "z.zone");
		assert_int_equal(d.v[0].line, 7);
	}
	diag_free(&d);
	unit_parser_free(&p, &a);
	return rc;
}

static void test_rr(void **state)
{
	static const char unknown[] = "x TYPE65280 \\# 0";
	static const struct { const char *text; uint32_t ttl; int type; const char *msg; } cases[] = {
		{ "www A 192.0.2.1", 0, -1, NULL },
		{ "www A 192.0.2.1", TTL_MAX, -1, NULL },
		{ "www A 192.0.2.1", TTL_MAX + 1, -1, "TTL 2147483648 is above 2147483647 (RFC 2181)" },
		{ "www.example.org. A 192.0.2.1", 0, -1,
		  "www.example.org. is outside the zone example.com." },
		{ "com. A 192.0.2.1", 0, -1, "com. is outside the zone example.com." },
		{ "@ SOA ns1 hostmaster 1 2 3 4 5", 0, -1, NULL },
		{ "www SOA ns1 hostmaster 1 2 3 4 5", 0, -1,
		  "SOA at www.example.com. is not at the zone apex" },
		{ unknown, 0, 255, "type ANY cannot be stored in a zone" },
		{ unknown, 0, 252, "type AXFR cannot be stored in a zone" },
		{ unknown, 0, 251, "type IXFR cannot be stored in a zone" },
		{ unknown, 0, 41, "type OPT cannot be stored in a zone" },
		{ unknown, 0, 0, "type TYPE0 cannot be stored in a zone" },
		{ unknown, 0, 253, "cannot be stored in a zone" },
		{ unknown, 0, 254, "cannot be stored in a zone" },
		{ unknown, 0, -1, NULL },
		{ unknown, 0, 250, NULL },           /* TSIG is refused elsewhere, not here */
		{ "@ TYPE65280 \\# 3 000000", 0, 6, "malformed SOA data" },
	};
	char msg[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = check_rr(cases[i].text, cases[i].ttl, cases[i].type, msg, sizeof(msg));
		if ((rc != 0) != (cases[i].msg != NULL) || (rc && strstr(msg, cases[i].msg) == NULL))
			fail_msg("\"%s\": %d \"%s\"", cases[i].text, rc, msg);
	}
	(void)state;
}

/* zone_check_rrset on records of type at www.example.com.; the messages joined with '|'. */
static const char *check_rrset(uint16_t type, const struct rdata *rd, size_t n, size_t *errors)
{
	static char out[1024];
	struct diag d;
	diag_init(&d);
	zone_check_rrset(N("www.example.com."), type, rd, n, &d);
	out[0] = 0;
	for (size_t i = 0; i < d.n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s:%u %s", i ? "|" : "",
		         d.v[i].sev == DIAG_ERROR ? "E" : "W", d.v[i].line, d.v[i].text);
	*errors = d.errors;
	diag_free(&d);
	return out;
}

#define RD(bytes, line) { (const uint8_t *)(bytes), "f", line, sizeof(bytes) - 1 }

static void test_rrset(void **state)
{
	size_t errors;
	const struct rdata mx[] = { RD("\0\12\2mx\7example\3com\0", 1),
	                            RD("\0\24\4bad_\7example\3com\0", 2) };
	assert_string_equal(check_rrset(15, mx, 2, &errors),
	                    "W:2 MX target bad_.example.com. of www.example.com. is not a valid host name");
	assert_int_equal(errors, 0);
	const struct rdata null_mx[] = { RD("\0\0\0", 1), RD("\0\12\2mx\0", 2) };
	assert_string_equal(check_rrset(15, null_mx, 1, &errors), "");
	assert_string_equal(check_rrset(15, null_mx, 2, &errors),
	                    "E:1 a null MX (RFC 7505) at www.example.com. must be the only MX record");
	const struct rdata ns[] = { RD("\0", 3), RD("\3ns1\0", 4), RD("\3ns", 5) };
	assert_string_equal(check_rrset(2, ns, 3, &errors),
	                    "E:3 NS at www.example.com. points at the root|"
	                    "E:5 malformed NS data at www.example.com.");
	assert_int_equal(errors, 2);
	const struct rdata short_mx[] = { RD("\0\1", 6) };
	assert_string_equal(check_rrset(15, short_mx, 1, &errors),
	                    "E:6 malformed MX data at www.example.com.");
	/* Singletons: the second record is the one named. */
	const struct rdata two[] = { RD("\1a\0", 8), RD("\1b\0", 9) };
	assert_string_equal(check_rrset(5, two, 2, &errors), "E:9 a second CNAME record at www.example.com.");
	assert_string_equal(check_rrset(39, two, 2, &errors), "E:9 a second DNAME record at www.example.com.");
	assert_string_equal(check_rrset(5, two, 1, &errors), "");
	/* Other types are not looked into. */
	assert_string_equal(check_rrset(16, ns, 3, &errors), "");
	assert_string_equal(check_rrset(12, two, 2, &errors), "");
	(void)state;
}

static void test_rrset_limit(void **state)
{
	size_t n = RRSET_MAX_RECORDS + 1, errors;
	struct rdata *rd = calloc(n, sizeof(*rd));
	for (size_t i = 0; i < n; i++)
		rd[i] = (struct rdata){ (const uint8_t *)"\1\2\3\4", "big.zone", 1, 4 };
	assert_string_equal(check_rrset(1, rd, n, &errors),
	                    "E:1 65536 records in one RRset at www.example.com. (limit 65535)");
	assert_string_equal(check_rrset(1, rd, n - 1, &errors), "");
	free(rd);
	(void)state;
}

static void test_name(void **state)
{
	static const struct { uint16_t types[4]; size_t n; bool error; } cases[] = {
		{ { 5 }, 1, false },
		{ { 5, 46, 47 }, 3, false },          /* RFC 4035 2.5 */
		{ { 1, 5 }, 2, true },
		{ { 5, 16, 46 }, 3, true },
		{ { 1, 28, 16 }, 3, false },
		{ { 0 }, 0, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct diag d;
		diag_init(&d);
		zone_check_name(N("alias.example.com."), cases[i].types, cases[i].n, "f", 4, &d);
		assert_int_equal(d.errors, cases[i].error ? 1 : 0);
		if (cases[i].error) {
			assert_string_equal(d.v[0].text,
			                    "CNAME at alias.example.com. beside other data (RFC 1034 3.6.2)");
			assert_int_equal(d.v[0].line, 4);
		}
		diag_free(&d);
	}
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr),
		cmocka_unit_test(test_rrset),
		cmocka_unit_test(test_rrset_limit),
		cmocka_unit_test(test_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
