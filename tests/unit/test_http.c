/* Unit tests for httpsd/http.c: finding a head, strict parsing (RFC 9112), response heads. */
#include "tests/unit/unit.h"
#include "httpsd/http.h"

/* The head length of text given all at once, and checked against one byte at a time. */
static size_t head_end(const char *text)
{
	struct http_scan s = { 0 }, s1 = { 0 };
	size_t len = strlen(text), whole = http_head_end(text, len, &s), bytewise = 0;
	for (size_t n = 1; n <= len && bytewise == 0; n++)
		bytewise = http_head_end(text, n, &s1);
	assert_int_equal(whole, bytewise);
	return whole;
}

static void test_head_end(void **state)
{
	(void)state;
	assert_int_equal(head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 27);
	assert_int_equal(head_end("GET / HTTP/1.1\nHost: a\n\n"), 24);
	assert_int_equal(head_end("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
	assert_int_equal(head_end("GET / HTTP/1.1\r\nHost: a\r\n\r"), 0);
	/* Empty lines before the request line belong to the head (RFC 9112 2.2). */
	assert_int_equal(head_end("\r\n\r\nGET / HTTP/1.0\r\n\r\n"), 22);
	assert_int_equal(head_end("\r\n\r\n"), 0);
	/* Pipelined: the first head ends where its empty line does. */
	assert_int_equal(head_end("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\n\r\n"), 27);
	assert_int_equal(head_end(""), 0);
}

static int parse(const char *text, struct http_req *req)
{
	size_t end = head_end(text);
	assert_true(end > 0);
	return http_parse(text, end, req);
}

static void assert_str(struct http_str s, const char *want)
{
	if (s.len != strlen(want) || memcmp(s.p, want, s.len) != 0)
		fail_msg("got '%.*s', want '%s'", (int)s.len, s.p, want);
}

static void test_parse_ok(void **state)
{
	(void)state;
	struct http_req r;
	assert_int_equal(parse("GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
	                       "Host: mta-sts.example.com\r\nUser-Agent: x\r\n\r\n", &r), 0);
	assert_int_equal(r.method, HTTP_GET);
	assert_str(r.method_text, "GET");
	assert_str(r.path, "/.well-known/mta-sts.txt");
	assert_str(r.host, "mta-sts.example.com");
	assert_int_equal(r.minor, 1);
	assert_false(r.close);
	assert_false(r.has_body);
	/* Port and query are left out; header names are case-insensitive; OWS is trimmed. */
	assert_int_equal(parse("HEAD /a?b=c HTTP/1.1\r\nhOsT:   MTA-STS.Example.com:8443  \r\n"
	                       "Connection: keep-alive, Close\r\n\r\n", &r), 0);
	assert_int_equal(r.method, HTTP_HEAD);
	assert_str(r.path, "/a");
	assert_str(r.host, "MTA-STS.Example.com");
	assert_true(r.close);
	assert_int_equal(parse("POST / HTTP/1.1\nHost: [2001:db8::1]:443\n\n", &r), 0);
	assert_int_equal(r.method, HTTP_POST);
	assert_str(r.host, "[2001:db8::1]");
	assert_int_equal(parse("DELETE / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	assert_int_equal(r.method, HTTP_OTHER);
	assert_str(r.method_text, "DELETE");
	/* Methods are case-sensitive: "get" is some other method. */
	assert_int_equal(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	assert_int_equal(r.method, HTTP_OTHER);
}

static void test_parse_versions(void **state)
{
	(void)state;
	struct http_req r;
	/* HTTP/1.0: no Host needed, closes unless keep-alive. */
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), 0);
	assert_int_equal(r.minor, 0);
	assert_true(r.close);
	assert_int_equal(r.host.len, 0);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r), 0);
	assert_false(r.close);
}

static void test_parse_targets(void **state)
{
	(void)state;
	struct http_req r;
	assert_int_equal(parse("GET https://mta-sts.example.com/.well-known/mta-sts.txt HTTP/1.1\r\n"
	                       "Host: other\r\n\r\n", &r), 0);
	assert_str(r.host, "mta-sts.example.com");        /* the authority wins (RFC 9112 3.2.2) */
	assert_str(r.path, "/.well-known/mta-sts.txt");
	assert_int_equal(parse("GET http://a.example:80 HTTP/1.1\r\nHost: a.example\r\n\r\n", &r), 0);
	assert_str(r.path, "/");
	assert_str(r.host, "a.example");
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	assert_str(r.path, "*");
}

/* Requests answered with a status and nothing else to look at: the status parse() gives. */
static const struct {
	const char *text;
	int status;
} statuses[] = {
	/* Versions. */
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
	{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505 },
	{ "GET / HTTP/0.9\r\n\r\n", 505 },
	{ "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400 },
	{ "GET / http/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /\r\n\r\n", 400 },
	{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400 },
	/* Targets. */
	{ "GET https://u@a.example/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "CONNECT a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400 },
	{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	/* Fields. */
	{ "GET / HTTP/1.1\r\n\r\n", 400 },                                     /* no Host */
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: \r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a:x\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },                        /* RFC 9112 5.1 */
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX y\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n: y\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400 },                   /* bare CR */
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: \xc3\xa9 ok\r\n\r\n", 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: a b\r\n\r\n", 400 },
	/* Bodies. */
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", 0 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400 },
	/* Both framings: the classic smuggling request. */
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
	  400 },
};

