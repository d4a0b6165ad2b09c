/*
 * libFuzzer target: the mail path of TLS reports, as `zonectl tlsrpt ingest` runs it on a
 * message from an MTA: GMime finds the report part, its transfer encoding is decoded within
 * the size limit, and the report is checked. No crash, no leak, never more than the limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_mime.h"

#define FUZZ_MAX 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *part;
	size_t len;
	char why[TLSRPT_WHY_MAX];
	int rc = tlsrpt_mime_find(data, size, FUZZ_MAX, &part, &len);
	if (rc == 0) {
		if (len > FUZZ_MAX)
			abort();
		tlsrpt_import_check(part, len, FUZZ_MAX * 4, why, sizeof(why));
		free(part);
	} else if (rc != LS_ENOTFOUND && rc != LS_ETOOBIG) {
		abort();
	}
	return 0;
}
