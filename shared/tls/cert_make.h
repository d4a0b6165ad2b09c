/*
 * What every issuer of certificates shares (cert_demo.c, cert_issue.c, the ACME client to
 * come): a seeded random generator, ECDSA P-256 keys, the fields every certificate has, PEM.
 * Not for the daemons, which only load what was issued (cert.h).
 */
#ifndef LS_CERT_MAKE_H
#define LS_CERT_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define CERT_MAKE_PEM_MAX 4096        /* one certificate or key we write, in PEM */

/* The random generator, seeded on first use; owned by one issuing operation. */
struct cert_make {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	bool seeded;
	/* P-256 for making keys, loaded once: its precomputed multiples of the base point are
	 * kept across keys (computing them again costs about as much as a key). */
	mbedtls_ecp_group grp;
	bool grp_loaded;
};

void cert_make_init(struct cert_make *m);
/* Seeds m's generator now (else the first key does): for users of m->drbg that make no key
 * first (the ACME client signs with a stored key). 0 or an mbedTLS code. */
int cert_make_seed(struct cert_make *m);
void cert_make_free(struct cert_make *m);
/*
 * Makes a new ECDSA P-256 key in key (initialised by the caller, freed by the caller).
 * Returns 0 or an mbedTLS code with "cannot make a key: ..." in err.
 */
int cert_make_key(struct cert_make *m, mbedtls_pk_context *key, char *err, size_t errlen);
/*
 * Sets what every certificate has: subject key and name, issuer key and name (the same for
 * a self-signed one), a random positive 16-byte serial, version 3, SHA-256, and validity
 * from an hour ago to days from now. Extensions are the caller's. Returns 0 or an mbedTLS code.
 */
int cert_make_fields(struct cert_make *m, mbedtls_x509write_cert *crt, mbedtls_pk_context *key,
                     const char *subject, mbedtls_pk_context *issuer_key, const char *issuer,
                     int days);
/*
 * Sets the non-critical extension oid to a SEQUENCE of the len DER bytes at p, which were
 * written backwards into buf (mbedtls_asn1_write_*) with room left before p for the header.
 * 0 or an mbedTLS code.
 */
int cert_make_seq_ext(mbedtls_x509write_cert *crt, const char *oid, size_t oid_len,
                      unsigned char *buf, unsigned char *p, size_t len);
/* Sets a subjectAltName of one dNSName, host (2.28 has no helper). 0 or an mbedTLS code. */
int cert_make_san(mbedtls_x509write_cert *crt, const char *host);
/*
 * Signs crt into cpem[ccap] and writes key into kpem[kcap], both NUL-terminated PEM.
 * kpem holds a secret: the caller wipes it. Returns 0 or an mbedTLS code.
 */
int cert_make_pem(struct cert_make *m, mbedtls_x509write_cert *crt, mbedtls_pk_context *key,
                  unsigned char *cpem, size_t ccap, unsigned char *kpem, size_t kcap);

#endif
