/* Unit tests for httpsd/hello.c (SNI or not, extensions in a ClientHello) and the tls-alpn-01
 * check of httpsd/alpn.c on it, with ClientHellos built by hand. */
#include "tests/unit/unit.h"
#include "httpsd/alpn.h"
#include "httpsd/hello.h"

/* A TLS 1.2 ClientHello record with the given extensions block (NULL: no extensions at all). */
static size_t hello(uint8_t *out, const uint8_t *ext, size_t elen, bool with_ext)
{
	uint8_t body[512];
	size_t n = 0;
	body[n++] = 3;
	body[n++] = 3;
	memset(body + n, 0xab, 32);
	n += 32;
	body[n++] = 0;                              /* session id */
	body[n++] = 0;
	body[n++] = 2;
	body[n++] = 0xc0;
	body[n++] = 0x2b;                           /* one suite */
	body[n++] = 1;
	body[n++] = 0;                              /* null compression */
	if (with_ext) {
		body[n++] = (uint8_t)(elen >> 8);
		body[n++] = (uint8_t)elen;
		memcpy(body + n, ext, elen);
		n += elen;
	}
	uint8_t *p = out;
	*p++ = 22;
	*p++ = 3;
	*p++ = 1;
	*p++ = (uint8_t)((n + 4) >> 8);
	*p++ = (uint8_t)(n + 4);
	*p++ = 1;
	*p++ = 0;
	*p++ = (uint8_t)(n >> 8);
	*p++ = (uint8_t)n;
	memcpy(p, body, n);
	return n + 9;
}

static void test_hello(void **state)
{
	(void)state;
	uint8_t rec[600];
	static const uint8_t sni[] = { 0, 10, 0, 4, 0, 2, 0, 23,     /* supported_groups */
	                               0, 0, 0, 8, 0, 6, 0, 0, 3, 'a', '.', 'b' };
	static const uint8_t nosni[] = { 0, 10, 0, 4, 0, 2, 0, 23 };
	size_t n = hello(rec, sni, sizeof(sni), true);
	assert_int_equal(hello_peek_sni(rec, n), HELLO_SNI);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(hello_peek_sni(rec, k), HELLO_MORE);
	n = hello(rec, nosni, sizeof(nosni), true);
	assert_int_equal(hello_peek_sni(rec, n), HELLO_NO_SNI);
	n = hello(rec, NULL, 0, false);
	assert_int_equal(hello_peek_sni(rec, n), HELLO_NO_SNI);
	/* An extension running past the end: mbedTLS gets it and decides. */
	n = hello(rec, sni, sizeof(sni) - 1, true);
	assert_int_equal(hello_peek_sni(rec, n), HELLO_OTHER);
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	assert_int_equal(hello_peek_sni(http, sizeof(http) - 1), HELLO_OTHER);
	assert_int_equal(hello_peek_sni(http, 1), HELLO_OTHER);
	/* A handshake message longer than its record (fragmented): not ours to judge. */
	n = hello(rec, sni, sizeof(sni), true);
	rec[7] = 0x10;
	assert_int_equal(hello_peek_sni(rec, n), HELLO_OTHER);
	assert_int_equal(hello_alert_unrecognized_name[6], 112);
}

/* The extensions: server_name with name (NULL: none), then ALPN with the wire list alpn[n]
 * (NULL: none). */
static size_t exts(uint8_t *out, const char *name, const uint8_t *alpn, size_t n)
{
	size_t k = 0;
	if (name) {
		size_t len = strlen(name);
		const uint8_t head[] = { 0, 0, 0, (uint8_t)(len + 5), 0, (uint8_t)(len + 3), 0, 0,
		                         (uint8_t)len };
		memcpy(out, head, sizeof(head));
		memcpy(out + sizeof(head), name, len);
		k = sizeof(head) + len;
	}
	if (alpn) {
		const uint8_t head[] = { 0, 16, 0, (uint8_t)(n + 2), 0, (uint8_t)n };
		memcpy(out + k, head, sizeof(head));
		memcpy(out + k + sizeof(head), alpn, n);
		k += sizeof(head) + n;
	}
	return k;
}

static int check(const char *name, const uint8_t *alpn, size_t n, char *host)
{
	uint8_t ext[300], rec[600];
	size_t elen = exts(ext, name, alpn, n);
	size_t len = hello(rec, ext, elen, true);
	int rc = alpn_hello(rec, len, host);
	/* Never more than the record: a shorter buffer is not a whole ClientHello. */
	for (size_t k = 0; k < len; k++)
		assert_int_equal(alpn_hello(rec, k, host), -1);
	return rc;
}

static void test_alpn_hello(void **state)
{
	(void)state;
	static const uint8_t acme[] = { 10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1' };
	static const uint8_t both[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1',
	                                10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1' };
	static const uint8_t http[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
	static const uint8_t prefix[] = { 9, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/' };
	static const uint8_t overrun[] = { 11, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1' };
	static const uint8_t empty[] = { 0, 10, 'a', 'c', 'm', 'e', '-', 't', 'l', 's', '/', '1' };
	char host[CERT_HOST_MAX + 1];
	assert_int_equal(check("mta-sts.example.com", acme, sizeof(acme), host), 0);
	assert_string_equal(host, "mta-sts.example.com");
	assert_int_equal(check("MTA-STS.Example.COM.", both, sizeof(both), host), 0);
	assert_string_equal(host, "mta-sts.example.com");
	/* Not offered, offered wrongly, or no name: the ordinary handshake. */
	assert_int_equal(check("mta-sts.example.com", http, sizeof(http), host), -1);
	assert_int_equal(check("mta-sts.example.com", prefix, sizeof(prefix), host), -1);
	assert_int_equal(check("mta-sts.example.com", overrun, sizeof(overrun), host), -1);
	assert_int_equal(check("mta-sts.example.com", empty, sizeof(empty), host), -1);
	assert_int_equal(check("mta-sts.example.com", NULL, 0, host), -1);
	assert_int_equal(check(NULL, acme, sizeof(acme), host), -1);
	assert_int_equal(check("bad name!", acme, sizeof(acme), host), -1);
	assert_int_equal(check("", acme, sizeof(acme), host), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_alpn_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
