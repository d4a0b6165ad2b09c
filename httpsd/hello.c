/*
 * Finds whether the first ClientHello names a server. mbedTLS calls its SNI callback only when
 * the extension is there; without it the handshake would fail with a generic alert, so httpsd
 * answers those itself with unrecognized_name. The same walk finds other extensions (ALPN, for
 * tls-alpn-01 in alpn.c), which mbedTLS would only show after it has picked a certificate.
 */
#include <stdbool.h>
#include "httpsd/hello.h"

const uint8_t hello_alert_unrecognized_name[7] = { 21, 3, 3, 0, 2, 2, 112 };

/* A bounds-checked reader over one record. */
struct rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct rd *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static size_t num(struct rd *r, size_t bytes)
{
	const uint8_t *p = take(r, bytes);
	size_t v = 0;
	for (size_t i = 0; p && i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* Walks the first record's ClientHello to extension want: HELLO_SNI when found (its body in
 * *body, *blen), HELLO_NO_SNI when absent, or HELLO_MORE, HELLO_OTHER as hello_peek_sni(). */
static enum hello_sni find(const uint8_t *buf, size_t len, size_t want, const uint8_t **body,
                           size_t *blen)
{
	if (len < 5)
		return len > 0 && buf[0] != 22 ? HELLO_OTHER : HELLO_MORE;
	size_t rlen = (size_t)buf[3] << 8 | buf[4];
	if (buf[0] != 22 || buf[1] != 3 || rlen > HELLO_RECORD_MAX - 5)
		return HELLO_OTHER;
	if (len < 5 + rlen)
		return HELLO_MORE;
	struct rd r = { buf + 5, rlen, false };
	if (num(&r, 1) != 1)
		return HELLO_OTHER;                 /* not a ClientHello */
	size_t hlen = num(&r, 3);
	if (r.bad || hlen > r.left)
		return HELLO_OTHER;                 /* spread over several records */
	r.left = hlen;
	take(&r, 2 + 32);                       /* client_version, random */
	take(&r, num(&r, 1));                   /* session_id */
	take(&r, num(&r, 2));                   /* cipher_suites */
	take(&r, num(&r, 1));                   /* compression_methods */
	if (r.bad)
		return HELLO_OTHER;
	if (r.left == 0)
		return HELLO_NO_SNI;                /* no extensions at all */
	size_t elen = num(&r, 2);
	if (r.bad || elen > r.left)
		return HELLO_OTHER;
	r.left = elen;
	while (r.left > 0) {
		size_t type = num(&r, 2), n = num(&r, 2);
		const uint8_t *p = take(&r, n);
		if (r.bad || p == NULL)
			return HELLO_OTHER;
		if (type == want) {
			*body = p;
			*blen = n;
			return HELLO_SNI;
		}
	}
	return HELLO_NO_SNI;
}

enum hello_sni hello_peek_sni(const uint8_t *buf, size_t len)
{
	const uint8_t *body;
	size_t blen;
	return find(buf, len, HELLO_EXT_SERVER_NAME, &body, &blen);
}

bool hello_find_ext(const uint8_t *buf, size_t len, unsigned type, const uint8_t **body,
                    size_t *blen)
{
	return find(buf, len, type, body, blen) == HELLO_SNI;
}
