/* PATCH of a zone's rrsets (PowerDNS's changetype REPLACE and DELETE) as one zone edit. */
#ifndef HTTPSD_API_RRSETS_H
#define HTTPSD_API_RRSETS_H

#include <jansson.h>
#include "httpsd/api/api_route.h"

#define API_PATCH_MAX_RRSETS 100000  /* rrsets in one PATCH */

/*
 * Checks every rrset of rrsets (a JSON array) and applies them to the zone apex in one
 * transaction through zone_edit_run(), as zonectl's edits: 204, or 422 with the first reason
 * (nothing changed), 404 when the zone went away. source names the operation in the history.
 */
void api_rrsets_apply(struct api_call *c, const uint8_t *apex, json_t *rrsets,
                      const char *source, struct api_reply *r);

#endif
