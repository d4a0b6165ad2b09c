/* httpsd's routes: the answer a parsed request gets, with the policy body from the store. */
#ifndef HTTPSD_ROUTE_H
#define HTTPSD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "httpsd/http.h"
#include "shared/store/store.h"

#define ROUTE_POLICY_PATH "/.well-known/mta-sts.txt"
#define ROUTE_HOST_PREFIX "mta-sts."
#define ROUTE_BODY_MAX (64 * 1024)   /* senders read no more of a policy (RFC 8461 3.3) */
#define ROUTE_ALLOW "GET, HEAD"

struct route_answer {
	int status;
	const uint8_t *body;         /* borrowed until the transaction ends, or static */
	size_t body_len;
	const char *content_type;
	const char *allow;           /* NULL, or the Allow value of a 405 */
	bool close;                  /* the connection ends after this answer */
};

/*
 * Answers req, which arrived on a TLS connection whose SNI was sni (lower case). t is a read
 * transaction the answer's body is borrowed from. max_body is httpsd.max-body-size.
 */
void route_request(struct store_txn *t, const struct http_req *req, const char *sni,
                   size_t max_body, struct route_answer *out);

struct intake_settings;
/*
 * A request for /tlsrpt (intake.h) on a connection whose SNI is sni: 0 when its body is to be
 * read (POST, a report's type and length, tlsrpt.receive on, the SNI's domain enabled), else
 * the status, with the answer in out: 404 (receive off, no enabled domain), 421 (Host is not the
 * SNI name) or intake_head()'s.
 */
int route_tlsrpt(struct store_txn *t, const struct http_req *req, const char *sni,
                 const struct intake_settings *s, struct route_answer *out);

/* A body-less error answer with a short text body (for parse errors and limits). */
void route_error(int status, struct route_answer *out);

#endif
