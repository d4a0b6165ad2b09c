/* The TLS report inside a mail (RFC 8460 5.3: multipart/report; report-type=tlsrpt), found
 * with GMime. */
#ifndef LS_TLSRPT_MIME_H
#define LS_TLSRPT_MIME_H

#include <stddef.h>
#include <stdint.h>

#define TLSRPT_MIME_PARTS_MAX 256   /* MIME parts looked at in one message */

/*
 * Finds the first application/tlsrpt+gzip or application/tlsrpt+json part of the RFC 5322
 * message msg (else an application/gzip, application/json or application/octet-stream
 * attachment) and decodes its transfer encoding into *out (free with free()), at most max
 * bytes. Returns 0, LS_ENOTFOUND (no such part), LS_ETOOBIG (the part is larger than max) or
 * -ENOMEM.
 */
int tlsrpt_mime_find(const uint8_t *msg, size_t len, size_t max, uint8_t **out, size_t *outlen);

#endif
