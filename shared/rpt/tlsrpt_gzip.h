/* gzip for TLS reports: inflate with a hard output bound (no zip bomb reaches memory), deflate
 * for keeping the raw report compressed in the store. */
#ifndef LS_TLSRPT_GZIP_H
#define LS_TLSRPT_GZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSRPT_RATIO_MAX 100u    /* inflated bytes per compressed byte, at most */

/* True when data starts with the gzip magic bytes. */
bool tlsrpt_gzip_is(const uint8_t *data, size_t len);
/*
 * The bound tlsrpt_gzip_inflate() enforces for len compressed bytes: max, or
 * TLSRPT_RATIO_MAX * len when that is smaller.
 */
size_t tlsrpt_gzip_limit(size_t len, size_t max);
/*
 * Inflates one gzip member into *out (free with free()), NUL-terminated (not counted in
 * *outlen). Stops at once and returns LS_ETOOBIG when the output would pass
 * tlsrpt_gzip_limit(len, max); never allocates more than that plus one byte. LS_EPARSE for data
 * that is not gzip, truncated or corrupt; -ENOMEM.
 */
int tlsrpt_gzip_inflate(const uint8_t *in, size_t len, size_t max, uint8_t **out,
                        size_t *outlen);
/* The same with zlib's streaming inflate alone: what tlsrpt_gzip_inflate() falls back to when
 * its one-call path (libdeflate) does not apply, and the reference fuzz_tlsrpt_gzip holds it
 * to (same result, same bytes, for any input). */
int tlsrpt_gzip_inflate_zlib(const uint8_t *in, size_t len, size_t max, uint8_t **out,
                             size_t *outlen);
/* Compresses in as gzip into *out (free with free()). Returns 0 or -ENOMEM. */
int tlsrpt_gzip_deflate(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen);

#endif
