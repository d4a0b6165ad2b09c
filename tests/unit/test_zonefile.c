/* Unit tests for the master-file reader: entries, directives, line numbers, $INCLUDE confinement. */
#include <sys/stat.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/dns/zonefile.h"

static int read_text(struct zonefile *zf, struct diag *d, const char *text, const char *origin)
{
	zonefile_init(zf);
	diag_init(d);
	return zonefile_read_mem(zf, "t.zone", text, strlen(text), origin ? N(origin) : NULL, 3600, d);
}

static int read_file(struct zonefile *zf, struct diag *d, const char *path, const char *origin)
{
	zonefile_init(zf);
	diag_init(d);
	return zonefile_read(zf, path, origin ? N(origin) : NULL, 3600, d);
}

static void done(struct zonefile *zf, struct diag *d)
{
	zonefile_free(zf);
	diag_free(d);
}

static void test_entries(void **state)
{
	struct zonefile zf;
	struct diag d;
	const char *text =
		"$ORIGIN example.com.\n"
		"$TTL 1h\n"
		"@ IN SOA ns1 hostmaster ( 1 ; serial\n"
		"   3600 900 ; refresh retry\n"
		"   1209600 300 )\n"
		"\tIN NS ns1\n"                        /* blank owner: the previous one */
		"txt 60 IN TXT \"a ; b\" \"(c)\"\n"     /* ; and ( inside quotes */
		"x IN A 192.0.2.1\n"                   /* no TTL: $TTL */
		"unk IN TYPE65000 \\# 2 abcd\n"
		"$ORIGIN sub.example.com.\n"
		"y 5 IN AAAA 2001:db8::1\n"
		"z IN A 192.0.2.2"; /* no final newline; no TTL: $TTL still */
	assert_int_equal(read_text(&zf, &d, text, NULL), 0);
	assert_int_equal(zf.n, 7);
	assert_true(zf.have_apex);
	assert_true(dname_equal(zf.apex, N("example.com.")));
	assert_int_equal(zf.rr[0].type, 6);
	assert_int_equal(zf.rr[0].line, 3);
	assert_int_equal(zf.rr[1].type, 2);
	assert_true(dname_equal(zf.rr[1].owner, N("example.com.")));
	assert_int_equal(zf.rr[1].line, 6);
	assert_int_equal(zf.rr[2].ttl, 60);
	assert_int_equal(zf.rr[3].ttl, 3600);
	assert_int_equal(zf.rr[4].type, 65000);
	assert_int_equal(zf.rr[4].rdlen, 2);
	assert_true(dname_equal(zf.rr[5].owner, N("y.sub.example.com.")));
	assert_int_equal(zf.rr[6].ttl, 3600);
	assert_int_equal(zf.rr[6].line, 12);
	done(&zf, &d);
}

static void test_errors_with_lines(void **state)
{
	struct zonefile zf;
	struct diag d;
	const char *text =
		"@ 300 IN SOA ns1 hostmaster 1 2 3 4 5\n"
		"a IN A 300.1.1.1\n"
		"$BOGUS x\n"
		"b ( IN A\n"
		"  192.0.2.1 ) )\n"
		"c IN TXT \"open\n"
		"d IN A 192.0.2.1\n";
	assert_int_equal(read_text(&zf, &d, text, "example.com."), LS_EPARSE);
	assert_int_equal(d.errors, 4);
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[1].line, 3);
	assert_int_equal(d.v[2].line, 5);   /* the extra ')' */
	assert_int_equal(d.v[3].line, 6);
	assert_non_null(strstr(d.v[3].text, "unterminated"));
	/* The good lines still parsed, so validation can report on them too. */
	assert_int_equal(zf.n, 2);
	assert_int_equal(zf.rr[1].line, 7);
	done(&zf, &d);

	/* One error each: the text, its origin, the line and a part of the message. */
	static const struct { const char *text, *origin; unsigned line; const char *msg; } one[] = {
		{ "a IN ( A 192.0.2.1\n", "example.com.", 1, "never closed" },
		/* Relative names need an origin: ldns alone would complete them with the root. */
		{ "a 1 IN A 192.0.2.1\n", NULL, 1, "relative name" },
		{ "a.example. 1 IN CNAME b\n", NULL, 1, "relative name" },
		{ "a.example. 1 IN CNAME b.\n@ 1 IN SOA a. b. 1 2 3 4 5\n", NULL, 2, "" },
	};
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		assert_int_equal(read_text(&zf, &d, one[i].text, one[i].origin), LS_EPARSE);
		if (d.v[0].line != one[i].line || strstr(d.v[0].text, one[i].msg) == NULL)
			fail_msg("case %zu: line %u \"%s\"", i, d.v[0].line, d.v[0].text);
		done(&zf, &d);
	}
	/* NUL bytes are errors, not the end of the text. */
	const char nul[] = "a 1 IN A 192.0.2.1\n\0b 1 IN A 192.0.2.2\n";
	zonefile_init(&zf);
	diag_init(&d);
	assert_int_equal(zonefile_read_mem(&zf, "t", nul, sizeof(nul) - 1, N("example.com."), 60, &d),
	                 LS_EPARSE);
	assert_int_equal(d.v[0].line, 2);
	done(&zf, &d);
}

