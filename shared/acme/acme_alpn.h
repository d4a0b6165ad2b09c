/*
 * tls-alpn-01 (RFC 8737): the validation certificate for a name with a pending authorization,
 * kept in STORE_ACME_ALPN so that httpsd (read-only) can answer ALPN acme-tls/1 with it.
 */
#ifndef LS_ACME_ALPN_H
#define LS_ACME_ALPN_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include "shared/store/store.h"

#define ACME_ALPN_PROTO "acme-tls/1"
#define ACME_ALPN_TTL 3600            /* seconds an entry is served after acme_alpn_put() */
#define ACME_ALPN_DER_MAX 1024        /* a validation certificate or its key, in DER */
#define ACME_ALPN_VALUE_TAG 'L'

/* One stored entry; pointers borrowed until the transaction ends. */
struct acme_alpn_view {
	int64_t created;                  /* Unix seconds of acme_alpn_put() */
	const uint8_t *cert;              /* the self-signed certificate, DER */
	size_t cert_len;
	const uint8_t *key;               /* its P-256 private key, DER */
	size_t key_len;
};

/*
 * Makes a fresh P-256 key and the validation certificate for host (one dNSName, the critical
 * id-pe-acmeIdentifier extension holding keyauth_sha256, the SHA-256 of the key
 * authorization) and stores both under host in t, replacing an older entry. host is checked
 * and lower-cased. Returns 0, or a negative code with the reason in err.
 */
int acme_alpn_put(struct store_txn *t, const char *host, const uint8_t keyauth_sha256[32],
                  char *err, size_t errlen);
/* Removes host's entry (none is not an error). Returns 0 or a negative code (sticky in t). */
int acme_alpn_del(struct store_txn *t, const char *host);
/*
 * host's entry (host as the client sent it; compared lower-case) when it was put at most
 * ACME_ALPN_TTL seconds before now: 0, LS_ENOTFOUND (none, or expired), LS_ECORRUPT (a value
 * that does not decode) or a store error.
 */
int acme_alpn_get(struct store_txn *t, const char *host, int64_t now, struct acme_alpn_view *out);
/*
 * Parses v's certificate into crt and its key into key (both initialised by the caller).
 * mbedTLS refuses critical extensions it does not know: this accepts id-pe-acmeIdentifier
 * (an OCTET STRING of 32 bytes) and copies its hash to sha256 when that is not NULL.
 * Returns 0 or an mbedTLS code.
 */
int acme_alpn_parse(const struct acme_alpn_view *v, mbedtls_x509_crt *crt,
                    mbedtls_pk_context *key, uint8_t sha256[32]);
/* Decodes a stored value (for acme_alpn_get() and store_check): 0 or LS_ECORRUPT. */
int acme_alpn_decode(const void *val, size_t len, struct acme_alpn_view *out);

#endif
