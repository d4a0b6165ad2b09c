/*
 * The TLS sessions the publish step keeps, in small files under a directory, so that a run
 * reads only the sessions it resumes: a key ("ENDPOINT HOST") hashes to one of
 * STS_SESSIONS_FILES files, which holds that slot's newest STS_SESSIONS_PER_FILE sessions.
 * The bytes are opaque here (mbedtls_ssl_session_save() output); sts_fetch.c parses them.
 */
#ifndef LS_STS_SESSIONS_H
#define LS_STS_SESSIONS_H

#include <stddef.h>

#define STS_SESSIONS_FILES 16384     /* files at most */
#define STS_SESSIONS_PER_FILE 8      /* sessions in one file, newest first; the oldest goes */
#define STS_SESSIONS_KEY_MAX 320     /* bytes of "ENDPOINT HOST" with its NUL */
#define STS_SESSIONS_BLOB_MAX 8192   /* bytes of one session (a certificate and a ticket) */

/* key's hash, the same in every process: its file is the hash modulo STS_SESSIONS_FILES. */
unsigned long long sts_sessions_hash(const char *key);
/*
 * The session kept for key in dir into blob[0..cap), its length in *len. Returns 0, or
 * LS_ENOTFOUND when there is none usable (no file, no entry for key, damaged, larger than
 * cap): a cache, so nothing here is an error to report.
 */
int sts_sessions_get(const char *dir, const char *key, unsigned char *blob, size_t cap,
                     size_t *len);
/*
 * Keeps blob for key in dir (made 0700 when missing): its file is read, key's entry put
 * first (replacing an older one; the oldest beyond STS_SESSIONS_PER_FILE dropped), and the
 * file replaced by a temporary one renamed into place, mode 0600 (session secrets), not
 * synced (a lost session costs one full handshake; so does an entry lost to another process
 * writing the same file at once). Returns 0, LS_ETOOBIG (key or blob over the limits) or
 * -errno.
 */
int sts_sessions_put(const char *dir, const char *key, const unsigned char *blob, size_t len);

#endif
