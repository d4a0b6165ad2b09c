/* Unit tests for the Prometheus text writer and the metrics listener's request parsing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include "tests/unit/unit.h"
#include "shared/util/addr.h"
#include "shared/util/metrics.h"
#include "shared/util/metrics_http.h"

static void test_counter_and_labels(void **state)
{
	struct metrics_buf b = { 0 };
	metrics_family(&b, "x_total", "counter", "Things.");
	metrics_u64(&b, "x_total", NULL, 0);
	metrics_u64(&b, "x_total", (const char *[]){ "kind", "a", "t", "udp", NULL }, 18446744073709551615ull);
	metrics_double(&b, "x_total", (const char *[]){ "kind", "b", NULL }, 0.1);
	assert_int_equal(metrics_buf_error(&b), 0);
	assert_string_equal(b.p, "# HELP x_total Things.\n# TYPE x_total counter\n"
	                         "x_total 0\n"
	                         "x_total{kind=\"a\",t=\"udp\"} 18446744073709551615\n"
	                         "x_total{kind=\"b\"} 0.1\n");
	metrics_buf_free(&b);
	(void)state;
}

static void test_escaping(void **state)
{
	struct metrics_buf b = { 0 };
	metrics_family(&b, "g", "gauge", "a \\ b\nc \"q\"");
	metrics_double(&b, "g", (const char *[]){ "name", "a\"b\\c\nd\x01\xc3", NULL }, -1.5);
	metrics_double(&b, "g", NULL, 1.0 / 0.0);
	metrics_double(&b, "g", NULL, -1.0 / 0.0);
	metrics_double(&b, "g", NULL, 0.0 / 0.0);
	metrics_double(&b, "g", NULL, 1712345678.0);
	/* HELP escapes backslash and line feed only; label values the double quote too. */
	assert_string_equal(b.p, "# HELP g a \\\\ b\\nc \"q\"\n# TYPE g gauge\n"
	                         "g{name=\"a\\\"b\\\\c\\nd??\"} -1.5\n"
	                         "g +Inf\ng -Inf\ng NaN\ng 1712345678\n");
	metrics_buf_free(&b);
	(void)state;
}

static void test_histogram(void **state)
{
	struct metrics_buf b = { 0 };
	static const double bounds[] = { 0.0001, 0.001, 0.25 };
	static const uint64_t counts[] = { 3, 0, 2, 1 };
	metrics_family(&b, "h_seconds", "histogram", "Time.");
	metrics_histogram(&b, "h_seconds", (const char *[]){ "t", "u", NULL }, bounds, counts, 3, 1.25);
	metrics_histogram(&b, "h_seconds", NULL, bounds, (const uint64_t[]){ 0, 0, 0, 0 }, 3, 0);
	assert_int_equal(metrics_buf_error(&b), 0);
	assert_string_equal(b.p, "# HELP h_seconds Time.\n# TYPE h_seconds histogram\n"
	                         "h_seconds_bucket{t=\"u\",le=\"0.0001\"} 3\n"
	                         "h_seconds_bucket{t=\"u\",le=\"0.001\"} 3\n"
	                         "h_seconds_bucket{t=\"u\",le=\"0.25\"} 5\n"
	                         "h_seconds_bucket{t=\"u\",le=\"+Inf\"} 6\n"
	                         "h_seconds_sum{t=\"u\"} 1.25\n"
	                         "h_seconds_count{t=\"u\"} 6\n"
	                         "h_seconds_bucket{le=\"0.0001\"} 0\n"
	                         "h_seconds_bucket{le=\"0.001\"} 0\n"
	                         "h_seconds_bucket{le=\"0.25\"} 0\n"
	                         "h_seconds_bucket{le=\"+Inf\"} 0\n"
	                         "h_seconds_sum 0\nh_seconds_count 0\n");
	metrics_buf_free(&b);
	(void)state;
}

