/* Unit tests for TLS reports: parsing real report shapes, bounded gzip, counting into the store,
 * dedup, reparse, pruning and the spool. */
#include <sys/stat.h>
#include <zlib.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/sts/sts_record.h"
#include "shared/rpt/tlsrpt_gzip.h"
#include "shared/rpt/tlsrpt_parse.h"
#include "shared/rpt/tlsrpt_store.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_mime.h"
#include "shared/rpt/tlsrpt_summary.h"

#define MIB (1u << 20)
#define POLICY "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\n" \
               "max_age: 604800\r\n"

static char *sample(const char *name, size_t *len)
{
	char path[256], *buf;
	snprintf(path, sizeof(path), "tests/data/tlsrpt/%s", name);
	assert_int_equal(file_read(path, MIB, 0, &buf, len), 0);
	return buf;
}

static struct tlsrpt_report *parse_sample(const char *name)
{
	size_t len;
	char *json = sample(name, &len), why[200];
	struct tlsrpt_report *r = NULL;
	int rc = tlsrpt_parse(json, len, &r, why, sizeof(why));
	if (rc)
		fail_msg("%s: %s", name, why);
	free(json);
	return r;
}

static void test_parse_rfc8460(void **state)
{
	struct tlsrpt_report *r = parse_sample("rfc8460.json");
	assert_string_equal(r->org, "Company-X");
	assert_string_equal(r->report_id, "5065427c-23d3-47ca-b6e0-946ea0e8c4be");
	assert_int_equal(r->start, 1459468800);
	assert_int_equal(r->end, 1459468800 + 86399);
	assert_int_equal(r->npolicies, 1);
	const struct tlsrpt_policy *p = &r->policies[0];
	assert_string_equal(p->domain, "company-y.example");
	assert_int_equal(p->success, 5326);
	assert_int_equal(p->failure, 303);
	assert_int_equal(p->ndetails, 3);
	assert_string_equal(p->details[1].result_type, "starttls-not-supported");
	assert_string_equal(p->details[1].receiving_ip, "203.0.113.56");
	assert_string_equal(p->details[0].receiving_ip, "");
	assert_int_equal(p->details[2].count, 3);
	assert_string_equal(p->lines, "max_age: 86400\nmode: testing\nmx: *.mail.company-y.example\n"
	                    "version: stsv1");
	tlsrpt_report_free(r);
}

static void test_parse_senders(void **state)
{
	struct tlsrpt_report *g = parse_sample("google.json"), *m = parse_sample("microsoft.json");
	struct tlsrpt_report *s = parse_sample("small.json");
	/* Reordered policy lines are the same policy. */
	assert_string_equal(g->policies[0].lines, m->policies[0].lines);
	assert_int_equal(g->policies[0].ndetails, 0);
	assert_int_equal(m->policies[0].nmx, 1);
	assert_string_equal(m->policies[0].details[1].receiving_mx, "");
	assert_null(m->policies[1].lines);
	/* -02:00 and a date-time without zone (UTC). */
	assert_int_equal(s->start, 1795996800);
	assert_int_equal(s->end, 1795996800 + 22 * 3600);
	assert_string_equal(s->policies[0].domain, "mx1.example.com");
	assert_string_equal(s->policies[1].domain, "");
	tlsrpt_report_free(g);
	tlsrpt_report_free(m);
	tlsrpt_report_free(s);
}

static void test_names_mx(void **state)
{
	const char body[] = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
	                    "mx: *.mail.example.net\r\nmax_age: 86400\r\n";
	size_t n = strlen(body);
	assert_true(tlsrpt_parse_names_mx(body, n, "mx1.example.com"));
	assert_true(tlsrpt_parse_names_mx(body, n, "a.mail.example.net"));
	assert_false(tlsrpt_parse_names_mx(body, n, "a.b.mail.example.net"));   /* one label only */
	assert_false(tlsrpt_parse_names_mx(body, n, "mail.example.net"));
	assert_false(tlsrpt_parse_names_mx(body, n, "mx2.example.com"));
	assert_false(tlsrpt_parse_names_mx(body, n, ""));
}

static void expect_bad(const char *json, const char *why_part)
{
	struct tlsrpt_report *r = NULL;
	char why[200];
	assert_int_equal(tlsrpt_parse(json, strlen(json), &r, why, sizeof(why)), LS_EPARSE);
	assert_null(r);
	if (strstr(why, why_part) == NULL)
		fail_msg("why '%s' lacks '%s'", why, why_part);
}

