/* SipHash-2-4 (Aumasson and Bernstein): a keyed 64-bit hash, for DNS server cookies (RFC 9018). */
#ifndef SHARED_UTIL_SIPHASH_H
#define SHARED_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16
#define SIPHASH_LEN 8

/* The hash of data[0..len) under key, as the value the reference code returns. */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);
/* The same, as the 8 bytes the reference code writes (little-endian). */
void siphash24_bytes(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len,
                     uint8_t out[SIPHASH_LEN]);

#endif