static void test_names_and_limit(void **state)
{
	assert_true(metrics_name_ok("dnsd_queries_total", false));
	assert_true(metrics_name_ok("a:b", false));
	assert_false(metrics_name_ok("a:b", true));
	assert_false(metrics_name_ok("9a", false));
	assert_false(metrics_name_ok("a-b", false));
	assert_false(metrics_name_ok("", false));
	/* A page past METRICS_MAX_BYTES is an error, never a cut page. */
	struct metrics_buf b = { 0 };
	char help[4097];
	memset(help, 'h', sizeof(help) - 1);
	help[sizeof(help) - 1] = 0;
	for (int i = 0; i < 5000 && !metrics_buf_error(&b); i++)
		metrics_family(&b, "x", "gauge", help);
	assert_int_equal(metrics_buf_error(&b), -EFBIG);
	assert_true(b.len <= METRICS_MAX_BYTES);
	metrics_buf_free(&b);
	(void)state;
}

static int parse(const char *req, bool *head)
{
	return metrics_http_parse(req, strlen(req), head);
}

static void test_parse(void **state)
{
	bool head;
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &head), 200);
	assert_false(head);
	assert_int_equal(parse("HEAD /metrics HTTP/1.0\r\n\r\n", &head), 200);
	assert_true(head);
	assert_int_equal(parse("GET /metrics?x=1 HTTP/1.1\n\n", &head), 200);
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n", &head), 0);
	assert_int_equal(parse("GET /metrics", &head), 0);
	assert_int_equal(parse("", &head), 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", &head), 404);
	assert_int_equal(parse("GET /metricsx HTTP/1.1\r\n\r\n", &head), 404);
	assert_int_equal(parse("HEAD /x HTTP/1.1\r\n\r\n", &head), 404);
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\n\r\n", &head), 405);
	assert_int_equal(parse("get /metrics HTTP/1.1\r\n\r\n", &head), 405);
	assert_int_equal(parse("GET /metrics HTTP/2.0\r\n\r\n", &head), 505);
	assert_int_equal(parse("GET /metrics HTTP/1.1 x\r\n\r\n", &head), 400);
	assert_int_equal(parse("GET /metrics\r\n\r\n", &head), 400);
	assert_int_equal(parse("GET  /metrics HTTP/1.1\r\n\r\n", &head), 400);
	assert_int_equal(parse("G(T /metrics HTTP/1.1\r\n\r\n", &head), 400);
	assert_int_equal(parse("\r\n\r\n", &head), 400);
	/* A head that does not end within the limit. */
	char big[METRICS_HTTP_MAX_REQUEST + 10];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	assert_int_equal(metrics_http_parse(big, METRICS_HTTP_MAX_REQUEST - 1, &head), 0);
	assert_int_equal(metrics_http_parse(big, METRICS_HTTP_MAX_REQUEST, &head), 431);
	assert_int_equal(metrics_http_parse(big, sizeof(big), &head), 431);
	(void)state;
}

/* ---- the listener, on a loop driven from the test ---- */

static int renders;

static int render(void *arg, struct metrics_buf *b)
{
	(void)arg;
	renders++;
	metrics_family(b, "t_total", "counter", "Test.");
	metrics_u64(b, "t_total", NULL, (uint64_t)renders);
	return 0;
}

/* Sends req to port and returns what came back until the server closed (loop run meanwhile). */
static char *exchange(uv_loop_t *loop, uint16_t port, const char *req)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	static char out[65536];
	size_t len = 0;
	for (int i = 0; i < 20000; i++) {        /* 10 s at most */
		uv_run(loop, UV_RUN_NOWAIT);
		ssize_t n = read(fd, out + len, sizeof(out) - 1 - len);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else
			usleep(500);
	}
	out[len] = 0;
	close(fd);
	return out;
}