#define HEAD "{\"organization-name\":\"o\",\"report-id\":\"r\",\"date-range\":" \
             "{\"start-datetime\":\"2026-01-01T00:00:00Z\"},"
#define POL(sum) "\"policies\":[{\"policy\":{\"policy-type\":\"sts\"},\"summary\":" sum "}]}"

static void test_parse_strict(void **state)
{
	expect_bad("[1]", "not a TLS report");
	expect_bad("{\"report-id\":\"r\"}", "no organization-name");
	expect_bad("{\"organization-name\":\"o\",\"report-id\":\"r\",\"date-range\":"
	           "{\"start-datetime\":\"yesterday\"}}", "start-datetime");
	expect_bad(HEAD "\"policies\":[]}", "no policies");
	expect_bad(HEAD POL("{\"total-successful-session-count\":-1,"
	                    "\"total-failure-session-count\":0}"), "total-successful");
	expect_bad(HEAD POL("{\"total-successful-session-count\":\"5\","
	                    "\"total-failure-session-count\":0}"), "not a count");
	expect_bad(HEAD POL("{\"total-successful-session-count\":1.5,"
	                    "\"total-failure-session-count\":0}"), "not a count");
	expect_bad(HEAD POL("{\"total-successful-session-count\":1}"), "total-failure");
	expect_bad("{\"a\": tru", "not JSON");
	/* 10,000 levels of nesting: refused by the JSON reader, no stack overflow. */
	size_t n = 10000;
	char *deep = malloc(2 * n + 1);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = 0;
	expect_bad(deep, "not JSON");
	free(deep);
}

/* A report with n failure-details, each its own sending IP. */
static char *many_details(size_t n, size_t *len)
{
	size_t cap = 256 + n * 128, k;
	char *j = malloc(cap);
	k = (size_t)snprintf(j, cap, HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"sts\"},"
	                     "\"summary\":{\"total-successful-session-count\":0,"
	                     "\"total-failure-session-count\":%zu},\"failure-details\":[", n);
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(j + k, cap - k, "%s{\"result-type\":\"validation-failure\","
		                      "\"sending-mta-ip\":\"10.%zu.%zu.%zu\",\"failed-session-count\":1}",
		                      i ? "," : "", i >> 16 & 255, i >> 8 & 255, i & 255);
	k += (size_t)snprintf(j + k, cap - k, "]}]}");
	*len = k;
	return j;
}

/* Long text is cut before a character, never inside one: the rows stored are JSON. */
static void test_cut_utf8(void **state)
{
	(void)state;
	char json[1024], type[64] = "", rt[160] = "";
	for (int i = 0; i < 20; i++)
		strcat(type, "\xc3\xa9");           /* 40 bytes; policy-type keeps 31 */
	for (int i = 0; i < 50; i++)
		strcat(rt, "\xe2\x82\xac");        /* 150 bytes; result-type keeps 63 */
	snprintf(json, sizeof(json), HEAD "\"policies\":[{\"policy\":{\"policy-type\":\"%s\"},"
	         "\"summary\":{\"total-successful-session-count\":1,"
	         "\"total-failure-session-count\":1},\"failure-details\":[{\"result-type\":"
	         "\"%s\",\"failed-session-count\":1}]}]}", type, rt);
	struct tlsrpt_report *r = NULL;
	char why[200];
	assert_int_equal(tlsrpt_parse(json, strlen(json), &r, why, sizeof(why)), 0);
	assert_int_equal(strlen(r->policies[0].type), 30);
	assert_memory_equal(r->policies[0].type, type, 30);
	assert_int_equal(strlen(r->policies[0].details[0].result_type), 63);
	assert_memory_equal(r->policies[0].details[0].result_type, rt, 63);
	tlsrpt_report_free(r);
}

