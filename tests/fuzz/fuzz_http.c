/*
 * libFuzzer target: any bytes as the start of a request. The head is found the same whether the
 * bytes come at once or in pieces, the parser answers 0 or an error status, every string it
 * returns lies inside the head, and a head with a status becomes a response head that fits.
 * The same bytes go to the ClientHello SNI peek and the tls-alpn-01 check, which must never
 * read past them; a host the latter finds is a checked name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "httpsd/alpn.h"
#include "httpsd/hello.h"
#include "httpsd/http.h"

#define FUZZ_MAX_HEAD 8192     /* httpsd.max-header-size's default */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(struct http_str s, const char *buf, size_t len)
{
	if (s.len && (s.p < buf || s.p + s.len > buf + len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[CERT_HOST_MAX + 1];
	hello_peek_sni(data, size);
	if (alpn_hello(data, size, host) == 0 && cert_host_check(host) != 0)
		abort();
	if (size == 0)
		return 0;
	/* The first byte picks the piece size; the rest is the request, copied so that reading
	 * one byte past it is caught by the sanitizers. */
	size_t step = data[0] % 64 + 1, len = size - 1;
	if (len > FUZZ_MAX_HEAD)
		len = FUZZ_MAX_HEAD;
	char *buf = malloc(len ? len : 1);
	memcpy(buf, data + 1, len);
	struct http_scan whole = { 0 }, parts = { 0 };
	size_t end = http_head_end(buf, len, &whole), end2 = 0;
	for (size_t n = step; end2 == 0; n += step) {
		end2 = http_head_end(buf, n < len ? n : len, &parts);
		if (n >= len)
			break;
	}
	if (end != end2 || end > len)
		abort();
	if (end > 0) {
		struct http_req req;
		int st = http_parse(buf, end, &req);
		if (st != 0 && st != 400 && st != 431 && st != 505)
			abort();
		if (st == 0) {
			inside(req.method_text, buf, end);
			inside(req.host, buf, end);
			inside(req.content_type, buf, end);
			/* The path is in the head, or the "/" of an absolute target without one. */
			if (req.path.len == 0 ||
			    ((req.path.p < buf || req.path.p + req.path.len > buf + end) &&
			     !(req.path.len == 1 && req.path.p[0] == '/')))
				abort();
			if (req.minor != 0 && req.minor != 1)
				abort();
			if (req.has_body != (!req.length_known || req.content_length > 0))
				abort();
		}
		char head[HTTP_MAX_HEAD_OUT];
		struct http_head h = { .status = st ? st : 200, .content_type = "text/plain",
		                       .content_length = end, .close = st != 0 };
		if (http_format_head(head, sizeof(head), &h) == 0)
			abort();
	}
	free(buf);
	return 0;
}
