/* Certificates from the demo CA: a new key, the leaf signed, and the pair written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>
#include "shared/tls/cert.h"
#include "shared/tls/cert_make.h"
#include "shared/util/err.h"

#define CHAIN_MAX (2 * CERT_MAKE_PEM_MAX + CERT_FILE_MAX)   /* the leaf and the CA, in PEM */

/* subjectAltName (cert_make_san) and extKeyUsage serverAuth, DER-encoded by hand (2.28 has
 * no helper for it). */
static int leaf_extensions(mbedtls_x509write_cert *crt, const char *host)
{
	unsigned char buf[32], *p = buf + sizeof(buf);
	int rc = cert_make_san(crt, host);
	if (rc)
		return rc;
	int len = mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
	                                 MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH));
	if (len < 0)
		return len;
	return cert_make_seq_ext(crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
	                         MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), buf, p, (size_t)len);
}

/* Makes key and the leaf for host, signed by the CA, as PEM in cpem and kpem. */
static int sign_leaf(struct cert_make *m, mbedtls_x509_crt *ca, mbedtls_pk_context *cakey,
                     const char *host, mbedtls_pk_context *key, unsigned char *cpem, size_t ccap,
                     unsigned char *kpem, size_t kcap, char *err, size_t errlen)
{
	char issuer[CERT_TEXT_MAX], subject[CERT_HOST_MAX + 8];
	mbedtls_x509write_cert crt;
	int rc;
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &ca->subject) < 0) {
		snprintf(err, errlen, "the demo CA's subject name cannot be read");
		return LS_EPARSE;
	}
	snprintf(subject, sizeof(subject), "CN=%s", host);
	if ((rc = cert_make_key(m, key, err, errlen)) != 0)
		return rc;
	mbedtls_x509write_crt_init(&crt);
	if ((rc = cert_make_fields(m, &crt, key, subject, cakey, issuer, CERT_LEAF_DAYS)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) != 0 ||
	    (rc = leaf_extensions(&crt, host)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_authority_key_identifier(&crt)) != 0 ||
	    (rc = cert_make_pem(m, &crt, key, cpem, ccap, kpem, kcap)) != 0)
		cert_tls_error(err, errlen, "cannot make the certificate", rc);
	mbedtls_x509write_crt_free(&crt);
	return rc;
}

/* fullchain = the leaf, then the CA as the CA file has it: appends the CA to chain[*n..cap). */
static int append_ca(unsigned char *chain, size_t cap, size_t *n, const mbedtls_x509_crt *ca,
                     char *err, size_t errlen)
{
	size_t olen = 0;
	int rc = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
	                                  ca->raw.p, ca->raw.len, chain + *n, cap - *n, &olen);
	if (rc) {
		cert_tls_error(err, errlen, "cannot write the chain", rc);
		return rc;
	}
	*n += olen - 1;      /* olen counts the NUL */
	return 0;
}

/* The demo CA, loaded, and a random generator: what issuing one more certificate needs. */
struct cert_signer {
	const char *state_dir;
	mbedtls_x509_crt ca;
	mbedtls_pk_context key;
	struct cert_make m;
};

int cert_signer_open(struct cert_signer **out, const char *state_dir, char *err, size_t errlen)
{
	struct cert_signer *s = calloc(1, sizeof(*s));
	int rc;
	*out = NULL;
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	mbedtls_pk_init(&s->key);
	mbedtls_x509_crt_init(&s->ca);
	cert_make_init(&s->m);
	s->state_dir = state_dir;
	if (!cert_demo_exists(state_dir)) {
		snprintf(err, errlen, "no demo CA in %s/%s (zonectl cert demo-ca makes one)", state_dir,
		         CERT_CA_DIR);
		rc = -ENOENT;
	} else {
		rc = cert_demo_load(state_dir, &s->ca, &s->key, err, errlen);
	}
	if (rc)
		cert_signer_close(s);
	else
		*out = s;
	return rc;
}

void cert_signer_close(struct cert_signer *s)
{
	if (s == NULL)
		return;
	mbedtls_x509_crt_free(&s->ca);
	mbedtls_pk_free(&s->key);
	cert_make_free(&s->m);
	free(s);
}

int cert_signer_issue(struct cert_signer *s, const char *host, char *err, size_t errlen)
{
	unsigned char kpem[CERT_MAKE_PEM_MAX], *chain = NULL;
	mbedtls_pk_context key;
	size_t n;
	int rc;
	if (cert_host_check(host) != 0) {
		snprintf(err, errlen, "'%.*s' is not a lower-case host name", 64, host);
		return LS_EPARSE;
	}
	mbedtls_pk_init(&key);
	if ((chain = malloc(CHAIN_MAX)) == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((rc = sign_leaf(&s->m, &s->ca, &s->key, host, &key, chain, CERT_MAKE_PEM_MAX, kpem,
	                    sizeof(kpem), err, errlen)) != 0)
		goto out;
	n = strlen((char *)chain);
	if ((rc = append_ca(chain, CHAIN_MAX, &n, &s->ca, err, errlen)) != 0)
		goto out;
	rc = cert_write(s->state_dir, host, chain, n, kpem, strlen((char *)kpem), err, errlen);
out:
	mbedtls_platform_zeroize(kpem, sizeof(kpem));
	free(chain);
	mbedtls_pk_free(&key);
	return rc;
}

int cert_issue(const char *state_dir, const char *host, char *err, size_t errlen)
{
	struct cert_signer *s;
	if (cert_host_check(host) != 0) {
		snprintf(err, errlen, "'%.*s' is not a lower-case host name", 64, host);
		return LS_EPARSE;
	}
	int rc = cert_signer_open(&s, state_dir, err, errlen);
	if (rc == 0)
		rc = cert_signer_issue(s, host, err, errlen);
	cert_signer_close(s);
	return rc;
}

/* Whether host needs a (new) certificate: none usable with more than CERT_RENEW_DAYS left. */
static int needs_cert(const char *state_dir, const char *host, bool *need, char *err,
                      size_t errlen)
{
	struct cert_info info;
	if (cert_info_get(state_dir, host, &info) != 0) {
		snprintf(err, errlen, "'%.*s' is not a lower-case host name", 64, host);
		return LS_EPARSE;
	}
	*need = info.error != 0 ||
	        info.not_after - (int64_t)time(NULL) <= (int64_t)CERT_RENEW_DAYS * 86400;
	return 0;
}

int cert_signer_ensure(struct cert_signer *s, const char *host, char *err, size_t errlen)
{
	bool need;
	int rc = needs_cert(s->state_dir, host, &need, err, errlen);
	return rc || !need ? rc : cert_signer_issue(s, host, err, errlen);
}

int cert_demo_ensure(const char *state_dir, const char *host, char *err, size_t errlen)
{
	bool need;
	if (!cert_demo_exists(state_dir))
		return 0;
	int rc = needs_cert(state_dir, host, &need, err, errlen);
	return rc || !need ? rc : cert_issue(state_dir, host, err, errlen);
}
