/*
 * libFuzzer target: any bytes as a request to the metrics listener. The parser answers 0 or
 * one of its statuses, never reads past the bytes, and a complete head keeps its answer when
 * more bytes follow it. The same bytes as a label value and help text must give a page whose
 * every line is one line (escaping works).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/metrics.h"
#include "shared/util/metrics_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_page(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	struct metrics_buf b = { 0 };
	metrics_family(&b, "f", "gauge", text);
	metrics_double(&b, "f", (const char *[]){ "v", text, NULL }, 1);
	/* Three lines whatever the bytes: HELP, TYPE, the sample. */
	size_t lines = 0;
	for (size_t i = 0; !metrics_buf_error(&b) && i < b.len; i++)
		lines += b.p[i] == '\n';
	if (!metrics_buf_error(&b) && lines != 3)
		abort();
	metrics_buf_free(&b);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool head;
	size_t len = size < METRICS_HTTP_MAX_REQUEST ? size : METRICS_HTTP_MAX_REQUEST;
	check_page(data, size < 1024 ? size : 1024);
	if (len == 0)
		return 0;
	char *buf = malloc(len);
	memcpy(buf, data, len);
	int status = metrics_http_parse(buf, len, &head);
	switch (status) {
	case 0: case 200: case 400: case 404: case 405: case 431: case 505:
		break;
	default:
		abort();
	}
	/* An answer given for a prefix is the answer for the whole. */
	for (size_t n = 1; n < len && status != 0 && status != 431; n++) {
		bool h2;
		int s = metrics_http_parse(buf, n, &h2);
		if (s != 0 && (s != status || h2 != head))
			abort();
	}
	free(buf);
	return 0;
}
