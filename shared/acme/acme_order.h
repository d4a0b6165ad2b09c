/*
 * One certificate name through an ACME order (RFC 8555 7.4): new order (or the stored one
 * resumed), its authorization answered by dns-01 (tls-alpn-01 where built), finalize with a
 * fresh P-256 key and a CSR, the chain downloaded and written to STATE/certs/HOST/ with
 * cert_write(). Each step is saved in STORE_ACME before the next one goes to the CA, so a
 * process killed anywhere resumes the order, or starts a new one, at its next run.
 */
#ifndef LS_ACME_ORDER_H
#define LS_ACME_ORDER_H

#include <stdint.h>
#include <mbedtls/pk.h>
#include "shared/store/store.h"
#include "shared/util/config.h"
#include "shared/acme/acme_client.h"
#include "shared/acme/acme_record.h"

#define ACME_VALIDATE_MS 120000     /* the CA's validation of one authorization, at most */
#define ACME_ISSUE_MS 120000        /* finalize to a valid order, at most */
#define ACME_DIR_SWITCH 3           /* failures in a row before the next directory is tried */
#define ACME_RETRY_FIRST 30         /* seconds before the first retry (jittered, under 60) */
#define ACME_RETRY_MAX 3600         /* the longest back-off */
#define ACME_CHAIN_MAX 65536        /* bytes of a downloaded chain */

struct acme_order_ctx {
	struct acme_client *client;
	struct store *st;
	const struct config *cfg;
	const char *state_dir;
};

/*
 * Runs rec's order to its end (issued) or to a failure, now: rec is updated and saved at
 * every step. Returns 0 (issued), or a negative code with rec->problem_* set and next_try
 * scheduled (the CA's Retry-After for rate limits, else the back-off).
 */
int acme_order_run(struct acme_order_ctx *x, struct acme_cert *rec, int64_t now);
/* When to renew a certificate valid from nb to na: a third of its life before the end, half
 * for lifetimes under 10 days (RFC 9773's window may say earlier). */
int64_t acme_order_renew_at(int64_t nb, int64_t na);
/* The back-off after tries failures in a row, jittered by r in [0, 1). */
int64_t acme_order_backoff(uint32_t tries, double r);
struct cert_make;
/* A fresh P-256 key into key (initialised by the caller) and a CSR for host (CN and
 * subjectAltName dNSName host, SHA-256) as base64url DER into csr64[cap]. 0 or negative. */
int acme_order_csr(struct cert_make *m, const char *host, mbedtls_pk_context *key, char *csr64,
                   size_t cap);
/* A certificate's facts for `cert list`: serial (hex), not before/after (unix seconds),
 * issuer. From the first certificate of a PEM chain. 0 or LS_EPARSE. */
int acme_order_leaf(const char *pem, size_t len, char *serial, size_t slen, int64_t *nb,
                    int64_t *na, char *issuer, size_t ilen);

#endif
