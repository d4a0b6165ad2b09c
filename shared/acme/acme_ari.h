/*
 * ACME Renewal Information (RFC 9773): a certificate's CertID (its Authority Key Identifier
 * and serial), the CA's suggested renewal window, and `replaces` on the next order.
 */
#ifndef LS_ACME_ARI_H
#define LS_ACME_ARI_H

#include <stddef.h>
#include <stdint.h>
#include "shared/acme/acme_client.h"
#include "shared/acme/acme_record.h"

/* CertID of the first certificate of a PEM chain into out[cap]: base64url(keyIdentifier)
 * "." base64url(serial). 0, or LS_EPARSE (no AKI key identifier). */
int acme_ari_cert_id(const char *pem, size_t len, char *out, size_t cap);
#define ACME_ARI_POLL_S (6 * 3600)  /* renewalInfo asked again this often without Retry-After */
#define ACME_ARI_POLL_MIN 60        /* a CA's Retry-After clamped to this range */
#define ACME_ARI_POLL_MAX 86400

/*
 * After an issue (rec->renew_at set by the lifetime rule): rec->replaces becomes the new
 * certificate's CertID, and acme_ari_poll() asks for its window the first time.
 */
void acme_ari_window(struct acme_client *c, const char *pem, size_t len, struct acme_cert *rec,
                     int64_t now);
/*
 * When the directory offers renewalInfo, asks for rec->replaces' window: one that moved
 * (or the first) sets renew_at to a random time inside it when it starts before the
 * lifetime rule's time, else back to that time. rec->ari_next becomes now plus the CA's
 * Retry-After (clamped to ACME_ARI_POLL_MIN..MAX) or ACME_ARI_POLL_S; 0 without renewalInfo.
 * Failures leave renew_at as it is.
 */
void acme_ari_poll(struct acme_client *c, struct acme_cert *rec, int64_t now);
/* The window's start and end from a renewalInfo answer; 0 or LS_EPARSE. */
int acme_ari_parse(json_t *info, int64_t *start, int64_t *end);

#endif
