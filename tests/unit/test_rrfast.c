/* Unit tests for the fast record parser: which lines it takes, which it leaves to ldns, and
 * that both paths give the same bytes, TTL and owner for every line it takes. */
#include "tests/unit/unit.h"
#include "shared/dns/rrfast.h"

/* Lines the fast path parses; ldns must agree byte for byte. */
static const char *const taken[] = {
	"www 300 IN A 192.0.2.1",
	"www IN 300 A 192.0.2.1",
	"WWW.Example.COM. 1h in a 10.0.0.1",
	"v6 AAAA 2001:DB8:0:0::1",
	"v4mapped AAAA ::ffff:192.0.2.1",
	"@ NS ns1",
	"@ NS NS2.Example.NET.",
	" NS ns3",
	"alias CNAME .",
	"alias2 CNAME @",
	"1.2 PTR host.example.net.",
	"d DNAME Other.Example.",
	"@ MX 10 mx1",
	"@ MX 65535 mx2.example.org.",
	"@ MX 0 .",
	"t TXT plain",
	"t TXT \"hello world\" \"\" two",
	"t TXT \"\\065\\066C\" \"q\\\"uote\" back\\\\slash",
	"t TXT \"255 \\255 \\000 end\"",
	"@ SOA ns1 hostmaster 2024010101 3600 900 1209600 60",
	"@ SOA ns1.example.com. Host.Master 1 1h30m 15M 2W 1D",
	"_sip._tcp SRV 0 0 0 .",
	"_sip._tcp SRV 10 60 5060 sip",
	"x 4294967295 A 192.0.2.1",
	"x 0 A 192.0.2.1",
	"*.wild A 192.0.2.5",
	"under_score TXT x",
};

/* Lines the fast path leaves to ldns (which may accept or refuse them). */
static const char *const declined[] = {
	"h HINFO PC Linux",
	"\"x(m \" MX 0 .",                 /* a quoted owner: only character-strings are quoted */
	"x MX 10 \"mx\"",
	"x TYPE1 \\# 4 c0000201",
	"x A \\# 4 c0000201",
	"x 300 CH A 192.0.2.1",
	"x A 192.0.2.1 extra",
	"x A 192.0.2.256",
	"x AAAA 192.0.2.1",
	"x MX 65536 mx",
	"x MX mx",
	"x SRV 1 2 mx",
	"x SOA ns1 hostmaster 1 2 3 4",
	"x SOA ns1 hostmaster 1 2 3 4 99999999999",
	"x 4294967296 A 192.0.2.1",
	"@x A 192.0.2.1",
	"a\\.b A 192.0.2.1",
	"x TXT \"unterminated",
	"x TXT a\"b",
	"x TXT \"\\999\"",
	"x",
	"x 300 IN",
	"x 300 IN BOGUS 1",
	"x TXT a;b",
	"x SRV 1 2 3 (t)",
	"x(y A 192.0.2.1",
};

/* rr_parse with the fast path (fast) and without (slow): the same result, record and TTL state. */
static void expect_same(struct rr_parser *fast, struct rr_parser *slow, const char *line)
{
	struct rr a, b;
	char ea[256] = "", eb[256] = "", ha[2 * 4096 + 1];
	int ra = rr_parse(fast, line, &a, ea, sizeof(ea));
	int rb = rr_parse(slow, line, &b, eb, sizeof(eb));
	if (ra != rb)
		fail_msg("\"%s\": %d \"%s\" with the fast path, %d \"%s\" without", line, ra, ea, rb,
		         eb);
	if (ra != 0)
		return;
	snprintf(ha, sizeof(ha), "%s", unit_hex(a.rdata, a.rdlen));
	if (a.type != b.type || a.ttl != b.ttl || !dname_equal(a.owner, b.owner) ||
	    strcmp(ha, unit_hex(b.rdata, b.rdlen)) != 0)
		fail_msg("\"%s\": fast type %u ttl %u rdata %s; ldns type %u ttl %u rdata %s", line,
		         a.type, a.ttl, ha, b.type, b.ttl, unit_hex(b.rdata, b.rdlen));
	assert_int_equal(fast->ttl_absent, slow->ttl_absent);
	assert_int_equal(fast->last_ttl, slow->last_ttl);
}