static void test_parse_statuses(void **state)
{
	(void)state;
	struct http_req r;
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		int got = parse(statuses[i].text, &r);
		if (got != statuses[i].status)
			fail_msg("\"%s\": %d, want %d", statuses[i].text, got, statuses[i].status);
	}
	/* A NUL inside a field (the text is not a C string). */
	static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
	assert_int_equal(http_parse(nul, sizeof(nul) - 1, &r), 400);
}

static void test_parse_bodies(void **state)
{
	(void)state;
	struct http_req r;
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", &r), 0);
	assert_true(r.has_body);
	assert_true(r.length_known);
	assert_int_equal(r.content_length, 12);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r), 0);
	assert_false(r.has_body);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\n"
	                       "Content-Length: 99999999999999999999999999\r\n\r\n", &r), 0);
	assert_true(r.content_length == UINT64_MAX);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &r), 0);
	assert_true(r.has_body);
	assert_false(r.length_known);
}

static void test_parse_content_type(void **state)
{
	(void)state;
	struct http_req r;
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Type:  Application/TLSRPT+gzip ;"
	                       " charset=x\r\n\r\n", &r), 0);
	assert_int_equal(r.content_type.len, strlen("Application/TLSRPT+gzip"));
	assert_memory_equal(r.content_type.p, "Application/TLSRPT+gzip", r.content_type.len);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n",
	                       &r), 0);
	assert_int_equal(r.content_type.len, strlen("application/json"));
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Type: ;x\r\n\r\n", &r), 0);
	assert_int_equal(r.content_type.len, 0);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	assert_int_equal(r.content_type.len, 0);
}

static void test_parse_field_limit(void **state)
{
	(void)state;
	struct http_req r;
	char buf[4096];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < HTTP_MAX_FIELDS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	snprintf(buf + n, sizeof(buf) - n, "\r\n");
	assert_int_equal(parse(buf, &r), 0);
	snprintf(buf + n, sizeof(buf) - n, "X-last: y\r\n\r\n");
	assert_int_equal(parse(buf, &r), 431);
}

static void test_format_head(void **state)
{
	(void)state;
	char buf[HTTP_MAX_HEAD_OUT];
	struct http_head h = { .status = 200, .content_type = "text/plain", .content_length = 69,
	                       .date = "Sun, 06 Nov 1994 08:49:37 GMT" };
	size_t n = http_format_head(buf, sizeof(buf), &h);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
	                         "Content-Type: text/plain\r\nContent-Length: 69\r\n\r\n");
	h = (struct http_head){ .status = 405, .allow = "GET, HEAD", .content_length = 0, .close = true };
	n = http_format_head(buf, sizeof(buf), &h);
	assert_string_equal(buf, "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"
	                         "Content-Length: 0\r\nConnection: close\r\n\r\n");
	assert_int_equal(http_format_head(buf, 20, &h), 0);
	assert_int_equal(http_format_head(buf, n, &h), 0);      /* no room for the NUL */
	assert_int_equal(http_format_head(buf, n + 1, &h), n);
	assert_string_equal(http_reason(421), "Misdirected Request");
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
}

static void test_date(void **state)
{
	(void)state;
	char d[30];
	http_date(d, 784111777);
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date(d, 0);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_end),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_versions),
		cmocka_unit_test(test_parse_targets),
		cmocka_unit_test(test_parse_statuses),
		cmocka_unit_test(test_parse_bodies),
		cmocka_unit_test(test_parse_content_type),
		cmocka_unit_test(test_parse_field_limit),
		cmocka_unit_test(test_format_head),
		cmocka_unit_test(test_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
