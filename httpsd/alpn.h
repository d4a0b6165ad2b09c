/*
 * tls-alpn-01 (RFC 8737) in httpsd: a ClientHello that offers ALPN acme-tls/1 for a name with a
 * pending entry in STORE_ACME_ALPN gets that entry's validation certificate, ALPN acme-tls/1,
 * and the connection closes after the handshake. Every other ClientHello goes on as before.
 */
#ifndef HTTPSD_ALPN_H
#define HTTPSD_ALPN_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include "shared/store/store.h"
#include "shared/tls/cert.h"

/* A validation certificate taken from the store for one connection. */
struct alpn_cert {
	char host[CERT_HOST_MAX + 1];
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
};

/*
 * The first record in buf[0..len), a whole ClientHello, offers acme-tls/1 and names a host:
 * 0 with the host (lower case) in host[CERT_HOST_MAX + 1]; -1 otherwise.
 */
int alpn_hello(const uint8_t *buf, size_t len, char *host);
/*
 * host's validation certificate from t when its entry is pending at now (Unix seconds): 0 and
 * *out (free with alpn_cert_free()); LS_ENOTFOUND, or a code for an entry that does not load.
 */
int alpn_cert_get(struct store_txn *t, const char *host, int64_t now, struct alpn_cert **out);
void alpn_cert_free(struct alpn_cert *a);
/* The SNI callback's part for a connection that has a: the certificate for the same name
 * (0), or -1 (mbedTLS sends unrecognized_name). */
int alpn_cert_use(struct alpn_cert *a, mbedtls_ssl_context *ssl, const unsigned char *name,
                  size_t len);

#endif
