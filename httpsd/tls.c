/* mbedTLS server configuration: TLS 1.2 only, ECDHE with AES-GCM or ChaCha20-Poly1305, SNI. */
#include <string.h>
#include "httpsd/tls.h"

/* ECDSA first: its certificates are small and its signatures cheap (DESIGN.md, httpsd).
 * ChaCha20-Poly1305 before AES-GCM: in mbedTLS 2.28 it costs about half as much a byte here
 * (10 KB: 23 against 42 us; 300 B: 0.9 against 1.4 us), and a TLS report is 10 KB and more. */
static const int suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	0,
};

/* mbedTLS picks the first of ours the client offers; its X25519 costs about 2/3 of its P-256
 * ECDHE (tests/bench/tls_cost.c), and ECDHE is most of a full handshake's work. */
static const mbedtls_ecp_group_id curves[] = {
	MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_NONE,
};

static const char *alpn[] = { "http/1.1", NULL };
static const char *acme_alpn[] = { "acme-tls/1", NULL };

int tls_shared_init(struct tls_shared *t)
{
	static const char pers[] = "lockstep httpsd tickets";
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_ssl_ticket_init(&t->ticket);
	mbedtls_ssl_cache_init(&t->cache);
	t->ready = true;
	mbedtls_ssl_cache_set_max_entries(&t->cache, TLS_CACHE_MAX);
	mbedtls_ssl_cache_set_timeout(&t->cache, TLS_CACHE_SECONDS);
	int rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
	                               (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc)
		return rc;
	/* One ticket key set for all workers: a ticket resumes on whichever worker the kernel picks. */
	return mbedtls_ssl_ticket_setup(&t->ticket, mbedtls_ctr_drbg_random, &t->drbg,
	                                MBEDTLS_CIPHER_AES_256_GCM, TLS_TICKET_LIFETIME);
}

void tls_shared_free(struct tls_shared *t)
{
	if (!t->ready)
		return;
	mbedtls_ssl_cache_free(&t->cache);
	mbedtls_ssl_ticket_free(&t->ticket);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
	t->ready = false;
}

/* What both of a worker's configurations share; alpn is the protocol list it accepts. */
static int conf_setup(mbedtls_ssl_config *conf, struct tls_worker *w, tls_sni_fn sni,
                      void *sni_arg, const char **protos)
{
	int rc = mbedtls_ssl_config_defaults(conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
	                                     MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc)
		return rc;
	mbedtls_ssl_conf_rng(conf, mbedtls_ctr_drbg_random, &w->drbg);
	mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(conf, suites);
	mbedtls_ssl_conf_curves(conf, curves);
	mbedtls_ssl_conf_sni(conf, sni, sni_arg);
	return mbedtls_ssl_conf_alpn_protocols(conf, protos);
}

int tls_worker_init(struct tls_worker *w, struct tls_shared *t, tls_sni_fn sni, void *sni_arg)
{
	static const char pers[] = "lockstep httpsd worker";
	mbedtls_ctr_drbg_init(&w->drbg);
	mbedtls_ssl_config_init(&w->conf);
	mbedtls_ssl_config_init(&w->acme_conf);
	w->ready = true;
	int rc = mbedtls_ctr_drbg_seed(&w->drbg, mbedtls_entropy_func, &t->entropy,
	                               (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc == 0)
		rc = conf_setup(&w->conf, w, sni, sni_arg, alpn);
	/* tls-alpn-01 (alpn.h): one handshake, no resumption, acme-tls/1 only. */
	if (rc == 0)
		rc = conf_setup(&w->acme_conf, w, sni, sni_arg, acme_alpn);
	if (rc)
		return rc;
	mbedtls_ssl_conf_session_tickets_cb(&w->conf, mbedtls_ssl_ticket_write,
	                                    mbedtls_ssl_ticket_parse, &t->ticket);
	mbedtls_ssl_conf_session_cache(&w->conf, &t->cache, mbedtls_ssl_cache_get,
	                               mbedtls_ssl_cache_set);
	return 0;
}

void tls_worker_free(struct tls_worker *w)
{
	if (!w->ready)
		return;
	mbedtls_ssl_config_free(&w->conf);
	mbedtls_ssl_config_free(&w->acme_conf);
	mbedtls_ctr_drbg_free(&w->drbg);
	w->ready = false;
}
