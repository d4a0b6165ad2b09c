/* An API request head: httpsd's strict HTTP/1.1 parser, then what the API needs from it
 * (method, path, query, the token, Expect). No I/O: the fuzz target drives it directly. */
#ifndef HTTPSD_API_REQUEST_H
#define HTTPSD_API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include "httpsd/http.h"

#define API_PATH_MAX 1024            /* bytes of a decoded path */
#define API_QUERY_MAX 2048           /* bytes of a query string */
#define API_PARAM_MAX 512            /* bytes of one decoded query value */

enum api_method { API_GET, API_HEAD, API_POST, API_PUT, API_PATCH, API_DELETE, API_OTHER };

struct api_req {
	struct http_req h;
	enum api_method method;
	char path[API_PATH_MAX];      /* percent-decoded, NUL-terminated; no NUL inside */
	struct http_str query;        /* raw, without '?' */
	struct http_str key;          /* X-API-Key, or the token of Authorization: Bearer */
	bool expect_continue;         /* Expect: 100-continue */
};

/*
 * Parses the head buf[0..len) (as http_head_end() measured it) into r, whose strings point
 * into buf. Returns 0, or the status to answer: 400, 414 (path or query too long), 417
 * (an Expect other than 100-continue), 431, 505.
 */
int api_request_parse(const char *buf, size_t len, struct api_req *r);

/* The value of query parameter name, percent-decoded ('+' is a space) into out[API_PARAM_MAX].
 * Returns its length, -1 when absent, -2 when malformed or too long. */
int api_request_param(const struct api_req *r, const char *name, char out[API_PARAM_MAX]);

#endif
