/* What the API's handlers share: the request body as JSON, zone names in paths, the
 * PowerDNS shapes of a zone, errors from a diag, and which names MTA-STS manages. */
#ifndef HTTPSD_API_UTIL_H
#define HTTPSD_API_UTIL_H

#include <stdbool.h>
#include <jansson.h>
#include "httpsd/api/api_route.h"
#include "shared/store/zone.h"
#include "shared/util/diag.h"

/* True when p[0..n) is UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). */
bool api_util_utf8(const char *p, size_t n);
/* The body as a JSON object: NULL with the answer in r (422 not UTF-8, 400 malformed, 422
 * not an object). Free with json_decref(). */
json_t *api_util_body(struct api_call *c, struct api_reply *r);
/* A zone name from a path ("example.com." or "example.com"), lower case. Returns 0 or -1. */
int api_util_zone_name(const char *text, uint8_t out[DNAME_MAX]);
/* "example.com." into out. */
const char *api_util_name(char out[DNAME_STR_MAX], const uint8_t *name);
/* The PowerDNS zone object (20 keys, or the 12 of a list item when list), rrsets included
 * unless !rrsets or list. NULL on a store error (in *err). */
json_t *api_util_zone(struct store_txn *t, const struct zone_info *z, bool list, bool rrsets,
                      int *err);
/* 422 (or status) with the first error of d, else fallback. */
void api_util_diag(struct api_reply *r, int status, const struct diag *d, const char *fallback);
/* Whether MTA-STS manages owner (its _mta-sts, mta-sts, _smtp._tls or
 * _acme-challenge.mta-sts name while on or being removed): the domain in domain. */
bool api_util_managed(struct store_txn *t, const uint8_t *owner, uint8_t domain[DNAME_MAX]);
/* The zone named by the path segment, readable by the call's token: 0 (z set, t open), or
 * the answer in r (404, 403, 500) and t ended. */
int api_util_zone_open(struct api_call *c, const char *segment, struct store_txn *t,
                       struct zone_info *z, struct api_reply *r);
/* The same, the transaction ended: only z. */
int api_util_zone_find(struct api_call *c, const char *segment, struct zone_info *z,
                       struct api_reply *r);

#endif
