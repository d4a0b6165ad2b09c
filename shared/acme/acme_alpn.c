/* tls-alpn-01 validation certificates (RFC 8737 section 3) and their STORE_ACME_ALPN entries. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/platform_util.h>
#include "shared/acme/acme_alpn.h"
#include "shared/dns/wire.h"
#include "shared/tls/cert.h"
#include "shared/tls/cert_make.h"
#include "shared/util/err.h"

#define VALUE_VERSION 1
#define VALUE_HDR 10                  /* tag, version, created (8) */
#define VALIDITY_DAYS 7               /* the CA only looks at it during the handshake */
#define CN_MAX 64                     /* X.520 ub-common-name: longer names go in the SAN only */

/* id-pe-acmeIdentifier, 1.3.6.1.5.5.7.1.31 */
static const char oid_acme_identifier[] = "\x2b\x06\x01\x05\x05\x07\x01\x1f";

/* The critical extension whose value is an OCTET STRING holding the hash. */
static int identifier(mbedtls_x509write_cert *crt, const uint8_t sha256[32])
{
	unsigned char buf[40], *p = buf + sizeof(buf);
	int len = 0, k;
	if ((k = mbedtls_asn1_write_octet_string(&p, buf, sha256, 32)) < 0)
		return k;
	len += k;
	return mbedtls_x509write_crt_set_extension(crt, oid_acme_identifier,
	                                           sizeof(oid_acme_identifier) - 1, 1, p, (size_t)len);
}

/* mbedTLS writes DER at the end of the buffer: moves it to the front; its length or a code. */
static int to_front(unsigned char *buf, int n)
{
	if (n > 0)
		memmove(buf, buf + ACME_ALPN_DER_MAX - n, (size_t)n);
	return n;
}

/* The certificate and key for host, as DER in cert[ACME_ALPN_DER_MAX], key[ACME_ALPN_DER_MAX]. */
static int make(const char *host, const uint8_t sha256[32], unsigned char *cert, size_t *clen,
                unsigned char *key, size_t *klen, char *err, size_t errlen)
{
	struct cert_make m;
	mbedtls_pk_context pk;
	mbedtls_x509write_cert crt;
	char subject[CERT_HOST_MAX + 8];
	int rc, n;
	snprintf(subject, sizeof(subject), "CN=%s", strlen(host) <= CN_MAX ? host : "tls-alpn-01");
	cert_make_init(&m);
	mbedtls_pk_init(&pk);
	mbedtls_x509write_crt_init(&crt);
	if ((rc = cert_make_key(&m, &pk, err, errlen)) != 0)
		goto fail;
	if ((rc = cert_make_fields(&m, &crt, &pk, subject, &pk, subject, VALIDITY_DAYS)) == 0 &&
	    (rc = cert_make_san(&crt, host)) == 0 && (rc = identifier(&crt, sha256)) == 0) {
		n = mbedtls_x509write_crt_der(&crt, cert, ACME_ALPN_DER_MAX, mbedtls_ctr_drbg_random,
		                              &m.drbg);
		rc = n < 0 ? n : 0;
	}
	if (rc) {
		cert_tls_error(err, errlen, "cannot make the validation certificate", rc);
		goto fail;
	}
	*clen = (size_t)to_front(cert, n);
	if ((rc = n = mbedtls_pk_write_key_der(&pk, key, ACME_ALPN_DER_MAX)) < 0) {
		cert_tls_error(err, errlen, "cannot write the validation key", rc);
		goto fail;
	}
	*klen = (size_t)to_front(key, n);
	rc = 0;
fail:
	mbedtls_x509write_crt_free(&crt);
	mbedtls_pk_free(&pk);
	cert_make_free(&m);
	return rc;
}

