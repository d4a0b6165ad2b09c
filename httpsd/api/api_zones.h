/* The PowerDNS zone endpoints: list, create, read, change metadata, delete, notify, export. */
#ifndef HTTPSD_API_ZONES_H
#define HTTPSD_API_ZONES_H

#include "httpsd/api/api_route.h"

#define API_ZONE_NS_MAX 16           /* nameservers in a POST */

void api_zones_list(struct api_call *c, struct api_reply *r);
void api_zones_create(struct api_call *c, struct api_reply *r);
/* seg: the {zone} segment of the path. */
void api_zones_get(struct api_call *c, const char *seg, struct api_reply *r);
void api_zones_put(struct api_call *c, const char *seg, struct api_reply *r);
void api_zones_patch(struct api_call *c, const char *seg, struct api_reply *r);
void api_zones_delete(struct api_call *c, const char *seg, struct api_reply *r);
void api_zones_notify(struct api_call *c, const char *seg, struct api_reply *r);
void api_zones_export(struct api_call *c, const char *seg, struct api_reply *r);

#endif
