/* POST /tlsrpt: SMTP TLS reports (RFC 8460 section 3) taken in over HTTPS and spooled for
 * dnsd's maintenance thread; httpsd never writes the store. */
#ifndef HTTPSD_INTAKE_H
#define HTTPSD_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "httpsd/http.h"

struct tlsrpt_spool_log;

#define INTAKE_PATH "/tlsrpt"
#define INTAKE_ALLOW "POST"
#define INTAKE_WHY_MAX 160            /* a refusal's one-line reason */

/* The tlsrpt section as httpsd uses it. */
struct intake_settings {
	bool receive;                     /* tlsrpt.receive */
	size_t max_size, max_expanded;    /* tlsrpt.max-size, tlsrpt.max-expanded */
	const char *state_dir;            /* the spool is in STATE/tlsrpt */
	struct tlsrpt_spool_log *log;     /* httpsd's segment writer; NULL: a file per report */
};

/* True when req's path is INTAKE_PATH. */
bool intake_is(const struct http_req *req);
/* True for a Content-Type a report may come with (its body is judged by content). */
bool intake_media_ok(const struct http_str *type);
/*
 * The head of a request for INTAKE_PATH on an enabled domain: 0 when its body is to be read,
 * else the status to answer with: 405 (not POST), 415 (type), 411 (no Content-Length: chunked
 * bodies are not taken), 413 (longer than max-size), 400 (no body).
 */
int intake_head(const struct http_req *req, const struct intake_settings *s);
/*
 * Checks body (len bytes, as received) is shaped like a TLS report (tlsrpt_shape_check(),
 * inflating at most max-expanded and 100 times len bytes), then spools it for domain and syncs it. Blocks on the disk: run it off
 * the event loop. Returns the status to answer with: 200 once durable, 400 or 413 with the
 * reason in why, 503 (out of memory, the spool failed: the sender retries).
 */
/*
 * The CPU half of intake_body(): 0 when body is to be spooled, else 400 or 413 (reason in why)
 * or 503. Touches no disk.
 */
int intake_check(const struct intake_settings *s, const uint8_t *body, size_t len, char *why,
                 size_t whylen);
/* The disk half: spools body for domain (through s->log when set) and syncs it. 200 once
 * durable, else 503 with why. */
int intake_spool(const struct intake_settings *s, const char *domain, const uint8_t *body,
                 size_t len, char *why, size_t whylen);
/* The answer when the spool failed with rc: 503, with the reason in why. */
int intake_spool_status(int rc, char *why, size_t whylen);
int intake_body(const struct intake_settings *s, const char *domain, const uint8_t *body,
                size_t len, char *why, size_t whylen);

#endif