static void test_ttl_fallbacks(void **state)
{
	struct zonefile zf;
	struct diag d;
	/* No $TTL: the last explicit TTL (RFC 1035), else the configured default. */
	assert_int_equal(read_text(&zf, &d, "a IN A 192.0.2.1\nb 77 IN A 192.0.2.2\nc IN A 192.0.2.3\n",
	                           "example.com."), 0);
	assert_int_equal(zf.rr[0].ttl, 3600);
	assert_int_equal(zf.rr[2].ttl, 77);
	done(&zf, &d);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_include(void **state)
{
	char *dir = temp_dir(), path[512], inc[512], outside[512];
	struct zonefile zf;
	struct diag d;
	snprintf(path, sizeof(path), "%s/zones", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(inc, sizeof(inc), "%s/zones/sub", dir);
	assert_int_equal(mkdir(inc, 0700), 0);
	snprintf(inc, sizeof(inc), "%s/zones/sub/hosts.inc", dir);
	write_file(inc, "h1 IN A 192.0.2.1\nh2 IN A 192.0.2.2\n");
	snprintf(outside, sizeof(outside), "%s/secret.inc", dir);
	write_file(outside, "s IN A 192.0.2.9\n");
	snprintf(path, sizeof(path), "%s/zones/main.zone", dir);
	write_file(path, "$ORIGIN example.com.\n$TTL 60\n"
	                 "$INCLUDE sub/hosts.inc\n"
	                 "$INCLUDE sub/hosts.inc other.example.com.\n"
	                 "after IN A 192.0.2.3\n");
	/* Without a SOA nothing says which zone this is. */
	assert_int_equal(read_file(&zf, &d, path, NULL), LS_EPARSE);
	assert_non_null(strstr(d.v[0].text, "no SOA"));
	done(&zf, &d);
	assert_int_equal(read_file(&zf, &d, path, "example.com."), 0);
	assert_int_equal(zf.n, 5);
	assert_true(dname_equal(zf.rr[2].owner, N("h1.other.example.com.")));
	/* The origin comes back after the include (RFC 1035 5.1). */
	assert_true(dname_equal(zf.rr[4].owner, N("after.example.com.")));
	assert_non_null(strstr(zf.rr[0].file, "hosts.inc"));
	assert_int_equal(zf.rr[1].line, 2);
	done(&zf, &d);

	write_file(path, "$ORIGIN example.com.\n$INCLUDE ../secret.inc\n");
	assert_int_equal(read_file(&zf, &d, path, "example.com."), LS_EPARSE);
	assert_non_null(strstr(d.v[0].text, "outside"));
	assert_int_equal(d.v[0].line, 2);
	done(&zf, &d);

	/* A file that includes itself stops at the depth limit. */
	write_file(path, "$ORIGIN example.com.\n$INCLUDE main.zone\n");
	assert_int_equal(read_file(&zf, &d, path, "example.com."), LS_EPARSE);
	assert_non_null(strstr(d.v[d.n - 1].text, "deeper"));
	done(&zf, &d);

	/* Text from memory (zone edit) may not include anything. */
	assert_int_equal(read_text(&zf, &d, "$INCLUDE /etc/hostname\n", "example.com."), LS_EPARSE);
	done(&zf, &d);
	rm_tree(dir);
}

/* The fast parser and ldns give the same records for the same text. */
static void test_fast_path_matches_ldns(void **state)
{
	const char *text =
		"$TTL 300\n"
		"@ IN SOA NS1.Example.COM. hostmaster 2026112201 1h 30m 2w 5M\n"
		"  IN NS ns1\n"
		"@ 60 NS ns2.example.net.\n"
		"ns1 120 IN A 192.0.2.1\n"
		"ns2 IN 120 A 192.0.2.2\n"     /* class before TTL (RFC 1035): both paths take it */
		"Mixed.Case IN AAAA 2001:DB8::1\n"
		"v6 AAAA ::ffff:192.0.2.1\n"
		"@ MX 10 Mail\n"
		"@ MX 0 .\n"
		"txt TXT \"a b\" c \"\\\"q\\\"\" \"\\065\\\\\" \"\"\n"
		"long TXT \"" "0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
		"_sip._tcp SRV 10 60 5060 sip\n"
		"ptr PTR host.example.org.\n"
		"cn CNAME @\n"
		"dn DNAME other.example.\n"
		"esc\\.dot A 192.0.2.9\n"
		"big 4294967295 A 192.0.2.8\n"
		"x 1w2d A 192.0.2.7\n";
	struct zonefile fast, slow;
	struct diag d1, d2;
	zonefile_init(&fast);
	zonefile_init(&slow);
	slow.no_fast = true;
	diag_init(&d1);
	diag_init(&d2);
	int r1 = zonefile_read_mem(&fast, "t", text, strlen(text), N("example.com."), 60, &d1);
	int r2 = zonefile_read_mem(&slow, "t", text, strlen(text), N("example.com."), 60, &d2);
	assert_int_equal(r1, r2);
	/* Line 12 (a string over 255 bytes) is refused by both. */
	assert_int_equal(d1.errors, 1);
	assert_int_equal(d2.errors, 1);
	assert_int_equal(d1.v[0].line, 12);
	assert_int_equal(fast.n, slow.n);
	assert_int_equal(fast.n, 17);
	for (size_t i = 0; i < fast.n; i++) {
		const struct rr *a = &fast.rr[i], *b = &slow.rr[i];
		assert_true(dname_equal(a->owner, b->owner));
		assert_memory_equal(a->owner, b->owner, (size_t)dname_wire_len(a->owner, DNAME_MAX));
		assert_int_equal(a->type, b->type);
		assert_int_equal(a->ttl, b->ttl);
		assert_int_equal(a->rdlen, b->rdlen);
		assert_memory_equal(a->rdata, b->rdata, a->rdlen);
	}
	zonefile_free(&fast);
	zonefile_free(&slow);
	diag_free(&d1);
	diag_free(&d2);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_errors_with_lines),
		cmocka_unit_test(test_ttl_fallbacks),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_fast_path_matches_ldns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
