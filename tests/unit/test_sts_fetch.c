/* Unit tests for the MTA-STS fetch, against a one-connection TLS server in a thread on 127.0.0.1
 * with a certificate from a demo CA: success, every refusal and its reason, timeouts. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include "shared/util/clock.h"
#include "tests/unit/unit.h"
#include "shared/tls/cert.h"
#include "shared/tls/tls_conn.h"
#include "shared/util/err.h"
#include "shared/sts/sts_fetch.h"
#include "shared/sts/sts_sessions.h"

#define HOST "mta-sts.example.com"
#define TIMEOUT 5000

struct server {
	char *dir;                  /* the state with the demo CA and the host's certificate */
	char ca[4200];
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_ticket_context ticket;   /* the server issues tickets, as httpsd does */
	int listen_fd;
	char endpoint[64];
	const char *response;       /* what the server answers, as is */
	size_t response_len;
	char request[2048];         /* what it was asked */
	int conns;                  /* connections serve() takes (0: one) */
	pthread_t thread;
};

static int fd_send(void *ctx, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)ctx, buf, len, MSG_NOSIGNAL);
	return n < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : (int)n;
}

static int fd_recv(void *ctx, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)ctx, buf, len, 0);
	return n < 0 ? MBEDTLS_ERR_NET_RECV_FAILED : (int)n;
}

static void *serve_one(struct server *s);

/* Accepts s->conns connections (at least one), each as serve_one(). */
static void *serve(void *arg)
{
	struct server *s = arg;
	for (int i = 0; i < (s->conns > 1 ? s->conns : 1); i++)
		serve_one(s);
	return NULL;
}

/* Accepts one connection, reads the request head and writes the canned response. */
static void *serve_one(struct server *s)
{
	mbedtls_ssl_context ssl;
	size_t got = 0;
	struct pollfd pfd = { s->listen_fd, POLLIN, 0 };
	if (poll(&pfd, 1, TIMEOUT) != 1)     /* bounded: a client that never comes fails the test */
		return NULL;
	int fd = accept(s->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	mbedtls_ssl_init(&ssl);
	if (mbedtls_ssl_setup(&ssl, &s->conf) != 0)
		goto out;
	mbedtls_ssl_set_bio(&ssl, &fd, fd_send, fd_recv, NULL);
	if (mbedtls_ssl_handshake(&ssl) != 0)
		goto out;
	while (got < sizeof(s->request) - 1 && strstr(s->request, "\r\n\r\n") == NULL) {
		int n = mbedtls_ssl_read(&ssl, (unsigned char *)s->request + got,
		                         sizeof(s->request) - 1 - got);
		if (n <= 0)
			goto out;
		got += (size_t)n;
		s->request[got] = 0;
	}
	for (size_t off = 0; off < s->response_len;) {
		int n = mbedtls_ssl_write(&ssl, (const unsigned char *)s->response + off,
		                          s->response_len - off);
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	mbedtls_ssl_close_notify(&ssl);
out:
	mbedtls_ssl_free(&ssl);
	close(fd);
	return NULL;
}

static int setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));
	char err[512];
	bool created;
	s->dir = temp_dir();
	assert_int_equal(cert_demo_ca(s->dir, &created, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(s->dir, HOST, err, sizeof(err)), 0);
	snprintf(s->ca, sizeof(s->ca), "%s/demo-ca/ca.pem", s->dir);
	mbedtls_x509_crt_init(&s->chain);
	mbedtls_pk_init(&s->key);
	assert_int_equal(cert_load(s->dir, HOST, &s->chain, &s->key, err, sizeof(err)), 0);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);
	mbedtls_ssl_config_init(&s->conf);
	assert_int_equal(mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy, NULL, 0), 0);
	assert_int_equal(mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
	                                             MBEDTLS_SSL_TRANSPORT_STREAM,
	                                             MBEDTLS_SSL_PRESET_DEFAULT), 0);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_ticket_init(&s->ticket);
	assert_int_equal(mbedtls_ssl_ticket_setup(&s->ticket, mbedtls_ctr_drbg_random, &s->drbg,
	                                          MBEDTLS_CIPHER_AES_256_GCM, 3600), 0);
	mbedtls_ssl_conf_session_tickets_cb(&s->conf, mbedtls_ssl_ticket_write,
	                                    mbedtls_ssl_ticket_parse, &s->ticket);
	assert_int_equal(mbedtls_ssl_conf_own_cert(&s->conf, &s->chain, &s->key), 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->listen_fd, 4), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &len), 0);
	snprintf(s->endpoint, sizeof(s->endpoint), "127.0.0.1:%u", ntohs(a.sin_port));
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct server *s = *state;
	close(s->listen_fd);
	mbedtls_ssl_config_free(&s->conf);
	mbedtls_ssl_ticket_free(&s->ticket);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	mbedtls_pk_free(&s->key);
	mbedtls_x509_crt_free(&s->chain);
	rm_tree(s->dir);
	free(s);
	return 0;
}

