/* httpsd's TLS: TLS 1.2 with AEAD suites only, session tickets and a session cache shared by
 * every worker, and one mbedTLS configuration per worker. */
#ifndef HTTPSD_TLS_H
#define HTTPSD_TLS_H

#include <stdbool.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ticket.h>

#define TLS_TICKET_LIFETIME 43200   /* seconds a ticket resumes a session; keys rotate as often */
#define TLS_CACHE_MAX 1000          /* sessions kept for resumption by session id */
#define TLS_CACHE_SECONDS 3600

/* Shared by the workers: mbedTLS locks these itself (MBEDTLS_THREADING_C). */
struct tls_shared {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;  /* for the ticket keys */
	mbedtls_ssl_ticket_context ticket;
	mbedtls_ssl_cache_context cache;
	bool ready;
};

struct tls_worker {
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_ssl_config acme_conf;   /* for tls-alpn-01 handshakes (alpn.h) */
	bool ready;
};

/* The callback that picks a certificate by name: 0 after mbedtls_ssl_set_hs_own_cert(), or -1
 * for a name we have no certificate for (mbedTLS then sends unrecognized_name). */
typedef int (*tls_sni_fn)(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name,
                          size_t len);

/* Returns 0 or an mbedTLS error code; free with tls_shared_free() either way. */
int tls_shared_init(struct tls_shared *t);
void tls_shared_free(struct tls_shared *t);
int tls_worker_init(struct tls_worker *w, struct tls_shared *t, tls_sni_fn sni, void *sni_arg);
void tls_worker_free(struct tls_worker *w);

#endif
