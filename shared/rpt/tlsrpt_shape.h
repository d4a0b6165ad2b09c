/*
 * The intake's check of a TLS report: is the body (gzip or JSON) valid JSON shaped like an
 * RFC 8460 report? It decides only accept or refuse, with no allocation but the bounded
 * inflate, so httpsd can answer a flood of reports; the full parse (tlsrpt_parse) is the
 * importer's, and a report that passes here but not there goes to the spool's bad/.
 */
#ifndef LS_TLSRPT_SHAPE_H
#define LS_TLSRPT_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#define TLSRPT_SHAPE_DEPTH_MAX 32    /* JSON nesting; a report needs 5 */

/*
 * Checks that json (len bytes) is one JSON value (RFC 8259 syntax, nesting at most
 * TLSRPT_SHAPE_DEPTH_MAX) and an object holding a non-empty "organization-name" and
 * "report-id" string, a "date-range" object and a non-empty "policies" array. Returns 0 or
 * LS_EPARSE with the reason in why.
 */
int tlsrpt_shape_json(const char *json, size_t len, char *why, size_t whylen);
/*
 * The same for a body as received: gzip is inflated first (bounded by max_expanded and 100
 * times its size: LS_ETOOBIG). Returns 0, LS_EPARSE, LS_ETOOBIG or -ENOMEM, with why.
 */
int tlsrpt_shape_check(const uint8_t *body, size_t len, size_t max_expanded, char *why,
                       size_t whylen);

#endif
