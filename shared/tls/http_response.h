/*
 * The head of an HTTP/1.x response as our HTTPS clients read it (the MTA-STS fetch; ACME next):
 * status, the headers they act on, where the body starts. Input is peer data: every length is
 * bounded by the caller's buffer, and nothing here allocates, so a fuzz target can drive it.
 */
#ifndef LS_HTTP_RESPONSE_H
#define LS_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_RESPONSE_TYPE_MAX 128    /* bytes of Content-Type kept, NUL included */
#define HTTP_RESPONSE_NONCE_MAX 128   /* bytes of an ACME Replay-Nonce kept, NUL included */
#define HTTP_RESPONSE_URL_MAX 1024    /* bytes of a Location kept, NUL included */
#define HTTP_RESPONSE_RETRY_MAX 86400 /* seconds of Retry-After we honour at most */

struct http_response {
	int status;
	long content_length;                        /* -1 without a Content-Length */
	bool transfer_encoding;                     /* it has one (we read no chunked bodies) */
	char content_type[HTTP_RESPONSE_TYPE_MAX];  /* the value to its line's end; "" without */
	size_t head_len;                            /* status line, headers and the blank line */
	/* What ACME (RFC 8555) acts on; "" or -1 without. A value too long to keep is dropped. */
	char replay_nonce[HTTP_RESPONSE_NONCE_MAX];
	char location[HTTP_RESPONSE_URL_MAX];
	long retry_after;                           /* seconds (delta form), capped; -1 without */
};

/*
 * Parses the head in buf, the bytes received so far, NUL-terminated (a NUL in the head hides
 * its end). Returns 0 with r filled once the blank line has come, -EAGAIN before, LS_EPARSE
 * when the status line is not HTTP/1.0 or 1.1 with a three-digit status, or Content-Length is
 * not a plain decimal number. Writes a NUL over the blank line's first "\r";
 * the body, at buf + r->head_len, stays as it came. Repeated headers: the last one counts.
 */
int http_response_head(char *buf, struct http_response *r);
/* True once len bytes of response hold the whole body its Content-Length announces; never
 * without one, when only the end of the connection ends the body. */
bool http_response_complete(const struct http_response *r, size_t len);

/*
 * Decodes a chunked body (RFC 9112 7.1) in place: body[0..len), everything after the head
 * up to the end of the connection; *out the decoded length. Trailers are ignored. Returns 0,
 * or LS_EPARSE when it is malformed or ends before its last chunk.
 */
int http_response_dechunk(char *body, size_t len, size_t *out);

#endif
