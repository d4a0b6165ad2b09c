/* Unit tests for httpsd/route.c: each route and error on a temporary store holding one policy. */
#include "tests/unit/unit.h"
#include "httpsd/route.h"
#include "shared/sts/sts_record.h"

static const char policy[] = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n";

struct fixture {
	char *dir;
	struct store *st;
	struct store_txn t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_txn w;
	f->dir = temp_dir();
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	assert_int_equal(store_begin(f->st, true, 0, &w), 0);
	sts_record_body_put(&w, N("example.com."), 7, (const uint8_t *)policy, sizeof(policy) - 1);
	assert_int_equal(store_commit(&w), 0);
	assert_int_equal(store_begin(f->st, false, 0, &f->t), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_abort(&f->t);
	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* Parses text and routes it as if it came with SNI sni. */
static struct route_answer route(struct fixture *f, const char *text, const char *sni)
{
	struct http_req req;
	struct http_scan scan = { 0 };
	struct route_answer a;
	size_t end = http_head_end(text, strlen(text), &scan);
	assert_true(end > 0);
	assert_int_equal(http_parse(text, end, &req), 0);
	route_request(&f->t, &req, sni, 100, &a);
	return a;
}

#define SNI "mta-sts.example.com"

static void test_policy(void **state)
{
	struct fixture *f = *state;
	struct route_answer a = route(f, "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " SNI "\r\n\r\n", SNI);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.content_type, "text/plain");
	assert_int_equal(a.body_len, sizeof(policy) - 1);
	assert_memory_equal(a.body, policy, a.body_len);
	assert_false(a.close);
	/* HEAD, a port, a trailing dot, another case, HTTP/1.0 without Host: all the same policy. */
	a = route(f, "HEAD /.well-known/mta-sts.txt HTTP/1.1\r\nHost: MTA-STS.example.COM.:443\r\n\r\n", SNI);
	assert_int_equal(a.status, 200);
	a = route(f, "GET /.well-known/mta-sts.txt HTTP/1.0\r\n\r\n", SNI);
	assert_int_equal(a.status, 200);
	a = route(f, "GET /.well-known/mta-sts.txt?x=1 HTTP/1.1\r\nHost: " SNI "\r\n\r\n", SNI);
	assert_int_equal(a.status, 200);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct route_answer a;
	a = route(f, "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.other.example\r\n\r\n", SNI);
	assert_int_equal(a.status, 421);
	a = route(f, "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.other.example\r\n\r\n",
	          "mta-sts.other.example");
	assert_int_equal(a.status, 404);        /* a name with a certificate but no policy */
	a = route(f, "GET / HTTP/1.1\r\nHost: " SNI "\r\n\r\n", SNI);
	assert_int_equal(a.status, 404);
	a = route(f, "GET /.well-known/mta-sts.txt/ HTTP/1.1\r\nHost: " SNI "\r\n\r\n", SNI);
	assert_int_equal(a.status, 404);
	a = route(f, "GET /.WELL-KNOWN/mta-sts.txt HTTP/1.1\r\nHost: " SNI "\r\n\r\n", SNI);
	assert_int_equal(a.status, 404);
	a = route(f, "PUT /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " SNI "\r\n\r\n", SNI);
	assert_int_equal(a.status, 405);
	assert_string_equal(a.allow, "GET, HEAD");
	assert_false(a.close);
	/* A body we may take but do not read: answered, then the connection closes. */
	a = route(f, "POST /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " SNI "\r\nContent-Length: 5\r\n\r\n", SNI);
	assert_int_equal(a.status, 405);
	assert_true(a.close);
	a = route(f, "POST /.well-known/mta-sts.txt HTTP/1.1\r\nHost: " SNI "\r\nContent-Length: 101\r\n\r\n", SNI);
	assert_int_equal(a.status, 413);
	assert_true(a.close);
	a = route(f, "POST / HTTP/1.1\r\nHost: " SNI "\r\nTransfer-Encoding: chunked\r\n\r\n", SNI);
	assert_int_equal(a.status, 413);
	route_error(431, &a);
	assert_int_equal(a.status, 431);
	assert_true(a.close);
	assert_string_equal((const char *)a.body, "Request Header Fields Too Large\n");
	route_error(404, &a);
	assert_false(a.close);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