static void test_many_details(void **state)
{
	size_t len;
	char *j = many_details(10000, &len), why[200];
	struct tlsrpt_report *r = NULL;
	assert_int_equal(tlsrpt_parse(j, len, &r, why, sizeof(why)), 0);
	assert_int_equal(r->policies[0].ndetails, 10000);
	assert_string_equal(r->policies[0].details[9999].sending_ip, "10.0.39.15");
	tlsrpt_report_free(r);
	free(j);
	j = many_details(TLSRPT_DETAILS_MAX + 1, &len);
	r = NULL;
	assert_int_equal(tlsrpt_parse(j, len, &r, why, sizeof(why)), LS_ETOOBIG);
	assert_null(r);
	assert_non_null(strstr(why, "failure-details"));
	free(j);
}

static void test_gzip(void **state)
{
	size_t len, gzlen, outlen;
	char *json = sample("rfc8460.json", &len);
	uint8_t *gz, *out;
	assert_int_equal(tlsrpt_gzip_deflate((uint8_t *)json, len, &gz, &gzlen), 0);
	assert_true(tlsrpt_gzip_is(gz, gzlen));
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, 32 * MIB, &out, &outlen), 0);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, json, len);
	free(out);
	/* Truncated: an error, not a short report. */
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen - 9, 32 * MIB, &out, &outlen), LS_EPARSE);
	assert_int_equal(tlsrpt_gzip_inflate((uint8_t *)json, len, 32 * MIB, &out, &outlen),
	                 LS_EPARSE);
	/* Just under the limit passes, one byte over does not. */
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, len, &out, &outlen), 0);
	free(out);
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, len - 1, &out, &outlen), LS_ETOOBIG);
	free(gz);
	free(json);
	/* A bomb: 64 MiB of zeros is about 64 KiB of gzip, over 100 times: refused. */
	uint8_t *zeros = calloc(64, MIB);
	assert_int_equal(tlsrpt_gzip_deflate(zeros, 64 * MIB, &gz, &gzlen), 0);
	free(zeros);
	assert_true(tlsrpt_gzip_limit(gzlen, 1024 * MIB) == gzlen * TLSRPT_RATIO_MAX);
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, 1024 * MIB, &out, &outlen), LS_ETOOBIG);
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, 32 * MIB, &out, &outlen), LS_ETOOBIG);
	free(gz);
}

static void set_isize(uint8_t *gz, size_t gzlen, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		gz[gzlen - 4 + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* The trailer's ISIZE only sizes the first buffer: a lie in it changes no answer and no bound. */
static void test_gzip_isize(void **state)
{
	size_t len = 300 * 1024, gzlen, outlen;
	uint8_t *text = malloc(len), *gz, *out;
	(void)state;
	uint32_t x = 1;
	for (size_t i = 0; i < len; i++) {    /* letters that do not compress 100 times */
		x = x * 1103515245u + 12345u;
		text[i] = (uint8_t)('a' + (x >> 16) % 26);
	}
	assert_int_equal(tlsrpt_gzip_deflate(text, len, &gz, &gzlen), 0);
	/* The truth: exactly the size, also when the limit is that size. */
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, len, &out, &outlen), 0);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, text, len);
	free(out);
	/* Claiming 4 GiB: the limit still caps it; zlib's length check refuses the lie. */
	set_isize(gz, gzlen, UINT32_MAX);
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, 32 * MIB, &out, &outlen), LS_EPARSE);
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, len - 1, &out, &outlen), LS_ETOOBIG);
	/* Claiming 10 bytes: the buffer grows as before, up to the limit and no further. */
	set_isize(gz, gzlen, 10);
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, len - 1, &out, &outlen), LS_ETOOBIG);
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, 32 * MIB, &out, &outlen), LS_EPARSE);
	free(gz);
	free(text);
}