/* Each line through expect_same; with must_take, each must be one the fast path parses. */
static void expect_lines(const char *const *lines, size_t n, bool must_take)
{
	struct arena af, as, ap;
	struct rr_parser fast, slow, probe;
	struct rr rr;
	unit_parser(&fast, &af, "example.com.");
	unit_parser(&slow, &as, "example.com.");
	unit_parser(&probe, &ap, "example.com.");
	slow.no_fast = true;
	for (size_t i = 0; i < n; i++) {
		if (must_take && !rrfast_parse(&probe, lines[i], &rr))
			fail_msg("fast path declined \"%s\"", lines[i]);
		expect_same(&fast, &slow, lines[i]);
	}
	unit_parser_free(&fast, &af);
	unit_parser_free(&slow, &as);
	unit_parser_free(&probe, &ap);
}

static void test_same_bytes_as_ldns(void **state)
{
	expect_lines(taken, sizeof(taken) / sizeof(taken[0]), true);
	(void)state;
}

/*
 * Through rr_parse, with and without the fast path: the same answer for every line, also for
 * those the fast path should leave alone. A ';' starts a comment and parentheses group for
 * ldns; taken as name or string characters they gave other bytes (or accepted what ldns
 * refuses) until the fast path learnt to decline them.
 */
static const char *const both_ways[] = {
	"www TXT a;b",
	"www TXT a ;comment",
	"www MX 10 mx;x",
	"www NS n(s",
	"www SRV 1 2 3 (t)",
	"www A 192.0.2.1;x",
	"a(b NS ns",
	"a;b NS ns",
	"www TXT \\;x",
	"www TXT a\\;b",
	"www TXT \\(a",
	"www TXT \"a;b\" \"(c)\"",
};

static void test_same_answer_both_ways(void **state)
{
	expect_lines(both_ways, sizeof(both_ways) / sizeof(both_ways[0]), false);
	(void)state;
}

static void test_declines(void **state)
{
	struct arena a;
	struct rr_parser p;
	struct rr rr;
	unit_parser(&p, &a, "example.com.");
	for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
		if (rrfast_parse(&p, declined[i], &rr))
			fail_msg("fast path took \"%s\"", declined[i]);
	/* A blank owner before any record: no previous owner to use. */
	assert_false(rrfast_parse(&p, " A 192.0.2.1", &rr));
	unit_parser_free(&p, &a);
	/* Without an origin everything goes to ldns, which can say why a name is relative. */
	unit_parser(&p, &a, NULL);
	assert_false(rrfast_parse(&p, "www.example.com. 300 A 192.0.2.1", &rr));
	unit_parser_free(&p, &a);
	(void)state;
}

static void test_txt_limits(void **state)
{
	char line[1200];
	struct arena a;
	struct rr_parser p;
	struct rr rr;
	unit_parser(&p, &a, "example.com.");
	/* 255 octets is the largest character-string; 256 goes to ldns. */
	memcpy(line, "t TXT ", 6);
	memset(line + 6, 'x', 255);
	line[6 + 255] = 0;
	assert_true(rrfast_parse(&p, line, &rr));
	assert_int_equal(rr.rdlen, 256);
	assert_int_equal(rr.rdata[0], 255);
	line[6 + 255] = 'x';
	line[6 + 256] = 0;
	assert_false(rrfast_parse(&p, line, &rr));
	unit_parser_free(&p, &a);
	(void)state;
}

/* The previous owner carries across paths: fast, then ldns, then fast with a blank owner. */
static void test_previous_owner_across_paths(void **state)
{
	struct arena a;
	struct rr_parser p;
	struct rr rr;
	char err[256];
	unit_parser(&p, &a, "example.com.");
	assert_int_equal(rr_parse(&p, "one 300 A 192.0.2.1", &rr, err, sizeof(err)), 0);
	assert_int_equal(rr_parse(&p, " HINFO a b", &rr, err, sizeof(err)), 0);
	assert_true(dname_equal(rr.owner, N("one.example.com.")));
	assert_int_equal(rr_parse(&p, "Two HINFO a b", &rr, err, sizeof(err)), 0);
	assert_int_equal(rr_parse(&p, " A 192.0.2.2", &rr, err, sizeof(err)), 0);
	assert_true(dname_equal(rr.owner, N("two.example.com.")));
	assert_int_equal(rr.owner[1], 't');    /* lower case, as stored */
	assert_int_equal(rr_parse(&p, "three A 192.0.2.3", &rr, err, sizeof(err)), 0);
	assert_int_equal(rr_parse(&p, " HINFO a b", &rr, err, sizeof(err)), 0);
	assert_true(dname_equal(rr.owner, N("three.example.com.")));
	unit_parser_free(&p, &a);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes_as_ldns),
		cmocka_unit_test(test_same_answer_both_ways),
		cmocka_unit_test(test_declines),
		cmocka_unit_test(test_txt_limits),
		cmocka_unit_test(test_previous_owner_across_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
