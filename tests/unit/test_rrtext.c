/* Unit tests for records in presentation format: each type parsed and formatted, TTL rules,
 * origins, type names, and the reasons given for refusals. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"

struct fmt_case {
	const char *line;
	const char *format;   /* rr_format of the parsed record */
	const char *rdata;    /* hex, or NULL when the format says enough */
};

/* One record of each type, in the order of a file (blank owner = previous owner; no TTL = last). */
static const struct fmt_case types[] = {
	{ "www 300 IN A 192.0.2.1", "www.example.com.\t300\tIN\tA\t192.0.2.1", "c0000201" },
	{ "www IN 300 A 192.0.2.9", "www.example.com.\t300\tIN\tA\t192.0.2.9", "c0000209" },
	{ "v6 AAAA 2001:DB8::1", "v6.example.com.\t300\tIN\tAAAA\t2001:db8::1",
	  "20010db8000000000000000000000001" },
	{ "@ 600 NS NS1.Example.COM.", "example.com.\t600\tIN\tNS\tns1.example.com.",
	  "036e7331076578616d706c6503636f6d00" },
	{ "alias CNAME www", "alias.example.com.\t600\tIN\tCNAME\twww.example.com.", NULL },
	{ "1.2 PTR host.example.net.", "1.2.example.com.\t600\tIN\tPTR\thost.example.net.", NULL },
	{ "d DNAME Other.Example.", "d.example.com.\t600\tIN\tDNAME\tother.example.",
	  "056f74686572076578616d706c6500" },
	{ "@ MX 10 MX1", "example.com.\t600\tIN\tMX\t10 mx1.example.com.",
	  "000a036d7831076578616d706c6503636f6d00" },
	{ "null MX 0 .", "null.example.com.\t600\tIN\tMX\t0 .", "000000" },
	{ "t TXT \"hello world\" plain \"\\065\\\"q\"",
	  "t.example.com.\t600\tIN\tTXT\t\"hello world\" \"plain\" \"A\\\"q\"",
	  "0b68656c6c6f20776f726c6405706c61696e03412271" },
	{ "@ 1h SOA ns1 hostmaster 2024010101 1h 15m 2w 1d",
	  "example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 3600 "
	  "900 1209600 86400",
	  "036e7331076578616d706c6503636f6d000a686f73746d6173746572076578616d706c6503636f6d00"
	  "78a3f17500000e10000003840012750000015180" },
	{ "_sip._tcp SRV 10 60 5060 sip", "_sip._tcp.example.com.\t3600\tIN\tSRV\t10 60 5060 sip.example.com.",
	  "000a003c13c403736970076578616d706c6503636f6d00" },
	{ "h HINFO \"PC\" \"Linux\"", "h.example.com.\t3600\tIN\tHINFO\t\"PC\" \"Linux\"",
	  "025043054c696e7578" },
	{ "c CAA 0 issue \"letsencrypt.org\"", "c.example.com.\t3600\tIN\tCAA\t0 issue \"letsencrypt.org\"",
	  NULL },
	{ "s SSHFP 1 1 123456789abcdef67890123456789abcdef67890",
	  "s.example.com.\t3600\tIN\tSSHFP\t1 1 123456789abcdef67890123456789abcdef67890", NULL },
	{ " A 192.0.2.2", "s.example.com.\t3600\tIN\tA\t192.0.2.2", NULL },
	{ "x TYPE65280 \\# 3 010203", "x.example.com.\t3600\tIN\tTYPE65280\t\\# 3 010203", "010203" },
	{ "n NAPTR 100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
	  "n.example.com.\t3600\tIN\tNAPTR\t100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
	  NULL },
	{ "tl TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	  "tl.example.com.\t3600\tIN\tTLSA\t3 1 1 "
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL },
	{ "Abs.Example.ORG. 5 A 198.51.100.1", "abs.example.org.\t5\tIN\tA\t198.51.100.1", NULL },
};

