/* Making keys and certificates for the issuers: random numbers, P-256 keys, common fields. */
#include <string.h>
#include <time.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include "shared/tls/cert.h"
#include "shared/tls/cert_make.h"

#define SKEW_SECONDS 3600             /* notBefore lies this far back, for clocks behind ours */

void cert_make_init(struct cert_make *m)
{
	mbedtls_entropy_init(&m->entropy);
	mbedtls_ctr_drbg_init(&m->drbg);
	m->seeded = false;
	mbedtls_ecp_group_init(&m->grp);
	m->grp_loaded = false;
}

void cert_make_free(struct cert_make *m)
{
	mbedtls_ctr_drbg_free(&m->drbg);
	mbedtls_entropy_free(&m->entropy);
	mbedtls_ecp_group_free(&m->grp);
}

/* Seeds once, when the first key is made: an issuer that finds nothing to do draws no entropy. */
static int seed(struct cert_make *m)
{
	return cert_make_seed(m);
}

int cert_make_seed(struct cert_make *m)
{
	static const char pers[] = "lockstep cert";
	if (m->seeded)
		return 0;
	int rc = mbedtls_ctr_drbg_seed(&m->drbg, mbedtls_entropy_func, &m->entropy,
	                               (const unsigned char *)pers, sizeof(pers) - 1);
	m->seeded = rc == 0;
	return rc;
}

int cert_make_key(struct cert_make *m, mbedtls_pk_context *key, char *err, size_t errlen)
{
	int rc = seed(m);
	if (rc == 0 && !m->grp_loaded)
		m->grp_loaded = (rc = mbedtls_ecp_group_load(&m->grp, MBEDTLS_ECP_DP_SECP256R1)) == 0;
	if (rc == 0)
		rc = mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	/* The key's own group is loaded apart: only m->grp multiplies (and keeps its tables). */
	if (rc == 0)
		rc = mbedtls_ecp_group_load(&mbedtls_pk_ec(*key)->grp, MBEDTLS_ECP_DP_SECP256R1);
	if (rc == 0)
		rc = mbedtls_ecp_gen_keypair(&m->grp, &mbedtls_pk_ec(*key)->d, &mbedtls_pk_ec(*key)->Q,
		                             mbedtls_ctr_drbg_random, &m->drbg);
	if (rc)
		cert_tls_error(err, errlen, "cannot make a key", rc);
	return rc;
}

static void validity(char *from, char *to, int days)
{
	time_t now = time(NULL), a = now - SKEW_SECONDS, b = now + (time_t)days * 86400;
	struct tm tm;
	gmtime_r(&a, &tm);
	strftime(from, 16, "%Y%m%d%H%M%S", &tm);
	gmtime_r(&b, &tm);
	strftime(to, 16, "%Y%m%d%H%M%S", &tm);
}

/* Random positive serial, SHA-256, validity. */
static int common(mbedtls_x509write_cert *crt, struct cert_make *m, int days)
{
	unsigned char sb[16];
	char from[16], to[16];
	mbedtls_mpi serial;
	mbedtls_mpi_init(&serial);
	int rc = mbedtls_ctr_drbg_random(&m->drbg, sb, sizeof(sb));
	sb[0] &= 0x7f;
	sb[0] |= 0x01;    /* positive, and always 16 bytes long */
	if (rc == 0)
		rc = mbedtls_mpi_read_binary(&serial, sb, sizeof(sb));
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_serial(crt, &serial);
	mbedtls_mpi_free(&serial);
	validity(from, to, days);
	mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_validity(crt, from, to);
	return rc;
}

int cert_make_fields(struct cert_make *m, mbedtls_x509write_cert *crt, mbedtls_pk_context *key,
                     const char *subject, mbedtls_pk_context *issuer_key, const char *issuer,
                     int days)
{
	int rc;
	mbedtls_x509write_crt_set_subject_key(crt, key);
	mbedtls_x509write_crt_set_issuer_key(crt, issuer_key);
	if ((rc = common(crt, m, days)) != 0 ||
	    (rc = mbedtls_x509write_crt_set_subject_name(crt, subject)) != 0)
		return rc;
	return mbedtls_x509write_crt_set_issuer_name(crt, issuer);
}

int cert_make_seq_ext(mbedtls_x509write_cert *crt, const char *oid, size_t oid_len,
                      unsigned char *buf, unsigned char *p, size_t len)
{
	int k, n = 0;
	if ((k = mbedtls_asn1_write_len(&p, buf, len)) < 0)
		return k;
	n += k;
	if ((k = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		return k;
	n += k;
	return mbedtls_x509write_crt_set_extension(crt, oid, oid_len, 0, p, len + (size_t)n);
}

int cert_make_san(mbedtls_x509write_cert *crt, const char *host)
{
	unsigned char buf[CERT_HOST_MAX + 32], *p = buf + sizeof(buf);
	size_t hlen = strlen(host);
	int len = 0, k;
	if (hlen > CERT_HOST_MAX)
		return MBEDTLS_ERR_X509_BAD_INPUT_DATA;
#define W(call) do { if ((k = (call)) < 0) return k; len += k; } while (0)
	W(mbedtls_asn1_write_raw_buffer(&p, buf, (const unsigned char *)host, hlen));
	W(mbedtls_asn1_write_len(&p, buf, hlen));
	W(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
#undef W
	return cert_make_seq_ext(crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
	                         MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), buf, p, (size_t)len);
}

int cert_make_pem(struct cert_make *m, mbedtls_x509write_cert *crt, mbedtls_pk_context *key,
                  unsigned char *cpem, size_t ccap, unsigned char *kpem, size_t kcap)
{
	int rc = mbedtls_x509write_crt_pem(crt, cpem, ccap, mbedtls_ctr_drbg_random, &m->drbg);
	return rc ? rc : mbedtls_pk_write_key_pem(key, kpem, kcap);
}