/* m listening on 127.0.0.1 (a free port, into *bound) on loop, rendering with fn(arg). */
static void listen_on(struct metrics_http *m, uv_loop_t *loop, struct sockaddr_in *bound,
                      int (*fn)(void *arg, struct metrics_buf *b), void *arg)
{
	struct daemon_addr a = { 0 };
	uint8_t ip[16] = { 127, 0, 0, 1 };
	char err[256];
	a.len = addr_sockaddr(AF_INET, ip, 0, &a.ss);
	snprintf(a.text, sizeof(a.text), "127.0.0.1:0");
	*m = (struct metrics_http){ 0 };
	uv_loop_init(loop);
	assert_int_equal(metrics_http_bind(m, &a, 1, err, sizeof(err)), 0);
	socklen_t blen = sizeof(*bound);
	assert_int_equal(getsockname(m->fd[0], (struct sockaddr *)bound, &blen), 0);
	assert_int_equal(metrics_http_start(m, loop, fn, arg), 0);
}

static void test_listener(void **state)
{
	struct metrics_http m;
	uv_loop_t loop;
	struct sockaddr_in bound;
	listen_on(&m, &loop, &bound, render, NULL);
	uint16_t port = ntohs(bound.sin_port);

	char *r = exchange(&loop, port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(r, "\r\n\r\n# HELP t_total Test.\n# TYPE t_total counter\nt_total 1\n"));
	r = exchange(&loop, port, "HEAD /metrics HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 200 OK\r\n"));
	assert_null(strstr(r, "t_total"));
	r = exchange(&loop, port, "GET /other HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
	r = exchange(&loop, port, "DELETE /metrics HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(r, "HTTP/1.1 405 Method Not Allowed\r\n"));
	assert_non_null(strstr(r, "Allow: GET, HEAD\r\n"));
	assert_int_equal(m.served, 4);
	assert_int_equal(renders, 2);

	metrics_http_close(&m);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	(void)state;
}

/* A page made slower than METRICS_HTTP_TIMEOUT_MS, and large: lines of 64 bytes. */
static int render_slow_big(void *arg, struct metrics_buf *b)
{
	size_t lines = *(size_t *)arg;
	usleep((METRICS_HTTP_TIMEOUT_MS + 300) * 1000);
	metrics_family(b, "t_big", "gauge", "Test.");
	for (size_t i = 0; i < lines; i++) {
		char v[48];
		snprintf(v, sizeof(v), "%040zu", i);
		metrics_u64(b, "t_big", (const char *[]){ "i", v, NULL }, 1);
	}
	return 0;
}

/* The request's clock ran out while the page was made: the whole page still goes out. */
static void test_slow_big_page_whole(void **state)
{
	struct metrics_http m;
	uv_loop_t loop;
	struct sockaddr_in sin;
	char head[512];
	size_t lines = 100000;      /* about 5 MB, more than loopback buffers hold */
	listen_on(&m, &loop, &sin, render_slow_big, &lines);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t total = 0, hlen = 0;
	for (int i = 0; i < 60000; i++) {        /* 30 s at most */
		uv_run(&loop, UV_RUN_NOWAIT);
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			usleep(500);
			continue;
		}
		if (hlen < sizeof(head) - 1) {
			size_t k = (size_t)n < sizeof(head) - 1 - hlen ? (size_t)n : sizeof(head) - 1 - hlen;
			memcpy(head + hlen, buf, k);
			hlen += k;
		}
		total += (size_t)n;
	}
	close(fd);
	head[hlen] = 0;
	char *cl = strstr(head, "Content-Length: ");
	char *body = strstr(head, "\r\n\r\n");
	assert_non_null(cl);
	assert_non_null(body);
	size_t want = strtoul(cl + 16, NULL, 10);
	assert_true(want > 5u * 1000 * 1000);
	assert_int_equal(total, (size_t)(body + 4 - head) + want);
	metrics_http_close(&m);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_and_labels),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_names_and_limit),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_listener),
		cmocka_unit_test(test_slow_big_page_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
