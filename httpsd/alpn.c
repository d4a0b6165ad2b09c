/* Answering tls-alpn-01: which ClientHellos ask for it, and the certificate from the store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "httpsd/alpn.h"
#include "httpsd/hello.h"
#include "shared/acme/acme_alpn.h"
#include "shared/util/err.h"

/* The ALPN extension's body (RFC 7301 3.1) lists acme-tls/1. */
static bool offers_acme(const uint8_t *p, size_t n)
{
	static const size_t plen = sizeof(ACME_ALPN_PROTO) - 1;
	if (n < 2 || ((size_t)p[0] << 8 | p[1]) != n - 2)
		return false;
	for (size_t i = 2; i < n; i += 1 + (size_t)p[i]) {
		size_t len = p[i];
		if (len == 0 || i + 1 + len > n)
			return false;
		if (len == plen && memcmp(p + i + 1, ACME_ALPN_PROTO, plen) == 0)
			return true;
	}
	return false;
}

/* The server_name extension's body (RFC 6066 3): its host_name, normalised, into host. */
static int host_name(const uint8_t *p, size_t n, char *host)
{
	char text[CERT_HOST_MAX + 2];
	if (n < 5 || ((size_t)p[0] << 8 | p[1]) != n - 2 || p[2] != 0)
		return -1;
	size_t len = (size_t)p[3] << 8 | p[4];
	if (len == 0 || len > CERT_HOST_MAX + 1 || 5 + len > n || memchr(p + 5, 0, len))
		return -1;
	memcpy(text, p + 5, len);
	text[len] = '\0';
	return cert_host_norm(text, host) == 0 ? 0 : -1;
}

int alpn_hello(const uint8_t *buf, size_t len, char *host)
{
	const uint8_t *p;
	size_t n;
	if (!hello_find_ext(buf, len, HELLO_EXT_ALPN, &p, &n) || !offers_acme(p, n) ||
	    !hello_find_ext(buf, len, HELLO_EXT_SERVER_NAME, &p, &n))
		return -1;
	return host_name(p, n, host);
}

int alpn_cert_get(struct store_txn *t, const char *host, int64_t now, struct alpn_cert **out)
{
	struct acme_alpn_view v;
	int rc = acme_alpn_get(t, host, now, &v);
	if (rc)
		return rc;
	struct alpn_cert *a = malloc(sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	snprintf(a->host, sizeof(a->host), "%s", host);
	mbedtls_x509_crt_init(&a->crt);
	mbedtls_pk_init(&a->key);
	if (acme_alpn_parse(&v, &a->crt, &a->key, NULL) != 0) {
		alpn_cert_free(a);
		return LS_ECORRUPT;
	}
	*out = a;
	return 0;
}

void alpn_cert_free(struct alpn_cert *a)
{
	if (a == NULL)
		return;
	mbedtls_x509_crt_free(&a->crt);
	mbedtls_pk_free(&a->key);
	free(a);
}

int alpn_cert_use(struct alpn_cert *a, mbedtls_ssl_context *ssl, const unsigned char *name,
                  size_t len)
{
	size_t hlen = strlen(a->host);
	if (len == hlen + 1 && name[hlen] == '.')
		len = hlen;                    /* the name as sent, a.host normalised */
	if (len != hlen || strncasecmp((const char *)name, a->host, len) != 0)
		return -1;
	return mbedtls_ssl_set_hs_own_cert(ssl, &a->crt, &a->key) == 0 ? 0 : -1;
}