struct result {
	int rc;
	char err[512];
	uint8_t body[STS_FETCH_BODY_MAX];
	size_t len;
	struct sts_fetch_info info;   /* where the fetch stopped, what it saw */
};

/* Serves response to one fetch of host with a body cap of cap, through trust store ca. */
static struct result *fetch(struct server *s, const char *ca, const char *host,
                            const char *response, size_t cap)
{
	static struct result r;
	struct sts_fetch *f;
	memset(&r, 0, sizeof(r));
	s->response = response;
	s->response_len = strlen(response);
	s->request[0] = 0;
	assert_int_equal(sts_fetch_open(&f, ca, r.err, sizeof(r.err)), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	r.rc = sts_fetch_get_info(f, s->endpoint, host, TIMEOUT, r.body, cap, &r.len, &r.info, r.err,
	                          sizeof(r.err));
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	sts_fetch_close(f);
	return &r;
}

#define POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n"

static void test_success(void **state)
{
	struct server *s = *state;
	static const char *const responses[] = {
		"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 67\r\n\r\n" POLICY,
		"HTTP/1.0 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n\r\n" POLICY,
		"HTTP/1.1 200 OK\r\nContent-Type:text/plain\r\nConnection: close\r\n\r\n" POLICY,
	};
	for (size_t i = 0; i < 3; i++) {
		struct result *r = fetch(s, s->ca, HOST, responses[i], STS_FETCH_BODY_MAX);
		if (r->rc != 0)
			fail_msg("response %zu: %d %s", i, r->rc, r->err);
		assert_int_equal(r->len, strlen(POLICY));
		assert_memory_equal(r->body, POLICY, r->len);
		/* Asked as a sender asks. */
		assert_memory_equal(s->request, "GET /.well-known/mta-sts.txt HTTP/1.1\r\n", 39);
		assert_non_null(strstr(s->request, "\r\nHost: " HOST "\r\n"));
	}
	/* A body exactly as large as the room is fine; a byte more is not. */
	struct result *r = fetch(s, s->ca, HOST, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" POLICY,
	                         strlen(POLICY));
	assert_int_equal(r->rc, 0);
	r = fetch(s, s->ca, HOST, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" POLICY,
	          strlen(POLICY) - 1);
	assert_int_equal(r->rc, LS_ETOOBIG);
	assert_non_null(strstr(r->err, "body larger than 66 bytes"));
	assert_int_equal(r->len, 0);
}

static void test_refused_responses(void **state)
{
	struct server *s = *state;
	static const struct { const char *response, *reason; } cases[] = {
		{ "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope", "HTTP status 404" },
		{ "HTTP/1.1 301 Moved\r\nLocation: https://elsewhere/\r\nContent-Type: text/plain\r\n\r\n",
		  "HTTP status 301" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" POLICY,
		  "the policy is not served as text/plain" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plainer\r\n\r\n" POLICY,
		  "the policy is not served as text/plain" },
		{ "HTTP/1.1 200 OK\r\n\r\n" POLICY, "the policy is not served as text/plain" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "43\r\n" POLICY "\r\n0\r\n\r\n", "chunked transfer encoding is not expected" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n" POLICY,
		  "body of 67 bytes, Content-Length 100" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n" POLICY,
		  "body of 67 bytes, Content-Length 10" },
		{ "SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP response" },
		{ "HTTP/2 200\r\nContent-Type: text/plain\r\n\r\n" POLICY, "not an HTTP response" },
		{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n", "the response ended inside its headers" },
		{ "", "the response ended inside its headers" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct result *r = fetch(s, s->ca, HOST, cases[i].response, STS_FETCH_BODY_MAX);
		char want[256];
		snprintf(want, sizeof(want), "%s: %s", s->endpoint, cases[i].reason);
		if (r->rc >= 0 || strcmp(r->err, want) != 0)
			fail_msg("case %zu: %d \"%s\", want \"%s\"", i, r->rc, r->err, want);
		assert_int_equal(r->len, 0);
	}
}

static void test_certificate_refused(void **state)
{
	struct server *s = *state;
	const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" POLICY;
	/* The certificate names another host. */
	struct result *r = fetch(s, s->ca, "mta-sts.example.org", ok, STS_FETCH_BODY_MAX);
	assert_true(r->rc < 0);
	assert_non_null(strstr(r->err, "certificate for mta-sts.example.org not trusted"));
	/* Another CA. */
	char *other = temp_dir(), ca[4200], err[512];
	bool created;
	assert_int_equal(cert_demo_ca(other, &created, err, sizeof(err)), 0);
	snprintf(ca, sizeof(ca), "%s/demo-ca/ca.pem", other);
	r = fetch(s, ca, HOST, ok, STS_FETCH_BODY_MAX);
	assert_true(r->rc < 0);
	assert_non_null(strstr(r->err, "certificate for " HOST " not trusted"));
	rm_tree(other);
}

static void test_open_and_connect_errors(void **state)
{
	struct server *s = *state;
	struct sts_fetch *f = NULL;
	char err[512] = "", path[4200];
	uint8_t body[16];
	size_t len = 7;
	snprintf(path, sizeof(path), "%s/missing.pem", s->dir);
	assert_int_equal(sts_fetch_open(&f, path, err, sizeof(err)), LS_ECONFIG);
	assert_non_null(strstr(err, "cannot read any certificate"));
	assert_int_equal(sts_fetch_open(&f, s->ca, err, sizeof(err)), 0);
	assert_int_equal(sts_fetch_get(f, "mta-sts.example.com:443", HOST, TIMEOUT, body,
	                               sizeof(body), &len, err, sizeof(err)), LS_ECONFIG);
	assert_string_equal(err, "mta-sts.example.com:443: not an address");
	assert_int_equal(len, 0);
	/* Nobody listens on a port just closed. */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%u", ntohs(a.sin_port));
	assert_int_equal(sts_fetch_get(f, endpoint, HOST, TIMEOUT, body, sizeof(body), &len, err,
	                               sizeof(err)), -ECONNREFUSED);
	assert_non_null(strstr(err, "connect: Connection refused"));
	/* A server that accepts (the kernel does) but never answers: the deadline holds. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = sts_fetch_get(f, s->endpoint, HOST, 300, body, sizeof(body), &len, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(rc < 0);
	assert_non_null(strstr(err, "TLS handshake: timed out"));
	assert_true(ms >= 250 && ms < 3000);
	sts_fetch_close(f);
	sts_fetch_close(NULL);
}

/* What a check needs to name a failed fetch's problem: the stage, the certificate's flags
 * and end, the status, Location and Content-Type. */
static void test_info(void **state)
{
	struct server *s = *state;
	struct result *r = fetch(s, s->ca, HOST, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	                         "\r\n" POLICY, STS_FETCH_BODY_MAX);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->info.stage, STS_FETCH_DONE);
	assert_int_equal(r->info.status, 200);
	assert_true(r->info.cert_not_after > (int64_t)time(NULL) + 86400);
	r = fetch(s, s->ca, HOST, "HTTP/1.1 301 Moved\r\nLocation:  https://elsewhere/x \r\n"
	          "Content-Type: text/plain\r\n\r\n", STS_FETCH_BODY_MAX);
	assert_int_equal(r->info.stage, STS_FETCH_HTTP);
	assert_int_equal(r->info.status, 301);
	assert_string_equal(r->info.location, "https://elsewhere/x");
	r = fetch(s, s->ca, HOST, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" POLICY,
	          STS_FETCH_BODY_MAX);
	assert_int_equal(r->info.stage, STS_FETCH_HTTP);
	assert_string_equal(r->info.content_type, "text/html");
	assert_string_equal(r->info.location, "");
	r = fetch(s, s->ca, "mta-sts.example.org", "HTTP/1.1 200 OK\r\n\r\n", STS_FETCH_BODY_MAX);
	assert_int_equal(r->info.stage, STS_FETCH_TLS);
	assert_true(r->info.verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
	assert_int_equal(r->info.status, 0);
}

/* A fetch context for the 4-byte answer the session tests serve. */
static struct sts_fetch *session_fetcher(struct server *s)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	                         "Content-Length: 4\r\n\r\nabcd";
	struct sts_fetch *f;
	char err[512];
	s->response = ok;
	s->response_len = strlen(ok);
	assert_int_equal(sts_fetch_open(&f, s->ca, err, sizeof(err)), 0);
	return f;
}

/* One fetch of HOST with f from the one-connection server; it must succeed. */
static void fetch_once(struct server *s, struct sts_fetch *f)
{
	static uint8_t body[STS_FETCH_BODY_MAX];
	char err[512];
	size_t len;
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	int rc = sts_fetch_get(f, s->endpoint, HOST, TIMEOUT, body, sizeof(body), &len, err,
	                       sizeof(err));
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	if (rc != 0)
		fail_msg("fetch: %d %s", rc, err);
	assert_int_equal(len, 4);
}

/* A plain HTTP server for sts_fetch_request()'s http:// URLs: one connection, the request
 * read whole (head and Content-Length body), the canned response, then (hold) the connection
 * kept open until the client closes it. */
struct plain {
	int fd;
	const char *response;
	bool hold;
	char request[2048];
};

static void *plain_serve(void *arg)
{
	struct plain *p = arg;
	size_t got = 0;
	int fd = accept(p->fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	for (;;) {
		char *end = strstr(p->request, "\r\n\r\n"), *cl = strstr(p->request, "Content-Length: ");
		if (end && (size_t)(p->request + got - end - 4) >= (size_t)(cl ? atoi(cl + 16) : 0))
			break;
		ssize_t n = recv(fd, p->request + got, sizeof(p->request) - 1 - got, 0);
		if (n <= 0 || got + (size_t)n >= sizeof(p->request) - 1)
			break;
		got += (size_t)n;
		p->request[got] = 0;
	}
	send(fd, p->response, strlen(p->response), MSG_NOSIGNAL);
	struct pollfd pf = { fd, POLLIN, 0 };
	char c;
	while (p->hold && poll(&pf, 1, 10000) == 1 && recv(fd, &c, 1, 0) > 0)
		;
	close(fd);
	return NULL;
}

struct plain_result {
	int rc;
	char err[512];
	struct http_response h;
	char *body;
	size_t len;
	int64_t ms;
};

/* One sts_fetch_request() of method and path (a URL on the plain server) with f NULL. */
static void plain_request(struct plain *p, const char *method, const char *path, bool head_only,
                          const char *body, struct plain_result *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char url[128];
	pthread_t th;
	p->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(p->fd, 4), 0);
	assert_int_equal(getsockname(p->fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", ntohs(a.sin_port), path);
	p->request[0] = 0;
	struct sts_fetch_req q = { method, url, body ? "application/json" : NULL, body,
	                           body ? strlen(body) : 0, TIMEOUT, "lockstep-test", head_only };
	memset(r, 0, sizeof(*r));
	assert_int_equal(pthread_create(&th, NULL, plain_serve, p), 0);
	int64_t t0 = clock_mono_ms();
	r->rc = sts_fetch_request(NULL, &q, &r->h, &r->body, &r->len, r->err, sizeof(r->err));
	r->ms = clock_mono_ms() - t0;
	assert_int_equal(pthread_join(th, NULL), 0);
	close(p->fd);
}

/* http:// URLs: no TLS (the server reads the request as plain text), default port 80, the
 * same response parsing as https. */
static void test_request_http(void **state)
{
	(void)state;
	struct plain p = { .response = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\n"
	                               "Location: http://x/1\r\n\r\nhello" };
	struct plain_result r;
	plain_request(&p, "POST", "/hook?x=1", false, "{\"a\":1}", &r);
	if (r.rc != 0)
		fail_msg("%d %s", r.rc, r.err);
	assert_int_equal(r.h.status, 201);
	assert_string_equal(r.h.location, "http://x/1");
	assert_int_equal(r.len, 5);
	assert_string_equal(r.body, "hello");
	free(r.body);
	assert_memory_equal(p.request, "POST /hook?x=1 HTTP/1.1\r\nHost: 127.0.0.1:", 41);
	assert_non_null(strstr(p.request, "\r\nUser-Agent: lockstep-test\r\n"));
	assert_non_null(strstr(p.request, "\r\nContent-Type: application/json\r\n"
	                                  "Content-Length: 7\r\n\r\n{\"a\":1}"));
	/* Chunked, decoded; any status is a response. */
	p.response = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
	             "3\r\nnot\r\n6\r\n found\r\n0\r\n\r\n";
	plain_request(&p, "GET", "", false, NULL, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.h.status, 404);
	assert_string_equal(r.body, "not found");
	free(r.body);
	assert_memory_equal(p.request, "GET / HTTP/1.1\r\n", 16);
	/* head_only ends at the head, not at the close a server holds back. */
	p.response = "HTTP/1.1 204 No Content\r\n\r\n";
	p.hold = true;
	plain_request(&p, "POST", "/", true, "{}", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.h.status, 204);
	assert_int_equal(r.len, 0);
	assert_true(r.ms < TIMEOUT / 2);
	free(r.body);
	/* Not HTTP; and https without a TLS context. */
	p.response = "garbage\r\n\r\n";
	p.hold = false;
	plain_request(&p, "GET", "/", false, NULL, &r);
	assert_int_equal(r.rc, LS_EPARSE);
	assert_non_null(strstr(r.err, "not an HTTP response"));
	assert_null(r.body);
	struct sts_fetch_req q = { "GET", "https://127.0.0.1/", NULL, NULL, 0, TIMEOUT, NULL, false };
	assert_int_equal(sts_fetch_request(NULL, &q, &r.h, &r.body, &r.len, r.err, sizeof(r.err)),
	                 LS_ECONFIG);
}

static void test_url_parse(void **state)
{
	(void)state;
	static const struct { const char *url; bool tls; const char *host, *port, *path; } good[] = {
		{ "http://hook.example", false, "hook.example", "80", "/" },
		{ "HTTPS://ca.example/dir", true, "ca.example", "443", "/dir" },
		{ "http://127.0.0.1:9000/alert?a=b", false, "127.0.0.1", "9000", "/alert?a=b" },
		{ "https://[::1]:14000/dir", true, "::1", "14000", "/dir" },
		{ "http://[2001:db8::1]", false, "2001:db8::1", "80", "/" },
	};
	static const char *const bad[] = {
		"ftp://x/", "http://", "http:///x", "http://x:0/", "http://x:65536/", "http://x:80a/",
		"http://x?q", "http://user@x/", "http://x/a b", "http://x/a\r\nX: y", "http://x/#frag",
		"http://[::1/", "http://[]/", "https://x y/", "mailto:a@b",
	};
	struct sts_fetch_url u;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (sts_fetch_url_parse(good[i].url, &u) != 0)
			fail_msg("%s refused", good[i].url);
		assert_int_equal(u.tls, good[i].tls);
		assert_string_equal(u.host, good[i].host);
		assert_string_equal(u.port, good[i].port);
		assert_string_equal(u.path, good[i].path);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sts_fetch_url_parse(bad[i], &u) != LS_EPARSE)
			fail_msg("%s accepted", bad[i]);
}

/* With sts_fetch_no_resume(), every fetch is a full handshake and nothing is kept. */
static void test_no_resume(void **state)
{
	struct server *s = *state;
	uint64_t full, resumed;
	struct sts_fetch *f = session_fetcher(s);
	sts_fetch_no_resume(f);
	fetch_once(s, f);
	fetch_once(s, f);
	sts_fetch_counts(f, &full, &resumed);
	assert_int_equal(resumed, 0);
	assert_false(sts_fetch_sessions_changed(f));
	sts_fetch_close(f);
}

/* A new fetch context with the sessions of dir: one fetch of HOST, which must have made
 * full and resumed handshakes. Close the context returned with sts_fetch_close(). */
static struct sts_fetch *fetch_loaded(struct server *s, const char *dir, uint64_t want_full,
                                      uint64_t want_resumed)
{
	struct sts_fetch *f;
	char err[512];
	static uint8_t body[STS_FETCH_BODY_MAX];
	size_t len;
	uint64_t full, resumed;
	assert_int_equal(sts_fetch_open(&f, s->ca, err, sizeof(err)), 0);
	assert_int_equal(sts_fetch_sessions_use(f, dir), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	assert_int_equal(sts_fetch_get(f, s->endpoint, HOST, TIMEOUT, body, sizeof(body), &len, err,
	                               sizeof(err)), 0);
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	sts_fetch_counts(f, &full, &resumed);
	assert_int_equal(full, want_full);
	assert_int_equal(resumed, want_resumed);
	return f;
}

/* A lazy context (sts_fetch_open_lazy) resumes without reading the trust store (here a file
 * with no certificate); with nothing to resume it reads it, and says what is wrong with it; a
 * server that declines the session offered is asked again with the store, on a new
 * connection. */
static void test_lazy_trust(void **state)
{
	struct server *s = *state;
	struct sts_fetch *f;
	char err[512], dir[4200], junk[4200];
	static uint8_t body[STS_FETCH_BODY_MAX];
	size_t len;
	uint64_t full, resumed;
	snprintf(dir, sizeof(dir), "%s/sessions.d", s->dir);
	snprintf(junk, sizeof(junk), "%s/junk.pem", s->dir);
	FILE *j = fopen(junk, "w");
	assert_non_null(j);
	fputs("not a certificate\n", j);
	fclose(j);
	f = session_fetcher(s);                     /* a session kept after a verified handshake */
	assert_int_equal(sts_fetch_sessions_use(f, dir), 0);
	fetch_once(s, f);
	assert_int_equal(sts_fetch_sessions_save(f), 0);
	sts_fetch_close(f);

	assert_int_equal(sts_fetch_open_lazy(&f, junk, err, sizeof(err)), 0);
	assert_int_equal(sts_fetch_sessions_use(f, dir), 0);
	fetch_once(s, f);
	sts_fetch_counts(f, &full, &resumed);
	assert_int_equal(full, 0);
	assert_int_equal(resumed, 1);
	sts_fetch_close(f);

	assert_int_equal(sts_fetch_open_lazy(&f, junk, err, sizeof(err)), 0);   /* no sessions */
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	int rc = sts_fetch_get(f, s->endpoint, HOST, TIMEOUT, body, sizeof(body), &len, err,
	                       sizeof(err));
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	assert_int_equal(rc, LS_ECONFIG);
	assert_non_null(strstr(err, "junk.pem: cannot read any certificate"));
	sts_fetch_close(f);

	mbedtls_ssl_ticket_free(&s->ticket);      /* new ticket keys: the session is declined */
	mbedtls_ssl_ticket_init(&s->ticket);
	assert_int_equal(mbedtls_ssl_ticket_setup(&s->ticket, mbedtls_ctr_drbg_random, &s->drbg,
	                                          MBEDTLS_CIPHER_AES_256_GCM, 3600), 0);
	assert_int_equal(sts_fetch_open_lazy(&f, s->ca, err, sizeof(err)), 0);
	assert_int_equal(sts_fetch_sessions_use(f, dir), 0);
	s->conns = 2;
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	rc = sts_fetch_get(f, s->endpoint, HOST, TIMEOUT, body, sizeof(body), &len, err,
	                   sizeof(err));
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	s->conns = 0;
	if (rc != 0)
		fail_msg("declined session: %d %s", rc, err);
	assert_int_equal(len, 4);
	sts_fetch_counts(f, &full, &resumed);
	assert_int_equal(full, 1);
	assert_int_equal(resumed, 0);
	sts_fetch_close(f);

	assert_int_equal(sts_fetch_open_lazy(&f, "/nonexistent/ca.pem", err, sizeof(err)),
	                 LS_ECONFIG);
	assert_non_null(strstr(err, "cannot read any certificate"));
}

/* The second fetch of a host resumes the first one's session with its ticket; another host
 * (or a server that forgot its ticket keys) gets a full handshake. */
static void test_session_resumed(void **state)
{
	struct server *s = *state;
	struct sts_fetch *f;
	char err[512];
	static uint8_t body[STS_FETCH_BODY_MAX];
	size_t len;
	uint64_t full, resumed;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nabcd";
	s->response = ok;
	s->response_len = strlen(ok);
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/sessions.d", s->dir);
	assert_int_equal(sts_fetch_open(&f, s->ca, err, sizeof(err)), 0);
	assert_int_equal(sts_fetch_sessions_use(f, dir), 0);
	for (int i = 0; i < 3; i++) {
		if (i == 2) {            /* new ticket keys: the old ticket no longer opens */
			mbedtls_ssl_ticket_free(&s->ticket);
			mbedtls_ssl_ticket_init(&s->ticket);
			assert_int_equal(mbedtls_ssl_ticket_setup(&s->ticket, mbedtls_ctr_drbg_random,
			                                          &s->drbg, MBEDTLS_CIPHER_AES_256_GCM,
			                                          3600), 0);
		}
		assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
		int rc = sts_fetch_get(f, s->endpoint, HOST, TIMEOUT, body, sizeof(body), &len, err,
		                       sizeof(err));
		assert_int_equal(pthread_join(s->thread, NULL), 0);
		assert_int_equal(rc, 0);
		assert_int_equal(len, 4);
		sts_fetch_counts(f, &full, &resumed);
		assert_int_equal(full, i < 2 ? 1 : 2);
		assert_int_equal(resumed, i >= 1 ? 1 : 0);
	}
	/* The sessions saved go on in the next process: its first fetch resumes, reading only
	 * its own name's file. */
	assert_true(sts_fetch_sessions_changed(f));
	assert_int_equal(sts_fetch_sessions_save(f), 0);
	assert_false(sts_fetch_sessions_changed(f));
	sts_fetch_close(f);
	f = fetch_loaded(s, dir, 0, 1);
	assert_false(sts_fetch_sessions_changed(f));   /* resumed: nothing new to write */
	sts_fetch_close(f);

	/* A session that does not parse when it is needed: a full handshake, no error, and the
	 * new session replaces it. */
	char key[400];
	snprintf(key, sizeof(key), "%s %s", s->endpoint, HOST);
	assert_int_equal(sts_sessions_put(dir, key, (const unsigned char *)"garbage", 7), 0);
	f = fetch_loaded(s, dir, 1, 0);
	assert_int_equal(sts_fetch_sessions_save(f), 0);
	sts_fetch_close(f);
	sts_fetch_close(fetch_loaded(s, dir, 0, 1));

	/* A directory that cannot exist is no sessions, and a save there reports it. */
	f = fetch_loaded(s, "/nonexistent/sessions.d", 1, 0);
	assert_true(sts_fetch_sessions_save(f) < 0);
	sts_fetch_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_responses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_certificate_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info, setup, teardown),
		cmocka_unit_test(test_request_http),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test_setup_teardown(test_no_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_and_connect_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_resumed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_trust, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