static void test_types_parse_and_format(void **state)
{
	struct arena a;
	struct rr_parser p;
	unit_parser(&p, &a, "example.com.");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const struct fmt_case *c = &types[i];
		struct rr rr;
		char err[256] = "";
		if (rr_parse(&p, c->line, &rr, err, sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", c->line, err);
		assert_null(rr.file);
		assert_int_equal(rr.line, 0);
		char *s = rr_format(&rr);
		assert_non_null(s);
		if (strcmp(s, c->format) != 0)
			fail_msg("\"%s\" formats as \"%s\", want \"%s\"", c->line, s, c->format);
		free(s);
		if (c->rdata)
			assert_string_equal(unit_hex(rr.rdata, rr.rdlen), c->rdata);
	}
	unit_parser_free(&p, &a);
	(void)state;
}

struct refusal {
	const char *line;
	const char *reason;   /* a part of the message */
};

static const struct refusal refusals[] = {
	{ "www 300 CH A 192.0.2.1", "class CH is not supported (only IN)" },
	{ "www 300 IN A 192.0.2.300", "\"www 300 IN A 192.0.2.300\"" },
	{ "www 300 IN BOGUS 1", "unknown record type 'BOGUS'" },
	{ "www 300 IN", "no record type" },
	{ "@x A 192.0.2.1", "owner '@x': '@' stands alone for the origin" },
	{ "www 4294967296 A 192.0.2.1", "TTL 4294967296 is out of range" },
	{ "www 4294967295 A 192.0.2.1", NULL },    /* the largest TTL is only a zone-check matter */
	{ "@ MX 70000 mx", "value 70000 is out of range (0-65535)" },
	{ "_s._tcp SRV 1 65536 5060 sip", "value 65536 is out of range (0-65535)" },
	{ "c CAA 256 issue \"ca.example\"", "value 256 is out of range (0-255)" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.1",
	  "is longer than 63 octets" },
	{ "@ CNAME bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.", "is longer than 63 octets" },
	{ "www 300 IN A", "value expected" },
	{ "@ SOA ns1 hostmaster 1 1h 15m 2w 9999999999", "time value 9999999999 is out of range" },
	{ "www 300 IN MX 10", "value expected" },
};

static void test_refusals(void **state)
{
	struct arena a;
	struct rr_parser p;
	unit_parser(&p, &a, "example.com.");
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *c = &refusals[i];
		struct rr rr;
		char err[256] = "";
		int rc = rr_parse(&p, c->line, &rr, err, sizeof(err));
		if (c->reason == NULL) {
			assert_int_equal(rc, 0);
			continue;
		}
		if (rc != LS_EPARSE || strstr(err, c->reason) == NULL)
			fail_msg("\"%s\": rc %d, \"%s\"; want \"%s\"", c->line, rc, err, c->reason);
	}
	unit_parser_free(&p, &a);
	(void)state;
}

static void test_long_name_with_origin(void **state)
{
	/* Four labels of 60 fit alone (245 octets) but not behind example.com. */
	char line[400], label[61];
	memset(label, 'a', 60);
	label[60] = 0;
	snprintf(line, sizeof(line), "%s.%s.%s.%s A 192.0.2.1", label, label, label, label);
	struct arena a;
	struct rr_parser p;
	struct rr rr;
	char err[256] = "";
	unit_parser(&p, &a, "example.com.");
	assert_int_equal(rr_parse(&p, line, &rr, err, sizeof(err)), LS_EPARSE);
	assert_non_null(strstr(err, "longer than 255 octets with the origin"));
	unit_parser_free(&p, &a);
	(void)state;
}

/* The TTL of a record written without one: $TTL, else the last explicit TTL, else the fallback. */
static void test_ttl_defaults(void **state)
{
	struct arena a;
	struct rr_parser p;
	struct rr rr;
	char err[256];
	unit_parser(&p, &a, "example.com.");
	assert_int_equal(rr_parse(&p, "a A 192.0.2.1", &rr, err, sizeof(err)), 0);
	assert_int_equal(rr.ttl, 3600);
	assert_true(p.ttl_absent);
	assert_int_equal(rr_parse(&p, "b 1w2d A 192.0.2.1", &rr, err, sizeof(err)), 0);
	assert_int_equal(rr.ttl, 9 * 86400);
	assert_false(p.ttl_absent);
	assert_int_equal(rr_parse(&p, "c TXT x", &rr, err, sizeof(err)), 0);
	assert_int_equal(rr.ttl, 9 * 86400);
	assert_int_equal(rr_parse(&p, "c HINFO a b", &rr, err, sizeof(err)), 0);   /* ldns path */
	assert_int_equal(rr.ttl, 9 * 86400);
	assert_true(p.ttl_absent);
	p.dollar_ttl = 42;
	p.have_dollar_ttl = true;
	assert_int_equal(rr_parse(&p, "d HINFO a b", &rr, err, sizeof(err)), 0);   /* ldns path */
	assert_int_equal(rr.ttl, 42);
	assert_true(p.ttl_absent);
	assert_int_equal(rr_parse(&p, "e 0 HINFO a b", &rr, err, sizeof(err)), 0);
	assert_int_equal(rr.ttl, 0);
	unit_parser_free(&p, &a);
	(void)state;
}

