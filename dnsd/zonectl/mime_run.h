/* The MIME step of `tlsrpt ingest` run in the helper zonectl-mime (dnsd/zonectl/mime/). */
#ifndef LS_ZONECTL_MIME_RUN_H
#define LS_ZONECTL_MIME_RUN_H

#include <stddef.h>
#include <stdint.h>

#define MIME_RUN_HELPER "zonectl-mime"
#define MIME_RUN_LIBEXEC "../lib/lockstep"   /* from zonectl's directory, when installed */

/* The helper's exit statuses. */
enum { MIME_RUN_FOUND = 0, MIME_RUN_NOPART = 1, MIME_RUN_TOOBIG = 2, MIME_RUN_FAILED = 3 };

/*
 * tlsrpt_mime_find() in the helper, found beside zonectl (the build tree) or in
 * MIME_RUN_LIBEXEC (the installed tree): the report part of msg into *out (free with free()),
 * at most max bytes. Returns 0, LS_ENOTFOUND, LS_ETOOBIG, or another negative code with the
 * reason in err (no helper, it failed).
 */
int mime_run_find(const uint8_t *msg, size_t len, size_t max, uint8_t **out, size_t *outlen,
                  char *err, size_t errlen);

#endif
