/* API answers: JSON bodies, the one error shape, response heads with security headers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "httpsd/api/api_reply.h"
#include "httpsd/http.h"

void api_reply_body(struct api_reply *r, int status, const char *type, char *body, size_t len,
                    bool owned)
{
	api_reply_free(r);
	r->status = status;
	r->type = type;
	r->body = body;
	r->len = len;
	r->owned = owned;
}

void api_reply_empty(struct api_reply *r, int status)
{
	api_reply_body(r, status, NULL, NULL, 0, false);
}

void api_reply_json(struct api_reply *r, int status, json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	if (s == NULL) {
		static char oom[] = "{\"error\":\"out of memory\"}";
		api_reply_body(r, 500, "application/json", oom, sizeof(oom) - 1, false);
		return;
	}
	api_reply_body(r, status, "application/json", s, strlen(s), true);
}

void api_reply_error(struct api_reply *r, int status, const char *fmt, ...)
{
	char msg[API_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, and valid UTF-8 for jansson: anything else becomes '?'. */
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	api_reply_json(r, status, json_pack("{s:s}", "error", msg));
}

void api_reply_free(struct api_reply *r)
{
	if (r->owned)
		free(r->body);
	r->body = NULL;
	r->len = 0;
	r->owned = false;
}

const char *api_reason(int status)
{
	/* The ones httpsd's policy server never sends; the rest are its own. */
	switch (status) {
	case 100: return "Continue";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 409: return "Conflict";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Entity";
	}
	return http_reason(status);
}

size_t api_reply_head(const struct api_reply *r, bool close, char *buf, size_t cap)
{
	char length[40] = "";
	if (r->status != 204 && r->status >= 200)    /* RFC 9110 8.6: none with 204 */
		snprintf(length, sizeof(length), "Content-Length: %zu\r\n", r->len);
	int n = snprintf(buf, cap,
	                 "HTTP/1.1 %d %s\r\n"
	                 "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"
	                 "X-Content-Type-Options: nosniff\r\n"
	                 "X-Frame-Options: DENY\r\n"
	                 "Referrer-Policy: no-referrer\r\n"
	                 "Cache-Control: no-store\r\n"
	                 "%s%s%s%s%s%s%s%s%s"
	                 "%s%s\r\n",
	                 r->status, api_reason(r->status),
	                 r->type ? "Content-Type: " : "", r->type ? r->type : "", r->type ? "\r\n" : "",
	                 r->location ? "Location: " : "", r->location ? r->location : "",
	                 r->location ? "\r\n" : "",
	                 r->allow ? "Allow: " : "", r->allow ? r->allow : "", r->allow ? "\r\n" : "",
	                 length, close ? "Connection: close\r\n" : "");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