int acme_alpn_put(struct store_txn *t, const char *host, const uint8_t keyauth_sha256[32],
                  char *err, size_t errlen)
{
	char name[CERT_HOST_MAX + 1];
	unsigned char cert[ACME_ALPN_DER_MAX], key[ACME_ALPN_DER_MAX];
	uint8_t val[VALUE_HDR + 4 + 2 * ACME_ALPN_DER_MAX];
	size_t clen = 0, klen = 0;
	if (cert_host_norm(host, name) != 0) {
		snprintf(err, errlen, "%s: not a host name", host);
		return LS_EPARSE;
	}
	int rc = make(name, keyauth_sha256, cert, &clen, key, &klen, err, errlen);
	if (rc)
		return rc;
	val[0] = ACME_ALPN_VALUE_TAG;
	val[1] = VALUE_VERSION;
	wire_put64(val + 2, (uint64_t)time(NULL));
	wire_put16(val + VALUE_HDR, (uint16_t)clen);
	memcpy(val + VALUE_HDR + 2, cert, clen);
	wire_put16(val + VALUE_HDR + 2 + clen, (uint16_t)klen);
	memcpy(val + VALUE_HDR + 4 + clen, key, klen);
	store_put(t, STORE_ACME_ALPN, name, strlen(name), val, VALUE_HDR + 4 + clen + klen, 0);
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_platform_zeroize(val, sizeof(val));
	if (t->err)
		snprintf(err, errlen, "%s: cannot store the validation certificate: %s", name,
		         ls_strerror(t->err));
	return t->err;
}

int acme_alpn_del(struct store_txn *t, const char *host)
{
	char name[CERT_HOST_MAX + 1];
	if (cert_host_norm(host, name) != 0)
		return LS_EPARSE;
	store_del(t, STORE_ACME_ALPN, name, strlen(name));
	return t->err;
}

int acme_alpn_decode(const void *val, size_t len, struct acme_alpn_view *out)
{
	const uint8_t *v = val;
	if (len < VALUE_HDR + 4 || v[0] != ACME_ALPN_VALUE_TAG || v[1] != VALUE_VERSION)
		return LS_ECORRUPT;
	size_t clen = wire_get16(v + VALUE_HDR);
	if (clen == 0 || clen > ACME_ALPN_DER_MAX || VALUE_HDR + 4 + clen > len)
		return LS_ECORRUPT;
	size_t klen = wire_get16(v + VALUE_HDR + 2 + clen);
	if (klen == 0 || klen > ACME_ALPN_DER_MAX || VALUE_HDR + 4 + clen + klen != len)
		return LS_ECORRUPT;
	out->created = (int64_t)wire_get64(v + 2);
	out->cert = v + VALUE_HDR + 2;
	out->cert_len = clen;
	out->key = v + VALUE_HDR + 4 + clen;
	out->key_len = klen;
	return 0;
}

/* id-pe-acmeIdentifier for mbedtls_x509_crt_parse_der_with_ext_cb(); others stay refused. */
static int known_extension(void *ctx, const mbedtls_x509_crt *crt, const mbedtls_x509_buf *oid,
                           int critical, const unsigned char *p, const unsigned char *end)
{
	(void)crt, (void)critical;
	if (oid->len != sizeof(oid_acme_identifier) - 1 ||
	    memcmp(oid->p, oid_acme_identifier, oid->len) != 0 ||
	    end - p != 34 || p[0] != MBEDTLS_ASN1_OCTET_STRING || p[1] != 32)
		return MBEDTLS_ERR_X509_INVALID_EXTENSIONS;
	if (ctx)
		memcpy(ctx, p + 2, 32);
	return 0;
}

int acme_alpn_parse(const struct acme_alpn_view *v, mbedtls_x509_crt *crt,
                    mbedtls_pk_context *key, uint8_t sha256[32])
{
	int rc = mbedtls_x509_crt_parse_der_with_ext_cb(crt, v->cert, v->cert_len, 1,
	                                                known_extension, sha256);
	return rc ? rc : mbedtls_pk_parse_key(key, v->key, v->key_len, NULL, 0);
}

int acme_alpn_get(struct store_txn *t, const char *host, int64_t now, struct acme_alpn_view *out)
{
	char name[CERT_HOST_MAX + 1];
	MDB_val v;
	if (cert_host_norm(host, name) != 0)
		return LS_ENOTFOUND;
	int rc = store_get(t, STORE_ACME_ALPN, name, strlen(name), &v);
	if (rc)
		return rc;
	if ((rc = acme_alpn_decode(v.mv_data, v.mv_size, out)) != 0)
		return rc;
	/* A crash between put and del must not leave a name answering for ever. */
	return now - out->created > ACME_ALPN_TTL || out->created > now + ACME_ALPN_TTL
	       ? LS_ENOTFOUND : 0;
}
