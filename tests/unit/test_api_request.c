/* The API's request heads (path, query, token, Expect), its UTF-8 check, and the limit on
 * failed authentications per address. */
#include "tests/unit/unit.h"
#include "httpsd/api/api_auth.h"
#include "httpsd/api/api_request.h"
#include "httpsd/api/api_util.h"

static int parse(const char *text, struct api_req *r)
{
	return api_request_parse(text, strlen(text), r);
}

static void test_head(void **state)
{
	(void)state;
	struct api_req r;
	char v[API_PARAM_MAX];
	const char *h = "PATCH /api/v1/servers/localhost/zones/ex%2Eorg.?q=w%2A+x&max=5 HTTP/1.1\r\n"
	                "Host: 127.0.0.1\r\nX-API-Key: sekrit\r\nContent-Length: 2\r\n\r\n";
	assert_int_equal(parse(h, &r), 0);
	assert_int_equal(r.method, API_PATCH);
	assert_string_equal(r.path, "/api/v1/servers/localhost/zones/ex.org.");
	assert_int_equal(r.key.len, 6);
	assert_memory_equal(r.key.p, "sekrit", 6);
	assert_int_equal(api_request_param(&r, "q", v), 4);
	assert_string_equal(v, "w* x");
	assert_int_equal(api_request_param(&r, "max", v), 1);
	assert_int_equal(api_request_param(&r, "nope", v), -1);
	assert_int_equal(parse("GET /api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer  tok\r\n\r\n",
	                       &r), 0);
	assert_int_equal(r.key.len, 3);
	assert_int_equal(parse("PUT /api HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", &r), 0);
	assert_true(r.expect_continue);
	assert_int_equal(parse("PUT /api HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", &r), 417);
	/* An encoded NUL, a broken escape: 400; an absolute target without a path: no query. */
	assert_int_equal(parse("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	assert_int_equal(parse("GET /a%4 HTTP/1.1\r\nHost: x\r\n\r\n", &r), 400);
	assert_int_equal(parse("GET http://x HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
	assert_int_equal(r.query.len, 0);
	assert_int_equal(api_request_param(&r, "q", v), -1);
	assert_int_equal(parse("GET /?q=%zz HTTP/1.1\r\nHost: x\r\n\r\n", &r), 0);
	assert_int_equal(api_request_param(&r, "q", v), -2);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(api_util_utf8("plain", 5));
	assert_true(api_util_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	assert_false(api_util_utf8("\xff", 1));
	assert_false(api_util_utf8("\xc3", 1));                  /* cut short */
	assert_false(api_util_utf8("\xc0\xaf", 2));              /* overlong */
	assert_false(api_util_utf8("\xed\xa0\x80", 3));          /* a surrogate */
	assert_false(api_util_utf8("\xf4\x90\x80\x80", 4));      /* above U+10FFFF */
}

static void test_failures_per_address(void **state)
{
	struct unit_store *u = *state;
	struct api_auth *a = calloc(1, sizeof(*a));
	struct api_token tk;
	struct store_txn t;
	struct sockaddr_in one = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	struct sockaddr_in two = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002) };
	char secret[API_TOKEN_SECRET_TEXT];
	assert_non_null(a);
	assert_int_equal(api_token_make(&tk, "ok", secret), 0);
	unit_begin(u->st, true, &t);
	api_token_put(&t, &tk);
	assert_int_equal(store_commit(&t), 0);
	unit_begin(u->st, false, &t);
	for (int i = 0; i < API_AUTH_FAILS_MAX; i++)
		assert_int_equal(api_auth_check(a, &t, (struct sockaddr *)&one, "bad", 3, 100, &tk),
		                 401);
	assert_int_equal(api_auth_check(a, &t, (struct sockaddr *)&one, "bad", 3, 101, &tk), 429);
	/* A valid token still gets in; another address is not blocked. */
	assert_int_equal(api_auth_check(a, &t, (struct sockaddr *)&one, secret, strlen(secret),
	                                101, &tk), 0);
	assert_int_equal(api_auth_check(a, &t, (struct sockaddr *)&two, "bad", 3, 101, &tk), 401);
	/* A minute later the block is over and the count starts again. */
	assert_int_equal(api_auth_check(a, &t, (struct sockaddr *)&one, "bad", 3,
	                                100 + API_AUTH_WINDOW, &tk), 401);
	store_abort(&t);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test_setup_teardown(test_failures_per_address, unit_store_setup,
		                                unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
