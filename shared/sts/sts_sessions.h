/*
 * The TLS sessions the publish step keeps, one small file per endpoint and host under a
 * directory, so that a run reads only the sessions it resumes. The bytes are opaque here
 * (mbedtls_ssl_session_save() output); sts_fetch.c parses them.
 */
#ifndef LS_STS_SESSIONS_H
#define LS_STS_SESSIONS_H

#include <stddef.h>

#define STS_SESSIONS_MAX 32768       /* files at most: a key's file is its hash modulo this */
#define STS_SESSIONS_KEY_MAX 320     /* bytes of "ENDPOINT HOST" with its NUL */
#define STS_SESSIONS_BLOB_MAX 8192   /* bytes of one session (a certificate and a ticket) */

/* key's slot in [0, STS_SESSIONS_MAX): its file's name, and a cache's index. */
unsigned sts_sessions_slot(const char *key);
/*
 * The session kept for key in dir into blob[0..cap), its length in *len. Returns 0, or
 * LS_ENOTFOUND when there is none usable (no file, another key's, damaged, larger than cap):
 * a cache, so nothing here is an error to report.
 */
int sts_sessions_get(const char *dir, const char *key, unsigned char *blob, size_t cap,
                     size_t *len);
/*
 * Keeps blob for key in dir (made 0700 when missing), replacing the one in its slot: a
 * temporary file renamed into place, mode 0600 (session secrets), not synced (a lost session
 * costs one full handshake). Returns 0, LS_ETOOBIG (key or blob over the limits) or -errno.
 */
int sts_sessions_put(const char *dir, const char *key, const unsigned char *blob, size_t len);

#endif
