/*
 * ACME's signed requests (RFC 8555 6.2): ES256 JWS in the flattened JSON serialization,
 * the JWK of an account key and its thumbprint (RFC 7638), External Account Binding
 * (RFC 8555 7.3.4), key authorizations. JSON through jansson; keys through mbedTLS.
 */
#ifndef LS_ACME_JWS_H
#define LS_ACME_JWS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <mbedtls/pk.h>

#define ACME_B64_SHA256 48    /* base64url of a SHA-256 digest (43; 45 while padded) and NUL */

/* base64url without padding of in[n] into out[cap]; 0 or LS_ETOOBIG. */
int acme_b64url(const void *in, size_t n, char *out, size_t cap);
/* base64url (padding and blanks tolerated) into out[cap]; *n the bytes; 0 or LS_EPARSE. */
int acme_b64url_decode(const char *in, uint8_t *out, size_t cap, size_t *n);
/* The public JWK of a P-256 key: {"crv","kty","x","y"}; a new reference, NULL on failure. */
json_t *acme_jwk(const mbedtls_pk_context *key);
/* RFC 7638 thumbprint of key's JWK into out[ACME_B64_SHA256]; 0 or a negative code. */
int acme_jwk_thumbprint(const mbedtls_pk_context *key, char *out);
/*
 * The JWS for one request: protected header {alg ES256, nonce, url} with kid when given
 * (after registration), else jwk; payload the JSON text, or "" for POST-as-GET (NULL too).
 * Returns a malloc'ed JSON text, NULL on failure.
 */
char *acme_jws_sign(mbedtls_pk_context *key, int (*rng)(void *, unsigned char *, size_t),
                    void *rng_ctx, const char *kid, const char *nonce, const char *url,
                    const char *payload);
/* The externalAccountBinding object: HS256 over the account's JWK with the CA's MAC key
 * (hmac[n], decoded), kid eab_kid, url the newAccount URL. A new reference, NULL on failure. */
json_t *acme_jws_eab(const mbedtls_pk_context *key, const char *eab_kid, const uint8_t *hmac,
                     size_t n, const char *url);
/* token "." thumbprint into out[cap]; 0 or LS_ETOOBIG. */
int acme_keyauth(const char *token, const char *thumbprint, char *out, size_t cap);
/* The dns-01 TXT value: base64url(SHA-256(keyauth)) into out[ACME_B64_SHA256]. */
int acme_dns01_value(const char *keyauth, char *out);

#endif