/* libdeflate takes the common case; every other shape gives the answer zlib gave before. */
static void test_gzip_fast_and_slow_agree(void **state)
{
	size_t len, gzlen, outlen;
	char *json = sample("rfc8460.json", &len);
	uint8_t *gz, *out, *two;
	(void)state;
	assert_int_equal(tlsrpt_gzip_deflate((uint8_t *)json, len, &gz, &gzlen), 0);
	/* A wrong CRC-32 in the trailer: corrupt. */
	gz[gzlen - 8] ^= 1;
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, 32 * MIB, &out, &outlen), LS_EPARSE);
	gz[gzlen - 8] ^= 1;
	/* Two members, or junk after one: the first member alone (the trailer read is the second's
	 * or junk, so the fast path does not apply). */
	assert_non_null(two = malloc(2 * gzlen));
	memcpy(two, gz, gzlen);
	memcpy(two + gzlen, gz, gzlen);
	assert_int_equal(tlsrpt_gzip_inflate(two, 2 * gzlen, 32 * MIB, &out, &outlen), 0);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, json, len);
	free(out);
	memset(two + gzlen, 'x', gzlen);
	assert_int_equal(tlsrpt_gzip_inflate(two, 2 * gzlen, 32 * MIB, &out, &outlen), 0);
	assert_int_equal(outlen, len);
	free(out);
	free(two);
	/* A header CRC (FHCRC), which libdeflate would skip: zlib checks it. The member is gz with
	 * the flag set and the CRC-16 of the header inserted after it. */
	assert_non_null(two = malloc(gzlen + 2));
	memcpy(two, gz, 10);
	two[3] |= 0x02;
	uint16_t hcrc = (uint16_t)crc32(0, two, 10);
	two[10] = (uint8_t)hcrc;
	two[11] = (uint8_t)(hcrc >> 8);
	memcpy(two + 12, gz + 10, gzlen - 10);
	assert_int_equal(tlsrpt_gzip_inflate(two, gzlen + 2, 32 * MIB, &out, &outlen), 0);
	assert_int_equal(outlen, len);
	free(out);
	two[10] ^= 1;
	assert_int_equal(tlsrpt_gzip_inflate(two, gzlen + 2, 32 * MIB, &out, &outlen), LS_EPARSE);
	free(two);
	/* A flipped bit in the deflate data: refused (bad code or CRC), never another report. */
	gz[gzlen / 2] ^= 0x10;
	assert_int_equal(tlsrpt_gzip_inflate(gz, gzlen, 32 * MIB, &out, &outlen), LS_EPARSE);
	free(gz);
	free(json);
}

/* example.com enabled, its policy version 3 (the sample reports' policy). */
static void enable(struct store *st)
{
	struct store_txn t;
	struct sts_domain d;
	memset(&d, 0, sizeof(d));
	memcpy(d.domain, N("example.com."), 13);
	d.state = STS_ACTIVE;
	d.version = 3;
	unit_begin(st, true, &t);
	sts_record_body_put(&t, d.domain, 2, (const uint8_t *)"version: STSv1\r\nmode: none\r\n", 28);
	sts_record_body_put(&t, d.domain, 3, (const uint8_t *)POLICY, strlen(POLICY));
	sts_record_put(&t, &d);
	assert_int_equal(store_commit(&t), 0);
}

static int import(struct store *st, const char *name, const char *domain, bool gzip,
                  struct tlsrpt_import_result *res)
{
	struct store_txn t;
	size_t len, gzlen;
	char *json = sample(name, &len), why[200] = "";
	uint8_t *gz = NULL;
	if (gzip)
		assert_int_equal(tlsrpt_gzip_deflate((uint8_t *)json, len, &gz, &gzlen), 0);
	unit_begin(st, true, &t);
	int rc = tlsrpt_import_report(&t, gz ? gz : (uint8_t *)json, gz ? gzlen : len, domain,
	                              1764547200, 32 * MIB, res, why, sizeof(why));
	if (rc == 0)
		rc = store_commit(&t);
	else
		store_abort(&t);
	free(gz);
	free(json);
	return rc;
}

struct rows {
	char text[16][400];
	size_t n;
};

static int row_fn(const char *domain, int32_t day, uint64_t id, json_t *row, void *ctx)
{
	struct rows *r = ctx;
	assert_true(r->n < 16);
	json_t *v = json_object_get(row, "version");
	snprintf(r->text[r->n++], 400, "%s %d %llu %s %s %lld/%lld details=%zu", domain, day,
	         (unsigned long long)id, json_string_value(json_object_get(row, "org")),
	         json_is_null(v) ? "unknown" : "v3",
	         json_integer_value(json_object_get(row, "success")),
	         json_integer_value(json_object_get(row, "failure")),
	         json_array_size(json_object_get(row, "details")));
	return 0;
}

