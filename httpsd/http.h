/* HTTP/1.1 on the wire (RFC 9112): finding and parsing a request head, writing a response head. */
#ifndef HTTPSD_HTTP_H
#define HTTPSD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_FIELDS 64          /* header fields in one request; more get 431 */
#define HTTP_MAX_HEAD_OUT 512       /* bytes of a response head we write */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OTHER };

/* A piece of the request buffer: borrowed, not NUL-terminated. */
struct http_str {
	const char *p;
	size_t len;
};

struct http_req {
	enum http_method method;
	struct http_str method_text;
	struct http_str path;       /* origin-form path without the query, or "*" */
	struct http_str host;       /* Host (or the absolute-form authority) without a port;
	                               len 0 when there is none */
	int minor;                  /* HTTP/1.minor: 0 or 1 */
	bool close;                 /* Connection: close, or HTTP/1.0 without keep-alive */
	bool has_body;              /* a Content-Length above 0 or a Transfer-Encoding */
	bool length_known;          /* false with Transfer-Encoding */
	uint64_t content_length;    /* UINT64_MAX when too large to count */
	struct http_str content_type;   /* the media type, parameters cut off; len 0 when none */
};

/* Where http_head_end() stopped; zero it before the first call of each request. */
struct http_scan {
	size_t pos, line_start;
	bool seen_line;             /* a non-empty line came before: the next empty one ends the head */
};

/*
 * Finds the end of a request head in buf[0..len): returns its length through the empty line,
 * or 0 when it is not all there yet. Leading empty lines (RFC 9112 2.2) belong to the head.
 * Each byte is looked at once over all calls, so a client feeding one byte at a time costs
 * no more than one sending everything.
 */
size_t http_head_end(const char *buf, size_t len, struct http_scan *scan);

/*
 * Parses a complete head of len bytes (as http_head_end() measured it) into req, whose strings
 * point into buf. Returns 0, or the status to answer with: 400 (malformed), 431 (more than
 * HTTP_MAX_FIELDS fields), 505 (an HTTP version other than 1.0 and 1.1).
 */
int http_parse(const char *buf, size_t len, struct http_req *req);

/* The reason phrase of a status we send. */
const char *http_reason(int status);

struct http_head {
	int status;
	const char *content_type;   /* NULL: no Content-Type */
	size_t content_length;
	const char *allow;          /* NULL: no Allow */
	const char *date;           /* an IMF-fixdate, or NULL */
	bool close;                 /* Connection: close */
};

/* Writes a response head; returns its length, or 0 when cap is too small. */
size_t http_format_head(char *buf, size_t cap, const struct http_head *h);

/* Writes time t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into buf[30]. */
void http_date(char buf[30], int64_t t);

#endif
