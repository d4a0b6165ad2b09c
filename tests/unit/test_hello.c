/* Unit tests for httpsd/hello.c: SNI or not in a ClientHello, built by hand. */
#include "tests/unit/unit.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
