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
/*
 * After an issue: rec->replaces becomes the new certificate's CertID; when the directory
 * offers renewalInfo, a window that starts before rec->renew_at moves renew_at to a random
 * time inside it. Failures leave renew_at as it is (the lifetime rule holds).
 */
void acme_ari_window(struct acme_client *c, const char *pem, size_t len, struct acme_cert *rec,
                     int64_t now);
/* The window's start and end from a renewalInfo answer; 0 or LS_EPARSE. */
int acme_ari_parse(json_t *info, int64_t *start, int64_t *end);

#endif
