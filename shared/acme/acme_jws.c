/* ES256 JWS, JWK thumbprints and External Account Binding for the ACME client. */
#include <string.h>
#include <mbedtls/base64.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include "shared/util/err.h"
#include "shared/acme/acme_jws.h"

#define P256_BYTES 32
#define B64_MAX 8192          /* base64url of one protected header or signature we make */

int acme_b64url(const void *in, size_t n, char *out, size_t cap)
{
	size_t olen;
	if (mbedtls_base64_encode((unsigned char *)out, cap, &olen, in, n) != 0)
		return LS_ETOOBIG;
	while (olen && out[olen - 1] == '=')
		olen--;
	out[olen] = 0;
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return 0;
}

int acme_b64url_decode(const char *in, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strcspn(in, "= \t\r\n");
	char buf[B64_MAX + 4];
	if (len > B64_MAX || in[len + strspn(in + len, "= \t\r\n")] != 0)
		return LS_EPARSE;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '+' || c == '/')
			return LS_EPARSE;
		buf[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (len % 4)
		buf[len++] = '=';
	if (mbedtls_base64_decode(out, cap, n, (unsigned char *)buf, len) != 0)
		return LS_EPARSE;
	return 0;
}

static json_t *b64_string(const void *in, size_t n)
{
	char out[B64_MAX];
	return acme_b64url(in, n, out, sizeof(out)) == 0 ? json_string(out) : NULL;
}

json_t *acme_jwk(const mbedtls_pk_context *key)
{
	uint8_t x[P256_BYTES], y[P256_BYTES];
	if (mbedtls_pk_get_type(key) != MBEDTLS_PK_ECKEY)
		return NULL;
	const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*key);
	if (ec->grp.id != MBEDTLS_ECP_DP_SECP256R1 ||
	    mbedtls_mpi_write_binary(&ec->Q.X, x, sizeof(x)) != 0 ||
	    mbedtls_mpi_write_binary(&ec->Q.Y, y, sizeof(y)) != 0)
		return NULL;
	return json_pack("{s:s,s:s,s:o*,s:o*}", "crv", "P-256", "kty", "EC",
	                 "x", b64_string(x, sizeof(x)), "y", b64_string(y, sizeof(y)));
}

int acme_jwk_thumbprint(const mbedtls_pk_context *key, char *out)
{
	uint8_t digest[32];
	json_t *jwk = acme_jwk(key);
	/* RFC 7638 3: the required members in lexicographic order, no white space. */
	char *text = jwk ? json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(jwk);
	if (text == NULL)
		return LS_EPARSE;
	mbedtls_sha256_ret((const unsigned char *)text, strlen(text), digest, 0);
	free(text);
	return acme_b64url(digest, sizeof(digest), out, ACME_B64_SHA256);
}

/* The flattened JWS of protected header hdr over payload, signed by sign(). */
static char *flatten(json_t *hdr, const char *payload,
                     int (*sign)(const uint8_t *in, size_t n, uint8_t *sig, size_t *slen,
                                 void *arg), void *arg)
{
	char *htext = json_dumps(hdr, JSON_COMPACT), *out = NULL;
	size_t plen = strlen(payload);
	size_t cap = (htext ? strlen(htext) : 0) * 2 + plen * 2 + 16;
	char *p64 = malloc(cap), *input = malloc(cap * 2);
	char h64[B64_MAX], s64[256];
	uint8_t sig[72];
	size_t slen;
	if (htext == NULL || p64 == NULL || input == NULL ||
	    acme_b64url(htext, strlen(htext), h64, sizeof(h64)) != 0 ||
	    acme_b64url(payload, plen, p64, cap) != 0)
		goto out;
	int n = snprintf(input, cap * 2, "%s.%s", h64, p64);
	if (sign((const uint8_t *)input, (size_t)n, sig, &slen, arg) != 0 ||
	    acme_b64url(sig, slen, s64, sizeof(s64)) != 0)
		goto out;
	json_t *jws = json_pack("{s:s,s:s,s:s}", "protected", h64, "payload", p64,
	                        "signature", s64);
	out = jws ? json_dumps(jws, JSON_COMPACT) : NULL;
	json_decref(jws);
out:
	free(htext);
	free(p64);
	free(input);
	return out;
}

struct es256 {
	mbedtls_pk_context *key;
	int (*rng)(void *, unsigned char *, size_t);
	void *rng_ctx;
};

/* ES256 (RFC 7518 3.4): r and s, 32 bytes each, not DER. */
static int sign_es256(const uint8_t *in, size_t n, uint8_t *sig, size_t *slen, void *arg)
{
	struct es256 *e = arg;
	uint8_t hash[32];
	mbedtls_mpi r, s;
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*e->key);
	int rc;
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	mbedtls_sha256_ret(in, n, hash, 0);
	if ((rc = mbedtls_ecdsa_sign(&ec->grp, &r, &s, &ec->d, hash, sizeof(hash), e->rng,
	                             e->rng_ctx)) == 0 &&
	    (rc = mbedtls_mpi_write_binary(&r, sig, P256_BYTES)) == 0)
		rc = mbedtls_mpi_write_binary(&s, sig + P256_BYTES, P256_BYTES);
	*slen = 2 * P256_BYTES;
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return rc;
}

char *acme_jws_sign(mbedtls_pk_context *key, int (*rng)(void *, unsigned char *, size_t),
                    void *rng_ctx, const char *kid, const char *nonce, const char *url,
                    const char *payload)
{
	struct es256 e = { key, rng, rng_ctx };
	json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "nonce", nonce, "url", url);
	if (hdr == NULL)
		return NULL;
	if (kid)
		json_object_set_new(hdr, "kid", json_string(kid));
	else
		json_object_set_new(hdr, "jwk", acme_jwk(key));
	char *out = flatten(hdr, payload ? payload : "", sign_es256, &e);
	json_decref(hdr);
	return out;
}

struct hs256 {
	const uint8_t *key;
	size_t n;
};

static int sign_hs256(const uint8_t *in, size_t n, uint8_t *sig, size_t *slen, void *arg)
{
	struct hs256 *h = arg;
	*slen = 32;
	return mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), h->key, h->n, in, n,
	                       sig);
}

json_t *acme_jws_eab(const mbedtls_pk_context *key, const char *eab_kid, const uint8_t *hmac,
                     size_t n, const char *url)
{
	struct hs256 h = { hmac, n };
	json_t *jwk = acme_jwk(key);
	char *payload = jwk ? json_dumps(jwk, JSON_COMPACT) : NULL;
	json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", "HS256", "kid", eab_kid, "url", url);
	char *text = payload && hdr ? flatten(hdr, payload, sign_hs256, &h) : NULL;
	json_t *out = text ? json_loads(text, 0, NULL) : NULL;
	json_decref(jwk);
	json_decref(hdr);
	free(payload);
	free(text);
	return out;
}

int acme_keyauth(const char *token, const char *thumbprint, char *out, size_t cap)
{
	return snprintf(out, cap, "%s.%s", token, thumbprint) < (int)cap ? 0 : LS_ETOOBIG;
}

int acme_dns01_value(const char *keyauth, char *out)
{
	uint8_t digest[32];
	mbedtls_sha256_ret((const unsigned char *)keyauth, strlen(keyauth), digest, 0);
	return acme_b64url(digest, sizeof(digest), out, ACME_B64_SHA256);
}
