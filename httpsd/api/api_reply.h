/* An API answer: status, body (JSON, text or a static page file) and its head. */
#ifndef HTTPSD_API_REPLY_H
#define HTTPSD_API_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define API_HEAD_MAX 1024            /* bytes of a response head we write */
#define API_ERROR_MAX 512            /* bytes of an error message */

struct api_reply {
	int status;
	const char *type;         /* Content-Type (static), NULL for none */
	char *body;               /* owned when owned, else static */
	size_t len;
	bool owned;
	const char *location;     /* Location (static), NULL for none */
	const char *allow;        /* Allow, with 405 */
};

/* The answer is v as compact JSON (v taken; NULL or a failed dump gives 500). */
void api_reply_json(struct api_reply *r, int status, json_t *v);
/* {"error": "..."}: one line, whatever fmt makes of its arguments. */
void api_reply_error(struct api_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* No body (204, or a status whose reason says it all). */
void api_reply_empty(struct api_reply *r, int status);
/* body (taken when owned) of type. */
void api_reply_body(struct api_reply *r, int status, const char *type, char *body, size_t len,
                    bool owned);
void api_reply_free(struct api_reply *r);
/* The reason phrase of a status the API sends. */
const char *api_reason(int status);
/* Writes the head (security headers on every answer: CSP, nosniff, no-store, no framing);
 * returns its length, or 0 when cap is too small. */
size_t api_reply_head(const struct api_reply *r, bool close, char *buf, size_t cap);

#endif
