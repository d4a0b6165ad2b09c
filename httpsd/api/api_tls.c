/* The API's TLS: the certificate read by httpsd, the rest set up in the API process. */
#include <stdio.h>
#include <string.h>
#include <mbedtls/error.h>
#include "httpsd/api/api_tls.h"

int api_tls_load(struct api_tls *t, const char *cert, const char *key, char *err, size_t len)
{
	char why[128];
	mbedtls_x509_crt_init(&t->crt);
	mbedtls_pk_init(&t->key);
	t->loaded = true;
	int rc = mbedtls_x509_crt_parse_file(&t->crt, cert);
	if (rc) {
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, len, "api.tls-cert: %s: %s", cert, why);
		return -1;
	}
	rc = mbedtls_pk_parse_keyfile(&t->key, key, NULL);
	if (rc == 0)
		rc = mbedtls_pk_check_pair(&t->crt.pk, &t->key);
	if (rc) {
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, len, "api.tls-key: %s: %s (or not the key of api.tls-cert)", key, why);
		return -1;
	}
	return 0;
}

int api_tls_setup(struct api_tls *t)
{
	static const char pers[] = "lockstep api";
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_ssl_config_init(&t->conf);
	t->configured = true;
	int rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
	                               (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc == 0)
		rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_SERVER,
		                                 MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc)
		return rc;
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	                             MBEDTLS_SSL_MINOR_VERSION_3);
	return mbedtls_ssl_conf_own_cert(&t->conf, &t->crt, &t->key);
}

void api_tls_free(struct api_tls *t)
{
	if (t->configured) {
		mbedtls_ssl_config_free(&t->conf);
		mbedtls_ctr_drbg_free(&t->drbg);
		mbedtls_entropy_free(&t->entropy);
		t->configured = false;
	}
	if (t->loaded) {
		mbedtls_pk_free(&t->key);
		mbedtls_x509_crt_free(&t->crt);
		t->loaded = false;
	}
}
