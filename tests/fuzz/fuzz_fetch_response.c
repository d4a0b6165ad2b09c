/*
 * libFuzzer target: any bytes as what an HTTPS server answers our clients (the MTA-STS fetch,
 * ACME next). http_response_head() must answer 0, -EAGAIN or LS_EPARSE; a head it accepts lies
 * inside the bytes, keeps its Content-Type NUL-terminated, and is found the same in every
 * longer prefix and in none shorter.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/tls/http_response.h"

#define FUZZ_MAX_RESPONSE 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses the first len bytes of data from a copy of their own, NUL-terminated. */
static int parse(const uint8_t *data, size_t len, struct http_response *r)
{
	char *buf = malloc(len + 1);
	memcpy(buf, data, len);
	buf[len] = 0;
	memset(r, 0xa5, sizeof(*r));
	int rc = http_response_head(buf, r);
	free(buf);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response whole, part;
	if (size > FUZZ_MAX_RESPONSE)
		size = FUZZ_MAX_RESPONSE;
	int rc = parse(data, size, &whole);
	if (rc != 0 && rc != -EAGAIN && rc != LS_EPARSE)
		abort();
	if (rc != 0)
		return 0;
	if (whole.head_len == 0 || whole.head_len > size || whole.status < 0 || whole.status > 999)
		abort();
	if (memchr(whole.content_type, 0, sizeof(whole.content_type)) == NULL)
		abort();
	if (whole.content_length < -1)
		abort();
	(void)http_response_complete(&whole, size);
	/* The blank line ends the head: one byte less is not a head yet, any more is the same. */
	if (parse(data, whole.head_len - 1, &part) == 0)
		abort();
	if (parse(data, whole.head_len, &part) != 0 || part.head_len != whole.head_len ||
	    part.status != whole.status || part.content_length != whole.content_length ||
	    strcmp(part.content_type, whole.content_type) != 0)
		abort();
	return 0;
}