static void test_origin(void **state)
{
	struct arena a;
	struct rr_parser p;
	struct rr rr;
	char err[256] = "";
	unit_parser(&p, &a, NULL);
	assert_null(rr_parser_origin(&p));
	assert_int_equal(rr_parse(&p, "www 300 A 192.0.2.1", &rr, err, sizeof(err)), LS_EPARSE);
	assert_string_equal(err, "relative name and no $ORIGIN to complete it");
	assert_int_equal(rr_parse(&p, "www.example.net. 300 MX 1 mx", &rr, err, sizeof(err)),
	                 LS_EPARSE);
	assert_int_equal(rr_parse(&p, "www.example.net. 300 MX 1 mx.example.net.", &rr, err,
	                          sizeof(err)), 0);
	assert_true(dname_equal(rr.owner, N("www.example.net.")));
	assert_int_equal(rr_parser_set_origin(&p, N("Example.NET.")), 0);
	assert_true(dname_equal(rr_parser_origin(&p), N("example.net.")));
	assert_int_equal(rr_parse(&p, "www 300 MX 1 mx", &rr, err, sizeof(err)), 0);
	assert_string_equal(unit_hex(rr.rdata, rr.rdlen), "0001026d78076578616d706c65036e657400");
	/* A blank owner is the previous record's. */
	assert_int_equal(rr_parse(&p, "\t300 A 192.0.2.7", &rr, err, sizeof(err)), 0);
	assert_true(dname_equal(rr.owner, N("www.example.net.")));
	assert_int_equal(rr_parser_set_origin(&p, NULL), 0);
	assert_null(rr_parser_origin(&p));
	/* A malformed origin (a label over 63 bytes; the buffer is a whole name's size) is refused. */
	static const uint8_t bad[DNAME_MAX] = { 64, 'a', 'b', 0 };
	assert_int_equal(rr_parser_set_origin(&p, bad), LS_EPARSE);
	unit_parser_free(&p, &a);
	(void)state;
}

static void test_type_names(void **state)
{
	static const struct { uint16_t type; const char *name; } names[] = {
		{ 1, "A" }, { 28, "AAAA" }, { 6, "SOA" }, { 33, "SRV" }, { 257, "CAA" },
		{ 65280, "TYPE65280" }, { 0, "TYPE0" }, { 255, "ANY" }, { 252, "AXFR" }, { 251, "IXFR" },
	};
	char buf[16];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_string_equal(rr_type_name(names[i].type, buf, sizeof(buf)), names[i].name);
		assert_int_equal(rr_type_parse(names[i].name), names[i].type);
	}
	/* Mnemonics in any case, RFC 3597 numbers, and what is neither (0). */
	static const struct { const char *text; uint16_t type; } parsed[] = {
		{ "aaaa", 28 }, { "type15", 15 }, { "TYPE65535", 65535 }, { "TYPE65536", 0 },
		{ "TYPE1x", 0 }, { "TYPE", 0 }, { "BOGUS", 0 },
	};
	for (size_t i = 0; i < sizeof(parsed) / sizeof(parsed[0]); i++)
		if (rr_type_parse(parsed[i].text) != parsed[i].type)
			fail_msg("\"%s\": %u", parsed[i].text, rr_type_parse(parsed[i].text));
	(void)state;
}

static void test_format_from_wire(void **state)
{
	static const uint8_t rd[] = { 0, 20, 3, 'm', 'x', '1', 0 };
	struct rr rr = { .owner = N("example.com."), .rdata = rd, .rdlen = sizeof(rd),
	                 .ttl = 86400, .type = 15 };
	char *s = rr_format(&rr);
	assert_string_equal(s, "example.com.\t86400\tIN\tMX\t20 mx1.");
	free(s);
	/* Unknown types come out in RFC 3597 form. */
	static const uint8_t raw[] = { 0xde, 0xad };
	struct rr unk = { .owner = N("x."), .rdata = raw, .rdlen = 2, .ttl = 1, .type = 65000 };
	s = rr_format(&unk);
	assert_string_equal(s, "x.\t1\tIN\tTYPE65000\t\\# 2 dead");
	free(s);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_parse_and_format),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_long_name_with_origin),
		cmocka_unit_test(test_ttl_defaults),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_format_from_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
