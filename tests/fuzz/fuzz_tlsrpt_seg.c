/*
 * libFuzzer target: the spool segment reader, as the import runs it on a file in new/ (which
 * a killed httpsd may have left cut anywhere). Whatever the input: no read past its end, every
 * record inside it, the offset only moving forward, and a record's domain a C string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/rpt/tlsrpt_seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsrpt_seg_record r;
	size_t off = 0, prev = 0;
	if (!tlsrpt_seg_is(data, size))
		return 0;
	while (tlsrpt_seg_next(data, size, &off, &r) == 1) {
		if (off <= prev || off > size || r.body < data || r.body + r.len > data + size ||
		    strlen(r.domain) > 255)
			abort();
		prev = off;
	}
	return 0;
}
