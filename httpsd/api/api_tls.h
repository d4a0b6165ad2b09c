/* TLS for the API listener (api.tls-cert, api.tls-key): mbedTLS, TLS 1.2, as httpsd's. */
#ifndef HTTPSD_API_TLS_H
#define HTTPSD_API_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#define API_TLS_IN 17408             /* ciphertext read ahead: one TLS record and its header */

struct api_tls {
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	bool loaded, configured;
};

/* Reads the chain and its key (httpsd, before the privilege drop: the key may be root's only).
 * Returns 0, or -1 with the reason in err. */
int api_tls_load(struct api_tls *t, const char *cert, const char *key, char *err, size_t len);
/* In the API process, after the fork: a random generator of its own, the server config.
 * Returns 0 or an mbedTLS error. */
int api_tls_setup(struct api_tls *t);
void api_tls_free(struct api_tls *t);

#endif