static void test_import_count_dedup(void **state)
{
	struct unit_store *u = *state;
	struct tlsrpt_import_result res;
	struct store_txn t;
	struct rows rows = { .n = 0 };
	enable(u->st);
	assert_int_equal(import(u->st, "google.json", NULL, true, &res), 0);
	assert_int_equal(res.id, 1);
	assert_false(res.duplicate);
	assert_int_equal(res.counted, 1);
	/* Sent again (say by mail after HTTPS): stored once. */
	assert_int_equal(import(u->st, "google.json", "example.com", false, &res), 0);
	assert_true(res.duplicate);
	assert_int_equal(res.id, 1);
	assert_int_equal(import(u->st, "microsoft.json", NULL, false, &res), 0);
	assert_int_equal(res.counted, 1);
	assert_int_equal(res.misaddressed, 1);
	/* TLSA policy names the MX host; the policy without a domain counts for the delivery. */
	assert_int_equal(import(u->st, "small.json", "example.com", false, &res), 0);
	assert_int_equal(res.counted, 2);
	/* Nothing here is for company-y.example: all misaddressed, still stored. */
	assert_int_equal(import(u->st, "rfc8460.json", NULL, false, &res), 0);
	assert_int_equal(res.misaddressed, 1);
	assert_int_equal(res.counted, 0);

	unit_begin(u->st, false, &t);
	assert_int_equal(tlsrpt_store_rows(&t, "example.com", 0, row_fn, &rows), 0);
	assert_int_equal(rows.n, 4);
	assert_string_equal(rows.text[0], "example.com 20787 1 Google Inc. v3 120/0 details=0");
	assert_string_equal(rows.text[1], "example.com 20787 2 Microsoft Corporation v3 40/6 details=2");
	assert_string_equal(rows.text[2], "example.com 20787 3 mail.small.example unknown 7/1 details=1");
	assert_string_equal(rows.text[3], "example.com 20787 3 mail.small.example unknown 2/0 details=0");
	rows.n = 0;
	assert_int_equal(tlsrpt_store_rows(&t, "example.com", 20788, row_fn, &rows), 0);
	assert_int_equal(rows.n, 0);
	struct tlsrpt_entry e;
	assert_int_equal(tlsrpt_store_get(&t, 4, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(e.facts, "misaddressed")), 1);
	assert_int_equal(json_array_size(json_object_get(e.facts, "domains")), 0);
	uint8_t *raw;
	size_t rawlen;
	assert_int_equal(tlsrpt_gzip_inflate(e.raw, e.rawlen, MIB, &raw, &rawlen), 0);
	assert_non_null(strstr((char *)raw, "Company-X"));
	free(raw);
	json_decref(e.facts);
	store_abort(&t);

	/* Reparse gives the same rows; prune takes reports received before the cut. */
	size_t n;
	unit_begin(u->st, true, &t);
	assert_int_equal(tlsrpt_import_reparse(&t, 32 * MIB, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(store_commit(&t), 0);
	rows.n = 0;
	unit_begin(u->st, true, &t);
	assert_int_equal(tlsrpt_store_rows(&t, NULL, 0, row_fn, &rows), 0);
	assert_int_equal(rows.n, 4);
	assert_int_equal(tlsrpt_store_prune(&t, 1764547200, 100, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tlsrpt_store_prune(&t, 1764547201, 100, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(store_commit(&t), 0);
	rows.n = 0;
	unit_begin(u->st, false, &t);
	assert_int_equal(tlsrpt_store_rows(&t, NULL, 0, row_fn, &rows), 0);
	assert_int_equal(rows.n, 0);
	assert_int_equal(tlsrpt_store_get(&t, 1, &e), LS_ENOTFOUND);
	uint64_t id;
	assert_int_equal(tlsrpt_store_find(&t, "Google Inc.", "2026-11-30T00:00:00Z_example.com", &id),
	                 LS_ENOTFOUND);
	store_abort(&t);
}

static void test_spool(void **state)
{
	struct unit_store *u = *state;
	char *dir = temp_dir();
	size_t len;
	char *json = sample("google.json", &len);
	struct tlsrpt_spool_result res;
	assert_false(tlsrpt_spool_pending(dir));
	assert_int_equal(tlsrpt_spool_put(dir, "bad/name", (uint8_t *)json, len), LS_EPARSE);
	assert_int_equal(tlsrpt_spool_put(dir, "example.com", (uint8_t *)json, len), 0);
	assert_int_equal(tlsrpt_spool_put(dir, NULL, (uint8_t *)json, len), 0);
	assert_int_equal(tlsrpt_spool_put(dir, NULL, (const uint8_t *)"{}", 2), 0);
	assert_true(tlsrpt_spool_pending(dir));
	enable(u->st);
	assert_int_equal(tlsrpt_import_spool(u->st, dir, MIB, 32 * MIB, &res), 0);
	assert_int_equal(res.imported, 1);
	assert_int_equal(res.duplicates, 1);
	assert_int_equal(res.rejected, 1);
	assert_non_null(strstr(res.last_reject, "no organization-name"));
	assert_false(tlsrpt_spool_pending(dir));
	char path[300];
	snprintf(path, sizeof(path), "%s/tlsrpt/bad", dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	free(json);
	rm_tree(dir);
}

static void test_mime(void **state)
{
	const char *names[] = { "google.eml", "microsoft.eml" };
	for (size_t i = 0; i < 2; i++) {
		char path[200], *msg, why[200];
		uint8_t *part;
		size_t len, plen;
		snprintf(path, sizeof(path), "tests/fuzz/corpus/fuzz_tlsrpt_mime/%s", names[i]);
		assert_int_equal(file_read(path, MIB, 0, &msg, &len), 0);
		assert_int_equal(tlsrpt_mime_find((uint8_t *)msg, len, MIB, &part, &plen), 0);
		assert_int_equal(tlsrpt_gzip_is(part, plen), i == 0);
		assert_int_equal(tlsrpt_import_check(part, plen, MIB, why, sizeof(why)), 0);
		free(part);
		/* A part larger than the limit is refused, not cut. */
		assert_int_equal(tlsrpt_mime_find((uint8_t *)msg, len, plen - 1, &part, &plen),
		                 LS_ETOOBIG);
		free(msg);
	}
	const char *plain = "From: a@b\r\nSubject: hi\r\n\r\nno report\r\n";
	uint8_t *part;
	size_t plen;
	assert_int_equal(tlsrpt_mime_find((const uint8_t *)plain, strlen(plain), MIB, &part, &plen),
	                 LS_ENOTFOUND);
}

static void alert_fn(const char *domain, const char *day, const char *text, void *ctx)
{
	struct rows *r = ctx;
	assert_true(r->n < 16);
	snprintf(r->text[r->n++], 400, "%s %s %s", domain, day, text);
}

static void test_alerts(void **state)
{
	struct rows seen = { .n = 0 };
	json_error_t err;
	json_t *sum = json_loads("{\"domains\":[{\"domain\":\"example.com\",\"days\":["
		"{\"day\":\"2026-11-28\",\"successful\":100,\"failed\":5,"
		"\"result_types\":{\"certificate-expired\":5}},"
		"{\"day\":\"2026-11-29\",\"successful\":1000,\"failed\":5,"
		"\"result_types\":{\"certificate-expired\":5}},"
		"{\"day\":\"2026-11-30\",\"successful\":1000,\"failed\":20,"
		"\"result_types\":{\"certificate-expired\":10,\"starttls-not-supported\":10}},"
		"{\"day\":\"2026-12-02\",\"successful\":10,\"failed\":0,\"result_types\":{}}]}]}",
		0, &err);
	assert_non_null(sum);
	/* From 2026-11-29 (day 20786) on: the 28th only serves as the day before. */
	assert_int_equal(tlsrpt_summary_alerts(sum, 1, 20786, alert_fn, &seen), 2);
	assert_string_equal(seen.text[0], "example.com 2026-11-30 failure type starttls-not-supported "
	                    "(10 sessions), absent the day before");
	assert_string_equal(seen.text[1], "example.com 2026-11-30 20 of 1020 sessions failed (1.96%, "
	                    "over tlsrpt.alert-percent 1%)");
	seen.n = 0;
	/* From the 28th on, with nothing before it: its type is new, and 4.76% is over 1%. */
	assert_int_equal(tlsrpt_summary_alerts(sum, 1, 20785, alert_fn, &seen), 4);
	json_decref(sum);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rfc8460),
		cmocka_unit_test(test_parse_senders),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_names_mx),
		cmocka_unit_test(test_cut_utf8),
		cmocka_unit_test(test_many_details),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_isize),
		cmocka_unit_test(test_gzip_fast_and_slow_agree),
		cmocka_unit_test(test_mime),
		cmocka_unit_test_setup_teardown(test_import_count_dedup, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_spool, unit_store_setup, unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
