/* Unit tests for httpsd/intake.c and intake_rate.c: POST /tlsrpt's head checks, the body's
 * verdicts (report, not gzip or JSON, not a report, a gzip bomb), the per-address hour count. */
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdlib.h>
#include "tests/unit/unit.h"
#include "httpsd/intake.h"
#include "httpsd/intake_rate.h"
#include "shared/rpt/tlsrpt_gzip.h"
#include "shared/rpt/tlsrpt_spool.h"

static const char report[] =
	"{\"organization-name\":\"Org\",\"report-id\":\"r1\",\"date-range\":"
	"{\"start-datetime\":\"2026-01-01T00:00:00Z\",\"end-datetime\":\"2026-01-01T23:59:59Z\"},"
	"\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
	"\"summary\":{\"total-successful-session-count\":1,\"total-failure-session-count\":0}}]}";

static int req_head(const char *method, const char *type, bool known, uint64_t len,
                    size_t max)
{
	struct http_req r = { 0 };
	r.method = strcmp(method, "POST") == 0 ? HTTP_POST : HTTP_GET;
	r.content_type = (struct http_str){ type, type ? strlen(type) : 0 };
	r.length_known = known;
	r.content_length = len;
	r.has_body = !known || len > 0;
	struct intake_settings s = { .receive = true, .max_size = max, .max_expanded = 1 << 20 };
	return intake_head(&r, &s);
}

static void test_head(void **state)
{
	(void)state;
	assert_int_equal(req_head("POST", "application/tlsrpt+gzip", true, 100, 1000), 0);
	assert_int_equal(req_head("POST", "Application/TLSRPT+JSON", true, 1000, 1000), 0);
	assert_int_equal(req_head("POST", "application/octet-stream", true, 1, 1000), 0);
	assert_int_equal(req_head("GET", "application/json", true, 0, 1000), 405);
	assert_int_equal(req_head("POST", "text/plain", true, 10, 1000), 415);
	assert_int_equal(req_head("POST", NULL, true, 10, 1000), 415);
	assert_int_equal(req_head("POST", "application/gzip", false, 0, 1000), 411);
	assert_int_equal(req_head("POST", "application/gzip", true, 1001, 1000), 413);
	assert_int_equal(req_head("POST", "application/gzip", true, UINT64_MAX, 1000), 413);
	assert_int_equal(req_head("POST", "application/gzip", true, 0, 1000), 400);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(path);
}

static void test_body(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_intake.XXXXXX", why[INTAKE_WHY_MAX];
	assert_non_null(mkdtemp(dir));
	struct intake_settings s = { .receive = true, .max_size = 1 << 20,
	                             .max_expanded = 1 << 20, .state_dir = dir };
	const uint8_t *r = (const uint8_t *)report;
	assert_int_equal(intake_body(&s, "example.com", r, strlen(report), why, sizeof(why)), 200);
	assert_true(tlsrpt_spool_pending(dir));
	assert_int_equal(intake_body(&s, "example.com", (const uint8_t *)"hello", 5, why,
	                             sizeof(why)), 400);
	assert_non_null(strstr(why, "neither gzip nor"));
	assert_int_equal(intake_body(&s, "example.com", (const uint8_t *)"{\"a\":1}", 7, why,
	                             sizeof(why)), 400);
	assert_true(why[0] != '\0' && strchr(why, '\n') == NULL);
	/* gzip: accepted whole, refused truncated, and 8 MiB of zeros passes 100x its size. */
	uint8_t *gz, *zeros = calloc(8 << 20, 1);
	size_t gzlen;
	assert_int_equal(tlsrpt_gzip_deflate(r, strlen(report), &gz, &gzlen), 0);
	assert_int_equal(intake_body(&s, "example.com", gz, gzlen, why, sizeof(why)), 200);
	assert_int_equal(intake_body(&s, "example.com", gz, gzlen - 9, why, sizeof(why)), 400);
	free(gz);
	assert_non_null(zeros);
	memcpy(zeros, "{\"a\":\"", 6);
	assert_int_equal(tlsrpt_gzip_deflate(zeros, 8 << 20, &gz, &gzlen), 0);
	s.max_expanded = 64 << 20;
	assert_int_equal(intake_body(&s, "example.com", gz, gzlen, why, sizeof(why)), 413);
	free(gz);
	free(zeros);
	assert_int_equal(nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static struct sockaddr_storage addr(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	if (strchr(text, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
	}
	return ss;
}

static void test_rate(void **state)
{
	(void)state;
	struct intake_rate r;
	assert_int_equal(intake_rate_init(&r, 3), 0);
	struct sockaddr_storage a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct sockaddr_storage c1 = addr("2001:db8::1"), c2 = addr("2001:db8::2");
	const struct sockaddr *pa = (const struct sockaddr *)&a, *pb = (const struct sockaddr *)&b;
	for (int i = 0; i < 3; i++)
		assert_true(intake_rate_take(&r, pa, 7200));
	assert_false(intake_rate_take(&r, pa, 7201));
	assert_true(intake_rate_take(&r, pb, 7201));    /* another address counts apart */
	assert_true(intake_rate_take(&r, pa, 10800));   /* the next hour starts anew */
	/* IPv6 counts by /64. */
	for (int i = 0; i < 3; i++)
		assert_true(intake_rate_take(&r, (const struct sockaddr *)&c1, 0));
	assert_false(intake_rate_take(&r, (const struct sockaddr *)&c2, 0));
	/* A flood of addresses stays in the table's fixed size and still counts each. */
	for (unsigned i = 0; i < 3 * INTAKE_RATE_SLOTS; i++) {
		struct sockaddr_in x = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000 + i) };
		assert_true(intake_rate_take(&r, (const struct sockaddr *)&x, 0));
	}
	intake_rate_free(&r);
	assert_int_equal(intake_rate_init(&r, 0), 0);    /* 0: no limit */
	for (int i = 0; i < 100; i++)
		assert_true(intake_rate_take(&r, pa, 0));
	intake_rate_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
