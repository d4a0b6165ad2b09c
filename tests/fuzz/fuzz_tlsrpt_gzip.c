/*
 * libFuzzer target: the bounded gzip inflate that every report body from the network goes
 * through. Differential: tlsrpt_gzip_inflate() (libdeflate in one call where it applies) must
 * give what zlib's streaming path alone gives, for any input and two bounds: the same result
 * code, and on success the same bytes. Neither may pass its bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/rpt/tlsrpt_gzip.h"

#define FUZZ_MAX (256u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const uint8_t *data, size_t size, size_t max)
{
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	int ra = tlsrpt_gzip_inflate(data, size, max, &a, &alen);
	int rb = tlsrpt_gzip_inflate_zlib(data, size, max, &b, &blen);
	if (ra != rb)
		abort();
	if (ra == 0 && (alen != blen || memcmp(a, b, alen) != 0 || a[alen] != 0 ||
	                alen > tlsrpt_gzip_limit(size, max)))
		abort();
	if (ra == 0) {
		free(a);
		free(b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	same(data, size, FUZZ_MAX);
	same(data, size, 64);           /* a bound that real reports pass: the ETOOBIG edge */
	return 0;
}
